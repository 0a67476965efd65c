// The level backend's snapshot store: one file per snapshot beside the DB (layout.ts says where and
// why not inside it). The bytes are stored as given, uncompressed; nothing here parses them.
//
// A write goes to a temp file that is fdatasync'ed every SYNC_EVERY_BYTES, fsync'ed at the end,
// renamed to `snapshot.<zxid hex>` and made durable with an fsync of the directory: only complete
// snapshots ever carry the final name, so list() needs no content check. The periodic fdatasync
// keeps the kernel from holding hundreds of MiB of dirty pages that one final fsync would push out
// at once while the txn log waits behind it (measured in layout.ts).

import { randomBytes } from 'node:crypto';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AbstractSnapshotStore } from '../abstract-snapshot-store.js';
import { StorageNotFoundError } from '../errors.js';
import { fsyncDir, isNotFound, readFully, writeFully } from '../filelog/fs-util.js';
import type { SnapshotInfo } from '../spi.js';

const SYNC_EVERY_BYTES = 8 << 20;
const IO_CHUNK_BYTES = 1 << 20;
const SNAPSHOT_NAME = /^snapshot\.([0-9a-f]{1,14})$/;
const TEMP_NAME = /^snapshot\.[0-9a-f]{1,14}\.[0-9a-f]+\.tmp$/;

export const snapshotFileName = (zxid: number): string => `snapshot.${zxid.toString(16)}`;

/** The zxid in a complete snapshot's file name; null for any other name. */
export function parseSnapshotFileName(name: string): number | null {
  const m = SNAPSHOT_NAME.exec(name);
  if (m === null) return null;
  const zxid = Number.parseInt(m[1], 16);
  return Number.isSafeInteger(zxid) ? zxid : null;
}

export class LevelSnapshotStore extends AbstractSnapshotStore {
  readonly #dir: string;

  /** Removes temp files of writes a crash interrupted. dir must exist. */
  static async open(dir: string): Promise<LevelSnapshotStore> {
    for (const name of await readdir(dir)) {
      if (TEMP_NAME.test(name)) await unlinkIfPresent(path.join(dir, name));
    }
    return new LevelSnapshotStore(dir);
  }

  private constructor(dir: string) {
    super(`snapshots in ${dir}`);
    this.#dir = dir;
  }

  /** The directory, `<dataDir>/level/snapshots`. */
  get location(): string {
    return this.#dir;
  }

  protected async _write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const target = path.join(this.#dir, snapshotFileName(zxid));
    // Unique per write, so two writes of one zxid cannot share a temp file.
    const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx');
    let closed = false;
    try {
      const writer = new SyncingWriter(handle);
      // Each chunk is copied or written before the next is pulled: encoders reuse chunk memory.
      for await (const chunk of chunks) await writer.write(chunk);
      await writer.flush();
      await handle.sync();
      closed = true;
      await handle.close();
      await rename(temp, target);
      await fsyncDir(this.#dir);
    } catch (err) {
      if (!closed) await handle.close().catch(() => {});
      await unlinkIfPresent(temp);
      throw err;
    }
    const st = await stat(target);
    return Object.freeze({ zxid, sizeBytes: st.size, createdAtMs: st.mtimeMs, location: target });
  }

  protected async _list(): Promise<SnapshotInfo[]> {
    const infos: SnapshotInfo[] = [];
    for (const name of await readdir(this.#dir)) {
      const zxid = parseSnapshotFileName(name);
      if (zxid === null) continue;
      const file = path.join(this.#dir, name);
      try {
        const st = await stat(file);
        if (st.isFile()) infos.push(Object.freeze({ zxid, sizeBytes: st.size, createdAtMs: st.mtimeMs, location: file }));
      } catch (err) {
        if (!isNotFound(err)) throw err; // deleted meanwhile
      }
    }
    return infos;
  }

  protected async *_open(zxid: number): AsyncGenerator<Uint8Array, void, undefined> {
    const file = path.join(this.#dir, snapshotFileName(zxid));
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isNotFound(err)) throw new StorageNotFoundError(`snapshot 0x${zxid.toString(16)} in ${this.#dir}`);
      throw err;
    }
    try {
      for (let position = 0; ;) {
        // A fresh buffer per chunk: the consumer may keep it.
        const chunk = Buffer.allocUnsafe(IO_CHUNK_BYTES);
        const got = await readFully(handle, chunk, 0, IO_CHUNK_BYTES, position);
        if (got === 0) return;
        position += got;
        yield got === IO_CHUNK_BYTES ? chunk : chunk.subarray(0, got);
      }
    } finally {
      await handle.close();
    }
  }

  protected async _delete(zxid: number): Promise<void> {
    await unlinkIfPresent(path.join(this.#dir, snapshotFileName(zxid)));
  }

  protected async _close(): Promise<void> {
    // No handle outlives a call.
  }
}

/** Coalesces small chunks into 1 MiB writes, passes large ones through, and bounds dirty data. */
class SyncingWriter {
  readonly #buf = Buffer.allocUnsafe(IO_CHUNK_BYTES);
  #used = 0;
  #position = 0;
  #unsynced = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length >= IO_CHUNK_BYTES / 4) {
      await this.flush();
      await this.#writeAt(chunk, chunk.length);
      return;
    }
    if (this.#used + chunk.length > IO_CHUNK_BYTES) await this.flush();
    this.#buf.set(chunk, this.#used);
    this.#used += chunk.length;
  }

  async flush(): Promise<void> {
    if (this.#used === 0) return;
    await this.#writeAt(this.#buf, this.#used);
    this.#used = 0;
  }

  async #writeAt(bytes: Uint8Array, length: number): Promise<void> {
    await writeFully(this.handle, bytes, length, this.#position);
    this.#position += length;
    this.#unsynced += length;
    if (this.#unsynced >= SYNC_EVERY_BYTES) {
      await this.handle.datasync();
      this.#unsynced = 0;
    }
  }
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
