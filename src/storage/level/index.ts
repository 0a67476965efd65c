// The level storage backend: the txn log and the epochs in LevelDB (classic-level), snapshots as
// files beside it. The layout, as a grammar, is at the top of layout.ts.
//
// dataLogDir: as in ZooKeeper it exists to put the fsync-heavy log on a device of its own, so when
// it differs from dataDir the txn log gets a DB of its own there; epochs and snapshots stay in
// dataDir. The state DB is always opened first and holds LevelDB's LOCK for the whole backend, so a
// second server on the same dataDir is refused before anything (the snapshot temp-file sweep
// included) is touched.

import path from 'node:path';
import { assembleBackend } from '../backend.js';
import { StorageInvalidArgumentError, StorageLayoutError } from '../errors.js';
import type { StorageBackend } from '../spi.js';
import { hasKeyIn, makeDirDurably, openLevelDb, type LevelDb } from './database.js';
import { LevelEpochStore } from './epoch-store.js';
import {
  DB_DIR, EPOCH_RANGE_END, EPOCH_RANGE_START, LEVEL_DIR, SNAPSHOT_DIR, TXN_RANGE_END, TXN_RANGE_START,
} from './layout.js';
import { FileSnapshotStore } from '../filelog/snapshot-store.js';
import type { StorageLogger } from '../filelog/logger.js';
import { LevelTxnLog } from './txn-log.js';

export { LevelTxnLog, type LevelTxnLogStats } from './txn-log.js';
export { LevelEpochStore } from './epoch-store.js';
export { LEVEL_DIR, DB_DIR, SNAPSHOT_DIR } from './layout.js';

export interface LevelStorageOptions {
  /** Epochs and snapshots go to `<dataDir>/level/`, and the txn log too unless dataLogDir differs. */
  readonly dataDir: string;
  /** The txn log goes to its own DB in `<dataLogDir>/level/db` when this differs from dataDir. */
  readonly dataLogDir?: string;
  /** Snapshot files by direct I/O where possible (zookeeper.snapshot.directWrite), default true. */
  readonly snapshotDirectWrite?: boolean;
  /** Where recovery notes go (leftover snapshot temp files); default stderr. */
  readonly logger?: StorageLogger;
}

/** Where each part of a level backend lives, for tools (inspect, migrate) and tests. */
export interface LevelPaths {
  readonly stateDb: string;
  readonly logDb: string;
  readonly snapshots: string;
}

export function levelPaths(options: LevelStorageOptions): LevelPaths {
  const stateRoot = path.resolve(options.dataDir, LEVEL_DIR);
  const logRoot = path.resolve(options.dataLogDir ?? options.dataDir, LEVEL_DIR);
  return {
    stateDb: path.join(stateRoot, DB_DIR),
    logDb: path.join(logRoot, DB_DIR),
    snapshots: path.join(stateRoot, SNAPSHOT_DIR),
  };
}

export async function openLevelStorage(options: LevelStorageOptions): Promise<StorageBackend> {
  if (typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw new StorageInvalidArgumentError('the level backend needs a dataDir');
  }
  if (options.dataLogDir !== undefined && (typeof options.dataLogDir !== 'string' || options.dataLogDir === '')) {
    throw new StorageInvalidArgumentError('dataLogDir must be a non-empty path when given');
  }
  const paths = levelPaths(options);
  const opened: LevelDb[] = [];
  const release = async (): Promise<void> => {
    const results = await Promise.allSettled(opened.map((db) => db.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };
  try {
    const stateDb = await openLevelDb(paths.stateDb);
    opened.push(stateDb);
    let logDb = stateDb;
    if (paths.logDb !== paths.stateDb) {
      logDb = await openLevelDb(paths.logDb);
      opened.push(logDb);
      // FileTxnSnapLog's checkLogDir/checkSnapDir, in DB terms: a split that does not match the
      // data would silently start an empty log or lose the epochs.
      if (await hasKeyIn(stateDb, TXN_RANGE_START, TXN_RANGE_END)) {
        throw new StorageLayoutError(paths.stateDb, 'holds txn log entries but dataLogDir points elsewhere; '
          + 'check that dataDir and dataLogDir are configured as when the data was written');
      }
      if (await hasKeyIn(logDb, EPOCH_RANGE_START, EPOCH_RANGE_END)) {
        throw new StorageLayoutError(paths.logDb, 'holds epochs, so it was written as a dataDir; '
          + 'check that dataDir and dataLogDir are configured as when the data was written');
      }
    }
    await makeDirDurably(paths.snapshots);
    const txnLog = await LevelTxnLog.open(logDb, paths.logDb);
    // Snapshots are plain files beside the DB, exactly as the filelog backend keeps them.
    const snapshots = await FileSnapshotStore.open({
      dir: paths.snapshots, directWrite: options.snapshotDirectWrite, logger: options.logger,
    });
    return assembleBackend({
      kind: 'level',
      txnLog,
      snapshots,
      epochs: new LevelEpochStore(stateDb, paths.stateDb),
      supports: { persistent: true, zookeeperDataDir: false, logSegments: false },
      release,
    });
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
}
