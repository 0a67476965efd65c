// The one piscina pool that runs snapshot work off the main thread (worker.ts), and the filelog's txn
// log reads (../filelog/log-read-worker.ts, named per task). Created on first use, shared by every
// snapshot, restore and log read in the process, closed by closeSnapshotPool().

import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina, valueSymbol } from 'piscina';
import type { DecodeTask, EncodeResult, EncodeTask, MergeTask } from './protocol.js';

export interface SnapshotPoolOptions {
  /**
   * Default: one thread below the core count, at least 1, at most 2. On a 2-core machine that is a
   * single worker: the main thread (serving clients) keeps one core, the worker gets the other.
   */
  maxThreads?: number;
  /**
   * Run the tasks on the calling thread instead (the seeded simulator: no threads, so a run is the
   * same every time). Task channels (taskChannel) then deliver through setImmediate.
   */
  inline?: boolean;
}

let pool: Piscina | null = null;
let inlineModule: typeof import('./worker.js') | null = null;

async function inlineWorker(): Promise<typeof import('./worker.js')> {
  inlineModule ??= await import('./worker.js');
  return inlineModule;
}

/**
 * Loads what an inline pool runs, so that its first task does not wait on a module load (file
 * reads the simulator cannot see finish). A no-op for a threaded pool.
 */
export async function preparePool(): Promise<void> {
  if (configured.inline === true) await inlineWorker();
}
let configured: SnapshotPoolOptions = {};

/** Sets options for the pool created next; an existing pool is kept until closeSnapshotPool(). */
export function configureSnapshotPool(opts: SnapshotPoolOptions): void {
  configured = { ...opts };
}

function defaultMaxThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

export function snapshotPool(): Piscina {
  if (pool === null) {
    const maxThreads = configured.maxThreads ?? defaultMaxThreads();
    pool = new Piscina({
      // Compiled next to this module in dist/.
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads,
      // Idle workers are unref'd by piscina, so the pool never keeps the process alive.
      idleTimeout: 60_000,
    });
  }
  return pool;
}

/** Encodes one batch in a worker, which reads the batch's shared buffers (and writes `out`) in place. */
export async function runEncodeTask(task: EncodeTask): Promise<EncodeResult> {
  if (configured.inline === true) {
    const result: unknown = (inlineModule ?? await inlineWorker()).encodeNodes(task);
    // A result moved with piscina's move() wraps the value.
    return (typeof result === 'object' && result !== null && valueSymbol in result
      ? (result as Record<symbol, unknown>)[valueSymbol] : result) as EncodeResult;
  }
  return snapshotPool().run(task, { name: 'encodeNodes' }) as Promise<EncodeResult>;
}

/** Starts decoding in a worker; progress and results arrive on the port the task carries. */
export async function runDecodeTask(task: DecodeTask): Promise<void> {
  if (configured.inline === true) return (inlineModule ?? await inlineWorker()).decodeStream(task);
  return snapshotPool().run(task, { name: 'decodeStream', transferList: [task.port] }) as Promise<void>;
}

/** Starts an incremental snapshot's merge in a worker; requests and results go over the task's port. */
export async function runMergeTask(task: MergeTask): Promise<void> {
  if (configured.inline === true) return (inlineModule ?? await inlineWorker()).mergeStream(task);
  return snapshotPool().run(task, { name: 'mergeStream', transferList: [task.port] }) as Promise<void>;
}

export async function closeSnapshotPool(): Promise<void> {
  const p = pool;
  pool = null;
  if (p !== null) await p.destroy();
}

/**
 * The channel a streaming task (decodeStream) talks over: a MessageChannel, or with an inline pool
 * a pair of in-thread ports that deliver each message, structured-cloned as postMessage would, in a
 * setImmediate of its own, so that someone waiting for the event loop to go quiet sees it.
 */
export function taskChannel(): { port1: MessagePort; port2: MessagePort } {
  if (configured.inline !== true) return new MessageChannel();
  const port1 = new InlinePort();
  const port2 = new InlinePort();
  port1.peer = port2;
  port2.peer = port1;
  return { port1: port1 as unknown as MessagePort, port2: port2 as unknown as MessagePort };
}

class InlinePort extends EventEmitter {
  peer: InlinePort | null = null;
  private closed = false;

  postMessage(msg: unknown, transfer?: ArrayBuffer[]): void {
    const peer = this.peer;
    if (this.closed || peer === null) return;
    const copy: unknown = structuredClone(msg, transfer ? { transfer } : undefined);
    setImmediate(() => {
      if (!peer.closed) peer.emit('message', copy);
    });
  }

  close(): void {
    this.closed = true;
  }
}
