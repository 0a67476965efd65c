// The base every SnapshotStore backend extends: public methods check arguments and state, `_method`s
// implement. It also hands backends a chunk stream that is already type-checked, and sorts list().

import { checkNonNegativeInteger } from './checks.js';
import { StorageClosedError, StorageInvalidArgumentError } from './errors.js';
import type { SnapshotInfo, SnapshotStore } from './spi.js';

export abstract class AbstractSnapshotStore implements SnapshotStore {
  #closing: Promise<void> | null = null;
  /** Writes and deletes under way; close() lets them finish rather than cut a rename in half. */
  readonly #inflight = new Set<Promise<unknown>>();

  /** @param description names the store in errors ("memory snapshots", "snapshots in /data/version-2"). */
  protected constructor(protected readonly description: string) {}

  /**
   * Must be atomic (see SnapshotStore.write) and must let an error thrown by `chunks` propagate
   * unchanged after discarding the partial snapshot.
   */
  protected abstract _write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo>;
  /** Complete snapshots in any order. */
  protected abstract _list(): Promise<SnapshotInfo[]>;
  /** Must throw StorageNotFoundError when there is no snapshot at zxid. */
  protected abstract _open(zxid: number): AsyncIterable<Uint8Array>;
  /** Must succeed when there is nothing to delete. */
  protected abstract _delete(zxid: number): Promise<void>;
  protected abstract _close(): Promise<void>;

  write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    try {
      checkNonNegativeInteger('snapshot zxid', zxid);
      if (chunks === null || typeof chunks !== 'object' || typeof chunks[Symbol.asyncIterator] !== 'function') {
        throw new StorageInvalidArgumentError('snapshot chunks must be an AsyncIterable<Uint8Array>');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#track(this._write(zxid, checkedChunks(chunks)));
  }

  async list(): Promise<SnapshotInfo[]> {
    if (this.#closing !== null) throw new StorageClosedError(this.description);
    const infos = await this._list();
    return infos.slice().sort((a, b) => b.zxid - a.zxid);
  }

  open(zxid: number): AsyncIterable<Uint8Array> {
    return this.#iterate(zxid);
  }

  delete(zxid: number): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    try {
      checkNonNegativeInteger('snapshot zxid', zxid);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#track(this._delete(zxid));
  }

  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([...this.#inflight]).then(() => this._close());
    return this.#closing;
  }

  async *#iterate(zxid: number): AsyncGenerator<Uint8Array, void, undefined> {
    if (this.#closing !== null) throw new StorageClosedError(this.description);
    checkNonNegativeInteger('snapshot zxid', zxid);
    for await (const chunk of this._open(zxid)) {
      if (this.#closing !== null) throw new StorageClosedError(this.description);
      yield chunk;
      // Checked again on resumption: a reader paused across close() must not finish quietly.
      if (this.#closing !== null) throw new StorageClosedError(this.description);
    }
  }

  #track<T>(op: Promise<T>): Promise<T> {
    this.#inflight.add(op);
    const forget = (): void => { this.#inflight.delete(op); };
    op.then(forget, forget);
    return op;
  }
}

async function* checkedChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) {
      throw new StorageInvalidArgumentError(`snapshot chunk must be a Uint8Array, got ${typeof chunk}`);
    }
    yield chunk;
  }
}
