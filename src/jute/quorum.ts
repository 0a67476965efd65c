// The bytes quorum peers exchange, as Apache ZooKeeper 3.8 lays them out (QuorumCnxManager,
// FastLeaderElection, zookeeper.jute's QuorumPacket and LearnerInfo). Everything is big-endian.
//
//   election connection := initial-header frame*
//   initial-header      := long protocolVersion(V1 | V2) long sid int addrLen byte[addrLen] addr
//                        | long sid (>= 0: a pre-3.5 peer, no address)
//   frame               := int length(1..PACKET_MAX_BYTES) byte[length] notification
//   notification        := int state long leader long zxid long electionEpoch long peerEpoch
//                          int version(2) int configLen byte[configLen] config      (44 + configLen)
//                        | the 28- and 40-byte layouts of older peers (read, never written)
//   quorum connection   := quorum-packet*  (no length prefix; after SNAP the raw snapshot stream)
//   quorum-packet       := int type long zxid buffer data vector<Id> authinfo
//   learner-info        := long serverId int protocolVersion long configVersion
//
// Longs that ZooKeeper fills with Long.MIN_VALUE (an observer's vote) are read as -2^63, which a
// double holds exactly; any other long outside the safe-integer range makes the input malformed.

import { isIPv6 } from 'node:net';
import { JuteError } from './errors.js';
import { JuteReader } from './reader.js';
import { JuteWriter } from './writer.js';
import { readId, writeId, type Id } from './records.js';

// ---------------------------------------------------------------- election port (QuorumCnxManager)

/** The header version since 3.5.0: one `host:port` address. */
export const ELECTION_PROTOCOL_V1 = -65536n;
/** Since 3.6.0: several addresses joined with '|' (multiAddress.enabled). */
export const ELECTION_PROTOCOL_V2 = -65535n;
/** The longest address string a receiver accepts in the header (QuorumCnxManager.maxBuffer). */
export const ELECTION_ADDRESS_MAX_BYTES = 2048;
/** The longest election frame a receiver accepts (QuorumCnxManager.PACKETMAXSIZE). */
export const ELECTION_PACKET_MAX_BYTES = 512 * 1024;
/** Java's Long.MIN_VALUE, exact as a double: an observer's vote fields. */
export const LONG_MIN = -(2 ** 63);

export interface InitialMessage {
  sid: number;
  /** The sender's election addresses as `host:port` strings ([v6]:port for IPv6); empty for pre-3.5 peers. */
  addresses: string[];
  /** Bytes the header took, so the caller can go on with the frames behind it. */
  bytes: number;
}

/** The header a connecting peer sends first, in one write (a Java receiver reads the address in one read). */
export function encodeInitialMessage(sid: number, address: string): Buffer {
  const addr = Buffer.from(address, 'utf8');
  if (addr.length < 1 || addr.length > ELECTION_ADDRESS_MAX_BYTES) {
    throw new RangeError(`election address must be 1..${ELECTION_ADDRESS_MAX_BYTES} bytes, got ${addr.length}`);
  }
  return new JuteWriter(20 + addr.length)
    .writeLong(ELECTION_PROTOCOL_V1)
    .writeLongNumber(sid)
    .writeInt(addr.length)
    .writeRaw(addr)
    .toBuffer();
}

/**
 * Parses the initial header from the start of `buf`: null while more bytes are needed, a JuteError
 * for a header ZooKeeper would refuse (unknown version, bad address length, unsafe sid).
 */
export function decodeInitialMessage(buf: Buffer): InitialMessage | null {
  if (buf.length < 8) return null;
  const version = buf.readBigInt64BE(0);
  if (version >= 0n) {
    if (version > BigInt(Number.MAX_SAFE_INTEGER)) throw new JuteError(`sid ${version} out of range`, 0);
    return { sid: Number(version), addresses: [], bytes: 8 };
  }
  if (version !== ELECTION_PROTOCOL_V1 && version !== ELECTION_PROTOCOL_V2) {
    throw new JuteError(`unrecognized election protocol version ${version}`, 0);
  }
  if (buf.length < 20) return null;
  const r = new JuteReader(buf, 8);
  const sid = r.readLongNumber();
  const len = r.readInt();
  if (len <= 0 || len > ELECTION_ADDRESS_MAX_BYTES) throw new JuteError(`bad election address length ${len}`, 16);
  if (buf.length < 20 + len) return null;
  const addresses = buf.toString('utf8', 20, 20 + len).split('|');
  // Java's String.split drops trailing empty strings: "a:1|" is one address, "|" none.
  while (addresses.length > 0 && addresses[addresses.length - 1] === '') addresses.pop();
  return { sid, addresses, bytes: 20 + len };
}

// ---------------------------------------------------------------- FLE notifications

/** QuorumPeer.ServerState ordinals, as notifications carry them. */
export enum PeerState {
  LOOKING = 0,
  FOLLOWING = 1,
  LEADING = 2,
  OBSERVING = 3,
}

/** Notification.CURRENTVERSION: the layout with the config string. */
export const NOTIFICATION_VERSION = 2;

export interface Notification {
  state: PeerState;
  /** The proposed (LOOKING) or followed leader's sid. */
  leader: number;
  zxid: number;
  electionEpoch: number;
  peerEpoch: number;
  /** 0 for the 28- and 40-byte layouts of older peers. */
  version: number;
  /** The sender's committed QuorumVerifier.toString(); null in the older layouts. */
  config: string | null;
}

export function encodeNotification(n: Notification): Buffer {
  const config = Buffer.from(n.config ?? '', 'utf8');
  return new JuteWriter(44 + config.length)
    .writeInt(n.state)
    .writeLongNumber(n.leader)
    .writeLongNumber(n.zxid)
    .writeLongNumber(n.electionEpoch)
    .writeLongNumber(n.peerEpoch)
    .writeInt(NOTIFICATION_VERSION)
    .writeInt(config.length)
    .writeRaw(config)
    .toBuffer();
}

function readVoteLong(r: JuteReader): number {
  if (r.remaining >= 8 && r.buf.readBigInt64BE(r.offset) === -(2n ** 63n)) {
    r.skip(8);
    return LONG_MIN;
  }
  return r.readLongNumber();
}

/**
 * FastLeaderElection's WorkerReceiver, by the frame's length: shorter than 28 bytes is dropped; 28
 * bytes is the pre-ZOOKEEPER-107 layout (peerEpoch from the zxid); 40 bytes carries peerEpoch but its
 * version is not read; anything else must hold peerEpoch and version, and with version > 1 a config
 * whose length fits the frame. Returns a JuteError for a frame ZooKeeper drops, so the caller can
 * log it; the connection stays up (ZooKeeper skips such a message).
 */
export function decodeNotification(frame: Buffer): Notification | JuteError {
  try {
    if (frame.length < 28) return new JuteError(`notification of ${frame.length} bytes is shorter than 28`, 0);
    const r = new JuteReader(frame);
    const stateOrdinal = r.readInt();
    const leader = readVoteLong(r);
    const zxid = readVoteLong(r);
    const electionEpoch = r.readLongNumber();
    let peerEpoch: number;
    let version = 0;
    let config: string | null = null;
    if (frame.length === 28) {
      // ZxidUtils.getEpochFromZxid: zxid >> 32, an arithmetic shift (Long.MIN_VALUE gives -2^31).
      peerEpoch = Math.floor(zxid / 2 ** 32);
    } else {
      peerEpoch = readVoteLong(r);
      if (frame.length !== 40) {
        version = r.readInt();
        if (version > 1) {
          const at = r.offset;
          const len = r.readInt();
          if (len < 0 || len > frame.length) return new JuteError(`bad notification config length ${len}`, at);
          if (len > r.remaining) return new JuteError(`notification config of ${len} bytes overruns the frame`, at);
          config = frame.toString('utf8', r.offset, r.offset + len);
        }
      }
    }
    if (stateOrdinal < 0 || stateOrdinal > 3) return new JuteError(`unknown peer state ${stateOrdinal}`, 0);
    return { state: stateOrdinal as PeerState, leader, zxid, electionEpoch, peerEpoch, version, config };
  } catch (err) {
    if (err instanceof JuteError) return err;
    throw err;
  }
}

export interface QuorumConfigServer {
  sid: number;
  host: string;
  quorumPort: number;
  electionPort: number;
  role: 'participant' | 'observer';
  /** Only when the client address came from the server line itself. */
  client?: { host: string; port: number };
}

/**
 * The host as Java shows it after `new InetSocketAddress(host, port)` (InetSocketAddress.getHostString):
 * an IPv6 literal comes back in Inet6Address's text form, eight lowercase hex groups without "::"
 * (and a numeric scope as a number), an IPv4-mapped IPv6 literal as dotted IPv4. Names, IPv4
 * literals and scopes by interface name stay as given.
 */
function javaHostString(host: string): string {
  const pct = host.indexOf('%');
  const addr = pct < 0 ? host : host.slice(0, pct);
  const scope = pct < 0 ? null : host.slice(pct + 1);
  if (!isIPv6(addr) || (scope !== null && !/^[0-9]+$/.test(scope))) return host;
  let text = addr;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    const [a, b, c, d] = text.slice(lastColon + 1).split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups].map((g) => parseInt(g, 16));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return groups.map((g) => g.toString(16)).join(':') + (scope === null ? '' : `%${Number(scope)}`);
}

function hostPort(host: string, port: number): string {
  const h = javaHostString(host);
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

/** The bucket java.util.HashMap puts a Long key in: Long.hashCode, HashMap.hash's spread, the mask. */
function hashMapBucket(sid: number, capacity: number): number {
  const v = BigInt.asUintN(64, BigInt(sid));
  const h = Number(BigInt.asIntN(32, v ^ (v >> 32n)));
  return (h ^ (h >>> 16)) & (capacity - 1);
}

/**
 * QuorumMaj.toString: a `server.N=` line per server, then `version=<hex>`, no newline at the end.
 * Notifications carry it. The servers come in the iteration order of QuorumMaj's HashMap<Long, …>:
 * by bucket (sid mod 16 while there are at most 12 servers, then mod 32 up to 24, …), which is
 * ascending sid only while every sid is below the table size. Sids sharing a bucket come in the
 * order Java inserted them, which follows its Properties' order and is not known here: they are
 * written in ascending order.
 */
export function quorumConfigString(servers: readonly QuorumConfigServer[], version: number): string {
  let capacity = 16;
  while (servers.length > capacity * 0.75) capacity *= 2;
  const ordered = [...servers].sort((a, b) => hashMapBucket(a.sid, capacity) - hashMapBucket(b.sid, capacity) || a.sid - b.sid);
  const lines = ordered.map((s) => {
    let line = `server.${s.sid}=${hostPort(s.host, s.quorumPort)}:${s.electionPort}:${s.role}`;
    if (s.client) line += `;${hostPort(s.client.host, s.client.port)}`;
    return line;
  });
  lines.push(`version=${version.toString(16)}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- quorum port (learner protocol)

/** Leader.java's packet types. */
export enum PacketType {
  REQUEST = 1,
  PROPOSAL = 2,
  ACK = 3,
  COMMIT = 4,
  PING = 5,
  REVALIDATE = 6,
  SYNC = 7,
  INFORM = 8,
  COMMITANDACTIVATE = 9,
  NEWLEADER = 10,
  FOLLOWERINFO = 11,
  UPTODATE = 12,
  DIFF = 13,
  TRUNC = 14,
  SNAP = 15,
  OBSERVERINFO = 16,
  LEADERINFO = 17,
  ACKEPOCH = 18,
  INFORMANDACTIVATE = 19,
}

export interface QuorumPacket {
  type: number;
  zxid: number;
  data: Buffer | null;
  authinfo: Id[] | null;
}

export function writeQuorumPacket(w: JuteWriter, p: QuorumPacket): JuteWriter {
  w.writeInt(p.type).writeLongNumber(p.zxid).writeBuffer(p.data);
  if (p.authinfo === null) return w.writeInt(-1);
  w.writeInt(p.authinfo.length);
  for (const id of p.authinfo) writeId(w, id);
  return w;
}

export function encodeQuorumPacket(p: QuorumPacket): Buffer {
  return writeQuorumPacket(new JuteWriter(64 + (p.data?.length ?? 0)), p).toBuffer();
}

/**
 * Reads one packet from `buf` at `offset`: the packet and the offset behind it, or null when the
 * bytes end before the packet does (the caller keeps them and waits for more). `maxBufferBytes`
 * bounds data and strings as ZooKeeper's BinaryInputArchive does (jute.maxbuffer plus its extra
 * size); beyond it, or a negative length other than -1, is a JuteError. `data` is a copy.
 */
export function decodeQuorumPacket(buf: Buffer, offset: number, maxBufferBytes: number): { packet: QuorumPacket; next: number } | null {
  // First check every length against the bytes at hand, so a partial packet costs no allocation.
  let at = offset + 12;
  if (buf.length < at + 4) return null;
  const dataLen = buf.readInt32BE(at);
  if (dataLen < -1 || dataLen > maxBufferBytes) throw new JuteError(`quorum packet data length ${dataLen} out of bounds`, at);
  at += 4 + Math.max(dataLen, 0);
  if (buf.length < at + 4) return null;
  const count = buf.readInt32BE(at);
  if (count < -1 || count > maxBufferBytes) throw new JuteError(`quorum packet authinfo count ${count} out of bounds`, at);
  at += 4;
  for (let i = 0; i < count * 2; i++) {
    if (buf.length < at + 4) return null;
    const len = buf.readInt32BE(at);
    if (len < -1 || len > maxBufferBytes) throw new JuteError(`quorum packet authinfo string length ${len} out of bounds`, at);
    at += 4 + Math.max(len, 0);
    if (buf.length < at) return null;
  }
  const r = new JuteReader(buf, offset, at);
  const type = r.readInt();
  const zxid = readVoteLong(r);
  const data = r.readBuffer();
  const authinfo = r.readVector(readId, 8);
  return { packet: { type, zxid, data, authinfo }, next: at };
}

/** LearnerInfo.protocolVersion of every Zab 1.0 learner (0x10000). */
export const LEARNER_PROTOCOL_VERSION = 0x10000;

export interface LearnerInfo {
  serverId: number;
  protocolVersion: number;
  configVersion: number;
}

export function encodeLearnerInfo(li: LearnerInfo): Buffer {
  return new JuteWriter(20).writeLongNumber(li.serverId).writeInt(li.protocolVersion).writeLongNumber(li.configVersion).toBuffer();
}

/** LearnerHandler.run reads by length: sid from 8 bytes, version from 12 (else 0x1), configVersion from 20. */
export function decodeLearnerInfo(data: Buffer): LearnerInfo {
  const r = new JuteReader(data);
  const serverId = r.readLongNumber();
  const protocolVersion = data.length >= 12 ? r.readInt() : 0x1;
  const configVersion = data.length >= 20 ? r.readLongNumber() : 0;
  return { serverId, protocolVersion, configVersion };
}

// ---------------------------------------------------------------- zxid arithmetic

export const zxidEpoch = (zxid: number): number => Math.floor(zxid / 2 ** 32);
export const zxidCounter = (zxid: number): number => zxid % 2 ** 32;
export const makeZxid = (epoch: number, counter: number): number => epoch * 2 ** 32 + counter;
