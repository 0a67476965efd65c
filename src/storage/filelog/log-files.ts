// The set of log files in dataLogDir/version-2: listing, choosing which to read for a zxid (as
// FileTxnLog.getLogFiles does), and recovery of the newest one when the log is opened.

import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { cutFile, fsyncDir, isNotFound, readFully } from './fs-util.js';
import { FILE_HEADER_BYTES } from './log-format.js';
import { checkLogHeader, LogScanner, type LogTail } from './log-scanner.js';
import type { StorageLogger } from './logger.js';
import { LOG_PREFIX, parseLogFileName } from './names.js';

export interface LogFileRef {
  readonly name: string;
  readonly path: string;
  /** The zxid in the name: that of the first entry written to the file. */
  readonly startZxid: number;
}

/** Log files in dir, oldest first. Other names starting with "log." are reported and skipped. */
export async function listLogFiles(dir: string, logger: StorageLogger): Promise<LogFileRef[]> {
  const refs: LogFileRef[] = [];
  for (const name of await readdir(dir)) {
    const startZxid = parseLogFileName(name);
    if (startZxid !== null) refs.push({ name, path: path.join(dir, name), startZxid });
    else if (name.startsWith(`${LOG_PREFIX}.`)) logger.info(`ignoring ${path.join(dir, name)}: not a txn log name`);
  }
  return refs.sort((a, b) => a.startZxid - b.startZxid);
}

/**
 * Index of the first file that can hold zxid: the newest one starting at or below it (earlier
 * files end before it), or 0 when every file starts above it.
 */
export function firstFileFor(files: readonly LogFileRef[], zxid: number): number {
  let index = 0;
  for (let i = 0; i < files.length; i++) {
    if (files[i].startZxid <= zxid) index = i;
    else break;
  }
  return index;
}

export interface RecoveredLog {
  readonly files: LogFileRef[];
  readonly lastZxid: number;
  /** Where the newest file's zero tail starts, when it has one (already checked to be zeros). */
  readonly cleanEnd?: { readonly path: string; readonly offset: number };
}

/**
 * Checks every file's header, then makes the newest file end cleanly: a torn tail is cut off, and
 * a newest file left with no entry (a crash between creating it and its first write) is removed,
 * after which the file before it is the newest and is recovered the same way.
 *
 * What ZooKeeper 3.8 does instead: it never modifies a log on start; a short or unframed tail reads
 * as end of file, a checksum error anywhere stops the server, an empty log file stops it too
 * (3.9.3 deletes an empty newest file, ZOOKEEPER-2332), and it starts a new file on the next
 * append, leaving the torn tail where it was. Cutting the tail keeps later reads, and ZooKeeper's
 * tools, from meeting it again.
 */
export async function recoverLogFiles(dir: string, logger: StorageLogger): Promise<RecoveredLog> {
  const files = await listLogFiles(dir, logger);
  let removed = false;
  for (let i = 0; i < files.length - 1; i++) await checkHeaderOf(files[i]);
  while (files.length > 0) {
    const newest = files[files.length - 1];
    const recovered = await recoverNewest(newest, logger);
    if (recovered !== null) {
      if (removed) await fsyncDir(dir);
      return { files, lastZxid: recovered.lastZxid, cleanEnd: { path: newest.path, offset: recovered.end } };
    }
    await unlink(newest.path);
    files.pop();
    removed = true;
  }
  if (removed) await fsyncDir(dir);
  return { files, lastZxid: 0 };
}

/** What to do about an older file without a header, which no crash of ours or ZooKeeper's leaves. */
const OLDER_FILE_ADVICE = '. Only the newest log can be left so by a crash (it is then removed); restore this file '
  + 'from a backup, or remove it if a snapshot covers every txn it held (one named at or above the next log file\'s zxid)';

async function checkHeaderOf(ref: LogFileRef): Promise<void> {
  const handle = await open(ref.path, 'r');
  try {
    await checkLogHeader(handle, ref.path, OLDER_FILE_ADVICE);
  } finally {
    await handle.close();
  }
}

/**
 * The newest file's last zxid and data end after cutting a torn tail, or null if it holds no entry
 * (remove it). Opened read-only until a cut is needed, so a read-only copy can be checked.
 */
async function recoverNewest(ref: LogFileRef, logger: StorageLogger): Promise<{ lastZxid: number; end: number } | null> {
  const handle = await open(ref.path, 'r');
  let tail: LogTail | null;
  let lastZxid: number | null = null;
  let size: number;
  let end: number;
  try {
    size = (await handle.stat()).size;
    if (size < FILE_HEADER_BYTES || await isAllZero(handle, size)) {
      logger.warn(`removing ${ref.path}: ${size} bytes and no header, left by a crash right after the file was created`);
      return null;
    }
    await checkLogHeader(handle, ref.path);
    const scanner = new LogScanner(handle, ref.path, { limit: size, checkZeroTail: true });
    for (;;) {
      const zxid = scanner.nextZxidBuffered();
      if (zxid >= 0) {
        lastZxid = zxid;
        continue;
      }
      const entry = await scanner.next();
      if (entry === null) break;
      lastZxid = entry.zxid;
    }
    tail = scanner.tail;
    end = scanner.end;
  } finally {
    await handle.close();
  }
  if (tail?.kind === 'torn') {
    logger.warn(`${ref.path}: torn entry at offset ${tail.offset} (${tail.reason}), with no good entry after it: `
      + `cutting the log there (${size - tail.offset} bytes dropped; a write cut short by a crash, never acknowledged)`);
    await cutFile(ref.path, tail.offset);
  }
  if (lastZxid === null) {
    logger.warn(`removing ${ref.path}: it holds no entry`);
    return null;
  }
  return { lastZxid, end };
}

async function isAllZero(handle: FileHandle, size: number): Promise<boolean> {
  const probe = Buffer.alloc(Math.min(size, FILE_HEADER_BYTES));
  await readFully(handle, probe, 0, probe.length, 0);
  if (probe.some((b) => b !== 0)) return false;
  const scratch = Buffer.allocUnsafe(Math.min(size, 1 << 20));
  for (let at = 0; at < size; at += scratch.length) {
    const got = await readFully(handle, scratch, 0, Math.min(scratch.length, size - at), at);
    if (scratch.subarray(0, got).some((b) => b !== 0)) return false;
  }
  return true;
}

/**
 * Drops every entry above afterZxid: later files are removed newest first, then the file holding
 * afterZxid is cut after it, so a crash part-way leaves a shorter log, never one with a hole.
 * Returns the files left and the zxid of the last entry kept.
 */
export async function truncateLogFiles(dir: string, files: readonly LogFileRef[], afterZxid: number): Promise<RecoveredLog> {
  const kept = files.slice();
  while (kept.length > 0 && kept[kept.length - 1].startZxid > afterZxid) {
    await unlinkIfPresent(kept.pop() as LogFileRef);
  }
  let lastZxid = 0;
  while (kept.length > 0) {
    const ref = kept[kept.length - 1];
    const cut = await cutAfter(ref, afterZxid);
    if (cut !== null) {
      lastZxid = cut;
      break;
    }
    await unlinkIfPresent(kept.pop() as LogFileRef);
  }
  await fsyncDir(dir);
  return { files: kept, lastZxid };
}

/** Cuts ref after its last entry <= afterZxid; returns that entry's zxid, or null if it has none. */
async function cutAfter(ref: LogFileRef, afterZxid: number): Promise<number | null> {
  const handle = await open(ref.path, 'r+');
  try {
    const size = await checkLogHeader(handle, ref.path);
    const scanner = new LogScanner(handle, ref.path, { limit: size, checkZeroTail: false });
    let last: number | null = null;
    let cutAt = FILE_HEADER_BYTES;
    let above = false;
    for (let entry = scanner.nextBuffered() ?? await scanner.next(); entry !== null; entry = scanner.nextBuffered() ?? await scanner.next()) {
      if (entry.zxid > afterZxid) {
        above = true;
        break;
      }
      last = entry.zxid;
      cutAt = entry.end;
    }
    // A file with nothing above afterZxid keeps its zero tail (ZooKeeper would cut it anyway).
    if (last !== null && (above || scanner.tail?.kind === 'torn')) {
      await handle.truncate(cutAt);
      await handle.sync();
    }
    return last;
  } finally {
    await handle.close();
  }
}

async function unlinkIfPresent(ref: LogFileRef): Promise<void> {
  try {
    await unlink(ref.path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
