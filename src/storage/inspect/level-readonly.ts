// A level data directory opened for reading without touching it. LevelDB has no read-only mode:
// opening a DB replays its write-ahead log into a new table, rewrites the MANIFEST and takes the
// LOCK. So the DB folders are copied into a staging directory first (immutable table files are
// hard-linked, everything LevelDB may append to is copied) and the copy is opened; snapshot files,
// which are never written after their rename, are hard-linked.

import { copyFile, constants, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StorageLayoutError } from '../errors.js';
import { openStorage } from '../index.js';
import { DB_DIR, LEVEL_DIR, SNAPSHOT_DIR } from '../level/layout.js';
import type { StorageBackend } from '../spi.js';

/** The parts of a level backend on disk (mirrors levelPaths in level/index.ts, which loads classic-level). */
export interface LevelDirs {
  readonly stateDb: string;
  readonly logDb: string;
  readonly snapshots: string;
}

export function levelDirs(dataDir: string, dataLogDir?: string): LevelDirs {
  const stateRoot = path.resolve(dataDir, LEVEL_DIR);
  return {
    stateDb: path.join(stateRoot, DB_DIR),
    logDb: path.join(path.resolve(dataLogDir ?? dataDir, LEVEL_DIR), DB_DIR),
    snapshots: path.join(stateRoot, SNAPSHOT_DIR),
  };
}

const IMMUTABLE_TABLE = /\.(ldb|sst)$/;
const SNAPSHOT_FILE = /^snapshot\.[0-9a-f]+$/;

export interface StagedLevel {
  readonly backend: StorageBackend;
  readonly dirs: LevelDirs;
  /** Closes the backend and removes the staging copy. */
  close(): Promise<void>;
}

/**
 * Copies the level directories of dataDir (and dataLogDir) into `stagingDir` (created; must not
 * exist) and opens the copy. The source is only read. A copy taken while a server writes to the DB
 * may miss its newest writes: stop the server first for an exact picture.
 */
export async function openLevelStaged(options: {
  readonly dataDir: string;
  readonly dataLogDir?: string;
  readonly stagingDir: string;
}): Promise<StagedLevel> {
  const dirs = levelDirs(options.dataDir, options.dataLogDir);
  const separateLog = dirs.logDb !== dirs.stateDb;
  for (const dir of separateLog ? [dirs.stateDb, dirs.logDb] : [dirs.stateDb]) {
    if (!(await isDirectory(dir))) {
      throw new StorageLayoutError(dir, 'no such directory: a level data directory holds level/db/; pass the directory that contains level/');
    }
  }
  const stagedData = path.join(options.stagingDir, 'data');
  const stagedLog = path.join(options.stagingDir, 'log');
  await mkdir(options.stagingDir, { recursive: false });
  try {
    const staged = levelDirs(stagedData, separateLog ? stagedLog : undefined);
    await copyDb(dirs.stateDb, staged.stateDb);
    if (separateLog) await copyDb(dirs.logDb, staged.logDb);
    await mkdir(staged.snapshots, { recursive: true });
    if (await isDirectory(dirs.snapshots)) {
      for (const name of await readdir(dirs.snapshots)) {
        if (SNAPSHOT_FILE.test(name)) await linkOrCopy(path.join(dirs.snapshots, name), path.join(staged.snapshots, name));
      }
    }
    const backend = await openStorage('level', { dataDir: stagedData, dataLogDir: separateLog ? stagedLog : undefined });
    let closing: Promise<void> | null = null;
    return {
      backend,
      dirs,
      close: () => {
        closing ??= backend.close().finally(() => rm(options.stagingDir, { recursive: true, force: true }));
        return closing;
      },
    };
  } catch (err) {
    await rm(options.stagingDir, { recursive: true, force: true });
    throw err;
  }
}

async function copyDb(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    // LOCK is LevelDB's advisory lock file; the copy gets its own.
    if (name === 'LOCK') continue;
    const source = path.join(from, name);
    if (!(await stat(source)).isFile()) continue;
    if (IMMUTABLE_TABLE.test(name)) await linkOrCopy(source, path.join(to, name));
    else await copyFile(source, path.join(to, name), constants.COPYFILE_FICLONE);
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    // Another file system, or links not allowed: a copy (a reflink where the file system can).
    await copyFile(from, to, constants.COPYFILE_FICLONE);
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
