import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processTreeCpuSeconds, residentMiB } from '../../bench/lib/proc-stat.js';

const onLinux = process.platform === 'linux';

/** Burns `ms` of this process's own CPU time (not wall time: the machine may be shared). */
function spinCpu(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

test('CPU of this process grows by the CPU time spent spinning', { skip: !onLinux }, () => {
  const before = processTreeCpuSeconds(process.pid);
  assert.notEqual(before, null);
  const t0 = process.cpuUsage();
  spinCpu(300);
  const after = processTreeCpuSeconds(process.pid) as number;
  const used = process.cpuUsage(t0);
  const expected = (used.user + used.system) / 1e6;
  // /proc counts in clock ticks (10 ms), and libuv's threads may add a little.
  assert.ok(Math.abs(after - (before as number) - expected) < 0.1, `/proc says ${after - (before as number)} s, cpuUsage ${expected} s`);
  assert.ok((residentMiB(process.pid) ?? 0) > 1);
});

test('CPU of a live child process counts for its parent tree', { skip: !onLinux }, async () => {
  // The child burns 400 ms of CPU, then waits for stdin to close, so it is alive (not reaped) when measured.
  const child = spawn(process.execPath, ['-e', `
    const s = process.cpuUsage(); for (;;) { const u = process.cpuUsage(s); if (u.user + u.system >= 400000) break; }
    process.stdout.write('spun\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await once(child.stdout, 'data');
    const own = processTreeCpuSeconds(child.pid as number) as number;
    assert.ok(own >= 0.35, `child used ${own} s`);
    const mine = processTreeCpuSeconds(process.pid) as number;
    const { user, system } = process.cpuUsage();
    assert.ok(mine >= own + (user + system) / 1e6 - 0.05, `tree ${mine} s < child ${own} s + own`);
  } finally {
    child.stdin.end();
    await once(child, 'exit');
  }
});

test('a process that does not exist has no CPU figure', { skip: !onLinux }, () => {
  assert.equal(processTreeCpuSeconds(2 ** 30), null);
});
