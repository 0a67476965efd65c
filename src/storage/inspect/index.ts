// Read-only tools over data directories of any format: open without modifying, dump logs and
// snapshots as Apache ZooKeeper's tools do, summarize, verify.

export {
  detectFormat, openDataDirReadOnly, parseDataDirFormat, backendKind, DATA_DIR_FORMATS,
  type DataDirFormat, type DataDirRef, type OpenedDataDir, type OpenReadOnlyOptions,
} from './open.js';
export {
  compareFingerprints, fingerprintTree, newToolTree, restoreFingerprint,
  type RestoreFn, type SessionSummary, type TreeFingerprint,
} from './fingerprint.js';
export {
  corruptReason, isValidSnapshotFile, listSnapshotFiles, listZkLogFiles, logFileRef, LogFileReader, readSnapshotFile, scanLogFile,
  sniffSnapshotCompression, type LocatedEntry, type LogFileEnd, type LogFileRef, type LogFileScan, type SnapshotFileInfo,
} from './zk-files.js';
export { openZkDataDirReadOnly, readLogEntries, zkDirs, type ReadOnlyZkDataDir, type ZkDirs } from './zk-readonly.js';
export { levelDirs, openLevelStaged, type LevelDirs, type StagedLevel } from './level-readonly.js';
export {
  entryJson, formatJavaDate, formatToolkitTime, formatTxnBody, formatTxnLine, javaHex, txnJson, zkOpName, type JsonValue,
} from './txn-format.js';
export {
  javaHashMapOrder, javaHex016, snapshotSummaryJson, summarizeSnapshot, writeSnapshotJson, writeSnapshotText,
  type SnapshotBytes, type SnapshotSummary,
} from './snapshot-dump.js';
export {
  dataDirSummaryJson, describeLogEnd, formatDataDirSummary, summarizeDataDir,
  type DataDirSummary, type LogFileSummary, type SnapshotFileSummary,
} from './datadir.js';
export {
  formatVerifyReport, summarizeFindings, verifyDataDir,
  type FindingKind, type VerifyFinding, type VerifyOptions, type VerifyReport,
} from './verify.js';
