// Assembles a StorageBackend from its three stores, so every backend closes them the same way.

import type { EpochStore, SnapshotStore, StorageBackend, StorageSupports, TxnLog } from './spi.js';

export interface StorageParts {
  readonly kind: string;
  readonly txnLog: TxnLog;
  readonly snapshots: SnapshotStore;
  readonly epochs: EpochStore;
  readonly supports: StorageSupports;
  /** Runs after the three stores closed (release a lock file, a database handle). */
  readonly release?: () => Promise<void>;
}

export function assembleBackend(parts: StorageParts): StorageBackend {
  let closing: Promise<void> | null = null;
  const { kind, txnLog, snapshots, epochs, release } = parts;
  const supports: StorageSupports = Object.freeze({ ...parts.supports });
  return Object.freeze({
    kind, txnLog, snapshots, epochs, supports,
    close(): Promise<void> {
      closing ??= (async () => {
        // All three are closed even if one fails, so no handle outlives the backend.
        const results = await Promise.allSettled([txnLog.close(), snapshots.close(), epochs.close()]);
        if (release !== undefined) await release();
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      })();
      return closing;
    },
  });
}
