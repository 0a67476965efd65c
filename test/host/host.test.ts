// The standalone host: persist, then apply, in zxid order; the inline hint it gives the txn log
// when a batch is all the server has to do; and how an idle log's batch waits for expected writes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { StandaloneHost } from '../../src/host/host.js';
import { WritersInTransit, TRANSIT_MS } from '../../src/server/writers-in-transit.js';
import type { Proposal } from '../../src/pipeline/pipeline.js';
import { openMemoryStorage, type AppendOptions, type TxnEntry, type TxnLog } from '../../src/storage/index.js';

function setDataProposal(zxid: number): Proposal {
  return {
    zxid,
    request: null,
    prepared: {
      hdr: { clientId: 1n, cxid: zxid, zxid, time: 1_700_000_000_000, type: 5 },
      txn: { type: 5, path: '/a', data: Buffer.from('x'), version: zxid },
      digest: null,
      error: 0,
    },
  };
}

/** A memory txn log that remembers each append's size and options. */
async function recordingLog(): Promise<{ log: TxnLog; appends: Array<{ entries: number; options: AppendOptions | undefined }> }> {
  const { txnLog } = await openMemoryStorage({});
  const appends: Array<{ entries: number; options: AppendOptions | undefined }> = [];
  const log = Object.create(txnLog) as TxnLog;
  log.append = (entries: readonly TxnEntry[], options?: AppendOptions) => {
    appends.push({ entries: entries.length, options });
    return txnLog.append(entries, options);
  };
  return { log, appends };
}

test('a batch the server says is all it has goes to the log as inline; others do not', async () => {
  const { log, appends } = await recordingLog();
  const applied: number[] = [];
  const asked: number[] = [];
  let alone = true;
  const host = new StandaloneHost(log, {
    apply: (p) => applied.push(p.zxid),
    fatal: (err) => assert.fail(err),
    alone: (n) => { asked.push(n); return alone; },
  });
  host.propose(setDataProposal(1));
  await host.drain();
  alone = false;
  // drain() with a pump scheduled and only a settled append behind it (it used to spin on
  // microtasks forever, starving the setImmediate it waited for).
  host.propose(setDataProposal(2));
  host.propose(setDataProposal(3));
  await host.drain();
  assert.deepEqual(applied, [1, 2, 3]);
  assert.deepEqual(asked, [1, 2], 'asked with the size of each batch');
  assert.deepEqual(appends, [
    { entries: 1, options: { inline: true } },
    { entries: 2, options: { inline: false } },
  ]);
});

test('without an opinion from the server nothing is inline', async () => {
  const { log, appends } = await recordingLog();
  const host = new StandaloneHost(log, { apply: () => {}, fatal: (err) => assert.fail(err) });
  host.propose(setDataProposal(1));
  await host.drain();
  assert.deepEqual(appends, [{ entries: 1, options: { inline: false } }]);
});

/** recordingLog whose appends take `ms` (a disk), noting when each was asked for. */
async function slowLog(ms: number): Promise<{ log: TxnLog; appends: Array<{ entries: number; at: number }> }> {
  const { txnLog } = await openMemoryStorage({});
  const appends: Array<{ entries: number; at: number }> = [];
  const log = Object.create(txnLog) as TxnLog;
  log.append = async (entries: readonly TxnEntry[], options?: AppendOptions) => {
    appends.push({ entries: entries.length, at: performance.now() });
    await new Promise((r) => setTimeout(r, ms));
    return txnLog.append(entries, options);
  };
  return { log, appends };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

test('an idle log\'s batch waits for the writes the server expects and takes them along', async () => {
  // Writes of ~200 ms and no cap of its own: the batch may wait ~200 ms, far longer than the turns
  // below take even on a loaded machine.
  const { log, appends } = await slowLog(200);
  let expected = 1;
  const host = new StandaloneHost(log, { apply: () => {}, fatal: (err) => assert.fail(err), expected: () => expected },
    { gatherMaxMs: 10_000 });
  // No write timed yet: nothing to weigh a wait against, so the first batch goes at once.
  host.propose(setDataProposal(1));
  await host.drain();
  assert.equal(host.gathered, 0);
  host.propose(setDataProposal(2));
  await turns(3);
  assert.equal(appends.length, 1, 'held while a write is on its way');
  host.propose(setDataProposal(3));
  expected = 0;
  await host.drain();
  assert.equal(host.gathered, 1);
  assert.deepEqual(appends.map((a) => a.entries), [1, 2]);
});

test('a batch waits for expected writes no longer than the cap', async () => {
  const { log, appends } = await slowLog(50);
  const host = new StandaloneHost(log, { apply: () => {}, fatal: (err) => assert.fail(err), expected: () => 3 },
    { gatherMaxMs: 20 });
  host.propose(setDataProposal(1));
  await host.drain();
  const proposed = performance.now();
  host.propose(setDataProposal(2));
  await host.drain();
  // The writes took ~50 ms, so the cap is the 20 ms given; then the batch goes without the others.
  assert.equal(appends.length, 2);
  assert.ok(appends[1].at - proposed >= 20, `appended after ${appends[1].at - proposed} ms`);
});

/** A memory txn log whose appends wait for complete(); events records appends (by zxid) in order. */
async function manualLog(events: string[]): Promise<{ log: TxnLog; complete(): void }> {
  const { txnLog } = await openMemoryStorage({});
  const waiting: Array<() => void> = [];
  const log = Object.create(txnLog) as TxnLog;
  log.append = async (entries: readonly TxnEntry[], options?: AppendOptions) => {
    events.push(`append ${entries.map((e) => e.zxid).join(',')}`);
    await new Promise<void>((r) => waiting.push(r));
    return txnLog.append(entries, options);
  };
  return { log, complete: () => (waiting.shift() ?? assert.fail('no append waiting'))() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('after a write that frees writers, what queued behind it is held for them, its own commits answered first', async () => {
  const events: string[] = [];
  const { log, complete } = await manualLog(events);
  let expected = 0;
  const host = new StandaloneHost(log, {
    apply: (p) => events.push(`apply ${p.zxid}`), fatal: (err) => assert.fail(err),
    expected: () => expected, freesWriters: () => true,
  }, { gatherMaxMs: 10_000 });
  host.propose(setDataProposal(1));
  await turns(2);
  host.propose(setDataProposal(2));
  await turns(2);
  // The write takes ~100 ms: the wait for expected writes may be as long, far above a few turns.
  await sleep(100);
  expected = 1;
  complete();
  await turns(3);
  assert.deepEqual(events, ['append 1', 'apply 1'], '1 answered, 2 held for the writer it freed');
  host.propose(setDataProposal(3));
  expected = 0;
  await turns(3);
  assert.deepEqual(events, ['append 1', 'apply 1', 'append 2,3'], 'the freed writer\'s write joined 2');
  complete();
  await host.drain();
  assert.deepEqual(events.slice(3), ['apply 2', 'apply 3']);
  assert.equal(host.gathered, 1);
});

test('after a write that frees no writer, what queued behind it is written before the write is answered', async () => {
  const events: string[] = [];
  const { log, complete } = await manualLog(events);
  const host = new StandaloneHost(log, {
    apply: (p) => events.push(`apply ${p.zxid}`), fatal: (err) => assert.fail(err),
    expected: () => 1, freesWriters: () => false,
  }, { gatherMaxMs: 10_000 });
  host.propose(setDataProposal(1));
  await turns(2);
  host.propose(setDataProposal(2));
  await turns(2);
  complete();
  await turns(3);
  assert.deepEqual(events, ['append 1', 'append 2', 'apply 1']);
  complete();
  await host.drain();
  assert.deepEqual(events.slice(3), ['apply 2']);
});

test('writers in transit: answered and silent for less than TRANSIT_MS, counted once each', () => {
  const w = new WritersInTransit<string>();
  w.answered('a', 0);
  w.answered('b', 0.5);
  assert.equal(w.count(0.6), 2);
  assert.equal(w.count(TRANSIT_MS), 1, 'a was answered TRANSIT_MS ago and sent nothing');
  w.arrived('b');
  assert.equal(w.count(TRANSIT_MS), 0, 'b sent its next request');
  w.answered('a', 2);
  w.answered('a', 2.5);
  assert.equal(w.count(2 + TRANSIT_MS), 1, 'answered again: counted from the last answer');
  assert.equal(w.count(2.5 + TRANSIT_MS), 0);
});
