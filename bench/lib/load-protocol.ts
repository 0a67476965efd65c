// The workload a load run applies and the messages between the load coordinator (bench/load.ts) and
// its client processes (bench/load-worker.ts).

import type { HistogramSnapshot } from './histogram.js';
import type { LatencySamples } from './samples.js';

export type WriteOp = 'setData' | 'create';

export interface Workload {
  /** Sessions in total, spread over the client processes (1..256). */
  sessions: number;
  /** Requests kept outstanding per session (1..64). */
  window: number;
  /** The write op: setData on pre-created nodes, or create of persistent sequential nodes. */
  write: WriteOp;
  /** Share of requests that are getData on the pre-created nodes (0 = writes only, 1 = reads only). */
  readFraction: number;
  /** Bytes of data per setData/create (and so per getData reply). */
  payloadBytes: number;
  /**
   * setData and getData go to random nodes of a tree bench/lib/populate.ts built (children
   * 0..nodes-1 of `parent`) instead of each session's own nodes.
   */
  existing?: { parent: string; nodes: number };
}

export const SESSIONS_MAX = 256;
export const WINDOW_MAX = 64;

export function validateWorkload(w: Workload): void {
  if (!Number.isInteger(w.sessions) || w.sessions < 1 || w.sessions > SESSIONS_MAX) throw new Error(`sessions ${w.sessions}: must be 1..${SESSIONS_MAX}`);
  if (!Number.isInteger(w.window) || w.window < 1 || w.window > WINDOW_MAX) throw new Error(`window ${w.window}: must be 1..${WINDOW_MAX}`);
  if (!(w.readFraction >= 0 && w.readFraction <= 1)) throw new Error(`readFraction ${w.readFraction}: must be 0..1`);
  if (!Number.isInteger(w.payloadBytes) || w.payloadBytes < 0) throw new Error(`payloadBytes ${w.payloadBytes}: must be >= 0`);
  if (w.write !== 'setData' && w.write !== 'create') throw new Error(`write op ${String(w.write)}: setData or create`);
}

/**
 * Whether request number `n` (0-based) of a session is a read: spreads reads evenly so that any run
 * of 1/(1-readFraction) requests holds the expected mix, with no randomness between runs.
 */
export function isReadAt(n: number, readFraction: number): boolean {
  if (readFraction <= 0) return false;
  if (readFraction >= 1) return true;
  return Math.floor((n + 1) * readFraction) > Math.floor(n * readFraction);
}

/** Paths of the nodes a session's setData and getData go to. */
export function dataNodePath(root: string, session: number, k: number): string {
  return `${root}/s${session}-${k}`;
}

/** Parent of the sequential nodes a session creates (one per session, so no sequence contention). */
export function createParentPath(root: string, session: number): string {
  return `${root}/c${session}`;
}

export interface WorkerSetup {
  type: 'setup';
  host: string;
  port: number;
  root: string;
  workload: Workload;
  /** Global index of this process's first session, and how many it runs. */
  firstSession: number;
  sessionCount: number;
  nodesPerSession: number;
  sessionTimeoutMs: number;
  /** Raw write samples (send time, latency) this process keeps at most; 0: none, histograms only. */
  sampleCapacity: number;
}

export type CoordinatorMessage = WorkerSetup | { type: 'start' } | { type: 'measure' } | { type: 'stop' };

export interface WorkerResult {
  type: 'result';
  /** The worker's own measured window, ms (starts at 'measure', ends at 'stop'). */
  elapsedMs: number;
  writes: HistogramSnapshot;
  reads: HistogramSnapshot;
  /** Every measured write's send time (epoch ms) and latency, when setup asked for samples. */
  writeSamples: LatencySamples | null;
  /** Replies with a non-zero error code, by code. */
  errorsByCode: Record<string, number>;
  protocolErrors: number;
  /** Sockets the server closed under load. */
  failures: string[];
  /** Sessions that got no reply at all in the measured window (the server starved them). */
  starvedSessions: number;
  /** Requests still unanswered when the drain deadline after the window passed. */
  unansweredAtEnd: number;
  /** CPU this process used in the window (user+system, all its threads), µs. */
  cpuUs: number;
  /** Event-loop utilization in the window (1 = the client's loop never idled: it is the bottleneck). */
  eventLoopUtilization: number;
}

export type WorkerMessage = { type: 'ready' } | { type: 'error'; message: string } | WorkerResult;
