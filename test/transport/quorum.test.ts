// The quorum-port connection: the packet splitter on its own, then QuorumConnection over real sockets
// on 127.0.0.1 and, where the chunking must be exact, over an unconnected socket fed by emit('data').
// Waits are event-driven with bounded timeouts; every callback re-checks the awaited condition.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { describe, it } from 'node:test';
import { encodeQuorumPacket, LONG_MIN, PacketType, type QuorumPacket } from '../../src/jute/quorum.js';
import {
  connectQuorum,
  listenQuorum,
  QuorumConnection,
  QuorumPacketReader,
  type QuorumConnectionOptions,
  type RawStreamConsumer,
} from '../../src/transport/quorum.js';
import { announce, waitFor as waitForChange } from '../helpers/changes.js';

const HOST = '127.0.0.1';
const WAIT_MS = 5000;
const MAX_BUFFER = 2 * 0xfffff;

const waitFor = (what: string, condition: () => boolean, ms = WAIT_MS): Promise<void> => waitForChange(what, condition, ms);

/** Resolves on `event`, rejects after a bound. */
async function eventWithin(emitter: EventEmitter, event: string, what: string, ms = WAIT_MS): Promise<unknown[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    return await once(emitter, event, { signal: ac.signal });
  } catch (err) {
    if (ac.signal.aborted) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Deterministic bytes (an LCG), so failures reproduce. */
function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

function ustring(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

const pkt = (type: number, zxid: number, data: Buffer | null = null, authinfo: QuorumPacket['authinfo'] = null): QuorumPacket => ({
  type,
  zxid,
  data,
  authinfo,
});

/** A mix: null and empty data, null, empty and non-empty authinfo, odd zxids, a 1 MB payload. */
function samplePackets(): QuorumPacket[] {
  return [
    pkt(PacketType.LEADERINFO, 0x500000000, Buffer.from([0, 1, 0, 0])),
    pkt(PacketType.PING, 7),
    pkt(PacketType.ACK, 0x500000001, Buffer.alloc(0)),
    pkt(PacketType.REQUEST, -1, Buffer.from('request body'), [
      { scheme: 'digest', id: 'alice:hash=' },
      { scheme: 'ip', id: '127.0.0.1' },
      { scheme: '', id: '' },
      { scheme: 'sasl', id: 'ünïcødé ✓' },
    ]),
    pkt(PacketType.REQUEST, -1, null, []),
    pkt(PacketType.PROPOSAL, 0x500000002, pseudoRandomBytes(1024 * 1024, 1)),
    pkt(PacketType.OBSERVERINFO, LONG_MIN, Buffer.alloc(20, 3)),
    pkt(PacketType.COMMIT, Number.MAX_SAFE_INTEGER),
    pkt(PacketType.UPTODATE, -1),
  ];
}

function readAll(reader: QuorumPacketReader, chunks: Iterable<Buffer>): QuorumPacket[] {
  const out: QuorumPacket[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let p = reader.next(); p !== null; p = reader.next()) out.push(p);
  }
  return out;
}

function* pieces(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

function* splitAt(buf: Buffer, cuts: readonly number[]): Generator<Buffer> {
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield buf.subarray(from, cut);
    from = cut;
  }
  yield buf.subarray(from);
}

// ---------------------------------------------------------------- the splitter

describe('QuorumPacketReader', () => {
  const packets = samplePackets();
  const stream = Buffer.concat(packets.map(encodeQuorumPacket));

  it('parses back-to-back packets from one chunk', () => {
    const reader = new QuorumPacketReader(MAX_BUFFER);
    assert.deepStrictEqual(readAll(reader, [stream]), packets);
    assert.equal(reader.buffered, 0);
  });

  it('parses the same when fed 1 byte at a time, in 64 KiB pieces and in uneven pieces', () => {
    assert.deepStrictEqual(readAll(new QuorumPacketReader(MAX_BUFFER), pieces(stream, 1)), packets);
    assert.deepStrictEqual(readAll(new QuorumPacketReader(MAX_BUFFER), pieces(stream, 64 * 1024)), packets);
    assert.deepStrictEqual(readAll(new QuorumPacketReader(MAX_BUFFER), pieces(stream, 7)), packets);
    const cuts: number[] = [];
    for (let at = 0, step = 1; at < stream.length; at += step, step = (step * 3 + 1) % 9001) if (at > 0) cuts.push(at);
    assert.deepStrictEqual(readAll(new QuorumPacketReader(MAX_BUFFER), splitAt(stream, cuts)), packets);
  });

  it('returned data does not change when the reader later reuses its store', () => {
    const reader = new QuorumPacketReader(MAX_BUFFER);
    const first = readAll(reader, pieces(encodeQuorumPacket(pkt(2, 1, Buffer.from('first'))), 3));
    readAll(reader, pieces(encodeQuorumPacket(pkt(2, 2, Buffer.from('other'))), 3));
    assert.deepStrictEqual(first[0]!.data, Buffer.from('first'));
  });

  it('keeps large packets in small pieces linear: 8 MiB in 1 KiB pieces, 20000 authinfo ids byte by byte', () => {
    // Linear copying takes ~0.1 s here; re-concatenating per chunk copies ~32 GB and takes seconds.
    const started = performance.now();
    const big = pkt(PacketType.PROPOSAL, 9, pseudoRandomBytes(8 * 1024 * 1024, 2));
    assert.deepStrictEqual(readAll(new QuorumPacketReader(16 * 1024 * 1024), pieces(encodeQuorumPacket(big), 1024)), [big]);
    const ids = pkt(PacketType.REQUEST, -1, null, Array.from({ length: 20000 }, () => ({ scheme: 'ip', id: '' })));
    assert.deepStrictEqual(readAll(new QuorumPacketReader(MAX_BUFFER), pieces(encodeQuorumPacket(ids), 1)), [ids]);
    const ms = performance.now() - started;
    assert.ok(ms < 2500, `took ${Math.round(ms)} ms: copying is not linear`);
  });

  it('throws the codec JuteError for out-of-bounds lengths, even before the bytes they announce', () => {
    const bad = (bytes: Buffer, bound: number): string => {
      const reader = new QuorumPacketReader(bound);
      let message = '';
      assert.throws(() => readAll(reader, [bytes]), (err: Error) => {
        assert.equal(err.name, 'JuteError');
        message = err.message;
        return true;
      });
      return message;
    };
    const header = (dataLen: number): Buffer => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(PacketType.PROPOSAL, 0);
      b.writeInt32BE(dataLen, 12);
      return b;
    };
    assert.match((bad(header(-5), 1024)), /data length -5/);
    assert.match((bad(header(1025), 1024)), /data length 1025/);
    const badCount = Buffer.concat([header(0), Buffer.from([0xff, 0xff, 0xff, 0xfe])]);
    assert.match((bad(badCount, 1024)), /authinfo count -2/);
    const longString = Buffer.concat([header(-1), Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 4, 1])]);
    assert.match((bad(longString, 1024)), /string length 1025/);
  });
});

// ---------------------------------------------------------------- connections over real sockets

interface Side {
  conn: QuorumConnection;
  socket: net.Socket;
  packets: QuorumPacket[];
  closes: string[];
}

function wrap(socket: net.Socket, overrides: Partial<QuorumConnectionOptions> = {}): Side {
  const side = { socket, packets: [] as QuorumPacket[], closes: [] as string[] } as Side;
  side.conn = new QuorumConnection(socket, {
    maxBufferBytes: MAX_BUFFER,
    onPacket: (p) => {
      side.packets.push(p);
      announce();
    },
    onClose: (reason) => {
      side.closes.push(reason);
      announce();
    },
    ...overrides,
  });
  socket.on('close', announce);
  return side;
}

interface Pair {
  server: net.Server;
  leader: Side;
  learner: Side;
}

/** A listening leader and a dialled learner; `leaderOpts` and `learnerOpts` override callbacks. */
async function pair(
  leaderOpts: (side: () => Side) => Partial<QuorumConnectionOptions> = () => ({}),
  learnerOpts: (side: () => Side) => Partial<QuorumConnectionOptions> = () => ({}),
): Promise<Pair> {
  let leader: Side | null = null;
  const server = await listenQuorum(HOST, 0, (socket) => {
    leader = wrap(socket, leaderOpts(() => leader!));
    announce();
  });
  try {
    const port = (server.address() as net.AddressInfo).port;
    const socket = await connectQuorum(HOST, port, WAIT_MS);
    let learner: Side | null = null;
    learner = wrap(socket, learnerOpts(() => learner!));
    await waitFor('the leader to accept', () => leader !== null);
    return { server, leader: leader!, learner };
  } catch (err) {
    server.close();
    throw err;
  }
}

async function closePair(p: Pair): Promise<void> {
  p.learner.conn.close('test over');
  p.leader?.conn.close('test over');
  await new Promise<void>((resolve) => p.server.close(() => resolve()));
}

/** Raw bytes written by a plain client to a QuorumConnection on the listening side. */
async function leaderReading(bytes: Buffer, maxBufferBytes: number): Promise<{ side: Side; finish: () => Promise<void> }> {
  let side: Side | null = null;
  const server = await listenQuorum(HOST, 0, (socket) => {
    side = wrap(socket, { maxBufferBytes });
    announce();
  });
  const client = await connectQuorum(HOST, (server.address() as net.AddressInfo).port, WAIT_MS);
  client.on('close', announce);
  const finish = async (): Promise<void> => {
    client.destroy();
    side?.conn.close('test over');
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  try {
    await waitFor('the leader to accept', () => side !== null);
    client.write(bytes);
    await waitFor('the connection to close', () => side!.closes.length > 0 && side!.socket.closed && client.closed);
  } catch (err) {
    await finish();
    throw err;
  }
  return { side: side!, finish };
}

describe('QuorumConnection over sockets', () => {
  it('carries packets both ways, in order, 1 MB payload included', async () => {
    const p = await pair();
    try {
      const down = samplePackets();
      const up = samplePackets().reverse();
      for (const q of down) p.leader.conn.send(q);
      for (const q of up) p.learner.conn.send(q);
      await waitFor('all packets', () => p.learner.packets.length >= down.length && p.leader.packets.length >= up.length);
      assert.deepStrictEqual(p.learner.packets, down);
      assert.deepStrictEqual(p.leader.packets, up);
      assert.deepStrictEqual([p.leader.closes, p.learner.closes], [[], []]);
      assert.match(p.learner.conn.remote, /^127\.0\.0\.1:\d+$/);
      assert.equal(p.learner.socket.remotePort, (p.server.address() as net.AddressInfo).port);
    } finally {
      await closePair(p);
    }
  });

  it('raw mode: SNAP, raw bytes and trailer, then packets, all in ONE write', async () => {
    const { stream, before, raw, after } = snapStream(3);
    let consumer: ExactConsumer | null = null;
    const p = await pair(
      () => ({}),
      (side) => ({
        onPacket: (q) => {
          side().packets.push(q);
          if (q.type === PacketType.SNAP) side().conn.readRaw((consumer = new ExactConsumer(raw.length)));
          announce();
        },
      }),
    );
    try {
      p.leader.conn.sendRaw(stream);
      await waitFor('the packets after the snapshot', () => p.learner.packets.length >= before.length + after.length);
      assert.deepStrictEqual(p.learner.packets, [...before, ...after]);
      assert.deepStrictEqual(consumer!.bytes(), raw);
      assert.equal(raw.subarray(-14).toString('latin1', 4), 'BenWasHere');
      assert.deepStrictEqual(p.learner.closes, []);
    } finally {
      await closePair(p);
    }
  });

  it('pendingBytes shows unflushed bytes, then drops to 0 once the peer reads them', async () => {
    const p = await pair();
    try {
      const big = Buffer.alloc(64 * 1024 * 1024, 1);
      p.learner.socket.pause();
      p.leader.conn.sendRaw(big);
      assert.ok(p.leader.conn.pendingBytes > 0, `pendingBytes ${p.leader.conn.pendingBytes}`);
      let got = 0;
      p.learner.socket.removeAllListeners('data');
      p.learner.socket.on('data', (c: Buffer) => {
        got += c.length;
        announce();
      });
      p.learner.socket.resume();
      await waitFor('all raw bytes read', () => got === big.length && p.leader.conn.pendingBytes === 0);
    } finally {
      await closePair(p);
    }
  });

  it('a peer closing, and close(), each report onClose exactly once; send after close is a no-op', async () => {
    const p = await pair();
    try {
      p.leader.conn.close('leader shuts down');
      p.leader.conn.close('again');
      p.leader.conn.send(pkt(PacketType.PING, 1));
      p.leader.conn.sendRaw(Buffer.from('x'));
      // Both sockets' 'close' events have run by then, so a second onClose would show.
      await waitFor('both sockets to close', () => p.learner.closes.length > 0 && p.leader.socket.closed && p.learner.socket.closed);
      assert.deepStrictEqual(p.leader.closes, ['leader shuts down']);
      assert.equal(p.learner.closes.length, 1);
      assert.match(p.learner.closes[0]!, /closed by 127\.0\.0\.1:\d+/);
    } finally {
      await closePair(p);
    }
  });

  it('a peer closing mid-packet names the unread bytes', async () => {
    const bytes = encodeQuorumPacket(pkt(PacketType.PING, 1, Buffer.alloc(100))).subarray(0, 50);
    let side: Side | null = null;
    const server = await listenQuorum(HOST, 0, (socket) => {
      side = wrap(socket);
      announce();
    });
    const client = await connectQuorum(HOST, (server.address() as net.AddressInfo).port, WAIT_MS);
    try {
      await waitFor('the leader to accept', () => side !== null);
      client.end(bytes);
      await waitFor('the close', () => side!.closes.length > 0);
      assert.match(side!.closes[0]!, /50 bytes of an incomplete packet/);
    } finally {
      client.destroy();
      (side as Side | null)?.conn.close('test over');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  for (const [name, bound, bytes, expect] of [
    ['data length -5', MAX_BUFFER, withDataLength(-5), /malformed packet from 127\.0\.0\.1:\d+: .*data length -5/],
    ['data length over the bound', 1024, withDataLength(1025), /malformed packet .*data length 1025 out of bounds/],
  ] as const) {
    it(`a malformed packet (${name}) closes the connection with the reason, once, delivering nothing after it`, async () => {
      const good = encodeQuorumPacket(pkt(PacketType.PING, 1));
      const { side, finish } = await leaderReading(Buffer.concat([good, bytes, good]), bound);
      try {
        assert.equal(side.closes.length, 1);
        assert.match(side.closes[0]!, expect);
        assert.deepStrictEqual(side.packets, [pkt(PacketType.PING, 1)]);
      } finally {
        await finish();
      }
    });
  }

  it('a throwing onPacket closes the connection with the error as reason, once', async () => {
    const p = await pair(
      (side) => ({
        onPacket: (q) => {
          side().packets.push(q);
          announce();
          if (q.zxid === 2) throw new Error('bad state for zxid 2');
        },
      }),
    );
    try {
      const stream = Buffer.concat([1, 2, 3].map((z) => encodeQuorumPacket(pkt(PacketType.ACK, z))));
      p.learner.conn.sendRaw(stream);
      await waitFor('both sides closed', () => p.leader.closes.length > 0 && p.learner.closes.length > 0);
      assert.equal(p.leader.closes.length, 1);
      assert.match(p.leader.closes[0]!, /bad state for zxid 2/);
      assert.deepStrictEqual(p.leader.packets.map((q) => q.zxid), [1, 2]);
    } finally {
      await closePair(p);
    }
  });
});

function withDataLength(n: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeInt32BE(PacketType.PROPOSAL, 0);
  b.writeInt32BE(0, 4);
  b.writeInt32BE(3, 8);
  b.writeInt32BE(n, 12);
  b.writeInt32BE(-1, 16);
  return b;
}

// ---------------------------------------------------------------- raw mode, chunking controlled

/** Wants exactly `n` bytes, then hands back the rest. */
class ExactConsumer implements RawStreamConsumer {
  private readonly got: Buffer[] = [];
  private left: number;
  calls = 0;
  constructor(n: number) {
    this.left = n;
  }
  push(chunk: Buffer): Buffer | null {
    this.calls++;
    assert.ok(chunk.length > 0, 'consumer called with an empty chunk');
    assert.ok(this.left > 0, 'consumer called after it was done');
    if (chunk.length < this.left) {
      this.got.push(chunk);
      this.left -= chunk.length;
      return null;
    }
    this.got.push(chunk.subarray(0, this.left));
    const rest = chunk.subarray(this.left);
    this.left = 0;
    return rest;
  }
  bytes(): Buffer {
    return Buffer.concat(this.got);
  }
}

/** [packet, SNAP, raw snapshot bytes + "BenWasHere", packets…] and the offsets where its records end. */
function snapStream(seed: number): { stream: Buffer; before: QuorumPacket[]; raw: Buffer; after: QuorumPacket[]; boundaries: number[] } {
  const before = [pkt(PacketType.LEADERINFO, 0x300000000, Buffer.from([0, 1, 0, 0])), pkt(PacketType.SNAP, 0x200000011)];
  // Raw bytes that would parse as packets if they were mistaken for them.
  const raw = Buffer.concat([encodeQuorumPacket(pkt(PacketType.COMMIT, 66)), pseudoRandomBytes(97, seed), ustring('BenWasHere')]);
  const after = [
    pkt(PacketType.NEWLEADER, 0x300000000, Buffer.from('server.1=127.0.0.1:2888:3888:participant\nversion=0')),
    pkt(PacketType.UPTODATE, -1),
    pkt(PacketType.PROPOSAL, 0x300000001, Buffer.from('txn'), [{ scheme: 'ip', id: '10.0.0.1' }]),
  ];
  const parts = [...before.map(encodeQuorumPacket), raw, ...after.map(encodeQuorumPacket)];
  const boundaries: number[] = [];
  let at = 0;
  for (const part of parts) boundaries.push((at += part.length));
  // Inside the SNAP packet's fixed fields, and the raw stream's own trailer.
  const snapStart = boundaries[0]!;
  boundaries.push(snapStart + 4, snapStart + 12, snapStart + 16, boundaries[2]! - 14, boundaries[2]! - 10);
  return { stream: Buffer.concat(parts), before, raw, after, boundaries };
}

/** A QuorumConnection on an unconnected socket: the test decides every 'data' chunk. */
function fedConnection(rawLength: number): { side: Side; consumer: () => ExactConsumer | null; feed: (chunks: Iterable<Buffer>) => void } {
  const socket = new net.Socket();
  let consumer: ExactConsumer | null = null;
  const side: Side = wrap(socket, {
    onPacket: (q) => {
      side.packets.push(q);
      if (q.type === PacketType.SNAP) side.conn.readRaw((consumer = new ExactConsumer(rawLength)));
    },
  });
  return {
    side,
    consumer: () => consumer,
    feed: (chunks) => {
      for (const c of chunks) if (c.length > 0) socket.emit('data', c);
    },
  };
}

describe('QuorumConnection raw mode, every split', () => {
  const { stream, before, raw, after, boundaries } = snapStream(5);

  const check = (label: string, chunks: Iterable<Buffer>): void => {
    const { side, consumer, feed } = fedConnection(raw.length);
    try {
      feed(chunks);
      assert.deepStrictEqual(side.closes, [], label);
      assert.deepStrictEqual(side.packets, [...before, ...after], label);
      assert.deepStrictEqual(consumer()?.bytes(), raw, label);
    } finally {
      side.conn.close('test over');
    }
  };

  it('one chunk, one byte at a time, and one cut at every offset', () => {
    check('one chunk', [stream]);
    check('bytes', pieces(stream, 1));
    for (let cut = 1; cut < stream.length; cut++) check(`cut at ${cut}`, splitAt(stream, [cut]));
  });

  it('two cuts at every pair of interesting boundaries (±1)', () => {
    const points = [...new Set(boundaries.flatMap((b) => [b - 1, b, b + 1]))].filter((b) => b > 0 && b < stream.length);
    for (let i = 0; i < points.length; i++) {
      for (let j = i + 1; j < points.length; j++) check(`cuts at ${points[i]}, ${points[j]}`, splitAt(stream, [points[i]!, points[j]!]));
    }
  });

  it('a consumer that throws closes the connection with its error', () => {
    const socket = new net.Socket();
    const side: Side = wrap(socket, {
      onPacket: (q) => {
        side.packets.push(q);
        if (q.type === PacketType.SNAP) side.conn.readRaw({ push: () => { throw new Error('Missing signature'); } });
      },
    });
    try {
      socket.emit('data', stream);
      assert.equal(side.closes.length, 1);
      assert.match(side.closes[0]!, /Missing signature/);
      assert.deepStrictEqual(side.packets, before);
    } finally {
      side.conn.close('test over');
    }
  });
});

// ---------------------------------------------------------------- dialling and listening

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, HOST, () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('connectQuorum and listenQuorum', () => {
  it('connectQuorum to a port nobody listens on rejects, naming the address', async () => {
    const port = await freePort();
    await assert.rejects(connectQuorum(HOST, port, WAIT_MS), new RegExp(`quorum address 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });

  it('connectQuorum rejects after timeoutMs when the connect hangs (listener with a full accept queue)', async () => {
    // A child listens with backlog 1 and then blocks its thread, so it never accepts: once two
    // connections fill the queue, the kernel drops further SYNs and connecting hangs.
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('net').createServer();
         s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
           process.stdout.write(s.address().port + '\\n');
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
           process.exit(0);
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const fillers: net.Socket[] = [];
    try {
      const [line] = (await eventWithin(child.stdout!, 'data', 'the child to listen')) as [Buffer];
      const port = Number(line.toString().trim());
      for (let i = 0; i < 2; i++) {
        const s = net.connect({ host: HOST, port });
        s.on('error', () => undefined);
        fillers.push(s);
        await eventWithin(s, 'connect', `filler ${i} to connect`);
      }
      const started = Date.now();
      await assert.rejects(connectQuorum(HOST, port, 300), new RegExp(`quorum address 127\\.0\\.0\\.1:${port}: timed out after 300 ms`));
      assert.ok(Date.now() - started >= 290, `rejected after ${Date.now() - started} ms`);
    } finally {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    }
  });

  it('listenQuorum on a taken port rejects with the address in the message', async () => {
    const taken = await listenQuorum(HOST, 0, (s) => s.destroy());
    try {
      const port = (taken.address() as net.AddressInfo).port;
      await assert.rejects(listenQuorum(HOST, port, (s) => s.destroy()), new RegExp(`quorum address 127\\.0\\.0\\.1:${port}: the port is already in use`));
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('accepted and dialled sockets, and wrapped ones, get setNoDelay(true)', async () => {
    const calls = new Map<net.Socket, boolean[]>();
    const original = net.Socket.prototype.setNoDelay;
    net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
      calls.set(this, [...(calls.get(this) ?? []), noDelay === true]);
      return original.call(this, noDelay);
    };
    let accepted: net.Socket | null = null;
    let server: net.Server | null = null;
    let client: net.Socket | null = null;
    try {
      server = await listenQuorum(HOST, 0, (s) => {
        accepted = s;
        announce();
      });
      client = await connectQuorum(HOST, (server.address() as net.AddressInfo).port, WAIT_MS);
      await waitFor('accept', () => accepted !== null);
      assert.deepStrictEqual(calls.get(client), [true]);
      assert.deepStrictEqual(calls.get(accepted!), [true]);
      const loose = new net.Socket();
      wrap(loose).conn.close('test over');
      assert.deepStrictEqual(calls.get(loose), [true]);
    } finally {
      net.Socket.prototype.setNoDelay = original;
      client?.destroy();
      (accepted as net.Socket | null)?.destroy();
      if (server !== null) await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
  });
});
