// The server state as the four-letter words read it (AdminView), taken from a running ZkServer.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AdminView, ConnectionInfo, MonitorView, ServerStatsView, SummaryMetric } from './four-letter.js';
import { Counter, CounterSet, Summary, type ServerMetrics } from './metrics.js';
import { processEnvironment } from './four-letter.js';
import type { ZkServer } from './server.js';

/** The version string 4lw and monitoring tools parse: ZooKeeper's protocol level, then ours. */
export const ZK_SERVER_VERSION = '3.9.3-zk-server-0.1.0';
const BUILD = `${ZK_SERVER_VERSION}, built on 2026-11-22 00:00 UTC`;

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        const st = statSync(join(dir, name));
        if (st.isFile()) total += st.size;
      } catch {
        // a file purged while we list: not counted
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/** Open and maximum file descriptors of this process (mntr reports them on Unix, as ZooKeeper does). */
function fileDescriptors(): { open?: number; max?: number } {
  try {
    const open = readdirSync('/proc/self/fd').length;
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+)/m.exec(limits);
    return { open, max: m ? Number(m[1]) : undefined };
  } catch {
    return {};
  }
}

/** ServerMetrics as the default metrics provider dumps them: counters, then summaries (sets by key). */
export function metricsDump(metrics: ServerMetrics): Pick<MonitorView, 'counters' | 'summaries'> {
  const counters: Array<[string, number]> = [];
  const summaries: SummaryMetric[] = [];
  const summary = (name: string, s: Summary): void => {
    const v = s.values();
    summaries.push({ name, count: v.count, sum: v.sum, min: v.min, max: v.max, ...(v.percentiles ? { percentiles: v.percentiles } : {}) });
  };
  for (const m of metrics.all.values()) {
    if (m instanceof Counter) counters.push([m.name, m.value]);
    else if (m instanceof CounterSet) for (const [key, v] of m.values) counters.push([`${key}_${m.name}`, v]);
    else if (m instanceof Summary) summary(m.name, m);
    else for (const [key, s] of m.byKey) summary(`${key}_${m.name}`, s);
  }
  return { counters, summaries };
}

/** ZooKeeperServer.registerMetrics' quota gauge sets, by namespace. */
function quotaGaugeSets(server: ZkServer): Array<[string, Map<string, number>]> {
  const q = server.tree.quotaTotals();
  return [
    ['quota_count_limit_per_namespace', q.countLimit], ['quota_bytes_limit_per_namespace', q.bytesLimit],
    ['quota_count_usage_per_namespace', q.countUsage], ['quota_bytes_usage_per_namespace', q.bytesUsage],
  ];
}

export function createAdminView(server: ZkServer): AdminView {
  const cfg = server.config;
  return {
    version: BUILD,
    get serving() {
      return server.isServing;
    },
    get serverState() {
      return server.serverState;
    },
    get peerState() {
      return server.quorum?.peerState();
    },
    isReadOnly: false,
    stats(): ServerStatsView {
      const s = server.stats;
      const count = s.latencyCount;
      return {
        minLatency: count === 0 ? 0 : s.minLatencyMs,
        avgLatency: count === 0 ? 0 : s.totalLatencyMs / count,
        maxLatency: s.maxLatencyMs,
        received: s.packetsReceived,
        sent: s.packetsSent,
        outstanding: server.pipeline.outstanding,
        zxid: server.tree.lastProcessedZxid,
        nodeCount: server.tree.nodeCount(),
        connections: server.connections.size,
        uptimeMs: Date.now() - server.startedAtMs,
      };
    },
    connections(): ConnectionInfo[] {
      return [...server.connections].map((c) => {
        const st = c.stats;
        const n = st.latencyCount;
        return {
          remoteAddress: c.remoteAddress,
          remotePort: c.remotePort,
          secure: c.secure,
          interestOps: c.state === 'connected' ? 1 : 0,
          outstandingRequests: c.outstanding,
          packetsReceived: st.packetsReceived,
          packetsSent: st.packetsSent,
          sessionId: c.sessionId,
          lastOperation: st.lastOp,
          establishedMs: st.establishedAtMs,
          sessionTimeoutMs: c.sessionTimeoutMs,
          lastCxid: st.lastCxid,
          lastZxid: st.lastZxid,
          lastResponseTime: Math.floor(st.lastResponseTimeMs),
          lastLatency: st.lastLatencyMs,
          minLatency: n === 0 ? 0 : st.minLatencyMs,
          avgLatency: n === 0 ? 0 : Math.floor(st.totalLatencyMs / n),
          maxLatency: st.maxLatencyMs,
        };
      });
    },
    resetStats: () => server.resetStats(),
    resetConnectionStats: () => {
      for (const c of server.connections) c.resetStats();
    },
    config: () => ({
      clientPort: server.port,
      secureClientPort: cfg.secureClientPort ?? -1,
      dataDir: join(resolve(cfg.dataDir), 'version-2'),
      dataLogDir: join(resolve(cfg.dataLogDir), 'version-2'),
      tickTime: cfg.tickTime,
      maxClientCnxns: cfg.maxClientCnxns,
      minSessionTimeout: cfg.minSessionTimeout,
      maxSessionTimeout: cfg.maxSessionTimeout,
      clientPortListenBacklog: -1,
      serverId: server.quorumServerId ?? 0,
    }),
    environment: () => processEnvironment(BUILD),
    dataDirSizes: () => ({
      dataDirBytes: dirBytes(join(cfg.dataDir, 'version-2')),
      dataLogDirBytes: dirBytes(join(cfg.dataLogDir, 'version-2')),
    }),
    watches: () => ({ byPath: server.tree.dataWatches.byPath(), bySession: server.tree.dataWatches.bySession() }),
    sessionsWithEphemerals: () => {
      const out = new Map<bigint, string[]>();
      for (const [sid, paths] of server.tree.ephemeralSessions()) out.set(sid, [...paths]);
      return out;
    },
    sessionExpiryBuckets: () => [...server.sessions.byExpiry()].map(([expiresAtMs, items]) => ({ expiresAtMs, items })),
    monitor: () => {
      const fds = fileDescriptors();
      return {
        watchCount: server.tree.watchCount(),
        ephemeralsCount: server.tree.ephemeralsCount(),
        approximateDataSize: server.tree.approximateDataSize(),
        globalSessions: server.sessions.size,
        localSessions: 0,
        openFileDescriptorCount: fds.open,
        maxFileDescriptorCount: fds.max,
        authFailedCount: server.stats.authFailedCount,
        lastClientResponseSize: server.stats.lastResponseSize,
        minClientResponseSize: server.stats.minResponseSize,
        maxClientResponseSize: server.stats.maxResponseSize,
        gaugeSets: quotaGaugeSets(server),
        ...metricsDump(server.metrics),
        ...(server.quorum ? { quorumSize: server.quorum.quorumSize } : {}),
        ...(server.quorum?.leader ? { leader: server.quorum.leader() } : {}),
      };
    },
    digestLog: () => server.tree.digestHistory.history(),
    traceMask: () => server.traceMask,
    setTraceMask: (mask) => { server.traceMask = mask; },
  };
}
