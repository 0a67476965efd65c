// Drives DataDirTool.java, one long-lived JVM per test file: whole-tree dumps through ZooKeeper's Java
// client, and ZooKeeper's TxnLogToolkit / SnapshotFormatter on single files, one command at a time.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { CLIENT_JVM_FLAGS, JAVA, SLF4J_NOP_JAR, ZK_JAR } from './apache-zk.js';
import { compileDriver } from './java-driver.js';

const MAIN_CLASS = 'DataDirTool';
const COMMAND_TIMEOUT_MS = 60_000;
const END_MARK = '@end ';

const live = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One node as the dump prints it: path, data (`null` or `b64:…`), ACL and every stat field. */
export interface DumpLine {
  path: string;
  line: string;
}

interface Waiting {
  resolve(lines: string[]): void;
  reject(err: Error): void;
}

export class DataDirTool {
  private buffered = '';
  private lines: string[] = [];
  private waiting: Waiting | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private stderr = '';
  private exited = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    live.add(child);
    child.stdout.setEncoding('utf8').on('data', (s: string) => this.onStdout(s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => { this.stderr += s; });
    child.once('exit', (code, signal) => {
      this.exited = true;
      live.delete(child);
      this.waiting?.reject(new Error(`DataDirTool exited (${code ?? signal}) mid-command:\n${this.stderr}`));
      this.waiting = null;
    });
  }

  /** Compiles the Java sources if needed and starts the JVM. */
  static async start(): Promise<DataDirTool> {
    const classesDir = await compileDriver();
    const child = spawn(JAVA, [...CLIENT_JVM_FLAGS, '-cp', [classesDir, ZK_JAR, SLF4J_NOP_JAR].join(':'), MAIN_CLASS], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TZ: 'UTC' },
    });
    return new DataDirTool(child);
  }

  /**
   * Every node of the server at hostPort, sorted by path, read by a client that authenticated with
   * each of `auths` ("digest:alice:secret"), so digest ACLs show unmasked where those users have ADMIN.
   */
  async dump(hostPort: string, auths: readonly string[]): Promise<DumpLine[]> {
    const lines = await this.command(['dump', hostPort, ...auths].join(' '));
    return lines.map((line) => ({ path: line.slice(0, line.indexOf('\t')), line }));
  }

  /** TxnLogToolkit -d on one log file: its output. */
  txnLog(file: string): Promise<string> {
    return this.command(`txnlog ${file}`).then((l) => l.join('\n'));
  }

  /** SnapshotFormatter -d on one snapshot file: its output. */
  snapshot(file: string): Promise<string> {
    return this.command(`snapshot ${file}`).then((l) => l.join('\n'));
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }

  private command(text: string): Promise<string[]> {
    const run = this.queue.then(() => new Promise<string[]>((resolve, reject) => {
      if (this.exited) {
        reject(new Error(`DataDirTool is not running:\n${this.stderr}`));
        return;
      }
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`DataDirTool: no answer to "${text.slice(0, 200)}" within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      this.waiting = {
        resolve: (lines) => { clearTimeout(timer); resolve(lines); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      this.child.stdin.write(`${text}\n`);
    }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private onStdout(s: string): void {
    this.buffered += s;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (!line.startsWith(END_MARK)) {
        this.lines.push(line);
        continue;
      }
      const lines = this.lines;
      this.lines = [];
      const waiting = this.waiting;
      this.waiting = null;
      const status = line.slice(END_MARK.length);
      if (status === 'ok') waiting?.resolve(lines);
      else waiting?.reject(new Error(`DataDirTool: ${status}\n${lines.slice(-40).join('\n')}`));
    }
  }
}
