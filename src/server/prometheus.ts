// The Prometheus endpoint of ZooKeeper's PrometheusMetricsProvider (metricsProvider.className=
// org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider): GET or POST /metrics on
// metricsProvider.httpHost:httpPort answers the text exposition format 0.0.4, built with
// prom-client, with ZooKeeper's names and types:
// - every ServerMetrics counter as a counter (no `_total`, as ZooKeeper 3.8's simpleclient 0.9 writes);
// - every summary as a summary with quantile 0.5 (BASIC) or 0.5, 0.9, 0.99 (ADVANCED) over a
//   10-minute window in 5 buckets, `_count` and `_sum` since start; summary and counter sets with
//   the label `key`;
// - the server's gauges (znode_count, num_alive_connections, …, and the leader's while it leads)
//   read at scrape time, absent while the server does not serve, as ZooKeeper registers them only
//   while a ZooKeeperServer runs;
// - with metricsProvider.exportJvmInfo (ZooKeeper's default: true), Node's process metrics from
//   prom-client's collectDefaultMetrics: the process_* names match the JVM exporter's.
// Quantiles are estimated from a uniform sample of at most SCRAPE_SAMPLE values per scrape interval
// (metrics.ts), so recording stays cheap on the request path; `_count` and `_sum` are exact.

import http from 'node:http';
import { Counter as PromCounter, Gauge as PromGauge, Registry, Summary as PromSummary, collectDefaultMetrics } from 'prom-client';
import type { AdminView } from './four-letter.js';
import { monitorGauges } from './four-letter.js';
import { Counter, CounterSet, Summary, SummarySet, type ServerMetrics } from './metrics.js';
import { listenHttp } from './http-listen.js';

const WINDOW = { maxAgeSeconds: 600, ageBuckets: 5 };
const PERCENTILES = { basic: [0.5], advanced: [0.5, 0.9, 0.99] };

export interface PrometheusSource {
  readonly metrics: ServerMetrics;
  /** The server's state for its gauges; gauges are left out while it does not serve. */
  readonly view: AdminView;
}

type ExactTotals = (key: string | undefined) => { count: number; sum: number } | undefined;

/** A prom-client summary whose `_count` and `_sum` are the recorded totals, not the sample's. */
function withExactTotals(summary: PromSummary, totals: ExactTotals): void {
  const get = summary.get.bind(summary);
  summary.get = async () => {
    const out = await get();
    for (const v of out.values) {
      const name = (v as { metricName?: string }).metricName;
      const t = totals(v.labels.key === undefined ? undefined : String(v.labels.key));
      if (t === undefined || name === undefined) continue;
      if (name.endsWith('_count')) v.value = t.count;
      else if (name.endsWith('_sum')) v.value = t.sum;
    }
    return out;
  };
}

export class PrometheusExporter {
  readonly registry = new Registry();
  private readonly counters = new Map<string, { prom: PromCounter; exported: Map<string, number> }>();
  private readonly summaries = new Map<string, PromSummary>();
  private readonly gauges = new Map<string, PromGauge>();

  constructor(private readonly source: () => PrometheusSource, options: { exportJvmInfo: boolean; storage?: string }) {
    const metrics = source().metrics;
    metrics.enableScrape();
    for (const m of metrics.all.values()) {
      if (m instanceof Counter || m instanceof CounterSet) {
        const prom = new PromCounter({
          name: m.name, help: m.name, registers: [this.registry], ...(m instanceof CounterSet ? { labelNames: ['key'] } : {}),
        });
        this.counters.set(m.name, { prom, exported: new Map() });
      } else {
        const set = m instanceof SummarySet;
        const prom = new PromSummary({
          name: m.name, help: m.name, registers: [this.registry], percentiles: PERCENTILES[m.level], ...WINDOW,
          ...(set ? { labelNames: ['key'] } : {}),
        });
        withExactTotals(prom, (key) => {
          const s = this.current(m.name);
          if (s instanceof Summary) return key === undefined ? { count: s.count, sum: s.sum } : undefined;
          if (s instanceof SummarySet && key !== undefined) {
            const k = s.byKey.get(key);
            return k ? { count: k.count, sum: k.sum } : undefined;
          }
          return undefined;
        });
        this.summaries.set(m.name, prom);
      }
    }
    if (options.storage !== undefined) {
      // zk-server's own: which storage backend holds the txn log and snapshots (an info gauge, 1).
      new PromGauge({ name: 'zkserver_storage_info', help: 'zkserver_storage_info', labelNames: ['backend'], registers: [this.registry] })
        .set({ backend: options.storage }, 1);
    }
    if (options.exportJvmInfo) collectDefaultMetrics({ register: this.registry });
  }

  private current(name: string): ReturnType<ServerMetrics['all']['get']> {
    return this.source().metrics.all.get(name);
  }

  /** The exposition text, after bringing every metric up to date. */
  async render(): Promise<string> {
    const { metrics, view } = this.source();
    for (const m of metrics.all.values()) {
      if (m instanceof Counter) this.syncCounter(m.name, [['', m.value]]);
      else if (m instanceof CounterSet) this.syncCounter(m.name, [...m.values]);
      else if (m instanceof Summary) this.feed(m.name, m, undefined);
      else for (const [key, s] of m.byKey) this.feed(m.name, s, key);
    }
    this.syncGauges(view);
    return this.registry.metrics();
  }

  /** Counters only go up in prom-client: a value below the one exported means a reset (srst). */
  private syncCounter(name: string, values: ReadonlyArray<readonly [string, number]>): void {
    const c = this.counters.get(name);
    if (!c) return;
    for (const [key, value] of values) {
      const before = c.exported.get(key) ?? 0;
      if (value < before) {
        c.prom.reset();
        c.exported.clear();
      }
      const delta = value - (c.exported.get(key) ?? 0);
      if (key === '') c.prom.inc(delta);
      else c.prom.inc({ key }, delta);
      c.exported.set(key, value);
    }
  }

  private feed(name: string, s: Summary, key: string | undefined): void {
    const prom = this.summaries.get(name);
    if (!prom) return;
    const child = key === undefined ? prom : prom.labels({ key });
    for (const v of s.takeScrapeSample()) child.observe(v);
  }

  private syncGauges(view: AdminView): void {
    const present = new Set<string>();
    if (view.serving) {
      const mon = view.monitor();
      for (const [name, values] of mon.gaugeSets ?? []) {
        present.add(name);
        let g = this.gauges.get(name);
        if (!g) {
          g = new PromGauge({ name, help: name, labelNames: ['key'], registers: [] });
          this.gauges.set(name, g);
        }
        if (this.registry.getSingleMetric(name) === undefined) this.registry.registerMetric(g);
        g.reset();
        for (const [key, v] of values) g.set({ key }, v);
      }
      for (const [name, v] of monitorGauges(view, view.stats(), mon)) {
        if (v === undefined) continue;
        present.add(name);
        let g = this.gauges.get(name);
        if (!g) {
          g = new PromGauge({ name, help: name, registers: [] });
          this.gauges.set(name, g);
        }
        if (this.registry.getSingleMetric(name) === undefined) this.registry.registerMetric(g);
        g.set(Number('long' in v ? v.long : v.double));
      }
    }
    // ZooKeeper unregisters a role's gauges when the role ends (dashboards tell the leader by leader_uptime).
    for (const name of this.gauges.keys()) if (!present.has(name)) this.registry.removeSingleMetric(name);
  }
}

/** Serves `exporter` at /metrics; resolves once listening. Errors name metricsProvider.httpPort. */
export async function startPrometheusEndpoint(exporter: PrometheusExporter, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(path === '/metrics' ? 'method not allowed\n' : 'not found\n');
      return;
    }
    exporter.render().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': exporter.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  });
  await listenHttp(server, host, port, 'metricsProvider.httpPort');
  return server;
}
