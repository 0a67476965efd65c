// `zk-server verify`: reads every byte of a data directory that matters and says what is wrong, with
// file and offset. Checks: every log entry's framing, Adler-32 and txn record; zxid order within and
// across files; every snapshot's seals (restored in full, as the server would) and its digest trailer
// (the log is replayed until the tree reaches the trailer's zxid and the digests are compared); the
// digest logged with every txn after the newest snapshot; the epoch files.
//
// Damage comes in two kinds. A torn tail (damage with no good entry after it in its file) is a write
// cut short by a crash and was never acknowledged: `repair` cuts it off, and removes a newest log
// file left without a header or entry. Anything else is corruption of acknowledged data: reported,
// never touched.

import { open, readdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ZxidDigest } from '../../tree/digest-log.js';
import { DIGEST_VERSION } from '../../tree/digest.js';
import { StorageCorruptError, StorageInvalidArgumentError } from '../errors.js';
import { parseEpochFile } from '../filelog/epoch-store.js';
import { cutFile, fsyncDir, isNotFound } from '../filelog/fs-util.js';
import type { StorageLogger } from '../filelog/logger.js';
import { TMP_SUFFIX } from '../filelog/names.js';
import { restoreSnapshot } from '../snapshot/index.js';
import type { SnapshotInfo, SnapshotStore } from '../spi.js';
import { decodeTxnEntry } from '../txn-entry.js';
import { newToolTree } from './fingerprint.js';
import { detectFormat, openDataDirReadOnly, type DataDirRef } from './open.js';
import { javaHex, zkOpName } from './txn-format.js';
import { readLogEntries, zkDirs } from './zk-readonly.js';
import {
  corruptReason, listSnapshotFiles, listZkLogFiles, LogFileReader, readSnapshotFile, type SnapshotFileInfo,
} from './zk-files.js';

export type FindingKind = 'corrupt' | 'torn' | 'warning';

export interface VerifyFinding {
  readonly kind: FindingKind;
  readonly file: string;
  /** Byte offset in the file (for compressed snapshots: in the uncompressed stream); null when it has none. */
  readonly offset: number | null;
  readonly message: string;
  /** Set when `repair` fixed it. */
  repaired?: string;
}

export interface VerifyReport {
  readonly format: 'filelog' | 'level';
  readonly dataDir: string;
  readonly dataLogDir: string;
  logFiles: number;
  txns: number;
  snapshots: number;
  snapshotsRestored: number;
  /** Txns replayed on top of the newest restorable snapshot, each digest compared. */
  txnsReplayed: number;
  /** Snapshot digest trailers compared with the tree rebuilt from the snapshot and the log. */
  snapshotDigestsCompared: number;
  readonly findings: VerifyFinding[];
}

export interface VerifyOptions {
  /** Cut torn log tails (never anything else). */
  readonly repair?: boolean;
  /** Progress lines for large directories. */
  readonly progress?: (line: string) => void;
  /** Restore only this many of the newest valid snapshots (older ones are listed, not read). Default: all. */
  readonly maxSnapshots?: number;
}

const hex = (n: number | bigint): string => `0x${javaHex(n)}`;
const epochOf = (zxid: number): number => Math.floor(zxid / 0x1_0000_0000);
const quiet: StorageLogger = { info: () => {}, warn: () => {} };
const MAX_GAP_WARNINGS = 10;

/** Where an entry came from, for messages. */
interface EntrySource {
  entries(fromZxid: number): AsyncIterable<{ readonly zxid: number; readonly payload: Buffer; readonly file: string; readonly offset: number | null }>;
}

interface SnapshotCandidate {
  readonly name: string;
  readonly file: string;
  readonly zxid: number;
  readonly compressed: boolean;
  readonly store: SnapshotStore;
}

export async function verifyDataDir(ref: DataDirRef, options: VerifyOptions = {}): Promise<VerifyReport> {
  const dataDir = path.resolve(ref.dataDir);
  const dataLogDir = path.resolve(ref.dataLogDir ?? ref.dataDir);
  const format = ref.format === undefined ? await detectFormat(dataDir, dataLogDir) : (ref.format === 'level' ? 'level' : 'filelog');
  const report: VerifyReport = {
    format, dataDir, dataLogDir, logFiles: 0, txns: 0, snapshots: 0, snapshotsRestored: 0, txnsReplayed: 0, snapshotDigestsCompared: 0,
    findings: [],
  };
  if (format === 'filelog') await verifyZk(report, options);
  else await verifyLevel(report, options);
  return report;
}

// ---------------------------------------------------------------- filelog

async function verifyZk(report: VerifyReport, options: VerifyOptions): Promise<void> {
  const dirs = zkDirs(report.dataDir, report.dataLogDir);
  const progress = options.progress ?? ((): void => {});
  const files = await listZkLogFiles(dirs.logDir, {
    info: (m) => report.findings.push({ kind: 'warning', file: dirs.logDir, offset: null, message: m }),
    warn: (m) => report.findings.push({ kind: 'warning', file: dirs.logDir, offset: null, message: m }),
  });
  report.logFiles = files.length;
  const repairs: Array<() => Promise<string>> = [];
  let previousLast = -1;
  for (let i = 0; i < files.length; i++) {
    const ref = files[i];
    const newest = i === files.length - 1;
    const reader = new LogFileReader(ref);
    for await (const entry of reader.entries()) {
      report.txns++;
      if (entry.zxid <= previousLast) {
        report.findings.push({ kind: 'corrupt', file: ref.path, offset: entry.offset,
          message: `zxid ${hex(entry.zxid)} is not above ${hex(previousLast)}, the last zxid before it: the log files overlap` });
      }
      previousLast = Math.max(previousLast, entry.zxid);
      try {
        decodeTxnEntry(entry, ref.path);
      } catch (err) {
        report.findings.push({ kind: 'corrupt', file: ref.path, offset: entry.offset,
          message: `txn ${hex(entry.zxid)} has a good checksum but its record does not parse: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    const scan = reader.result;
    if (scan.firstZxid !== null && scan.firstZxid !== ref.startZxid) {
      report.findings.push({ kind: 'warning', file: ref.path, offset: null,
        message: `named after zxid ${hex(ref.startZxid)} but its first txn is ${hex(scan.firstZxid)}` });
    }
    const end = scan.end;
    if (end.kind === 'torn') {
      const finding: VerifyFinding = { kind: 'torn', file: ref.path, offset: end.offset,
        message: `torn tail: ${end.reason}, and no good entry in the ${scan.sizeBytes - end.offset} bytes from there to the end of the file `
          + '(a write cut short by a crash, never acknowledged); `zk-server verify --repair` cuts the file there' };
      report.findings.push(finding);
      repairs.push(async () => {
        await cutFile(ref.path, end.offset);
        finding.repaired = `cut ${ref.name} at offset ${end.offset}`;
        return finding.repaired;
      });
    } else if (end.kind === 'corrupt') {
      report.findings.push({ kind: 'corrupt', file: ref.path, offset: end.offset,
        message: `${end.reason} (\`verify --repair\` never touches damage before good entries)` });
    } else if ((end.kind === 'no-header' || scan.entries === 0) && newest) {
      const what = end.kind === 'no-header' ? `no txn log header (${end.sizeBytes} bytes)` : 'a header but no txn';
      const finding: VerifyFinding = { kind: 'torn', file: ref.path, offset: 0,
        message: `the newest log file has ${what}: created by a crash before its first write; \`zk-server verify --repair\` removes it` };
      report.findings.push(finding);
      repairs.push(async () => {
        await unlink(ref.path);
        await fsyncDir(dirs.logDir);
        finding.repaired = `removed ${ref.name}`;
        return finding.repaired;
      });
    } else if (end.kind === 'no-header') {
      report.findings.push({ kind: 'corrupt', file: ref.path, offset: 0,
        message: `no txn log header (${end.sizeBytes} bytes), yet newer log files follow it` });
    } else if (scan.entries === 0) {
      report.findings.push({ kind: 'warning', file: ref.path, offset: null, message: 'holds no txn' });
    }
    progress(`checked ${ref.name}: ${scan.entries} txns`);
  }

  const snapshotFiles = await listSnapshotFiles(dirs.snapDir);
  report.snapshots = snapshotFiles.length;
  const candidates: SnapshotCandidate[] = [];
  for (const f of snapshotFiles) {
    if (!f.valid) {
      report.findings.push({ kind: 'warning', file: f.path, offset: null,
        message: f.compression === 'none'
          ? 'incomplete snapshot (it does not end with the checksum seal): a write cut short; ZooKeeper and zk-server skip it'
          : `not a ${f.compression} file (wrong magic bytes): ZooKeeper and zk-server skip it` });
      continue;
    }
    candidates.push({ name: f.name, file: f.path, zxid: f.zxid, compressed: f.compression !== 'none', store: singleFileStore(f) });
  }
  const entries: EntrySource = { entries: (from) => readLogEntries(files, from, quiet) };
  await verifySnapshotsAndReplay(report, candidates, entries, progress, options.maxSnapshots);
  await verifyEpochFiles(report, dirs.snapDir, previousLast);

  if (options.repair === true) {
    for (const repair of repairs) progress(`repaired: ${await repair()}`);
  }
}

/** A SnapshotStore over one file, for restoreSnapshot (which reads through the SPI). */
function singleFileStore(file: SnapshotFileInfo): SnapshotStore {
  const refuse = (): Promise<never> => Promise.reject(new StorageInvalidArgumentError(`${file.path} is opened read-only`));
  const info: SnapshotInfo = { zxid: file.zxid, sizeBytes: file.sizeBytes, createdAtMs: file.mtimeMs, location: file.path };
  return {
    location: path.dirname(file.path),
    write: refuse,
    delete: refuse,
    list: async () => [info],
    open: () => readSnapshotFile(file.path, file.compression),
    close: async () => {},
  };
}

async function verifyEpochFiles(report: VerifyReport, snapDir: string, lastZxid: number): Promise<void> {
  const read = async (name: string): Promise<number | null> => {
    const file = path.join(snapDir, name);
    let text: string;
    try {
      const handle = await open(file, 'r');
      try {
        text = (await handle.readFile()).toString('latin1');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    try {
      return parseEpochFile(text, file);
    } catch (err) {
      if (!(err instanceof StorageCorruptError)) throw err;
      report.findings.push({ kind: 'corrupt', file, offset: err.offset, message: `${corruptReason(err)}; ZooKeeper refuses to start with it` });
      return null;
    }
  };
  const current = await read('currentEpoch');
  const accepted = await read('acceptedEpoch');
  checkEpochs(report, snapDir, current, accepted, lastZxid);
  for (const name of await readdir(snapDir)) {
    if ((name === `currentEpoch${TMP_SUFFIX}` || name === `acceptedEpoch${TMP_SUFFIX}`)) {
      report.findings.push({ kind: 'warning', file: path.join(snapDir, name), offset: null,
        message: 'an epoch write was interrupted (ZooKeeper takes currentEpoch.tmp into account on start)' });
    }
  }
}

function checkEpochs(report: VerifyReport, where: string, current: number | null, accepted: number | null, lastZxid: number): void {
  if (current !== null && accepted !== null && accepted < current) {
    report.findings.push({ kind: 'corrupt', file: path.join(where, 'acceptedEpoch'), offset: null,
      message: `acceptedEpoch ${accepted} is below currentEpoch ${current}: a quorum member refuses to start with that` });
  }
  if (current !== null && lastZxid > 0 && epochOf(lastZxid) > current) {
    report.findings.push({ kind: 'corrupt', file: path.join(where, 'currentEpoch'), offset: null,
      message: `currentEpoch ${current} is older than the epoch ${epochOf(lastZxid)} of the last logged zxid ${hex(lastZxid)}: `
        + 'a quorum member refuses to start with that' });
  }
}

// ---------------------------------------------------------------- snapshots and replay (both formats)

/**
 * Restores every snapshot, newest first. The first that restores is the one a server would start
 * from: the log is replayed on it to the end, every txn digest compared. Older ones are replayed
 * only until their digest trailer could be compared.
 */
async function verifySnapshotsAndReplay(
  report: VerifyReport, all: readonly SnapshotCandidate[], log: EntrySource, progress: (line: string) => void, maxSnapshots?: number,
): Promise<void> {
  const candidates = maxSnapshots === undefined ? all : all.slice(0, maxSnapshots);
  if (candidates.length < all.length) {
    report.findings.push({ kind: 'warning', file: all[candidates.length].file, offset: null,
      message: `this and ${all.length - candidates.length - 1} older snapshot(s) were not read (--snapshots ${maxSnapshots})` });
  }
  let restoredNewest = false;
  for (const snap of candidates) {
    const tree = newToolTree();
    let location: { file: string; offset: number | null } = { file: snap.file, offset: null };
    tree.digestHistory.onMismatch((zxid) => {
      const pending = tree.digestHistory.pendingSnapshotDigest();
      if (pending !== null && pending.zxid === zxid) {
        report.findings.push({ kind: 'corrupt', file: snap.file, offset: null,
          message: `the digest trailer (tree digest ${hex(pending.digest)} at zxid ${hex(zxid)}) does not match the tree `
            + `rebuilt from this snapshot${zxid === snap.zxid ? '' : ' and the log'} (${hex(tree.digest())})` });
      } else {
        report.findings.push({ kind: 'corrupt', file: location.file, offset: location.offset,
          message: `txn ${hex(zxid)}: the tree digest logged with it does not match the tree after replaying it (${hex(tree.digest())})` });
      }
    });
    progress(`restoring ${snap.name}`);
    let trailer: ZxidDigest | null;
    try {
      trailer = (await restoreSnapshot(snap.store, snap.zxid, tree, { file: snap.file })).digest;
    } catch (err) {
      if (!(err instanceof StorageCorruptError)) throw err;
      report.findings.push({ kind: 'corrupt', file: snap.file, offset: err.offset,
        message: `${corruptReason(err)}${snap.compressed ? ' (offset in the uncompressed stream)' : ''}; `
          + (restoredNewest ? 'an older snapshot, not needed to start' : 'a server skips it for an older snapshot') });
      continue;
    }
    report.snapshotsRestored++;
    const full = !restoredNewest;
    restoredNewest = true;
    let previous = snap.zxid;
    let gaps = 0;
    try {
      for await (const entry of log.entries(snap.zxid + 1)) {
        if (!full && tree.digestHistory.pendingSnapshotDigest() === null) break;
        if (entry.zxid <= snap.zxid) continue;
        location = { file: entry.file, offset: entry.offset };
        if (full && entry.zxid !== previous + 1 && epochOf(entry.zxid) === epochOf(previous) && gaps++ < MAX_GAP_WARNINGS) {
          report.findings.push({ kind: 'warning', file: entry.file, offset: entry.offset,
            message: `zxid jumps from ${hex(previous)} to ${hex(entry.zxid)} within epoch ${epochOf(previous)}: txns are missing from the log` });
        }
        previous = entry.zxid;
        let decoded;
        try {
          decoded = decodeTxnEntry(entry, entry.file);
        } catch {
          continue; // reported with the log files
        }
        try {
          tree.apply(decoded.header, decoded.txn, decoded.digest);
        } catch (err) {
          report.findings.push({ kind: 'corrupt', file: entry.file, offset: entry.offset,
            message: `txn ${hex(entry.zxid)} (${zkOpName(decoded.header.type)}) cannot be applied: `
              + `${err instanceof Error ? err.message : String(err)}` });
        }
        if (full) report.txnsReplayed++;
      }
    } catch (err) {
      // Damage in the log stops the replay; it is reported with the log files.
      if (!(err instanceof StorageCorruptError)) throw err;
    }
    // The rule of DigestHistory.setSnapshotDigest: a trailer at zxid 0, or below the snapshot's, is not compared.
    if (trailer !== null && trailer.zxid > 0 && trailer.zxid >= snap.zxid && trailer.digestVersion === DIGEST_VERSION) {
      if (tree.digestHistory.pendingSnapshotDigest() === null) report.snapshotDigestsCompared++;
      else {
        report.findings.push({ kind: 'warning', file: snap.file, offset: null,
          message: `its digest trailer is for zxid ${hex(trailer.zxid)}, which the replay did not reach (the log ends, or is damaged, before it): not compared` });
      }
    }
    progress(`${snap.name}: restored${full ? `, ${report.txnsReplayed} txns replayed on it` : ''}`);
  }
  if (!restoredNewest) {
    const last = await lastZxidOf(log);
    if (last !== null) {
      report.findings.push({ kind: 'corrupt', file: candidates[0]?.file ?? report.dataDir, offset: null,
        message: `no snapshot can be restored, yet the log holds txns up to ${hex(last)}: a server cannot start from this directory; `
          + 'restore the newest snapshot from a backup' });
    }
  }
}

async function lastZxidOf(log: EntrySource): Promise<number | null> {
  let last: number | null = null;
  try {
    for await (const entry of log.entries(0)) last = entry.zxid;
  } catch (err) {
    if (!(err instanceof StorageCorruptError)) throw err;
  }
  return last;
}

// ---------------------------------------------------------------- level

async function verifyLevel(report: VerifyReport, options: VerifyOptions): Promise<void> {
  const progress = options.progress ?? ((): void => {});
  if (options.repair === true) progress('level: nothing to repair by hand (LevelDB recovers its own write-ahead log when opened)');
  const opened = await openDataDirReadOnly({ dataDir: report.dataDir, dataLogDir: report.dataLogDir, format: 'level' }, { logger: quiet });
  try {
    const { backend } = opened;
    const logDb = opened.level?.logDb ?? report.dataLogDir;
    report.logFiles = 1;
    let last = -1;
    try {
      for await (const entry of backend.txnLog.read(0)) {
        report.txns++;
        last = entry.zxid;
        try {
          decodeTxnEntry(entry, logDb);
        } catch (err) {
          report.findings.push({ kind: 'corrupt', file: logDb, offset: null,
            message: `txn ${hex(entry.zxid)} does not parse: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    } catch (err) {
      report.findings.push({ kind: 'corrupt', file: logDb, offset: err instanceof StorageCorruptError ? err.offset : null,
        message: `reading the txn log failed: ${err instanceof Error ? err.message : String(err)}` });
    }
    progress(`checked the txn log: ${report.txns} txns`);
    const infos = await backend.snapshots.list();
    report.snapshots = infos.length;
    const dir = opened.level?.snapshots ?? report.dataDir;
    const candidates = infos.map((s) => {
      const name = `snapshot.${s.zxid.toString(16)}`;
      return { name, file: path.join(dir, name), zxid: s.zxid, compressed: false, store: backend.snapshots };
    });
    const log: EntrySource = {
      entries: async function* (from) {
        for await (const entry of backend.txnLog.read(from)) yield { zxid: entry.zxid, payload: entry.payload, file: logDb, offset: null };
      },
    };
    await verifySnapshotsAndReplay(report, candidates, log, progress, options.maxSnapshots);
    let current: number | null = null;
    let accepted: number | null = null;
    try {
      current = await backend.epochs.readCurrentEpoch();
      accepted = await backend.epochs.readAcceptedEpoch();
    } catch (err) {
      report.findings.push({ kind: 'corrupt', file: opened.level?.stateDb ?? report.dataDir, offset: null,
        message: `cannot read the epochs: ${err instanceof Error ? err.message : String(err)}` });
    }
    checkEpochs(report, opened.level?.stateDb ?? report.dataDir, current, accepted, Math.max(0, last));
  } finally {
    await opened.close();
  }
}

// ---------------------------------------------------------------- report

export function summarizeFindings(report: VerifyReport): { corrupt: number; torn: number; warnings: number; unrepaired: number } {
  let corrupt = 0;
  let torn = 0;
  let warnings = 0;
  let unrepaired = 0;
  for (const f of report.findings) {
    if (f.kind === 'corrupt') corrupt++;
    else if (f.kind === 'torn') torn++;
    else warnings++;
    if (f.kind !== 'warning' && f.repaired === undefined) unrepaired++;
  }
  return { corrupt, torn, warnings, unrepaired };
}

export function formatVerifyReport(report: VerifyReport): string {
  const out: string[] = [];
  for (const f of report.findings) {
    const where = f.offset === null ? f.file : `${f.file} at offset ${f.offset}`;
    const label = f.kind === 'corrupt' ? 'CORRUPT' : f.kind === 'torn' ? 'TORN' : 'WARNING';
    out.push(`${label} ${where}: ${f.message}${f.repaired === undefined ? '' : ` [repaired: ${f.repaired}]`}`);
  }
  const s = summarizeFindings(report);
  out.push(`checked ${report.logFiles} log ${report.format === 'level' ? 'DB' : `file${report.logFiles === 1 ? '' : 's'}`} `
    + `(${report.txns} txns), ${report.snapshots} snapshot${report.snapshots === 1 ? '' : 's'} (${report.snapshotsRestored} restored), `
    + `${report.snapshotDigestsCompared} snapshot digest trailers and the digests of ${report.txnsReplayed} replayed txns compared, epochs`);
  const warned = s.warnings > 0 ? ` (${s.warnings} warning${s.warnings === 1 ? '' : 's'})` : '';
  if (s.corrupt === 0 && s.torn === 0) out.push(`OK: no damage found${warned}`);
  else if (s.unrepaired === 0) out.push(`REPAIRED: ${s.torn} torn tail${s.torn === 1 ? '' : 's'} removed, no other damage${warned}`);
  else {
    const repaired = s.corrupt + s.torn - s.unrepaired;
    out.push(`DAMAGED: ${s.corrupt} corrupt, ${s.torn} torn${repaired > 0 ? `, ${repaired} repaired` : ''}`
      + (s.corrupt === 0 && s.unrepaired > 0 ? ' — only torn tails: `zk-server verify --repair` fixes them' : ''));
  }
  return `${out.join('\n')}\n`;
}
