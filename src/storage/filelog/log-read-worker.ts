// The txn log read task, run in the shared piscina pool (../snapshot/pool.ts): scans one slice of a
// log file with LogScanner (framing, Adler-32, how the file ends) and hands the good entries back
// packed into one transferable buffer, so the main thread only makes views over it.

import { readSync } from 'node:fs';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { isStorageError, StorageCorruptError } from '../errors.js';
import type { PositionalReader } from './fs-util.js';
import { LogScanner, type LogTail } from './log-scanner.js';
import { lowerThisThreadPriority } from '../snapshot/background-priority.js';

// Loaded once per pool thread (whichever task comes first): from then on the thread runs in the background.
lowerThisThreadPriority();

export interface LogSliceTask {
  /**
   * A descriptor the main thread opened and keeps open until this task settles: descriptors are
   * shared by all threads, and reading through it keeps an unlinked file readable, as the main
   * thread's own reads do.
   */
  fd: number;
  /** Named in errors. */
  path: string;
  /** An entry boundary (or the end of the header) to scan from. */
  start: number;
  /** Zxid of the entry before start, -1 if none. */
  lastZxid: number;
  limit: number;
  checkZeroTail: boolean;
  verifiedEnd: number | null;
  /** Entries below it are checked but not returned. */
  fromZxid: number;
  /** The slice ends after the first entry ending this many bytes or more past start. */
  sliceBytes: number;
}

export interface LogSliceResult {
  /** Payloads of the returned entries, back to back. */
  payloads: ArrayBuffer;
  /** Three numbers per entry: zxid, file offset of its checksum, end of its payload in `payloads`. */
  index: Float64Array;
  /** Scan position after the slice (past the last good entry): the next slice starts here. */
  end: number;
  lastZxid: number;
  /** How the file ended; null if the slice ended first (or on corrupt / failed). */
  tail: LogTail | null;
  /** Damage that is not a torn tail; the entries before it are in the result. */
  corrupt: { offset: number; reason: string } | null;
  /** Any other failure (I/O): errors lose their class and code when they cross threads. */
  failed: { message: string; code: string | null } | null;
}

export async function scanLogSlice(task: LogSliceTask): Promise<LogSliceResult> {
  const fd = task.fd;
  // Synchronous reads: this thread has nothing else to do meanwhile, and they skip the thread pool.
  const reader: PositionalReader = {
    read: (buf, offset, length, position) => Promise.resolve({ bytesRead: readSync(fd, buf, offset, length, position) }),
  };
  const scanner = new LogScanner(reader, task.path, {
    limit: task.limit,
    checkZeroTail: task.checkZeroTail,
    verifiedEnd: task.verifiedEnd ?? undefined,
    start: task.start,
    lastZxid: task.lastZxid,
  });
  const zxids: number[] = [];
  const offsets: number[] = [];
  const payloads: Uint8Array[] = [];
  let bytes = 0;
  let corrupt: LogSliceResult['corrupt'] = null;
  let failed: LogSliceResult['failed'] = null;
  const stopAt = task.start + task.sliceBytes;
  try {
    for (let entry = scanner.nextBuffered() ?? await scanner.next(); entry !== null; entry = scanner.nextBuffered() ?? await scanner.next()) {
      if (entry.zxid >= task.fromZxid) {
        zxids.push(entry.zxid);
        offsets.push(entry.offset);
        payloads.push(entry.payload);
        bytes += entry.payload.length;
      }
      if (entry.end >= stopAt) break;
    }
  } catch (err) {
    if (isStorageError(err, 'ERR_STORAGE_CORRUPT') && err instanceof StorageCorruptError) {
      const prefix = `${err.file} is corrupt at offset ${err.offset}: `;
      corrupt = { offset: err.offset, reason: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message };
    } else {
      const code = (err as { code?: unknown } | null)?.code;
      failed = { message: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : null };
    }
  }
  const packed = new Uint8Array(bytes);
  const index = new Float64Array(zxids.length * 3);
  let at = 0;
  for (let i = 0; i < zxids.length; i++) {
    packed.set(payloads[i], at);
    at += payloads[i].length;
    index[i * 3] = zxids[i];
    index[i * 3 + 1] = offsets[i];
    index[i * 3 + 2] = at;
  }
  const result: LogSliceResult = {
    payloads: packed.buffer, index, end: scanner.end, lastZxid: scanner.lastZxid, tail: scanner.tail, corrupt, failed,
  };
  return move({ [transferableSymbol]: [packed.buffer, index.buffer], [valueSymbol]: result }) as unknown as LogSliceResult;
}
