// Snapshot and restore lines as zk-server and Apache ZooKeeper 3.8 (slf4j-simple, ISO timestamps)
// print them, turned into snapshot spans and restore breakdowns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestoreLogWatcher, SnapshotLogWatcher } from '../../bench/lib/server-log.js';

const at = (iso: string): number => Date.parse(iso);

test('zk-server: a snapshot ends at its line and began its logged duration earlier', () => {
  const w = new SnapshotLogWatcher('zk-server');
  const ends: number[] = [];
  w.onSnapshotEnd((s) => ends.push(s.endMs));
  w.onLine('2026-11-22T18:21:23.701Z [INFO] snapshot - snapshot 0x0 written: 4 nodes, 457 bytes in 160 ms (longest slice 0.6 ms)');
  w.onLine('2026-11-22T18:21:24.000Z [INFO] zk-server - serving on 127.0.0.1:1234 (storage filelog, last zxid 0x0)');
  w.onLine('2026-11-22T18:22:30.604Z [WARN] snapshot - Too busy to snap, skipping');
  w.onLine('2026-11-22T18:22:30.604Z [INFO] snapshot - snapshot 0x55ef written: 1000071 nodes, 196013967 bytes in 6027 ms (main thread 1210 ms, longest slice 325.3 ms; worker 301 ms)');
  w.onLine('not a log line');
  assert.equal(w.snapshots.length, 2);
  assert.equal(w.skipped, 1);
  assert.deepEqual(w.snapshots[1], {
    startMs: at('2026-11-22T18:22:30.604Z') - 6027, endMs: at('2026-11-22T18:22:30.604Z'), durationMs: 6027,
    zxid: '0x55ef', nodes: 1000071, bytes: 196013967, longestSliceMs: 325.3,
  });
  assert.deepEqual(ends, w.snapshots.map((s) => s.endMs));
  assert.deepEqual(w.overlapping(at('2026-11-22T18:22:25.000Z'), at('2026-11-22T18:22:26.000Z')).map((s) => s.zxid), ['0x55ef']);
  assert.deepEqual(w.overlapping(at('2026-11-22T18:22:31.000Z'), at('2026-11-22T18:22:32.000Z')), []);
});

test('Apache ZooKeeper: "Snapshotting" opens a snapshot, "Snapshot taken in" closes it', () => {
  const w = new SnapshotLogWatcher('apache-zk');
  w.onLine('2026-11-22T18:30:37.968Z [Snapshot Thread] INFO org.apache.zookeeper.server.persistence.FileTxnSnapLog - Snapshotting: 0x870c to /d/version-2/snapshot.870c');
  assert.deepEqual(w.openSince, { atMs: at('2026-11-22T18:30:37.968Z'), zxid: '0x870c' });
  assert.equal(w.snapshots.length, 0);
  w.onLine('2026-11-22T18:30:41.480Z [Snapshot Thread] INFO org.apache.zookeeper.server.ZooKeeperServer - Snapshot taken in 3512 ms');
  w.onLine('2026-11-22T18:30:41.500Z [SyncThread:0] WARN org.apache.zookeeper.server.SyncRequestProcessor - Too busy to snap, skipping');
  assert.equal(w.openSince, null);
  assert.equal(w.skipped, 1);
  assert.deepEqual(w.snapshots, [{
    startMs: at('2026-11-22T18:30:41.480Z') - 3512, endMs: at('2026-11-22T18:30:41.480Z'), durationMs: 3512,
    zxid: '0x870c', nodes: null, bytes: null, longestSliceMs: null,
  }]);
});

test('zk-server restore: snapshot load and replay from the line times, start-up snapshot, process start', () => {
  const w = new RestoreLogWatcher('zk-server');
  w.onLine('2026-11-22T18:00:01.000Z [INFO] zk-server - restored /d/version-2/snapshot.10aad: 1000071 nodes, 0 sessions');
  w.onLine('2026-11-22T18:00:01.900Z [INFO] zk-server - restored to 0x11c3f (4527 txns replayed, 0 sessions) in 25762 ms');
  w.onLine('2026-11-22T18:00:07.000Z [INFO] snapshot - snapshot 0x11c3f written: 1000071 nodes, 196013967 bytes in 5102 ms (longest slice 90.1 ms)');
  const restoreStart = at('2026-11-22T18:00:01.900Z') - 25762;
  assert.deepEqual(w.breakdown(restoreStart - 866), {
    snapshotLoadMs: 24862, logReplayMs: 900, txnsReplayed: 4527, restoreMs: 25762, startupSnapshotMs: 5102,
    processStartMs: 866, nodesRestored: 1000071,
  });
});

test('zk-server restore: a start-up snapshot in the background (or none) takes nothing before serving', () => {
  for (const note of ['written in the background (the snapshot and log on disk already hold this state)', 'not needed, 0x11c3f is current']) {
    const w = new RestoreLogWatcher('zk-server');
    w.onLine('2026-11-22T18:00:01.000Z [INFO] zk-server - restored /d/version-2/snapshot.10aad: 1000071 nodes, 0 sessions');
    w.onLine('2026-11-22T18:00:01.900Z [INFO] zk-server - restored to 0x11c3f (4527 txns replayed, 0 sessions) in 25762 ms');
    w.onLine(`2026-11-22T18:00:01.901Z [INFO] zk-server - start-up snapshot: ${note}`);
    w.onLine('2026-11-22T18:00:07.000Z [INFO] snapshot - snapshot 0x11c3f written: 1000071 nodes, 196013967 bytes in 5102 ms (longest slice 9.1 ms)');
    assert.equal(w.breakdown(0).startupSnapshotMs, 0, note);
  }
});

test('Apache ZooKeeper restore: snapshot load is the database load less the txn replay', () => {
  const w = new RestoreLogWatcher('apache-zk');
  const line = (iso: string, logger: string, msg: string): void => w.onLine(`${iso} [main] INFO org.apache.zookeeper.server.${logger} - ${msg}`);
  line('2026-11-22T18:00:10.000Z', 'persistence.FileSnap', 'Reading snapshot /d/version-2/snapshot.e08f');
  line('2026-11-22T18:00:20.000Z', 'persistence.FileTxnSnapLog', '5971 txns loaded in 752 ms');
  line('2026-11-22T18:00:20.100Z', 'ZKDatabase', 'Snapshot loaded in 10973 ms, highest zxid is 0x1f2a0, digest is 1371985504');
  line('2026-11-22T18:00:20.200Z', 'persistence.FileTxnSnapLog', 'Snapshotting: 0x1f2a0 to /d/version-2/snapshot.1f2a0');
  line('2026-11-22T18:00:23.661Z', 'ZooKeeperServer', 'Snapshot taken in 3461 ms');
  const b = w.breakdown(at('2026-11-22T18:00:20.100Z') - 10973 - 860);
  assert.deepEqual(b, {
    snapshotLoadMs: 10221, logReplayMs: 752, txnsReplayed: 5971, restoreMs: 10973, startupSnapshotMs: 3461,
    processStartMs: 860, nodesRestored: null,
  });
});
