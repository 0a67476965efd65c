// Read-only access to the files of a ZooKeeper-format data directory (`version-2/log.*`,
// `snapshot.*[.gz|.snappy]`): scanning one log file to its end and saying how it ends, listing
// snapshot files with ZooKeeper's validity rule, and reading their bytes. No write, ever.
//
// Why not the filelog backend: opening it recovers the directory (cuts a torn tail, removes an empty
// newest log file, sweeps snapshot temp files). That is right for a server and wrong for tools that
// must report damage as found and must leave a migration's source byte-identical.

import { createReadStream } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FileHeader } from '../../jute/records.js';
import { StorageCorruptError } from '../errors.js';
import { isNotFound, readFully } from '../filelog/fs-util.js';
import { FILE_HEADER_BYTES, TXNLOG_MAGIC } from '../filelog/log-format.js';
import { listLogFiles, type LogFileRef } from '../filelog/log-files.js';
import { LogScanner } from '../filelog/log-scanner.js';
import type { StorageLogger } from '../filelog/logger.js';
import { parseSnapshotFileName, SNAPSHOT_PREFIX, type SnapshotCompression } from '../filelog/names.js';
import { readSnappyStream, SNAPPY_MAGIC } from '../filelog/snappy.js';
import { readPlain } from '../filelog/snapshot-store.js';
import type { TxnEntry } from '../spi.js';

export type { LogFileRef } from '../filelog/log-files.js';

/** How a log file ends, judged by the scanner's rules (see filelog/log-scanner.ts). */
export type LogFileEnd =
  | { readonly kind: 'clean' }
  /** Damage with no good entry after it: a write cut short by a crash, never acknowledged. */
  | { readonly kind: 'torn'; readonly offset: number; readonly reason: string }
  /** Damage with good entries after it, a bad header, or zxids going backwards: acknowledged data is hurt. */
  | { readonly kind: 'corrupt'; readonly offset: number; readonly reason: string }
  /** Shorter than the header, or zeros only: created by a crash before its first write. */
  | { readonly kind: 'no-header'; readonly sizeBytes: number };

export interface LogFileScan {
  readonly file: LogFileRef;
  readonly sizeBytes: number;
  readonly header: FileHeader | null;
  readonly entries: number;
  readonly firstZxid: number | null;
  readonly lastZxid: number | null;
  /** Offset just past the last good entry. */
  readonly dataEnd: number;
  readonly end: LogFileEnd;
}

export interface LocatedEntry extends TxnEntry {
  /** Path of the log file. */
  readonly file: string;
  /** File offset of the entry's checksum. */
  readonly offset: number;
}

export async function listZkLogFiles(logDir: string, logger: StorageLogger): Promise<LogFileRef[]> {
  return listLogFiles(logDir, logger);
}

/** A ref for a log file given by path (its name need not follow ZooKeeper's pattern). */
export function logFileRef(file: string): LogFileRef {
  const name = path.basename(file);
  const m = /^log\.([0-9a-fA-F]{1,16})/.exec(name);
  return { name, path: file, startZxid: m === null ? 0 : Number.parseInt(m[1], 16) };
}

/**
 * Reads one log file entry by entry. Iterate `entries()` once; `result` is set when it is done. A
 * corrupt file ends the iteration (result.end says where and why) instead of throwing, so a tool can
 * report it and go on; I/O errors still throw.
 */
export class LogFileReader {
  #result: LogFileScan | null = null;
  #header: FileHeader | null = null;

  constructor(readonly file: LogFileRef) {}

  /** The file header, once iteration has read it (before the first entry); null if it has none. */
  get header(): FileHeader | null {
    return this.#header;
  }

  get result(): LogFileScan {
    if (this.#result === null) throw new Error(`${this.file.path} has not been read to its end`);
    return this.#result;
  }

  async *entries(): AsyncGenerator<LocatedEntry, void, undefined> {
    const file = this.file;
    const handle = await open(file.path, 'r');
    let entries = 0;
    let firstZxid: number | null = null;
    let lastZxid: number | null = null;
    let header: FileHeader | null = null;
    let dataEnd = 0;
    let sizeBytes = 0;
    const finish = (end: LogFileEnd): void => {
      this.#result = { file, sizeBytes, header, entries, firstZxid, lastZxid, dataEnd, end };
    };
    try {
      sizeBytes = (await handle.stat()).size;
      const head = Buffer.alloc(FILE_HEADER_BYTES);
      const got = await readFully(handle, head, 0, FILE_HEADER_BYTES, 0);
      if (got < FILE_HEADER_BYTES || (isZero(head) && await allZero(handle, sizeBytes))) {
        finish({ kind: 'no-header', sizeBytes });
        return;
      }
      header = { magic: head.readInt32BE(0), version: head.readInt32BE(4), dbid: head.readBigInt64BE(8) };
      dataEnd = FILE_HEADER_BYTES;
      if (header.magic === TXNLOG_MAGIC) this.#header = header;
      else {
        const magic = (header.magic >>> 0).toString(16).padStart(8, '0');
        header = null;
        finish({ kind: 'corrupt', offset: 0, reason: `bad magic 0x${magic} (a txn log starts with 0x5a4b4c47 "ZKLG")` });
        return;
      }
      const scanner = new LogScanner(handle, file.path, { limit: sizeBytes, checkZeroTail: true });
      for (;;) {
        let entry;
        try {
          entry = await scanner.next();
        } catch (err) {
          if (!(err instanceof StorageCorruptError)) throw err;
          dataEnd = scanner.end;
          finish({ kind: 'corrupt', offset: err.offset, reason: corruptReason(err) });
          return;
        }
        if (entry === null) break;
        entries++;
        firstZxid ??= entry.zxid;
        lastZxid = entry.zxid;
        dataEnd = entry.end;
        yield { zxid: entry.zxid, payload: entry.payload, file: file.path, offset: entry.offset };
      }
      const tail = scanner.tail;
      finish(tail === null || tail.kind === 'clean' ? { kind: 'clean' } : { kind: 'torn', offset: tail.offset, reason: tail.reason });
    } finally {
      await handle.close();
    }
  }
}

/** Scans a whole log file, calling visit for each good entry. */
export async function scanLogFile(file: LogFileRef, visit?: (entry: LocatedEntry) => void): Promise<LogFileScan> {
  const reader = new LogFileReader(file);
  for await (const entry of reader.entries()) visit?.(entry);
  return reader.result;
}

/** The reason part of a StorageCorruptError's message (it reads "<file> is corrupt at offset <n>: <reason>"). */
export function corruptReason(err: StorageCorruptError): string {
  const prefix = `${err.file} is corrupt at offset ${err.offset}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

async function allZero(handle: FileHandle, size: number): Promise<boolean> {
  const scratch = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 1 << 20));
  for (let at = 0; at < size; at += scratch.length) {
    const got = await readFully(handle, scratch, 0, Math.min(scratch.length, size - at), at);
    if (!isZero(scratch.subarray(0, got))) return false;
    if (got === 0) break;
  }
  return true;
}

// ---------------------------------------------------------------- snapshots

export interface SnapshotFileInfo {
  readonly name: string;
  readonly path: string;
  readonly zxid: number;
  readonly compression: SnapshotCompression;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  /** ZooKeeper's SnapStream.isValidSnapshot: sealed tail (plain) or the format's magic (gz, snappy). */
  readonly valid: boolean;
}

const SEAL_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x01, 0x2f]);
const MIN_CHECKED_BYTES = 10;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const IO_CHUNK_BYTES = 1 << 20;

/** Every snapshot file in dir (temp files excluded), newest zxid first; valid or not. */
export async function listSnapshotFiles(dir: string): Promise<SnapshotFileInfo[]> {
  const out: SnapshotFileInfo[] = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`${SNAPSHOT_PREFIX}.`)) continue;
    const parsed = parseSnapshotFileName(name);
    if (parsed === null) continue;
    const file = path.join(dir, name);
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    if (!st.isFile()) continue;
    const valid = await isValidSnapshotFile(file, parsed.compression, st.size);
    out.push({ name, path: file, zxid: parsed.zxid, compression: parsed.compression, sizeBytes: st.size, mtimeMs: st.mtimeMs, valid });
  }
  return out.sort((a, b) => b.zxid - a.zxid || b.mtimeMs - a.mtimeMs);
}

export async function isValidSnapshotFile(file: string, compression: SnapshotCompression, size: number): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const at = async (position: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, await readFully(handle, buf, 0, length, position));
    };
    switch (compression) {
      case 'none':
        return size >= MIN_CHECKED_BYTES && (await at(size - SEAL_TAIL.length, SEAL_TAIL.length)).equals(SEAL_TAIL);
      case 'gz':
        return (await at(0, GZIP_MAGIC.length)).equals(GZIP_MAGIC);
      case 'snappy':
        return (await at(0, SNAPPY_MAGIC.length)).equals(SNAPPY_MAGIC);
    }
  } finally {
    await handle.close();
  }
}

/** The compression of a snapshot file judged by its first bytes (for files named freely). */
export async function sniffSnapshotCompression(file: string): Promise<SnapshotCompression> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(SNAPPY_MAGIC.length);
    const got = await readFully(handle, head, 0, head.length, 0);
    if (got >= GZIP_MAGIC.length && head.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC)) return 'gz';
    if (got === SNAPPY_MAGIC.length && head.equals(SNAPPY_MAGIC)) return 'snappy';
    return 'none';
  } finally {
    await handle.close();
  }
}

/**
 * The uncompressed bytes of a snapshot file, in fresh chunks the caller may keep. `onFileBytes`
 * reports progress in bytes of the file itself (compressed or not).
 */
export async function* readSnapshotFile(
  file: string, compression: SnapshotCompression, onFileBytes?: (bytes: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (compression === 'snappy') {
    const handle = await open(file, 'r');
    try {
      let read = 0;
      for await (const chunk of readSnappyStream(handle, file)) {
        yield chunk;
        read += chunk.length;
        onFileBytes?.(read);
      }
    } finally {
      await handle.close();
    }
    return;
  }
  if (compression === 'gz') {
    const source = createReadStream(file, { highWaterMark: IO_CHUNK_BYTES });
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    const out: Transform = pipeline(source, gunzip, () => {});
    try {
      for await (const chunk of out) {
        yield chunk as Buffer;
        onFileBytes?.(source.bytesRead);
      }
    } catch (err) {
      if (isNotFound(err)) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new StorageCorruptError(file, gunzip.bytesWritten, `cannot gunzip (offset in the compressed file): ${reason}`, { cause: err });
    } finally {
      source.destroy();
    }
    return;
  }
  yield* readPlain(file, onFileBytes);
}
