// The fake world the full-stack simulator (zab-sim.ts) runs production quorum peers in: fake time,
// a fake network of sockets, and fake disks. Everything the peers do outside their own memory goes
// through here, so a run is decided by its seed alone.
//
// Time: one queue of events ordered by (time, sequence). The world pops the earliest, sets the
// clock, runs it, and then lets the peers' code run until it is quiescent (no microtask or
// immediate left: see settle()) before the next event. Timers of a peer are events too; a crashed
// peer's timers are cancelled.
//
// Network: sockets with the subset of net.Socket the transports use. Each direction of a
// connection is FIFO with a delay drawn per write; a connection can be broken (both ends see an
// error and a close, bytes in flight are lost); a dial succeeds only if the listener exists and
// both hosts can reach each other (partitions). One host per member: "10.0.0.<sid>".
//
// Disk: a MemoryVolume per member, surviving its crashes. A txn log append becomes durable an
// fsync delay later; a crash before then loses it, except that a crash may leave a prefix of the
// pending entries on disk ("torn tail": written, never acknowledged). Snapshot and epoch writes are
// atomic. A crashed incarnation's storage objects refuse every later write.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Clock, TimerHandle } from '../../src/host/clock.js';
import type { NetEnv } from '../../src/transport/net-env.js';
import { AbstractTxnLog } from '../../src/storage/abstract-txn-log.js';
import { assembleBackend } from '../../src/storage/backend.js';
import { MemoryEpochStore } from '../../src/storage/memory/epoch-store.js';
import { MemorySnapshotStore } from '../../src/storage/memory/snapshot-store.js';
import { lowerBound, MemoryVolume } from '../../src/storage/memory/volume.js';
import type { EpochName } from '../../src/storage/abstract-epoch-store.js';
import type { AppendOptions, SnapshotInfo, StorageBackend, TxnEntry } from '../../src/storage/spi.js';
import type { Prng } from './prng.js';

// ------------------------------------------------------------------ time

interface SimEvent {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A min-heap of events by (at, seq). */
class EventQueue {
  private readonly heap: SimEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: SimEvent, b: SimEvent): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** A timer of a SimClock: an event, plus the period of an interval. */
interface SimTimer extends TimerHandle {
  event: SimEvent | null;
  periodMs: number;
}

export class World {
  /** Fake time, ms since the epoch (any fixed start will do; this one reads as a date). */
  now = 1_750_000_000_000;
  private seq = 0;
  private readonly queue = new EventQueue();
  /** Events run so far. */
  steps = 0;

  constructor(readonly rng: Prng) {}

  schedule(delayMs: number, fn: () => void): SimEvent {
    const e: SimEvent = { at: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.queue.push(e);
    return e;
  }

  /** Time of the next live event, or Infinity. */
  nextAt(): number {
    for (;;) {
      const e = this.queue.peek();
      if (e === undefined) return Infinity;
      if (!e.cancelled) return e.at;
      this.queue.pop();
    }
  }

  /** Runs the next event (if it is due by `until`) and lets the code it started settle. */
  async step(until: number): Promise<boolean> {
    const at = this.nextAt();
    if (at > until) {
      this.now = Math.max(this.now, until);
      return false;
    }
    const e = this.queue.pop() as SimEvent;
    this.now = e.at;
    this.steps++;
    e.fn();
    await this.settle();
    return true;
  }

  /** Runs events up to `until` (inclusive); `after` runs after each one (the invariant checks). */
  async runUntil(until: number, after?: () => void): Promise<void> {
    while (await this.step(until)) after?.();
  }

  /**
   * Waits until the peers' code has nothing left to do now: no pending immediate. The hosts, the
   * memory structures and the inline snapshot pool's task channels all go through setImmediate;
   * real I/O does not happen in the simulated peers.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 1_000_000; i++) {
      await new Promise<void>((r) => setImmediate(r));
      if (countResources('Immediate') === 0) return;
    }
    throw new Error(`the simulated peers never went quiet: ${process.getActiveResourcesInfo().join(', ')}`);
  }

  /** A clock for one process incarnation: its timers die with it (kill()). */
  clock(): SimClock {
    return new SimClock(this);
  }
}

function countResources(kind: string): number {
  let n = 0;
  for (const r of process.getActiveResourcesInfo()) if (r === kind) n++;
  return n;
}

export class SimClock implements Clock {
  private readonly timers = new Set<SimTimer>();
  private dead = false;

  constructor(private readonly world: World) {}

  now(): number {
    return this.world.now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: SimTimer = { event: null, periodMs: 0 };
    this.arm(t, fn, ms);
    return t;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const t: SimTimer = { event: null, periodMs: Math.max(1, ms) };
    this.arm(t, fn, ms);
    return t;
  }

  clear(timer: TimerHandle | null): void {
    if (timer === null) return;
    const t = timer as SimTimer;
    if (t.event) t.event.cancelled = true;
    t.event = null;
    this.timers.delete(t);
  }

  /** The process died: none of its timers fires again. */
  kill(): void {
    this.dead = true;
    for (const t of this.timers) if (t.event) t.event.cancelled = true;
    this.timers.clear();
  }

  private arm(t: SimTimer, fn: () => void, ms: number): void {
    if (this.dead) return;
    this.timers.add(t);
    t.event = this.world.schedule(ms, () => {
      if (t.periodMs > 0) this.arm(t, fn, t.periodMs);
      else {
        t.event = null;
        this.timers.delete(t);
      }
      fn();
    });
  }
}

// ------------------------------------------------------------------ network

/** One process life: everything it made goes quiet once it dies. */
export interface ProcessLife {
  dead: boolean;
}

export interface NetFaults {
  /** Per-write delay bounds, ms. */
  minDelayMs: number;
  maxDelayMs: number;
}

interface Direction {
  /** Delivery time of the last write: later writes never overtake it. */
  lastAt: number;
}

class SimLink {
  broken = false;
  readonly ab: Direction = { lastAt: 0 };
  readonly ba: Direction = { lastAt: 0 };
  constructor(readonly a: SimSocket, readonly b: SimSocket) {}

  other(s: SimSocket): SimSocket {
    return s === this.a ? this.b : this.a;
  }

  dir(from: SimSocket): Direction {
    return from === this.a ? this.ab : this.ba;
  }
}

/**
 * The subset of net.Socket the transports and the client connection use. Events are emitted from
 * world events, never synchronously inside the call that causes them, as Node does.
 */
export class SimSocket extends EventEmitter {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string;
  localPort = 0;
  destroyed = false;
  writableEnded = false;
  readonly writableLength = 0;
  readonly writableNeedDrain = false;
  link: SimLink | null = null;
  private paused = false;
  private readonly held: Buffer[] = [];
  private closeEmitted = false;

  constructor(readonly net: SimNet, readonly host: string, readonly life: ProcessLife) {
    super();
    this.localAddress = host;
  }

  setNoDelay(): this {
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    this.net.world.schedule(0, () => {
      while (!this.paused && !this.destroyed && this.held.length > 0) this.emit('data', this.held.shift() as Buffer);
    });
    return this;
  }

  connect(opts: { host: string; port: number }): this {
    this.net.dial(this, opts.host, opts.port);
    return this;
  }

  write(data: Uint8Array | string, cb?: (err?: Error) => void): boolean {
    if (this.destroyed || this.writableEnded) return false;
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    this.net.transmit(this, bytes);
    if (cb) this.net.world.schedule(0, () => cb());
    return true;
  }

  end(data?: Uint8Array | string | (() => void), cb?: () => void): this {
    if (typeof data === 'function') {
      cb = data;
      data = undefined;
    }
    if (data !== undefined) this.write(data);
    if (this.writableEnded || this.destroyed) return this;
    this.writableEnded = true;
    // A FIN behind the data: the other end closes once it has read everything; so do we.
    this.net.finish(this);
    if (cb) this.net.world.schedule(0, () => cb?.());
    return this;
  }

  destroySoon(): void {
    this.end();
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.net.finish(this);
    this.net.world.schedule(0, () => {
      if (err) this.emit('error', err);
      this.emitClose();
    });
    return this;
  }

  /** From the network: bytes arrived. */
  deliver(bytes: Buffer): void {
    if (this.destroyed) return;
    if (this.paused) this.held.push(bytes);
    else this.emit('data', bytes);
  }

  /** From the network: the connection is gone (the other end closed, or it broke). */
  lost(err: Error | null): void {
    if (this.closeEmitted) return;
    this.destroyed = true;
    if (err) this.emit('error', err);
    this.emitClose();
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close', false);
  }
}

/** The subset of net.Server the listeners use. */
export class SimServer extends EventEmitter {
  private key: string | null = null;
  port = 0;

  constructor(
    readonly net: SimNet, readonly host: string, readonly life: ProcessLife,
    private readonly onConnection: (s: net.Socket) => void,
  ) {
    super();
  }

  listen(...args: unknown[]): this {
    let port: number;
    let host: string | undefined;
    let cb: (() => void) | undefined;
    if (typeof args[0] === 'object' && args[0] !== null) {
      ({ port, host } = args[0] as { port: number; host?: string });
      cb = args[1] as (() => void) | undefined;
    } else {
      port = args[0] as number;
      if (typeof args[1] === 'function') cb = args[1] as () => void;
      else {
        host = args[1] as string | undefined;
        cb = args[2] as (() => void) | undefined;
      }
    }
    void host; // every listener of a member is on the member's host
    this.port = port;
    const key = `${this.host}:${port}`;
    this.net.world.schedule(0, () => {
      if (this.life.dead) return;
      if (this.net.listeners.has(key)) {
        this.emit('error', Object.assign(new Error(`listen EADDRINUSE: ${key}`), { code: 'EADDRINUSE' }));
        return;
      }
      this.key = key;
      this.net.listeners.set(key, this);
      cb?.();
    });
    return this;
  }

  address(): net.AddressInfo {
    return { address: this.host, family: 'IPv4', port: this.port };
  }

  close(cb?: () => void): this {
    if (this.key !== null && this.net.listeners.get(this.key) === this) this.net.listeners.delete(this.key);
    this.key = null;
    if (cb) this.net.world.schedule(0, cb);
    return this;
  }

  accept(socket: SimSocket): void {
    this.onConnection(socket as unknown as net.Socket);
  }
}

export class SimNet {
  readonly listeners = new Map<string, SimServer>();
  private readonly links = new Set<SimLink>();
  /** Host → partition group; hosts in different groups cannot reach each other. */
  private readonly group = new Map<string, number>();
  private readonly down = new Set<string>();
  private nextPort = 40000;

  constructor(readonly world: World, public faults: NetFaults) {}

  /** The NetEnv a process on `host` gets; once `life.dead`, its listens and dials come to nothing. */
  env(host: string, life: ProcessLife): NetEnv {
    return {
      createServer: (onConnection) => new SimServer(this, host, life, onConnection) as unknown as net.Server,
      createSocket: () => new SimSocket(this, host, life) as unknown as net.Socket,
    };
  }

  reachable(a: string, b: string): boolean {
    if (this.down.has(a) || this.down.has(b)) return false;
    const ga = this.group.get(a);
    const gb = this.group.get(b);
    // Hosts outside every group (the clients) reach everyone.
    return ga === undefined || gb === undefined || ga === gb;
  }

  /** Splits the hosts: each listed group apart from the others (unlisted hosts reach every group). */
  partition(groups: string[][]): void {
    this.group.clear();
    groups.forEach((g, i) => { for (const h of g) this.group.set(h, i + 1); });
    for (const l of [...this.links]) if (!this.reachable(l.a.host, l.b.host)) this.breakLink(l);
  }

  heal(): void {
    this.group.clear();
  }

  /** A host's process died: its connections break and its listeners go (the peers see resets). */
  hostDown(host: string): void {
    this.down.add(host);
    for (const [key, s] of [...this.listeners]) if (s.host === host) this.listeners.delete(key);
    for (const l of [...this.links]) if (l.a.host === host || l.b.host === host) this.breakLink(l);
  }

  hostUp(host: string): void {
    this.down.delete(host);
  }

  /** Breaks one random live connection between members (or none). */
  breakRandom(rng: Prng, filter: (a: string, b: string) => boolean): string | null {
    const live = [...this.links].filter((l) => !l.broken && filter(l.a.host, l.b.host));
    if (live.length === 0) return null;
    const l = rng.pick(live);
    this.breakLink(l);
    return `${l.a.host}:${l.a.localPort}-${l.b.host}:${l.b.localPort}`;
  }

  private delay(): number {
    const { minDelayMs, maxDelayMs } = this.faults;
    return this.world.rng.int(minDelayMs, maxDelayMs);
  }

  dial(socket: SimSocket, host: string, port: number): void {
    const d = this.delay();
    this.world.schedule(d, () => {
      const server = this.listeners.get(`${host}:${port}`);
      if (socket.destroyed || socket.life.dead) return;
      if (server === undefined || !this.reachable(socket.host, host)) {
        socket.lost(Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED' }));
        return;
      }
      const accepted = new SimSocket(this, host, server.life);
      socket.localPort = this.nextPort++;
      accepted.localPort = port;
      socket.remoteAddress = host;
      socket.remotePort = port;
      accepted.remoteAddress = socket.host;
      accepted.remotePort = socket.localPort;
      const link = new SimLink(socket, accepted);
      link.ab.lastAt = link.ba.lastAt = this.world.now;
      socket.link = accepted.link = link;
      this.links.add(link);
      server.accept(accepted);
      socket.emit('connect');
    });
  }

  transmit(from: SimSocket, bytes: Buffer): void {
    const link = from.link;
    if (link === null || link.broken || from.life.dead) return;
    const dir = link.dir(from);
    const at = Math.max(this.world.now + this.delay(), dir.lastAt);
    dir.lastAt = at;
    const to = link.other(from);
    this.world.schedule(at - this.world.now, () => {
      if (!link.broken) to.deliver(bytes);
    });
  }

  /** `from` closed its end: the other end sees the close after the bytes in flight. */
  finish(from: SimSocket): void {
    const link = from.link;
    if (link === null || link.broken) return;
    const dir = link.dir(from);
    const at = Math.max(this.world.now + this.delay(), dir.lastAt);
    dir.lastAt = at;
    this.world.schedule(at - this.world.now, () => {
      if (link.broken) return;
      link.broken = true;
      this.links.delete(link);
      link.other(from).lost(null);
      from.lost(null);
    });
  }

  private breakLink(l: SimLink): void {
    if (l.broken) return;
    l.broken = true;
    this.links.delete(l);
    const reset = (): Error => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    this.world.schedule(0, () => {
      if (!this.down.has(l.a.host)) l.a.lost(reset());
      if (!this.down.has(l.b.host)) l.b.lost(reset());
    });
  }
}

// ------------------------------------------------------------------ disk

/** One member's disk: survives its crashes; `incarnation()` is what one process life writes through. */
export class SimDisk {
  readonly volume = new MemoryVolume();
  private current: DiskIncarnation | null = null;

  /**
   * `lies`: a broken disk that acknowledges a write before it is durable (a crash then loses
   * acknowledged entries). Only for showing that the simulator's checks catch what that breaks.
   */
  constructor(readonly world: World, readonly fsyncMs: () => number, readonly lies = false) {}

  /** Storage for a new process life (the previous one must have crashed or stopped). */
  open(clock: SimClock): { storage: StorageBackend; life: DiskIncarnation } {
    const life = new DiskIncarnation(this, clock);
    this.current = life;
    const storage = assembleBackend({
      kind: 'memory',
      txnLog: life.txnLog,
      snapshots: new GuardedSnapshotStore(this.volume, life),
      epochs: new GuardedEpochStore(this.volume, life),
      supports: { persistent: true, zookeeperDataDir: false, logSegments: false },
    });
    return { storage, life };
  }

  /** Wipes everything (an operator removing the data directory). Only while the member is down. */
  wipe(): void {
    this.volume.log.length = 0;
    this.volume.snapshots.clear();
    this.volume.epochs.clear();
  }

  /** The process died. A torn tail keeps a prefix of the appends not yet durable. Returns how many were kept. */
  crash(keepTorn: number): number {
    const life = this.current;
    this.current = null;
    if (life === null) return 0;
    return life.die(keepTorn);
  }
}

class DiskIncarnation {
  dead = false;
  readonly txnLog: SimTxnLog;

  constructor(readonly disk: SimDisk, readonly clock: SimClock) {
    this.txnLog = new SimTxnLog(this);
  }

  check(): void {
    if (this.dead) throw new Error('this process has crashed');
  }

  die(keepTorn: number): number {
    this.dead = true;
    return this.txnLog.tear(keepTorn);
  }
}

interface Pending {
  readonly batch: readonly TxnEntry[];
  readonly resolve: () => void;
}

/** The txn log on a SimDisk: appends become durable (and resolve) an fsync delay later, in order. */
class SimTxnLog extends AbstractTxnLog {
  private pending: Pending[] = [];
  private readonly volume: MemoryVolume;

  constructor(private readonly life: DiskIncarnation) {
    const log = life.disk.volume.log;
    super('sim txn log', log.length === 0 ? 0 : log[log.length - 1].zxid);
    this.volume = life.disk.volume;
  }

  protected _append(batch: readonly TxnEntry[], _options: AppendOptions): Promise<void> {
    this.life.check();
    const copied = batch.map((e) => ({ zxid: e.zxid, payload: Buffer.from(e.payload) }));
    return new Promise((resolve) => {
      this.pending.push({ batch: copied, resolve: this.life.disk.lies ? () => undefined : resolve });
      if (this.pending.length === 1) this.life.clock.setTimeout(() => this.sync(), this.life.disk.fsyncMs());
      if (this.life.disk.lies) resolve();
    });
  }

  /** One fsync: everything pending lands and is acknowledged (group commit). */
  private sync(): void {
    if (this.life.dead) return;
    const group = this.pending;
    this.pending = [];
    for (const p of group) for (const e of p.batch) this.volume.log.push(e);
    for (const p of group) p.resolve();
  }

  tear(keep: number): number {
    let kept = 0;
    for (const p of this.pending) {
      for (const e of p.batch) {
        if (kept >= keep) break;
        this.volume.log.push(e);
        kept++;
      }
    }
    this.pending = [];
    return kept;
  }

  protected async *_read(fromZxid: number): AsyncGenerator<TxnEntry, void, undefined> {
    const log = this.volume.log;
    const range = log.slice(lowerBound(log, fromZxid));
    for (const entry of range) yield entry;
  }

  protected async _lastZxid(): Promise<number> {
    const log = this.volume.log;
    return log.length === 0 ? 0 : log[log.length - 1].zxid;
  }

  protected async _truncate(afterZxid: number): Promise<void> {
    this.life.check();
    const log = this.volume.log;
    log.length = lowerBound(log, afterZxid + 1);
  }

  protected async _purgeBefore(beforeZxid: number): Promise<void> {
    this.life.check();
    const log = this.volume.log;
    if (log.length === 0) return;
    log.splice(0, Math.min(lowerBound(log, beforeZxid), log.length - 1));
  }

  protected async _roll(): Promise<void> {
    // One segment.
  }

  protected async _close(): Promise<void> {
    // Nothing to release.
  }
}

class GuardedSnapshotStore extends MemorySnapshotStore {
  constructor(volume: MemoryVolume, private readonly life: DiskIncarnation) {
    super(volume);
  }

  protected override async _write(zxid: number, chunks: AsyncIterable<Uint8Array>): Promise<SnapshotInfo> {
    // Read everything first: the snapshot appears whole or not at all, and not after a crash.
    const all: Uint8Array[] = [];
    for await (const c of chunks) all.push(Buffer.from(c));
    this.life.check();
    return super._write(zxid, (async function* () { yield* all; })());
  }

  protected override async _delete(zxid: number): Promise<void> {
    this.life.check();
    return super._delete(zxid);
  }
}

class GuardedEpochStore extends MemoryEpochStore {
  constructor(volume: MemoryVolume, private readonly life: DiskIncarnation) {
    super(volume);
  }

  protected override async _write(name: EpochName, epoch: number): Promise<void> {
    this.life.check();
    return super._write(name, epoch);
  }
}
