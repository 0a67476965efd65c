// The leader's choice of DIFF, TRUNC or SNAP, case by case as LearnerHandler.syncFollower makes it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSync, type SyncInput, type SyncPlan } from '../../src/zab/sync-plan.js';

const z = (epoch: number, counter: number): number => epoch * 2 ** 32 + counter;
/** zxids (epoch, from..to) */
const range = (epoch: number, from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => z(epoch, from + i));

function plan(p: Partial<SyncInput> & Pick<SyncInput, 'peerLastZxid'>): SyncPlan {
  const committedLog = p.committedLog ?? range(1, 1, 10);
  return planSync({
    lastProcessedZxid: committedLog.length > 0 ? committedLog[committedLog.length - 1] : 0,
    forceSnapshotSync: false,
    txnLogSyncEnabled: true,
    committedLog,
    ...p,
  });
}

function summary(p: SyncPlan): string {
  if (p.kind === 'needDiskLog') return `needDiskLog from ${p.from.toString(16)}`;
  const txns = p.txns.map((t) => `${t.from[0]}${t.zxid.toString(16)}`).join(',');
  return `${p.mode} ${p.zxid.toString(16)} [${txns}] forward>${p.forwardFrom.toString(16)}`;
}

test('forceSnapshotSync always sends SNAP at the leader\'s zxid', () => {
  assert.equal(summary(plan({ peerLastZxid: z(1, 10), forceSnapshotSync: true })), 'SNAP 10000000a [] forward>10000000a');
});

test('a learner already at our zxid gets an empty DIFF', () => {
  assert.equal(summary(plan({ peerLastZxid: z(1, 10) })), 'DIFF 10000000a [] forward>10000000a');
});

test('a learner inside the committed log gets DIFF(max) and every txn above its zxid', () => {
  assert.equal(summary(plan({ peerLastZxid: z(1, 7) })), 'DIFF 10000000a [m100000008,m100000009,m10000000a] forward>10000000a');
});

test('a learner ahead of the committed log is truncated to its end', () => {
  assert.equal(summary(plan({ peerLastZxid: z(1, 12) })), 'TRUNC 10000000a [] forward>10000000a');
});

test('a learner with a txn we never committed, inside our log, is truncated to the txn before it', () => {
  // Our log skips 1/5 (the old leader proposed it, we never saw it): the learner logged up to 1/5.
  const committedLog = [...range(1, 1, 4), ...range(2, 1, 3)];
  assert.equal(summary(plan({ peerLastZxid: z(1, 5), committedLog })), 'SNAP 200000003 [] forward>200000003',
    'the next txn is in another epoch: a TRUNC across epochs becomes a SNAP');
  const sameEpoch = [...range(1, 1, 4), z(1, 6), z(1, 7)];
  assert.equal(summary(plan({ peerLastZxid: z(1, 5), committedLog: sameEpoch })), 'TRUNC 100000004 [m100000006,m100000007] forward>100000007');
});

test('a learner at a bare new-epoch zxid gets a DIFF, never a TRUNC', () => {
  const committedLog = [...range(1, 1, 3), ...range(2, 1, 2)];
  assert.equal(summary(plan({ peerLastZxid: z(2, 0), committedLog })), 'DIFF 200000002 [m200000001,m200000002] forward>200000002');
  // Beyond our log, too (it synced with an earlier leader of a later epoch and got nothing).
  assert.equal(summary(plan({ peerLastZxid: z(3, 0), committedLog })), 'SNAP 200000002 [] forward>200000002');
});

test('behind the committed log: the on-disk txn log bridges the gap, up to the committed log', () => {
  const committedLog = range(1, 501, 505);
  assert.equal(summary(plan({ peerLastZxid: z(1, 498), committedLog })), 'needDiskLog from 1000001f2');
  const diskLog = range(1, 490, 505);
  assert.equal(summary(plan({ peerLastZxid: z(1, 498), committedLog, diskLog })),
    'DIFF 1000001f9 [d1000001f3,d1000001f4,d1000001f5,m1000001f6,m1000001f7,m1000001f8,m1000001f9] forward>1000001f9');
});

test('behind the committed log: no usable disk log, or disk sync off, means SNAP', () => {
  const committedLog = range(1, 501, 505);
  assert.equal(summary(plan({ peerLastZxid: z(1, 498), committedLog, diskLog: [] })), 'SNAP 1000001f9 [] forward>1000001f9');
  assert.equal(summary(plan({ peerLastZxid: z(1, 498), committedLog, txnLogSyncEnabled: false })), 'SNAP 1000001f9 [] forward>1000001f9');
  // A disk log that stops short of the committed log leaves a gap.
  assert.equal(summary(plan({ peerLastZxid: z(1, 498), committedLog, diskLog: range(1, 495, 499) })), 'SNAP 1000001f9 [] forward>1000001f9');
});

test('an empty committed log stands for the leader\'s zxid alone', () => {
  assert.equal(summary(plan({ peerLastZxid: z(1, 5), committedLog: [], lastProcessedZxid: z(1, 5) })), 'DIFF 100000005 [] forward>100000005');
  assert.equal(summary(plan({ peerLastZxid: z(1, 6), committedLog: [], lastProcessedZxid: z(1, 5) })), 'TRUNC 100000005 [] forward>100000005');
  assert.equal(summary(plan({ peerLastZxid: z(1, 4), committedLog: [], lastProcessedZxid: z(1, 5) })), 'needDiskLog from 100000004');
});
