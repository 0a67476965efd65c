// The servers a bench run measures: zk-server (filelog, else memory with a loud note; level when it
// exists) and Apache ZooKeeper 3.8 from Debian, both started fresh per scenario with forceSync=yes,
// the same tickTime and data dirs on the same filesystem; or an external server given by host:port.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { openStorage } from '../src/storage/index.js';
import { launchServer, type LaunchSpec, type ServerProcess } from './lib/launch.js';
import type { FloorStorage } from './scenarios.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ZK_SERVER_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const FLOOR_SERVER_MAIN = path.join(REPO_ROOT, 'dist', 'bench', 'floor-server.js');

const JAVA = '/usr/bin/java';
const ZK_JAR = '/usr/share/java/zookeeper.jar';
// zookeeper.jar's manifest Class-Path brings in its dependencies; slf4j-simple gives it a logger.
const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
/** Upstream zkEnv.sh's default server heap (ZK_SERVER_HEAP=1000); Debian's scripts set none. */
const APACHE_HEAP_MB = 1000;

export const TICK_TIME_MS = 2000;

/** zoo.cfg keys both servers get, so neither is configured to an advantage. */
const COMMON_CONFIG: Record<string, string> = {
  tickTime: String(TICK_TIME_MS),
  forceSync: 'yes',
  // 256 sessions from one IP would trip ZooKeeper's default limit of 60.
  maxClientCnxns: '0',
  '4lw.commands.whitelist': '*',
  'admin.enableServer': 'false',
};

/** floor: bench/floor-server.ts, what the machine allows; measured beside the servers, judged by no goal. */
export type TargetKind = 'zk-server' | 'apache-zk' | 'external' | 'floor';

/** A server that is up for one scenario run. */
export interface RunningTarget {
  readonly host: string;
  readonly port: number;
  /** The server process whose CPU is measured (with its descendants); null when unknown. */
  readonly pid: number | null;
  stop(): Promise<void>;
}

/** What a scenario may ask of a launch beyond a plain fresh start. */
export interface LaunchOptions {
  /** zoo.cfg keys over the common ones; give both servers the same. */
  config?: Record<string, string>;
  /** Start again on this earlier launch's dir (stopped with keepDir): a restore. */
  dir?: string;
  /**
   * Have the server log what bench/lib/server-log.ts parses: snapshots and restores at INFO with
   * millisecond timestamps (zk-server always does; Apache ZooKeeper otherwise logs warnings only).
   */
  snapshotLog?: boolean;
  readyDeadlineMs?: number;
  pollIntervalMs?: number;
  onStderrLine?: (line: string) => void;
  /**
   * Runtime flags: node's, before zk-server's script (after its usual V8 flags); the JVM's for Apache
   * ZooKeeper, in place of its default heap flag.
   */
  runtimeArgs?: readonly string[];
}

/** A server the bench knows how to bring up, fresh, for each scenario run. */
export interface TargetSpec {
  /** Stable key in results JSON: 'zk-server', 'zk-server-level', 'apache-zk', 'external', 'floor-filelog', 'floor-level'. */
  readonly id: string;
  readonly label: string;
  readonly kind: TargetKind;
  readonly storage?: string;
  start(): Promise<RunningTarget>;
  /** The server process itself, for scenarios that restart it or read its log (not for external). */
  launch?(opts: LaunchOptions): Promise<ServerProcess>;
}

/** ZooKeeper's loggers whose INFO lines tell when a snapshot starts and ends and how a restore went. */
const APACHE_SNAPSHOT_LOGGERS = [
  'org.apache.zookeeper.server.persistence.FileTxnSnapLog', // Snapshotting: 0x.. to ..; N txns loaded in T ms
  'org.apache.zookeeper.server.persistence.FileSnap', // Reading snapshot ..
  'org.apache.zookeeper.server.ZooKeeperServer', // Snapshot taken in T ms
  'org.apache.zookeeper.server.ZKDatabase', // Snapshot loaded in T ms, highest zxid is ..
];

function launchOpts(opts: LaunchOptions): Pick<LaunchSpec, 'dir' | 'readyDeadlineMs' | 'pollIntervalMs' | 'onStderrLine'> {
  return { dir: opts.dir, readyDeadlineMs: opts.readyDeadlineMs, pollIntervalMs: opts.pollIntervalMs, onStderrLine: opts.onStderrLine };
}

export interface TargetPlan {
  targets: TargetSpec[];
  /** Floors of the scenarios that name them (Scenario.floors); none against an external server. */
  floors: TargetSpec[];
  /** The baseline ratios are taken against (Apache ZooKeeper when present). */
  baselineId: string | null;
  /** Things the reader must know: fallbacks, missing servers. Printed loudly and saved. */
  notes: string[];
  javaVersion: string | null;
}

/** Whether openStorage(kind) knows the backend, tried on a throwaway dir. */
export async function storageAvailable(kind: string, baseDir: string): Promise<boolean> {
  const dir = mkdtempSync(path.join(baseDir, `zk-bench-probe-${kind}-`));
  try {
    const backend = await openStorage(kind, { dataDir: dir, dataLogDir: dir });
    await backend.close();
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why Apache ZooKeeper can't be run here, or null when it can. */
export function apacheZkMissing(): string | null {
  const missing = [JAVA, ZK_JAR, SLF4J_SIMPLE_JAR].filter((f) => !existsSync(f));
  return missing.length === 0 ? null : `missing ${missing.join(', ')} (scripts/install-zookeeper.sh installs them)`;
}

/** First line of `java -version` (which prints to stderr), or null without a JVM. */
export function javaVersion(): string | null {
  if (!existsSync(JAVA)) return null;
  try {
    const r = spawnSync(JAVA, ['-version'], { encoding: 'utf8' });
    return `${r.stderr}${r.stdout}`.trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

/**
 * Node options for zk-server processes the bench starts, from ZK_BENCH_SERVER_NODE_ARGS (split on
 * spaces), to profile the server under a scenario's load: e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 * Not NODE_OPTIONS, which the bench's own client processes would take too.
 */
function serverNodeArgs(): string[] {
  return (process.env.ZK_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
}

export function zkServerTarget(storage: string, baseDir: string, id = 'zk-server'): TargetSpec {
  const launch = (opts: LaunchOptions): Promise<ServerProcess> => launchServer({
    name: id,
    command: process.execPath,
    // Started as the zk-server command starts it: with its V8 flags (src/cli/node-flags.ts).
    args: (cfg) => [...SERVER_NODE_FLAGS, ...serverNodeArgs(), ...(opts.runtimeArgs ?? []), ZK_SERVER_MAIN, '--config', cfg, '--storage', storage],
    config: { ...COMMON_CONFIG, ...opts.config },
    baseDir,
    ...launchOpts(opts),
  });
  return {
    id,
    label: `zk-server (${storage})`,
    kind: 'zk-server',
    storage,
    launch,
    start: async () => fromProcess(await launch({})),
  };
}

/** The bare durable echo server of bench/floor-server.ts, writing groups as zk-server's `storage` does. */
export function floorTarget(storage: FloorStorage, baseDir: string): TargetSpec {
  const id = floorId(storage);
  const launch = (opts: LaunchOptions): Promise<ServerProcess> => launchServer({
    name: id,
    command: process.execPath,
    args: (cfg) => [FLOOR_SERVER_MAIN, '--config', cfg, '--storage', storage],
    config: { ...COMMON_CONFIG, ...opts.config },
    baseDir,
    ...launchOpts(opts),
  });
  return {
    id,
    label: `floor (${storage === 'filelog' ? 'O_DSYNC pwrite' : 'LevelDB batch'})`,
    kind: 'floor',
    storage,
    launch,
    start: async () => fromProcess(await launch({})),
  };
}

export function floorId(storage: FloorStorage): string {
  return `floor-${storage}`;
}

export function apacheZkTarget(baseDir: string): TargetSpec {
  const launch = (opts: LaunchOptions): Promise<ServerProcess> => launchServer({
    name: 'apache-zk',
    command: JAVA,
    args: (cfg) => [
      ...(opts.runtimeArgs ?? [`-Xmx${APACHE_HEAP_MB}m`]),
      '-Dzookeeper.forceSync=yes',
      // Warnings only: logging every session open/close would charge ZooKeeper for its log.
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      ...(opts.snapshotLog === true ? [
        ...APACHE_SNAPSHOT_LOGGERS.map((l) => `-Dorg.slf4j.simpleLogger.log.${l}=info`),
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
      ] : []),
      '-Dzookeeper.jmx.log4j.disable=true',
      '-cp', [ZK_JAR, SLF4J_SIMPLE_JAR].join(':'),
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      cfg,
    ],
    config: { ...COMMON_CONFIG, ...opts.config },
    baseDir,
    ...launchOpts(opts),
  });
  return {
    id: 'apache-zk',
    label: 'Apache ZooKeeper 3.8',
    kind: 'apache-zk',
    launch,
    start: async () => fromProcess(await launch({})),
  };
}

/** A server someone else runs; its CPU is measured only when its pid is given. */
export function externalTarget(hostPort: string, pid: number | null): TargetSpec {
  const at = hostPort.lastIndexOf(':');
  const host = at > 0 ? hostPort.slice(0, at) : '127.0.0.1';
  const port = Number(at >= 0 ? hostPort.slice(at + 1) : hostPort);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--connect ${hostPort}: not host:port`);
  return {
    id: 'external',
    label: `external ${host}:${port}`,
    kind: 'external',
    start: () => Promise.resolve({ host, port, pid, stop: () => Promise.resolve() }),
  };
}

function fromProcess(proc: ServerProcess): RunningTarget {
  return { host: proc.host, port: proc.port, pid: proc.pid, stop: () => proc.stop() };
}

export interface PlanOptions {
  baseDir: string;
  /** host:port of an external server: then only it is measured. */
  connect?: string;
  connectPid?: number | null;
  /** Leave Apache ZooKeeper out even when installed. */
  noApache?: boolean;
}

/** Decides which servers this run measures, and says why when one is missing or substituted. */
export async function planTargets(opts: PlanOptions): Promise<TargetPlan> {
  const notes: string[] = [];
  const java = javaVersion();
  if (opts.connect !== undefined) {
    const t = externalTarget(opts.connect, opts.connectPid ?? null);
    if (opts.connectPid == null) notes.push('external target without --server-pid: server CPU per write is not measured');
    notes.push('external target: its data dir is not fresh per scenario; pre-created nodes accumulate under /zk-bench-*');
    return { targets: [t], floors: [], baselineId: null, notes, javaVersion: java };
  }
  const targets: TargetSpec[] = [];
  if (await storageAvailable('filelog', opts.baseDir)) {
    targets.push(zkServerTarget('filelog', opts.baseDir));
  } else {
    notes.push('zk-server storage "filelog" is NOT available yet: zk-server runs with --storage memory (no disk '
      + 'writes, no fsync), so it is NOT comparable to Apache ZooKeeper with forceSync=yes');
    targets.push(zkServerTarget('memory', opts.baseDir));
  }
  if (await storageAvailable('level', opts.baseDir)) {
    targets.push(zkServerTarget('level', opts.baseDir, 'zk-server-level'));
  } else {
    notes.push('zk-server storage "level" is not available yet: not measured');
  }
  let baselineId: string | null = null;
  const missing = apacheZkMissing();
  if (opts.noApache) {
    notes.push('Apache ZooKeeper left out (--no-apache): no ratios');
  } else if (missing !== null) {
    notes.push(`Apache ZooKeeper 3.8 is not installed (${missing}): benchmarking zk-server alone, no ratios`);
  } else {
    targets.unshift(apacheZkTarget(opts.baseDir));
    baselineId = 'apache-zk';
  }
  const floors: TargetSpec[] = [floorTarget('filelog', opts.baseDir)];
  if (targets.some((t) => t.storage === 'level')) floors.push(floorTarget('level', opts.baseDir));
  return { targets, floors, baselineId, notes, javaVersion: java };
}
