// The snapshot walk: ZooKeeper's order (as DataTree.nodesInSnapshotOrder), children as they were
// when their parent was reached, and nodes deleted before their turn left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { DataTree } from '../../src/tree/data-tree.js';
import { snapshotWalk } from '../../src/storage/snapshot/walk.js';
import type { ACL } from '../../src/jute/records.js';

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
let zxid = 0;
const create = (t: DataTree, path: string): void => { t.createNode(path, Buffer.from(path), OPEN, 0n, -1, ++zxid, 0); };

function sampleTree(): DataTree {
  const t = new DataTree();
  for (const p of ['/a', '/a/b', '/a/b/c', '/a/d', '/e', '/e/f', '/e/g', '/e/g/h', '/i']) create(t, p);
  return t;
}

test('yields the same paths and nodes, in the same order, as nodesInSnapshotOrder', () => {
  const t = sampleTree();
  const walked = [...snapshotWalk(t)];
  const reference = [...t.nodesInSnapshotOrder()];
  assert.deepEqual(walked.map(([p]) => p), reference.map(([p]) => p));
  assert.ok(walked.every(([, n], i) => n === reference[i][1]));
  assert.equal(walked[0][0], '');
  assert.ok(walked.some(([p]) => p === '/e/g/h'));
});

test('a child deleted before its turn is left out; one created under an expanded parent is not added', () => {
  const t = sampleTree();
  const walk = snapshotWalk(t);
  const seen: string[] = [];
  for (const [p] of walk) {
    seen.push(p);
    if (p === '/a/b/c') {
      t.deleteNode('/a/d', ++zxid);
      create(t, '/a/z');
      create(t, '/e/new');
    }
  }
  assert.ok(!seen.includes('/a/d'));
  assert.ok(!seen.includes('/a/z'), '/a was expanded before /a/z existed');
  assert.ok(seen.includes('/e/new'), '/e was reached after /e/new was created');
  assert.equal(new Set(seen).size, seen.length, 'no path twice');
});

test('a parent with many children costs one short step, not one string per child up front', () => {
  const t = new DataTree();
  create(t, '/big');
  for (let i = 0; i < 200_000; i++) create(t, `/big/n${i}`);
  assert.equal([...snapshotWalk(t)].length, t.nodeCount() - 1, 'every node once (nodeCount counts the root twice)');
  // The steps that yield /big and its first child (one of them expands /big), timed a few times
  // and the fastest kept: a GC may land in any one.
  let fastestMs = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const walk = snapshotWalk(t);
    let took = 0;
    for (;;) {
      const started = performance.now();
      const r = walk.next();
      took = performance.now() - started;
      if (r.value?.[0] === '/big') break;
    }
    const started = performance.now();
    const first = walk.next();
    fastestMs = Math.min(fastestMs, took + performance.now() - started);
    assert.equal(first.value?.[0], '/big/n0');
  }
  // Against copying the 200,000 names alone (~1 ms): building every child's path and stack entry up
  // front, as nodesInSnapshotOrder does, takes about 8 times that even with no GC pressure.
  const big = t.getNode('/big');
  let copyMs = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const started = performance.now();
    const names = Array.from(big?.children ?? []);
    copyMs = Math.min(copyMs, performance.now() - started);
    assert.equal(names.length, 200_000);
  }
  assert.ok(fastestMs < 3 * copyMs + 1, `step into 200,000 children took ${fastestMs.toFixed(1)} ms, copying their names ${copyMs.toFixed(1)} ms`);
});
