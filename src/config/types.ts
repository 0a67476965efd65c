// The resolved server configuration: every setting typed and defaulted as Apache ZooKeeper 3.8/3.9
// would see it, plus the few that are zk-server's own (storage).

import type { ConfigErrorLocation } from './errors.js';
import type { LogFormat, LogLevel } from '../log/levels.js';

export type MetricsProviderKind = 'prometheus' | 'default';

/** A key or trust store as the ssl.keyStore.* / ssl.trustStore.* keys give it. */
export interface StoreSettings {
  location: string | null;
  /** '' = none. */
  password: string;
  /** A file holding the password (it wins over password, as in ZooKeeper). */
  passwordPath: string | null;
  /** null = from the file name's extension (.pem, .p12/.pfx, .jks), as ZooKeeper does. */
  type: 'PEM' | 'JKS' | 'PKCS12' | null;
}

/** jvm.pause.monitor and its thresholds (ms). */
export interface PauseMonitorSettings { enabled: boolean; infoThresholdMs: number; warnThresholdMs: number; sleepMs: number }

/** SASL as ZooKeeper's server reads it (JVM properties, or zoo.cfg keys without zookeeper.). */
export interface SaslSettings {
  /** java.security.auth.login.config: the JAAS file. */
  jaasFile: string | null;
  /** zookeeper.sasl.serverconfig: its section for the server (default Server). */
  section: string;
  /** zookeeper.superUser and zookeeper.superUser.*: SASL ids that are super. */
  superUsers: Map<string, string>;
  /** zookeeper.SASLAuthenticationProvider.superPassword: replaces user super's password. */
  superPassword: string | null;
  /** zookeeper.sessionRequireClientSASLAuth: every request needs a sasl identity first. */
  sessionRequireClientSASLAuth: boolean;
  /** zookeeper.enforce.auth.enabled / zookeeper.enforce.auth.schemes (ignored when the above is on). */
  enforceAuthEnabled: boolean;
  enforceAuthSchemes: string[];
  /** zookeeper.allowSaslFailedClients: a failed SASL exchange keeps the connection (unless SASL is required). */
  allowSaslFailedClients: boolean;
  /** zookeeper.letAnySaslUserDoX: an ACL id every SASL-authenticated client matches. */
  letAnySaslUserDoX: string | null;
  /** zookeeper.kerberos.removeHostFromPrincipal / removeRealmFromPrincipal: Kerberos names only (Kerberos is refused). */
  removeHostFromPrincipal: boolean;
  removeRealmFromPrincipal: boolean;
}

/** The client port's TLS settings (ZooKeeper's zookeeper.ssl.* properties). */
export interface SslSettings {
  keyStore: StoreSettings;
  trustStore: StoreSettings;
  /** ssl.clientAuth: ZooKeeper's default is need. */
  clientAuth: 'none' | 'want' | 'need';
  /** ssl.protocol (default TLSv1.2, ZooKeeper 3.8's); the only one enabled unless enabledProtocols says more. */
  protocol: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  enabledProtocols: Array<'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> | null;
  /** Java (IANA) cipher suite names; null = the TLS library's defaults. */
  ciphersuites: string[] | null;
  /** Checked by clients and quorum peers; ZooKeeper's server does not check its clients' host names. */
  hostnameVerification: boolean;
  /** ssl.authProvider: the auth scheme a client certificate authenticates with (default x509). */
  authProvider: string;
}
export type StorageKind = 'memory' | 'filelog' | 'level';
export type PeerRole = 'participant' | 'observer';
export type SnapshotCompression = 'none' | 'gz' | 'snappy';

/** One `server.N=host:quorumPort:electionPort[:role][;[clientHost:]clientPort]` line. */
export interface QuorumServerSpec {
  host: string;
  quorumPort: number;
  electionPort: number;
  role: PeerRole;
  /** From the `;clientPort` / `;host:port` part, when given. */
  clientPort?: number;
  /** The host of a `;host:port` client part; `0.0.0.0` when only a port was given, as ZooKeeper does. */
  clientHost?: string;
  /** The key's line in its file, so later checks (myid not listed, …) can point at it. */
  line?: number;
}

export interface ServerConfig {
  tickTime: number;
  initLimit: number;
  syncLimit: number;
  dataDir: string;
  /** Defaults to dataDir. */
  dataLogDir: string;
  /** 0 only when no plaintext listener is configured (secureClientPort alone), as ZooKeeper allows. */
  clientPort: number;
  /** null = all interfaces (0.0.0.0). */
  clientPortAddress: string | null;
  secureClientPort: number | null;
  /** Per client IP; 0 = unlimited. */
  maxClientCnxns: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  snapCount: number;
  preAllocSizeKb: number;
  forceSync: boolean;
  autopurgeSnapRetainCount: number;
  /** Hours; 0 = auto purge off. */
  autopurgePurgeIntervalHours: number;
  /** Always holds "srvr"; `*` is expanded to every known command, as ZooKeeper does. */
  fourLetterWordWhitelist: Set<string>;
  globalOutstandingLimit: number;
  /** jute.maxbuffer */
  maxBufferBytes: number;
  extendedTypesEnabled: boolean;
  containerCheckIntervalMs: number;
  containerMaxPerMinute: number;
  superDigest: string | null;
  snapshotCompressionMethod: SnapshotCompression;
  /** zookeeper.snapshot.incremental (zk-server's own): snapshots written from the previous one. */
  snapshotIncremental: boolean;
  /** zookeeper.snapshot.directWrite (zk-server's own): snapshot files written by direct I/O (filelog). */
  snapshotDirectWrite: boolean;
  digestEnabled: boolean;
  storage: StorageKind;
  /** zkserver.log.format / --log-format; null = as the process started (ZK_LOG_FORMAT or text). */
  logFormat: LogFormat | null;
  /** zkserver.log.level / --log-level; null = as the process started (ZK_LOG_LEVEL or info). */
  logLevel: LogLevel | null;
  servers: Map<number, QuorumServerSpec>;
  /** From dataDir/myid; null when there is no such file. */
  myid: number | null;
  standaloneEnabled: boolean;
  reconfigEnabled: boolean;
  peerType: PeerRole;
  adminEnableServer: boolean;
  adminServerPort: number;
  electionAlg: number;
  quorumListenOnAllIPs: boolean;
  syncEnabled: boolean;

  // Further ZooKeeper settings other layers may want; same defaults as ZooKeeper.
  /** zookeeper.maxCnxns: all connections on one listener; 0 = unlimited. */
  maxCnxns: number;
  adminServerAddress: string;
  adminCommandUrl: string;
  adminIdleTimeoutMs: number;
  /** 3.9: admin.snapshot.enabled (default true) and the snapshot command's admin.rateLimiterIntervalInMS. */
  adminSnapshotEnabled: boolean;
  adminRateLimiterIntervalMs: number;
  /**
   * metricsProvider.className: `prometheus` serves /metrics on metricsHttpHost:metricsHttpPort;
   * `default` (ZooKeeper's DefaultMetricsProvider, or the Null one) serves nothing beyond mntr.
   */
  metricsProvider: MetricsProviderKind;
  metricsHttpHost: string;
  metricsHttpPort: number;
  /** metricsProvider.exportJvmInfo: Node's process metrics (process_*, nodejs_*) beside ZooKeeper's. */
  metricsExportJvmInfo: boolean;
  /** secureClientPortAddress; null = all addresses. */
  secureClientPortAddress: string | null;
  ssl: SslSettings;
  /** authProvider.N → class name. */
  authProviders: Map<string, string>;
  x509SuperUser: string | null;
  clientCertReload: boolean;
  sasl: SaslSettings;
  /** jvm.pause.*: ZooKeeper's JvmPauseMonitor; here it watches the event loop (off by default, as there). */
  pauseMonitor: PauseMonitorSettings;
  /** Roll the log and snapshot after this many KB of txns; <= 0 disables. */
  snapSizeLimitKb: number;
  /** -1 = no limit. */
  txnLogSizeLimitKb: number;
  /** zookeeper.commitLogCount: committed proposals kept in memory for syncing learners; at least 500. */
  commitLogCount: number;
  /**
   * zookeeper.snapshotSizeFactor: a learner may be synced from the txn log while the txns total at
   * most this fraction of the newest snapshot's size. Negative = never sync from the txn log;
   * 0 = no size limit (as in ZooKeeper, which only checks a positive limit). At most 1.
   */
  snapshotSizeFactor: number;
  /** zookeeper.forceSnapshotSync: the leader syncs every learner with a full snapshot. */
  forceSnapshotSync: boolean;
  /** zookeeper.cnxTimeout: connect timeout of election connections, ms; 0 = none. */
  cnxTimeoutMs: number;
  /** zookeeper.quorumCnxnTimeoutMs: election connections' socket timeout, ms; <= 0 = tickTime * syncLimit. */
  quorumCnxnTimeoutMs: number;
  fsyncWarningThresholdMs: number;
  skipACL: boolean;
  enforceQuota: boolean;
  localSessionsEnabled: boolean;
  localSessionsUpgradingEnabled: boolean;
  /** zookeeper.closeSessionTxn.enabled: closeSession txns list the ephemerals they remove. */
  closeSessionTxnEnabled: boolean;
  emulate353TTLNodes: boolean;
  containerMaxNeverUsedIntervalMs: number;
  leaderServes: boolean;
  readonlyModeEnabled: boolean;
  digestAuthEnabled: boolean;
  /** The dynamicConfigFile the server lines came from, if any. */
  dynamicConfigFile: string | null;

  /** Every key as read (file, then -D and flag overrides under their file names), for `conf` and `envi`. */
  raw: Map<string, string>;
  /** Unknown keys, adjusted values and the like, each naming its key and line. */
  warnings: string[];
  sourceFile: string | null;
  /**
   * Where each setting given (under its zoo.cfg key, e.g. `reconfigEnabled`) and each `server.N` line
   * came from: file and line, or the flag or -D that set it. For checks made after parsing.
   */
  locations: ReadonlyMap<string, ConfigErrorLocation>;
}
