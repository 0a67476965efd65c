// Interop stage for the quorum protocols' bytes: QuorumBytes.java has Apache ZooKeeper 3.8's own classes
// write and parse them (QuorumPacket and LearnerInfo through jute's archives, QuorumMaj.toString,
// FastLeaderElection.buildMsg, QuorumCnxManager.InitialMessage.parse), and src/jute/quorum.ts must
// write the same bytes and read Java's back to the same values. One JVM answers every question.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { JuteError } from '../../src/jute/errors.js';
import {
  decodeInitialMessage, decodeLearnerInfo, decodeNotification, decodeQuorumPacket, encodeInitialMessage,
  encodeLearnerInfo, encodeNotification, encodeQuorumPacket, LEARNER_PROTOCOL_VERSION, LONG_MIN, PeerState,
  quorumConfigString, type LearnerInfo, type Notification, type QuorumConfigServer, type QuorumPacket,
} from '../../src/jute/quorum.js';
import { assertZooKeeperInstalled, FAST_JVM_FLAGS, JAVA, javaMissingReason, SLF4J_NOP_JAR, ZK_JAR } from './apache-zk.js';
import { compileDriver } from './java-driver.js';
import { runProcess } from './run-process.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `quorum byte interop skipped: ${javaMissing}`;

/** BinaryInputArchive's default bound on a buffer: jute.maxbuffer (0xfffff) plus its extrasize (the same). */
const JAVA_MAX_BUFFER = 0xfffff + 0xfffff;

const hex = (b: Buffer | null): string => b === null ? '-' : b.toString('hex');
const unhex = (s: string): Buffer | null => s === '-' ? null : Buffer.from(s, 'hex');
const utf8 = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const authField = (ids: QuorumPacket['authinfo']): string =>
  ids === null ? '-' : ids.map((id) => `${utf8(id.scheme)}/${utf8(id.id)}`).join(',');
const bigLong = (v: number): string => v === LONG_MIN ? '-9223372036854775808' : String(v);

// ---------------------------------------------------------------- cases

const packets: QuorumPacket[] = [
  { type: 5, zxid: 0x100000001, data: null, authinfo: null },
  { type: 4, zxid: 0x100000003, data: null, authinfo: null },
  { type: 12, zxid: -1, data: null, authinfo: null },
  { type: 5, zxid: 0x100000000, data: Buffer.alloc(0), authinfo: [] },
  { type: 17, zxid: 0x200000000, data: Buffer.from([0, 1, 0, 0]), authinfo: null },
  { type: 11, zxid: 0x500000000, data: encodeLearnerInfo({ serverId: 3, protocolVersion: 0x10000, configVersion: 0 }), authinfo: null },
  {
    type: 1, zxid: -1, data: Buffer.from('0100000000000001000000070000000100000003', 'hex'),
    authinfo: [{ scheme: 'digest', id: 'bob:x' }, { scheme: 'ip', id: '127.0.0.1' }, { scheme: 'sasl', id: 'ü' }],
  },
  { type: 2, zxid: 0x300000001, data: Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)), authinfo: null },
];

const learnerInfos: LearnerInfo[] = [
  { serverId: 3, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0 },
  { serverId: 255, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0x100000000 },
  { serverId: 1, protocolVersion: 0x1, configVersion: -1 },
];

interface ConfigCase {
  name: string;
  /** The server list as zoo.cfg (or a dynamic config file) writes it, for Properties.load. */
  cfg: string;
  servers: QuorumConfigServer[];
  version: number;
}

const p = (sid: number, host: string, quorumPort = 2888, electionPort = 3888): QuorumConfigServer =>
  ({ sid, host, quorumPort, electionPort, role: 'participant' });
const cfgLines = (sids: number[]): string => sids.map((s) => `server.${s}=10.0.${s >> 8}.${s & 0xff}:2888:3888`).join('\n');
const ipOf = (s: number): string => `10.0.${s >> 8}.${s & 0xff}`;
const twelve = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 20];

const configs: ConfigCase[] = [
  {
    name: 'three participants, no version line',
    cfg: 'server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888',
    servers: [p(1, '10.0.0.1'), p(2, '10.0.0.2'), p(3, '10.0.0.3')],
    version: 0,
  },
  {
    name: 'sids 10, 20, 30 in HashMap order, a hex version',
    cfg: `${cfgLines([30, 10, 20])}\nversion=100000000`,
    servers: [10, 20, 30].map((s) => p(s, ipOf(s))),
    version: 0x100000000,
  },
  {
    name: 'sids 200, 100, 7',
    cfg: `${cfgLines([7, 100, 200])}\nversion=3`,
    servers: [7, 100, 200].map((s) => p(s, ipOf(s))),
    version: 3,
  },
  {
    name: 'twelve servers in 16 buckets',
    cfg: `${cfgLines(twelve)}\nversion=0`,
    servers: twelve.map((s) => p(s, ipOf(s))),
    version: 0,
  },
  {
    name: 'thirteen servers in 32 buckets',
    cfg: `${cfgLines([...twelve, 13])}\nversion=0`,
    servers: [...twelve, 13].map((s) => p(s, ipOf(s))),
    version: 0,
  },
  {
    name: 'roles, client parts with and without a host, a name',
    cfg: [
      'server.1=localhost:2888:3888:participant;2181',
      'server.2=127.0.0.2:2889:3889;127.0.0.2:2182',
      'server.3=127.0.0.3:2890:3890:participant',
      'server.4=127.0.0.4:12888:13888:observer',
      'version=a00000001',
    ].join('\n'),
    servers: [
      { ...p(1, 'localhost'), client: { host: '0.0.0.0', port: 2181 } },
      { ...p(2, '127.0.0.2', 2889, 3889), client: { host: '127.0.0.2', port: 2182 } },
      p(3, '127.0.0.3', 2890, 3890),
      { sid: 4, host: '127.0.0.4', quorumPort: 12888, electionPort: 13888, role: 'observer' },
    ],
    version: 0xa00000001,
  },
  {
    name: 'IPv6 literals',
    cfg: [
      'server.1=[::1]:2888:3888:participant;[::1]:2181',
      'server.2=[2001:DB8::8:800:200C:417A]:2888:3888;[0001:0002::0003]:2182',
      'server.3=[::ffff:10.0.0.3]:2888:3888',
      'server.5=[fe80::1%1]:2888:3888:observer',
      'version=0',
    ].join('\n'),
    servers: [
      { ...p(1, '::1'), client: { host: '::1', port: 2181 } },
      { ...p(2, '2001:DB8::8:800:200C:417A'), client: { host: '0001:0002::0003', port: 2182 } },
      p(3, '::ffff:10.0.0.3'),
      { sid: 5, host: 'fe80::1%1', quorumPort: 2888, electionPort: 3888, role: 'observer' },
    ],
    version: 0,
  },
];

const threeConfig = quorumConfigString(configs[0].servers, 0);
const notifications: Notification[] = [
  { state: PeerState.LOOKING, leader: 3, zxid: 0x300000007, electionEpoch: 5, peerEpoch: 3, version: 2, config: threeConfig },
  { state: PeerState.FOLLOWING, leader: 2, zxid: -1, electionEpoch: 1, peerEpoch: 0, version: 2, config: 'version=0' },
  { state: PeerState.LEADING, leader: 1, zxid: 0x1ffffe00000001, electionEpoch: 0x7fffffff, peerEpoch: 0x1ffffe, version: 2, config: '' },
  { state: PeerState.OBSERVING, leader: LONG_MIN, zxid: LONG_MIN, electionEpoch: 4, peerEpoch: LONG_MIN, version: 2, config: 'server.1=ü' },
];

const notificationCommand = (n: Notification): string =>
  ['notification', n.state, bigLong(n.leader), bigLong(n.zxid), n.electionEpoch, bigLong(n.peerEpoch), utf8(n.config ?? '')].join('\t');
const notification40Command = (n: Notification): string =>
  ['notification40', n.state, bigLong(n.leader), bigLong(n.zxid), n.electionEpoch, bigLong(n.peerEpoch)].join('\t');

const headers: Array<{ sid: number; host: string; port: number; java: string[] }> = [
  { sid: 3, host: '10.0.0.3', port: 3888, java: ['10.0.0.3:3888'] },
  // NetUtils.formatInetAddr writes a resolved name's IP address up to 3.8.1 (Debian's jar is 3.8.0) and
  // the name itself from 3.8.2 on (ZOOKEEPER-3860).
  { sid: 255, host: 'localhost', port: 3889, java: ['127.0.0.1:3889', 'localhost:3889'] },
  // An IPv6 literal comes out the way Inet6Address prints it, not as written.
  { sid: 7, host: '::1', port: 3888, java: ['[0:0:0:0:0:0:0:1]:3888'] },
  { sid: 8, host: 'fe80::a:1', port: 13888, java: ['[fe80:0:0:0:0:0:a:1]:13888'] },
];

const header = (version: bigint, sid: bigint | number, addr: string, len = Buffer.byteLength(addr)): Buffer => {
  const b = Buffer.alloc(20);
  b.writeBigInt64BE(version, 0);
  b.writeBigInt64BE(BigInt(sid), 8);
  b.writeInt32BE(len, 16);
  return Buffer.concat([b, Buffer.from(addr, 'utf8')]);
};
const legacy = (sid: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(sid); return b; };
const parsedHeaders: Array<{ name: string; bytes: Buffer; sid: number; addresses: string[] }> = [
  { name: 'V1 from encodeInitialMessage', bytes: encodeInitialMessage(3, '10.0.0.3:3888'), sid: 3, addresses: ['10.0.0.3:3888'] },
  { name: 'V1, a name', bytes: encodeInitialMessage(12, 'localhost:3888'), sid: 12, addresses: ['localhost:3888'] },
  { name: 'V1, a negative sid', bytes: encodeInitialMessage(-4, '10.0.0.4:3888'), sid: -4, addresses: ['10.0.0.4:3888'] },
  { name: 'V2, two addresses', bytes: header(-65535n, 5, '10.0.0.5:3888|10.0.1.5:3888'), sid: 5, addresses: ['10.0.0.5:3888', '10.0.1.5:3888'] },
  { name: 'V2, a trailing |', bytes: header(-65535n, 5, '10.0.0.5:3888|'), sid: 5, addresses: ['10.0.0.5:3888'] },
  { name: 'V2, IPv6 in brackets', bytes: header(-65535n, 6, '[0:0:0:0:0:0:0:1]:3888|10.0.0.6:3888'), sid: 6,
    addresses: ['[0:0:0:0:0:0:0:1]:3888', '10.0.0.6:3888'] },
  { name: 'pre-3.5: just the sid', bytes: legacy(9n), sid: 9, addresses: [] },
];
const refusedHeaders: Array<{ name: string; bytes: Buffer }> = [
  { name: 'unknown version', bytes: header(-65534n, 1, '10.0.0.1:3888') },
  { name: 'version -1', bytes: header(-1n, 1, '10.0.0.1:3888') },
  { name: 'address length 0', bytes: header(-65536n, 1, '', 0) },
  { name: 'address length -1', bytes: header(-65536n, 1, '', -1) },
  { name: 'address length 2049', bytes: header(-65536n, 1, 'x'.repeat(2049)) },
];

/** A QuorumPacket head (type, zxid) and a data length, the data itself optional. */
const packetWithDataLength = (len: number, data: Buffer = Buffer.alloc(0)): Buffer => {
  const b = Buffer.alloc(16);
  b.writeInt32BE(2, 0);
  b.writeBigInt64BE(1n, 4);
  b.writeInt32BE(len, 12);
  return Buffer.concat([b, data, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
};
const atBound = packetWithDataLength(JAVA_MAX_BUFFER, Buffer.alloc(JAVA_MAX_BUFFER, 0x5a));
const overBound = packetWithDataLength(JAVA_MAX_BUFFER + 1);
const negativeLength = packetWithDataLength(-2);

const commands: string[] = [
  ...packets.map((q) => ['packet', q.type, q.zxid, hex(q.data), authField(q.authinfo)].join('\t')),
  ...packets.map((q) => `parsepacket\t${hex(encodeQuorumPacket(q))}`),
  `parsepacket\t${hex(atBound)}`,
  `parsepacket\t${hex(overBound)}`,
  `parsepacket\t${hex(negativeLength)}`,
  ...learnerInfos.map((l) => ['learnerinfo', l.serverId, l.protocolVersion, l.configVersion].join('\t')),
  ...learnerInfos.map((l) => `parselearnerinfo\t${hex(encodeLearnerInfo(l))}`),
  ...configs.map((c) => `quorummaj\t${utf8(c.cfg)}`),
  ...configs.map((c) => `dynamicconfig\t${utf8(quorumConfigString(c.servers, c.version))}`),
  ...notifications.map(notificationCommand),
  ...notifications.map(notification40Command),
  ...headers.map((h) => ['header', h.sid, h.host, h.port].join('\t')),
  ...parsedHeaders.map((h) => `parseheader\t${hex(h.bytes)}`),
  ...refusedHeaders.map((h) => `parseheader\t${hex(h.bytes)}`),
];

// ---------------------------------------------------------------- the oracle

const answers = new Map<string, string>();

async function askJava(): Promise<void> {
  const classesDir = await compileDriver();
  const result = await runProcess(JAVA, [
    ...FAST_JVM_FLAGS, '-cp', [classesDir, ZK_JAR, SLF4J_NOP_JAR].join(':'), 'QuorumBytes',
  ], { stdin: `${commands.join('\n')}\n`, timeoutMs: 60_000 });
  assert.equal(result.code, 0, `QuorumBytes failed (exit ${result.code ?? result.signal}):\n${result.stderr}`);
  const lines = result.stdout.split('\n');
  assert.equal(lines.pop(), '', 'QuorumBytes ends its output with a newline');
  assert.equal(lines.length, commands.length, `one answer per command:\n${result.stdout.slice(0, 2000)}\n${result.stderr}`);
  commands.forEach((c, i) => answers.set(c, lines[i]));
}

/** Java's answer fields to a command it must have carried out. */
function java(command: string): string[] {
  const line = answers.get(command);
  assert.ok(line !== undefined, `no answer for ${command.slice(0, 80)}`);
  const [status, ...fields] = line.split('\t');
  assert.equal(status, 'ok', `Java refused ${command.slice(0, 80)}: ${line}`);
  return fields;
}

/** Java's message for a command it must have refused. */
function javaRefusal(command: string): string {
  const line = answers.get(command);
  assert.ok(line !== undefined, `no answer for ${command.slice(0, 80)}`);
  assert.match(line, /^error /, `Java accepted ${command.slice(0, 80)}: ${line.slice(0, 200)}`);
  return line;
}

function decodedNotification(frame: Buffer): Notification {
  const got = decodeNotification(frame);
  if (got instanceof JuteError) assert.fail(`Java's ${frame.length}-byte notification dropped: ${got.message}`);
  return got;
}

// ---------------------------------------------------------------- tests

describe('quorum protocol bytes against Apache ZooKeeper 3.8\'s own classes', { skip }, () => {
  before(async () => {
    assertZooKeeperInstalled();
    await askJava();
  });

  it('QuorumPacket: BinaryOutputArchive writes our bytes; we read its bytes back; it reads ours', () => {
    for (const q of packets) {
      const ours = encodeQuorumPacket(q);
      const [javaHex] = java(['packet', q.type, q.zxid, hex(q.data), authField(q.authinfo)].join('\t'));
      assert.equal(ours.toString('hex'), javaHex, `packet type ${q.type}`);
      const javaBytes = Buffer.from(javaHex, 'hex');
      assert.deepEqual(decodeQuorumPacket(javaBytes, 0, JAVA_MAX_BUFFER), { packet: q, next: javaBytes.length });
      for (let n = 0; n < javaBytes.length; n++) assert.equal(decodeQuorumPacket(javaBytes.subarray(0, n), 0, JAVA_MAX_BUFFER), null);
      const [type, zxid, data, auth, unread] = java(`parsepacket\t${hex(ours)}`);
      assert.deepEqual([Number(type), Number(zxid), unhex(data), auth, unread], [q.type, q.zxid, q.data, authField(q.authinfo), '0']);
    }
  });

  it('QuorumPacket data lengths: the learner\'s default bound is inclusive, beyond it or negative is refused by both', () => {
    const [, , data, , unread] = java(`parsepacket\t${hex(atBound)}`);
    assert.equal(data.length, 2 * JAVA_MAX_BUFFER);
    assert.equal(unread, '0');
    assert.deepEqual(decodeQuorumPacket(atBound, 0, JAVA_MAX_BUFFER)?.packet.data, Buffer.alloc(JAVA_MAX_BUFFER, 0x5a));
    assert.match(javaRefusal(`parsepacket\t${hex(overBound)}`), /Unreasonable length = 2097151/);
    assert.throws(() => decodeQuorumPacket(overBound, 0, JAVA_MAX_BUFFER), JuteError);
    assert.match(javaRefusal(`parsepacket\t${hex(negativeLength)}`), /Unreasonable length = -2/);
    assert.throws(() => decodeQuorumPacket(negativeLength, 0, JAVA_MAX_BUFFER), JuteError);
  });

  it('LearnerInfo: the same 20 bytes both ways', () => {
    for (const l of learnerInfos) {
      const [javaHex] = java(['learnerinfo', l.serverId, l.protocolVersion, l.configVersion].join('\t'));
      assert.equal(encodeLearnerInfo(l).toString('hex'), javaHex);
      assert.equal(javaHex.length, 40);
      assert.deepEqual(decodeLearnerInfo(Buffer.from(javaHex, 'hex')), l);
      assert.deepEqual(java(`parselearnerinfo\t${hex(encodeLearnerInfo(l))}`).map(Number), [l.serverId, l.protocolVersion, l.configVersion]);
    }
  });

  for (const c of configs) {
    it(`QuorumMaj.toString, ${c.name}: our text exactly; Java reads ours back to the same text and version`, () => {
      const ours = quorumConfigString(c.servers, c.version);
      const [javaText] = java(`quorummaj\t${utf8(c.cfg)}`);
      assert.equal(ours, Buffer.from(javaText, 'hex').toString('utf8'));
      // What a Java peer does with the config of a notification we send.
      const [reparsed, version] = java(`dynamicconfig\t${utf8(ours)}`);
      assert.equal(Buffer.from(reparsed, 'hex').toString('utf8'), ours);
      assert.equal(Number(version), c.version);
    });
  }

  it('FLE notification: buildMsg writes our bytes; we read its bytes to the same vote', () => {
    for (const n of notifications) {
      const [javaHex] = java(notificationCommand(n));
      const ours = encodeNotification(n);
      assert.equal(ours.toString('hex'), javaHex, `state ${n.state}`);
      assert.equal(ours.length, 44 + Buffer.byteLength(n.config ?? ''));
      assert.deepEqual(decodedNotification(Buffer.from(javaHex, 'hex')), n);
    }
  });

  it('FLE notification: the 40-byte buildMsg reads as version 0 without a config', () => {
    for (const n of notifications) {
      const [javaHex] = java(notification40Command(n));
      const bytes = Buffer.from(javaHex, 'hex');
      assert.equal(bytes.length, 40);
      assert.equal(bytes.readInt32BE(36), 1, 'the 5-argument buildMsg writes version 1');
      assert.deepEqual(decodedNotification(bytes), { ...n, version: 0, config: null });
    }
  });

  it('FLE notification: a QuorumMaj string from Java travels unchanged', () => {
    const [javaText] = java(`quorummaj\t${utf8(configs[6].cfg)}`);
    const config = Buffer.from(javaText, 'hex').toString('utf8');
    const n: Notification = { state: PeerState.LOOKING, leader: 1, zxid: 0, electionEpoch: 1, peerEpoch: 0, version: 2, config };
    assert.equal(decodedNotification(encodeNotification(n)).config, config);
    assert.equal(config, quorumConfigString(configs[6].servers, 0));
  });

  it('initial header: startConnection\'s bytes are ours for the address Java formats', () => {
    for (const h of headers) {
      const [javaHex] = java(['header', h.sid, h.host, h.port].join('\t'));
      const javaBytes = Buffer.from(javaHex, 'hex');
      const address = javaBytes.subarray(20).toString('utf8');
      assert.ok(h.java.includes(address), `Java's address text for ${h.host}: ${address}`);
      assert.equal(encodeInitialMessage(h.sid, address).toString('hex'), javaHex);
      assert.deepEqual(decodeInitialMessage(javaBytes), { sid: h.sid, addresses: [address], bytes: javaBytes.length });
    }
  });

  it('initial header: InitialMessage.parse reads what we read, and refuses what we refuse', () => {
    for (const h of parsedHeaders) {
      const [sid, addresses] = java(`parseheader\t${hex(h.bytes)}`);
      assert.deepEqual({ sid: Number(sid), addresses: addresses === '' ? [] : addresses.split('|') },
        { sid: h.sid, addresses: h.addresses }, `Java on ${h.name}`);
      assert.deepEqual(decodeInitialMessage(h.bytes), { sid: h.sid, addresses: h.addresses, bytes: h.bytes.length }, h.name);
    }
    for (const h of refusedHeaders) {
      assert.match(javaRefusal(`parseheader\t${hex(h.bytes)}`), /InitialMessageException/, h.name);
      assert.throws(() => decodeInitialMessage(h.bytes), JuteError, h.name);
    }
  });
});
