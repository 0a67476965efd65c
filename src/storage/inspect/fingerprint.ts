// What a data directory restores to, reduced to numbers that can be compared: the tree digest
// ZooKeeper itself keeps (CRC of every path, data and stat), node count, last zxid, sessions, and an
// ACL digest the tree digest leaves out. Migration compares source and target with it.

import { createHash } from 'node:crypto';
import type { ACL } from '../../jute/records.js';
import { DataTree } from '../../tree/data-tree.js';
import type { StorageBackend } from '../spi.js';

/**
 * How the server restores a backend into a tree (server/persistence.ts restoreDatabase): passed in
 * by the caller, because storage/ does not import the server layer.
 */
export type RestoreFn = (backend: StorageBackend, tree: DataTree) => Promise<{
  readonly sessions: Map<bigint, number>;
  readonly snapshotZxid: number | null;
  readonly txnsReplayed: number;
}>;

export interface SessionSummary {
  readonly sessionId: bigint;
  readonly timeoutMs: number;
  readonly ephemerals: number;
}

export interface TreeFingerprint {
  readonly lastZxid: number;
  /** The snapshot the restore started from (null: none, an empty directory). */
  readonly snapshotZxid: number | null;
  readonly txnsReplayed: number;
  /** ZooKeeper's getNodeCount (the root counted twice, as mntr's zk_znode_count shows it). */
  readonly nodeCount: number;
  /** ZooKeeper's tree digest (DataTree.getTreeDigest). */
  readonly digest: bigint;
  /** Order-independent digest of every node's path and ACL list (64 bits of MD5 per node, summed). */
  readonly aclDigest: bigint;
  readonly ephemeralCount: number;
  /** Sessions open at the last txn, by id. */
  readonly sessions: readonly SessionSummary[];
  /** Txn and snapshot digests that did not match the tree during the replay. */
  readonly digestMismatches: number;
  /** Zxids of those mismatches (at most the first 20). */
  readonly mismatchZxids: readonly number[];
}

/** The tree the tools restore into: digests on, and TTL nodes recognised (zookeeper.extendedTypesEnabled). */
export function newToolTree(): DataTree {
  return new DataTree({ digestEnabled: true, extendedTypesEnabled: true });
}

/** Restores `backend` into a fresh tree with `restore` and fingerprints the result. */
export async function restoreFingerprint(backend: StorageBackend, restore: RestoreFn): Promise<{ tree: DataTree; fingerprint: TreeFingerprint }> {
  const tree = newToolTree();
  const mismatchZxids: number[] = [];
  tree.digestHistory.onMismatch((zxid) => { if (mismatchZxids.length < 20) mismatchZxids.push(zxid); });
  const restored = await restore(backend, tree);
  return { tree, fingerprint: fingerprintTree(tree, restored, mismatchZxids) };
}

export function fingerprintTree(
  tree: DataTree,
  restored: { readonly sessions: ReadonlyMap<bigint, number>; readonly snapshotZxid: number | null; readonly txnsReplayed: number },
  mismatchZxids: readonly number[] = [],
): TreeFingerprint {
  let aclDigest = 0n;
  for (const [path, node] of tree.nodesInSnapshotOrder()) {
    const hash = createHash('md5').update(path).update('\0').update(aclText(tree.getACL(node))).digest();
    aclDigest = BigInt.asUintN(64, aclDigest + hash.readBigUInt64BE(0));
  }
  const sessions = [...restored.sessions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sessionId, timeoutMs]) => ({
    sessionId, timeoutMs, ephemerals: tree.ephemeralsOf(sessionId).size,
  }));
  return {
    lastZxid: tree.lastProcessedZxid,
    snapshotZxid: restored.snapshotZxid,
    txnsReplayed: restored.txnsReplayed,
    nodeCount: tree.nodeCount(),
    digest: tree.digest(),
    aclDigest,
    ephemeralCount: tree.ephemeralsCount(),
    sessions,
    digestMismatches: tree.digestHistory.mismatches,
    mismatchZxids: [...mismatchZxids],
  };
}

function aclText(acls: readonly ACL[]): string {
  return acls.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join('\n');
}

const hex = (n: number | bigint): string => `0x${BigInt.asUintN(64, BigInt(n)).toString(16)}`;

/** What differs between two fingerprints, one line each; empty when they describe the same tree. */
export function compareFingerprints(source: TreeFingerprint, target: TreeFingerprint): string[] {
  const diffs: string[] = [];
  const check = (what: string, a: string | number, b: string | number): void => {
    if (a !== b) diffs.push(`${what}: source ${a}, target ${b}`);
  };
  check('last zxid', hex(source.lastZxid), hex(target.lastZxid));
  check('node count', source.nodeCount, target.nodeCount);
  check('tree digest', hex(source.digest), hex(target.digest));
  check('ACL digest', hex(source.aclDigest), hex(target.aclDigest));
  check('ephemeral nodes', source.ephemeralCount, target.ephemeralCount);
  const sessionText = (f: TreeFingerprint): string => f.sessions.map((s) => `${hex(s.sessionId)}/${s.timeoutMs}`).join(' ') || '(none)';
  check('sessions', sessionText(source), sessionText(target));
  return diffs;
}
