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

test('an entry is let go of as soon as it is persisted and applied, not kept in a backlog', () => {
  const core = new ZabCore({ selfId: 1, voters: [1] });
  let zxid = 0;
  for (let round = 0; round < 3000; round++) {
    core.propose(e(++zxid));
    core.propose(e(++zxid));
    core.advance(core.ready());
    assert.equal(core.held, 2, 'handed off for persistence, not yet applied');
    core.step({ type: 'persisted', zxid });
    core.advance(core.ready());
    assert.equal(core.held, 0, `round ${round}: everything persisted and applied is released`);
  }
});

test('batches stay whole and in order while released entries are cut away', () => {
  const core = new ZabCore({ selfId: 1, voters: [1] });
  const committed: number[] = [];
  const persisted: number[] = [];
  let zxid = 0;
  let durable = 0;
  for (let round = 0; round < 1500; round++) {
    // Persistence lags a round behind proposals, as a group commit in flight does.
    for (let i = 0; i < 1 + (round % 7); i++) core.propose(e(++zxid));
    const rd = core.ready();
    persisted.push(...rd.persist.map((x) => x.zxid));
    committed.push(...rd.commit.map((x) => x.zxid));
    core.advance(rd);
    core.step({ type: 'persisted', zxid: durable });
    durable = persisted[persisted.length - 1];
    assert.ok(core.held <= 2 * 7, `round ${round}: ${core.held} entries held`);
  }
  core.step({ type: 'persisted', zxid: durable });
  const rd = core.ready();
  committed.push(...rd.commit.map((x) => x.zxid));
  core.advance(rd);
  const all = Array.from({ length: zxid }, (_, i) => i + 1);
  assert.deepEqual(persisted, all, 'every entry handed off for persistence once, in order');
  assert.deepEqual(committed, all, 'every entry committed once, in order');
  assert.equal(core.held, 0);
});
