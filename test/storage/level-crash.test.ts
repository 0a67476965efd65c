// Unclean stops of the level backend: a child process holding the DB open is killed with SIGKILL
// while appending (every acknowledged append must be there after reopen, with no hole) and while
// writing a snapshot (nothing half-written may be listed, the earlier snapshot stays intact).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { openStorage } from '../../src/storage/index.js';
import { levelPaths } from '../../src/storage/level/index.js';
import { entries, readSnapshot, readZxids, run } from './conformance-support.js';
import { CHILD_MARKER, completeSnapshot, E1 } from './level-crash-child.js';

const CHILD = fileURLToPath(new URL('./level-crash-child.js', import.meta.url));

let scratch: string;
before(async () => { scratch = await mkdtemp(path.join(tmpdir(), 'zk-level-crash-')); });
after(() => rm(scratch, { recursive: true, force: true }));

/**
 * Runs the child until `enough` says so for one of its output lines, then kills it with SIGKILL and
 * waits for it to be gone. Fails if the child ends by itself first.
 */
async function killWhen(dataDir: string, mode: string, enough: (line: string) => boolean): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, [CHILD, CHILD_MARKER, dataDir, mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  try {
    const lines = createInterface({ input: child.stdout! });
    let reached = false;
    for await (const line of lines) {
      if (enough(line)) {
        reached = true;
        break;
      }
    }
    assert.ok(reached, `child ended before it was killed: ${stderr}`);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe('level backend after SIGKILL', () => {
  it('keeps every acknowledged append, with no hole, and goes on appending', async () => {
    const dataDir = path.join(scratch, 'append');
    let acked = 0;
    let acks = 0;
    await killWhen(dataDir, 'append', (line) => {
      const m = /^ack (\d+)$/.exec(line);
      assert.ok(m !== null, `unexpected line ${line}`);
      acked = Math.max(acked, Number(m[1]));
      return ++acks >= 400;
    });
    const backend = await openStorage('level', { dataDir });
    try {
      const zxids = await readZxids(backend.txnLog, 0);
      const last = await backend.txnLog.lastZxid();
      assert.ok(last >= acked, `last zxid 0x${last.toString(16)} below the last acknowledged 0x${acked.toString(16)}`);
      assert.deepEqual(zxids, run(E1 + 1, last - E1), 'a contiguous log from the first zxid to the last');
      await backend.txnLog.append(entries([last + 1]));
      assert.equal(await backend.txnLog.lastZxid(), last + 1);
    } finally {
      await backend.close();
    }
  });

  it('lists only complete snapshots after a kill during a snapshot write', async () => {
    const dataDir = path.join(scratch, 'snapshot');
    let written = false;
    await killWhen(dataDir, 'snapshot', (line) => {
      if (line === `snapshot ${E1}`) written = true;
      return line === 'paused';
    });
    assert.ok(written);
    const snapshotsDir = levelPaths({ dataDir }).snapshots;
    assert.equal((await readdir(snapshotsDir)).filter((n) => n.endsWith('.tmp')).length, 1, 'the kill left a temp file');
    const backend = await openStorage('level', { dataDir });
    try {
      assert.deepEqual((await backend.snapshots.list()).map((s) => s.zxid), [E1]);
      assert.ok((await readSnapshot(backend, E1)).equals(completeSnapshot()));
      assert.deepEqual(await readdir(snapshotsDir), [`snapshot.${E1.toString(16)}`], 'the temp file is swept on open');
    } finally {
      await backend.close();
    }
  });
});
