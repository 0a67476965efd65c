// Read requests answered from the committed tree (ZooKeeper's FinalRequestProcessor for reads):
// exists, getData, getChildren(2), getACL, getAllChildrenNumber, getEphemerals, multiRead, whoAmI,
// and the watch-management ops. Each returns the error code and the encoded response record.

import { JuteReader } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import {
  type Id, type MultiResult, type SetWatches,
  readPathWatchRequest, readPathRequest, readPathTypeRequest, readMultiOps, readSetWatches,
  writeStat, writeACLList, writeMultiResults,
} from '../jute/records.js';
import { AddWatchMode, ErrorCode, EventType, KeeperState, OpCode, Perm, WatcherType } from '../protocol/constants.js';
import type { DataTree } from '../tree/data-tree.js';
import type { Watcher } from '../tree/watch-manager.js';
import { checkACL, hasPermission, maskDigests, userNameOf } from './acl.js';
import { KeeperError } from './errors.js';

export interface ReadContext {
  readonly sessionId: bigint;
  readonly authInfo: readonly Id[];
  /** The connection as a watcher; null for requests without a live connection. */
  readonly watcher: Watcher | null;
}

export interface ReadResult {
  err: number;
  body: Buffer | null;
}

const READ_OPS = new Set<number>([
  OpCode.exists, OpCode.getData, OpCode.getChildren, OpCode.getChildren2, OpCode.getACL,
  OpCode.getAllChildrenNumber, OpCode.getEphemerals, OpCode.multiRead, OpCode.whoAmI,
  OpCode.setWatches, OpCode.setWatches2, OpCode.addWatch, OpCode.checkWatches, OpCode.removeWatches,
  OpCode.ping,
]);

export function isReadOp(type: number): boolean {
  return READ_OPS.has(type);
}

export class Reads {
  private readonly w = new JuteWriter(1024);

  constructor(private readonly tree: DataTree) {}

  execute(type: number, body: Buffer, ctx: ReadContext): ReadResult {
    try {
      return { err: 0, body: this.run(type, new JuteReader(body), ctx) };
    } catch (e) {
      if (e instanceof KeeperError) return { err: e.code, body: null };
      return { err: ErrorCode.MARSHALLINGERROR, body: null };
    }
  }

  private out(fill: (w: JuteWriter) => void): Buffer {
    this.w.reset();
    fill(this.w);
    return this.w.toBuffer();
  }

  private nodeFor(path: string, ctx: ReadContext, perm: number = Perm.READ) {
    const node = this.tree.getNode(path);
    if (!node) throw new KeeperError(ErrorCode.NONODE, path);
    checkACL(this.tree.getACL(node), perm, ctx.authInfo);
    return node;
  }

  private run(type: number, r: JuteReader, ctx: ReadContext): Buffer | null {
    switch (type) {
      case OpCode.ping:
        return null;
      case OpCode.exists: {
        const { path, watch } = readPathWatchRequest(r);
        if (path.includes('\0')) throw new KeeperError(ErrorCode.BADARGUMENTS);
        const node = this.tree.getNode(path);
        if (node) checkACL(this.tree.getACL(node), Perm.READ, ctx.authInfo);
        // The watch is left even when the node is absent: that is an exist watch.
        if (watch && ctx.watcher) this.tree.dataWatches.addWatch(path, ctx.watcher, 'standard');
        if (!node) throw new KeeperError(ErrorCode.NONODE, path);
        this.tree.recordRead(path, 0);
        const stat = node.stat();
        return this.out((w) => writeStat(w, stat));
      }
      case OpCode.getData: {
        const { path, watch } = readPathWatchRequest(r);
        return this.out((w) => this.getData(w, path, watch, ctx));
      }
      case OpCode.getChildren: {
        const { path, watch } = readPathWatchRequest(r);
        return this.out((w) => this.getChildren(w, path, watch, ctx, false));
      }
      case OpCode.getChildren2: {
        const { path, watch } = readPathWatchRequest(r);
        return this.out((w) => this.getChildren(w, path, watch, ctx, true));
      }
      case OpCode.getACL: {
        const { path } = readPathRequest(r);
        const node = this.nodeFor(path, ctx, Perm.READ | Perm.ADMIN);
        const acl = this.tree.getACL(node);
        const shown = hasPermission(acl, Perm.ADMIN, ctx.authInfo) ? acl : maskDigests(acl);
        const stat = node.stat();
        return this.out((w) => { writeACLList(w, shown); writeStat(w, stat); });
      }
      case OpCode.getAllChildrenNumber: {
        const { path } = readPathRequest(r);
        this.nodeFor(path, ctx);
        const n = this.tree.getAllChildrenNumber(path);
        return this.out((w) => w.writeInt(n));
      }
      case OpCode.getEphemerals: {
        const prefix = readPathRequest(r).path;
        const all = [...this.tree.ephemeralsOf(ctx.sessionId)];
        const p = prefix.trim();
        const list = p === '' || p === '/' ? all : all.filter((e) => e.startsWith(prefix));
        return this.out((w) => w.writeStringVector(list));
      }
      case OpCode.multiRead:
        return this.multiRead(r, ctx);
      case OpCode.whoAmI: {
        const infos = ctx.authInfo.map((id) => ({ scheme: id.scheme, user: userNameOf(id) }));
        return this.out((w) => w.writeVector(infos, (ww, i) => { ww.writeUString(i.scheme).writeUString(i.user); }));
      }
      case OpCode.setWatches:
      case OpCode.setWatches2:
        this.setWatches(readSetWatches(r, type === OpCode.setWatches2), ctx);
        return null;
      case OpCode.addWatch: {
        const { path, type: mode } = readPathTypeRequest(r);
        // ZooKeeper's WatcherMode.fromZooDef throws a plain exception: MarshallingError.
        if (mode !== AddWatchMode.PERSISTENT && mode !== AddWatchMode.PERSISTENT_RECURSIVE) {
          throw new KeeperError(ErrorCode.MARSHALLINGERROR, path);
        }
        if (ctx.watcher) {
          this.tree.dataWatches.addWatch(path, ctx.watcher, mode === AddWatchMode.PERSISTENT ? 'persistent' : 'persistentRecursive');
          // A recursive watch lives in the data watches only, so it never fires NodeChildrenChanged
          // (ZooKeeper's DataTree.addWatch).
          if (mode === AddWatchMode.PERSISTENT) this.tree.childWatches.addWatch(path, ctx.watcher, 'persistent');
        }
        // ZooKeeper answers addWatch with an ErrorResponse(0) body.
        return this.out((w) => w.writeInt(0));
      }
      case OpCode.checkWatches:
      case OpCode.removeWatches: {
        const { path, type: wtype } = readPathTypeRequest(r);
        const ok = ctx.watcher !== null && this.watchOp(type === OpCode.removeWatches, path, wtype, ctx.watcher);
        if (!ok) throw new KeeperError(ErrorCode.NOWATCHER, path);
        return null;
      }
      default:
        throw new KeeperError(ErrorCode.UNIMPLEMENTED);
    }
  }

  private getData(w: JuteWriter, path: string, watch: boolean, ctx: ReadContext): void {
    const node = this.nodeFor(path, ctx);
    if (watch && ctx.watcher) this.tree.dataWatches.addWatch(path, ctx.watcher, 'standard');
    this.tree.recordRead(path, node.dataLength);
    w.writeBuffer(node.dataView());
    writeStat(w, node.stat());
  }

  private getChildren(w: JuteWriter, path: string, watch: boolean, ctx: ReadContext, withStat: boolean): void {
    const node = this.nodeFor(path, ctx);
    if (watch && ctx.watcher) this.tree.childWatches.addWatch(path, ctx.watcher, 'standard');
    const children = node.childNamesInZooKeeperOrder();
    if (this.tree.namespaceStats !== null) {
      let bytes = 0;
      for (const c of children) bytes += c.length;
      this.tree.recordRead(path, bytes);
    }
    w.writeStringVector(children);
    if (withStat) writeStat(w, node.stat());
  }

  private multiRead(r: JuteReader, ctx: ReadContext): Buffer {
    const { ops, badType } = readMultiOps(r);
    if (badType !== null) throw new Error(`invalid op ${badType} in multiRead`);
    const results: MultiResult[] = [];
    for (const op of ops) {
      if (op.type !== OpCode.getData && op.type !== OpCode.getChildren) {
        throw new Error(`invalid op ${op.type} in multiRead`);
      }
      const path = (op.req as { path: string }).path;
      try {
        const node = this.nodeFor(path, ctx);
        if (op.type === OpCode.getData) {
          this.tree.recordRead(path, node.dataLength);
          results.push({ type: 4, data: node.data, stat: node.stat() });
        } else {
          const children = node.childNamesInZooKeeperOrder();
          this.tree.recordRead(path, children.reduce((n, c) => n + c.length, 0));
          results.push({ type: 8, children });
        }
      } catch (e) {
        if (!(e instanceof KeeperError)) throw e;
        results.push({ type: -1, err: e.code });
      }
    }
    return this.out((w) => writeMultiResults(w, results));
  }

  /**
   * Re-registers a reconnecting client's watches; anything that changed since relativeZxid fires
   * at once instead (ZooKeeper's DataTree.setWatches).
   */
  private setWatches(sw: SetWatches, ctx: ReadContext): void {
    const watcher = ctx.watcher;
    if (!watcher) return;
    const rel = sw.relativeZxid;
    const fire = (type: number, path: string): void => {
      watcher.notify({ type, state: KeeperState.SyncConnected, path }, -1, null);
    };
    for (const path of sw.dataWatches) {
      const node = this.tree.getNode(path);
      if (!node) fire(EventType.NodeDeleted, path);
      else if (node.mzxid > rel) fire(EventType.NodeDataChanged, path);
      else this.tree.dataWatches.addWatch(path, watcher, 'standard');
    }
    for (const path of sw.existWatches) {
      if (this.tree.getNode(path)) fire(EventType.NodeCreated, path);
      else this.tree.dataWatches.addWatch(path, watcher, 'standard');
    }
    for (const path of sw.childWatches) {
      const node = this.tree.getNode(path);
      if (!node) fire(EventType.NodeDeleted, path);
      else if (node.pzxid > rel) fire(EventType.NodeChildrenChanged, path);
      else this.tree.childWatches.addWatch(path, watcher, 'standard');
    }
    for (const path of sw.persistentWatches) {
      this.tree.dataWatches.addWatch(path, watcher, 'persistent');
      this.tree.childWatches.addWatch(path, watcher, 'persistent');
    }
    for (const path of sw.persistentRecursiveWatches) {
      this.tree.dataWatches.addWatch(path, watcher, 'persistentRecursive');
    }
  }

  /** checkWatches/removeWatches for one WatcherType. */
  private watchOp(remove: boolean, path: string, wtype: number, watcher: Watcher): boolean {
    const { dataWatches: data, childWatches: child } = this.tree;
    const op = remove
      ? (m: typeof data, mode?: 'standard' | 'persistent' | 'persistentRecursive') => m.removeWatcher(path, watcher, mode)
      : (m: typeof data, mode?: 'standard' | 'persistent' | 'persistentRecursive') => m.containsWatcher(path, watcher, mode);
    switch (wtype) {
      case WatcherType.Children: return op(child, 'standard');
      case WatcherType.Data: return op(data, 'standard');
      case WatcherType.Any: {
        const a = op(child);
        const b = op(data);
        return a || b;
      }
      case WatcherType.Persistent: {
        // ZooKeeper checks the data side only, but removes from both.
        if (!remove) return op(data, 'persistent');
        const a = op(child, 'persistent');
        const b = op(data, 'persistent');
        return a || b;
      }
      case WatcherType.PersistentRecursive:
        return op(data, 'persistentRecursive');
      default:
        // WatcherType.fromInt throws a plain exception in ZooKeeper: MarshallingError.
        throw new KeeperError(ErrorCode.MARSHALLINGERROR, path);
    }
  }
}
