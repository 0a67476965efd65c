// `zk-server inspect log|snapshot|datadir`: what is inside a data directory, read-only, in the text
// of Apache ZooKeeper's TxnLogToolkit and SnapshotFormatter (or JSON).

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileHeader } from '../jute/records.js';
import { StorageCorruptError } from '../storage/errors.js';
import {
  corruptReason, dataDirSummaryJson, describeLogEnd, detectFormat, entryJson, formatDataDirSummary, formatTxnLine, logFileRef,
  LogFileReader, openDataDirReadOnly, parseDataDirFormat, readSnapshotFile, sniffSnapshotCompression, summarizeDataDir,
  summarizeSnapshot, writeSnapshotJson, writeSnapshotText, type DataDirFormat, type LogFileRef,
} from '../storage/inspect/index.js';
import { MIN_SNAP_RETAIN_COUNT } from '../storage/purge.js';
import { decodeTxnEntry } from '../storage/txn-entry.js';
import { closeSnapshotPool } from '../storage/snapshot/index.js';
import { errorText, parseCommandArgs, serverRestore, stdoutWriter } from './output.js';

export const INSPECT_USAGE = `Usage:
  zk-server inspect log FILE|DIR [--json]
  zk-server inspect snapshot FILE [--json]
  zk-server inspect datadir DIR [--data-log-dir DIR] [-n COUNT] [--format zookeeper|filelog|level] [--json]

Shows what a data directory holds, without changing anything in it.

  log       every txn of a txn log file, or of every log file of a directory (a dataDir or dataLogDir
            holding version-2/, the version-2 folder itself, or a level data directory), one line per
            txn as Apache ZooKeeper's TxnLogToolkit -d prints it: time (UTC), session, cxid, zxid, type,
            txn fields. A torn tail or damage is reported with its offset.
  snapshot  every znode of a snapshot file (plain, .gz or .snappy) as ZooKeeper's SnapshotFormatter -d
            prints it, then the sessions and the last zxid. Every checksum seal is verified.
  datadir   per log file its zxid range and state, per snapshot its zxid and validity, the epochs, what
            the directory restores to (node count, digest, sessions), and which files autopurge would
            delete keeping COUNT snapshots (autopurge.snapRetainCount; default and minimum ${MIN_SNAP_RETAIN_COUNT}).

Options:
  --json               machine-readable output: JSON lines for log (one object per file start, txn
                       and file end), one JSON document for snapshot and datadir. Zxids and session
                       ids are hex strings.
  --data-log-dir DIR   datadir: the txn logs are in a separate dataLogDir
  -n, --count COUNT    datadir: snapRetainCount for the autopurge preview (default ${MIN_SNAP_RETAIN_COUNT})
  --format FORMAT      datadir: the format when a directory holds both version-2/ and level/
  -v, --verbose        datadir: the restore's own log lines on stderr
  -h, --help           this text

Exit status: 0 all read, 1 damage found (named with file and offset), 2 bad usage or unreadable input.

Examples:
  zk-server inspect log /var/lib/zookeeper/version-2/log.100000001
  zk-server inspect log /var/lib/zookeeper | grep ' setData '
  zk-server inspect snapshot /var/lib/zookeeper/version-2/snapshot.100000114.gz | less
  zk-server inspect datadir /var/lib/zookeeper -n 5
  zk-server inspect datadir /data/snap --data-log-dir /data/log --json | jq .restored
`;

export async function inspectCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('inspect', INSPECT_USAGE, {
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'data-log-dir': { type: 'string' },
      n: { type: 'string', short: 'n' },
      count: { type: 'string' },
      format: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [what, target, ...extra] = positionals;
  if (what === undefined || target === undefined || extra.length > 0) {
    process.stderr.write(`zk-server inspect: expected one of "log FILE|DIR", "snapshot FILE", "datadir DIR"\n\n${INSPECT_USAGE}`);
    return 2;
  }
  const json = values.json === true;
  try {
    switch (what) {
      case 'log':
        return await inspectLog(target, json);
      case 'snapshot':
        return await inspectSnapshot(target, json);
      case 'datadir': {
        const countText = values.n ?? values.count ?? String(MIN_SNAP_RETAIN_COUNT);
        const count = Number(countText);
        if (!Number.isInteger(count) || count < MIN_SNAP_RETAIN_COUNT) {
          process.stderr.write(`zk-server inspect: -n must be an integer >= ${MIN_SNAP_RETAIN_COUNT} (ZooKeeper's minimum), got "${countText}"\n`);
          return 2;
        }
        const format = values.format === undefined ? undefined : parseDataDirFormat(values.format, '--format');
        return await inspectDataDir(target, values['data-log-dir'], format, count, json, values.verbose === true);
      }
      default:
        process.stderr.write(`zk-server inspect: unknown kind "${what}" (log, snapshot or datadir)\n\n${INSPECT_USAGE}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`zk-server inspect: ${errorText(err)}\n`);
    return err instanceof StorageCorruptError ? 1 : 2;
  } finally {
    await closeSnapshotPool();
  }
}

// ---------------------------------------------------------------- log

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The log files a path names: itself, or those of its version-2 folder, or null for a level directory. */
async function logFilesOf(target: string): Promise<{ files: LogFileRef[]; many: boolean } | null> {
  const st = await stat(target).catch(() => null);
  if (st === null) throw new Error(`${target}: no such file or directory`);
  if (st.isFile()) return { files: [logFileRef(path.resolve(target))], many: false };
  let dir = path.resolve(target);
  if (await isDirectory(path.join(dir, 'version-2'))) dir = path.join(dir, 'version-2');
  else if ((await detectFormat(dir).catch(() => null)) === 'level') return null;
  const files = (await readdir(dir))
    .map((name) => logFileRef(path.join(dir, name)))
    .filter((ref) => /^log\.[0-9a-fA-F]{1,16}$/.test(ref.name))
    .sort((a, b) => a.startZxid - b.startZxid);
  if (files.length === 0) throw new Error(`${dir} holds no txn log file (log.<zxid>)`);
  return { files, many: true };
}

async function inspectLog(target: string, json: boolean): Promise<number> {
  const write = stdoutWriter();
  const located = await logFilesOf(target);
  if (located === null) return inspectLevelLog(target, json, write);
  let damaged = false;
  for (const ref of located.files) {
    if (!json && located.many) await write(`=== ${ref.name}\n`);
    const reader = new LogFileReader(ref);
    let headerShown = false;
    let count = 0;
    let lines: string[] = [];
    const flush = async (): Promise<void> => {
      if (lines.length > 0) await write(lines.join(''));
      lines = [];
    };
    const headerLine = (h: FileHeader): string => (json
      ? `${JSON.stringify({ record: 'file', file: ref.path, dbid: h.dbid.toString(), version: h.version })}\n`
      : `ZooKeeper Transactional Log File with dbid ${h.dbid} txnlog format version ${h.version}\n`);
    for await (const entry of reader.entries()) {
      if (!headerShown && reader.header !== null) {
        lines.push(headerLine(reader.header));
        headerShown = true;
      }
      count++;
      try {
        const decoded = decodeTxnEntry(entry, ref.path);
        lines.push(json ? `${JSON.stringify({ record: 'txn', offset: entry.offset, ...entryJson(decoded) })}\n` : formatTxnLine(decoded));
      } catch (err) {
        damaged = true;
        const reason = err instanceof StorageCorruptError ? corruptReason(err) : errorText(err);
        lines.push(json ? `${JSON.stringify({ record: 'unparseable', offset: entry.offset, zxid: `0x${entry.zxid.toString(16)}`, reason })}\n`
          : `UNPARSEABLE txn 0x${entry.zxid.toString(16)} at offset ${entry.offset}: ${reason}\n`);
      }
      if (lines.length >= 512) await flush();
    }
    const scan = reader.result;
    if (!headerShown && scan.header !== null) lines.push(headerLine(scan.header));
    if (scan.end.kind === 'corrupt' || (scan.end.kind === 'no-header' && located.files.at(-1) !== ref)) damaged = true;
    if (json) {
      lines.push(`${JSON.stringify({ record: 'end', file: ref.path, txns: count, end: { ...scan.end } })}\n`);
    } else {
      lines.push(`EOF reached after ${count} txns.\n`);
      if (scan.end.kind !== 'clean') lines.push(`${ref.path}: ${describeLogEnd(scan.end)}\n`);
    }
    await flush();
  }
  return damaged ? 1 : 0;
}

async function inspectLevelLog(target: string, json: boolean, write: (text: string) => Promise<void>): Promise<number> {
  const opened = await openDataDirReadOnly({ dataDir: target, format: 'level' }, { logger: { info: () => {}, warn: () => {} } });
  try {
    const where = opened.level?.logDb ?? target;
    await write(json ? `${JSON.stringify({ record: 'log', location: where, format: 'level' })}\n` : `=== level txn log in ${where}\n`);
    let count = 0;
    let lines: string[] = [];
    for await (const entry of opened.backend.txnLog.read(0)) {
      count++;
      const decoded = decodeTxnEntry(entry, where);
      lines.push(json ? `${JSON.stringify({ record: 'txn', ...entryJson(decoded) })}\n` : formatTxnLine(decoded));
      if (lines.length >= 512) {
        await write(lines.join(''));
        lines = [];
      }
    }
    lines.push(json ? `${JSON.stringify({ record: 'end', location: where, txns: count })}\n` : `EOF reached after ${count} txns.\n`);
    await write(lines.join(''));
    return 0;
  } finally {
    await opened.close();
  }
}

// ---------------------------------------------------------------- snapshot

async function inspectSnapshot(target: string, json: boolean): Promise<number> {
  const file = path.resolve(target);
  if (!(await stat(file).catch(() => null))?.isFile()) throw new Error(`${target}: no such file`);
  const compression = await sniffSnapshotCompression(file);
  const m = /^snapshot\.([0-9a-fA-F]{1,16})/.exec(path.basename(file));
  const fileZxid = m === null ? null : Number.parseInt(m[1], 16);
  const bytes = (): AsyncIterable<Uint8Array> => readSnapshotFile(file, compression);
  // Pass one checks every seal before anything is printed: a damaged file prints only the error.
  const summary = await summarizeSnapshot(bytes, file);
  const write = stdoutWriter();
  if (json) await writeSnapshotJson(bytes, summary, fileZxid, write);
  else await writeSnapshotText(bytes, summary, fileZxid, write);
  return 0;
}

// ---------------------------------------------------------------- datadir

async function inspectDataDir(
  dir: string, dataLogDir: string | undefined, format: DataDirFormat | undefined, retainCount: number, json: boolean, verbose: boolean,
): Promise<number> {
  const warnings: string[] = [];
  const opened = await openDataDirReadOnly({ dataDir: dir, dataLogDir, format }, {
    logger: { info: () => {}, warn: (m) => { warnings.push(m); } },
  });
  try {
    const summary = await summarizeDataDir(opened, { retainCount, restore: serverRestore(verbose) });
    const write = stdoutWriter();
    await write(json ? `${JSON.stringify(dataDirSummaryJson(summary), null, 2)}\n` : formatDataDirSummary(summary));
    const damaged = summary.restoreError !== null
      || (summary.logFiles ?? []).some((f) => f.end.kind === 'corrupt')
      || (summary.restored?.digestMismatches ?? 0) > 0;
    return damaged ? 1 : 0;
  } finally {
    await opened.close();
  }
}
