// The quorum scenario files (testdata/quorum/*.txt): each sync and election path of whole members,
// readable as a transcript. UPDATE_GOLDEN=1 rewrites the expected output (read the diff first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkScenarioFileAsync } from '../zab/scenario.js';
import { QuorumScenario } from './zab-scenario.js';

const dataDir = join(new URL('../../..', import.meta.url).pathname, 'test', 'sim', 'testdata', 'quorum');

for (const file of readdirSync(dataDir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`quorum scenario ${file}`, async () => {
    const scenario = new QuorumScenario();
    try {
      const diffs = await checkScenarioFileAsync(join(dataDir, file), (c) => scenario.run(c));
      assert.deepEqual(diffs, []);
    } finally {
      scenario.stop();
    }
  });
}
