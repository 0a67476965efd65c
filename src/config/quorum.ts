// The ensemble part of a config: `server.N` lines, their address syntax, and the rules
// QuorumPeerConfig applies to the member list as a whole.
//
//   server.N    := host ':' quorumPort ':' electionPort [':' role] [';' client]
//   host        := name | IPv4 | '[' IPv6 ']'
//   role        := 'participant' | 'observer'       (any case)
//   client      := port | host ':' port              (a bare port listens on 0.0.0.0)

import type { PeerRole, QuorumServerSpec } from './types.js';
import { parseJavaInt, parseJavaLong } from './values.js';

/** A rule broken by a server line; the caller adds the key and line. */
export class QuorumSpecError extends Error {}

const WRONG_FORMAT =
  'expected host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]';

/** Java's String.split with a literal separator: trailing empty strings are dropped. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length === 0 ? [''] : parts;
}

/** ConfigUtils.getHostAndPort: `[v6]:a:b` keeps the colons of the address; otherwise split on ':'. */
export function splitHostAndPorts(s: string): string[] {
  if (!s.startsWith('[')) return javaSplit(s, ':');
  const close = s.indexOf(']');
  if (close < 0) throw new QuorumSpecError(`${s} starts with '[' but has no matching ']'`);
  if (close + 2 === s.length) throw new QuorumSpecError(`${s} doesn't have a port after colon`);
  if (close + 2 < s.length) return [s.slice(1, close), ...javaSplit(s.slice(close + 2), ':')];
  return [s.replace(/[[\]]/g, '')];
}

function port(text: string, what: string): number {
  const n = parseJavaInt(text.trim());
  if (n === null || n < 1 || n > 65535) {
    throw new QuorumSpecError(`${what} must be a port from 1 to 65535, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** The N of `server.N`: a Java long, as QuorumMaj reads it. */
export function parseServerId(key: string): number {
  const text = key.slice(key.indexOf('.') + 1);
  const sid = parseJavaLong(text);
  if (sid === null) throw new QuorumSpecError(`server id must be an integer, got ${JSON.stringify(text)}`);
  return sid;
}

/**
 * One server line's value. ZooKeeper parses the numbers untrimmed (so "3888 " fails there); we trim
 * around them, which accepts a superset of what ZooKeeper accepts.
 */
export function parseServerSpec(value: string): QuorumServerSpec {
  const serverClient = javaSplit(value, ';');
  if (serverClient.length > 2) throw new QuorumSpecError(`${JSON.stringify(value)}: ${WRONG_FORMAT}`);
  const addresses = serverClient[0].split('|');
  if (addresses.length > 1) {
    throw new QuorumSpecError('several addresses per server (a|b, multiAddress.enabled) are not supported by zk-server');
  }
  const parts = splitHostAndPorts(addresses[0].trim());
  if (parts.length < 3 || parts.length > 4 || parts[0] === '') {
    throw new QuorumSpecError(`${JSON.stringify(value)}: ${WRONG_FORMAT}`);
  }
  const spec: QuorumServerSpec = {
    host: parts[0],
    quorumPort: port(parts[1], 'quorum port'),
    electionPort: port(parts[2], 'election port'),
    role: 'participant',
  };
  if (spec.quorumPort === spec.electionPort) {
    throw new QuorumSpecError(`quorum port and election port must be different, both are ${spec.quorumPort}`);
  }
  if (parts.length === 4) {
    const role = parts[3].trim().toLowerCase();
    if (role !== 'participant' && role !== 'observer') {
      throw new QuorumSpecError(`unrecognised peer type ${JSON.stringify(parts[3])}; expected participant or observer`);
    }
    spec.role = role as PeerRole;
  }
  if (serverClient.length === 2) {
    const client = splitHostAndPorts(serverClient[1].trim());
    if (client.length > 2) throw new QuorumSpecError(`${JSON.stringify(value)}: ${WRONG_FORMAT}`);
    spec.clientHost = client.length === 2 ? client[0] : '0.0.0.0';
    spec.clientPort = port(client[client.length - 1], 'client port');
  }
  return spec;
}

export interface QuorumShape {
  participants: number;
  observers: number;
}

export function quorumShape(servers: Map<number, QuorumServerSpec>): QuorumShape {
  let participants = 0;
  let observers = 0;
  for (const s of servers.values()) {
    if (s.role === 'participant') participants++;
    else observers++;
  }
  return { participants, observers };
}

/**
 * QuorumPeerConfig.parseDynamicConfig's checks on the member list. Returns the warnings ZooKeeper
 * logs; throws for the configurations it refuses.
 */
export function checkQuorum(servers: Map<number, QuorumServerSpec>, standaloneEnabled: boolean): string[] {
  const { participants, observers } = quorumShape(servers);
  if (participants === 0) {
    if (!standaloneEnabled) {
      throw new QuorumSpecError('standaloneEnabled=false needs at least one participant server.N line');
    }
    if (observers > 0) throw new QuorumSpecError('observers without participants is an invalid configuration');
    return [];
  }
  if (participants === 1 && standaloneEnabled) {
    if (observers > 0) throw new QuorumSpecError('observers without a quorum is an invalid configuration');
    return ['only one participant server.N line and standaloneEnabled is true: running standalone, the server list is ignored'];
  }
  if (participants <= 2) return ['no server failure will be tolerated: a quorum needs at least 3 participants'];
  if (participants % 2 === 0) return [`${participants} participants is non-optimal: consider an odd number of servers`];
  return [];
}

/** QuorumPeer.createCnxnManager: the election connections' socket timeout, ms. */
export function quorumSocketTimeoutMs(c: { quorumCnxnTimeoutMs: number; tickTime: number; syncLimit: number }): number {
  return c.quorumCnxnTimeoutMs > 0 ? c.quorumCnxnTimeoutMs : c.tickTime * c.syncLimit;
}

/** QuorumPeerConfig.isDistributed: a quorum rather than a standalone server. */
export function isDistributedQuorum(servers: Map<number, QuorumServerSpec>, standaloneEnabled: boolean): boolean {
  return !standaloneEnabled || quorumShape(servers).participants > 1;
}
