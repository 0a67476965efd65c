// WatchManager on its own: modes per (watcher, path), what trigger consumes, suppression, removal
// return values and the recursive-watch bookkeeping that decides whether ancestors are searched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchManager } from '../../src/tree/index.js';
import { EventType } from '../../src/protocol/constants.js';
import { RecordingWatcher } from './txns.js';

test('addWatch reports whether a new mode was added', () => {
  const m = new WatchManager();
  const w = new RecordingWatcher(1n);
  assert.equal(m.addWatch('/a', w), true);
  assert.equal(m.addWatch('/a', w), false);
  assert.equal(m.addWatch('/a', w, 'persistent'), true);
  assert.deepEqual(m.modesOf('/a', w), ['standard', 'persistent']);
  assert.equal(m.count, 1, 'one (path, watcher) pair whatever its modes');
});

test('trigger consumes standard watches only and passes event, zxid and ACL', () => {
  const m = new WatchManager();
  const once = new RecordingWatcher(1n);
  const stay = new RecordingWatcher(2n);
  m.addWatch('/a', once);
  m.addWatch('/a', stay, 'persistent');
  const acl = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
  const hit = m.trigger('/a', EventType.NodeDataChanged, 42, acl);
  assert.deepEqual([...hit], [once, stay]);
  assert.deepEqual(once.events, [{ type: EventType.NodeDataChanged, path: '/a', zxid: 42, acl }]);
  assert.equal(m.trigger('/a', EventType.NodeDataChanged, 43, null).size, 1);
  assert.equal(once.events.length, 1);
  assert.equal(stay.events.length, 2);
  assert.equal(m.trigger('/b', EventType.NodeCreated, 44, null).size, 0);
});

test('suppressed watchers lose their standard watch without an event', () => {
  const m = new WatchManager();
  const w = new RecordingWatcher(1n);
  m.addWatch('/a', w);
  const hit = m.trigger('/a', EventType.NodeDeleted, 1, null, new Set([w]));
  assert.equal(hit.size, 1);
  assert.equal(w.events.length, 0);
  assert.equal(m.count, 0);
});

test('ancestors are searched only while a recursive watch exists', () => {
  const m = new WatchManager();
  const parent = new RecordingWatcher(1n);
  const rec = new RecordingWatcher(2n);
  m.addWatch('/a', parent, 'persistent');
  m.addWatch('/a', rec, 'persistentRecursive');
  m.trigger('/a/b/c', EventType.NodeCreated, 1, null);
  assert.deepEqual(rec.take(), ['created /a/b/c']);
  assert.deepEqual(parent.take(), [], 'a plain persistent watch on an ancestor does not fire');
  assert.equal(m.removeWatcher('/a', rec, 'persistentRecursive'), true);
  m.trigger('/a/b/c', EventType.NodeCreated, 2, null);
  assert.deepEqual(rec.take(), []);
  // Removing the last recursive watch by removeAll also stops ancestor lookups cleanly.
  m.addWatch('/', rec, 'persistentRecursive');
  m.addWatch('/x', rec);
  m.removeAll(rec);
  m.trigger('/x', EventType.NodeDeleted, 3, null);
  assert.deepEqual(rec.take(), []);
  assert.deepEqual(m.summary(), { connections: 1, paths: 1, total: 1 });
});

test('removeWatcher by mode and without mode', () => {
  const m = new WatchManager();
  const w = new RecordingWatcher(1n);
  assert.equal(m.removeWatcher('/a', w), false);
  m.addWatch('/a', w);
  m.addWatch('/a', w, 'persistent');
  assert.equal(m.removeWatcher('/a', w, 'persistentRecursive'), false);
  assert.equal(m.removeWatcher('/a', w, 'standard'), true);
  assert.ok(m.containsWatcher('/a', w));
  assert.ok(!m.containsWatcher('/a', w, 'standard'));
  assert.equal(m.removeWatcher('/a', w, 'persistent'), true);
  assert.ok(!m.containsWatcher('/a', w));
  assert.equal(m.count, 0);
  m.addWatch('/a', w, 'persistentRecursive');
  m.addWatch('/a', w);
  assert.equal(m.removeWatcher('/a', w), true);
  assert.deepEqual(m.summary(), { connections: 0, paths: 0, total: 0 });
  m.trigger('/a/b', EventType.NodeCreated, 1, null);
  assert.deepEqual(w.take(), []);
});
