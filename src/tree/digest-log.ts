// Bookkeeping around the tree digest, as Apache ZooKeeper's DataTree keeps it: the digest of the last
// applied zxid (written into snapshot trailers), a short history every 128 zxids, the digest a loaded
// fuzzy snapshot promised for some later zxid, and the count of mismatches seen.

import { DIGEST_VERSION } from './digest.js';

export interface ZxidDigest { zxid: number; digestVersion: number; digest: bigint }

/** Every DIGEST_LOG_INTERVAL zxids one digest is kept, at most DIGEST_LOG_LIMIT of them. */
export const DIGEST_LOG_INTERVAL = 128;
export const DIGEST_LOG_LIMIT = 1024;

export class DigestHistory {
  /** Digest after the highest applied zxid; null until a txn is applied outside a fuzzy replay. */
  lastProcessed: ZxidDigest | null = null;
  /** Digests that did not match (ZooKeeper's digest_mismatches_count). */
  mismatches = 0;
  private readonly log: ZxidDigest[] = [];
  private fromSnapshot: ZxidDigest | null = null;
  private readonly listeners: Array<(zxid: number) => void> = [];

  /** Called with the zxid of every mismatch, like ZooKeeper's DigestWatcher. */
  onMismatch(listener: (zxid: number) => void): void {
    this.listeners.push(listener);
  }

  /** The kept history, oldest first. */
  history(): ZxidDigest[] {
    return [...this.log];
  }

  /** The snapshot digest still waiting for its zxid (replay of a fuzzy snapshot in progress). */
  pendingSnapshotDigest(): ZxidDigest | null {
    return this.fromSnapshot;
  }

  /**
   * Takes the digest from a snapshot's trailer. Until the replay reaches its zxid the tree is fuzzy and
   * txn digests are not compared. A trailer zxid of 0 or below the snapshot's own zxid is ignored, as
   * ZooKeeper does.
   */
  setSnapshotDigest(d: ZxidDigest | null, snapshotZxid: number): void {
    this.fromSnapshot = d !== null && d.zxid > 0 && d.zxid >= snapshotZxid ? { ...d } : null;
  }

  /** After each top-level txn: check against a pending snapshot digest, or record this zxid's digest. */
  afterTxn(zxid: number, treeDigest: () => bigint): void {
    const snap = this.fromSnapshot;
    if (snap !== null) {
      if (zxid === snap.zxid) {
        if (snap.digestVersion === DIGEST_VERSION && treeDigest() !== snap.digest) this.report(zxid);
        this.fromSnapshot = null;
      }
      // A later zxid means the snapshot's zxid never came: ZooKeeper only logs that and keeps waiting.
      return;
    }
    const zd: ZxidDigest = { zxid, digestVersion: DIGEST_VERSION, digest: treeDigest() };
    this.lastProcessed = zd;
    if (zxid % DIGEST_LOG_INTERVAL === 0) {
      this.log.push(zd);
      if (this.log.length > DIGEST_LOG_LIMIT) this.log.shift();
    }
  }

  /** Compares a txn's logged digest with the tree after applying it; true when they agree or can't be compared. */
  compare(zxid: number, logged: { version: number; treeDigest: bigint } | null | undefined, treeDigest: () => bigint): boolean {
    if (logged === null || logged === undefined) return true;
    if (this.fromSnapshot !== null) return true;
    if (logged.version !== DIGEST_VERSION) return true;
    if (logged.treeDigest === treeDigest()) return true;
    this.report(zxid);
    return false;
  }

  private report(zxid: number): void {
    this.mismatches++;
    for (const l of this.listeners) l(zxid);
  }
}
