// The load generator's coordinator: forks the client processes, walks them through setup, warm-up and
// the measured window, reads the server's CPU from /proc around that window, and merges the results.
// Run directly it measures one server: node dist/bench/load.js --connect 127.0.0.1:2181 --sessions 16 ...

import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LatencyHistogram, type LatencySummary } from './lib/histogram.js';
import {
  validateWorkload, type CoordinatorMessage, type WorkerMessage, type WorkerResult, type Workload,
} from './lib/load-protocol.js';
import { processTreeCpuSeconds, residentMiB } from './lib/proc-stat.js';
import { mergeSamples, type LatencySamples } from './lib/samples.js';
import { BenchSession, ensureNode } from './lib/wire.js';

const WORKER_MAIN = fileURLToPath(new URL('./load-worker.js', import.meta.url));
const SETUP_TIMEOUT_MS = 120_000;
const RESULT_TIMEOUT_MS = 60_000;
const DEFAULT_NODES_PER_SESSION = 4;
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

export interface LoadOptions {
  warmupMs: number;
  measureMs: number;
  /** Client processes the sessions are spread over (default: 1 up to 16 sessions, else 2). */
  clientProcs?: number;
  nodesPerSession?: number;
  sessionTimeoutMs?: number;
  /**
   * Keep every measured write's send time and latency, up to this many per client process (12 bytes
   * each), in LoadResult.writeSamples. Default 0: histograms only.
   */
  sampleCapacityPerProcess?: number;
  /**
   * Polled every 100 ms of the measured window with the time measured so far: true ends the window
   * early. measureMs stays the longest it may last.
   */
  measureDone?: (elapsedMs: number) => boolean;
}

export interface LoadTarget {
  host: string;
  port: number;
  /** Server process to charge CPU to (its live descendants too); null: CPU not measured. */
  pid: number | null;
}

export interface OpResult extends LatencySummary {
  op: 'setData' | 'create' | 'getData';
  /** Completed per second in the measured window. */
  rate: number;
}

export interface LoadResult {
  workload: Workload;
  clientProcs: number;
  measureMs: number;
  /** When the measured window began and ended, wall-clock epoch ms (as the coordinator saw it). */
  measureStartEpochMs: number;
  measureEndEpochMs: number;
  /** Raw write samples of every process, when asked for (not meant for the results JSON). */
  writeSamples?: LatencySamples;
  /** All ops completed per second. */
  throughput: number;
  write: OpResult | null;
  read: OpResult | null;
  errors: number;
  errorsByCode: Record<string, number>;
  protocolErrors: number;
  failures: string[];
  /** Sessions with no reply in the whole measured window: the server starved them. */
  starvedSessions: number;
  /** Requests never answered (within 10 s after the window). */
  unansweredAtEnd: number;
  client: {
    cpuSeconds: number;
    /** Client CPU as a share of one core, in %, summed over processes. */
    cpuPercentOfCore: number;
    /** Client CPU as a share of the whole machine, in %. */
    cpuPercentOfMachine: number;
    /** Highest event-loop utilization among the client processes (near 1: the client is the bottleneck). */
    maxEventLoopUtilization: number;
  };
  server: {
    cpuSeconds: number | null;
    /** Server CPU per completed write, µs (null when there were no writes or no pid). */
    cpuUsPerWrite: number | null;
    cpuUsPerOp: number | null;
    cpuPercentOfCore: number | null;
    rssMiB: number | null;
  };
}

// Every client process still running is killed if the bench dies (error, Ctrl-C).
const liveWorkers = new Set<ChildProcess>();

export function killAllWorkersSync(): void {
  for (const w of liveWorkers) {
    try { w.kill('SIGKILL'); } catch { /* already gone */ }
  }
  liveWorkers.clear();
}

export function defaultClientProcs(sessions: number): number {
  return sessions <= 16 ? 1 : Math.min(2, sessions);
}

class Worker {
  readonly exited: Promise<void>;
  private readonly inbox: WorkerMessage[] = [];
  private waiter: ((m: WorkerMessage) => void) | null = null;
  private exitError: Error | null = null;

  constructor(readonly child: ChildProcess) {
    liveWorkers.add(child);
    child.on('message', (m: unknown) => {
      const msg = m as WorkerMessage;
      if (this.waiter) { const w = this.waiter; this.waiter = null; w(msg); } else this.inbox.push(msg);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        liveWorkers.delete(child);
        this.exitError = new Error(`client process exited (${signal ?? code}) before answering`);
        if (this.waiter) { const w = this.waiter; this.waiter = null; w({ type: 'error', message: this.exitError.message }); }
        resolve();
      });
    });
  }

  send(msg: CoordinatorMessage): void {
    this.child.send(msg);
  }

  /** The next message, or an error message if the process dies or the deadline passes. */
  next(timeoutMs: number): Promise<WorkerMessage> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exitError) return Promise.resolve({ type: 'error', message: this.exitError.message });
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = null; resolve({ type: 'error', message: `client process silent for ${timeoutMs} ms` }); }, timeoutMs);
      this.waiter = (m) => { clearTimeout(timer); resolve(m); };
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

async function expectAll(workers: Worker[], type: WorkerMessage['type'], timeoutMs: number): Promise<WorkerMessage[]> {
  const msgs = await Promise.all(workers.map((w) => w.next(timeoutMs)));
  const bad = msgs.find((m) => m.type !== type);
  if (bad) throw new Error(bad.type === 'error' ? `client process: ${bad.message}` : `client process sent ${bad.type}, expected ${type}`);
  return msgs;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MEASURE_POLL_MS = 100;

/** Waits out the measured window: measureMs, or less when measureDone says so. */
async function measureWindow(t0: number, opts: LoadOptions): Promise<void> {
  const done = opts.measureDone;
  if (done === undefined) { await sleep(opts.measureMs); return; }
  for (;;) {
    const elapsed = performance.now() - t0;
    if (elapsed >= opts.measureMs || done(elapsed)) return;
    await sleep(Math.min(MEASURE_POLL_MS, opts.measureMs - elapsed));
  }
}

function opResult(op: OpResult['op'], h: LatencyHistogram, windowMs: number): OpResult | null {
  if (h.count === 0) return null;
  return { op, rate: h.count / (windowMs / 1000), ...h.summary() };
}

/** Runs one workload against one server and returns what was measured in the window. */
export async function runLoad(target: LoadTarget, workload: Workload, opts: LoadOptions): Promise<LoadResult> {
  validateWorkload(workload);
  const procs = Math.max(1, Math.min(opts.clientProcs ?? defaultClientProcs(workload.sessions), workload.sessions));
  const root = `/zk-bench-${process.pid.toString(36)}-${Date.now().toString(36)}`;
  const setupSession = await BenchSession.connect(target.host, target.port, DEFAULT_SESSION_TIMEOUT_MS);
  try {
    await ensureNode(setupSession, root, null);
  } finally {
    await setupSession.close();
  }

  const workers: Worker[] = [];
  try {
    const per = Math.floor(workload.sessions / procs);
    let first = 0;
    for (let i = 0; i < procs; i++) {
      const count = per + (i < workload.sessions % procs ? 1 : 0);
      // 'advanced': typed arrays (raw samples) cross as bytes, not as JSON objects of numbers.
      const w = new Worker(fork(WORKER_MAIN, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' }));
      workers.push(w);
      w.send({
        type: 'setup', host: target.host, port: target.port, root, workload, firstSession: first, sessionCount: count,
        nodesPerSession: opts.nodesPerSession ?? DEFAULT_NODES_PER_SESSION,
        sessionTimeoutMs: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
        sampleCapacity: opts.sampleCapacityPerProcess ?? 0,
      });
      first += count;
    }
    await expectAll(workers, 'ready', SETUP_TIMEOUT_MS);

    for (const w of workers) w.send({ type: 'start' });
    await sleep(opts.warmupMs);

    const serverCpu0 = target.pid === null ? null : processTreeCpuSeconds(target.pid);
    const t0 = performance.now();
    for (const w of workers) w.send({ type: 'measure' });
    await measureWindow(t0, opts);
    const serverCpu1 = target.pid === null ? null : processTreeCpuSeconds(target.pid);
    const windowMs = performance.now() - t0;
    for (const w of workers) w.send({ type: 'stop' });
    const rssMiB = target.pid === null ? null : residentMiB(target.pid);

    const results = (await expectAll(workers, 'result', RESULT_TIMEOUT_MS)) as WorkerResult[];
    await Promise.all(workers.map((w) => w.exited));
    const merged = merge(workload, procs, windowMs, results, serverCpu0, serverCpu1, rssMiB);
    const epochOffsetMs = Date.now() - performance.now();
    merged.measureStartEpochMs = epochOffsetMs + t0;
    merged.measureEndEpochMs = epochOffsetMs + t0 + windowMs;
    const sampled = results.map((r) => r.writeSamples).filter((x): x is LatencySamples => x !== null);
    if (sampled.length > 0) merged.writeSamples = mergeSamples(sampled);
    return merged;
  } finally {
    for (const w of workers) w.kill();
  }
}

function merge(
  workload: Workload, procs: number, windowMs: number, results: WorkerResult[],
  serverCpu0: number | null, serverCpu1: number | null, rssMiB: number | null,
): LoadResult {
  const writes = new LatencyHistogram();
  const reads = new LatencyHistogram();
  const errorsByCode: Record<string, number> = {};
  let writeRate = 0;
  let readRate = 0;
  let clientCpuUs = 0;
  let protocolErrors = 0;
  let starvedSessions = 0;
  let unansweredAtEnd = 0;
  let maxElu = 0;
  const failures: string[] = [];
  for (const r of results) {
    writes.merge(r.writes);
    reads.merge(r.reads);
    // Each process times its own window; rates add up across processes.
    writeRate += r.writes.count / (r.elapsedMs / 1000);
    readRate += r.reads.count / (r.elapsedMs / 1000);
    clientCpuUs += r.cpuUs;
    protocolErrors += r.protocolErrors;
    starvedSessions += r.starvedSessions;
    unansweredAtEnd += r.unansweredAtEnd;
    maxElu = Math.max(maxElu, r.eventLoopUtilization);
    failures.push(...r.failures);
    for (const [code, n] of Object.entries(r.errorsByCode)) errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  }
  const write = opResult(workload.write, writes, windowMs);
  const read = opResult('getData', reads, windowMs);
  if (write) write.rate = writeRate;
  if (read) read.rate = readRate;
  const throughput = writeRate + readRate;
  const windowS = windowMs / 1000;
  const serverCpu = serverCpu0 !== null && serverCpu1 !== null ? serverCpu1 - serverCpu0 : null;
  const clientCpuS = clientCpuUs / 1e6;
  return {
    workload,
    clientProcs: procs,
    measureMs: windowMs,
    measureStartEpochMs: 0,
    measureEndEpochMs: 0,
    throughput,
    write,
    read,
    errors: Object.values(errorsByCode).reduce((a, b) => a + b, 0),
    errorsByCode,
    protocolErrors,
    failures,
    starvedSessions,
    unansweredAtEnd,
    client: {
      cpuSeconds: clientCpuS,
      cpuPercentOfCore: (100 * clientCpuS) / windowS,
      cpuPercentOfMachine: (100 * clientCpuS) / windowS / os.availableParallelism(),
      maxEventLoopUtilization: maxElu,
    },
    server: {
      cpuSeconds: serverCpu,
      cpuUsPerWrite: serverCpu !== null && writeRate > 0 ? (serverCpu * 1e6) / (writeRate * windowS) : null,
      cpuUsPerOp: serverCpu !== null && throughput > 0 ? (serverCpu * 1e6) / (throughput * windowS) : null,
      cpuPercentOfCore: serverCpu !== null ? (100 * serverCpu) / windowS : null,
      rssMiB,
    },
  };
}

/** One line per op and a line of CPU figures, for the CLI and progress output. */
export function describeLoadResult(r: LoadResult): string {
  const f = (n: number | null | undefined, d = 2): string => (n == null ? 'n/a' : n.toFixed(d));
  const lines: string[] = [];
  for (const op of [r.write, r.read]) {
    if (!op) continue;
    lines.push(`${op.op.padEnd(8)} ${op.rate.toFixed(0).padStart(8)} ops/s  p50 ${f(op.p50Ms, 3)}  p99 ${f(op.p99Ms, 3)}  p999 ${f(op.p999Ms, 3)}  max ${f(op.maxMs, 3)} ms`);
  }
  lines.push(`server CPU ${f(r.server.cpuUsPerWrite, 1)} µs/write (${f(r.server.cpuPercentOfCore, 0)}% of a core)  `
    + `client CPU ${f(r.client.cpuPercentOfCore, 0)}% of a core over ${r.clientProcs} process(es), event loop ${f(100 * r.client.maxEventLoopUtilization, 0)}% busy`
    + `${r.errors > 0 ? `  ERRORS ${JSON.stringify(r.errorsByCode)}` : ''}${r.protocolErrors > 0 ? `  PROTOCOL ERRORS ${r.protocolErrors}` : ''}`
    + `${r.starvedSessions > 0 ? `  STARVED SESSIONS ${r.starvedSessions}/${r.workload.sessions}` : ''}`
    + `${r.unansweredAtEnd > 0 ? `  UNANSWERED REQUESTS ${r.unansweredAtEnd}` : ''}`);
  return lines.join('\n');
}

// ------------------------------------------------------------------ CLI

const USAGE = `usage: node dist/bench/load.js --connect HOST:PORT [options]
  --sessions N        sessions (1..256, default 16)
  --window W          outstanding requests per session (1..64, default 1)
  --op OP             setData | create | getData | mixed (default setData)
  --read-fraction F   share of getData for --op mixed (default 0.9)
  --payload BYTES     data size (default 100)
  --warmup S          warm-up seconds (default 2)
  --measure S         measured seconds (default 5)
  --procs P           client processes (default 1 up to 16 sessions, else 2)
  --server-pid PID    charge server CPU to this process (and its descendants)
`;

async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      connect: { type: 'string' }, sessions: { type: 'string' }, window: { type: 'string' }, op: { type: 'string' },
      'read-fraction': { type: 'string' }, payload: { type: 'string' }, warmup: { type: 'string' },
      measure: { type: 'string' }, procs: { type: 'string' }, 'server-pid': { type: 'string' }, help: { type: 'boolean' },
    },
  });
  if (values.help || values.connect === undefined) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const at = values.connect.lastIndexOf(':');
  const target: LoadTarget = {
    host: at > 0 ? values.connect.slice(0, at) : '127.0.0.1',
    port: Number(values.connect.slice(at + 1)),
    pid: values['server-pid'] !== undefined ? Number(values['server-pid']) : null,
  };
  const op = values.op ?? 'setData';
  if (!['setData', 'create', 'getData', 'mixed'].includes(op)) throw new Error(`--op ${op}: setData, create, getData or mixed`);
  const workload: Workload = {
    sessions: Number(values.sessions ?? 16),
    window: Number(values.window ?? 1),
    write: op === 'create' ? 'create' : 'setData',
    readFraction: op === 'getData' ? 1 : op === 'mixed' ? Number(values['read-fraction'] ?? 0.9) : 0,
    payloadBytes: Number(values.payload ?? 100),
  };
  const result = await runLoad(target, workload, {
    warmupMs: Number(values.warmup ?? 2) * 1000,
    measureMs: Number(values.measure ?? 5) * 1000,
    clientProcs: values.procs !== undefined ? Number(values.procs) : undefined,
  });
  process.stdout.write(`${describeLoadResult(result)}\n`);
  return result.errors > 0 || result.failures.length > 0 || result.starvedSessions > 0 || result.unansweredAtEnd > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => { killAllWorkersSync(); process.exit(130); });
  }
  cli(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
    killAllWorkersSync();
    process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
