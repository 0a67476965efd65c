// One ZooKeeper session on a raw socket, built for load: requests are pre-encoded frames whose xid is
// patched in, a window of them is kept outstanding, and everything a reply chunk frees is written back
// in one socket write. Also a small promise API for the unmeasured setup (create nodes, close).

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import {
  readConnectResponse, writeConnectRequest, writeCreateRequest, writePathWatchRequest, writeSetDataRequest,
  type ACL,
} from '../../src/jute/records.js';
import { CreateFlag, ErrorCode, OpCode, Perm, Xid } from '../../src/protocol/constants.js';

const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5_000;
/** ReplyHeader: xid(4) zxid(8) err(4). */
const REPLY_HEADER_BYTES = 16;

/** A request frame with a zero xid: [len:int][xid:int][type:int][body]. */
export function encodeFrame(op: number, writeBody: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter(128);
  w.writeInt(0).writeInt(0).writeInt(op);
  writeBody(w);
  w.patchInt(0, w.length - 4);
  return w.toBuffer();
}

export const frames = {
  setData: (path: string, data: Buffer): Buffer =>
    encodeFrame(OpCode.setData, (w) => writeSetDataRequest(w, { path, data, version: -1 })),
  getData: (path: string): Buffer =>
    encodeFrame(OpCode.getData, (w) => writePathWatchRequest(w, { path, watch: false })),
  create: (path: string, data: Buffer | null, flags: number = CreateFlag.PERSISTENT): Buffer =>
    encodeFrame(OpCode.create, (w) => writeCreateRequest(w, { path, data, acl: OPEN_ACL_UNSAFE, flags, ttl: -1 })),
  closeSession: (): Buffer => encodeFrame(OpCode.closeSession, () => {}),
};

/** What a session under load reports per reply; kept allocation-free (plain numbers). */
export interface ReplySink {
  /**
   * `isRead` as the request was tagged when sent; latency in microseconds; err from the reply header;
   * when it was sent, in this process's performance.now() milliseconds.
   */
  onReply(isRead: boolean, latencyUs: number, err: number, sentAtMs: number): void;
}

/** Chooses the next request of a session: a pre-encoded frame and whether it counts as a read. */
export interface RequestSource {
  next(): { frame: Buffer; isRead: boolean };
}

/** A reply to a setup-time request: the error code and the body after the reply header. */
export interface SetupReply { err: number; body: Buffer }

interface SetupCall { resolve(reply: SetupReply): void; reject(e: Error): void }

export class BenchSession {
  sessionId = 0n;
  /** Protocol surprises (reply xids out of order, bad frames); a correct server leaves it at 0. */
  protocolErrors = 0;
  closedUnexpectedly: Error | null = null;

  private pendingBytes: Buffer | null = null;
  private nextXid = 1;
  private connected: ((e: Error | null) => void) | null = null;
  private closing = false;
  private readonly closedPromise: Promise<void>;

  // Setup mode: FIFO of promise calls.
  private readonly setupCalls: SetupCall[] = [];

  // Load mode: a ring of outstanding requests (send time, read flag, xid), in send order.
  private load: { source: RequestSource; sink: ReplySink } | null = null;
  private issuing = false;
  private ringSentAt = new Float64Array(1);
  private ringIsRead = new Uint8Array(1);
  private ringXid = new Int32Array(1);
  private ringHead = 0;
  private outstanding = 0;
  private window = 1;
  private drained: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        if (!this.closing) this.closedUnexpectedly ??= new Error('server closed the connection');
        const err = this.closedUnexpectedly ?? new Error('connection closed');
        for (const c of this.setupCalls.splice(0)) c.reject(err);
        this.connected?.(err);
        this.drained?.();
        resolve();
      });
    });
    socket.on('error', (e) => { if (!this.closing) this.closedUnexpectedly ??= e; });
    socket.on('data', (d: Buffer) => this.onData(d));
  }

  /** Opens a TCP connection and a new session (timeOut in ms). */
  static connect(host: string, port: number, timeOutMs: number): Promise<BenchSession> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const session = new BenchSession(socket);
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no session from ${host}:${port} within ${CONNECT_TIMEOUT_MS} ms`)); }, CONNECT_TIMEOUT_MS);
      session.connected = (e) => {
        clearTimeout(timer);
        session.connected = null;
        if (e) reject(e); else resolve(session);
      };
      socket.once('connect', () => {
        const w = new JuteWriter(64);
        w.writeInt(0);
        writeConnectRequest(w, {
          protocolVersion: 0, lastZxidSeen: 0, timeOut: timeOutMs, sessionId: 0n, passwd: Buffer.alloc(16),
          readOnly: false, hasReadOnly: true,
        });
        w.patchInt(0, w.length - 4);
        socket.write(w.toBuffer());
      });
    });
  }

  /** Setup-time request: resolves with the reply's error code (0 on success). */
  async call(frame: Buffer): Promise<number> {
    return (await this.request(Buffer.from(frame))).err;
  }

  /**
   * Setup-time request that also hands back the reply body; any number may be outstanding (the
   * server answers a session's requests in order). `frame`'s xid is patched in place.
   */
  request(frame: Buffer): Promise<SetupReply> {
    if (this.load !== null) throw new Error('request() while the session is under load');
    return new Promise((resolve, reject) => {
      if (this.closedUnexpectedly) { reject(this.closedUnexpectedly); return; }
      this.setupCalls.push({ resolve, reject });
      frame.writeInt32BE(this.nextXid, 4);
      this.nextXid = ((this.nextXid + 1) & 0x7fffffff) || 1;
      this.socket.write(frame);
    });
  }

  /** Requests sent under load and not yet answered. */
  get outstandingRequests(): number {
    return this.outstanding;
  }

  /** Replies received under load since startLoad (a session whose count stands still is starved). */
  repliesUnderLoad = 0;

  /** Starts keeping `window` requests outstanding, taking them from `source`, reporting to `sink`. */
  startLoad(window: number, source: RequestSource, sink: ReplySink): void {
    this.load = { source, sink };
    this.window = window;
    this.ringSentAt = new Float64Array(window);
    this.ringIsRead = new Uint8Array(window);
    this.ringXid = new Int32Array(window);
    this.ringHead = 0;
    this.outstanding = 0;
    this.issuing = true;
    this.fill(performance.now());
  }

  /** Stops issuing; resolves once every outstanding request has its reply (or the socket closed). */
  stopLoad(): Promise<void> {
    this.issuing = false;
    if (this.outstanding === 0 || this.closedUnexpectedly) return Promise.resolve();
    return new Promise((resolve) => { this.drained = resolve; });
  }

  /** closeSession, then waits (bounded) for the server to close the connection. */
  async close(): Promise<void> {
    this.load = null;
    this.closing = true;
    if (!this.socket.destroyed) this.socket.write(this.withXid(frames.closeSession(), this.nextXid++));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closedPromise, new Promise((r) => { timer = setTimeout(r, CLOSE_TIMEOUT_MS); })]);
    clearTimeout(timer);
    this.socket.destroy();
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private withXid(frame: Buffer, xid: number): Buffer {
    const out = Buffer.from(frame);
    out.writeInt32BE(xid, 4);
    return out;
  }

  /** Tops the window up with one socket write. */
  private fill(now: number): void {
    const load = this.load;
    if (load === null || !this.issuing) return;
    const free = this.window - this.outstanding;
    if (free <= 0) return;
    const picked: Buffer[] = [];
    const xids: number[] = [];
    let bytes = 0;
    for (let i = 0; i < free; i++) {
      const { frame, isRead } = load.source.next();
      const slot = (this.ringHead + this.outstanding) % this.window;
      this.ringSentAt[slot] = now;
      this.ringIsRead[slot] = isRead ? 1 : 0;
      this.ringXid[slot] = this.nextXid;
      this.outstanding++;
      picked.push(frame);
      xids.push(this.nextXid);
      bytes += frame.length;
      this.nextXid = ((this.nextXid + 1) & 0x7fffffff) || 1;
    }
    const out = Buffer.allocUnsafe(bytes);
    let off = 0;
    for (let i = 0; i < picked.length; i++) {
      picked[i].copy(out, off);
      out.writeInt32BE(xids[i], off + 4);
      off += picked[i].length;
    }
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    let buf = this.pendingBytes === null ? chunk : Buffer.concat([this.pendingBytes, chunk]);
    const now = performance.now();
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readInt32BE(off);
      if (len < 0 || len > MAX_FRAME_BYTES) {
        this.protocolErrors++;
        this.closedUnexpectedly ??= new Error(`bad frame length ${len}`);
        this.socket.destroy();
        return;
      }
      if (buf.length - off - 4 < len) break;
      this.onFrame(buf, off + 4, len, now);
      off += 4 + len;
    }
    buf = buf.subarray(off);
    this.pendingBytes = buf.length === 0 ? null : buf;
    this.fill(now);
    if (this.outstanding === 0 && !this.issuing && this.drained) {
      const d = this.drained;
      this.drained = null;
      d();
    }
  }

  private onFrame(buf: Buffer, at: number, len: number, now: number): void {
    if (this.connected !== null) {
      const resp = readConnectResponse(new JuteReader(buf, at, at + len));
      if (resp.timeOut <= 0) {
        this.connected(new Error('server refused the session (timeOut 0)'));
        return;
      }
      this.sessionId = resp.sessionId;
      this.connected(null);
      return;
    }
    if (len < REPLY_HEADER_BYTES) { this.protocolErrors++; return; }
    const xid = buf.readInt32BE(at);
    const err = buf.readInt32BE(at + 12);
    if (xid === Xid.notification || xid === Xid.ping) return;
    if (this.load !== null && this.outstanding > 0) {
      const slot = this.ringHead;
      if (this.ringXid[slot] !== xid) this.protocolErrors++;
      this.ringHead = (this.ringHead + 1) % this.window;
      this.outstanding--;
      this.repliesUnderLoad++;
      this.load.sink.onReply(this.ringIsRead[slot] === 1, (now - this.ringSentAt[slot]) * 1000, err, this.ringSentAt[slot]);
      return;
    }
    const call = this.setupCalls.shift();
    // A copy: `buf` may be a socket chunk that is reused or retained far longer than needed.
    if (call) call.resolve({ err, body: Buffer.from(buf.subarray(at + REPLY_HEADER_BYTES, at + len)) });
    else if (!this.closing) this.protocolErrors++;
  }
}

/** Creates a node, treating "already there" as success (external targets, retried setups). */
export async function ensureNode(session: BenchSession, path: string, data: Buffer | null): Promise<void> {
  const err = await session.call(frames.create(path, data));
  if (err !== 0 && err !== ErrorCode.NODEEXISTS) throw new Error(`create ${path}: error ${err}`);
}
