// `zk-server migrate`: moves a whole data directory (snapshots, txn log, epochs; sessions travel
// inside the snapshots and the log) from one format to another, through the storage SPI only, so
// any backend pair works. Bytes are copied verbatim: snapshots as their uncompressed stream (every
// seal checked on the way), txns as their logged payloads, so digests, create2/container/TTL txns,
// 3.4's CreateTxnV0 and 3.9's snapshot trailer all pass through untouched.
//
// Order of work: refuse a target that overlaps the source or holds data (unless --force); open the
// source read-only and restore it as the server would (that is the reference fingerprint); write
// the copy into a staging folder beside the target; restore the copy the same way and compare tree
// digest, node count, last zxid, sessions and ACLs; only then rename it onto the target.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { StorageLogger } from '../filelog/logger.js';
import { openStorage } from '../index.js';
import { compareFingerprints, restoreFingerprint, type RestoreFn, type TreeFingerprint } from '../inspect/fingerprint.js';
import { backendKind, openDataDirReadOnly, type DataDirFormat, type DataDirRef } from '../inspect/open.js';
import { javaHex } from '../inspect/txn-format.js';
import { SnapshotDecoder } from '../snapshot/decoder.js';
import type { StorageBackend, TxnEntry } from '../spi.js';
import { MigrationError } from './errors.js';
import {
  canonicalPath, createStagingDir, findLeftovers, installStaging, listTarget, overlaps, removeStaging, type StagingDir,
} from './staging.js';

export interface MigrationTarget {
  readonly format: DataDirFormat;
  readonly dataDir: string;
  /** A separate dataLogDir for the txn log (filelog: `<dir>/version-2`; level: its own DB). */
  readonly dataLogDir?: string;
  /** filelog: write snapshots gzip-compressed (zookeeper.snapshot.compression.method=gz). */
  readonly snapshotCompression?: 'none' | 'gz';
}

export interface MigrateOptions {
  readonly from: DataDirRef;
  readonly to: MigrationTarget;
  /** Replace a target that holds files. */
  readonly force?: boolean;
  /** The server's restore (server/persistence.ts restoreDatabase), used on both sides. */
  readonly restore: RestoreFn;
  /** Copy only the snapshot the source restores from and the txns after it. Default: everything. */
  readonly latestOnly?: boolean;
  /** One line per step and every progressEveryTxns txns / ~5% of a snapshot. */
  readonly progress?: (line: string) => void;
  readonly progressEveryTxns?: number;
}

export interface MigrateResult {
  readonly sourceFormat: 'filelog' | 'level';
  readonly targetFormat: 'filelog' | 'level';
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly source: TreeFingerprint;
  readonly target: TreeFingerprint;
  readonly snapshotsCopied: readonly number[];
  readonly snapshotsSkipped: ReadonlyArray<{ readonly zxid: number; readonly reason: string }>;
  readonly txnsCopied: number;
  readonly epochs: { readonly currentEpoch: number | null; readonly acceptedEpoch: number | null };
}

const hex = (n: number | bigint): string => `0x${javaHex(n)}`;
const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const BATCH_TXNS = 2000;
const BATCH_BYTES = 4 << 20;

export async function migrateDataDir(options: MigrateOptions): Promise<MigrateResult> {
  const progress = options.progress ?? ((): void => {});
  const logger: StorageLogger = { info: (m) => progress(m), warn: (m) => progress(`warning: ${m}`) };
  const targetKind = backendKind(options.to.format);
  const fromData = await canonicalPath(options.from.dataDir);
  const fromLog = await canonicalPath(options.from.dataLogDir ?? options.from.dataDir);
  const toData = await canonicalPath(options.to.dataDir);
  const toLog = options.to.dataLogDir === undefined ? null : await canonicalPath(options.to.dataLogDir);
  for (const target of toLog === null || toLog === toData ? [toData] : [toData, toLog]) {
    for (const source of new Set([fromData, fromLog])) {
      if (overlaps(target, source)) {
        throw new MigrationError('ERR_MIGRATE_TARGET', `the target ${target} and the source ${source} overlap; migrate into a new `
          + 'directory, then point dataDir (and dataLogDir) at it');
      }
    }
    const entries = await listTarget(target);
    if (entries !== null && entries.length > 0 && options.force !== true) {
      const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
      throw new MigrationError('ERR_MIGRATE_TARGET', `the target ${target} is not empty (${shown}); choose a new or empty `
        + 'directory, or pass --force to replace its contents');
    }
    for (const leftover of await findLeftovers(target)) {
      progress(`note: ${leftover} is left over from an interrupted migration; delete it when no migration is running`);
    }
  }

  // A level source is copied beside the target to be opened (LevelDB cannot open read-only), under
  // a name findLeftovers reports if the process dies.
  await mkdir(path.dirname(toData), { recursive: true });
  const source = await openDataDirReadOnly(options.from, {
    logger, stagingPrefix: path.join(path.dirname(toData), `.${path.basename(toData)}.migrating-source-`),
  });
  const stagings: StagingDir[] = [];
  try {
    progress(`source: ${source.format} data directory ${source.dataDir}${source.dataLogDir === source.dataDir ? '' : ` (txn log in ${source.dataLogDir})`}`);
    progress('restoring the source as the server would…');
    let sourceFingerprint: TreeFingerprint;
    try {
      sourceFingerprint = (await restoreFingerprint(source.backend, options.restore)).fingerprint;
    } catch (err) {
      throw new MigrationError('ERR_MIGRATE_SOURCE', `cannot restore the source: ${err instanceof Error ? err.message : String(err)}. `
        + 'Run `zk-server verify` on it to see what is damaged', { cause: err });
    }
    progress(`source restored: ${sourceFingerprint.nodeCount} nodes, last zxid ${hex(sourceFingerprint.lastZxid)}, `
      + `digest ${hex(sourceFingerprint.digest)}, ${sourceFingerprint.sessions.length} sessions`);
    if (sourceFingerprint.digestMismatches > 0) {
      progress(`warning: ${sourceFingerprint.digestMismatches} digest mismatches while restoring the source (run \`zk-server verify\`); copying as is`);
    }

    const dataStaging = await createStagingDir(toData);
    stagings.push(dataStaging);
    let logStaging: StagingDir | null = null;
    if (toLog !== null && toLog !== toData) {
      logStaging = await createStagingDir(toLog);
      stagings.push(logStaging);
    }
    const target = await openStorage(targetKind, {
      dataDir: dataStaging.dir, dataLogDir: logStaging?.dir ?? dataStaging.dir, snapshotCompression: options.to.snapshotCompression, logger,
    });
    let copied: Awaited<ReturnType<typeof copyContents>>;
    try {
      copied = await copyContents(source.backend, target, sourceFingerprint, options, progress);
    } finally {
      await target.close();
    }

    progress('restoring the copy to compare…');
    const reopened = await openStorage(targetKind, { dataDir: dataStaging.dir, dataLogDir: logStaging?.dir ?? dataStaging.dir, logger });
    let targetFingerprint: TreeFingerprint;
    try {
      targetFingerprint = (await restoreFingerprint(reopened, options.restore)).fingerprint;
    } finally {
      await reopened.close();
    }
    const diffs = compareFingerprints(sourceFingerprint, targetFingerprint);
    if (diffs.length > 0) {
      throw new MigrationError('ERR_MIGRATE_VERIFY', `the copy does not restore to the source's tree (${diffs.join('; ')}); `
        + 'nothing was written to the target. Please report this with the output of `zk-server inspect datadir` on the source');
    }
    progress(`copy verified: same tree digest ${hex(targetFingerprint.digest)}, node count ${targetFingerprint.nodeCount}, `
      + `last zxid ${hex(targetFingerprint.lastZxid)}, sessions and ACLs`);

    // The log folder first: if the process dies between the two renames, the data folder (the one
    // a server is pointed at) is still absent.
    if (logStaging !== null) await installStaging(logStaging);
    await installStaging(dataStaging);
    stagings.length = 0;
    return {
      sourceFormat: source.format, targetFormat: targetKind, dataDir: toData, dataLogDir: toLog ?? toData,
      source: sourceFingerprint, target: targetFingerprint, ...copied,
    };
  } finally {
    for (const staging of stagings) await removeStaging(staging).catch(() => {});
    await source.close();
  }
}

async function copyContents(
  source: StorageBackend, target: StorageBackend, reference: TreeFingerprint, options: MigrateOptions, progress: (line: string) => void,
): Promise<Pick<MigrateResult, 'snapshotsCopied' | 'snapshotsSkipped' | 'txnsCopied' | 'epochs'>> {
  const all = await source.snapshots.list();
  const wanted = options.latestOnly === true ? all.filter((s) => s.zxid === reference.snapshotZxid) : all;
  const snapshotsCopied: number[] = [];
  const snapshotsSkipped: Array<{ zxid: number; reason: string }> = [];
  for (const snap of wanted.slice().reverse()) {
    const name = snap.location === undefined ? `snapshot ${hex(snap.zxid)}` : path.basename(snap.location);
    try {
      await target.snapshots.write(snap.zxid, checkedSnapshot(source, snap.zxid, snap.sizeBytes, name, progress));
      snapshotsCopied.push(snap.zxid);
      progress(`copied ${name}`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      // The one the source restores from was read in full already; any other may be skipped, as a server would skip it.
      if (snap.zxid === reference.snapshotZxid) throw err;
      snapshotsSkipped.push({ zxid: snap.zxid, reason });
      progress(`warning: skipped ${name}, which does not read back: ${reason}`);
    }
  }

  const boundaries = snapshotsCopied.slice().sort((a, b) => a - b);
  let boundary = 0;
  const fromZxid = options.latestOnly === true && reference.snapshotZxid !== null ? reference.snapshotZxid + 1 : 0;
  const every = options.progressEveryTxns ?? 100_000;
  const lastZxid = await source.txnLog.lastZxid();
  let batch: TxnEntry[] = [];
  let batchBytes = 0;
  let txnsCopied = 0;
  let firstZxid: number | null = null;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await target.txnLog.append(batch);
    batch = [];
    batchBytes = 0;
  };
  if (lastZxid > 0) progress(`copying the txn log (last zxid ${hex(lastZxid)})…`);
  for await (const entry of source.txnLog.read(fromZxid)) {
    // A new log segment after each snapshot, as ZooKeeper rolls its log when it snapshots: purge can
    // then drop whole files on the target too.
    if (boundary < boundaries.length && entry.zxid > boundaries[boundary]) {
      await flush();
      await target.txnLog.roll();
      while (boundary < boundaries.length && entry.zxid > boundaries[boundary]) boundary++;
    }
    batch.push(entry);
    batchBytes += entry.payload.length;
    txnsCopied++;
    firstZxid ??= entry.zxid;
    if (batch.length >= BATCH_TXNS || batchBytes >= BATCH_BYTES) await flush();
    if (txnsCopied % every === 0) {
      const share = lastZxid > firstZxid ? Math.floor(((entry.zxid - firstZxid) / (lastZxid - firstZxid)) * 100) : 100;
      progress(`txn log: ${txnsCopied} txns copied, at zxid ${hex(entry.zxid)} (~${share}%)`);
    }
  }
  await flush();
  if (lastZxid > 0) progress(`txn log: ${txnsCopied} txns copied`);

  const currentEpoch = await source.epochs.readCurrentEpoch();
  const acceptedEpoch = await source.epochs.readAcceptedEpoch();
  if (acceptedEpoch !== null) await target.epochs.writeAcceptedEpoch(acceptedEpoch);
  if (currentEpoch !== null) await target.epochs.writeCurrentEpoch(currentEpoch);
  return { snapshotsCopied, snapshotsSkipped, txnsCopied, epochs: { currentEpoch, acceptedEpoch } };
}

/** The snapshot's chunks, passed through a decoder that checks every seal, with progress lines. */
async function* checkedSnapshot(
  source: StorageBackend, zxid: number, fileBytes: number, name: string, progress: (line: string) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const decoder = new SnapshotDecoder({ head: () => {}, node: () => {} }, { file: name });
  const step = Math.max(fileBytes / 20, 8 << 20);
  let next = step;
  let bytes = 0;
  for await (const chunk of source.snapshots.open(zxid)) {
    decoder.push(chunk);
    bytes += chunk.length;
    if (bytes >= next) {
      progress(`${name}: ${mib(bytes)} copied (file size ${mib(fileBytes)})`);
      next = bytes + step;
    }
    yield chunk;
  }
  decoder.end();
}
