// Opening one LevelDB directory of the level backend: creates it, maps classic-level's open errors
// (held lock, corruption) to storage errors that name the directory, and checks the format marker.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StorageCorruptError, StorageLayoutError } from '../errors.js';
import { fsyncDir } from '../filelog/fs-util.js';
import { FORMAT_KEY, FORMAT_VALUE } from './layout.js';

/** Keys and values are raw bytes; layout.ts gives them meaning. */
export type LevelDb = ClassicLevel<Buffer, Buffer>;

/** Opens (creating if needed) the DB in dir, which must be ours or empty. */
export async function openLevelDb(dir: string): Promise<LevelDb> {
  await makeDirDurably(dir);
  const db: LevelDb = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await db.open();
  } catch (err) {
    throw openError(dir, err);
  }
  try {
    await checkFormat(db, dir);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return db;
}

/** True when the DB holds at least one key in [start, end). */
export async function hasKeyIn(db: LevelDb, start: Buffer, end: Buffer): Promise<boolean> {
  const keys = await db.keys({ gte: start, lt: end, limit: 1 }).all();
  return keys.length > 0;
}

async function checkFormat(db: LevelDb, dir: string): Promise<void> {
  const format = await db.get(FORMAT_KEY);
  if (format === undefined) {
    const anyKey = await db.keys({ limit: 1 }).all();
    if (anyKey.length > 0) {
      throw new StorageLayoutError(dir, 'holds a LevelDB database that zk-server did not write (no format marker); '
        + 'point dataDir/dataLogDir at another directory or move it away');
    }
    // Written before anything else, and synced, so a DB with keys always carries its marker.
    await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE, 'latin1'), { sync: true });
    return;
  }
  const text = format.toString('latin1');
  if (text !== FORMAT_VALUE) {
    throw new StorageLayoutError(dir, `has level format "${text}", this zk-server reads "${FORMAT_VALUE}"`);
  }
}

function openError(dir: string, err: unknown): Error {
  const code = errorCode(err);
  const causeCode = errorCode((err as { cause?: unknown } | null)?.cause);
  const reason = describe(err);
  if (code === 'LEVEL_LOCKED' || causeCode === 'LEVEL_LOCKED') {
    return new StorageLayoutError(dir, 'the database is in use by another process (its LOCK is held); '
      + 'stop the other server or use another data directory');
  }
  if (code === 'LEVEL_CORRUPTION' || causeCode === 'LEVEL_CORRUPTION') {
    // LevelDB names the damaged file in its message but gives no offset.
    return new StorageCorruptError(dir, 0, reason, { cause: err });
  }
  return new StorageLayoutError(dir, `cannot open the LevelDB database (${reason})`);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const own = err instanceof Error ? err.message : String(err);
  return cause instanceof Error ? `${own}: ${cause.message}` : own;
}

/** mkdir -p, then fsync each parent whose entry changed, so a new data directory survives a power cut. */
export async function makeDirDurably(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  for (let d = dir; d !== path.dirname(firstCreated); d = path.dirname(d)) await fsyncDir(path.dirname(d));
}
