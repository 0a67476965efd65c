// Prep stage: turns a write request into the txn that will be logged, validating it against the
// tree plus every outstanding change (ZooKeeper's PrepRequestProcessor, minus the threads). A request
// that fails validation still yields a txn: an error txn, logged like ZooKeeper logs it.

import { JuteReader } from '../jute/reader.js';
import {
  type ACL, type Id, type StatPersisted, type Txn, type TxnDigest, type TxnHeader, type CreateRequest,
  readCreateRequest, readCreateTTLRequest, readDeleteRequest, readSetDataRequest, readSetACLRequest,
  readPathRequest, readMultiOps,
} from '../jute/records.js';
import { CreateFlag, ErrorCode, OpCode, Perm } from '../protocol/constants.js';
import { validatePath } from '../tree/paths.js';
import { topNamespace } from '../tree/data-tree.js';
import { StatsTrack, limitPath, statPath } from '../tree/quota.js';
import { checkACL, fixupACL } from './acl.js';
import { OutstandingChanges, changedRecord, copyStat } from './change-records.js';
import { KeeperError } from './errors.js';
import { JavaHashSet } from './java-hash-set.js';

/** Version of the TxnDigest format ZooKeeper 3.6+ writes. */
export const DIGEST_VERSION = 2;
export const CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000n;
const TTL_MASK = -0x100000000000000n; // 0xff00000000000000 as a signed long
const TTL_MAX_MS = 0xffffffffff;
/** Nodes the server owns: deleting them is BadArguments (ZKDatabase.isSpecialPath). */
const SPECIAL_PATHS = new Set(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']);

export interface PrepContext {
  readonly sessionId: bigint;
  readonly authInfo: readonly Id[];
  /** Who submitted the request on a quorum leader (a learner's connection; undefined: this server's clients). */
  readonly owner?: unknown;
}

/**
 * A quorum leader's record of which server each session is attached to (SessionTrackerImpl's
 * owner): set by createSession and by revalidation, claimed by the first checked request when
 * unset (a new leader starts with none).
 */
export interface SessionOwners {
  /** False when the session is attached elsewhere (SESSIONMOVED); claims an unset session for `owner`. */
  check(sessionId: bigint, owner: unknown): boolean;
  set(sessionId: bigint, owner: unknown): void;
  /** The session is gone. */
  forget(sessionId: bigint): void;
}

/** SessionOwners over a map, for a leader's term. */
export function sessionOwnerMap(): SessionOwners {
  const owners = new Map<bigint, unknown>();
  return {
    check: (sessionId, owner) => {
      if (!owners.has(sessionId)) {
        owners.set(sessionId, owner);
        return true;
      }
      return owners.get(sessionId) === owner;
    },
    set: (sessionId, owner) => { owners.set(sessionId, owner); },
    forget: (sessionId) => { owners.delete(sessionId); },
  };
}

export interface PrepOptions {
  extendedTypesEnabled: boolean;
  digestEnabled: boolean;
  /** zoo.cfg reconfigEnabled: decides which error a standalone server gives reconfig. */
  reconfigEnabled?: boolean;
  /** zookeeper.enforceQuota: a create or setData past a hard quota limit fails (default false). */
  enforceQuota?: boolean;
  /**
   * Told of each quota limit a create or setData would pass (with enforceQuota): ZooKeeper's
   * "Quota exceeded: …" message, the written path's top namespace, and whether the limit was hard
   * (the request then fails with QUOTAEXCEEDED).
   */
  quotaExceeded?: (message: string, namespace: string | null, hard: boolean) => void;
}

export interface PreparedTxn {
  hdr: TxnHeader;
  txn: Txn;
  digest: TxnDigest | null;
  /** The error raised while preparing (also set for a failed multi, whose txn is still a multi). */
  error: number;
  /** For a multi: each op's request type, which picks its result's shape (see prepareMulti). */
  multiOpTypes?: number[];
}

function isNormalEphemeral(owner: bigint, extended: boolean): boolean {
  if (owner === 0n || owner === CONTAINER_EPHEMERAL_OWNER) return false;
  if (extended && (owner & TTL_MASK) === TTL_MASK) return false;
  return true;
}

function sequenceSuffix(n: number): string {
  return n < 0 ? `-${String(-n).padStart(9, '0')}` : String(n).padStart(10, '0');
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function checkPath(path: string): void {
  if (validatePath(path, false) !== null) throw new KeeperError(ErrorCode.BADARGUMENTS, path);
}

/** ZooKeeper's checkAndIncVersion: -1 matches any version; MIN_VALUE wraps to 0, never to -1. */
function nextVersion(current: number, expected: number, path: string): number {
  if (expected !== -1 && expected !== current) throw new KeeperError(ErrorCode.BADVERSION, path);
  const next = (current + 1) | 0;
  return next === -1 ? 0 : next;
}

export class Prep {
  /** Set while this server leads a quorum. */
  owners: SessionOwners | null = null;

  constructor(readonly changes: OutstandingChanges, private readonly opts: PrepOptions) {}

  /**
   * SessionTrackerImpl.checkSession as PrepRequestProcessor calls it: for delete, setData, setACL
   * and check (alone or in a multi), not for creates or session ops.
   */
  private checkOwner(ctx: PrepContext): void {
    if (this.owners !== null && !this.owners.check(ctx.sessionId, ctx.owner)) throw new KeeperError(ErrorCode.SESSIONMOVED);
  }

  /**
   * Prepares one write. `body` holds the request record after the RequestHeader; for createSession it
   * holds the session timeout. Never throws for a bad request: the result is then an error txn.
   */
  prepare(type: number, cxid: number, ctx: PrepContext, body: Buffer, zxid: number, time: number): PreparedTxn {
    const hdr: TxnHeader = { clientId: ctx.sessionId, cxid, zxid, time, type };
    try {
      if (type === OpCode.multi) return this.prepareMulti(hdr, ctx, body);
      const txn = this.toTxn(type, zxid, time, ctx, new JuteReader(body));
      return { hdr, txn, digest: this.txnDigestAfter(), error: 0 };
    } catch (e) {
      const code = e instanceof KeeperError ? e.code : ErrorCode.MARSHALLINGERROR;
      return { hdr: { ...hdr, type: OpCode.error }, txn: { type: -1, err: code }, digest: null, error: code };
    }
  }

  private txnDigestAfter(): TxnDigest | null {
    return this.opts.digestEnabled ? { version: DIGEST_VERSION, treeDigest: this.changes.currentTreeDigest() } : null;
  }

  private prepareMulti(hdr: TxnHeader, ctx: PrepContext, body: Buffer): PreparedTxn {
    const { ops, badType } = readMultiOps(new JuteReader(body));
    if (badType !== null) throw new KeeperError(ErrorCode.MARSHALLINGERROR);
    const mark = this.changes.mark();
    const txns: Txn[] = [];
    let error = 0;
    for (const op of ops) {
      if (error !== 0) {
        txns.push({ type: -1, err: ErrorCode.RUNTIMEINCONSISTENCY });
        continue;
      }
      try {
        txns.push(this.opToTxn(op.type, hdr.zxid, hdr.time, ctx, op.req));
      } catch (e) {
        error = e instanceof KeeperError ? e.code : ErrorCode.MARSHALLINGERROR;
        txns.push({ type: -1, err: error });
        this.changes.rollback(mark);
      }
    }
    return { hdr, txn: { type: 14, txns }, digest: this.txnDigestAfter(), error, multiOpTypes: ops.map((op) => op.type) };
  }

  private opToTxn(type: number, zxid: number, time: number, ctx: PrepContext, req: unknown): Txn {
    switch (type) {
      case OpCode.create2: {
        // Logged as a plain create (type 1), as ZooKeeper 3.8 logs it: 3.8 cannot replay a type-15 op
        // inside a multi and silently drops the rest of that multi. The reply still carries the stat.
        const txn = this.create(type, zxid, time, ctx, req as CreateRequest);
        return txn.type === 15 ? { ...txn, type: 1 } : txn;
      }
      case OpCode.create: case OpCode.createContainer: case OpCode.createTTL:
        return this.create(type, zxid, time, ctx, req as CreateRequest);
      case OpCode.delete: {
        const r = req as { path: string; version: number };
        return this.delete(r.path, r.version, zxid, ctx);
      }
      case OpCode.setData: {
        const r = req as { path: string; data: Buffer | null; version: number };
        return this.setData(r.path, r.data, r.version, zxid, time, ctx);
      }
      case OpCode.check: {
        const r = req as { path: string; version: number };
        return this.check(r.path, r.version, ctx);
      }
      default:
        throw new KeeperError(ErrorCode.MARSHALLINGERROR);
    }
  }

  private toTxn(type: number, zxid: number, time: number, ctx: PrepContext, r: JuteReader): Txn {
    switch (type) {
      case OpCode.create: case OpCode.create2: case OpCode.createContainer:
        return this.create(type, zxid, time, ctx, readCreateRequest(r));
      case OpCode.createTTL:
        return this.create(type, zxid, time, ctx, readCreateTTLRequest(r));
      case OpCode.delete: {
        const d = readDeleteRequest(r);
        return this.delete(d.path, d.version, zxid, ctx);
      }
      case OpCode.deleteContainer:
        return this.deleteContainer(readPathRequest(r).path, zxid);
      case OpCode.setData: {
        const s = readSetDataRequest(r);
        return this.setData(s.path, s.data, s.version, zxid, time, ctx);
      }
      case OpCode.setACL: {
        const s = readSetACLRequest(r);
        return this.setACL(s.path, s.acl, s.version, zxid, ctx);
      }
      case OpCode.check: {
        const c = readDeleteRequest(r);
        return this.check(c.path, c.version, ctx);
      }
      case OpCode.createSession:
        this.owners?.set(ctx.sessionId, ctx.owner);
        return { type: -10, timeOut: r.readInt() };
      case OpCode.closeSession:
        return this.closeSession(zxid, ctx.sessionId);
      case OpCode.reconfig:
        // ZooKeeper checks the feature flag first (ReconfigDisabled, the default), and only then
        // finds it is not a leader: standalone answers Unimplemented.
        throw new KeeperError(this.opts.reconfigEnabled === true ? ErrorCode.UNIMPLEMENTED : ErrorCode.RECONFIGDISABLED);
      default:
        throw new KeeperError(ErrorCode.UNIMPLEMENTED);
    }
  }

  private create(type: number, zxid: number, time: number, ctx: PrepContext, req: CreateRequest): Txn {
    const flags = req.flags;
    if (flags < CreateFlag.PERSISTENT || flags > CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL) {
      throw new KeeperError(ErrorCode.BADARGUMENTS);
    }
    const isTTL = flags === CreateFlag.PERSISTENT_WITH_TTL || flags === CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL;
    const isSequential = flags === CreateFlag.PERSISTENT_SEQUENTIAL || flags === CreateFlag.EPHEMERAL_SEQUENTIAL
      || flags === CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL;
    const isEphemeral = flags === CreateFlag.EPHEMERAL || flags === CreateFlag.EPHEMERAL_SEQUENTIAL;
    const isContainer = flags === CreateFlag.CONTAINER;
    const ttl = type === OpCode.createTTL ? req.ttl : -1;
    if (isTTL && !this.opts.extendedTypesEnabled) throw new KeeperError(ErrorCode.UNIMPLEMENTED);
    if (isTTL ? ttl <= 0 || ttl > TTL_MAX_MS : ttl >= 0) throw new KeeperError(ErrorCode.BADARGUMENTS, req.path);

    let path = req.path;
    const lastSlash = path.lastIndexOf('/');
    if (lastSlash === -1 || path.includes('\0')) throw new KeeperError(ErrorCode.BADARGUMENTS, path);
    const parentPath = lastSlash === 0 ? '/' : path.slice(0, lastSlash);
    const acl = fixupACL(req.acl, ctx.authInfo);
    const parent = this.changes.get(parentPath);
    checkACL(parent.acl, Perm.CREATE, ctx.authInfo);
    const parentCVersion = parent.stat.cversion;
    if (isSequential) path += sequenceSuffix(parentCVersion);
    if (validatePath(path, false) !== null) throw new KeeperError(ErrorCode.BADARGUMENTS, path);
    const existing = this.changes.lookup(path);
    if (existing && existing.stat !== null) throw new KeeperError(ErrorCode.NODEEXISTS, path);
    if (isNormalEphemeral(parent.stat.ephemeralOwner, this.opts.extendedTypesEnabled)) {
      throw new KeeperError(ErrorCode.NOCHILDRENFOREPHEMERALS, path);
    }
    const newCversion = parentCVersion + 1;
    const data = req.data;
    if (this.opts.enforceQuota === true) this.checkQuota(path, 1, () => (data === null ? 0 : data.length));
    let txn: Txn;
    if (type === OpCode.createContainer) txn = { type: 19, path, data, acl, parentCVersion: newCversion };
    else if (type === OpCode.createTTL) txn = { type: 21, path, data, acl, parentCVersion: newCversion, ttl };
    else txn = { type: type === OpCode.create2 ? 15 : 1, path, data, acl, ephemeral: isEphemeral, parentCVersion: newCversion };

    let ephemeralOwner = 0n;
    if (isContainer) ephemeralOwner = CONTAINER_EPHEMERAL_OWNER;
    else if (isTTL) ephemeralOwner = BigInt.asIntN(64, TTL_MASK | BigInt(ttl));
    else if (isEphemeral) ephemeralOwner = ctx.sessionId;
    const stat: StatPersisted = {
      czxid: zxid, mzxid: zxid, ctime: time, mtime: time, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner, pzxid: zxid,
    };
    const parentStat = copyStat(parent.stat);
    parentStat.cversion = newCversion;
    parentStat.pzxid = zxid;
    this.changes.add(changedRecord(parent, zxid, parentStat, parent.childCount + 1), 'update', parent);
    this.changes.add({ zxid, path, stat, childCount: 0, acl, data }, 'add');
    return txn;
  }

  /**
   * ZooKeeperServer.checkQuota, for a create (`countDiff` 1) or a setData (0) under the deepest
   * quota above `path` (`bytesDiffOf` is asked only when there is one): a change that would take
   * the count or the bytes past a hard limit fails with QUOTAEXCEEDED; past a soft one it is only
   * reported. The limits and the usage are read from the tree as committed, not from pending
   * changes, as ZooKeeper reads them.
   */
  private checkQuota(path: string, countDiff: number, bytesDiffOf: () => number): void {
    const tree = this.changes.tree;
    const prefix = tree.quotaPrefixOf(path);
    if (prefix === null) return;
    const bytesDiff = bytesDiffOf();
    // A missing limit or stats node "should not happen" (ZooKeeper logs it and lets the write through).
    const limitNode = tree.getNode(limitPath(prefix));
    if (limitNode === undefined) return;
    const limits = new StatsTrack(limitNode.dataView());
    const checkCount = countDiff !== 0 && (limits.count > -1 || limits.countHardLimit > -1);
    const checkBytes = bytesDiff !== 0 && (limits.bytes > -1 || limits.byteHardLimit > -1);
    if (!checkCount && !checkBytes) return;
    const statNode = tree.getNode(statPath(prefix));
    if (statNode === undefined) return;
    const usage = new StatsTrack(statNode.dataView());
    if (checkCount) this.checkLimit(path, prefix, 'count', usage.count + countDiff, limits.countHardLimit, limits.count);
    if (checkBytes) this.checkLimit(path, prefix, 'bytes', usage.bytes + bytesDiff, limits.byteHardLimit, limits.bytes);
  }

  private checkLimit(path: string, prefix: string, what: 'count' | 'bytes', next: number, hardLimit: number, softLimit: number): void {
    const hard = hardLimit > -1;
    const limit = hard ? hardLimit : softLimit;
    if (next <= limit) return;
    const name = `${hard ? 'hard' : 'soft'}${what === 'count' ? 'Count' : 'Byte'}Limit`;
    this.opts.quotaExceeded?.(`Quota exceeded: ${prefix} [current ${what}=${next}, ${name}=${limit}]`, topNamespace(path), hard);
    if (hard) throw new KeeperError(ErrorCode.QUOTAEXCEEDED, prefix);
  }

  private removeNode(path: string, parentPath: string, zxid: number): void {
    const parent = this.changes.get(parentPath);
    const parentStat = copyStat(parent.stat);
    parentStat.pzxid = zxid;
    this.changes.add(changedRecord(parent, zxid, parentStat, parent.childCount - 1), 'update', parent);
    this.changes.add({ zxid, path, stat: null, childCount: -1, acl: [], data: null }, 'remove');
  }

  private delete(path: string, version: number, zxid: number, ctx: PrepContext): Txn {
    this.checkOwner(ctx);
    const parentPath = this.parentAndValidate(path);
    const parent = this.changes.get(parentPath);
    checkACL(parent.acl, Perm.DELETE, ctx.authInfo);
    const node = this.changes.get(path);
    nextVersion(node.stat.version, version, path);
    if (node.childCount > 0) throw new KeeperError(ErrorCode.NOTEMPTY, path);
    this.removeNode(path, parentPath, zxid);
    return { type: 2, path };
  }

  private deleteContainer(path: string, zxid: number): Txn {
    const parentPath = this.parentAndValidate(path);
    const node = this.changes.get(path);
    if (node.childCount > 0) throw new KeeperError(ErrorCode.NOTEMPTY, path);
    if (isNormalEphemeral(node.stat.ephemeralOwner, this.opts.extendedTypesEnabled)) {
      throw new KeeperError(ErrorCode.BADVERSION, path);
    }
    this.removeNode(path, parentPath, zxid);
    return { type: 20, path };
  }

  /**
   * ZooKeeper's getParentPathAndValidate for deletes: no full path validation (a relative path is
   * NoNode on its parent), but the system nodes can never be deleted.
   */
  private parentAndValidate(path: string): string {
    const lastSlash = path.lastIndexOf('/');
    if (lastSlash === -1 || path.includes('\0') || SPECIAL_PATHS.has(path)) {
      throw new KeeperError(ErrorCode.BADARGUMENTS, path);
    }
    return lastSlash === 0 ? '/' : path.slice(0, lastSlash);
  }

  private setData(path: string, data: Buffer | null, version: number, zxid: number, time: number, ctx: PrepContext): Txn {
    this.checkOwner(ctx);
    checkPath(path);
    const node = this.changes.get(path);
    checkACL(node.acl, Perm.WRITE, ctx.authInfo);
    if (this.opts.enforceQuota === true) {
      // The node's data only when a quota applies: reading a committed node's data copies it.
      this.checkQuota(path, 0, () => (data === null ? 0 : data.length) - (node.data === null ? 0 : node.data.length));
    }
    const newVersion = nextVersion(node.stat.version, version, path);
    const stat = copyStat(node.stat);
    stat.version = newVersion;
    stat.mtime = time;
    stat.mzxid = zxid;
    this.changes.add(changedRecord(node, zxid, stat, node.childCount, node.acl, data), 'update', node);
    return node.node === undefined ? { type: 5, path, data, version: newVersion } : { type: 5, path, data, version: newVersion, target: node.node };
  }

  private setACL(path: string, acls: ACL[] | null, version: number, zxid: number, ctx: PrepContext): Txn {
    this.checkOwner(ctx);
    checkPath(path);
    const acl = fixupACL(acls, ctx.authInfo);
    const node = this.changes.get(path);
    checkACL(node.acl, Perm.ADMIN, ctx.authInfo);
    const newVersion = nextVersion(node.stat.aversion, version, path);
    const stat = copyStat(node.stat);
    stat.aversion = newVersion;
    this.changes.add(changedRecord(node, zxid, stat, node.childCount, acl), 'update', node);
    return { type: 7, path, acl, version: newVersion };
  }

  private check(path: string, version: number, ctx: PrepContext): Txn {
    this.checkOwner(ctx);
    checkPath(path);
    const node = this.changes.get(path);
    checkACL(node.acl, Perm.READ, ctx.authInfo);
    return { type: 13, path, version: nextVersion(node.stat.version, version, path) };
  }

  private closeSession(zxid: number, sessionId: bigint): Txn {
    // ZooKeeper iterates a clone of the session's HashSet: its order becomes the txn's paths2Delete
    // order, and so the order of the delete events other sessions receive.
    const ephemerals = JavaHashSet.of(this.changes.tree.ephemeralsOf(sessionId)).clone();
    for (const c of this.changes.pending()) {
      if (c.stat === null) ephemerals.delete(c.path);
      else if (c.stat.ephemeralOwner === sessionId) ephemerals.add(c.path);
    }
    for (const path of ephemerals) {
      if (this.opts.digestEnabled) {
        const parentPath = parentOf(path);
        const parent = this.changes.get(parentPath);
        const parentStat = copyStat(parent.stat);
        parentStat.pzxid = zxid;
        this.changes.add(changedRecord(parent, zxid, parentStat), 'update', parent);
      }
      this.changes.add({ zxid, path, stat: null, childCount: 0, acl: [], data: null }, 'remove');
    }
    return { type: -11, paths2Delete: [...ephemerals] };
  }
}
