// The election simulator in `npm test`: thousands of seeds of the production FastLeaderElection
// under crashes, partitions, broken connections and long delays (see election-sim.ts for the fault
// model and the checks). A failing seed prints the command that replays it with its trace.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runElectionSim, simShape } from './election-sim.js';

const SEEDS = 3000;

test(`election simulator: ${SEEDS} seeds keep every check and settle on one leader`, () => {
  const failures: string[] = [];
  let slowest = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = runElectionSim({ seed, ...simShape(seed) });
    if (!r.ok) failures.push(`seed ${seed}: ${r.error} (replay: npm run sim -- --election --seed ${seed})`);
    else slowest = Math.max(slowest, r.settleTicks ?? 0);
  }
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${SEEDS} seeds failed`);
  assert.ok(slowest > 0, 'some seed needed time to settle after its faults');
});

test('election simulator: seed 28629, two leaders at once and the follower ahead of the later one', () => {
  // The soak found it: peer 4 decided LEADING from its followers' FOLLOWING answers while peer 5
  // won a round with 3 and 4's LOOKING votes; 4 committed writes in epoch 4, and 5 then gathered
  // a follower that had synced with 4. Discovery must drop that follower (it is ahead of the
  // leader), or 5 would lead without the acknowledged writes.
  const r = runElectionSim({ seed: 28629, ...simShape(28629), trace: true });
  assert.ok(r.ok, r.error);
  assert.ok(r.trace.some((l) => /drops \d+: follower is ahead of the leader/.test(l)), 'the run drops a follower ahead of its leader');
});

test('election simulator: a seed replays exactly', () => {
  const a = runElectionSim({ seed: 4242, ...simShape(4242), trace: true });
  const b = runElectionSim({ seed: 4242, ...simShape(4242), trace: true });
  assert.ok(a.ok, a.error);
  assert.ok(a.trace.length > 10, 'the trace records the run');
  assert.deepEqual(a.trace, b.trace);
});
