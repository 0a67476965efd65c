// Writing one snapshot file, and reading one back: with direct I/O (O_DIRECT) where the file system
// takes it, else through the page cache. The bytes on disk are the same either way.
//
// Why direct: a million-node snapshot is ~196 MB, written every few seconds under heavy writes.
// Through the page cache, libuv's threads copied every byte into the cache: 16-30% of a core in the
// kernel at setData 64×32 on the million-node tree (all four threads together; ~8% without
// snapshots), on a 2-core machine whose other core the server and its clients need. The dirty
// pages also had to be flushed every 256 KiB so that txn log writes did not queue behind them.
// With O_DIRECT the disk reads the bytes straight from a staging buffer, and those threads' kernel
// time fell to ~3.5% of a core. On that tree, alternating runs: 64×32 median 87k against 82k
// writes/s (nine pairs, CPU per write lower in all nine), 16×1 median 20.3k against 18.2k (five
// pairs; native-free-notes.md, session 17).
//
// Direct I/O wants the buffer's address, the file offset and the length aligned to the device's
// logical block size. JavaScript cannot see a buffer's address, so a staging buffer is allocated
// with DIRECT_ALIGN bytes to spare and the aligned start found once by trying offsets (a misaligned
// O_DIRECT write fails at once with EINVAL, before any I/O). Staging buffers go to offsets that are
// multiples of their size; the last one is padded with zeros to DIRECT_ALIGN and
// the file then cut to its true length before the fsync.
//
// A staging buffer goes to disk in writes of DIRECT_WRITE_BYTES, one after another. A txn log write
// (O_DSYNC) that arrives while the disk holds a snapshot write waits for it, and at 16×1 every
// acknowledgement waits for such a log write. With whole 1 MiB writes, on the million-node tree at
// setData 16×1, the log's group writes took p50 0.9 ms while a snapshot ran (7-15 ms in the
// disk's slow phases; 0.2 ms outside) and the server made 0.9-4.6k writes/s during snapshots
// against 17-25k outside; in writes of 128 KiB, p50 0.34-0.53 ms and 7.5-12.2k writes/s. The
// snapshot takes longer, so over a whole window the writes/s hardly moved (native-free-notes.md,
// session 20): what this buys is latency while a snapshot runs.

import { constants as fsConstants, readSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { readFully, writeFully } from './fs-util.js';
import type { StorageLogger } from './logger.js';

/** Bytes per staging buffer (and per read): two of them staged at a time, each written in pieces. */
const STAGE_BYTES = 1 << 20;
/**
 * Bytes per direct write: a multiple of DIRECT_ALIGN dividing STAGE_BYTES. Alternating runs of that
 * load: 64 KiB kept the log as fast (p50 0.36-0.38 ms) but made the snapshot take ~2.7-2.9 s
 * instead of ~1.5-2.6; 256 KiB gave the log p50 0.72-0.74 ms and 7k writes/s during snapshots.
 */
const DIRECT_WRITE_BYTES = 128 << 10;
/**
 * The pace direct writes keep at least, by default (SnapshotFileWriterOptions.directMinBytesPerSecond):
 * 96 MiB/s, a million-node snapshot in ~2-3 s (ZooKeeper's takes ~2 s). Each write ends on a turn
 * of the event loop, and under heavy load a turn takes several ms: at 64×32 on that tree, pieces of
 * 128 KiB alone made a snapshot take ~10 s (a restart replays from the start of the last one), at
 * 64 MiB/s ~4 s. A write that took t ms is followed by one of at least t × this rate, up to what is
 * left of the staging buffer; when the disk itself is slower, writes are whole buffers again.
 */
export const DIRECT_MIN_BYTES_PER_SECOND = 96 << 20;
/** The alignment direct writes keep: 4 KiB serves 512-byte and 4 KiB logical blocks alike. */
const DIRECT_ALIGN = 4096;
/** Dirty snapshot bytes allowed before an fdatasync, when writing through the page cache. */
const SYNC_EVERY_BYTES = 256 << 10;
/** Undefined where the platform has no O_DIRECT (macOS, Windows): there every write is buffered. */
const O_DIRECT: number | undefined = (fsConstants as Record<string, number | undefined>).O_DIRECT;
/** Aligned staging buffers kept for the next snapshot (they are found by probing, so worth keeping). */
const SPARE_STAGES_MAX = 4;

export interface SnapshotFileWriter {
  /** Whether the bytes go to disk by direct I/O (false: through the page cache). */
  readonly direct: boolean;
  write(chunk: Uint8Array): Promise<void>;
  /** Writes what is left, sets the file's length, fsyncs and closes it. */
  finish(): Promise<void>;
  /** Closes the file without finishing it (the caller removes it). Never throws. */
  abort(): Promise<void>;
}

export interface SnapshotFileWriterOptions {
  /** Try direct I/O (zookeeper.snapshot.directWrite, default true). */
  readonly direct: boolean;
  readonly logger: StorageLogger;
  /** See DIRECT_MIN_BYTES_PER_SECOND (the default); 0: every direct write is DIRECT_WRITE_BYTES. */
  readonly directMinBytesPerSecond?: number;
}

/** Aligned staging buffers kept for the next snapshot, by the device they were probed on. */
const spareStages: { readonly dev: number; readonly stage: Uint8Array }[] = [];
/** Set once a file system refused direct I/O: from then on this process writes through the cache. */
let directRefused = false;

/**
 * Creates `file` (which must not exist) and returns a writer for it. A file that ends within its
 * first STAGE_BYTES is written through the page cache whatever `options.direct` says: there is no
 * copy worth saving in it, and direct I/O would add the padded block and the cut back to length.
 * (On the empty server, whose snapshots are a few hundred bytes, twice a second at 64×32, runs
 * with every snapshot direct looked 5% slower in four of five pairs; with this rule the same
 * comparison is of identical code, and it moved as much: noise of this size is this machine's.)
 */
export async function createSnapshotFile(file: string, options: SnapshotFileWriterOptions): Promise<SnapshotFileWriter> {
  if (options.direct && O_DIRECT !== undefined && !directRefused) {
    return new HeadFirstWriter(file, options.logger, options.directMinBytesPerSecond ?? DIRECT_MIN_BYTES_PER_SECOND);
  }
  return new BufferedWriter(await open(file, 'wx'));
}

/** Holds the first STAGE_BYTES; a file that grows past them goes on by direct I/O. */
class HeadFirstWriter implements SnapshotFileWriter {
  readonly #head = Buffer.allocUnsafe(STAGE_BYTES);
  #used = 0;
  #sink: SnapshotFileWriter | null = null;

  constructor(private readonly file: string, private readonly logger: StorageLogger, private readonly minBytesPerSecond: number) {}

  get direct(): boolean {
    return this.#sink?.direct ?? false;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#sink !== null) return this.#sink.write(chunk);
    if (this.#used + chunk.length <= STAGE_BYTES) {
      this.#head.set(chunk, this.#used);
      this.#used += chunk.length;
      return;
    }
    this.#sink = await openDirect(this.file, this.logger, this.minBytesPerSecond);
    await this.#sink.write(this.#head.subarray(0, this.#used));
    await this.#sink.write(chunk);
  }

  async finish(): Promise<void> {
    // A file that never outgrew the head: the head becomes the page-cache writer's buffer.
    this.#sink ??= new BufferedWriter(await open(this.file, 'wx'), this.#head, this.#used);
    await this.#sink.finish();
  }

  async abort(): Promise<void> {
    await this.#sink?.abort();
  }
}

/** Creates `file` O_DIRECT; where the file system refuses, a page-cache writer for it instead. */
async function openDirect(file: string, logger: StorageLogger, minBytesPerSecond: number): Promise<SnapshotFileWriter> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (O_DIRECT ?? 0), 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  }
  if (handle !== null) {
    const stages = await stagesFor(handle, 'write');
    if (stages !== null) return new DirectWriter(handle, file, stages, logger, minBytesPerSecond / 1000);
    await handle.close();
  }
  // The file system refused O_DIRECT at open (EINVAL) or every alignment tried: say so once and
  // write through the page cache from now on. The open may have created the file already.
  directRefused = true;
  logger.warn(`direct I/O refused for ${file}; snapshots are written through the page cache`);
  return new BufferedWriter(await open(file, 'w'));
}

/** Two staging buffers for `handle`'s device (null: no alignment works); closes it on an error. */
async function stagesFor(handle: FileHandle, probe: 'read' | 'write'): Promise<DeviceStages | null> {
  try {
    return takeStages(handle.fd, (await handle.stat()).dev, 2, probe);
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * `count` aligned staging buffers for device `dev`, spares first; new ones are probed against `fd`,
 * an O_DIRECT file of ours: by writing its first block (which the snapshot later overwrites), or by
 * reading it. Null when no offset works: the file system wants an alignment beyond DIRECT_ALIGN.
 */
function takeStages(fd: number, dev: number, count: number, probe: 'read' | 'write'): DeviceStages | null {
  const out: Uint8Array[] = [];
  while (out.length < count) {
    const i = spareStages.findIndex((s) => s.dev === dev);
    if (i >= 0) {
      out.push(spareStages.splice(i, 1)[0].stage);
      continue;
    }
    const raw = Buffer.allocUnsafeSlow(STAGE_BYTES + DIRECT_ALIGN);
    const start = alignedStart(fd, raw, probe);
    if (start < 0) {
      returnStages(dev, out);
      return null;
    }
    out.push(raw.subarray(start, start + STAGE_BYTES));
  }
  return Object.assign(out, { dev });
}

type DeviceStages = Uint8Array[] & { readonly dev: number };

/** The first offset into `raw` from which a DIRECT_ALIGN-byte direct write (or read) succeeds, or -1. */
function alignedStart(fd: number, raw: Uint8Array, probe: 'read' | 'write'): number {
  raw.fill(0, 0, 2 * DIRECT_ALIGN);
  // Allocations are at least 16-byte aligned. A short O_DIRECT write can succeed misaligned on
  // some file systems, so the probe moves a whole DIRECT_ALIGN (a read may return fewer bytes at
  // the end of the file; a misaligned one fails before any I/O).
  for (let offset = 0; offset < DIRECT_ALIGN; offset += 16) {
    try {
      if (probe === 'write') writeSync(fd, raw, offset, DIRECT_ALIGN, 0);
      else readSync(fd, raw, offset, DIRECT_ALIGN, 0);
      return offset;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  return -1;
}

function returnStages(dev: number, stages: readonly Uint8Array[]): void {
  for (const stage of stages) if (spareStages.length < SPARE_STAGES_MAX) spareStages.push({ dev, stage });
}

/** One O_DIRECT write at a time while the next staging buffer fills. */
class DirectWriter implements SnapshotFileWriter {
  readonly direct = true;
  #stages: DeviceStages | null;
  #current = 0;
  #used = 0;
  /** File offset of the current stage's first byte. */
  #position = 0;
  #inFlight: Promise<void> | null = null;
  #closed = false;
  /** From the last write's start until this thread saw it end (the disk's time and the event loop's). */
  #lastWriteMs = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly file: string,
    stages: DeviceStages,
    private readonly logger: StorageLogger,
    /** The pace writes keep at least, bytes per ms (see #writeInPieces). */
    private readonly minBytesPerMs: number,
  ) {
    this.#stages = stages;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const stages = this.#live();
    let from = 0;
    while (from < chunk.length) {
      const n = Math.min(chunk.length - from, STAGE_BYTES - this.#used);
      stages[this.#current].set(n === chunk.length ? chunk : chunk.subarray(from, from + n), this.#used);
      this.#used += n;
      from += n;
      if (this.#used === STAGE_BYTES) await this.#issue(STAGE_BYTES);
    }
  }

  async finish(): Promise<void> {
    const stages = this.#live();
    const length = this.#position + this.#used;
    if (this.#used > 0) {
      const padded = Math.ceil(this.#used / DIRECT_ALIGN) * DIRECT_ALIGN;
      stages[this.#current].fill(0, this.#used, padded);
      await this.#issue(padded);
    }
    await this.#settle();
    await this.handle.truncate(length);
    await this.handle.sync();
    this.#closed = true;
    await this.handle.close();
    this.#release();
  }

  async abort(): Promise<void> {
    await this.#inFlight?.catch(() => {});
    this.#inFlight = null;
    if (!this.#closed) {
      this.#closed = true;
      await this.handle.close().catch(() => {});
    }
    this.#release();
  }

  /** Writes `length` bytes of the current stage at its offset, after the write before it ends. */
  async #issue(length: number): Promise<void> {
    await this.#settle();
    const write = this.#writeInPieces(this.#live()[this.#current], length, this.#position);
    // Awaited by the next #issue or by finish/abort; this only keeps a failure from going unhandled.
    write.catch(() => {});
    this.#inFlight = write;
    this.#position += STAGE_BYTES;
    this.#current ^= 1;
    this.#used = 0;
  }

  /**
   * `length` bytes of `stage` at `position`, one write at a time: DIRECT_WRITE_BYTES each, or more
   * when the last one took long enough that pieces that small would fall below minBytesPerMs.
   */
  async #writeInPieces(stage: Uint8Array, length: number, position: number): Promise<void> {
    for (let from = 0; from < length;) {
      const due = Math.ceil((this.#lastWriteMs * this.minBytesPerMs) / DIRECT_ALIGN) * DIRECT_ALIGN;
      const n = Math.min(length - from, Math.max(DIRECT_WRITE_BYTES, due));
      directWriteStats.writes++;
      directWriteStats.largestBytes = Math.max(directWriteStats.largestBytes, n);
      const started = performance.now();
      await writeFully(this.handle, stage.subarray(from, from + n), n, position + from);
      this.#lastWriteMs = performance.now() - started;
      from += n;
    }
  }

  async #settle(): Promise<void> {
    const write = this.#inFlight;
    this.#inFlight = null;
    try {
      await write;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL' && !directRefused) {
        // The probe passed, yet a full-size write was refused: do not try again in this process.
        directRefused = true;
        this.logger.warn(`a direct write to ${this.file} was refused (EINVAL); later snapshots are written through the page cache`);
      }
      throw err;
    }
  }

  #live(): Uint8Array[] {
    if (this.#stages === null) throw new Error(`snapshot file ${this.file} is already closed`);
    return this.#stages;
  }

  #release(): void {
    if (this.#stages !== null) returnStages(this.#stages.dev, this.#stages);
    this.#stages = null;
  }
}

/** Direct writes made by this process, and the largest (for tests: see DIRECT_WRITE_BYTES). */
export const directWriteStats = { writes: 0, largestBytes: 0 };

/**
 * Through the page cache: turns small chunks into large writes, passes large ones straight through,
 * and fdatasyncs every SYNC_EVERY_BYTES: a txn log write waits behind whatever snapshot bytes the
 * disk is flushing when it arrives, so those must be few. Measured on a million-node snapshot (187
 * MiB) with a log append every millisecond: one final fsync stalled appends ~375 ms (level backend);
 * a sync every 8 MiB gave append p99/max 24/30 ms during the snapshot, every 1 MiB 8-10/20-32 ms,
 * every 256 KiB 6-7/12-13 ms (before it: 1.2/4 ms), for a snapshot ~10% slower. A sync runs while
 * the next chunk is written (at most one at a time): under load, waiting for each one cost
 * event-loop turns that made a million-node snapshot at 64×32 writes take 3.3-3.8 s instead of
 * 2.2-2.8 s.
 */
class BufferedWriter implements SnapshotFileWriter {
  readonly direct = false;
  readonly #buf: Buffer;
  #used: number;
  #position = 0;
  #unsynced = 0;
  #syncing: Promise<void> | null = null;
  #closed = false;

  /** `buf` may arrive holding the file's first `used` bytes. */
  constructor(private readonly handle: FileHandle, buf = Buffer.allocUnsafe(STAGE_BYTES), used = 0) {
    this.#buf = buf;
    this.#used = used;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length >= this.#buf.length / 4) {
      await this.#flush();
      await this.#writeAt(chunk, chunk.length);
      return;
    }
    if (this.#used + chunk.length > this.#buf.length) await this.#flush();
    this.#buf.set(chunk, this.#used);
    this.#used += chunk.length;
  }

  async finish(): Promise<void> {
    await this.#flush();
    await this.#settle();
    await this.handle.sync();
    this.#closed = true;
    await this.handle.close();
  }

  async abort(): Promise<void> {
    await this.#syncing?.catch(() => {});
    this.#syncing = null;
    if (this.#closed) return;
    this.#closed = true;
    await this.handle.close().catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    await this.#writeAt(this.#buf, this.#used);
    this.#used = 0;
  }

  /** Resolves when every sync started so far has finished; rejects with the first failure. */
  async #settle(): Promise<void> {
    const syncing = this.#syncing;
    this.#syncing = null;
    await syncing;
  }

  async #writeAt(bytes: Uint8Array, length: number): Promise<void> {
    await writeFully(this.handle, bytes, length, this.#position);
    this.#position += length;
    this.#unsynced += length;
    if (this.#unsynced >= SYNC_EVERY_BYTES) {
      // At most one sync is outstanding, so the disk never holds much more than two chunks of
      // this file unflushed.
      await this.#settle();
      this.#syncing = this.handle.datasync();
      // Awaited by the next sync or by finish(); this only keeps a failure from going unhandled.
      this.#syncing.catch(() => {});
      this.#unsynced = 0;
    }
  }
}

/**
 * The bytes of `file` in chunks of up to STAGE_BYTES, read by direct I/O with the next read under
 * way while a chunk is handed on; null where direct reads are refused (the caller reads through the
 * page cache). Each chunk is a fresh copy: the consumer may keep it.
 *
 * Why: snapshots written by direct I/O are not in the page cache. Read through it at a restart, a
 * million-node file cost ~0.35 s of kernel time to fill the cache, on a machine whose two cores the
 * restore keeps busy: loads took 2.5-2.6 s against 2.0-2.2 s for files written through the cache.
 */
export async function readDirect(file: string): Promise<AsyncGenerator<Uint8Array, void, undefined> | null> {
  const reader = await SnapshotFileReader.openDirect(file);
  return reader === null ? null : copiedChunks(reader);
}

async function* copiedChunks(reader: SnapshotFileReader): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    for (let chunk = await reader.next(); chunk !== null; chunk = await reader.next()) yield Buffer.from(chunk);
  } finally {
    await reader.close();
  }
}

/**
 * Reads STAGE_BYTES at `position` (a multiple of it) until they are in or the file ends. Not
 * fs-util's readFully: after the short read at the end of the file it would read once more at an
 * unaligned offset, which a direct read refuses.
 */
async function readStage(handle: FileHandle, stage: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < STAGE_BYTES) {
    // A direct read's offset and length stay aligned: a short read happens only at the end.
    const { bytesRead } = await handle.read(stage, done, STAGE_BYTES - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
    if (done % DIRECT_ALIGN !== 0) break;
  }
  return done;
}

/**
 * A snapshot file read in chunks through two buffers of the reader's own, by direct I/O where the
 * device allows it (else through the page cache), the next read under way while a chunk is in
 * use. A chunk is valid until next() is called again: for a reader that parses each chunk as it
 * comes (the restore's worker), with no copy and no fresh memory per chunk.
 */
export class SnapshotFileReader {
  #reading: Promise<number> | null;
  #current = 0;
  #position = 0;
  #closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly buffers: Uint8Array[],
    private readonly stages: DeviceStages | null,
  ) {
    this.#reading = this.#read(0, 0);
  }

  /** By direct I/O where the device allows it, else through the page cache. */
  static async open(file: string): Promise<SnapshotFileReader> {
    const direct = await SnapshotFileReader.openDirect(file);
    if (direct !== null) return direct;
    const handle = await open(file, 'r');
    return new SnapshotFileReader(handle, [Buffer.allocUnsafeSlow(STAGE_BYTES), Buffer.allocUnsafeSlow(STAGE_BYTES)], null);
  }

  /** By direct I/O; null where it is refused (the file system, or no alignment that works). */
  static async openDirect(file: string): Promise<SnapshotFileReader | null> {
    if (O_DIRECT === undefined || directRefused) return null;
    let handle: FileHandle;
    try {
      handle = await open(file, fsConstants.O_RDONLY | O_DIRECT);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL') return null;
      throw err;
    }
    const stages = await stagesFor(handle, 'read');
    if (stages === null) {
      await handle.close();
      return null;
    }
    return new SnapshotFileReader(handle, stages, stages);
  }

  /** The next chunk, null at the end of the file. */
  async next(): Promise<Uint8Array | null> {
    const reading = this.#reading;
    if (reading === null) return null;
    const got = await reading;
    const buffer = this.buffers[this.#current];
    this.#position += got;
    this.#current ^= 1;
    // Only a full chunk can have more behind it; the next read goes to the buffer not handed out.
    this.#reading = got === STAGE_BYTES ? this.#read(this.#current, this.#position) : null;
    return got === 0 ? null : buffer.subarray(0, got);
  }

  /** Closes the file once no read is under way; the chunks handed out are not to be used after. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reading?.catch(() => 0);
    this.#reading = null;
    await this.handle.close();
    if (this.stages !== null) returnStages(this.stages.dev, this.stages);
  }

  #read(index: number, position: number): Promise<number> {
    const buffer = this.buffers[index];
    const done = this.stages !== null ? readStage(this.handle, buffer, position) : readFully(this.handle, buffer, 0, STAGE_BYTES, position);
    // Awaited by next() or close(); this only keeps a failure from going unhandled meanwhile.
    done.catch(() => {});
    return done;
  }
}
