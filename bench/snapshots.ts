// The snapshot scenarios of `npm run bench` (issues 3 and 5), run once per server: build a large
// tree, write to it continuously while the server snapshots it (snapCount set low on both servers)
// and compare write latency of requests in flight during snapshots with the rest; then stop the
// server and time its restart on that data dir until it serves.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runLoad, type LoadResult } from './load.js';
import type { LatencySummary } from './lib/histogram.js';
import { fourLetter, releaseDir, type ServerProcess } from './lib/launch.js';
import type { Workload } from './lib/load-protocol.js';
import { populateTree, type PopulateResult } from './lib/populate.js';
import { splitBySpans, type SlowRequest } from './lib/samples.js';
import {
  RestoreLogWatcher, SnapshotLogWatcher, type LoggedSnapshot, type RestoreBreakdown, type ServerFlavour,
} from './lib/server-log.js';
import type { LaunchOptions, TargetSpec } from './targets.js';

export interface SnapshotScenarioSettings {
  /** Nodes in the tree (1,000,000 in the full run). */
  nodes: number;
  /** zoo.cfg snapCount for both servers: a snapshot every snapCount/2 + random(snapCount/2) txns. */
  snapCount: number;
  workload: Workload;
  warmupMs: number;
  /** The measured window lasts at least this long… */
  minMeasureMs: number;
  /** …and until this many snapshots ran wholly inside it, or maxMeasureMs. */
  minSnapshots: number;
  maxMeasureMs: number;
  /** Raw samples kept per client process (12 bytes each). */
  sampleCapacityPerProcess: number;
  createsPerMulti: number;
  populateSessions: number;
  populateWindow: number;
}

export const SNAPSHOT_SETTINGS_FULL: SnapshotScenarioSettings = {
  nodes: 1_000_000, snapCount: 40_000,
  workload: { sessions: 16, window: 1, write: 'setData', readFraction: 0, payloadBytes: 100 },
  warmupMs: 3_000, minMeasureMs: 10_000, minSnapshots: 2, maxMeasureMs: 60_000,
  sampleCapacityPerProcess: 4_000_000, createsPerMulti: 1000, populateSessions: 2, populateWindow: 4,
};

export const SNAPSHOT_SETTINGS_QUICK: SnapshotScenarioSettings = {
  ...SNAPSHOT_SETTINGS_FULL,
  nodes: 100_000, snapCount: 6_000, warmupMs: 500, minMeasureMs: 2_000, maxMeasureMs: 15_000,
};

/** Issue 3's goal: a snapshot adds no more than this to the max write latency. */
export const SNAPSHOT_ADDED_MAX_MS_GOAL = 20;

/** A window ends this soon after a snapshot ended, so none is in progress when it ends. */
const END_AFTER_SNAPSHOT_WITHIN_MS = 300;
/** How long a start (a restore of a million nodes) may take before the bench gives up. */
export const RESTART_DEADLINE_MS = 600_000;
const RESTART_POLL_MS = 10;

export interface SnapshotStallResult {
  populate: PopulateResult;
  measureMs: number;
  writesPerSecond: number;
  /** Snapshots that overlapped the measured window, as the server logged them. */
  snapshots: LoggedSnapshot[];
  /** Snapshots the server skipped as "too busy" during the run. */
  skipped: number;
  /** Writes in flight while a snapshot ran, and all others. */
  during: LatencySummary;
  outside: LatencySummary;
  /** during − outside. */
  addedP99Ms: number | null;
  addedMaxMs: number | null;
  /** zk-server: the longest main-thread slice of the tree walk over the window's snapshots. */
  longestSliceMs: number | null;
  slowest: SlowRequest[];
  samplesDropped: number;
  errors: number;
  snapshotFileBytes: number | null;
}

export interface RestoreResult {
  /** SIGTERM until the process exited. */
  stopMs: number;
  /** Spawn until ruok says imok and srvr says serving. */
  readyMs: number;
  breakdown: RestoreBreakdown;
  /** srvr's "Node count" once serving (ZooKeeper counts the root twice, and /zookeeper nodes). */
  nodeCount: number | null;
  /** Disk used by the data dir (snapshots and logs) after the restart. */
  dataDirBytes: number;
}

export interface SnapshotRun {
  targetId: string;
  label: string;
  stall: SnapshotStallResult | null;
  restore: RestoreResult | null;
  error: string | null;
  /** Wall time of the whole run on this server, s. */
  wallS: number;
}

export function flavourOf(target: TargetSpec): ServerFlavour {
  if (target.kind === 'zk-server') return 'zk-server';
  if (target.kind === 'apache-zk') return 'apache-zk';
  throw new Error(`${target.label}: snapshot scenarios need a server the bench starts itself`);
}

/** Disk space the files under `dir` take (allocated blocks: preallocated log tails are sparse). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? diskBytes(p) : statSync(p).blocks * 512;
  }
  return total;
}

/** Size of the newest snapshot.<zxid> in dataDir/version-2 (by zxid). */
function newestSnapshotBytes(dataDir: string): number | null {
  const dir = path.join(dataDir, 'version-2');
  const snaps = readdirSync(dir).filter((f) => /^snapshot\.[0-9a-f]+$/.test(f))
    .sort((a, b) => Number(BigInt(`0x${b.slice(9)}`) - BigInt(`0x${a.slice(9)}`)));
  return snaps.length === 0 ? null : statSync(path.join(dir, snaps[0])).size;
}

async function nodeCount(proc: ServerProcess): Promise<number | null> {
  const srvr = await fourLetter(proc.host, proc.port, 'srvr', 5_000).catch(() => '');
  const m = /Node count: (\d+)/.exec(srvr);
  return m === null ? null : Number(m[1]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for the next snapshot end, at most `ms`; null when none came. */
function nextSnapshotEnd(watcher: SnapshotLogWatcher, ms: number): Promise<LoggedSnapshot | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { off(); resolve(null); }, ms);
    const off = watcher.onSnapshotEnd((s) => { clearTimeout(timer); off(); resolve(s); });
  });
}

async function measureStall(
  proc: ServerProcess, watcher: SnapshotLogWatcher, populate: PopulateResult, s: SnapshotScenarioSettings,
): Promise<SnapshotStallResult> {
  let windowStartMs = Infinity;
  let endedEarly = false;
  const load: LoadResult = await runLoad({ host: proc.host, port: proc.port, pid: proc.pid }, s.workload, {
    warmupMs: s.warmupMs,
    measureMs: s.maxMeasureMs,
    sampleCapacityPerProcess: s.sampleCapacityPerProcess,
    measureDone: (elapsedMs) => {
      const now = Date.now();
      windowStartMs = Math.min(windowStartMs, now - elapsedMs);
      const inside = watcher.snapshots.filter((snap) => snap.startMs >= windowStartMs);
      const last = inside.at(-1);
      endedEarly = elapsedMs >= s.minMeasureMs && inside.length >= s.minSnapshots && watcher.openSince === null
        && last !== undefined && now - last.endMs < END_AFTER_SNAPSHOT_WITHIN_MS;
      return endedEarly;
    },
  });
  if (!endedEarly) {
    // The window hit its limit: a snapshot may be under way (zk-server logs only its end). Wait for
    // it, so requests it slowed are counted as during one.
    const longest = Math.max(2_000, ...watcher.snapshots.map((x) => 2 * x.durationMs));
    if (watcher.openSince !== null || watcher.flavour === 'zk-server') await nextSnapshotEnd(watcher, Math.min(60_000, longest));
  }
  const samples = load.writeSamples;
  if (samples === undefined) throw new Error('the load generator returned no samples');
  const split = splitBySpans(samples, watcher.snapshots);
  const from = load.measureStartEpochMs;
  const to = load.measureEndEpochMs;
  const snapshots = watcher.overlapping(from, to);
  const slices = snapshots.map((x) => x.longestSliceMs).filter((x): x is number => x !== null);
  const diff = (a: number, b: number, n: number, m: number): number | null => (n > 0 && m > 0 ? a - b : null);
  return {
    populate,
    measureMs: load.measureMs,
    writesPerSecond: load.write?.rate ?? 0,
    snapshots,
    skipped: watcher.skipped,
    during: split.during,
    outside: split.outside,
    addedP99Ms: diff(split.during.p99Ms, split.outside.p99Ms, split.during.count, split.outside.count),
    addedMaxMs: diff(split.during.maxMs, split.outside.maxMs, split.during.count, split.outside.count),
    longestSliceMs: slices.length === 0 ? null : Math.max(...slices),
    slowest: split.slowest,
    samplesDropped: samples.dropped,
    errors: load.errors + load.protocolErrors + load.failures.length + load.unansweredAtEnd,
    snapshotFileBytes: newestSnapshotBytes(proc.dataDir),
  };
}

/**
 * Stops `proc`, keeping its data dir, and starts the server again on that dir: the restore, timed
 * until it serves. The new process is returned for the caller to stop.
 */
export async function restartOnItsDir(
  proc: ServerProcess, launch: (opts: LaunchOptions) => Promise<ServerProcess>, flavour: ServerFlavour,
  opts: Pick<LaunchOptions, 'config' | 'runtimeArgs'>,
): Promise<{ proc: ServerProcess; restore: RestoreResult }> {
  const dir = proc.dir;
  const stopStart = performance.now();
  await proc.stop({ keepDir: true });
  const stopMs = performance.now() - stopStart;
  const watcher = new RestoreLogWatcher(flavour);
  const next = await launch({
    ...opts, dir, snapshotLog: true, onStderrLine: watcher.onLine,
    readyDeadlineMs: RESTART_DEADLINE_MS, pollIntervalMs: RESTART_POLL_MS,
  });
  // The start-up snapshot's line can trail the first serving answer by a moment.
  await sleep(200);
  return {
    proc: next,
    restore: {
      stopMs, readyMs: next.readyMs, breakdown: watcher.breakdown(next.spawnedAtEpochMs),
      nodeCount: await nodeCount(next), dataDirBytes: diskBytes(next.dataDir),
    },
  };
}

/**
 * Populate, snapshot stall and restore on one server, each step reported through `progress`.
 * Whatever fails, every process it started is stopped and its data dir removed.
 */
export async function runSnapshotScenarios(
  target: TargetSpec, s: SnapshotScenarioSettings, progress: (line: string) => void,
): Promise<SnapshotRun> {
  const t0 = performance.now();
  const run: SnapshotRun = { targetId: target.id, label: target.label, stall: null, restore: null, error: null, wallS: 0 };
  const launch = target.launch;
  let dir: string | undefined;
  let proc: ServerProcess | undefined;
  try {
    if (launch === undefined) throw new Error(`${target.label}: the bench cannot restart it`);
    const flavour = flavourOf(target);
    const config = { snapCount: String(s.snapCount) };
    const watcher = new SnapshotLogWatcher(flavour);
    proc = await launch({ config, snapshotLog: true, onStderrLine: watcher.onLine, readyDeadlineMs: RESTART_DEADLINE_MS });
    dir = proc.dir;
    const populate = await populateTree(proc.host, proc.port, {
      nodes: s.nodes, parent: '/bench/snap', payloadBytes: s.workload.payloadBytes,
      createsPerMulti: s.createsPerMulti, sessions: s.populateSessions, window: s.populateWindow,
    });
    progress(`populated ${s.nodes.toLocaleString('en-US')} nodes in ${(populate.ms / 1000).toFixed(1)} s `
      + `(${Math.round(populate.nodesPerSecond).toLocaleString('en-US')} nodes/s, ${populate.multis} multi txns)`);
    run.stall = await measureStall(proc, watcher, populate, s);
    const st = run.stall;
    progress(`snapshot stall: ${st.snapshots.length} snapshot(s) in ${(st.measureMs / 1000).toFixed(1)} s at `
      + `${Math.round(st.writesPerSecond)} writes/s; max ${st.outside.maxMs.toFixed(1)} ms outside, ${st.during.maxMs.toFixed(1)} ms during`);

    const restarted = await restartOnItsDir(proc, launch, flavour, { config });
    proc = restarted.proc;
    run.restore = restarted.restore;
    progress(`restore: serving ${(proc.readyMs / 1000).toFixed(2)} s after spawn (node count ${run.restore.nodeCount})`);
  } catch (err) {
    run.error = err instanceof Error ? err.message : String(err);
    progress(`FAILED: ${run.error.split('\n')[0]}`);
  } finally {
    await proc?.stop().catch(() => undefined);
    if (dir !== undefined) releaseDir(dir);
    run.wallS = (performance.now() - t0) / 1000;
  }
  return run;
}
