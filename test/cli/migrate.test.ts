// `zk-server migrate` as the CLI: a full run with progress and the verified summary, detection of the
// source format, the refusals with what to do, usage errors, --help.

import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyFixture, tempDir, type TempDir } from '../storage/filelog-support.js';
import { hashTree, runCli } from '../storage/migrate-support.js';

describe('zk-server migrate', () => {
  let tmp: TempDir;
  let dataDir: string;

  before(async () => {
    tmp = await tempDir();
    dataDir = await copyFixture(tmp.dir);
  });
  after(() => tmp.remove());

  it('migrates, shows progress on stderr and the verified result on stdout', async () => {
    const before = await hashTree(dataDir);
    const target = path.join(tmp.dir, 'out', 'zk');
    const r = await runCli(['migrate', '--from', dataDir, '--to', target, '--to-format', 'zookeeper', '--progress-every', '100']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^source: filelog data directory /m);
    assert.match(r.stderr, /^txn log: 200 txns copied, at zxid 0x[0-9a-f]+ \(~\d+%\)$/m);
    assert.match(r.stderr, /^copy verified: same tree digest 0x8afdfeb85f, node count 275/m);
    assert.match(r.stdout, /^migrated filelog → filelog: /);
    assert.match(r.stdout, /5 snapshot\(s\), 283 txns, epochs 1\/1/);
    assert.match(r.stdout, /verified: 275 nodes, digest 0x8afdfeb85f, last zxid 0x10000011b, 1 sessions/);
    assert.ok((await readdir(path.join(target, 'version-2'))).includes('snapshot.100000114'));
    assert.deepEqual(await hashTree(dataDir), before);
  });

  it('refuses a non-empty target and says what to do', async () => {
    const target = path.join(tmp.dir, 'busy');
    await mkdir(target);
    await writeFile(path.join(target, 'zoo.cfg'), 'tickTime=2000\n');
    const r = await runCli(['migrate', '--from', dataDir, '--to', target, '--to-format', 'level', '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not empty \(zoo\.cfg\); choose a new or empty directory, or pass --force/);
    assert.deepEqual(await readdir(target), ['zoo.cfg']);
  });

  it('a source that is no data directory is named as such', async () => {
    const empty = path.join(tmp.dir, 'empty');
    await mkdir(empty);
    const r = await runCli(['migrate', '--from', empty, '--to', path.join(tmp.dir, 'x'), '--to-format', 'level']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a data directory: it holds neither version-2\/ .* nor level\/ .* \(it is empty\)/);
    assert.ok(!(await readdir(tmp.dir)).includes('x'));
  });

  it('usage errors exit 2 with the usage; --help has examples', async () => {
    const missing = await runCli(['migrate', '--from', dataDir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--from, --to and --to-format are required/);
    const format = await runCli(['migrate', '--from', dataDir, '--to', path.join(tmp.dir, 'y'), '--to-format', 'rocks']);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--to-format must be one of zookeeper, filelog, level, got "rocks"/);
    const help = await runCli(['migrate', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}zk-server migrate --from /);
  });
});
