// Ephemeral, container and TTL nodes: the per-session ephemeral sets, closeSession with and without
// paths2Delete, the container/TTL sets and the ephemeralOwner markers clients do and don't see.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINER_EPHEMERAL_OWNER, DataTree, ttlToEphemeralOwner } from '../../src/tree/index.js';
import { ErrorCode, EventType } from '../../src/protocol/constants.js';
import { Driver, RecordingWatcher } from './txns.js';

const S1 = 0x300000d6def0001n;
const S2 = 0x300000d6def0002n;

test('ephemerals are tracked per session and deleted with it (txn list)', () => {
  const d = new Driver(new DataTree());
  d.create('/app');
  d.create('/app/e1', 'x', { ephemeral: true, sessionId: S1 });
  d.create('/app/e2', 'y', { ephemeral: true, sessionId: S1 });
  d.create('/app/f1', 'z', { ephemeral: true, sessionId: S2 });
  assert.deepEqual([...d.tree.ephemeralsOf(S1)], ['/app/e1', '/app/e2']);
  assert.equal(d.tree.getNode('/app/e1')?.stat().ephemeralOwner, S1);
  assert.equal(d.tree.ephemeralsCount(), 3);
  assert.deepEqual([...d.tree.ephemeralSessions().keys()], [S1, S2]);

  const w = new RecordingWatcher(9n);
  d.tree.childWatches.addWatch('/app', w);
  d.tree.dataWatches.addWatch('/app/e2', w);
  const rc = d.closeSession(S1, ['/app/e1', '/app/e2']);
  assert.equal(rc.err, 0);
  assert.equal(rc.type, -11);
  assert.equal(d.tree.getNode('/app/e1'), undefined);
  assert.equal(d.tree.getNode('/app/e2'), undefined);
  assert.ok(d.tree.getNode('/app/f1'));
  assert.equal(d.tree.ephemeralsOf(S1).size, 0);
  assert.deepEqual([...d.tree.ephemeralSessions().keys()], [S2]);
  assert.equal(d.tree.getNode('/app')?.pzxid, d.zxid);
  // The standard child watch fires once, on the first delete.
  assert.deepEqual(w.take(), ['childrenChanged /app', 'deleted /app/e2']);
  assert.ok(w.events.every((e) => e.zxid === d.zxid));
});

test('closeSession without paths2Delete deletes the session\'s own set; extra paths are also removed', () => {
  const d = new Driver(new DataTree());
  d.create('/e1', '', { ephemeral: true, sessionId: S1 });
  d.create('/e2', '', { ephemeral: true, sessionId: S1 });
  d.create('/e3', '', { ephemeral: true, sessionId: S2 });
  d.create('/e4', '', { ephemeral: true, sessionId: S2 });
  d.closeSession(S1, null);
  assert.equal(d.tree.getNode('/e1'), undefined);
  assert.equal(d.tree.getNode('/e2'), undefined);
  // The txn names /e3 only (and a path that is gone): /e4 still goes, as the tree knows it is S2's.
  const rc = d.closeSession(S2, ['/e3', '/ghost']);
  assert.equal(rc.err, 0);
  assert.equal(d.tree.getNode('/e3'), undefined);
  assert.equal(d.tree.getNode('/e4'), undefined);
  assert.equal(d.tree.ephemeralSessions().size, 0);
  // Closing a session with nothing is fine.
  assert.equal(d.closeSession(0x77n, []).err, 0);
});

test('an ephemeral deleted explicitly leaves its session an empty set until the session closes', () => {
  const d = new Driver(new DataTree());
  d.create('/e', '', { ephemeral: true, sessionId: S1 });
  d.delete('/e');
  assert.deepEqual([...d.tree.ephemeralSessions().entries()].map(([s, p]) => [s, p.size]), [[S1, 0]]);
  d.closeSession(S1, []);
  assert.equal(d.tree.ephemeralSessions().size, 0);
});

test('container nodes carry the container marker, are listed, and show owner 0 to clients', () => {
  const d = new Driver(new DataTree());
  const rc = d.container('/box');
  assert.equal(rc.err, 0);
  const box = d.tree.getNode('/box');
  assert.ok(box);
  assert.equal(box.ephemeralOwner, CONTAINER_EPHEMERAL_OWNER);
  assert.equal(box.ephemeralOwner, -0x8000000000000000n);
  assert.equal(box.stat().ephemeralOwner, 0n);
  assert.equal(rc.stat?.ephemeralOwner, 0n);
  assert.equal(box.ephemeralType(), 'container');
  assert.deepEqual([...d.tree.containers], ['/box']);
  assert.equal(d.tree.ephemeralSessions().size, 0);
  d.create('/box/child');
  assert.equal(d.tree.getNode('/box')?.numChildren, 1);
  d.delete('/box/child');
  d.apply(20, { type: 20, path: '/box' });
  assert.equal(d.tree.containers.size, 0);
});

test('TTL nodes carry 0xff00… | ttl when extended types are on', () => {
  const d = new Driver(new DataTree({ extendedTypesEnabled: true }));
  const rc = d.ttl('/t', 3600000);
  assert.equal(rc.err, 0);
  const t = d.tree.getNode('/t');
  assert.ok(t);
  assert.equal(t.ephemeralOwner, BigInt.asIntN(64, 0xff0000000036ee80n));
  assert.equal(t.ephemeralOwner, ttlToEphemeralOwner(3600000));
  assert.equal(t.stat().ephemeralOwner, 0n);
  assert.equal(t.ephemeralType(), 'ttl');
  assert.deepEqual([...d.tree.ttls], ['/t']);
  d.delete('/t');
  assert.equal(d.tree.ttls.size, 0);
  // An impossible ttl is a prep bug: apply refuses it loudly, as ZooKeeper's does.
  assert.throws(() => d.ttl('/bad', 0), RangeError);
});

test('with extended types off, a TTL marker reads as a session id (ZooKeeper\'s default)', () => {
  const d = new Driver(new DataTree());
  d.ttl('/t', 1000);
  const owner = ttlToEphemeralOwner(1000);
  assert.equal(d.tree.ttls.size, 0);
  assert.deepEqual([...d.tree.ephemeralsOf(owner)], ['/t']);
  assert.equal(d.tree.getNode('/t')?.stat().ephemeralOwner, owner);
});

test('ephemeral owners are tracked on snapshot restore too', () => {
  const src = new Driver(new DataTree({ extendedTypesEnabled: true }));
  src.create('/e', 'x', { ephemeral: true, sessionId: S1 });
  src.container('/c');
  src.ttl('/t', 5000);
  const copy = new DataTree({ extendedTypesEnabled: true });
  copy.beginRestore();
  copy.aclCache.load(src.tree.aclCache.entries());
  for (const [path, node] of src.tree.nodesInSnapshotOrder()) {
    copy.restoreNode(path, node.data, node.aclRef, node.statPersisted());
  }
  copy.finishRestore();
  assert.deepEqual([...copy.ephemeralsOf(S1)], ['/e']);
  assert.deepEqual([...copy.containers], ['/c']);
  assert.deepEqual([...copy.ttls], ['/t']);
  assert.equal(copy.digest(), src.tree.digest());
  assert.equal(copy.nodeCount(), src.tree.nodeCount());
  assert.equal(copy.approximateDataSize(), src.tree.approximateDataSize());
  // The restored tree keeps working: closing the session removes its node and fires NodeDeleted.
  const w = new RecordingWatcher(1n);
  copy.dataWatches.addWatch('/e', w);
  copy.apply({ clientId: S1, cxid: 0, zxid: 0x200000001, time: 1, type: -11 }, { type: -11, paths2Delete: null });
  assert.equal(copy.getNode('/e'), undefined);
  assert.deepEqual(w.events.map((e) => e.type), [EventType.NodeDeleted]);
  assert.throws(() => copy.restoreNode('/x/y', null, -1n, src.tree.getNode('/c')!.statPersisted()), /unable to find parent/);
  assert.equal(copy.apply({ clientId: 1n, cxid: 0, zxid: 0x200000002, time: 1, type: 2 }, { type: 2, path: '/zz' }).err, ErrorCode.NONODE);
});
