// `zk-server` on quorum configs: several participants, or standaloneEnabled=false, start a quorum
// member, never a standalone server; reconfigEnabled=true on a quorum and a dynamicConfigFile are
// refused with one line per reason naming key, file and line. Standalone configs still start.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fourLetter, freePort, REPO_ROOT, startZkServer } from '../helpers/zk-server.js';

const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** A refused start is immediate; a server that did start would run until killed. */
const DEADLINE_MS = 15_000;
/** The AdminServer is on by default at 8080, which parallel tests would fight over. */
const NO_ADMIN = '-Dzookeeper.admin.enableServer=false';

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runZkServer(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args, NO_ADMIN], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('zk-server on quorum configs', () => {
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

  /** Starts the command, waits until `srvr` answers `want`, then stops it with SIGTERM (exit 0). */
  async function runUntilSrvr(args: string[], cwd: string, want: RegExp): Promise<string> {
    const child = spawn(process.execPath, [CLI_MAIN, ...args, NO_ADMIN], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + DEADLINE_MS;
      let last = '';
      while (Date.now() < deadline) {
        last = await fourLetter(port, 'srvr', 500).catch(() => '');
        if (want.test(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`srvr never answered ${want}: last ${JSON.stringify(last)}\n${stderr}`);
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
      if (code === 'hung') child.kill('SIGKILL');
      assert.equal(code, 0, `zk-server stops cleanly on SIGTERM\n${stderr}`);
    }
  }

  it('a 3-server zoo.cfg with myid starts a quorum member, not a standalone server: alone, it does not serve', async () => {
    const cwd = setup(head() + `4lw.commands.whitelist=*\n` + three, '2');
    const srvr = await runUntilSrvr(['zoo.cfg', '--storage', 'memory'], cwd, /not currently serving/);
    assert.equal(srvr, 'This ZooKeeper instance is not currently serving requests\n');
  });

  it('standaloneEnabled=false with a single server: a quorum of one, which leads itself', async () => {
    const cwd = setup(head() + '4lw.commands.whitelist=*\nstandaloneEnabled=false\nserver.1=127.0.0.1:12888:13888\n', '1');
    const srvr = await runUntilSrvr(['--config', 'zoo.cfg', '--storage', 'memory'], cwd, /Mode: /);
    assert.match(srvr, /^Mode: leader$/m);
  });

  it('reconfigEnabled=true on a quorum: exit 2, one line naming reconfigEnabled', async () => {
    const cwd = setup(head() + 'reconfigEnabled=true\n' + three, '1');
    const r = await runZkServer(['zoo.cfg'], cwd);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(lines(r.stderr), ['zk-server: zoo.cfg:6: reconfigEnabled: true is not supported yet for a quorum by zk-server ' +
      '(dynamic reconfig is not implemented); set reconfigEnabled=false']);
    // Nothing was opened: the data directory holds only myid.
    assert.deepEqual(readdirSync(path.join(cwd, 'data')), ['myid']);
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
    assert.match(zk.stderr(), /\[WARN\] .*zoo\.cfg:7: only one participant server\.N line and standaloneEnabled is true: running standalone/);
  });

  it('reconfigEnabled=true on a standalone server starts, as in ZooKeeper (reconfig answers Unimplemented)', async () => {
    const zk = await startZkServer({ extraConfig: { reconfigEnabled: 'true' } });
    assert.equal(await zk.stop(), 0, zk.stderr());
    assert.doesNotMatch(zk.stderr(), /reconfigEnabled/);
  });
});
