// Which watch events each change fires, as ZooKeeper 3.9 fires them: one-shot data/exist/child
// watches, persistent and persistent-recursive watches, the ACL and zxid handed to the watcher, and
// the watch requests (addWatch, checkWatches, removeWatches, setWatches).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addWatch, containsWatcher, DataTree, removeWatch, setWatches } from '../../src/tree/index.js';
import { WatcherType } from '../../src/protocol/constants.js';
import { Driver, OPEN, RecordingWatcher } from './txns.js';

const SECRET = [{ perms: 31, id: { scheme: 'digest', id: 'alice:x' } }];

test('exist, data and child watches fire once each, with the zxid and the right ACL', () => {
  const d = new Driver(new DataTree());
  d.create('/p', '', { acl: SECRET });
  const w = new RecordingWatcher(1n);
  assert.equal(d.tree.statNode('/p/a', w), undefined); // exists() on a missing node leaves a watch
  assert.ok(d.tree.getChildren('/p', w));
  d.create('/p/a', 'x');
  assert.deepEqual(w.events.map((e) => [e.type, e.path, e.zxid]), [[1, '/p/a', d.zxid], [4, '/p', d.zxid]]);
  assert.deepEqual(w.events[0].acl, OPEN); // the new node's ACL
  assert.deepEqual(w.events[1].acl, SECRET); // NodeChildrenChanged carries the parent's
  w.take();
  d.create('/p/b');
  d.setData('/p/a', 'y', 1);
  assert.deepEqual(w.take(), [], 'standard watches are consumed');

  assert.ok(d.tree.getData('/p/a', w));
  d.setData('/p/a', 'z', 2);
  d.setData('/p/a', 'zz', 3);
  assert.deepEqual(w.take(), ['dataChanged /p/a']);

  d.tree.getData('/p/a', w);
  d.tree.getChildren('/p', w);
  d.delete('/p/a');
  assert.deepEqual(w.take(), ['deleted /p/a', 'childrenChanged /p']);
  assert.equal(d.tree.watchCount(), 0);
});

test('a deleted node with both a data and a child watch sends one NodeDeleted and drops both', () => {
  const d = new Driver(new DataTree());
  d.create('/n');
  const both = new RecordingWatcher(1n);
  const childOnly = new RecordingWatcher(2n);
  d.tree.getData('/n', both);
  d.tree.getChildren('/n', both);
  d.tree.getChildren('/n', childOnly);
  d.delete('/n');
  assert.deepEqual(both.take(), ['deleted /n']);
  assert.deepEqual(childOnly.take(), ['deleted /n']);
  assert.equal(d.tree.watchCount(), 0);
});

test('setACL fires nothing; setData on a missing node fires nothing', () => {
  const d = new Driver(new DataTree());
  d.create('/n');
  const w = new RecordingWatcher(1n);
  d.tree.getData('/n', w);
  d.setACL('/n', SECRET, 1);
  d.setData('/missing', 'x', 1);
  assert.deepEqual(w.take(), []);
  assert.ok(d.tree.dataWatches.containsWatcher('/n', w));
});

test('a persistent watch sees data, child and delete events of its node and stays', () => {
  const d = new Driver(new DataTree());
  const w = new RecordingWatcher(1n);
  addWatch(d.tree, '/n', w, 'persistent');
  d.create('/n');
  d.setData('/n', 'a', 1);
  d.create('/n/c');
  d.create('/n/c/deep');
  d.setData('/n/c', 'x', 1);
  d.delete('/n/c/deep');
  d.delete('/n/c');
  d.delete('/n');
  d.create('/n');
  assert.deepEqual(w.take(), [
    'created /n', 'dataChanged /n', 'childrenChanged /n', 'childrenChanged /n', 'deleted /n', 'created /n',
  ]);
  assert.ok(containsWatcher(d.tree, '/n', WatcherType.Persistent, w));
  assert.equal(d.tree.dataWatches.count + d.tree.childWatches.count, 2);
});

test('a persistent recursive watch sees every change at and below its path, but no child events', () => {
  const d = new Driver(new DataTree());
  d.create('/r');
  d.create('/other');
  const w = new RecordingWatcher(1n);
  addWatch(d.tree, '/r', w, 'persistentRecursive');
  assert.equal(d.tree.childWatches.count, 0, 'recursive watches live in the data manager only');
  d.create('/r/a');
  d.create('/r/a/b', 'x');
  d.setData('/r/a/b', 'y', 1);
  d.setData('/r', 'y', 1);
  d.create('/other/x');
  d.setData('/rr', 'no such node', 1);
  d.delete('/r/a/b');
  assert.deepEqual(w.take(), ['created /r/a', 'created /r/a/b', 'dataChanged /r/a/b', 'dataChanged /r', 'deleted /r/a/b']);

  // A recursive watch on "/" sees everything, including a one-shot watcher's path.
  const all = new RecordingWatcher(2n);
  addWatch(d.tree, '/', all, 'persistentRecursive');
  const once = new RecordingWatcher(3n);
  d.tree.getData('/other/x', once);
  d.setData('/other/x', '1', 1);
  d.setData('/other/x', '2', 2);
  assert.deepEqual(all.take(), ['dataChanged /other/x', 'dataChanged /other/x']);
  assert.deepEqual(once.take(), ['dataChanged /other/x']);
  assert.deepEqual(w.take(), []);
});

test('one watcher with a standard and a recursive watch on one path gets one event and keeps the recursive one', () => {
  const d = new Driver(new DataTree());
  d.create('/r');
  const w = new RecordingWatcher(1n);
  addWatch(d.tree, '/r', w, 'persistentRecursive');
  d.tree.getData('/r', w);
  assert.deepEqual(d.tree.dataWatches.modesOf('/r', w), ['standard', 'persistentRecursive']);
  d.setData('/r', 'x', 1);
  assert.deepEqual(w.take(), ['dataChanged /r']);
  assert.deepEqual(d.tree.dataWatches.modesOf('/r', w), ['persistentRecursive']);
});

test('removeWatches and checkWatches by type', () => {
  const d = new Driver(new DataTree());
  d.create('/n');
  const w = new RecordingWatcher(1n);
  d.tree.getData('/n', w);
  d.tree.getChildren('/n', w);
  addWatch(d.tree, '/n', w, 'persistent');
  assert.ok(containsWatcher(d.tree, '/n', WatcherType.Data, w));
  assert.ok(containsWatcher(d.tree, '/n', WatcherType.Children, w));
  assert.ok(!containsWatcher(d.tree, '/n', WatcherType.PersistentRecursive, w));
  assert.ok(removeWatch(d.tree, '/n', WatcherType.Data, w));
  assert.ok(!removeWatch(d.tree, '/n', WatcherType.Data, w), 'already gone');
  assert.ok(!containsWatcher(d.tree, '/n', WatcherType.Data, w));
  assert.ok(containsWatcher(d.tree, '/n', WatcherType.Any, w));
  assert.ok(removeWatch(d.tree, '/n', WatcherType.Persistent, w));
  assert.ok(containsWatcher(d.tree, '/n', WatcherType.Children, w));
  assert.ok(removeWatch(d.tree, '/n', WatcherType.Any, w));
  assert.ok(!containsWatcher(d.tree, '/n', WatcherType.Any, w));
  assert.equal(d.tree.watchCount(), 0);
  d.setData('/n', 'x', 1);
  d.delete('/n');
  assert.deepEqual(w.take(), []);
});

test('a closed connection loses all its watches, and a stale one cannot add any', () => {
  const d = new Driver(new DataTree());
  d.create('/n');
  const w = new RecordingWatcher(1n);
  d.tree.getData('/n', w);
  d.tree.getChildren('/', w);
  addWatch(d.tree, '/', w, 'persistentRecursive');
  d.tree.removeWatcher(w);
  assert.equal(d.tree.watchCount(), 0);
  d.create('/n/x');
  d.setData('/n', 'x', 1);
  assert.deepEqual(w.take(), []);
  w.stale = true;
  assert.equal(d.tree.dataWatches.addWatch('/n', w), false);
  assert.equal(d.tree.watchCount(), 0);
});

test('setWatches fires for what changed since relativeZxid and registers the rest', () => {
  const d = new Driver(new DataTree());
  d.create('/old', 'a');
  d.create('/kids');
  const seen = d.zxid;
  d.create('/new');
  d.setData('/old', 'b', 1);
  d.create('/kids/k');
  const w = new RecordingWatcher(1n);
  setWatches(d.tree, seen, {
    dataWatches: ['/old', '/gone', '/kids'],
    existWatches: ['/new', '/absent'],
    childWatches: ['/kids', '/old'],
    persistentWatches: ['/p'],
    persistentRecursiveWatches: ['/rec'],
  }, w);
  assert.deepEqual(w.take(), ['dataChanged /old', 'deleted /gone', 'created /new', 'childrenChanged /kids']);
  assert.ok(w.events.every((e) => e.zxid === -1 && e.acl === null));
  assert.ok(d.tree.dataWatches.containsWatcher('/kids', w, 'standard'));
  assert.ok(!d.tree.dataWatches.containsWatcher('/old', w));
  assert.ok(d.tree.dataWatches.containsWatcher('/absent', w, 'standard'));
  assert.ok(d.tree.childWatches.containsWatcher('/old', w, 'standard'));
  assert.ok(!d.tree.childWatches.containsWatcher('/kids', w));
  assert.ok(d.tree.childWatches.containsWatcher('/p', w, 'persistent'));
  assert.ok(d.tree.dataWatches.containsWatcher('/p', w, 'persistent'));
  assert.ok(d.tree.dataWatches.containsWatcher('/rec', w, 'persistentRecursive'));
  d.create('/absent');
  d.create('/rec');
  d.create('/rec/x');
  d.create('/old/child');
  assert.deepEqual(w.take(), ['created /absent', 'created /rec', 'created /rec/x', 'childrenChanged /old']);
});

test('watch statistics for the four-letter words', () => {
  const d = new Driver(new DataTree());
  d.create('/a');
  const w1 = new RecordingWatcher(0x11n);
  const w2 = new RecordingWatcher(0x22n);
  d.tree.getData('/a', w1);
  d.tree.getData('/a', w2);
  d.tree.statNode('/b', w1);
  d.tree.getChildren('/a', w2);
  assert.equal(d.tree.dataWatches.count, 3);
  assert.equal(d.tree.childWatches.count, 1);
  assert.equal(d.tree.watchCount(), 4);
  assert.deepEqual(d.tree.dataWatches.summary(), { connections: 2, paths: 2, total: 3 });
  assert.deepEqual([...d.tree.dataWatches.byPath()], [['/a', [0x11n, 0x22n]], ['/b', [0x11n]]]);
  assert.deepEqual([...d.tree.dataWatches.bySession()], [[0x11n, ['/a', '/b']], [0x22n, ['/a']]]);
});
