// `zk-server purge`: ZooKeeper's PurgeTxnLog for cron users — keep the N newest snapshots and the
// logs needed to restore from them, delete older files. Works on a stopped or running server's dirs.

import { openStorage } from '../storage/index.js';
import { purge, MIN_SNAP_RETAIN_COUNT } from '../storage/purge.js';
import { parseCommandArgs } from './output.js';

export const PURGE_USAGE = `Usage: zk-server purge --data-dir DIR [--data-log-dir DIR] -n COUNT [--storage filelog|level]

Deletes old snapshots and txn logs, keeping the COUNT newest snapshots (at least ${MIN_SNAP_RETAIN_COUNT}) and every
log file needed to restore from the oldest of them, as ZooKeeper's PurgeTxnLog does.

Examples:
  zk-server purge --data-dir /var/lib/zookeeper -n 3
  zk-server purge --data-dir /data/snap --data-log-dir /data/log -n 5
`;

export async function purgeCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('purge', PURGE_USAGE, {
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      'data-log-dir': { type: 'string' },
      n: { type: 'string', short: 'n' },
      count: { type: 'string' },
      storage: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const dataDir = values['data-dir'];
  const countText = values.n ?? values.count;
  if (!dataDir || countText === undefined) {
    process.stderr.write(`zk-server purge: --data-dir and -n are required\n\n${PURGE_USAGE}`);
    return 2;
  }
  const count = Number(countText);
  if (!Number.isInteger(count) || count < MIN_SNAP_RETAIN_COUNT) {
    process.stderr.write(`zk-server purge: -n must be an integer >= ${MIN_SNAP_RETAIN_COUNT}, got "${countText}"\n`);
    return 2;
  }
  const backend = await openStorage(values.storage ?? 'filelog', {
    dataDir,
    dataLogDir: values['data-log-dir'] ?? dataDir,
    logger: { info: (m) => process.stderr.write(`${m}\n`), warn: (m) => process.stderr.write(`WARN ${m}\n`) },
  });
  try {
    const r = await purge(backend, count);
    const hex = (z: number): string => `0x${z.toString(16)}`;
    process.stdout.write(`kept ${r.kept.length} snapshot(s): ${r.kept.map(hex).join(' ') || '-'}\n`);
    process.stdout.write(`deleted ${r.deleted.length} snapshot(s): ${r.deleted.map(hex).join(' ') || '-'}\n`);
    if (r.logsBefore !== null) process.stdout.write(`released log files wholly below ${hex(r.logsBefore)}\n`);
  } finally {
    await backend.close();
  }
  return 0;
}
