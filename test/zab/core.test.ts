// The zab core's broadcast phase: persist before commit, quorum math, batching through ready().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZabCore } from '../../src/zab/core.js';

const e = (zxid: number) => ({ zxid });

test('a quorum of one commits an entry once it is persisted', () => {
  const core = new ZabCore({ selfId: 1, voters: [1] });
  core.propose(e(1));
  core.propose(e(2));
  let rd = core.ready();
  assert.deepEqual(rd.persist.map((x) => x.zxid), [1, 2]);
  assert.deepEqual(rd.commit, [], 'nothing commits before it is durable');
  core.advance(rd);
  assert.equal(core.hasReady(), false);
  core.step({ type: 'persisted', zxid: 1 });
  rd = core.ready();
  assert.deepEqual(rd.commit.map((x) => x.zxid), [1]);
  core.advance(rd);
  core.step({ type: 'persisted', zxid: 2 });
  rd = core.ready();
  assert.deepEqual(rd.commit.map((x) => x.zxid), [2]);
});

test('entries proposed while a batch is in flight form the next batch (group commit)', () => {
  const core = new ZabCore({ selfId: 1, voters: [1] });
  core.propose(e(1));
  const first = core.ready();
  core.advance(first);
  core.propose(e(2));
  core.propose(e(3));
  core.step({ type: 'persisted', zxid: 1 });
  const rd = core.ready();
  assert.deepEqual(rd.persist.map((x) => x.zxid), [2, 3]);
  assert.deepEqual(rd.commit.map((x) => x.zxid), [1]);
});

test('three voters commit on two acks, not one', () => {
  const core = new ZabCore({ selfId: 1, voters: [1, 2, 3] });
  core.propose(e(10));
  core.advance(core.ready());
  core.step({ type: 'persisted', zxid: 10 });
  assert.equal(core.hasReady(), false, 'the leader alone is no quorum of three');
  core.step({ type: 'ack', from: 9, zxid: 10 });
  assert.equal(core.hasReady(), false, 'acks from non-voters do not count');
  core.step({ type: 'ack', from: 3, zxid: 10 });
  assert.deepEqual(core.ready().commit.map((x) => x.zxid), [10]);
});

test('proposals must have increasing zxids', () => {
  const core = new ZabCore({ selfId: 1, voters: [1] });
  core.propose(e(5));
  assert.throws(() => core.propose(e(5)), /not above/);
});
