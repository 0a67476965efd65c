// A minimal ZooKeeper client over a raw socket, for tests of what node-zookeeper-client can't express:
// handshakes with or without the readOnly byte, raw bytes, reply order, notification-before-reply order.

import net from 'node:net';
import tls from 'node:tls';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import {
  readACLList, readConnectResponse, readMultiResults, readReplyHeader, readStat, readWatcherEvent,
  writeACLList, writeConnectRequest, writeCreateRequest, writeMultiOps, writePathTypeRequest,
  writePathWatchRequest, writeSetDataRequest, writeSetWatches,
  type ACL, type ClientInfo, type MultiOp, type MultiResult, type ReplyHeader, type SetWatches, type Stat,
  type WatcherEvent,
} from '../../src/jute/records.js';
import { CreateFlag, ErrorCode, OpCode, Perm, Xid } from '../../src/protocol/constants.js';

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];

const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_WAIT_MS = 5_000;
const CLOSE_WAIT_MS = 5_000;

export interface RawConnectOptions {
  host?: string;
  /** Requested session timeout, ms (default 30000). */
  timeOut?: number;
  /** 0n (default) asks for a new session; anything else resumes that session with `passwd`. */
  sessionId?: bigint;
  passwd?: Buffer;
  lastZxidSeen?: number;
  protocolVersion?: number;
  /** The value of the readOnly flag, when the byte is sent. */
  readOnly?: boolean;
  /** Send the trailing readOnly byte (3.3+ clients do); default true. */
  readOnlyByte?: boolean;
  connectTimeoutMs?: number;
  /** Connect over TLS with these options (a secureClientPort). */
  tls?: tls.ConnectionOptions;
}

export interface RawConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly: boolean;
  /** Whether the server's response carried the trailing readOnly byte. */
  hasReadOnlyByte: boolean;
}

/** Every frame after the handshake, in arrival order. */
export type RawFrame =
  | { kind: 'notification'; header: ReplyHeader; event: WatcherEvent }
  | { kind: 'reply'; header: ReplyHeader; op: number | undefined };

export interface RawReply { header: ReplyHeader; body: JuteReader }

/** A reply whose header carried a non-zero error, from the convenience methods. */
export class RawZkError extends Error {
  constructor(readonly code: number, readonly op: number, readonly path?: string) {
    super(`ZooKeeper error ${code} (${Object.entries(ErrorCode).find(([, v]) => v === code)?.[0] ?? '?'}) for op ${op}${path ? ` on ${path}` : ''}`);
    this.name = 'RawZkError';
  }
}

interface Pending {
  xid: number;
  op: number;
  resolve(r: RawReply): void;
  reject(e: Error): void;
}

interface NotificationWaiter {
  pred(e: WatcherEvent): boolean;
  resolve(e: WatcherEvent): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class RawClient {
  /** Set once the ConnectResponse arrives. */
  connectResponse: RawConnectResponse | undefined;
  readonly frames: RawFrame[] = [];
  readonly notifications: WatcherEvent[] = [];
  /** Violations seen (replies out of xid order, replies to nothing); tests can assert it stays empty. */
  readonly protocolErrors: string[] = [];
  /** Highest zxid seen in a reply header. */
  lastZxid = 0;
  readonly closed: Promise<void>;
  isClosed = false;
  socketError: Error | undefined;

  private buf: Buffer = Buffer.alloc(0);
  private nextXid = 1;
  private readonly pending: Pending[] = [];
  /** Replies with special xids (ping, auth, setWatches) come back in send order per xid. */
  private readonly special = new Map<number, Pending[]>();
  private readonly waiters = new Set<NotificationWaiter>();
  private onConnectResponse: ((r: RawConnectResponse) => void) | undefined;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.failAll(new Error(`connection closed${this.socketError ? `: ${this.socketError.message}` : ''}`));
        resolve();
      });
    });
    socket.on('error', (err) => { this.socketError = err; });
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  /** A TCP connection with no handshake yet, for tests that send their own bytes. */
  static open(port: number, host = '127.0.0.1', timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS, tlsOptions?: tls.ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const sock = tlsOptions ? tls.connect({ host, port, ...tlsOptions }) : net.connect({ host, port });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connect to ${host}:${port} timed out`)); }, timeoutMs);
      sock.once('error', (err) => { clearTimeout(timer); reject(err); });
      sock.once(tlsOptions ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        sock.setNoDelay(true);
        resolve(new RawClient(sock));
      });
    });
  }

  /** Opens a connection and performs the ConnectRequest/ConnectResponse handshake. */
  static async connect(port: number, opts: RawConnectOptions = {}): Promise<RawClient> {
    const client = await RawClient.open(port, opts.host, opts.connectTimeoutMs, opts.tls);
    try {
      await client.handshake(opts);
    } catch (err) {
      client.destroy();
      throw err;
    }
    return client;
  }

  handshake(opts: RawConnectOptions = {}): Promise<RawConnectResponse> {
    const w = new JuteWriter(64);
    w.writeInt(0);
    writeConnectRequest(w, {
      protocolVersion: opts.protocolVersion ?? 0,
      lastZxidSeen: opts.lastZxidSeen ?? 0,
      timeOut: opts.timeOut ?? 30_000,
      sessionId: opts.sessionId ?? 0n,
      passwd: opts.passwd ?? Buffer.alloc(16),
      readOnly: opts.readOnly ?? false,
      hasReadOnly: opts.readOnlyByte ?? true,
    });
    w.patchInt(0, w.length - 4);
    const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ConnectResponse within ${timeoutMs} ms`)), timeoutMs);
      void this.closed.then(() => { clearTimeout(timer); reject(new Error('connection closed before ConnectResponse')); });
      this.onConnectResponse = (r) => { clearTimeout(timer); resolve(r); };
      this.socket.write(w.toBuffer());
    });
  }

  get sessionId(): bigint {
    return this.connectResponse?.sessionId ?? 0n;
  }

  /** Writes bytes as they are, with no framing. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one request with the next xid; resolves with its reply whatever the error code. */
  request(op: number, writeBody: (w: JuteWriter) => void = () => {}): Promise<RawReply> {
    return this.send(this.nextXid++, op, writeBody);
  }

  /** Sends a request with a chosen xid (special xids are matched per xid, others in order). */
  send(xid: number, op: number, writeBody: (w: JuteWriter) => void = () => {}): Promise<RawReply> {
    const w = new JuteWriter(128);
    w.writeInt(0).writeInt(xid).writeInt(op);
    writeBody(w);
    w.patchInt(0, w.length - 4);
    return new Promise((resolve, reject) => {
      if (this.isClosed) { reject(new Error('connection closed')); return; }
      const p: Pending = { xid, op, resolve, reject };
      if (xid < 0) {
        const q = this.special.get(xid) ?? [];
        q.push(p);
        this.special.set(xid, q);
      } else {
        this.pending.push(p);
      }
      this.socket.write(w.toBuffer());
    });
  }

  ping(): Promise<RawReply> {
    return this.send(Xid.ping, OpCode.ping);
  }

  /** Resolves with the first notification, already received or still to come, that matches. */
  waitForNotification(pred: (e: WatcherEvent) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS, fromIndex = 0): Promise<WatcherEvent> {
    const seen = this.notifications.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen);
    if (this.isClosed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const waiter: NotificationWaiter = {
        pred, resolve, reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`no matching notification within ${timeoutMs} ms; got ${JSON.stringify(this.notifications)}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Sends closeSession, waits for its reply and for the server to close the socket. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      await this.request(OpCode.closeSession);
    } catch {
      // The server may close the socket before the reply is read; the session is gone either way.
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((r) => { timer = setTimeout(r, CLOSE_WAIT_MS); })]);
    clearTimeout(timer);
    this.destroy();
  }

  /** Drops the TCP connection without closing the session (as a crashed client would). */
  destroy(): void {
    this.socket.destroy();
  }

  // ------------------------------------------------------------ convenience requests (throw RawZkError)

  private async ok(op: number, path: string | undefined, writeBody: (w: JuteWriter) => void): Promise<RawReply> {
    const reply = await this.request(op, writeBody);
    if (reply.header.err !== 0) throw new RawZkError(reply.header.err, op, path);
    return reply;
  }

  /** create (op 1): returns the created path. */
  async create(path: string, data: Buffer | null = null, opts: { acl?: ACL[]; flags?: number } = {}): Promise<string> {
    const r = await this.ok(OpCode.create, path, (w) => writeCreateRequest(w, {
      path, data, acl: opts.acl ?? OPEN_ACL_UNSAFE, flags: opts.flags ?? CreateFlag.PERSISTENT, ttl: -1,
    }));
    return r.body.readString();
  }

  /** create2 (op 15): the created path and its stat. */
  async create2(path: string, data: Buffer | null = null, opts: { acl?: ACL[]; flags?: number } = {}): Promise<{ path: string; stat: Stat }> {
    const r = await this.ok(OpCode.create2, path, (w) => writeCreateRequest(w, {
      path, data, acl: opts.acl ?? OPEN_ACL_UNSAFE, flags: opts.flags ?? CreateFlag.PERSISTENT, ttl: -1,
    }));
    return { path: r.body.readString(), stat: readStat(r.body) };
  }

  async createTTL(path: string, data: Buffer | null, ttl: number, opts: { acl?: ACL[]; flags?: number } = {}): Promise<{ path: string; stat: Stat }> {
    const r = await this.ok(OpCode.createTTL, path, (w) => writeCreateRequest(w, {
      path, data, acl: opts.acl ?? OPEN_ACL_UNSAFE, flags: opts.flags ?? CreateFlag.PERSISTENT_WITH_TTL, ttl,
    }, true));
    return { path: r.body.readString(), stat: readStat(r.body) };
  }

  async createContainer(path: string, data: Buffer | null = null, opts: { acl?: ACL[] } = {}): Promise<{ path: string; stat: Stat }> {
    const r = await this.ok(OpCode.createContainer, path, (w) => writeCreateRequest(w, {
      path, data, acl: opts.acl ?? OPEN_ACL_UNSAFE, flags: CreateFlag.CONTAINER, ttl: -1,
    }));
    return { path: r.body.readString(), stat: readStat(r.body) };
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.ok(OpCode.delete, path, (w) => w.writeUString(path).writeInt(version));
  }

  /** exists (op 3): the stat, or null for NONODE (a watch is still set then, as ZooKeeper does). */
  async exists(path: string, watch = false): Promise<Stat | null> {
    const r = await this.request(OpCode.exists, (w) => writePathWatchRequest(w, { path, watch }));
    if (r.header.err === ErrorCode.NONODE) return null;
    if (r.header.err !== 0) throw new RawZkError(r.header.err, OpCode.exists, path);
    return readStat(r.body);
  }

  async getData(path: string, watch = false): Promise<{ data: Buffer | null; stat: Stat }> {
    const r = await this.ok(OpCode.getData, path, (w) => writePathWatchRequest(w, { path, watch }));
    return { data: r.body.readBuffer(), stat: readStat(r.body) };
  }

  async setData(path: string, data: Buffer | null, version = -1): Promise<Stat> {
    const r = await this.ok(OpCode.setData, path, (w) => writeSetDataRequest(w, { path, data, version }));
    return readStat(r.body);
  }

  async getChildren(path: string, watch = false): Promise<string[]> {
    const r = await this.ok(OpCode.getChildren, path, (w) => writePathWatchRequest(w, { path, watch }));
    return r.body.readStringVector();
  }

  async getChildren2(path: string, watch = false): Promise<{ children: string[]; stat: Stat }> {
    const r = await this.ok(OpCode.getChildren2, path, (w) => writePathWatchRequest(w, { path, watch }));
    return { children: r.body.readStringVector(), stat: readStat(r.body) };
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    const r = await this.ok(OpCode.getACL, path, (w) => w.writeUString(path));
    return { acl: readACLList(r.body) ?? [], stat: readStat(r.body) };
  }

  async setACL(path: string, acl: ACL[], version = -1): Promise<Stat> {
    const r = await this.ok(OpCode.setACL, path, (w) => { w.writeUString(path); writeACLList(w, acl); w.writeInt(version); });
    return readStat(r.body);
  }

  async sync(path: string): Promise<string> {
    const r = await this.ok(OpCode.sync, path, (w) => w.writeUString(path));
    return r.body.readString();
  }

  /** addWatch (op 106); mode from AddWatchMode. */
  async addWatch(path: string, mode: number): Promise<void> {
    await this.ok(OpCode.addWatch, path, (w) => writePathTypeRequest(w, { path, type: mode }));
  }

  /** removeWatches (op 18); type from WatcherType. */
  async removeWatches(path: string, type: number): Promise<void> {
    await this.ok(OpCode.removeWatches, path, (w) => writePathTypeRequest(w, { path, type }));
  }

  async getEphemerals(prefixPath = '/'): Promise<string[]> {
    const r = await this.ok(OpCode.getEphemerals, prefixPath, (w) => w.writeUString(prefixPath));
    return r.body.readStringVector();
  }

  async getAllChildrenNumber(path: string): Promise<number> {
    const r = await this.ok(OpCode.getAllChildrenNumber, path, (w) => w.writeUString(path));
    return r.body.readInt();
  }

  async whoAmI(): Promise<ClientInfo[]> {
    const r = await this.ok(OpCode.whoAmI, undefined, () => {});
    return r.body.readVector((rr) => ({ authScheme: rr.readString(), user: rr.readString() }), 8) ?? [];
  }

  /** multi (op 14): the header error (first failure, 0 on success) and every op's result. */
  async multi(ops: readonly MultiOp[]): Promise<{ err: number; results: MultiResult[] }> {
    const r = await this.request(OpCode.multi, (w) => writeMultiOps(w, ops));
    return { err: r.header.err, results: r.body.remaining > 0 ? readMultiResults(r.body) : [] };
  }

  /** multiRead (op 22): results, with per-op errors as { type: -1, err }. */
  async multiRead(ops: readonly MultiOp[]): Promise<MultiResult[]> {
    const r = await this.ok(OpCode.multiRead, undefined, (w) => writeMultiOps(w, ops));
    return readMultiResults(r.body);
  }

  /** addAuth: an AuthPacket on xid -4; resolves with the reply header (err AUTHFAILED on failure). */
  async addAuth(scheme: string, auth: Buffer): Promise<ReplyHeader> {
    const r = await this.send(Xid.auth, OpCode.auth, (w) => w.writeInt(0).writeUString(scheme).writeBuffer(auth));
    return r.header;
  }

  /** setWatches (op 101) or setWatches2 (op 105, with persistent watches) on xid -8. */
  async setWatches(watches: SetWatches, v2 = false): Promise<ReplyHeader> {
    const r = await this.send(Xid.setWatches, v2 ? OpCode.setWatches2 : OpCode.setWatches, (w) => writeSetWatches(w, watches, v2));
    return r.header;
  }

  // ------------------------------------------------------------ framing

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (len < 0 || len > MAX_FRAME_BYTES) {
        this.protocolErrors.push(`bad frame length ${len}`);
        this.socket.destroy(new Error(`bad frame length ${len}`));
        return;
      }
      if (this.buf.length < 4 + len) return;
      const frame = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      try {
        this.onFrame(frame);
      } catch (err) {
        this.protocolErrors.push(`undecodable frame: ${(err as Error).message}`);
        this.socket.destroy(err as Error);
        return;
      }
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.connectResponse === undefined) {
      const r = new JuteReader(frame);
      const resp = readConnectResponse(r);
      this.connectResponse = { ...resp, hasReadOnlyByte: frame.length > 4 + 4 + 8 + 4 + resp.passwd.length };
      this.onConnectResponse?.(this.connectResponse);
      return;
    }
    const r = new JuteReader(frame);
    const header = readReplyHeader(r);
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    if (header.xid === Xid.notification) {
      const event = readWatcherEvent(r);
      this.frames.push({ kind: 'notification', header, event });
      this.notifications.push(event);
      for (const w of [...this.waiters]) {
        if (w.pred(event)) {
          clearTimeout(w.timer);
          this.waiters.delete(w);
          w.resolve(event);
        }
      }
      return;
    }
    let p: Pending | undefined;
    if (header.xid < 0) {
      p = this.special.get(header.xid)?.shift();
    } else {
      const at = this.pending.findIndex((q) => q.xid === header.xid);
      if (at > 0) {
        const msg = `reply for xid ${header.xid} arrived while xid ${this.pending[0].xid} was first in line`;
        this.protocolErrors.push(msg);
        for (const skipped of this.pending.splice(0, at)) skipped.reject(new Error(msg));
      }
      p = at >= 0 ? this.pending.shift() : undefined;
    }
    this.frames.push({ kind: 'reply', header, op: p?.op });
    if (!p) {
      this.protocolErrors.push(`reply for xid ${header.xid} that no request is waiting for`);
      return;
    }
    p.resolve({ header, body: r });
  }

  private failAll(err: Error): void {
    this.onConnectResponse = undefined;
    for (const p of this.pending.splice(0)) p.reject(err);
    for (const q of this.special.values()) for (const p of q.splice(0)) p.reject(err);
    for (const w of this.waiters) { clearTimeout(w.timer); w.reject(err); }
    this.waiters.clear();
  }
}
