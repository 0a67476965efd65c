// The standalone host: persist, then apply, in zxid order; the inline hint it gives the txn log
// when a batch is all the server has to do; and how an idle log's batch waits for expected writes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { GATHER_MAX_MS, StandaloneHost } from '../../src/host/host.js';
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

/** recordingLog whose appends take `ms` (a disk): the host learns how long a write takes. */
async function slowLog(ms: number): ReturnType<typeof recordingLog> {
  const { log: inner, appends } = await recordingLog();
  const log = Object.create(inner) as TxnLog;
  log.append = async (entries: readonly TxnEntry[], options?: AppendOptions) => {
    await new Promise((r) => setTimeout(r, ms));
    return inner.append(entries, options);
  };
  return { log, appends };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

test('an idle log\'s batch waits for the writes the server expects and takes them along', async () => {
  const { log, appends } = await slowLog(5);
  let expected = 1;
  const host = new StandaloneHost(log, { apply: () => {}, fatal: (err) => assert.fail(err), expected: () => expected });
  // No write timed yet: nothing to weigh a wait against, so the first batch goes at once.
  host.propose(setDataProposal(1));
  await host.drain();
  assert.equal(host.gathered, 0);
  host.propose(setDataProposal(2));
  await turns(5);
  assert.equal(appends.length, 1, 'held while a write is on its way');
  host.propose(setDataProposal(3));
  expected = 0;
  await host.drain();
  assert.equal(host.gathered, 1);
  assert.deepEqual(appends.map((a) => a.entries), [1, 2]);
});

test('a batch waits for expected writes at most GATHER_MAX_MS', async () => {
  const { log, appends } = await slowLog(5);
  const host = new StandaloneHost(log, { apply: () => {}, fatal: (err) => assert.fail(err), expected: () => 3 });
  host.propose(setDataProposal(1));
  await host.drain();
  const started = performance.now();
  host.propose(setDataProposal(2));
  await host.drain();
  // The writes took ~5 ms, so the cap is GATHER_MAX_MS; then the batch goes without them.
  assert.ok(performance.now() - started >= GATHER_MAX_MS, 'waited');
  assert.equal(host.gathered, 1);
  assert.equal(appends.length, 2);
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
