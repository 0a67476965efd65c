// Limits and bad input, on zk-server and Apache ZooKeeper 3.8 configured alike: jute.maxbuffer on
// incoming frames, maxClientCnxns per IP, unknown op codes, garbage and malformed frames. Each closes
// only the offending connection (with a log line on zk-server) while another client keeps working.
// Last, a clean stop on SIGTERM and SIGINT (exit code 0).

import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { OpCode } from '../../src/protocol/constants.js';
import { RawClient } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { APACHE_ZK_MISSING, errName, startPair, type ServerPair } from './support/compare.js';

const MAX_BUFFER_BYTES = 8192;
const MAX_CLIENT_CNXNS = 4;

/** What a connection saw after sending something: its replies (xid, error) and whether it was closed. */
interface Outcome { replies: string[]; closed: boolean }

async function outcome(c: RawClient, sent: Promise<unknown> | null): Promise<Outcome> {
  if (sent) await sent.catch(() => undefined);
  await c.closed;
  return { replies: c.frames.filter((f) => f.kind === 'reply').map((f) => `${f.header.xid}:${errName(f.header.err)}`), closed: c.isClosed };
}

describe('limits and bad input', () => {
  let pair: ServerPair;
  let bystanders: Map<ZkServerHandle, RawClient>;
  before(async () => {
    pair = await startPair({ maxClientCnxns: String(MAX_CLIENT_CNXNS) }, { 'jute.maxbuffer': String(MAX_BUFFER_BYTES) });
    bystanders = new Map();
    for (const h of [pair.ours, pair.theirs]) if (h) bystanders.set(h, await RawClient.connect(h.port));
  });
  after(async () => {
    await Promise.all([...bystanders.values()].map((c) => c.close()));
    await pair?.stop();
  });

  /** Runs `probe` on both servers; the bystander of each must still be served afterwards. */
  async function onBoth<T>(t: TestContext, probe: (h: ZkServerHandle) => Promise<T>): Promise<T> {
    const ours = await probe(pair.ours);
    const stillServing = async (h: ZkServerHandle) => assert.notEqual(await bystanders.get(h)?.exists('/'), null, 'the other client is still served');
    await stillServing(pair.ours);
    if (!pair.theirs) {
      t.skip(APACHE_ZK_MISSING);
      return ours;
    }
    const theirs = await probe(pair.theirs);
    await stillServing(pair.theirs);
    assert.deepEqual(ours, theirs, 'zk-server (actual) and Apache ZooKeeper (expected) differ');
    return ours;
  }

  it('accepts a frame up to jute.maxbuffer and closes a connection that sends a longer one', async (t) => {
    const result = await onBoth(t, async (h) => {
      const c = await RawClient.connect(h.port);
      const fits = await c.create('/fits', Buffer.alloc(MAX_BUFFER_BYTES - 200, 1)).then(() => 'created', (e: Error) => e.message);
      const stat = await c.exists('/fits');
      return { fits, dataLength: stat?.dataLength, tooBig: await outcome(c, c.create('/too-big', Buffer.alloc(MAX_BUFFER_BYTES + 10, 1))) };
    });
    assert.deepEqual(result.tooBig, { replies: ['1:OK', '2:OK'], closed: true });
    assert.match(pair.ours.stderr(), new RegExp(`frame length \\d+ outside 0\\.\\.${MAX_BUFFER_BYTES}`));
  });

  it('closes a connection whose frame announces a huge or negative length', async (t) => {
    await onBoth(t, async (h) => {
      const huge = await RawClient.connect(h.port);
      huge.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1]));
      const negative = await RawClient.connect(h.port);
      negative.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
      return [await outcome(huge, null), await outcome(negative, null)];
    });
  });

  it('answers an unknown op code with Unimplemented and closes that connection', async (t) => {
    const result = await onBoth(t, async (h) => {
      const c = await RawClient.connect(h.port);
      await c.exists('/');
      return outcome(c, c.request(9999));
    });
    assert.deepEqual(result, { replies: ['1:OK', '2:UNIMPLEMENTED'], closed: true });
    assert.match(pair.ours.stderr(), /unknown op code 9999/);
  });

  it('closes a connection that sends garbage instead of a ConnectRequest', async (t) => {
    await onBoth(t, async (h) => {
      const garbage = await RawClient.open(h.port);
      // Not a four-letter word, and as a length it is far above jute.maxbuffer.
      garbage.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      return outcome(garbage, null);
    });
    assert.match(pair.ours.stderr(), /malformed input/);
  });

  it('answers a request whose record is cut short with MarshallingError, keeping the connection', async (t) => {
    await onBoth(t, async (h) => {
      const c = await RawClient.connect(h.port);
      // The path's length runs past the end of the frame.
      const read = await c.request(OpCode.getData, (w) => w.writeInt(1000).writeRaw(Buffer.from('/short')));
      const write = await c.request(OpCode.create, (w) => w.writeInt(1000).writeRaw(Buffer.from('/short')));
      const multi = await c.request(OpCode.multi, (w) => w.writeInt(OpCode.create).writeBool(false));
      const after = await c.exists('/');
      await c.close();
      return { read: errName(read.header.err), write: errName(write.header.err), multi: errName(multi.header.err), stillOpen: after !== null };
    });
  });

  it('refuses connections from one IP beyond maxClientCnxns, and accepts again once one closes', async (t) => {
    await onBoth(t, async (h) => {
      // The bystander holds one of the allowed connections.
      const held: RawClient[] = [];
      for (let i = 1; i < MAX_CLIENT_CNXNS; i++) held.push(await RawClient.connect(h.port));
      const refused = await RawClient.connect(h.port).then(() => 'accepted', (e: Error) => (/closed|ECONNRESET|EPIPE/.test(e.message) ? 'refused' : e.message));
      await held.pop()?.close();
      const again = await RawClient.connect(h.port);
      const served = (await again.exists('/')) !== null;
      await Promise.all([again.close(), ...held.map((c) => c.close())]);
      return { refused, served };
    });
    assert.match(pair.ours.stderr(), new RegExp(`Too many connections from /127\\.0\\.0\\.1 - max is ${MAX_CLIENT_CNXNS}`));
  });
});

describe('clean shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal} with exit code 0, closing client connections`, async () => {
      const zk = await startZkServer({ storage: 'memory' });
      try {
        const c = await RawClient.connect(zk.port);
        await c.create('/eph', null, { flags: 1 });
        const code = await zk.stop(signal);
        assert.equal(code, 0, `exit code after ${signal}; stderr:\n${zk.stderr()}`);
        await c.closed;
        assert.match(zk.stderr(), /stopped/);
      } finally {
        await zk.stop();
      }
    });
  }
});
