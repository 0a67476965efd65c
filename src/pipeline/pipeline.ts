// The request pipeline, assembled in one place (ZooKeeper's setupRequestProcessors as async stages):
//   submit → prep (writes become txns, validated against outstanding changes) → commit stage (the zab
//   core and the txn log; durable before it comes back) → apply (tree, watches) → reply.
// Replies leave each session in request order: a read waits behind that session's earlier writes.

import { JuteWriter } from '../jute/writer.js';
import { type Id, type MultiResult, readMultiOps, writeStat, writeMultiResults } from '../jute/records.js';
import { JuteReader } from '../jute/reader.js';
import { ErrorCode, OpCode } from '../protocol/constants.js';
import type { DataTree } from '../tree/data-tree.js';
import type { ApplyResult } from '../tree/apply.js';
import type { Watcher } from '../tree/watch-manager.js';
import { OutstandingChanges } from './change-records.js';
import { Prep, type PreparedTxn, type PrepOptions, type SessionOwners } from './prep.js';
import { Reads, isReadOp } from './reads.js';

/** A client connection as the pipeline sees it. */
export interface ClientSink {
  readonly watcher: Watcher;
  /** Sends one reply frame; body is the encoded response record (or nothing). */
  sendReply(xid: number, zxid: number, err: number, body: Buffer | null): void;
  /** Closes the connection (a request answered SESSIONMOVED gets no reply: see reply()). */
  close?(): void;
}

export interface PipelineRequest {
  readonly type: number;
  readonly xid: number;
  /** The request record bytes after the RequestHeader. */
  readonly body: Buffer;
  readonly sessionId: bigint;
  readonly authInfo: readonly Id[];
  /** null for requests the server makes itself (session expiry, container reaping). */
  sink: ClientSink | null;
  readonly receivedAtMs: number;
  /** Made by the server itself: no session to check. */
  readonly internal?: boolean;
  /** On a quorum leader: the learner connection it came through (undefined: this server's own client). */
  readonly owner?: unknown;
}

/** One proposal travelling through the commit stage. */
export interface Proposal {
  readonly zxid: number;
  readonly prepared: PreparedTxn;
  readonly request: PipelineRequest | null;
  /** Where the request waits for its reply in its session's queue (the pipeline's own bookkeeping). */
  readonly slot?: QueuedItem;
}

/** The commit stage: the zab core and storage behind it. Calls back `applyCommitted` in zxid order. */
export interface CommitStage {
  propose(p: Proposal): void;
}

export interface PipelineHooks {
  /** Whether the session may issue requests (not expired, not closing). */
  isSessionValid(sessionId: bigint): boolean;
  /** After a txn is applied, before its reply (the session tracker learns of new/closed sessions). */
  afterApply(p: Proposal, result: ApplyResult): void;
  /** A reply has gone out (latency stats). */
  onReply(req: PipelineRequest, err: number, zxid: number): void;
  /** A createSession committed: the server sends the ConnectResponse. */
  sessionCreated(req: PipelineRequest): void;
  /** A closeSession committed and was answered: the server closes the connection. */
  sessionClosed(req: PipelineRequest): void;
}

export interface PipelineOptions extends PrepOptions {
  now(): number;
}

export interface QueuedItem {
  req: PipelineRequest;
  /** true once the reply is ready (writes) or for reads (answered when they reach the head). */
  ready: boolean;
  read: boolean;
  err: number;
  zxid: number;
  body: Buffer | null;
  /** For sync: answered once the tree has applied this zxid. */
  syncZxid?: number;
}

/** Ops that go through prep and the commit stage. */
const WRITE_OPS = new Set<number>([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete,
  OpCode.deleteContainer, OpCode.setData, OpCode.setACL, OpCode.check, OpCode.multi, OpCode.reconfig,
  OpCode.createSession, OpCode.closeSession,
]);

/** A client request that becomes a txn (session creation and closing aside). */
export function isClientWrite(type: number): boolean {
  return WRITE_OPS.has(type) && type !== OpCode.createSession && type !== OpCode.closeSession;
}

export class Pipeline {
  readonly changes: OutstandingChanges;
  private readonly prep: Prep;
  private readonly reads: Reads;
  private readonly queues = new Map<bigint, QueuedItem[]>();
  private readonly pendingSyncs: QueuedItem[] = [];
  private readonly w = new JuteWriter(512);
  private lastZxid: number;
  private commit: CommitStage | null = null;
  /**
   * On a learner: where client writes go instead of prep (to the leader, as REQUEST packets). Their
   * slots wait in `forwarded`, per session in request order, for the committed txn that carries the
   * same session id and cxid (the leader keeps both in the TxnHeader).
   */
  private forwarder: ((req: PipelineRequest) => void) | null = null;
  private readonly forwarded = new Map<bigint, QueuedItem[]>();
  /** Forwarded syncs, answered in order as the leader's SYNC packets arrive (Learner's pendingSyncs). */
  private readonly forwardedSyncs: QueuedItem[] = [];
  outstanding = 0;

  constructor(
    private readonly tree: DataTree,
    private readonly opts: PipelineOptions,
    private readonly hooks: PipelineHooks,
  ) {
    this.changes = new OutstandingChanges(tree, opts.digestEnabled);
    this.prep = new Prep(this.changes, opts);
    this.reads = new Reads(tree);
    this.lastZxid = tree.lastProcessedZxid;
  }

  attach(commit: CommitStage): void {
    this.commit = commit;
  }

  /** A learner forwards its clients' writes (null: prep them here, as a leader or standalone server does). */
  forwardWritesTo(forwarder: ((req: PipelineRequest) => void) | null): void {
    this.forwarder = forwarder;
  }

  /**
   * Drops every request still waiting for a reply (the server left its role: the leader that would
   * have committed them is gone); their connections are closed by the server.
   */
  abandonPending(): void {
    this.outstanding = 0;
    this.queues.clear();
    this.forwarded.clear();
    this.forwardedSyncs.length = 0;
    this.pendingSyncs.length = 0;
  }

  /** The zxid of the last proposal made (the next one is one above). */
  get lastProposedZxid(): number {
    return this.lastZxid;
  }

  /** A quorum leader's session owners (null otherwise): writes of a session attached elsewhere fail SESSIONMOVED. */
  setSessionOwners(owners: SessionOwners | null): void {
    this.prep.owners = owners;
  }

  get sessionOwners(): SessionOwners | null {
    return this.prep.owners;
  }

  /** Starts a new epoch: zxids continue at (epoch << 32) + 1. */
  setEpoch(epoch: number): void {
    const base = epoch * 0x100000000;
    if (base > this.lastZxid) this.lastZxid = base;
  }

  submit(req: PipelineRequest): void {
    this.outstanding++;
    const queue = this.queueOf(req.sessionId);
    const validSession = req.internal === true || req.type === OpCode.createSession
      || req.type === OpCode.closeSession || this.hooks.isSessionValid(req.sessionId);
    if (!validSession) {
      queue.push({ req, ready: true, read: false, err: ErrorCode.SESSIONEXPIRED, zxid: this.tree.lastProcessedZxid, body: null });
      this.flush(req.sessionId);
      this.dropQueue(req.sessionId);
      return;
    }
    if (req.type === OpCode.sync) {
      const item: QueuedItem = { req, ready: false, read: false, err: 0, zxid: 0, body: null, syncZxid: this.lastZxid };
      queue.push(item);
      if (this.forwarder !== null) {
        // The leader answers once everything proposed before it has committed here (SYNC packet).
        this.forwardedSyncs.push(item);
        this.forwarder(req);
        return;
      }
      if (this.tree.lastProcessedZxid >= this.lastZxid) this.finishSync(item);
      else this.pendingSyncs.push(item);
      return;
    }
    if (WRITE_OPS.has(req.type)) {
      const item: QueuedItem = { req, ready: false, read: false, err: 0, zxid: 0, body: null };
      queue.push(item);
      if (this.forwarder !== null && req.internal !== true) {
        let waiting = this.forwarded.get(req.sessionId);
        if (!waiting) this.forwarded.set(req.sessionId, (waiting = []));
        waiting.push(item);
        this.forwarder(req);
        return;
      }
      const zxid = ++this.lastZxid;
      const prepared = this.prep.prepare(req.type, req.xid, req, req.body, zxid, this.opts.now());
      if (!this.commit) throw new Error('pipeline: no commit stage attached');
      this.commit.propose({ zxid, prepared, request: req, slot: item });
      return;
    }
    if (queue.length === 0) {
      this.answerRead(req);
    } else {
      queue.push({ req, ready: true, read: true, err: 0, zxid: 0, body: null });
    }
  }

  /** A txn made by the server itself (session expiry, container and TTL reaping). */
  submitInternal(type: number, sessionId: bigint, body: Buffer): void {
    this.submit({ type, xid: 0, body, sessionId, authInfo: [], sink: null, receivedAtMs: this.opts.now(), internal: true });
  }

  /** Called by the commit stage for every committed proposal, in zxid order. */
  applyCommitted(p: Proposal): void {
    if (p.request === null && this.forwarded.size > 0) p = this.matchForwarded(p);
    const { hdr, txn, digest } = p.prepared;
    const result = this.tree.apply(hdr, txn, digest);
    this.changes.committed(p.zxid);
    this.hooks.afterApply(p, result);
    const req = p.request;
    if (req) {
      // The slot stays in its session's queue until answered: a queue is only dropped when empty.
      const item = p.slot;
      if (item) {
        item.ready = true;
        item.zxid = this.tree.lastProcessedZxid;
        item.err = p.prepared.error !== 0 && txn.type !== 14 ? p.prepared.error : result.err;
        const body = item.err === 0 || txn.type === 14 ? this.writeReplyBody(req.type, result, p.prepared.multiOpTypes) : null;
        // The body is a view of the reply writer: good for a reply sent now, from the head of its
        // session's queue; one that waits behind earlier requests keeps a copy.
        item.body = body !== null && this.queues.get(req.sessionId)?.[0] !== item ? Buffer.from(body) : body;
        if (txn.type === 14) item.err = 0;
        this.flush(req.sessionId);
      }
    }
    if (hdr.type === OpCode.closeSession) this.dropQueue(hdr.clientId);
    while (this.pendingSyncs.length > 0 && (this.pendingSyncs[0].syncZxid ?? 0) <= this.tree.lastProcessedZxid) {
      this.finishSync(this.pendingSyncs.shift() as QueuedItem);
    }
  }

  /** The leader's SYNC: the oldest forwarded sync is answered (after every txn applied before it). */
  syncedByLeader(): void {
    const item = this.forwardedSyncs.shift();
    if (item) this.finishSync(item);
  }

  /** A txn from the leader: the slot of this server's own forwarded request, if it is one. */
  private matchForwarded(p: Proposal): Proposal {
    const { clientId, cxid } = p.prepared.hdr;
    const waiting = this.forwarded.get(clientId);
    const head = waiting?.[0];
    if (!waiting || !head || head.req.xid !== cxid) return p;
    waiting.shift();
    if (waiting.length === 0) this.forwarded.delete(clientId);
    // A multi's results take their shapes from the ops as requested (a create2 answers with a stat).
    const multiOpTypes = head.req.type === OpCode.multi ? multiOpTypesOf(head.req.body) : undefined;
    const prepared = multiOpTypes ? { ...p.prepared, multiOpTypes } : p.prepared;
    return { ...p, prepared, request: head.req, slot: head };
  }

  /** After restoring from storage: proposals continue above the last zxid applied. */
  resetZxid(zxid: number): void {
    this.lastZxid = zxid;
  }

  private finishSync(item: QueuedItem): void {
    item.ready = true;
    item.zxid = this.tree.lastProcessedZxid;
    // SyncResponse echoes the path of the SyncRequest (both are one ustring).
    item.body = item.req.body;
    this.flush(item.req.sessionId);
  }

  /**
   * Each session's queue of requests in order, kept while the session lives: a Map entry made and
   * dropped whenever a queue empties churns the Map's table, and its discarded tables keep answered
   * requests alive for the young-generation GC (see OutstandingChanges.byPath).
   */
  private queueOf(sessionId: bigint): QueuedItem[] {
    let q = this.queues.get(sessionId);
    if (!q) {
      q = [];
      this.queues.set(sessionId, q);
    }
    return q;
  }

  private answerRead(req: PipelineRequest): void {
    const ctx = { sessionId: req.sessionId, authInfo: req.authInfo, watcher: req.sink?.watcher ?? null };
    const { err, body } = this.reads.execute(req.type, req.body, ctx);
    this.reply(req, err, this.tree.lastProcessedZxid, body);
  }

  private flush(sessionId: bigint): void {
    const queue = this.queues.get(sessionId);
    if (!queue) return;
    let n = 0;
    while (n < queue.length && queue[n].ready) {
      const item = queue[n++];
      if (item.read) this.answerRead(item.req);
      else this.reply(item.req, item.err, item.zxid, item.body);
    }
    dropFront(queue, n);
  }

  /** Forgets a session's queue once the session is gone (its closeSession answered, or expired). */
  private dropQueue(sessionId: bigint): void {
    if (this.queues.get(sessionId)?.length === 0) this.queues.delete(sessionId);
  }

  private reply(req: PipelineRequest, err: number, zxid: number, body: Buffer | null): void {
    this.outstanding--;
    if (req.type === OpCode.createSession) {
      this.hooks.sessionCreated(req);
      return;
    }
    if (err === ErrorCode.SESSIONMOVED) {
      // FinalRequestProcessor: "session moved is a connection level error": the connection the
      // request came on is closed without a reply (ZOOKEEPER-710); the client reconnects.
      this.hooks.onReply(req, err, zxid);
      req.sink?.close?.();
      return;
    }
    // A ping's reply carries the ping xid, whatever the client sent (ZooKeeper answers PING_XID).
    const xid = req.type === OpCode.ping ? -2 : req.xid;
    req.sink?.sendReply(xid, zxid, err, err === 0 || req.type === OpCode.multi ? body : null);
    this.hooks.onReply(req, err, zxid);
    if (req.type === OpCode.closeSession) this.hooks.sessionClosed(req);
  }

  /** The reply record of an applied txn, as a view valid until the next call. */
  private writeReplyBody(type: number, r: ApplyResult, multiOpTypes?: readonly number[]): Buffer | null {
    const w = this.w.reset();
    switch (type) {
      case OpCode.create:
        w.writeUString(r.path);
        break;
      case OpCode.create2: case OpCode.createTTL: case OpCode.createContainer:
        w.writeUString(r.path);
        if (r.stat) writeStat(w, r.stat);
        break;
      case OpCode.setData: case OpCode.setACL: case OpCode.check:
        if (!r.stat) return null;
        writeStat(w, r.stat);
        break;
      case OpCode.multi:
        writeMultiResults(w, (r.multiResults ?? []).map((sub, i) => toMultiResult(sub, multiOpTypes?.[i])));
        break;
      default:
        return null;
    }
    return w.view();
  }
}

function multiOpTypesOf(body: Buffer): number[] | undefined {
  try {
    return readMultiOps(new JuteReader(body)).ops.map((op) => op.type);
  } catch {
    return undefined;
  }
}

/** A multi op's result; `opType` is the op as requested (a create2 is applied as a create). */
function toMultiResult(r: ApplyResult, opType?: number): MultiResult {
  switch (r.type === OpCode.create && opType === OpCode.create2 ? OpCode.create2 : r.type) {
    case OpCode.check: return { type: 13 };
    case OpCode.create: return { type: 1, path: r.path };
    case OpCode.create2: case OpCode.createTTL: case OpCode.createContainer:
      return r.stat ? { type: 15, path: r.path, stat: r.stat } : { type: 1, path: r.path };
    case OpCode.delete: case OpCode.deleteContainer: return { type: 2 };
    case OpCode.setData: return r.stat ? { type: 5, stat: r.stat } : { type: -1, err: ErrorCode.RUNTIMEINCONSISTENCY };
    default: return { type: -1, err: r.err };
  }
}

export { isReadOp };

/**
 * Removes the first `n` items in place. Neither splice (a new backing store when it cannot trim)
 * nor `length = 0` (drops the backing store) leaves a discarded store pointing at the removed
 * items, which would keep them alive through young-generation GCs if that store was old.
 */
function dropFront<T>(queue: T[], n: number): void {
  if (n === 0) return;
  // A plain loop, not copyWithin: V8's Array.prototype.copyWithin takes a generic per-element path
  // (~1.6 µs for a 32-item queue against ~0.2 µs here), and this runs once per reply.
  const len = queue.length;
  for (let i = n; i < len; i++) queue[i - n] = queue[i];
  for (let i = 0; i < n; i++) queue.pop();
}
