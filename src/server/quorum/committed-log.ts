// ZKDatabase's committedLog: the last zookeeper.commitLogCount committed txns, kept in memory by
// every member (filled at start-up from the txn log, then by every txn it commits), so that a leader
// can sync a learner that is slightly behind by DIFF without reading the disk.

import type { TxnEntry, TxnLog } from '../../storage/spi.js';
import { makeZxid, zxidEpoch } from '../../jute/quorum.js';

/** A committed txn as the txn log holds it. */
export type CommittedTxn = TxnEntry;

export class CommittedLog {
  private txns: CommittedTxn[] = [];

  constructor(private readonly capacity: number) {}

  add(zxid: number, payload: Buffer): void {
    const last = this.txns[this.txns.length - 1];
    if (last && zxid <= last.zxid) return; // applied twice (a fast-forward after a commit): keep one
    this.txns.push({ zxid, payload });
    // Cut in batches, not one shift per txn.
    if (this.txns.length > this.capacity * 2) this.txns = this.txns.slice(-this.capacity);
  }

  /** The last `capacity` of them. */
  view(): readonly CommittedTxn[] {
    return this.txns.length > this.capacity ? this.txns.slice(-this.capacity) : this.txns;
  }

  clear(): void {
    this.txns = [];
  }

  /**
   * Refills from the txn log: the txns up to `lastZxid` of its epoch, at most `capacity` (ZooKeeper's
   * are those replayed at start-up; a log is read forwards only, so this starts `capacity` counters
   * below the last zxid).
   */
  async load(log: TxnLog, lastZxid: number): Promise<void> {
    this.clear();
    const from = Math.max(makeZxid(zxidEpoch(lastZxid), 0), lastZxid - this.capacity + 1);
    for await (const run of log.readRuns(from)) {
      for (const e of run) {
        if (e.zxid > lastZxid) return;
        this.add(e.zxid, e.payload);
      }
    }
  }
}
