// Console tables and markdown for the snapshot scenarios (bench/snapshots.ts): snapshot stall and
// restore time, one column per server, ratios against Apache ZooKeeper, and issue 3's goal check.

import { fmtNum, median, renderTable } from './report.js';
import { SNAPSHOT_ADDED_MAX_MS_GOAL, type SnapshotRun, type SnapshotScenarioSettings } from './snapshots.js';

export interface SnapshotScenarioReport {
  settings: SnapshotScenarioSettings;
  runs: SnapshotRun[];
  baselineId: string | null;
  /** Per non-baseline server: whether the snapshot added at most the goal to max write latency. */
  goals: Array<{ targetId: string; addedMaxMs: number | null; goalMs: number; met: boolean | null }>;
}

export function buildSnapshotReport(settings: SnapshotScenarioSettings, runs: SnapshotRun[], baselineId: string | null): SnapshotScenarioReport {
  const goals = runs.filter((r) => r.targetId !== baselineId).map((r) => {
    const added = r.stall?.addedMaxMs ?? null;
    return { targetId: r.targetId, addedMaxMs: added, goalMs: SNAPSHOT_ADDED_MAX_MS_GOAL, met: added === null ? null : added <= SNAPSHOT_ADDED_MAX_MS_GOAL };
  });
  return { settings, runs, baselineId, goals };
}

type Kind = Parameters<typeof fmtNum>[1];
interface Row { label: string; value: (r: SnapshotRun) => number | null | undefined; kind: Kind; ratio?: boolean }

const mb = (b: number | null | undefined): number | null => (b == null ? null : b / (1024 * 1024));
const seconds = (ms: number | null | undefined): number | null => (ms == null ? null : ms / 1000);

function stallRows(): Row[] {
  return [
    { label: 'populate time (s)', value: (r) => seconds(r.stall?.populate.ms), kind: 'ms', ratio: true },
    { label: 'populate rate (nodes/s)', value: (r) => r.stall?.populate.nodesPerSecond, kind: 'rate', ratio: true },
    { label: 'measured window (s)', value: (r) => seconds(r.stall?.measureMs), kind: 'ms' },
    { label: 'setData throughput (ops/s)', value: (r) => r.stall?.writesPerSecond, kind: 'rate', ratio: true },
    { label: 'snapshots in window', value: (r) => r.stall?.snapshots.length, kind: 'int' },
    { label: 'snapshots skipped (too busy)', value: (r) => r.stall?.skipped, kind: 'int' },
    { label: 'snapshot duration, median (ms)', value: (r) => (r.stall && r.stall.snapshots.length > 0 ? median(r.stall.snapshots.map((s) => s.durationMs)) : null), kind: 'ms', ratio: true },
    { label: 'snapshot file (MiB)', value: (r) => mb(r.stall?.snapshotFileBytes), kind: 'mib' },
    { label: 'longest main-thread slice (ms)', value: (r) => r.stall?.longestSliceMs, kind: 'ms' },
    { label: 'writes in flight during snapshots', value: (r) => r.stall?.during.count, kind: 'int' },
    { label: 'writes outside snapshots', value: (r) => r.stall?.outside.count, kind: 'int' },
    { label: 'write p99 outside (ms)', value: (r) => r.stall?.outside.p99Ms, kind: 'ms', ratio: true },
    { label: 'write p99 during (ms)', value: (r) => r.stall?.during.p99Ms, kind: 'ms', ratio: true },
    { label: 'p99 added by snapshot (ms)', value: (r) => r.stall?.addedP99Ms, kind: 'ms' },
    { label: 'write p999 outside (ms)', value: (r) => r.stall?.outside.p999Ms, kind: 'ms', ratio: true },
    { label: 'write p999 during (ms)', value: (r) => r.stall?.during.p999Ms, kind: 'ms', ratio: true },
    { label: 'write max outside (ms)', value: (r) => r.stall?.outside.maxMs, kind: 'ms', ratio: true },
    { label: 'write max during (ms)', value: (r) => r.stall?.during.maxMs, kind: 'ms', ratio: true },
    { label: 'max added by snapshot (ms)', value: (r) => r.stall?.addedMaxMs, kind: 'ms' },
    { label: 'errors', value: (r) => r.stall?.errors, kind: 'int' },
  ];
}

function restoreRows(): Row[] {
  return [
    { label: 'stop, SIGTERM to exit (ms)', value: (r) => r.restore?.stopMs, kind: 'ms', ratio: true },
    { label: 'restart: spawn to serving (ms)', value: (r) => r.restore?.readyMs, kind: 'ms', ratio: true },
    { label: '  process start (ms)', value: (r) => r.restore?.breakdown.processStartMs, kind: 'ms', ratio: true },
    { label: '  snapshot load (ms)', value: (r) => r.restore?.breakdown.snapshotLoadMs, kind: 'ms', ratio: true },
    { label: '  log replay (ms)', value: (r) => r.restore?.breakdown.logReplayMs, kind: 'ms', ratio: true },
    { label: '  txns replayed', value: (r) => r.restore?.breakdown.txnsReplayed, kind: 'int' },
    { label: '  start-up snapshot before serving (ms)', value: (r) => r.restore?.breakdown.startupSnapshotMs, kind: 'ms', ratio: true },
    { label: 'node count after restart (srvr)', value: (r) => r.restore?.nodeCount, kind: 'int' },
    { label: 'data dir (MiB)', value: (r) => mb(r.restore?.dataDirBytes), kind: 'mib' },
  ];
}

function cells(rep: SnapshotScenarioReport, rows: Row[]): { header: string[]; body: string[][] } {
  const base = rep.runs.find((r) => r.targetId === rep.baselineId);
  const header = ['metric'];
  for (const r of rep.runs) {
    header.push(r.label);
    if (base !== undefined && r !== base) header.push('ratio');
  }
  const body = rows.map((row) => {
    const out = [row.label];
    for (const r of rep.runs) {
      out.push(r.error !== null && row.value(r) == null ? 'failed' : fmtNum(row.value(r), row.kind));
      if (base !== undefined && r !== base) {
        const a = row.value(r);
        const b = row.value(base);
        out.push(row.ratio === true && a != null && b != null && b !== 0 ? fmtNum(a / b, 'ratio') : '');
      }
    }
    return out;
  });
  return { header, body };
}

function table(rep: SnapshotScenarioReport, rows: Row[]): string {
  const { header, body } = cells(rep, rows);
  return renderTable(header, body);
}

const signed = (n: number): string => `${n >= 0 ? '+' : ''}${fmtNum(n, 'ms')}`;

function goalLines(rep: SnapshotScenarioReport): string[] {
  const lines: string[] = [];
  const base = rep.runs.find((r) => r.targetId === rep.baselineId);
  for (const g of rep.goals) {
    const run = rep.runs.find((r) => r.targetId === g.targetId);
    const vs = base?.stall?.addedMaxMs != null ? ` (${base.label}: ${signed(base.stall.addedMaxMs)} ms)` : '';
    lines.push(`goal for ${run?.label ?? g.targetId} (issue 3): a snapshot adds ≤ ${g.goalMs} ms to max write latency: `
      + `${g.addedMaxMs === null ? 'not measured' : `${signed(g.addedMaxMs)} ms`}${vs}, `
      + `${g.met === null ? '?' : g.met ? 'met' : 'NOT met'}`);
  }
  for (const r of rep.runs) {
    if (r.error !== null) lines.push(`${r.label} FAILED: ${r.error.split('\n')[0]}`);
    const slow = r.stall?.slowest[0];
    if (slow !== undefined) {
      lines.push(`${r.label}: slowest write ${fmtNum(slow.latencyMs, 'ms')} ms, ${slow.duringSnapshot ? 'during a snapshot' : 'outside snapshots'}`
        + `${slow.msAfterSnapshotStart === null ? '' : `, sent ${fmtNum(slow.msAfterSnapshotStart, 'ms')} ms after the last snapshot began`}`);
    }
    if ((r.stall?.samplesDropped ?? 0) > 0) lines.push(`${r.label}: ${r.stall?.samplesDropped} samples dropped (recorder full): figures cover the rest`);
  }
  return lines;
}

function describe(s: SnapshotScenarioSettings): string {
  const w = s.workload;
  return `${s.nodes.toLocaleString('en-US')}-node tree (${w.payloadBytes} B each, built by multi of ${s.createsPerMulti} creates), `
    + `snapCount=${s.snapCount} on both servers, setData ${w.payloadBytes} B ${w.sessions}×${w.window}`;
}

/** Both console tables with their goal and diagnostic lines. */
export function renderSnapshotReport(rep: SnapshotScenarioReport): string {
  return [
    `== snapshot stall: write latency while snapshots are taken; ${describe(rep.settings)} ==`,
    table(rep, stallRows()),
    ...goalLines(rep),
    '',
    `== restore time of that tree: SIGTERM, start again on the same data dir, until ruok=imok and srvr serves ==`,
    table(rep, restoreRows()),
  ].join('\n');
}

function mdTable(rep: SnapshotScenarioReport, rows: Row[]): string[] {
  const { header, body } = cells(rep, rows);
  const line = (c: string[]): string => `| ${c.map((x) => x.trim()).join(' | ')} |`;
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...body.map(line)];
}

/** The markdown section saved with the results. */
export function renderSnapshotMarkdown(rep: SnapshotScenarioReport): string {
  return [
    `## Snapshot stall and restore time`, '',
    `${describe(rep.settings)}. Writes "during" a snapshot were in flight at some moment between its start and end as `
    + 'the server logged them (zk-server: end minus logged duration; ZooKeeper: "Snapshot taken in N ms").', '',
    ...mdTable(rep, stallRows()), '',
    ...goalLines(rep).map((l) => `- ${l}`), '',
    ...mdTable(rep, restoreRows()), '',
  ].join('\n');
}
