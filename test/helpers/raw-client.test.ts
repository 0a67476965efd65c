// Checks the test helpers themselves against Apache ZooKeeper 3.8: the launcher (free port, zoo.cfg,
// ruok, stop) and the raw client's framing, xid matching and notification ordering.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddWatchMode, CreateFlag, ErrorCode, EventType, OpCode } from '../../src/protocol/constants.js';
import { apacheZkAvailable, startApacheZkServer } from './apache-zk.js';
import { RawClient, RawZkError } from './raw-client.js';
import { fourLetter, type ZkServerHandle } from './zk-server.js';

const skip = apacheZkAvailable() ? false : 'Apache ZooKeeper (Debian zookeeper package) is not installed';

describe('raw client against Apache ZooKeeper 3.8', { skip }, () => {
  let zk: ZkServerHandle;
  before(async () => {
    zk = await startApacheZkServer({ systemProperties: { 'zookeeper.extendedTypesEnabled': 'true' } });
  });
  after(async () => {
    await zk?.stop();
  });

  it('the launcher answers four-letter words on the chosen port', async () => {
    assert.equal(await fourLetter(zk.port, 'ruok'), 'imok');
    assert.match(await fourLetter(zk.port, 'srvr'), /^Zookeeper version: 3\.8\.[\s\S]*\nMode: standalone\n/);
  });

  it('handshakes with and without the readOnly byte', async () => {
    const modern = await RawClient.connect(zk.port, { timeOut: 10_000 });
    const r = modern.connectResponse!;
    assert.notEqual(r.sessionId, 0n);
    assert.equal(r.passwd.length, 16);
    assert.equal(r.timeOut, 10_000);
    assert.equal(r.hasReadOnlyByte, true);
    assert.equal(r.readOnly, false);

    // A pre-3.3 client sends no readOnly byte and must get a response without one.
    const old = await RawClient.connect(zk.port, { readOnlyByte: false });
    assert.equal(old.connectResponse!.hasReadOnlyByte, false);
    assert.notEqual(old.sessionId, modern.sessionId);

    // Resuming a session with its password keeps the id.
    modern.destroy();
    await modern.closed;
    const resumed = await RawClient.connect(zk.port, { sessionId: r.sessionId, passwd: r.passwd });
    assert.equal(resumed.sessionId, r.sessionId);
    await resumed.close();
    await old.close();
  });

  it('matches replies to requests and keeps every frame in order', async () => {
    const c = await RawClient.connect(zk.port);
    assert.equal(await c.create('/raw', Buffer.from('v0')), '/raw');
    const created = await c.create2('/raw/seq-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL });
    assert.equal(created.path, '/raw/seq-0000000000');
    assert.equal(created.stat.czxid, c.lastZxid);
    // Several requests in flight at once, answered in xid order.
    const [a, b, kids, missing] = await Promise.all([
      c.getData('/raw'), c.setData('/raw', Buffer.from('v1')), c.getChildren('/raw'), c.exists('/nope'),
    ]);
    assert.equal(a.data?.toString(), 'v0');
    assert.equal(b.version, 1);
    assert.deepEqual(kids, ['seq-0000000000']);
    assert.equal(missing, null);
    await assert.rejects(c.create('/raw'), (e: unknown) => e instanceof RawZkError && e.code === ErrorCode.NODEEXISTS);
    const ping = await c.ping();
    assert.equal(ping.header.xid, -2);
    assert.deepEqual(c.protocolErrors, []);
    const xids = c.frames.filter((f) => f.kind === 'reply' && f.header.xid > 0).map((f) => f.header.xid);
    assert.deepEqual(xids, [...xids].sort((x, y) => x - y));
    await c.close();
    assert.equal(c.isClosed, true);
  });

  it('sees its own watch fire before the reply to the write that fired it', async () => {
    const c = await RawClient.connect(zk.port);
    await c.create('/own', null);
    await c.getData('/own', true);
    const before = c.frames.length;
    await c.setData('/own', Buffer.from('x'));
    const event = await c.waitForNotification((e) => e.path === '/own', 2_000);
    assert.equal(event.type, EventType.NodeDataChanged);
    const tail = c.frames.slice(before);
    assert.equal(tail[0].kind, 'notification');
    assert.equal(tail[1].kind, 'reply');
    assert.equal(tail[1].kind === 'reply' && tail[1].op, OpCode.setData);
    await c.close();
  });

  it('persistent recursive watches, TTL and container nodes, whoAmI and multiRead', async () => {
    const c = await RawClient.connect(zk.port);
    const other = await RawClient.connect(zk.port);
    await c.create('/tree', null);
    await c.addWatch('/tree', AddWatchMode.PERSISTENT_RECURSIVE);
    await other.create('/tree/a', null);
    await other.create('/tree/a/b', null);
    await c.waitForNotification((e) => e.path === '/tree/a/b' && e.type === EventType.NodeCreated);

    const ttl = await c.createTTL('/ttl', Buffer.from('t'), 60_000);
    assert.equal(ttl.path, '/ttl');
    const container = await c.createContainer('/box');
    assert.equal(container.path, '/box');

    assert.deepEqual(await c.whoAmI(), [{ authScheme: 'ip', user: '127.0.0.1' }]);
    await c.addAuth('digest', Buffer.from('alice:secret'));
    // ZooKeeper keeps a connection's ids in a hash set: the order of whoAmI's answer is not defined.
    const who = (await c.whoAmI()).sort((x, y) => x.authScheme.localeCompare(y.authScheme));
    assert.deepEqual(who, [{ authScheme: 'digest', user: 'alice' }, { authScheme: 'ip', user: '127.0.0.1' }]);

    const results = await c.multiRead([
      { type: OpCode.getData, req: { path: '/ttl', watch: false } },
      { type: OpCode.getChildren, req: { path: '/tree', watch: false } },
      { type: OpCode.getData, req: { path: '/missing', watch: false } },
    ]);
    assert.equal(results.length, 3);
    assert.equal(results[0].type === OpCode.getData && results[0].data?.toString(), 't');
    assert.deepEqual(results[1].type === OpCode.getChildren && results[1].children, ['a']);
    assert.deepEqual(results[2], { type: -1, err: ErrorCode.NONODE });

    const multi = await c.multi([
      { type: OpCode.create, req: { path: '/m1', data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0, ttl: -1 } },
      { type: OpCode.delete, req: { path: '/does-not-exist', version: -1 } },
    ]);
    // A failed multi still has err 0 in its reply header: the failure is told by the results, one
    // ErrorResult per op (OK for the ops before the failing one).
    assert.equal(multi.err, 0);
    assert.deepEqual(multi.results, [{ type: -1, err: ErrorCode.OK }, { type: -1, err: ErrorCode.NONODE }]);
    assert.equal(await c.exists('/m1'), null);
    await other.close();
    await c.close();
  });

  it('the server closes the connection on a bad frame length', async () => {
    const c = await RawClient.connect(zk.port);
    c.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await c.closed;
    assert.equal(c.isClosed, true);
    await assert.rejects(c.ping(), /connection closed/);
  });
});
