// Entry point of the storage layer: opens a backend by kind, and re-exports the SPI so the rest of
// the server imports storage from one place.

import { UnknownStorageBackendError } from './errors.js';
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

/** What openStorage passes on; each backend reads the fields it needs and ignores the rest. */
export interface StorageOptions {
  /** ZooKeeper's dataDir: snapshots and epochs (filelog, level). */
  readonly dataDir?: string;
  /** ZooKeeper's dataLogDir: the txn log; defaults to dataDir. */
  readonly dataLogDir?: string;
  /** memory: reopen this volume (an in-process restart) instead of starting empty. */
  readonly memoryVolume?: MemoryVolume;
}

type StorageOpener = (options: StorageOptions) => Promise<StorageBackend>;

// One line per backend. filelog and level add theirs here when they land; level should be loaded
// with a dynamic import() so classic-level's native addon is only required by those who use it.
const openers: Partial<Record<StorageKind, StorageOpener>> = {
  memory: (options) => openMemoryStorage({ volume: options.memoryVolume }),
};

/** Opens the backend named by `kind` (a zoo.cfg value, so any string; unknown ones are refused). */
export async function openStorage(kind: string, options: StorageOptions = {}): Promise<StorageBackend> {
  const opener = Object.hasOwn(openers, kind) ? openers[kind as StorageKind] : undefined;
  if (opener === undefined) throw new UnknownStorageBackendError(kind, Object.keys(openers));
  return opener(options);
}
