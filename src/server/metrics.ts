// ZooKeeper's ServerMetrics for zk-server: every counter, summary and summary set Apache ZooKeeper
// 3.8 registers, under its names and kinds, so `mntr`, the AdminServer's `monitor` and the
// Prometheus endpoint list what ZooKeeper's do, plus zk-server's own (prefixed `zkserver_`).
// The ones zk-server has a counterpart for are fed by the server (the README lists them); the rest
// stay at zero, as in a ZooKeeper whose code path never runs.
//
// Recording is cheap on purpose, since it sits on the request path: a counter is a number, a
// summary keeps count/sum/min/max, a uniform sample of 1028 values (as ZooKeeper's default
// provider does, for the p50..p999 of ADVANCED summaries) and, while Prometheus is on, a second
// uniform sample of the values since the last scrape, which the scrape feeds to prom-client's
// quantile estimator (see prometheus.ts). Values are whole milliseconds or counts, as ZooKeeper
// records longs: observe() truncates.

export type SummaryLevel = 'basic' | 'advanced';

/** dropwizard's UniformReservoir size, ZooKeeper's AvgMinMaxPercentileCounter's sample. */
const PERCENTILE_SAMPLE = 1028;
/** Values kept between two Prometheus scrapes for the quantile estimator. */
export const SCRAPE_SAMPLE = 512;

export class Counter {
  value = 0;
  constructor(readonly name: string) {}
  inc(n = 1): void {
    if (n > 0) this.value += n;
  }
  reset(): void {
    this.value = 0;
  }
}

export class CounterSet {
  readonly values = new Map<string, number>();
  constructor(readonly name: string) {}
  inc(key: string, n = 1): void {
    if (n > 0) this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  reset(): void {
    this.values.clear();
  }
}

/** A uniform random sample of a stream (Vitter's algorithm R). */
class Reservoir {
  readonly values: Float64Array;
  seen = 0;
  constructor(size: number) {
    this.values = new Float64Array(size);
  }
  add(v: number): void {
    const n = this.seen++;
    if (n < this.values.length) this.values[n] = v;
    else {
      const j = Math.floor(Math.random() * (n + 1));
      if (j < this.values.length) this.values[j] = v;
    }
  }
  /** The kept values, sorted. */
  sorted(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, this.values.length)).sort();
  }
  clear(): void {
    this.seen = 0;
  }
}

export interface SummaryValues {
  count: number; sum: number; min: number; max: number;
  /** ADVANCED summaries: p50, p95, p99, p999 of the sample, rounded as ZooKeeper prints them. */
  percentiles?: { p50: number; p95: number; p99: number; p999: number };
}

/** dropwizard's UniformSnapshot.getValue: linear interpolation at q·(n+1). */
function quantileOf(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = q * (n + 1);
  if (pos < 1) return sorted[0];
  if (pos >= n) return sorted[n - 1];
  const lower = sorted[Math.floor(pos) - 1];
  const upper = sorted[Math.floor(pos)];
  return lower + (pos - Math.floor(pos)) * (upper - lower);
}

export class Summary {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private readonly sample: Reservoir | null;
  /** Values since the last scrape; null while no Prometheus endpoint reads them. */
  scrape: Reservoir | null = null;

  constructor(readonly name: string, readonly level: SummaryLevel) {
    this.sample = level === 'advanced' ? new Reservoir(PERCENTILE_SAMPLE) : null;
  }

  observe(value: number): void {
    const v = Math.trunc(value);
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sample?.add(v);
    this.scrape?.add(v);
  }

  values(): SummaryValues {
    const empty = this.count === 0;
    const out: SummaryValues = { count: this.count, sum: this.sum, min: empty ? 0 : this.min, max: empty ? 0 : this.max };
    if (this.sample) {
      const s = this.sample.sorted();
      out.percentiles = {
        p50: Math.round(quantileOf(s, 0.5)), p95: Math.round(quantileOf(s, 0.95)),
        p99: Math.round(quantileOf(s, 0.99)), p999: Math.round(quantileOf(s, 0.999)),
      };
    }
    return out;
  }

  /** The values since the last call (for the scrape), then forgets them. */
  takeScrapeSample(): Float64Array {
    if (!this.scrape) return new Float64Array(0);
    const s = this.scrape.values.slice(0, Math.min(this.scrape.seen, this.scrape.values.length));
    this.scrape.clear();
    return s;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.sample?.clear();
  }
}

export class SummarySet {
  readonly byKey = new Map<string, Summary>();
  private scraping = false;
  constructor(readonly name: string, readonly level: SummaryLevel) {}
  observe(key: string, value: number): void {
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = new Summary(this.name, this.level);
      if (this.scraping) s.scrape = new Reservoir(SCRAPE_SAMPLE);
      this.byKey.set(key, s);
    }
    s.observe(value);
  }
  enableScrape(): void {
    this.scraping = true;
    for (const s of this.byKey.values()) s.scrape ??= new Reservoir(SCRAPE_SAMPLE);
  }
  reset(): void {
    for (const s of this.byKey.values()) s.reset();
  }
}

type Kind = 'C' | 'CS' | 'SB' | 'SA' | 'SSB' | 'SSA';

// Apache ZooKeeper 3.8's ServerMetrics: name and kind (C counter, CS counter set, SB/SA summary
// BASIC/ADVANCED, SSB/SSA summary set), in the order of its source.
const ZOOKEEPER_METRICS: ReadonlyArray<readonly [string, Kind]> = [
  ['fsynctime', 'SB'], ['snapshottime', 'SB'], ['dbinittime', 'SB'], ['readlatency', 'SA'], ['updatelatency', 'SA'],
  ['propagation_latency', 'SA'], ['follower_sync_time', 'SB'], ['election_time', 'SB'], ['looking_count', 'C'],
  ['diff_count', 'C'], ['snap_count', 'C'], ['commit_count', 'C'], ['connection_request_count', 'C'],
  ['connection_token_deficit', 'SB'], ['connection_rejected', 'C'], ['write_per_namespace', 'SSB'],
  ['read_per_namespace', 'SSB'], ['bytes_received_count', 'C'], ['unrecoverable_error_count', 'C'],
  ['node_created_watch_count', 'SB'], ['node_deleted_watch_count', 'SB'], ['node_changed_watch_count', 'SB'],
  ['node_children_watch_count', 'SB'], ['add_dead_watcher_stall_time', 'C'], ['dead_watchers_queued', 'C'],
  ['dead_watchers_cleared', 'C'], ['dead_watchers_cleaner_latency', 'SA'], ['response_packet_cache_hits', 'C'],
  ['response_packet_cache_misses', 'C'], ['response_packet_get_children_cache_hits', 'C'],
  ['response_packet_get_children_cache_misses', 'C'], ['ensemble_auth_success', 'C'], ['ensemble_auth_fail', 'C'],
  ['ensemble_auth_skip', 'C'], ['prep_processor_queue_time_ms', 'SA'], ['prep_processor_queue_size', 'SB'],
  ['prep_processor_request_queued', 'C'], ['outstanding_changes_queued', 'C'], ['outstanding_changes_removed', 'C'],
  ['prep_process_time', 'SB'], ['proposal_process_time', 'SB'], ['close_session_prep_time', 'SA'],
  ['revalidate_count', 'C'], ['connection_drop_count', 'C'], ['connection_revalidate_count', 'C'],
  ['sessionless_connections_expired', 'C'], ['stale_sessions_expired', 'C'], ['requests_in_session_queue', 'SB'],
  ['pending_session_queue_size', 'SB'], ['reads_after_write_in_session_queue', 'SB'],
  ['reads_issued_from_session_queue', 'SB'], ['session_queues_drained', 'SB'],
  ['time_waiting_empty_pool_in_commit_processor_read_ms', 'SB'], ['write_batch_time_in_commit_processor', 'SB'],
  ['concurrent_request_processing_in_commit_processor', 'SB'], ['read_commit_proc_req_queued', 'SB'],
  ['write_commit_proc_req_queued', 'SB'], ['commit_commit_proc_req_queued', 'SB'], ['request_commit_queued', 'C'],
  ['read_commit_proc_issued', 'SB'], ['write_commit_proc_issued', 'SB'], ['read_commitproc_time_ms', 'SA'],
  ['write_commitproc_time_ms', 'SA'], ['local_write_committed_time_ms', 'SA'], ['server_write_committed_time_ms', 'SA'],
  ['commit_process_time', 'SB'], ['om_proposal_process_time_ms', 'SA'], ['om_commit_process_time_ms', 'SA'],
  ['read_final_proc_time_ms', 'SA'], ['write_final_proc_time_ms', 'SA'], ['proposal_latency', 'SA'],
  ['proposal_ack_creation_latency', 'SA'], ['commit_propagation_latency', 'SA'], ['learner_proposal_received_count', 'C'],
  ['learner_commit_received_count', 'C'], ['startup_txns_loaded', 'SB'], ['startup_txns_load_time', 'SB'],
  ['startup_snap_load_time', 'SB'], ['sync_processor_queue_and_flush_time_ms', 'SA'], ['sync_processor_queue_size', 'SB'],
  ['sync_processor_request_queued', 'C'], ['sync_processor_queue_time_ms', 'SA'], ['sync_processor_queue_flush_time_ms', 'SA'],
  ['sync_process_time', 'SB'], ['sync_processor_batch_size', 'SB'], ['quorum_ack_latency', 'SA'], ['ack_latency', 'SSA'],
  ['proposal_count', 'C'], ['quit_leading_due_to_disloyal_voter', 'C'], ['stale_requests', 'C'],
  ['stale_requests_dropped', 'C'], ['stale_replies', 'C'], ['request_throttle_wait_count', 'C'],
  ['request_throttle_queue_time_ms', 'SA'], ['large_requests_rejected', 'C'], ['netty_queued_buffer_capacity', 'SB'],
  ['digest_mismatches_count', 'C'], ['tls_handshake_exceeded', 'C'], ['cnxn_closed_without_zk_server_running', 'C'],
  ['socket_closing_time', 'SB'], ['requests_not_forwarded_to_commit_processor', 'C'], ['response_bytes', 'C'],
  ['watch_bytes', 'C'], ['jvm_pause_time_ms', 'SA'], ['unsuccessful_handshake', 'C'], ['insecure_admin_count', 'C'],
  ['skip_learner_request_to_next_processor_count', 'C'], ['throttled_ops', 'C'], ['learner_handler_qp_size', 'SSB'],
  ['learner_handler_qp_time_ms', 'SSA'], ['inflight_snap_count', 'SB'], ['inflight_diff_count', 'SB'],
  ['learner_request_processor_queue_size', 'SB'], ['quota_exceeded_error_per_namespace', 'CS'],
  ['unavailable_time', 'SB'], ['leader_unavailable_time', 'SB'], ['observer_sync_time', 'SB'],
];

// ZooKeeper 3.9's additions for the AdminServer commands zk-server has (its snapshot command; not
// restore, so not restore_time, restore_error_count or restore_rate_limited_count).
const ZOOKEEPER_3_9_METRICS: ReadonlyArray<readonly [string, Kind]> = [
  ['snapshot_error_count', 'C'], ['snapshot_rate_limited_count', 'C'],
];

// zk-server's own, in the same style.
const ZK_SERVER_METRICS: ReadonlyArray<readonly [string, Kind]> = [
  /** A snapshot's encoding time in the worker pool, ms, summed over its batches (snapshottime is its wall time). */
  ['zkserver_snapshot_worker_time', 'SB'],
  /** The time a snapshot's tree walk held the main thread, ms, summed over its slices. */
  ['zkserver_snapshot_main_thread_time', 'SB'],
  /** Txns per group commit (one txn-log write). ZooKeeper's sync_processor_batch_size counts the same. */
  ['zkserver_group_commit_txns', 'SA'],
  /** Bytes per group commit. */
  ['zkserver_group_commit_bytes', 'SB'],
];

const KINDS: ReadonlyMap<string, Kind> = new Map([...ZOOKEEPER_METRICS, ...ZOOKEEPER_3_9_METRICS, ...ZK_SERVER_METRICS]);

export type AnyMetric = Counter | CounterSet | Summary | SummarySet;

/** One server's metrics. A quorum member keeps one set across its roles, as ZooKeeper's are static. */
export class ServerMetrics {
  /** Every metric by name, ZooKeeper's first, in registration order. */
  readonly all = new Map<string, AnyMetric>();

  readonly fsynctime = this.summary('fsynctime');
  readonly snapshottime = this.summary('snapshottime');
  readonly dbinittime = this.summary('dbinittime');
  readonly readlatency = this.summary('readlatency');
  readonly updatelatency = this.summary('updatelatency');
  readonly followerSyncTime = this.summary('follower_sync_time');
  readonly observerSyncTime = this.summary('observer_sync_time');
  readonly electionTime = this.summary('election_time');
  readonly lookingCount = this.counter('looking_count');
  readonly diffCount = this.counter('diff_count');
  readonly snapCount = this.counter('snap_count');
  readonly commitCount = this.counter('commit_count');
  readonly proposalCount = this.counter('proposal_count');
  readonly connectionRequestCount = this.counter('connection_request_count');
  readonly connectionRejected = this.counter('connection_rejected');
  readonly bytesReceivedCount = this.counter('bytes_received_count');
  readonly responseBytes = this.counter('response_bytes');
  readonly watchBytes = this.counter('watch_bytes');
  readonly unsuccessfulHandshake = this.counter('unsuccessful_handshake');
  readonly jvmPauseTimeMs = this.summary('jvm_pause_time_ms');
  readonly connectionRevalidateCount = this.counter('connection_revalidate_count');
  readonly readPerNamespace = this.summarySet('read_per_namespace');
  readonly writePerNamespace = this.summarySet('write_per_namespace');
  readonly quotaExceededErrorPerNamespace = this.counterSet('quota_exceeded_error_per_namespace');
  readonly unrecoverableErrorCount = this.counter('unrecoverable_error_count');
  readonly revalidateCount = this.counter('revalidate_count');
  readonly staleSessionsExpired = this.counter('stale_sessions_expired');
  readonly learnerProposalReceivedCount = this.counter('learner_proposal_received_count');
  readonly learnerCommitReceivedCount = this.counter('learner_commit_received_count');
  readonly startupTxnsLoaded = this.summary('startup_txns_loaded');
  readonly startupTxnsLoadTime = this.summary('startup_txns_load_time');
  readonly startupSnapLoadTime = this.summary('startup_snap_load_time');
  readonly syncProcessorBatchSize = this.summary('sync_processor_batch_size');
  readonly digestMismatchesCount = this.counter('digest_mismatches_count');
  readonly snapshotErrorCount = this.counter('snapshot_error_count');
  readonly snapshotRateLimitedCount = this.counter('snapshot_rate_limited_count');
  readonly snapshotWorkerTime = this.summary('zkserver_snapshot_worker_time');
  readonly snapshotMainThreadTime = this.summary('zkserver_snapshot_main_thread_time');
  readonly groupCommitTxns = this.summary('zkserver_group_commit_txns');
  readonly groupCommitBytes = this.summary('zkserver_group_commit_bytes');

  constructor() {
    // The typed fields above made theirs already; the rest join in the table's order.
    for (const [name, kind] of KINDS) if (!this.all.has(name)) this.all.set(name, make(name, kind));
  }

  private get<T extends AnyMetric>(name: string, type: new (...args: never[]) => T): T {
    let m = this.all.get(name);
    if (m === undefined) {
      const kind = KINDS.get(name);
      if (kind === undefined) throw new Error(`no metric ${name}`);
      m = make(name, kind);
      this.all.set(name, m);
    }
    if (!(m instanceof type)) throw new Error(`metric ${name} is not a ${type.name}`);
    return m;
  }

  counter(name: string): Counter {
    return this.get(name, Counter);
  }

  summary(name: string): Summary {
    return this.get(name, Summary);
  }

  counterSet(name: string): CounterSet {
    return this.get(name, CounterSet);
  }

  summarySet(name: string): SummarySet {
    return this.get(name, SummarySet);
  }

  /** Starts keeping the per-scrape samples the Prometheus endpoint reads. */
  enableScrape(): void {
    for (const m of this.all.values()) {
      if (m instanceof Summary) m.scrape ??= new Reservoir(SCRAPE_SAMPLE);
      else if (m instanceof SummarySet) m.enableScrape();
    }
  }

  /** ServerMetrics.resetAll, which `srst` runs: counters and summaries back to zero. */
  reset(): void {
    for (const m of this.all.values()) m.reset();
  }
}

function make(name: string, kind: Kind): AnyMetric {
  switch (kind) {
    case 'C': return new Counter(name);
    case 'CS': return new CounterSet(name);
    case 'SB': return new Summary(name, 'basic');
    case 'SA': return new Summary(name, 'advanced');
    case 'SSB': return new SummarySet(name, 'basic');
    case 'SSA': return new SummarySet(name, 'advanced');
  }
}
