// The ZAB broadcast core as a pure state machine, shaped like etcd's raft RawNode: the host feeds it
// proposals and acks with propose()/step(), asks ready() for the work to do (entries to persist,
// proposals now committed), does it in that order, then calls advance(). No I/O, no clock, no timers.
// For now it holds the leader's broadcast phase; a standalone server is a leader whose quorum is itself.

export interface ZabEntry {
  readonly zxid: number;
}

export type ZabMessage =
  /** The host made every entry up to zxid durable on this server. */
  | { type: 'persisted'; zxid: number }
  /** A voter acknowledged every entry up to zxid. */
  | { type: 'ack'; from: number; zxid: number };

export interface Ready<E extends ZabEntry> {
  /** Entries to make durable, in zxid order (the host appends them as one batch). */
  persist: E[];
  /** Entries a quorum has acknowledged, in zxid order: apply them. */
  commit: E[];
}

export interface ZabCoreOptions {
  selfId: number;
  voters: readonly number[];
}

/** Released slots at the front of the log are cut away once there are this many (and half the log). */
const COMPACT_AT = 1024;

export class ZabCore<E extends ZabEntry> {
  /** Proposals not yet both persisted and applied; slots before released() are emptied. */
  private readonly log: Array<E | undefined> = [];
  /** Index in `log` of the first entry not yet handed to the host for persistence. */
  private unpersistedFrom = 0;
  /** Index in `log` of the first entry not yet handed to the host for applying. */
  private uncommittedFrom = 0;
  private readonly acked = new Map<number, number>();
  private lastProposed = 0;

  constructor(private readonly opts: ZabCoreOptions) {
    if (!opts.voters.includes(opts.selfId)) throw new Error('zab: self must be a voter');
    for (const v of opts.voters) this.acked.set(v, 0);
  }

  get quorumSize(): number {
    return Math.floor(this.opts.voters.length / 2) + 1;
  }

  propose(entry: E): void {
    if (entry.zxid <= this.lastProposed) {
      throw new Error(`zab: proposal zxid ${entry.zxid} not above last ${this.lastProposed}`);
    }
    this.lastProposed = entry.zxid;
    this.log.push(entry);
  }

  step(m: ZabMessage): void {
    const from = m.type === 'persisted' ? this.opts.selfId : m.from;
    const prev = this.acked.get(from);
    if (prev === undefined) return; // not a voter: ignore
    if (m.zxid > prev) this.acked.set(from, m.zxid);
  }

  /** Entries held: proposed and not yet both handed off for persistence and applied. */
  get held(): number {
    return this.log.length - this.released();
  }

  /** Index in `log` of the first slot still holding its entry: both handed off, persisted and applied. */
  private released(): number {
    return Math.min(this.uncommittedFrom, this.unpersistedFrom);
  }

  /** The highest zxid acknowledged by a quorum. */
  private committedZxid(): number {
    const acks = [...this.acked.values()].sort((a, b) => b - a);
    return acks[this.quorumSize - 1] ?? 0;
  }

  hasReady(): boolean {
    if (this.unpersistedFrom < this.log.length) return true;
    return this.uncommittedFrom < this.log.length && (this.log[this.uncommittedFrom] as E).zxid <= this.committedZxid();
  }

  ready(): Ready<E> {
    // Both ranges start at or after released(): no emptied slot is handed out.
    const persist = this.log.slice(this.unpersistedFrom) as E[];
    const upTo = this.committedZxid();
    let end = this.uncommittedFrom;
    while (end < this.log.length && (this.log[end] as E).zxid <= upTo) end++;
    const commit = this.log.slice(this.uncommittedFrom, end) as E[];
    return { persist, commit };
  }

  /** The host has handed off `rd.persist` for persistence and applied `rd.commit`. */
  advance(rd: Ready<E>): void {
    const before = this.released();
    this.unpersistedFrom += rd.persist.length;
    this.uncommittedFrom += rd.commit.length;
    // Persisted and applied entries are let go of at once (the txn log keeps them): an entry holds
    // its parsed txn, up to a megabyte for a multi, and one kept past a few young-generation GCs is
    // promoted and left for a full mark-compact of the whole heap, tree included. (Keeping the last
    // 4096 held every txn of a populate by multis until 4096 later writes: 115 MB of the 243 MB
    // live heap right after 200k creates.) The emptied slots are cut away in amortized batches.
    const done = this.released();
    for (let i = before; i < done; i++) this.log[i] = undefined;
    if (done >= COMPACT_AT && done * 2 >= this.log.length) {
      this.log.splice(0, done);
      this.unpersistedFrom -= done;
      this.uncommittedFrom -= done;
    }
  }
}
