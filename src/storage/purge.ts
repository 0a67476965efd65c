// Retention of old snapshots and txn logs, with ZooKeeper's rule (PurgeTxnLog): keep the N newest
// valid snapshots and every log entry needed to replay from the oldest of them; drop the rest.
// Used by autopurge (autopurge.snapRetainCount / purgeInterval) and by `zk-server purge`.

import type { SnapshotInfo, StorageBackend } from './spi.js';
import { StorageInvalidArgumentError } from './errors.js';

/** ZooKeeper refuses to keep fewer than three snapshots. */
export const MIN_SNAP_RETAIN_COUNT = 3;

export interface PurgeResult {
  /** Snapshots kept, newest first. */
  kept: number[];
  /** Snapshots deleted. */
  deleted: number[];
  /** Log entries below this zxid were released (null: nothing to purge). */
  logsBefore: number | null;
}

export interface PurgePlan {
  /** Snapshots to keep, newest first. */
  readonly kept: readonly SnapshotInfo[];
  /** Snapshots to delete, newest first. */
  readonly deleted: readonly SnapshotInfo[];
  /** Log entries below this zxid are released (null: nothing to purge, there is no snapshot). */
  readonly logsBefore: number | null;
}

/**
 * What purge() would do, without doing it: `snapshots` are the valid ones, newest first (as
 * SnapshotStore.list() returns them). Used by purge() and by `zk-server inspect datadir`.
 */
export function planPurge(snapshots: readonly SnapshotInfo[], retainCount: number): PurgePlan {
  if (!Number.isInteger(retainCount) || retainCount < MIN_SNAP_RETAIN_COUNT) {
    throw new StorageInvalidArgumentError(`snapRetainCount must be an integer >= ${MIN_SNAP_RETAIN_COUNT}, got ${retainCount}`);
  }
  const sorted = snapshots.slice().sort((a, b) => b.zxid - a.zxid);
  if (sorted.length === 0) return { kept: [], deleted: [], logsBefore: null };
  const kept = sorted.slice(0, retainCount);
  return { kept, deleted: sorted.slice(retainCount), logsBefore: kept[kept.length - 1].zxid };
}

/**
 * Purges `backend` down to `retainCount` snapshots. With fewer valid snapshots than that, no
 * snapshot is deleted, so the files needed to restore are never touched.
 */
export async function purge(backend: StorageBackend, retainCount: number): Promise<PurgeResult> {
  const plan = planPurge(await backend.snapshots.list(), retainCount);
  if (plan.logsBefore === null) return { kept: [], deleted: [], logsBefore: null };
  const deleted: number[] = [];
  for (const s of plan.deleted) {
    await backend.snapshots.delete(s.zxid);
    deleted.push(s.zxid);
  }
  // Entries up to the oldest kept snapshot are in it; the log file that may hold entries above it
  // is kept by purgeBefore (a file named below the zxid can run past it).
  await backend.txnLog.purgeBefore(plan.logsBefore);
  return { kept: plan.kept.map((s) => s.zxid), deleted, logsBefore: plan.logsBefore };
}
