// ZooKeeper's four-letter words (ruok, srvr, stat, mntr, cons, ...): recognition on a fresh connection,
// the 4lw.commands.whitelist rules, and the answers formatted from a snapshot of server state exactly as
// Apache ZooKeeper 3.8 prints them (monitoring tools and zkServer.sh parse this text).

import os from 'node:os';
import v8 from 'node:v8';
import { javaDate, javaDouble, javaHexLong, javaSocketAddress, roundedAverage } from './four-letter-java.js';

export { javaDate, javaDouble, javaHexLong, javaSocketAddress, roundedAverage };

/** Every word ZooKeeper 3.8 knows (FourLetterCommands' table). */
export const FOUR_LETTER_WORDS: ReadonlySet<string> = new Set([
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srst', 'srvr', 'stat',
  'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash',
]);

/**
 * The bytes telnet sends when it closes (IAC IP IAC DO). ZooKeeper lists it with the words so it can
 * name it, and answers it like a word that is not whitelisted.
 */
export const TELNET_CLOSE = 'telnet close';
const TELNET_CLOSE_CODE = 0xfff4fffd | 0;

/** `stmk` is followed by an 8-byte big-endian trace mask that the server must read before answering. */
export const STMK_ARGUMENT_BYTES = 8;

/** ZooTrace's default text trace mask, what `gtmk` answers until `stmk` changes it. */
export const DEFAULT_TRACE_MASK = 306n;

/** The answer to most words while the server is not serving (during election, before startup). */
export const ZK_NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

const wordByCode = new Map<number, string>();
for (const w of FOUR_LETTER_WORDS) wordByCode.set(Buffer.from(w, 'latin1').readInt32BE(0), w);
wordByCode.set(TELNET_CLOSE_CODE, TELNET_CLOSE);

/**
 * The word named by the first four bytes of a connection, or null when they are an ordinary frame
 * length. ZooKeeper only looks for words before the ConnectRequest, and reads just these 4 bytes.
 */
export function fourLetterWordOf(firstFourBytes: Uint8Array): string | null {
  if (firstFourBytes.length < 4) return null;
  const b = firstFourBytes;
  const code = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) | 0;
  return wordByCode.get(code) ?? null;
}

export function isFourLetterWord(firstFourBytes: Buffer): boolean {
  return fourLetterWordOf(firstFourBytes) !== null;
}

/**
 * The set of enabled words from `4lw.commands.whitelist` as ZooKeeper 3.8 builds it: comma separated,
 * trimmed, `*` enables every known word; `srvr` is always enabled (zkServer.sh needs it) and `isro`
 * too when read-only mode is enabled. With the key absent only those two can be enabled.
 */
export function parseFourLetterWhitelist(value: string | undefined, readOnlyModeEnabled = false): Set<string> {
  const enabled = new Set<string>();
  if (value !== undefined) {
    for (const raw of value.split(',')) {
      const cmd = raw.trim();
      if (cmd === '*') {
        for (const w of FOUR_LETTER_WORDS) enabled.add(w);
        enabled.add(TELNET_CLOSE);
        break;
      }
      if (cmd !== '') enabled.add(cmd);
    }
  }
  if (readOnlyModeEnabled) enabled.add('isro');
  enabled.add('srvr');
  return enabled;
}

/** The code FinalRequestProcessor records as a connection's last operation (`lop=` in `cons`). */
const LAST_OPERATION: ReadonlyMap<number, string> = new Map([
  [11, 'PING'], [-10, 'SESS'], [14, 'MULT'], [22, 'MLTR'], [1, 'CREA'], [15, 'CREA'], [21, 'CREA'],
  [19, 'CREA'], [2, 'DELE'], [20, 'DELE'], [5, 'SETD'], [16, 'RECO'], [7, 'SETA'], [-11, 'CLOS'],
  [9, 'SYNC'], [13, 'CHEC'], [3, 'EXIS'], [4, 'GETD'], [101, 'SETW'], [105, 'STW2'], [106, 'ADDW'],
  [6, 'GETA'], [8, 'GETC'], [12, 'GETC'], [104, 'GETACN'], [17, 'CHKW'], [18, 'REMW'], [107, 'HOMI'],
  [103, 'GETE'],
]);
export function lastOperationName(op: number): string {
  return LAST_OPERATION.get(op) ?? 'NA';
}

// ---------------------------------------------------------------- what the server provides

export type ServerState = 'standalone' | 'leader' | 'follower' | 'observer';

/** ServerStats: totals since start or the last `srst`. */
export interface ServerStatsView {
  /** Request latency in ms over requests this server answered. avgLatency is total/count (rounded here). */
  minLatency: number; avgLatency: number; maxLatency: number;
  /** Packets received/sent on all client connections (4lw connections count one received each). */
  received: number | bigint; sent: number | bigint;
  /** Requests submitted and not yet answered. */
  outstanding: number;
  /** Last zxid applied to the tree. */
  zxid: number | bigint;
  /** Node count as ZooKeeper counts it: the root twice ("" and "/"), so an empty tree is 5. */
  nodeCount: number;
  /** Live client connections, 4lw connections included. */
  connections: number;
  uptimeMs: number;
}

/** One client connection as `stat`/`cons` print it (ServerCnxn.dumpConnectionInfo). */
export interface ConnectionInfo {
  /** Remote IP as node reports it (IPv4, IPv6 or IPv4-mapped IPv6) and port. */
  remoteAddress: string; remotePort: number;
  /** Selector interest ops: 1 while reading, 0 for 4lw connections and throttled ones. Printed in hex. */
  interestOps: number;
  outstandingRequests: number;
  packetsReceived: number | bigint; packetsSent: number | bigint;
  /** Came in on the secure client port (the AdminServer lists those as secure_connections). */
  secure?: boolean;
  /** 0n until the session is established; the session fields below are printed only when it isn't 0. */
  sessionId: bigint;
  /** `lastOperationName(op)` of the last answered request, 'NA' before any or after `crst`. */
  lastOperation: string;
  /** When the connection was accepted, epoch ms. */
  establishedMs: number;
  sessionTimeoutMs: number;
  /** Last non-negative xid answered, -1 when none (then `lcxid` is left out). */
  lastCxid: number;
  /** Zxid at the last answer; -1 after `crst` (printed as 0xffffffffffffffff). */
  lastZxid: number | bigint;
  /** Time of the last answer on the server's monotonic ms clock (ZooKeeper prints its elapsed-time clock), 0 after `crst`. */
  lastResponseTime: number;
  /** Latencies in whole ms; avgLatency is the truncated integer mean (ZooKeeper uses long division). */
  lastLatency: number; minLatency: number; avgLatency: number; maxLatency: number;
}

/** What `conf` prints (ZooKeeperServer.dumpConf, plus QuorumZooKeeperServer's lines in a quorum). */
export interface ServerConfigView {
  clientPort: number;
  /** -1 when there is no secure port. */
  secureClientPort: number;
  /** Absolute paths of the snapshot and log directories, i.e. with the trailing /version-2. */
  dataDir: string; dataLogDir: string;
  tickTime: number; maxClientCnxns: number; minSessionTimeout: number; maxSessionTimeout: number;
  /** -1 when not configured. */
  clientPortListenBacklog: number;
  /** myid; 0 in standalone. */
  serverId: number | bigint;
  quorum?: {
    initLimit: number; syncLimit: number; electionAlg: number;
    electionPorts: readonly number[]; quorumPorts: readonly number[];
    /** LearnerType ordinal: 0 participant, 1 observer. */
    peerType: number;
    /** QuorumVerifier.toString(): "server.N=host:port:port:role;clientAddr:port" lines then "version=<hex>", no final newline. */
    membership: string;
  };
}

/** Sessions or connections that expire in the same tick bucket (ExpiryQueue). Empty buckets are kept. */
export interface ExpiryBucket<T> { expiresAtMs: number; items: readonly T[] }
export interface ConnectionExpiry { remoteAddress: string; remotePort: number; sessionId: bigint }

/** A latency-style summary: printed as avg_/min_/max_/cnt_/sum_ (and p50_.. when percentiles are given). */
export interface SummaryMetric {
  name: string; count: number; sum: number | bigint; min: number; max: number;
  percentiles?: { p50: number; p95: number; p99: number; p999: number };
}

/** Values only `mntr` prints, beyond ServerStatsView. */
export interface MonitorView {
  /** Data plus child watches, each (session, path, kind) once. */
  watchCount: number;
  ephemeralsCount: number;
  /** Sum over nodes of path length + data length. */
  approximateDataSize: number | bigint;
  globalSessions: number; localSessions: number;
  /** Omitted when unknown (ZooKeeper only reports them on Unix). */
  openFileDescriptorCount?: number; maxFileDescriptorCount?: number;
  /** Reply sizes in bytes, -1 before any reply. */
  lastClientResponseSize: number; minClientResponseSize: number; maxClientResponseSize: number;
  connectionDropProbability?: number; outstandingTlsHandshake?: number; authFailedCount?: number;
  nonMtlsRemoteConnCount?: number; nonMtlsLocalConnCount?: number;
  /** Voting members, for servers in a quorum. */
  quorumSize?: number;
  leader?: LeaderView;
  /** Observers synced to this follower. */
  syncedObservers?: number;
  /** Gauge sets (ZooKeeperServer's per-namespace quota gauges): name → key → value, printed as <key>_<name>. */
  gaugeSets?: ReadonlyArray<readonly [string, ReadonlyMap<string, number>]>;
  /** Further counters and summaries (ServerMetrics), printed after the gauges in the order given. */
  counters?: ReadonlyArray<readonly [string, number | bigint]>;
  summaries?: readonly SummaryMetric[];
}

export interface LeaderView {
  learners: number; syncedFollowers: number; syncedNonVotingFollowers: number; syncedObservers: number;
  pendingSyncs: number; leaderUptimeMs: number;
  /** Proposal sizes in bytes, -1 before any. */
  lastProposalSize: number; minProposalSize: number; maxProposalSize: number;
}

/** The server state the four-letter words read; the server implements it. */
export interface AdminView {
  /** Version.getFullVersion(): "3.8.4-<revision>, built on <date>". */
  version: string;
  /** False during election or before the tree is loaded: most words then answer ZK_NOT_SERVING. */
  serving: boolean;
  serverState: ServerState;
  /** Quorum members: QuorumPeer.getDetailedPeerState, e.g. "following - broadcast" (mntr's zk_peer_state). */
  peerState?: string;
  /** A read-only server says "read-only" as its mode and "ro" to `isro`. */
  isReadOnly: boolean;
  stats(): ServerStatsView;
  connections(): readonly ConnectionInfo[];
  resetStats(): void;
  resetConnectionStats(): void;
  config(): ServerConfigView;
  /** Ordered key/value pairs for `envi` (see processEnvironment). */
  environment(): ReadonlyArray<readonly [string, string]>;
  dataDirSizes(): { dataDirBytes: number | bigint; dataLogDirBytes: number | bigint };
  /** Data watches only (getData/exists/persistent), as ZooKeeper's wchs/wchc/wchp dump just those. */
  watches(): { byPath: ReadonlyMap<string, readonly bigint[]>; bySession: ReadonlyMap<bigint, readonly string[]> };
  sessionsWithEphemerals(): ReadonlyMap<bigint, readonly string[]>;
  sessionExpiryBuckets(): ReadonlyArray<ExpiryBucket<bigint>>;
  /** Only NIO servers print these in `dump`; leave it out to print the heading alone, as Netty servers do. */
  connectionExpiryBuckets?(): ReadonlyArray<ExpiryBucket<ConnectionExpiry>>;
  monitor(): MonitorView;
  /** Recent (zxid, digest) pairs for `hash`, oldest first. */
  digestLog?(): ReadonlyArray<{ zxid: number | bigint; digest: bigint }>;
  traceMask?(): bigint;
  setTraceMask?(mask: bigint): void;
  /** Time zone for the dates in `dump` (default: the process's). */
  timeZone?: string;
}

// ---------------------------------------------------------------- answers

const ln = (s: string | number | bigint): string => `${s}\n`;

function modeOf(view: AdminView): string {
  return view.isReadOnly ? 'read-only' : view.serverState;
}

function connectionLine(c: ConnectionInfo, brief: boolean): string {
  let s = ` ${javaSocketAddress(c.remoteAddress, c.remotePort)}[${c.interestOps === 0 ? '0' : c.interestOps.toString(16)}]` +
    `(queued=${c.outstandingRequests},recved=${c.packetsReceived},sent=${c.packetsSent}`;
  if (!brief && c.sessionId !== 0n) {
    s += `,sid=0x${javaHexLong(c.sessionId)},lop=${c.lastOperation},est=${c.establishedMs},to=${c.sessionTimeoutMs}`;
    if (c.lastCxid >= 0) s += `,lcxid=0x${javaHexLong(c.lastCxid)}`;
    s += `,lzxid=0x${javaHexLong(c.lastZxid)},lresp=${c.lastResponseTime},llat=${c.lastLatency}` +
      `,minlat=${c.minLatency},avglat=${c.avgLatency},maxlat=${c.maxLatency}`;
  }
  return `${s})`;
}

function statText(view: AdminView, withClients: boolean): string {
  let out = `Zookeeper version: ${ln(view.version)}`;
  if (view.isReadOnly) out += ln('READ-ONLY mode; serving only read-only clients');
  if (withClients) {
    out += ln('Clients:');
    for (const c of view.connections()) out += ln(connectionLine(c, true));
    out += '\n';
  }
  const s = view.stats();
  out += ln(`Latency min/avg/max: ${s.minLatency}/${javaDouble(Number(s.avgLatency.toFixed(4)))}/${s.maxLatency}`);
  out += ln(`Received: ${s.received}`) + ln(`Sent: ${s.sent}`) + ln(`Connections: ${s.connections}`);
  out += ln(`Outstanding: ${s.outstanding}`) + ln(`Zxid: 0x${javaHexLong(s.zxid)}`);
  out += ln(`Mode: ${modeOf(view)}`) + ln(`Node count: ${s.nodeCount}`);
  const leader = view.serverState === 'leader' && !view.isReadOnly ? view.monitor().leader : undefined;
  if (leader) {
    out += ln(`Proposal sizes last/min/max: ${leader.lastProposalSize}/${leader.minProposalSize}/${leader.maxProposalSize}`);
  }
  return out;
}

function confText(view: AdminView): string {
  const c = view.config();
  const sizes = view.dataDirSizes();
  let out = ln(`clientPort=${c.clientPort}`) + ln(`secureClientPort=${c.secureClientPort}`) +
    ln(`dataDir=${c.dataDir}`) + ln(`dataDirSize=${sizes.dataDirBytes}`) +
    ln(`dataLogDir=${c.dataLogDir}`) + ln(`dataLogSize=${sizes.dataLogDirBytes}`) +
    ln(`tickTime=${c.tickTime}`) + ln(`maxClientCnxns=${c.maxClientCnxns}`) +
    ln(`minSessionTimeout=${c.minSessionTimeout}`) + ln(`maxSessionTimeout=${c.maxSessionTimeout}`) +
    ln(`clientPortListenBacklog=${c.clientPortListenBacklog}`) + ln(`serverId=${c.serverId}`);
  if (c.quorum) {
    const q = c.quorum;
    out += ln(`initLimit=${q.initLimit}`) + ln(`syncLimit=${q.syncLimit}`) + ln(`electionAlg=${q.electionAlg}`) +
      ln(`electionPort=${q.electionPorts.join('|')}`) + ln(`quorumPort=${q.quorumPorts.join('|')}`) +
      ln(`peerType=${q.peerType}`) + ln('membership: ') + q.membership;
  }
  return out;
}

function watchesText(view: AdminView, word: 'wchs' | 'wchc' | 'wchp'): string {
  const w = view.watches();
  let out = '';
  if (word === 'wchs') {
    let total = 0;
    for (const paths of w.bySession.values()) total += paths.length;
    out += `${w.bySession.size} connections watching ${w.byPath.size} paths\nTotal watches:${total}`;
  } else if (word === 'wchp') {
    for (const [path, sessions] of w.byPath) {
      out += ln(path);
      for (const sid of sessions) out += `\t0x${javaHexLong(sid)}\n`;
    }
  } else {
    for (const [sid, paths] of w.bySession) {
      out += ln(`0x${javaHexLong(sid)}`);
      for (const path of paths) out += ln(`\t${path}`);
    }
  }
  return out + '\n';
}

function expiryText<T>(buckets: ReadonlyArray<ExpiryBucket<T>>, item: (v: T) => string, timeZone?: string): string {
  const sorted = [...buckets].sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  let count = 0;
  for (const b of sorted) count += b.items.length;
  let out = ln(`Sets (${sorted.length})/(${count}):`);
  for (const b of sorted) {
    out += ln(`${b.items.length} expire at ${javaDate(b.expiresAtMs, timeZone)}:`);
    for (const v of b.items) out += ln(`\t${item(v)}`);
  }
  return out;
}

function dumpText(view: AdminView): string {
  let out = ln('SessionTracker dump:');
  out += 'Session ' + expiryText(view.sessionExpiryBuckets(), (sid) => `0x${javaHexLong(sid)}`, view.timeZone);
  out += ln('ephemeral nodes dump:');
  const eph = view.sessionsWithEphemerals();
  out += ln(`Sessions with Ephemerals (${eph.size}):`);
  for (const [sid, paths] of eph) {
    out += ln(`0x${javaHexLong(sid)}:`);
    for (const p of paths) out += ln(`\t${p}`);
  }
  out += ln('Connections dump:');
  if (view.connectionExpiryBuckets) {
    out += 'Connections ' + expiryText(view.connectionExpiryBuckets(),
      (c) => `ip: ${javaSocketAddress(c.remoteAddress, c.remotePort)} sessionId: 0x${javaHexLong(c.sessionId)}`, view.timeZone);
  }
  return out;
}

/** A metric value as ZooKeeper's MonitorCommand prints it: integers as they are, doubles Java-style. */
export type MetricValue = { long: number | bigint } | { double: number };
const metric = (key: string, v: MetricValue): string =>
  `zk_${key}\t${'long' in v ? String(v.long) : javaDouble(v.double)}\n`;

/**
 * The gauges of ZooKeeperServer.registerMetrics (and the quorum roles'), in the order 3.8 prints
 * them for a standalone server; undefined where ZooKeeper registers none (fd counts off Unix).
 */
export function monitorGauges(view: AdminView, s: ServerStatsView = view.stats(), m: MonitorView = view.monitor()): Array<[string, MetricValue | undefined]> {
  const long = (v: number | bigint): MetricValue => ({ long: v });
  const gauges: Array<[string, MetricValue | undefined]> = [
    ['ephemerals_count', long(m.ephemeralsCount)],
    ['num_alive_connections', long(s.connections)],
    ['avg_latency', { double: Number(s.avgLatency.toFixed(4)) }],
    ['outstanding_requests', long(s.outstanding)],
    ['znode_count', long(s.nodeCount)],
    ['global_sessions', long(m.globalSessions)],
    ['non_mtls_remote_conn_count', long(m.nonMtlsRemoteConnCount ?? 0)],
    ['last_client_response_size', long(m.lastClientResponseSize)],
    ['packets_sent', long(s.sent)],
    ['packets_received', long(s.received)],
    ['max_client_response_size', long(m.maxClientResponseSize)],
    ['connection_drop_probability', { double: m.connectionDropProbability ?? 0 }],
    ['watch_count', long(m.watchCount)],
    ['auth_failed_count', long(m.authFailedCount ?? 0)],
    ['min_latency', long(s.minLatency)],
    ['max_file_descriptor_count', m.maxFileDescriptorCount === undefined ? undefined : long(m.maxFileDescriptorCount)],
    ['approximate_data_size', long(m.approximateDataSize)],
    ['open_file_descriptor_count', m.openFileDescriptorCount === undefined ? undefined : long(m.openFileDescriptorCount)],
    ['local_sessions', long(m.localSessions)],
    ['uptime', long(s.uptimeMs)],
    ['max_latency', long(s.maxLatency)],
    ['outstanding_tls_handshake', long(m.outstandingTlsHandshake ?? 0)],
    ['min_client_response_size', long(m.minClientResponseSize)],
    ['non_mtls_local_conn_count', long(m.nonMtlsLocalConnCount ?? 0)],
  ];
  if (m.quorumSize !== undefined) gauges.push(['quorum_size', long(m.quorumSize)]);
  const l = m.leader;
  if (l) {
    gauges.push(
      ['learners', long(l.learners)], ['synced_followers', long(l.syncedFollowers)],
      ['synced_non_voting_followers', long(l.syncedNonVotingFollowers)], ['synced_observers', long(l.syncedObservers)],
      ['pending_syncs', long(l.pendingSyncs)], ['leader_uptime', long(l.leaderUptimeMs)],
      ['last_proposal_size', long(l.lastProposalSize)], ['max_proposal_size', long(l.maxProposalSize)],
      ['min_proposal_size', long(l.minProposalSize)],
    );
  } else if (m.syncedObservers !== undefined) {
    gauges.push(['synced_observers', long(m.syncedObservers)]);
  }
  return gauges;
}

/**
 * Everything `mntr` and the AdminServer's `monitor` list, in order (ZooKeeperServer.dumpMonitorValues,
 * then the metrics provider's dump): version, server state and peer state as text; the gauges; the
 * gauge sets as <key>_<name>; counters; each summary as avg_/min_/max_/cnt_/sum_ (and p50_..p999_).
 */
export function monitorValues(view: AdminView): Array<[string, string | MetricValue]> {
  const m = view.monitor();
  const long = (v: number | bigint): MetricValue => ({ long: v });
  const out: Array<[string, string | MetricValue]> = [['version', view.version], ['server_state', modeOf(view)]];
  if (view.peerState !== undefined) out.push(['peer_state', view.peerState]);
  for (const [key, v] of monitorGauges(view, view.stats(), m)) if (v !== undefined) out.push([key, v]);
  for (const [name, values] of m.gaugeSets ?? []) for (const [key, v] of values) out.push([`${key}_${name}`, long(v)]);
  for (const [key, v] of m.counters ?? []) out.push([key, long(v)]);
  for (const sm of m.summaries ?? []) {
    out.push([`avg_${sm.name}`, { double: roundedAverage(Number(sm.sum), sm.count) }]);
    out.push([`min_${sm.name}`, long(sm.min)], [`max_${sm.name}`, long(sm.max)]);
    out.push([`cnt_${sm.name}`, long(sm.count)], [`sum_${sm.name}`, long(sm.sum)]);
    const p = sm.percentiles;
    if (p) {
      out.push([`p50_${sm.name}`, long(Math.round(p.p50))], [`p95_${sm.name}`, long(Math.round(p.p95))]);
      out.push([`p99_${sm.name}`, long(Math.round(p.p99))], [`p999_${sm.name}`, long(Math.round(p.p999))]);
    }
  }
  return out;
}

function mntrText(view: AdminView): string {
  let out = '';
  for (const [key, v] of monitorValues(view)) out += typeof v === 'string' ? `zk_${key}\t${ln(v)}` : metric(key, v);
  return out;
}

function envText(view: AdminView): string {
  let out = ln('Environment:');
  for (const [k, v] of view.environment()) out += ln(`${k}=${v}`);
  return out;
}

/**
 * `envi` pairs for this process, in ZooKeeper's order; the java.* entries become their Node
 * counterparts and os.memory.* describe the V8 heap as Java's describe the JVM heap.
 */
export function processEnvironment(version: string): Array<[string, string]> {
  const heap = v8.getHeapStatistics();
  const mb = (n: number): string => `${Math.floor(n / (1024 * 1024))}MB`;
  let user: { username: string; homedir: string } = { username: '<NA>', homedir: '<NA>' };
  try { user = os.userInfo(); } catch { /* no passwd entry for this uid */ }
  return [
    ['zookeeper.version', version],
    ['host.name', os.hostname()],
    ['node.version', process.version],
    ['node.execPath', process.execPath],
    ['os.tmpdir', os.tmpdir()],
    ['os.name', os.type()],
    ['os.arch', os.arch()],
    ['os.version', os.release()],
    ['user.name', user.username],
    ['user.home', user.homedir],
    ['user.dir', process.cwd()],
    ['os.memory.free', mb(heap.total_heap_size - heap.used_heap_size)],
    ['os.memory.max', mb(heap.heap_size_limit)],
    ['os.memory.total', mb(heap.total_heap_size)],
  ];
}

function digestText(view: AdminView): string {
  let out = '';
  for (const d of view.digestLog?.() ?? []) out += ln(`${javaHexLong(d.zxid)}: ${BigInt.asIntN(64, d.digest)}`);
  return out;
}

/**
 * The full answer to a four-letter word; the server writes it and closes the connection. An empty
 * string means: answer nothing, just close (what ZooKeeper does for an enabled `telnet close`).
 * `stmkMask` is the 8-byte argument of `stmk` (see STMK_ARGUMENT_BYTES).
 */
export function runFourLetterWord(word: string, view: AdminView, whitelist: Set<string>, stmkMask?: bigint): string {
  const enabled = whitelist.has(word) || (whitelist.has('*') && (FOUR_LETTER_WORDS.has(word) || word === TELNET_CLOSE));
  if (!enabled) return ln(`${word} is not executed because it is not in the whitelist.`);
  // Words that answer whether or not the server is serving.
  switch (word) {
    case 'ruok': return 'imok';
    case 'envi': return envText(view);
    case 'gtmk': return String(view.traceMask?.() ?? DEFAULT_TRACE_MASK);
    case 'stmk': {
      const mask = BigInt.asIntN(64, stmkMask ?? 0n);
      view.setTraceMask?.(mask);
      return String(mask);
    }
    case 'isro': return !view.serving ? 'null' : view.isReadOnly ? 'ro' : 'rw';
    case 'hash': return view.serving ? digestText(view) : ZK_NOT_SERVING;
    case TELNET_CLOSE: return '';
  }
  if (!FOUR_LETTER_WORDS.has(word)) return '';
  if (!view.serving) return ln(ZK_NOT_SERVING);
  switch (word) {
    case 'srvr': return statText(view, false);
    case 'stat': return statText(view, true);
    case 'srst': view.resetStats(); return ln('Server stats reset.');
    case 'crst': view.resetConnectionStats(); return ln('Connection stats reset.');
    case 'cons': {
      let out = '';
      for (const c of view.connections()) out += ln(connectionLine(c, false));
      return out + '\n';
    }
    case 'conf': return confText(view);
    case 'dirs': {
      const sizes = view.dataDirSizes();
      return ln(`datadir_size: ${sizes.dataDirBytes}`) + ln(`logdir_size: ${sizes.dataLogDirBytes}`);
    }
    case 'wchs': case 'wchc': case 'wchp': return watchesText(view, word);
    case 'dump': return dumpText(view);
    case 'mntr': return mntrText(view);
    default: return '';
  }
}
