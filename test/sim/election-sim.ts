// A seeded simulator for leader election: the production FastLeaderElection of every peer, under a
// fake network and fake time, with crashes, restarts, partitions and broken connections.
//
// Fault model (each from the seed):
// - Network: one connection per pair of peers, as QuorumCnxManager keeps; each direction is FIFO
//   with a random delay (up to `maxDelayTicks` while faults run, which is longer than FLE's 200 ms
//   finalize wait). A connection exists only while both peers are up and the pair is reachable; it is
//   made when either side sends. Breaking it loses what was in flight. Each side keeps one unsent
//   message per peer (newer replaces older) and, when a connection starts, sends that message or
//   else re-sends the last one it sent (ZooKeeper's SendWorker): duplicates are normal traffic.
// - Peers crash and restart: a restart loses every volatile thing (the election's rounds, queues,
//   what was last sent) and keeps the durable ones (last logged zxid, acceptedEpoch, currentEpoch).
// - Partitions split the peers in two for a while.
// - Time: a tick is `msPerTick` ms of fake time; every wait in FLE and in the role model is in ticks.
//
// Until the zab roles land, a small role model stands in for discovery: a LEADING peer establishes
// once a quorum of voters (itself included) follows it and is connected, fixing the new epoch as
// 1 + the largest acceptedEpoch among them (Leader.getEpochToPropose), after dropping any follower
// more up to date than itself (Leader.waitForEpochAck); a learner refuses a leader whose epoch is
// below the one it accepted (Learner.registerWithLeader); peers that cannot find or keep
// their leader within initLimit / syncLimit ticks go LOOKING again, as Leader and Follower do.
//
// Checked after every tick: one established leader per epoch; epochs never go back; a round never
// goes back within a peer's life
// but to join an established ensemble; decisions name a voter and only a peer itself decides LEADING; no
// observer leads; a new leader holds every write a quorum logged (the role model makes writes while
// a leader keeps its quorum, and syncs learners to the leader's log). Liveness: once faults stop and the network is quiet, every peer follows or observes
// one established leader within `livenessTicks`.

import { FastLeaderElection, PeerState, type ElectionDecision } from '../../src/zab/election.js';
import { makeZxid, quorumConfigString, type Notification } from '../../src/jute/quorum.js';
import { answerLeaderInfo } from '../../src/zab/discovery.js';
import { Prng } from './prng.js';

export interface ElectionSimOptions {
  seed: number;
  participants?: number;
  observers?: number;
  msPerTick?: number;
  /** ZooKeeper's tickTime, in sim ticks. */
  tickTicks?: number;
  initLimit?: number;
  syncLimit?: number;
  /** How long faults are injected, ticks. */
  faultTicks?: number;
  maxDelayTicks?: number;
  quietMaxDelayTicks?: number;
  /** After faults stop, the bound for one established leader followed by everyone, ticks. */
  livenessTicks?: number;
  /** Record a line per event (for a failing seed's replay). */
  trace?: boolean;
}

export interface ElectionSimResult {
  seed: number;
  ok: boolean;
  error?: string;
  /** Ticks from the end of faults to a settled ensemble. */
  settleTicks?: number;
  ticks: number;
  leaders: number;
  trace: string[];
}

type Role = 'looking' | 'leading' | 'following' | 'observing';

interface Peer {
  sid: number;
  participant: boolean;
  up: boolean;
  restartAt: number;
  fle: FastLeaderElection;
  // durable
  lastLoggedZxid: number;
  acceptedEpoch: number;
  currentEpoch: number;
  // role model
  role: Role;
  roleSince: number;
  /** For a leader: the epoch it established, or 0 while still gathering followers. */
  establishedEpoch: number;
  lastQuorumTick: number;
  /** For a learner: the leader it chose, and that leader's term when first seen. */
  leader: number;
  leaderTerm: number;
  lastLeaderContact: number;
  /** For a learner: the epoch of the leader it has synced with (0: none yet). */
  syncedEpoch: number;
  /** Bumped every time this peer starts leading, so followers notice a leader that started over. */
  term: number;
  // per-peer transport state (volatile)
  slot: Map<number, Notification>;
  lastSent: Map<number, Notification>;
  lastRound: number;
}

interface InFlight {
  from: number;
  to: number;
  at: number;
  n: Notification;
}

const pairKey = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`);

export class ElectionSim {
  readonly prng: Prng;
  readonly peers = new Map<number, Peer>();
  private readonly voters: Set<number>;
  private readonly config: string;
  private now = 0;
  private readonly connections = new Set<string>();
  /** Pairs that cannot reach each other right now (partition or broken link), until a tick. */
  private readonly cut = new Map<string, number>();
  private channels = new Map<string, InFlight[]>();
  private readonly established = new Map<number, number>();
  /** The highest zxid a quorum has logged: a write the ensemble acknowledged. */
  private committedZxid = 0;
  private maxDelay: number;
  private readonly trace: string[] = [];
  private readonly o: Required<Omit<ElectionSimOptions, 'trace'>> & { trace: boolean };

  constructor(opts: ElectionSimOptions) {
    this.o = {
      participants: 3, observers: 0, msPerTick: 50, tickTicks: 10, initLimit: 10, syncLimit: 5,
      faultTicks: 600, maxDelayTicks: 6, quietMaxDelayTicks: 1, livenessTicks: 4000, trace: false, ...opts,
    };
    this.prng = new Prng(opts.seed);
    this.maxDelay = this.o.maxDelayTicks;
    const total = this.o.participants + this.o.observers;
    this.voters = new Set(Array.from({ length: this.o.participants }, (_, i) => i + 1));
    this.config = quorumConfigString(Array.from({ length: total }, (_, i) => ({
      sid: i + 1, host: '127.0.0.1', quorumPort: 2888 + 10 * i, electionPort: 3888 + 10 * i,
      role: i < this.o.participants ? 'participant' as const : 'observer' as const,
    })), 0);
    // A history every peer could have: the last epoch a quorum established is `base`, everyone
    // accepted it, and logs differ in their tails (txns some peers logged and others did not).
    // (Epochs drawn per peer would let one hold a currentEpoch no quorum ever accepted.)
    const base = this.prng.int(0, 2);
    for (let sid = 1; sid <= total; sid++) {
      const currentEpoch = base;
      const lastLoggedZxid = makeZxid(this.prng.int(0, currentEpoch), this.prng.int(0, 3));
      const p: Peer = {
        sid, participant: sid <= this.o.participants, up: true, restartAt: 0,
        fle: this.newElection(sid),
        lastLoggedZxid, acceptedEpoch: currentEpoch, currentEpoch,
        role: 'looking', roleSince: 0, establishedEpoch: 0, lastQuorumTick: 0,
        leader: 0, leaderTerm: 0, lastLeaderContact: 0, syncedEpoch: 0, term: 0,
        slot: new Map(), lastSent: new Map(), lastRound: 0,
      };
      this.peers.set(sid, p);
    }
  }

  private newElection(sid: number): FastLeaderElection {
    return new FastLeaderElection({
      selfId: sid, voters: this.voters, participant: this.voters.has(sid), config: this.config, msPerTick: this.o.msPerTick,
    });
  }

  private log(line: string): void {
    if (this.o.trace) this.trace.push(`t=${this.now} ${line}`);
  }

  run(): ElectionSimResult {
    try {
      for (const p of this.peers.values()) this.startLooking(p);
      const faultEnd = this.o.faultTicks;
      while (this.now < faultEnd) {
        this.injectFaults();
        this.step();
      }
      this.heal();
      const quietStart = this.now;
      while (this.now - quietStart <= this.o.livenessTicks) {
        this.step();
        if (this.settled()) {
          return { seed: this.o.seed, ok: true, settleTicks: this.now - quietStart, ticks: this.now, leaders: this.established.size, trace: this.trace };
        }
      }
      throw new Error(`liveness: not settled ${this.o.livenessTicks} ticks after faults stopped: ${this.describe()}`);
    } catch (err) {
      return { seed: this.o.seed, ok: false, error: (err as Error).message, ticks: this.now, leaders: this.established.size, trace: this.trace };
    }
  }

  describe(): string {
    return [...this.peers.values()].map((p) =>
      `${p.sid}:${p.up ? p.role : 'down'}${p.role !== 'looking' ? `(${p.role === 'leading' ? `epoch ${p.establishedEpoch}` : `leader ${p.leader}`})` : ''}`
      + ` round ${p.fle.round} accepted ${p.acceptedEpoch} current ${p.currentEpoch}`).join('; ');
  }

  private settled(): boolean {
    let leader: Peer | null = null;
    for (const p of this.peers.values()) {
      if (p.role === 'leading' && p.establishedEpoch > 0) {
        if (leader !== null) return false;
        leader = p;
      }
    }
    if (leader === null) return false;
    for (const p of this.peers.values()) {
      if (p === leader) continue;
      if (!p.up || p.leader !== leader.sid || p.leaderTerm !== leader.term) return false;
      if (p.role !== (p.participant ? 'following' : 'observing')) return false;
      if (p.syncedEpoch !== leader.establishedEpoch) return false;
    }
    return true;
  }

  // ------------------------------------------------------------ faults

  private injectFaults(): void {
    const sids = [...this.peers.keys()];
    if (this.prng.chance(0.004)) {
      const p = this.peers.get(this.prng.pick(sids))!;
      if (p.up) this.crash(p, this.now + this.prng.int(5, 150));
    }
    if (this.prng.chance(0.003)) {
      const side = new Set(sids.filter(() => this.prng.chance(0.5)));
      const until = this.now + this.prng.int(10, 250);
      for (const a of sids) for (const b of sids) if (a < b && side.has(a) !== side.has(b)) this.cutPair(a, b, until);
      this.log(`partition {${[...side].join(',')}} until ${until}`);
    }
    if (this.prng.chance(0.006)) {
      const a = this.prng.pick(sids);
      const b = this.prng.pick(sids);
      if (a !== b) {
        const until = this.now + this.prng.int(1, 60);
        this.cutPair(a, b, until);
        this.log(`break ${a}-${b} until ${until}`);
      }
    }
    for (const p of this.peers.values()) {
      if (!p.up && this.now >= p.restartAt) this.restart(p);
    }
  }

  private heal(): void {
    this.cut.clear();
    for (const p of this.peers.values()) if (!p.up) this.restart(p);
    this.maxDelay = this.o.quietMaxDelayTicks;
    this.log('heal');
  }

  private cutPair(a: number, b: number, until: number): void {
    const k = pairKey(a, b);
    this.cut.set(k, Math.max(until, this.cut.get(k) ?? 0));
    this.disconnect(a, b);
  }

  private crash(p: Peer, restartAt: number): void {
    this.log(`crash ${p.sid} until ${restartAt}`);
    p.up = false;
    p.restartAt = restartAt;
    for (const q of this.peers.keys()) if (q !== p.sid) this.disconnect(p.sid, q);
    this.channels.delete(`${p.sid}>${p.sid}`);
  }

  private restart(p: Peer): void {
    this.log(`restart ${p.sid}`);
    p.up = true;
    p.fle = this.newElection(p.sid);
    p.slot = new Map();
    p.lastSent = new Map();
    p.lastRound = 0;
    this.startLooking(p);
  }

  private reachable(a: number, b: number): boolean {
    const until = this.cut.get(pairKey(a, b));
    if (until !== undefined && until > this.now) return false;
    return this.peers.get(a)!.up && this.peers.get(b)!.up;
  }

  private disconnect(a: number, b: number): void {
    if (!this.connections.delete(pairKey(a, b))) return;
    this.channels.delete(`${a}>${b}`);
    this.channels.delete(`${b}>${a}`);
  }

  /** A connection starts: each side sends its queued message, or re-sends its last one. */
  private connect(a: number, b: number): void {
    this.connections.add(pairKey(a, b));
    for (const [from, to] of [[a, b], [b, a]]) {
      const p = this.peers.get(from)!;
      const queued = p.slot.get(to);
      p.slot.delete(to);
      const n = queued ?? p.lastSent.get(to);
      if (n) this.transmit(from, to, n);
    }
  }

  // ------------------------------------------------------------ network

  private send(from: number, to: number, n: Notification): void {
    const p = this.peers.get(from)!;
    if (from === to) {
      this.enqueue(from, to, n, this.prng.int(0, 1));
      return;
    }
    const k = pairKey(from, to);
    if (!this.connections.has(k)) {
      p.slot.set(to, n);
      if (this.reachable(from, to)) this.connect(from, to);
      return;
    }
    this.transmit(from, to, n);
  }

  private transmit(from: number, to: number, n: Notification): void {
    this.peers.get(from)!.lastSent.set(to, n);
    this.enqueue(from, to, n, this.prng.int(0, this.maxDelay));
  }

  private enqueue(from: number, to: number, n: Notification, delay: number): void {
    const key = `${from}>${to}`;
    let ch = this.channels.get(key);
    if (!ch) this.channels.set(key, (ch = []));
    const last = ch.length > 0 ? ch[ch.length - 1].at : 0;
    ch.push({ from, to, at: Math.max(this.now + delay, last), n });
  }

  private deliverDue(): void {
    const keys = this.prng.shuffle([...this.channels.keys()]);
    for (const key of keys) {
      const ch = this.channels.get(key);
      while (ch && ch.length > 0 && ch[0].at <= this.now) {
        const m = ch.shift()!;
        const to = this.peers.get(m.to)!;
        if (!to.up) continue;
        to.fle.receive(m.from, m.n);
        this.drain(to);
      }
    }
  }

  // ------------------------------------------------------------ peers

  private startLooking(p: Peer): void {
    p.role = 'looking';
    p.roleSince = this.now;
    p.establishedEpoch = 0;
    p.leader = 0;
    p.syncedEpoch = 0;
    p.fle.lookForLeader({ lastLoggedZxid: p.lastLoggedZxid, currentEpoch: p.currentEpoch });
    this.drain(p);
  }

  /** Sends what the election asked for and acts on its decision; checks what it decided. */
  private drain(p: Peer): void {
    for (const out of p.fle.takeOutbox()) this.send(p.sid, out.to, out.notification);
    const d = p.fle.takeDecision();
    // A round goes back only when the peer joins an established ensemble (out of election, the
    // round becomes the one its leader was elected in).
    if (p.fle.round < p.lastRound && (d === null || d.vote.electionEpoch !== p.fle.round)) {
      throw new Error(`peer ${p.sid}: round went back from ${p.lastRound} to ${p.fle.round}`);
    }
    p.lastRound = p.fle.round;
    if (d) this.onDecision(p, d);
  }

  private onDecision(p: Peer, d: ElectionDecision): void {
    this.log(`${p.sid} decides ${PeerState[d.state]} leader ${d.vote.leader} round ${d.vote.electionEpoch} peerEpoch ${d.vote.peerEpoch}`);
    if (!this.voters.has(d.vote.leader)) throw new Error(`peer ${p.sid} decided for non-voter ${d.vote.leader}`);
    if ((d.state === PeerState.LEADING) !== (d.vote.leader === p.sid)) throw new Error(`peer ${p.sid} decided ${PeerState[d.state]} for ${d.vote.leader}`);
    if (!p.participant && d.state !== PeerState.OBSERVING) throw new Error(`observer ${p.sid} decided ${PeerState[d.state]}`);
    p.roleSince = this.now;
    if (d.state === PeerState.LEADING) {
      p.role = 'leading';
      p.term++;
      p.establishedEpoch = 0;
      p.lastQuorumTick = this.now;
    } else {
      p.role = d.state === PeerState.FOLLOWING ? 'following' : 'observing';
      p.leader = d.vote.leader;
      p.leaderTerm = 0;
      p.lastLeaderContact = this.now;
    }
  }

  /** The learner dials the leader's quorum port: a reachable pair is connected. */
  private connectedTo(a: Peer, b: Peer): boolean {
    return a.sid === b.sid || this.reachable(a.sid, b.sid);
  }

  private roles(): void {
    for (const p of this.peers.values()) {
      if (!p.up) continue;
      if (p.role === 'leading') this.lead(p);
      else if (p.role === 'following' || p.role === 'observing') this.learn(p);
    }
  }

  private lead(p: Peer): void {
    const followers = [...this.peers.values()].filter((f) =>
      f.up && f.participant && f.sid !== p.sid && f.role === 'following' && f.leader === p.sid && this.connectedTo(p, f)
      && f.leaderTerm === p.term);
    const quorum = followers.length + 1 > Math.floor(this.voters.size / 2);
    const tick = this.o.tickTicks;
    if (p.establishedEpoch === 0) {
      // Leader.waitForEpochAck: a follower whose (currentEpoch, last zxid) is more recent than the
      // leader's is dropped ("Follower is ahead of the leader") and goes LOOKING; it never counts.
      const ahead = followers.filter((f) => f.currentEpoch > p.currentEpoch
        || (f.currentEpoch === p.currentEpoch && f.lastLoggedZxid > p.lastLoggedZxid));
      for (const f of ahead) {
        this.log(`${p.sid} drops ${f.sid}: follower is ahead of the leader`);
        this.startLooking(f);
      }
      if (ahead.length > 0) return;
      if (quorum) {
        // Every acknowledged write must be in the new leader's log (FLE picked the most up-to-date
        // of a quorum, and any quorum holds every acknowledged write).
        if (p.lastLoggedZxid < this.committedZxid) {
          throw new Error(`leader ${p.sid} lacks acknowledged writes: its last zxid ${hex(p.lastLoggedZxid)} < ${hex(this.committedZxid)}`);
        }
        const epoch = 1 + Math.max(p.acceptedEpoch, ...followers.map((f) => f.acceptedEpoch));
        const prior = this.established.get(epoch);
        if (prior !== undefined) throw new Error(`two leaders established epoch ${epoch}: ${prior} and ${p.sid}`);
        this.established.set(epoch, p.sid);
        p.establishedEpoch = epoch;
        p.lastQuorumTick = this.now;
        this.log(`${p.sid} establishes epoch ${epoch} with ${followers.map((f) => f.sid).join(',')}`);
        for (const f of [p, ...followers]) this.adoptEpoch(f, epoch);
        for (const f of followers) this.sync(f, p);
      } else if (this.now - p.roleSince > this.o.initLimit * tick) {
        this.log(`${p.sid} gives up leading: no quorum within initLimit`);
        this.startLooking(p);
      }
      return;
    }
    if (quorum) {
      p.lastQuorumTick = this.now;
      if (this.prng.chance(this.writeChance)) {
        // A write: logged by the leader and its connected followers, acknowledged with a quorum.
        const zxid = Math.max(p.lastLoggedZxid, makeZxid(p.establishedEpoch, 0)) + 1;
        p.lastLoggedZxid = zxid;
        for (const f of followers) if (f.syncedEpoch === p.establishedEpoch) f.lastLoggedZxid = zxid;
        const logged = 1 + followers.filter((f) => f.syncedEpoch === p.establishedEpoch).length;
        if (logged > Math.floor(this.voters.size / 2)) this.committedZxid = Math.max(this.committedZxid, zxid);
      }
    } else if (this.now - p.lastQuorumTick > this.o.syncLimit * tick) {
      this.log(`${p.sid} steps down: lost its quorum`);
      this.startLooking(p);
    }
  }

  private learn(p: Peer): void {
    const leader = this.peers.get(p.leader)!;
    const tick = this.o.tickTicks;
    const reached = leader.up && leader.role === 'leading' && this.connectedTo(p, leader)
      && (p.leaderTerm === 0 || p.leaderTerm === leader.term);
    if (reached) {
      p.lastLeaderContact = this.now;
      if (p.leaderTerm === 0) p.leaderTerm = leader.term;
      // Synced with a leader established without this learner: take its epoch, unless this learner
      // accepted a later one (then LEADERINFO is refused and it goes LOOKING, as Learner does).
      if (leader.establishedEpoch > 0 && p.syncedEpoch !== leader.establishedEpoch) {
        const answer = answerLeaderInfo(leader.establishedEpoch, p.acceptedEpoch, p.currentEpoch);
        if (answer.type === 'reject') {
          this.log(`${p.sid} stops ${p.role}: ${answer.reason}`);
          this.startLooking(p);
          return;
        }
        if (p.participant) this.adoptEpoch(p, leader.establishedEpoch);
        else p.fle.updateElectionVote(leader.establishedEpoch);
        this.sync(p, leader);
      }
      return;
    }
    const limit = (p.leaderTerm === 0 ? this.o.initLimit : this.o.syncLimit) * tick;
    if (this.now - p.lastLeaderContact > limit) {
      this.log(`${p.sid} stops ${p.role}: leader ${p.leader} out of reach`);
      this.startLooking(p);
    }
  }

  /** DIFF, TRUNC or SNAP, to the same effect: the learner's log becomes the leader's. */
  private sync(learner: Peer, leader: Peer): void {
    learner.lastLoggedZxid = leader.lastLoggedZxid;
    learner.syncedEpoch = leader.establishedEpoch;
  }

  /** Writes stop with the faults, so the quiet phase ends with nothing in flight. */
  private get writeChance(): number {
    return this.maxDelay === this.o.maxDelayTicks ? 0.2 : 0;
  }

  private adoptEpoch(p: Peer, epoch: number): void {
    if (epoch < p.acceptedEpoch || epoch < p.currentEpoch) {
      throw new Error(`peer ${p.sid}: epoch would go back to ${epoch} (accepted ${p.acceptedEpoch}, current ${p.currentEpoch})`);
    }
    p.acceptedEpoch = epoch;
    p.currentEpoch = epoch;
    p.fle.updateElectionVote(epoch);
  }

  private step(): void {
    this.now++;
    for (const [k, until] of this.cut) if (until <= this.now) this.cut.delete(k);
    this.deliverDue();
    for (const p of this.peers.values()) {
      if (!p.up) continue;
      p.fle.tick();
      this.drain(p);
    }
    this.roles();
    for (const p of this.peers.values()) {
      if (p.currentEpoch > p.acceptedEpoch) throw new Error(`peer ${p.sid}: currentEpoch ${p.currentEpoch} > acceptedEpoch ${p.acceptedEpoch}`);
    }
  }
}

/** The ensemble shape a seed runs: 3 or 5 participants, sometimes an observer. */
export function simShape(seed: number): Pick<ElectionSimOptions, 'participants' | 'observers'> {
  return { participants: seed % 2 === 0 ? 3 : 5, observers: seed % 3 === 0 ? 1 : 0 };
}

const hex = (zxid: number): string => `0x${zxid.toString(16)}`;

export function runElectionSim(opts: ElectionSimOptions): ElectionSimResult {
  return new ElectionSim(opts).run();
}
