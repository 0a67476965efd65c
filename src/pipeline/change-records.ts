// Outstanding changes: what the tree will look like once every prepared-but-uncommitted txn is
// applied. Prep validates each new write against this view (ZooKeeper's outstandingChanges), so a
// pipelined create of /a then /a/b, or two sequential creates in one batch, see each other.

import type { ACL, StatPersisted } from '../jute/records.js';
import type { DataTree } from '../tree/data-tree.js';
import type { DataNode } from '../tree/node.js';
import { nodeDigest } from '../tree/digest.js';
import { ErrorCode } from '../protocol/constants.js';
import { KeeperError } from './errors.js';

export interface ChangeRecord {
  zxid: number;
  path: string;
  /** null: the node is being deleted. */
  stat: StatPersisted | null;
  childCount: number;
  acl: readonly ACL[];
  data: Buffer | null;
  /** This node's digest after the change; 0 when deleted. */
  nodeDigest: bigint;
  /** The whole tree's digest after this change (for the TxnDigest of the txn that made it). */
  treeDigest: bigint;
  /** CRC of the path, carried along so each change to a node does not rehash its path. */
  pathCrc?: number;
  /** The tree node, when the record was read from the tree (not a pending change). */
  node?: DataNode;
}

export function copyStat(s: StatPersisted): StatPersisted {
  return {
    czxid: s.czxid, mzxid: s.mzxid, ctime: s.ctime, mtime: s.mtime, version: s.version, cversion: s.cversion,
    aversion: s.aversion, ephemeralOwner: s.ephemeralOwner, pzxid: s.pzxid,
  };
}

/**
 * A new record for a node already known, with the fields a change replaces. Written out rather than
 * `{ ...from, ... }`: every write makes one or two of these, and an object spread costs several
 * times a literal of one fixed shape.
 */
export function changedRecord(
  from: ChangeRecord, zxid: number, stat: StatPersisted | null,
  childCount = from.childCount, acl: readonly ACL[] = from.acl, data: Buffer | null = from.data,
): Omit<ChangeRecord, 'nodeDigest' | 'treeDigest'> {
  return { zxid, path: from.path, stat, childCount, acl, data, pathCrc: from.pathCrc };
}

/**
 * A record read from the tree: its data is read only if asked for (a setData replaces it unread,
 * and reading makes a view of the tree's copy).
 */
class TreeRecord implements ChangeRecord {
  zxid = -1;
  childCount: number;
  treeDigest = 0n;
  constructor(
    readonly path: string, readonly stat: StatPersisted, readonly node: DataNode, readonly acl: readonly ACL[],
    readonly nodeDigest: bigint, readonly pathCrc: number,
  ) {
    this.childCount = node.numChildren;
  }

  get data(): Buffer | null {
    return this.node.data;
  }
}

export class OutstandingChanges {
  private readonly byPath = new Map<string, ChangeRecord>();
  private readonly ordered: ChangeRecord[] = [];
  private head = 0;

  constructor(readonly tree: DataTree, private readonly digestEnabled: boolean) {}

  get size(): number {
    return this.ordered.length - this.head;
  }

  /** The latest view of a path: pending change or committed node; undefined when absent. */
  lookup(path: string): ChangeRecord | undefined {
    const pending = this.byPath.get(path);
    if (pending) return pending;
    const node = this.tree.getNode(path);
    if (!node) return undefined;
    const stat: StatPersisted = {
      czxid: node.czxid, mzxid: node.mzxid, ctime: node.ctime, mtime: node.mtime,
      version: node.version, cversion: node.cversion, aversion: node.aversion,
      ephemeralOwner: node.ephemeralOwner, pzxid: node.pzxid,
    };
    const crc = this.digestEnabled ? this.tree.pathCrcOf(path, node) : 0;
    // The tree keeps each node's digest while the node is unchanged: no need to hash it again.
    const d = this.digestEnabled ? BigInt(this.tree.nodeDigestOf(path, node)) : 0n;
    return new TreeRecord(path, stat, node, this.tree.getACL(node), d, crc);
  }

  /** Like lookup, but a missing or pending-deleted node is NoNode. */
  get(path: string): ChangeRecord & { stat: StatPersisted } {
    const r = this.lookup(path);
    if (!r || r.stat === null) throw new KeeperError(ErrorCode.NONODE, path);
    return r as ChangeRecord & { stat: StatPersisted };
  }

  /** The tree digest once every outstanding change is applied. */
  currentTreeDigest(): bigint {
    if (this.size === 0) return this.tree.digest();
    return this.ordered[this.ordered.length - 1].treeDigest;
  }

  /**
   * Records a change, computing node and tree digests the way ZooKeeper's prep does. `rec` must be a
   * new object (it becomes the record).
   */
  add(
    rec: Omit<ChangeRecord, 'nodeDigest' | 'treeDigest'>,
    digestOp: 'add' | 'remove' | 'update' | 'noop',
    /** The path's latest record, when the caller has just looked it up (saves a lookup per write). */
    current?: ChangeRecord,
  ): ChangeRecord {
    let prev = 0n;
    let next = 0n;
    if (this.digestEnabled) {
      if (digestOp === 'remove' || digestOp === 'update') prev = (current ?? this.get(rec.path)).nodeDigest;
      if ((digestOp === 'add' || digestOp === 'update') && rec.stat) {
        next = BigInt(rec.pathCrc === undefined
          ? nodeDigest(rec.path, rec.data, rec.stat)
          : nodeDigest(rec.path, rec.data, rec.stat, rec.pathCrc));
      }
    }
    const treeDigest = this.digestEnabled ? BigInt.asIntN(64, this.currentTreeDigest() - prev + next) : 0n;
    // Callers hand over a fresh object: fill it in rather than copy it (this runs for every write).
    const full = rec as ChangeRecord;
    full.nodeDigest = next;
    full.treeDigest = treeDigest;
    this.ordered.push(full);
    this.byPath.set(full.path, full);
    return full;
  }

  /** A mark to roll back to when a multi fails half-way. */
  mark(): number {
    return this.ordered.length;
  }

  /** Drops every change added after `mark`, restoring the earlier view of their paths. */
  rollback(mark: number): void {
    const dropped = this.ordered.splice(mark);
    const touched = new Set(dropped.map((r) => r.path));
    for (const p of touched) this.byPath.delete(p);
    // Re-point each touched path at its newest surviving record, if any.
    for (let i = this.ordered.length - 1; i >= this.head && touched.size > 0; i--) {
      const r = this.ordered[i];
      if (touched.has(r.path)) {
        this.byPath.set(r.path, r);
        touched.delete(r.path);
      }
    }
  }

  /** Called once the txn with this zxid is applied to the tree: its records are no longer pending. */
  committed(zxid: number): void {
    while (this.head < this.ordered.length && this.ordered[this.head].zxid <= zxid) {
      const r = this.ordered[this.head++];
      if (this.byPath.get(r.path) === r) this.byPath.delete(r.path);
    }
    if (this.head > 1024 && this.head * 2 > this.ordered.length) {
      this.ordered.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Pending records, oldest first (closeSession needs them to find in-flight ephemerals). */
  *pending(): IterableIterator<ChangeRecord> {
    for (let i = this.head; i < this.ordered.length; i++) yield this.ordered[i];
  }
}
