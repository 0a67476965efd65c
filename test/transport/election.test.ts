// The election-port transport against itself and against raw sockets that play Java peers, over real
// sockets on 127.0.0.1. Waits are event-driven: every log line and delivery re-checks the condition.

import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ELECTION_PACKET_MAX_BYTES, encodeInitialMessage } from '../../src/jute/quorum.js';
import {
  ElectionTransport,
  FrameReader,
  parseElectionAddress,
  readElectionHeader,
  type ElectionPeer,
  type ElectionTransportOptions,
} from '../../src/transport/election.js';
import { announce, waitFor as waitForChange } from '../helpers/changes.js';

const HOST = '127.0.0.1';
const WAIT_MS = 5000;

const waitFor = (what: string, condition: () => boolean, ms = WAIT_MS): Promise<void> => waitForChange(what, condition, ms);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve) => {
      const s = net.createServer();
      s.listen(0, HOST, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

interface Node {
  sid: number;
  t: ElectionTransport;
  got: Array<{ sid: number; text: string }>;
  logs: string[];
}

function node(sid: number, port: number, peers: Record<number, number | ElectionPeer>, extra: Partial<ElectionTransportOptions> = {}): Node {
  const got: Node['got'] = [];
  const logs: string[] = [];
  const peerMap = new Map<number, ElectionPeer>(
    Object.entries(peers).map(([id, p]) => [Number(id), typeof p === 'number' ? { host: HOST, port: p } : p]),
  );
  const t = new ElectionTransport({
    selfId: sid,
    bindHost: HOST,
    port,
    advertisedAddress: `${HOST}:${port}`,
    peers: peerMap,
    connectTimeoutMs: 2000,
    handshakeTimeoutMs: 2000,
    onMessage(from, payload) {
      got.push({ sid: from, text: payload.toString() });
      announce();
    },
    log(level, message) {
      logs.push(`${level} ${message}`);
      if (process.env.ELECTION_TEST_LOG) console.log(`[sid ${sid}] ${level} ${message}`);
      announce();
    },
    ...extra,
  });
  cleanups.push(() => t.stop());
  return { sid, t, got, logs };
}

function received(n: Node, from: number, text: string): boolean {
  return n.got.some((m) => m.sid === from && m.text === text);
}

function logged(n: Node, pattern: RegExp): boolean {
  return n.logs.some((l) => pattern.test(l));
}

/** A plain socket, watched so waits wake up on its data and close. */
interface Raw {
  socket: net.Socket;
  data: Buffer;
  closed: boolean;
}

function watch(socket: net.Socket): Raw {
  const raw: Raw = { socket, data: Buffer.alloc(0), closed: false };
  socket.on('data', (chunk: Buffer) => {
    raw.data = Buffer.concat([raw.data, chunk]);
    announce();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    raw.closed = true;
    announce();
  });
  cleanups.push(() => socket.destroy());
  return raw;
}

async function rawConnect(port: number): Promise<Raw> {
  const socket = net.connect({ host: HOST, port });
  const raw = watch(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return raw;
}

function frame(text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const len = Buffer.alloc(4);
  len.writeInt32BE(payload.length);
  return Buffer.concat([len, payload]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

/** The frames in `bytes`, which must hold only whole frames. */
function frames(bytes: Buffer): string[] {
  const reader = new FrameReader();
  reader.push(bytes);
  const out: string[] = [];
  for (let step = reader.next(); step.kind === 'frame'; step = reader.next()) out.push(step.payload.toString());
  return out;
}

describe('election wire parsers', () => {
  it('reads the header and frames however the bytes are split', () => {
    const stream = Buffer.concat([encodeInitialMessage(7, '[fe80::1]:3888'), frame('one'), frame('two')]);
    let header: ReturnType<typeof readElectionHeader> = { kind: 'incomplete' };
    let at = 0;
    while (header.kind === 'incomplete') header = readElectionHeader(stream.subarray(0, ++at));
    assert.deepEqual(header, { kind: 'header', sid: 7, callBack: { host: 'fe80::1', port: 3888 }, bytes: at });
    const reader = new FrameReader();
    const out: string[] = [];
    for (const byte of stream.subarray(at)) {
      reader.push(Buffer.from([byte]));
      const step = reader.next();
      assert.notEqual(step.kind, 'invalid');
      if (step.kind === 'frame') out.push(step.payload.toString());
    }
    assert.deepEqual(out, ['one', 'two']);
  });

  it('drops wildcard addresses, accepts pre-3.5 headers, refuses malformed addresses', () => {
    assert.deepEqual(readElectionHeader(encodeInitialMessage(3, '0.0.0.0:3888')), { kind: 'header', sid: 3, callBack: null, bytes: 32 });
    assert.equal((readElectionHeader(encodeInitialMessage(3, '[::]:3888')) as { callBack: unknown }).callBack, null);
    assert.deepEqual(readElectionHeader(int64(4n)), { kind: 'header', sid: 4, callBack: null, bytes: 8 });
    assert.equal(readElectionHeader(encodeInitialMessage(3, 'no-port')).kind, 'invalid');
    assert.equal(parseElectionAddress('host:99999'), null);
    assert.deepEqual(parseElectionAddress('zk1.example:3888'), { host: 'zk1.example', port: 3888 });
  });
});

describe('ElectionTransport', () => {
  it('three peers exchange messages in every direction over one connection per pair, dialled by the larger sid', async () => {
    const ports = await freePorts(3);
    const sids = [1, 2, 3];
    const nodes = sids.map((sid, i) =>
      node(sid, ports[i]!, Object.fromEntries(sids.filter((s) => s !== sid).map((s) => [s, ports[s - 1]!]))),
    );
    await Promise.all(nodes.map((n) => n.t.start()));
    // Before any connection exists: every send has to wait for (or trigger) a dial.
    for (const from of nodes) for (const to of sids) from.t.send(to, Buffer.from(`hello ${from.sid}->${to}`));
    await waitFor('every first message', () => nodes.every((n) => sids.every((s) => received(n, s, `hello ${s}->${n.sid}`))));

    const onePerPair = (): boolean =>
      nodes.every((n) => {
        const conns = n.t.connections();
        if (conns.map((c) => c.sid).join() !== sids.filter((s) => s !== n.sid).join()) return false;
        return conns.every((c) => {
          const other = nodes[c.sid - 1]!.t.connections().find((o) => o.sid === n.sid);
          // The same TCP connection seen from both ends, and the larger sid is the one that dialled.
          return other !== undefined && other.localPort === c.remotePort && other.remotePort === c.localPort && c.initiator === n.sid > c.sid;
        });
      });
    await waitFor('one connection per pair', onePerPair);

    for (const from of nodes) for (const to of sids) from.t.send(to, Buffer.from(`again ${from.sid}->${to}`));
    await waitFor('every second message', () => nodes.every((n) => sids.every((s) => received(n, s, `again ${s}->${n.sid}`))));
    await waitFor('one connection per pair, still', onePerPair);
    for (const n of nodes) {
      // The acceptor's end of each kept connection is its own listening port.
      for (const c of n.t.connections()) if (!c.initiator) assert.equal(c.localPort, n.t.port);
      assert.equal(n.t.haveDelivered(), true);
    }
  });

  it('keeps only the newest unsent message for a peer that is not up yet', async () => {
    const [p2, p3] = await freePorts(2);
    const n3 = node(3, p3!, { 2: p2! });
    await n3.t.start();
    for (let i = 0; i < 50; i++) n3.t.send(2, Buffer.from(`m${i}`));
    assert.equal(n3.t.haveDelivered(), false);
    await waitFor('the failed dial', () => logged(n3, /cannot open channel to sid 2/));

    const n2 = node(2, p2!, { 3: p3! });
    await n2.t.start();
    n3.t.connectAll();
    await waitFor('the newest message', () => received(n2, 3, 'm49'));
    // Frames keep their order on the one connection, so once the fence is in nothing older can follow.
    n3.t.send(2, Buffer.from('fence'));
    await waitFor('the fence', () => received(n2, 3, 'fence'));
    const texts = n2.got.filter((m) => m.sid === 3 && m.text !== 'fence').map((m) => m.text);
    assert.ok(texts.length >= 1 && texts.every((t) => t === 'm49'), `received ${texts.join(',')}`);
    assert.equal(n3.t.haveDelivered(), true);
  });

  it('re-sends the last message when the connection to a peer is re-established', async () => {
    const [p1, p2] = await freePorts(2);
    const n1 = node(1, p1!, { 2: p2! });
    const n2 = node(2, p2!, { 1: p1! });
    await Promise.all([n1.t.start(), n2.t.start()]);
    n1.t.send(2, Buffer.from('last from 1'));
    await waitFor('the first delivery', () => received(n2, 1, 'last from 1'));
    await n2.t.stop();
    const [logsAtStop, gotAtStop] = [n2.logs.length, n2.got.length];
    await waitFor('sid 1 to notice', () => !n1.t.connectedSids().includes(2));

    const n2b = node(2, p2!, { 1: p1! });
    await n2b.t.start();
    // The new sid 2 dials sid 1 to send; sid 1 sends nothing new, yet its last message arrives again.
    n2b.t.send(1, Buffer.from('hello from the new 2'));
    await waitFor('the re-sent message', () => received(n2b, 1, 'last from 1') && received(n1, 2, 'hello from the new 2'));
    assert.deepEqual([n2.logs.length, n2.got.length], [logsAtStop, gotAtStop], 'no callbacks after stop()');
  });

  it('closes connections that break the protocol, logging why, and keeps serving the others', async () => {
    const [p1, p2] = await freePorts(2);
    const n1 = node(1, p1!, { 2: p2! }, { handshakeTimeoutMs: 300 });
    const n2 = node(2, p2!, { 1: p1! });
    await Promise.all([n1.t.start(), n2.t.start()]);
    const good = await rawConnect(n1.t.port);
    good.socket.write(encodeInitialMessage(7, `${HOST}:1`));
    await waitFor('the good raw peer', () => n1.t.connectedSids().includes(7));

    const v1 = (sid: number): Buffer => Buffer.concat([int64(-65536n), int64(BigInt(sid))]);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['unknown protocol version', int64(-1234n), /unrecognized election protocol version -1234/],
      ['address length 0', Buffer.concat([v1(8), int32(0)]), /bad election address length 0/],
      ['address length over 2048', Buffer.concat([v1(8), int32(4096)]), /bad election address length 4096/],
      ['malformed address', encodeInitialMessage(8, 'no-port'), /badly formed election address 'no-port'/],
      ['frame length 0', Buffer.concat([encodeInitialMessage(9, `${HOST}:1`), int32(0)]), /sid 9: invalid frame length 0 /],
      ['frame length -1', Buffer.concat([encodeInitialMessage(10, `${HOST}:1`), int32(-1)]), /sid 10: invalid frame length -1 /],
      ['frame over 512 KiB', Buffer.concat([encodeInitialMessage(11, `${HOST}:1`), int32(ELECTION_PACKET_MAX_BYTES + 1)]), /sid 11: invalid frame length 524289 /],
      ['no header at all', Buffer.alloc(0), /no complete header within 300 ms/],
    ];
    await Promise.all(
      cases.map(async ([name, bytes, why]) => {
        const raw = await rawConnect(n1.t.port);
        if (bytes.length > 0) raw.socket.write(bytes);
        await waitFor(`${name}: closed and logged`, () => raw.closed && logged(n1, why));
      }),
    );

    // A header carrying our own sid is left open and unread, as ZooKeeper does (ZOOKEEPER-2164).
    const twin = await rawConnect(n1.t.port);
    twin.socket.write(encodeInitialMessage(1, `${HOST}:1`));
    await waitFor('the own-sid warning', () => logged(n1, /claims our own sid 1/));
    assert.ok(!twin.closed);

    assert.ok(!good.closed);
    good.socket.write(frame('still here'));
    n1.t.send(2, Buffer.from('to 2'));
    n2.t.send(1, Buffer.from('to 1'));
    await waitFor('the good peers', () => received(n1, 7, 'still here') && received(n2, 1, 'to 2') && received(n1, 2, 'to 1'));
  });

  it('talks to raw sockets playing Java peers, larger and smaller', async () => {
    const [p2, p1] = await freePorts(2);
    const javaOne = net.createServer();
    const accepted: Raw[] = [];
    javaOne.on('connection', (s) => {
      accepted.push(watch(s));
      announce();
    });
    await new Promise<void>((resolve) => javaOne.listen(p1, HOST, resolve));
    cleanups.push(() => new Promise((resolve) => javaOne.close(resolve)));
    const n2 = node(2, p2!, { 1: p1! });
    await n2.t.start();

    // A larger sid dials us: its header, then frames, and we answer on the same socket.
    const five = await rawConnect(n2.t.port);
    const stream = Buffer.concat([encodeInitialMessage(5, `${HOST}:1`), frame('n1'), frame('n2')]);
    let written = 0;
    for (const cut of [5, 23, 30, stream.length]) {
      await new Promise((resolve) => five.socket.write(stream.subarray(written, cut), resolve));
      written = cut;
    }
    await waitFor('frames from sid 5', () => received(n2, 5, 'n1') && received(n2, 5, 'n2'));
    n2.t.send(5, Buffer.from('to five'));
    await waitFor('the reply to sid 5', () => five.data.length >= 4 + 'to five'.length);
    assert.deepEqual(frames(five.data), ['to five']);

    // A smaller sid dials us: we close it and dial its configured address (its header named a wildcard).
    const one = await rawConnect(n2.t.port);
    one.socket.write(encodeInitialMessage(1, `0.0.0.0:${p1}`));
    await waitFor('the dial-back header', () => one.closed && accepted.length === 1 && accepted[0]!.data.length >= 20);
    const back = accepted[0]!;
    const header = readElectionHeader(back.data);
    assert.equal(back.data.readBigInt64BE(0), -65536n);
    assert.equal(header.kind, 'header');
    if (header.kind !== 'header') return;
    assert.equal(header.sid, 2);
    assert.equal(back.data.toString('utf8', 20, header.bytes), `${HOST}:${p2}`);
    assert.equal(back.data.length, header.bytes, 'the header comes alone: nothing was queued for sid 1');

    // We keep that connection (2 > 1): frames flow both ways on it.
    back.socket.write(frame('from one'));
    n2.t.send(1, Buffer.from('to one'));
    await waitFor('frames on the dialled-back connection', () => received(n2, 1, 'from one') && back.data.length > header.bytes + 4);
    assert.deepEqual(frames(back.data.subarray(header.bytes)), ['to one']);
    assert.deepEqual(n2.t.connections().find((c) => c.sid === 1)?.initiator, true);

    n2.t.send(42, Buffer.from('nobody'));
    assert.ok(logged(n2, /invalid server id 42/));
    n2.t.send(2, Buffer.from('myself'));
    await waitFor('the loopback', () => received(n2, 2, 'myself'));
  });

  it('start() names the address when the port is taken', async () => {
    const [port] = await freePorts(1);
    const first = node(1, port!, {});
    await first.t.start();
    const second = node(2, port!, {});
    await assert.rejects(second.t.start(), new RegExp(`127\\.0\\.0\\.1:${port}.*already in use`));
  });
});
