// The state of a memory backend, kept apart from the backend object so a second open of the same
// volume sees what the first one left: that is how tests (and the simulator) emulate a restart.

import type { EpochName } from '../abstract-epoch-store.js';
import type { SnapshotInfo, TxnEntry } from '../spi.js';

export interface StoredSnapshot {
  readonly info: SnapshotInfo;
  readonly chunks: readonly Buffer[];
}

export class MemoryVolume {
  /** Durable log entries in zxid order. An append lands here only when it is acknowledged. */
  readonly log: TxnEntry[] = [];
  readonly snapshots = new Map<number, StoredSnapshot>();
  readonly epochs = new Map<EpochName, number>();
}

/** Index of the first entry with zxid >= zxid (log.length when there is none). */
export function lowerBound(log: readonly TxnEntry[], zxid: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid].zxid < zxid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
