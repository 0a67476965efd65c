// Starts one ZooKeeper-protocol server process (zk-server or Apache ZooKeeper) on a free 127.0.0.1
// port with a generated zoo.cfg in a fresh temp dir, waits until it serves, and stops it for sure.
// The same approach as test/helpers/zk-server.ts, kept apart so the bench does not import tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

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
  env?: Record<string, string>;
}

export interface ServerProcess {
  readonly name: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  stderr(): string;
  /** SIGTERM, SIGKILL after a deadline, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

// Whatever is still running when the bench exits (error, Ctrl-C) is killed and its dir removed.
const live = new Set<{ child: ChildProcess; dir: string }>();

/** Kills every server still running, synchronously (for 'exit' handlers). */
export function killAllServersSync(): void {
  for (const s of live) {
    try { s.child.kill('SIGKILL'); } catch { /* already gone */ }
    try { rmSync(s.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  live.clear();
}

process.on('exit', killAllServersSync);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends a four-letter word and resolves with everything written back before the server closes. */
export function fourLetter(host: string, port: number, word: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host, port }, () => sock.write(word));
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`${word}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.once('error', (err) => { clearTimeout(timer); reject(err); });
    sock.once('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
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
  const dir = mkdtempSync(path.join(spec.baseDir, `zk-bench-${spec.name}-`));
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const configPath = path.join(dir, 'zoo.cfg');
  const config: Record<string, string> = { ...spec.config, dataDir, clientPort: String(port), clientPortAddress: '127.0.0.1' };
  writeFileSync(configPath, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');

  const child = spawn(spec.command, spec.args(configPath), {
    cwd: dir,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const entry = { child, dir };
  live.add(entry);
  // Keep only the tail: a chatty server must not grow the bench's heap for minutes.
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-20_000); });

  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => { exitCode = code; live.delete(entry); resolve(); });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitCode === undefined) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS); });
      if ((await Promise.race([exited, late])) === 'late') {
        child.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  const server: ServerProcess = {
    name: spec.name, host: '127.0.0.1', port, pid: child.pid ?? -1, dataDir, stderr: () => stderr, stop,
  };
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    const outcome = await Promise.race([
      spawnError,
      exited.then(() => new Error(`${spec.name} exited with code ${exitCode} before serving`)),
      serving(port),
    ]);
    if (outcome === true) return server;
    if (outcome instanceof Error || Date.now() > deadline) {
      await stop();
      const why = outcome instanceof Error ? outcome.message : `${spec.name} not serving within ${READY_DEADLINE_MS} ms`;
      throw new Error(`${why}\n--- stderr (tail) ---\n${stderr.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}
