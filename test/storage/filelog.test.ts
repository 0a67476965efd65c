// The filelog backend against the shared conformance suite, reopened over the same temp directory.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openFilelogStorage } from '../../src/storage/index.js';
import { runStorageConformance } from './conformance.js';

const quiet = { info: () => {}, warn: () => {} };

runStorageConformance('filelog', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'zk-filelog-'));
  const open = () => openFilelogStorage({ dataDir, preAllocSizeKb: 64, logger: quiet });
  return { backend: await open(), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});
