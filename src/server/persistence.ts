// The server's side of persistence, as ZooKeeper's FileTxnSnapLog and SyncRequestProcessor do it:
// restore (newest valid snapshot, then the log), a snapshot at start-up, a fuzzy snapshot after
// about snapCount txns (randomized so a quorum's members don't all snapshot at once), and autopurge.

import path from 'node:path';
import type { DataTree } from '../tree/data-tree.js';
import type { StorageBackend } from '../storage/spi.js';
import { decodeTxnEntry } from '../storage/txn-entry.js';
import { restoreSnapshot, takeSnapshot, type TakenSnapshot } from '../storage/snapshot/index.js';
import { purge } from '../storage/purge.js';
import { OpCode } from '../protocol/constants.js';
import type { Logger } from '../log/logger.js';
import { hex } from '../log/logger.js';
import { systemClock, type Clock, type TimerHandle } from '../host/clock.js';

/** ZooKeeper tries at most this many of the newest snapshots before giving up. */
const SNAPSHOTS_TRIED_MAX = 100;

export class RestoreError extends Error {
  readonly code = 'ERR_RESTORE';
}

export interface RestoredDatabase {
  /** sessionId → timeout (ms) of sessions open at the last txn. */
  sessions: Map<bigint, number>;
  snapshotZxid: number | null;
  txnsReplayed: number;
  /**
   * Sessions whose ephemerals were removed after the replay because no open session owned them: a
   * change to the tree that no txn records, so only a snapshot makes it durable.
   */
  sessionsKilled: number;
  /** Time to load the snapshot and to replay the log, ms (startup_snap_load_time, startup_txns_load_time). */
  snapshotLoadMs: number;
  txnsLoadMs: number;
}

/**
 * Loads the newest valid snapshot (skipping damaged ones for older, as ZooKeeper does) and replays
 * the log on top of it. Log entries without any snapshot are refused, as ZooKeeper refuses them:
 * the directory is missing the snapshot its log continues from.
 */
export async function restoreDatabase(storage: StorageBackend, tree: DataTree, log: Logger): Promise<RestoredDatabase> {
  let sessions = new Map<bigint, number>();
  let snapshotZxid: number | null = null;
  const started = performance.now();
  const snapshots = (await storage.snapshots.list()).slice(0, SNAPSHOTS_TRIED_MAX);
  const damaged: string[] = [];
  for (const snap of snapshots) {
    const name = snap.location ?? `snapshot ${hex(snap.zxid)}`;
    try {
      const restored = await restoreSnapshot(storage.snapshots, snap.zxid, tree, { file: snap.location });
      sessions = restored.sessions;
      snapshotZxid = restored.zxid;
      log.info(`restored ${name}: ${restored.nodeCount} nodes, ${sessions.size} sessions`);
      break;
    } catch (err) {
      // FileSnap.deserialize's rule: a snapshot that fails to load is skipped for the next older one.
      log.warn(`problem reading ${name}, trying an older snapshot: ${err instanceof Error ? err.message : String(err)}`);
      damaged.push(name);
      // A half-restored tree must not leak into the next attempt.
      tree.beginRestore();
    }
  }
  const lastLogged = await storage.txnLog.lastZxid();
  if (snapshotZxid === null && lastLogged > 0) {
    const where = storage.snapshots.location ?? 'the snapshot store';
    // ZooKeeper refuses both cases too ("Not able to find valid snapshots in <dir>", and "No
    // snapshot found, but there are log entries. Something is broken!").
    const found = damaged.length > 0
      ? `every snapshot in ${where} is damaged (${damaged.map((d) => path.basename(d)).join(', ')})`
      : `there is no snapshot in ${where}`;
    throw new RestoreError(
      `${found}, but the txn log holds entries up to ${hex(lastLogged)}: the log alone cannot rebuild the tree. ` +
      'Restore the newest snapshot from a backup (or, in a quorum, remove this data directory and let the member resync from the leader)',
    );
  }
  const snapshotLoadMs = performance.now() - started;
  let txnsReplayed = 0;
  for await (const run of storage.txnLog.readRuns(tree.lastProcessedZxid + 1)) {
    for (const entry of run) {
      const { header, txn, digest } = decodeTxnEntry(entry);
      if (header.zxid <= tree.lastProcessedZxid) continue;
      tree.apply(header, txn, digest);
      txnsReplayed++;
      if (header.type === OpCode.createSession && txn.type === -10) sessions.set(header.clientId, txn.timeOut);
      else if (header.type === OpCode.closeSession) sessions.delete(header.clientId);
    }
  }
  const txnsLoadMs = performance.now() - started - snapshotLoadMs;
  // Ephemerals whose session is not open any more (it closed in a log we no longer have) go now.
  let sessionsKilled = 0;
  for (const sessionId of [...tree.ephemeralSessions().keys()]) {
    if (sessions.has(sessionId)) continue;
    tree.killSession(sessionId, tree.lastProcessedZxid, null);
    sessionsKilled++;
  }
  return { sessions, snapshotZxid, txnsReplayed, sessionsKilled, snapshotLoadMs, txnsLoadMs };
}

export interface SnapshotPolicy {
  snapCount: number;
  /** KB of log between snapshots; <= 0 disables the size rule. */
  snapSizeLimitKb: number;
  autopurgeSnapRetainCount: number;
  autopurgePurgeIntervalHours: number;
  /** Write each snapshot from the previous one when that is cheaper (takeSnapshot's trackChanges). */
  snapshotIncremental?: boolean;
}

/** How long a due snapshot waits for the new log file's first batch before starting anyway. */
const START_AFTER_ROLL_MS = 50;

/** Decides when to snapshot, takes fuzzy snapshots in the background, and runs autopurge. */
export class Snapshotter {
  private logCount = 0;
  private logBytes = 0;
  private randRoll: number;
  private randSize: number;
  private running: Promise<void> | null = null;
  /** Told of each snapshot written: its whole time, and its main-thread and worker time, ms. */
  onTaken: ((ms: number, taken: TakenSnapshot) => void) | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** A snapshot is due once the log has started its new file (see onLogged). */
  private startTimer: TimerHandle | null = null;
  private stopped = false;
  snapshotsTaken = 0;

  constructor(
    private readonly storage: StorageBackend,
    private readonly tree: DataTree,
    private readonly sessions: () => ReadonlyMap<bigint, number>,
    private readonly policy: SnapshotPolicy,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
    private readonly clock: Clock = systemClock,
  ) {
    this.randRoll = this.nextRandRoll();
    this.randSize = this.nextRandSize();
  }

  private nextRandRoll(): number {
    return Math.floor(this.random() * Math.max(1, Math.floor(this.policy.snapCount / 2)));
  }

  private nextRandSize(): number {
    const limit = this.policy.snapSizeLimitKb * 1024;
    return limit > 0 ? Math.floor(this.random() * Math.floor(limit / 2)) : 0;
  }

  /** SyncRequestProcessor.shouldSnapshot: past half of snapCount plus a random share of the other half. */
  private shouldSnapshot(): boolean {
    const sizeLimit = this.policy.snapSizeLimitKb * 1024;
    return this.logCount > this.policy.snapCount / 2 + this.randRoll
      || (sizeLimit > 0 && this.logBytes > sizeLimit / 2 + this.randSize);
  }

  /**
   * Called after each durable batch. When a snapshot is due, the log rolls (the next batch starts a
   * new file) and a snapshot starts in the background, unless one is still being written.
   *
   * The snapshot starts once the first batch of the new log file is durable (or after
   * START_AFTER_ROLL_MS without writes), not with the roll: creating that file costs the log
   * metadata writes, which queued behind the snapshot's first data writes held appends up to
   * 20-45 ms (measured, million-node snapshot); after it, the snapshot adds ~10 ms at most. The
   * snapshot is fuzzy, so starting a little later changes nothing but its zxid.
   */
  onLogged(entries: number, bytes: number): void {
    if (this.startTimer !== null) this.startDeferred();
    this.logCount += entries;
    this.logBytes += bytes;
    if (!this.shouldSnapshot()) return;
    this.randRoll = this.nextRandRoll();
    this.randSize = this.nextRandSize();
    this.logCount = 0;
    this.logBytes = 0;
    // The log rolls even when the snapshot is skipped, as in ZooKeeper's SyncRequestProcessor.
    void this.storage.txnLog.roll().catch((err: unknown) => this.log.error(`log roll failed: ${String(err)}`));
    if (this.running || this.startTimer !== null) {
      this.log.warn('Too busy to snap, skipping');
      return;
    }
    this.startTimer = this.clock.setTimeout(() => this.startDeferred(), START_AFTER_ROLL_MS);
    this.startTimer.unref?.();
  }

  private startDeferred(): void {
    this.clock.clear(this.startTimer);
    this.startTimer = null;
    if (!this.stopped) void this.snapshot();
  }

  /** Takes a snapshot now (start-up, or on demand); resolves when it is durable. */
  snapshot(): Promise<void> {
    if (this.running) return this.running;
    const zxid = this.tree.lastProcessedZxid;
    const started = performance.now();
    this.running = takeSnapshot(this.tree, this.sessions(), this.storage.snapshots, { trackChanges: this.policy.snapshotIncremental === true })
      .then((taken) => {
        this.snapshotsTaken++;
        const ms = performance.now() - started;
        this.onTaken?.(ms, taken);
        const how = taken.incremental === undefined ? '' : `, from the previous one and ${taken.incremental.changed} changes`;
        this.log.info(`snapshot ${hex(taken.zxid)} written: ${taken.nodeCount} nodes, ${taken.sizeBytes} bytes in ` +
          `${Math.round(ms)} ms (main thread ${Math.round(taken.mainThreadMs)} ms, longest slice ${taken.longestSliceMs.toFixed(1)} ms; ` +
          `worker ${Math.round(taken.workerMs)} ms${how})`);
      })
      .catch((err: unknown) => {
        this.log.error(`snapshot at ${hex(zxid)} failed: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /**
   * A snapshot of the tree as it is now (after waiting out one already running, which may be of an
   * older tree); rejects when it fails. A learner synced by SNAP needs it before it acknowledges
   * NEWLEADER: its log alone no longer rebuilds the tree it was sent.
   */
  async snapshotNow(): Promise<void> {
    if (this.running) await this.running;
    const before = this.snapshotsTaken;
    await this.snapshot();
    if (this.snapshotsTaken === before) throw new Error('snapshot failed (see the log)');
  }

  /** autopurge: first run now, then every purgeInterval hours (0 = off), as DatadirCleanupManager. */
  startAutopurge(): void {
    const hours = this.policy.autopurgePurgeIntervalHours;
    if (hours <= 0) {
      this.log.info('autopurge disabled (autopurge.purgeInterval=0)');
      return;
    }
    const run = (): void => {
      purge(this.storage, this.policy.autopurgeSnapRetainCount).then(
        (r) => this.log.info(`autopurge: kept ${r.kept.length} snapshots, deleted ${r.deleted.length}`),
        (err: unknown) => this.log.error(`autopurge failed: ${String(err)}`),
      );
    };
    run();
    this.purgeTimer = setInterval(run, hours * 3_600_000);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    this.clock.clear(this.startTimer);
    this.startTimer = null;
    await this.running;
  }
}
