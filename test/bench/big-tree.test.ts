// The big-tree set's throughput goal (bench/big-tree.ts): judged by the median of paired rounds'
// ratios, each round an empty server and the tree measured back to back, so that one slow phase of
// the machine moves one round, not the verdict.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bigTreeGoals, pairedKept, type BigTreeRun } from '../../bench/big-tree.js';

function run(paired: BigTreeRun['paired']): BigTreeRun {
  const load = (id: string, rate: number): BigTreeRun['big'][number] => ({
    id, workload: { sessions: 1, window: 1, write: 'setData', readFraction: 0, payloadBytes: 100 }, writesPerSecond: rate,
    p99Ms: 1, p999Ms: 1, maxMs: 1, cpuUsPerWrite: 1, writes: 1, gcSharePercent: 0, gcShareByKind: null, snapshots: 0,
    snapshotCpuPercent: null, errors: 0,
  });
  return {
    targetId: 'zk-server', label: 'zk-server', runtimeArgs: [], rssMiB: { empty: 1, populated: 2, afterWrites: 2 },
    bytesPerZnode: { populated: 1, afterWrites: 1 }, populate: null,
    // Single windows minutes apart: 0.5×, which the paired rounds overrule.
    empty: [load('setData-16x1', 20_000)], big: [load('setData-16x1', 10_000)],
    paired, writesToBigTree: 0, restart: null, error: null, wallS: 0,
  };
}

test('the median of the rounds\' ratios decides, not a ratio of medians or one slow round', () => {
  const p = { id: 'setData-16x1', empty: [20_000, 12_000, 21_000], tree: [18_800, 11_000, 9_000] };
  // Ratios 0.94, 0.917, 0.43: median 0.917 (a ratio of the medians would be 11_000 / 20_000 = 0.55).
  assert.equal(pairedKept(p)?.toFixed(3), (11_000 / 12_000).toFixed(3));
  const goal = bigTreeGoals([run([p])], null).find((g) => g.goal.startsWith('setData-16x1'));
  assert.equal(goal?.met, true);
  assert.match(goal?.value ?? '', /^0\.92×: median of 3 paired rounds/);
  const slow = { id: 'setData-16x1', empty: [20_000, 20_000, 20_000], tree: [17_000, 19_000, 17_900] };
  assert.equal(bigTreeGoals([run([slow])], null).find((g) => g.goal.startsWith('setData-16x1'))?.met, false);
  assert.equal(pairedKept({ id: 'x', empty: [], tree: [] }), null);
});

test('without paired rounds the single windows decide', () => {
  const goal = bigTreeGoals([run([])], null).find((g) => g.goal.startsWith('setData-16x1'));
  assert.equal(goal?.met, false);
  assert.match(goal?.value ?? '', /^0\.50×/);
});
