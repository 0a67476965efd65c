// `zk-server migrate`: copies a data directory into another format (off Apache ZooKeeper onto level,
// back to ZooKeeper's layout, …), verified by restoring both sides, never touching the source.

import { parseDataDirFormat } from '../storage/inspect/index.js';
import { javaHex } from '../storage/inspect/index.js';
import { migrateDataDir, MigrationError } from '../storage/migrate/index.js';
import { closeSnapshotPool } from '../storage/snapshot/index.js';
import { errorText, parseCommandArgs, progressLine, serverRestore } from './output.js';

export const MIGRATE_USAGE = `Usage: zk-server migrate --from DIR [--from-format zookeeper|filelog|level] [--from-log-dir DIR]
                         --to DIR --to-format filelog|level [--to-log-dir DIR] [--force]
                         [--latest-only] [--snapshot-compression none|gz] [--quiet]

Moves a whole data directory (snapshots, txn log, sessions, epochs) into another storage format:
  zookeeper, filelog  Apache ZooKeeper's layout (DIR holds version-2/); both names mean the same
                      format, readable and writable by Apache ZooKeeper 3.4-3.9 and by zk-server
                      --storage=filelog. Compressed snapshots (.gz, .snappy), snapshots with or without
                      digests, 3.9's extra snapshot section, create2/container/TTL txns and 3.4's old
                      create records are all carried over.
  level               zk-server --storage=level (DIR holds level/).
The source format is detected when --from-format is not given. The source is only read (a level
source is copied aside first, since LevelDB cannot open read-only). The copy is written into a
hidden folder beside the target, restored as the server would restore it and compared with the
source (tree digest, node count, last zxid, sessions, ACLs), and only then renamed to the target:
an interrupted migration leaves no target (delete the hidden .<name>.migrating-* folder it leaves).

Options:
  --from DIR             the data directory to read (ZooKeeper's dataDir, the folder holding version-2/)
  --from-format FORMAT   zookeeper, filelog or level (default: detected)
  --from-log-dir DIR     the source's separate dataLogDir, if it has one
  --to DIR               the directory to create; must not exist or be empty, unless --force
  --to-format FORMAT     filelog (zookeeper) or level
  --to-log-dir DIR       put the target's txn log in a separate dataLogDir
  --force                replace a target that holds files (its old contents are deleted)
  --latest-only          copy only the snapshot the source restores from and the txns after it
                         (default: every snapshot and the whole log)
  --snapshot-compression none|gz   filelog target: write snapshots gzip-compressed (default none)
  --progress-every N     a progress line every N txns copied (default 100000)
  -q, --quiet            no progress lines on stderr
  -h, --help             this text

Stop the server that uses the source first: a directory that changes during the copy fails the
comparison (nothing is written then). Exit status: 0 migrated and verified, 1 failed (the target is
left as it was), 2 bad usage.

Examples:
  zk-server migrate --from /var/lib/zookeeper --to /var/lib/zk-level --to-format level
  zk-server migrate --from /data/zk --from-log-dir /logs/zk --to /data/zk2 --to-format filelog --to-log-dir /logs/zk2
  zk-server migrate --from /var/lib/zk-level --to /var/lib/zookeeper-back --to-format zookeeper
`;

export async function migrateCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('migrate', MIGRATE_USAGE, {
    args: argv,
    options: {
      from: { type: 'string' },
      'from-format': { type: 'string' },
      'from-log-dir': { type: 'string' },
      to: { type: 'string' },
      'to-format': { type: 'string' },
      'to-log-dir': { type: 'string' },
      force: { type: 'boolean' },
      'latest-only': { type: 'boolean' },
      'snapshot-compression': { type: 'string' },
      'progress-every': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const usage = (message: string): number => {
    process.stderr.write(`zk-server migrate: ${message}\n\n${MIGRATE_USAGE}`);
    return 2;
  };
  if (values.from === undefined || values.to === undefined || values['to-format'] === undefined) {
    return usage('--from, --to and --to-format are required');
  }
  const compression = values['snapshot-compression'] ?? 'none';
  if (compression !== 'none' && compression !== 'gz') return usage(`--snapshot-compression must be none or gz, got "${compression}"`);
  const every = Number(values['progress-every'] ?? '100000');
  if (!Number.isSafeInteger(every) || every < 1) return usage(`--progress-every must be a positive integer, got "${values['progress-every']}"`);
  let fromFormat;
  let toFormat;
  try {
    fromFormat = values['from-format'] === undefined ? undefined : parseDataDirFormat(values['from-format'], '--from-format');
    toFormat = parseDataDirFormat(values['to-format'], '--to-format');
  } catch (err) {
    return usage(errorText(err));
  }
  const progress = progressLine(values.quiet === true);
  try {
    const result = await migrateDataDir({
      from: { dataDir: values.from, dataLogDir: values['from-log-dir'], format: fromFormat },
      to: { format: toFormat, dataDir: values.to, dataLogDir: values['to-log-dir'], snapshotCompression: compression },
      force: values.force === true,
      latestOnly: values['latest-only'] === true,
      restore: serverRestore(values.verbose === true),
      progress,
      progressEveryTxns: every,
    });
    const t = result.target;
    process.stdout.write(`migrated ${result.sourceFormat} → ${result.targetFormat}: ${result.dataDir}`
      + `${result.dataLogDir === result.dataDir ? '' : ` (txn log in ${result.dataLogDir})`}\n`
      + `  ${result.snapshotsCopied.length} snapshot(s), ${result.txnsCopied} txns, epochs `
      + `${result.epochs.currentEpoch ?? '-'}/${result.epochs.acceptedEpoch ?? '-'} (current/accepted)\n`
      + `  verified: ${t.nodeCount} nodes, digest 0x${javaHex(t.digest)}, last zxid 0x${javaHex(t.lastZxid)}, `
      + `${t.sessions.length} sessions — equal to the source\n`
      + (result.snapshotsSkipped.length > 0
        ? `  skipped damaged snapshots: ${result.snapshotsSkipped.map((s) => `0x${javaHex(s.zxid)}`).join(' ')}\n` : ''));
    return 0;
  } catch (err) {
    const hint = err instanceof MigrationError ? '' : ' (the target was not created)';
    process.stderr.write(`zk-server migrate: ${errorText(err)}${hint}\n`);
    return 1;
  } finally {
    await closeSnapshotPool();
  }
}
