// Finding out what a data directory holds (a ZooKeeper/filelog `version-2/` or a level `level/`)
// and opening it read-only, whichever it is: the entry point of inspect, verify and migrate.

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StorageInvalidArgumentError, StorageLayoutError } from '../errors.js';
import type { StorageLogger } from '../filelog/logger.js';
import { VERSION_DIR } from '../filelog/names.js';
import { LEVEL_DIR } from '../level/layout.js';
import type { StorageBackend } from '../spi.js';
import { levelDirs, openLevelStaged, type LevelDirs } from './level-readonly.js';
import { openZkDataDirReadOnly, type ZkDirs } from './zk-readonly.js';
import type { LogFileRef } from './zk-files.js';

/** zookeeper and filelog name the same on-disk format; the first is what users of Apache ZooKeeper call it. */
export type DataDirFormat = 'zookeeper' | 'filelog' | 'level';
export const DATA_DIR_FORMATS: readonly DataDirFormat[] = ['zookeeper', 'filelog', 'level'];

export function parseDataDirFormat(text: string, what: string): DataDirFormat {
  if ((DATA_DIR_FORMATS as readonly string[]).includes(text)) return text as DataDirFormat;
  throw new StorageInvalidArgumentError(`${what} must be one of ${DATA_DIR_FORMATS.join(', ')}, got "${text}"`);
}

/** The backend kind that reads and writes a format. */
export function backendKind(format: DataDirFormat): 'filelog' | 'level' {
  return format === 'level' ? 'level' : 'filelog';
}

export interface DataDirRef {
  readonly dataDir: string;
  readonly dataLogDir?: string;
  /** Detected when absent. */
  readonly format?: DataDirFormat;
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The format of a data directory: `version-2/` → filelog, `level/` → level. Errors say what was
 * found instead, and what to pass (the folder holding version-2/, or --from-format when both exist).
 */
export async function detectFormat(dataDir: string, dataLogDir?: string): Promise<'filelog' | 'level'> {
  const dir = path.resolve(dataDir);
  if (!(await isDirectory(dir))) throw new StorageLayoutError(dir, 'no such directory');
  const logDir = path.resolve(dataLogDir ?? dataDir);
  const hasZk = await isDirectory(path.join(dir, VERSION_DIR)) || await isDirectory(path.join(logDir, VERSION_DIR));
  const hasLevel = await isDirectory(path.join(dir, LEVEL_DIR));
  if (hasZk && hasLevel) {
    throw new StorageLayoutError(dir, `holds both a ZooKeeper/filelog data directory (${VERSION_DIR}/) and a level one (${LEVEL_DIR}/); `
      + 'say which one to read with --format (or --from-format) zookeeper|level');
  }
  if (hasZk) return 'filelog';
  if (hasLevel) return 'level';
  const names = await readdir(dir);
  if (names.some((n) => /^(log|snapshot)\.[0-9a-f]+/.test(n))) {
    throw new StorageLayoutError(dir, `holds log/snapshot files itself: it looks like the ${VERSION_DIR} folder; pass its parent directory (ZooKeeper's dataDir)`);
  }
  throw new StorageLayoutError(dir, `is not a data directory: it holds neither ${VERSION_DIR}/ (ZooKeeper, filelog) nor ${LEVEL_DIR}/ (level)`
    + (names.length === 0 ? ' (it is empty)' : ''));
}

export interface OpenedDataDir {
  readonly format: 'filelog' | 'level';
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly backend: StorageBackend;
  /** filelog: where the files are, and the log files found. */
  readonly zk: { readonly dirs: ZkDirs; readonly logFiles: readonly LogFileRef[] } | null;
  /** level: where the DBs and snapshots are. */
  readonly level: LevelDirs | null;
  close(): Promise<void>;
}

export interface OpenReadOnlyOptions {
  readonly logger: StorageLogger;
  /**
   * Where a level source is copied to be opened: a path prefix for mkdtemp (random characters are
   * appended). Default `<OS temp dir>/.zk-level-source-`.
   */
  readonly stagingPrefix?: string;
}

/** Opens a data directory of any format without modifying it (see zk-readonly.ts, level-readonly.ts). */
export async function openDataDirReadOnly(ref: DataDirRef, options: OpenReadOnlyOptions): Promise<OpenedDataDir> {
  const dataDir = path.resolve(ref.dataDir);
  const dataLogDir = path.resolve(ref.dataLogDir ?? ref.dataDir);
  const format = ref.format === undefined ? await detectFormat(dataDir, dataLogDir) : backendKind(ref.format);
  if (format === 'filelog') {
    const opened = await openZkDataDirReadOnly({ dataDir, dataLogDir, logger: options.logger });
    return {
      format, dataDir, dataLogDir, backend: opened.backend, zk: { dirs: opened.dirs, logFiles: opened.logFiles }, level: null,
      close: () => opened.backend.close(),
    };
  }
  const stagingRoot = await mkdtemp(options.stagingPrefix ?? path.join(tmpdir(), '.zk-level-source-'));
  const stagingDir = path.join(stagingRoot, 'copy');
  let staged;
  try {
    staged = await openLevelStaged({ dataDir, dataLogDir, stagingDir });
  } catch (err) {
    await rm(stagingRoot, { recursive: true, force: true });
    throw err;
  }
  return {
    format, dataDir, dataLogDir, backend: staged.backend, zk: null, level: levelDirs(dataDir, dataLogDir),
    close: async () => {
      await staged.close();
      await rm(stagingRoot, { recursive: true, force: true });
    },
  };
}
