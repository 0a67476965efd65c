// The simulator (zab-sim.ts) runs the quorum peer on fake time and a fake network: that only proves
// something while the code it runs takes its time and sockets from its Clock and NetEnv. This test
// keeps it so: the files the simulated peers run may not read the wall clock or start timers or
// sockets of their own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../../..', import.meta.url).pathname;
const files = [
  ...readdirSync(join(root, 'src/server/quorum')).filter((f) => f.endsWith('.ts')).map((f) => `src/server/quorum/${f}`),
  'src/host/election-host.ts', 'src/transport/election.ts', 'src/transport/quorum.ts',
  'src/server/server.ts', 'src/server/container-reaper.ts',
];
const FORBIDDEN = [/\bDate\.now\(/, /(?<![.\w])setTimeout\(/, /(?<![.\w])setInterval\(/, /(?<![.\w])createServer\(/, /new net\.Socket\(/, /\bnet\.connect\(/];

test('the code the simulator runs takes time and sockets from its Clock and NetEnv', () => {
  const found: string[] = [];
  for (const f of files) {
    const lines = readFileSync(join(root, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (/^\s*\*/.test(code)) return;
      for (const r of FORBIDDEN) if (r.test(code)) found.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});
