// Zab discovery on the leader (epoch from a quorum, epoch acks, NEWLEADER acks) and the learner's
// answer to LEADERINFO, as ZooKeeper 3.8's Leader and Learner run them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerLeaderInfo, LeaderDiscovery, type DiscoveryAction } from '../../src/zab/discovery.js';

const E = (epoch: number): number => epoch * 2 ** 32;
const voters = new Set([1, 2, 3, 4, 5]);

function leader(over: Partial<ConstructorParameters<typeof LeaderDiscovery>[0]> = {}): LeaderDiscovery {
  return new LeaderDiscovery({ selfId: 5, voters, acceptedEpoch: 3, currentEpoch: 3, lastZxid: E(3) + 7, initLimitTicks: 10, ...over });
}

const types = (as: DiscoveryAction[]): string[] => as.map((a) => a.type);

test('the new epoch is 1 + the largest acceptedEpoch of a quorum, observers included, fixed once the quorum holds the leader', () => {
  const d = leader({ voters: new Set([1, 2, 3, 4, 5]) });
  assert.deepEqual(d.take(), []);
  d.followerInfo(9, 6); // an observer: raises the epoch, does not count
  d.followerInfo(1, 2);
  assert.equal(d.newEpoch, null);
  assert.deepEqual(d.take(), []);
  d.followerInfo(2, 4);
  const acts = d.take();
  assert.deepEqual(acts[0], { type: 'persistAcceptedEpoch', epoch: 7 });
  assert.deepEqual(acts[1], { type: 'sendLeaderInfo', to: [1, 2, 9], zxid: E(7) });
  assert.equal(d.phase, 'epochAck');
  // A learner arriving later gets the fixed epoch at once, whatever it accepted.
  d.followerInfo(3, 9);
  assert.deepEqual(d.take(), [{ type: 'sendLeaderInfo', to: [3], zxid: E(7) }]);
});

test('epoch acks: a learner ahead of the leader is dropped; -1 and observers do not count; then currentEpoch and NEWLEADER', () => {
  const d = leader();
  d.followerInfo(1, 3);
  d.followerInfo(2, 3);
  d.take();
  d.ackEpoch(3, 3, E(3) + 8);
  assert.deepEqual(types(d.take()), ['dropLearner']);
  d.ackEpoch(1, -1, E(3) + 7); // had accepted this epoch already: not counted
  d.ackEpoch(9, 3, E(3)); // not a voter
  assert.equal(d.phase, 'epochAck');
  d.ackEpoch(2, 3, E(3) + 2);
  assert.deepEqual(d.take(), []);
  d.ackEpoch(4, 2, E(2) + 50);
  assert.deepEqual(d.take(), [{ type: 'persistCurrentEpoch', epoch: 4 }]);
  assert.equal(d.phase, 'newLeaderAck');
  d.newLeaderAck(2, E(3));
  assert.deepEqual(types(d.take()), ['dropLearner'], 'an ACK of another zxid is not a NEWLEADER ack');
  d.newLeaderAck(2, E(4));
  d.newLeaderAck(9, E(4));
  assert.deepEqual(d.take(), []);
  d.newLeaderAck(4, E(4));
  assert.deepEqual(d.take(), [{ type: 'established', epoch: 4 }]);
  assert.equal(d.phase, 'established');
});

test('each phase gives up after initLimit ticks without its quorum', () => {
  for (const upTo of ['epoch', 'epochAck', 'newLeaderAck'] as const) {
    const d = leader();
    if (upTo !== 'epoch') { d.followerInfo(1, 3); d.followerInfo(2, 3); }
    if (upTo === 'newLeaderAck') { d.ackEpoch(1, 3, E(3)); d.ackEpoch(2, 3, E(3)); }
    assert.equal(d.phase, upTo);
    d.take();
    for (let i = 0; i < 9; i++) d.tick();
    assert.deepEqual(d.take(), [], `${upTo}: still waiting after 9 ticks`);
    d.tick();
    const [a] = d.take();
    assert.equal(a.type, 'abandon');
    assert.match(a.type === 'abandon' ? a.reason : '', /^Timeout while waiting for /);
    assert.equal(d.phase, 'failed');
  }
});

test('a learner answers LEADERINFO by its acceptedEpoch', () => {
  assert.deepEqual(answerLeaderInfo(5, 4, 4), { type: 'accept', newEpoch: 5, ackEpochData: 4 });
  assert.deepEqual(answerLeaderInfo(5, 5, 4), { type: 'alreadyAccepted', ackEpochData: -1 });
  assert.deepEqual(answerLeaderInfo(4, 5, 5), { type: 'reject', reason: 'Leaders epoch, 4 is less than accepted epoch, 5' });
});
