// OutstandingChanges keeps pending records in a ring indexed by sequence number, finds the newest
// record of a node in the tree through the number the node holds, and of any other path through a
// map. These drive it past its first size, around its end and past the sequence numbers' wrap,
// through rollbacks and commits in zxid order, checking every path's view against a plain model.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutstandingChanges, changedRecord, type ChangeRecord } from '../../src/pipeline/change-records.js';
import { DataTree, OPEN_ACL_UNSAFE } from '../../src/tree/index.js';
import { createStat } from '../../src/tree/node.js';

/** What the ring should hold: records oldest first. */
type Model = { zxid: number; path: string }[];

/** Paths /n0../n31 exist in the tree (their records carry the node); /n32../n63 do not. */
const IN_TREE = 32;
const PATHS = 64;

function treeWithNodes(): DataTree {
  const tree = new DataTree();
  for (let i = 0; i < IN_TREE; i++) tree.createNode(`/n${i}`, Buffer.from('x'), OPEN_ACL_UNSAFE, 0n, -1, i + 1, 0);
  return tree;
}

/** A record for `path` made as prep makes one: from what lookup returns, or fresh for a new path. */
function recordFor(changes: OutstandingChanges, zxid: number, path: string): Omit<ChangeRecord, 'nodeDigest' | 'treeDigest'> {
  const current = changes.lookup(path);
  if (current !== undefined && current.stat !== null) return changedRecord(current, zxid, createStat(zxid, 0, 0n));
  return { zxid, path, stat: createStat(zxid, 0, 0n), childCount: 0, acl: [], data: Buffer.from(`${zxid}`) };
}

function check(changes: OutstandingChanges, model: Model): void {
  assert.equal(changes.size, model.length);
  assert.deepEqual([...changes.pending()].map((r) => [r.zxid, r.path]), model.map((r) => [r.zxid, r.path]));
  const newest = new Map<string, number>();
  for (const r of model) newest.set(r.path, r.zxid);
  for (let i = 0; i < PATHS; i++) {
    const path = `/n${i}`;
    const expected = newest.get(path) ?? (i < IN_TREE ? -1 : undefined); // -1: the tree's own record
    assert.equal(changes.lookup(path)?.zxid, expected, `${path} reads its newest pending record, or the tree`);
  }
}

function walk(firstSeq: number): void {
  const changes = new OutstandingChanges(treeWithNodes(), false, firstSeq);
  const model: Model = [];
  let zxid = 100;
  let committed = 100;
  let largest = 0;
  let seed = 7;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  for (let round = 0; round < 400; round++) {
    // A burst of records under one zxid, as a multi makes; a quarter are rolled back.
    const burst = 1 + rand(40);
    const mark = changes.mark();
    const before = model.length;
    zxid++;
    for (let i = 0; i < burst; i++) {
      const path = `/n${rand(PATHS)}`;
      changes.add(recordFor(changes, zxid, path), 'noop');
      model.push({ zxid, path });
    }
    if (rand(4) === 0) {
      changes.rollback(mark);
      model.length = before;
      zxid--;
    }
    // Commits lag behind the adds for the first half (the ring grows past 1024 and wraps), then
    // catch up.
    if (rand(3) === 0 && model.length > 0) {
      const upTo = round < 200 ? committed + rand(2) : rand(5) === 0 ? zxid : committed + rand(Math.max(1, zxid - committed));
      changes.committed(upTo);
      while (model.length > 0 && model[0].zxid <= upTo) model.shift();
      committed = Math.max(committed, upTo);
    }
    check(changes, model);
    largest = Math.max(largest, model.length);
  }
  assert.ok(largest > 1024, `the ring grew past its first 1024 slots (largest ${largest})`);
  changes.committed(zxid);
  model.length = 0;
  check(changes, model);
}

describe('OutstandingChanges', () => {
  it('keeps order and each path\'s newest record through growth, wrap-around, rollback and commit', () => {
    walk(0);
  });

  it('does the same across the wrap of its sequence numbers (2^30)', () => {
    walk(2 ** 30 - 2000);
  });

  it('a node\'s number goes stale once its record is committed, and never names another node\'s record', () => {
    const tree = treeWithNodes();
    const changes = new OutstandingChanges(tree, false);
    changes.add(recordFor(changes, 200, '/n1'), 'noop');
    assert.equal(changes.lookup('/n1')?.zxid, 200);
    changes.committed(200);
    assert.equal(changes.lookup('/n1')?.zxid, -1, 'back to the tree');
    // The slot /n1's number pointed at is taken by a record of /n2: /n1 still reads the tree.
    changes.add(recordFor(changes, 201, '/n2'), 'noop');
    assert.equal(changes.lookup('/n2')?.zxid, 201);
    assert.equal(changes.lookup('/n1')?.zxid, -1);
  });
});
