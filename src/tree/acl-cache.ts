// Reference-counted ACL interning, as Apache ZooKeeper's ReferenceCountedACLCache: each distinct ACL
// list gets a long key (1, 2, 3, … in order of first use; -1 is OPEN_ACL_UNSAFE and never stored), nodes
// keep the key, and snapshots store the key → list map once.

import type { ACL } from '../jute/records.js';
import { Perm } from '../protocol/constants.js';

/** world:anyone with every permission: what key -1 stands for. */
export const OPEN_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  Object.freeze({ perms: Perm.ALL, id: Object.freeze({ scheme: 'world', id: 'anyone' }) }),
]);
/** world:anyone read-only: the ACL of /zookeeper/config. */
export const READ_ACL_UNSAFE: readonly ACL[] = Object.freeze([
  Object.freeze({ perms: Perm.READ, id: Object.freeze({ scheme: 'world', id: 'anyone' }) }),
]);
/** auth scheme with every permission: CREATOR_ALL_ACL. */
export const CREATOR_ALL_ACL: readonly ACL[] = Object.freeze([
  Object.freeze({ perms: Perm.ALL, id: Object.freeze({ scheme: 'auth', id: '' }) }),
]);

export const OPEN_UNSAFE_ACL_ID = -1n;

/** ACL lists are equal when their elements are equal in order (Java's List.equals). */
function aclKey(acls: readonly ACL[]): string {
  return JSON.stringify(acls.map((a) => [a.perms, a.id.scheme, a.id.id]));
}

function sameAclList(a: readonly ACL[], b: readonly ACL[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.perms !== y.perms || x.id.scheme !== y.id.scheme || x.id.id !== y.id.id) return false;
  }
  return true;
}

function freezeAcls(acls: readonly ACL[]): readonly ACL[] {
  return Object.freeze(acls.map((a) => Object.freeze({ perms: a.perms, id: Object.freeze({ scheme: a.id.scheme, id: a.id.id }) })));
}

export class ReferenceCountedACLCache {
  private readonly longKeyMap = new Map<bigint, readonly ACL[]>();
  private readonly aclKeyMap = new Map<string, bigint>();
  private readonly referenceCounter = new Map<bigint, number>();
  private aclIndex = 0n;
  /**
   * The list last interned and its key: writes mostly carry the same ACL as the one before, and
   * comparing a list element by element is much cheaper than building its map key. Forgotten
   * whenever a key leaves aclKeyMap.
   */
  private last: { acls: readonly ACL[]; ref: bigint } | null = null;

  /** Interns an ACL list and counts one more use of it. A null list is OPEN_ACL_UNSAFE (-1). */
  convertAcls(acls: readonly ACL[] | null): bigint {
    if (acls === null) return OPEN_UNSAFE_ACL_ID;
    const last = this.last;
    if (last !== null && sameAclList(acls, last.acls)) {
      this.addUsage(last.ref);
      return last.ref;
    }
    const key = aclKey(acls);
    let ref = this.aclKeyMap.get(key);
    if (ref === undefined) {
      ref = ++this.aclIndex;
      this.longKeyMap.set(ref, freezeAcls(acls));
      this.aclKeyMap.set(key, ref);
    }
    this.last = { acls: this.longKeyMap.get(ref) as readonly ACL[], ref };
    this.addUsage(ref);
    return ref;
  }

  /** The ACL list for a key. Throws for a key the cache does not hold, as ZooKeeper does. */
  convertLong(ref: bigint): readonly ACL[] {
    if (ref === OPEN_UNSAFE_ACL_ID) return OPEN_ACL_UNSAFE;
    const acls = this.longKeyMap.get(ref);
    if (acls === undefined) throw new Error(`Failed to fetch acls for ${ref}`);
    return acls;
  }

  has(ref: bigint): boolean {
    return ref === OPEN_UNSAFE_ACL_ID || this.longKeyMap.has(ref);
  }

  /** Counts `uses` more users of a key (a restore adds up runs of nodes with the same key). */
  addUsage(ref: bigint, uses = 1): void {
    if (ref === OPEN_UNSAFE_ACL_ID) return;
    // ZooKeeper ignores keys it does not know (e.g. a node restored from a snapshot whose map lacks it).
    if (!this.longKeyMap.has(ref)) return;
    this.referenceCounter.set(ref, (this.referenceCounter.get(ref) ?? 0) + uses);
  }

  removeUsage(ref: bigint): void {
    if (ref === OPEN_UNSAFE_ACL_ID) return;
    const acls = this.longKeyMap.get(ref);
    if (acls === undefined) return;
    const count = (this.referenceCounter.get(ref) ?? 0) - 1;
    if (count <= 0) {
      this.referenceCounter.delete(ref);
      this.aclKeyMap.delete(aclKey(acls));
      this.longKeyMap.delete(ref);
      this.last = null;
    } else {
      this.referenceCounter.set(ref, count);
    }
  }

  /** Drops every list no node uses (after a snapshot load, where every count starts at zero). */
  purgeUnused(): void {
    this.last = null;
    for (const [ref, acls] of this.longKeyMap) {
      if ((this.referenceCounter.get(ref) ?? 0) <= 0) {
        this.referenceCounter.delete(ref);
        this.aclKeyMap.delete(aclKey(acls));
        this.longKeyMap.delete(ref);
      }
    }
  }

  /** Number of distinct lists held (what ZooKeeper's aclCacheSize reports). */
  get size(): number {
    return this.aclKeyMap.size;
  }

  /** Current reference count of a key (0 if unknown). */
  usageOf(ref: bigint): number {
    return this.referenceCounter.get(ref) ?? 0;
  }

  /** The key → list map in ascending key order, as a snapshot stores it. */
  entries(): Array<[bigint, readonly ACL[]]> {
    return [...this.longKeyMap.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * Replaces the contents with a snapshot's map. Every count starts at zero: restoring nodes adds their
   * usages, then purgeUnused drops the rest. The next new key continues after the largest loaded one.
   */
  load(entries: Iterable<readonly [bigint, readonly ACL[]]>): void {
    this.last = null;
    this.longKeyMap.clear();
    this.aclKeyMap.clear();
    this.referenceCounter.clear();
    for (const [ref, acls] of entries) {
      if (this.aclIndex < ref) this.aclIndex = ref;
      const frozen = freezeAcls(acls);
      this.longKeyMap.set(ref, frozen);
      this.aclKeyMap.set(aclKey(frozen), ref);
      this.referenceCounter.set(ref, 0);
    }
  }
}
