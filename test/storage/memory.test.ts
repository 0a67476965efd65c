// The memory backend against the shared conformance suite, with reopen over the same volume.

import { MemoryVolume, openMemoryStorage } from '../../src/storage/index.js';
import { runStorageConformance } from './conformance.js';

runStorageConformance('memory', async () => {
  const volume = new MemoryVolume();
  return { backend: await openMemoryStorage({ volume }), reopen: () => openMemoryStorage({ volume }), cleanup: async () => {} };
});
