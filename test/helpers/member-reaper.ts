// The safety net of the ensemble harnesses (Apache ZooKeeper members, zk-server members): whatever a
// test leaves running is killed when the test process ends, on 'exit' or on a signal, and the member
// directories are removed unless ZK_ENSEMBLE_KEEP is set.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** ZK_ENSEMBLE_KEEP=1 keeps every member's directory (config, log, data) after the run. */
export const KEEP_MEMBER_DIRS = process.env.ZK_ENSEMBLE_KEEP !== undefined && process.env.ZK_ENSEMBLE_KEEP !== '';

export class MemberReaper {
  readonly children = new Set<ChildProcess>();
  readonly dirs = new Set<string>();

  /** `kill` ends one child at once (a process group, for members spawned detached). */
  constructor(private readonly kill: (child: ChildProcess) => void) {
    process.on('exit', () => {
      this.killAll();
      this.removeDirs();
    });
    // A signal ends the process without 'exit': clean up, then let the signal take its course (the
    // shared server helper re-raises it; if no one else listens, re-raise it here).
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        this.killAll();
        this.removeDirs();
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      });
    }
  }

  /** Tracks `child` until it exits. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  killAll(): void {
    for (const child of this.children) this.kill(child);
    this.children.clear();
  }

  /** Removes one member directory now (unless kept), or every one when `dir` is not given. */
  removeDirs(dir?: string): void {
    if (KEEP_MEMBER_DIRS) return;
    for (const d of dir === undefined ? [...this.dirs] : [dir]) {
      try { rmSync(d, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
      this.dirs.delete(d);
    }
  }
}
