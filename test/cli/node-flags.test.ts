// The V8 flags zk-server runs with (src/cli/node-flags.ts) are the ones its command's shebang and
// `npm start` pass to node, and this node accepts them (it refuses to start on an unknown flag).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

test('the zk-server command starts node with SERVER_NODE_FLAGS', () => {
  const shebang = readFileSync(CLI_MAIN, 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${SERVER_NODE_FLAGS.join(' ')}`);
});

test('npm start passes the same flags', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.start.startsWith(`node ${SERVER_NODE_FLAGS.join(' ')} dist/src/cli/main.js`), pkg.scripts.start);
});

test('the systemd unit in conf/ starts node with the same flags, on the same command', () => {
  const unit = readFileSync(path.join(REPO_ROOT, 'conf', 'zk-server.service'), 'utf8');
  const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
  assert.ok(exec.startsWith(`/usr/bin/node ${SERVER_NODE_FLAGS.join(' ')} `), exec);
  assert.match(exec, /\/dist\/src\/cli\/main\.js --config \S+$/);
});

test('through its shebang the command runs, with the flags in its node', () => {
  // What the kernel does with the shebang line: env splits it (-S) and runs node with the flags.
  const out = execFileSync('/usr/bin/env', ['-S', `node ${SERVER_NODE_FLAGS.join(' ')}`, '-p', 'JSON.stringify(process.execArgv)'], { encoding: 'utf8' });
  assert.deepEqual((JSON.parse(out) as string[]).slice(0, SERVER_NODE_FLAGS.length), SERVER_NODE_FLAGS);
  const help = execFileSync('/usr/bin/env', ['-S', `node ${SERVER_NODE_FLAGS.join(' ')}`, CLI_MAIN, '--help'], { encoding: 'utf8' });
  assert.match(help, /^Usage: zk-server/);
});
