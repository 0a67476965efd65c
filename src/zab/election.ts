// Fast Leader Election as Apache ZooKeeper 3.8 runs it (FastLeaderElection: its WorkerReceiver and
// lookForLeader), as a pure state machine: the host feeds it notifications and ticks, and drains the
// notifications it asks to send and the decision it reaches. No I/O, clock or timers.
//
// One instance lives as long as the peer: the receiver side answers LOOKING peers while this peer
// leads, follows or observes, and lookForLeader() starts a new round whenever the peer goes LOOKING.
// Time is counted in ticks of `msPerTick`; ZooKeeper's millisecond waits are rounded up to ticks.

import { LONG_MIN, PeerState, type Notification } from '../jute/quorum.js';

export { PeerState };

/** ZooKeeper's Vote: what a peer proposes (LOOKING) or follows. */
export interface Vote {
  leader: number;
  zxid: number;
  electionEpoch: number;
  peerEpoch: number;
  /** LOOKING for the votes of a round; the sender's state for votes about an established leader. */
  state: PeerState;
  /** The notification format version the vote came in (0 when built locally, as Java's Vote does). */
  version: number;
}

export interface ElectionOptions {
  selfId: number;
  /** Voting members (participants) of the committed config. */
  voters: ReadonlySet<number>;
  /** This peer's role: observers propose nothing and decide OBSERVING. */
  participant: boolean;
  /** QuorumMaj.toString of the committed config, sent in every notification. */
  config: string;
  /** How many milliseconds one tick() stands for. */
  msPerTick: number;
  /** zookeeper.fastleader.minNotificationInterval; default 200. */
  minNotificationIntervalMs?: number;
  /** zookeeper.fastleader.maxNotificationInterval; default 60000. */
  maxNotificationIntervalMs?: number;
  /** FastLeaderElection.finalizeWait; 200. */
  finalizeWaitMs?: number;
}

/** What the peer brings to a round: its last logged zxid and currentEpoch (participants only). */
export interface ElectionInit {
  lastLoggedZxid: number;
  currentEpoch: number;
}

export interface OutgoingNotification {
  to: number;
  notification: Notification;
}

export interface ElectionDecision {
  state: PeerState.LEADING | PeerState.FOLLOWING | PeerState.OBSERVING;
  vote: Vote;
}

export const MIN_NOTIFICATION_INTERVAL_MS = 200;
export const MAX_NOTIFICATION_INTERVAL_MS = 60_000;
export const FINALIZE_WAIT_MS = 200;

/** Vote.equals: full comparison while either side is LOOKING, else (id, peerEpoch) or id alone. */
export function votesEqual(a: Vote, b: Vote): boolean {
  if (a.state === PeerState.LOOKING || b.state === PeerState.LOOKING) {
    return a.leader === b.leader && a.zxid === b.zxid && a.electionEpoch === b.electionEpoch && a.peerEpoch === b.peerEpoch;
  }
  if ((a.version > 0) !== (b.version > 0)) return a.leader === b.leader;
  return a.leader === b.leader && a.peerEpoch === b.peerEpoch;
}

/** totalOrderPredicate: the new vote is better in the order (peerEpoch, zxid, sid). */
export function voteBeats(
  newId: number, newZxid: number, newEpoch: number,
  curId: number, curZxid: number, curEpoch: number,
  voters: ReadonlySet<number>,
): boolean {
  if (!voters.has(newId)) return false; // QuorumMaj weight 0
  if (newEpoch !== curEpoch) return newEpoch > curEpoch;
  if (newZxid !== curZxid) return newZxid > curZxid;
  return newId > curId;
}

export class FastLeaderElection {
  private peerState: PeerState = PeerState.LOOKING;
  /** QuorumPeer.currentVote: what this peer answers with while not LOOKING. */
  private current: Vote;
  private logicalclock = 0;
  private proposedLeader: number;
  private proposedZxid: number;
  private proposedEpoch: number;
  private init: ElectionInit = { lastLoggedZxid: 0, currentEpoch: 0 };
  private recvset = new Map<number, Vote>();
  private outofelection = new Map<number, Vote>();
  /** Whether a round is running (lookForLeader has not returned). */
  private looking = false;
  /** In the finalize wait: a quorum agrees, waiting for silence before deciding. */
  private finalizing = false;
  private notTimeoutMs: number;
  private now = 0;
  private deadline = 0;
  private outbox: OutgoingNotification[] = [];
  private decision: ElectionDecision | null = null;
  /** Whether currentVote has been set: at the first round, from the peer's own data. */
  private voteInitialized = false;

  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly finalizeWaitMs: number;

  constructor(private readonly opts: ElectionOptions) {
    if (!(opts.msPerTick > 0)) throw new Error('election: msPerTick must be positive');
    if (opts.participant && !opts.voters.has(opts.selfId)) throw new Error('election: a participant must be a voter');
    this.minIntervalMs = opts.minNotificationIntervalMs ?? MIN_NOTIFICATION_INTERVAL_MS;
    this.maxIntervalMs = opts.maxNotificationIntervalMs ?? MAX_NOTIFICATION_INTERVAL_MS;
    this.finalizeWaitMs = opts.finalizeWaitMs ?? FINALIZE_WAIT_MS;
    this.notTimeoutMs = this.minIntervalMs;
    this.proposedLeader = this.initId();
    this.proposedZxid = LONG_MIN;
    this.proposedEpoch = LONG_MIN;
    this.current = { leader: this.proposedLeader, zxid: 0, electionEpoch: 0, peerEpoch: 0, state: PeerState.LOOKING, version: 0 };
  }

  get state(): PeerState {
    return this.peerState;
  }

  get round(): number {
    return this.logicalclock;
  }

  get currentVote(): Vote {
    return { ...this.current };
  }

  /** The proposal of the round in progress (getVote()). */
  get proposal(): { leader: number; zxid: number; peerEpoch: number } {
    return { leader: this.proposedLeader, zxid: this.proposedZxid, peerEpoch: this.proposedEpoch };
  }

  /** lookForLeader: the peer goes LOOKING and a new round starts. */
  lookForLeader(init: ElectionInit): void {
    this.init = { ...init };
    if (!this.voteInitialized) {
      // QuorumPeer.startLeaderElection: (myid, lastLoggedZxid, currentEpoch), the round unknown.
      this.current = { leader: this.opts.selfId, zxid: init.lastLoggedZxid, electionEpoch: -1, peerEpoch: init.currentEpoch, state: PeerState.LOOKING, version: 0 };
      this.voteInitialized = true;
    }
    this.peerState = PeerState.LOOKING;
    this.looking = true;
    this.finalizing = false;
    this.decision = null;
    this.recvset.clear();
    this.outofelection.clear();
    this.notTimeoutMs = this.minIntervalMs;
    this.logicalclock++;
    this.updateProposal(this.initId(), this.initZxid(), this.initEpoch());
    this.sendNotifications();
    this.arm(this.notTimeoutMs);
  }

  /** QuorumPeer.updateElectionVote: after sync, answer with the new epoch (ZOOKEEPER-1732). */
  updateElectionVote(newEpoch: number): void {
    this.current = { ...this.current, peerEpoch: newEpoch };
  }

  /** A notification from `from` (WorkerReceiver, then lookForLeader's handling while LOOKING). */
  receive(from: number, n: Notification): void {
    if (!this.opts.voters.has(from)) {
      // A non-voter (an observer) is answered at once and its notification goes no further.
      this.send(from, this.current.leader, this.current.zxid, this.logicalclock, this.peerState, this.current.peerEpoch);
      return;
    }
    if (this.peerState === PeerState.LOOKING) {
      if (n.state === PeerState.LOOKING && n.electionEpoch < this.logicalclock) {
        this.send(from, this.proposedLeader, this.proposedZxid, this.logicalclock, this.peerState, this.proposedEpoch);
      }
      if (this.looking) this.handle(from, n);
    } else if (n.state === PeerState.LOOKING) {
      // Settled peers tell a LOOKING one whom they follow, with the round they decided in.
      this.send(from, this.current.leader, this.current.zxid, this.current.electionEpoch, this.peerState, this.current.peerEpoch);
    }
  }

  tick(): void {
    this.now++;
    if (!this.looking || this.now < this.deadline) return;
    if (this.finalizing) {
      this.decide(this.proposedLeader, this.proposedZxid, this.logicalclock, this.proposedEpoch);
      return;
    }
    // No notification within the interval: send ours again (the transport reconnects where it must).
    this.sendNotifications();
    this.notTimeoutMs = Math.min(this.notTimeoutMs * 2, this.maxIntervalMs);
    this.arm(this.notTimeoutMs);
  }

  /** Notifications to send, oldest first; the host delivers self-addressed ones back to receive(). */
  takeOutbox(): OutgoingNotification[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  /** The round's outcome, once: the peer is then LEADING, FOLLOWING or OBSERVING. */
  takeDecision(): ElectionDecision | null {
    const d = this.decision;
    this.decision = null;
    return d;
  }

  private handle(from: number, n: Notification): void {
    if (this.finalizing) {
      // Finalize wait: a better vote reopens the round; anything else is consumed and dropped.
      if (!voteBeats(n.leader, n.zxid, n.peerEpoch, this.proposedLeader, this.proposedZxid, this.proposedEpoch, this.opts.voters)) {
        this.arm(this.finalizeWaitMs);
        return;
      }
      this.finalizing = false;
    }
    this.arm(this.notTimeoutMs);
    if (!this.opts.voters.has(from) || !this.opts.voters.has(n.leader)) return;
    switch (n.state) {
      case PeerState.LOOKING:
        this.handleLooking(from, n);
        break;
      case PeerState.FOLLOWING:
      case PeerState.LEADING:
        this.handleSettled(from, n);
        break;
      case PeerState.OBSERVING:
        break;
    }
  }

  private handleLooking(from: number, n: Notification): void {
    if (this.initZxid() === -1 || n.zxid === -1) return;
    if (n.electionEpoch > this.logicalclock) {
      this.logicalclock = n.electionEpoch;
      this.recvset.clear();
      if (voteBeats(n.leader, n.zxid, n.peerEpoch, this.initId(), this.initZxid(), this.initEpoch(), this.opts.voters)) {
        this.updateProposal(n.leader, n.zxid, n.peerEpoch);
      } else {
        this.updateProposal(this.initId(), this.initZxid(), this.initEpoch());
      }
      this.sendNotifications();
    } else if (n.electionEpoch < this.logicalclock) {
      return;
    } else if (voteBeats(n.leader, n.zxid, n.peerEpoch, this.proposedLeader, this.proposedZxid, this.proposedEpoch, this.opts.voters)) {
      this.updateProposal(n.leader, n.zxid, n.peerEpoch);
      this.sendNotifications();
    }
    this.recvset.set(from, { leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: PeerState.LOOKING, version: 0 });
    const mine: Vote = {
      leader: this.proposedLeader, zxid: this.proposedZxid, electionEpoch: this.logicalclock,
      peerEpoch: this.proposedEpoch, state: PeerState.LOOKING, version: 0,
    };
    if (this.hasQuorum(this.recvset, mine)) {
      this.finalizing = true;
      this.arm(this.finalizeWaitMs);
    }
  }

  /** receivedFollowingNotification: join a round's winner, or an ensemble that is already established. */
  private handleSettled(from: number, n: Notification): void {
    const theirs: Vote = {
      leader: n.leader, zxid: n.zxid, electionEpoch: n.electionEpoch, peerEpoch: n.peerEpoch, state: n.state, version: n.version,
    };
    if (n.electionEpoch === this.logicalclock) {
      // Java stores these without the version, so they match `theirs` on the leader alone.
      this.recvset.set(from, { ...theirs, version: 0 });
      if (this.hasQuorum(this.recvset, theirs) && this.checkLeader(this.recvset, n.leader, n.electionEpoch)) {
        this.decide(n.leader, n.zxid, n.electionEpoch, n.peerEpoch);
        return;
      }
    }
    this.outofelection.set(from, theirs);
    if (this.hasQuorum(this.outofelection, theirs) && this.checkLeader(this.outofelection, n.leader, n.electionEpoch)) {
      this.logicalclock = n.electionEpoch;
      this.decide(n.leader, n.zxid, n.electionEpoch, n.peerEpoch);
    }
  }

  /** checkLeader: another peer's leadership counts only once it said LEADING itself. */
  private checkLeader(votes: Map<number, Vote>, leader: number, electionEpoch: number): boolean {
    if (leader !== this.opts.selfId) return votes.get(leader)?.state === PeerState.LEADING;
    return this.logicalclock === electionEpoch;
  }

  /** getVoteTracker + hasAllQuorums: the voters whose vote equals `vote` are more than half. */
  private hasQuorum(votes: Map<number, Vote>, vote: Vote): boolean {
    let acks = 0;
    for (const [sid, v] of votes) if (this.opts.voters.has(sid) && votesEqual(vote, v)) acks++;
    return acks > Math.floor(this.opts.voters.size / 2);
  }

  private decide(leader: number, zxid: number, electionEpoch: number, peerEpoch: number): void {
    let state: ElectionDecision['state'];
    if (leader === this.opts.selfId) state = PeerState.LEADING;
    else state = this.opts.participant ? PeerState.FOLLOWING : PeerState.OBSERVING;
    this.peerState = state;
    this.looking = false;
    this.finalizing = false;
    this.current = { leader, zxid, electionEpoch, peerEpoch, state: PeerState.LOOKING, version: 0 };
    this.decision = { state, vote: { ...this.current } };
  }

  private sendNotifications(): void {
    for (const sid of [...this.opts.voters].sort((a, b) => a - b)) {
      this.send(sid, this.proposedLeader, this.proposedZxid, this.logicalclock, PeerState.LOOKING, this.proposedEpoch);
    }
  }

  private send(to: number, leader: number, zxid: number, electionEpoch: number, state: PeerState, peerEpoch: number): void {
    this.outbox.push({ to, notification: { state, leader, zxid, electionEpoch, peerEpoch, version: 2, config: this.opts.config } });
  }

  private updateProposal(leader: number, zxid: number, epoch: number): void {
    this.proposedLeader = leader;
    this.proposedZxid = zxid;
    this.proposedEpoch = epoch;
  }

  private arm(ms: number): void {
    this.deadline = this.now + Math.max(1, Math.ceil(ms / this.opts.msPerTick));
  }

  private initId(): number {
    return this.opts.voters.has(this.opts.selfId) ? this.opts.selfId : LONG_MIN;
  }

  private initZxid(): number {
    return this.opts.participant ? this.init.lastLoggedZxid : LONG_MIN;
  }

  private initEpoch(): number {
    return this.opts.participant ? this.init.currentEpoch : LONG_MIN;
  }
}
