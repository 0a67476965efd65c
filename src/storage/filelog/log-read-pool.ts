// Reading a txn log file in the shared piscina pool (worker side: log-read-worker.ts): the file is
// scanned slice by slice, one task per slice, the next task started as soon as a slice comes back,
// so the worker scans while this thread hands out the entries it already has.

import { snapshotPool } from '../snapshot/pool.js';
import { StorageCorruptError } from '../errors.js';
import type { LogTail } from './log-scanner.js';
import { FILE_HEADER_BYTES } from './log-format.js';
import type { LogSliceResult, LogSliceTask } from './log-read-worker.js';

export type { LogSliceResult } from './log-read-worker.js';

/** Compiled next to this module in dist/; runs in the snapshot pool, which takes per-task filenames. */
const WORKER_FILENAME = new URL('./log-read-worker.js', import.meta.url).href;

export interface WorkerScanOptions {
  readonly limit: number;
  readonly checkZeroTail: boolean;
  readonly verifiedEnd: number | undefined;
  readonly fromZxid: number;
  readonly sliceBytes: number;
}

/**
 * One file's scan in worker slices. At most two slices exist at a time: the one handed out and the
 * one being scanned. The caller must await settle() before closing the descriptor.
 */
export class WorkerLogScan {
  #pending: Promise<LogSliceResult> | null;
  #tail: LogTail | null = null;
  #end = FILE_HEADER_BYTES;

  constructor(private readonly fd: number, readonly path: string, private readonly options: WorkerScanOptions) {
    this.#pending = this.#run(FILE_HEADER_BYTES, -1);
  }

  /** How the file ended; null until next() returned null. */
  get tail(): LogTail | null {
    return this.#tail;
  }

  /** Offset just past the last good entry. */
  get end(): number {
    return this.#end;
  }

  /**
   * The next slice, or null when the file is done. A slice may carry `corrupt` or `failed` after its
   * entries: hand the entries out first, then throw sliceError(slice), as the main-thread scan
   * would have yielded them before meeting the damage.
   */
  async next(): Promise<LogSliceResult | null> {
    const pending = this.#pending;
    if (pending === null) return null;
    const slice = await pending;
    this.#end = slice.end;
    const more = slice.tail === null && slice.corrupt === null && slice.failed === null;
    this.#pending = more ? this.#run(slice.end, slice.lastZxid) : null;
    if (slice.tail !== null) this.#tail = slice.tail;
    return slice;
  }

  /** Settles once no task reads the descriptor any more; drops a slice scanned ahead. */
  async settle(): Promise<void> {
    const pending = this.#pending;
    this.#pending = null;
    if (pending !== null) await pending.then(() => {}, () => {});
  }

  #run(start: number, lastZxid: number): Promise<LogSliceResult> {
    const o = this.options;
    const task: LogSliceTask = {
      fd: this.fd, path: this.path, start, lastZxid, limit: o.limit, checkZeroTail: o.checkZeroTail,
      verifiedEnd: o.verifiedEnd ?? null, fromZxid: o.fromZxid, sliceBytes: o.sliceBytes,
    };
    const result = snapshotPool().run(task, { filename: WORKER_FILENAME, name: 'scanLogSlice' }) as Promise<LogSliceResult>;
    // Awaited by next() or settle(); this only keeps a result nobody asks for from going unhandled.
    result.catch(() => {});
    return result;
  }
}

/** The error a slice ended with (after its entries), rebuilt on this thread; null if none. */
export function sliceError(path: string, slice: LogSliceResult): Error | null {
  if (slice.corrupt !== null) return new StorageCorruptError(path, slice.corrupt.offset, slice.corrupt.reason);
  if (slice.failed !== null) {
    const error = new Error(slice.failed.message) as Error & { code?: string };
    if (slice.failed.code !== null) error.code = slice.failed.code;
    return error;
  }
  return null;
}
