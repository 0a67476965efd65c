// The client watch requests against a tree (addWatch, checkWatches, removeWatches, setWatches), with
// Apache ZooKeeper DataTree's rules for which of the two watch managers each watch type lives in.

import { EventType, KeeperState, WatcherType } from '../protocol/constants.js';
import type { DataTree } from './data-tree.js';
import type { Watcher } from './watch-manager.js';

/** addWatch: persistent watches go in both managers, recursive ones only in the data manager. */
export function addWatch(tree: DataTree, basePath: string, watcher: Watcher, mode: 'persistent' | 'persistentRecursive'): void {
  tree.dataWatches.addWatch(basePath, watcher, mode);
  if (mode !== 'persistentRecursive') tree.childWatches.addWatch(basePath, watcher, mode);
}

/** checkWatches, by WatcherType (1 children, 2 data, 3 any, 4 persistent, 5 persistent recursive). */
export function containsWatcher(tree: DataTree, path: string, type: number, watcher: Watcher): boolean {
  switch (type) {
    case WatcherType.Children: return tree.childWatches.containsWatcher(path, watcher, 'standard');
    case WatcherType.Data: return tree.dataWatches.containsWatcher(path, watcher, 'standard');
    case WatcherType.Persistent: return tree.dataWatches.containsWatcher(path, watcher, 'persistent');
    case WatcherType.PersistentRecursive: return tree.dataWatches.containsWatcher(path, watcher, 'persistentRecursive');
    case WatcherType.Any:
      return tree.childWatches.containsWatcher(path, watcher) || tree.dataWatches.containsWatcher(path, watcher);
    default: return false;
  }
}

/** removeWatches, by WatcherType. @returns true if anything was removed. */
export function removeWatch(tree: DataTree, path: string, type: number, watcher: Watcher): boolean {
  switch (type) {
    case WatcherType.Children: return tree.childWatches.removeWatcher(path, watcher, 'standard');
    case WatcherType.Data: return tree.dataWatches.removeWatcher(path, watcher, 'standard');
    case WatcherType.Persistent: {
      const c = tree.childWatches.removeWatcher(path, watcher, 'persistent');
      const d = tree.dataWatches.removeWatcher(path, watcher, 'persistent');
      return c || d;
    }
    case WatcherType.PersistentRecursive: return tree.dataWatches.removeWatcher(path, watcher, 'persistentRecursive');
    case WatcherType.Any: {
      const c = tree.childWatches.removeWatcher(path, watcher);
      const d = tree.dataWatches.removeWatcher(path, watcher);
      return c || d;
    }
    default: return false;
  }
}

export interface WatchLists {
  dataWatches: readonly string[];
  existWatches: readonly string[];
  childWatches: readonly string[];
  persistentWatches: readonly string[];
  persistentRecursiveWatches: readonly string[];
}

/**
 * Re-registers a reconnecting client's watches (SetWatches/SetWatches2). A change after
 * `relativeZxid` fires at once instead (zxid -1 and no ACL check, as ZooKeeper sends them).
 */
export function setWatches(tree: DataTree, relativeZxid: number, w: WatchLists, watcher: Watcher): void {
  const fire = (type: number, path: string): void => watcher.notify({ type, state: KeeperState.SyncConnected, path }, -1, null);
  for (const path of w.dataWatches) {
    const node = tree.getNode(path);
    if (node === undefined) fire(EventType.NodeDeleted, path);
    else if (node.mzxid > relativeZxid) fire(EventType.NodeDataChanged, path);
    else tree.dataWatches.addWatch(path, watcher);
  }
  for (const path of w.existWatches) {
    if (tree.getNode(path) !== undefined) fire(EventType.NodeCreated, path);
    else tree.dataWatches.addWatch(path, watcher);
  }
  for (const path of w.childWatches) {
    const node = tree.getNode(path);
    if (node === undefined) fire(EventType.NodeDeleted, path);
    else if (node.pzxid > relativeZxid) fire(EventType.NodeChildrenChanged, path);
    else tree.childWatches.addWatch(path, watcher);
  }
  for (const path of w.persistentWatches) {
    tree.childWatches.addWatch(path, watcher, 'persistent');
    tree.dataWatches.addWatch(path, watcher, 'persistent');
  }
  for (const path of w.persistentRecursiveWatches) tree.dataWatches.addWatch(path, watcher, 'persistentRecursive');
}
