// The HTTP endpoints beside the client port, started with the server and stopped with it: the
// AdminServer (admin.enableServer, on by default as in ZooKeeper) and the Prometheus endpoint
// (metricsProvider.className=…PrometheusMetricsProvider). Either failing to bind stops start-up
// with an error naming its port key.

import type http from 'node:http';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { AdminContext } from './admin-commands.js';
import { startAdminServer } from './admin-server.js';
import { processEnvironment } from './four-letter.js';
import { boundPort } from './http-listen.js';
import type { ZkServer } from './server.js';

export function adminContext(server: ZkServer): AdminContext {
  return {
    view: server.admin,
    config: server.config,
    quorum: () => server.quorum?.info?.() ?? null,
    observers: () => server.quorum?.observers?.() ?? null,
    resetObserverStats: () => server.quorum?.resetObserverStats?.(),
    lastSnapshot: async () => (await server.storage.snapshots.list())[0] ?? null,
    // Node has no Java system properties: the process's facts (as `envi` lists them) and every
    // setting as read, file keys and -D properties alike.
    systemProperties: () => [...processEnvironment(server.admin.version), ...server.config.raw],
    aclOf: (p) => {
      const node = server.tree.getNode(p);
      return node === undefined ? null : server.tree.getACL(node);
    },
    superDigest: server.config.superDigest,
    takeSnapshot: async () => {
      await server.snapshotter.snapshotNow();
      const newest = (await server.storage.snapshots.list())[0];
      return { zxid: newest?.zxid ?? 0, file: newest?.location ?? null };
    },
    snapshotEnabled: server.config.adminSnapshotEnabled,
    rateLimitIntervalMs: server.config.adminRateLimiterIntervalMs,
    metrics: server.metrics,
  };
}

export interface Endpoints {
  /** Bound ports (for port 0: the ones the system chose); null when that endpoint is off. */
  readonly adminPort: number | null;
  readonly metricsPort: number | null;
  close(): Promise<void>;
}

const closeServer = (s: http.Server): Promise<void> => new Promise((resolve) => {
  s.close(() => resolve());
  s.closeAllConnections();
});

export async function startEndpoints(server: ZkServer, config: ServerConfig, log: Logger): Promise<Endpoints> {
  const started: http.Server[] = [];
  const close = async (): Promise<void> => { await Promise.all(started.map(closeServer)); };
  try {
    let adminPort: number | null = null;
    let metricsPort: number | null = null;
    if (config.metricsProvider === 'prometheus') {
      // prom-client takes ~50 ms to load: only a server that exports metrics loads it.
      const { PrometheusExporter, startPrometheusEndpoint } = await import('./prometheus.js');
      const exporter = new PrometheusExporter(() => ({ metrics: server.metrics, view: server.admin }), { exportJvmInfo: config.metricsExportJvmInfo, storage: server.storage.kind });
      const s = await startPrometheusEndpoint(exporter, config.metricsHttpHost, config.metricsHttpPort);
      started.push(s);
      metricsPort = boundPort(s);
      log.info(`Prometheus metrics on http://${config.metricsHttpHost}:${metricsPort}/metrics`);
    }
    if (config.adminEnableServer) {
      const ctx = adminContext(server);
      const s = await startAdminServer(() => ctx, {
        host: config.adminServerAddress, port: config.adminServerPort,
        commandUrl: config.adminCommandUrl, idleTimeoutMs: config.adminIdleTimeoutMs,
      }, log);
      started.push(s);
      adminPort = boundPort(s);
      log.info(`AdminServer on http://${config.adminServerAddress}:${adminPort}${config.adminCommandUrl}`);
    }
    return { adminPort, metricsPort, close };
  } catch (err) {
    await close();
    throw err;
  }
}
