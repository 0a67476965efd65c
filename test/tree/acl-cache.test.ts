// ReferenceCountedACLCache: interning, reference counts, snapshot entries and reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataTree, OPEN_ACL_UNSAFE, ReferenceCountedACLCache } from '../../src/tree/index.js';
import { Driver } from './txns.js';

const ALICE = [{ perms: 31, id: { scheme: 'digest', id: 'alice:x' } }];
const BOB = [{ perms: 1, id: { scheme: 'digest', id: 'bob:y' } }];

test('equal lists share a key; keys count up from 1; -1 is OPEN_ACL_UNSAFE', () => {
  const c = new ReferenceCountedACLCache();
  assert.equal(c.convertAcls(null), -1n);
  assert.deepEqual(c.convertLong(-1n), OPEN_ACL_UNSAFE);
  const a = c.convertAcls(ALICE);
  const b = c.convertAcls(BOB);
  assert.equal(a, 1n);
  assert.equal(b, 2n);
  assert.equal(c.convertAcls([{ perms: 31, id: { scheme: 'digest', id: 'alice:x' } }]), 1n);
  assert.equal(c.usageOf(1n), 2);
  // Order matters, as in Java's List.equals.
  assert.equal(c.convertAcls([...ALICE, ...BOB]), 3n);
  assert.equal(c.convertAcls([...BOB, ...ALICE]), 4n);
  // An open list spelled out is a list like any other, not -1.
  assert.equal(c.convertAcls([...OPEN_ACL_UNSAFE]), 5n);
  assert.deepEqual(c.convertLong(1n), ALICE);
  assert.throws(() => c.convertLong(99n), /Failed to fetch acls for 99/);
  assert.equal(c.size, 5);
});

test('a list leaves the cache with its last user, and keys are not reused', () => {
  const c = new ReferenceCountedACLCache();
  const a = c.convertAcls(ALICE);
  c.convertAcls(ALICE);
  c.removeUsage(a);
  assert.ok(c.has(a));
  c.removeUsage(a);
  assert.ok(!c.has(a));
  assert.equal(c.convertAcls(ALICE), 2n);
  c.removeUsage(77n); // unknown keys are ignored
  c.addUsage(77n);
  assert.ok(!c.has(77n));
});

test('entries and load round-trip; unused loaded lists are purged', () => {
  const c = new ReferenceCountedACLCache();
  c.convertAcls(ALICE);
  c.convertAcls(BOB);
  const entries = c.entries();
  assert.deepEqual(entries.map(([k]) => k), [1n, 2n]);
  const d = new ReferenceCountedACLCache();
  d.load(entries);
  d.addUsage(2n);
  d.purgeUnused();
  assert.ok(!d.has(1n));
  assert.deepEqual(d.convertLong(2n), BOB);
  // New keys continue after the largest loaded one.
  assert.equal(d.convertAcls([{ perms: 2, id: { scheme: 'ip', id: '1.2.3.4' } }]), 3n);
});

test('the tree keeps counts in step with nodes: setACL, delete, and re-setting the same ACL', () => {
  const d = new Driver(new DataTree());
  d.create('/a', '', { acl: ALICE });
  d.create('/b', '', { acl: ALICE });
  const ref = d.tree.getNode('/a')?.aclRef;
  assert.equal(ref, 2n); // 1 is /zookeeper/config's world:anyone:r
  assert.equal(d.tree.aclCache.usageOf(2n), 2);
  d.delete('/b');
  assert.equal(d.tree.aclCache.usageOf(2n), 1);
  // ZooKeeper releases before interning, so the sole user re-setting its ACL gets a fresh key.
  d.setACL('/a', ALICE, 1);
  assert.equal(d.tree.getNode('/a')?.aclRef, 3n);
  assert.ok(!d.tree.aclCache.has(2n));
  d.setACL('/a', BOB, 2);
  assert.ok(!d.tree.aclCache.has(3n));
  d.delete('/a');
  assert.deepEqual(d.tree.aclCache.entries().map(([k]) => k), [1n]);
});
