// An interrupted migration: `zk-server migrate` on a large generated directory is killed with
// SIGKILL half-way through copying the log. The target must not exist, the source must be
// byte-identical, and a second run must succeed despite the leftover staging folder.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closeSnapshotPool } from '../../src/storage/snapshot/index.js';
import { tempDir, type TempDir } from './filelog-support.js';
import { CLI_MAIN, generateDataDir, hashTree, runCli } from './migrate-support.js';

const CREATES = 120_000;

/** Runs the CLI and SIGKILLs it as soon as stderr shows a line `when` accepts. */
function runAndKill(args: readonly string[], when: (line: string) => boolean): Promise<{ killedAt: string; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killedAt: string | null = null;
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (killedAt !== null) return;
      const line = stderr.split('\n').find(when);
      if (line !== undefined) {
        killedAt = line;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (killedAt === null) reject(new Error(`the migration ended before it could be killed:\n${stderr}`));
      else resolve({ killedAt, signal, stderr });
    });
  });
}

describe('migrate: killed half-way', () => {
  let tmp: TempDir;
  let source: string;
  let lastZxid: number;

  before(async () => {
    tmp = await tempDir();
    source = path.join(tmp.dir, 'source');
    ({ lastZxid } = await generateDataDir(source, { creates: CREATES, snapshotAfter: CREATES / 2, txnsPerFile: 25_000, dataBytes: 100 }));
  });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  it('leaves the target absent and the source byte-identical; a rerun succeeds', async (t) => {
    const before = await hashTree(source);
    const target = path.join(tmp.dir, 'target');
    const args = ['migrate', '--from', source, '--to', target, '--to-format', 'filelog', '--progress-every', '5000'];
    const copiedTxns = (line: string): number => Number(/^txn log: (\d+) txns copied/.exec(line)?.[1] ?? -1);
    const killed = await runAndKill(args, (line) => copiedTxns(line) >= CREATES / 2);
    t.diagnostic(`killed at: ${killed.killedAt}`);
    assert.equal(killed.signal, 'SIGKILL');
    const copied = copiedTxns(killed.killedAt);
    assert.ok(copied >= CREATES / 2 && copied < lastZxid, `killed half-way through the log (${copied} of ${lastZxid} txns)`);

    const names = await readdir(tmp.dir);
    assert.ok(!names.includes('target'), `no target: ${names.join(' ')}`);
    assert.ok(names.some((n) => n.startsWith('.target.migrating-')), `the staging folder is what is left: ${names.join(' ')}`);
    assert.deepEqual(await hashTree(source), before, 'the source is byte-identical');

    const rerun = await runCli([...args, '--quiet']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`${CREATES + 2} txns`));
    assert.match(rerun.stdout, new RegExp(`last zxid 0x${lastZxid.toString(16)}`));
    assert.ok((await readdir(tmp.dir)).includes('target'));
    assert.deepEqual(await hashTree(source), before, 'still byte-identical after the full run');
  });
});
