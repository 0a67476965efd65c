// Small file-system helpers shared by the filelog stores: directory fsync (so a create, rename or
// unlink survives a power cut), cutting a torn file durably, and complete positional writes and reads.

import { writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Makes the directory's entries durable. ZooKeeper never does this (it fsyncs file contents only),
 * which leaves a freshly created log or a renamed snapshot at the mercy of the file system's
 * journal ordering; one extra fsync per new file is cheap.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Truncates a file to `length` bytes and fsyncs it (a torn tail cut off for good). */
export async function cutFile(file: string, length: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** pwrite until every byte is written (a regular file may still take a short write). */
export async function writeFully(handle: FileHandle, buf: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(buf, done, length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    done += bytesWritten;
  }
}

/** writeFully on the calling thread (a blocking pwrite), for a raw fd. */
export function writeFullySync(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const bytesWritten = writeSync(fd, buf, done, length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    done += bytesWritten;
  }
}

/** What the log readers need of a file: positional reads (a FileHandle, or a raw fd in a worker). */
export interface PositionalReader {
  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** pread until length bytes or end of file; returns the number of bytes read. */
export async function readFully(handle: PositionalReader, buf: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}
