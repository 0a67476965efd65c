// Sessions on zk-server: the handshake (with and without the readOnly byte), timeout negotiation,
// resuming a session by id and password, the expired answer to a wrong password, and ephemerals
// removed (with their watches fired) at closeSession and at expiry. tickTime is short so expiry is quick.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JuteWriter } from '../../src/jute/writer.js';
import { writeConnectRequest } from '../../src/jute/records.js';
import { CreateFlag, ErrorCode, EventType, OpCode, Xid } from '../../src/protocol/constants.js';
import { RawClient } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { CreateMode, NzkClient } from './support/nzk.js';

const TICK_MS = 100;
const MIN_TIMEOUT_MS = 2 * TICK_MS;
const MAX_TIMEOUT_MS = 3000;

describe('sessions on zk-server', () => {
  let zk: ZkServerHandle;
  before(async () => {
    zk = await startZkServer({
      storage: 'memory',
      extraConfig: { tickTime: String(TICK_MS), maxSessionTimeout: String(MAX_TIMEOUT_MS) },
    });
  });
  after(async () => {
    await zk?.stop();
  });

  it('negotiates the timeout between minSessionTimeout (2 ticks by default) and maxSessionTimeout', async () => {
    const low = await RawClient.connect(zk.port, { timeOut: 10 });
    const mid = await RawClient.connect(zk.port, { timeOut: 1234 });
    const high = await RawClient.connect(zk.port, { timeOut: 60_000 });
    try {
      assert.equal(low.connectResponse?.timeOut, MIN_TIMEOUT_MS);
      assert.equal(mid.connectResponse?.timeOut, 1234);
      assert.equal(high.connectResponse?.timeOut, MAX_TIMEOUT_MS);
      for (const c of [low, mid, high]) {
        assert.equal(c.connectResponse?.passwd.length, 16);
        assert.equal(c.connectResponse?.hasReadOnlyByte, true);
        assert.equal(c.connectResponse?.readOnly, false);
      }
      assert.equal(new Set([low.sessionId, mid.sessionId, high.sessionId]).size, 3, 'distinct session ids');
    } finally {
      await Promise.all([low.close(), mid.close(), high.close()]);
    }
  });

  it('serves an old client whose ConnectRequest has no readOnly byte, answering without one', async () => {
    const old = await RawClient.connect(zk.port, { readOnlyByte: false, timeOut: 2000 });
    try {
      assert.equal(old.connectResponse?.hasReadOnlyByte, false);
      assert.notEqual(old.sessionId, 0n);
      assert.equal(await old.create('/old-client', Buffer.from('x')), '/old-client');
      assert.equal((await old.getData('/old-client')).data?.toString(), 'x');
      const ping = await old.ping();
      assert.equal(ping.header.xid, Xid.ping);
      assert.equal(ping.header.err, 0);
    } finally {
      await old.close();
    }
  });

  it('serves requests a client pipelines right behind its ConnectRequest', async () => {
    const c = await RawClient.open(zk.port);
    try {
      const handshake = c.handshake({ timeOut: 2000 });
      const replies = [c.create('/early', Buffer.from('e')), c.getData('/early')];
      await handshake;
      assert.equal(await replies[0], '/early');
      assert.equal((await (replies[1] as ReturnType<RawClient['getData']>)).data?.toString(), 'e');
    } finally {
      await c.close();
    }
  });

  it('resumes a session with its id and password, keeping its ephemerals and closing the old connection', async () => {
    const first = await RawClient.connect(zk.port, { timeOut: 2000 });
    const { sessionId, passwd } = first.connectResponse!;
    await first.create('/resume-eph', null, { flags: CreateFlag.EPHEMERAL });
    const second = await RawClient.connect(zk.port, { sessionId, passwd, timeOut: 2000, lastZxidSeen: first.lastZxid });
    try {
      assert.equal(second.sessionId, sessionId);
      assert.deepEqual(second.connectResponse?.passwd, passwd);
      // ZooKeeper closes the connection the session moved away from.
      await first.closed;
      const stat = await second.exists('/resume-eph');
      assert.equal(stat?.ephemeralOwner, sessionId);
      assert.deepEqual(await second.getEphemerals('/'), ['/resume-eph']);
    } finally {
      await second.close();
    }
    const observer = await RawClient.connect(zk.port);
    assert.equal(await observer.exists('/resume-eph'), null, 'closeSession removed the ephemeral');
    await observer.close();
  });

  it('answers a wrong password with an expired session (timeout 0, id 0, zero password) and closes', async () => {
    const owner = await RawClient.connect(zk.port, { timeOut: 2000 });
    const { sessionId, passwd } = owner.connectResponse!;
    await owner.create('/wrong-pw-eph', null, { flags: CreateFlag.EPHEMERAL });
    const wrong = Buffer.from(passwd);
    wrong[0] ^= 0xff;
    const c = await RawClient.connect(zk.port, { sessionId, passwd: wrong });
    assert.deepEqual(
      { timeOut: c.connectResponse?.timeOut, sessionId: c.connectResponse?.sessionId, passwd: c.connectResponse?.passwd },
      { timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(16) },
    );
    await c.closed;
    assert.match(zk.stderr(), /[Pp]assword/);
    // As in ZooKeeper, the attempt moved the session off its connection, but the session lives on.
    await owner.closed;
    const back = await RawClient.connect(zk.port, { sessionId, passwd });
    try {
      assert.equal(back.sessionId, sessionId);
      assert.equal((await back.exists('/wrong-pw-eph'))?.ephemeralOwner, sessionId);
    } finally {
      await back.close();
    }
  });

  it('answers an unknown session id with an expired session too', async () => {
    const c = await RawClient.connect(zk.port, { sessionId: 0x0123456789abcdefn, passwd: Buffer.alloc(16, 1) });
    assert.equal(c.connectResponse?.timeOut, 0);
    assert.equal(c.connectResponse?.sessionId, 0n);
    await c.closed;
  });

  it('refuses a client that has seen a zxid the server has not (it must try another server)', async () => {
    const c = await RawClient.open(zk.port);
    await assert.rejects(c.handshake({ lastZxidSeen: 0x7fff_0000_0000 }), /closed/);
    await c.closed;
  });

  it('removes ephemerals at closeSession, firing NodeDeleted and NodeChildrenChanged for watchers', async () => {
    const owner = await NzkClient.connect(zk.port, { sessionTimeout: 2000 });
    const watcher = await RawClient.connect(zk.port);
    try {
      await owner.create('/close-parent');
      await owner.create('/close-parent/e', null, CreateMode.EPHEMERAL);
      const seq = await owner.create('/close-parent/s-', null, CreateMode.EPHEMERAL_SEQUENTIAL);
      assert.equal(seq, '/close-parent/s-0000000001');
      await watcher.exists('/close-parent/e', true);
      await watcher.getChildren('/close-parent', true);
      owner.close();
      await watcher.waitForNotification((e) => e.type === EventType.NodeDeleted && e.path === '/close-parent/e');
      await watcher.waitForNotification((e) => e.type === EventType.NodeChildrenChanged && e.path === '/close-parent');
      assert.deepEqual(await watcher.getChildren('/close-parent'), []);
      const parent = await watcher.exists('/close-parent');
      assert.equal(parent?.cversion, 4, 'two creates and two deletes');
    } finally {
      await watcher.close();
    }
  });

  it('expires a silent session after its timeout: ephemerals deleted, watchers told, the id refused', async () => {
    const doomed = await RawClient.connect(zk.port, { timeOut: MIN_TIMEOUT_MS });
    const watcher = await RawClient.connect(zk.port, { timeOut: MAX_TIMEOUT_MS });
    try {
      const { sessionId, passwd } = doomed.connectResponse!;
      await doomed.create('/expiring', null, { flags: CreateFlag.EPHEMERAL });
      await watcher.exists('/expiring', true);
      const startedAt = Date.now();
      // No pings, no close: the session must run out on its own.
      doomed.destroy();
      await watcher.waitForNotification((e) => e.type === EventType.NodeDeleted && e.path === '/expiring', 5000);
      const tookMs = Date.now() - startedAt;
      assert.ok(tookMs >= MIN_TIMEOUT_MS - TICK_MS, `expired after ${tookMs} ms, before its timeout`);
      assert.equal(await watcher.exists('/expiring'), null);
      const late = await RawClient.connect(zk.port, { sessionId, passwd });
      assert.equal(late.connectResponse?.sessionId, 0n, 'an expired session cannot be resumed');
      await late.closed;
    } finally {
      await watcher.close();
    }
  });

  it('keeps a session alive while the client pings', async () => {
    const c = await RawClient.connect(zk.port, { timeOut: MIN_TIMEOUT_MS });
    try {
      await c.create('/pinged', null, { flags: CreateFlag.EPHEMERAL });
      // Five timeouts' worth of pings at a third of the timeout, as clients do.
      for (let i = 0; i < 15; i++) {
        await c.ping();
        await new Promise((r) => setTimeout(r, MIN_TIMEOUT_MS / 3));
      }
      assert.notEqual(await c.exists('/pinged'), null);
    } finally {
      await c.close();
    }
  });

  it('answers closeSession, then closes the socket', async () => {
    const c = await RawClient.connect(zk.port);
    const reply = await c.request(OpCode.closeSession);
    assert.equal(reply.header.err, ErrorCode.OK);
    await c.closed;
    assert.deepEqual(c.protocolErrors, []);
  });

  it('lets node-zookeeper-client learn the negotiated timeout and keep its session', async () => {
    const c = await NzkClient.connect(zk.port, { sessionTimeout: 100_000 });
    try {
      assert.equal(c.raw.getSessionTimeout(), MAX_TIMEOUT_MS);
      assert.equal(c.raw.getSessionPassword().length, 16);
      await c.create('/nzk-session', null, CreateMode.EPHEMERAL);
      assert.equal(BigInt.asUintN(64, (await c.exists('/nzk-session'))!.ephemeralOwner.readBigInt64BE(0)), BigInt.asUintN(64, c.sessionId));
    } finally {
      c.close();
    }
  });

  it('closes a connection whose ConnectRequest is cut short, and keeps serving the others', async () => {
    const good = await RawClient.connect(zk.port);
    const bad = await RawClient.open(zk.port);
    try {
      const w = new JuteWriter(64);
      w.writeInt(0);
      // A ConnectRequest cut short: the password length claims more bytes than follow.
      writeConnectRequest(w, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 1000, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false, hasReadOnly: true });
      const frame = w.toBuffer();
      frame.writeInt32BE(frame.length - 4 - 10, 0);
      bad.sendRaw(frame.subarray(0, frame.length - 10));
      await bad.closed;
      assert.notEqual(await good.exists('/'), null);
    } finally {
      await good.close();
    }
  });
});
