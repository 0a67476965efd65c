// The group commit of the durable txn logs (filelog, level): an append to an idle log is written at
// once; appends that arrive while a group is being made durable wait and go out together as the
// next group, one write for all; a roll keeps its place in line. The first failure sticks: nothing
// is written after it.

import type { TxnEntry } from './spi.js';

/** A group stops taking batches past this size, so a burst cannot build one huge write. */
export const GROUP_BYTES_MAX = 16 << 20;

/** One append() waiting in the queue. */
export interface QueuedBatch {
  readonly entries: readonly TxnEntry[];
  /** What the batch adds to its group's write (the log's own framing included). */
  readonly bytes: number;
  /** AppendOptions.inline: the writer may block the thread if this batch is written alone. */
  readonly inline?: boolean;
}

/** What a log does with the queue's groups and rolls. */
export interface GroupWriter {
  /**
   * Makes the batches durable, as one write; called with at least one batch. `idle`: the log was
   * idle when the group's first batch arrived (it waited behind no other write).
   */
  writeGroup(batches: readonly QueuedBatch[], bytes: number, idle: boolean): Promise<void>;
  /** Runs after every append queued before the roll is durable, and before any queued after it. */
  roll(): Promise<void>;
}

interface Pending {
  readonly batch: QueuedBatch | null;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitQueue {
  #queue: Pending[] = [];
  #flushing = false;
  #drained: Promise<void> = Promise.resolve();
  #failure: { readonly error: unknown } | null = null;

  constructor(private readonly writer: GroupWriter) {}

  /** Resolves once the batch is durable (or rejects with the write's error). */
  append(batch: QueuedBatch): Promise<void> {
    return this.#enqueue(batch);
  }

  roll(): Promise<void> {
    return this.#enqueue(null);
  }

  /** Settles once everything queued so far is settled. */
  drained(): Promise<void> {
    return this.#drained;
  }

  #enqueue(batch: QueuedBatch | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject });
      if (this.#flushing) return;
      this.#flushing = true;
      // Started at once: the caller batches what it has (the host gathers a turn's proposals into
      // one append), and a write that starts now overlaps whatever the caller does next (applying
      // and answering the group that was just made durable) instead of waiting for it.
      this.#drained = this.#flushLoop().then(() => undefined, () => undefined);
    });
  }

  async #flushLoop(): Promise<void> {
    let idle = true;
    try {
      while (this.#queue.length > 0) {
        const head = this.#queue[0];
        if (head.batch === null) {
          this.#queue.shift();
          await this.#settle([head], () => this.writer.roll());
          idle = false;
          continue;
        }
        const group: Pending[] = [];
        const batches: QueuedBatch[] = [];
        let bytes = 0;
        while (this.#queue.length > 0 && (group.length === 0 || bytes < GROUP_BYTES_MAX)) {
          const batch = this.#queue[0].batch;
          if (batch === null) break;
          group.push(this.#queue.shift() as Pending);
          batches.push(batch);
          bytes += batch.bytes;
        }
        await this.#settle(group, () => this.writer.writeGroup(batches, bytes, idle));
        idle = false;
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Runs op for items and settles them all with its outcome; the first failure sticks. */
  async #settle(items: readonly Pending[], op: () => Promise<void>): Promise<void> {
    try {
      if (this.#failure !== null) throw this.#failure.error;
      await op();
    } catch (error) {
      this.#failure ??= { error };
      for (const item of items) item.reject(error);
      return;
    }
    for (const item of items) item.resolve();
  }
}
