// The standalone zk-server: restores the tree from storage, wires tree → pipeline → zab host, and
// serves client connections (sessions, auth, 4lw, limits). A quorum of one on the same pipeline a
// quorum will use.

import type { Server, Socket } from 'node:net';
import tls from 'node:tls';
import { JuteWriter } from '../jute/writer.js';
import { JuteReader } from '../jute/reader.js';
import { type ConnectRequest, type Id, writeConnectResponse } from '../jute/records.js';
import { ErrorCode, OpCode } from '../protocol/constants.js';
import type { ServerConfig } from '../config/types.js';
import type { StorageBackend } from '../storage/spi.js';
import { DataTree } from '../tree/data-tree.js';
import type { ApplyResult } from '../tree/apply.js';
import { isClientWrite, Pipeline, type PipelineRequest, type Proposal } from '../pipeline/pipeline.js';
import { generateDigest } from '../pipeline/acl.js';
import { StandaloneHost } from '../host/host.js';
import { systemClock, type Clock, type TimerHandle } from '../host/clock.js';
import { tcpNet, type NetEnv } from '../transport/net-env.js';
import { ClientConnection, type ConnectionOwner } from './connection.js';
import { SessionTracker, sessionPassword } from './session-tracker.js';
import { ContainerReaper } from './container-reaper.js';
import { Snapshotter, restoreDatabase } from './persistence.js';
import { createAdminView } from './admin-view.js';
import { DEFAULT_TRACE_MASK, isFourLetterWord, fourLetterWordOf, runFourLetterWord, lastOperationName, type AdminView, type LeaderView, type ServerState } from './four-letter.js';
import { createLogger, hex, type Logger } from '../log/logger.js';
import { WritersInTransit } from './writers-in-transit.js';
import { ServerMetrics } from './metrics.js';
import { rfc2253Subject, secureContextOptions, watchStores } from './tls.js';
import { DigestMd5Server, SaslFailure } from './sasl/digest-md5.js';
import { loadSasl, type SaslRuntime } from './sasl/setup.js';
import { AUTH_PROVIDER_CLASSES, configureAuthProviders } from '../pipeline/acl.js';
import type { LearnerStatsView, QuorumInfoView } from './admin-commands.js';
import { SESSION_PASSWORD_BYTES, STANDALONE_SERVER_ID } from './limits.js';

/** RateLogger's default interval (ms): how often a repeated quota message is logged. */
const QUOTA_LOG_INTERVAL_MS = 100;
/** Every op code a client may send; anything else closes the connection. */
const CLIENT_OPS = new Set<number>([
  OpCode.create, OpCode.delete, OpCode.exists, OpCode.getData, OpCode.setData, OpCode.getACL, OpCode.setACL,
  OpCode.getChildren, OpCode.sync, OpCode.ping, OpCode.getChildren2, OpCode.check, OpCode.multi, OpCode.create2,
  OpCode.reconfig, OpCode.checkWatches, OpCode.removeWatches, OpCode.createContainer, OpCode.deleteContainer,
  OpCode.createTTL, OpCode.multiRead, OpCode.setWatches, OpCode.getEphemerals, OpCode.getAllChildrenNumber,
  OpCode.setWatches2, OpCode.addWatch, OpCode.whoAmI, OpCode.closeSession,
]);

export interface ServerStatsCounters {
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  latencyCount: number;
  packetsReceived: number;
  packetsSent: number;
  /** ServerStats' client response BufferStats: -1 until the first reply. */
  lastResponseSize: number;
  minResponseSize: number;
  maxResponseSize: number;
  /** ServerStats.authFailedCount: failed handshakes and refused credentials (mntr's auth_failed_count). */
  authFailedCount: number;
}

/** Where a server gets its time and sockets (default: the system's). */
export interface ServerEnv {
  clock?: Clock;
  net?: NetEnv;
  /** The snapshot policy's randomness (default Math.random). */
  random?: () => number;
  /** The metrics to record into (default: a set of this server's own). */
  metrics?: ServerMetrics;
}

function listenOn(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export class ZkServer implements ConnectionOwner {
  readonly log: Logger;
  readonly tree: DataTree;
  readonly pipeline: Pipeline;
  readonly sessions: SessionTracker;
  readonly connections = new Set<ClientConnection>();
  readonly startedAtMs: number;
  readonly stats: ServerStatsCounters = {
    minLatencyMs: Number.MAX_SAFE_INTEGER, maxLatencyMs: 0, totalLatencyMs: 0, latencyCount: 0,
    packetsReceived: 0, packetsSent: 0, lastResponseSize: -1, minResponseSize: -1, maxResponseSize: -1, authFailedCount: 0,
  };
  /** ZooTrace's mask as `gtmk`/`stmk` read and set it (nothing here traces by it). */
  traceMask = DEFAULT_TRACE_MASK;
  /** ZooKeeper's ServerMetrics: what `mntr`, the AdminServer's `monitor` and /metrics report. */
  readonly metrics: ServerMetrics;
  private readonly bySession = new Map<bigint, ClientConnection>();
  private readonly host: StandaloneHost;
  private readonly writersInTransit = new WritersInTransit<ClientConnection>();
  /** The state the four-letter words and the AdminServer read. */
  readonly admin: AdminView;
  private readonly reaper: ContainerReaper;
  readonly snapshotter: Snapshotter;
  private listener: Server | null = null;
  private secureListener: tls.Server | null = null;
  private stopStoreWatch: (() => void) | null = null;
  private pauseTimer: TimerHandle | null = null;
  /** authProvider.N loads X509AuthenticationProvider: client certificates authenticate. */
  private readonly x509Enabled: boolean;
  /** Schemes loaded by authProvider.N beyond ip and digest. */
  private readonly authSchemes: string[];
  /** SASL's users and enforcement, read by open(); null before. */
  private saslRuntime: SaslRuntime | null = null;
  private expiryTimer: TimerHandle | null = null;
  /** Time and sockets: the system's, or the simulator's fakes. */
  readonly clock: Clock;
  private readonly net: NetEnv;
  private serving = false;
  private stopping: Promise<void> | null = null;
  /** What `srvr` and `mntr` call this server: standalone, or its role in a quorum. */
  serverState: ServerState = 'standalone';
  /** On a learner: asks the leader whether a session a client reconnects with is still valid. */
  revalidate: ((sessionId: bigint, timeoutMs: number) => Promise<boolean | null>) | null = null;
  /** In a quorum: what mntr reports of it (set by the quorum peer and its roles). */
  quorum: {
    quorumSize: number;
    peerState(): string;
    leader?: () => LeaderView;
    /** A leader: whether it heard from a synced quorum within syncLimit (else it neither expires sessions nor takes clients). */
    inQuorum?: () => boolean;
    /** A leader: its synced observers, for the AdminServer's `observers`; `orst` resets their stats. */
    observers?: () => LearnerStatsView[];
    resetObserverStats?: () => void;
    /** Who this member is and where its quorum stands (AdminServer: leader, zabstate, voting_view). */
    info?: () => QuorumInfoView;
  } | null = null;
  /** In a quorum: the commit stage of the current role (a leader's host), drained when the role ends. */
  private roleHost: StandaloneHost | null = null;
  /** The quota messages' RateLogger state (see quotaExceeded). */
  private readonly quotaLog: { message: string | null; at: number; count: number } = { message: null, at: 0, count: 0 };

  /**
   * `quorumServerId`: this server is a quorum member with that myid (session ids carry it in their
   * top byte); it serves only while a role (beginRole) says so.
   */
  constructor(
    readonly config: ServerConfig, readonly storage: StorageBackend, log?: Logger, readonly quorumServerId?: number,
    env: ServerEnv = {},
  ) {
    this.clock = env.clock ?? systemClock;
    this.net = env.net ?? tcpNet;
    this.startedAtMs = this.clock.now();
    this.metrics = env.metrics ?? new ServerMetrics();
    const schemes = [...config.authProviders.values()].map((c) => AUTH_PROVIDER_CLASSES.get(c)).filter((s): s is string => s !== undefined);
    this.authSchemes = schemes;
    this.x509Enabled = schemes.includes('x509');
    configureAuthProviders({ schemes, x509SuperUser: config.x509SuperUser, letAnySaslUserDoX: config.sasl.letAnySaslUserDoX });
    this.log = log ?? createLogger('zk-server');
    for (const [n, c] of config.authProviders) {
      // ProviderRegistry logs a class it cannot load and goes on without it.
      if (!AUTH_PROVIDER_CLASSES.has(c)) this.log.warn(`authProvider.${n}: no provider ${c} in zk-server (it has ${[...AUTH_PROVIDER_CLASSES.keys()].join(', ')}); ignored`);
    }
    this.tree = new DataTree({ digestEnabled: config.digestEnabled, extendedTypesEnabled: config.extendedTypesEnabled });
    this.tree.digestHistory.onMismatch(() => this.metrics.digestMismatchesCount.inc());
    this.tree.namespaceStats = {
      read: (ns, bytes) => this.metrics.readPerNamespace.observe(ns, bytes),
      write: (ns, bytes) => this.metrics.writePerNamespace.observe(ns, bytes),
    };
    this.sessions = new SessionTracker(config.tickTime, quorumServerId ?? STANDALONE_SERVER_ID, this.clock.now());
    this.pipeline = new Pipeline(this.tree, {
      extendedTypesEnabled: config.extendedTypesEnabled,
      digestEnabled: config.digestEnabled,
      reconfigEnabled: config.reconfigEnabled,
      enforceQuota: config.enforceQuota,
      quotaExceeded: (message, namespace, hard) => this.quotaExceeded(message, namespace, hard),
      now: () => this.clock.now(),
    }, {
      isSessionValid: (sid) => this.sessions.isValid(sid),
      afterApply: (p, r) => this.afterApply(p, r),
      onReply: (req, err, zxid) => this.onReply(req, err, zxid),
      sessionCreated: (req) => this.sessionCreated(req),
      sessionClosed: (req) => (req.sink as ClientConnection | null)?.close(),
    });
    this.host = new StandaloneHost(storage.txnLog, {
      apply: (p) => this.pipeline.applyCommitted(p),
      logged: (entries, bytes, ms) => this.recordLogged(entries, bytes, ms),
      // Every request the server holds is in the batch: no reply, read or new request is waiting
      // on this thread while the batch's write blocks it.
      alone: (proposals) => this.pipeline.outstanding <= proposals,
      expected: () => this.writersInTransit.count(performance.now()),
      freesWriters: (proposals) => proposals.some((p) => {
        const conn = p.request?.sink as ClientConnection | null | undefined;
        return conn != null && conn.outstanding === 1;
      }),
      fatal: (err) => {
        this.log.error(`txn log failed, no write can be made durable: ${err.message}; shutting down`);
        this.metrics.unrecoverableErrorCount.inc();
        void this.stop();
      },
    });
    this.pipeline.attach(this.host);
    this.admin = createAdminView(this);
    this.snapshotter = new Snapshotter(storage, this.tree, () => this.openSessions(), config, this.log.child('snapshot'), env.random, this.clock);
    this.snapshotter.onTaken = (ms, taken) => {
      this.metrics.snapshottime.observe(ms);
      this.metrics.snapshotWorkerTime.observe(taken.workerMs);
      this.metrics.snapshotMainThreadTime.observe(taken.mainThreadMs);
    };
    this.reaper = new ContainerReaper(this.tree, config, (path) => this.deleteContainer(path), this.log, this.clock);
  }

  /** Restores state from storage, then listens. Resolves once the server is serving. */
  async start(): Promise<void> {
    await this.open();
    this.startServing();
    this.log.info(`serving on ${this.config.clientPortAddress ?? '0.0.0.0'}:${this.port} (storage ${this.storage.kind}, last zxid ${hex(this.tree.lastProcessedZxid)})`);
  }

  /** Restores state from storage and listens on the client port, not yet serving (a quorum member's start). */
  async open(): Promise<void> {
    // The stores are read first: a bad one stops start-up before anything is restored.
    const tlsOptions = this.config.secureClientPort !== null ? secureContextOptions(this.config.ssl) : null;
    this.saslRuntime = loadSasl(this.config.sasl, this.authSchemes);
    await this.restore();
    // A secureClientPort alone (no clientPort) serves TLS only.
    if (this.config.clientPort !== 0 || tlsOptions === null) {
      this.listener = this.net.createServer((socket) => this.accept(socket));
      await listenOn(this.listener, this.config.clientPort, this.config.clientPortAddress ?? '0.0.0.0');
    }
    if (tlsOptions !== null) await this.openSecure(tlsOptions);
    this.snapshotter.startAutopurge();
    if (this.config.pauseMonitor.enabled) this.startPauseMonitor();
  }

  /** The secure client port: TLS, then the same protocol; a client certificate authenticates as x509. */
  private async openSecure(options: tls.TlsOptions): Promise<void> {
    const secure = tls.createServer(options);
    secure.on('secureConnection', (socket) => this.acceptSecure(socket));
    secure.on('tlsClientError', (err, socket) => {
      // NettyServerCnxnFactory: a failed handshake counts as an auth failure and an unsuccessful handshake.
      this.stats.authFailedCount++;
      this.metrics.unsuccessfulHandshake.inc();
      this.log.warn(`Unsuccessful handshake from ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}: ${err.message}`);
    });
    this.secureListener = secure;
    await listenOn(secure, this.config.secureClientPort as number, this.config.secureClientPortAddress ?? '0.0.0.0');
    if (this.config.clientCertReload) {
      this.stopStoreWatch = watchStores(this.config.ssl, () => {
        try {
          secure.setSecureContext(secureContextOptions(this.config.ssl));
          this.log.info('client port key and trust stores reloaded (zookeeper.client.certReload)');
        } catch (err) {
          this.log.error(`cannot reload the client port's stores, keeping the old ones: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
    }
  }

  /**
   * JvmPauseMonitor (jvm.pause.monitor=true): wakes every sleep.time.ms and records how late it woke
   * in jvm_pause_time_ms; here a late wake-up is the event loop held up (GC, a long task), which
   * is what a JVM pause is to ZooKeeper. Late by more than the thresholds: logged.
   */
  private startPauseMonitor(): void {
    const { sleepMs, infoThresholdMs, warnThresholdMs } = this.config.pauseMonitor;
    let last = this.clock.now();
    this.pauseTimer = this.clock.setInterval(() => {
      const now = this.clock.now();
      const extra = Math.max(0, now - last - sleepMs);
      last = now;
      if (extra > warnThresholdMs) this.log.warn(`Detected pause in the event loop of approximately ${extra}ms`);
      else if (extra > infoThresholdMs) this.log.info(`Detected pause in the event loop of approximately ${extra}ms`);
      this.metrics.jvmPauseTimeMs.observe(extra);
    }, sleepMs);
  }

  /** The secure port: the port the system chose for secureClientPort 0, or null without one. */
  get securePort(): number | null {
    const a = this.secureListener?.address();
    return a && typeof a === 'object' ? a.port : this.config.secureClientPort;
  }

  /** Standalone, or a quorum's leader: sessions expire here and containers are reaped here. */
  private startServing(): void {
    this.expiryTimer = this.clock.setInterval(() => this.expireSessions(), this.config.tickTime);
    this.reaper.start();
    this.serving = true;
  }

  /**
   * A quorum role begins: a leader commits through `commit` (its host) and expires sessions; a
   * follower forwards writes to its leader with `forward`. Either way the server now serves.
   */
  beginRole(role: 'leader' | 'follower' | 'observer', commit: StandaloneHost | null, forward: ((req: PipelineRequest) => void) | null): void {
    this.serverState = role;
    this.roleHost = commit;
    if (commit) this.pipeline.attach(commit);
    this.pipeline.forwardWritesTo(forward);
    if (role === 'leader') {
      // A new leader's sessions start their timeouts afresh (their clients touched other servers).
      const now = this.clock.now();
      for (const sess of this.sessions.all()) this.sessions.touch(sess.sessionId, now);
      this.startServing();
    } else {
      this.serving = true;
    }
    this.log.info(`serving as ${role} (last zxid ${hex(this.tree.lastProcessedZxid)})`);
  }

  /** The role ended (election, lost leader or quorum): stop serving, drop clients and what they wait for. */
  async leaveRole(): Promise<void> {
    const wasServing = this.serving;
    this.serving = false;
    this.clock.clear(this.expiryTimer);
    this.expiryTimer = null;
    this.reaper.stop();
    for (const c of this.connections) c.close();
    this.pipeline.forwardWritesTo(null);
    this.pipeline.setSessionOwners(null);
    this.revalidate = null;
    const host = this.roleHost;
    this.roleHost = null;
    if (host) await host.drain();
    this.pipeline.abandonPending();
    if (wasServing) this.log.info(`stopped serving as ${this.serverState}`);
  }

  /** The local connection of a session, if it has one here (a follower reports these in PING replies). */
  connectionOf(sessionId: bigint): ClientConnection | undefined {
    return this.bySession.get(sessionId);
  }

  /** Sessions with a connection to this server. */
  localSessions(): IterableIterator<bigint> {
    return this.bySession.keys();
  }

  get port(): number {
    const a = this.listener?.address();
    return a && typeof a === 'object' ? a.port : this.config.clientPort;
  }

  get isServing(): boolean {
    return this.serving;
  }

  /**
   * Newest valid snapshot plus the log, then a snapshot of the result, as ZooKeeper's loadData
   * takes one. ZooKeeper writes it before serving; here that is only needed when the directory has
   * no snapshot yet (snapshot.0 must exist before the log has entries, or ZooKeeper refuses the
   * directory) or when the restore changed the tree without a txn (ephemerals of sessions that are
   * gone): a crash before the snapshot is durable would otherwise lose that change, and txns
   * logged after it would replay onto a tree without it. Otherwise the snapshot and log on disk
   * already rebuild this tree, and the start-up snapshot only shortens the next replay: it is
   * taken in the background while the server serves, like any other, or not at all when nothing
   * was replayed (it would be the snapshot just loaded). A 1,000,000-node tree takes ~2 s to
   * write.
   */
  private async restore(): Promise<void> {
    const started = performance.now();
    const restored = await restoreDatabase(this.storage, this.tree, this.log);
    const now = this.clock.now();
    for (const [sessionId, timeoutMs] of restored.sessions) this.sessions.add(sessionId, timeoutMs, now);
    this.pipeline.resetZxid(this.tree.lastProcessedZxid);
    const m = this.metrics;
    m.dbinittime.observe(performance.now() - started);
    m.startupSnapLoadTime.observe(restored.snapshotLoadMs);
    m.startupTxnsLoadTime.observe(restored.txnsLoadMs);
    m.startupTxnsLoaded.observe(restored.txnsReplayed);
    this.log.info(`restored to ${hex(this.tree.lastProcessedZxid)} (${restored.txnsReplayed} txns replayed, ` +
      `${restored.sessions.size} sessions) in ${Math.round(performance.now() - started)} ms`);
    if (restored.snapshotZxid === null || restored.sessionsKilled > 0) {
      await this.snapshotter.snapshot();
    } else if (restored.txnsReplayed > 0) {
      this.log.info('start-up snapshot: written in the background (the snapshot and log on disk already hold this state)');
      void this.snapshotter.snapshot();
    } else {
      this.log.info(`start-up snapshot: not needed, ${hex(restored.snapshotZxid)} is current`);
    }
  }

  /** sessionId → timeout of the sessions a snapshot records. */
  private openSessions(): Map<bigint, number> {
    const out = new Map<bigint, number>();
    for (const s of this.sessions.all()) out.set(s.sessionId, s.timeoutMs);
    return out;
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.serving = false;
      this.clock.clear(this.expiryTimer);
      this.reaper.stop();
      this.stopStoreWatch?.();
      this.clock.clear(this.pauseTimer);
      const closed = Promise.all([this.listener, this.secureListener].map((l) => (l ? new Promise<void>((r) => l.close(() => r())) : undefined)));
      for (const c of this.connections) c.socket.destroy();
      await closed;
      await this.host.drain();
      if (this.roleHost) await this.roleHost.drain();
      await this.snapshotter.stop();
      await this.storage.close();
      this.log.info('stopped');
    })();
    return this.stopping;
  }

  // ---------------------------------------------------------------- connections

  private accept(socket: Socket): ClientConnection | null {
    const max = this.config.maxClientCnxns;
    if (max > 0) {
      const addr = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      let n = 0;
      for (const c of this.connections) if (c.remoteAddress === addr) n++;
      if (n >= max) {
        this.log.warn(`Too many connections from /${addr} - max is ${max}`);
        this.metrics.connectionRejected.inc();
        socket.destroy();
        return null;
      }
    }
    const conn = new ClientConnection(socket, this, this.clock.now());
    this.connections.add(conn);
    return conn;
  }

  /**
   * A TLS connection after its handshake (NettyServerCnxnFactory's CertificateVerifier): when the
   * port asks for certificates, one the trust store does not vouch for is refused, and a trusted
   * one authenticates with the x509 provider (which authProvider.N must load, as in ZooKeeper).
   */
  private acceptSecure(socket: tls.TLSSocket): void {
    const ssl = this.config.ssl;
    const ids: Id[] = [];
    if (ssl.clientAuth !== 'none') {
      const cert = socket.getPeerX509Certificate();
      if (cert !== undefined) {
        const who = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
        if (!socket.authorized) {
          this.stats.authFailedCount++;
          this.log.error(`Failed to trust certificate from ${who}: ${String(socket.authorizationError)}`);
          socket.destroy();
          return;
        }
        if (ssl.authProvider !== 'x509' || !this.x509Enabled) {
          this.log.error(`X509 Auth provider not found: ${ssl.authProvider} (load it with authProvider.1=org.apache.zookeeper.server.auth.X509AuthenticationProvider)`);
          socket.destroy();
          return;
        }
        const subject = rfc2253Subject(cert);
        if (subject === this.config.x509SuperUser) ids.push({ scheme: 'super', id: subject });
        ids.push({ scheme: 'x509', id: subject });
        this.log.info(`Authenticated Id '${subject}' for Scheme 'x509'`);
      }
    }
    const conn = this.accept(socket);
    if (conn === null) return;
    conn.secure = true;
    for (const id of ids) conn.auth.add(id);
  }

  maxFrameBytes(): number {
    return this.config.maxBufferBytes;
  }

  isFourLetterWord(head: Buffer): boolean {
    return isFourLetterWord(head);
  }

  fourLetterWord(conn: ClientConnection, head: Buffer): void {
    this.stats.packetsReceived++;
    const word = fourLetterWordOf(head) ?? '';
    let text: string;
    try {
      text = runFourLetterWord(word, this.admin, this.config.fourLetterWordWhitelist);
    } catch (err) {
      text = `Error: ${err instanceof Error ? err.message : String(err)}\n`;
    }
    // An empty answer means: close without answering (telnet's close sequence).
    if (text === '') conn.socket.destroy();
    else conn.socket.end(text);
  }

  throttled(conn: ClientConnection): boolean {
    return this.pipeline.outstanding > this.config.globalOutstandingLimit && conn.outstanding > 0;
  }

  closed(conn: ClientConnection): void {
    this.connections.delete(conn);
    this.writersInTransit.arrived(conn);
    if (conn.sessionId !== 0n && this.bySession.get(conn.sessionId) === conn) this.bySession.delete(conn.sessionId);
    this.tree.dataWatches.removeAll(conn);
    this.tree.childWatches.removeAll(conn);
    // Requests the server was throttling may go on now that this connection's are gone.
    for (const c of this.connections) c.maybeResume();
  }

  connectRequest(conn: ClientConnection, req: ConnectRequest): void {
    if (!this.serving || this.quorum?.inQuorum?.() === false) {
      conn.close();
      return;
    }
    this.metrics.connectionRequestCount.inc();
    if (req.lastZxidSeen > this.tree.lastProcessedZxid) {
      this.log.info(`Refusing session request for client ${conn.describe()} as it has seen zxid ${hex(req.lastZxidSeen)} our last zxid is ${hex(this.tree.lastProcessedZxid)} client must try another server`);
      conn.close();
      return;
    }
    const timeout = Math.min(Math.max(req.timeOut, this.config.minSessionTimeout), this.config.maxSessionTimeout);
    conn.sessionTimeoutMs = timeout;
    if (req.sessionId === 0n) {
      const sessionId = this.sessions.newSessionId();
      const body = Buffer.alloc(4);
      body.writeInt32BE(timeout);
      this.pipeline.submit({
        type: OpCode.createSession, xid: 0, body, sessionId, authInfo: conn.auth.list, sink: conn,
        receivedAtMs: this.clock.now(),
      });
      return;
    }
    const sessionId = req.sessionId;
    this.metrics.connectionRevalidateCount.inc();
    // ZooKeeper closes the session's current connection before it checks the password, so even a
    // refused attempt moves the session off it (its client reconnects with the right password).
    const previous = this.bySession.get(sessionId);
    if (previous && previous !== conn) previous.close();
    const passwordOk = req.passwd.equals(sessionPassword(sessionId));
    if (!passwordOk) this.log.warn(`Incorrect password from ${conn.describe()} for session ${hex(sessionId)}`);
    const revalidate = this.revalidate;
    if (passwordOk && revalidate) {
      // A learner asks its leader, which owns session expiry (Learner.validateSession).
      // No answer (the learner lost its leader meanwhile) is not "expired": the client tries elsewhere.
      revalidate(sessionId, timeout).then(
        (valid) => {
          if (conn.state === 'closed') return;
          if (valid === null) conn.close();
          else this.finishSessionInit(conn, sessionId, timeout, valid);
        },
        () => conn.close(),
      );
      return;
    }
    const valid = passwordOk && this.sessions.touch(sessionId, this.clock.now());
    // A leader: the session is attached here now (ZooKeeperServer.revalidateSession: setOwner).
    if (valid) this.pipeline.sessionOwners?.set(sessionId, undefined);
    this.finishSessionInit(conn, sessionId, timeout, valid);
  }

  private finishSessionInit(conn: ClientConnection, sessionId: bigint, timeout: number, valid: boolean): void {
    const w = new JuteWriter(64);
    writeConnectResponse(w, {
      protocolVersion: 0,
      timeOut: valid ? timeout : 0,
      sessionId: valid ? sessionId : 0n,
      passwd: valid ? sessionPassword(sessionId) : Buffer.alloc(SESSION_PASSWORD_BYTES),
      readOnly: false,
    }, !conn.oldClient);
    conn.sendRaw(w.view());
    if (!valid) {
      this.log.info(`Invalid session ${hex(sessionId)} for client ${conn.describe()}, probably expired`);
      conn.close();
      return;
    }
    this.bySession.set(sessionId, conn);
    conn.established(sessionId, timeout);
    this.log.debug(`Established session ${hex(sessionId)} with negotiated timeout ${timeout} for client ${conn.describe()}`);
  }

  /**
   * A create or setData past a quota limit (zookeeper.enforceQuota). Logged as ZooKeeper's RateLogger
   * logs it: a new message at once, repeats of it counted and logged as "[N times]" at most every
   * 100 ms or when another message comes. A hard limit also counts in
   * quota_exceeded_error_per_namespace (the request fails with QUOTAEXCEEDED).
   */
  private quotaExceeded(message: string, namespace: string | null, hard: boolean): void {
    if (hard && namespace !== null) this.metrics.quotaExceededErrorPerNamespace.inc(namespace);
    const now = this.clock.now();
    const rate = this.quotaLog;
    if (rate.message === message) {
      rate.count++;
      if (now - rate.at >= QUOTA_LOG_INTERVAL_MS) {
        this.flushQuotaLog();
        rate.at = now;
      }
      return;
    }
    this.flushQuotaLog();
    rate.message = message;
    rate.at = now;
    this.log.warn(`Message:${message} Value:null`);
  }

  private flushQuotaLog(): void {
    const rate = this.quotaLog;
    if (rate.message !== null && rate.count > 0) {
      this.log.warn(rate.count > 1 ? `[${rate.count} times] Message: ${rate.message}` : `Message: ${rate.message}`);
    }
    rate.count = 0;
  }

  private sessionCreated(req: PipelineRequest): void {
    const conn = req.sink as ClientConnection | null;
    if (!conn || conn.state === 'closed') return;
    // FinalRequestProcessor's updateStats for createSession ("SESS"): latency counted as an update.
    const latency = this.clock.now() - req.receivedAtMs;
    this.recordServerLatency(latency);
    this.metrics.updatelatency.observe(latency);
    conn.recordLatency(req.xid, this.tree.lastProcessedZxid, lastOperationName(req.type), latency, performance.now());
    this.finishSessionInit(conn, req.sessionId, conn.sessionTimeoutMs, this.sessions.isValid(req.sessionId));
  }

  request(conn: ClientConnection, xid: number, type: number, body: Buffer): void {
    this.stats.packetsReceived++;
    if (type === OpCode.sasl) {
      this.saslRequest(conn, xid, body);
      return;
    }
    const enforced = this.saslRuntime?.enforcedSchemes ?? null;
    if (enforced !== null && !conn.auth.list.some((id) => enforced.includes(id.scheme))) {
      // AuthenticationHelper: every request but auth and sasl needs one of the schemes; the
      // connection closes, the session stays (its client may come back authenticated).
      this.log.info(`Client authentication scheme(s) [${conn.auth.list.map((id) => id.scheme).join(', ')}] does not match with any of ` +
        `the expected authentication scheme [${enforced.join(', ')}], closing connection ${conn.describe()}`);
      conn.sendReply(xid, 0, ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH, null);
      conn.close();
      return;
    }
    this.writersInTransit.arrived(conn);
    if (!CLIENT_OPS.has(type)) {
      this.log.warn(`closing connection ${conn.describe()}: unknown op code ${type}`);
      // As ZooKeeper's UnimplementedRequestProcessor: answer Unimplemented, then close.
      conn.sendFrame(xid, -1, ErrorCode.UNIMPLEMENTED, null);
      conn.close();
      return;
    }
    const now = this.clock.now();
    this.sessions.touch(conn.sessionId, now);
    this.pipeline.submit({
      type, xid, body, sessionId: conn.sessionId, authInfo: conn.auth.list, sink: conn, receivedAtMs: now,
    });
    if (type === OpCode.closeSession) this.sessions.setClosing(conn.sessionId);
  }

  /**
   * ZooKeeperServer.processSasl: one DIGEST-MD5 exchange per connection; its identity joins the
   * connection's as sasl:<user> (and super: for zookeeper.superUser). A failure answers with no
   * token and closes the connection; the session lives on.
   */
  private saslRequest(conn: ClientConnection, xid: number, body: Buffer): void {
    const runtime = this.saslRuntime;
    const reply = (err: number, token: Buffer | null): void => {
      const w = new JuteWriter(16 + (token?.length ?? 0));
      w.writeBuffer(token);
      conn.sendReply(xid, 0, err, w.toBuffer());
    };
    if (runtime === null || runtime.passwords === null) {
      this.log.error(`SASL request from ${conn.describe()}, but SASL is not configured (no JAAS server section)`);
      reply(0, null);
      return;
    }
    let token: Buffer;
    try {
      token = new JuteReader(body).readBuffer() ?? Buffer.alloc(0);
    } catch {
      conn.close();
      return;
    }
    conn.saslServer ??= new DigestMd5Server(runtime.passwords);
    try {
      const r = conn.saslServer.evaluate(token);
      if (r.user !== undefined) {
        // KerberosName: a name with two '@' throws in ZooKeeper, which drops the connection unanswered.
        if (r.user.split('@').length > 2) {
          conn.close();
          return;
        }
        conn.auth.add({ scheme: 'sasl', id: r.user });
        if (runtime.superUsers.has(r.user)) conn.auth.add({ scheme: 'super', id: '' });
        this.log.info(`Successfully authenticated client ${conn.describe()}: authenticationID=${r.user}; authorizationID=${r.user}`);
      }
      reply(0, r.token);
    } catch (err) {
      if (!(err instanceof SaslFailure)) throw err;
      this.log.warn(`Client ${conn.describe()} failed to SASL authenticate: ${err.message}`);
      if (runtime.allowSaslFailedClients && !runtime.saslRequired) {
        reply(0, null);
        return;
      }
      reply(runtime.saslRequired ? ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH : ErrorCode.AUTHFAILED, null);
      conn.close();
    }
  }

  auth(conn: ClientConnection, xid: number, scheme: string, auth: Buffer): void {
    this.stats.packetsReceived++;
    let ids: { scheme: string; id: string }[] | null = null;
    if (scheme === 'digest') {
      const digest = generateDigest(auth.toString('utf8'));
      ids = [];
      if (this.config.superDigest !== null && digest === this.config.superDigest) ids.push({ scheme: 'super', id: '' });
      ids.push({ scheme: 'digest', id: digest });
    } else if (scheme === 'ip') {
      ids = [{ scheme: 'ip', id: conn.remoteAddress }];
    }
    if (ids === null) {
      this.log.warn(`Authentication failed for scheme ${scheme} from ${conn.describe()}`);
      conn.sendFrame(xid, 0, ErrorCode.AUTHFAILED, null);
      conn.close();
      return;
    }
    for (const id of ids) conn.auth.add(id);
    conn.sendFrame(xid, 0, 0, null);
  }

  // ---------------------------------------------------------------- pipeline hooks

  private afterApply(p: Proposal, result: ApplyResult): void {
    const { hdr, txn } = p.prepared;
    if (hdr.type === OpCode.createSession && txn.type === -10) {
      this.sessions.add(hdr.clientId, txn.timeOut, this.clock.now());
    } else if (hdr.type === OpCode.closeSession) {
      this.sessions.remove(hdr.clientId);
      this.pipeline.sessionOwners?.forget(hdr.clientId);
      if (!p.request) this.bySession.get(hdr.clientId)?.close();
    }
    void result;
  }

  private onReply(req: PipelineRequest, err: number, zxid: number): void {
    const now = this.clock.now();
    const latency = now - req.receivedAtMs;
    this.stats.packetsSent++;
    this.recordServerLatency(latency);
    // ServerStats.updateLatency: requests with a txn header are updates, the rest (pings too) reads.
    (isClientWrite(req.type) ? this.metrics.updatelatency : this.metrics.readlatency).observe(latency);
    const conn = req.sink as ClientConnection | null;
    if (conn === null) return;
    const at = performance.now();
    conn.recordLatency(req.xid, zxid, lastOperationName(req.type), latency, at);
    if (conn.outstanding === 0 && isClientWrite(req.type)) this.writersInTransit.answered(conn, at);
    void err;
  }

  responded(bytes: number): void {
    const s = this.stats;
    s.lastResponseSize = bytes;
    s.minResponseSize = s.minResponseSize < 0 ? bytes : Math.min(s.minResponseSize, bytes);
    s.maxResponseSize = Math.max(s.maxResponseSize, bytes);
  }

  /** A batch of txns became durable in `ms` (a leader's or standalone's group commit, or a learner's log). */
  recordLogged(entries: number, bytes: number, ms: number): void {
    this.snapshotter.onLogged(entries, bytes);
    const m = this.metrics;
    m.fsynctime.observe(ms);
    m.syncProcessorBatchSize.observe(entries);
    m.groupCommitTxns.observe(entries);
    m.groupCommitBytes.observe(bytes);
  }

  private recordServerLatency(latency: number): void {
    const s = this.stats;
    s.minLatencyMs = Math.min(s.minLatencyMs, latency);
    s.maxLatencyMs = Math.max(s.maxLatencyMs, latency);
    s.totalLatencyMs += latency;
    s.latencyCount++;
  }

  resetStats(): void {
    this.metrics.reset();
    // ServerStats.reset: latencies, packet counters, response sizes and the metrics; not authFailedCount.
    Object.assign(this.stats, {
      minLatencyMs: Number.MAX_SAFE_INTEGER, maxLatencyMs: 0, totalLatencyMs: 0, latencyCount: 0,
      packetsReceived: 0, packetsSent: 0, lastResponseSize: -1, minResponseSize: -1, maxResponseSize: -1,
    });
  }

  private expireSessions(): void {
    // A leader that has not heard from a quorum lately (paused, partitioned) may be deposed already:
    // the clients it has not heard from are touching the new leader, not it.
    if (this.quorum?.inQuorum?.() === false) return;
    for (const s of this.sessions.takeExpired(this.clock.now())) {
      this.metrics.staleSessionsExpired.inc();
      this.log.info(`Expiring session ${hex(s.sessionId)}, timeout of ${s.timeoutMs}ms exceeded`);
      this.pipeline.submitInternal(OpCode.closeSession, s.sessionId, Buffer.alloc(0));
    }
  }

  private deleteContainer(path: string): void {
    const w = new JuteWriter(64);
    w.writeUString(path);
    this.pipeline.submitInternal(OpCode.deleteContainer, 0n, w.toBuffer());
  }
}
