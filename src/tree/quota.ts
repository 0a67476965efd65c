// Quota bookkeeping as Apache ZooKeeper's DataTree does it: the set of paths that carry a quota
// (ZK's PathTrie of /zookeeper/quota/<path>/zookeeper_limits nodes), the StatsTrack text format of
// the zookeeper_stats / zookeeper_limits nodes ("count=N,bytes=M" then ";key=value" extras), and the
// updates of the stats nodes as nodes below a quota path come, go and change size.

import type { DataNode } from './node.js';

export const QUOTA_ZOOKEEPER = '/zookeeper/quota';
export const PROC_ZOOKEEPER = '/zookeeper';
export const LIMIT_NODE = 'zookeeper_limits';
export const STAT_NODE = 'zookeeper_stats';

export const quotaPath = (path: string): string => QUOTA_ZOOKEEPER + path;
export const limitPath = (path: string): string => QUOTA_ZOOKEEPER + path + '/' + LIMIT_NODE;
export const statPath = (path: string): string => QUOTA_ZOOKEEPER + path + '/' + STAT_NODE;
export const trimQuotaPath = (path: string): string => path.slice(QUOTA_ZOOKEEPER.length);

/** Java's String.trim().isEmpty(): only characters up to U+0020. */
function blank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x20) return false;
  return true;
}

function components(path: string): string[] {
  return path.split('/').filter((t) => !blank(t));
}

/** The paths that have a quota; finds the deepest one above a given path (ZK's PathTrie). */
export class QuotaTrie {
  private readonly paths = new Set<string>();

  add(path: string): void {
    const parts = components(path);
    if (parts.length > 0) this.paths.add('/' + parts.join('/'));
  }

  delete(path: string): void {
    this.paths.delete('/' + components(path).join('/'));
  }

  clear(): void {
    this.paths.clear();
  }

  has(path: string): boolean {
    return this.paths.has('/' + components(path).join('/'));
  }

  /** The deepest quota path that is `path` or one of its ancestors, or "/" if none. */
  findMaxPrefix(path: string): string {
    // Most trees have no quota at all: every write asks, so answer that without splitting the path.
    if (this.paths.size === 0) return '/';
    const parts = components(path);
    let best = '/';
    let cur = '';
    for (const part of parts) {
      cur += '/' + part;
      if (this.paths.has(cur)) best = cur;
    }
    return best;
  }

  list(): string[] {
    return [...this.paths];
  }
}

/** The key=value record kept in quota nodes (ZK's StatsTrack). Missing values read as -1. */
export class StatsTrack {
  private readonly stats = new Map<string, number>();

  constructor(text: string | Buffer | null = '') {
    const s = text === null ? '' : typeof text === 'string' ? text : text.toString('utf8');
    if (s.length === 0) return;
    for (const pair of s.split(/[,;]+/)) {
      // Java's split("=") drops trailing empties, so "bytes=5=" reads as bytes=5; pairs ZK would choke on are skipped.
      const kv = pair.split('=');
      if (kv.length < 2 || kv[0] === '') continue;
      const v = kv[1] === '' ? -1 : Number.parseInt(kv[1], 10);
      if (Number.isNaN(v)) continue;
      this.stats.set(kv[0], v);
    }
  }

  get count(): number { return this.stats.get('count') ?? -1; }
  set count(v: number) { this.stats.set('count', v); }
  get bytes(): number { return this.stats.get('bytes') ?? -1; }
  set bytes(v: number) { this.stats.set('bytes', v); }
  get countHardLimit(): number { return this.stats.get('countHardLimit') ?? -1; }
  set countHardLimit(v: number) { this.stats.set('countHardLimit', v); }
  get byteHardLimit(): number { return this.stats.get('byteHardLimit') ?? -1; }
  set byteHardLimit(v: number) { this.stats.set('byteHardLimit', v); }

  /**
   * count and bytes first, then a lone "=" and the other keys sorted, each after ";": the layout ZK keeps
   * so that 3.4-era parsers still read count and bytes.
   */
  toString(): string {
    let out = `count=${this.count},bytes=${this.bytes}`;
    const extra = [...this.stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    if (extra.length > 0) {
      out += '=';
      for (const k of extra) out += `;${k}=${this.stats.get(k)}`;
    }
    return out;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.toString(), 'utf8');
  }
}

type NodeLookup = (path: string) => DataNode | undefined;

/**
 * Adds to the counts in a quota path's zookeeper_stats node. The node lies under /zookeeper/, so its
 * change stays out of the digest; ZooKeeper also leaves the tree's data size untouched here.
 */
export function addToQuotaStats(getNode: NodeLookup, quotaPrefix: string, bytesDiff: number, countDiff: number): void {
  const statNode = getNode(statPath(quotaPrefix));
  if (statNode === undefined) return;
  const st = new StatsTrack(statNode.data);
  st.count = st.count + countDiff;
  st.bytes = st.bytes + bytesDiff;
  statNode.data = st.toBuffer();
}

/** Rewrites a quota path's stats node with a fresh count of its subtree (the node itself included). */
export function recountQuota(getNode: NodeLookup, path: string): void {
  let count = 0;
  let bytes = 0;
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    const n = getNode(p);
    if (n === undefined) continue;
    count++;
    bytes += n.dataLength;
    for (const c of n.children) stack.push(p + '/' + c);
  }
  const statNode = getNode(statPath(path));
  if (statNode === undefined) return;
  const st = new StatsTrack();
  st.bytes = bytes;
  st.count = count;
  statNode.data = st.toBuffer();
  statNode.digestCache = -1;
}

/** After a snapshot load: finds every zookeeper_limits leaf, recounts its stats, refills the trie. */
export function rebuildQuotas(getNode: NodeLookup, trie: QuotaTrie): void {
  const end = '/' + LIMIT_NODE;
  const stack = [QUOTA_ZOOKEEPER];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    const n = getNode(p);
    if (n === undefined) continue;
    if (n.numChildren === 0) {
      if (p.endsWith(end)) {
        const realPath = p.slice(QUOTA_ZOOKEEPER.length, p.indexOf(end));
        recountQuota(getNode, realPath);
        trie.add(realPath);
      }
      continue;
    }
    for (const c of n.children) stack.push(p + '/' + c);
  }
}
