// The memory txn log. Fault model: no torn or lost writes; an injected append error fails that
// batch and every batch committed with or after it, as a failed writev+fsync would on one file.
//
// Group commit is emulated, not skipped: appends arriving before the next macrotask join one group
// that commits and acknowledges together, so callers meet the same overlap as with a real fsync.

import { AbstractTxnLog } from '../abstract-txn-log.js';
import type { TxnEntry } from '../spi.js';
import { lowerBound, type MemoryVolume } from './volume.js';

/** Decides whether an append fails (tests of failure handling); undefined lets it succeed. */
export type AppendFault = (batch: readonly TxnEntry[]) => Error | undefined;

interface PendingBatch {
  readonly batch: readonly TxnEntry[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class MemoryTxnLog extends AbstractTxnLog {
  readonly #volume: MemoryVolume;
  readonly #appendFault: AppendFault | undefined;
  #group: PendingBatch[] = [];
  #failure: Error | null = null;

  constructor(volume: MemoryVolume, appendFault?: AppendFault) {
    super('memory txn log', volume.log.length === 0 ? 0 : volume.log[volume.log.length - 1].zxid);
    this.#volume = volume;
    this.#appendFault = appendFault;
  }

  protected _append(batch: readonly TxnEntry[]): Promise<void> {
    // Copies: a caller's buffer (a reused JuteWriter's, say) must not change what was logged.
    const copied = batch.map((e) => ({ zxid: e.zxid, payload: Buffer.from(e.payload) }));
    return new Promise((resolve, reject) => {
      this.#group.push({ batch: copied, resolve, reject });
      if (this.#group.length === 1) setImmediate(() => this.#commitGroup());
    });
  }

  #commitGroup(): void {
    const group = this.#group;
    this.#group = [];
    for (const pending of group) {
      this.#failure ??= this.#appendFault?.(pending.batch) ?? null;
      if (this.#failure !== null) {
        pending.reject(this.#failure);
        continue;
      }
      for (const entry of pending.batch) this.#volume.log.push(entry);
      pending.resolve();
    }
  }

  protected async *_read(fromZxid: number): AsyncGenerator<TxnEntry, void, undefined> {
    // A copy of the range, so a truncate or purge during iteration cannot shift it.
    const log = this.#volume.log;
    const range = log.slice(lowerBound(log, fromZxid));
    for (const entry of range) yield entry;
  }

  protected async _lastZxid(): Promise<number> {
    const log = this.#volume.log;
    return log.length === 0 ? 0 : log[log.length - 1].zxid;
  }

  protected async _truncate(afterZxid: number): Promise<void> {
    const log = this.#volume.log;
    log.length = lowerBound(log, afterZxid + 1);
  }

  protected async _purgeBefore(beforeZxid: number): Promise<void> {
    const log = this.#volume.log;
    if (log.length === 0) return;
    log.splice(0, Math.min(lowerBound(log, beforeZxid), log.length - 1));
  }

  protected async _roll(): Promise<void> {
    // One segment only: nothing to roll.
  }

  protected async _close(): Promise<void> {
    // Nothing to release; the base already waited for in-flight appends.
  }
}
