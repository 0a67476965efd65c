// The quorum protocols' bytes (src/jute/quorum.ts) against layouts built by hand from QuorumCnxManager
// (initial header), FastLeaderElection (buildMsg, WorkerReceiver), QuorumMaj/QuorumServer.toString and
// zookeeper.jute (QuorumPacket, LearnerInfo) of Apache ZooKeeper 3.8. test/interop/quorum-bytes.test.ts
// holds the same functions to the bytes ZooKeeper's own classes produce.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JuteError } from '../../src/jute/errors.js';
import { JuteWriter } from '../../src/jute/writer.js';
import {
  decodeInitialMessage, decodeLearnerInfo, decodeNotification, decodeQuorumPacket, ELECTION_ADDRESS_MAX_BYTES,
  ELECTION_PACKET_MAX_BYTES, ELECTION_PROTOCOL_V1, ELECTION_PROTOCOL_V2, encodeInitialMessage, encodeLearnerInfo,
  encodeNotification, encodeQuorumPacket, LEARNER_PROTOCOL_VERSION, LONG_MIN, makeZxid, NOTIFICATION_VERSION,
  PacketType, PeerState, quorumConfigString, writeQuorumPacket, zxidCounter, zxidEpoch,
  type Notification, type QuorumConfigServer, type QuorumPacket,
} from '../../src/jute/quorum.js';
import { buf, cat, int, long, str, vec } from './bytes.js';

function throwsAt(fn: () => unknown, offset: number, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof JuteError, `expected JuteError, got ${String(e)}`);
    assert.equal(e.offset, offset);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** decodeNotification reports a frame ZooKeeper drops by returning (not throwing) a JuteError. */
function dropped(frame: Buffer, offset: number, message?: RegExp): void {
  const got = decodeNotification(frame);
  assert.ok(got instanceof JuteError, `expected the ${frame.length}-byte frame to be dropped, got ${JSON.stringify(got)}`);
  assert.equal(got.offset, offset);
  if (message) assert.match(got.message, message);
}

function notification(frame: Buffer): Notification {
  const got = decodeNotification(frame);
  if (got instanceof JuteError) assert.fail(`notification of ${frame.length} bytes dropped: ${got.message}`);
  return got;
}

const ascii = (s: string): Buffer => Buffer.from(s, 'utf8');
const MIN = -(2n ** 63n);

describe('election port: initial header', () => {
  it('has the 3.5+ values for the protocol constants', () => {
    assert.equal(ELECTION_PROTOCOL_V1, -65536n);
    assert.equal(ELECTION_PROTOCOL_V2, -65535n);
    assert.equal(ELECTION_ADDRESS_MAX_BYTES, 2048);
    assert.equal(ELECTION_PACKET_MAX_BYTES, 524_288);
    assert.equal(LONG_MIN, -9223372036854775808);
  });

  it('writes V1: long version, long sid, int address length, the address', () => {
    const bytes = encodeInitialMessage(3, '10.0.0.3:3888');
    assert.equal(bytes.toString('hex'), `ffffffffffff0000${'0000000000000003'}${'0000000d'}${ascii('10.0.0.3:3888').toString('hex')}`);
    assert.deepEqual(bytes, cat(long(-65536n), long(3), int(13), ascii('10.0.0.3:3888')));
    assert.deepEqual(decodeInitialMessage(bytes), { sid: 3, addresses: ['10.0.0.3:3888'], bytes: 33 });
    // IPv6 and the longest accepted address.
    const v6 = encodeInitialMessage(255, '[fe80:0:0:0:0:0:0:1]:3888');
    assert.deepEqual(v6, cat(long(-65536n), long(255), int(25), ascii('[fe80:0:0:0:0:0:0:1]:3888')));
    const longest = `${'h'.repeat(2043)}:3888`;
    assert.deepEqual(decodeInitialMessage(encodeInitialMessage(1, longest)), { sid: 1, addresses: [longest], bytes: 20 + 2048 });
  });

  it('refuses to write an empty or over-long address', () => {
    assert.throws(() => encodeInitialMessage(1, ''), RangeError);
    assert.throws(() => encodeInitialMessage(1, `${'h'.repeat(2044)}:3888`), RangeError);
    // The bound is in UTF-8 bytes, not characters.
    assert.throws(() => encodeInitialMessage(1, 'é'.repeat(1025)), RangeError);
  });

  it('reads a V2 header as a |-separated list, dropping trailing empty parts as String.split does', () => {
    const v2 = (addr: string, sid = 7): Buffer => cat(long(-65535n), long(sid), int(Buffer.byteLength(addr)), ascii(addr));
    assert.deepEqual(decodeInitialMessage(v2('a:3888|[::1]:3889|10.0.0.7:3890')),
      { sid: 7, addresses: ['a:3888', '[::1]:3889', '10.0.0.7:3890'], bytes: 20 + 31 });
    assert.deepEqual(decodeInitialMessage(v2('a:3888|')), { sid: 7, addresses: ['a:3888'], bytes: 27 });
    assert.deepEqual(decodeInitialMessage(v2('|')), { sid: 7, addresses: [], bytes: 21 });
    // Empty parts before a non-empty one stay (Java then refuses them as badly formed).
    assert.deepEqual(decodeInitialMessage(v2('|a:1')), { sid: 7, addresses: ['', 'a:1'], bytes: 24 });
    // A negative sid in a 3.5+ header is read as is.
    assert.equal(decodeInitialMessage(v2('a:1', -4))?.sid, -4);
  });

  it('reads a pre-3.5 header: one non-negative long, the sid, nothing else', () => {
    assert.deepEqual(decodeInitialMessage(long(5)), { sid: 5, addresses: [], bytes: 8 });
    assert.deepEqual(decodeInitialMessage(long(0)), { sid: 0, addresses: [], bytes: 8 });
    // What follows is frames, not part of the header.
    assert.deepEqual(decodeInitialMessage(cat(long(2), int(44))), { sid: 2, addresses: [], bytes: 8 });
    // Long.MAX_VALUE (OBSERVER_ID) does not fit a number.
    throwsAt(() => decodeInitialMessage(long(2n ** 63n - 1n)), 0, /out of range/);
  });

  it('returns null until the whole header is there, and leaves the bytes behind it alone', () => {
    const header = encodeInitialMessage(12, 'zk12.example:3888');
    const withFrame = cat(header, int(4), [1, 2, 3, 4]);
    for (let n = 0; n < header.length; n++) {
      assert.equal(decodeInitialMessage(withFrame.subarray(0, n)), null, `prefix of ${n} bytes`);
    }
    assert.deepEqual(decodeInitialMessage(withFrame), { sid: 12, addresses: ['zk12.example:3888'], bytes: header.length });
    for (let n = 0; n < 8; n++) assert.equal(decodeInitialMessage(long(9).subarray(0, n)), null);
  });

  it('refuses unknown versions and address lengths outside 1..2048 without waiting for the address', () => {
    for (const v of [-1n, -65534n, -65537n, MIN]) {
      throwsAt(() => decodeInitialMessage(cat(long(v), long(1), int(3), ascii('a:1'))), 0, /unrecognized election protocol version/);
      throwsAt(() => decodeInitialMessage(long(v)), 0);
    }
    for (const len of [0, -1, 2049, 0x7fffffff]) {
      throwsAt(() => decodeInitialMessage(cat(long(-65536n), long(1), int(len))), 16, new RegExp(`bad election address length ${len}`));
    }
    // 2048 is accepted: with the address missing the decoder waits.
    assert.equal(decodeInitialMessage(cat(long(-65536n), long(1), int(2048))), null);
  });
});

describe('FLE notifications', () => {
  const config = 'server.1=10.0.0.1:2888:3888:participant\nserver.2=10.0.0.2:2888:3888:participant\nversion=0';
  const vote: Notification = {
    state: PeerState.LOOKING, leader: 2, zxid: 0x300000007, electionEpoch: 5, peerEpoch: 3, version: 2, config,
  };
  const head = (state: number, leader: bigint | number, zxid: bigint | number, ee: bigint | number): Buffer =>
    cat(int(state), long(leader), long(zxid), long(ee));

  it('writes 44 + config bytes: state, leader, zxid, electionEpoch, peerEpoch, version 2, config length, config', () => {
    const bytes = encodeNotification(vote);
    const cfg = ascii(config);
    assert.equal(NOTIFICATION_VERSION, 2);
    assert.equal(bytes.length, 44 + cfg.length);
    assert.deepEqual(bytes, cat(head(0, 2, 0x300000007, 5), long(3), int(2), int(cfg.length), cfg));
    assert.deepEqual(notification(bytes), vote);
    // The state ordinals of QuorumPeer.ServerState.
    assert.deepEqual([PeerState.LOOKING, PeerState.FOLLOWING, PeerState.LEADING, PeerState.OBSERVING], [0, 1, 2, 3]);
    for (const state of [1, 2, 3]) {
      const n = { ...vote, state, zxid: -1, electionEpoch: 0x7fffffff, peerEpoch: 0 };
      const b = encodeNotification(n);
      assert.equal(b.readInt32BE(0), state);
      assert.deepEqual(notification(b), n);
    }
  });

  it('writes a null config as an empty one (version 2, length 0), which reads back as ""', () => {
    const bytes = encodeNotification({ ...vote, config: null });
    assert.deepEqual(bytes, cat(head(0, 2, 0x300000007, 5), long(3), int(2), int(0)));
    assert.deepEqual(notification(bytes), { ...vote, config: '' });
    // A non-ASCII config is written as UTF-8, its length in bytes.
    const utf = encodeNotification({ ...vote, config: 'ü' });
    assert.deepEqual(utf.subarray(40), cat(int(2), [0xc3, 0xbc]));
    assert.equal(notification(utf).config, 'ü');
  });

  it('reads the 28-byte layout: peerEpoch is zxid >> 32 (arithmetic), version 0, no config', () => {
    assert.deepEqual(notification(head(1, 4, 0x500000007, 9)),
      { state: PeerState.FOLLOWING, leader: 4, zxid: 0x500000007, electionEpoch: 9, peerEpoch: 5, version: 0, config: null });
    assert.equal(notification(head(0, 4, -1, 9)).peerEpoch, -1);
    assert.equal(notification(head(0, 4, 0xffffffff, 9)).peerEpoch, 0);
    // ZxidUtils.getEpochFromZxid(Long.MIN_VALUE) is -2^31, not Long.MIN_VALUE.
    const observer = notification(head(0, MIN, MIN, 9));
    assert.equal(observer.zxid, LONG_MIN);
    assert.equal(observer.peerEpoch, -(2 ** 31));
  });

  it('reads the 40-byte layout with peerEpoch but without looking at its version int', () => {
    const expected = { state: PeerState.LEADING, leader: 4, zxid: 0x500000007, electionEpoch: 9, peerEpoch: 6, version: 0, config: null };
    assert.deepEqual(notification(cat(head(2, 4, 0x500000007, 9), long(6), int(1))), expected);
    assert.deepEqual(notification(cat(head(2, 4, 0x500000007, 9), long(6), int(2))), expected);
  });

  it('drops frames ZooKeeper drops: shorter than 28, 29..39 and 41..43 bytes, configs that overrun', () => {
    const full = encodeNotification({ ...vote, config: 'abc' });
    for (let n = 0; n < full.length; n++) {
      if (n === 28 || n === 40) continue;
      const frame = full.subarray(0, n);
      const got = decodeNotification(frame);
      assert.ok(got instanceof JuteError, `${n} bytes read as ${JSON.stringify(got)}`);
    }
    dropped(full.subarray(0, 27), 0, /shorter than 28/);
    dropped(full.subarray(0, 36), 36, /truncated int/);
    dropped(full.subarray(0, 30), 28, /truncated long/);
    dropped(full.subarray(0, 46), 40, /overruns/);
    assert.equal(notification(full).config, 'abc');
  });

  it('drops a negative config length or one beyond the frame, reads none for version 1 or less', () => {
    const body = cat(head(0, 1, 1, 1), long(0));
    dropped(cat(body, int(2), int(-1)), 40, /bad notification config length -1/);
    dropped(cat(body, int(2), int(49), Buffer.alloc(1)), 40, /bad notification config length 49/);
    // 48 <= capacity, yet more than the 4 bytes there: BufferUnderflowException in Java.
    dropped(cat(body, int(2), int(48), Buffer.alloc(4)), 40, /overruns/);
    // Version 1 (or 0, or negative) has no config; anything behind it is ignored.
    assert.deepEqual(notification(cat(body, int(1), int(-1), [9, 9])),
      { state: 0, leader: 1, zxid: 1, electionEpoch: 1, peerEpoch: 0, version: 1, config: null });
    assert.equal(notification(cat(body, int(-3), int(-1))).version, -3);
    // A version above 2 still carries a config.
    assert.equal(notification(cat(body, int(3), int(2), ascii('xy'))).config, 'xy');
  });

  it('drops a state ordinal outside 0..3 in every layout', () => {
    for (const state of [-1, 4, 0x7fffffff]) {
      dropped(head(state, 1, 1, 1), 0, new RegExp(`unknown peer state ${state}`));
      dropped(cat(head(state, 1, 1, 1), long(0), int(1)), 0, /unknown peer state/);
      const frame = encodeNotification(vote);
      frame.writeInt32BE(state, 0);
      dropped(frame, 0, /unknown peer state/);
    }
  });

  it('reads and writes an observer\'s Long.MIN_VALUE leader, zxid and peerEpoch as -(2**63)', () => {
    const frame = cat(head(3, MIN, MIN, 4), long(MIN), int(2), int(3), ascii('v=0'));
    const n = notification(frame);
    assert.deepEqual(n, { state: PeerState.OBSERVING, leader: -(2 ** 63), zxid: -(2 ** 63), electionEpoch: 4, peerEpoch: -(2 ** 63), version: 2, config: 'v=0' });
    assert.deepEqual(encodeNotification(n), frame);
    // Other longs beyond 2^53 do not fit a number: the frame is reported as malformed.
    dropped(cat(head(0, 2n ** 60n, 1, 1), long(0), int(1)), 4, /out of safe range/);
    dropped(cat(head(0, 1, 1, MIN), long(0), int(1)), 20, /out of safe range/);
  });
});

describe('quorumConfigString (QuorumMaj.toString)', () => {
  const participant = (sid: number, host = `10.0.0.${sid}`): QuorumConfigServer =>
    ({ sid, host, quorumPort: 2888, electionPort: 3888, role: 'participant' });

  it('one server.N line per server, then version=<hex>, no newline at the end', () => {
    const text = quorumConfigString([participant(3), participant(1), participant(2)], 0);
    assert.equal(text, [
      'server.1=10.0.0.1:2888:3888:participant',
      'server.2=10.0.0.2:2888:3888:participant',
      'server.3=10.0.0.3:2888:3888:participant',
      'version=0',
    ].join('\n'));
    assert.equal(quorumConfigString([participant(1)], 0x100000000), 'server.1=10.0.0.1:2888:3888:participant\nversion=100000000');
    assert.equal(quorumConfigString([], 0xabc), 'version=abc');
  });

  it('observers, a ;host:port client part, ports and names as configured', () => {
    const servers: QuorumConfigServer[] = [
      { sid: 1, host: 'zk1.example', quorumPort: 2888, electionPort: 3888, role: 'participant', client: { host: '0.0.0.0', port: 2181 } },
      { sid: 2, host: 'localhost', quorumPort: 2889, electionPort: 3889, role: 'participant', client: { host: 'zk2.example', port: 2182 } },
      { sid: 4, host: 'zk4.example', quorumPort: 12888, electionPort: 13888, role: 'observer' },
    ];
    assert.equal(quorumConfigString(servers, 0x200000000), [
      'server.1=zk1.example:2888:3888:participant;0.0.0.0:2181',
      'server.2=localhost:2889:3889:participant;zk2.example:2182',
      'server.4=zk4.example:12888:13888:observer',
      'version=200000000',
    ].join('\n'));
  });

  it('writes IPv6 literals in brackets, in the text form Java\'s Inet6Address gives them', () => {
    const line = (host: string, clientHost = host): string => quorumConfigString(
      [{ sid: 1, host, quorumPort: 2888, electionPort: 3888, role: 'participant', client: { host: clientHost, port: 2181 } }], 0,
    ).split('\n')[0];
    assert.equal(line('::1'), 'server.1=[0:0:0:0:0:0:0:1]:2888:3888:participant;[0:0:0:0:0:0:0:1]:2181');
    assert.equal(line('2001:DB8::8:800:200C:417A', '10.0.0.9'),
      'server.1=[2001:db8:0:0:8:800:200c:417a]:2888:3888:participant;10.0.0.9:2181');
    assert.equal(line('0001:0002::0003'), 'server.1=[1:2:0:0:0:0:0:3]:2888:3888:participant;[1:2:0:0:0:0:0:3]:2181');
    assert.equal(line('::'), 'server.1=[0:0:0:0:0:0:0:0]:2888:3888:participant;[0:0:0:0:0:0:0:0]:2181');
    assert.equal(line('1::'), 'server.1=[1:0:0:0:0:0:0:0]:2888:3888:participant;[1:0:0:0:0:0:0:0]:2181');
    // IPv4-compatible stays IPv6; IPv4-mapped becomes the IPv4 address, without brackets.
    assert.equal(line('::10.0.0.1'), 'server.1=[0:0:0:0:0:0:a00:1]:2888:3888:participant;[0:0:0:0:0:0:a00:1]:2181');
    assert.equal(line('::ffff:10.0.0.1'), 'server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181');
    // A numeric scope is kept; a scope by interface name leaves the text as given.
    assert.equal(line('fe80::1%1'), 'server.1=[fe80:0:0:0:0:0:0:1%1]:2888:3888:participant;[fe80:0:0:0:0:0:0:1%1]:2181');
    assert.equal(line('fe80::1%nosuch0'), 'server.1=[fe80::1%nosuch0]:2888:3888:participant;[fe80::1%nosuch0]:2181');
  });

  it('orders servers as QuorumMaj\'s HashMap<Long, …> iterates: by bucket, not by sid', () => {
    const sids = (text: string): number[] => [...text.matchAll(/^server\.(\d+)=/gm)].map((m) => Number(m[1]));
    // 16 buckets: 20 lands in 4, 10 in 10, 30 in 14.
    assert.deepEqual(sids(quorumConfigString([10, 20, 30].map((s) => participant(s, 'h')), 0)), [20, 10, 30]);
    assert.deepEqual(sids(quorumConfigString([1, 2, 3, 15].map((s) => participant(s, 'h')), 0)), [1, 2, 3, 15]);
    assert.deepEqual(sids(quorumConfigString([200, 100, 7].map((s) => participant(s, 'h')), 0)), [100, 7, 200]);
    // 12 servers still fit 16 buckets (threshold 12); the 13th doubles the table to 32.
    const twelve = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 20];
    assert.deepEqual(sids(quorumConfigString(twelve.map((s) => participant(s, 'h')), 0)), [1, 2, 3, 20, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(sids(quorumConfigString([...twelve, 13].map((s) => participant(s, 'h')), 0)),
      [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20]);
    // Sids sharing a bucket (1 and 17) follow Java's insertion order, unknown here: ascending.
    assert.deepEqual(sids(quorumConfigString([17, 2, 1].map((s) => participant(s, 'h')), 0)), [1, 17, 2]);
  });
});

describe('QuorumPacket', () => {
  const MAX = 1024;
  const decodeAll = (bytes: Buffer, offset = 0): { packet: QuorumPacket; next: number } | null => decodeQuorumPacket(bytes, offset, MAX);

  it('has Leader.java\'s packet type numbers', () => {
    assert.deepEqual(
      [PacketType.REQUEST, PacketType.PROPOSAL, PacketType.ACK, PacketType.COMMIT, PacketType.PING, PacketType.REVALIDATE,
        PacketType.SYNC, PacketType.INFORM, PacketType.COMMITANDACTIVATE, PacketType.NEWLEADER, PacketType.FOLLOWERINFO,
        PacketType.UPTODATE, PacketType.DIFF, PacketType.TRUNC, PacketType.SNAP, PacketType.OBSERVERINFO,
        PacketType.LEADERINFO, PacketType.ACKEPOCH, PacketType.INFORMANDACTIVATE],
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  const cases: Array<[string, QuorumPacket, Buffer]> = [
    ['null data, null authinfo (COMMIT)', { type: 4, zxid: 0x100000003, data: null, authinfo: null },
      cat(int(4), long(0x100000003), int(-1), int(-1))],
    ['empty data, empty authinfo', { type: 5, zxid: 0x100000000, data: Buffer.alloc(0), authinfo: [] },
      cat(int(5), long(0x100000000), int(0), int(0))],
    ['UPTODATE with zxid -1', { type: 12, zxid: -1, data: null, authinfo: null }, cat(int(12), long(-1), int(-1), int(-1))],
    ['LEADERINFO with int 0x10000', { type: 17, zxid: 0x200000000, data: int(0x10000), authinfo: null },
      cat(int(17), long(0x200000000), int(4), int(0x10000), int(-1))],
    ['REQUEST with the client\'s authinfo', {
      type: 1, zxid: -1, data: cat(long(0x0100000000000001n), int(7), int(1)),
      authinfo: [{ scheme: 'digest', id: 'bob:x' }, { scheme: 'ip', id: '127.0.0.1' }, { scheme: 'sasl', id: 'ü' }],
    }, cat(int(1), long(-1), buf(cat(long(0x0100000000000001n), int(7), int(1))),
      vec([cat(str('digest'), str('bob:x')), cat(str('ip'), str('127.0.0.1')), cat(str('sasl'), str('ü'))]))],
  ];

  for (const [name, packet, bytes] of cases) {
    it(`${name}: hand-built bytes both ways`, () => {
      assert.deepEqual(encodeQuorumPacket(packet), bytes);
      assert.deepEqual(decodeAll(bytes), { packet, next: bytes.length });
      // At an offset, with another packet's start behind it.
      const framed = cat([0xee, 0xee, 0xee], bytes, int(3));
      assert.deepEqual(decodeAll(framed, 3), { packet, next: 3 + bytes.length });
    });

    it(`${name}: null for every truncation point`, () => {
      for (let n = 0; n < bytes.length; n++) {
        assert.equal(decodeAll(bytes.subarray(0, n)), null, `prefix of ${n} bytes`);
        assert.equal(decodeAll(cat([1, 2], bytes.subarray(0, n)), 2), null, `prefix of ${n} bytes at offset 2`);
      }
    });
  }

  it('writeQuorumPacket appends to a writer; decoding walks packet by packet', () => {
    const w = new JuteWriter(4);
    writeQuorumPacket(w, cases[0][1]);
    writeQuorumPacket(w, cases[4][1]);
    const bytes = w.toBuffer();
    assert.deepEqual(bytes, cat(cases[0][2], cases[4][2]));
    const first = decodeAll(bytes);
    assert.ok(first);
    assert.equal(first.next, cases[0][2].length);
    assert.deepEqual(decodeAll(bytes, first.next), { packet: cases[4][1], next: bytes.length });
  });

  it('gives data as a copy', () => {
    const bytes = encodeQuorumPacket({ type: 2, zxid: 1, data: ascii('txn'), authinfo: null });
    const got = decodeAll(bytes);
    bytes.fill(0);
    assert.deepEqual(got?.packet.data, ascii('txn'));
  });

  it('accepts lengths up to the bound and refuses longer or negative ones other than -1, before the bytes arrive', () => {
    const headOf = (type: number): Buffer => cat(int(type), long(1));
    assert.equal(decodeAll(cat(headOf(2), int(MAX))), null);
    assert.deepEqual(decodeAll(cat(headOf(2), int(MAX), Buffer.alloc(MAX), int(-1)))?.packet.data, Buffer.alloc(MAX));
    throwsAt(() => decodeAll(cat(headOf(2), int(MAX + 1))), 12, /data length 1025 out of bounds/);
    throwsAt(() => decodeAll(cat(headOf(2), int(-2))), 12, /data length -2 out of bounds/);
    throwsAt(() => decodeAll(cat(headOf(2), int(0x80000000 | 0))), 12, /out of bounds/);
    throwsAt(() => decodeAll(cat([9], headOf(2), int(-7)), 1), 13, /out of bounds/);
    throwsAt(() => decodeAll(cat(headOf(1), int(-1), int(-2))), 16, /authinfo count -2/);
    throwsAt(() => decodeAll(cat(headOf(1), int(-1), int(MAX + 1))), 16, /authinfo count/);
    throwsAt(() => decodeAll(cat(headOf(1), int(-1), int(1), int(-2))), 20, /authinfo string length -2/);
    throwsAt(() => decodeAll(cat(headOf(1), int(-1), int(1), str('ip'), int(MAX + 1))), 26, /authinfo string length 1025/);
    // jute.maxbuffer semantics: the same packet passes a larger bound.
    assert.ok(decodeQuorumPacket(cat(headOf(2), int(MAX + 1), Buffer.alloc(MAX + 1), int(-1)), 0, MAX + 1));
  });
});

describe('LearnerInfo', () => {
  it('writes serverid, protocolVersion, configVersion: 20 bytes', () => {
    const info = { serverId: 3, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0x100000000 };
    assert.equal(LEARNER_PROTOCOL_VERSION, 0x10000);
    const bytes = encodeLearnerInfo(info);
    assert.deepEqual(bytes, cat(long(3), int(0x10000), long(0x100000000)));
    assert.equal(bytes.length, 20);
    assert.deepEqual(decodeLearnerInfo(bytes), info);
  });

  it('reads by length as LearnerHandler does: 8 bytes sid, 12 adds the version (else 0x1), 20 the config version', () => {
    const full = cat(long(7), int(0x10000), long(5));
    assert.deepEqual(decodeLearnerInfo(full.subarray(0, 8)), { serverId: 7, protocolVersion: 0x1, configVersion: 0 });
    assert.deepEqual(decodeLearnerInfo(full.subarray(0, 11)), { serverId: 7, protocolVersion: 0x1, configVersion: 0 });
    assert.deepEqual(decodeLearnerInfo(full.subarray(0, 12)), { serverId: 7, protocolVersion: 0x10000, configVersion: 0 });
    assert.deepEqual(decodeLearnerInfo(full.subarray(0, 19)), { serverId: 7, protocolVersion: 0x10000, configVersion: 0 });
    assert.deepEqual(decodeLearnerInfo(full), { serverId: 7, protocolVersion: 0x10000, configVersion: 5 });
    // Bytes behind the 20 are not read.
    assert.deepEqual(decodeLearnerInfo(cat(full, [1, 2, 3])), { serverId: 7, protocolVersion: 0x10000, configVersion: 5 });
    throwsAt(() => decodeLearnerInfo(full.subarray(0, 7)), 0, /truncated long/);
  });
});

describe('zxid arithmetic', () => {
  it('splits a zxid into epoch (high 32 bits) and counter (low 32 bits)', () => {
    assert.equal(makeZxid(5, 7), 0x500000007);
    assert.equal(zxidEpoch(0x500000007), 5);
    assert.equal(zxidCounter(0x500000007), 7);
    assert.equal(makeZxid(0x1fffff, 0xffffffff), Number.MAX_SAFE_INTEGER);
    assert.equal(zxidEpoch(Number.MAX_SAFE_INTEGER), 0x1fffff);
    assert.equal(zxidCounter(Number.MAX_SAFE_INTEGER), 0xffffffff);
    assert.equal(zxidEpoch(0xffffffff), 0);
    assert.equal(zxidCounter(0x100000000), 0);
    // The bytes agree with the long layout: the epoch is the first int, the counter the second.
    const b = long(makeZxid(0x1234, 0xabcdef01));
    assert.equal(b.readUInt32BE(0), 0x1234);
    assert.equal(b.readUInt32BE(4), 0xabcdef01);
  });
});
