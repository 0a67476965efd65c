// DataTree: the built-in nodes, every txn type through apply(), the stat rules (cversion counting,
// pzxid), sequential naming, replay tolerance and the result records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataTree, READ_ACL_UNSAFE, sequenceSuffix } from '../../src/tree/index.js';
import { ErrorCode, OpCode } from '../../src/protocol/constants.js';
import type { Txn, TxnHeader } from '../../src/jute/records.js';
import { Driver, OPEN, SESSION } from './txns.js';

test('a new tree holds /, /zookeeper, /zookeeper/quota and /zookeeper/config as ZooKeeper 3.9 makes them', () => {
  const tree = new DataTree();
  const root = tree.getNode('/');
  assert.ok(root);
  assert.deepEqual(root.data, Buffer.alloc(0));
  assert.equal(tree.getNode(''), root);
  assert.deepEqual([...root.children], ['zookeeper']);
  // Stored cversion 0 with one child: the client sees -1, and -2 on /zookeeper (two children).
  assert.deepEqual(root.stat(), {
    czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: -1, aversion: 0,
    ephemeralOwner: 0n, dataLength: 0, numChildren: 1, pzxid: 0,
  });
  assert.equal(tree.getNode('/zookeeper')?.stat().cversion, -2);
  assert.deepEqual([...(tree.getNode('/zookeeper')?.children ?? [])], ['quota', 'config']);
  const config = tree.getNode('/zookeeper/config');
  assert.ok(config);
  assert.equal(config.aversion, -1);
  assert.deepEqual(tree.getACL(config), READ_ACL_UNSAFE);
  assert.deepEqual(tree.getACL(root), OPEN);
  assert.equal(root.aclRef, -1n);
  assert.deepEqual(tree.aclCache.entries(), [[1n, READ_ACL_UNSAFE]]);
  assert.equal(tree.nodeCount(), 5);
  assert.equal(tree.getAllChildrenNumber('/'), 3);
  assert.equal(tree.getAllChildrenNumber('/zookeeper'), 2);
  assert.equal(tree.getAllChildrenNumber('/nope'), 0);
  // "" + "/" + "/zookeeper" + "/zookeeper/quota" + "/zookeeper/config"
  assert.equal(tree.approximateDataSize(), 0 + 1 + 10 + 16 + 17);
  // CRC32 of "" and of "/zookeeper", each followed by 60 zero stat bytes: what ZK logs for an empty tree.
  assert.equal(tree.digest(), 1371985504n);
  assert.equal(tree.lastProcessedZxid, 0);
});

test('create sets the node stat and moves the parent cversion and pzxid', () => {
  const d = new Driver(new DataTree());
  const rc = d.create('/app', 'root');
  assert.deepEqual({ ...rc, stat: null }, {
    clientId: SESSION, cxid: d.zxid & 0xffff, zxid: d.zxid, type: OpCode.create, err: 0, path: '/app', stat: null, multiResults: null,
  });
  const app = d.tree.getNode('/app');
  assert.ok(app);
  assert.deepEqual(app.stat(), {
    czxid: d.zxid, mzxid: d.zxid, ctime: d.time, mtime: d.time, version: 0, cversion: 0, aversion: 0,
    ephemeralOwner: 0n, dataLength: 4, numChildren: 0, pzxid: d.zxid,
  });
  assert.deepEqual(rc.stat, app.stat());
  const root = d.tree.getNode('/');
  assert.equal(root?.cversion, 1);
  assert.equal(root?.pzxid, d.zxid);
  assert.equal(root?.stat().cversion, 0); // 1 create × 2 − 2 children
  assert.equal(d.tree.lastProcessedZxid, d.zxid);

  const c2 = d.create2('/app/x', null);
  assert.equal(c2.type, OpCode.create2);
  assert.equal(c2.stat?.czxid, d.zxid);
  assert.equal(d.tree.getNode('/app/x')?.data, null);
  assert.equal(app.cversion, 1);
  assert.equal(app.pzxid, d.zxid);
  assert.equal(d.tree.nodeCount(), 7);
  assert.equal(d.tree.approximateDataSize(), 44 + '/app'.length + 4 + '/app/x'.length);
});

test('a parentCVersion of -1 (pre-3.3 txns) means the parent cversion plus one', () => {
  const d = new Driver(new DataTree());
  d.apply(1, { type: 1, path: '/a', data: null, acl: OPEN, ephemeral: false, parentCVersion: -1 });
  d.apply(1, { type: 1, path: '/b', data: null, acl: OPEN, ephemeral: false, parentCVersion: -1 });
  assert.equal(d.tree.getNode('/')?.cversion, 2);
});

test('sequential suffixes come from the stored cversion, which counts creates only', () => {
  const d = new Driver(new DataTree());
  d.create('/q');
  const names: string[] = [];
  const seq = (): string => {
    const q = d.tree.getNode('/q');
    assert.ok(q);
    const path = '/q/n-' + sequenceSuffix(q.cversion);
    names.push(path);
    d.create(path);
    return path;
  };
  seq();
  const second = seq();
  d.delete(second);
  seq();
  assert.deepEqual(names, ['/q/n-0000000000', '/q/n-0000000001', '/q/n-0000000002']);
  const q = d.tree.getNode('/q');
  assert.equal(q?.cversion, 3);
  // Clients see creates + deletes: 3 × 2 − 2 live children.
  assert.equal(q?.stat().cversion, 4);
  assert.equal(q?.stat().numChildren, 2);
  assert.equal(sequenceSuffix(-5), '-000000005');
  assert.equal(sequenceSuffix(2147483647), '2147483647');
});

test('delete updates the parent pzxid but not its stored cversion', () => {
  const d = new Driver(new DataTree());
  d.create('/a');
  d.create('/a/b', 'x');
  const rc = d.delete('/a/b');
  assert.equal(rc.err, 0);
  assert.equal(rc.path, '/a/b');
  const a = d.tree.getNode('/a');
  assert.equal(d.tree.getNode('/a/b'), undefined);
  assert.equal(a?.pzxid, d.zxid);
  assert.equal(a?.cversion, 1);
  assert.equal(a?.stat().cversion, 2);
  assert.equal(a?.numChildren, 0);

  const del = d.apply(OpCode.deleteContainer, { type: 20, path: '/a' });
  assert.equal(del.err, 0);
  assert.equal(d.tree.getNode('/a'), undefined);
  assert.equal(d.tree.approximateDataSize(), 44);
});

test('deleting a missing node is NoNode, yet the parent pzxid still moves forward (fuzzy replay)', () => {
  const d = new Driver(new DataTree());
  d.create('/a');
  const before = d.tree.getNode('/a')?.pzxid;
  const rc = d.delete('/a/ghost');
  assert.equal(rc.err, ErrorCode.NONODE);
  assert.notEqual(before, d.zxid);
  assert.equal(d.tree.getNode('/a')?.pzxid, d.zxid);
  assert.equal(d.tree.lastProcessedZxid, d.zxid);
  assert.equal(d.delete('/nope/x').err, ErrorCode.NONODE);

  // A replayed delete older than the parent's pzxid (set by a later create) never moves it back.
  d.create('/a/x');
  const createdX = d.zxid;
  d.create('/a/y');
  d.tree.apply({ clientId: SESSION, cxid: 1, zxid: createdX, time: d.time, type: OpCode.delete }, { type: 2, path: '/a/x' });
  assert.equal(d.tree.getNode('/a/x'), undefined);
  assert.equal(d.tree.getNode('/a')?.pzxid, d.zxid);
});

test('setData and setACL take the version from the txn and return the new stat', () => {
  const d = new Driver(new DataTree());
  d.create('/a', 'one');
  const created = d.zxid;
  const rc = d.setData('/a', 'three', 7);
  assert.equal(rc.err, 0);
  const a = d.tree.getNode('/a');
  assert.ok(a);
  assert.equal(a.version, 7);
  assert.equal(a.mzxid, d.zxid);
  assert.equal(a.mtime, d.time);
  assert.equal(a.czxid, created);
  assert.equal(a.pzxid, created);
  assert.deepEqual(rc.stat, a.stat());
  assert.equal(rc.stat?.dataLength, 5);
  assert.equal(d.setData('/b', 'x', 1).err, ErrorCode.NONODE);

  const acl = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
  const r2 = d.setACL('/a', acl, 3);
  assert.equal(r2.err, 0);
  assert.equal(a.aversion, 3);
  assert.equal(a.mzxid, d.zxid - 2); // setACL leaves mzxid alone
  assert.deepEqual(d.tree.getACL(a), acl);
  assert.deepEqual(r2.stat, a.stat());
  assert.equal(d.setACL('/b', acl, 1).err, ErrorCode.NONODE);
});

test('check, createSession and error txns change nothing but lastProcessedZxid', () => {
  const d = new Driver(new DataTree());
  d.create('/a');
  const digest = d.tree.digest();
  const check = d.apply(OpCode.check, { type: 13, path: '/a', version: 0 });
  assert.deepEqual([check.err, check.path, check.stat], [0, '/a', null]);
  const session = d.apply(OpCode.createSession, { type: -10, timeOut: 30000 }, 0x55n);
  assert.equal(session.err, 0);
  assert.equal(session.clientId, 0x55n);
  const err = d.apply(OpCode.error, { type: -1, err: ErrorCode.BADVERSION });
  assert.equal(err.err, ErrorCode.BADVERSION);
  assert.equal(d.tree.digest(), digest);
  assert.equal(d.tree.lastProcessedZxid, d.zxid);
  // lastProcessedZxid never goes back.
  d.tree.apply({ clientId: 1n, cxid: 1, zxid: 5, time: 1, type: -10 }, { type: -10, timeOut: 1 });
  assert.equal(d.tree.lastProcessedZxid, d.zxid);
});

test('a multi applies every op under one zxid and reports each result', () => {
  const d = new Driver(new DataTree());
  d.create('/m');
  d.create('/m/b');
  const rc = d.apply(OpCode.multi, {
    type: 14,
    txns: [
      { type: 13, path: '/m', version: 0 },
      { type: 1, path: '/m/a', data: Buffer.from('A'), acl: OPEN, ephemeral: false, parentCVersion: 2 },
      { type: 5, path: '/m/a', data: Buffer.from('AA'), version: 1 },
      { type: 2, path: '/m/b' },
    ],
  });
  assert.equal(rc.err, 0);
  assert.deepEqual(rc.multiResults?.map((r) => [r.type, r.err, r.path, r.zxid]), [
    [13, 0, '/m', d.zxid], [1, 0, '/m/a', d.zxid], [5, 0, '/m/a', d.zxid], [2, 0, '/m/b', d.zxid],
  ]);
  assert.equal(rc.multiResults?.[2].stat?.version, 1);
  assert.equal(d.tree.getNode('/m/a')?.data?.toString(), 'AA');
  assert.equal(d.tree.getNode('/m/b'), undefined);
  assert.equal(d.tree.getNode('/m')?.stat().cversion, 3);
  assert.equal(d.tree.lastProcessedZxid, d.zxid);
});

test('a failed multi, logged with its error op, changes nothing', () => {
  const d = new Driver(new DataTree());
  d.create('/m');
  const digest = d.tree.digest();
  const rc = d.apply(OpCode.multi, {
    type: 14,
    txns: [
      { type: 1, path: '/m/a', data: null, acl: OPEN, ephemeral: false, parentCVersion: 1 },
      { type: -1, err: ErrorCode.NONODE },
      { type: -1, err: ErrorCode.RUNTIMEINCONSISTENCY },
    ],
  });
  assert.equal(rc.err, ErrorCode.NONODE);
  assert.deepEqual(rc.multiResults?.map((r) => [r.type, r.err]), [[-1, 0], [-1, ErrorCode.NONODE], [-1, ErrorCode.RUNTIMEINCONSISTENCY]]);
  assert.equal(d.tree.getNode('/m/a'), undefined);
  assert.equal(d.tree.digest(), digest);
  assert.equal(d.tree.lastProcessedZxid, d.zxid);
});

test('an op ZooKeeper does not allow in a multi stops the rest of it', () => {
  const d = new Driver(new DataTree());
  const rc = d.apply(OpCode.multi, {
    type: 14,
    txns: [
      { type: 1, path: '/a', data: null, acl: OPEN, ephemeral: false, parentCVersion: 1 },
      { type: 7, path: '/a', acl: OPEN, version: 1 },
      { type: 1, path: '/b', data: null, acl: OPEN, ephemeral: false, parentCVersion: 2 },
    ],
  });
  assert.equal(rc.multiResults?.length, 1);
  assert.ok(d.tree.getNode('/a'));
  assert.equal(d.tree.getNode('/b'), undefined);
});

test('create of an existing node is NodeExists; a replayed plain create still raises the parent cversion', () => {
  const d = new Driver(new DataTree());
  d.create('/p');
  d.create('/p/c', 'orig');
  const p = d.tree.getNode('/p');
  assert.ok(p);
  // A txn from a fuzzy range: the node is there already, but the parent was serialized before it.
  const rc = d.apply(1, { type: 1, path: '/p/c', data: Buffer.from('new'), acl: OPEN, ephemeral: false, parentCVersion: 5 });
  assert.equal(rc.err, ErrorCode.NODEEXISTS);
  assert.equal(p.cversion, 5);
  assert.equal(p.pzxid, d.zxid);
  assert.equal(d.tree.getNode('/p/c')?.data?.toString(), 'orig');
  // create2 (type 15) does not get that adjustment in ZooKeeper.
  const rc2 = d.apply(15, { type: 1, path: '/p/c', data: null, acl: OPEN, ephemeral: false, parentCVersion: 9 });
  assert.equal(rc2.err, ErrorCode.NODEEXISTS);
  assert.equal(p.cversion, 5);
  // A lower parentCVersion never moves cversion or pzxid back.
  const pz = p.pzxid;
  d.apply(1, { type: 1, path: '/p/d', data: null, acl: OPEN, ephemeral: false, parentCVersion: 2 });
  assert.ok(d.tree.getNode('/p/d'));
  assert.equal(p.cversion, 5);
  assert.equal(p.pzxid, pz);
  assert.equal(d.create('/nope/x').err, ErrorCode.NONODE);
});

test('replaying txns over a tree that already holds them (fuzzy snapshot) gives the same tree', () => {
  // Record the txns as a leader would log them, parentCVersion included.
  const recorder = new DataTree();
  const logged: Array<{ hdr: TxnHeader; txn: Txn }> = [];
  const applyOriginal = recorder.apply.bind(recorder);
  recorder.apply = (hdr, txn, digest) => {
    logged.push({ hdr, txn });
    return applyOriginal(hdr, txn, digest);
  };
  const d = new Driver(recorder);
  d.create('/a', 'a');
  d.create('/a/b', 'b');
  d.setData('/a/b', 'b2', 1);
  d.create('/a/c', 'c', { ephemeral: true });
  d.setACL('/a', [{ perms: 31, id: { scheme: 'ip', id: '10.0.0.1' } }], 1);
  d.delete('/a/b');
  d.create('/a/b', 'again');
  d.container('/box');
  d.create('/box/x');
  d.closeSession(SESSION, ['/a/c']);
  d.setData('/a', 'a2', 1);
  const view = (t: DataTree): unknown[] => [...t.nodesInSnapshotOrder()].map(([p, n]) => [p, n.stat(), n.data, t.getACL(n)]);
  const want = view(recorder);

  for (let from = 0; from < logged.length; from++) {
    const tree = new DataTree();
    for (const { hdr, txn } of logged) tree.apply(hdr, txn);
    for (const { hdr, txn } of logged.slice(from)) tree.apply(hdr, txn);
    assert.deepEqual(view(tree), want, `replay from ${from}`);
    assert.equal(tree.digest(), recorder.digest(), `digest, replay from ${from}`);
    assert.equal(tree.lastProcessedZxid, recorder.lastProcessedZxid);
    assert.deepEqual([...tree.containers], ['/box']);
    assert.equal(tree.ephemeralsOf(SESSION).size, 0);
  }
});
