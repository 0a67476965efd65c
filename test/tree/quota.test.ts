// Quota accounting: the zookeeper_stats node of a quota path follows creates, deletes and data changes
// below it, as ZooKeeper's DataTree keeps it; StatsTrack keeps ZooKeeper's text layout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataTree, QuotaTrie, StatsTrack } from '../../src/tree/index.js';
import { Driver } from './txns.js';

function setQuota(d: Driver, path: string): void {
  let q = '/zookeeper/quota';
  for (const part of path.split('/').slice(1)) {
    q += '/' + part;
    if (d.tree.getNode(q) === undefined) d.create(q);
  }
  d.create(q + '/zookeeper_limits', 'count=10,bytes=-1');
  d.create(q + '/zookeeper_stats', 'count=0,bytes=0');
}

const stats = (d: Driver, path: string): string | undefined =>
  d.tree.getNode(`/zookeeper/quota${path}/zookeeper_stats`)?.data?.toString();

test('stats count the subtree when created, then follow every change below the quota path', () => {
  const d = new Driver(new DataTree());
  d.create('/app', '12345');
  d.create('/app/a', 'xy');
  d.create('/other', 'zzz');
  setQuota(d, '/app');
  assert.equal(stats(d, '/app'), 'count=2,bytes=7');
  assert.equal(d.tree.quotaPrefixOf('/app/a/deep'), '/app');
  assert.equal(d.tree.quotaPrefixOf('/other'), null);
  d.create('/app/b', 'abc');
  assert.equal(stats(d, '/app'), 'count=3,bytes=10');
  d.setData('/app/a', 'xyzw', 1);
  assert.equal(stats(d, '/app'), 'count=3,bytes=12');
  d.setData('/app/a', null, 2);
  assert.equal(stats(d, '/app'), 'count=3,bytes=8');
  d.delete('/app/b');
  assert.equal(stats(d, '/app'), 'count=2,bytes=5');
  d.create('/other/x', 'ignored');
  assert.equal(stats(d, '/app'), 'count=2,bytes=5');

  // The deepest quota wins: a nested quota takes the changes below it.
  d.create('/app/a/n', '');
  setQuota(d, '/app/a');
  assert.equal(stats(d, '/app/a'), 'count=2,bytes=0');
  d.create('/app/a/n2', '1234');
  assert.equal(stats(d, '/app/a'), 'count=3,bytes=4');
  assert.equal(stats(d, '/app'), 'count=3,bytes=5');

  // Deleting the limits node ends the accounting.
  d.delete('/zookeeper/quota/app/a/zookeeper_limits');
  d.create('/app/a/n3', '1');
  assert.equal(stats(d, '/app/a'), 'count=3,bytes=4');
  assert.equal(stats(d, '/app'), 'count=4,bytes=6');
});

test('restoring a snapshot recomputes quota stats and the quota paths', () => {
  const d = new Driver(new DataTree());
  d.create('/app', '12345');
  setQuota(d, '/app');
  d.create('/app/a', 'xy');
  // Stats written by an older server can be stale; the restore recounts them.
  d.setData('/zookeeper/quota/app/zookeeper_stats', 'count=99,bytes=99', 1);
  const copy = new DataTree();
  copy.beginRestore();
  copy.aclCache.load(d.tree.aclCache.entries());
  for (const [path, node] of d.tree.nodesInSnapshotOrder()) copy.restoreNode(path, node.data, node.aclRef, node.statPersisted());
  copy.finishRestore();
  assert.equal(copy.getNode('/zookeeper/quota/app/zookeeper_stats')?.data?.toString(), 'count=2,bytes=7');
  assert.equal(copy.quotaPrefixOf('/app/x'), '/app');
  assert.equal(copy.digest(), d.tree.digest());
});

test('StatsTrack reads and writes ZooKeeper\'s layout', () => {
  const s = new StatsTrack('count=3,bytes=10=;countHardLimit=5');
  s.count = 4;
  assert.equal(s.toString(), 'count=4,bytes=10=;countHardLimit=5');
  assert.equal(new StatsTrack('').toString(), 'count=-1,bytes=-1');
  const t = new StatsTrack(Buffer.from('count=1,bytes=2'));
  t.byteHardLimit = 100;
  t.countHardLimit = 7;
  assert.equal(t.toString(), 'count=1,bytes=2=;byteHardLimit=100;countHardLimit=7');
  assert.equal(t.countHardLimit, 7);
  assert.equal(new StatsTrack(null).bytes, -1);
});

test('QuotaTrie finds the deepest quota path', () => {
  const t = new QuotaTrie();
  t.add('/a');
  t.add('/a/b/c');
  assert.equal(t.findMaxPrefix('/a/b/c/d'), '/a/b/c');
  assert.equal(t.findMaxPrefix('/a/b'), '/a');
  assert.equal(t.findMaxPrefix('/x'), '/');
  t.delete('/a');
  assert.equal(t.findMaxPrefix('/a/b'), '/');
  assert.ok(t.has('/a/b/c'));
});
