// The Prometheus endpoint through a real server process and real clients: /metrics parsed and held
// against the metrics of Apache ZooKeeper 3.8.4 (Debian's package lacks the Prometheus provider jar,
// so its source is the reference: ServerMetrics' names and kinds, listed below as read from
// release-3.8.4, the summary quantiles of PrometheusMetricsProvider, and ZooKeeperServer's gauges).

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { NzkClient } from '../integration/support/nzk.js';

// ServerMetrics of ZooKeeper 3.8.4: name:kind, C counter, CS counter set, SB/SA summary with BASIC or
// ADVANCED detail, SSB/SSA summary set.
const ZOOKEEPER_3_8_METRICS = [
  'ack_latency:SSA add_dead_watcher_stall_time:C bytes_received_count:C close_session_prep_time:SA',
  'cnxn_closed_without_zk_server_running:C commit_commit_proc_req_queued:SB commit_count:C',
  'commit_process_time:SB commit_propagation_latency:SA',
  'concurrent_request_processing_in_commit_processor:SB connection_drop_count:C connection_rejected:C',
  'connection_request_count:C connection_revalidate_count:C connection_token_deficit:SB dbinittime:SB',
  'dead_watchers_cleaner_latency:SA dead_watchers_cleared:C dead_watchers_queued:C diff_count:C',
  'digest_mismatches_count:C election_time:SB ensemble_auth_fail:C ensemble_auth_skip:C',
  'ensemble_auth_success:C follower_sync_time:SB fsynctime:SB inflight_diff_count:SB',
  'inflight_snap_count:SB insecure_admin_count:C jvm_pause_time_ms:SA large_requests_rejected:C',
  'leader_unavailable_time:SB learner_commit_received_count:C learner_handler_qp_size:SSB',
  'learner_handler_qp_time_ms:SSA learner_proposal_received_count:C',
  'learner_request_processor_queue_size:SB local_write_committed_time_ms:SA looking_count:C',
  'netty_queued_buffer_capacity:SB node_changed_watch_count:SB node_children_watch_count:SB',
  'node_created_watch_count:SB node_deleted_watch_count:SB observer_sync_time:SB',
  'om_commit_process_time_ms:SA om_proposal_process_time_ms:SA outstanding_changes_queued:C',
  'outstanding_changes_removed:C pending_session_queue_size:SB prep_process_time:SB',
  'prep_processor_queue_size:SB prep_processor_queue_time_ms:SA prep_processor_request_queued:C',
  'propagation_latency:SA proposal_ack_creation_latency:SA proposal_count:C proposal_latency:SA',
  'proposal_process_time:SB quit_leading_due_to_disloyal_voter:C quorum_ack_latency:SA',
  'read_commit_proc_issued:SB read_commit_proc_req_queued:SB read_commitproc_time_ms:SA',
  'read_final_proc_time_ms:SA read_per_namespace:SSB readlatency:SA',
  'reads_after_write_in_session_queue:SB reads_issued_from_session_queue:SB request_commit_queued:C',
  'request_throttle_queue_time_ms:SA request_throttle_wait_count:C requests_in_session_queue:SB',
  'requests_not_forwarded_to_commit_processor:C response_bytes:C response_packet_cache_hits:C',
  'response_packet_cache_misses:C response_packet_get_children_cache_hits:C',
  'response_packet_get_children_cache_misses:C revalidate_count:C server_write_committed_time_ms:SA',
  'session_queues_drained:SB sessionless_connections_expired:C',
  'skip_learner_request_to_next_processor_count:C snap_count:C snapshottime:SB socket_closing_time:SB',
  'stale_replies:C stale_requests:C stale_requests_dropped:C stale_sessions_expired:C',
  'startup_snap_load_time:SB startup_txns_load_time:SB startup_txns_loaded:SB sync_process_time:SB',
  'sync_processor_batch_size:SB sync_processor_queue_and_flush_time_ms:SA',
  'sync_processor_queue_flush_time_ms:SA sync_processor_queue_size:SB sync_processor_queue_time_ms:SA',
  'sync_processor_request_queued:C throttled_ops:C',
  'time_waiting_empty_pool_in_commit_processor_read_ms:SB tls_handshake_exceeded:C unavailable_time:SB',
  'unrecoverable_error_count:C unsuccessful_handshake:C updatelatency:SA watch_bytes:C',
  'write_batch_time_in_commit_processor:SB write_commit_proc_issued:SB write_commit_proc_req_queued:SB',
  'write_commitproc_time_ms:SA write_final_proc_time_ms:SA write_per_namespace:SSB',
].join(' ').trim().split(/\s+/).map((e) => e.split(':') as [string, string]);

/** ZooKeeperServer.registerMetrics' gauges (every mode). */
const SERVER_GAUGES = [
  'avg_latency', 'max_latency', 'min_latency', 'packets_received', 'packets_sent', 'num_alive_connections',
  'outstanding_requests', 'uptime', 'znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size',
  'global_sessions', 'local_sessions', 'open_file_descriptor_count', 'max_file_descriptor_count',
  'connection_drop_probability', 'last_client_response_size', 'max_client_response_size', 'min_client_response_size',
  'outstanding_tls_handshake', 'auth_failed_count', 'non_mtls_remote_conn_count', 'non_mtls_local_conn_count',
];

interface Family { type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }

/** The text exposition format 0.0.4: # TYPE lines and samples, grouped by family. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | null = null;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP')) continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      current = { type: type[2], samples: [] };
      families.set(type[1], current);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m && current, `not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    current.samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return families;
}

const value = (f: Map<string, Family>, name: string, sample = name): number | undefined =>
  f.get(name)?.samples.find((s) => s.name === sample)?.value;

async function scrape(port: number): Promise<{ type: string | null; families: Map<string, Family> }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  return { type: res.headers.get('content-type'), families: parseExposition(await res.text()) };
}

const PROVIDER = { 'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider', 'metricsProvider.httpHost': '127.0.0.1' };

describe('Prometheus endpoint', () => {
  let zk: ZkServerHandle;
  let port = 0;

  before(async () => {
    port = await freePort();
    zk = await startZkServer({ storage: 'filelog', extraConfig: { ...PROVIDER, 'metricsProvider.httpPort': String(port) } });
  });
  after(async () => { await zk.stop(); });

  it('serves text format 0.0.4 at /metrics with every ServerMetrics name, typed as ZooKeeper 3.8 types it', async () => {
    const { type, families } = await scrape(port);
    assert.equal(type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.ok(ZOOKEEPER_3_8_METRICS.length >= 110);
    for (const [name, kind] of ZOOKEEPER_3_8_METRICS) {
      const f = families.get(name);
      assert.ok(f, `${name} missing`);
      if (kind === 'C' || kind === 'CS') {
        assert.equal(f.type, 'counter', name);
        if (kind === 'C') assert.deepEqual(f.samples.map((s) => s.name), [name], `${name}: no _total suffix, as simpleclient 0.9 writes`);
      } else {
        assert.equal(f.type, 'summary', name);
        if (kind === 'SB' || kind === 'SA') {
          const quantiles = f.samples.filter((s) => s.name === name).map((s) => s.labels.quantile);
          assert.deepEqual(quantiles, kind === 'SB' ? ['0.5'] : ['0.5', '0.9', '0.99'], name);
          assert.ok(value(families, name, `${name}_count`) !== undefined && value(families, name, `${name}_sum`) !== undefined, name);
        }
      }
    }
    for (const g of SERVER_GAUGES) assert.equal(families.get(g)?.type, 'gauge', g);
    // exportJvmInfo (default true): the process metrics the JVM exporter names the same way.
    for (const p of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_open_fds', 'process_start_time_seconds']) {
      assert.ok(families.has(p), p);
    }
    assert.deepEqual(families.get('zkserver_storage_info')?.samples.map((s) => [s.labels.backend, s.value]), [['filelog', 1]]);
    // Role gauges exist only in a quorum role.
    assert.ok(!families.has('leader_uptime') && !families.has('quorum_size'));
  });

  it('moves with client traffic: gauges read now, latency and fsync summaries, counters', async () => {
    const before = (await scrape(port)).families;
    const client = await NzkClient.connect(zk.port);
    try {
      for (let i = 0; i < 20; i++) await client.create(`/m${i}`, Buffer.from('x'));
      await client.getData('/m0', () => {});
      const { families } = await scrape(port);
      assert.equal(value(families, 'znode_count'), (value(before, 'znode_count') ?? 0) + 20);
      assert.equal(value(families, 'num_alive_connections'), 1);
      assert.equal(value(families, 'watch_count'), 1);
      assert.equal(value(families, 'global_sessions'), 1);
      const writes = (value(families, 'updatelatency', 'updatelatency_count') ?? 0) - (value(before, 'updatelatency', 'updatelatency_count') ?? 0);
      assert.equal(writes, 21, 'createSession and 20 creates are updates');
      assert.ok((value(families, 'readlatency', 'readlatency_count') ?? 0) >= 1);
      assert.ok((value(families, 'fsynctime', 'fsynctime_count') ?? 0) > (value(before, 'fsynctime', 'fsynctime_count') ?? 0));
      assert.ok((value(families, 'sync_processor_batch_size', 'sync_processor_batch_size_sum') ?? 0) >= 21);
      assert.equal((value(families, 'connection_request_count') ?? 0) - (value(before, 'connection_request_count') ?? 0), 1);
      assert.ok((value(families, 'bytes_received_count') ?? 0) > 0);
      assert.ok((value(families, 'response_bytes') ?? 0) > 0);
      assert.equal(value(families, 'startup_snap_load_time', 'startup_snap_load_time_count'), 1);
      assert.ok((value(families, 'snapshottime', 'snapshottime_count') ?? 0) >= 1);
      const q = families.get('updatelatency')?.samples.find((s) => s.labels.quantile === '0.99')?.value;
      assert.ok(q !== undefined && q >= 0 && Number.isFinite(q));
    } finally {
      client.close();
    }
  });

  it('answers 404 beside /metrics', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metricsx`)).status, 404);
  });
});

describe('HTTP endpoint ports', () => {
  it('leaves out the process metrics with metricsProvider.exportJvmInfo=false', async () => {
    const port = await freePort();
    const zk = await startZkServer({ extraConfig: { ...PROVIDER, 'metricsProvider.httpPort': String(port), 'metricsProvider.exportJvmInfo': 'false' } });
    try {
      const { families } = await scrape(port);
      assert.ok(families.has('znode_count'));
      assert.ok(![...families.keys()].some((k) => k.startsWith('process_') || k.startsWith('nodejs_')));
    } finally {
      await zk.stop();
    }
  });

  for (const key of ['metricsProvider.httpPort', 'admin.serverPort']) {
    it(`refuses to start when ${key} is taken, naming the key`, async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const taken = (blocker.address() as net.AddressInfo).port;
      try {
        const extra: Record<string, string> = key === 'admin.serverPort'
          ? { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(taken) }
          : { ...PROVIDER, 'metricsProvider.httpPort': String(taken) };
        await assert.rejects(startZkServer({ extraConfig: extra }), (err: Error) => {
          assert.match(err.message, new RegExp(`zk-server: ${key.replace('.', '\\.')}: port ${taken} on 127\\.0\\.0\\.1 is already in use`));
          return true;
        });
      } finally {
        blocker.close();
      }
    });
  }

  it('records event-loop pauses in jvm_pause_time_ms with jvm.pause.monitor=true, as JvmPauseMonitor records JVM pauses', async () => {
    const port = await freePort();
    const zk = await startZkServer({ extraConfig: { ...PROVIDER, 'metricsProvider.httpPort': String(port), 'jvm.pause.monitor': 'true', 'jvm.pause.sleep.time.ms': '50' } });
    try {
      await new Promise((r) => setTimeout(r, 600));
      const { families } = await scrape(port);
      assert.ok((value(families, 'jvm_pause_time_ms', 'jvm_pause_time_ms_count') ?? 0) >= 3);
    } finally {
      await zk.stop();
    }
  });

  it('refuses an unknown metricsProvider.className, naming the key', async () => {
    await assert.rejects(startZkServer({ extraConfig: { 'metricsProvider.className': 'com.example.Nope' } }), /metricsProvider\.className: unknown metrics provider "com\.example\.Nope"/);
  });
});
