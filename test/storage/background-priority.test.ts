// Snapshot pool threads run niced (Linux): a snapshot's worker must not take CPU from the threads
// serving clients. Read back from /proc, per thread, after a real snapshot through the pool.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, it } from 'node:test';
import { openMemoryStorage } from '../../src/storage/index.js';
import { BACKGROUND_NICE } from '../../src/storage/snapshot/background-priority.js';
import { closeSnapshotPool, takeSnapshot } from '../../src/storage/snapshot/index.js';
import { DataTree } from '../../src/tree/index.js';

after(() => closeSnapshotPool());

/** thread id → nice value (field 19 of /proc/<pid>/task/<tid>/stat; the comm field may hold spaces). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nices.set(Number(tid), Number(fields[16]));
  }
  return nices;
}

it('the pool thread that encoded a snapshot is niced; the main thread is not', { skip: process.platform !== 'linux' }, async () => {
  const before = threadNices();
  const tree = new DataTree();
  for (let i = 0; i < 100; i++) tree.createNode(`/n${i}`, Buffer.from('x'), [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], 0n, -1, i + 1, 0);
  tree.lastProcessedZxid = 100;
  const storage = await openMemoryStorage();
  const taken = await takeSnapshot(tree, new Map(), storage.snapshots);
  assert.equal(taken.nodeCount, tree.nodeCount() - 1);
  const now = threadNices();
  const mainTid = process.pid;
  assert.equal(now.get(mainTid), before.get(mainTid), 'main thread keeps its priority');
  const niced = [...now].filter(([tid, nice]) => !before.has(tid) && nice === BACKGROUND_NICE);
  assert.ok(niced.length >= 1, `a new thread at nice ${BACKGROUND_NICE}: ${JSON.stringify([...now])}`);
});
