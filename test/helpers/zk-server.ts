// Starts zk-server (dist/src/cli/main.js) as a child process on a free 127.0.0.1 port for integration
// tests, waits until it answers `ruok`, and guarantees it is stopped even when a test forgets to.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fourLetter as sendFourLetter, freePort } from '../../bench/lib/probe.js';

export interface ZkServerHandle {
  port: number;
  host: '127.0.0.1';
  dataDir: string;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Signals the server (SIGTERM by default), waits for it to exit (SIGKILL after a deadline), returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Kills without warning, as a crash would; the data dir is kept so a test can restart on it. */
  kill9(): Promise<void>;
}

export interface StartZkServerOptions {
  storage?: 'memory' | 'filelog' | 'level';
  /** Reuse a data directory (it is then never removed by the helper). */
  dataDir?: string;
  /** More zoo.cfg keys; they override the defaults the helper writes. */
  extraConfig?: Record<string, string>;
  env?: Record<string, string>;
  /** Listen on this client port (a quorum member's, fixed by the server lines) instead of a free one. */
  port?: number;
  /**
   * When the server counts as started. `ruok` answers `imok` as soon as the port listens, before
   * the server serves (ZooKeeper's RuokCommand does not check), so 'serving' also waits until `srvr`
   * stops saying ZK_NOT_SERVING. Default: 'serving', or 'ruok' when extraConfig has server.N keys
   * (a quorum member can't serve until enough peers are up).
   */
  waitFor?: 'ruok' | 'serving';
}

/** The repo root, from dist/test/helpers/ where this module runs compiled. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

const READY_DEADLINE_MS = 20_000;
const STOP_DEADLINE_MS = 10_000;
const POLL_INTERVAL_MS = 50;
const FOUR_LETTER_TIMEOUT_MS = 5_000;
const PORT_RETRIES = 3;

// Safety net: whatever a test leaves running or on disk is cleaned up when the test process exits.
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function cleanupAll(): void {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  liveChildren.clear();
  for (const dir of tempDirs) {
    try { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort at exit */ }
  }
  tempDirs.clear();
}
process.on('exit', cleanupAll);
// 'exit' does not run when a signal ends the process: clean up, then die of the same signal.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    cleanupAll();
    process.kill(process.pid, sig);
  });
}

export { freePort };

/** Sends a four-letter word to 127.0.0.1 and returns everything the server writes before closing. */
export function fourLetter(port: number, word: string, timeoutMs = FOUR_LETTER_TIMEOUT_MS): Promise<string> {
  return sendFourLetter('127.0.0.1', port, word, timeoutMs);
}

function renderConfig(entries: Record<string, string>): string {
  return Object.entries(entries).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** How to launch one server process once the port, data dir and config file are chosen. */
export interface LaunchSpec {
  command: string;
  args(configPath: string): string[];
  /** Files to write next to zoo.cfg (e.g. a logging config), name → content. */
  extraFiles?: Record<string, string>;
  /** zoo.cfg keys specific to this server kind, applied before the caller's extraConfig. */
  baseConfig?: Record<string, string>;
}

/**
 * Writes zoo.cfg into a fresh temp dir, spawns the server and waits for `imok`. Shared by
 * startZkServer and the Apache ZooKeeper launcher (apache-zk.ts) so both give the same handle.
 */
export async function launchServer(spec: LaunchSpec, opts: StartZkServerOptions = {}): Promise<ZkServerHandle> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < PORT_RETRIES; attempt++) {
    try {
      return await launchOnce(spec, opts);
    } catch (err) {
      lastError = err as Error;
      // Another process may take the port between our probe and the server's bind: try a new one.
      if (!/EADDRINUSE|Address already in use/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError ?? new Error('could not start server');
}

async function launchOnce(spec: LaunchSpec, opts: StartZkServerOptions): Promise<ZkServerHandle> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'zk-test-'));
  tempDirs.add(tmp);
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? path.join(tmp, 'data');
  const port = opts.port ?? await freePort();
  const configPath = path.join(tmp, 'zoo.cfg');
  writeFileSync(configPath, renderConfig({
    tickTime: '2000',
    dataDir,
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    '4lw.commands.whitelist': '*',
    ...spec.baseConfig,
    ...opts.extraConfig,
  }));
  for (const [name, content] of Object.entries(spec.extraFiles ?? {})) writeFileSync(path.join(tmp, name), content);

  const child = spawn(spec.command, spec.args(configPath), {
    cwd: tmp,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { err += s; });

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      liveChildren.delete(child);
      // null when a signal ended it.
      resolve(code);
    });
  });
  let hasExited = false;
  void exited.then(() => { hasExited = true; });
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));

  const removeTemp = (): void => {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    tempDirs.delete(tmp);
  };

  const waitExit = async (deadlineMs: number): Promise<number | null> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), deadlineMs); });
    const first = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    child.kill('SIGKILL');
    return exited;
  };

  const handle: ZkServerHandle = {
    port,
    host: '127.0.0.1',
    dataDir,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
      const code = await waitExit(STOP_DEADLINE_MS);
      // Only the temp dir goes; a dataDir passed in belongs to the caller.
      removeTemp();
      return code;
    },
    async kill9() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
      // Keep the temp dir (it may hold the data dir a test restarts on); the exit hook removes it.
      if (!ownsDataDir) removeTemp();
    },
  };

  const isQuorum = Object.keys(opts.extraConfig ?? {}).some((k) => /^server\.\d+$/.test(k));
  const waitFor = opts.waitFor ?? (isQuorum ? 'ruok' : 'serving');
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    const failure = await Promise.race([
      spawnFailed,
      exited.then((code) => new Error(`server exited with code ${code} before answering ruok`)),
      probeReady(port, waitFor),
    ]);
    if (failure === true) return handle;
    if (failure instanceof Error) {
      await handle.stop('SIGKILL');
      throw new Error(`${failure.message}\n--- stderr ---\n${err}\n--- stdout ---\n${out}`);
    }
    if (Date.now() > deadline) {
      await handle.stop('SIGKILL');
      throw new Error(`server did not answer ruok within ${READY_DEADLINE_MS} ms\n--- stderr ---\n${err}\n--- stdout ---\n${out}`);
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

/** True once the server is up as `waitFor` means it; false (never throws) until then. */
async function probeReady(port: number, waitFor: 'ruok' | 'serving'): Promise<boolean> {
  try {
    if ((await fourLetter(port, 'ruok', 1_000)) !== 'imok') return false;
    return waitFor === 'ruok' || !(await fourLetter(port, 'srvr', 1_000)).startsWith(NOT_SERVING);
  } catch {
    return false;
  }
}

/** Starts zk-server from dist/ with a generated zoo.cfg; see StartZkServerOptions. */
export function startZkServer(opts: StartZkServerOptions = {}): Promise<ZkServerHandle> {
  return launchServer({
    command: process.execPath,
    args: (configPath) => [CLI_MAIN, '--config', configPath, '--storage', opts.storage ?? 'memory'],
    // The AdminServer is on by default at 8080, which parallel servers would fight over.
    baseConfig: { 'admin.enableServer': 'false' },
  }, opts);
}
