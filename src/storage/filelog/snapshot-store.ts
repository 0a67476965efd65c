// The filelog snapshot store: ZooKeeper's `dataDir/version-2/snapshot.<zxid>[.gz|.snappy]` files.
// It stores the bytes it is given and does not parse them; the grammar it relies on is only the
// end of an uncompressed snapshot (the whole format lives with the snapshot encoder):
//
//   SnapshotFile := CheckedStream | GzipStream | SnappyStream          (chosen by file extension)
//   CheckedStream:= FileHeader("ZKSN", 2, dbid -1) sessions tree Seal [ZxidDigest Seal]
//   Seal         := checksum:long "/":string       (so a complete file ends 00 00 00 01 2F)
//   GzipStream   := gzip(CheckedStream)            (RFC 1952, starts 1f 8b)
//   SnappyStream := see snappy.ts                  (starts 82 "SNAPPY" 00)
//
// Validity, as ZooKeeper's SnapStream.isValidSnapshot judges it: an uncompressed file of at least
// 10 bytes ending with the seal's last 5 bytes; a .gz or .snappy file whose first bytes are the
// format's magic (ZooKeeper decompresses nothing to list; a torn compressed file shows up when
// opened, as a StorageCorruptError, and the caller moves on to an older snapshot as ZooKeeper does).
//
// Writes are atomic: temp file in the same directory, fsync, rename, fsync of the directory.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Readable, type Transform } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { AbstractSnapshotStore } from '../abstract-snapshot-store.js';
import { StorageCorruptError, StorageNotFoundError } from '../errors.js';
import type { SnapshotInfo } from '../spi.js';
import { fsyncDir, isNotFound, readFully } from './fs-util.js';
import { createSnapshotFile, readDirect, type SnapshotFileWriter } from './snapshot-file-io.js';
import { stderrLogger, type StorageLogger } from './logger.js';
import {
  hexZxid, parseSnapshotFileName, SNAPSHOT_EXTENSION, SNAPSHOT_PREFIX, snapshotFileName, TMP_SUFFIX,
  type SnapshotCompression,
} from './names.js';
import { readSnappyStream, SNAPPY_MAGIC } from './snappy.js';

/** What write() produces; snappy snapshots are read but not written. */
export type SnapshotWriteCompression = 'none' | 'gz';

export interface FileSnapshotStoreOptions {
  /** `<dataDir>/version-2`. Must exist. */
  readonly dir: string;
  /** ZooKeeper's zookeeper.snapshot.compression.method; default 'none' (its CHECKED mode). */
  readonly compression?: SnapshotWriteCompression;
  /** Write snapshot files by direct I/O where the file system allows it (default true; snapshot-file-io.ts). */
  readonly directWrite?: boolean;
  /** The pace direct writes keep at least (default DIRECT_MIN_BYTES_PER_SECOND; snapshot-file-io.ts). */
  readonly directMinBytesPerSecond?: number;
  readonly logger?: StorageLogger;
}

const SEAL_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x01, 0x2f]);
const MIN_CHECKED_BYTES = 10;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const IO_CHUNK_BYTES = 1 << 20;
const TEMP_NAME = /^snapshot\..*\.tmp$/;

interface SnapshotFile {
  readonly path: string;
  readonly zxid: number;
  readonly compression: SnapshotCompression;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
}

export class FileSnapshotStore extends AbstractSnapshotStore {
  readonly #dir: string;
  readonly #compression: SnapshotWriteCompression;
  readonly #directWrite: boolean;
  readonly #directMinBytesPerSecond: number | undefined;
  readonly #logger: StorageLogger;
  #directWrites = 0;

  /** Removes temp files left by a write that a crash interrupted (ours or ZooKeeper's). */
  static async open(options: FileSnapshotStoreOptions): Promise<FileSnapshotStore> {
    const logger = options.logger ?? stderrLogger;
    for (const name of await readdir(options.dir)) {
      if (!TEMP_NAME.test(name)) continue;
      logger.info(`removing ${path.join(options.dir, name)}: an unfinished snapshot write`);
      await unlinkIfPresent(path.join(options.dir, name));
    }
    return new FileSnapshotStore(options);
  }

  /** Snapshots this store wrote to disk by direct I/O (the others went through the page cache). */
  get directWrites(): number {
    return this.#directWrites;
  }

  /** The directory, `<dataDir>/version-2`. */
  get location(): string {
    return this.#dir;
  }

  private constructor(options: FileSnapshotStoreOptions) {
    super(`snapshots in ${options.dir}`);
    const compression = options.compression ?? 'none';
    if (compression !== 'none' && compression !== 'gz') {
      throw new RangeError(`snapshot compression "${String(compression)}" cannot be written (use none or gz; snappy is read-only)`);
    }
    this.#dir = options.dir;
    this.#compression = compression;
    this.#directWrite = options.directWrite ?? true;
    this.#directMinBytesPerSecond = options.directMinBytesPerSecond;
    this.#logger = options.logger ?? stderrLogger;
  }

  protected async _write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const name = snapshotFileName(zxid, this.#compression);
    const target = path.join(this.#dir, name);
    // Unique per write, so two writes of one zxid cannot share a temp file; ZooKeeper skips
    // `*.tmp` when it looks for snapshots.
    const temp = path.join(this.#dir, `${name}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
    let writer: SnapshotFileWriter | null = null;
    try {
      writer = await createSnapshotFile(temp, {
        direct: this.#directWrite, logger: this.#logger, directMinBytesPerSecond: this.#directMinBytesPerSecond,
      });
      const out = writer;
      if (this.#compression === 'gz') {
        await pipelinePromise(Readable.from(chunks, { objectMode: false }), createGzip(), async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) await out.write(chunk);
        });
      } else {
        for await (const chunk of chunks) await out.write(chunk);
      }
      await out.finish();
      if (out.direct) this.#directWrites++;
      await rename(temp, target);
      await fsyncDir(this.#dir);
    } catch (err) {
      await writer?.abort();
      await unlinkIfPresent(temp);
      throw err;
    }
    // The same zxid in another format would shadow or duplicate this one in list().
    for (const other of ['none', 'gz', 'snappy'] as const) {
      if (other !== this.#compression) await unlinkIfPresent(path.join(this.#dir, snapshotFileName(zxid, other)));
    }
    const st = await stat(target);
    return Object.freeze({ zxid, sizeBytes: st.size, createdAtMs: st.mtimeMs, location: target });
  }

  protected async _list(): Promise<SnapshotInfo[]> {
    const byZxid = new Map<number, SnapshotFile>();
    for (const file of await this.#validFiles()) {
      const seen = byZxid.get(file.zxid);
      if (seen === undefined || file.mtimeMs > seen.mtimeMs) byZxid.set(file.zxid, file);
    }
    return [...byZxid.values()].map((f) => Object.freeze({
      zxid: f.zxid, sizeBytes: f.sizeBytes, createdAtMs: f.mtimeMs, location: f.path,
    }));
  }

  protected async *_open(zxid: number): AsyncGenerator<Uint8Array, void, undefined> {
    const file = await this.#find(zxid);
    switch (file.compression) {
      case 'none':
        // Direct reads with direct writes: a snapshot this store wrote is not in the page cache.
        yield* (this.#directWrite ? await readDirect(file.path) : null) ?? readPlain(file.path);
        return;
      case 'gz':
        yield* readGzip(file.path);
        return;
      case 'snappy': {
        const handle = await open(file.path, 'r');
        try {
          yield* readSnappyStream(handle, file.path);
        } finally {
          await handle.close();
        }
      }
    }
  }

  async plainFile(zxid: number): Promise<string | null> {
    try {
      const file = await this.#find(zxid);
      return file.compression === 'none' ? file.path : null;
    } catch (err) {
      if (err instanceof StorageNotFoundError) return null;
      throw err;
    }
  }

  protected async _delete(zxid: number): Promise<void> {
    for (const compression of ['none', 'gz', 'snappy'] as const) {
      await unlinkIfPresent(path.join(this.#dir, snapshotFileName(zxid, compression)));
    }
  }

  protected async _close(): Promise<void> {
    // No handle outlives a call.
  }

  async #find(zxid: number): Promise<SnapshotFile> {
    const candidates: SnapshotFile[] = [];
    const invalid: string[] = [];
    for (const compression of Object.keys(SNAPSHOT_EXTENSION) as SnapshotCompression[]) {
      const file = await describe(path.join(this.#dir, snapshotFileName(zxid, compression)), zxid, compression);
      if (file === null) continue;
      if (await isValidSnapshot(file)) candidates.push(file);
      else invalid.push(path.basename(file.path));
    }
    if (candidates.length === 0) {
      const why = invalid.length === 0 ? '' : ` (${invalid.join(', ')} exists but is not a complete snapshot)`;
      throw new StorageNotFoundError(`snapshot 0x${hexZxid(zxid)} in ${this.#dir}${why}`);
    }
    return candidates.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  }

  async #validFiles(): Promise<SnapshotFile[]> {
    const files: SnapshotFile[] = [];
    for (const name of await readdir(this.#dir)) {
      if (!name.startsWith(`${SNAPSHOT_PREFIX}.`)) continue;
      const parsed = parseSnapshotFileName(name);
      if (parsed === null) continue;
      const file = await describe(path.join(this.#dir, name), parsed.zxid, parsed.compression);
      if (file !== null && await isValidSnapshot(file)) files.push(file);
    }
    return files;
  }
}

async function describe(file: string, zxid: number, compression: SnapshotCompression): Promise<SnapshotFile | null> {
  try {
    const st = await stat(file);
    return st.isFile() ? { path: file, zxid, compression, sizeBytes: st.size, mtimeMs: st.mtimeMs } : null;
  } catch (err) {
    if (isNotFound(err)) return null; // deleted meanwhile
    throw err;
  }
}

/** SnapStream.isValidSnapshot: the seal for plain files, the magic for compressed ones. */
async function isValidSnapshot(file: SnapshotFile): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, 'r');
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  try {
    switch (file.compression) {
      case 'none': {
        if (file.sizeBytes < MIN_CHECKED_BYTES) return false;
        return (await readAt(handle, file.sizeBytes - SEAL_TAIL.length, SEAL_TAIL.length)).equals(SEAL_TAIL);
      }
      case 'gz':
        return (await readAt(handle, 0, GZIP_MAGIC.length)).equals(GZIP_MAGIC);
      case 'snappy':
        return (await readAt(handle, 0, SNAPPY_MAGIC.length)).equals(SNAPPY_MAGIC);
    }
  } finally {
    await handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const got = await readFully(handle, buf, 0, length, position);
  return buf.subarray(0, got);
}

/**
 * The bytes of an uncompressed snapshot file in 1 MiB chunks; `onFileBytes` hears how far the file
 * has been read after each chunk is consumed (the inspect tools show progress with it).
 */
export async function* readPlain(
  file: string, onFileBytes?: (bytesRead: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const handle = await open(file, 'r');
  try {
    for (let position = 0; ;) {
      // A fresh buffer per chunk: the consumer may keep it.
      const chunk = Buffer.allocUnsafe(IO_CHUNK_BYTES);
      const got = await readFully(handle, chunk, 0, IO_CHUNK_BYTES, position);
      if (got === 0) return;
      position += got;
      yield got === IO_CHUNK_BYTES ? chunk : chunk.subarray(0, got);
      onFileBytes?.(position);
    }
  } finally {
    await handle.close();
  }
}

async function* readGzip(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  const out: Transform = pipeline(createReadStream(file, { highWaterMark: IO_CHUNK_BYTES }), gunzip, () => {});
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } catch (err) {
    if (isNotFound(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new StorageCorruptError(file, gunzip.bytesWritten, `cannot gunzip: ${reason}`, { cause: err });
  }
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
