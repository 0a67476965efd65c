// `zk-server inspect datadir`: one page about a data directory. Per log file its zxid range and how
// it ends; per snapshot its zxid, size and validity; the epochs; what the directory restores to
// (node count, digest, sessions); and which files autopurge would delete with snapRetainCount N.

import path from 'node:path';
import { firstFileFor } from '../filelog/log-files.js';
import { planPurge } from '../purge.js';
import type { SnapshotInfo } from '../spi.js';
import { restoreFingerprint, type RestoreFn, type TreeFingerprint } from './fingerprint.js';
import type { OpenedDataDir } from './open.js';
import { javaHex, type JsonValue } from './txn-format.js';
import { listSnapshotFiles, scanLogFile, type LogFileEnd } from './zk-files.js';

export interface LogFileSummary {
  readonly name: string;
  readonly path: string;
  readonly startZxid: number;
  readonly sizeBytes: number;
  readonly entries: number;
  readonly firstZxid: number | null;
  readonly lastZxid: number | null;
  readonly end: LogFileEnd;
  /** autopurge with the given retain count would delete it. */
  readonly purged: boolean;
}

export interface SnapshotFileSummary {
  readonly name: string;
  readonly path: string;
  readonly zxid: number;
  readonly compression: string;
  readonly sizeBytes: number;
  readonly modifiedMs: number;
  /** ZooKeeper's validity rule (complete seal, or compression magic). Invalid ones are never restored nor purged. */
  readonly valid: boolean;
  readonly purged: boolean;
}

export interface DataDirSummary {
  readonly format: 'filelog' | 'level';
  readonly dataDir: string;
  readonly dataLogDir: string;
  /** filelog: one per log file, oldest first. */
  readonly logFiles: readonly LogFileSummary[] | null;
  /** level: the log as a whole. */
  readonly levelLog: { readonly location: string; readonly entries: number; readonly firstZxid: number | null; readonly lastZxid: number | null } | null;
  readonly snapshots: readonly SnapshotFileSummary[];
  readonly epochs: { readonly currentEpoch: number | null; readonly acceptedEpoch: number | null; readonly error: string | null };
  readonly restored: TreeFingerprint | null;
  readonly restoreError: string | null;
  readonly purge: {
    readonly retainCount: number;
    /** Log entries below this zxid would be released (null: no snapshot, nothing purged). */
    readonly logsBefore: number | null;
    /** level: entries of the log below logsBefore. */
    readonly levelEntriesReleased: number | null;
  };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function summarizeDataDir(
  opened: OpenedDataDir, options: { readonly retainCount: number; readonly restore: RestoreFn },
): Promise<DataDirSummary> {
  const { backend } = opened;
  let epochs: DataDirSummary['epochs'];
  try {
    epochs = { currentEpoch: await backend.epochs.readCurrentEpoch(), acceptedEpoch: await backend.epochs.readAcceptedEpoch(), error: null };
  } catch (err) {
    epochs = { currentEpoch: null, acceptedEpoch: null, error: message(err) };
  }

  let snapshotFiles: Omit<SnapshotFileSummary, 'purged'>[];
  let validInfos: SnapshotInfo[];
  if (opened.zk !== null) {
    const files = await listSnapshotFiles(opened.zk.dirs.snapDir);
    snapshotFiles = files.map((f) => ({
      name: f.name, path: f.path, zxid: f.zxid, compression: f.compression, sizeBytes: f.sizeBytes, modifiedMs: f.mtimeMs, valid: f.valid,
    }));
    validInfos = files.filter((f) => f.valid).map((f) => ({ zxid: f.zxid, sizeBytes: f.sizeBytes, createdAtMs: f.mtimeMs }));
  } else {
    validInfos = await backend.snapshots.list();
    const dir = opened.level?.snapshots ?? opened.dataDir;
    snapshotFiles = validInfos.map((s) => {
      const name = `snapshot.${s.zxid.toString(16)}`;
      return { name, path: path.join(dir, name), zxid: s.zxid, compression: 'none', sizeBytes: s.sizeBytes, modifiedMs: s.createdAtMs, valid: true };
    });
  }
  const plan = planPurge(validInfos, options.retainCount);
  const deletedZxids = new Set(plan.deleted.map((s) => s.zxid));
  const snapshots = snapshotFiles.map((f) => ({ ...f, purged: f.valid && deletedZxids.has(f.zxid) }));

  let logFiles: LogFileSummary[] | null = null;
  let levelLog: DataDirSummary['levelLog'] = null;
  let levelEntriesReleased: number | null = null;
  if (opened.zk !== null) {
    const refs = opened.zk.logFiles;
    // The filelog backend's purgeBefore rule: keep the newest file starting at or below the zxid.
    const keepFrom = plan.logsBefore === null ? 0 : firstFileFor(refs, plan.logsBefore);
    logFiles = [];
    for (let i = 0; i < refs.length; i++) {
      const scan = await scanLogFile(refs[i]);
      logFiles.push({
        name: refs[i].name, path: refs[i].path, startZxid: refs[i].startZxid, sizeBytes: scan.sizeBytes, entries: scan.entries,
        firstZxid: scan.firstZxid, lastZxid: scan.lastZxid, end: scan.end,
        purged: plan.logsBefore !== null && i < keepFrom && refs[i].startZxid < plan.logsBefore,
      });
    }
  } else {
    let entries = 0;
    let firstZxid: number | null = null;
    let lastZxid: number | null = null;
    let below = 0;
    for await (const entry of backend.txnLog.read(0)) {
      entries++;
      firstZxid ??= entry.zxid;
      lastZxid = entry.zxid;
      if (plan.logsBefore !== null && entry.zxid < plan.logsBefore) below++;
    }
    levelLog = { location: opened.level?.logDb ?? opened.dataLogDir, entries, firstZxid, lastZxid };
    // The level backend compacts below the zxid but keeps the last entry (purgeBefore's contract).
    levelEntriesReleased = plan.logsBefore === null ? null : Math.min(below, Math.max(0, entries - 1));
  }

  let restored: TreeFingerprint | null = null;
  let restoreError: string | null = null;
  try {
    restored = (await restoreFingerprint(backend, options.restore)).fingerprint;
  } catch (err) {
    restoreError = message(err);
  }
  return {
    format: opened.format, dataDir: opened.dataDir, dataLogDir: opened.dataLogDir, logFiles, levelLog, snapshots, epochs,
    restored, restoreError,
    purge: { retainCount: options.retainCount, logsBefore: plan.logsBefore, levelEntriesReleased },
  };
}

const hex = (n: number | bigint): string => `0x${javaHex(n)}`;
const range = (first: number | null, last: number | null): string => (first === null || last === null ? '-' : `${hex(first)}..${hex(last)}`);

export function describeLogEnd(end: LogFileEnd): string {
  switch (end.kind) {
    case 'clean': return 'ok';
    case 'torn': return `TORN TAIL at offset ${end.offset} (${end.reason}; never acknowledged, \`zk-server verify --repair\` cuts it)`;
    case 'corrupt': return `CORRUPT at offset ${end.offset}: ${end.reason}`;
    case 'no-header': return `no header (${end.sizeBytes} bytes, left by a crash right after the file was created)`;
  }
}

/** The summary as text, one fact per line. */
export function formatDataDirSummary(s: DataDirSummary): string {
  const out: string[] = [];
  const sameDirs = s.dataDir === s.dataLogDir;
  out.push(`data directory: ${s.dataDir}${sameDirs ? '' : ` (txn log in ${s.dataLogDir})`}`);
  out.push(`format: ${s.format === 'filelog' ? 'filelog (Apache ZooKeeper version-2 layout)' : 'level'}`);
  out.push('');
  if (s.logFiles !== null) {
    const total = s.logFiles.reduce((n, f) => n + f.entries, 0);
    out.push(`txn log files: ${s.logFiles.length}, ${total} txns`);
    for (const f of s.logFiles) {
      out.push(`  ${f.name.padEnd(22)} ${String(f.entries).padStart(8)} txns  ${range(f.firstZxid, f.lastZxid).padEnd(27)} `
        + `${String(f.sizeBytes).padStart(10)} bytes  ${describeLogEnd(f.end)}${f.purged ? '  [autopurge deletes]' : ''}`);
    }
  } else if (s.levelLog !== null) {
    out.push(`txn log: ${s.levelLog.location}: ${s.levelLog.entries} txns ${range(s.levelLog.firstZxid, s.levelLog.lastZxid)}`);
  }
  out.push('');
  out.push(`snapshots: ${s.snapshots.length}`);
  for (const f of s.snapshots) {
    out.push(`  ${f.name.padEnd(26)} zxid ${hex(f.zxid).padEnd(13)} ${String(f.sizeBytes).padStart(10)} bytes  `
      + `${new Date(f.modifiedMs).toISOString()}  ${f.valid ? 'valid' : 'INVALID (incomplete: never restored)'}`
      + `${f.purged ? '  [autopurge deletes]' : ''}`);
  }
  out.push('');
  if (s.epochs.error !== null) out.push(`epochs: ERROR ${s.epochs.error}`);
  else out.push(`epochs: currentEpoch ${s.epochs.currentEpoch ?? '(none)'}, acceptedEpoch ${s.epochs.acceptedEpoch ?? '(none)'}`);
  out.push('');
  if (s.restored !== null) {
    const r = s.restored;
    out.push(`restored state: last zxid ${hex(r.lastZxid)} (epoch ${Math.floor(r.lastZxid / 0x1_0000_0000)}), from snapshot `
      + `${r.snapshotZxid === null ? '(none)' : hex(r.snapshotZxid)} + ${r.txnsReplayed} txns`);
    out.push(`  node count ${r.nodeCount}, digest ${hex(r.digest)}, ephemeral nodes ${r.ephemeralCount}`);
    if (r.digestMismatches > 0) out.push(`  DIGEST MISMATCHES: ${r.digestMismatches} (at ${r.mismatchZxids.map(hex).join(', ')}); run \`zk-server verify\``);
    out.push(`  sessions: ${r.sessions.length}`);
    for (const sess of r.sessions) out.push(`    ${hex(sess.sessionId)}  timeout ${sess.timeoutMs} ms  ${sess.ephemerals} ephemeral nodes`);
  } else {
    out.push(`restored state: CANNOT RESTORE: ${s.restoreError ?? 'unknown error'}`);
  }
  out.push('');
  const p = s.purge;
  if (p.logsBefore === null) {
    out.push(`autopurge (snapRetainCount ${p.retainCount}): nothing to delete (no valid snapshot)`);
  } else {
    const snaps = s.snapshots.filter((f) => f.purged).map((f) => f.name);
    out.push(`autopurge (snapRetainCount ${p.retainCount}): keeps snapshots from ${hex(p.logsBefore)} on`);
    out.push(`  would delete snapshots: ${snaps.join(' ') || '(none)'}`);
    if (s.logFiles !== null) out.push(`  would delete log files: ${s.logFiles.filter((f) => f.purged).map((f) => f.name).join(' ') || '(none)'}`);
    else out.push(`  would release ${p.levelEntriesReleased ?? 0} log entries below ${hex(p.logsBefore)}`);
    const least = p.logsBefore;
    const invalidBelow = s.snapshots.filter((f) => !f.valid && f.zxid < least).map((f) => f.name);
    if (invalidBelow.length > 0) out.push(`  (Apache ZooKeeper's PurgeTxnLog would also delete the incomplete ${invalidBelow.join(' ')})`);
  }
  return `${out.join('\n')}\n`;
}

function logEndJson(end: LogFileEnd): JsonValue {
  return { ...end };
}

export function dataDirSummaryJson(s: DataDirSummary): { [key: string]: JsonValue } {
  const r = s.restored;
  return {
    format: s.format,
    dataDir: s.dataDir,
    dataLogDir: s.dataLogDir,
    logFiles: s.logFiles === null ? null : s.logFiles.map((f) => ({
      name: f.name, path: f.path, startZxid: hex(f.startZxid), sizeBytes: f.sizeBytes, entries: f.entries,
      firstZxid: f.firstZxid === null ? null : hex(f.firstZxid), lastZxid: f.lastZxid === null ? null : hex(f.lastZxid),
      end: logEndJson(f.end), purged: f.purged,
    })),
    levelLog: s.levelLog === null ? null : {
      location: s.levelLog.location, entries: s.levelLog.entries,
      firstZxid: s.levelLog.firstZxid === null ? null : hex(s.levelLog.firstZxid),
      lastZxid: s.levelLog.lastZxid === null ? null : hex(s.levelLog.lastZxid),
    },
    snapshots: s.snapshots.map((f) => ({
      name: f.name, path: f.path, zxid: hex(f.zxid), compression: f.compression, sizeBytes: f.sizeBytes,
      modified: new Date(f.modifiedMs).toISOString(), valid: f.valid, purged: f.purged,
    })),
    epochs: { ...s.epochs },
    restored: r === null ? null : {
      lastZxid: hex(r.lastZxid), snapshotZxid: r.snapshotZxid === null ? null : hex(r.snapshotZxid), txnsReplayed: r.txnsReplayed,
      nodeCount: r.nodeCount, digest: hex(r.digest), ephemeralCount: r.ephemeralCount, digestMismatches: r.digestMismatches,
      sessions: r.sessions.map((x) => ({ sessionId: hex(x.sessionId), timeoutMs: x.timeoutMs, ephemerals: x.ephemerals })),
    },
    restoreError: s.restoreError,
    purge: {
      retainCount: s.purge.retainCount,
      logsBefore: s.purge.logsBefore === null ? null : hex(s.purge.logsBefore),
      snapshots: s.snapshots.filter((f) => f.purged).map((f) => f.name),
      logFiles: s.logFiles === null ? null : s.logFiles.filter((f) => f.purged).map((f) => f.name),
      levelEntriesReleased: s.purge.levelEntriesReleased,
    },
  };
}
