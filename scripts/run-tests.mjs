#!/usr/bin/env node
// Runs the compiled test files with node's test runner. Node 20's --test takes no globs, so the
// files are found here. `--interop` runs only the interop stage (test/interop), which needs Apache
// ZooKeeper and Java; the default run is everything else.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');
const interop = process.argv.includes('--interop');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = walk(testRoot).filter((f) => {
  const rel = relative(testRoot, f);
  return interop ? rel.startsWith('interop/') : !rel.startsWith('interop/');
});
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
files.sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A test that hangs fails after TEST_TIMEOUT_MS instead of holding the run forever. The longest test
// (the zab simulator's 2000 seeds) takes ~150 s on a 2-core machine.
const TEST_TIMEOUT_MS = 480_000;
const args = ['--test', '--test-reporter=spec', '--test-concurrency=2', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files];
const res = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(res.status ?? 1);
