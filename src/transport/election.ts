// The election-port transport (ZooKeeper 3.8's QuorumCnxManager): one TCP connection per pair of
// peers, kept by the larger sid, carrying length-prefixed FLE notifications through 1-slot send queues.

import net from 'node:net';
import { JuteError } from '../jute/errors.js';
import { decodeInitialMessage, encodeInitialMessage, ELECTION_PACKET_MAX_BYTES } from '../jute/quorum.js';
import { systemClock, type Clock, type TimerHandle } from '../host/clock.js';
import { tcpNet, type NetEnv } from './net-env.js';

export interface ElectionPeer {
  host: string;
  port: number;
}

export interface ElectionTransportOptions {
  selfId: number;
  /** Address to bind (quorumListenOnAllIPs binds 0.0.0.0 on the same port). */
  bindHost: string;
  port: number;
  /** `host:port` sent in our header (our configured election address). */
  advertisedAddress: string;
  /** Every other configured server's election address by sid (voters and observers). */
  peers: ReadonlyMap<number, ElectionPeer>;
  /** cnxTimeout: TCP connect timeout, ms (ZooKeeper default 5000). */
  connectTimeoutMs: number;
  /** How long an accepted socket may take to deliver its header (tickTime*syncLimit), ms. */
  handshakeTimeoutMs: number;
  /** Delivered frames (FLE notification payloads); sid = the sender. Self-sends are looped back here too, asynchronously. */
  onMessage(sid: number, payload: Buffer): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /** Sockets (default TCP) and time (default the system clock): the simulator passes fakes. */
  net?: NetEnv;
  clock?: Clock;
}

/** One live peer connection, for diagnostics and tests. */
export interface ElectionConnection {
  sid: number;
  /** True when we dialled it (we are the larger sid). */
  initiator: boolean;
  localPort: number;
  remotePort: number;
}

// ---------------------------------------------------------------- parsers (no I/O)

export type HeaderStep =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  /** `callBack`: where to dial the sender back, when its header named a usable (non-wildcard) address. */
  | { kind: 'header'; sid: number; callBack: ElectionPeer | null; bytes: number };

/** Reads the initial header from the bytes an accepted socket has delivered so far. */
export function readElectionHeader(buf: Buffer): HeaderStep {
  let init;
  try {
    init = decodeInitialMessage(buf);
  } catch (err) {
    if (err instanceof JuteError) return { kind: 'invalid', reason: err.message };
    throw err;
  }
  if (init === null) return { kind: 'incomplete' };
  // Java's String.split drops trailing empty strings, so "a:1|" names one address.
  const parts = [...init.addresses];
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  let callBack: ElectionPeer | null = null;
  for (const part of parts) {
    const peer = parseElectionAddress(part);
    // InitialMessage.parse refuses the whole header when any address is malformed.
    if (peer === null) return { kind: 'invalid', reason: `badly formed election address '${part}' from sid ${init.sid}` };
    if (callBack === null && !isWildcardHost(peer.host)) callBack = peer;
  }
  return { kind: 'header', sid: init.sid, callBack, bytes: init.bytes };
}

/** `host:port` or `[v6]:port`, as ConfigUtils.getHostAndPort splits them; null when malformed. */
export function parseElectionAddress(text: string): ElectionPeer | null {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return null;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const parts = text.split(':');
    if (parts.length !== 2) return null;
    [host, portText] = parts as [string, string];
  }
  if (!/^\+?[0-9]{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  return port <= 65535 ? { host, port } : null;
}

/** 0.0.0.0 and :: say "any interface", which is no address to dial back. */
export function isWildcardHost(host: string): boolean {
  const family = net.isIP(host);
  if (family === 4) return host.split('.').every((octet) => Number(octet) === 0);
  if (family === 6) return /^[0:]+$/.test(host);
  return false;
}

export type FrameStep = { kind: 'incomplete' } | { kind: 'invalid'; reason: string } | { kind: 'frame'; payload: Buffer };

const INCOMPLETE: FrameStep = { kind: 'incomplete' };

/** Splits the byte stream after the header into `int32 length, payload` frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next frame (a copy, so it does not pin the socket's read buffer), or why the stream is bad. */
  next(): FrameStep {
    if (this.buffered < 4) return INCOMPLETE;
    const length = this.peekInt32();
    // Checked before the payload arrives, as RecvWorker does, so a bogus length costs no memory.
    if (length <= 0 || length > ELECTION_PACKET_MAX_BYTES) {
      return { kind: 'invalid', reason: `invalid frame length ${length} (allowed 1..${ELECTION_PACKET_MAX_BYTES})` };
    }
    if (this.buffered < 4 + length) return INCOMPLETE;
    this.take(4);
    return { kind: 'frame', payload: this.take(length) };
  }

  private peekInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.allocUnsafe(4);
    let filled = 0;
    for (const chunk of this.chunks) {
      filled += chunk.copy(head, filled, 0, Math.min(chunk.length, 4 - filled));
      if (filled === 4) break;
    }
    return head.readInt32BE(0);
  }

  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const k = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, k);
      filled += k;
      if (k === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}

export function encodeElectionFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

// ---------------------------------------------------------------- the transport

interface Link {
  readonly sid: number;
  readonly socket: net.Socket;
  readonly initiator: boolean;
  readonly frames: FrameReader;
  closed: boolean;
  error: Error | null;
}

const EMPTY: Buffer = Buffer.alloc(0);

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function remoteOf(socket: net.Socket): string {
  return formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
}

export class ElectionTransport {
  private readonly opts: ElectionTransportOptions;
  private readonly header: Buffer;
  private server: net.Server | null = null;
  private boundPort = 0;
  private stopped = false;
  private listening: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** QCM.senderWorkerMap: the one live connection per sid. */
  private readonly links = new Map<number, Link>();
  /** QCM.queueSendMap with SEND_CAPACITY 1: a newer message overwrites an unsent one. Holds framed bytes. */
  private readonly sendSlots = new Map<number, Buffer | null>();
  /** QCM.lastMessageSent: re-sent when a connection starts with nothing newer queued. */
  private readonly lastSent = new Map<number, Buffer>();
  /** QCM.inprogressConnections: at most one dial per sid. */
  private readonly dialling = new Map<number, net.Socket>();
  /** Every socket not yet closed, so stop() can close them and wait for their 'close'. */
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<TimerHandle>();
  private readonly net: NetEnv;
  private readonly clock: Clock;

  constructor(opts: ElectionTransportOptions) {
    if (!Number.isSafeInteger(opts.selfId)) throw new RangeError(`selfId must be a safe integer, got ${opts.selfId}`);
    if (!(opts.connectTimeoutMs > 0)) throw new RangeError(`connectTimeoutMs must be > 0, got ${opts.connectTimeoutMs}`);
    if (!(opts.handshakeTimeoutMs > 0)) throw new RangeError(`handshakeTimeoutMs must be > 0, got ${opts.handshakeTimeoutMs}`);
    this.opts = opts;
    this.net = opts.net ?? tcpNet;
    this.clock = opts.clock ?? systemClock;
    this.header = encodeInitialMessage(opts.selfId, opts.advertisedAddress);
  }

  get port(): number {
    return this.boundPort;
  }

  start(): Promise<void> {
    if (this.server !== null || this.stopped) return Promise.reject(new Error('election transport already started or stopped'));
    const address = formatAddress(this.opts.bindHost, this.opts.port);
    const server = this.net.createServer((socket) => this.onAccept(socket));
    this.server = server;
    this.listening = new Promise<void>((resolve, reject) => {
      const onListenError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message;
        reject(new Error(`cannot listen on election address ${address}: ${why}`, { cause: err }));
      };
      server.once('error', onListenError);
      server.listen({ host: this.opts.bindHost, port: this.opts.port }, () => {
        server.off('error', onListenError);
        server.on('error', (err) => this.log('error', `election listener ${address}: ${err.message}`));
        this.boundPort = (server.address() as net.AddressInfo).port;
        this.log('info', `election listener on ${formatAddress(this.opts.bindHost, this.boundPort)}, sid ${this.opts.selfId}`);
        resolve();
      });
    });
    return this.listening;
  }

  /** QCM.toSend. `payload` is copied, so the caller may reuse it. */
  send(sid: number, payload: Buffer): void {
    if (!Number.isSafeInteger(sid)) throw new RangeError(`sid must be a safe integer, got ${sid}`);
    if (payload.length < 1 || payload.length > ELECTION_PACKET_MAX_BYTES) {
      throw new RangeError(`election payload must be 1..${ELECTION_PACKET_MAX_BYTES} bytes, got ${payload.length}`);
    }
    if (this.stopped) return;
    if (sid === this.opts.selfId) {
      const copy = Buffer.from(payload);
      setImmediate(() => this.deliver(sid, copy));
      return;
    }
    this.sendSlots.set(sid, encodeElectionFrame(payload));
    const link = this.links.get(sid);
    if (link !== undefined) this.pump(link);
    else this.connectOne(sid);
  }

  /** Dials every peer we have ever queued for and are not connected to (FLE calls it when nothing was delivered). */
  connectAll(): void {
    for (const sid of this.sendSlots.keys()) this.connectOne(sid);
  }

  /** QCM.haveDelivered: true as soon as one peer's slot is empty; false when there are no slots at all. */
  haveDelivered(): boolean {
    for (const frame of this.sendSlots.values()) if (frame === null) return true;
    return false;
  }

  connectedSids(): number[] {
    return [...this.links.keys()].sort((a, b) => a - b);
  }

  connections(): ElectionConnection[] {
    return [...this.links.values()]
      .sort((a, b) => a.sid - b.sid)
      .map((l) => ({ sid: l.sid, initiator: l.initiator, localPort: l.socket.localPort ?? 0, remotePort: l.socket.remotePort ?? 0 }));
  }

  stop(): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.stopped = true;
    for (const timer of this.timers) this.clock.clear(timer);
    this.timers.clear();
    const closed = [...this.sockets].map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    for (const socket of this.sockets) socket.destroy();
    this.links.clear();
    this.dialling.clear();
    const server = this.server;
    // A start() still binding would otherwise leave a listener behind once it binds.
    const serverClosed = (this.listening ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => new Promise<void>((resolve) => (server !== null ? server.close(() => resolve()) : resolve())));
    this.stopping = Promise.all([...closed, serverClosed]).then(() => undefined);
    return this.stopping;
  }

  // ---------------------------------------------------------------- accepting (QCM.handleConnection)

  private onAccept(socket: net.Socket): void {
    if (!this.adopt(socket)) return;
    const remote = remoteOf(socket);
    let received: Buffer = EMPTY;
    const deadline = this.setTimer(() => {
      this.log('warn', `election connection from ${remote}: no complete header within ${this.opts.handshakeTimeoutMs} ms; closing it`);
      socket.destroy();
    }, this.opts.handshakeTimeoutMs);
    socket.once('close', () => this.clearTimer(deadline));
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const step = readElectionHeader(received);
      if (step.kind === 'incomplete') return;
      socket.off('data', onData);
      this.clearTimer(deadline);
      if (step.kind === 'invalid') {
        this.log('warn', `election connection from ${remote}: ${step.reason}; closing it`);
        socket.destroy();
        return;
      }
      this.onHeader(socket, step.sid, step.callBack, received.subarray(step.bytes));
    };
    socket.on('data', onData);
  }

  private onHeader(socket: net.Socket, sid: number, callBack: ElectionPeer | null, rest: Buffer): void {
    const self = this.opts.selfId;
    if (sid < self) {
      // The smaller sid's dial only asks us to call back; it may also mean our connection to it is dead.
      const old = this.links.get(sid);
      if (old !== undefined) this.closeLink(old, 'it dialled us, so it has dropped this connection');
      socket.destroy();
      const target = callBack ?? this.opts.peers.get(sid);
      this.log('debug', `sid ${sid} dialled us; dialling it back${target ? ` at ${formatAddress(target.host, target.port)}` : ''}`);
      this.connectOne(sid, callBack ?? undefined);
    } else if (sid === self) {
      // ZooKeeper leaves this socket open and unread (ZOOKEEPER-2164); so do we, until stop().
      this.log('warn', `election connection from ${remoteOf(socket)} claims our own sid ${sid}: a configuration error?`);
      socket.pause();
    } else {
      this.startLink(sid, socket, false, rest);
    }
  }

  // ---------------------------------------------------------------- dialling (QCM.connectOne, startConnection)

  private connectOne(sid: number, address?: ElectionPeer): void {
    if (this.stopped || this.links.has(sid)) return;
    const peer = address ?? this.opts.peers.get(sid);
    if (peer === undefined) {
      this.log('warn', `invalid server id ${sid}: not a configured peer`);
      return;
    }
    if (this.dialling.has(sid)) return;
    this.dial(sid, peer);
  }

  private dial(sid: number, peer: ElectionPeer): void {
    const socket = this.net.createSocket();
    if (!this.adopt(socket)) return;
    this.dialling.set(sid, socket);
    const target = formatAddress(peer.host, peer.port);
    const timer = this.setTimer(() => socket.destroy(new Error(`connect timed out after ${this.opts.connectTimeoutMs} ms`)), this.opts.connectTimeoutMs);
    const settle = (): void => {
      this.clearTimer(timer);
      if (this.dialling.get(sid) === socket) this.dialling.delete(sid);
    };
    // Settled on the error itself: a socket's 'close' comes a turn later, and a retry must not be skipped meanwhile.
    const onConnectError = (err: Error): void => {
      settle();
      this.log('warn', `cannot open channel to sid ${sid} at ${target}: ${err.message}`);
    };
    socket.once('error', onConnectError);
    socket.once('close', settle);
    socket.once('connect', () => {
      settle();
      socket.off('error', onConnectError);
      this.onDialled(sid, socket);
    });
    socket.connect({ host: peer.host, port: peer.port });
  }

  private onDialled(sid: number, socket: net.Socket): void {
    if (sid > this.opts.selfId) {
      // The larger sid keeps the connection: our header just asks it to dial us.
      this.log('debug', `sid ${sid} is larger than ours; sent our header so it dials us`);
      socket.end(this.header, () => socket.destroy());
      return;
    }
    socket.write(this.header);
    this.startLink(sid, socket, true, EMPTY);
  }

  // ---------------------------------------------------------------- live connections (SendWorker, RecvWorker)

  private startLink(sid: number, socket: net.Socket, initiator: boolean, rest: Buffer): void {
    const old = this.links.get(sid);
    if (old !== undefined) this.closeLink(old, 'replaced by a newer connection');
    const link: Link = { sid, socket, initiator, frames: new FrameReader(), closed: false, error: null };
    this.links.set(sid, link);
    if (!this.sendSlots.has(sid)) this.sendSlots.set(sid, null);
    socket.on('data', (chunk: Buffer) => this.onLinkData(link, chunk));
    socket.on('drain', () => this.pump(link));
    socket.on('error', (err) => (link.error ??= err));
    socket.once('close', () => this.onLinkClosed(link));
    this.log('info', `election connection with sid ${sid} up (${initiator ? 'dialled' : 'accepted'} ${remoteOf(socket)})`);
    // The last message may have died with the previous connection; peers tolerate the duplicate.
    const last = this.lastSent.get(sid);
    if (this.sendSlots.get(sid) === null && last !== undefined) socket.write(last);
    this.pump(link);
    if (rest.length > 0) this.onLinkData(link, rest);
  }

  /** SendWorker: hands the slot to the socket only when it has room, so a stalled peer keeps just the newest message. */
  private pump(link: Link): void {
    while (!link.closed && !link.socket.writableNeedDrain) {
      const frame = this.sendSlots.get(link.sid);
      if (frame === null || frame === undefined) return;
      this.sendSlots.set(link.sid, null);
      this.lastSent.set(link.sid, frame);
      link.socket.write(frame);
    }
  }

  private onLinkData(link: Link, chunk: Buffer): void {
    link.frames.push(chunk);
    while (!link.closed && !this.stopped) {
      const step = link.frames.next();
      if (step.kind === 'incomplete') return;
      if (step.kind === 'invalid') {
        this.closeLink(link, step.reason);
        return;
      }
      this.deliver(link.sid, step.payload);
    }
  }

  private closeLink(link: Link, reason: string): void {
    if (link.closed) return;
    link.closed = true;
    if (this.links.get(link.sid) === link) this.links.delete(link.sid);
    link.socket.destroy();
    this.log('warn', `closing election connection with sid ${link.sid}: ${reason}`);
  }

  private onLinkClosed(link: Link): void {
    if (link.closed) return;
    link.closed = true;
    if (this.links.get(link.sid) === link) this.links.delete(link.sid);
    this.log('warn', `election connection with sid ${link.sid} closed${link.error ? `: ${link.error.message}` : ''}`);
  }

  private deliver(sid: number, payload: Buffer): void {
    if (this.stopped) return;
    try {
      this.opts.onMessage(sid, payload);
    } catch (err) {
      this.log('error', `onMessage threw for a message from sid ${sid}: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- bookkeeping

  /** Registers a socket for stop(); false (and the socket destroyed) once stopped. */
  private adopt(socket: net.Socket): boolean {
    if (this.stopped) {
      socket.destroy();
      return false;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', (err) => this.log('debug', `election socket ${remoteOf(socket)}: ${err.message}`));
    socket.once('close', () => this.sockets.delete(socket));
    return true;
  }

  private setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: TimerHandle): void {
    this.clock.clear(timer);
    this.timers.delete(timer);
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    if (!this.stopped) this.opts.log(level, message);
  }
}
