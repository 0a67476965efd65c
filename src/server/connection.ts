// One client connection: frames in, requests to the server, replies and watch notifications out.
// It owns the per-connection state ZooKeeper keeps in ServerCnxn (session, auth ids, stats).

import type { Socket } from 'node:net';
import { JuteReader } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import {
  type ACL, type WatcherEvent,
  readConnectRequest, readRequestHeader, readAuthPacket, writeReplyHeader, writeWatcherEvent,
  type ConnectRequest,
} from '../jute/records.js';
import { Perm } from '../protocol/constants.js';
import { hasPermission } from '../pipeline/acl.js';
import { AuthIds } from '../pipeline/auth-ids.js';
import type { DigestMd5Server } from './sasl/digest-md5.js';
import type { ClientSink } from '../pipeline/pipeline.js';
import type { Watcher } from '../tree/watch-manager.js';
import { FrameDecoder, FrameError } from './framing.js';
import type { Logger } from '../log/logger.js';
import type { ServerMetrics } from './metrics.js';
import { hex } from '../log/logger.js';
import { OUT_BUFFER_BYTES, OUT_BUFFER_KEEP_BYTES, SOCKET_BACKLOG_BYTES_MAX } from './limits.js';

/** What a connection asks of the server. */
export interface ConnectionOwner {
  readonly log: Logger;
  readonly metrics: ServerMetrics;
  /** A reply or notification of `bytes` (header and body, without the length prefix) was queued. */
  responded(bytes: number): void;
  maxFrameBytes(): number;
  isFourLetterWord(head: Buffer): boolean;
  fourLetterWord(conn: ClientConnection, head: Buffer): void;
  connectRequest(conn: ClientConnection, req: ConnectRequest): void;
  request(conn: ClientConnection, xid: number, type: number, body: Buffer): void;
  auth(conn: ClientConnection, xid: number, scheme: string, auth: Buffer): void;
  closed(conn: ClientConnection): void;
  /**
   * Whether this connection should stop reading: the server is over its outstanding-request limit
   * and the connection has requests of its own in flight (ZooKeeper's shouldThrottle), so a
   * connection whose last reply has gone out is always read again.
   */
  throttled(conn: ClientConnection): boolean;
}

export interface ConnectionStats {
  packetsReceived: number;
  packetsSent: number;
  lastCxid: number;
  lastZxid: number;
  lastOp: string;
  lastResponseTimeMs: number;
  lastLatencyMs: number;
  minLatencyMs: number;
  maxLatencyMs: number;
  totalLatencyMs: number;
  latencyCount: number;
  establishedAtMs: number;
}

let nextConnectionId = 1;

export class ClientConnection implements ClientSink, Watcher {
  readonly id = nextConnectionId++;
  state: 'new' | 'connecting' | 'connected' | 'closed' = 'new';
  sessionId = 0n;
  sessionTimeoutMs = 0;
  /** Came in on the secure client port (TLS). */
  secure = false;
  /** This connection's SASL exchange, once it has begun. */
  saslServer: DigestMd5Server | null = null;
  /** The client sent ConnectRequest without the trailing readOnly byte (a pre-3.3 client). */
  oldClient = false;
  /** Authenticated identities, in ZooKeeper's iteration order (see AuthIds). */
  readonly auth: AuthIds;
  readonly remoteAddress: string;
  readonly remotePort: number;
  outstanding = 0;
  readonly stats: ConnectionStats;
  private readonly decoder: FrameDecoder;
  /** Frames sent in this turn of the event loop, written to the socket together when it ends. */
  private out = new JuteWriter(OUT_BUFFER_BYTES);
  private flushQueued = false;
  private paused = false;

  constructor(readonly socket: Socket, private readonly owner: ConnectionOwner, nowMs: number) {
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.auth = new AuthIds([{ scheme: 'ip', id: this.remoteAddress }]);
    this.decoder = new FrameDecoder(owner.maxFrameBytes());
    this.stats = {
      packetsReceived: 0, packetsSent: 0, lastCxid: -1, lastZxid: -1, lastOp: 'NA', lastResponseTimeMs: 0,
      lastLatencyMs: 0, minLatencyMs: Number.MAX_SAFE_INTEGER, maxLatencyMs: 0, totalLatencyMs: 0, latencyCount: 0,
      establishedAtMs: nowMs,
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => owner.log.debug(`connection ${this.describe()} error: ${err.message}`));
    socket.on('close', () => this.finish());
    socket.on('drain', () => this.maybeResume());
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Watches from a closed connection are not registered (ZooKeeper's stale-watcher check). */
  isStale(): boolean {
    return this.state === 'closed';
  }

  get watcher(): Watcher {
    return this;
  }

  describe(): string {
    return `${this.remoteAddress}:${this.remotePort}${this.sessionId !== 0n ? ` session ${hex(this.sessionId)}` : ''}`;
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    try {
      if (this.state === 'new') {
        // A four-letter word arrives instead of a ConnectRequest's length prefix.
        const frames = this.decodeNew(chunk);
        if (frames === null) return;
        for (const f of frames) this.onFrame(f);
        return;
      }
      for (const f of this.decoder.push(chunk)) {
        this.onFrame(f);
        if (this.isClosed()) return;
      }
    } catch (err) {
      const why = err instanceof FrameError ? err.message : err instanceof Error ? err.message : String(err);
      this.owner.log.warn(`closing connection ${this.describe()}: malformed input: ${why}`);
      this.close();
    }
  }

  private headBuf: Buffer[] = [];
  private decodeNew(chunk: Buffer): Buffer[] | null {
    this.headBuf.push(chunk);
    const all = Buffer.concat(this.headBuf);
    if (all.length < 4) return null;
    this.headBuf = [];
    const head = all.subarray(0, 4);
    if (this.owner.isFourLetterWord(head)) {
      this.state = 'connecting';
      this.socket.pause();
      this.owner.fourLetterWord(this, Buffer.from(head));
      return null;
    }
    this.state = 'connecting';
    return this.decoder.push(all);
  }

  private onFrame(frame: Buffer): void {
    this.stats.packetsReceived++;
    this.owner.metrics.bytesReceivedCount.inc(frame.length + 4);
    if (this.sessionId === 0n && this.state === 'connecting' && !this.awaitingSession) {
      this.awaitingSession = true;
      const req = readConnectRequest(new JuteReader(frame));
      this.oldClient = !req.hasReadOnly;
      this.owner.connectRequest(this, req);
      return;
    }
    if (this.state !== 'connected') {
      // ZooKeeper stops reading until the session is established; a pipelining client that sends
      // early gets its requests queued behind the session by this flag.
      this.early.push(frame);
      return;
    }
    this.dispatch(frame);
  }

  private awaitingSession = false;
  private early: Buffer[] = [];

  /** The session is established: start serving requests (including any that arrived early). */
  established(sessionId: bigint, timeoutMs: number): void {
    this.sessionId = sessionId;
    this.sessionTimeoutMs = timeoutMs;
    this.state = 'connected';
    const early = this.early;
    this.early = [];
    for (const f of early) {
      if (this.state !== 'connected') return;
      this.dispatch(f);
    }
  }

  private dispatch(frame: Buffer): void {
    const r = new JuteReader(frame);
    const { xid, type } = readRequestHeader(r);
    if (type === 100) {
      const ap = readAuthPacket(r);
      this.owner.auth(this, xid, ap.scheme, ap.auth);
      return;
    }
    this.outstanding++;
    this.owner.request(this, xid, type, frame.subarray(8));
    if (this.owner.throttled(this)) this.pause();
  }

  /** Queues one frame: length, then what `fill` writes. Returns its size in bytes (0 when closed). */
  private send(fill: (w: JuteWriter) => void): number {
    if (this.state === 'closed') return 0;
    const w = this.out;
    const start = w.length;
    try {
      w.writeInt(0);
      fill(w);
    } catch (err) {
      // Never leave half a frame in front of the next one.
      w.truncate(start);
      throw err;
    }
    w.patchInt(start, w.length - start - 4);
    this.stats.packetsSent++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(this.flushOut);
    }
    return w.length - start;
  }

  /** One socket write for every frame queued in this turn (a group commit answers many at once). */
  private readonly flushOut = (): void => {
    this.flushQueued = false;
    if (this.out.length === 0) return;
    if (this.socket.writableEnded || this.socket.destroyed) {
      this.out.reset();
      return;
    }
    if (this.out.capacity > OUT_BUFFER_KEEP_BYTES) {
      // A turn of large replies: the socket takes the buffer itself and the connection starts a
      // small one, rather than keep the large one for its lifetime.
      this.socket.write(this.out.view());
      this.out = new JuteWriter(OUT_BUFFER_BYTES);
    } else {
      this.socket.write(this.out.toBuffer());
      this.out.reset();
    }
    if (this.socket.writableLength > SOCKET_BACKLOG_BYTES_MAX) this.pause();
  };

  sendRaw(frameBody: Buffer): void {
    this.send((w) => w.writeRaw(frameBody));
  }

  sendReply(xid: number, zxid: number, err: number, body: Buffer | null): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    this.owner.metrics.responseBytes.inc(this.sendFrame(xid, zxid, err, body));
    this.maybeResume();
  }

  /** A reply outside the request pipeline (auth answers). */
  sendFrame(xid: number, zxid: number, err: number, body: Buffer | null): number {
    const bytes = this.send((w) => {
      writeReplyHeader(w, { xid, zxid, err });
      if (body) w.writeRaw(body);
    });
    if (bytes > 0) this.owner.responded(bytes - 4);
    return bytes;
  }

  /** Watch notification; ZooKeeper 3.9 only delivers it if the client may READ the znode. */
  notify(event: WatcherEvent, zxid: number, acl: readonly ACL[] | null): void {
    if (acl && !hasPermission(acl, Perm.READ, this.auth.list)) return;
    const bytes = this.send((w) => {
      writeReplyHeader(w, { xid: -1, zxid, err: 0 });
      writeWatcherEvent(w, event);
    });
    if (bytes > 0) this.owner.responded(bytes - 4);
    this.owner.metrics.watchBytes.inc(bytes);
  }

  recordLatency(cxid: number, zxid: number, op: string, latencyMs: number, nowMs: number): void {
    const s = this.stats;
    s.lastCxid = cxid;
    s.lastZxid = zxid;
    s.lastOp = op;
    s.lastResponseTimeMs = nowMs;
    s.lastLatencyMs = latencyMs;
    s.minLatencyMs = Math.min(s.minLatencyMs, latencyMs);
    s.maxLatencyMs = Math.max(s.maxLatencyMs, latencyMs);
    s.totalLatencyMs += latencyMs;
    s.latencyCount++;
  }

  resetStats(): void {
    const s = this.stats;
    s.packetsReceived = 0;
    s.packetsSent = 0;
    s.lastCxid = -1;
    s.lastZxid = -1;
    s.lastOp = 'NA';
    s.lastResponseTimeMs = 0;
    s.lastLatencyMs = 0;
    s.minLatencyMs = Number.MAX_SAFE_INTEGER;
    s.maxLatencyMs = 0;
    s.totalLatencyMs = 0;
    s.latencyCount = 0;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  maybeResume(): void {
    if (!this.paused || this.state === 'closed') return;
    if (this.owner.throttled(this) || this.socket.writableLength > SOCKET_BACKLOG_BYTES_MAX) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Sends what is queued, then closes. */
  close(): void {
    if (this.state === 'closed') return;
    this.flushOut();
    this.state = 'closed';
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.finish();
  }

  private finished = false;
  private finish(): void {
    this.state = 'closed';
    if (this.finished) return;
    this.finished = true;
    this.owner.closed(this);
  }
}

function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
