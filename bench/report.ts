// Turns repeated load runs into medians, ratios against the baseline (Apache ZooKeeper) and goal
// checks, and renders them as console tables and a short markdown summary.

import type { LoadResult } from './load.js';
import { machineOneLiner, type MachineDescription } from './lib/machine.js';
import { CPU_PER_WRITE_RATIO_MAX, P99_RATIO_MAX, type Scenario } from './scenarios.js';

export type RunRecord =
  | { rep: number; ok: true; result: LoadResult }
  | { rep: number; ok: false; error: string };

export interface OpMedians { op: string; rate: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number }

export interface TargetMedians {
  runs: number;
  failedRuns: number;
  throughput: number;
  write: OpMedians | null;
  read: OpMedians | null;
  serverCpuUsPerWrite: number | null;
  serverCpuUsPerOp: number | null;
  serverCpuPercentOfCore: number | null;
  serverRssMiB: number | null;
  clientProcs: number;
  clientCpuPercentOfCore: number;
  clientMaxEventLoopUtilization: number;
  /** Summed over runs, not medians: any error is worth seeing. */
  errors: number;
  protocolErrors: number;
  failures: string[];
  /** Summed over runs: sessions that got no reply in a window, requests never answered. */
  starvedSessions: number;
  unansweredAtEnd: number;
}

export interface GoalCheck { metric: string; ratio: number | null; goal: string; met: boolean | null }

export interface ScenarioReport {
  id: string;
  title: string;
  workload: Scenario['workload'];
  clientCheckOf?: string;
  runs: Record<string, RunRecord[]>;
  medians: Record<string, TargetMedians | null>;
  /** target id → metric → target / baseline. */
  ratios: Record<string, Record<string, number | null>>;
  goals: Record<string, GoalCheck[]>;
}

export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function medianOrNull(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : median(v);
}

function opMedians(results: LoadResult[], pick: (r: LoadResult) => LoadResult['write']): OpMedians | null {
  const ops = results.map(pick).filter((o): o is NonNullable<typeof o> => o !== null);
  if (ops.length === 0) return null;
  return {
    op: ops[0].op,
    rate: median(ops.map((o) => o.rate)),
    p50Ms: median(ops.map((o) => o.p50Ms)),
    p99Ms: median(ops.map((o) => o.p99Ms)),
    p999Ms: median(ops.map((o) => o.p999Ms)),
    maxMs: median(ops.map((o) => o.maxMs)),
  };
}

export function summarize(runs: RunRecord[]): TargetMedians | null {
  const ok = runs.filter((r): r is Extract<RunRecord, { ok: true }> => r.ok).map((r) => r.result);
  if (ok.length === 0) return null;
  return {
    runs: ok.length,
    failedRuns: runs.length - ok.length,
    throughput: median(ok.map((r) => r.throughput)),
    write: opMedians(ok, (r) => r.write),
    read: opMedians(ok, (r) => r.read),
    serverCpuUsPerWrite: medianOrNull(ok.map((r) => r.server.cpuUsPerWrite)),
    serverCpuUsPerOp: medianOrNull(ok.map((r) => r.server.cpuUsPerOp)),
    serverCpuPercentOfCore: medianOrNull(ok.map((r) => r.server.cpuPercentOfCore)),
    serverRssMiB: medianOrNull(ok.map((r) => r.server.rssMiB)),
    clientProcs: ok[0].clientProcs,
    clientCpuPercentOfCore: median(ok.map((r) => r.client.cpuPercentOfCore)),
    clientMaxEventLoopUtilization: median(ok.map((r) => r.client.maxEventLoopUtilization)),
    errors: ok.reduce((a, r) => a + r.errors, 0),
    protocolErrors: ok.reduce((a, r) => a + r.protocolErrors, 0),
    failures: ok.flatMap((r) => r.failures),
    starvedSessions: ok.reduce((a, r) => a + r.starvedSessions, 0),
    unansweredAtEnd: ok.reduce((a, r) => a + r.unansweredAtEnd, 0),
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null || b == null || b === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? null : a / b;

/** The CPU figure a scenario is judged on: per write when it only writes, per op when it mixes in reads. */
export function cpuMetric(s: Pick<Scenario, 'workload'>): 'serverCpuUsPerWrite' | 'serverCpuUsPerOp' {
  return s.workload.readFraction > 0 ? 'serverCpuUsPerOp' : 'serverCpuUsPerWrite';
}

/** `floorIds`: targets measured for reference (bench/floor-server.ts), given ratios but no goals. */
export function buildScenarioReport(
  scenario: Scenario, runs: Record<string, RunRecord[]>, baselineId: string | null, floorIds: ReadonlySet<string> = new Set(),
): ScenarioReport {
  const medians: Record<string, TargetMedians | null> = {};
  for (const [id, rs] of Object.entries(runs)) medians[id] = summarize(rs);
  const ratios: ScenarioReport['ratios'] = {};
  const goals: ScenarioReport['goals'] = {};
  const base = baselineId === null ? null : medians[baselineId];
  const cpu = cpuMetric(scenario);
  for (const [id, m] of Object.entries(medians)) {
    if (id === baselineId || base == null || m == null) continue;
    const r: Record<string, number | null> = {
      throughput: ratio(m.throughput, base.throughput),
      [cpu]: ratio(m[cpu], base[cpu]),
    };
    for (const kind of ['write', 'read'] as const) {
      for (const p of ['p50Ms', 'p99Ms', 'p999Ms', 'maxMs'] as const) r[`${kind}.${p}`] = ratio(m[kind]?.[p], base[kind]?.[p]);
    }
    ratios[id] = r;
    if (floorIds.has(id)) continue;
    const checks: GoalCheck[] = [];
    const tGoal = scenario.throughputGoal?.[id];
    if (tGoal !== undefined) {
      checks.push({ metric: 'throughput', ratio: r.throughput, goal: `≥ ${tGoal}×`, met: r.throughput === null ? null : r.throughput >= tGoal });
    }
    if (scenario.clientCheckOf === undefined) {
      if (cpu === 'serverCpuUsPerWrite') {
        checks.push({ metric: 'server CPU/write', ratio: r[cpu], goal: `≤ ${CPU_PER_WRITE_RATIO_MAX}×`, met: r[cpu] === null ? null : r[cpu] <= CPU_PER_WRITE_RATIO_MAX });
      }
      for (const kind of ['write', 'read'] as const) {
        const p99 = r[`${kind}.p99Ms`];
        if (m[kind] === null) continue;
        checks.push({ metric: `${m[kind]?.op} p99`, ratio: p99, goal: `≤ ${P99_RATIO_MAX}×`, met: p99 === null ? null : p99 <= P99_RATIO_MAX });
      }
    }
    // Not a speed goal but a precondition of every figure above: all asked-for sessions were served.
    const stalled = m.starvedSessions + m.unansweredAtEnd;
    checks.push({ metric: 'all sessions served', ratio: null, goal: '0 starved', met: stalled === 0 });
    goals[id] = checks;
  }
  return {
    id: scenario.id, title: scenario.title, workload: scenario.workload, clientCheckOf: scenario.clientCheckOf,
    runs, medians, ratios, goals,
  };
}

// ------------------------------------------------------------------ formatting

export function fmtNum(n: number | null | undefined, kind: 'rate' | 'ms' | 'us' | 'pct' | 'mib' | 'ratio' | 'int'): string {
  if (n == null || !Number.isFinite(n)) return 'n/a';
  switch (kind) {
    case 'rate': case 'int': return Math.round(n).toLocaleString('en-US');
    case 'ms': return Math.abs(n) < 1 ? n.toFixed(3) : Math.abs(n) < 100 ? n.toFixed(2) : n.toFixed(0);
    case 'us': return Math.abs(n) < 100 ? n.toFixed(1) : n.toFixed(0);
    case 'pct': return `${n.toFixed(0)}%`;
    case 'mib': return n.toFixed(0);
    case 'ratio': return `${n.toFixed(2)}×`;
  }
}

/** A plain-text table, first column left-aligned, the rest right-aligned. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `floorFor`: this target is the floor (bench/floor-server.ts) of the server with that id. */
export interface TargetInfo { id: string; label: string; floorFor?: string }

/** How far a server is from its floor in a scenario: its throughput ÷ the floor's, or null. */
export function shareOfFloor(rep: ScenarioReport, floor: TargetInfo): number | null {
  return floor.floorFor === undefined ? null : ratio(rep.medians[floor.floorFor]?.throughput, rep.medians[floor.id]?.throughput);
}

/** The console table of one scenario: a column per target, a ratio column after each non-baseline. */
export function renderScenario(rep: ScenarioReport, targets: TargetInfo[], baselineId: string | null): string {
  const header = ['metric'];
  for (const t of targets) {
    header.push(t.label);
    if (baselineId !== null && t.id !== baselineId) header.push('ratio');
  }
  const rows: string[][] = [];
  const row = (label: string, value: (m: TargetMedians) => number | null | undefined, kind: Parameters<typeof fmtNum>[1], ratioKey?: string): void => {
    const cells = [label];
    for (const t of targets) {
      const m = rep.medians[t.id];
      cells.push(m ? fmtNum(value(m), kind) : 'failed');
      if (baselineId !== null && t.id !== baselineId) cells.push(ratioKey ? fmtNum(rep.ratios[t.id]?.[ratioKey], 'ratio') : '');
    }
    rows.push(cells);
  };
  row('throughput (ops/s)', (m) => m.throughput, 'rate', 'throughput');
  for (const kind of ['write', 'read'] as const) {
    const some = Object.values(rep.medians).find((m) => m?.[kind]);
    if (!some) continue;
    const op = some[kind]?.op ?? kind;
    row(`${op} p50 (ms)`, (m) => m[kind]?.p50Ms, 'ms', `${kind}.p50Ms`);
    row(`${op} p99 (ms)`, (m) => m[kind]?.p99Ms, 'ms', `${kind}.p99Ms`);
    row(`${op} p999 (ms)`, (m) => m[kind]?.p999Ms, 'ms', `${kind}.p999Ms`);
    row(`${op} max (ms)`, (m) => m[kind]?.maxMs, 'ms', `${kind}.maxMs`);
  }
  const cpu = cpuMetric(rep);
  row(cpu === 'serverCpuUsPerWrite' ? 'server CPU µs/write' : 'server CPU µs/op', (m) => m[cpu], 'us', cpu);
  row('server CPU (% of a core)', (m) => m.serverCpuPercentOfCore, 'pct');
  row('server RSS (MiB)', (m) => m.serverRssMiB, 'mib');
  row('client CPU (% of a core)', (m) => m.clientCpuPercentOfCore, 'pct');
  row('client busiest event loop', (m) => 100 * m.clientMaxEventLoopUtilization, 'pct');
  row('client processes', (m) => m.clientProcs, 'int');
  row('errors', (m) => m.errors + m.protocolErrors, 'int');
  row('starved sessions (all runs)', (m) => m.starvedSessions, 'int');
  row('unanswered requests (all runs)', (m) => m.unansweredAtEnd, 'int');
  row('runs (ok)', (m) => m.runs, 'int');
  const lines = [renderTable(header, rows)];
  for (const t of targets) {
    const checks = rep.goals[t.id];
    if (!checks || checks.length === 0) continue;
    lines.push(`goals for ${t.label}: ${checks.map((c) => `${c.metric}${c.ratio === null ? '' : ` ${fmtNum(c.ratio, 'ratio')}`} (${c.goal}) ${c.met === null ? '?' : c.met ? 'met' : 'NOT met'}`).join('; ')}`);
  }
  const base = targets.find((t) => t.id === baselineId);
  for (const f of targets) {
    const server = targets.find((t) => t.id === f.floorFor);
    const share = shareOfFloor(rep, f);
    if (server === undefined || share === null) continue;
    const vsBase = rep.ratios[f.id]?.throughput;
    lines.push(`${f.label}: ${server.label} makes ${fmtNum(share, 'ratio')} of its throughput`
      + `${base !== undefined && vsBase != null ? `; the floor itself is ${fmtNum(vsBase, 'ratio')} ${base.label}'s` : ''}`);
  }
  for (const t of targets) {
    const failed = rep.runs[t.id]?.filter((r) => !r.ok) ?? [];
    for (const f of failed) if (!f.ok) lines.push(`run ${f.rep + 1} of ${t.label} FAILED: ${f.error.split('\n')[0]}`);
    const m = rep.medians[t.id];
    if (m && m.failures.length > 0) lines.push(`${t.label}: ${m.failures.length} session(s) lost: ${m.failures[0]}`);
    if (m && (m.starvedSessions > 0 || m.unansweredAtEnd > 0)) {
      lines.push(`${t.label}: WARNING ${m.starvedSessions} session(s) got no reply in a measured window and `
        + `${m.unansweredAtEnd} request(s) were never answered: the server stalls some connections, so its numbers come from fewer sessions than asked`);
    }
  }
  return lines.join('\n');
}

/** The client check: throughput with one more client process against the scenario it repeats. */
export function clientCheckLine(check: ScenarioReport, of: ScenarioReport | undefined, targets: TargetInfo[]): string {
  const parts = targets.map((t) => {
    const more = check.medians[t.id]?.throughput;
    const base = of?.medians[t.id]?.throughput;
    const r = ratio(more, base);
    return `${t.label} ${fmtNum(base, 'rate')} → ${fmtNum(more, 'rate')} ops/s (${fmtNum(r, 'ratio')})`;
  });
  return `client check (${check.clientCheckOf} with one more client process): ${parts.join('; ')}. `
    + 'A rise well above 1× means the client limited that scenario.';
}

export interface BenchSummaryInput {
  startedAt: string;
  durationS: number;
  quick: boolean;
  machine: MachineDescription;
  targets: TargetInfo[];
  /** Floor targets (bench/floor-server.ts), in the scenarios that name them. */
  floors?: TargetInfo[];
  baselineId: string | null;
  notes: string[];
  scenarios: ScenarioReport[];
  unavailable: Array<{ id: string; title: string; reason: string }>;
  reps: number;
  warmupMs: number;
  measureMs: number;
}

/** The short markdown summary saved next to the JSON. */
export function renderMarkdown(s: BenchSummaryInput): string {
  const out: string[] = [];
  out.push(`# zk-server bench, ${s.startedAt}${s.quick ? ' (--quick)' : ''}`, '');
  out.push(`Machine: ${machineOneLiner(s.machine)}.`, '');
  out.push(`${s.reps} run(s) per scenario and server, alternating which server goes first; warm-up ${s.warmupMs / 1000} s, `
    + `measured ${s.measureMs / 1000} s; medians shown. Total ${Math.round(s.durationS)} s.`, '');
  if (s.notes.length > 0) {
    out.push('**Notes**', '');
    for (const n of s.notes) out.push(`- ${n}`);
    out.push('');
  }
  const others = s.targets.filter((t) => t.id !== s.baselineId);
  const base = s.targets.find((t) => t.id === s.baselineId);
  const header = ['scenario'];
  for (const t of s.targets) header.push(`${t.label} ops/s`, `p99 ms`, `CPU µs/w`);
  if (base) for (const t of others) header.push(`${t.label} vs ${base.label}: ops/s`, 'p99', 'CPU/w', 'goals');
  const rows = s.scenarios.map((sc) => {
    const cells = [sc.title];
    for (const t of s.targets) {
      const m = sc.medians[t.id];
      const p99 = m?.write?.p99Ms ?? m?.read?.p99Ms;
      const starved = m && m.starvedSessions > 0 ? ` (${m.starvedSessions} starved sessions)` : '';
      cells.push(`${fmtNum(m?.throughput, 'rate')}${starved}`, fmtNum(p99, 'ms'), fmtNum(m?.[cpuMetric(sc)], 'us'));
    }
    if (base) {
      for (const t of others) {
        const r = sc.ratios[t.id] ?? {};
        const p99 = r['write.p99Ms'] ?? r['read.p99Ms'];
        const checks = sc.goals[t.id] ?? [];
        const goals = checks.length === 0 ? '' : checks.every((c) => c.met === true) ? 'all met'
          : checks.filter((c) => c.met !== true).map((c) => `${c.metric} ${c.met === null ? '?' : 'not met'}`).join(', ');
        cells.push(fmtNum(r.throughput, 'ratio'), fmtNum(p99, 'ratio'), fmtNum(r[cpuMetric(sc)], 'ratio'), goals);
      }
    }
    return cells;
  });
  out.push(`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`);
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  out.push('');
  out.push(...floorMarkdown(s, base));
  for (const u of s.unavailable) out.push(`- ${u.title}: ${u.reason}`);
  if (s.unavailable.length > 0) out.push('');
  out.push('Ratios are zk-server ÷ Apache ZooKeeper: above 1× is better for ops/s, below 1× is better for p99 and CPU per write. '
    + 'CPU/w is server CPU per write (per op where the scenario also reads), from /proc/<pid>/stat of the server process tree.', '');
  return out.join('\n');
}

/** The floors' table: each floor's throughput, it ÷ the baseline, and its server ÷ it. */
function floorMarkdown(s: BenchSummaryInput, base: TargetInfo | undefined): string[] {
  const floors = s.floors ?? [];
  const rows: string[][] = [];
  for (const sc of s.scenarios) {
    for (const f of floors) {
      const m = sc.medians[f.id];
      if (m === undefined) continue;
      const server = s.targets.find((t) => t.id === f.floorFor);
      rows.push([sc.title, f.label, fmtNum(m?.throughput, 'rate'), fmtNum(m?.serverCpuUsPerWrite, 'us'),
        fmtNum(sc.ratios[f.id]?.throughput, 'ratio'), server === undefined ? 'n/a' : `${server.label}: ${fmtNum(shareOfFloor(sc, f), 'ratio')}`]);
    }
  }
  if (rows.length === 0) return [];
  const header = ['scenario', 'floor', 'ops/s', 'CPU µs/w', `floor ÷ ${base?.label ?? 'baseline'}`, 'server ÷ floor'];
  return [
    '**Floors**: the same load against bench/floor-server.ts, a bare Node server that reads each request, makes each '
      + 'gathered group of writes durable as zk-server\'s storage does (one O_DSYNC pwrite, or one synced LevelDB batch) and '
      + 'answers, with no tree and no ZooKeeper semantics: what this machine allows a server that writes this way. Where '
      + 'floor ÷ baseline is below a goal, no work on the rest of zk-server\'s code can meet it; server ÷ floor is what '
      + 'that code costs.',
    '',
    `| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
}
