// Zab's discovery on the leader, as Apache ZooKeeper 3.8's Leader runs it: the new epoch from a quorum
// of FOLLOWERINFOs (1 + the largest acceptedEpoch, observers' included), then a quorum of ACKEPOCHs
// (no learner ahead of the leader), then a quorum of NEWLEADER ACKs. And the learner's answer to
// LEADERINFO. Pure: the host reports packets and ticks and does what `take()` says (persist the
// epochs, send LEADERINFO, drop a learner, give up leading), in that order.

import { makeZxid } from '../jute/quorum.js';

export interface LeaderDiscoveryOptions {
  selfId: number;
  /** Voting members: only their FOLLOWERINFOs, ACKEPOCHs and ACKs count for a quorum. */
  voters: ReadonlySet<number>;
  acceptedEpoch: number;
  currentEpoch: number;
  /** The leader's last processed zxid when it starts leading (its StateSummary). */
  lastZxid: number;
  /** initLimit × tickTime in ticks: the longest each phase may wait for its quorum. */
  initLimitTicks: number;
}

export type DiscoveryPhase = 'epoch' | 'epochAck' | 'newLeaderAck' | 'established' | 'failed';

export type DiscoveryAction =
  /** Write acceptedEpoch (before any LEADERINFO goes out). */
  | { type: 'persistAcceptedEpoch'; epoch: number }
  /** Send LEADERINFO(newEpoch<<32, 0x10000) to these learners. */
  | { type: 'sendLeaderInfo'; to: number[]; zxid: number }
  /** Write currentEpoch: a quorum acknowledged the epoch. */
  | { type: 'persistCurrentEpoch'; epoch: number }
  /** A quorum acknowledged NEWLEADER: start serving, UPTODATE to the synced learners. */
  | { type: 'established'; epoch: number }
  /** Close this learner's connection (ZooKeeper's LearnerHandler throws and ends). */
  | { type: 'dropLearner'; sid: number; reason: string }
  /** Leading failed (a phase timed out): go LOOKING. */
  | { type: 'abandon'; reason: string };

/** StateSummary.isMoreRecentThan */
function moreRecent(a: { epoch: number; zxid: number }, b: { epoch: number; zxid: number }): boolean {
  return a.epoch > b.epoch || (a.epoch === b.epoch && a.zxid > b.zxid);
}

export class LeaderDiscovery {
  private phaseNow: DiscoveryPhase = 'epoch';
  private epoch: number;
  private readonly connecting = new Set<number>();
  /** Learners that sent FOLLOWERINFO before the epoch was fixed: they wait for LEADERINFO. */
  private readonly waitingForEpoch = new Set<number>();
  private readonly electing = new Set<number>();
  private readonly newLeaderAcks = new Set<number>();
  private now = 0;
  private deadline: number;
  private actions: DiscoveryAction[] = [];

  constructor(private readonly opts: LeaderDiscoveryOptions) {
    this.epoch = -1;
    this.deadline = opts.initLimitTicks;
    // The leader is its own first follower (Leader.lead calls getEpochToPropose for itself).
    this.followerInfo(opts.selfId, opts.acceptedEpoch);
  }

  get phase(): DiscoveryPhase {
    return this.phaseNow;
  }

  /** The new epoch once fixed, else null. */
  get newEpoch(): number | null {
    return this.phaseNow === 'epoch' || this.phaseNow === 'failed' ? null : this.epoch;
  }

  /** FOLLOWERINFO or OBSERVERINFO from `sid`, whose zxid carried acceptedEpoch<<32. */
  followerInfo(sid: number, acceptedEpoch: number): void {
    if (this.phaseNow === 'failed') return;
    if (this.phaseNow !== 'epoch') {
      if (sid !== this.opts.selfId) this.emit({ type: 'sendLeaderInfo', to: [sid], zxid: makeZxid(this.epoch, 0) });
      return;
    }
    if (acceptedEpoch >= this.epoch) this.epoch = acceptedEpoch + 1;
    if (this.opts.voters.has(sid)) this.connecting.add(sid);
    if (sid !== this.opts.selfId) this.waitingForEpoch.add(sid);
    if (this.connecting.has(this.opts.selfId) && this.isQuorum(this.connecting)) {
      this.emit({ type: 'persistAcceptedEpoch', epoch: this.epoch });
      if (this.waitingForEpoch.size > 0) {
        this.emit({ type: 'sendLeaderInfo', to: [...this.waitingForEpoch].sort((a, b) => a - b), zxid: makeZxid(this.epoch, 0) });
      }
      this.waitingForEpoch.clear();
      this.enter('epochAck');
      // The leader acknowledges its own epoch with its state summary.
      this.ackEpoch(this.opts.selfId, this.opts.currentEpoch, this.opts.lastZxid);
    }
  }

  /** ACKEPOCH from `sid`: its currentEpoch (-1: it had already accepted this epoch) and last logged zxid. */
  ackEpoch(sid: number, currentEpoch: number, lastZxid: number): void {
    if (this.phaseNow !== 'epochAck') return;
    if (currentEpoch !== -1) {
      const leader = { epoch: this.opts.currentEpoch, zxid: this.opts.lastZxid };
      if (moreRecent({ epoch: currentEpoch, zxid: lastZxid }, leader)) {
        this.emit({
          type: 'dropLearner', sid,
          reason: `Follower is ahead of the leader, leader summary: ${leader.epoch} (current epoch), ${leader.zxid} (last zxid)`,
        });
        return;
      }
      if (lastZxid !== -1 && this.opts.voters.has(sid)) this.electing.add(sid);
    }
    if (this.electing.has(this.opts.selfId) && this.isQuorum(this.electing)) {
      this.emit({ type: 'persistCurrentEpoch', epoch: this.epoch });
      this.enter('newLeaderAck');
      this.newLeaderAck(this.opts.selfId, makeZxid(this.epoch, 0));
    }
  }

  /** The first ACK after NEWLEADER; it counts only for the new epoch's zxid (epoch<<32). */
  newLeaderAck(sid: number, zxid: number): void {
    if (this.phaseNow !== 'newLeaderAck') return;
    if (zxid !== makeZxid(this.epoch, 0)) {
      this.emit({ type: 'dropLearner', sid, reason: `NEWLEADER ACK from sid: ${sid} is from a different epoch` });
      return;
    }
    if (this.opts.voters.has(sid)) this.newLeaderAcks.add(sid);
    if (this.newLeaderAcks.has(this.opts.selfId) && this.isQuorum(this.newLeaderAcks)) {
      this.enter('established');
      this.emit({ type: 'established', epoch: this.epoch });
    }
  }

  tick(): void {
    this.now++;
    if (this.phaseNow === 'established' || this.phaseNow === 'failed' || this.now < this.deadline) return;
    const what = this.phaseNow === 'epoch' ? 'epoch from quorum'
      : this.phaseNow === 'epochAck' ? 'epoch to be acked by quorum' : 'NEWLEADER to be acked by quorum';
    this.phaseNow = 'failed';
    this.emit({ type: 'abandon', reason: `Timeout while waiting for ${what}` });
  }

  /** What to do, in order. */
  take(): DiscoveryAction[] {
    const out = this.actions;
    this.actions = [];
    return out;
  }

  private enter(phase: DiscoveryPhase): void {
    this.phaseNow = phase;
    this.deadline = this.now + this.opts.initLimitTicks;
  }

  private isQuorum(acks: ReadonlySet<number>): boolean {
    let n = 0;
    for (const sid of acks) if (this.opts.voters.has(sid)) n++;
    return n > Math.floor(this.opts.voters.size / 2);
  }

  private emit(a: DiscoveryAction): void {
    this.actions.push(a);
  }
}

export type LeaderInfoAnswer =
  /** Persist acceptedEpoch = newEpoch first, then ACKEPOCH with data = currentEpoch. */
  | { type: 'accept'; newEpoch: number; ackEpochData: number }
  /** Already accepted this epoch: ACKEPOCH with data -1. */
  | { type: 'alreadyAccepted'; ackEpochData: -1 }
  /** The leader is behind what this learner accepted: go LOOKING. */
  | { type: 'reject'; reason: string };

/** Learner.registerWithLeader's answer to LEADERINFO(newEpoch<<32). ACKEPOCH.zxid is the learner's last logged zxid. */
export function answerLeaderInfo(newEpoch: number, acceptedEpoch: number, currentEpoch: number): LeaderInfoAnswer {
  if (newEpoch > acceptedEpoch) return { type: 'accept', newEpoch, ackEpochData: currentEpoch };
  if (newEpoch === acceptedEpoch) return { type: 'alreadyAccepted', ackEpochData: -1 };
  return { type: 'reject', reason: `Leaders epoch, ${newEpoch} is less than accepted epoch, ${acceptedEpoch}` };
}
