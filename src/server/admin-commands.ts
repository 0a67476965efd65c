// The AdminServer's commands (ZooKeeper 3.8/3.9 `Commands`): names and aliases, which need a
// serving server, and the JSON each answers, with ZooKeeper's keys in its order. The values come
// from the same AdminView the four-letter words read, so `srvr` and `/commands/srvr` agree.
//
// A response is ZooKeeper's CommandResponse map: the command's data, then "command" (the primary
// name; the requested one on an error before the command ran), then "error" (null unless set; a
// command that puts "error" in its data keeps it at its place and "command" follows).
// It is written as Jackson's pretty printer writes it (jackson.ts), so longs stay exact.

import { readFile, stat } from 'node:fs/promises';
import type { ServerConfig } from '../config/types.js';
import { JavaDouble } from './jackson.js';
import type { AdminView } from './four-letter.js';
import type { ServerMetrics } from './metrics.js';
import { monitorValues, ZK_NOT_SERVING, javaSocketAddress } from './four-letter.js';
import type { SnapshotInfo } from '../storage/spi.js';
import type { ACL, Id } from '../jute/records.js';
import { Perm } from '../protocol/constants.js';
import { generateDigest, hasPermission } from '../pipeline/acl.js';

/** A synced observer as the leader's LearnerHandler describes it. */
export interface LearnerStatsView {
  remoteAddress: string; sid: number; establishedMs: number; queuedPackets: number;
  packetsReceived: number; packetsSent: number; requests: number; lastZxid: number;
}

/** A quorum member's identity and state (QuorumPeer's getters the commands read). */
export interface QuorumInfoView {
  myid: number;
  /** This member votes (a participant); observers do not. */
  voting: boolean;
  isLeader: boolean;
  /** The leader's id, null while electing. */
  leaderId: number | null;
  /** QuorumPeer.ZabState: election, discovery, synchronization or broadcast. */
  zabState: string;
  lastZxid: number;
  servers: ReadonlyMap<number, { host: string; quorumPort: number; electionPort: number; role: string; clientHost?: string; clientPort?: number }>;
}

/** What the commands read: the server's view, its config and storage, and quorum facts. */
export interface AdminContext {
  readonly view: AdminView;
  readonly config: ServerConfig;
  /** Null for a standalone server. */
  quorum(): QuorumInfoView | null;
  observers(): LearnerStatsView[] | null;
  resetObserverStats(): void;
  /** The newest snapshot, or null. */
  lastSnapshot(): Promise<SnapshotInfo | null>;
  /** The process's properties for `system_properties`, unsorted. */
  systemProperties(): ReadonlyArray<readonly [string, string]>;
  /** The ACL of a znode (null when it does not exist), for commands that need authorization. */
  aclOf(path: string): readonly ACL[] | null;
  /** zookeeper.DigestAuthenticationProvider.superDigest, or null. */
  superDigest: string | null;
  /** Takes a snapshot now; its file (null when the backend keeps none) and zxid. */
  takeSnapshot(): Promise<{ zxid: number; file: string | null }>;
  /** 3.9's admin.snapshot.enabled and admin.rateLimiterIntervalInMS. */
  snapshotEnabled: boolean;
  rateLimitIntervalMs: number;
  /** The server's metrics (the snapshot command counts its errors and refusals there, as 3.9 does). */
  readonly metrics: ServerMetrics;
}

/** What the HTTP request says of its sender: its Authorization header and address. */
export interface AdminRequest {
  authorization: string | null;
  remoteAddress: string;
}

/** A command's answer: the JSON, and for 3.9's commands a status, headers, or a file to stream. */
export interface AdminResult {
  data: JsonMap;
  status: number;
  headers?: Record<string, string>;
  /** Stream this file instead of the JSON (the snapshot command). */
  file?: string;
}

export type JsonValue = null | boolean | number | bigint | string | JavaDouble | JsonValue[] | Map<string, JsonValue>;
export type JsonMap = Map<string, JsonValue>;

interface CommandDef {
  names: readonly string[];
  serverRequired: boolean;
  /** 3.9's AuthRequest: these permissions on this znode, checked for the Authorization header's ids. */
  auth?: { perms: number; path: string };
  run(ctx: AdminContext, params: URLSearchParams): JsonMap | AdminResult | Promise<JsonMap | AdminResult>;
}

const m = (entries: ReadonlyArray<readonly [string, JsonValue]>): JsonMap => new Map(entries);
const long = (v: number | bigint): JsonValue => (typeof v === 'bigint' ? v : Math.trunc(v));

function connectionInfo(view: AdminView, brief: boolean, secure: boolean): JsonValue[] {
  return view.connections().filter((c) => (c.secure ?? false) === secure).map((c) => {
    const out: JsonMap = m([
      ['remote_socket_address', javaSocketAddress(c.remoteAddress, c.remotePort).replace(/^\//, '')],
      ['interest_ops', c.interestOps],
      ['outstanding_requests', c.outstandingRequests],
      ['packets_received', long(c.packetsReceived)],
      ['packets_sent', long(c.packetsSent)],
    ]);
    if (!brief) {
      out.set('session_id', BigInt.asIntN(64, c.sessionId));
      out.set('last_operation', c.lastOperation);
      out.set('established', c.establishedMs);
      out.set('session_timeout', c.sessionTimeoutMs);
      out.set('last_cxid', c.lastCxid);
      out.set('last_zxid', long(c.lastZxid));
      out.set('last_response_time', c.lastResponseTime);
      out.set('last_latency', c.lastLatency);
      out.set('min_latency', c.minLatency);
      out.set('avg_latency', c.avgLatency);
      out.set('max_latency', c.maxLatency);
    }
    return out;
  });
}

const bufferStats = (last: number, min: number, max: number): JsonMap =>
  m([['last_buffer_size', last], ['min_buffer_size', min], ['max_buffer_size', max]]);

/** `srvr`'s data (ZooKeeper's StatCommand/ServerStatsCommand): ServerStats as Jackson serialises its getters. */
function serverStatsData(view: AdminView): JsonMap {
  const s = view.stats();
  const mon = view.monitor();
  const sizes = view.dataDirSizes();
  const client = bufferStats(mon.lastClientResponseSize, mon.minClientResponseSize, mon.maxClientResponseSize);
  const out = m([
    ['version', view.version],
    ['read_only', view.isReadOnly],
    ['server_stats', m([
      ['packets_sent', long(s.sent)],
      ['packets_received', long(s.received)],
      ['fsync_threshold_exceed_count', 0],
      ['client_response_stats', client],
      ['uptime', s.uptimeMs],
      ['data_dir_size', long(sizes.dataDirBytes)],
      ['log_dir_size', long(sizes.dataLogDirBytes)],
      ['server_state', view.isReadOnly ? 'read-only' : view.serverState],
      ['last_processed_zxid', long(s.zxid)],
      ['outstanding_requests', s.outstanding],
      ['avg_latency', new JavaDouble(Number(s.avgLatency.toFixed(4)))],
      ['max_latency', s.maxLatency],
      ['min_latency', s.minLatency],
      ['num_alive_client_connections', s.connections],
      ['auth_failed_count', mon.authFailedCount ?? 0],
      ['non_mtlsremote_conn_count', mon.nonMtlsRemoteConnCount ?? 0],
      ['non_mtlslocal_conn_count', mon.nonMtlsLocalConnCount ?? 0],
      ['provider_null', false],
    ])],
    ['client_response', client],
  ]);
  const leader = view.serverState === 'leader' ? mon.leader : undefined;
  if (leader) out.set('proposal_stats', bufferStats(leader.lastProposalSize, leader.minProposalSize, leader.maxProposalSize));
  out.set('node_count', s.nodeCount);
  return out;
}

/** `monitor`: what `mntr` lists, as JSON (Java doubles stay doubles). */
function monitorData(view: AdminView): JsonMap {
  return new Map(monitorValues(view).map(([key, v]) => [key, typeof v === 'string' ? v : 'long' in v ? long(v.long) : new JavaDouble(v.double)]));
}

/** MultipleAddresses as Jackson serialises its getters (zabstate); a configured address counts as reachable. */
function addressBean(host: string, port: number): JsonMap {
  const hp = javaSocketAddress(host, port).replace(/^\//, '');
  return m([
    ['empty', false], ['all_addresses', [hp]], ['all_reachable_addresses', [hp]], ['one', hp], ['reachable_address', hp],
    ['wildcard_addresses', [`0.0.0.0:${port}`]], ['all_ports', [port]], ['all_host_strings', [host]],
    ['all_reachable_addresses_or_all', [hp]], ['reachable_or_one', hp],
  ]);
}

const clientAddress = (s: { clientHost?: string; clientPort?: number }): string =>
  s.clientPort === undefined ? '' : javaSocketAddress(s.clientHost ?? '0.0.0.0', s.clientPort).replace(/^\//, '');

function watchData(view: AdminView, which: 'watches' | 'watches_by_path' | 'watch_summary'): JsonMap {
  const w = view.watches();
  if (which === 'watches') {
    return m([['session_id_to_watched_paths', new Map([...w.bySession].map(([sid, paths]) => [String(BigInt.asIntN(64, sid)), [...paths]]))]]);
  }
  if (which === 'watches_by_path') {
    return m([['path_to_session_ids', new Map([...w.byPath].map(([path, sids]) => [path, sids.map((sid) => BigInt.asIntN(64, sid))]))]]);
  }
  let total = 0;
  for (const paths of w.bySession.values()) total += paths.length;
  return m([['num_connections', w.bySession.size], ['num_paths', w.byPath.size], ['num_total_watches', total]]);
}

const COMMANDS: readonly CommandDef[] = [
  { names: ['connection_stat_reset', 'crst'], serverRequired: true, run: (c) => { c.view.resetConnectionStats(); return m([]); } },
  {
    names: ['configuration', 'conf', 'config'], serverRequired: true,
    run: (c) => {
      const conf = c.view.config();
      return m([
        ['client_port', conf.clientPort], ['data_dir', conf.dataDir], ['data_log_dir', conf.dataLogDir],
        ['tick_time', conf.tickTime], ['max_client_cnxns', conf.maxClientCnxns],
        ['min_session_timeout', conf.minSessionTimeout], ['max_session_timeout', conf.maxSessionTimeout],
        ['server_id', long(conf.serverId)], ['client_port_listen_backlog', conf.clientPortListenBacklog],
      ]);
    },
  },
  {
    names: ['connections', 'cons'], serverRequired: true,
    run: (c) => m([['connections', connectionInfo(c.view, false, false)], ['secure_connections', connectionInfo(c.view, false, true)]]),
  },
  {
    names: ['hash'], serverRequired: true,
    run: (c) => m([['digests', (c.view.digestLog?.() ?? []).map((d) => m([
      ['zxid', long(d.zxid)], ['digest', BigInt.asIntN(64, d.digest)], ['digest_version', 2],
    ]))]]),
  },
  {
    names: ['dirs'], serverRequired: true,
    run: (c) => {
      const sizes = c.view.dataDirSizes();
      return m([['datadir_size', long(sizes.dataDirBytes)], ['logdir_size', long(sizes.dataLogDirBytes)]]);
    },
  },
  {
    names: ['dump'], serverRequired: true,
    run: (c) => {
      const byExpiry = new Map<string, JsonValue>();
      for (const b of [...c.view.sessionExpiryBuckets()].sort((x, y) => x.expiresAtMs - y.expiresAtMs)) {
        byExpiry.set(String(b.expiresAtMs), b.items.map((sid) => BigInt.asIntN(64, sid)));
      }
      const eph = new Map<string, JsonValue>();
      for (const [sid, paths] of c.view.sessionsWithEphemerals()) eph.set(String(BigInt.asIntN(64, sid)), [...paths]);
      return m([['expiry_time_to_session_ids', byExpiry], ['session_id_to_ephemeral_paths', eph]]);
    },
  },
  { names: ['environment', 'env', 'envi'], serverRequired: false, run: (c) => new Map(c.view.environment().map(([k, v]) => [k, v])) },
  { names: ['get_trace_mask', 'gtmk'], serverRequired: false, run: (c) => m([['tracemask', BigInt.asIntN(64, c.view.traceMask?.() ?? 306n)]]) },
  {
    names: ['initial_configuration', 'icfg'], serverRequired: true,
    run: async (c) => {
      let text = '';
      if (c.config.sourceFile !== null) text = await readFile(c.config.sourceFile, 'utf8').catch(() => '');
      return m([['initial_configuration', text]]);
    },
  },
  { names: ['is_read_only', 'isro'], serverRequired: true, run: (c) => m([['read_only', c.view.isReadOnly]]) },
  {
    names: ['last_snapshot', 'lsnp'], serverRequired: true,
    run: async (c) => {
      const snap = await c.lastSnapshot();
      if (snap === null) return m([['zxid', 'ffffffffffffffff'], ['timestamp', -1]]);
      let mtimeMs = snap.createdAtMs;
      if (snap.location !== undefined) mtimeMs = await stat(snap.location).then((s) => s.mtimeMs, () => mtimeMs);
      return m([['zxid', snap.zxid.toString(16)], ['timestamp', Math.floor(mtimeMs / 1000)]]);
    },
  },
  {
    names: ['leader', 'lead'], serverRequired: true,
    run: (c) => {
      const q = c.quorum();
      if (q === null) return m([['error', 'server is not initialized']]);
      const leaderHost = q.leaderId === null ? '' : c.config.servers.get(q.leaderId)?.host ?? '';
      return m([['is_leader', q.isLeader], ['leader_id', q.leaderId ?? -1], ['leader_ip', leaderHost]]);
    },
  },
  { names: ['monitor', 'mntr'], serverRequired: false, run: (c) => monitorData(c.view) },
  { names: ['observer_connection_stat_reset', 'orst'], serverRequired: true, run: (c) => { c.resetObserverStats(); return m([]); } },
  { names: ['ruok'], serverRequired: true, run: () => m([]) },
  {
    names: ['set_trace_mask', 'stmk'], serverRequired: false,
    run: (c, params) => {
      const arg = params.get('traceMask');
      if (arg === null) return m([['error', 'setTraceMask requires long traceMask argument']]);
      if (!/^[+-]?\d+$/.test(arg) || BigInt(arg) !== BigInt.asIntN(64, BigInt(arg))) {
        return m([['error', `setTraceMask requires long traceMask argument, got ${arg}`]]);
      }
      c.view.setTraceMask?.(BigInt(arg));
      return m([['tracemask', BigInt(arg)]]);
    },
  },
  { names: ['server_stats', 'srvr'], serverRequired: true, run: (c) => serverStatsData(c.view) },
  {
    names: ['stats', 'stat'], serverRequired: true,
    run: (c) => {
      const out = serverStatsData(c.view);
      out.set('connections', connectionInfo(c.view, true, false));
      out.set('secure_connections', connectionInfo(c.view, true, true));
      return out;
    },
  },
  { names: ['stat_reset', 'srst'], serverRequired: true, run: (c) => { c.view.resetStats(); return m([]); } },
  {
    names: ['observers', 'obsr'], serverRequired: true,
    run: (c) => {
      const list = c.observers() ?? [];
      return m([['synced_observers', list.length], ['observers', list.map((o) => m([
        ['remote_socket_address', `/${o.remoteAddress}`], ['sid', o.sid], ['established', o.establishedMs],
        ['queued_packets', o.queuedPackets], ['queued_packets_size', 0], ['packets_received', o.packetsReceived],
        ['packets_sent', o.packetsSent], ['requests', o.requests], ['last_zxid', o.lastZxid],
      ]))]]);
    },
  },
  {
    names: ['system_properties', 'sysp'], serverRequired: false,
    run: (c) => new Map([...c.systemProperties()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, v])),
  },
  {
    names: ['voting_view'], serverRequired: true,
    run: (c) => {
      const q = c.quorum();
      const view = new Map<string, JsonValue>();
      for (const [sid, s] of q?.servers ?? []) {
        view.set(String(sid), m([
          ['server_addresses', [javaSocketAddress(s.host, s.quorumPort).replace(/^\//, '')]],
          ['election_addresses', [javaSocketAddress(s.host, s.electionPort).replace(/^\//, '')]],
          ['client_address', clientAddress(s)],
          ['learner_type', s.role],
        ]));
      }
      return m([['current_config', view]]);
    },
  },
  { names: ['watches', 'wchc'], serverRequired: true, run: (c) => watchData(c.view, 'watches') },
  { names: ['watches_by_path', 'wchp'], serverRequired: true, run: (c) => watchData(c.view, 'watches_by_path') },
  { names: ['watch_summary', 'wchs'], serverRequired: true, run: (c) => watchData(c.view, 'watch_summary') },
  {
    names: ['zabstate'], serverRequired: false,
    run: (c) => {
      const q = c.quorum();
      // ZooKeeper answers this way while no ZooKeeperServer runs: standalone, or electing.
      if (q === null || q.leaderId === null) return m([['voting', false], ['zabstate', '']]);
      const me = q.servers.get(q.myid);
      if (me === undefined) return m([['voting', false], ['zabstate', '']]);
      return m([
        ['myid', q.myid], ['is_leader', q.isLeader],
        ['quorum_address', addressBean(me.host, me.quorumPort)], ['election_address', addressBean(me.host, me.electionPort)],
        ['client_address', clientAddress(me)], ['voting', q.voting],
        ['last_zxid', `0x${q.lastZxid.toString(16)}`], ['zab_epoch', Math.floor(q.lastZxid / 2 ** 32)],
        ['zab_counter', q.lastZxid % 2 ** 32], ['zabstate', q.zabState],
      ]);
    },
  },
];

/** 3.9's snapshot command: a snapshot now, streamed (or only its headers with streaming=false). */
const SNAPSHOT_COMMAND: CommandDef = {
  names: ['snapshot', 'snap'], serverRequired: true, auth: { perms: Perm.ALL, path: '/' },
  run: async (c, params) => {
    const empty = m([]);
    if (!c.snapshotEnabled) return { data: empty, status: 503 };
    const now = Date.now();
    if (lastSnapshotCommandAt.has(c) && now - (lastSnapshotCommandAt.get(c) ?? 0) < c.rateLimitIntervalMs) {
      c.metrics.snapshotRateLimitedCount.inc();
      return { data: empty, status: 429 };
    }
    lastSnapshotCommandAt.set(c, now);
    const streaming = params.has('streaming') ? params.get('streaming')?.toLowerCase() === 'true' : true;
    try {
      const snap = await c.takeSnapshot();
      if (snap.file === null) {
        c.metrics.snapshotErrorCount.inc();
        return { data: empty, status: 500 };
      }
      const size = (await stat(snap.file)).size;
      const headers = { last_zxid: `0x${snap.zxid.toString(16).padStart(16, '0')}`, snapshot_size: String(size) };
      if (size === 0) {
        c.metrics.snapshotErrorCount.inc();
        return { data: empty, status: 500, headers };
      }
      return { data: empty, status: 200, headers, ...(streaming ? { file: snap.file } : {}) };
    } catch {
      c.metrics.snapshotErrorCount.inc();
      return { data: empty, status: 500 };
    }
  },
};
/** RateLimiter(1 per admin.rateLimiterIntervalInMS) of each server's snapshot command. */
const lastSnapshotCommandAt = new WeakMap<AdminContext, number>();

/**
 * Commands.handleAuthentication: `Authorization: <scheme> <data>`; digest (user:password, and
 * super for superDigest) and ip are the schemes a plain HTTP request can prove. Null: not authenticated.
 */
function adminIds(ctx: AdminContext, req: AdminRequest): Id[] | null {
  const parts = (req.authorization ?? '').split(' ');
  if (parts.length < 1 || parts.length > 2 || parts[0] === '') return null;
  const [scheme, data] = parts;
  if (scheme === 'digest' && data !== undefined && data.includes(':')) {
    const digest = generateDigest(data);
    const ids: Id[] = [{ scheme: 'digest', id: digest }];
    if (ctx.superDigest !== null && digest === ctx.superDigest) ids.push({ scheme: 'super', id: '' });
    return ids;
  }
  if (scheme === 'ip') return [{ scheme: 'ip', id: req.remoteAddress }];
  return null;
}

const byName = new Map<string, CommandDef>();
for (const c of [...COMMANDS, SNAPSHOT_COMMAND]) for (const n of c.names) byName.set(n, c);

/** Primary names, sorted, as the command list at `admin.commandURL` shows them. */
export const PRIMARY_COMMAND_NAMES: readonly string[] = [...COMMANDS, SNAPSHOT_COMMAND].map((c) => c.names[0]).sort();

/** CommandResponse.toMap: data, then command, then error (a data "error" keeps its place). */
function response(data: JsonMap, command: string, error: string | null): JsonMap {
  const out: JsonMap = new Map(data);
  if (!out.has('command')) out.set('command', command);
  if (!data.has('error')) out.set('error', error);
  return out;
}

/**
 * Runs the command named `name` (any alias); unknown names and a server not serving are errors in
 * the JSON (status 200, as ZooKeeper answers); a command that needs authorization answers 401
 * without ids and 403 when the znode's ACL does not grant them every permission it asks for.
 */
export async function runAdminCommand(name: string, params: URLSearchParams, ctx: AdminContext, req: AdminRequest): Promise<AdminResult> {
  const cmd = byName.get(name);
  const fail = (error: string, status = 200): AdminResult => ({ data: response(m([]), name, error), status });
  if (cmd === undefined) return fail(`Unknown command: ${name}`);
  if (cmd.serverRequired && !ctx.view.serving) return fail(ZK_NOT_SERVING);
  if (cmd.auth !== undefined) {
    if (req.authorization === null) return fail('Auth info is missing for the command', 401);
    const ids = adminIds(ctx, req);
    if (ids === null) return fail('Not authenticated', 401);
    const acl = ctx.aclOf(cmd.auth.path);
    if (acl === null) return fail('Error occurred during auth', 500);
    // ZOOKEEPER-4964: each permission bit is checked on its own.
    for (let bit = 1; bit <= cmd.auth.perms; bit <<= 1) {
      if ((cmd.auth.perms & bit) !== 0 && !hasPermission(acl, bit, ids)) return fail('Not authorized', 403);
    }
  }
  const out = await cmd.run(ctx, params);
  if (out instanceof Map) return { data: response(out, cmd.names[0], null), status: 200 };
  return { ...out, data: response(out.data, cmd.names[0], null) };
}
