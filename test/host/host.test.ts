// The standalone host: persist, then apply, in zxid order; and the inline hint it gives the txn log
// when a batch is all the server has to do.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StandaloneHost } from '../../src/host/host.js';
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
