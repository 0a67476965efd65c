// Every jute record of the client, txn and persistence protocols that zk-server speaks, with a
// reader and a writer each. Layouts follow zookeeper.jute of Apache ZooKeeper 3.9 field for field.
// Longs that can use all 64 bits (session ids, ephemeral owners, digests) are bigint; zxids, times
// and ttls are numbers (they stay below 2^53 in practice and the reader refuses anything larger).

import { JuteReader } from './reader.js';
import { JuteWriter } from './writer.js';

// ---------------------------------------------------------------- org.apache.zookeeper.data

export interface Id { scheme: string; id: string }
export interface ACL { perms: number; id: Id }

export interface Stat {
  czxid: number; mzxid: number; ctime: number; mtime: number;
  version: number; cversion: number; aversion: number;
  ephemeralOwner: bigint; dataLength: number; numChildren: number; pzxid: number;
}

/** StatPersisted: Stat without dataLength and numChildren (what snapshots store). */
export interface StatPersisted {
  czxid: number; mzxid: number; ctime: number; mtime: number;
  version: number; cversion: number; aversion: number;
  ephemeralOwner: bigint; pzxid: number;
}

export interface ClientInfo { authScheme: string; user: string }

export const readId = (r: JuteReader): Id => ({ scheme: r.readString(), id: r.readString() });
export const writeId = (w: JuteWriter, v: Id): void => { w.writeUString(v.scheme).writeUString(v.id); };

export const readACL = (r: JuteReader): ACL => ({ perms: r.readInt(), id: readId(r) });
export const writeACL = (w: JuteWriter, v: ACL): void => { w.writeInt(v.perms); writeId(w, v.id); };
export const readACLList = (r: JuteReader): ACL[] | null => r.readVector(readACL, 12);
export const writeACLList = (w: JuteWriter, v: readonly ACL[] | null): void => { w.writeVector(v, writeACL); };

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.readLongNumber(), mzxid: r.readLongNumber(), ctime: r.readLongNumber(), mtime: r.readLongNumber(),
    version: r.readInt(), cversion: r.readInt(), aversion: r.readInt(),
    ephemeralOwner: r.readLong(), dataLength: r.readInt(), numChildren: r.readInt(), pzxid: r.readLongNumber(),
  };
}
export function writeStat(w: JuteWriter, s: Stat): void {
  w.writeLongNumber(s.czxid).writeLongNumber(s.mzxid).writeLongNumber(s.ctime).writeLongNumber(s.mtime)
    .writeInt(s.version).writeInt(s.cversion).writeInt(s.aversion)
    .writeLong(s.ephemeralOwner).writeInt(s.dataLength).writeInt(s.numChildren).writeLongNumber(s.pzxid);
}

export function readStatPersisted(r: JuteReader): StatPersisted {
  return {
    czxid: r.readLongNumber(), mzxid: r.readLongNumber(), ctime: r.readLongNumber(), mtime: r.readLongNumber(),
    version: r.readInt(), cversion: r.readInt(), aversion: r.readInt(),
    ephemeralOwner: r.readLong(), pzxid: r.readLongNumber(),
  };
}
export function writeStatPersisted(w: JuteWriter, s: StatPersisted): void {
  w.writeLongNumber(s.czxid).writeLongNumber(s.mzxid).writeLongNumber(s.ctime).writeLongNumber(s.mtime)
    .writeInt(s.version).writeInt(s.cversion).writeInt(s.aversion)
    .writeLong(s.ephemeralOwner).writeLongNumber(s.pzxid);
}

// ---------------------------------------------------------------- org.apache.zookeeper.proto

export interface ConnectRequest {
  protocolVersion: number; lastZxidSeen: number; timeOut: number; sessionId: bigint;
  passwd: Buffer; readOnly: boolean;
  /** Whether the client sent the trailing readOnly byte (3.3+ clients do; old ones don't). */
  hasReadOnly: boolean;
}
export function readConnectRequest(r: JuteReader): ConnectRequest {
  const protocolVersion = r.readInt();
  const lastZxidSeen = r.readLongNumber();
  const timeOut = r.readInt();
  const sessionId = r.readLong();
  const passwd = r.readBuffer() ?? Buffer.alloc(0);
  const hasReadOnly = r.remaining > 0;
  const readOnly = hasReadOnly ? r.readBool() : false;
  return { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly, hasReadOnly };
}
export function writeConnectRequest(w: JuteWriter, v: ConnectRequest): void {
  w.writeInt(v.protocolVersion).writeLongNumber(v.lastZxidSeen).writeInt(v.timeOut).writeLong(v.sessionId)
    .writeBuffer(v.passwd);
  if (v.hasReadOnly) w.writeBool(v.readOnly);
}

export interface ConnectResponse {
  protocolVersion: number; timeOut: number; sessionId: bigint; passwd: Buffer; readOnly: boolean;
}
export function writeConnectResponse(w: JuteWriter, v: ConnectResponse, withReadOnly: boolean): void {
  w.writeInt(v.protocolVersion).writeInt(v.timeOut).writeLong(v.sessionId).writeBuffer(v.passwd);
  if (withReadOnly) w.writeBool(v.readOnly);
}
export function readConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.readInt();
  const timeOut = r.readInt();
  const sessionId = r.readLong();
  const passwd = r.readBuffer() ?? Buffer.alloc(0);
  const readOnly = r.remaining > 0 ? r.readBool() : false;
  return { protocolVersion, timeOut, sessionId, passwd, readOnly };
}

export interface RequestHeader { xid: number; type: number }
export const readRequestHeader = (r: JuteReader): RequestHeader => ({ xid: r.readInt(), type: r.readInt() });
export const writeRequestHeader = (w: JuteWriter, v: RequestHeader): void => { w.writeInt(v.xid).writeInt(v.type); };

export interface ReplyHeader { xid: number; zxid: number; err: number }
export const readReplyHeader = (r: JuteReader): ReplyHeader => ({ xid: r.readInt(), zxid: r.readLongNumber(), err: r.readInt() });
export const writeReplyHeader = (w: JuteWriter, v: ReplyHeader): void => { w.writeInt(v.xid).writeLongNumber(v.zxid).writeInt(v.err); };

export interface MultiHeader { type: number; done: boolean; err: number }
export const readMultiHeader = (r: JuteReader): MultiHeader => ({ type: r.readInt(), done: r.readBool(), err: r.readInt() });
export const writeMultiHeader = (w: JuteWriter, v: MultiHeader): void => { w.writeInt(v.type).writeBool(v.done).writeInt(v.err); };

export interface AuthPacket { type: number; scheme: string; auth: Buffer }
export const readAuthPacket = (r: JuteReader): AuthPacket => ({ type: r.readInt(), scheme: r.readString(), auth: r.readBuffer() ?? Buffer.alloc(0) });
export const writeAuthPacket = (w: JuteWriter, v: AuthPacket): void => { w.writeInt(v.type).writeUString(v.scheme).writeBuffer(v.auth); };

/** Requests that carry only a path and a watch flag: exists, getData, getChildren, getChildren2. */
export interface PathWatchRequest { path: string; watch: boolean }
export const readPathWatchRequest = (r: JuteReader): PathWatchRequest => ({ path: r.readString(), watch: r.readBool() });
export const writePathWatchRequest = (w: JuteWriter, v: PathWatchRequest): void => { w.writeUString(v.path).writeBool(v.watch); };

/** Requests that carry only a path: getACL, sync, getAllChildrenNumber, getEphemerals, deleteContainer. */
export interface PathRequest { path: string }
export const readPathRequest = (r: JuteReader): PathRequest => ({ path: r.readString() });
export const writePathRequest = (w: JuteWriter, v: PathRequest): void => { w.writeUString(v.path); };

export interface CreateRequest { path: string; data: Buffer | null; acl: ACL[] | null; flags: number; ttl: number }
export function readCreateRequest(r: JuteReader): CreateRequest {
  return { path: r.readString(), data: r.readBuffer(), acl: readACLList(r), flags: r.readInt(), ttl: -1 };
}
export function readCreateTTLRequest(r: JuteReader): CreateRequest {
  return { path: r.readString(), data: r.readBuffer(), acl: readACLList(r), flags: r.readInt(), ttl: r.readLongNumber() };
}
export function writeCreateRequest(w: JuteWriter, v: CreateRequest, withTtl = false): void {
  w.writeUString(v.path).writeBuffer(v.data);
  writeACLList(w, v.acl);
  w.writeInt(v.flags);
  if (withTtl) w.writeLongNumber(v.ttl);
}

export interface DeleteRequest { path: string; version: number }
export const readDeleteRequest = (r: JuteReader): DeleteRequest => ({ path: r.readString(), version: r.readInt() });
export const writeDeleteRequest = (w: JuteWriter, v: DeleteRequest): void => { w.writeUString(v.path).writeInt(v.version); };

/** CheckVersionRequest has the same layout as DeleteRequest. */
export type CheckVersionRequest = DeleteRequest;

export interface SetDataRequest { path: string; data: Buffer | null; version: number }
/** `data` is a view of the request's bytes (see JuteReader.readBufferView). */
export const readSetDataRequest = (r: JuteReader): SetDataRequest => ({ path: r.readString(), data: r.readBufferView(), version: r.readInt() });
export const writeSetDataRequest = (w: JuteWriter, v: SetDataRequest): void => { w.writeUString(v.path).writeBuffer(v.data).writeInt(v.version); };

export interface SetACLRequest { path: string; acl: ACL[] | null; version: number }
export const readSetACLRequest = (r: JuteReader): SetACLRequest => ({ path: r.readString(), acl: readACLList(r), version: r.readInt() });
export function writeSetACLRequest(w: JuteWriter, v: SetACLRequest): void { w.writeUString(v.path); writeACLList(w, v.acl); w.writeInt(v.version); }

export interface SetWatches {
  relativeZxid: number; dataWatches: string[]; existWatches: string[]; childWatches: string[];
  persistentWatches: string[]; persistentRecursiveWatches: string[];
}
export function readSetWatches(r: JuteReader, v2: boolean): SetWatches {
  const relativeZxid = r.readLongNumber();
  const dataWatches = r.readStringVector();
  const existWatches = r.readStringVector();
  const childWatches = r.readStringVector();
  const persistentWatches = v2 ? r.readStringVector() : [];
  const persistentRecursiveWatches = v2 ? r.readStringVector() : [];
  return { relativeZxid, dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches };
}
export function writeSetWatches(w: JuteWriter, v: SetWatches, v2: boolean): void {
  w.writeLongNumber(v.relativeZxid).writeStringVector(v.dataWatches).writeStringVector(v.existWatches).writeStringVector(v.childWatches);
  if (v2) w.writeStringVector(v.persistentWatches).writeStringVector(v.persistentRecursiveWatches);
}

/** CheckWatchesRequest, RemoveWatchesRequest (type = WatcherType) and AddWatchRequest (mode). */
export interface PathTypeRequest { path: string; type: number }
export const readPathTypeRequest = (r: JuteReader): PathTypeRequest => ({ path: r.readString(), type: r.readInt() });
export const writePathTypeRequest = (w: JuteWriter, v: PathTypeRequest): void => { w.writeUString(v.path).writeInt(v.type); };

export interface WatcherEvent { type: number; state: number; path: string }
export const readWatcherEvent = (r: JuteReader): WatcherEvent => ({ type: r.readInt(), state: r.readInt(), path: r.readString() });
export const writeWatcherEvent = (w: JuteWriter, v: WatcherEvent): void => { w.writeInt(v.type).writeInt(v.state).writeUString(v.path); };

export interface ReconfigRequest { joiningServers: string | null; leavingServers: string | null; newMembers: string | null; curConfigId: number }
export const readReconfigRequest = (r: JuteReader): ReconfigRequest => ({
  joiningServers: r.readUString(), leavingServers: r.readUString(), newMembers: r.readUString(), curConfigId: r.readLongNumber(),
});

// ---------------------------------------------------------------- multi

/** One op inside a multi or multiRead request. */
export type MultiOp =
  | { type: 1 | 15 | 19 | 21; req: CreateRequest }
  | { type: 2 | 13; req: DeleteRequest }
  | { type: 5; req: SetDataRequest }
  | { type: 8 | 4; req: PathWatchRequest };

/** Reads the ops of a MultiOperationRecord, up to its terminating header. */
export function readMultiOps(r: JuteReader): { ops: MultiOp[]; badType: number | null } {
  const ops: MultiOp[] = [];
  let h = readMultiHeader(r);
  while (!h.done) {
    switch (h.type) {
      case 1: case 15: case 19: ops.push({ type: h.type, req: readCreateRequest(r) }); break;
      case 21: ops.push({ type: 21, req: readCreateTTLRequest(r) }); break;
      case 2: case 13: ops.push({ type: h.type, req: readDeleteRequest(r) }); break;
      case 5: ops.push({ type: 5, req: readSetDataRequest(r) }); break;
      // GetChildrenRequest/GetDataRequest inside a multiRead carry the watch flag too (ignored by the server).
      case 8: ops.push({ type: 8, req: readPathWatchRequest(r) }); break;
      case 4: ops.push({ type: 4, req: readPathWatchRequest(r) }); break;
      default: return { ops, badType: h.type };
    }
    h = readMultiHeader(r);
  }
  return { ops, badType: null };
}

export function writeMultiOps(w: JuteWriter, ops: readonly MultiOp[]): void {
  for (const op of ops) {
    writeMultiHeader(w, { type: op.type, done: false, err: -1 });
    switch (op.type) {
      case 1: case 15: case 19: writeCreateRequest(w, op.req); break;
      case 21: writeCreateRequest(w, op.req, true); break;
      case 2: case 13: writeDeleteRequest(w, op.req); break;
      case 5: writeSetDataRequest(w, op.req); break;
      case 8: case 4: writePathWatchRequest(w, op.req); break;
    }
  }
  writeMultiHeader(w, { type: -1, done: true, err: -1 });
}

/** One result inside a multi or multiRead response. */
export type MultiResult =
  | { type: 1; path: string }
  | { type: 15; path: string; stat: Stat }
  | { type: 2 | 13 }
  | { type: 5; stat: Stat }
  | { type: 8; children: string[] }
  | { type: 4; data: Buffer | null; stat: Stat }
  | { type: -1; err: number };

export function writeMultiResults(w: JuteWriter, results: readonly MultiResult[]): void {
  for (const res of results) {
    writeMultiHeader(w, { type: res.type, done: false, err: res.type === -1 ? res.err : 0 });
    switch (res.type) {
      case 1: w.writeUString(res.path); break;
      case 15: w.writeUString(res.path); writeStat(w, res.stat); break;
      case 5: writeStat(w, res.stat); break;
      case 8: w.writeStringVector(res.children); break;
      case 4: w.writeBuffer(res.data); writeStat(w, res.stat); break;
      case -1: w.writeInt(res.err); break;
      default: break;
    }
  }
  writeMultiHeader(w, { type: -1, done: true, err: -1 });
}

export function readMultiResults(r: JuteReader): MultiResult[] {
  const out: MultiResult[] = [];
  let h = readMultiHeader(r);
  while (!h.done) {
    switch (h.type) {
      case 1: out.push({ type: 1, path: r.readString() }); break;
      case 15: out.push({ type: 15, path: r.readString(), stat: readStat(r) }); break;
      case 2: case 13: out.push({ type: h.type }); break;
      case 5: out.push({ type: 5, stat: readStat(r) }); break;
      case 8: out.push({ type: 8, children: r.readStringVector() }); break;
      case 4: out.push({ type: 4, data: r.readBuffer(), stat: readStat(r) }); break;
      case -1: out.push({ type: -1, err: r.readInt() }); break;
      default: throw new Error(`invalid type ${h.type} in multi response`);
    }
    h = readMultiHeader(r);
  }
  return out;
}

// ---------------------------------------------------------------- org.apache.zookeeper.txn

export interface TxnHeader { clientId: bigint; cxid: number; zxid: number; time: number; type: number }
export const readTxnHeader = (r: JuteReader): TxnHeader => ({
  clientId: r.readLong(), cxid: r.readInt(), zxid: r.readLongNumber(), time: r.readLongNumber(), type: r.readInt(),
});
export const writeTxnHeader = (w: JuteWriter, v: TxnHeader): void => {
  w.writeLong(v.clientId).writeInt(v.cxid).writeLongNumber(v.zxid).writeLongNumber(v.time).writeInt(v.type);
};

export interface TxnDigest { version: number; treeDigest: bigint }
export const readTxnDigest = (r: JuteReader): TxnDigest => ({ version: r.readInt(), treeDigest: r.readLong() });
export const writeTxnDigest = (w: JuteWriter, v: TxnDigest): void => { w.writeInt(v.version).writeLong(v.treeDigest); };

/**
 * A txn body, tagged by its op code (create2 keeps 15: inside a multi the op code is logged and picks
 * the reply). create carries `ephemeral`; createContainer and createTTL use
 * their own layouts; createSession's body is its timeout; closeSession's body is empty in the log.
 */
export type Txn =
  | { type: 1 | 15; path: string; data: Buffer | null; acl: ACL[]; ephemeral: boolean; parentCVersion: number }
  | { type: 19; path: string; data: Buffer | null; acl: ACL[]; parentCVersion: number }
  | { type: 21; path: string; data: Buffer | null; acl: ACL[]; parentCVersion: number; ttl: number }
  | { type: 2 | 20; path: string }
  /**
   * `target`: the tree node prep found at `path`, so applying need not look it up again (a lookup in
   * a million-node map costs ~1 µs of cache misses). In memory only: never encoded, never decoded.
   */
  | { type: 5; path: string; data: Buffer | null; version: number; target?: object }
  | { type: 7; path: string; acl: ACL[]; version: number }
  | { type: 13; path: string; version: number }
  | { type: -10; timeOut: number }
  | { type: -11; paths2Delete: string[] | null }
  | { type: -1; err: number }
  | { type: 14; txns: Txn[] };

export function readTxn(r: JuteReader, type: number): Txn {
  switch (type) {
    case 1: case 15: {
      const path = r.readString(); const data = r.readBuffer(); const acl = readACLList(r) ?? [];
      const ephemeral = r.readBool();
      // CreateTxnV0 (pre-3.3 logs) has no parentCVersion.
      const parentCVersion = r.remaining >= 4 ? r.readInt() : -1;
      return { type, path, data, acl, ephemeral, parentCVersion };
    }
    case 19: return { type: 19, path: r.readString(), data: r.readBuffer(), acl: readACLList(r) ?? [], parentCVersion: r.readInt() };
    case 21: return { type: 21, path: r.readString(), data: r.readBuffer(), acl: readACLList(r) ?? [], parentCVersion: r.readInt(), ttl: r.readLongNumber() };
    case 2: case 20: return { type, path: r.readString() };
    // reconfig (16) logs a SetDataTxn on /zookeeper/config.
    // A view of the entry's bytes: applying it copies the data into the tree (see readBufferView).
    case 5: case 16: return { type: 5, path: r.readString(), data: r.readBufferView(), version: r.readInt() };
    case 7: return { type: 7, path: r.readString(), acl: readACLList(r) ?? [], version: r.readInt() };
    case 13: return { type: 13, path: r.readString(), version: r.readInt() };
    case -10: return { type: -10, timeOut: r.readInt() };
    case -11: return { type: -11, paths2Delete: r.remaining > 0 ? r.readStringVector() : null };
    case -1: return { type: -1, err: r.readInt() };
    case 14: {
      const txns = r.readVector((rr) => {
        const t = rr.readInt();
        const body = rr.readBuffer() ?? Buffer.alloc(0);
        return readTxn(new JuteReader(body), t);
      }, 8) ?? [];
      return { type: 14, txns };
    }
    default: throw new Error(`unknown txn type ${type}`);
  }
}

export function writeTxn(w: JuteWriter, t: Txn): void {
  switch (t.type) {
    case 1: case 15: w.writeUString(t.path).writeBuffer(t.data); writeACLList(w, t.acl); w.writeBool(t.ephemeral).writeInt(t.parentCVersion); break;
    case 19: w.writeUString(t.path).writeBuffer(t.data); writeACLList(w, t.acl); w.writeInt(t.parentCVersion); break;
    case 21: w.writeUString(t.path).writeBuffer(t.data); writeACLList(w, t.acl); w.writeInt(t.parentCVersion).writeLongNumber(t.ttl); break;
    case 2: case 20: w.writeUString(t.path); break;
    case 5: w.writeUString(t.path).writeBuffer(t.data).writeInt(t.version); break;
    case 7: w.writeUString(t.path); writeACLList(w, t.acl); w.writeInt(t.version); break;
    case 13: w.writeUString(t.path).writeInt(t.version); break;
    case -10: w.writeInt(t.timeOut); break;
    case -11: if (t.paths2Delete !== null) w.writeStringVector(t.paths2Delete); break;
    case -1: w.writeInt(t.err); break;
    case 14: {
      w.writeInt(t.txns.length);
      const inner = new JuteWriter(128);
      for (const sub of t.txns) {
        inner.reset();
        writeTxn(inner, sub);
        w.writeInt(sub.type).writeBuffer(inner.view());
      }
      break;
    }
  }
}

// ---------------------------------------------------------------- persistence

export interface FileHeader { magic: number; version: number; dbid: bigint }
export const readFileHeader = (r: JuteReader): FileHeader => ({ magic: r.readInt(), version: r.readInt(), dbid: r.readLong() });
export const writeFileHeader = (w: JuteWriter, v: FileHeader): void => { w.writeInt(v.magic).writeInt(v.version).writeLong(v.dbid); };
