// `npm run bench:micro`: times the hot functions of the write path with the `benchmark` package and
// prints ns/op per case; `-- --quick` for shorter samples, `-- NAME` to run only matching cases.
// Results also go to bench/results/micro-<timestamp>.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Benchmark from 'benchmark';
import { REPO_ROOT } from '../targets.js';
import { checksumSuite } from './checksums.js';
import { framingSuite } from './framing.js';
import { juteSuite } from './jute.js';
import type { MicroSuite } from './suite.js';
import { treeSuite } from './tree.js';

interface CaseResult { suite: string; name: string; opsPerSec: number; nsPerOp: number; rmePercent: number; samples: number }

function runSuite(suite: MicroSuite, maxTimeS: number, filter: string[]): Promise<CaseResult[]> {
  const cases = suite.cases.filter((c) => filter.length === 0 || filter.some((f) => `${suite.name} ${c.name}`.includes(f)));
  if (cases.length === 0) return Promise.resolve([]);
  const bs = new Benchmark.Suite(suite.name);
  for (const c of cases) bs.add(c.name, c.fn, { maxTime: maxTimeS, minSamples: 5 });
  return new Promise((resolve, reject) => {
    const results: CaseResult[] = [];
    bs.on('cycle', (event: Benchmark.Event) => {
      const b = event.target;
      const hz = b.hz ?? 0;
      const r: CaseResult = {
        suite: suite.name, name: b.name ?? '?', opsPerSec: hz, nsPerOp: hz > 0 ? 1e9 / hz : NaN,
        rmePercent: b.stats?.rme ?? NaN, samples: b.stats?.sample.length ?? 0,
      };
      results.push(r);
      process.stdout.write(`  ${r.name.padEnd(58)} ${r.nsPerOp.toFixed(1).padStart(10)} ns/op  ${Math.round(hz).toLocaleString('en-US').padStart(13)} ops/s  ±${r.rmePercent.toFixed(1)}%\n`);
    });
    bs.on('error', (event: Benchmark.Event) => reject((event.target as { error?: Error }).error ?? new Error('benchmark failed')));
    bs.on('complete', () => resolve(results));
    bs.run({ async: false });
  });
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const filter = argv.filter((a) => !a.startsWith('--'));
  const maxTimeS = quick ? 0.25 : 1;
  const suites: MicroSuite[] = [juteSuite(), framingSuite(), await checksumSuite(), treeSuite()];
  const all: CaseResult[] = [];
  process.stdout.write(`micro-benchmarks, node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim() ?? '?'})\n`);
  for (const s of suites) {
    process.stdout.write(`${s.name}${s.skipped ? ` (some cases skipped: ${s.skipped})` : ''}\n`);
    all.push(...(await runSuite(s, maxTimeS, filter)));
  }
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `micro-${new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(file, `${JSON.stringify({ node: process.version, cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, loadAverage: os.loadavg(), results: all }, null, 2)}\n`);
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench:micro: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
