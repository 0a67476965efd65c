// Moving a data directory between formats (ZooKeeper/filelog ↔ level), verified by restoring both.

export { migrateDataDir, type MigrateOptions, type MigrateResult, type MigrationTarget } from './migrate.js';
export { MigrationError, type MigrationErrorCode } from './errors.js';
