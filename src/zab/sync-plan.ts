// How a leader brings a learner up to date, chosen as Apache ZooKeeper 3.8's LearnerHandler.syncFollower
// chooses: DIFF (the learner's history is a prefix of ours: send what it lacks), TRUNC (it has txns we
// never committed: cut them, then send what it lacks) or SNAP (neither is possible: send the tree).
// Pure: the history comes in as zxid lists; reading the on-disk txn log is the host's, asked for by a
// `needDiskLog` answer and handed back in `diskLog`.

import { zxidCounter, zxidEpoch } from '../jute/quorum.js';

export interface SyncInput {
  /** The learner's last logged zxid (ACKEPOCH.zxid). */
  peerLastZxid: number;
  /** The leader's tree: its last processed zxid. */
  lastProcessedZxid: number;
  /** The in-memory committed log (zookeeper.commitLogCount txns), ascending. */
  committedLog: readonly number[];
  /** zookeeper.forceSnapshotSync */
  forceSnapshotSync: boolean;
  /** zookeeper.snapshotSizeFactor >= 0: the on-disk txn log may serve a learner behind the committed log. */
  txnLogSyncEnabled: boolean;
  /**
   * The on-disk txn log read from peerLastZxid on, ascending: empty when it does not start at or
   * before peerLastZxid, or is larger than snapshotSizeFactor × the newest snapshot (ZKDatabase's
   * getProposalsFromTxnLog). Absent until the host has read it.
   */
  diskLog?: readonly number[];
}

/** One committed txn to send as PROPOSAL + COMMIT, from the disk log or the committed log. */
export interface SyncTxn {
  zxid: number;
  from: 'disk' | 'memory';
}

export type SyncPlan =
  | { kind: 'needDiskLog'; from: number }
  | {
    kind: 'sync';
    /** The first packet: DIFF or TRUNC with its zxid, or SNAP (then `txns` is empty). */
    mode: 'DIFF' | 'TRUNC' | 'SNAP';
    zxid: number;
    txns: SyncTxn[];
    /** Leader.startForwarding starts after this zxid (toBeApplied and outstanding proposals above it). */
    forwardFrom: number;
  };

const isNewEpochZxid = (zxid: number): boolean => zxidCounter(zxid) === 0;

export function planSync(input: SyncInput): SyncPlan {
  const { peerLastZxid, lastProcessedZxid } = input;
  const log = input.committedLog;
  const minCommitted = log.length > 0 ? log[0] : lastProcessedZxid;
  const maxCommitted = log.length > 0 ? log[log.length - 1] : lastProcessedZxid;
  const snap = (): SyncPlan => ({ kind: 'sync', mode: 'SNAP', zxid: lastProcessedZxid, txns: [], forwardFrom: lastProcessedZxid });

  if (input.forceSnapshotSync) return snap();
  if (lastProcessedZxid === peerLastZxid) {
    return { kind: 'sync', mode: 'DIFF', zxid: peerLastZxid, txns: [], forwardFrom: peerLastZxid };
  }
  if (peerLastZxid > maxCommitted && !isNewEpochZxid(peerLastZxid)) {
    return { kind: 'sync', mode: 'TRUNC', zxid: maxCommitted, txns: [], forwardFrom: maxCommitted };
  }
  if (peerLastZxid >= minCommitted && peerLastZxid <= maxCommitted) {
    const q = new Queue(peerLastZxid, maxCommitted);
    q.take(log, 'memory', null);
    if (q.op === null) return snap(); // a TRUNC would cross an epoch: ZooKeeper falls back to SNAP
    return { kind: 'sync', mode: q.op.mode, zxid: q.op.zxid, txns: q.txns, forwardFrom: q.queued };
  }
  if (peerLastZxid < minCommitted && input.txnLogSyncEnabled) {
    if (input.diskLog === undefined) return { kind: 'needDiskLog', from: peerLastZxid };
    if (input.diskLog.length > 0) {
      const q = new Queue(peerLastZxid, maxCommitted);
      q.take(input.diskLog, 'disk', minCommitted);
      // The disk log must reach the committed log, or there is a gap only a snapshot can fill.
      if (q.queued >= minCommitted && q.op !== null) {
        q.take(log, 'memory', null);
        return { kind: 'sync', mode: q.op.mode, zxid: q.op.zxid, txns: q.txns, forwardFrom: q.queued };
      }
    }
  }
  return snap();
}

/** LearnerHandler.queueCommittedProposals: the op packet first, then every txn above the peer's zxid. */
class Queue {
  op: { mode: 'DIFF' | 'TRUNC'; zxid: number } | null = null;
  readonly txns: SyncTxn[] = [];
  queued: number;
  private gaveUp = false;

  constructor(private readonly peerLastZxid: number, private readonly lastCommitted: number) {
    this.queued = peerLastZxid;
  }

  take(zxids: readonly number[], from: SyncTxn['from'], maxZxid: number | null): void {
    if (this.gaveUp) return;
    const peer = this.peerLastZxid;
    let prev = -1;
    for (const zxid of zxids) {
      if (maxZxid !== null && zxid > maxZxid) break;
      if (zxid < peer) {
        prev = zxid;
        continue;
      }
      if (this.op === null) {
        if (zxid === peer) {
          this.op = { mode: 'DIFF', zxid: this.lastCommitted };
          continue;
        }
        if (isNewEpochZxid(peer)) {
          this.op = { mode: 'DIFF', zxid: this.lastCommitted };
        } else if (zxid > peer) {
          // The peer has txns we never saw (an old leader's tail): cut them, unless that crosses an epoch.
          if (zxidEpoch(zxid) !== zxidEpoch(peer)) {
            this.gaveUp = true;
            return;
          }
          this.op = { mode: 'TRUNC', zxid: prev };
        }
      }
      if (zxid <= this.queued) continue;
      this.txns.push({ zxid, from });
      this.queued = zxid;
    }
    if (this.op === null && isNewEpochZxid(peer)) this.op = { mode: 'DIFF', zxid: this.lastCommitted };
  }
}
