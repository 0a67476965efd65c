// The catalogue of zoo.cfg keys zk-server understands: for each, the names it is known by (the
// zoo.cfg key and the Java system property) and how its value is read into a draft config.
//
// ZooKeeper reads a few keys itself (QuorumPeerConfig) and turns every other key K into the system
// property `zookeeper.K`; so a setting documented as "Java system property zookeeper.snapCount" is
// written `snapCount` in zoo.cfg. We accept both spellings anywhere, and also the unprefixed system
// properties (jute.maxbuffer, znode.container.*) that ZooKeeper only takes from -D.

import { parseJavaDouble, parseJavaInt, parseJavaLong, type IntSyntax } from './values.js';
import type { MetricsProviderKind, PauseMonitorSettings, PeerRole, SaslSettings, SnapshotCompression, SslSettings, StoreSettings, StorageKind } from './types.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log/levels.js';

/** Settings as read, before defaults that depend on other settings are applied. */
export interface Draft {
  tickTime: number;
  initLimit: number;
  syncLimit: number;
  dataDir: string | null;
  dataLogDir: string | null;
  /** 0 = not set, as in QuorumPeerConfig. */
  clientPort: number;
  clientPortAddress: string | null;
  secureClientPort: number;
  secureClientPortAddress: string | null;
  maxClientCnxns: number;
  /** -1 = derive from tickTime. */
  minSessionTimeout: number;
  maxSessionTimeout: number;
  snapCount: number;
  preAllocSizeKb: number;
  forceSync: boolean;
  snapRetainCount: number;
  purgeIntervalHours: number;
  fourLetterWords: string | null;
  globalOutstandingLimit: number;
  maxBufferBytes: number;
  extendedTypesEnabled: boolean;
  containerCheckIntervalMs: number;
  containerMaxPerMinute: number;
  containerMaxNeverUsedIntervalMs: number;
  superDigest: string | null;
  snapshotCompressionMethod: SnapshotCompression;
  snapshotIncremental: boolean;
  snapshotDirectWrite: boolean;
  digestEnabled: boolean;
  storage: StorageKind;
  logFormat: LogFormat | null;
  logLevel: LogLevel | null;
  standaloneEnabled: boolean;
  reconfigEnabled: boolean;
  peerType: PeerRole;
  adminEnableServer: boolean;
  adminServerPort: number;
  adminServerAddress: string;
  adminCommandUrl: string;
  adminIdleTimeoutMs: number;
  adminSnapshotEnabled: boolean;
  adminRateLimiterIntervalMs: number;
  metricsProvider: MetricsProviderKind;
  metricsHttpHost: string;
  metricsHttpPort: number;
  metricsExportJvmInfo: boolean;
  ssl: SslSettings;
  /** authProvider.N → class name, as ZooKeeper's ProviderRegistry loads them. */
  authProviders: Map<string, string>;
  /** zookeeper.X509AuthenticationProvider.superUser: a client certificate subject that is super. */
  x509SuperUser: string | null;
  /** zookeeper.client.certReload (3.9): reload the client port's key and trust stores when they change. */
  clientCertReload: boolean;
  sasl: SaslSettings;
  pauseMonitor: PauseMonitorSettings;
  electionAlg: number;
  quorumListenOnAllIPs: boolean;
  syncEnabled: boolean;
  maxCnxns: number;
  snapSizeLimitKb: number;
  txnLogSizeLimitKb: number;
  commitLogCount: number;
  snapshotSizeFactor: number;
  forceSnapshotSync: boolean;
  cnxTimeoutMs: number;
  quorumCnxnTimeoutMs: number;
  fsyncWarningThresholdMs: number;
  skipACL: boolean;
  enforceQuota: boolean;
  localSessionsEnabled: boolean;
  localSessionsUpgradingEnabled: boolean;
  closeSessionTxnEnabled: boolean;
  emulate353TTLNodes: boolean;
  leaderServes: boolean;
  readonlyModeEnabled: boolean;
  digestAuthEnabled: boolean;
  dynamicConfigFile: string | null;
}

/** The metrics providers ZooKeeper users name, by class. */
export const METRICS_PROVIDERS: ReadonlyMap<string, MetricsProviderKind> = new Map([
  ['org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider', 'prometheus'],
  ['org.apache.zookeeper.metrics.impl.DefaultMetricsProvider', 'default'],
  ['org.apache.zookeeper.metrics.impl.NullMetricsProvider', 'default'],
]);

/** ZKDatabase.DEFAULT_COMMIT_LOG_COUNT, which is also the least it accepts. */
export const MIN_COMMIT_LOG_COUNT = 500;
/** ZKDatabase.DEFAULT_SNAPSHOT_SIZE_FACTOR. */
export const DEFAULT_SNAPSHOT_SIZE_FACTOR = 0.33;

/** ZooKeeper's defaults (ZooKeeperServer, QuorumPeerConfig, FilePadding, JettyAdminServer, …). */
export function defaultDraft(): Draft {
  return {
    tickTime: 3000, // ZooKeeperServer.DEFAULT_TICK_TIME; zoo_sample.cfg sets 2000
    initLimit: 0,
    syncLimit: 0,
    dataDir: null,
    dataLogDir: null,
    clientPort: 0,
    clientPortAddress: null,
    secureClientPort: 0,
    secureClientPortAddress: null,
    maxClientCnxns: 60,
    minSessionTimeout: -1,
    maxSessionTimeout: -1,
    snapCount: 100000,
    preAllocSizeKb: 65536,
    forceSync: true,
    snapRetainCount: 3,
    purgeIntervalHours: 0,
    fourLetterWords: null,
    globalOutstandingLimit: 1000,
    maxBufferBytes: 0xfffff,
    extendedTypesEnabled: false,
    containerCheckIntervalMs: 60000,
    containerMaxPerMinute: 10000,
    containerMaxNeverUsedIntervalMs: 0,
    superDigest: null,
    snapshotCompressionMethod: 'none',
    snapshotIncremental: false,
    snapshotDirectWrite: true,
    digestEnabled: true,
    storage: 'filelog',
    logFormat: null,
    logLevel: null,
    standaloneEnabled: true,
    reconfigEnabled: false,
    peerType: 'participant',
    adminEnableServer: true,
    adminServerPort: 8080,
    adminServerAddress: '0.0.0.0',
    adminCommandUrl: '/commands',
    adminIdleTimeoutMs: 30000,
    adminSnapshotEnabled: true,
    adminRateLimiterIntervalMs: 300000,
    metricsProvider: 'default',
    metricsHttpHost: '0.0.0.0',
    metricsHttpPort: 7000,
    metricsExportJvmInfo: true,
    ssl: {
      keyStore: { location: null, password: '', passwordPath: null, type: null },
      trustStore: { location: null, password: '', passwordPath: null, type: null },
      clientAuth: 'need', protocol: 'TLSv1.2', enabledProtocols: null, ciphersuites: null,
      hostnameVerification: true, authProvider: 'x509',
    },
    authProviders: new Map(),
    x509SuperUser: null,
    clientCertReload: false,
    pauseMonitor: { enabled: false, infoThresholdMs: 1000, warnThresholdMs: 10000, sleepMs: 500 },
    sasl: {
      jaasFile: null, section: 'Server', superUsers: new Map(), superPassword: null,
      sessionRequireClientSASLAuth: false, enforceAuthEnabled: false, enforceAuthSchemes: [],
      allowSaslFailedClients: false, letAnySaslUserDoX: null, removeHostFromPrincipal: false, removeRealmFromPrincipal: false,
    },
    electionAlg: 3,
    quorumListenOnAllIPs: false,
    syncEnabled: true,
    maxCnxns: 0,
    snapSizeLimitKb: 4194304,
    txnLogSizeLimitKb: -1,
    commitLogCount: MIN_COMMIT_LOG_COUNT,
    snapshotSizeFactor: DEFAULT_SNAPSHOT_SIZE_FACTOR,
    forceSnapshotSync: false,
    cnxTimeoutMs: 5000, // QuorumCnxManager.cnxTO
    quorumCnxnTimeoutMs: -1, // QuorumPeer: -1 = tickTime * syncLimit
    fsyncWarningThresholdMs: 1000,
    skipACL: false,
    enforceQuota: false,
    localSessionsEnabled: false,
    localSessionsUpgradingEnabled: false,
    closeSessionTxnEnabled: true,
    emulate353TTLNodes: false,
    leaderServes: true,
    readonlyModeEnabled: false,
    digestAuthEnabled: true,
    dynamicConfigFile: null,
  };
}

/** Where a value came from, so a bad one can be reported and an odd one warned about. */
export interface ValueSite {
  key: string;
  fail(detail: string): never;
  warn(detail: string): void;
}

interface IntRule {
  min?: number;
  max?: number;
  syntax?: IntSyntax;
  long?: boolean;
}

function describe(rule: IntRule): string {
  const { min, max } = rule;
  if (min === 1 && max === undefined) return 'a positive integer';
  if (min === 0 && max === undefined) return 'a non-negative integer';
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min !== undefined) return `an integer >= ${min}`;
  return rule.long ? 'an integer' : `an integer (32-bit)`;
}

export function readInt(value: string, site: ValueSite, rule: IntRule = {}): number {
  const n = rule.long ? parseJavaLong(value, rule.syntax) : parseJavaInt(value, rule.syntax);
  if (n === null || (rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) {
    site.fail(`expected ${describe(rule)}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Double.parseDouble, refusing what it would throw on (and NaN / Infinity). */
export function readDouble(value: string, site: ValueSite): number {
  const f = parseJavaDouble(value);
  if (f === null) site.fail(`expected a decimal number, got ${JSON.stringify(value)}`);
  return f;
}

export function readPort(value: string, site: ValueSite): number {
  return readInt(value, site, { min: 1, max: 65535 });
}

/** QuorumPeerConfig.parseBoolean: exactly true or false, any case; anything else is an error. */
export function readStrictBoolean(value: string, site: ValueSite): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  site.fail(`expected true or false, got ${JSON.stringify(value)}`);
}

/**
 * System properties read with Boolean.getBoolean / parseBoolean: "true" in any case means true and
 * every other value means false. We keep that meaning but say so when the value was not a boolean.
 */
function readLooseBoolean(value: string, site: ValueSite): boolean {
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') {
    site.warn(`${JSON.stringify(value)} is not true or false; ZooKeeper reads it as false`);
  }
  return v === 'true';
}

/**
 * Properties read as `!value.equals(off)` (forceSync, leaderServes: "no"; admin.enableServer:
 * "false"): only the exact word turns them off. A value like forceSync=false therefore leaves fsync
 * on in ZooKeeper; we do the same and warn, since that is rarely what was meant.
 */
function readOnUnless(value: string, site: ValueSite, off: string, on: string): boolean {
  if (value === off) return false;
  if (value !== on) site.warn(`${JSON.stringify(value)} is not "${on}" or "${off}"; only "${off}" turns this off, so it stays on`);
  return true;
}

/** skipACL-style: only "yes" turns it on (ZooKeeperServer reads `equals("yes")`). */
function readOffUnless(value: string, site: ValueSite, on: string, off: string): boolean {
  if (value === on) return true;
  if (value !== off) site.warn(`${JSON.stringify(value)} is not "${on}" or "${off}"; only "${on}" turns this on, so it stays off`);
  return false;
}

type Apply = (d: Draft, value: string, site: ValueSite) => void;

export interface Setting {
  /** The zoo.cfg key, as ZooKeeper's admin guide writes it. */
  key: string;
  /** Other accepted names (the Java system property, old spellings). */
  aliases: string[];
  apply: Apply;
}

/** A key QuorumPeerConfig reads itself: no system property exists for it. */
const file = (key: string, apply: Apply): Setting => ({ key, aliases: [], apply });
/** A system property `zookeeper.<key>`, written `<key>` in zoo.cfg. */
const prop = (key: string, apply: Apply, extra: string[] = []): Setting => ({
  key,
  aliases: [`zookeeper.${key}`, ...extra],
  apply,
});
/** A system property without the zookeeper. prefix (ZooKeeper takes it only from -D). */
const bare = (key: string, apply: Apply): Setting => ({ key, aliases: [], apply });

const nonNegative = { min: 0 };
const positive = { min: 1 };

export const SETTINGS: readonly Setting[] = [
  file('tickTime', (d, v, s) => { d.tickTime = readInt(v, s, positive); }),
  file('initLimit', (d, v, s) => { d.initLimit = readInt(v, s, nonNegative); }),
  file('syncLimit', (d, v, s) => { d.syncLimit = readInt(v, s, nonNegative); }),
  file('dataDir', (d, v) => { d.dataDir = v; }),
  file('dataLogDir', (d, v) => { d.dataLogDir = v; }),
  file('clientPort', (d, v, s) => { d.clientPort = readInt(v, s, { min: 0, max: 65535 }); }),
  file('clientPortAddress', (d, v) => { d.clientPortAddress = v; }),
  file('secureClientPort', (d, v, s) => { d.secureClientPort = readInt(v, s, { min: 0, max: 65535 }); }),
  file('secureClientPortAddress', (d, v) => { d.secureClientPortAddress = v; }),
  file('maxClientCnxns', (d, v, s) => {
    const n = readInt(v, s);
    // NIOServerCnxnFactory only limits when the value is positive.
    if (n < 0) s.warn(`${n} is negative; using 0 (no limit) as ZooKeeper does`);
    d.maxClientCnxns = Math.max(0, n);
  }),
  file('minSessionTimeout', (d, v, s) => { d.minSessionTimeout = readInt(v, s, { min: -1 }); }),
  file('maxSessionTimeout', (d, v, s) => { d.maxSessionTimeout = readInt(v, s, { min: -1 }); }),
  file('electionAlg', (d, v, s) => {
    d.electionAlg = readInt(v, s);
    if (d.electionAlg !== 3) s.fail(`only 3 (fast leader election) is supported, got ${JSON.stringify(v)}`);
  }),
  file('quorumListenOnAllIPs', (d, v, s) => { d.quorumListenOnAllIPs = readStrictBoolean(v, s); }),
  file('peerType', (d, v, s) => {
    const t = v.toLowerCase();
    if (t === 'observer' || t === 'participant') d.peerType = t;
    else s.fail(`expected observer or participant, got ${JSON.stringify(v)}`);
  }),
  // QuorumPeer also reads -Dzookeeper.observer.syncEnabled, which zoo.cfg reaches as observer.syncEnabled.
  file('syncEnabled', (d, v, s) => { d.syncEnabled = readStrictBoolean(v, s); }),
  { key: 'observer.syncEnabled', aliases: ['zookeeper.observer.syncEnabled'], apply: (d, v, s) => { d.syncEnabled = readLooseBoolean(v, s); } },
  file('dynamicConfigFile', (d, v) => { d.dynamicConfigFile = v; }),
  file('autopurge.snapRetainCount', (d, v, s) => { d.snapRetainCount = readInt(v, s); }),
  file('autopurge.purgeInterval', (d, v, s) => { d.purgeIntervalHours = readInt(v, s); }),
  file('standaloneEnabled', (d, v, s) => { d.standaloneEnabled = readStrictBoolean(v, s); }),
  file('reconfigEnabled', (d, v, s) => { d.reconfigEnabled = readStrictBoolean(v, s); }),
  file('localSessionsEnabled', (d, v, s) => { d.localSessionsEnabled = readStrictBoolean(v, s); }),
  file('localSessionsUpgradingEnabled', (d, v, s) => { d.localSessionsUpgradingEnabled = readStrictBoolean(v, s); }),

  prop('snapCount', (d, v, s) => {
    d.snapCount = readInt(v, s, { syntax: 'decode' });
    // SyncRequestProcessor needs at least 2; ZooKeeperServer.getSnapCount resets smaller values.
    if (d.snapCount < 2) {
      s.warn(`${d.snapCount} is below the minimum of 2; using 2 as ZooKeeper does`);
      d.snapCount = 2;
    }
  }),
  prop('preAllocSize', (d, v, s) => { d.preAllocSizeKb = readInt(v, s, { min: 0, long: true }); }),
  prop('forceSync', (d, v, s) => { d.forceSync = readOnUnless(v, s, 'no', 'yes'); }),
  prop('4lw.commands.whitelist', (d, v) => { d.fourLetterWords = v; }),
  prop('globalOutstandingLimit', (d, v, s) => { d.globalOutstandingLimit = readInt(v, s, { syntax: 'decode', min: 1 }); }),
  bare('jute.maxbuffer', (d, v, s) => { d.maxBufferBytes = readInt(v, s, { syntax: 'decode', min: 1 }); }),
  prop('extendedTypesEnabled', (d, v, s) => { d.extendedTypesEnabled = readLooseBoolean(v, s); }),
  prop('emulate353TTLNodes', (d, v, s) => { d.emulate353TTLNodes = readLooseBoolean(v, s); }),
  bare('znode.container.checkIntervalMs', (d, v, s) => { d.containerCheckIntervalMs = readInt(v, s, { syntax: 'decode', min: 1 }); }),
  bare('znode.container.maxPerMinute', (d, v, s) => { d.containerMaxPerMinute = readInt(v, s, { syntax: 'decode', min: 1 }); }),
  bare('znode.container.maxNeverUsedIntervalMs', (d, v, s) => {
    d.containerMaxNeverUsedIntervalMs = readInt(v, s, { syntax: 'decode', min: 0, long: true });
  }),
  prop('DigestAuthenticationProvider.superDigest', (d, v) => { d.superDigest = v === '' ? null : v; }),
  prop('DigestAuthenticationProvider.enabled', (d, v, s) => { d.digestAuthEnabled = readLooseBoolean(v, s); }),
  prop('snapshot.compression.method', (d, v, s) => {
    // SnapStream falls back to no compression for an unknown name; a typo like "gzip" would
    // silently leave snapshots uncompressed, so we refuse it instead.
    const m = v.toLowerCase();
    if (m === '') d.snapshotCompressionMethod = 'none';
    else if (m === 'gz' || m === 'snappy') d.snapshotCompressionMethod = m;
    else s.fail(`expected "", "gz" or "snappy", got ${JSON.stringify(v)}`);
  }),
  // zk-server's own: write each snapshot from the previous one and the nodes changed since it
  // began (storage/snapshot/incremental.ts). Off by default: see native-free-notes.md, session 16.
  prop('snapshot.incremental', (d, v, s) => { d.snapshotIncremental = readLooseBoolean(v, s); }),
  // zk-server's own: filelog writes snapshot files with O_DIRECT where the file system allows it
  // (storage/filelog/snapshot-file-io.ts); false writes them through the page cache.
  prop('snapshot.directWrite', (d, v, s) => { d.snapshotDirectWrite = readLooseBoolean(v, s); }),
  prop('digest.enabled', (d, v, s) => { d.digestEnabled = readLooseBoolean(v, s); }),
  // QuorumPeerConfig reads metricsProvider.className and hands the other metricsProvider.* keys to
  // the provider (PrometheusMetricsProvider.configure: httpHost, httpPort, exportJvmInfo, and its
  // worker-pool sizes, which have no counterpart here: parsed, then unused).
  file('metricsProvider.className', (d, v, s) => {
    const kind = METRICS_PROVIDERS.get(v.trim());
    if (kind === undefined) {
      s.fail(`unknown metrics provider ${JSON.stringify(v)}; zk-server has ${[...METRICS_PROVIDERS.keys()].join(', ')}`);
    } else d.metricsProvider = kind;
  }),
  file('metricsProvider.httpHost', (d, v) => { d.metricsHttpHost = v.trim(); }),
  file('metricsProvider.httpPort', (d, v, s) => { d.metricsHttpPort = readInt(v, s, { min: 0, max: 65535 }); }),
  file('metricsProvider.exportJvmInfo', (d, v, s) => { d.metricsExportJvmInfo = readLooseBoolean(v, s); }),
  file('metricsProvider.numWorkerThreads', (_d, v, s) => { readInt(v, s); }),
  file('metricsProvider.maxQueueSize', (_d, v, s) => { readInt(v, s); }),
  file('metricsProvider.workerShutdownTimeoutMs', (_d, v, s) => { readInt(v, s, { long: true }); }),
  // The client port's TLS (ClientX509Util: prefix zookeeper.ssl.). Files are read at start-up, where
  // a missing file, a wrong password or a bad store is an error naming its key.
  ...storeSettings('keyStore'),
  ...storeSettings('trustStore'),
  prop('ssl.clientAuth', (d, v, s) => {
    // ClientAuth.fromPropertyValue: empty means NEED; otherwise NONE, WANT or NEED in any case.
    const a = v.trim().toLowerCase();
    if (a === '') d.ssl.clientAuth = 'need';
    else if (a === 'none' || a === 'want' || a === 'need') d.ssl.clientAuth = a;
    else s.fail(`expected none, want or need, got ${JSON.stringify(v)}`);
  }),
  prop('ssl.protocol', (d, v, s) => { d.ssl.protocol = readTlsProtocol(v.trim(), s); }),
  prop('ssl.enabledProtocols', (d, v, s) => { d.ssl.enabledProtocols = v.split(',').map((p) => readTlsProtocol(p.trim(), s)); }),
  prop('ssl.ciphersuites', (d, v) => { d.ssl.ciphersuites = v.split(',').map((c) => c.trim()).filter((c) => c !== ''); }),
  prop('ssl.hostnameVerification', (d, v, s) => { d.ssl.hostnameVerification = readLooseBoolean(v, s); }),
  prop('ssl.authProvider', (d, v) => { d.ssl.authProvider = v.trim(); }),
  prop('X509AuthenticationProvider.superUser', (d, v) => { d.x509SuperUser = v; }),
  // QuorumPeerConfig reads these itself (JvmPauseMonitor's settings).
  file('jvm.pause.monitor', (d, v, s) => { d.pauseMonitor.enabled = readLooseBoolean(v, s); }),
  file('jvm.pause.info-threshold.ms', (d, v, s) => { d.pauseMonitor.infoThresholdMs = readInt(v, s, { min: 0, long: true }); }),
  file('jvm.pause.warn-threshold.ms', (d, v, s) => { d.pauseMonitor.warnThresholdMs = readInt(v, s, { min: 0, long: true }); }),
  file('jvm.pause.sleep.time.ms', (d, v, s) => { d.pauseMonitor.sleepMs = readInt(v, s, { min: 1, long: true }); }),
  prop('client.certReload', (d, v, s) => { d.clientCertReload = readLooseBoolean(v, s); }),
  // SASL: the JAAS file is a JVM property (SERVER_JVMFLAGS="-Djava.security.auth.login.config=…"),
  // read at start-up; a file that cannot be read or parsed stops it, naming this key.
  bare('java.security.auth.login.config', (d, v) => { d.sasl.jaasFile = v.trim().replace(/^=/, '') || null; }),
  prop('sasl.serverconfig', (d, v) => { d.sasl.section = v.trim(); }),
  prop('superUser', (d, v) => { d.sasl.superUsers.set('', v); }),
  prop('SASLAuthenticationProvider.superPassword', (d, v) => { d.sasl.superPassword = v; }),
  prop('sessionRequireClientSASLAuth', (d, v, s) => { d.sasl.sessionRequireClientSASLAuth = readLooseBoolean(v, s); }),
  prop('enforce.auth.enabled', (d, v, s) => { d.sasl.enforceAuthEnabled = readLooseBoolean(v, s); }),
  prop('enforce.auth.schemes', (d, v) => { d.sasl.enforceAuthSchemes = v.split(',').map((x) => x.trim()).filter((x) => x !== ''); }),
  prop('allowSaslFailedClients', (d, v, s) => { d.sasl.allowSaslFailedClients = readLooseBoolean(v, s); }),
  prop('letAnySaslUserDoX', (d, v) => { d.sasl.letAnySaslUserDoX = v; }),
  prop('kerberos.removeHostFromPrincipal', (d, v, s) => { d.sasl.removeHostFromPrincipal = readLooseBoolean(v, s); }),
  prop('kerberos.removeRealmFromPrincipal', (d, v, s) => { d.sasl.removeRealmFromPrincipal = readLooseBoolean(v, s); }),
  prop('admin.snapshot.enabled', (d, v, s) => { d.adminSnapshotEnabled = readLooseBoolean(v, s); }),
  prop('admin.rateLimiterIntervalInMS', (d, v, s) => { d.adminRateLimiterIntervalMs = readInt(v, s, { min: 0, long: true }); }),
  prop('admin.enableServer', (d, v, s) => { d.adminEnableServer = readOnUnless(v, s, 'false', 'true'); }),
  prop('admin.serverPort', (d, v, s) => { d.adminServerPort = readInt(v, s, { syntax: 'decode', min: 0, max: 65535 }); }),
  prop('admin.serverAddress', (d, v) => { d.adminServerAddress = v; }),
  prop('admin.commandURL', (d, v) => { d.adminCommandUrl = v; }),
  prop('admin.idleTimeout', (d, v, s) => { d.adminIdleTimeoutMs = readInt(v, s, { syntax: 'decode', min: 0 }); }),
  prop('maxCnxns', (d, v, s) => {
    const n = readInt(v, s, { syntax: 'decode' });
    if (n < 0) s.warn(`${n} is negative; using 0 (no limit) as ZooKeeper does`);
    d.maxCnxns = Math.max(0, n);
  }),
  prop('snapSizeLimitInKb', (d, v, s) => { d.snapSizeLimitKb = readInt(v, s, { syntax: 'decode', long: true }); }),
  prop('txnLogSizeLimitInKb', (d, v, s) => { d.txnLogSizeLimitKb = readInt(v, s, { syntax: 'decode', long: true }); }),
  // ZKDatabase: how many committed proposals the leader keeps in memory to sync followers with a DIFF.
  // Integer.parseInt; anything below the default (negatives too) is raised to it.
  prop('commitLogCount', (d, v, s) => {
    const n = readInt(v, s);
    if (n < MIN_COMMIT_LOG_COUNT) {
      s.warn(`${n} is below the minimum of ${MIN_COMMIT_LOG_COUNT}; using ${MIN_COMMIT_LOG_COUNT} as ZooKeeper does`);
    }
    d.commitLogCount = Math.max(MIN_COMMIT_LOG_COUNT, n);
  }),
  // ZKDatabase: a learner may be synced from the on-disk txn log while the txns to send total at most
  // this fraction of the newest snapshot's size. Double.parseDouble. A negative factor turns syncing
  // from the txn log off (isTxnLogSyncEnabled); 0 removes the size limit (getProposalsFromTxnLog only
  // checks a limit > 0); above 1 ZooKeeper falls back to the default.
  prop('snapshotSizeFactor', (d, v, s) => {
    const f = readDouble(v, s);
    if (f > 1) s.warn(`${v} is above 1; using the default ${DEFAULT_SNAPSHOT_SIZE_FACTOR} as ZooKeeper does`);
    d.snapshotSizeFactor = f > 1 ? DEFAULT_SNAPSHOT_SIZE_FACTOR : f;
  }),
  // LearnerHandler (Boolean.getBoolean): always sync learners with a full snapshot; for tests.
  prop('forceSnapshotSync', (d, v, s) => { d.forceSnapshotSync = readLooseBoolean(v, s); }),
  // QuorumCnxManager: connect timeout of election connections. Integer.parseInt. A negative value
  // makes Socket.connect throw in ZooKeeper, so it is refused; 0 is Java's "no timeout".
  prop('cnxTimeout', (d, v, s) => {
    d.cnxTimeoutMs = readInt(v, s, nonNegative);
    if (d.cnxTimeoutMs === 0) {
      s.warn('0 means no connect timeout: connecting to an unreachable server waits as long as the operating system lets it');
    }
  }),
  // QuorumPeer (Integer.getInteger): socket timeout of election connections; <= 0 means tickTime * syncLimit.
  prop('quorumCnxnTimeoutMs', (d, v, s) => { d.quorumCnxnTimeoutMs = readInt(v, s, { syntax: 'decode' }); }),
  prop('fsync.warningthresholdms', (d, v, s) => { d.fsyncWarningThresholdMs = readInt(v, s, { syntax: 'decode', long: true }); }),
  prop('skipACL', (d, v, s) => { d.skipACL = readOffUnless(v, s, 'yes', 'no'); }),
  prop('enforceQuota', (d, v, s) => { d.enforceQuota = readLooseBoolean(v, s); }),
  prop('closeSessionTxn.enabled', (d, v, s) => { d.closeSessionTxnEnabled = readLooseBoolean(v, s); }),
  prop('leaderServes', (d, v, s) => { d.leaderServes = readOnUnless(v, s, 'no', 'yes'); }),
  bare('readonlymode.enabled', (d, v, s) => { d.readonlyModeEnabled = readLooseBoolean(v, s); }),

  // zk-server's own: which storage backend holds the txn log and snapshots.
  { key: 'storage', aliases: ['zkserver.storage'], apply: (d, v, s) => {
    if (v === 'memory' || v === 'filelog' || v === 'level') d.storage = v;
    else s.fail(`expected memory, filelog or level, got ${JSON.stringify(v)}`);
  } },
  // zk-server's own: the log's format (text lines or JSON records) and level; null = as started.
  { key: 'zkserver.log.format', aliases: [], apply: (d, v, s) => {
    const f = LOG_FORMATS.find((x) => x === v);
    if (f === undefined) s.fail(`expected ${LOG_FORMATS.join(' or ')}, got ${JSON.stringify(v)}`);
    else d.logFormat = f;
  } },
  { key: 'zkserver.log.level', aliases: [], apply: (d, v, s) => {
    const l = LOG_LEVELS.find((x) => x === v.toLowerCase());
    if (l === undefined) s.fail(`expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
    else d.logLevel = l;
  } },
];

const byName = new Map<string, Setting>();
for (const s of SETTINGS) {
  for (const name of [s.key, ...s.aliases]) {
    if (byName.has(name)) throw new Error(`duplicate config setting name ${name}`);
    byName.set(name, s);
  }
}

/** authProvider.N (zookeeper.authProvider.N): an authentication provider class to load. */
const authProviderSetting: Setting = {
  key: 'authProvider.N',
  aliases: [],
  apply: (d, v, s) => { d.authProviders.set(s.key.replace(/^(zookeeper\.)?authProvider\./, ''), v.trim()); },
};

/** zookeeper.superUser.X: more SASL super users. */
const superUserSetting: Setting = {
  key: 'superUser.N',
  aliases: [],
  apply: (d, v, s) => { d.sasl.superUsers.set(s.key.replace(/^(zookeeper\.)?superUser\./, ''), v); },
};

export function findSetting(key: string): Setting | undefined {
  const s = byName.get(key);
  if (s !== undefined) return s;
  if (/^(zookeeper\.)?authProvider\.[^.]+$/.test(key)) return authProviderSetting;
  return /^(zookeeper\.)?superUser\.[^.]+$/.test(key) ? superUserSetting : undefined;
}

const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsProtocolName = (typeof TLS_PROTOCOLS)[number];

/** SSLContext protocol names Node can speak: TLSv1 to TLSv1.3 ("TLS" means the newest). */
function readTlsProtocol(v: string, s: ValueSite): TlsProtocolName {
  if (v === 'TLS') return 'TLSv1.3';
  const p = TLS_PROTOCOLS.find((x) => x === v);
  if (p === undefined) s.fail(`expected one of ${TLS_PROTOCOLS.join(', ')}, got ${JSON.stringify(v)}`);
  return p;
}

function storeSettings(which: 'keyStore' | 'trustStore'): Setting[] {
  const store = (d: Draft): StoreSettings => d.ssl[which];
  return [
    prop(`ssl.${which}.location`, (d, v) => { store(d).location = v.trim() === '' ? null : v.trim(); }),
    prop(`ssl.${which}.password`, (d, v) => { store(d).password = v; }),
    prop(`ssl.${which}.passwordPath`, (d, v) => { store(d).passwordPath = v.trim() === '' ? null : v.trim(); }),
    prop(`ssl.${which}.type`, (d, v, s) => {
      const t = v.trim().toUpperCase();
      if (t === '') store(d).type = null;
      else if (t === 'PEM' || t === 'JKS' || t === 'PKCS12') store(d).type = t;
      else if (t === 'BCFKS') s.fail('BCFKS stores need Bouncy Castle\'s FIPS provider, which zk-server does not have: use PEM, PKCS12 or JKS');
      else s.fail(`expected PEM, PKCS12 or JKS, got ${JSON.stringify(v)}`);
    }),
  ];
}
