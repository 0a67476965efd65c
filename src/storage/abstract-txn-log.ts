// The base every TxnLog backend extends: the public methods check arguments, state and ordering,
// the `_method`s implement (the abstract-level pattern), so all backends share one set of rules.
//
// Ordering model, which backends can rely on:
// - _append calls are made in call order and may overlap (that is what lets a backend merge them
//   into one fsync); _roll and _purgeBefore may overlap appends but not each other's order.
// - _truncate and _close run alone: after every earlier write settled, before any later one starts.
// - _read may run at any time, concurrently with anything.
// The base, not the backend, makes acks resolve in call order and stops writes after a failure.

import { checkNonNegativeInteger } from './checks.js';
import {
  StorageClosedError, StorageInvalidArgumentError, StorageWriteFailedError, ZxidOrderError,
} from './errors.js';
import type { AppendOptions, TxnEntry, TxnLog } from './spi.js';
import { payloadZxid } from './txn-entry.js';

const ignore = (): void => {};

type Failure = { readonly error: unknown } | null;

export abstract class AbstractTxnLog implements TxnLog {
  /** Highest zxid accepted for writing, durable or not: the floor the next append must exceed. */
  #acceptedZxid: number;
  /** Orders the dispatch of operations; advances once an op is handed to the backend, not when durable. */
  #turn: Promise<void> = Promise.resolve();
  /** First failure among the appends dispatched so far (null: none). Acks chain on it to resolve in order. */
  #durable: Promise<Failure> = Promise.resolve(null);
  /** Settles when every op dispatched so far has settled; exclusive ops wait on it. Never rejects. */
  #idle: Promise<void> = Promise.resolve();
  #failure: Failure = null;
  #closing: Promise<void> | null = null;

  /**
   * @param description names the log in errors ("memory txn log", "txn log in /data/version-2").
   * @param lastZxid the last zxid already in the log, found by the backend's recovery.
   */
  protected constructor(protected readonly description: string, lastZxid: number) {
    this.#acceptedZxid = checkNonNegativeInteger('lastZxid', lastZxid);
  }

  protected abstract _append(batch: readonly TxnEntry[], options: AppendOptions): Promise<void>;
  protected abstract _read(fromZxid: number): AsyncIterable<TxnEntry>;
  /** What readRuns() checks and hands on; by default each entry of _read is a run of its own. */
  protected async *_readRuns(fromZxid: number): AsyncGenerator<readonly TxnEntry[], void, undefined> {
    for await (const entry of this._read(fromZxid)) yield [entry];
  }
  protected abstract _lastZxid(): Promise<number>;
  protected abstract _truncate(afterZxid: number): Promise<void>;
  protected abstract _purgeBefore(beforeZxid: number): Promise<void>;
  protected abstract _roll(): Promise<void>;
  protected abstract _close(): Promise<void>;

  append(entries: readonly TxnEntry[], options: AppendOptions = {}): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    if (!Array.isArray(entries)) {
      return Promise.reject(new StorageInvalidArgumentError('append takes an array of txn entries'));
    }
    // Copied so that a caller reusing its array cannot change a batch between check and write.
    const batch: readonly TxnEntry[] = entries.slice();
    return this.#dispatch(() => {
      this.#checkNotFailed();
      const last = checkBatch(batch, this.#acceptedZxid);
      if (batch.length === 0) {
        // An empty batch is a barrier: it resolves once every earlier append is durable.
        return this.#durable.then((before) => {
          if (before !== null) throw new StorageWriteFailedError(before.error);
        });
      }
      this.#acceptedZxid = last;
      let written: Promise<void>;
      try {
        written = this._append(batch, options);
      } catch (error) {
        written = Promise.reject(error);
      }
      const own = written.then((): Failure => null, (error: unknown): Failure => {
        this.#failure ??= { error };
        return { error };
      });
      const outcome = Promise.all([this.#durable, own]);
      this.#durable = outcome.then(([before, mine]) => before ?? mine);
      return outcome.then(([before, mine]) => {
        if (mine !== null) throw mine.error;
        // Written, but an earlier batch was not: acking this one would leave a hole under it.
        if (before !== null) throw new StorageWriteFailedError(before.error);
      });
    });
  }

  read(fromZxid: number): AsyncIterable<TxnEntry> {
    return this.#iterate(fromZxid);
  }

  readRuns(fromZxid: number): AsyncIterable<readonly TxnEntry[]> {
    return this.#iterateRuns(fromZxid);
  }

  lastZxid(): Promise<number> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    // Waits for every write issued before it, so a caller sees its own appends and truncates.
    const earlier = this.#idle;
    return this.#dispatch(() => earlier.then(() => this._lastZxid()));
  }

  truncate(afterZxid: number): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    try {
      checkNonNegativeInteger('afterZxid', afterZxid);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#exclusive(async () => {
      this.#checkNotFailed();
      try {
        await this._truncate(afterZxid);
        this.#acceptedZxid = await this._lastZxid();
      } catch (error) {
        this.#failure ??= { error };
        throw error;
      }
    });
  }

  purgeBefore(beforeZxid: number): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    try {
      checkNonNegativeInteger('beforeZxid', beforeZxid);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#dispatch(() => {
      this.#checkNotFailed();
      return this._purgeBefore(beforeZxid);
    });
  }

  roll(): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    return this.#dispatch(() => {
      this.#checkNotFailed();
      return this._roll();
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#exclusive(() => this._close());
    return this.#closing;
  }

  /** True once close() was called: the moment from which new operations are refused. */
  protected get closed(): boolean {
    return this.#closing !== null;
  }

  async *#iterate(fromZxid: number): AsyncGenerator<TxnEntry, void, undefined> {
    if (this.#closing !== null) throw new StorageClosedError(this.description);
    checkNonNegativeInteger('fromZxid', fromZxid);
    let previous = -1;
    for await (const entry of this._read(fromZxid)) {
      if (this.#closing !== null) throw new StorageClosedError(this.description);
      previous = this.#inOrder(entry.zxid, fromZxid, previous);
      yield entry;
      // Checked again on resumption: a reader paused across close() must not finish quietly.
      if (this.#closing !== null) throw new StorageClosedError(this.description);
    }
  }

  async *#iterateRuns(fromZxid: number): AsyncGenerator<readonly TxnEntry[], void, undefined> {
    if (this.#closing !== null) throw new StorageClosedError(this.description);
    checkNonNegativeInteger('fromZxid', fromZxid);
    let previous = -1;
    for await (const run of this._readRuns(fromZxid)) {
      if (this.#closing !== null) throw new StorageClosedError(this.description);
      for (let i = 0; i < run.length; i++) previous = this.#inOrder(run[i].zxid, fromZxid, previous);
      if (run.length > 0) yield run;
      if (this.#closing !== null) throw new StorageClosedError(this.description);
    }
  }

  /**
   * A backstop against backend bugs, the ordering contract being what every reader relies on:
   * `zxid` must be at least fromZxid and above the one before it. @returns zxid
   */
  #inOrder(zxid: number, fromZxid: number, previous: number): number {
    if (zxid < fromZxid || zxid <= previous) {
      throw new Error(`${this.description} yielded zxid 0x${zxid.toString(16)} out of order`);
    }
    return zxid;
  }

  #checkNotFailed(): void {
    if (this.#failure !== null) throw new StorageWriteFailedError(this.#failure.error);
  }

  /** Runs op in call order without waiting for earlier ops to finish (appends overlap). */
  #dispatch<T>(op: () => Promise<T>): Promise<T> {
    const started = this.#turn.then(() => ({ done: op() }));
    this.#turn = started.then(ignore, ignore);
    const done = started.then((s) => s.done);
    const idleBefore = this.#idle;
    this.#idle = Promise.all([idleBefore, done.then(ignore, ignore)]).then(ignore);
    return done;
  }

  /** Runs op in call order, after every earlier op settled and before any later one starts. */
  #exclusive<T>(op: () => Promise<T>): Promise<T> {
    const earlier = this.#idle;
    const done = this.#turn.then(async () => {
      await earlier;
      return op();
    });
    this.#turn = done.then(ignore, ignore);
    this.#idle = done.then(ignore, ignore);
    return done;
  }
}

/** Checks every entry and the zxid order; returns the batch's last zxid (floor when empty). */
function checkBatch(batch: readonly TxnEntry[], floor: number): number {
  let last = floor;
  for (let i = 0; i < batch.length; i++) {
    const entry = batch[i];
    if (entry === null || typeof entry !== 'object') {
      throw new StorageInvalidArgumentError(`entry ${i} of the batch is not a txn entry`);
    }
    const { zxid, payload } = entry;
    if (typeof zxid !== 'number' || !Number.isSafeInteger(zxid) || zxid <= 0) {
      throw new StorageInvalidArgumentError(`entry ${i}: zxid must be a positive safe integer, got ${String(zxid)}`);
    }
    if (!(payload instanceof Uint8Array)) {
      throw new StorageInvalidArgumentError(`entry ${i}: payload must be a Buffer`);
    }
    const inPayload = payloadZxid(payload);
    if (inPayload === null) {
      throw new StorageInvalidArgumentError(`entry ${i}: payload of ${payload.length} bytes cannot hold a TxnHeader`);
    }
    if (inPayload !== zxid) {
      throw new StorageInvalidArgumentError(
        `entry ${i}: zxid 0x${zxid.toString(16)} differs from its TxnHeader's 0x${inPayload.toString(16)}`);
    }
    if (zxid <= last) throw new ZxidOrderError(zxid, last);
    last = zxid;
  }
  return last;
}
