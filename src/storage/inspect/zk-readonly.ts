// A ZooKeeper-format data directory opened as a read-only StorageBackend, so the server's own restore
// (and anything else written against the SPI) can read it without changing a byte: a torn tail is
// read as the end of its file and reported, an empty newest log file is skipped, temp files stay.
// Every write rejects.

import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { AbstractSnapshotStore } from '../abstract-snapshot-store.js';
import { AbstractTxnLog } from '../abstract-txn-log.js';
import { assembleBackend } from '../backend.js';
import { StorageCorruptError, StorageInvalidArgumentError, StorageLayoutError, StorageNotFoundError } from '../errors.js';
import { FileEpochStore } from '../filelog/epoch-store.js';
import { firstFileFor } from '../filelog/log-files.js';
import type { StorageLogger } from '../filelog/logger.js';
import { VERSION_DIR } from '../filelog/names.js';
import type { SnapshotInfo, StorageBackend, TxnEntry } from '../spi.js';
import {
  listSnapshotFiles, listZkLogFiles, LogFileReader, readSnapshotFile, type LocatedEntry, type LogFileRef,
  type SnapshotFileInfo,
} from './zk-files.js';

export interface ZkDirs {
  /** `<dataDir>/version-2`: snapshots and epoch files. */
  readonly snapDir: string;
  /** `<dataLogDir>/version-2`: txn logs. */
  readonly logDir: string;
}

export function zkDirs(dataDir: string, dataLogDir?: string): ZkDirs {
  return {
    snapDir: path.resolve(dataDir, VERSION_DIR),
    logDir: path.resolve(dataLogDir ?? dataDir, VERSION_DIR),
  };
}

function readOnly(what: string): StorageInvalidArgumentError {
  return new StorageInvalidArgumentError(`${what} is opened read-only`);
}

/**
 * Good entries of the log files, oldest first, from the file that can hold fromZxid on: the reading
 * rules of FileTxnLog (a torn tail ends its file; damage before good entries is an error, thrown as
 * StorageCorruptError with file and offset). A newest file without header (a crash right after its
 * creation) is passed over; any other such file is an error.
 */
export async function* readLogEntries(
  files: readonly LogFileRef[], fromZxid: number, logger: StorageLogger, reportedTails = new Set<string>(),
): AsyncGenerator<LocatedEntry, void, undefined> {
  let previous = -1;
  const start = firstFileFor(files, fromZxid);
  for (let i = start; i < files.length; i++) {
    const reader = new LogFileReader(files[i]);
    for await (const entry of reader.entries()) {
      if (entry.zxid < fromZxid) continue;
      if (entry.zxid <= previous) {
        throw new StorageCorruptError(entry.file, entry.offset,
          `zxid 0x${entry.zxid.toString(16)} is not above 0x${previous.toString(16)}, the last zxid of the previous log file`);
      }
      previous = entry.zxid;
      yield entry;
    }
    const end = reader.result.end;
    switch (end.kind) {
      case 'clean':
        break;
      case 'torn':
        if (!reportedTails.has(files[i].path)) {
          reportedTails.add(files[i].path);
          logger.warn(`${files[i].path}: torn entry at offset ${end.offset} (${end.reason}) with no good entry after it; `
            + 'reading it as the end of that file, as ZooKeeper does');
        }
        break;
      case 'corrupt':
        throw new StorageCorruptError(files[i].path, end.offset, end.reason);
      case 'no-header':
        if (i !== files.length - 1) {
          throw new StorageCorruptError(files[i].path, 0, `${end.sizeBytes} bytes and no txn log header, yet newer log files follow it`);
        }
        break;
    }
  }
}

class ReadOnlyTxnLog extends AbstractTxnLog {
  readonly #files: readonly LogFileRef[];
  readonly #logger: StorageLogger;
  readonly #reportedTails = new Set<string>();
  readonly #lastZxid: number;

  constructor(dir: string, files: readonly LogFileRef[], lastZxid: number, logger: StorageLogger) {
    super(`txn log in ${dir}`, lastZxid);
    this.#files = files;
    this.#lastZxid = lastZxid;
    this.#logger = logger;
  }

  get files(): readonly LogFileRef[] {
    return this.#files;
  }

  protected _read(fromZxid: number): AsyncIterable<TxnEntry> {
    return readLogEntries(this.#files, fromZxid, this.#logger, this.#reportedTails);
  }

  protected async _lastZxid(): Promise<number> {
    return this.#lastZxid;
  }

  protected _append(): Promise<void> {
    return Promise.reject(readOnly(this.description));
  }

  protected _truncate(): Promise<void> {
    return Promise.reject(readOnly(this.description));
  }

  protected _purgeBefore(): Promise<void> {
    return Promise.reject(readOnly(this.description));
  }

  protected _roll(): Promise<void> {
    return Promise.reject(readOnly(this.description));
  }

  protected async _close(): Promise<void> {
    // No handle outlives a read.
  }
}

/**
 * The zxid of the last good entry, as the filelog backend's recovery would find it, without
 * recovering: newest files with no header or no entry are passed over (recovery removes them).
 * Damage does not fail the open (a tool still wants to look around): reading up to it does.
 */
async function findLastZxid(files: readonly LogFileRef[]): Promise<number> {
  for (let i = files.length - 1; i >= 0; i--) {
    const reader = new LogFileReader(files[i]);
    let last: number | null = null;
    for await (const entry of reader.entries()) last = entry.zxid;
    if (last !== null) return last;
  }
  return 0;
}

class ReadOnlySnapshotStore extends AbstractSnapshotStore {
  readonly #dir: string;

  constructor(dir: string) {
    super(`snapshots in ${dir}`);
    this.#dir = dir;
  }

  get location(): string {
    return this.#dir;
  }

  protected async _list(): Promise<SnapshotInfo[]> {
    const byZxid = new Map<number, SnapshotFileInfo>();
    for (const file of await listSnapshotFiles(this.#dir)) {
      if (!file.valid) continue;
      const seen = byZxid.get(file.zxid);
      if (seen === undefined || file.mtimeMs > seen.mtimeMs) byZxid.set(file.zxid, file);
    }
    return [...byZxid.values()].map((f) => Object.freeze({
      zxid: f.zxid, sizeBytes: f.sizeBytes, createdAtMs: f.mtimeMs, location: f.path,
    }));
  }

  protected async *_open(zxid: number): AsyncGenerator<Uint8Array, void, undefined> {
    const candidates = (await listSnapshotFiles(this.#dir)).filter((f) => f.zxid === zxid && f.valid);
    if (candidates.length === 0) throw new StorageNotFoundError(`snapshot 0x${zxid.toString(16)} in ${this.#dir}`);
    const file = candidates.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
    yield* readSnapshotFile(file.path, file.compression);
  }

  protected _write(): Promise<SnapshotInfo> {
    return Promise.reject(readOnly(this.description));
  }

  protected _delete(): Promise<void> {
    return Promise.reject(readOnly(this.description));
  }

  protected async _close(): Promise<void> {
    // No handle outlives a call.
  }
}

/** Reads epochs as the filelog backend does (opening it writes nothing); refuses writes. */
class ReadOnlyEpochStore extends FileEpochStore {
  protected override _write(): Promise<void> {
    return Promise.reject(readOnly(this.description));
  }
}

export interface ReadOnlyZkDataDir {
  readonly backend: StorageBackend;
  readonly dirs: ZkDirs;
  /** The log files found on open, oldest first. */
  readonly logFiles: readonly LogFileRef[];
}

/**
 * Opens a ZooKeeper data directory (dataDir holding version-2/, and optionally a separate
 * dataLogDir) for reading only. Throws StorageLayoutError when a directory is missing; damage shows
 * when the log is read (StorageCorruptError with file and offset).
 */
export async function openZkDataDirReadOnly(options: {
  readonly dataDir: string;
  readonly dataLogDir?: string;
  readonly logger: StorageLogger;
}): Promise<ReadOnlyZkDataDir> {
  const dirs = zkDirs(options.dataDir, options.dataLogDir);
  for (const dir of new Set([dirs.snapDir, dirs.logDir])) {
    try {
      await access(dir, constants.R_OK);
    } catch {
      throw new StorageLayoutError(dir, 'no such readable directory: a ZooKeeper data directory holds a version-2/ folder; '
        + 'pass the directory that contains it');
    }
  }
  const logFiles = await listZkLogFiles(dirs.logDir, options.logger);
  const lastZxid = await findLastZxid(logFiles);
  const backend = assembleBackend({
    kind: 'filelog',
    txnLog: new ReadOnlyTxnLog(dirs.logDir, logFiles, lastZxid, options.logger),
    snapshots: new ReadOnlySnapshotStore(dirs.snapDir),
    epochs: new ReadOnlyEpochStore(dirs.snapDir),
    supports: { persistent: true, zookeeperDataDir: true, logSegments: true },
  });
  return { backend, dirs, logFiles };
}
