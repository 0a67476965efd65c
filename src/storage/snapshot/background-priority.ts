// Runs the snapshot pool's threads at a lower CPU priority than the threads serving clients. On a
// small machine the worker encoding a million-node snapshot takes a whole core for seconds; at equal
// priority the scheduler shares that core with request processing and every write in flight waits
// its turn. A fuzzy snapshot loses nothing by finishing later.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * The nice value of pool threads. 10 leaves them ~10% of a core that request processing wants
 * (CFS weights 110 vs 1024) and all of an idle one, which a start-up restore has to itself.
 */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the calling thread's priority to BACKGROUND_NICE. Linux only, where a nice value belongs to
 * a thread: /proc/thread-self names the caller's thread id, and setpriority(PRIO_PROCESS, tid)
 * changes that thread alone. Elsewhere, or if refused, the thread keeps its priority.
 * @returns whether the priority was lowered
 */
export function lowerThisThreadPriority(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, BACKGROUND_NICE);
    return true;
  } catch {
    return false;
  }
}
