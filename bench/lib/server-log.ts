// Reads what the servers log about snapshots and restores: zk-server's own lines, and Apache
// ZooKeeper 3.8's through slf4j-simple with millisecond timestamps (see targets.ts, snapshotLog).
//
// zk-server (src/server/log.ts, persistence.ts, server.ts):
//   <ISO time> [INFO] snapshot - snapshot 0x<zxid> written: <n> nodes, <b> bytes in <t> ms (main thread <m> ms, longest slice <s> ms; worker <w> ms)
//   <ISO time> [INFO] zk-server - restored <file>: <n> nodes, <k> sessions
//   <ISO time> [INFO] zk-server - restored to 0x<zxid> (<r> txns replayed, <k> sessions) in <t> ms
// Apache ZooKeeper 3.8 (FileTxnSnapLog, ZooKeeperServer, ZKDatabase, SyncRequestProcessor):
//   <ISO time> [<thread>] INFO <logger> - Snapshotting: 0x<zxid> to <file>
//   <ISO time> [<thread>] INFO <logger> - Snapshot taken in <t> ms
//   <ISO time> [<thread>] INFO <logger> - <r> txns loaded in <t> ms
//   <ISO time> [<thread>] INFO <logger> - Snapshot loaded in <t> ms, highest zxid is 0x<zxid>, digest is <d>
// Both: "Too busy to snap, skipping" (WARN) when a snapshot is due while one is still running.

import type { TimeSpan } from './samples.js';

export type ServerFlavour = 'zk-server' | 'apache-zk';

/** One snapshot as logged: it ran from startMs to endMs (epoch ms). */
export interface LoggedSnapshot extends TimeSpan {
  durationMs: number;
  zxid: string | null;
  /** zk-server only. */
  nodes: number | null;
  bytes: number | null;
  longestSliceMs: number | null;
}

/** What a start-up logged about restoring its data dir (ms; null where the server does not say). */
export interface RestoreBreakdown {
  /** Reading the newest snapshot (zk-server: from restore start to its "restored <file>" line). */
  snapshotLoadMs: number | null;
  /** Replaying the txn log on top of it. */
  logReplayMs: number | null;
  txnsReplayed: number | null;
  /** Snapshot plus replay, as the server times it. */
  restoreMs: number | null;
  /**
   * The start-up snapshot's time before serving: ZooKeeper always takes it then; zk-server only
   * when the data directory could not rebuild the restored tree without it, else 0 (it is then
   * written in the background while serving, or not at all when nothing was replayed).
   */
  startupSnapshotMs: number | null;
  /** From spawn to the start of restore: runtime start-up, module loading, opening storage. */
  processStartMs: number | null;
  nodesRestored: number | null;
}

interface ParsedLine { atMs: number; message: string }

const ZK_SERVER_LINE = /^(\d{4}-\d\d-\d\dT\S+Z) \[(\w+)\] \S+ - (.*)$/;
const APACHE_LINE = /^(\d{4}-\d\d-\d\dT\S+) \[.*?\] (\w+) \S+ - (.*)$/;

function parseLine(flavour: ServerFlavour, line: string): ParsedLine | null {
  const m = (flavour === 'zk-server' ? ZK_SERVER_LINE : APACHE_LINE).exec(line);
  if (m === null) return null;
  const atMs = Date.parse(m[1]);
  return Number.isFinite(atMs) ? { atMs, message: m[3] } : null;
}

const ZK_SERVER_SNAPSHOT = /^snapshot (0x[0-9a-f]+) written: (\d+) nodes, (\d+) bytes in (\d+) ms \((?:main thread \d+ ms, )?longest slice ([\d.]+) ms/;
const APACHE_SNAPSHOT_START = /^Snapshotting: (0x[0-9a-f]+) to /;
const APACHE_SNAPSHOT_END = /^Snapshot taken in (\d+) ms/;
const TOO_BUSY = /Too busy to snap, skipping/;

/** Collects the snapshots a running server logs, from its stderr lines. */
export class SnapshotLogWatcher {
  readonly snapshots: LoggedSnapshot[] = [];
  /** Snapshots skipped because the previous one was still being written. */
  skipped = 0;
  /** ZooKeeper: a snapshot that logged its start and not yet its end (zk-server logs only the end). */
  openSince: { atMs: number; zxid: string } | null = null;
  private readonly endListeners = new Set<(s: LoggedSnapshot) => void>();

  constructor(readonly flavour: ServerFlavour) {}

  /** Feed every stderr line of the server. */
  readonly onLine = (line: string): void => {
    const p = parseLine(this.flavour, line);
    if (p === null) return;
    if (TOO_BUSY.test(p.message)) { this.skipped++; return; }
    if (this.flavour === 'zk-server') {
      const m = ZK_SERVER_SNAPSHOT.exec(p.message);
      if (m === null) return;
      const durationMs = Number(m[4]);
      this.ended({
        startMs: p.atMs - durationMs, endMs: p.atMs, durationMs, zxid: m[1],
        nodes: Number(m[2]), bytes: Number(m[3]), longestSliceMs: Number(m[5]),
      });
      return;
    }
    const start = APACHE_SNAPSHOT_START.exec(p.message);
    if (start !== null) { this.openSince = { atMs: p.atMs, zxid: start[1] }; return; }
    const end = APACHE_SNAPSHOT_END.exec(p.message);
    if (end === null) return;
    const durationMs = Number(end[1]);
    const zxid = this.openSince?.zxid ?? null;
    this.openSince = null;
    this.ended({ startMs: p.atMs - durationMs, endMs: p.atMs, durationMs, zxid, nodes: null, bytes: null, longestSliceMs: null });
  };

  /** Calls `listener` for each snapshot that ends from now on; returns the unsubscribe. */
  onSnapshotEnd(listener: (s: LoggedSnapshot) => void): () => void {
    this.endListeners.add(listener);
    return () => { this.endListeners.delete(listener); };
  }

  /** Snapshots that ran at least partly between fromMs and toMs. */
  overlapping(fromMs: number, toMs: number): LoggedSnapshot[] {
    return this.snapshots.filter((s) => s.startMs < toMs && s.endMs > fromMs);
  }

  private ended(s: LoggedSnapshot): void {
    this.snapshots.push(s);
    for (const l of this.endListeners) l(s);
  }
}

const ZK_SERVER_RESTORED_SNAPSHOT = /^restored (\S+): (\d+) nodes, \d+ sessions/;
const ZK_SERVER_RESTORED = /^restored to 0x[0-9a-f]+ \((\d+) txns replayed, \d+ sessions\) in (\d+) ms/;
const ZK_SERVER_STARTUP_SNAPSHOT_DEFERRED = /^start-up snapshot: (written in the background|not needed)/;
const APACHE_TXNS_LOADED = /^(\d+) txns loaded in (\d+) ms/;
const APACHE_DB_LOADED = /^Snapshot loaded in (\d+) ms/;

/** Collects a start-up's restore lines; `breakdown` once the server serves. */
export class RestoreLogWatcher {
  private restoredSnapshotAt: number | null = null;
  private nodes: number | null = null;
  private restoredAt: number | null = null;
  private restoreMs: number | null = null;
  private replayMs: number | null = null;
  private txns: number | null = null;
  private startupSnapshotMs: number | null = null;

  constructor(private readonly flavour: ServerFlavour) {}

  readonly onLine = (line: string): void => {
    const p = parseLine(this.flavour, line);
    if (p === null) return;
    let m: RegExpExecArray | null;
    if (this.flavour === 'zk-server') {
      if ((m = ZK_SERVER_RESTORED_SNAPSHOT.exec(p.message)) !== null) {
        this.restoredSnapshotAt = p.atMs;
        this.nodes = Number(m[2]);
      } else if ((m = ZK_SERVER_RESTORED.exec(p.message)) !== null) {
        this.restoredAt = p.atMs;
        this.txns = Number(m[1]);
        this.restoreMs = Number(m[2]);
      } else if (ZK_SERVER_STARTUP_SNAPSHOT_DEFERRED.test(p.message) && this.startupSnapshotMs === null) {
        this.startupSnapshotMs = 0;
      } else if ((m = ZK_SERVER_SNAPSHOT.exec(p.message)) !== null && this.startupSnapshotMs === null) {
        this.startupSnapshotMs = Number(m[4]);
      }
      return;
    }
    if ((m = APACHE_TXNS_LOADED.exec(p.message)) !== null) {
      this.txns = Number(m[1]);
      this.replayMs = Number(m[2]);
    } else if ((m = APACHE_DB_LOADED.exec(p.message)) !== null) {
      this.restoredAt = p.atMs;
      this.restoreMs = Number(m[1]);
    } else if ((m = APACHE_SNAPSHOT_END.exec(p.message)) !== null && this.startupSnapshotMs === null) {
      this.startupSnapshotMs = Number(m[1]);
    }
  };

  breakdown(spawnedAtEpochMs: number): RestoreBreakdown {
    const restoreStart = this.restoredAt !== null && this.restoreMs !== null ? this.restoredAt - this.restoreMs : null;
    let snapshotLoadMs: number | null = null;
    let logReplayMs = this.replayMs;
    if (this.flavour === 'zk-server') {
      if (restoreStart !== null && this.restoredSnapshotAt !== null && this.restoredAt !== null) {
        snapshotLoadMs = this.restoredSnapshotAt - restoreStart;
        logReplayMs = this.restoredAt - this.restoredSnapshotAt;
      }
    } else if (this.restoreMs !== null && this.replayMs !== null) {
      snapshotLoadMs = this.restoreMs - this.replayMs;
    }
    return {
      snapshotLoadMs, logReplayMs, txnsReplayed: this.txns, restoreMs: this.restoreMs,
      startupSnapshotMs: this.startupSnapshotMs,
      processStartMs: restoreStart === null ? null : restoreStart - spawnedAtEpochMs,
      nodesRestored: this.nodes,
    };
  }
}
