// `zk-server` on configs this version cannot serve: a quorum (several participants, or
// standaloneEnabled=false), reconfigEnabled=true on a quorum, a dynamicConfigFile. The real command
// must exit non-zero with one line per reason naming key, file and line — and never start a
// standalone server in their place. The standalone configs next to them still start.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, REPO_ROOT, startZkServer } from '../helpers/zk-server.js';

const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** A refused start is immediate; a server that did start would run until killed. */
const DEADLINE_MS = 15_000;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runZkServer(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    // If it started a server after all, stop it so the test fails instead of hanging.
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('zk-server refuses configs it cannot serve yet', () => {
  let dir = '';
  let port = 0;
  let n = 0;

  /** A fresh directory with zoo.cfg (dataDir=./data) and, when given, data/myid. */
  function setup(cfg: string, myid?: string, extra: Record<string, string> = {}): string {
    const cwd = path.join(dir, `case-${n++}`);
    mkdirSync(path.join(cwd, 'data'), { recursive: true });
    writeFileSync(path.join(cwd, 'zoo.cfg'), cfg);
    if (myid !== undefined) writeFileSync(path.join(cwd, 'data', 'myid'), myid);
    for (const [name, content] of Object.entries(extra)) writeFileSync(path.join(cwd, name), content);
    return cwd;
  }
  const head = (): string => `tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir=./data\nclientPort=${port}\n`;
  const three = 'server.1=127.0.0.1:12888:13888\nserver.2=127.0.0.1:12889:13889\nserver.3=127.0.0.1:12890:13890\n';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'zk-cli-quorum-'));
    port = await freePort();
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('a 3-server zoo.cfg with myid: exit 2 and one line naming the first server.N key, file and line', async () => {
    const cwd = setup(head() + three, '2');
    const r = await runZkServer(['zoo.cfg'], cwd);
    assert.equal(r.signal, null, `zk-server did not exit by itself (it started a server?)\n${r.stderr}`);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), [
      'zk-server: zoo.cfg:6: server.1: quorum mode (server.N lines with more than one participant, or standaloneEnabled=false) ' +
      'is not available yet in this version of zk-server (this config: 3 participants); refusing to start rather than run a member standalone',
    ]);
    // Nothing was opened: the data directory holds only myid (no version-2 of a standalone server).
    assert.deepEqual(readdirSync(path.join(cwd, 'data')), ['myid']);
  });

  it('standaloneEnabled=false with a single server: refused the same way', async () => {
    const cwd = setup(head() + 'standaloneEnabled=false\nserver.1=127.0.0.1:12888:13888\n', '1');
    const r = await runZkServer(['--config', 'zoo.cfg', '--storage', 'memory'], cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      'zk-server: zoo.cfg:7: server.1: quorum mode (server.N lines with more than one participant, or standaloneEnabled=false) ' +
      'is not available yet in this version of zk-server (this config: standaloneEnabled=false); refusing to start rather than run a member standalone',
    ]);
  });

  it('reconfigEnabled=true on a quorum: exit 2, a line for the quorum and one naming reconfigEnabled', async () => {
    const cwd = setup(head() + 'reconfigEnabled=true\n' + three, '1');
    const r = await runZkServer(['zoo.cfg'], cwd);
    assert.equal(r.code, 2, r.stderr);
    const out = lines(r.stderr);
    assert.equal(out.length, 2, r.stderr);
    assert.match(out[0], /^zk-server: zoo\.cfg:7: server\.1: quorum mode .* not available yet/);
    assert.equal(out[1], 'zk-server: zoo.cfg:6: reconfigEnabled: true is not supported yet for a quorum by zk-server ' +
      '(dynamic reconfig is not implemented); set reconfigEnabled=false');
  });

  it('dynamicConfigFile: exit 2 naming the key and its line', async () => {
    const cwd = setup(`dataDir=./data\nclientPort=${port}\ndynamicConfigFile=./zoo.cfg.dynamic.100000000\n`, '1', {
      'zoo.cfg.dynamic.100000000': `server.1=127.0.0.1:12888:13888;${port}\n`,
    });
    const r = await runZkServer(['zoo.cfg', '--storage', 'memory'], cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(lines(r.stderr), [
      'zk-server: zoo.cfg:3: dynamicConfigFile: dynamic configuration files are not supported yet by zk-server ' +
      '(dynamic reconfig is not implemented); put the server.N lines in the config file itself and remove dynamicConfigFile',
    ]);
  });

  it('a missing myid in a 3-server config is still the config error it was (exit 2)', async () => {
    const cwd = setup(head() + three);
    const r = await runZkServer(['zoo.cfg'], cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^zk-server: .*myid: file is missing/);
  });

  it('one participant with standaloneEnabled=true still starts standalone, with its warning', async () => {
    const zk = await startZkServer({ extraConfig: { 'server.1': '127.0.0.1:12888:13888' }, waitFor: 'serving' });
    const code = await zk.stop();
    assert.equal(code, 0, zk.stderr());
    assert.match(zk.stderr(), /\[WARN\] .*zoo\.cfg:6: only one participant server\.N line and standaloneEnabled is true: running standalone/);
  });

  it('reconfigEnabled=true on a standalone server starts, as in ZooKeeper (reconfig answers Unimplemented)', async () => {
    const zk = await startZkServer({ extraConfig: { reconfigEnabled: 'true' } });
    assert.equal(await zk.stop(), 0, zk.stderr());
    assert.doesNotMatch(zk.stderr(), /reconfigEnabled/);
  });
});
