import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadResult } from '../../bench/load.js';
import { buildScenarioReport, median, renderMarkdown, renderScenario, type RunRecord } from '../../bench/report.js';
import { SCENARIOS } from '../../bench/scenarios.js';

const scenario = SCENARIOS.find((s) => s.id === 'setData-100B-16x1');
if (!scenario) throw new Error('scenario setData-100B-16x1 is gone');

function result(throughput: number, p99Ms: number, cpuUsPerWrite: number, starved = 0): LoadResult {
  return {
    workload: scenario!.workload, clientProcs: 1, measureMs: 1000, measureStartEpochMs: 0, measureEndEpochMs: 1000, throughput,
    write: { op: 'setData', rate: throughput, count: throughput, meanMs: 1, p50Ms: 1, p99Ms, p999Ms: p99Ms, maxMs: p99Ms },
    read: null, errors: 0, errorsByCode: {}, protocolErrors: 0, failures: [], starvedSessions: starved, unansweredAtEnd: 0,
    client: { cpuSeconds: 0.1, cpuPercentOfCore: 10, cpuPercentOfMachine: 5, maxEventLoopUtilization: 0.1 },
    server: { cpuSeconds: 1, cpuUsPerWrite, cpuUsPerOp: cpuUsPerWrite, cpuPercentOfCore: 50, rssMiB: 100 },
  };
}

const ok = (rep: number, r: LoadResult): RunRecord => ({ rep, ok: true, result: r });

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('ratios come from medians over runs, and goals are judged on them', () => {
  const report = buildScenarioReport(scenario, {
    'apache-zk': [ok(0, result(1000, 10, 100)), ok(1, result(1200, 8, 90)), ok(2, result(900, 12, 110))],
    'zk-server': [ok(0, result(2500, 5, 40)), ok(1, result(2100, 6, 45)), { rep: 2, ok: false, error: 'boom' }],
  }, 'apache-zk');
  assert.equal(report.medians['apache-zk']?.throughput, 1000);
  assert.equal(report.medians['zk-server']?.throughput, 2300);
  assert.equal(report.medians['zk-server']?.failedRuns, 1);
  assert.equal(report.ratios['zk-server'].throughput, 2.3);
  assert.equal(report.ratios['zk-server']['write.p99Ms'], 5.5 / 10);
  assert.equal(report.ratios['zk-server'].serverCpuUsPerWrite, 42.5 / 100);
  const goals = Object.fromEntries(report.goals['zk-server'].map((g) => [g.metric, g.met]));
  assert.deepEqual(goals, { throughput: true, 'server CPU/write': true, 'setData p99': true, 'all sessions served': true });
  const table = renderScenario(report, [{ id: 'apache-zk', label: 'Apache' }, { id: 'zk-server', label: 'zk' }], 'apache-zk');
  assert.match(table, /throughput \(ops\/s\)\s+1,000\s+2,300\s+2\.30×/);
  assert.match(table, /run 3 of zk FAILED: boom/);
});

test('a goal missed, or a starved session, is reported as not met', () => {
  const report = buildScenarioReport(scenario, {
    'apache-zk': [ok(0, result(1000, 10, 100))],
    'zk-server': [ok(0, result(1500, 20, 60, 3))],
  }, 'apache-zk');
  const goals = Object.fromEntries(report.goals['zk-server'].map((g) => [g.metric, g.met]));
  assert.deepEqual(goals, { throughput: false, 'server CPU/write': false, 'setData p99': false, 'all sessions served': false });
  const md = renderMarkdown({
    startedAt: 'now', durationS: 1, quick: true, reps: 1, warmupMs: 1000, measureMs: 1000, notes: ['a note'], unavailable: [],
    machine: {
      hostname: 'h', platform: 'linux x64', kernel: 'k', cpuModel: 'cpu', cores: 2, memoryGiB: 1, node: 'v20', java: null,
      loadAverageAtStart: [0, 0, 0], dataDisk: { dir: '/tmp', device: null, filesystem: null, mountPoint: null, mountOptions: null, rotational: null },
    },
    targets: [{ id: 'apache-zk', label: 'Apache' }, { id: 'zk-server', label: 'zk' }], baselineId: 'apache-zk', scenarios: [report],
  });
  assert.match(md, /1,500 \(3 starved sessions\)/);
  assert.match(md, /throughput not met/);
  assert.match(md, /- a note/);
});

test('a floor gets ratios but no goals, and a line and a table saying how far its server is from it', () => {
  const report = buildScenarioReport(scenario, {
    'apache-zk': [ok(0, result(1000, 10, 100))],
    'zk-server': [ok(0, result(1800, 5, 40))],
    'floor-filelog': [ok(0, result(2400, 2, 30))],
  }, 'apache-zk', new Set(['floor-filelog']));
  assert.equal(report.ratios['floor-filelog'].throughput, 2.4);
  assert.equal(report.goals['floor-filelog'], undefined);
  assert.ok(report.goals['zk-server'].length > 0);
  const floor = { id: 'floor-filelog', label: 'floor', floorFor: 'zk-server' };
  const targets = [{ id: 'apache-zk', label: 'Apache' }, { id: 'zk-server', label: 'zk' }];
  const table = renderScenario(report, [...targets, floor], 'apache-zk');
  assert.match(table, /floor: zk makes 0\.75× of its throughput; the floor itself is 2\.40× Apache's/);
  assert.doesNotMatch(table, /goals for floor/);
  const md = renderMarkdown({
    startedAt: 'now', durationS: 1, quick: false, reps: 1, warmupMs: 1000, measureMs: 1000, notes: [], unavailable: [],
    machine: {
      hostname: 'h', platform: 'linux x64', kernel: 'k', cpuModel: 'cpu', cores: 2, memoryGiB: 1, node: 'v20', java: null,
      loadAverageAtStart: [0, 0, 0], dataDisk: { dir: '/tmp', device: null, filesystem: null, mountPoint: null, mountOptions: null, rotational: null },
    },
    targets, floors: [floor], baselineId: 'apache-zk', scenarios: [report],
  });
  assert.match(md, /\| setData 100 B, 16 sessions × 1 outstanding \| floor \| 2,400 \| 30\.0 \| 2\.40× \| zk: 0\.75× \|/);
  // The main table has no floor column.
  assert.doesNotMatch(md.split('**Floors**')[0], /floor ops\/s/);
});
