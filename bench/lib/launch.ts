// Starts one ZooKeeper-protocol server process (zk-server or Apache ZooKeeper) on a free 127.0.0.1
// port with a generated zoo.cfg in a fresh temp dir (or again on the dir of an earlier run, to time a
// restore), waits until it serves, and stops it for sure.
// The same approach as test/helpers/zk-server.ts, kept apart so the bench does not import tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fourLetter as sendFourLetter, freePort } from './probe.js';

const READY_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;
const POLL_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 1_000;
const PORT_RETRIES = 3;
const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

export interface LaunchSpec {
  /** Short name used in temp dir names and errors. */
  name: string;
  command: string;
  args(configPath: string): string[];
  /** zoo.cfg keys (beyond dataDir, clientPort, clientPortAddress, which the launcher sets). */
  config: Record<string, string>;
  /** Parent of the fresh temp dir holding zoo.cfg and the data dir. */
  baseDir: string;
  /** Start on this earlier run's dir (ServerProcess.dir, stopped with keepDir) instead of a fresh one. */
  dir?: string;
  env?: Record<string, string>;
  /** Default 30 s. */
  readyDeadlineMs?: number;
  /** How often serving is probed while starting; default 50 ms. */
  pollIntervalMs?: number;
  /** Gets each complete stderr line from spawn on (start-up lines included). */
  onStderrLine?: (line: string) => void;
}

export interface StopOptions {
  /** Leave the dir (zoo.cfg and data) for a later launch with `dir`; it is still removed at exit. */
  keepDir?: boolean;
}

export interface ServerProcess {
  readonly name: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number;
  /** The temp dir holding zoo.cfg and `dataDir`. */
  readonly dir: string;
  readonly dataDir: string;
  /** When the process was spawned, wall-clock epoch ms (the clock of the servers' log lines). */
  readonly spawnedAtEpochMs: number;
  /** From spawn until the server answered ruok with imok and srvr as serving, ms. */
  readonly readyMs: number;
  stderr(): string;
  /** Calls `listener` with each complete stderr line from now on; returns the unsubscribe. */
  onStderrLine(listener: (line: string) => void): () => void;
  /** SIGTERM, SIGKILL after a deadline, then removes the temp dir unless kept. Idempotent. */
  stop(opts?: StopOptions): Promise<void>;
}

// Whatever is still running when the bench exits (error, Ctrl-C) is killed, and every dir the
// launcher made and has not removed yet (kept ones included) goes.
const live = new Set<ChildProcess>();
const ownedDirs = new Set<string>();

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  ownedDirs.delete(dir);
}

/** Kills every server still running and removes their dirs, synchronously (for 'exit' handlers). */
export function killAllServersSync(): void {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
  for (const dir of ownedDirs) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  ownedDirs.clear();
}

/** Removes a dir a server was stopped with keepDir on, when no later launch needs it. */
export function releaseDir(dir: string): void {
  if (ownedDirs.has(dir)) removeDir(dir);
}

process.on('exit', killAllServersSync);

export { freePort };

/** Sends a four-letter word and resolves with everything written back before the server closes. */
export function fourLetter(host: string, port: number, word: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  return sendFourLetter(host, port, word, timeoutMs);
}

async function serving(port: number): Promise<boolean> {
  try {
    if ((await fourLetter('127.0.0.1', port, 'ruok')) !== 'imok') return false;
    // ruok answers as soon as the port listens; srvr tells whether requests are served yet.
    return !(await fourLetter('127.0.0.1', port, 'srvr')).startsWith(NOT_SERVING);
  } catch {
    return false;
  }
}

export async function launchServer(spec: LaunchSpec): Promise<ServerProcess> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < PORT_RETRIES; attempt++) {
    try {
      return await launchOnce(spec);
    } catch (err) {
      lastError = err as Error;
      // Another process may take the port between our probe and the server's bind.
      if (!/EADDRINUSE|Address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error(`${spec.name}: could not start`);
}

async function launchOnce(spec: LaunchSpec): Promise<ServerProcess> {
  let dir = spec.dir;
  if (dir === undefined) {
    dir = mkdtempSync(path.join(spec.baseDir, `zk-bench-${spec.name}-`));
    ownedDirs.add(dir);
  }
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const configPath = path.join(dir, 'zoo.cfg');
  const config: Record<string, string> = { ...spec.config, dataDir, clientPort: String(port), clientPortAddress: '127.0.0.1' };
  writeFileSync(configPath, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');

  const spawnedAtEpochMs = Date.now();
  const spawnedAt = performance.now();
  const child = spawn(spec.command, spec.args(configPath), {
    cwd: dir,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  // Keep only the tail: a chatty server must not grow the bench's heap for minutes.
  let stderr = '';
  let partialLine = '';
  const lineListeners = new Set<(line: string) => void>(spec.onStderrLine ? [spec.onStderrLine] : []);
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-20_000);
    if (lineListeners.size === 0) { partialLine = ''; return; }
    const lines = (partialLine + s).split('\n');
    partialLine = lines.pop() ?? '';
    for (const line of lines) for (const l of lineListeners) l(line);
  });

  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => { exitCode = code; live.delete(child); resolve(); });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  let stopping: Promise<void> | undefined;
  const stop = (opts: StopOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      if (exitCode === undefined) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS); });
      if ((await Promise.race([exited, late])) === 'late') {
        child.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
      lineListeners.clear();
      if (opts.keepDir !== true) removeDir(dir);
    })();
    return stopping;
  };

  const readyDeadlineMs = spec.readyDeadlineMs ?? READY_DEADLINE_MS;
  const deadline = Date.now() + readyDeadlineMs;
  for (;;) {
    const outcome = await Promise.race([
      spawnError,
      exited.then(() => new Error(`${spec.name} exited with code ${exitCode} before serving`)),
      serving(port),
    ]);
    if (outcome === true) break;
    if (outcome instanceof Error || Date.now() > deadline) {
      // A reused dir belongs to the caller's earlier run: keep it for them to release.
      await stop({ keepDir: spec.dir !== undefined });
      const why = outcome instanceof Error ? outcome.message : `${spec.name} not serving within ${readyDeadlineMs} ms`;
      throw new Error(`${why}\n--- stderr (tail) ---\n${stderr.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, spec.pollIntervalMs ?? POLL_INTERVAL_MS));
  }
  return {
    name: spec.name, host: '127.0.0.1', port, pid: child.pid ?? -1, dir, dataDir,
    spawnedAtEpochMs,
    readyMs: performance.now() - spawnedAt,
    stderr: () => stderr,
    onStderrLine(listener) {
      lineListeners.add(listener);
      return () => { lineListeners.delete(listener); };
    },
    stop,
  };
}
