// File names of a ZooKeeper data directory: `log.<zxid>`, `snapshot.<zxid>[.gz|.snappy]`, the
// epoch files, and the temp names used for atomic writes. Zxids are lower-case hex without padding
// (Java's Long.toHexString), e.g. log.100000001.

/** ZooKeeper keeps both kinds of files one level down, in `<dir>/version-2` (FileTxnSnapLog.VERSION). */
export const VERSION_DIR = 'version-2';

export const LOG_PREFIX = 'log';
export const SNAPSHOT_PREFIX = 'snapshot';
/** AtomicFileOutputStream's suffix; ZooKeeper ignores such files except for purging them. */
export const TMP_SUFFIX = '.tmp';

export type SnapshotCompression = 'none' | 'gz' | 'snappy';

/** The file-name extension ZooKeeper's SnapStream uses for each stream mode. */
export const SNAPSHOT_EXTENSION: Readonly<Record<SnapshotCompression, string>> = {
  none: '',
  gz: '.gz',
  snappy: '.snappy',
};

const LOG_NAME = /^log\.([0-9a-fA-F]{1,16})$/;
const SNAPSHOT_NAME = /^snapshot\.([0-9a-fA-F]{1,16})(\.gz|\.snappy)?$/;

export const hexZxid = (zxid: number): string => zxid.toString(16);

export const logFileName = (zxid: number): string => `${LOG_PREFIX}.${hexZxid(zxid)}`;

export const snapshotFileName = (zxid: number, compression: SnapshotCompression): string =>
  `${SNAPSHOT_PREFIX}.${hexZxid(zxid)}${SNAPSHOT_EXTENSION[compression]}`;

/**
 * The zxid in a log file name, or null for any other name. Stricter than ZooKeeper's
 * Util.getZxidFromName, which also takes `log.<zxid>.fixed` (TxnLogToolkit's repaired copy) and
 * `log.<zxid>.chopped<zxid>` as logs and would read them twice; those are left alone here.
 */
export function parseLogFileName(name: string): number | null {
  const m = LOG_NAME.exec(name);
  return m === null ? null : parseHexZxid(m[1]);
}

export interface SnapshotFileName {
  readonly zxid: number;
  readonly compression: SnapshotCompression;
}

export function parseSnapshotFileName(name: string): SnapshotFileName | null {
  const m = SNAPSHOT_NAME.exec(name);
  if (m === null) return null;
  const zxid = parseHexZxid(m[1]);
  if (zxid === null) return null;
  const compression: SnapshotCompression = m[2] === '.gz' ? 'gz' : m[2] === '.snappy' ? 'snappy' : 'none';
  return { zxid, compression };
}

/** Zxids above 2^53 cannot be represented (epochs stay below 2^21); such names are not ours. */
function parseHexZxid(hex: string): number | null {
  const value = Number.parseInt(hex, 16);
  return Number.isSafeInteger(value) ? value : null;
}
