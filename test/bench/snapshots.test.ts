// End to end on a small tree: populate, the snapshot-stall measurement and the restart, against a
// real zk-server with filelog storage; every process stopped and every dir removed afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSnapshotScenarios, SNAPSHOT_SETTINGS_QUICK, type SnapshotScenarioSettings } from '../../bench/snapshots.js';
import { buildSnapshotReport, renderSnapshotMarkdown, renderSnapshotReport } from '../../bench/snapshot-report.js';
import { zkServerTarget } from '../../bench/targets.js';

const settings: SnapshotScenarioSettings = {
  ...SNAPSHOT_SETTINGS_QUICK,
  nodes: 3_000, createsPerMulti: 500, snapCount: 300,
  workload: { sessions: 4, window: 1, write: 'setData', readFraction: 0, payloadBytes: 100 },
  warmupMs: 200, minMeasureMs: 500, maxMeasureMs: 20_000, sampleCapacityPerProcess: 1_000_000,
};

test('zk-server filelog: snapshots seen in the log, latencies split, restart timed, nothing left behind', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'zk-bench-snapshots-test-'));
  try {
    const progress: string[] = [];
    const run = await runSnapshotScenarios(zkServerTarget('filelog', base), settings, (l) => progress.push(l));
    assert.equal(run.error, null);
    const stall = run.stall;
    assert.ok(stall !== null);
    assert.equal(stall.populate.nodes, 3_000);
    assert.equal(stall.populate.multis, 6);
    assert.ok(stall.snapshots.length >= 2, `${stall.snapshots.length} snapshots`);
    for (const s of stall.snapshots) {
      assert.ok(s.endMs >= s.startMs && s.durationMs === s.endMs - s.startMs);
      assert.ok((s.nodes ?? 0) >= 3_000, `snapshot of ${s.nodes} nodes`);
      assert.notEqual(s.longestSliceMs, null);
    }
    assert.ok(stall.during.count > 0 && stall.outside.count > 0);
    assert.equal(stall.errors, 0);
    assert.equal(stall.samplesDropped, 0);
    assert.equal(stall.addedMaxMs, stall.during.maxMs - stall.outside.maxMs);
    assert.ok((stall.snapshotFileBytes ?? 0) > 3_000 * 100);

    const restore = run.restore;
    assert.ok(restore !== null);
    assert.ok(restore.readyMs > 0);
    assert.ok((restore.nodeCount ?? 0) >= 3_000);
    assert.ok((restore.breakdown.nodesRestored ?? 0) >= 3_000);
    assert.notEqual(restore.breakdown.restoreMs, null);
    assert.notEqual(restore.breakdown.startupSnapshotMs, null);
    assert.ok((restore.breakdown.processStartMs ?? -1) >= 0);
    assert.ok(restore.readyMs >= (restore.breakdown.restoreMs ?? 0));
    assert.equal(progress.length, 3, progress.join('\n'));

    const report = buildSnapshotReport(settings, [run], null);
    assert.match(renderSnapshotReport(report), /max added by snapshot/);
    assert.match(renderSnapshotMarkdown(report), /\| restart: spawn to serving \(ms\) \|/);
    assert.deepEqual(readdirSync(base), [], 'the server dir is removed');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
