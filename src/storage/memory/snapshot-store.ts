// The memory snapshot store: a snapshot becomes visible only after its last chunk arrived, which is
// all the atomicity a process-local map needs.

import { AbstractSnapshotStore } from '../abstract-snapshot-store.js';
import { StorageNotFoundError } from '../errors.js';
import type { SnapshotInfo } from '../spi.js';
import type { MemoryVolume } from './volume.js';

export class MemorySnapshotStore extends AbstractSnapshotStore {
  readonly #volume: MemoryVolume;

  constructor(volume: MemoryVolume) {
    super('memory snapshot store');
    this.#volume = volume;
  }

  protected async _write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    const copies: Buffer[] = [];
    let sizeBytes = 0;
    for await (const chunk of chunks) {
      // Copied: snapshot encoders reuse their buffers between chunks.
      copies.push(Buffer.from(chunk));
      sizeBytes += chunk.length;
    }
    const info: SnapshotInfo = Object.freeze({ zxid, sizeBytes, createdAtMs: Date.now() });
    this.#volume.snapshots.set(zxid, { info, chunks: copies });
    return info;
  }

  protected async _list(): Promise<SnapshotInfo[]> {
    return [...this.#volume.snapshots.values()].map((s) => s.info);
  }

  protected async *_open(zxid: number): AsyncGenerator<Uint8Array, void, undefined> {
    const snapshot = this.#volume.snapshots.get(zxid);
    if (snapshot === undefined) throw new StorageNotFoundError(`snapshot 0x${zxid.toString(16)}`);
    for (const chunk of snapshot.chunks) yield Buffer.from(chunk);
  }

  protected async _delete(zxid: number): Promise<void> {
    this.#volume.snapshots.delete(zxid);
  }

  protected async _close(): Promise<void> {
    // Nothing to release.
  }
}
