// The data tree's public surface: import from here rather than from the individual modules.

export { DataTree, TreeError, CONFIG_NODE, type DataTreeOptions } from './data-tree.js';
export { type ApplyResult } from './apply.js';
export { DataNode, createStat, emptyStat, type DataNodeInit } from './node.js';
export {
  ReferenceCountedACLCache, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, CREATOR_ALL_ACL, OPEN_UNSAFE_ACL_ID,
} from './acl-cache.js';
export { WatchManager, type Watcher, type WatcherMode, type WatchesSummary } from './watch-manager.js';
export {
  ephemeralTypeOf, ttlToEphemeralOwner, ttlOf, validateTtl, validateServerId, CONTAINER_EPHEMERAL_OWNER,
  TTL_MAX_MS, MAX_EXTENDED_SERVER_ID, type EphemeralType,
} from './ephemeral-type.js';
export { validatePath, parentOf, basename, isUnder, childPath, sequenceSuffix } from './paths.js';
export { nodeDigest, DigestSum, DIGEST_VERSION, ZOOKEEPER_NODE_SUBTREE } from './digest.js';
export { DigestHistory, DIGEST_LOG_INTERVAL, DIGEST_LOG_LIMIT, type ZxidDigest } from './digest-log.js';
export {
  QuotaTrie, StatsTrack, QUOTA_ZOOKEEPER, PROC_ZOOKEEPER, LIMIT_NODE, STAT_NODE, quotaPath, limitPath, statPath,
  trimQuotaPath,
} from './quota.js';
export { addWatch, containsWatcher, removeWatch, setWatches, type WatchLists } from './watch-ops.js';
