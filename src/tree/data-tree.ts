// The in-memory znode tree of Apache ZooKeeper 3.9's DataTree: node map, ephemerals per session,
// container and TTL sets, ACL cache, quotas, the incremental digest and the two watch managers.
// Pure: no I/O, no clock (times arrive in txn headers). Txn dispatch lives in apply.ts.

import type { ACL, Stat, StatPersisted, TxnDigest, TxnHeader, Txn } from '../jute/records.js';
import { ErrorCode, EventType } from '../protocol/constants.js';
import { READ_ACL_UNSAFE, ReferenceCountedACLCache } from './acl-cache.js';
import { applyTxn, type ApplyResult } from './apply.js';
import { DigestSum, isDigestExcluded, nodeDigest, pathCrc } from './digest.js';
import { DigestHistory } from './digest-log.js';
import { ephemeralTypeOf } from './ephemeral-type.js';
import { DataArena } from './data-arena.js';
import { SnapshotChanges } from './snapshot-changes.js';
import { createStat, DataNode, emptyStat } from './node.js';
import {
  addToQuotaStats, LIMIT_NODE, PROC_ZOOKEEPER, QUOTA_ZOOKEEPER, QuotaTrie, rebuildQuotas, recountQuota, STAT_NODE, StatsTrack,
  trimQuotaPath,
} from './quota.js';
import { WatchManager, type Watcher } from './watch-manager.js';

export const CONFIG_NODE = '/zookeeper/config';

/** A KeeperException inside the tree: apply() turns it into ApplyResult.err. */
export class TreeError extends Error {
  constructor(readonly code: number, readonly path: string) {
    super(`${code === ErrorCode.NONODE ? 'NoNode' : code === ErrorCode.NODEEXISTS ? 'NodeExists' : `error ${code}`} for ${path}`);
  }
}

export interface DataTreeOptions {
  /** zookeeper.digest.enabled; default true as in ZooKeeper 3.6+. Off, digest() stays 0. */
  digestEnabled?: boolean;
  /** zookeeper.extendedTypesEnabled (TTL nodes); default false as in ZooKeeper. */
  extendedTypesEnabled?: boolean;
}

/** Counts of reads and writes by top-level namespace (ZooKeeper's read/write_per_namespace). */
export interface NamespaceStats {
  read(namespace: string, bytes: number): void;
  write(namespace: string, bytes: number): void;
}

/** DataTree.STAT_OVERHEAD_BYTES: what a read's stat adds to its bytes. */
const STAT_OVERHEAD_BYTES = 6 * 8 + 5 * 4;

/** PathUtils.getTopNamespace: the first component ("app" for /app/x), null for "/". */
export function topNamespace(path: string): string | null {
  const end = path.indexOf('/', 1);
  const ns = end < 0 ? path.slice(1) : path.slice(1, end);
  return ns === '' ? null : ns;
}

export class DataTree {
  readonly digestEnabled: boolean;
  readonly extendedTypesEnabled: boolean;
  readonly dataWatches = new WatchManager();
  readonly childWatches = new WatchManager();
  readonly aclCache = new ReferenceCountedACLCache();
  readonly digestHistory = new DigestHistory();
  /** Highest zxid applied; a multi counts only once all its ops are in. */
  lastProcessedZxid = 0;
  /** Where reads and writes are counted per top-level namespace (the server's metrics), if anywhere. */
  namespaceStats: NamespaceStats | null = null;

  /**
   * The root; every other node is reached through its parent's child map. (A map from every path to
   * its node, as ZooKeeper keeps, cost a million-entry map to build on every restore of a
   * million-node tree, ~0.5 s, and ~75 bytes and a path string per znode for the GC to keep.)
   */
  private root: DataNode | null = null;
  /** Nodes in the tree, the root included (ZooKeeper's map also holds the root under "": see nodeCount). */
  private count = 0;
  private readonly treeDigest = new DigestSum();
  private readonly ephemerals = new Map<bigint, Set<string>>();
  private readonly containerSet = new Set<string>();
  private readonly ttlSet = new Set<string>();
  private readonly quotaTrie = new QuotaTrie();
  private dataSize = 0;
  /** restoreNode's last parent (see there); valid only during a restore. */
  private restoreParent: DataNode | null = null;
  private restoreParentPath = '';
  /** A restore met a path twice: finishRestore sums the tree digest again. */
  private restoreDigestStale = false;
  /** restoreNode's run of nodes with one ACL key, not yet counted in aclCache. */
  private restoreAclRef = 0n;
  private restoreAclUses = 0;
  private readonly nodeLookup = (path: string): DataNode | undefined => this.getNode(path);
  /** For quota code that rewrites the stats nodes it looks up: each is reported changed first. */
  private readonly quotaStatsLookup = (path: string): DataNode | undefined => {
    const node = this.getNode(path);
    if (node !== undefined) this.changes.changed(path, node);
    return node;
  };
  /** Nodes changed since the newest snapshot began (see snapshot-changes.ts). */
  readonly changes = new SnapshotChanges(() => this.count);
  /** Every node's data (see data-arena.ts); a new one for each restore, so nodes of the old tree are not in it. */
  arena = new DataArena();

  constructor(opts: DataTreeOptions = {}) {
    this.digestEnabled = opts.digestEnabled ?? true;
    this.extendedTypesEnabled = opts.extendedTypesEnabled ?? false;
    const root = this.newNode(Buffer.alloc(0), -1n, emptyStat());
    this.putNode('/', root);
    const proc = this.newNode(Buffer.alloc(0), -1n, emptyStat());
    this.putNode(PROC_ZOOKEEPER, proc);
    root.addChild('zookeeper', proc);
    const quota = this.newNode(Buffer.alloc(0), -1n, emptyStat());
    this.putNode(QUOTA_ZOOKEEPER, quota);
    proc.addChild('quota', quota);
    this.addConfigNode();
    this.dataSize = this.computeDataSize();
  }

  /** Adds /zookeeper/config: empty, world:anyone:r (ZOOKEEPER-2014), and so aclVersion -1. */
  addConfigNode(): void {
    const config = this.newNode(Buffer.alloc(0), -1n, emptyStat());
    this.getNode(PROC_ZOOKEEPER)?.addChild('config', config);
    this.putNode(CONFIG_NODE, config);
    this.setACL(CONFIG_NODE, READ_ACL_UNSAFE, -1);
  }

  // ------------------------------------------------------------------ reads

  /** The node at `path` ('' and '/' are the root), found by walking the child maps from the root. */
  getNode(path: string): DataNode | undefined {
    let node = this.root ?? undefined;
    if (path === '/' || path === '') return node;
    if (path.charCodeAt(0) !== 0x2f) return undefined;
    let from = 1;
    while (node !== undefined) {
      const slash = path.indexOf('/', from);
      if (slash < 0) return node.child(path.slice(from));
      node = node.child(path.slice(from, slash));
      from = slash + 1;
    }
    return undefined;
  }

  getACL(node: DataNode): readonly ACL[] {
    return this.aclCache.convertLong(node.aclRef);
  }

  /** ZooKeeper's getNodeCount: its map holds the root twice ("" and "/"), so a fresh tree counts 5. */
  nodeCount(): number {
    return this.count + 1;
  }

  /** Descendants of `path` (for "/", every node but the root, /zookeeper ones included); 0 if absent. */
  getAllChildrenNumber(path: string): number {
    if (path === '/') return this.nodeCount() - 2;
    const node = this.getNode(path);
    if (node === undefined) return 0;
    let n = 0;
    const stack: DataNode[] = [node];
    while (stack.length > 0) {
      const nd = stack.pop() as DataNode;
      for (const c of nd.childNodes.values()) {
        n++;
        stack.push(c);
      }
    }
    return n;
  }

  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? new Set();
  }

  /** Sessions with an ephemeral set (a set can be empty once its nodes were deleted, as in ZooKeeper). */
  ephemeralSessions(): Map<bigint, ReadonlySet<string>> {
    return new Map(this.ephemerals);
  }

  ephemeralsCount(): number {
    let n = 0;
    for (const s of this.ephemerals.values()) n += s.size;
    return n;
  }

  get containers(): ReadonlySet<string> {
    return this.containerSet;
  }

  get ttls(): ReadonlySet<string> {
    return this.ttlSet;
  }

  /** ZooKeeper's tree digest: the 64-bit sum of node CRCs (0 when digests are disabled). */
  digest(): bigint {
    return this.treeDigest.value();
  }

  /** Sum of path lengths and data lengths (ZK's cachedApproximateDataSize, root counted under both names). */
  approximateDataSize(): number {
    return this.dataSize;
  }

  /** mntr's zk_watch_count: data plus child watch registrations. */
  watchCount(): number {
    return this.dataWatches.count + this.childWatches.count;
  }

  /** The deepest path with a quota that covers `path`, or null. */
  quotaPrefixOf(path: string): string | null {
    const p = this.quotaTrie.findMaxPrefix(path);
    return p === '/' || p === '' ? null : p;
  }

  // ------------------------------------------------------------------ txn application

  /** Applies one committed txn; deterministic, and safe to replay over a fuzzy snapshot. */
  apply(hdr: TxnHeader, txn: Txn, digest?: TxnDigest | null): ApplyResult {
    const rc = applyTxn(this, hdr, txn, false);
    this.compareDigest(hdr.zxid, digest);
    return rc;
  }

  /** Compares a logged TxnDigest with the tree; false (and counted) on mismatch. */
  compareDigest(zxid: number, digest: TxnDigest | null | undefined): boolean {
    if (!this.digestEnabled) return true;
    return this.digestHistory.compare(zxid, digest, () => this.digest());
  }

  createNode(
    path: string, data: Buffer | null, acl: readonly ACL[], ephemeralOwner: bigint, parentCVersion: number,
    zxid: number, time: number,
  ): Stat {
    const lastSlash = path.lastIndexOf('/');
    const parentName = path.slice(0, lastSlash);
    const childName = path.slice(lastSlash + 1);
    const parent = this.getNode(parentName);
    if (parent === undefined) throw new TreeError(ErrorCode.NONODE, path);
    const parentAcl = this.getACL(parent);
    // ACL first, as ZooKeeper does (so a fuzzy snapshot can never miss it); on NodeExists the existing
    // node takes the new key without releasing its old one, exactly as ZooKeeper leaves it.
    const aclRef = this.aclCache.convertAcls(acl);
    const existing = this.getNode(path);
    if (existing !== undefined) {
      this.changes.changed(path, existing);
      existing.aclRef = aclRef;
      throw new TreeError(ErrorCode.NODEEXISTS, path);
    }
    this.preChange(parentName, parent);
    if (parentCVersion === -1) parentCVersion = parent.cversion + 1;
    // Replaying a create whose node was created and deleted inside a fuzzy snapshot's range must not
    // move cversion and pzxid backwards.
    if (parentCVersion > parent.cversion) {
      parent.cversion = parentCVersion;
      parent.pzxid = zxid;
    }
    const child = this.newNode(data, aclRef, createStat(zxid, time, ephemeralOwner));
    parent.addChild(childName, child);
    this.postChange(parentName, parent);
    this.dataSize += path.length + child.dataLength;
    this.putNode(path, child);
    const type = ephemeralTypeOf(ephemeralOwner, this.extendedTypesEnabled);
    if (type === 'container') this.containerSet.add(path);
    else if (type === 'ttl') this.ttlSet.add(path);
    else if (ephemeralOwner !== 0n) {
      let set = this.ephemerals.get(ephemeralOwner);
      if (set === undefined) this.ephemerals.set(ephemeralOwner, (set = new Set()));
      set.add(path);
    }
    const stat = child.stat();

    if (parentName.startsWith(QUOTA_ZOOKEEPER)) {
      if (childName === LIMIT_NODE) this.quotaTrie.add(trimQuotaPath(parentName));
      if (childName === STAT_NODE) recountQuota(this.quotaStatsLookup, trimQuotaPath(parentName));
    }
    const lastPrefix = this.quotaPrefixOf(path);
    if (lastPrefix !== null) addToQuotaStats(this.quotaStatsLookup, lastPrefix, data === null ? 0 : data.length, 1);

    this.recordWrite(path, data === null ? 0 : data.length);
    this.dataWatches.trigger(path, EventType.NodeCreated, zxid, acl);
    this.childWatches.trigger(parentName === '' ? '/' : parentName, EventType.NodeChildrenChanged, zxid, parentAcl);
    return stat;
  }

  deleteNode(path: string, zxid: number): void {
    const lastSlash = path.lastIndexOf('/');
    const parentName = path.slice(0, lastSlash);
    const childName = path.slice(lastSlash + 1);
    const parent = this.getNode(parentName);
    if (parent === undefined) throw new TreeError(ErrorCode.NONODE, path);
    // The child may already be gone (fuzzy snapshot); pzxid still moves forward, never backward.
    const node = parent.child(childName);
    this.preChange(parentName, parent);
    parent.removeChild(childName);
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.postChange(parentName, parent);

    if (node === undefined) throw new TreeError(ErrorCode.NONODE, path);
    this.removeNode(path, node);
    const acl = this.getACL(node);
    this.aclCache.removeUsage(node.aclRef);
    this.dataSize -= path.length + node.dataLength;
    const parentAcl = this.getACL(parent);
    const owner = node.ephemeralOwner;
    const type = ephemeralTypeOf(owner, this.extendedTypesEnabled);
    if (type === 'container') this.containerSet.delete(path);
    else if (type === 'ttl') this.ttlSet.delete(path);
    else if (owner !== 0n) this.ephemerals.get(owner)?.delete(path);

    if (parentName.startsWith(PROC_ZOOKEEPER) && childName === LIMIT_NODE && parentName.length >= QUOTA_ZOOKEEPER.length) {
      this.quotaTrie.delete(trimQuotaPath(parentName));
    }
    const lastPrefix = this.quotaPrefixOf(path);
    if (lastPrefix !== null) addToQuotaStats(this.quotaStatsLookup, lastPrefix, -node.dataLength, -1);

    this.recordWrite(path, 0);
    const processed = this.dataWatches.trigger(path, EventType.NodeDeleted, zxid, acl);
    this.childWatches.trigger(path, EventType.NodeDeleted, zxid, acl, processed);
    this.childWatches.trigger(parentName === '' ? '/' : parentName, EventType.NodeChildrenChanged, zxid, parentAcl);
    node.releaseData();
  }

  /**
   * QuotaMetricsUtils: the quota limits (hard limit if set, else the soft one) and usages of the
   * leaf zookeeper_limits / zookeeper_stats nodes under /zookeeper/quota, summed by the top-level
   * namespace of the path they describe.
   */
  quotaTotals(): { countLimit: Map<string, number>; bytesLimit: Map<string, number>; countUsage: Map<string, number>; bytesUsage: Map<string, number> } {
    const out = { countLimit: new Map<string, number>(), bytesLimit: new Map<string, number>(), countUsage: new Map<string, number>(), bytesUsage: new Map<string, number>() };
    const add = (m: Map<string, number>, ns: string, v: number): void => { m.set(ns, (m.get(ns) ?? 0) + v); };
    const stack = [QUOTA_ZOOKEEPER];
    while (stack.length > 0) {
      const p = stack.pop() as string;
      const node = this.getNode(p);
      if (node === undefined) continue;
      const children = [...node.children];
      if (children.length > 0) {
        for (const c of children) stack.push(`${p}/${c}`);
        continue;
      }
      const isLimit = p.endsWith(`/${LIMIT_NODE}`);
      if (!isLimit && !p.endsWith(`/${STAT_NODE}`)) continue;
      const ns = topNamespace(trimQuotaPath(p));
      const data = node.dataView();
      if (ns === null || data === null) continue;
      const st = new StatsTrack(data);
      if (isLimit) {
        add(out.countLimit, ns, st.countHardLimit > -1 ? st.countHardLimit : st.count);
        add(out.bytesLimit, ns, st.byteHardLimit > -1 ? st.byteHardLimit : st.bytes);
      } else {
        add(out.countUsage, ns, st.count);
        add(out.bytesUsage, ns, st.bytes);
      }
    }
    return out;
  }

  /** DataTree.updateWriteStat: the path's length plus the bytes written, under its top namespace. */
  private recordWrite(path: string, bytes: number): void {
    const stats = this.namespaceStats;
    if (stats === null) return;
    const ns = topNamespace(path);
    if (ns !== null) stats.write(ns, path.length + bytes);
  }

  /** DataTree.updateReadStat: a read of `bytes` (data, or child names) plus the path and a stat. */
  recordRead(path: string, bytes: number): void {
    const stats = this.namespaceStats;
    if (stats === null) return;
    const ns = topNamespace(path);
    if (ns !== null) stats.read(ns, path.length + bytes + STAT_OVERHEAD_BYTES);
  }

  /** Sets data with the version the txn carries. ZooKeeper also uses this for /zookeeper/config. */
  setData(path: string, data: Buffer | null, version: number, zxid: number, time: number, target?: object): Stat {
    // A node is at one path for as long as it is in its tree: a target still in this tree is the node.
    const n = target instanceof DataNode && target.isIn(this.arena) ? target : this.getNode(path);
    if (n === undefined) throw new TreeError(ErrorCode.NONODE, path);
    const acl = this.getACL(n);
    const lastLength = n.dataLength;
    this.preChange(path, n);
    n.data = data;
    n.mtime = time;
    n.mzxid = zxid;
    n.version = version;
    const stat = n.stat();
    this.postChange(path, n);
    const newLength = data === null ? 0 : data.length;
    const lastPrefix = this.quotaPrefixOf(path);
    if (lastPrefix !== null) addToQuotaStats(this.quotaStatsLookup, lastPrefix, newLength - lastLength, 0);
    this.dataSize += newLength - lastLength;
    this.recordWrite(path, newLength);
    this.dataWatches.trigger(path, EventType.NodeDataChanged, zxid, acl);
    return stat;
  }

  setACL(path: string, acl: readonly ACL[], version: number): Stat {
    const n = this.getNode(path);
    if (n === undefined) throw new TreeError(ErrorCode.NONODE, path);
    // Release before interning: re-setting the only user's ACL gives it a fresh key, as in ZooKeeper.
    this.aclCache.removeUsage(n.aclRef);
    this.preChange(path, n);
    n.aversion = version;
    n.aclRef = this.aclCache.convertAcls(acl);
    const stat = n.stat();
    this.postChange(path, n);
    return stat;
  }

  /** Raises a node's stored cversion (and pzxid) only if `newCversion` is higher; -1 means +1. */
  setCversionPzxid(path: string, newCversion: number, zxid: number): void {
    if (path.endsWith('/')) path = path.slice(0, -1);
    const node = this.getNode(path);
    if (node === undefined) throw new TreeError(ErrorCode.NONODE, path);
    if (newCversion === -1) newCversion = node.cversion + 1;
    if (newCversion > node.cversion) {
      this.preChange(path, node);
      node.cversion = newCversion;
      node.pzxid = zxid;
      this.postChange(path, node);
    }
  }

  /**
   * Deletes a closed session's ephemerals: the txn's list when it has one (then any the tree still
   * holds for the session beyond it), else the session's own set. Missing nodes are skipped.
   */
  killSession(sessionId: bigint, zxid: number, paths2Delete: readonly string[] | null): void {
    const local = this.ephemerals.get(sessionId);
    this.ephemerals.delete(sessionId);
    if (paths2Delete !== null) this.deleteNodes(zxid, paths2Delete);
    if (local === undefined) return;
    if (paths2Delete !== null) for (const p of paths2Delete) local.delete(p);
    this.deleteNodes(zxid, [...local]);
  }

  private deleteNodes(zxid: number, paths: Iterable<string>): void {
    for (const p of paths) {
      try {
        this.deleteNode(p, zxid);
      } catch (e) {
        if (!(e instanceof TreeError)) throw e;
      }
    }
  }

  // ------------------------------------------------------------------ reads that leave watches

  /** Reads data and, if `watcher` is given, leaves a data watch; undefined if the node is absent. */
  getData(path: string, watcher?: Watcher): { data: Buffer | null; stat: Stat } | undefined {
    const n = this.getNode(path);
    if (n === undefined) return undefined;
    if (watcher !== undefined) this.dataWatches.addWatch(path, watcher);
    return { data: n.data, stat: n.stat() };
  }

  /** exists(): the watch is left even when the node is absent, to fire on NodeCreated. */
  statNode(path: string, watcher?: Watcher): Stat | undefined {
    if (watcher !== undefined) this.dataWatches.addWatch(path, watcher);
    return this.getNode(path)?.stat();
  }

  getChildren(path: string, watcher?: Watcher): { children: string[]; stat: Stat } | undefined {
    const n = this.getNode(path);
    if (n === undefined) return undefined;
    if (watcher !== undefined) this.childWatches.addWatch(path, watcher);
    return { children: n.childNamesInZooKeeperOrder(), stat: n.stat() };
  }

  /** A connection closed: drop all of its watches. */
  removeWatcher(watcher: Watcher): void {
    this.dataWatches.removeAll(watcher);
    this.childWatches.removeAll(watcher);
  }

  // ------------------------------------------------------------------ snapshots

  /**
   * Nodes in the order ZooKeeper serializes them: depth first from the root, which is named "" as in
   * snapshot files. Nodes are yielded live: encode each before asking for the next. Safe against
   * concurrent applies between steps (a node deleted meanwhile is skipped, as in a fuzzy snapshot).
   */
  *nodesInSnapshotOrder(): Generator<[string, DataNode]> {
    const root = this.getNode('');
    if (root === undefined) return;
    const stack: Array<[string, DataNode]> = [['', root]];
    while (stack.length > 0) {
      const [path, node] = stack.pop() as [string, DataNode];
      // A node deleted since its parent was expanded is skipped.
      if (!node.isIn(this.arena)) continue;
      const children = [...node.childNodes];
      yield [path, node];
      for (let i = children.length - 1; i >= 0; i--) stack.push([`${path}/${children[i][0]}`, children[i][1]]);
    }
  }

  /** Empties the tree before restoring a snapshot (load the ACL map with aclCache.load first or after). */
  beginRestore(): void {
    this.changes.reset();
    this.root = null;
    this.count = 0;
    this.arena = new DataArena();
    this.restoreAclUses = 0;
    this.restoreParent = null;
    this.restoreParentPath = '';
    this.restoreDigestStale = false;
    this.treeDigest.clear();
    this.quotaTrie.clear();
    this.ephemerals.clear();
    this.containerSet.clear();
    this.ttlSet.clear();
    // Summed as nodes come (restoreNode), as computeDataSize would after: a walk of a million nodes
    // took ~80 ms of the restart.
    this.dataSize = 0;
  }

  /**
   * Adds one node read from a snapshot (parents come before children; the root is "" or "/").
   * `nodeDigest` and `pathCrc`, when not -1, are the node's digest and its path's CRC computed by
   * whoever parsed the record (the restore worker), so that they are not computed again here.
   * ACL uses are counted into aclCache by finishRestore.
   */
  restoreNode(
    path: string, data: Buffer | null, aclRef: bigint, stat: StatPersisted, nodeDigest = -1, pathCrc = -1,
    /** When ≥ 0: the data is `dataLength` bytes at `dataOffset` of this adopted arena slab (`data` is ignored). */
    dataSlab = -1, dataOffset = 0, dataLength = 0,
  ): DataNode {
    const node = this.newNode(dataSlab >= 0 ? null : data, aclRef, stat);
    if (dataSlab >= 0) node.placeData(dataSlab, dataOffset, dataLength);
    node.digestCache = nodeDigest;
    node.pathCrc = pathCrc;
    const key = path === '' ? '/' : path;
    let replaced: DataNode | undefined;
    if (key === '/') {
      replaced = this.root ?? undefined;
      this.root = node;
    } else {
      const lastSlash = path.lastIndexOf('/');
      // Siblings come one after another in a snapshot: most nodes have the previous node's parent.
      let parent = this.restoreParent;
      if (parent === null || lastSlash !== this.restoreParentPath.length || !path.startsWith(this.restoreParentPath)) {
        this.restoreParentPath = path.slice(0, lastSlash);
        parent = this.getNode(this.restoreParentPath) ?? null;
        this.restoreParent = parent;
      }
      if (parent === null) {
        throw new Error(`Invalid Datatree, unable to find parent ${path.slice(0, lastSlash)} of path ${path}`);
      }
      replaced = parent.addChild(path.slice(lastSlash + 1), node);
    }
    if (replaced !== undefined) {
      // A path met twice (a fuzzy snapshot can hold one deleted and re-created): the later copy
      // wins, a cached parent may be the node just replaced, and the digest is summed again at the
      // end (the replaced node's share is not known here). The earlier copy and whatever was
      // restored under it give back their data and records.
      this.restoreParent = null;
      this.restoreDigestStale = true;
      const stack = [replaced];
      for (let gone = stack.pop(); gone !== undefined; gone = stack.pop()) {
        for (const [, child] of gone.childNodes) stack.push(child);
        gone.releaseData();
      }
    } else {
      this.count++;
    }
    // computeDataSize's sum: the path and data lengths, the root's data twice (it is "" and "/").
    this.dataSize += key === '/' ? 1 + 2 * node.dataLength : key.length + node.dataLength;
    if (this.digestEnabled && !isDigestExcluded(key)) this.treeDigest.add(this.nodeDigestOf(key, node));
    // Runs of nodes share a key: count them here and hand the cache one sum per run.
    if (aclRef !== this.restoreAclRef) {
      this.flushRestoreAclUses();
      this.restoreAclRef = aclRef;
    }
    this.restoreAclUses++;
    if (key === '/') return node;
    const owner = node.ephemeralOwner;
    if (owner !== 0n) {
      const type = ephemeralTypeOf(owner, this.extendedTypesEnabled);
      if (type === 'container') this.containerSet.add(path);
      else if (type === 'ttl') this.ttlSet.add(path);
      else {
        let set = this.ephemerals.get(owner);
        if (set === undefined) this.ephemerals.set(owner, (set = new Set()));
        set.add(path);
      }
    }
    return node;
  }

  private flushRestoreAclUses(): void {
    if (this.restoreAclUses > 0) this.aclCache.addUsage(this.restoreAclRef, this.restoreAclUses);
    this.restoreAclUses = 0;
  }

  /** After the last restored node: data size, quota trie and stats, unused ACLs dropped. */
  finishRestore(): void {
    this.flushRestoreAclUses();
    this.restoreParent = null;
    if (this.root === null) throw new Error('Invalid Datatree, snapshot has no root');
    if (this.restoreDigestStale) {
      // A node met twice replaced the first copy, and with it any children the first one had (a
      // fuzzy snapshot; the log deletes them again): count and sum what is reachable.
      this.restoreDigestStale = false;
      this.dataSize = this.computeDataSize();
      this.treeDigest.clear();
      this.count = 0;
      for (const [path, node] of this.nodesInSnapshotOrder()) {
        this.count++;
        const key = path === '' ? '/' : path;
        if (this.digestEnabled && !isDigestExcluded(key)) this.treeDigest.add(this.nodeDigestOf(key, node));
      }
    }
    rebuildQuotas(this.nodeLookup, this.quotaTrie);
    this.aclCache.purgeUnused();
  }

  // ------------------------------------------------------------------ internals

  private newNode(data: Buffer | null, aclRef: bigint, stat: StatPersisted): DataNode {
    return new DataNode({ data, arena: this.arena, aclRef, stat, extendedTypesEnabled: this.extendedTypesEnabled });
  }

  /** A node's digest (0 for paths left out of the tree digest), kept on the node until it changes. */
  nodeDigestOf(path: string, node: DataNode): number {
    if (node.digestCache < 0) node.digestCache = nodeDigest(path, node.dataView(), node, this.pathCrcOf(path, node));
    return node.digestCache;
  }

  /** The CRC of a node's path, kept on the node: every change to the node rehashes it otherwise. */
  pathCrcOf(path: string, node: DataNode): number {
    if (node.pathCrc < 0) node.pathCrc = pathCrc(path);
    return node.pathCrc;
  }

  /** Counts a node its parent has just linked (the root: sets it) and adds it to the digest. */
  private putNode(path: string, node: DataNode): void {
    if (path === '/') this.root = node;
    this.count++;
    this.changes.created(path, node);
    if (this.digestEnabled && !isDigestExcluded(path)) this.treeDigest.add(this.nodeDigestOf(path, node));
  }

  /** Uncounts a node its parent has just unlinked and takes it out of the digest. */
  private removeNode(path: string, node: DataNode): void {
    this.changes.deleted(path, node);
    this.count--;
    if (this.digestEnabled && !isDigestExcluded(path)) this.treeDigest.remove(this.nodeDigestOf(path, node));
  }

  private preChange(path: string, node: DataNode): void {
    this.changes.changed(path, node);
    if (this.digestEnabled && !isDigestExcluded(path)) this.treeDigest.remove(this.nodeDigestOf(path, node));
  }

  private postChange(path: string, node: DataNode): void {
    node.digestCache = -1;
    if (this.digestEnabled && !isDigestExcluded(path)) this.treeDigest.add(this.nodeDigestOf(path, node));
  }

  private computeDataSize(): number {
    const root = this.root;
    if (root === null) return 0;
    // Each node's path length and data length; the root ("/") counts twice, as ZooKeeper's map
    // also holds it under "".
    let size = 1 + 2 * root.dataLength;
    const stack: Array<[DataNode, number]> = [[root, 0]];
    while (stack.length > 0) {
      const [node, pathLength] = stack.pop() as [DataNode, number];
      for (const [name, child] of node.childNodes) {
        const childLength = pathLength + 1 + name.length;
        size += childLength + child.dataLength;
        if (child.numChildren > 0) stack.push([child, childLength]);
      }
    }
    return size;
  }

}
