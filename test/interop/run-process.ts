// Runs a short-lived client process (javac, the Java driver, zkCli.sh) to completion with a deadline,
// and makes sure none outlives the test process.

import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs: number;
}

const running = new Set<ChildProcess>();
function killAll(): void {
  for (const child of running) killGroup(child);
  running.clear();
}
process.on('exit', killAll);
// A signal ends the process without 'exit'; the shared server helper re-raises it after its own
// cleanup, and listeners of one signal all run before that re-raised signal lands.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killAll();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  });
}

/** Resolves when the process exits (whatever its code); rejects only if it cannot be spawned. */
export function runProcess(command: string, args: string[], opts: RunOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group, so the deadline kills a wrapper script and the JVM it started.
      detached: true,
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (timedOut) stderr += `\n[killed after ${opts.timeoutMs} ms]`;
      resolve({ code, signal, stdout, stderr });
    });
    // A client that exits early closes its stdin; that is its business, not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
