// The level backend against the shared conformance suite, reopened over the same temp directory.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStorage } from '../../src/storage/index.js';
import { runStorageConformance } from './conformance.js';

runStorageConformance('level', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'zk-level-'));
  const open = () => openStorage('level', { dataDir });
  return { backend: await open(), reopen: open, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});
