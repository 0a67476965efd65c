// The server's log through a real process: ZooKeeper-style text lines by default, one JSON record a
// line with `zkserver.log.format=json` (or --log-format json), levels from zkserver.log.level, and
// bad values refused naming the key.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, startZkServer } from '../helpers/zk-server.js';

const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const TEXT_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(DEBUG|INFO|WARN|ERROR)\] (\S+) - (.*)$/;
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('server log', () => {
  it('writes ZooKeeper-style text lines by default, each with a level and a component', async () => {
    const zk = await startZkServer({ storage: 'filelog' });
    await zk.stop();
    const out = lines(zk.stderr());
    assert.ok(out.length >= 2, zk.stderr());
    for (const l of out) assert.match(l, TEXT_LINE);
    assert.ok(out.some((l) => / \[INFO\] zk-server - serving on 127\.0\.0\.1:\d+ \(storage filelog/.test(l)), zk.stderr());
    assert.ok(out.some((l) => / \[INFO\] snapshot - /.test(l)), zk.stderr());
  });

  it('writes one JSON record a line with zkserver.log.format=json', async () => {
    const zk = await startZkServer({ storage: 'filelog', extraConfig: { 'zkserver.log.format': 'json' } });
    await zk.stop();
    const records = lines(zk.stderr()).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(records.length >= 2, zk.stderr());
    for (const r of records) {
      assert.ok(['debug', 'info', 'warn', 'error'].includes(String(r.level)), JSON.stringify(r));
      assert.ok(!Number.isNaN(Date.parse(String(r.time))), JSON.stringify(r));
      assert.equal(typeof r.component, 'string');
      assert.equal(typeof r.msg, 'string');
    }
    const serving = records.find((r) => String(r.msg).startsWith('serving on'));
    assert.equal(serving?.component, 'zk-server');
    assert.ok(records.some((r) => r.component === 'zk-server' && r.msg === 'received SIGTERM, shutting down'));
  });

  it('leaves out records below zkserver.log.level', async () => {
    const zk = await startZkServer({ storage: 'filelog', extraConfig: { 'zkserver.log.level': 'warn', forceSync: 'no' } });
    await zk.stop();
    const out = lines(zk.stderr());
    // forceSync=no is warned about at start-up; nothing at info level is written.
    assert.ok(out.some((l) => / \[WARN\] zk-server - forceSync=no/.test(l)), zk.stderr());
    assert.deepEqual(out.filter((l) => / \[(INFO|DEBUG)\] /.test(l)), []);
  });

  it('refuses a bad format or level, naming the flag and the key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-log-'));
    try {
      writeFileSync(path.join(dir, 'zoo.cfg'), 'dataDir=./data\nclientPort=2181\n');
      const flag = spawnSync(process.execPath, [CLI_MAIN, '--config', 'zoo.cfg', '--log-format', 'xml'], { cwd: dir, encoding: 'utf8' });
      assert.equal(flag.status, 2);
      assert.match(flag.stderr, /--log-format: zkserver\.log\.format: expected text or json, got "xml"/);
      writeFileSync(path.join(dir, 'zoo.cfg'), 'dataDir=./data\nclientPort=2181\nzkserver.log.level=loud\n');
      const key = spawnSync(process.execPath, [CLI_MAIN, '--config', 'zoo.cfg'], { cwd: dir, encoding: 'utf8' });
      assert.equal(key.status, 2);
      assert.match(key.stderr, /zoo\.cfg:3: zkserver\.log\.level: expected one of debug, info, warn, error, got "loud"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
