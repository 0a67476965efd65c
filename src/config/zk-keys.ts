// ZooKeeper 3.8/3.9 settings that zk-server reads but does not act on (TLS, SASL, metrics, tuning of
// Java thread pools…), so a config written for ZooKeeper gets "not implemented" rather than "unknown".

const NAMES = new Set([
  // read by QuorumPeerConfig itself
  'observerMasterPort', 'clientPortListenBacklog', 'connectToLearnerMasterLimit', 'sslQuorum',
  'portUnification', 'sslQuorumReloadCertFiles', 'quorum.cnxn.threads.size', 'oraclePath',
  'quorum.auth.enableSasl', 'quorum.auth.serverRequireSasl', 'quorum.auth.learnerRequireSasl',
  'quorum.auth.learner.saslLoginContext', 'quorum.auth.server.saslLoginContext',
  'quorum.auth.kerberos.servicePrincipal',
  'multiAddress.enabled', 'multiAddress.reachabilityCheckTimeoutMs', 'multiAddress.reachabilityCheckEnabled',
  // system properties documented in the administrator's guide, written without zookeeper.
  'serverCnxnFactory', 'maxResponseCacheSize', 'maxGetChildrenResponseCacheSize', 'watchManagerName',
  'watcherCleanThreadsNum', 'watcherCleanThreshold', 'watcherCleanIntervalInSeconds',
  'maxInProcessingDeadWatchers', 'bitHashCacheSize', 'fastleader.minNotificationInterval',
  'fastleader.maxNotificationInterval', 'connection_throttle_tokens', 'connection_throttle_fill_time',
  'connection_throttle_fill_count', 'connection_throttle_freeze_time', 'connection_throttle_drop_increase',
  'connection_throttle_drop_decrease', 'connection_throttle_decrease_ratio',
  'connection_throttle_weight_enabled', 'connection_throttle_global_session_weight',
  'connection_throttle_local_session_weight', 'connection_throttle_renew_session_weight',
  'flushDelay', 'maxWriteQueuePollTime', 'maxBatchSize', 'request_throttle_max_requests',
  'request_throttle_stall_time', 'request_throttle_drop_stale', 'request_stale_latency_check',
  'request_stale_connection_check', 'request_throttler.shutdownTimeout', 'netty.advancedFlowControl.enabled',
  'enableEagerACLCheck', 'leader.maxConcurrentSnapSyncs', 'leader.maxConcurrentDiffSyncs',
  'snapshot.trust.empty', 'audit.enable', 'audit.impl.class', 'largeRequestMaxBytes',
  'largeRequestThreshold', 'netty.server.outstandingHandshake.limit',
  'netty.server.earlyDropSecureConnectionHandshakes', 'throttled_op_wait_time', 'learner.closeSocketAsync',
  'leader.closeSocketAsync', 'learner.asyncSending', 'forward_learner_requests_to_commit_processor_disabled',
  'leader.maxTimeToWaitForEpoch', 'tcpKeepAlive',
  'clientTcpKeepAlive', 'electionPortBindRetry', 'observer.reconnectDelayMs', 'observer.election.DelayMs',
  'DigestAuthenticationProvider.digestAlg',
  'ensembleAuthName',
  'client.portUnification',
  'kerberos.canonicalizeHostNames', 'jute.maxbuffer.extrasize',
  'follower.skipLearnerRequestToNextProcessor', 'nio.numSelectorThreads', 'nio.numWorkerThreads',
  'nio.directBufferBytes', 'nio.sessionlessCnxnTimeout', 'nio.shutdownTimeout',
  'commitProcessor.numWorkerThreads', 'commitProcessor.maxReadBatchSize',
  'commitProcessor.maxCommitBatchSize', 'commitProcessor.shutdownTimeout', 'messageTracker.BufferSize',
  'messageTracker.Enabled', 'admin.forceHttps', 'admin.portUnification', 'admin.httpVersion',
  'datadir.autocreate', 'db.autocreate', 'serializeLastProcessedZxid.enabled',
  'intBufferStartingSizeBytes', 'sasl.client.canonicalize.hostname', 'server.realm',
  'security.auth_to_local', 'requireKerberosConfig',
  'testingonly.initialZxid', 'leaderConnectDelayDuringRetryMs', 'observerMaster.sizeLimit',
  'authProvider',
]);

const PREFIXES = ['ssl.', 'metricsProvider.', 'authProvider.', 'quorum.auth.', 'jvm.pause.', 'pathStats.'];

/** True for a ZooKeeper setting zk-server has no use for, in either its zoo.cfg or -D spelling. */
export function isUnimplementedZooKeeperKey(key: string): boolean {
  const k = key.startsWith('zookeeper.') ? key.slice('zookeeper.'.length) : key;
  return NAMES.has(k) || PREFIXES.some((p) => k.startsWith(p));
}
