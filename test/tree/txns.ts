// Test helper: builds txns the way the prep stage would (same zxid stream, parentCVersion from the
// parent's stored cversion) and records watch events.

import type { ACL, Txn, TxnHeader, WatcherEvent } from '../../src/jute/records.js';
import { OPEN_ACL_UNSAFE, type DataTree, type ApplyResult, type Watcher } from '../../src/tree/index.js';

export const OPEN: ACL[] = OPEN_ACL_UNSAFE.map((a) => ({ perms: a.perms, id: { ...a.id } }));
export const SESSION = 0x100000abcn;

/** Drives a tree with consecutive zxids and times, like a leader committing one txn after another. */
export class Driver {
  zxid = 0x100000000;
  time = 1_700_000_000_000;
  constructor(readonly tree: DataTree, public sessionId = SESSION) {}

  hdr(type: number, sessionId = this.sessionId): TxnHeader {
    this.zxid++;
    this.time += 10;
    return { clientId: sessionId, cxid: this.zxid & 0xffff, zxid: this.zxid, time: this.time, type };
  }

  apply(type: number, txn: Txn, sessionId = this.sessionId): ApplyResult {
    return this.tree.apply(this.hdr(type, sessionId), txn);
  }

  /** The parentCVersion prep would put in a create: parent's stored cversion + 1 (-1 if no parent). */
  nextCversion(path: string): number {
    const parent = this.tree.getNode(path.slice(0, path.lastIndexOf('/')) || '/');
    return parent === undefined ? -1 : parent.cversion + 1;
  }

  createTxn(path: string, data: string | null = '', opts: { ephemeral?: boolean; acl?: ACL[] } = {}): Txn {
    return {
      type: 1, path, data: data === null ? null : Buffer.from(data), acl: opts.acl ?? OPEN,
      ephemeral: opts.ephemeral ?? false, parentCVersion: this.nextCversion(path),
    };
  }

  create(path: string, data: string | null = '', opts: { ephemeral?: boolean; acl?: ACL[]; sessionId?: bigint } = {}): ApplyResult {
    return this.apply(1, this.createTxn(path, data, opts), opts.sessionId);
  }

  create2(path: string, data: string | null = ''): ApplyResult {
    return this.apply(15, this.createTxn(path, data));
  }

  container(path: string): ApplyResult {
    return this.apply(19, { type: 19, path, data: null, acl: OPEN, parentCVersion: this.nextCversion(path) });
  }

  ttl(path: string, ttl: number): ApplyResult {
    return this.apply(21, { type: 21, path, data: Buffer.from('t'), acl: OPEN, parentCVersion: this.nextCversion(path), ttl });
  }

  delete(path: string): ApplyResult {
    return this.apply(2, { type: 2, path });
  }

  setData(path: string, data: string | null, version: number): ApplyResult {
    return this.apply(5, { type: 5, path, data: data === null ? null : Buffer.from(data), version });
  }

  setACL(path: string, acl: ACL[], version: number): ApplyResult {
    return this.apply(7, { type: 7, path, acl, version });
  }

  closeSession(sessionId: bigint, paths2Delete: string[] | null): ApplyResult {
    return this.apply(-11, { type: -11, paths2Delete }, sessionId);
  }
}

const EVENT_NAMES: Record<number, string> = { 1: 'created', 2: 'deleted', 3: 'dataChanged', 4: 'childrenChanged' };

export interface Seen { type: number; path: string; zxid: number; acl: readonly ACL[] | null }

export class RecordingWatcher implements Watcher {
  readonly events: Seen[] = [];
  stale = false;
  constructor(readonly sessionId: bigint) {}
  notify(event: WatcherEvent, zxid: number, acl: readonly ACL[] | null): void {
    this.events.push({ type: event.type, path: event.path, zxid, acl });
  }
  isStale(): boolean {
    return this.stale;
  }
  /** Events as "type path" strings, then forgets them. */
  take(): string[] {
    const out = this.events.map((e) => `${EVENT_NAMES[e.type] ?? e.type} ${e.path}`);
    this.events.length = 0;
    return out;
  }
}
