// The filelog storage backend: a data directory Apache ZooKeeper 3.8 can read and write
// (`dataDir/version-2` for snapshots and epochs, `dataLogDir/version-2` for txn logs).

import { access, constants, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { assembleBackend } from '../backend.js';
import { StorageInvalidArgumentError, StorageLayoutError } from '../errors.js';
import type { StorageBackend } from '../spi.js';
import { FileEpochStore } from './epoch-store.js';
import { fsyncDir } from './fs-util.js';
import { stderrLogger, type StorageLogger } from './logger.js';
import { LOG_PREFIX, SNAPSHOT_PREFIX, VERSION_DIR } from './names.js';
import { FileSnapshotStore, type SnapshotWriteCompression } from './snapshot-store.js';
import { FileTxnLog, type LogWorkerReadOptions } from './txn-log.js';

export { FileTxnLog, type FileTxnLogOptions, type FileTxnLogStats, type LogWorkerReadOptions } from './txn-log.js';
export { FileSnapshotStore, type FileSnapshotStoreOptions, type SnapshotWriteCompression } from './snapshot-store.js';
export { FileEpochStore } from './epoch-store.js';
export type { StorageLogger } from './logger.js';

export interface FilelogStorageOptions {
  /** ZooKeeper's dataDir: snapshots and epoch files go to `<dataDir>/version-2`. */
  readonly dataDir: string;
  /** ZooKeeper's dataLogDir: txn logs go to `<dataLogDir>/version-2`; defaults to dataDir. */
  readonly dataLogDir?: string;
  /** zoo.cfg preAllocSize (KiB), default 65536. */
  readonly preAllocSizeKb?: number;
  /** zoo.cfg forceSync, default true. */
  readonly forceSync?: boolean;
  /** zookeeper.snapshot.compression.method for new snapshots, default 'none'. */
  readonly snapshotCompression?: SnapshotWriteCompression;
  /** zookeeper.snapshot.directWrite: snapshot files by direct I/O where possible, default true. */
  readonly snapshotDirectWrite?: boolean;
  readonly logger?: StorageLogger;
  /** When txn log reads move to the worker pool (default: files from 1 MiB on). */
  readonly logWorkerRead?: LogWorkerReadOptions;
}

export async function openFilelogStorage(options: FilelogStorageOptions): Promise<StorageBackend> {
  if (typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw new StorageInvalidArgumentError('the filelog backend needs a dataDir');
  }
  const logger = options.logger ?? stderrLogger;
  const snapDir = path.resolve(options.dataDir, VERSION_DIR);
  const logDir = path.resolve(options.dataLogDir ?? options.dataDir, VERSION_DIR);
  await prepareDir(logDir);
  if (snapDir !== logDir) {
    await prepareDir(snapDir);
    await refuseForeignFiles(logDir, `${SNAPSHOT_PREFIX}.`, 'the txn log directory holds snapshot files');
    await refuseForeignFiles(snapDir, `${LOG_PREFIX}.`, 'the snapshot directory holds txn log files');
  }
  const txnLog = await FileTxnLog.open({
    dir: logDir, preAllocSizeKb: options.preAllocSizeKb, forceSync: options.forceSync, logger,
    workerRead: options.logWorkerRead,
  });
  let snapshots: FileSnapshotStore;
  try {
    snapshots = await FileSnapshotStore.open({
      dir: snapDir, compression: options.snapshotCompression, directWrite: options.snapshotDirectWrite, logger,
    });
  } catch (err) {
    await txnLog.close();
    throw err;
  }
  return assembleBackend({
    kind: 'filelog',
    txnLog,
    snapshots,
    epochs: new FileEpochStore(snapDir),
    supports: { persistent: true, zookeeperDataDir: true, logSegments: true },
  });
}

/** Creates the directory as ZooKeeper does (zookeeper.datadir.autocreate defaults to true). */
async function prepareDir(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated !== undefined) {
    // Each new directory's entry lives in its parent: make the chain durable, as for new files.
    for (let d = dir; d !== path.dirname(firstCreated); d = path.dirname(d)) await fsyncDir(path.dirname(d));
  }
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new StorageLayoutError(dir, `cannot write to the directory (${(err as Error).message})`);
  }
}

/** FileTxnSnapLog.checkLogDir/checkSnapDir: separate directories must not share file kinds. */
async function refuseForeignFiles(dir: string, prefix: string, reason: string): Promise<void> {
  const foreign = (await readdir(dir)).filter((name) => name.startsWith(prefix));
  if (foreign.length > 0) {
    throw new StorageLayoutError(dir, `${reason} (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}); `
      + 'check that dataDir and dataLogDir are configured correctly');
  }
}
