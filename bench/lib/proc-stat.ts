// CPU time of a process tree from /proc/<pid>/stat: utime+stime of the process (every thread, live or
// exited, is summed there), its reaped children (cutime+cstime) and its live descendants.

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clockTicksPerSecond: number | undefined;

/** USER_HZ, the unit of the /proc/<pid>/stat times (100 on nearly every Linux). */
export function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

interface StatFields {
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const num = (field: number): number => Number(rest[field - 3]);
  return { ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17) };
}

/** Every live pid whose parent chain leads to `root` (not including root). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st === null) continue;
    const list = children.get(st.ppid);
    if (list) list.push(Number(name));
    else children.set(st.ppid, [Number(name)]);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU seconds used so far by `pid` and everything under it; null when the process is gone (or
 * /proc is not there, as off Linux). Resolution is one clock tick (10 ms at USER_HZ 100).
 */
export function processTreeCpuSeconds(pid: number): number | null {
  const own = readStat(pid);
  if (own === null) return null;
  let ticks = own.ticks;
  for (const child of descendantsOf(pid)) ticks += readStat(child)?.ticks ?? 0;
  return ticks / clockTicks();
}

/** Resident set size of one process in MiB (VmRSS), or null when unreadable. */
export function residentMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
