// `zk-server verify`: checks every checksum and digest of a data directory; `--repair` cuts torn
// log tails and nothing else.

import { formatVerifyReport, parseDataDirFormat, summarizeFindings, verifyDataDir } from '../storage/inspect/index.js';
import { closeSnapshotPool } from '../storage/snapshot/index.js';
import { errorText, parseCommandArgs, progressLine, stdoutWriter } from './output.js';

export const VERIFY_USAGE = `Usage: zk-server verify DIR [--data-log-dir DIR] [--repair] [--snapshots N] [--format zookeeper|filelog|level]
                        [--json] [--quiet]

Reads a data directory (Apache ZooKeeper's, or zk-server's filelog or level) and checks:
  - every txn log entry: framing, Adler-32 checksum, end-of-record byte, that its record parses,
    zxid order within and across log files;
  - every snapshot: restored in full, every checksum seal verified, its digest trailer compared with
    the tree rebuilt from it and the log;
  - the tree digest logged with every txn after the newest snapshot, by replaying the log on it;
  - the epoch files (readable, acceptedEpoch >= currentEpoch >= the last zxid's epoch).
Every problem is printed with its file and byte offset. Nothing is changed unless --repair is given.

Two kinds of damage:
  TORN     bytes after the last good entry of a log file with no good entry after them: a write cut
           short by a crash, never acknowledged to a client. --repair cuts the file there (and removes
           a newest log file that a crash left without header or txn).
  CORRUPT  damage with good entries after it, a bad snapshot seal, a digest mismatch: acknowledged data
           is hurt. Never repaired automatically: keep a copy of the directory, then restore from a
           backup or (in a quorum) remove this member's data and let it resync from the leader.

On a running server's directory the newest log file may be caught mid-write and show as torn;
stop the server for an exact answer (and always before --repair).

Options:
  --data-log-dir DIR   the txn logs are in a separate dataLogDir
  --repair             cut torn log tails (stop the server first)
  --snapshots N        restore only the N newest snapshots (default: every one; each costs a full restore)
  --format FORMAT      when DIR holds both version-2/ and level/
  --json               the report as one JSON document on stdout
  -q, --quiet          no progress lines on stderr
  -h, --help           this text

Exit status: 0 no damage (warnings allowed), 1 corruption found, 2 bad usage or unreadable directory,
3 only torn tails found (run again with --repair).

Examples:
  zk-server verify /var/lib/zookeeper
  zk-server verify /data/snap --data-log-dir /data/log
  zk-server verify /var/lib/zookeeper --repair && zk-server verify /var/lib/zookeeper
`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('verify', VERIFY_USAGE, {
    args: argv,
    allowPositionals: true,
    options: {
      'data-log-dir': { type: 'string' },
      repair: { type: 'boolean' },
      snapshots: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`zk-server verify: expected one data directory, got ${positionals.length}\n\n${VERIFY_USAGE}`);
    return 2;
  }
  const maxSnapshots = values.snapshots === undefined ? undefined : Number(values.snapshots);
  if (maxSnapshots !== undefined && (!Number.isSafeInteger(maxSnapshots) || maxSnapshots < 1)) {
    process.stderr.write(`zk-server verify: --snapshots must be a positive integer, got "${values.snapshots}"\n`);
    return 2;
  }
  try {
    const format = values.format === undefined ? undefined : parseDataDirFormat(values.format, '--format');
    const report = await verifyDataDir(
      { dataDir: positionals[0], dataLogDir: values['data-log-dir'], format },
      { repair: values.repair === true, progress: progressLine(values.quiet === true), maxSnapshots },
    );
    const write = stdoutWriter();
    if (values.json === true) {
      const s = summarizeFindings(report);
      await write(`${JSON.stringify({ ...report, ...s, ok: s.unrepaired === 0 }, null, 2)}\n`);
    } else {
      await write(formatVerifyReport(report));
    }
    const s = summarizeFindings(report);
    if (s.unrepaired === 0) return 0;
    return report.findings.some((f) => f.kind === 'corrupt' && f.repaired === undefined) ? 1 : 3;
  } catch (err) {
    process.stderr.write(`zk-server verify: ${errorText(err)}\n`);
    return 2;
  } finally {
    await closeSnapshotPool();
  }
}
