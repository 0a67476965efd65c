// The full-stack seeded simulator: real QuorumPeers (Fast Leader Election through the real election
// transport, the leader and follower roles, the request pipeline, the data tree, sessions, snapshots
// through the inline snapshot pool) on the fake time, network and disks of world.ts, with clients
// that write through every member.
//
// A run: members start at random moments; for `faultMs` the seed injects faults (crashes, some
// with a torn log tail; restarts, some with the data directory wiped; partitions; broken
// connections; long delays) while clients keep writing; then every member is restarted, the network
// healed and quiet, and within `livenessMs` one leader must serve with a quorum, a new write through
// it must commit, and every serving member must hold the same tree (see settle for members that
// stay locked out, as ZooKeeper's do).
//
// Checked after every event:
// - at most one serving leader per epoch;
// - any two members at the same zxid have the same tree digest (committed histories are prefixes
//   of one history); members in the middle of a sync are not compared;
// - a serving leader of epoch e holds every write acknowledged to a client with a zxid of epoch
//   <= e (no acknowledged write is lost);
// - acceptedEpoch and currentEpoch never go back on any member's disk, and acceptedEpoch >= currentEpoch;
// - a member's zxid never goes back while it serves in one epoch;
// - no live member logs an error.
// At the end every acknowledged write is on every serving member, with its zxid as czxid.

import { parseZooCfg } from '../../src/config/index.js';
import type { ServerConfig } from '../../src/config/types.js';
import { QuorumPeer } from '../../src/server/quorum/peer.js';
import type { Logger } from '../../src/log/logger.js';
import type { DataTree } from '../../src/tree/data-tree.js';
import { configureSnapshotPool, prepareSnapshotPool } from '../../src/storage/snapshot/index.js';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { readConnectResponse, readReplyHeader, writeConnectRequest, writeCreateRequest, writeSetDataRequest } from '../../src/jute/records.js';
import { zxidEpoch } from '../../src/jute/quorum.js';
import { ErrorCode, OpCode, Perm } from '../../src/protocol/constants.js';
import { Prng } from './prng.js';
import { SimDisk, SimNet, type SimClock, type SimSocket, World } from './world.js';

export interface ZabSimOptions {
  seed: number;
  participants?: number;
  observers?: number;
  clients?: number;
  /** How long faults are injected, ms of fake time. */
  faultMs?: number;
  /** After faults stop: the bound for a leader over everyone, a committed write and identical trees. */
  livenessMs?: number;
  /** Network delay bounds while faults run, ms (the quiet phase uses 1..5). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** ZooKeeper's tickTime in the members' config, ms. */
  tickTime?: number;
  /** snapCount of the members (small: snapshots and restores from them happen often). */
  snapCount?: number;
  trace?: boolean;
  /** More zoo.cfg lines for every member (scenarios). */
  configExtra?: string[];
  /** Disks that acknowledge appends before they are durable: the checks must then fail (a test shows it). */
  lyingDisks?: boolean;
  /** Every log line of a live member, as it is logged (scenarios). */
  onLog?: (sid: number, level: string, msg: string) => void;
}

export interface ZabSimResult {
  seed: number;
  ok: boolean;
  error?: string;
  trace: string[];
  /** Writes acknowledged to clients. */
  acked: number;
  /** Epochs in which a leader served. */
  epochs: number;
  /** Fake ms from the end of faults to a settled ensemble. */
  settleMs?: number;
  steps: number;
  /** Counts of the sync kinds leaders used (from their log lines). */
  syncs: Record<string, number>;
  crashes: number;
  /** Members that never served again after the faults (see ZabSim.settle): not a failure. */
  lockedOut: number[];
}

/** The shape of a seed's ensemble, varied with the seed so `npm test` covers several. */
export function zabSimShape(seed: number): Pick<ZabSimOptions, 'participants' | 'observers' | 'maxDelayMs'> {
  return {
    participants: seed % 4 === 0 ? 5 : 3,
    observers: seed % 3 === 0 ? 1 : 0,
    // One seed in five has a slow network: delays past FLE's 200 ms finalize wait, near syncLimit.
    maxDelayMs: seed % 5 === 2 ? 300 : 40,
  };
}

const CLIENT_PORT = 2181;
const OPEN_ACL = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];

class SimFailure extends Error {}

interface Acked {
  path: string;
  zxid: number;
  client: number;
}

interface Life {
  dead: boolean;
}

export class Member {
  peer: QuorumPeer | null = null;
  life: Life = { dead: true };
  clock: SimClock | null = null;
  readonly disk: SimDisk;
  readonly host: string;
  /** Highest durable epochs seen on its disk. */
  seenAccepted = 0;
  seenCurrent = 0;
  /** Per leader incarnation: how many acked writes are verified present. */
  verifiedAcks = 0;
  incarnation = 0;
  downSince = 0;
  /** While it serves: its process life and epoch, and the zxid it was last seen at. */
  servingAt = '';
  servingZxid = 0;

  constructor(readonly sim: ZabSim, readonly sid: number, readonly config: ServerConfig) {
    this.host = hostOf(sid);
    this.disk = new SimDisk(sim.world, () => (sim.lyingDisks ? 400 : sim.rng.int(1, 4)), sim.lyingDisks);
  }

  get up(): boolean {
    return !this.life.dead;
  }

  start(): void {
    if (this.up) return;
    const life: Life = { dead: false };
    this.life = life;
    this.incarnation++;
    this.verifiedAcks = 0;
    const clock = this.sim.world.clock();
    this.clock = clock;
    const { storage } = this.disk.open(clock);
    this.sim.net.hostUp(this.host);
    const random = new Prng(this.sim.seed * 7919 + this.sid * 104729 + this.incarnation);
    const peer = new QuorumPeer(this.config, storage, this.sim.logger(this.sid, life), {
      clock, net: this.sim.net.env(this.host, life), random: () => random.next(),
    });
    this.peer = peer;
    peer.start().catch((err: unknown) => {
      if (!life.dead) this.sim.fail(`member ${this.sid} failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    });
  }

  crash(torn: number): number {
    if (!this.up) return 0;
    this.life.dead = true;
    this.clock?.kill();
    this.sim.net.hostDown(this.host);
    this.peer = null;
    this.downSince = this.sim.world.now;
    return this.disk.crash(torn);
  }
}

const hostOf = (sid: number): string => `10.0.0.${sid}`;

export class Client {
  private socket: SimSocket | null = null;
  state: 'down' | 'connecting' | 'up' = 'down';
  private sessionId = 0n;
  private passwd: Buffer = Buffer.alloc(16);
  private lastZxid = 0;
  private seq = 0;
  private xid = 1;
  private readonly pending = new Map<number, string>();

  get outstanding(): number {
    return this.pending.size;
  }
  private buf: Buffer = Buffer.alloc(0);
  private lastProgress = 0;
  private member = 0;
  private readonly life: Life = { dead: false };
  readonly host: string;

  /** `createsOnly`: no setData among the writes (the scenarios count creates). */
  constructor(readonly sim: ZabSim, readonly id: number, private readonly createsOnly = false) {
    this.host = `10.9.0.${id}`;
  }

  /** One turn of the client's loop: connect if it has no connection, else write. */
  turn(target: Member | null): void {
    const now = this.sim.world.now;
    if (this.state === 'down') {
      if (target === null) return;
      this.connect(target);
      return;
    }
    if (now - this.lastProgress > 1500 && (this.state === 'connecting' || this.pending.size > 0)) {
      this.sim.note(`client ${this.id} gives up on member ${this.member}`);
      this.socket?.destroy();
      return;
    }
    if (this.state === 'up' && this.pending.size < 3) this.write();
  }

  connect(m: Member): void {
    this.state = 'connecting';
    this.member = m.sid;
    this.lastProgress = this.sim.world.now;
    this.buf = Buffer.alloc(0);
    const socket = this.sim.net.env(this.host, this.life).createSocket() as unknown as SimSocket;
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      const w = new JuteWriter(64);
      w.writeInt(0);
      writeConnectRequest(w, {
        protocolVersion: 0, lastZxidSeen: this.lastZxid, timeOut: 4000, sessionId: this.sessionId,
        passwd: this.passwd, readOnly: false, hasReadOnly: true,
      });
      w.patchInt(0, w.length - 4);
      socket.write(w.toBuffer());
    });
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.state = 'down';
      this.pending.clear();
    });
    socket.connect({ host: m.host, port: CLIENT_PORT });
  }

  /** A create of a new node; every fourth write a setData of the previous one (owner-checked: SESSIONMOVED). */
  write(): void {
    const xid = this.xid++;
    const w = new JuteWriter(128);
    if (!this.createsOnly && this.seq > 0 && this.xid % 4 === 0) {
      const path = `/c${this.id}-${this.seq - 1}`;
      w.writeInt(0).writeInt(xid).writeInt(OpCode.setData);
      writeSetDataRequest(w, { path, data: Buffer.from(`set ${xid}`), version: -1 });
      this.pending.set(xid, `set:${path}`);
    } else {
      const path = `/c${this.id}-${this.seq++}`;
      w.writeInt(0).writeInt(xid).writeInt(OpCode.create);
      writeCreateRequest(w, { path, data: Buffer.from(path), acl: OPEN_ACL, flags: 0, ttl: 0 });
      this.pending.set(xid, path);
    }
    w.patchInt(0, w.length - 4);
    if (this.pending.size === 1) this.lastProgress = this.sim.world.now;
    this.socket?.write(w.toBuffer());
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + len) return;
      const frame = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const r = new JuteReader(frame);
    this.lastProgress = this.sim.world.now;
    if (this.state === 'connecting') {
      const resp = readConnectResponse(r);
      if (resp.timeOut <= 0 || resp.sessionId === 0n) {
        this.sim.note(`client ${this.id}: session 0x${this.sessionId.toString(16)} expired (member ${this.member})`);
        this.sessionId = 0n;
        this.socket?.destroy();
        return;
      }
      if (this.sessionId !== resp.sessionId) this.sim.note(`client ${this.id}: session 0x${resp.sessionId.toString(16)} on member ${this.member}`);
      this.sessionId = resp.sessionId;
      this.passwd = resp.passwd;
      this.state = 'up';
      return;
    }
    const header = readReplyHeader(r);
    if (header.xid < 0) return;
    const path = this.pending.get(header.xid);
    this.pending.delete(header.xid);
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    if (path === undefined) {
      this.sim.fail(`client ${this.id}: a reply for xid ${header.xid} nobody asked for`);
      return;
    }
    if (path.startsWith('set:')) {
      // NONODE: the create it follows was never acknowledged (a lost connection).
      if (header.err !== 0 && header.err !== ErrorCode.NONODE) this.sim.fail(`client ${this.id}: setData ${path.slice(4)} failed with ${header.err}`);
      return;
    }
    if (header.err === 0) this.sim.acked({ path, zxid: header.zxid, client: this.id });
    else this.sim.note(`client ${this.id}: create ${path} failed with ${header.err} (member ${this.member})`);
  }
}

export class ZabSim {
  readonly rng: Prng;
  readonly world: World;
  readonly net: SimNet;
  readonly members = new Map<number, Member>();
  private readonly clients: Client[] = [];
  private readonly trace: string[] = [];
  readonly ackedWrites: Acked[] = [];
  private readonly ackedPaths = new Set<string>();
  private readonly leaderOfEpoch = new Map<number, number>();
  private readonly digestAt = new Map<number, bigint>();
  private readonly dumps = new Map<number, string[]>();
  private readonly syncs: Record<string, number> = {};
  private failure: string | null = null;
  /** Members not serving when the run ended (see settle). */
  private readonly lockedOut: number[] = [];
  /** The highest zxid a serving member has applied. */
  private maxCommitted = 0;
  private faultsOn = true;
  private crashes = 0;
  readonly seed: number;
  readonly lyingDisks: boolean;
  private readonly o: Required<Omit<ZabSimOptions, 'seed' | 'lyingDisks'>>;

  constructor(opts: ZabSimOptions) {
    this.seed = opts.seed;
    this.lyingDisks = opts.lyingDisks ?? false;
    this.o = {
      participants: 3, observers: 0, clients: 3, faultMs: 6000, livenessMs: 20000, minDelayMs: 1, maxDelayMs: 40,
      tickTime: 100, snapCount: 40, trace: false, configExtra: [], onLog: () => undefined, ...opts,
    };
    this.rng = new Prng(opts.seed);
    this.world = new World(this.rng);
    this.net = new SimNet(this.world, { minDelayMs: this.o.minDelayMs, maxDelayMs: this.o.maxDelayMs });
    const n = this.o.participants + this.o.observers;
    const servers = [];
    for (let sid = 1; sid <= n; sid++) {
      servers.push(`server.${sid}=${hostOf(sid)}:2888:3888${sid > this.o.participants ? ':observer' : ''}`);
    }
    for (let sid = 1; sid <= n; sid++) {
      const text = [
        `tickTime=${this.o.tickTime}`, 'initLimit=10', 'syncLimit=5', `dataDir=/sim/${sid}`, `clientPort=${CLIENT_PORT}`,
        `snapCount=${this.o.snapCount}`, 'commitLogCount=500', ...(sid > this.o.participants ? ['peerType=observer'] : []),
        ...servers, ...this.o.configExtra,
      ].join('\n');
      const config = parseZooCfg(text, { baseDir: '/', readFile: (f) => (f.endsWith('myid') ? `${sid}\n` : null) });
      this.members.set(sid, new Member(this, sid, config));
    }
    for (let i = 1; i <= this.o.clients; i++) this.clients.push(new Client(this, i));
  }

  // ---------------------------------------------------------------- records

  note(line: string): void {
    if (this.o.trace) this.trace.push(`${this.t()} sim: ${line}`);
  }

  fail(why: string): void {
    this.failure ??= `at ${this.t()}: ${why}`;
  }

  private t(): string {
    return `t=${(this.world.now - START).toString().padStart(6)}`;
  }

  logger(sid: number, life: Life): Logger {
    const make = (component: string): Logger => {
      const emit = (level: string, msg: string): void => {
        if (life.dead) return;
        this.o.onLog(sid, level, msg);
        const sync = /^syncing learner \d+ .*: (DIFF|TRUNC|SNAP) /.exec(msg);
        if (sync) this.syncs[sync[1]] = (this.syncs[sync[1]] ?? 0) + 1;
        if (level === 'error') this.fail(`member ${sid} logged an error: ${msg}`);
        if (this.o.trace) {
          // Durations measured on the real clock would make two runs of a seed differ.
          const text = msg.replace(/ in \d+(\.\d+)? ms( \([^)]*\))?/g, '');
          this.trace.push(`${this.t()} ${sid}${component}: ${level === 'info' ? '' : `${level.toUpperCase()} `}${text}`);
        }
      };
      return {
        debug: () => undefined,
        info: (m) => emit('info', m),
        warn: (m) => emit('warn', m),
        error: (m) => emit('error', m),
        child: (c) => make(`${component}/${c}`),
      };
    };
    return make('');
  }

  acked(a: Acked): void {
    if (this.ackedPaths.has(a.path)) this.fail(`client ${a.client}: ${a.path} acknowledged twice`);
    this.ackedPaths.add(a.path);
    this.ackedWrites.push(a);
  }

  // ---------------------------------------------------------------- checks

  check(): void {
    for (const m of this.members.values()) {
      const v = m.disk.volume.epochs;
      const accepted = v.get('acceptedEpoch') ?? 0;
      const current = v.get('currentEpoch') ?? 0;
      if (accepted < m.seenAccepted || current < m.seenCurrent) {
        this.fail(`member ${m.sid}: epochs went back on disk: accepted ${m.seenAccepted} -> ${accepted}, current ${m.seenCurrent} -> ${current}`);
      }
      if (accepted < current) this.fail(`member ${m.sid}: acceptedEpoch ${accepted} < currentEpoch ${current}`);
      m.seenAccepted = accepted;
      m.seenCurrent = current;
      const peer = m.peer;
      if (!m.up || peer === null) continue;
      const server = peer.server;
      const state = server.quorum?.peerState() ?? 'looking';
      const tree = server.tree;
      // Serving members have applied only committed txns, in zxid order.
      if (server.isServing) {
        this.maxCommitted = Math.max(this.maxCommitted, tree.lastProcessedZxid);
        const at = `${m.incarnation}/${peer.epochs.current}`;
        if (m.servingAt === at && tree.lastProcessedZxid < m.servingZxid) {
          this.fail(`member ${m.sid}'s zxid went back while it served: 0x${m.servingZxid.toString(16)} -> 0x${tree.lastProcessedZxid.toString(16)}`);
        }
        m.servingAt = at;
        m.servingZxid = tree.lastProcessedZxid;
      }
      if (state === 'looking' || server.isServing) {
        const z = tree.lastProcessedZxid;
        const d = tree.digest();
        const seen = this.digestAt.get(z);
        // A replay (trace on) records each zxid's first tree, to name the nodes that differ.
        if (this.o.trace && seen === undefined) this.dumps.set(z, dumpTree(tree));
        if (this.o.trace && seen !== undefined && seen !== d) {
          const first = this.dumps.get(z) ?? [];
          const now = dumpTree(tree);
          for (const n of first.filter((x) => !now.includes(x))) this.note(`only in the first tree at 0x${z.toString(16)}: ${n}`);
          for (const n of now.filter((x) => !first.includes(x))) this.note(`only in member ${m.sid}'s tree: ${n}`);
        }
        if (seen === undefined) this.digestAt.set(z, d);
        else if (seen !== d) this.fail(`member ${m.sid} at zxid 0x${z.toString(16)} has digest ${d.toString(16)}, another member had ${seen.toString(16)}`);
      }
      if (server.serverState === 'leader' && server.isServing) {
        const epoch = peer.epochs.current;
        const other = this.leaderOfEpoch.get(epoch);
        if (other !== undefined && other !== m.sid) this.fail(`two leaders in epoch ${epoch}: ${other} and ${m.sid}`);
        this.leaderOfEpoch.set(epoch, m.sid);
        for (; m.verifiedAcks < this.ackedWrites.length; m.verifiedAcks++) {
          const a = this.ackedWrites[m.verifiedAcks];
          if (zxidEpoch(a.zxid) > epoch) continue;
          const node = tree.getNode(a.path);
          if (!node || node.czxid !== a.zxid) {
            this.fail(`leader ${m.sid} of epoch ${epoch} lacks ${a.path} (zxid 0x${a.zxid.toString(16)}) acknowledged to client ${a.client}`);
            break;
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- faults and load

  private every(minMs: number, maxMs: number, fn: () => void): void {
    const arm = (): void => {
      this.world.schedule(this.rng.int(minMs, maxMs), () => {
        fn();
        arm();
      });
    };
    arm();
  }

  private upMembers(): Member[] {
    return [...this.members.values()].filter((m) => m.up);
  }

  private fault(): void {
    if (!this.faultsOn) return;
    const all = [...this.members.values()];
    const roll = this.rng.next();
    if (roll < 0.3) {
      const up = this.upMembers();
      if (up.length === 0) return;
      const m = this.rng.pick(up);
      const torn = this.rng.chance(0.5) ? this.rng.int(1, 5) : 0;
      const kept = m.crash(torn);
      this.crashes++;
      this.note(`crash member ${m.sid}${kept > 0 ? `, ${kept} unacknowledged log entries survive (torn tail)` : ''}`);
    } else if (roll < 0.55) {
      const down = all.filter((m) => !m.up);
      if (down.length === 0) return;
      const m = this.rng.pick(down);
      if (this.rng.chance(0.15) && this.mayWipe(m)) {
        m.disk.wipe();
        m.seenAccepted = 0;
        m.seenCurrent = 0;
        this.note(`wipe member ${m.sid}'s data directory`);
      }
      this.note(`start member ${m.sid}`);
      m.start();
    } else if (roll < 0.7) {
      const hosts = this.rng.shuffle(all.map((m) => m.host));
      const cut = this.rng.int(1, hosts.length - 1);
      const groups = [hosts.slice(0, cut), hosts.slice(cut)];
      this.net.partition(groups);
      this.note(`partition ${groups.map((g) => g.map((h) => h.split('.').pop()).join(',')).join(' | ')}`);
    } else if (roll < 0.8) {
      this.net.heal();
      this.note('heal the partition');
    } else {
      const members = new Set(all.map((m) => m.host));
      const broken = this.net.breakRandom(this.rng, (a, b) => members.has(a) && members.has(b));
      if (broken) this.note(`break connection ${broken}`);
    }
  }

  /**
   * Whether wiping `m` keeps every committed txn: only if the other voters that hold all of them on
   * disk, and know the latest epoch a leader served in, form a quorum (any quorum then includes one). Wiping more is losing the data (and the
   * record of which epochs were used), which no replication protocol survives.
   */
  private mayWipe(m: Member): boolean {
    const last = this.maxCommitted;
    const lastEpoch = Math.max(0, ...this.leaderOfEpoch.keys());
    const voters = [...this.members.values()].filter((x) => x.sid <= this.o.participants);
    const holders = voters.filter((x) => {
      if (x === m) return false;
      const v = x.disk.volume;
      const logged = v.log.length === 0 ? 0 : v.log[v.log.length - 1].zxid;
      const snap = Math.max(0, ...v.snapshots.keys());
      return Math.max(logged, snap) >= last && (v.epochs.get('acceptedEpoch') ?? 0) >= lastEpoch;
    });
    return holders.length > Math.floor(voters.length / 2);
  }

  private clientTurn(c: Client): void {
    const up = this.upMembers();
    c.turn(up.length > 0 ? this.rng.pick(up) : null);
  }

  // ---------------------------------------------------------------- the run

  async run(): Promise<ZabSimResult> {
    configureSnapshotPool({ inline: true });
    await prepareSnapshotPool();
    try {
      for (const m of this.members.values()) this.world.schedule(this.rng.int(0, 300), () => m.start());
      for (const c of this.clients) this.every(20, 120, () => this.clientTurn(c));
      this.every(150, 900, () => this.fault());
      const faultsEnd = START + this.o.faultMs;
      await this.world.runUntil(faultsEnd, () => this.checkOrThrow());
      this.faultsOn = false;
      this.net.heal();
      this.net.faults = { minDelayMs: 1, maxDelayMs: 5 };
      for (const m of this.members.values()) if (!m.up) m.start();
      this.note('faults stop: every member up, network healed and quiet');
      const settledAt = await this.settle(faultsEnd + this.o.livenessMs);
      this.finalChecks();
      if (this.failure !== null) throw new SimFailure(this.failure);
      return this.result(true, undefined, settledAt - faultsEnd);
    } catch (err) {
      const msg = err instanceof SimFailure ? err.message : err instanceof Error ? err.stack ?? err.message : String(err);
      return this.result(false, msg);
    } finally {
      for (const m of this.members.values()) m.crash(0);
      configureSnapshotPool({});
    }
  }

  checkOrThrow(): void {
    this.check();
    if (this.failure !== null) throw new SimFailure(this.failure);
  }

  /**
   * Liveness: waits (to `deadline`) for one leader serving with a quorum of voters, then for one
   * more write through it to commit, with every serving member at the same zxid and digest: that
   * is settled. Then it waits, to the same deadline, for every member to serve. One that never does
   * is reported (lockedOut), not failed: ZooKeeper's learner refuses a leader whose epoch is below
   * the one it accepted from a leader that never established, until the next leader change, and so
   * does zk-server's (Learner.registerWithLeader).
   */
  private async settle(deadline: number): Promise<number> {
    const probe = `/liveness-${this.seed}`;
    let probeSent = false;
    let probeAcked = false;
    let settledAt = -1;
    const voters = this.o.participants;
    const serving = (): Member[] => [...this.members.values()].filter((m) => m.peer?.server.isServing === true);
    const leaderNow = (): Member | null => {
      const up = serving();
      const leaders = up.filter((m) => m.peer?.server.serverState === 'leader');
      if (leaders.length !== 1) return null;
      const synced = up.filter((m) => m.sid <= voters).length;
      return synced > Math.floor(voters / 2) ? leaders[0] : null;
    };
    const inStep = (ms: Member[]): boolean => new Set(ms.map((m) => m.peer?.server.tree.lastProcessedZxid)).size === 1
      && new Set(ms.map((m) => m.peer?.server.tree.digest())).size === 1;
    while (this.world.nextAt() <= deadline) {
      await this.world.step(deadline);
      this.checkOrThrow();
      const leader = leaderNow();
      if (leader === null || leader.peer === null) continue;
      const server = leader.peer.server;
      if (!probeSent) {
        probeSent = true;
        this.note(`a quorum serves under leader ${leader.sid}: writing ${probe} through it`);
        // A write as a client's would go in, straight into the leader's pipeline.
        const w = new JuteWriter(64);
        writeCreateRequest(w, { path: probe, data: null, acl: OPEN_ACL, flags: 0, ttl: 0 });
        server.pipeline.submitInternal(OpCode.create, 0n, w.toBuffer());
      }
      if (!probeAcked && server.tree.getNode(probe) !== undefined) {
        probeAcked = true;
        this.note(`${probe} committed at 0x${server.tree.lastProcessedZxid.toString(16)}`);
      }
      if (!probeAcked) continue;
      const up = serving();
      if (settledAt < 0 && inStep(up)) settledAt = this.world.now;
      if (up.length === this.members.size && inStep(up)) break;
    }
    if (settledAt < 0) {
      const states = [...this.members.values()].map((m) => `${m.sid}: ${m.peer?.server.quorum?.peerState() ?? 'down'} at 0x${(m.peer?.server.tree.lastProcessedZxid ?? 0).toString(16)}`);
      throw new SimFailure(`no settled ensemble within ${this.o.livenessMs} ms after faults stopped (${states.join('; ')}; probe ${probeAcked ? 'committed' : probeSent ? 'sent' : 'not sent'})`);
    }
    for (const m of this.members.values()) {
      if (m.peer?.server.isServing !== true) {
        this.lockedOut.push(m.sid);
        this.note(`member ${m.sid} does not serve by the deadline (accepted epoch ${m.peer?.epochs.accepted ?? '-'})`);
      }
    }
    return settledAt;
  }

  /** Every acknowledged write is on every serving member, with its zxid as czxid. */
  finalChecks(): void {
    for (const m of this.members.values()) {
      const tree = m.peer?.server.tree;
      if (!tree || !m.peer?.server.isServing) continue;
      for (const a of this.ackedWrites) {
        const node = tree.getNode(a.path);
        if (!node || node.czxid !== a.zxid) {
          this.fail(`member ${m.sid} lacks ${a.path} (zxid 0x${a.zxid.toString(16)}) acknowledged to client ${a.client}`);
          return;
        }
      }
    }
  }

  private result(ok: boolean, error?: string, settleMs?: number): ZabSimResult {
    return {
      seed: this.seed, ok, ...(error !== undefined ? { error } : {}), trace: this.trace, acked: this.ackedWrites.length,
      epochs: this.leaderOfEpoch.size, ...(settleMs !== undefined ? { settleMs } : {}), steps: this.world.steps,
      syncs: { ...this.syncs }, crashes: this.crashes, lockedOut: [...this.lockedOut],
    };
  }
}

const START = 1_750_000_000_000;

/** Every node with its stat, one line each (for a replay's report of differing trees). */
function dumpTree(tree: DataTree): string[] {
  const out: string[] = [];
  for (const [path, n] of tree.nodesInSnapshotOrder()) {
    out.push(`${path || '/'} ${JSON.stringify(n.stat(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  return out;
}

export function runZabSim(opts: ZabSimOptions): Promise<ZabSimResult> {
  return new ZabSim(opts).run();
}
