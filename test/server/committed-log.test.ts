// ZKDatabase's committedLog: capped, in zxid order, refilled from the txn log's tail.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommittedLog } from '../../src/server/quorum/committed-log.js';
import type { TxnEntry, TxnLog } from '../../src/storage/spi.js';

const z = (epoch: number, counter: number): number => epoch * 2 ** 32 + counter;
const p = (n: number): Buffer => Buffer.from([n & 0xff]);

function logOf(zxids: number[]): TxnLog {
  const entries: TxnEntry[] = zxids.map((zxid) => ({ zxid, payload: p(zxid) }));
  return {
    async *read(from: number) { for (const e of entries) if (e.zxid >= from) yield e; },
    // In runs of up to three, as a log hands on what one read brought in.
    async *readRuns(from: number) {
      const wanted = entries.filter((e) => e.zxid >= from);
      for (let i = 0; i < wanted.length; i += 3) yield wanted.slice(i, i + 3);
    },
  } as unknown as TxnLog;
}

test('keeps the last `capacity` txns in order, ignoring a zxid it already holds', () => {
  const c = new CommittedLog(3);
  for (let i = 1; i <= 10; i++) c.add(z(1, i), p(i));
  c.add(z(1, 10), p(99));
  c.add(z(1, 4), p(4));
  assert.deepEqual(c.view().map((t) => t.zxid), [z(1, 8), z(1, 9), z(1, 10)]);
  assert.equal(c.view()[2].payload[0], 10);
  c.clear();
  assert.deepEqual(c.view(), []);
});

test('load: the tail of the last zxid\'s epoch, up to the last zxid, at most `capacity`', async () => {
  const log = logOf([z(1, 1), z(1, 2), z(2, 1), z(2, 2), z(2, 3), z(2, 4), z(2, 5)]);
  const c = new CommittedLog(3);
  await c.load(log, z(2, 4));
  assert.deepEqual(c.view().map((t) => t.zxid), [z(2, 2), z(2, 3), z(2, 4)]);
  await c.load(log, z(1, 2));
  assert.deepEqual(c.view().map((t) => t.zxid), [z(1, 1), z(1, 2)]);
  await c.load(logOf([]), 0);
  assert.deepEqual(c.view(), []);
});
