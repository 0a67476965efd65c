// Errors of `zk-server migrate`, with stable codes; each message says what to do about it.

export type MigrationErrorCode =
  /** The target cannot be used: not empty (without --force), not a folder, or overlapping the source. */
  | 'ERR_MIGRATE_TARGET'
  /** The source cannot be read or restored. */
  | 'ERR_MIGRATE_SOURCE'
  /** The copy restores to a different tree than the source. */
  | 'ERR_MIGRATE_VERIFY';

export class MigrationError extends Error {
  constructor(readonly code: MigrationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}
