// The filelog txn log: ZooKeeper's `dataLogDir/version-2/log.<zxid>` files (format in
// log-format.ts), written with group commit: every append that arrives while a group is being made
// durable joins the next group, and each group is one pwrite of one buffer, durable when it returns.
//
// Durable means the file is opened O_DSYNC (with forceSync, where the platform has it): the write
// returns once data and size are on disk, what write + fdatasync gives, in one trip through libuv's
// thread pool instead of two. Each trip costs ~30-60 µs of wake-ups here, a fifth of a whole commit
// at one outstanding write (measured: pwrite + fdatasync from Node 307 µs, alone in C 177 µs).
// When the caller says nothing else waits (AppendOptions.inline) and the log is idle, the pwrite
// runs on the calling thread instead and there is no trip at all.
//
// Preallocation extends the file as ZooKeeper does, sparsely: the blocks are not allocated yet, and
// an O_DSYNC write that is the first into a block also commits that allocation to the file system's
// journal, another flush. So the log zeroes the space ahead of its writes in the background, a chunk
// at a time, durably, and the groups that follow overwrite allocated zeros. The file's bytes are the
// same either way (ZooKeeper reads the holes as zeros too); only the allocation moves off the path
// of a commit.
//
// Files: a new one is started by the first append after open, after roll() and after truncate(),
// and named by that append's first zxid, as ZooKeeper does (it never appends to a file it did not
// create in the same run). The file being written is only read up to its durable end.
//
// Reads of all but small files are scanned and verified in the worker pool (log-read-pool.ts), a
// few MiB per task; this thread only hands out views over the packed entries that come back.

import { constants as fsConstants } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { AbstractTxnLog } from '../abstract-txn-log.js';
import { StorageCorruptError, StorageInvalidArgumentError } from '../errors.js';
import { GroupCommitQueue, type QueuedBatch } from '../group-commit.js';
import type { AppendOptions, TxnEntry } from '../spi.js';
import { fsyncDir, isNotFound, writeFully, writeFullySync } from './fs-util.js';
import {
  DEFAULT_PREALLOC_KB, ENTRY_OVERHEAD_BYTES, FILE_HEADER_BYTES, paddedFileSizeForBatch, writeEntry, writeFileHeader,
} from './log-format.js';
import {
  firstFileFor, recoverLogFiles, truncateLogFiles, type LogFileRef,
} from './log-files.js';
import { sliceError, WorkerLogScan } from './log-read-pool.js';
import { checkLogHeader, LogScanner, type LogTail } from './log-scanner.js';
import { stderrLogger, type StorageLogger } from './logger.js';
import { logFileName } from './names.js';

/**
 * Reads move to the worker pool from this many bytes of a file on (see LogWorkerReadOptions).
 * Scanning 1 MiB here takes about a millisecond, less than a task's round trip plus, when no
 * snapshot has started the pool yet, a worker's start (tens of ms).
 */
const WORKER_READ_MIN_BYTES = 1 << 20;
/** Bytes of file per worker task: small enough to bound memory, large enough to amortize a task. */
const WORKER_READ_SLICE_BYTES = 4 << 20;

/** How reads use the worker pool. */
export interface LogWorkerReadOptions {
  /**
   * A file holding fewer bytes than this past its header (its data end when known, else its size,
   * zero tail included) is scanned on the main thread. 0 sends every file to the pool. Default 1 MiB.
   */
  readonly minBytes?: number;
  /** File bytes scanned per worker task. Default 4 MiB. */
  readonly sliceBytes?: number;
}

/**
 * A write that takes longer than this (the disk is stalling) sends writes through the thread pool
 * for INLINE_BACKOFF_MS after it: the event loop stays free for what does not need the disk. Slow
 * writes through the pool keep it that way; one hiccup costs a second. (It was 10 s from one slow
 * write: this disk stalls a write for 20-45 ms now and then, and two 16 sessions × 1 bench runs that
 * met one early made 15.5-15.7k setData/s, against 16-20k for the runs around them.)
 */
const INLINE_SLOW_MS = 20;
const INLINE_BACKOFF_MS = 1_000;
/**
 * Larger groups always go through the pool: what inlining saves is a fixed ~30-60 µs of wake-ups,
 * while an O_DSYNC write of a populate's 1000-create multi (~670 KB) took 20-120 ms here, all of
 * it with the event loop held. The groups of a few clients writing one at a time are a few KB.
 */
const INLINE_MAX_BYTES = 64 << 10;

/**
 * Zeroes are written this far ahead of the log's end, and once less than half of that is left, the
 * next chunk goes out. Measured here (C, O_DSYNC pwrites of 1,764 bytes, ~8 setData txns): 159-183 µs
 * into sparse space, 121 µs into written zeros. A chunk is one pwrite through the thread pool.
 */
const ZERO_AHEAD_BYTES = 1 << 20;
/**
 * Zeroing starts at least this far past the log's end (a new file's first chunk, or after the log
 * caught up): the groups right after it then write into holes instead of waiting for the chunk.
 */
const ZERO_SKIP_BYTES = 64 << 10;
const ZEROS = Buffer.alloc(ZERO_AHEAD_BYTES);

/** 0 where the platform has no O_DSYNC (Windows): groups are then made durable by fdatasync. */
const O_DSYNC: number = fsConstants.O_DSYNC ?? 0;

export interface FileTxnLogOptions {
  /** The directory holding the log files: `<dataLogDir>/version-2`. Must exist. */
  readonly dir: string;
  /** ZooKeeper's preAllocSize in KiB (default 65536 = 64 MiB); 0 turns preallocation off. */
  readonly preAllocSizeKb?: number;
  /** ZooKeeper's forceSync (default true). false skips every fdatasync: acks mean "written", not durable. */
  readonly forceSync?: boolean;
  readonly logger?: StorageLogger;
  readonly workerRead?: LogWorkerReadOptions;
  /** A write slower than this turns inline writes (AppendOptions.inline) off for a while. Default 20 ms. */
  readonly inlineSlowMs?: number;
  /** How long inline writes stay off after a slow write, ms. Default 1,000. */
  readonly inlineBackoffMs?: number;
}

/** Counters for tests and metrics; they only grow. */
export interface FileTxnLogStats {
  /** Groups written: one write call (plus at most a file extension) each. */
  readonly groups: number;
  readonly entries: number;
  /** Bytes written by groups (headers and framing included, zero tails not). */
  readonly bytes: number;
  /** Group writes made durable, by O_DSYNC or an fdatasync each (0 with forceSync off). */
  readonly syncs: number;
  readonly filesCreated: number;
  /** Slices of log files scanned for reads in the worker pool (see LogWorkerReadOptions). */
  readonly readSlices: number;
  /** Groups written on the calling thread (AppendOptions.inline). */
  readonly inlineGroups: number;
  /** Bytes of preallocated space zeroed ahead of the writes (see ZERO_AHEAD_BYTES). */
  readonly zeroedBytes: number;
  /** Groups that waited for zeroing of the space they were about to write. */
  readonly zeroWaits: number;
}

interface ActiveFile {
  readonly ref: LogFileRef;
  readonly handle: FileHandle;
  /** End of the data written and synced: readers stop here. */
  durableEnd: number;
  /** ZooKeeper's FilePadding.currentSize: the size padding has extended the file to. */
  paddedSize: number;
  /** Actual file size (padding or data, whichever reaches further). */
  fileSize: number;
  /** Bytes from here on may be unallocated holes; below it is data or durably written zeros. */
  zeroedEnd: number;
  /** The zeroing in flight: [from, zeroedEnd of when it is done). Never rejects. */
  zeroing: { readonly from: number; readonly done: Promise<void> } | null;
  /** Set after a zeroing failed: the file is left sparse from then on. */
  zeroFailed: boolean;
}

export class FileTxnLog extends AbstractTxnLog {
  readonly #dir: string;
  readonly #preAllocBytes: number;
  readonly #forceSync: boolean;
  readonly #logger: StorageLogger;
  readonly #workerRead: Required<LogWorkerReadOptions>;
  /** Every log file, oldest first, the active one included. */
  #files: LogFileRef[];
  #active: ActiveFile | null = null;
  /** Zxid of the last durable entry. */
  #lastZxid: number;
  readonly #groups = new GroupCommitQueue({
    writeGroup: (batches, bytes, idle) => this.#writeGroup(batches, bytes, idle),
    roll: () => this.#closeActive(),
  });
  /** Reused for every group: a group is written before the next one is built. */
  #writeBuffer = Buffer.alloc(0);
  /**
   * Per closed file, where its zero tail starts, once a scan has read the tail as zeros: with the
   * default 64 MiB preallocation, checking it again on every read would cost more than the entries.
   */
  readonly #cleanEnds = new Map<string, number>();
  /** Torn tails met in older files on reads, reported once each. */
  readonly #reportedTails = new Set<string>();
  #stats = { groups: 0, entries: 0, bytes: 0, syncs: 0, filesCreated: 0, readSlices: 0, inlineGroups: 0, zeroedBytes: 0, zeroWaits: 0 };
  readonly #inlineSlowMs: number;
  readonly #inlineBackoffMs: number;
  /** performance.now() before which no write is inline (after a slow one). */
  #inlineOffUntil = 0;

  /** Recovers the newest log file (see log-files.ts) and opens the log for appending. */
  static async open(options: FileTxnLogOptions): Promise<FileTxnLog> {
    const preAllocKb = options.preAllocSizeKb ?? DEFAULT_PREALLOC_KB;
    if (!Number.isSafeInteger(preAllocKb) || preAllocKb < 0) {
      throw new StorageInvalidArgumentError(`preAllocSizeKb must be a non-negative integer, got ${String(preAllocKb)}`);
    }
    const logger = options.logger ?? stderrLogger;
    for (const key of ['minBytes', 'sliceBytes'] as const) {
      const value = options.workerRead?.[key];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < (key === 'sliceBytes' ? 1 : 0))) {
        throw new StorageInvalidArgumentError(`workerRead.${key} must be a ${key === 'sliceBytes' ? 'positive' : 'non-negative'} integer, got ${String(value)}`);
      }
    }
    const recovered = await recoverLogFiles(options.dir, logger);
    const log = new FileTxnLog(options, logger, recovered.files, recovered.lastZxid);
    if (recovered.cleanEnd !== undefined) log.#cleanEnds.set(recovered.cleanEnd.path, recovered.cleanEnd.offset);
    return log;
  }

  private constructor(options: FileTxnLogOptions, logger: StorageLogger, files: LogFileRef[], lastZxid: number) {
    super(`txn log in ${options.dir}`, lastZxid);
    this.#dir = options.dir;
    this.#preAllocBytes = (options.preAllocSizeKb ?? DEFAULT_PREALLOC_KB) * 1024;
    this.#forceSync = options.forceSync ?? true;
    this.#inlineSlowMs = options.inlineSlowMs ?? INLINE_SLOW_MS;
    this.#inlineBackoffMs = options.inlineBackoffMs ?? INLINE_BACKOFF_MS;
    this.#logger = logger;
    this.#workerRead = {
      minBytes: options.workerRead?.minBytes ?? WORKER_READ_MIN_BYTES,
      sliceBytes: options.workerRead?.sliceBytes ?? WORKER_READ_SLICE_BYTES,
    };
    this.#files = files;
    this.#lastZxid = lastZxid;
  }

  get stats(): FileTxnLogStats {
    return { ...this.#stats };
  }

  /** The log files, oldest first (for tools and tests). */
  get files(): readonly LogFileRef[] {
    return this.#files.slice();
  }

  protected _append(batch: readonly TxnEntry[], options: AppendOptions): Promise<void> {
    let bytes = 0;
    for (const entry of batch) bytes += ENTRY_OVERHEAD_BYTES + entry.payload.length;
    return this.#groups.append({ entries: batch, bytes, inline: options.inline === true });
  }

  /**
   * Whether a group's pwrite runs on the calling thread: asked for (nothing else waits on the
   * process), on an idle log (an append that waited behind a write in flight runs later, when the
   * caller's "nothing else waits" may no longer hold), alone in its group, at most
   * INLINE_MAX_BYTES, and not switched off by a slow one.
   */
  #writesInline(group: readonly QueuedBatch[], bytes: number, idle: boolean, now: number): boolean {
    return idle && group.length === 1 && group[0].inline === true && bytes <= INLINE_MAX_BYTES && now >= this.#inlineOffUntil;
  }

  protected _roll(): Promise<void> {
    return this.#groups.roll();
  }

  async #writeGroup(group: readonly QueuedBatch[], entryBytes: number, idle: boolean): Promise<void> {
    const firstZxid = group[0].entries[0].zxid;
    const created = this.#active === null;
    const active = this.#active ?? await this.#createFile(firstZxid);
    const total = entryBytes + (created ? FILE_HEADER_BYTES : 0);
    if (this.#writeBuffer.length < total) this.#writeBuffer = Buffer.allocUnsafe(Math.max(total, this.#writeBuffer.length * 2));
    const buf = this.#writeBuffer;
    let offset = created ? writeFileHeader(buf, 0) : 0;
    let count = 0;
    for (const batch of group) {
      for (const entry of batch.entries) offset = writeEntry(buf, offset, entry.payload);
      count += batch.entries.length;
    }
    const position = active.durableEnd;
    // Padding is decided from the position before the group, once per entry, as ZooKeeper does
    // per append between two commits; the file is extended after the data is written, so a crash
    // in between leaves a short file rather than a zero-filled one without its header.
    const padFrom = created ? FILE_HEADER_BYTES : position;
    const padStart = created ? FILE_HEADER_BYTES : active.paddedSize;
    active.paddedSize = paddedFileSizeForBatch(padFrom, padStart, this.#preAllocBytes, count);
    const zeroing = active.zeroing;
    const overlaps = zeroing !== null && position + total > zeroing.from;
    if (overlaps) {
      // The zeroes must not land on this group's data: wait for them (the log caught up with them).
      this.#stats.zeroWaits++;
      await zeroing.done;
    }
    const started = performance.now();
    const inline = this.#writesInline(group, total, idle && !overlaps, started);
    if (inline) {
      writeFullySync(active.handle.fd, buf, total, position);
      this.#stats.inlineGroups++;
    } else {
      await writeFully(active.handle, buf, total, position);
    }
    const finished = performance.now();
    if (finished - started > this.#inlineSlowMs) {
      // A disk this slow would hold up every connection (pings, reads, 4lw) while it writes inline.
      // Only an inline write is worth a warning: it held the event loop for that long.
      this.#inlineOffUntil = finished + this.#inlineBackoffMs;
      if (inline) {
        this.#logger.warn(`txn log: a ${total}-byte write took ${(finished - started).toFixed(1)} ms; `
          + `writes go through the thread pool until none has taken over ${this.#inlineSlowMs} ms for ${this.#inlineBackoffMs / 1000} s`);
      }
    }
    const end = position + total;
    // Extended after the data: with O_DSYNC the new size becomes durable with the next group's write.
    if (active.paddedSize > Math.max(end, active.fileSize)) await active.handle.truncate(active.paddedSize);
    active.fileSize = Math.max(end, active.fileSize, active.paddedSize);
    if (this.#forceSync) {
      await Promise.all([O_DSYNC === 0 ? active.handle.datasync() : undefined, created ? fsyncDir(this.#dir) : undefined]);
      this.#stats.syncs++;
    }
    active.durableEnd = end;
    this.#zeroAhead(active);
    const lastBatch = group[group.length - 1].entries;
    this.#lastZxid = lastBatch[lastBatch.length - 1].zxid;
    this.#stats.groups++;
    this.#stats.entries += count;
    this.#stats.bytes += total;
  }

  /**
   * Starts zeroing the next chunk past the log's end when less than half a chunk of zeroed space is
   * left, within the file's current size (never extending it). Only with O_DSYNC: the zeroes are
   * durable, their blocks allocated and committed, when the write returns.
   */
  #zeroAhead(active: ActiveFile): void {
    if (active.zeroing !== null || active.zeroFailed || !this.#forceSync || O_DSYNC === 0) return;
    const end = active.durableEnd;
    if (active.zeroedEnd - end >= ZERO_AHEAD_BYTES / 2) return;
    const from = Math.max(active.zeroedEnd, end + ZERO_SKIP_BYTES);
    const to = Math.min(from + ZERO_AHEAD_BYTES, active.fileSize);
    if (to <= from) return;
    const done = writeFully(active.handle, ZEROS, to - from, from).then(
      () => {
        active.zeroedEnd = to;
        this.#stats.zeroedBytes += to - from;
      },
      (err: unknown) => {
        // Only an optimisation: the groups still write into the holes, as without it.
        active.zeroFailed = true;
        this.#logger.warn(`${active.ref.path}: zeroing ${to - from} bytes at offset ${from} failed `
          + `(${err instanceof Error ? err.message : String(err)}); the rest of this file stays sparse`);
      },
    ).finally(() => { active.zeroing = null; });
    active.zeroing = { from, done };
  }

  async #createFile(firstZxid: number): Promise<ActiveFile> {
    const name = logFileName(firstZxid);
    const ref: LogFileRef = { name, path: path.join(this.#dir, name), startZxid: firstZxid };
    // Exclusive: a file of that name can only be left over from something this log does not know about.
    const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (this.#forceSync ? O_DSYNC : 0);
    const handle = await open(ref.path, flags, 0o666);
    this.#files.push(ref);
    this.#stats.filesCreated++;
    this.#active = { ref, handle, durableEnd: 0, paddedSize: 0, fileSize: 0, zeroedEnd: 0, zeroing: null, zeroFailed: false };
    return this.#active;
  }

  async #closeActive(): Promise<void> {
    const active = this.#active;
    if (active === null) return;
    this.#active = null;
    await active.zeroing?.done;
    await active.handle.close();
  }

  protected async *_read(fromZxid: number): AsyncGenerator<TxnEntry, void, undefined> {
    for await (const run of this._readRuns(fromZxid)) yield* run;
  }

  protected override async *_readRuns(fromZxid: number): AsyncGenerator<readonly TxnEntry[], void, undefined> {
    if (fromZxid > this.#lastZxid || this.#files.length === 0) return;
    const files = this.#files.slice(firstFileFor(this.#files, fromZxid));
    const active = this.#active;
    const activeEnd = active?.durableEnd ?? 0;
    // Every file is opened before the first entry is read, so a purge or truncate running
    // meanwhile cannot pull a file from under the reader (an unlinked file stays readable).
    const opened: { ref: LogFileRef; handle: FileHandle; limit: number | null }[] = [];
    let scan: WorkerLogScan | null = null;
    try {
      for (const ref of files) {
        try {
          opened.push({ ref, handle: await open(ref.path, 'r'), limit: ref === active?.ref ? activeEnd : null });
        } catch (err) {
          // Gone since the list was taken: purged or truncated away, and so not to be read.
          if (isNotFound(err) && !this.#files.includes(ref)) continue;
          throw err;
        }
      }
      let previous = -1;
      const outOfOrder = (ref: LogFileRef, zxid: number, offset: number): StorageCorruptError => new StorageCorruptError(
        ref.path, offset, `zxid 0x${zxid.toString(16)} is not above 0x${previous.toString(16)}, the last zxid of the previous log file`);
      for (const { ref, handle, limit } of opened) {
        const size = limit ?? await checkLogHeader(handle, ref.path);
        if (size < FILE_HEADER_BYTES) continue;
        const checkZeroTail = limit === null;
        const verifiedEnd = this.#cleanEnds.get(ref.path);
        let tail: LogTail | null;
        let end: number;
        if ((verifiedEnd ?? size) - FILE_HEADER_BYTES < this.#workerRead.minBytes) {
          const scanner = new LogScanner(handle, ref.path, { limit: size, checkZeroTail, verifiedEnd });
          // A run ends where the scanner has to read from the file again.
          let run: TxnEntry[] = [];
          for (;;) {
            let entry = scanner.nextBuffered() ?? null;
            if (entry === null) {
              if (run.length > 0) yield run;
              run = [];
              entry = await scanner.next();
              if (entry === null) break;
            }
            if (entry.zxid < fromZxid) continue;
            if (entry.zxid <= previous) {
              if (run.length > 0) yield run;
              throw outOfOrder(ref, entry.zxid, entry.offset);
            }
            previous = entry.zxid;
            run.push({ zxid: entry.zxid, payload: entry.payload });
          }
          tail = scanner.tail;
          end = scanner.end;
        } else {
          // The worker skips entries below fromZxid; the ones it returns are views into one buffer.
          scan = new WorkerLogScan(handle.fd, ref.path, {
            limit: size, checkZeroTail, verifiedEnd, fromZxid, sliceBytes: this.#workerRead.sliceBytes,
          });
          for (let slice = await scan.next(); slice !== null; slice = await scan.next()) {
            this.#stats.readSlices++;
            const { index, payloads } = slice;
            const run: TxnEntry[] = [];
            let start = 0;
            for (let i = 0; i < index.length; i += 3) {
              const zxid = index[i];
              if (zxid <= previous) {
                if (run.length > 0) yield run;
                throw outOfOrder(ref, zxid, index[i + 1]);
              }
              previous = zxid;
              const payloadEnd = index[i + 2];
              run.push({ zxid, payload: Buffer.from(payloads, start, payloadEnd - start) });
              start = payloadEnd;
            }
            if (run.length > 0) yield run;
            const error = sliceError(ref.path, slice);
            if (error !== null) throw error;
          }
          tail = scan.tail;
          end = scan.end;
          scan = null;
        }
        if (checkZeroTail && tail?.kind === 'clean' && end < size) this.#cleanEnds.set(ref.path, end);
        if (tail?.kind === 'torn' && !this.#reportedTails.has(ref.path)) {
          this.#reportedTails.add(ref.path);
          this.#logger.warn(`${ref.path}: torn entry at offset ${tail.offset} (${tail.reason}) with no good entry after it; `
            + 'reading it as the end of that file, as ZooKeeper does');
        }
      }
    } finally {
      // A worker may still be reading a descriptor (a slice scanned ahead): closing it first could
      // let the number be reused for another file under that worker.
      await scan?.settle();
      await Promise.allSettled(opened.map((o) => o.handle.close()));
    }
  }

  protected async _lastZxid(): Promise<number> {
    return this.#lastZxid;
  }

  protected async _truncate(afterZxid: number): Promise<void> {
    await this.#groups.drained();
    await this.#closeActive();
    this.#cleanEnds.clear();
    const result = await truncateLogFiles(this.#dir, this.#files, afterZxid);
    this.#files = result.files;
    this.#lastZxid = result.lastZxid;
  }

  /**
   * PurgeTxnLog's rule: keep the newest file starting at or below beforeZxid (it may hold entries
   * up to and past beforeZxid) and everything after it; remove the files before it.
   */
  protected async _purgeBefore(beforeZxid: number): Promise<void> {
    const keepFrom = firstFileFor(this.#files, beforeZxid);
    const doomed = this.#files.slice(0, keepFrom).filter((ref) => ref.startZxid < beforeZxid);
    for (const ref of doomed) {
      try {
        await unlink(ref.path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#files = this.#files.filter((f) => f !== ref);
    }
  }

  protected async _close(): Promise<void> {
    await this.#groups.drained();
    await this.#closeActive();
  }
}
