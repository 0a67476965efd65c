// `npm run sim`: the election simulator from the command line. `--seed N` replays one seed with its
// trace; `--seeds K [--from S]` runs K seeds (a soak); shapes vary with the seed as in `npm test`.

import { runElectionSim, simShape } from './election-sim.js';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`${name} needs a non-negative integer`);
    process.exit(2);
  }
  return v;
}

const one = arg('--seed');
if (one !== undefined) {
  const r = runElectionSim({ seed: one, ...simShape(one), trace: true });
  for (const line of r.trace) console.log(line);
  console.log(r.ok ? `seed ${one}: ok, settled ${r.settleTicks} ticks after faults, ${r.leaders} epochs established` : `seed ${one}: FAILED: ${r.error}`);
  process.exit(r.ok ? 0 : 1);
}
const count = arg('--seeds') ?? 100_000;
const from = arg('--from') ?? 1;
let failed = 0;
let maxSettle = 0;
const started = Date.now();
for (let seed = from; seed < from + count; seed++) {
  const r = runElectionSim({ seed, ...simShape(seed) });
  if (!r.ok) {
    failed++;
    console.log(`seed ${seed} FAILED: ${r.error}\n  replay: npm run sim -- --seed ${seed}`);
  } else maxSettle = Math.max(maxSettle, r.settleTicks ?? 0);
  if ((seed - from + 1) % 10_000 === 0) console.log(`${seed - from + 1} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`${count} seeds from ${from}: ${count - failed} passed, ${failed} failed; slowest settle ${maxSettle} ticks`);
process.exit(failed === 0 ? 0 : 1);
