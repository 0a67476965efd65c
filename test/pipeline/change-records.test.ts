// OutstandingChanges keeps pending records in a ring that reuses its slots: these drive it past
// its first size, around its end, through rollbacks across the wrap and commits in zxid order,
// checking every path's view against a plain model at each step.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutstandingChanges, type ChangeRecord } from '../../src/pipeline/change-records.js';
import { DataTree } from '../../src/tree/index.js';
import { createStat } from '../../src/tree/node.js';

const record = (zxid: number, path: string): Omit<ChangeRecord, 'nodeDigest' | 'treeDigest'> =>
  ({ zxid, path, stat: createStat(zxid, 0, 0n), childCount: 0, acl: [], data: Buffer.from(`${zxid}`) });

/** What the ring should hold: records oldest first. */
type Model = { zxid: number; path: string }[];

function check(changes: OutstandingChanges, model: Model): void {
  assert.equal(changes.size, model.length);
  assert.deepEqual([...changes.pending()].map((r) => [r.zxid, r.path]), model.map((r) => [r.zxid, r.path]));
  const newest = new Map<string, number>();
  for (const r of model) newest.set(r.path, r.zxid);
  for (const [path, zxid] of newest) assert.equal(changes.lookup(path)?.zxid, zxid, `${path} reads its newest pending record`);
}

describe('OutstandingChanges', () => {
  it('keeps order and each path\'s newest record through growth, wrap-around, rollback and commit', () => {
    const changes = new OutstandingChanges(new DataTree(), false);
    const model: Model = [];
    let zxid = 0;
    let committed = 0;
    let largest = 0;
    // A seeded walk: bursts of adds (some rolled back, as a failed multi is), then commits of a prefix.
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 400; round++) {
      const burst = 1 + rand(40);
      const mark = changes.mark();
      const before = model.length;
      zxid++;
      for (let i = 0; i < burst; i++) {
        const path = `/n${rand(64)}`;
        changes.add(record(zxid, path), 'noop');
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
    assert.equal(changes.lookup('/n1'), undefined, 'nothing pending and no such node in the tree');
  });

  it('reads a path from the tree again once its records are committed', () => {
    const tree = new DataTree();
    const changes = new OutstandingChanges(tree, false);
    changes.add(record(5, '/'), 'noop');
    assert.equal(changes.lookup('/')?.zxid, 5);
    changes.committed(5);
    assert.equal(changes.size, 0);
    assert.equal(changes.lookup('/')?.zxid, -1, 'the tree\'s own record');
  });
});
