// `npm run sim`: the simulators from the command line.
//   npm run sim                          soak the full-stack quorum simulator (zab-sim.ts), 10,000 seeds
//   npm run sim -- --seed N              replay one seed of it, printing its trace
//   npm run sim -- --seeds K --from S    K seeds from S
//   add --election to run the election-only simulator (election-sim.ts) the same ways
// Shapes vary with the seed as in `npm test`.

import { runElectionSim, simShape } from './election-sim.js';
import { runZabSim, zabSimShape } from './zab-sim.js';

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

const election = process.argv.includes('--election');
const flag = election ? ' --election' : '';

interface Outcome {
  ok: boolean;
  error?: string;
  trace: string[];
  summary: string;
  lockedOut?: number[];
}

async function runOne(seed: number, trace: boolean): Promise<Outcome> {
  if (election) {
    const r = runElectionSim({ seed, ...simShape(seed), trace });
    return { ...r, summary: `settled ${r.settleTicks} ticks after faults, ${r.leaders} epochs established` };
  }
  const r = await runZabSim({ seed, ...zabSimShape(seed), trace });
  return {
    ...r,
    summary: `settled ${r.settleMs} ms after faults; ${r.acked} writes acknowledged, ${r.epochs} epochs, ` +
      `${r.crashes} crashes, syncs ${JSON.stringify(r.syncs)}, ${r.steps} events` +
      (r.lockedOut.length > 0 ? `; members ${r.lockedOut.join(', ')} locked out` : ''),
  };
}

const one = arg('--seed');
if (one !== undefined) {
  const r = await runOne(one, true);
  for (const line of r.trace) console.log(line);
  console.log(r.ok ? `seed ${one}: ok, ${r.summary}` : `seed ${one}: FAILED: ${r.error}`);
  process.exit(r.ok ? 0 : 1);
}
const count = arg('--seeds') ?? (election ? 100_000 : 10_000);
const from = arg('--from') ?? 1;
const every = election ? 10_000 : 1_000;
let failed = 0;
let lockedOut = 0;
const started = Date.now();
for (let seed = from; seed < from + count; seed++) {
  const r = await runOne(seed, false);
  if ((r.lockedOut?.length ?? 0) > 0) lockedOut++;
  if (!r.ok) {
    failed++;
    console.log(`seed ${seed} FAILED: ${r.error}\n  replay: npm run sim --${flag} --seed ${seed}`);
  }
  if ((seed - from + 1) % every === 0) console.log(`${seed - from + 1} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`${count}${election ? ' election' : ''} seeds from ${from}: ${count - failed} passed, ${failed} failed` +
  (lockedOut > 0 ? ` (${lockedOut} ended with a member locked out by an accepted epoch above the leader's, as in ZooKeeper)` : ''));
process.exit(failed === 0 ? 0 : 1);
