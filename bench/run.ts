// `npm run bench`: every scenario against zk-server and Apache ZooKeeper 3.8 on this machine, in one
// run, repeated and alternated so machine noise hits both alike; medians, ratios and goal checks to
// the console, JSON and a markdown summary to bench/results/.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  BIG_TREE_FULL, BIG_TREE_QUICK, bigTreeGoals, renderBigTree, runBigTree, type BigTreeGoal, type BigTreeRun, type BigTreeSettings,
} from './big-tree.js';
import { describeLoadResult, killAllWorkersSync, runLoad } from './load.js';
import { killAllServersSync } from './lib/launch.js';
import { describeMachine, machineOneLiner } from './lib/machine.js';
import {
  buildScenarioReport, clientCheckLine, renderMarkdown, renderScenario, type RunRecord, type ScenarioReport, type TargetInfo,
} from './report.js';
import { SCENARIOS, SPECIAL_SCENARIOS, type Scenario } from './scenarios.js';
import { buildSnapshotReport, renderSnapshotMarkdown, renderSnapshotReport, type SnapshotScenarioReport } from './snapshot-report.js';
import {
  runSnapshotScenarios, SNAPSHOT_SETTINGS_FULL, SNAPSHOT_SETTINGS_QUICK, type SnapshotRun, type SnapshotScenarioSettings,
} from './snapshots.js';
import { floorId, planTargets, REPO_ROOT, TICK_TIME_MS, type TargetPlan, type TargetSpec } from './targets.js';

/** --only id of the big-tree set (bench/big-tree.ts). */
const BIG_TREE_ID = 'big-tree';

interface RunSettings { reps: number; warmupMs: number; measureMs: number }
const QUICK: RunSettings = { reps: 1, warmupMs: 1_000, measureMs: 2_500 };
const FULL: RunSettings = { reps: 3, warmupMs: 4_000, measureMs: 8_000 };

const USAGE = `usage: npm run bench -- [options]
  --quick              one short run per scenario and server, no floors (smoke check, < 2 minutes)
  --only IDS           comma-separated scenario ids (see bench/scenarios.ts)
  --reps N             runs per scenario and server (default 3, quick 1)
  --warmup S           warm-up seconds (default 4, quick 1)
  --measure S          measured seconds (default 8, quick 2.5)
  --client-procs P     client processes for every scenario (default: by session count)
  --data-dir DIR       where the servers' fresh data dirs are made (default: the OS temp dir)
  --connect HOST:PORT  measure a running server instead of starting any
  --server-pid PID     with --connect: the server process to charge CPU to
  --no-apache          leave Apache ZooKeeper out
  --snapshot-nodes N   tree size of the snapshot scenarios (default 1000000, quick 100000)
  --snap-count N       snapCount for both servers in the snapshot scenarios (default 40000, quick 6000)
  --no-snapshots       leave the snapshot scenarios out
  --big-tree-nodes N   tree size of the big-tree set (default 1000000, quick 100000)
  --no-big-tree        leave the big-tree set out (id big-tree in --only)
  --out DIR            results directory (default bench/results)

environment: ZK_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the zk-server processes
`;

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length > 0 && line.length + 1 + word.length > width) { out.push(line); line = '  '; }
    line += (line.trim().length > 0 ? ' ' : '') + word;
  }
  if (line.trim().length > 0) out.push(line);
  return out;
}

function banner(notes: string[]): void {
  const lines = notes.flatMap((n) => wrap(n, 96));
  const width = Math.max(...lines.map((l) => l.length));
  log('!'.repeat(width + 4));
  for (const l of lines) log(`! ${l.padEnd(width)} !`);
  log('!'.repeat(width + 4));
}

async function runOne(target: TargetSpec, scenario: Scenario, settings: RunSettings, rep: number, clientProcs: number | undefined): Promise<RunRecord> {
  let running;
  try {
    running = await target.start();
    const result = await runLoad({ host: running.host, port: running.port, pid: running.pid }, scenario.workload, {
      warmupMs: settings.warmupMs,
      measureMs: settings.measureMs,
      clientProcs: clientProcs ?? scenario.clientProcs,
    });
    return { rep, ok: true, result };
  } catch (err) {
    return { rep, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await running?.stop().catch(() => undefined);
  }
}

/**
 * The servers the snapshot scenarios run on, or why they can't run: they restart the server and read
 * its log, so the bench must start it; zk-server only with filelog (issue 3's storage).
 */
function snapshotTargets(plan: TargetPlan): { targets: TargetSpec[]; reason: string | null; notes: string[] } {
  const notes: string[] = [];
  const targets = plan.targets.filter((t) => t.launch !== undefined && (t.kind === 'apache-zk' || t.storage === 'filelog'));
  if (!targets.some((t) => t.kind === 'zk-server')) {
    return { targets: [], reason: 'not available: needs zk-server with filelog storage, started by the bench (not --connect)', notes };
  }
  const left = plan.targets.filter((t) => !targets.includes(t));
  if (left.length > 0) notes.push(`snapshot scenarios leave out ${left.map((t) => t.label).join(', ')} (they measure filelog, issue 3)`);
  return { targets, reason: null, notes };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' }, only: { type: 'string' }, reps: { type: 'string' }, warmup: { type: 'string' },
      measure: { type: 'string' }, 'client-procs': { type: 'string' }, 'data-dir': { type: 'string' },
      connect: { type: 'string' }, 'server-pid': { type: 'string' }, 'no-apache': { type: 'boolean' },
      'snapshot-nodes': { type: 'string' }, 'snap-count': { type: 'string' }, 'no-snapshots': { type: 'boolean' },
      'big-tree-nodes': { type: 'string' }, 'no-big-tree': { type: 'boolean' },
      out: { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help) { process.stdout.write(USAGE); return 0; }
  const quick = values.quick === true;
  const base = quick ? QUICK : FULL;
  const settings: RunSettings = {
    reps: values.reps !== undefined ? Number(values.reps) : base.reps,
    warmupMs: values.warmup !== undefined ? Number(values.warmup) * 1000 : base.warmupMs,
    measureMs: values.measure !== undefined ? Number(values.measure) * 1000 : base.measureMs,
  };
  const clientProcs = values['client-procs'] !== undefined ? Number(values['client-procs']) : undefined;
  const dataDirBase = path.resolve(values['data-dir'] ?? os.tmpdir());
  mkdirSync(dataDirBase, { recursive: true });
  const outDir = path.resolve(values.out ?? path.join(REPO_ROOT, 'bench', 'results'));

  let scenarios = SCENARIOS.filter((s) => !(quick && s.fullOnly));
  let runSnapshots = values['no-snapshots'] !== true;
  let runBigTreeSet = values['no-big-tree'] !== true;
  if (values.only !== undefined) {
    const ids = new Set(values.only.split(',').map((s) => s.trim()));
    runBigTreeSet &&= ids.has(BIG_TREE_ID);
    ids.delete(BIG_TREE_ID);
    const known = [...SCENARIOS, ...SPECIAL_SCENARIOS].map((s) => s.id);
    const unknown = [...ids].filter((id) => !known.includes(id));
    if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
    scenarios = SCENARIOS.filter((s) => ids.has(s.id));
    runSnapshots &&= SPECIAL_SCENARIOS.some((s) => ids.has(s.id));
  }
  const snapshotSettings: SnapshotScenarioSettings = { ...(quick ? SNAPSHOT_SETTINGS_QUICK : SNAPSHOT_SETTINGS_FULL) };
  if (values['snapshot-nodes'] !== undefined) snapshotSettings.nodes = Number(values['snapshot-nodes']);
  if (values['snap-count'] !== undefined) snapshotSettings.snapCount = Number(values['snap-count']);
  if (!(Number.isInteger(snapshotSettings.nodes) && snapshotSettings.nodes > 0)) throw new Error('--snapshot-nodes: a positive integer');
  if (!(Number.isInteger(snapshotSettings.snapCount) && snapshotSettings.snapCount >= 2)) throw new Error('--snap-count: an integer ≥ 2');
  const bigTreeSettings: BigTreeSettings = { ...(quick ? BIG_TREE_QUICK : BIG_TREE_FULL) };
  if (values['big-tree-nodes'] !== undefined) {
    bigTreeSettings.nodes = Number(values['big-tree-nodes']);
    bigTreeSettings.minWrites = bigTreeSettings.nodes;
  }
  if (!(Number.isInteger(bigTreeSettings.nodes) && bigTreeSettings.nodes > 0)) throw new Error('--big-tree-nodes: a positive integer');

  const startedAt = new Date();
  const t0 = performance.now();
  const plan = await planTargets({
    baseDir: dataDirBase,
    connect: values.connect,
    connectPid: values['server-pid'] !== undefined ? Number(values['server-pid']) : null,
    noApache: values['no-apache'],
  });
  // --quick stays under two minutes without the floors.
  if (quick) plan.floors = [];
  if (quick && plan.baselineId !== null) {
    plan.notes.push(`--quick: ${settings.warmupMs / 1000} s of warm-up is short for the JVM's JIT and each run starts a fresh `
      + 'server; ratios are a smoke check, use the full run for figures');
  }
  const snap = snapshotTargets(plan);
  if (runSnapshots) plan.notes.push(...snap.notes);
  const machine = describeMachine(dataDirBase, plan.javaVersion);
  log(`zk-server bench${quick ? ' --quick' : ''}: ${scenarios.length} scenarios × ${plan.targets.length} server(s) × ${settings.reps} run(s), `
    + `warm-up ${settings.warmupMs / 1000} s, measured ${settings.measureMs / 1000} s`
    + `${runSnapshots && snap.reason === null ? `; then the snapshot scenarios on a ${snapshotSettings.nodes.toLocaleString('en-US')}-node tree` : ''}`);
  log(`machine: ${machineOneLiner(machine)}`);
  log(`servers: ${plan.targets.map((t) => t.label).join(', ')}; forceSync=yes and tickTime=${TICK_TIME_MS} on both; fresh data dir per run under ${dataDirBase}`);
  const floored = scenarios.filter((s) => (s.floors?.length ?? 0) > 0).map((s) => s.id);
  if (floored.length > 0 && plan.floors.length > 0) {
    log(`floors (bench/floor-server.ts, a bare server that only makes writes durable and answers): `
      + `${plan.floors.map((f) => f.label).join(', ')}, in ${floored.join(', ')}`);
  }
  if (plan.notes.length > 0) banner(plan.notes);
  if (machine.loadAverageAtStart[0] > machine.cores) {
    log(`note: load average ${machine.loadAverageAtStart[0]} exceeds ${machine.cores} cores: other work shares the CPUs, trust ratios over absolute numbers`);
  }
  log();

  // Each scenario's servers, and the floors it names (bench/floor-server.ts).
  const targetsOf = (s: Scenario): TargetSpec[] => [
    ...plan.targets, ...plan.floors.filter((f) => s.floors?.some((kind) => f.id === floorId(kind)) === true),
  ];
  const runs = new Map<string, Record<string, RunRecord[]>>();
  for (const s of scenarios) runs.set(s.id, Object.fromEntries(targetsOf(s).map((t) => [t.id, [] as RunRecord[]])));
  for (let rep = 0; rep < settings.reps; rep++) {
    for (const [i, scenario] of scenarios.entries()) {
      // Alternate which server goes first, so drift in machine load does not favour one side.
      const targets = targetsOf(scenario);
      const order = (rep + i) % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const runStart = performance.now();
        const record = await runOne(target, scenario, settings, rep, clientProcs);
        runs.get(scenario.id)?.[target.id]?.push(record);
        const wallS = ((performance.now() - runStart) / 1000).toFixed(1);
        const head = `[${rep + 1}/${settings.reps}] ${scenario.id} on ${target.label} (${wallS} s):`;
        if (record.ok) log(`${head}\n  ${describeLoadResult(record.result).replaceAll('\n', '\n  ')}`);
        else log(`${head} FAILED: ${record.error}`);
      }
    }
  }

  const floorIds = new Set(plan.floors.map((f) => f.id));
  const reports: ScenarioReport[] = scenarios.map((s) => buildScenarioReport(s, runs.get(s.id) ?? {}, plan.baselineId, floorIds));
  const targetInfo: TargetInfo[] = plan.targets.map((t) => ({ id: t.id, label: t.label }));
  const floorInfo: TargetInfo[] = plan.floors.map((f) => ({
    id: f.id, label: f.label, floorFor: plan.targets.find((t) => t.kind === 'zk-server' && t.storage === f.storage)?.id,
  }));
  log();
  for (const [i, r] of reports.entries()) {
    log(`== ${r.title} (${settings.reps} run(s), medians) ==`);
    const floorsHere = floorInfo.filter((f) => targetsOf(scenarios[i]).some((t) => t.id === f.id));
    log(renderScenario(r, [...targetInfo, ...floorsHere], plan.baselineId));
    if (r.clientCheckOf !== undefined) log(clientCheckLine(r, reports.find((o) => o.id === r.clientCheckOf), targetInfo));
    log();
  }
  const unavailable: Array<{ id: string; title: string; reason: string }> = [];
  let snapshotReport: SnapshotScenarioReport | null = null;
  if (runSnapshots && snap.reason !== null) {
    for (const special of SPECIAL_SCENARIOS) {
      unavailable.push({ id: special.id, title: special.title, reason: snap.reason });
      log(`== ${special.title} ==\n${snap.reason}\n`);
    }
  } else if (runSnapshots) {
    log(`snapshot scenarios: ${snapshotSettings.nodes.toLocaleString('en-US')}-node tree, snapCount=${snapshotSettings.snapCount}, `
      + `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const snapshotRuns: SnapshotRun[] = [];
    for (const target of snap.targets) {
      const run = await runSnapshotScenarios(target, snapshotSettings, (line) => log(`  ${target.label}: ${line}`));
      log(`  ${target.label}: done in ${run.wallS.toFixed(1)} s, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      snapshotRuns.push(run);
    }
    snapshotReport = buildSnapshotReport(snapshotSettings, snapshotRuns, plan.baselineId);
    log();
    log(renderSnapshotReport(snapshotReport));
    log();
  }
  let bigTree: { settings: BigTreeSettings; runs: BigTreeRun[]; goals: BigTreeGoal[]; text: string } | null = null;
  if (runBigTreeSet && snap.reason === null) {
    log(`big-tree set: ${bigTreeSettings.nodes.toLocaleString('en-US')} znodes, Apache ZooKeeper with -Xmx4g G1, `
      + `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const runs: BigTreeRun[] = [];
    for (const target of snap.targets) {
      const run = await runBigTree(target, bigTreeSettings, dataDirBase, (line) => log(`  ${target.label}: ${line}`));
      log(`  ${target.label}: done in ${run.wallS.toFixed(1)} s, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      runs.push(run);
    }
    const addedMax = snapshotReport?.runs.find((r) => r.targetId === 'zk-server')?.stall?.addedMaxMs ?? null;
    const goals = bigTreeGoals(runs, addedMax);
    bigTree = { settings: bigTreeSettings, runs, goals, text: renderBigTree(bigTreeSettings, runs, goals) };
    log();
    log(bigTree.text);
    log();
  } else if (runBigTreeSet) {
    log(`== big tree ==\n${snap.reason}\n`);
  }
  if (plan.notes.length > 0) banner(plan.notes);

  const durationS = (performance.now() - t0) / 1000;
  const stamp = startedAt.toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
  mkdirSync(outDir, { recursive: true });
  const jsonPath = path.join(outDir, `${stamp}.json`);
  const mdPath = path.join(outDir, `${stamp}.md`);
  const summary = {
    startedAt: startedAt.toISOString(), durationS, quick, machine, targets: targetInfo, floors: floorInfo, baselineId: plan.baselineId,
    notes: plan.notes, scenarios: reports, unavailable, ...settings,
  };
  writeFileSync(jsonPath, `${JSON.stringify({
    ...summary, snapshotScenarios: snapshotReport, bigTree: bigTree === null ? null : { settings: bigTree.settings, runs: bigTree.runs, goals: bigTree.goals },
    loadAverageAtEnd: os.loadavg(), tickTimeMs: TICK_TIME_MS, forceSync: 'yes',
  }, null, 2)}\n`);
  writeFileSync(mdPath, renderMarkdown(summary) + (snapshotReport === null ? '' : `\n${renderSnapshotMarkdown(snapshotReport)}`)
    + (bigTree === null ? '' : `\n## Big tree\n\n\`\`\`\n${bigTree.text}\n\`\`\`\n`));
  log(`results: ${path.relative(process.cwd(), jsonPath)} and ${path.relative(process.cwd(), mdPath)} (${Math.round(durationS)} s)`);
  const failedRuns = reports.flatMap((r) => Object.values(r.runs).flat()).filter((r) => !r.ok).length
    + (snapshotReport?.runs.filter((r) => r.error !== null).length ?? 0)
    + (bigTree?.runs.filter((r) => r.error !== null).length ?? 0);
  return failedRuns > 0 ? 1 : 0;
}

// Servers and client processes must not outlive the bench, whatever ends it.
process.on('exit', () => { killAllWorkersSync(); killAllServersSync(); });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\nbench: ${sig}, stopping servers and clients\n`);
    killAllWorkersSync();
    killAllServersSync();
    process.exit(130);
  });
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
