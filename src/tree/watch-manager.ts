// Watch registrations and triggering with Apache ZooKeeper's WatchManager semantics: standard watches
// fire once, persistent ones stay, persistent-recursive ones also fire for changes below their path.
// DataTree keeps two of these, one for data/exist watches and one for child watches, as ZooKeeper does.

import type { ACL, WatcherEvent } from '../jute/records.js';
import { KeeperState } from '../protocol/constants.js';

/** The receiver of watch events: a client connection in src/server. */
export interface Watcher {
  readonly sessionId: bigint;
  /**
   * Delivers one event. `zxid` is the zxid of the change (-1 for events raised by setWatches); `acl`
   * is the znode's ACL so the server can hold back events the session may not READ (null = no check).
   */
  notify(event: WatcherEvent, zxid: number, acl: readonly ACL[] | null): void;
  /** A closed connection: ZooKeeper ignores new watches from it. */
  isStale?(): boolean;
}

export type WatcherMode = 'standard' | 'persistent' | 'persistentRecursive';

const FLAG: Record<WatcherMode, number> = { standard: 1, persistent: 2, persistentRecursive: 4 };
const RECURSIVE = FLAG.persistentRecursive;
const NO_WATCHERS: ReadonlySet<Watcher> = new Set();

export interface WatchesSummary {
  /** Watchers (connections) with at least one watch. */
  connections: number;
  /** Paths with at least one watch. */
  paths: number;
  /** (watcher, path) pairs. */
  total: number;
}

export class WatchManager {
  private readonly watchTable = new Map<string, Set<Watcher>>();
  /** Per watcher, the modes it holds on each path, as a bit set of FLAG values. */
  private readonly watch2Paths = new Map<Watcher, Map<string, number>>();
  private recursiveWatchQty = 0;

  /** Number of (path, watcher) registrations: ZooKeeper's WatchManager.size(). */
  get count(): number {
    let n = 0;
    for (const set of this.watchTable.values()) n += set.size;
    return n;
  }

  /** @returns true if this added a mode the watcher did not already hold on the path. */
  addWatch(path: string, w: Watcher, mode: WatcherMode = 'standard'): boolean {
    if (w.isStale?.() === true) return false;
    let set = this.watchTable.get(path);
    if (set === undefined) {
      set = new Set();
      this.watchTable.set(path, set);
    }
    set.add(w);
    let paths = this.watch2Paths.get(w);
    if (paths === undefined) {
      paths = new Map();
      this.watch2Paths.set(w, paths);
    }
    const old = paths.get(path) ?? 0;
    const next = old | FLAG[mode];
    if (next === old) return false;
    paths.set(path, next);
    if (mode === 'persistentRecursive') this.recursiveWatchQty++;
    return true;
  }

  /** Whether `w` watches `path` (in `mode`, or in any mode when none is given). */
  containsWatcher(path: string, w: Watcher, mode?: WatcherMode): boolean {
    const flags = this.watch2Paths.get(w)?.get(path);
    if (flags === undefined) return false;
    return mode === undefined || (flags & FLAG[mode]) !== 0;
  }

  /**
   * Removes one mode (or, with no mode, every mode) of `w` on `path`.
   * @returns true if anything was removed.
   */
  removeWatcher(path: string, w: Watcher, mode?: WatcherMode): boolean {
    const paths = this.watch2Paths.get(w);
    const watchers = this.watchTable.get(path);
    if (paths === undefined || watchers === undefined) return false;
    const oldFlags = paths.get(path) ?? 0;
    let newFlags = 0;
    if (mode !== undefined) {
      newFlags = oldFlags & ~FLAG[mode];
      if (newFlags !== 0) {
        if (newFlags !== oldFlags) paths.set(path, newFlags);
      } else if (oldFlags !== 0) {
        this.unwatch(path, w, paths, watchers);
      }
    } else {
      this.unwatch(path, w, paths, watchers);
    }
    if ((oldFlags & RECURSIVE) !== 0 && (newFlags & RECURSIVE) === 0) this.recursiveWatchQty--;
    return oldFlags !== newFlags;
  }

  /** Drops every watch of a watcher (its connection closed). */
  removeAll(w: Watcher): void {
    const paths = this.watch2Paths.get(w);
    if (paths === undefined) return;
    this.watch2Paths.delete(w);
    for (const [path, flags] of paths) {
      const set = this.watchTable.get(path);
      if (set !== undefined) {
        set.delete(w);
        if (set.size === 0) this.watchTable.delete(path);
      }
      if ((flags & RECURSIVE) !== 0) this.recursiveWatchQty--;
    }
  }

  /**
   * Fires `type` for a change at `path`: every watcher on the path itself (standard watches are
   * consumed), and, when recursive watches exist, the persistent-recursive watchers of every ancestor.
   * Watchers in `suppress` lose their standard watch but are not notified (ZooKeeper uses this so a
   * deleted node's watcher gets one NodeDeleted, not two).
   * @returns the watchers that matched, notified or not.
   */
  trigger(path: string, type: number, zxid: number, acl: readonly ACL[] | null, suppress?: ReadonlySet<Watcher>): ReadonlySet<Watcher> {
    // Most writes meet no watch at all: no set for them (this runs for every write and replayed txn).
    if (this.watchTable.size === 0) return NO_WATCHERS;
    const matched = new Set<Watcher>();
    const withAncestors = this.recursiveWatchQty > 0;
    let atParent = false;
    for (let local: string = path; local !== ''; local = parentForWatch(local)) {
      const set = this.watchTable.get(local);
      if (set !== undefined && set.size > 0) {
        for (const w of set) {
          const paths = this.watch2Paths.get(w);
          const flags = paths?.get(local);
          if (paths === undefined || flags === undefined) continue;
          if (!atParent) {
            matched.add(w);
            const rest = flags & ~FLAG.standard;
            if (rest === 0) {
              set.delete(w);
              paths.delete(local);
            } else if (rest !== flags) {
              paths.set(local, rest);
            }
          } else if ((flags & RECURSIVE) !== 0) {
            matched.add(w);
          }
        }
        if (set.size === 0) this.watchTable.delete(local);
      }
      if (!withAncestors) break;
      atParent = true;
    }
    if (matched.size === 0) return matched;
    const event: WatcherEvent = { type, state: KeeperState.SyncConnected, path };
    for (const w of matched) {
      if (suppress !== undefined && suppress.has(w)) continue;
      w.notify(event, zxid, acl);
    }
    return matched;
  }

  /** For the wchs summary line: connections, watched paths and total watches. */
  summary(): WatchesSummary {
    let total = 0;
    for (const paths of this.watch2Paths.values()) total += paths.size;
    return { connections: this.watch2Paths.size, paths: this.watchTable.size, total };
  }

  /** For wchp: watched path → session ids watching it. */
  byPath(): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    for (const [path, set] of this.watchTable) {
      out.set(path, [...new Set([...set].map((w) => w.sessionId))]);
    }
    return out;
  }

  /** For wchc: session id → paths it watches. */
  bySession(): Map<bigint, string[]> {
    const out = new Map<bigint, string[]>();
    for (const [w, paths] of this.watch2Paths) out.set(w.sessionId, [...paths.keys()]);
    return out;
  }

  /** The modes `w` holds on `path` (empty if none). */
  modesOf(path: string, w: Watcher): WatcherMode[] {
    const flags = this.watch2Paths.get(w)?.get(path) ?? 0;
    return (Object.keys(FLAG) as WatcherMode[]).filter((m) => (flags & FLAG[m]) !== 0);
  }

  private unwatch(path: string, w: Watcher, paths: Map<string, number>, watchers: Set<Watcher>): void {
    if (!paths.delete(path)) return;
    if (paths.size === 0) this.watch2Paths.delete(w);
    watchers.delete(w);
    if (watchers.size === 0) this.watchTable.delete(path);
  }
}

/** PathParentIterator's step: "/a/b" → "/a" → "/" → "" (done). */
function parentForWatch(path: string): string {
  if (path === '/') return '';
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
