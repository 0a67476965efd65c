// Drives the pure election (src/zab/election.ts) on real time and a real election transport: ticks
// it every msPerTick, feeds it the notifications that arrive, sends what it asks for, and reports
// its decision. Malformed notifications are logged and dropped, as ZooKeeper's receiver does.

import { FastLeaderElection, type ElectionDecision, type ElectionInit, type ElectionOptions } from '../zab/election.js';
import { decodeNotification, encodeNotification, PeerState } from '../jute/quorum.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';

/** What the election needs of a transport (src/transport/election.ts provides it). */
export interface NotificationTransport {
  send(sid: number, payload: Buffer): void;
}

export interface ElectionHostLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

/** The election's tick: fine enough for FLE's 200 ms waits, coarse enough to cost nothing. */
export const ELECTION_MS_PER_TICK = 50;

export class ElectionHost {
  private readonly fle: FastLeaderElection;
  private timer: TimerHandle | null = null;
  private waiting: ((d: ElectionDecision) => void) | null = null;
  private transport: NotificationTransport | null = null;
  private readonly msPerTick: number;

  constructor(
    opts: Omit<ElectionOptions, 'msPerTick'> & { msPerTick?: number },
    private readonly log: ElectionHostLog,
    private readonly clock: Clock = systemClock,
  ) {
    this.msPerTick = opts.msPerTick ?? ELECTION_MS_PER_TICK;
    this.fle = new FastLeaderElection({ ...opts, msPerTick: this.msPerTick });
  }

  /** Starts ticking; `transport` carries what the election sends (self-addressed sends loop back through it). */
  start(transport: NotificationTransport): void {
    this.transport = transport;
    this.timer = this.clock.setInterval(() => {
      this.fle.tick();
      this.flush();
    }, this.msPerTick);
    this.timer.unref?.();
  }

  stop(): void {
    this.clock.clear(this.timer);
    this.timer = null;
    this.transport = null;
    this.waiting = null;
  }

  get state(): PeerState {
    return this.fle.state;
  }

  get round(): number {
    return this.fle.round;
  }

  /** A frame from the election port. */
  onMessage(sid: number, payload: Buffer): void {
    const n = decodeNotification(payload);
    if (n instanceof Error) {
      this.log.warn(`dropping a malformed notification from sid ${sid} (${payload.length} bytes): ${n.message}`);
      return;
    }
    this.fle.receive(sid, n);
    this.flush();
  }

  /** Goes LOOKING and resolves with the round's decision. */
  lookForLeader(init: ElectionInit): Promise<ElectionDecision> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.log.info(`new election: proposing last zxid 0x${init.lastLoggedZxid.toString(16)}, epoch ${init.currentEpoch}`);
      this.fle.lookForLeader(init);
      this.flush();
    });
  }

  updateElectionVote(newEpoch: number): void {
    this.fle.updateElectionVote(newEpoch);
  }

  private flush(): void {
    const transport = this.transport;
    for (const out of this.fle.takeOutbox()) transport?.send(out.to, encodeNotification(out.notification));
    const d = this.fle.takeDecision();
    if (d) {
      this.log.info(`election round ${d.vote.electionEpoch} decided: ${PeerState[d.state]}, leader ${d.vote.leader}`);
      const w = this.waiting;
      this.waiting = null;
      w?.(d);
    }
  }
}
