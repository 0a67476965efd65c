// The level txn log: one TxnKey per entry (layout.ts), written with group commit: every append that
// arrives while a synced LevelDB batch is in flight joins the next group, and each group is exactly
// one `batch(ops, { sync: true })`. There are no segments, so roll() only keeps its place in line.

import { AbstractTxnLog } from '../abstract-txn-log.js';
import { StorageCorruptError } from '../errors.js';
import type { TxnEntry } from '../spi.js';
import type { LevelDb } from './database.js';
import { TXN_RANGE_END, TXN_RANGE_START, txnKey, txnKeyZxid } from './layout.js';

/** A group stops taking batches past this size, so a burst cannot build one huge LevelDB batch. */
const GROUP_BYTES_MAX = 16 << 20;
/** How much a read iterator fetches from LevelDB at a time: bounds a reader's memory. */
const READ_AHEAD_BYTES = 1 << 20;

/** Counters for tests and metrics; they only grow. */
export interface LevelTxnLogStats {
  /** append() calls that reached the backend (non-empty, in order). */
  readonly appends: number;
  /** Groups committed: each is exactly one synced LevelDB batch. */
  readonly groups: number;
  readonly entries: number;
  /** Payload bytes committed (keys not counted). */
  readonly bytes: number;
  /** purgeBefore calls that deleted something (each followed by a compaction of the range). */
  readonly purges: number;
}

interface PendingBatch {
  readonly kind: 'batch';
  readonly entries: readonly TxnEntry[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A roll waits in the queue so that it resolves after the appends issued before it. */
interface PendingRoll {
  readonly kind: 'roll';
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Pending = PendingBatch | PendingRoll;

export class LevelTxnLog extends AbstractTxnLog {
  readonly #db: LevelDb;
  readonly #location: string;
  /** Zxid of the last committed entry (0: empty log). */
  #lastZxid: number;
  #queue: Pending[] = [];
  #flushing = false;
  /** Settles when the flush loop has drained the queue. */
  #drained: Promise<void> = Promise.resolve();
  #failure: { readonly error: unknown } | null = null;
  #stats = { appends: 0, groups: 0, entries: 0, bytes: 0, purges: 0 };

  /** Finds the last zxid with a reverse iterator and opens the log over db (which the caller owns). */
  static async open(db: LevelDb, location: string): Promise<LevelTxnLog> {
    return new LevelTxnLog(db, location, await lastTxnZxid(db, location));
  }

  private constructor(db: LevelDb, location: string, lastZxid: number) {
    super(`txn log in ${location}`, lastZxid);
    this.#db = db;
    this.#location = location;
    this.#lastZxid = lastZxid;
  }

  get stats(): LevelTxnLogStats {
    return { ...this.#stats };
  }

  protected _append(batch: readonly TxnEntry[]): Promise<void> {
    let bytes = 0;
    for (const entry of batch) bytes += entry.payload.length;
    this.#stats.appends++;
    return new Promise((resolve, reject) => {
      this.#enqueue({ kind: 'batch', entries: batch, bytes, resolve, reject });
    });
  }

  protected _roll(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#enqueue({ kind: 'roll', resolve, reject });
    });
  }

  #enqueue(item: Pending): void {
    this.#queue.push(item);
    if (this.#flushing) return;
    this.#flushing = true;
    // Started on the next turn of the event loop, so appends issued in the same turn (a burst of
    // requests read from one socket poll) go out as one group instead of first + rest.
    this.#drained = new Promise((resolve) => {
      setImmediate(() => { this.#flushLoop().then(resolve, resolve); });
    });
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group: Pending[] = [];
        let bytes = 0;
        while (this.#queue.length > 0 && (group.length === 0 || bytes < GROUP_BYTES_MAX)) {
          const item = this.#queue.shift() as Pending;
          group.push(item);
          if (item.kind === 'batch') bytes += item.bytes;
        }
        await this.#commitGroup(group, bytes);
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Writes the group's batches as one synced LevelDB batch and settles every item with the outcome. */
  async #commitGroup(group: readonly Pending[], bytes: number): Promise<void> {
    try {
      if (this.#failure !== null) throw this.#failure.error;
      let count = 0;
      let last = 0;
      for (const item of group) {
        if (item.kind !== 'batch') continue;
        count += item.entries.length;
        last = item.entries[item.entries.length - 1].zxid;
      }
      if (count > 0) {
        await this.#writeSynced(group);
        this.#lastZxid = last;
        this.#stats.groups++;
        this.#stats.entries += count;
        this.#stats.bytes += bytes;
      }
    } catch (error) {
      // The first failure sticks: after a failed synced write the WAL's state is unknown.
      this.#failure ??= { error };
      for (const item of group) item.reject(error);
      return;
    }
    for (const item of group) item.resolve();
  }

  /**
   * A chained batch, not `db.batch(array)`: abstract-level's array form costs ~25 µs per operation
   * in option and encoding checks, five times the chained form (measured, 100 puts of 100 bytes).
   */
  async #writeSynced(group: readonly Pending[]): Promise<void> {
    const chain = this.#db.batch();
    try {
      for (const item of group) {
        if (item.kind !== 'batch') continue;
        for (const entry of item.entries) chain.put(txnKey(entry.zxid), entry.payload);
      }
    } catch (err) {
      await chain.close().catch(() => {});
      throw err;
    }
    // write() closes the chain whether it succeeds or not.
    await chain.write({ sync: true });
  }

  protected async *_read(fromZxid: number): AsyncGenerator<TxnEntry, void, undefined> {
    // The iterator reads from an implicit LevelDB snapshot taken now: a truncate or purge running
    // meanwhile cannot shift what it yields, and it only sees committed (synced) groups.
    const iterator = this.#db.iterator({ gte: txnKey(fromZxid), lt: TXN_RANGE_END, highWaterMarkBytes: READ_AHEAD_BYTES });
    try {
      for await (const [key, value] of iterator) {
        yield { zxid: this.#zxidOf(key), payload: value };
      }
    } finally {
      await iterator.close().catch(() => {});
    }
  }

  protected async _lastZxid(): Promise<number> {
    return this.#lastZxid;
  }

  /** Deletes every key above afterZxid in one synced batch, so a crash leaves all of them or none. */
  protected async _truncate(afterZxid: number): Promise<void> {
    await this.#drained;
    // Keys stream into the native batch, so a long truncate holds no JS array of them.
    const chain = this.#db.batch();
    try {
      for await (const key of this.#db.keys({ gte: txnKey(afterZxid + 1), lt: TXN_RANGE_END })) chain.del(key);
    } catch (err) {
      await chain.close().catch(() => {});
      throw err;
    }
    await chain.write({ sync: true });
    this.#lastZxid = await lastTxnZxid(this.#db, this.#location);
  }

  /**
   * Deletes the entries below beforeZxid, except the last entry (lastZxid must not change), then
   * compacts the range so the space is given back (LevelDB only drops deleted data when it
   * compacts). Runs beside appends: it only touches keys below the last committed zxid.
   */
  protected async _purgeBefore(beforeZxid: number): Promise<void> {
    const limit = Math.min(beforeZxid, this.#lastZxid);
    if (limit <= 0) return;
    const end = txnKey(limit);
    const first = await this.#db.keys({ gte: TXN_RANGE_START, lt: end, limit: 1 }).all();
    if (first.length === 0) return;
    // Not synced: a purge lost in a crash only leaves entries a later purge removes again.
    await this.#db.clear({ gte: TXN_RANGE_START, lt: end });
    await this.#db.compactRange(TXN_RANGE_START, end);
    this.#stats.purges++;
  }

  protected async _close(): Promise<void> {
    // The DB itself is closed by the backend once all three stores are closed.
    await this.#drained;
  }

  #zxidOf(key: Buffer): number {
    const zxid = txnKeyZxid(key);
    if (zxid === null) throw new StorageCorruptError(this.#location, 0, `key ${key.toString('hex')} in the txn range is not a txn key`);
    return zxid;
  }
}

async function lastTxnZxid(db: LevelDb, location: string): Promise<number> {
  const keys = await db.keys({ gte: TXN_RANGE_START, lt: TXN_RANGE_END, reverse: true, limit: 1 }).all();
  if (keys.length === 0) return 0;
  const zxid = txnKeyZxid(keys[0]);
  if (zxid === null) throw new StorageCorruptError(location, 0, `key ${keys[0].toString('hex')} in the txn range is not a txn key`);
  return zxid;
}
