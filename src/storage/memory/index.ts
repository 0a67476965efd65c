// The memory storage backend: fully conformant, no I/O. For tests, the simulator, and a standalone
// server run without a data directory (nothing survives the process).

import { assembleBackend } from '../backend.js';
import type { StorageBackend } from '../spi.js';
import { MemoryEpochStore } from './epoch-store.js';
import { MemorySnapshotStore } from './snapshot-store.js';
import { MemoryTxnLog, type AppendFault } from './txn-log.js';
import { MemoryVolume } from './volume.js';

export { MemoryVolume } from './volume.js';
export type { AppendFault } from './txn-log.js';

export interface MemoryStorageOptions {
  /** Open over an existing volume to see what an earlier (closed) backend left; default a new one. */
  readonly volume?: MemoryVolume;
  /** Injects append failures; see txn-log.ts for the fault model. */
  readonly appendFault?: AppendFault;
}

export async function openMemoryStorage(options: MemoryStorageOptions = {}): Promise<StorageBackend> {
  const volume = options.volume ?? new MemoryVolume();
  return assembleBackend({
    kind: 'memory',
    txnLog: new MemoryTxnLog(volume, options.appendFault),
    snapshots: new MemorySnapshotStore(volume),
    epochs: new MemoryEpochStore(volume),
    supports: { persistent: false, zookeeperDataDir: false, logSegments: false },
  });
}
