// Conformance tests for TxnLog: append ordering, batches, reads, truncate, purge, roll, group
// commit, restart and close.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TxnEntry } from '../../src/storage/index.js';
import type { MakeBackend } from './conformance.js';
import {
  assertLogHolds, collect, entries, entry, epochZxid, readZxids, rejectsWithCode, run, withBackend,
  withRestartableBackend,
} from './conformance-support.js';

const E1 = epochZxid(1);
const E2 = epochZxid(2);

export function txnLogTests(makeBackend: MakeBackend): void {
  describe('txn log', () => {
    it('starts empty: lastZxid 0 and nothing to read', () => withBackend(makeBackend, async ({ backend }) => {
      assert.equal(await backend.txnLog.lastZxid(), 0);
      assert.deepEqual(await readZxids(backend.txnLog, 0), []);
    }));

    it('appends batches and reads them back byte for byte', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const first = entries(run(E1 + 1, 5));
      const second = entries(run(E1 + 6, 1));
      const third = entries(run(E1 + 7, 300));
      await log.append(first);
      await log.append(second);
      await log.append(third);
      assert.equal(await log.lastZxid(), E1 + 306);
      await assertLogHolds(log, 0, [...first, ...second, ...third]);
    }));

    it('keeps large entries whole', () => withBackend(makeBackend, async ({ backend }) => {
      const big = [entry(E1 + 1, 0, 300_000), entry(E1 + 2, 0, 1), entry(E1 + 3, 0, 1_048_576)];
      await backend.txnLog.append(big);
      await assertLogHolds(backend.txnLog, 0, big);
    }));

    it('accepts zxid gaps, as at an epoch change', () => withBackend(makeBackend, async ({ backend }) => {
      const all = entries([E1 + 1, E1 + 2, E1 + 9, E2 + 1, E2 + 2]);
      await backend.txnLog.append(all.slice(0, 3));
      await backend.txnLog.append(all.slice(3));
      assert.equal(await backend.txnLog.lastZxid(), E2 + 2);
      await assertLogHolds(backend.txnLog, 0, all);
    }));

    it('treats an empty batch as a no-op', () => withBackend(makeBackend, async ({ backend }) => {
      await backend.txnLog.append([]);
      assert.equal(await backend.txnLog.lastZxid(), 0);
      await backend.txnLog.append(entries([E1 + 1]));
      await backend.txnLog.append([]);
      assert.deepEqual(await readZxids(backend.txnLog, 0), [E1 + 1]);
    }));

    it('rejects a batch whose zxids do not increase, writing none of it', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      await rejectsWithCode(log.append(entries([E1 + 1, E1 + 3, E1 + 2])), 'ERR_STORAGE_ZXID_ORDER');
      await rejectsWithCode(log.append(entries([E1 + 1, E1 + 1])), 'ERR_STORAGE_ZXID_ORDER');
      assert.equal(await log.lastZxid(), 0);
      assert.deepEqual(await readZxids(log, 0), []);
    }));

    it('rejects zxids at or below the last logged one', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      await log.append(entries(run(E1 + 1, 3)));
      await rejectsWithCode(log.append(entries([E1 + 3])), 'ERR_STORAGE_ZXID_ORDER', 'equal to last');
      await rejectsWithCode(log.append(entries([E1 + 2])), 'ERR_STORAGE_ZXID_ORDER', 'below last');
      await rejectsWithCode(log.append(entries([E1 + 4, E1 + 1])), 'ERR_STORAGE_ZXID_ORDER', 'mixed batch');
      await log.append(entries([E1 + 4]));
      assert.deepEqual(await readZxids(log, 0), run(E1 + 1, 4));
    }));

    it('rejects malformed entries with ERR_STORAGE_INVALID_ARGUMENT', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const good = entry(E1 + 5);
      const bad: unknown[][] = [
        [{ zxid: 0, payload: entry(1).payload }],
        [{ zxid: -1, payload: good.payload }],
        [{ zxid: 1.5, payload: good.payload }],
        [{ zxid: Number.NaN, payload: good.payload }],
        [{ zxid: E1 + 5, payload: Buffer.alloc(12) }],
        [{ zxid: E1 + 5, payload: 'not bytes' }],
        [{ zxid: E1 + 6, payload: good.payload }], // zxid differs from the one in its TxnHeader
        [null],
      ];
      for (const batch of bad) {
        await rejectsWithCode(log.append(batch as TxnEntry[]), 'ERR_STORAGE_INVALID_ARGUMENT', JSON.stringify(batch));
      }
      await rejectsWithCode(log.append('nope' as unknown as TxnEntry[]), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(collect(log.read(-1)), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(log.truncate(-1), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(log.purgeBefore(0.5), 'ERR_STORAGE_INVALID_ARGUMENT');
      assert.equal(await log.lastZxid(), 0);
      await log.append([good]);
      assert.equal(await log.lastZxid(), E1 + 5);
    }));

    it('reads from zxid >= fromZxid: start, middle, gap, last, past the end', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const zxids = [...run(E1 + 1, 10), ...run(E2 + 1, 5)];
      await log.append(entries(zxids.slice(0, 4)));
      await log.append(entries(zxids.slice(4)));
      assert.deepEqual(await readZxids(log, 0), zxids, 'from 0');
      assert.deepEqual(await readZxids(log, E1), zxids, 'below the first entry');
      assert.deepEqual(await readZxids(log, E1 + 1), zxids, 'from the first entry');
      assert.deepEqual(await readZxids(log, E1 + 4), zxids.slice(3), 'from a batch boundary');
      assert.deepEqual(await readZxids(log, E1 + 6), zxids.slice(5), 'from inside a batch');
      assert.deepEqual(await readZxids(log, E1 + 11), run(E2 + 1, 5), 'from a gap');
      assert.deepEqual(await readZxids(log, E2 + 5), [E2 + 5], 'from the last entry');
      assert.deepEqual(await readZxids(log, E2 + 6), [], 'past the end');
      await assertLogHolds(log, E1 + 6, entries(zxids.slice(5)));
    }));

    it('lets a reader stop early and read again', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      await log.append(entries(run(E1 + 1, 50)));
      for await (const e of log.read(E1 + 10)) {
        assert.equal(e.zxid, E1 + 10);
        break;
      }
      assert.deepEqual(await readZxids(log, E1 + 48), [E1 + 48, E1 + 49, E1 + 50]);
    }));

    it('truncates after a zxid, then appends again', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const original = entries(run(E1 + 1, 10));
      await log.append(original);
      await log.truncate(E1 + 6);
      assert.equal(await log.lastZxid(), E1 + 6);
      await assertLogHolds(log, 0, original.slice(0, 6));
      await rejectsWithCode(log.append(entries([E1 + 6])), 'ERR_STORAGE_ZXID_ORDER');
      const rewritten = entries(run(E1 + 7, 2), 1);
      await log.append(rewritten);
      await assertLogHolds(log, 0, [...original.slice(0, 6), ...rewritten]);
    }));

    it('truncates inside a gap to the last entry below it', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      await log.append(entries([E1 + 1, E1 + 2, E1 + 5, E1 + 9]));
      await log.truncate(E1 + 7);
      assert.equal(await log.lastZxid(), E1 + 5);
      await log.append(entries([E1 + 6]));
      assert.deepEqual(await readZxids(log, 0), [E1 + 1, E1 + 2, E1 + 5, E1 + 6]);
    }));

    it('truncates to empty, and ignores a truncate above the end', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      await log.truncate(E1);
      assert.equal(await log.lastZxid(), 0, 'truncating an empty log');
      await log.append(entries(run(E1 + 10, 5)));
      await log.truncate(E2);
      assert.deepEqual(await readZxids(log, 0), run(E1 + 10, 5));
      await log.truncate(E1 + 3);
      assert.equal(await log.lastZxid(), 0);
      assert.deepEqual(await readZxids(log, 0), []);
      await log.append(entries([E1 + 1]));
      assert.deepEqual(await readZxids(log, 0), [E1 + 1]);
    }));

    it('orders appends issued during a truncate after it', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const original = entries(run(E1 + 1, 10));
      const appended = log.append(original);
      const truncated = log.truncate(E1 + 5);
      const rewritten = entries(run(E1 + 6, 3), 2);
      const reappended = log.append(rewritten);
      await Promise.all([appended, truncated, reappended]);
      await assertLogHolds(log, 0, [...original.slice(0, 5), ...rewritten]);
    }));

    it('group commit: appends issued without waiting all resolve, in call order', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const resolved: number[] = [];
      const visible: Promise<void>[] = [];
      const all: TxnEntry[] = [];
      const pending: Promise<void>[] = [];
      let zxid = E1;
      for (let call = 0; call < 200; call++) {
        const batch = entries(run(zxid + 1, 1 + (call % 3)));
        zxid += batch.length;
        all.push(...batch);
        const last = zxid;
        pending.push(log.append(batch).then(() => {
          resolved.push(call);
          // Acknowledged means durable and visible: a read started now must include it.
          if (call % 50 === 0) visible.push(readZxids(log, last).then((z) => assert.equal(z[0], last)));
        }));
      }
      await Promise.all(pending);
      await Promise.all(visible);
      assert.deepEqual(resolved, run(0, 200));
      assert.equal(await log.lastZxid(), zxid);
      await assertLogHolds(log, 0, all);
    }));

    it('checks order against appends still in flight', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const a = log.append(entries(run(E1 + 1, 3)));
      const b = log.append(entries([E1 + 2]));
      const c = log.append(entries([E1 + 4]));
      await a;
      await rejectsWithCode(b, 'ERR_STORAGE_ZXID_ORDER');
      await c;
      assert.deepEqual(await readZxids(log, 0), run(E1 + 1, 4));
    }));

    it('reads across rolled segments, and truncates across them', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const all = entries(run(E1 + 1, 30));
      for (let i = 0; i < 3; i++) {
        await log.append(all.slice(i * 10, i * 10 + 10));
        await log.roll();
      }
      await log.roll(); // a roll with nothing appended since the last one
      assert.equal(await log.lastZxid(), E1 + 30);
      await assertLogHolds(log, 0, all);
      await assertLogHolds(log, E1 + 15, all.slice(14));
      await log.truncate(E1 + 12);
      await assertLogHolds(log, 0, all.slice(0, 12));
      const more = entries(run(E1 + 13, 4), 3);
      await log.append(more);
      await assertLogHolds(log, E1 + 11, [...all.slice(10, 12), ...more]);
    }));

    it('purges entries below a zxid but keeps the rest and the last entry', () => withBackend(makeBackend, async ({ backend }) => {
      const log = backend.txnLog;
      const all = entries(run(E1 + 1, 30));
      for (let i = 0; i < 3; i++) {
        await log.append(all.slice(i * 10, i * 10 + 10));
        await log.roll();
      }
      await log.purgeBefore(E1 + 15);
      await assertLogHolds(log, E1 + 15, all.slice(14));
      const remaining = await readZxids(log, 0);
      assert.ok(remaining[0] <= E1 + 15, 'nothing at or above the purge point is dropped');
      assert.equal(await log.lastZxid(), E1 + 30);
      await log.purgeBefore(E2);
      assert.equal(await log.lastZxid(), E1 + 30, 'the last entry survives any purge');
      assert.deepEqual(await readZxids(log, E1 + 30), [E1 + 30]);
      await rejectsWithCode(log.append(entries([E1 + 30])), 'ERR_STORAGE_ZXID_ORDER');
      await log.append(entries([E1 + 31]));
      assert.equal(await log.lastZxid(), E1 + 31);
    }));

    it('keeps entries and lastZxid across a restart', (t) => withRestartableBackend(t, makeBackend, async (s) => {
      const all = entries([...run(E1 + 1, 20), ...run(E2 + 1, 3)]);
      await s.backend.txnLog.append(all.slice(0, 8));
      await s.backend.txnLog.roll();
      await s.backend.txnLog.append(all.slice(8));
      await s.restart();
      assert.equal(await s.backend.txnLog.lastZxid(), E2 + 3);
      await assertLogHolds(s.backend.txnLog, 0, all);
      await rejectsWithCode(s.backend.txnLog.append(entries([E2 + 3])), 'ERR_STORAGE_ZXID_ORDER');
      const more = entries([E2 + 4]);
      await s.backend.txnLog.append(more);
      await s.restart();
      await assertLogHolds(s.backend.txnLog, E2 + 1, [...all.slice(20), ...more]);
    }));

    it('keeps a truncate across a restart', (t) => withRestartableBackend(t, makeBackend, async (s) => {
      const all = entries(run(E1 + 1, 20));
      await s.backend.txnLog.append(all.slice(0, 10));
      await s.backend.txnLog.roll();
      await s.backend.txnLog.append(all.slice(10));
      await s.backend.txnLog.truncate(E1 + 7);
      await s.restart();
      assert.equal(await s.backend.txnLog.lastZxid(), E1 + 7);
      await assertLogHolds(s.backend.txnLog, 0, all.slice(0, 7));
      const rewritten = entries(run(E1 + 8, 2), 4);
      await s.backend.txnLog.append(rewritten);
      await s.restart();
      await assertLogHolds(s.backend.txnLog, 0, [...all.slice(0, 7), ...rewritten]);
    }));

    it('finishes appends issued before close, and refuses everything after', (t) => withBackend(makeBackend, async (s) => {
      const log = s.backend.txnLog;
      await log.append(entries([E1 + 1]));
      const reader = log.read(0)[Symbol.asyncIterator]();
      assert.equal((await reader.next()).value?.zxid, E1 + 1);
      const before = log.append(entries([E1 + 2, E1 + 3]));
      const closed = log.close();
      await before;
      await closed;
      await log.close(); // idempotent
      await rejectsWithCode(log.append(entries([E1 + 4])), 'ERR_STORAGE_CLOSED', 'append');
      await rejectsWithCode(collect(log.read(0)), 'ERR_STORAGE_CLOSED', 'read');
      await rejectsWithCode(reader.next(), 'ERR_STORAGE_CLOSED', 'a read under way');
      await rejectsWithCode(log.lastZxid(), 'ERR_STORAGE_CLOSED', 'lastZxid');
      await rejectsWithCode(log.truncate(E1), 'ERR_STORAGE_CLOSED', 'truncate');
      await rejectsWithCode(log.purgeBefore(E1), 'ERR_STORAGE_CLOSED', 'purgeBefore');
      await rejectsWithCode(log.roll(), 'ERR_STORAGE_CLOSED', 'roll');
      if (!s.canRestart) {
        t.diagnostic('no reopen: durability of the pre-close append not checked');
        return;
      }
      await s.restart();
      assert.deepEqual(await readZxids(s.backend.txnLog, 0), run(E1 + 1, 3));
    }));
  });
}
