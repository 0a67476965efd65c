// Entry point of the storage layer: opens a backend by kind, and re-exports the SPI so the rest of
// the server imports storage from one place.

import { StorageInvalidArgumentError, UnknownStorageBackendError } from './errors.js';
import { openFilelogStorage, type SnapshotWriteCompression, type StorageLogger } from './filelog/index.js';
import { MemoryVolume, openMemoryStorage } from './memory/index.js';
import type { StorageBackend, StorageKind } from './spi.js';

export type * from './spi.js';
export * from './errors.js';
export { AbstractTxnLog } from './abstract-txn-log.js';
export { AbstractSnapshotStore } from './abstract-snapshot-store.js';
export { AbstractEpochStore, type EpochName } from './abstract-epoch-store.js';
export { assembleBackend, type StorageParts } from './backend.js';
export { encodeTxnEntry, decodeTxnEntry, payloadZxid, TXN_HEADER_BYTES, type DecodedTxnEntry } from './txn-entry.js';
export { MemoryVolume, openMemoryStorage, type MemoryStorageOptions } from './memory/index.js';
export {
  openFilelogStorage, FileTxnLog, FileSnapshotStore, FileEpochStore, type FilelogStorageOptions,
  type FileTxnLogStats, type SnapshotWriteCompression, type StorageLogger,
} from './filelog/index.js';
// Types only: the level module (and classic-level's native addon) is loaded by openStorage('level').
export type { LevelStorageOptions, LevelTxnLogStats, LevelPaths } from './level/index.js';

/** What openStorage passes on; each backend reads the fields it needs and ignores the rest. */
export interface StorageOptions {
  /** ZooKeeper's dataDir: snapshots and epochs (filelog, level; level also the txn log by default). */
  readonly dataDir?: string;
  /** ZooKeeper's dataLogDir: the txn log; defaults to dataDir (level: its own DB there when different). */
  readonly dataLogDir?: string;
  /** memory: reopen this volume (an in-process restart) instead of starting empty. */
  readonly memoryVolume?: MemoryVolume;
  /** filelog: zoo.cfg preAllocSize in KiB (default 65536 = 64 MiB). */
  readonly preAllocSizeKb?: number;
  /** filelog: zoo.cfg forceSync (default true); false acknowledges appends without fdatasync. */
  readonly forceSync?: boolean;
  /** filelog: compression of new snapshots, zookeeper.snapshot.compression.method (default 'none'). */
  readonly snapshotCompression?: SnapshotWriteCompression;
  /** filelog: write snapshot files by direct I/O where possible, zookeeper.snapshot.directWrite (default true). */
  readonly snapshotDirectWrite?: boolean;
  /** filelog: where repairs done on open (a torn log tail cut off) are reported; default stderr. */
  readonly logger?: StorageLogger;
}

type StorageOpener = (options: StorageOptions) => Promise<StorageBackend>;

// One line per backend. filelog and level add theirs here when they land; level should be loaded
// with a dynamic import() so classic-level's native addon is only required by those who use it.
const openers: Partial<Record<StorageKind, StorageOpener>> = {
  memory: (options) => openMemoryStorage({ volume: options.memoryVolume }),
  filelog: (options) => {
    if (options.dataDir === undefined) throw new StorageInvalidArgumentError('the filelog backend needs a dataDir');
    return openFilelogStorage({ ...options, dataDir: options.dataDir });
  },
  level: async (options) => {
    if (options.dataDir === undefined) throw new StorageInvalidArgumentError('the level backend needs a dataDir');
    const { openLevelStorage } = await import('./level/index.js');
    return openLevelStorage({
      dataDir: options.dataDir, dataLogDir: options.dataLogDir, snapshotDirectWrite: options.snapshotDirectWrite, logger: options.logger,
    });
  },
};

/** Opens the backend named by `kind` (a zoo.cfg value, so any string; unknown ones are refused). */
export async function openStorage(kind: string, options: StorageOptions = {}): Promise<StorageBackend> {
  const opener = Object.hasOwn(openers, kind) ? openers[kind as StorageKind] : undefined;
  if (opener === undefined) throw new UnknownStorageBackendError(kind, Object.keys(openers));
  return opener(options);
}
