// The ordering and failure rules AbstractTxnLog enforces for every backend, checked against a
// scripted backend whose writes complete when, and how, the test says.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbstractTxnLog, type TxnEntry } from '../../src/storage/index.js';
import { collect, entries, entry, rejectsWithCode, run } from './conformance-support.js';

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Records every hook call; each write waits for the test to settle its Deferred. */
class ScriptedTxnLog extends AbstractTxnLog {
  readonly calls: string[] = [];
  readonly appends: Deferred[] = [];
  readonly truncates: Deferred[] = [];
  readonly stored: TxnEntry[] = [];
  readable: TxnEntry[] = [];

  constructor(lastZxid = 0) {
    super('scripted txn log', lastZxid);
  }

  protected _append(batch: readonly TxnEntry[]): Promise<void> {
    this.calls.push(`append ${batch.map((e) => e.zxid).join(',')}`);
    const d = deferred();
    this.appends.push(d);
    return d.promise.then(() => { this.stored.push(...batch); });
  }

  protected async *_read(): AsyncGenerator<TxnEntry> {
    for (const e of this.readable) yield e;
  }

  protected async _lastZxid(): Promise<number> {
    return this.stored.length === 0 ? 0 : this.stored[this.stored.length - 1].zxid;
  }

  protected _truncate(afterZxid: number): Promise<void> {
    this.calls.push(`truncate ${afterZxid}`);
    const d = deferred();
    this.truncates.push(d);
    return d.promise.then(() => {
      const keep = this.stored.filter((e) => e.zxid <= afterZxid);
      this.stored.length = 0;
      this.stored.push(...keep);
    });
  }

  protected async _purgeBefore(beforeZxid: number): Promise<void> {
    this.calls.push(`purge ${beforeZxid}`);
  }

  protected async _roll(): Promise<void> {
    this.calls.push('roll');
  }

  protected async _close(): Promise<void> {
    this.calls.push('close');
  }
}

/** Lets every pending promise reaction run (the base dispatches through a few microtask hops). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Records the order in which promises settle, and how. */
function track(promises: readonly Promise<unknown>[]): string[] {
  const order: string[] = [];
  promises.forEach((p, i) => p.then(() => order.push(`${i} ok`), (e: { code?: string; message: string }) => order.push(`${i} ${e.code ?? e.message}`)));
  return order;
}

describe('AbstractTxnLog', () => {
  it('hands appends to the backend without waiting for earlier ones (group commit)', async () => {
    const log = new ScriptedTxnLog();
    const acks = [log.append(entries([1, 2])), log.append(entries([3])), log.append(entries([4]))];
    await settle();
    assert.deepEqual(log.calls, ['append 1,2', 'append 3', 'append 4']);
    log.appends.forEach((d) => d.resolve());
    await Promise.all(acks);
  });

  it('resolves acks in call order even when the backend finishes out of order', async () => {
    const log = new ScriptedTxnLog();
    const acks = [log.append(entries([1])), log.append(entries([2])), log.append(entries([3]))];
    const order = track(acks);
    await settle();
    log.appends[2].resolve();
    log.appends[1].resolve();
    await settle();
    assert.deepEqual(order, [], 'nothing acked before the first batch is durable');
    log.appends[0].resolve();
    await settle();
    assert.deepEqual(order, ['0 ok', '1 ok', '2 ok']);
  });

  it('after a failed append: earlier acks resolve, later ones and later writes are refused', async () => {
    const log = new ScriptedTxnLog();
    const acks = [log.append(entries([1])), log.append(entries([2])), log.append(entries([3]))];
    const order = track(acks);
    await settle();
    log.appends[0].resolve();
    log.appends[2].resolve();
    log.appends[1].reject(new Error('EIO'));
    await settle();
    assert.deepEqual(order, ['0 ok', '1 EIO', '2 ERR_STORAGE_WRITE_FAILED']);
    await rejectsWithCode(log.append(entries([4])), 'ERR_STORAGE_WRITE_FAILED');
    await rejectsWithCode(log.append([]), 'ERR_STORAGE_WRITE_FAILED');
    await rejectsWithCode(log.truncate(1), 'ERR_STORAGE_WRITE_FAILED');
    await rejectsWithCode(log.roll(), 'ERR_STORAGE_WRITE_FAILED');
    assert.deepEqual(log.calls, ['append 1', 'append 2', 'append 3'], 'nothing more reached the backend');
    await log.close();
  });

  it('runs a truncate alone: after pending appends settle, before later appends start', async () => {
    const log = new ScriptedTxnLog();
    const first = log.append(entries(run(1, 5)));
    const truncated = log.truncate(3);
    const later = log.append(entries([4], 1));
    await settle();
    assert.deepEqual(log.calls, ['append 1,2,3,4,5'], 'truncate waits for the pending append');
    log.appends[0].resolve();
    await first;
    await settle();
    assert.deepEqual(log.calls, ['append 1,2,3,4,5', 'truncate 3'], 'the later append waits for the truncate');
    log.truncates[0].resolve();
    await truncated;
    await settle();
    assert.deepEqual(log.calls.at(-1), 'append 4', 'zxid 4 is accepted again after truncating to 3');
    log.appends[1].resolve();
    await later;
    assert.equal(await log.lastZxid(), 4);
  });

  it('checks zxid order against the floor given by recovery', async () => {
    const log = new ScriptedTxnLog(10);
    await rejectsWithCode(log.append(entries([10])), 'ERR_STORAGE_ZXID_ORDER');
    const ok = log.append(entries([11]));
    await settle();
    log.appends[0].resolve();
    await ok;
  });

  it('an empty batch resolves once every earlier append is durable', async () => {
    const log = new ScriptedTxnLog();
    const first = log.append(entries([1]));
    const barrier = log.append([]);
    const order = track([first, barrier]);
    await settle();
    assert.deepEqual(log.calls, ['append 1'], 'an empty batch never reaches the backend');
    assert.deepEqual(order, []);
    log.appends[0].resolve();
    await settle();
    assert.deepEqual(order, ['0 ok', '1 ok']);
  });

  it('close waits for pending appends and refuses new work at once', async () => {
    const log = new ScriptedTxnLog();
    const pending = log.append(entries([1]));
    const closed = log.close();
    await rejectsWithCode(log.append(entries([2])), 'ERR_STORAGE_CLOSED');
    await settle();
    assert.deepEqual(log.calls, ['append 1']);
    log.appends[0].resolve();
    await pending;
    await closed;
    assert.deepEqual(log.calls, ['append 1', 'close']);
  });

  it('stops a backend that yields entries out of order', async () => {
    const log = new ScriptedTxnLog();
    log.readable = [entry(5), entry(4)];
    await assert.rejects(collect(log.read(0)), /out of order/);
    log.readable = [entry(2)];
    await assert.rejects(collect(log.read(3)), /out of order/);
  });
});
