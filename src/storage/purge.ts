// Retention of old snapshots and txn logs, with ZooKeeper's rule (PurgeTxnLog): keep the N newest
// valid snapshots and every log entry needed to replay from the oldest of them; drop the rest.
// Used by autopurge (autopurge.snapRetainCount / purgeInterval) and by `zk-server purge`.

import type { StorageBackend } from './spi.js';
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

/**
 * Purges `backend` down to `retainCount` snapshots. With fewer valid snapshots than that, nothing
 * is deleted, so the files needed to restore are never touched.
 */
export async function purge(backend: StorageBackend, retainCount: number): Promise<PurgeResult> {
  if (!Number.isInteger(retainCount) || retainCount < MIN_SNAP_RETAIN_COUNT) {
    throw new StorageInvalidArgumentError(`snapRetainCount must be an integer >= ${MIN_SNAP_RETAIN_COUNT}, got ${retainCount}`);
  }
  const snapshots = await backend.snapshots.list();
  if (snapshots.length === 0) return { kept: [], deleted: [], logsBefore: null };
  const kept = snapshots.slice(0, retainCount);
  const leastRetained = kept[kept.length - 1].zxid;
  const deleted: number[] = [];
  for (const s of snapshots.slice(retainCount)) {
    await backend.snapshots.delete(s.zxid);
    deleted.push(s.zxid);
  }
  // Entries up to the oldest kept snapshot are in it; the log file that may hold entries above it
  // is kept by purgeBefore (a file named below the zxid can run past it).
  await backend.txnLog.purgeBefore(leastRetained);
  return { kept: kept.map((s) => s.zxid), deleted, logsBefore: leastRetained };
}
