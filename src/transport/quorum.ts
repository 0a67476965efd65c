// The quorum-port connection (ZooKeeper 3.8's Learner ⇄ LearnerHandler byte stream): back-to-back
// jute QuorumPacket records with no length prefix, except that after a SNAP packet the leader
// writes the raw snapshot stream (ending in the ustring "BenWasHere") before packets resume.
// The socket callbacks stay thin; QuorumPacketReader splits the bytes apart from any I/O.

import net from 'node:net';
import { JuteError } from '../jute/errors.js';
import { decodeQuorumPacket, encodeQuorumPacket, type QuorumPacket } from '../jute/quorum.js';
import { systemClock, type Clock } from '../host/clock.js';
import { tcpNet, type NetEnv } from './net-env.js';

export interface QuorumConnectionOptions {
  /** jute.maxbuffer + extrasize: the bound for a packet's data and strings (ZooKeeper default 2 * 0xfffff). */
  maxBufferBytes: number;
  onPacket(p: QuorumPacket): void;
  /** The connection closed (either side, error, or a malformed packet); `reason` for the log. Called once. */
  onClose(reason: string): void;
}

/** Consumes the raw bytes that follow a SNAP packet; returns the bytes it did not consume once it is done, or null while it wants more. */
export interface RawStreamConsumer {
  push(chunk: Buffer): Buffer | null;
}

// ---------------------------------------------------------------- the parser (no I/O)

const EMPTY: Buffer = Buffer.alloc(0);
/** An empty owned store larger than this is dropped rather than kept for the next packet. */
const KEEP_STORE_BYTES = 64 * 1024;

const enum Scan {
  DATA_LENGTH,
  AUTH_COUNT,
  AUTH_STRINGS,
}

/**
 * Splits a quorum-port byte stream into packets. Bytes are kept in one contiguous store that grows
 * geometrically (sized for the packet once its data length is known) and is compacted only when a
 * packet's prefix is left over, so a large packet arriving in small pieces costs linear copying. A
 * resumable scan of the packet's length fields says how many bytes the packet needs, so the decoder
 * runs once per packet rather than once per chunk.
 */
export class QuorumPacketReader {
  private store: Buffer = EMPTY;
  /** False while `store` is a buffer we were given (or handed out): never written into. */
  private owned = false;
  private start = 0;
  private end = 0;
  // The scan of the packet at `start`: the next length field's offset (relative to start), what it is,
  // and how many authinfo strings are still to be scanned.
  private scanAt = 12;
  private scan = Scan.DATA_LENGTH;
  private stringsLeft = 0;
  /** Bytes the packet at `start` needs at least before decoding is worth trying. */
  private need = 16;

  constructor(private readonly maxBufferBytes: number) {
    if (!(maxBufferBytes >= 0)) throw new RangeError(`maxBufferBytes must be >= 0, got ${maxBufferBytes}`);
  }

  /** Bytes received and not yet returned as packets (or handed out by takeRemaining). */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Appends bytes. The reader may keep a reference to `chunk`, so the caller must not modify it afterwards. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const live = this.end - this.start;
    if (live === 0) {
      if (!this.owned || this.store.length < chunk.length) {
        // Nothing pending: borrow the chunk instead of copying it (the common whole-packets case).
        this.store = chunk;
        this.owned = false;
        this.start = 0;
        this.end = chunk.length;
        return;
      }
      this.start = this.end = 0;
    }
    if (this.owned && this.end + chunk.length <= this.store.length) {
      chunk.copy(this.store, this.end);
      this.end += chunk.length;
      return;
    }
    if (this.owned && live + chunk.length <= this.store.length) {
      this.store.copyWithin(0, this.start, this.end);
    } else {
      const size = Math.max(live + chunk.length, this.need, Math.min(2 * this.store.length, 2 * (live + chunk.length)));
      const grown = Buffer.allocUnsafe(size);
      this.store.copy(grown, 0, this.start, this.end);
      this.store = grown;
      this.owned = true;
    }
    this.end = live;
    this.start = 0;
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  /** The next packet, or null until more bytes arrive. Throws the decoder's JuteError for a malformed packet. */
  next(): QuorumPacket | null {
    const live = this.end - this.start;
    if (live < this.need) return null;
    if (!this.scanToEnd()) return null;
    const view = this.store.subarray(this.start, this.end);
    const decoded = decodeQuorumPacket(view, 0, this.maxBufferBytes);
    if (decoded === null) {
      // The scan and the decoder disagree; the decoder decides. Not expected to happen.
      this.need = live + 1;
      return null;
    }
    this.consume(decoded.next);
    return decoded.packet;
  }

  /** Hands out every buffered byte (for the raw stream after SNAP) and forgets them. */
  takeRemaining(): Buffer {
    const out = this.store.subarray(this.start, this.end);
    // The caller may keep `out`, so the store is never written again.
    this.store = EMPTY;
    this.owned = false;
    this.start = this.end = 0;
    this.resetScan();
    return out;
  }

  /**
   * Walks the packet's length fields from where the last call stopped. True when the packet is
   * complete, or when a length is out of bounds (the decoder then throws the JuteError naming it).
   */
  private scanToEnd(): boolean {
    const live = this.end - this.start;
    for (;;) {
      if (this.scan === Scan.AUTH_STRINGS && this.stringsLeft === 0) {
        this.need = this.scanAt;
        return live >= this.scanAt;
      }
      if (live < this.scanAt + 4) {
        this.need = this.scanAt + 4;
        return false;
      }
      const len = this.store.readInt32BE(this.start + this.scanAt);
      if (len < -1 || len > this.maxBufferBytes) return true;
      switch (this.scan) {
        case Scan.DATA_LENGTH:
          this.scanAt += 4 + Math.max(len, 0);
          this.scan = Scan.AUTH_COUNT;
          break;
        case Scan.AUTH_COUNT:
          this.scanAt += 4;
          this.stringsLeft = 2 * Math.max(len, 0);
          this.scan = Scan.AUTH_STRINGS;
          break;
        case Scan.AUTH_STRINGS:
          this.scanAt += 4 + Math.max(len, 0);
          this.stringsLeft--;
          break;
      }
    }
  }

  private consume(n: number): void {
    this.start += n;
    this.resetScan();
    if (this.start === this.end) {
      this.start = this.end = 0;
      if (!this.owned || this.store.length > KEEP_STORE_BYTES) {
        this.store = EMPTY;
        this.owned = false;
      }
    }
  }

  private resetScan(): void {
    this.scanAt = 12;
    this.scan = Scan.DATA_LENGTH;
    this.stringsLeft = 0;
    this.need = 16;
  }
}

// ---------------------------------------------------------------- the connection

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class QuorumConnection {
  /** "host:port" of the peer, for logs. */
  readonly remote: string;
  private readonly socket: net.Socket;
  private readonly opts: QuorumConnectionOptions;
  private readonly reader: QuorumPacketReader;
  private raw: RawStreamConsumer | null = null;
  private closed = false;
  /** True while pump() runs, so a readRaw() from onPacket is picked up by the running loop. */
  private pumping = false;
  private socketError: Error | null = null;

  constructor(socket: net.Socket, opts: QuorumConnectionOptions) {
    this.socket = socket;
    this.opts = opts;
    this.reader = new QuorumPacketReader(opts.maxBufferBytes);
    this.remote = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => (this.socketError ??= err));
    socket.once('close', () => this.onSocketClosed());
    if (socket.destroyed) queueMicrotask(() => this.finish('the socket was already closed'));
  }

  /** Encodes and writes a packet; a no-op once closed. Throws (RangeError) for a packet that cannot be encoded. */
  send(p: QuorumPacket): void {
    if (this.closed) return;
    this.socket.write(encodeQuorumPacket(p));
  }

  /** Writes bytes as they are (the leader's snapshot stream); a no-op once closed. `bytes` must not change until flushed. */
  sendRaw(bytes: Buffer): void {
    if (this.closed || bytes.length === 0) return;
    this.socket.write(bytes);
  }

  /**
   * From the next unparsed byte on, bytes go to `consumer` until it returns its leftover; packets then
   * resume, the leftover parsed first. Call it from inside onPacket of the SNAP packet so no byte
   * after SNAP is parsed as a packet. The consumer is only called with non-empty chunks.
   */
  readRaw(consumer: RawStreamConsumer): void {
    if (this.closed) return;
    if (this.raw !== null) throw new Error('readRaw: a raw stream is already being read');
    this.raw = consumer;
    // Outside a delivery, bytes already buffered must not wait for the next chunk.
    if (!this.pumping && this.reader.buffered > 0) queueMicrotask(() => this.pump());
  }

  /**
   * Ends a raw read whose consumer finished asynchronously (its push returned null throughout):
   * `leftover`, the bytes it was given past its stream's end, is parsed as packets, then whatever
   * arrives next. A no-op once closed.
   */
  finishRaw(leftover: Buffer): void {
    if (this.closed) return;
    if (this.raw === null) throw new Error('finishRaw: no raw stream is being read');
    this.raw = null;
    this.reader.push(leftover);
    this.pump();
  }

  /** Bytes queued in the socket not yet flushed (socket.writableLength), for back-pressure decisions. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /** Destroys the socket; onClose(reason) once (synchronously, unless already closed). */
  close(reason: string): void {
    this.finish(reason);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.reader.push(chunk);
    this.pump();
  }

  /** Delivers what the buffered bytes hold: raw chunks to the consumer, packets to onPacket. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        if (this.raw !== null) {
          if (this.reader.buffered === 0) return;
          const chunk = this.reader.takeRemaining();
          let leftover: Buffer | null;
          try {
            leftover = this.raw.push(chunk);
          } catch (err) {
            this.finish(`raw stream consumer threw: ${messageOf(err)}`);
            return;
          }
          if (leftover === null) continue;
          this.raw = null;
          this.reader.push(leftover);
          continue;
        }
        let packet: QuorumPacket | null;
        try {
          packet = this.reader.next();
        } catch (err) {
          if (!(err instanceof JuteError)) throw err;
          this.finish(`malformed packet from ${this.remote}: ${err.message}`);
          return;
        }
        if (packet === null) return;
        try {
          this.opts.onPacket(packet);
        } catch (err) {
          this.finish(`onPacket threw for a packet of type ${packet.type}: ${messageOf(err)}`);
          return;
        }
      }
    } catch (err) {
      // Not a JuteError nor a callback's: a bug here; still nothing escapes the socket callback.
      this.finish(`internal error reading from ${this.remote}: ${messageOf(err)}`);
    } finally {
      this.pumping = false;
    }
  }

  private onSocketClosed(): void {
    if (this.closed) return;
    let reason = this.socketError !== null ? `socket error: ${this.socketError.message}` : `connection closed by ${this.remote}`;
    const unread = this.reader.buffered;
    if (this.raw !== null) reason += ' in the middle of the raw stream';
    else if (unread > 0) reason += ` with ${unread} bytes of an incomplete packet unread`;
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.raw = null;
    this.socket.destroy();
    try {
      this.opts.onClose(reason);
    } catch (err) {
      process.emitWarning(`quorum connection ${this.remote}: onClose threw: ${messageOf(err)}`);
    }
  }
}

// ---------------------------------------------------------------- dialling and listening

/** Dial a leader's quorum port: resolves with the connected socket (setNoDelay) or rejects after timeoutMs. */
export function connectQuorum(
  host: string, port: number, timeoutMs: number, env: { net?: NetEnv; clock?: Clock } = {},
): Promise<net.Socket> {
  const clock = env.clock ?? systemClock;
  const address = formatAddress(host, port);
  return new Promise<net.Socket>((resolve, reject) => {
    if (!(timeoutMs > 0)) {
      reject(new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`));
      return;
    }
    const socket = (env.net ?? tcpNet).createSocket();
    let settled = false;
    const fail = (message: string, cause?: Error): void => {
      if (settled) return;
      settled = true;
      clock.clear(timer);
      socket.destroy();
      reject(new Error(`cannot connect to quorum address ${address}: ${message}`, cause ? { cause } : undefined));
    };
    const timer = clock.setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onConnectError = (err: Error): void => fail(err.message, err);
    socket.once('error', onConnectError);
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      clock.clear(timer);
      socket.off('error', onConnectError);
      // Until the caller wraps it, an error must not crash the process; 'close' still follows it.
      socket.on('error', () => undefined);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.connect({ host, port });
  });
}

/** Listen for learners: resolves with the server; rejects with a clear error naming the address if the port is taken. */
export function listenQuorum(host: string, port: number, onSocket: (s: net.Socket) => void, netEnv: NetEnv = tcpNet): Promise<net.Server> {
  const address = formatAddress(host, port);
  return new Promise<net.Server>((resolve, reject) => {
    const server = netEnv.createServer((socket) => {
      socket.setNoDelay(true);
      onSocket(socket);
    });
    const onListenError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'the port is already in use' : err.message;
      reject(new Error(`cannot listen on quorum address ${address}: ${why}`, { cause: err }));
    };
    server.once('error', onListenError);
    server.listen({ host, port }, () => {
      server.off('error', onListenError);
      server.on('error', (err) => process.emitWarning(`quorum listener ${address}: ${err.message}`));
      resolve(server);
    });
  });
}
