// The storage conformance suite: every backend runs it in one line, as every abstract-level
// implementation runs abstract-level's suite. It tests the SPI's promises, not a backend's internals.

import { describe } from 'node:test';
import type { StorageBackend } from '../../src/storage/index.js';
import { snapshotAndEpochTests } from './conformance-snapshots.js';
import { txnLogTests } from './conformance-txn-log.js';

export interface ConformanceSetup {
  readonly backend: StorageBackend;
  /**
   * Opens a new backend over the same data. The suite closes the previous backend before calling it.
   * Without it, the tests that need a restart are skipped.
   */
  readonly reopen?: () => Promise<StorageBackend>;
  /** Removes the data (temp directories). The suite has closed every backend it got by then. */
  readonly cleanup: () => Promise<void>;
}

export type MakeBackend = () => Promise<ConformanceSetup>;

export function runStorageConformance(name: string, makeBackend: MakeBackend): void {
  describe(`storage conformance: ${name}`, () => {
    txnLogTests(makeBackend);
    snapshotAndEpochTests(makeBackend);
  });
}
