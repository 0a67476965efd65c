// The one loop that drives the zab core: proposals go in, the host persists what ready() asks for
// (one txn-log append per batch: the group commit), feeds the durable zxid back as the local ack, and
// hands committed proposals to the pipeline to apply, in that order: persist, then apply, then advance.
//
// Gathering: when the log is idle and the server expects more writes at once (clients whose last
// write was just answered, in a closed loop), the first proposals wait a few turns of the event loop
// for them, at most about one write's time, so that they share one write instead of each waiting
// for the other's. The same after a write that answers such clients: what queued behind it waits
// for them too, or a closed loop settles into two halves taking turns, each paying a whole write
// (level's asynchronous writes, where requests arrive during the write). A client alone, or one
// whose writes queue behind a busy log, never waits.

import { performance } from 'node:perf_hooks';

import { ZabCore } from '../zab/core.js';
import { encodeTxnEntries } from '../storage/txn-entry.js';
import type { TxnEntry, TxnLog } from '../storage/spi.js';
import type { CommitStage, Proposal } from '../pipeline/pipeline.js';

export interface HostEvents {
  apply(p: Proposal): void;
  /** A batch became durable, `ms` after its append began (the snapshot policy counts txns and bytes). */
  logged?(entries: number, bytes: number, ms: number): void;
  /** The txn log failed: nothing more can be made durable, the server must stop. */
  fatal(err: Error): void;
  /**
   * Whether a batch of this many proposals is all the server has to do: then its append may block
   * the thread (AppendOptions.inline), since nothing else would run meanwhile. Default: never.
   */
  alone?(proposals: number): boolean;
  /**
   * How many more writes are on their way right now (clients that will send within a round trip).
   * While any are, an idle log's next batch waits for them (see HostOptions.gatherMaxMs). Default: none.
   */
  expected?(): number;
  /**
   * Whether answering these proposals will leave a client with nothing outstanding: one that will
   * send its next write within a round trip (it joins HostEvents.expected once answered).
   */
  freesWriters?(proposals: readonly Proposal[]): boolean;
  /** Proposals handed to the txn log: a leader sends them to its followers now, in parallel with its own write. */
  proposed?(proposals: readonly Proposal[], entries: readonly TxnEntry[]): void;
  /** A proposal a quorum has acknowledged, just before it is applied: a leader sends COMMIT and INFORM. */
  committed?(p: Proposal): void;
}

/** A batch waits for expected writes at most this long, or the last writes' average, if shorter. */
export const GATHER_MAX_MS = 1;

export interface HostOptions {
  /** This server's id in the zab core. Default 1. */
  readonly selfId?: number;
  /** The voting members whose acks (ack()) count, self included. Default: self alone (standalone). */
  readonly voters?: readonly number[];
  /** The longest a batch waits for expected writes (HostEvents.expected), ms. Default GATHER_MAX_MS. */
  readonly gatherMaxMs?: number;
}
/** Weight of the newest write in the average write time. */
const WRITE_TIME_WEIGHT = 1 / 8;

export class StandaloneHost implements CommitStage {
  private readonly core: ZabCore<Proposal>;
  private appending = false;
  private failed: Error | null = null;
  private scheduled = false;
  /** Number of appends (batches) made, for stats and the bench. */
  batches = 0;
  entriesLogged = 0;
  /** Batches that waited for expected writes (see HostEvents.expected). */
  gathered = 0;
  /** Average time of an append, ms: how long waiting for another write may take at most. */
  private writeMs = 0;
  /** performance.now() of the first proposal of the batch being gathered. */
  private gatherFrom = 0;
  /** The scheduled pump has waited at least one turn for this batch (counted once in `gathered`). */
  private gathering = false;

  private readonly gatherMaxMs: number;

  constructor(private readonly txnLog: TxnLog, private readonly events: HostEvents, options: HostOptions = {}) {
    const selfId = options.selfId ?? 1;
    this.core = new ZabCore<Proposal>({ selfId, voters: options.voters ?? [selfId] });
    this.gatherMaxMs = options.gatherMaxMs ?? GATHER_MAX_MS;
  }

  propose(p: Proposal): void {
    if (this.failed) throw this.failed;
    this.core.propose(p);
    // One append for every proposal made in this turn of the event loop: requests read from all the
    // sockets one poll found readable go out together (a microtask would send the first alone).
    if (!this.scheduled && !this.appending) {
      this.scheduled = true;
      this.gatherFrom = performance.now();
      setImmediate(this.pumpScheduled);
    }
  }

  /** A follower made every proposal up to zxid durable (a leader's view of its ACKs). */
  ack(from: number, zxid: number): void {
    if (this.failed) return;
    this.core.step({ type: 'ack', from, zxid });
    if (!this.appending && !this.scheduled) this.pump();
  }

  /** The scheduled pump: first waits, a turn at a time, while expected writes are on their way. */
  private readonly pumpScheduled = (): void => {
    if (!this.failed && (this.events.expected?.() ?? 0) > 0
      && performance.now() - this.gatherFrom < Math.min(this.writeMs, this.gatherMaxMs)) {
      if (!this.gathering) this.gathered++;
      this.gathering = true;
      setImmediate(this.pumpScheduled);
      return;
    }
    this.gathering = false;
    this.scheduled = false;
    this.pump();
  };

  /** Whether anything proposed is still on its way to being applied. */
  get busy(): boolean {
    return this.appending || this.scheduled || this.core.hasReady();
  }

  /** Resolves once everything proposed so far is persisted and applied (or the log failed). */
  async drain(): Promise<void> {
    while (this.busy && !this.failed) {
      // Only an append in flight is worth awaiting: awaiting a settled one while a pump is still
      // scheduled would spin on microtasks and never let the setImmediate run.
      if (this.appending && this.inflight) await this.inflight.catch(() => undefined);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  private inflight: Promise<void> | null = null;

  private pump(afterWrite = false): void {
    if (this.appending || this.failed || !this.core.hasReady()) return;
    const rd = this.core.ready();
    if (afterWrite && rd.persist.length > 0 && !this.scheduled && this.events.freesWriters?.(rd.commit) === true) {
      // The proposals that queued behind the write would go out without the clients this write
      // answers, whose next writes are a round trip away: answer those first, then gather as a
      // fresh batch does, so that the two halves of a closed loop share one write.
      this.applyAll(rd.commit);
      this.core.advance({ persist: [], commit: rd.commit });
      this.scheduled = true;
      this.gatherFrom = performance.now();
      setImmediate(this.pumpScheduled);
      return;
    }
    if (rd.persist.length > 0) {
      const entries = encodeTxnEntries(rd.persist.map((p) => ({ header: p.prepared.hdr, txn: p.prepared.txn, digest: p.prepared.digest })));
      const last = rd.persist[rd.persist.length - 1].zxid;
      let bytes = 0;
      for (const e of entries) bytes += e.payload.length;
      this.appending = true;
      this.batches++;
      this.entriesLogged += entries.length;
      const started = performance.now();
      this.events.proposed?.(rd.persist, entries);
      this.inflight = this.txnLog.append(entries, { inline: this.events.alone?.(rd.persist.length) === true });
      this.inflight.then(
        () => {
          this.appending = false;
          const took = performance.now() - started;
          this.writeMs = this.writeMs === 0 ? took : this.writeMs + WRITE_TIME_WEIGHT * (took - this.writeMs);
          this.core.step({ type: 'persisted', zxid: last });
          this.events.logged?.(entries.length, bytes, took);
          this.pump(true);
        },
        (err: unknown) => {
          this.appending = false;
          this.failed = err instanceof Error ? err : new Error(String(err));
          this.events.fatal(this.failed);
        },
      );
    }
    this.applyAll(rd.commit);
    this.core.advance(rd);
    if (!this.appending && this.core.hasReady()) this.pump();
  }

  private applyAll(commit: readonly Proposal[]): void {
    const committed = this.events.committed;
    for (const p of commit) {
      committed?.(p);
      this.events.apply(p);
    }
  }
}
