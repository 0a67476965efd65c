// Every error the storage layer raises, each with a stable `code` so callers (the host, the CLI,
// tests) branch on codes, never on message text. One module, as undici keeps lib/core/errors.js.

export type StorageErrorCode =
  | 'ERR_STORAGE_CLOSED'
  | 'ERR_STORAGE_INVALID_ARGUMENT'
  | 'ERR_STORAGE_ZXID_ORDER'
  | 'ERR_STORAGE_NOT_FOUND'
  | 'ERR_STORAGE_CORRUPT'
  | 'ERR_STORAGE_WRITE_FAILED'
  | 'ERR_STORAGE_UNKNOWN_BACKEND'
  | 'ERR_STORAGE_LAYOUT';

export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** Any operation on a txn log, snapshot store, epoch store or backend after its close() was called. */
export class StorageClosedError extends StorageError {
  constructor(what: string) {
    super('ERR_STORAGE_CLOSED', `${what} is closed`);
    this.name = 'StorageClosedError';
  }
}

/** A caller bug: a malformed zxid, epoch, entry or chunk. Nothing was written. */
export class StorageInvalidArgumentError extends StorageError {
  constructor(message: string) {
    super('ERR_STORAGE_INVALID_ARGUMENT', message);
    this.name = 'StorageInvalidArgumentError';
  }
}

/**
 * An append whose zxids are not strictly increasing, within the batch or against the last zxid
 * already accepted by the log. ZooKeeper only warns here (FileTxnLog.append); we refuse, because a
 * log that goes backwards makes read(fromZxid) and truncate(afterZxid) meaningless.
 */
export class ZxidOrderError extends StorageError {
  constructor(readonly zxid: number, readonly lastZxid: number) {
    super('ERR_STORAGE_ZXID_ORDER', `zxid 0x${zxid.toString(16)} is not above last zxid 0x${lastZxid.toString(16)}`);
    this.name = 'ZxidOrderError';
  }
}

export class StorageNotFoundError extends StorageError {
  constructor(what: string) {
    super('ERR_STORAGE_NOT_FOUND', `${what} not found`);
    this.name = 'StorageNotFoundError';
  }
}

/** Bytes on disk that fail a check. Always names the file (or key) and the byte offset. */
export class StorageCorruptError extends StorageError {
  constructor(readonly file: string, readonly offset: number, reason: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_CORRUPT', `${file} is corrupt at offset ${offset}: ${reason}`, options);
    this.name = 'StorageCorruptError';
  }
}

/**
 * A txn log refuses further writes once one append failed: after a failed write (or fsync) the
 * state of the file is unknown, and retrying could ack entries that are not durable (the
 * "fsyncgate" lesson). Reopening the backend runs recovery and clears it.
 */
export class StorageWriteFailedError extends StorageError {
  constructor(cause: unknown) {
    super('ERR_STORAGE_WRITE_FAILED', 'an earlier append failed; the txn log must be reopened', { cause });
    this.name = 'StorageWriteFailedError';
  }
}

export class UnknownStorageBackendError extends StorageError {
  constructor(readonly kind: string, known: readonly string[]) {
    super('ERR_STORAGE_UNKNOWN_BACKEND', `unknown storage backend "${kind}" (known: ${known.join(', ')})`);
    this.name = 'UnknownStorageBackendError';
  }
}

/**
 * A data directory that cannot be used as configured: not writable, or holding the other kind's
 * files when dataDir and dataLogDir differ (ZooKeeper's FileTxnSnapLog refuses both the same way).
 */
export class StorageLayoutError extends StorageError {
  constructor(readonly dir: string, reason: string) {
    super('ERR_STORAGE_LAYOUT', `${dir}: ${reason}`);
    this.name = 'StorageLayoutError';
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}
