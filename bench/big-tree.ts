// The big-tree scenario set of `npm run bench` (issue 16), run once per server: setData loads on an
// empty server, then a tree of a million 100-byte znodes, the same loads on random existing nodes of
// it, writes until at least a million have gone to it, and a restart on that data dir. Resident
// memory is taken after a full GC (zk-server: SIGUSR2 with --expose-gc; ZooKeeper: jcmd GC.run) on
// the empty server, after populating and after the writes. Apache ZooKeeper runs with -Xmx4g and G1.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runLoad, type LoadResult } from './load.js';
import { freePort, releaseDir, type ServerProcess } from './lib/launch.js';
import type { Workload } from './lib/load-protocol.js';
import { populateTree, type PopulateResult } from './lib/populate.js';
import { processTreeCpuSeconds, residentMiB } from './lib/proc-stat.js';
import { SnapshotLogWatcher } from './lib/server-log.js';
import { flavourOf, RESTART_DEADLINE_MS, restartOnItsDir, SNAPSHOT_ADDED_MAX_MS_GOAL, type RestoreResult } from './snapshots.js';
import type { TargetSpec } from './targets.js';

export interface BigTreeLoadSpec {
  id: string;
  sessions: number;
  window: number;
}

export interface BigTreeSettings {
  nodes: number;
  payloadBytes: number;
  /** Writes to the big tree before the last memory reading, at least. */
  minWrites: number;
  warmupMs: number;
  measureMs: number;
  loads: BigTreeLoadSpec[];
  createsPerMulti: number;
  populateSessions: number;
  populateWindow: number;
}

export const BIG_TREE_FULL: BigTreeSettings = {
  nodes: 1_000_000, payloadBytes: 100, minWrites: 1_000_000, warmupMs: 4_000, measureMs: 12_000,
  loads: [{ id: 'setData-16x1', sessions: 16, window: 1 }, { id: 'setData-64x32', sessions: 64, window: 32 }],
  createsPerMulti: 1000, populateSessions: 2, populateWindow: 4,
};

export const BIG_TREE_QUICK: BigTreeSettings = {
  ...BIG_TREE_FULL, nodes: 100_000, minWrites: 100_000, warmupMs: 1_000, measureMs: 3_000,
};

/** The JVM flags Apache ZooKeeper gets here: the fair heap the issue asks for. */
export const APACHE_BIG_TREE_JVM = ['-Xmx4g', '-XX:+UseG1GC'];

/** Issue 16's goals. */
export const BIG_TREE_GOALS = {
  /** Resident memory per znode after the writes, at most this share of ZooKeeper's. */
  bytesPerZnodeRatioMax: 0.5,
  /** Throughput on the big tree, at least this share of the same load on the empty server. */
  throughputKeptMin: 0.9,
  /** p999 at 64×32 on the big tree, at most this share of ZooKeeper's. */
  p999RatioMax: 0.5,
  /** Restart time on the big tree, at most this share of ZooKeeper's. */
  restartRatioMax: 0.8,
};

const GC_SETTLE_MS = 3_000;

export interface BigTreeLoadResult {
  id: string;
  workload: Workload;
  writesPerSecond: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  cpuUsPerWrite: number | null;
  /** Writes answered in warm-up and measured window together (estimated from the rates). */
  writes: number;
  /** GC pause time over server wall time, warm-up and window together, %. */
  gcSharePercent: number | null;
  /** The same by kind of collection. */
  gcShareByKind: Record<string, number> | null;
  /** Snapshots that ended in warm-up or window. */
  snapshots: number;
  /** zk-server: snapshot CPU (walk on the main thread plus encoding in workers) over server CPU, %. */
  snapshotCpuPercent: number | null;
  errors: number;
}

export interface BigTreeRun {
  targetId: string;
  label: string;
  runtimeArgs: readonly string[];
  rssMiB: { empty: number | null; populated: number | null; afterWrites: number | null };
  /** Resident bytes per znode above the empty server. */
  bytesPerZnode: { populated: number | null; afterWrites: number | null };
  populate: PopulateResult | null;
  empty: BigTreeLoadResult[];
  big: BigTreeLoadResult[];
  writesToBigTree: number;
  restart: RestoreResult | null;
  error: string | null;
  wallS: number;
}

/** What a server tells about its GC and snapshots, read before and after a load. */
interface Probe {
  /** GC pause time so far by kind (V8: minor, major, incremental, weakcb; G1: young, full, remark, cleanup). */
  gcMs(): Promise<Record<string, number> | null>;
  snapshotCpuMs(): Promise<number | null>;
  fullGc(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function metricsProbe(pid: number, metricsPort: number): Probe {
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sum = (text: string, re: RegExp): number => {
    let total = 0;
    for (const m of text.matchAll(re)) total += Number(m[1]);
    return total;
  };
  return {
    gcMs: async () => {
      const text = await scrape();
      const kinds: Record<string, number> = {};
      for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm)) kinds[m[1]] = Number(m[2]) * 1000;
      return kinds;
    },
    snapshotCpuMs: async () => {
      const text = await scrape();
      return sum(text, /^zkserver_snapshot_(?:worker|main_thread)_time_sum(?:\{[^}]*\})? (\S+)$/gm);
    },
    fullGc: async () => {
      process.kill(pid, 'SIGUSR2');
      await sleep(GC_SETTLE_MS);
    },
  };
}

function jvmProbe(pid: number, gcLog: string): Probe {
  return {
    gcMs: () => {
      let text = '';
      try { text = readFileSync(gcLog, 'utf8'); } catch { return Promise.resolve(null); }
      const kinds: Record<string, number> = {};
      for (const m of text.matchAll(/Pause (Young|Full|Remark|Cleanup)[^\n]* ([\d.]+)ms$/gm)) {
        const kind = m[1].toLowerCase();
        kinds[kind] = (kinds[kind] ?? 0) + Number(m[2]);
      }
      return Promise.resolve(kinds);
    },
    snapshotCpuMs: () => Promise.resolve(null),
    fullGc: async () => {
      const r = spawnSync('jcmd', [String(pid), 'GC.run'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`jcmd ${pid} GC.run: ${r.stderr || r.stdout}`);
      await sleep(GC_SETTLE_MS);
    },
  };
}

async function measure(
  proc: ServerProcess, probe: Probe, watcher: SnapshotLogWatcher, spec: BigTreeLoadSpec, s: BigTreeSettings, onTree: boolean,
): Promise<BigTreeLoadResult> {
  const workload: Workload = {
    sessions: spec.sessions, window: spec.window, write: 'setData', readFraction: 0, payloadBytes: s.payloadBytes,
    ...(onTree ? { existing: { parent: BIG_TREE_PARENT, nodes: s.nodes } } : {}),
  };
  const gc0 = await probe.gcMs();
  const snap0 = await probe.snapshotCpuMs();
  const cpu0 = processTreeCpuSeconds(proc.pid);
  const snaps0 = watcher.snapshots.length;
  const t0 = performance.now();
  const r: LoadResult = await runLoad({ host: proc.host, port: proc.port, pid: proc.pid }, workload, { warmupMs: s.warmupMs, measureMs: s.measureMs });
  const wallMs = performance.now() - t0;
  const gc1 = await probe.gcMs();
  const snap1 = await probe.snapshotCpuMs();
  const cpu1 = processTreeCpuSeconds(proc.pid);
  const w = r.write;
  const gcShare = gc0 === null || gc1 === null ? null : Object.fromEntries(Object.keys(gc1)
    .map((k) => [k, (100 * (gc1[k] - (gc0[k] ?? 0))) / wallMs] as const).filter(([, v]) => v > 0));
  const cpuMs = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) * 1000 : null;
  return {
    id: spec.id,
    workload,
    writesPerSecond: w?.rate ?? 0,
    p99Ms: w?.p99Ms ?? NaN,
    p999Ms: w?.p999Ms ?? NaN,
    maxMs: w?.maxMs ?? NaN,
    cpuUsPerWrite: r.server.cpuUsPerWrite,
    writes: Math.round((w?.rate ?? 0) * (s.warmupMs + r.measureMs) / 1000),
    gcSharePercent: gcShare === null ? null : Object.values(gcShare).reduce((a, b) => a + b, 0),
    gcShareByKind: gcShare,
    snapshots: watcher.snapshots.length - snaps0,
    snapshotCpuPercent: snap0 !== null && snap1 !== null && cpuMs !== null && cpuMs > 0 ? (100 * (snap1 - snap0)) / cpuMs : null,
    errors: r.errors + r.protocolErrors + r.failures.length + r.unansweredAtEnd,
  };
}

export const BIG_TREE_PARENT = '/bench/big';

async function settledRss(proc: ServerProcess, probe: Probe): Promise<number | null> {
  await probe.fullGc();
  return residentMiB(proc.pid);
}

function perZnode(mib: number | null, emptyMib: number | null, nodes: number): number | null {
  return mib === null || emptyMib === null ? null : Math.round(((mib - emptyMib) * 1024 * 1024) / nodes);
}

export function describeLoad(l: BigTreeLoadResult): string {
  return `${l.id}: ${Math.round(l.writesPerSecond).toLocaleString('en-US')} writes/s, p99 ${l.p99Ms.toFixed(1)} ms, `
    + `p999 ${l.p999Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms, CPU ${l.cpuUsPerWrite?.toFixed(1) ?? '?'} µs/write, `
    + `GC ${l.gcSharePercent?.toFixed(1) ?? '?'}%`
    + `${l.gcShareByKind === null ? '' : ` (${Object.entries(l.gcShareByKind).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`}`
    + `, ${l.snapshots} snapshot(s)`
    + `${l.snapshotCpuPercent !== null ? ` (${l.snapshotCpuPercent.toFixed(1)}% of server CPU)` : ''}`
    + `${l.errors > 0 ? `, ${l.errors} errors` : ''}`;
}

/**
 * The whole set on one server, each step reported through `progress`. Whatever fails, every
 * process it started is stopped and its data dir removed.
 */
export async function runBigTree(target: TargetSpec, s: BigTreeSettings, baseDir: string, progress: (line: string) => void): Promise<BigTreeRun> {
  const t0 = performance.now();
  const isJvm = target.kind === 'apache-zk';
  const logDir = mkdtempSync(path.join(baseDir, 'zk-bench-bigtree-'));
  const gcLog = path.join(logDir, 'gc.log');
  const run: BigTreeRun = {
    targetId: target.id, label: target.label, runtimeArgs: [],
    rssMiB: { empty: null, populated: null, afterWrites: null }, bytesPerZnode: { populated: null, afterWrites: null },
    populate: null, empty: [], big: [], writesToBigTree: 0, restart: null, error: null, wallS: 0,
  };
  let proc: ServerProcess | undefined;
  let dir: string | undefined;
  try {
    const launch = target.launch;
    if (launch === undefined) throw new Error(`${target.label}: the bench cannot start it`);
    const metricsPort = await freePort();
    const config: Record<string, string> = isJvm ? {} : {
      'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpHost': '127.0.0.1', 'metricsProvider.httpPort': String(metricsPort),
    };
    const runtimeArgs = isJvm ? [...APACHE_BIG_TREE_JVM, `-Xlog:gc:file=${gcLog}`] : ['--expose-gc'];
    run.runtimeArgs = isJvm ? APACHE_BIG_TREE_JVM : runtimeArgs;
    const watcher = new SnapshotLogWatcher(flavourOf(target));
    proc = await launch({ config, runtimeArgs, snapshotLog: true, onStderrLine: watcher.onLine, readyDeadlineMs: RESTART_DEADLINE_MS });
    dir = proc.dir;
    const probe = isJvm ? jvmProbe(proc.pid, gcLog) : metricsProbe(proc.pid, metricsPort);

    for (const spec of s.loads) {
      const l = await measure(proc, probe, watcher, spec, s, false);
      run.empty.push(l);
      progress(`empty server, ${describeLoad(l)}`);
    }
    run.rssMiB.empty = await settledRss(proc, probe);
    run.populate = await populateTree(proc.host, proc.port, {
      nodes: s.nodes, parent: BIG_TREE_PARENT, payloadBytes: s.payloadBytes,
      createsPerMulti: s.createsPerMulti, sessions: s.populateSessions, window: s.populateWindow,
    });
    run.rssMiB.populated = await settledRss(proc, probe);
    run.bytesPerZnode.populated = perZnode(run.rssMiB.populated, run.rssMiB.empty, s.nodes);
    progress(`populated ${s.nodes.toLocaleString('en-US')} nodes in ${(run.populate.ms / 1000).toFixed(1)} s `
      + `(${Math.round(run.populate.nodesPerSecond).toLocaleString('en-US')} nodes/s); resident ${run.rssMiB.populated?.toFixed(0)} MiB `
      + `(${run.bytesPerZnode.populated} B/znode above the empty server's ${run.rssMiB.empty?.toFixed(0)} MiB)`);
    for (const spec of s.loads) {
      const l = await measure(proc, probe, watcher, spec, s, true);
      run.big.push(l);
      run.writesToBigTree += l.writes;
      progress(`${s.nodes.toLocaleString('en-US')}-node tree, ${describeLoad(l)}`);
    }
    // More of the heaviest load until the tree has taken its writes.
    const heavy = s.loads[s.loads.length - 1];
    while (run.writesToBigTree < s.minWrites) {
      const rate = Math.max(1000, run.big[run.big.length - 1].writesPerSecond);
      const left = s.minWrites - run.writesToBigTree;
      const r = await runLoad({ host: proc.host, port: proc.port, pid: proc.pid }, {
        sessions: heavy.sessions, window: heavy.window, write: 'setData', readFraction: 0, payloadBytes: s.payloadBytes,
        existing: { parent: BIG_TREE_PARENT, nodes: s.nodes },
      }, { warmupMs: 0, measureMs: Math.min(120_000, Math.ceil((left / rate) * 1000) + 500) });
      run.writesToBigTree += Math.round((r.write?.rate ?? 0) * r.measureMs / 1000);
      if ((r.write?.rate ?? 0) === 0) throw new Error('the extra writes made no progress');
    }
    run.rssMiB.afterWrites = await settledRss(proc, probe);
    run.bytesPerZnode.afterWrites = perZnode(run.rssMiB.afterWrites, run.rssMiB.empty, s.nodes);
    progress(`after ${run.writesToBigTree.toLocaleString('en-US')} writes to the tree: resident ${run.rssMiB.afterWrites?.toFixed(0)} MiB `
      + `(${run.bytesPerZnode.afterWrites} B/znode)`);

    const restarted = await restartOnItsDir(proc, launch, flavourOf(target), { config, runtimeArgs: isJvm ? APACHE_BIG_TREE_JVM : [] });
    proc = restarted.proc;
    run.restart = restarted.restore;
    progress(`restart: serving ${(proc.readyMs / 1000).toFixed(2)} s after spawn (node count ${run.restart.nodeCount})`);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    progress(`FAILED: ${run.error.split('\n')[0]}`);
  } finally {
    await proc?.stop().catch(() => undefined);
    if (dir !== undefined) releaseDir(dir);
    rmSync(logDir, { recursive: true, force: true });
    run.wallS = (performance.now() - t0) / 1000;
  }
  return run;
}

export interface BigTreeGoal {
  goal: string;
  value: string;
  met: boolean | null;
}

/** Issue 16's goals from one run's zk-server (filelog) and Apache ZooKeeper results. */
export function bigTreeGoals(runs: BigTreeRun[], snapshotAddedMaxMs: number | null): BigTreeGoal[] {
  const zk = runs.find((r) => r.targetId === 'zk-server');
  const ap = runs.find((r) => r.targetId === 'apache-zk');
  const goals: BigTreeGoal[] = [];
  const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
    a == null || b == null || !(b > 0) ? null : a / b;
  const mem = ratio(zk?.bytesPerZnode.afterWrites, ap?.bytesPerZnode.afterWrites);
  goals.push({
    goal: `resident bytes per znode after the writes ≤ ${BIG_TREE_GOALS.bytesPerZnodeRatioMax}× ZooKeeper's`,
    value: `${zk?.bytesPerZnode.afterWrites ?? '?'} B vs ${ap?.bytesPerZnode.afterWrites ?? '?'} B = ${mem?.toFixed(2) ?? '?'}×`,
    met: mem === null ? null : mem <= BIG_TREE_GOALS.bytesPerZnodeRatioMax,
  });
  for (const big of zk?.big ?? []) {
    const empty = zk?.empty.find((e) => e.id === big.id);
    const kept = ratio(big.writesPerSecond, empty?.writesPerSecond);
    goals.push({
      goal: `${big.id}: throughput on the tree ≥ ${BIG_TREE_GOALS.throughputKeptMin}× the empty server's`,
      value: `${Math.round(big.writesPerSecond)} vs ${Math.round(empty?.writesPerSecond ?? NaN)} writes/s = ${kept?.toFixed(2) ?? '?'}×`,
      met: kept === null ? null : kept >= BIG_TREE_GOALS.throughputKeptMin,
    });
  }
  const zk64 = zk?.big.find((l) => l.id === 'setData-64x32');
  const ap64 = ap?.big.find((l) => l.id === 'setData-64x32');
  const p999 = ratio(zk64?.p999Ms, ap64?.p999Ms);
  goals.push({
    goal: `setData-64x32 on the tree: p999 ≤ ${BIG_TREE_GOALS.p999RatioMax}× ZooKeeper's`,
    value: `${zk64?.p999Ms.toFixed(1) ?? '?'} vs ${ap64?.p999Ms.toFixed(1) ?? '?'} ms = ${p999?.toFixed(2) ?? '?'}×`,
    met: p999 === null ? null : p999 <= BIG_TREE_GOALS.p999RatioMax,
  });
  goals.push({
    goal: `a snapshot adds ≤ ${SNAPSHOT_ADDED_MAX_MS_GOAL} ms to max write latency (snapshot-stall scenario)`,
    value: snapshotAddedMaxMs === null ? 'not measured in this run' : `${snapshotAddedMaxMs >= 0 ? '+' : ''}${snapshotAddedMaxMs.toFixed(1)} ms`,
    met: snapshotAddedMaxMs === null ? null : snapshotAddedMaxMs <= SNAPSHOT_ADDED_MAX_MS_GOAL,
  });
  const restart = ratio(zk?.restart?.readyMs, ap?.restart?.readyMs);
  goals.push({
    goal: `restart on the tree ≤ ${BIG_TREE_GOALS.restartRatioMax}× ZooKeeper's time`,
    value: `${((zk?.restart?.readyMs ?? NaN) / 1000).toFixed(2)} vs ${((ap?.restart?.readyMs ?? NaN) / 1000).toFixed(2)} s = ${restart?.toFixed(2) ?? '?'}×`,
    met: restart === null ? null : restart <= BIG_TREE_GOALS.restartRatioMax,
  });
  return goals;
}

export function renderBigTree(s: BigTreeSettings, runs: BigTreeRun[], goals: BigTreeGoal[]): string {
  const lines: string[] = [];
  lines.push(`== Big tree: ${s.nodes.toLocaleString('en-US')} znodes of ${s.payloadBytes} B, setData on random existing nodes `
    + `(Apache ZooKeeper with ${APACHE_BIG_TREE_JVM.join(' ')}) ==`);
  for (const r of runs) {
    lines.push(`${r.label}${r.error !== null ? `: FAILED: ${r.error.split('\n')[0]}` : ''}`);
    lines.push(`  resident MiB after full GC: empty ${r.rssMiB.empty?.toFixed(0) ?? '?'}, populated ${r.rssMiB.populated?.toFixed(0) ?? '?'}, `
      + `after ${r.writesToBigTree.toLocaleString('en-US')} writes ${r.rssMiB.afterWrites?.toFixed(0) ?? '?'}; per znode above empty: `
      + `${r.bytesPerZnode.populated ?? '?'} B populated, ${r.bytesPerZnode.afterWrites ?? '?'} B after the writes`);
    if (r.populate !== null) lines.push(`  populate: ${Math.round(r.populate.nodesPerSecond).toLocaleString('en-US')} nodes/s`);
    for (const l of r.empty) lines.push(`  empty  ${describeLoad(l)}`);
    for (const l of r.big) lines.push(`  tree   ${describeLoad(l)}`);
    if (r.restart !== null) {
      const b = r.restart.breakdown;
      lines.push(`  restart: serving after ${(r.restart.readyMs / 1000).toFixed(2)} s (snapshot load ${b.snapshotLoadMs ?? '?'} ms, `
        + `replay of ${b.txnsReplayed ?? '?'} txns ${b.logReplayMs ?? '?'} ms)`);
    }
  }
  lines.push('goals:');
  for (const g of goals) lines.push(`  ${g.met === null ? '[ ? ]' : g.met ? '[met]' : '[NOT met]'} ${g.goal}: ${g.value}`);
  return lines.join('\n');
}
