// DataNode keeps its zxids and times as int32 halves and its CRCs as int32 with flags (see node.ts):
// every value a stat can hold must read back exactly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataArena } from '../../src/tree/data-arena.js';
import { DataNode, emptyStat } from '../../src/tree/node.js';
import type { StatPersisted } from '../../src/jute/records.js';

test('zxids, times and CRCs read back exactly across the 32-bit boundaries', () => {
  const node = new DataNode({ data: null, arena: new DataArena(), aclRef: -1n, stat: emptyStat() });
  assert.deepEqual(node.statPersisted(), emptyStat());
  const values = [
    0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1,
    0x1_0000_0005, 0x7fff_ffff_ffff, 1_795_400_514_070, Number.MAX_SAFE_INTEGER, -(2 ** 32), -(2 ** 40) + 7,
  ];
  for (const v of values) {
    for (const field of ['czxid', 'mzxid', 'pzxid', 'ctime', 'mtime'] as const) {
      node[field] = v;
      assert.equal(node[field], v, `${field} = ${v}`);
    }
  }
  node.czxid = 0x3_0000_0010;
  node.mzxid = 0x3_0000_0011;
  assert.equal(node.stat().czxid, 0x3_0000_0010);
  assert.equal(node.statPersisted().mzxid, 0x3_0000_0011);
  assert.equal(node.digestCache, -1, 'no digest yet');
  assert.equal(node.pathCrc, -1);
  for (const crc of [0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]) {
    node.digestCache = crc;
    node.pathCrc = crc;
    assert.equal(node.digestCache, crc);
    assert.equal(node.pathCrc, crc);
  }
  node.digestCache = -1;
  assert.equal(node.digestCache, -1, 'invalidated');
  assert.equal(node.pathCrc, 0xffff_ffff, 'the other one untouched');
});

// The fields live in records of the arena's NodeRecords (node-records.ts), reused once a node leaves.

function statOf(i: number): StatPersisted {
  return {
    czxid: 0x1_0000_0000 + i, mzxid: 0x2_0000_0000 + i, pzxid: 0x3_0000_0000 + i, ctime: 1_700_000_000_000 + i,
    mtime: 1_800_000_000_000 + i, version: i, cversion: i * 2, aversion: i * 3, ephemeralOwner: BigInt(i),
  };
}

test('a removed node keeps what it held after its record goes to a new node', () => {
  const arena = new DataArena();
  const old = new DataNode({ data: Buffer.from('old'), arena, aclRef: 1n, stat: statOf(7) });
  old.digestCache = 0xdead_beef;
  old.pendingSeq = 99;
  old.snapMark = 3;
  old.releaseData();
  old.releaseData();
  assert.equal(arena.records.stats().records, 0, 'released once, however often asked');
  const fresh = new DataNode({ data: Buffer.from('fresh'), arena, aclRef: 2n, stat: statOf(8) });
  assert.equal(arena.records.stats().records, 1);
  assert.deepEqual(fresh.statPersisted(), statOf(8));
  assert.equal(fresh.digestCache, -1, 'a reused record starts clean');
  assert.equal(fresh.pendingSeq, -1);
  assert.equal(fresh.snapMark, 0);
  assert.ok(fresh.isIn(arena));
  assert.equal(fresh.data?.toString(), 'fresh');
  fresh.mzxid = 0x9_0000_0000;
  fresh.version = 1234;
  assert.deepEqual(old.statPersisted(), statOf(7), 'the removed node reads its own copy');
  assert.equal(old.digestCache, 0xdead_beef);
  assert.equal(old.pendingSeq, 99);
  assert.equal(old.snapMark, 3);
  assert.equal(old.isIn(arena), false);
  assert.equal(old.dataLength, 3, 'dataLength keeps its last value');
  assert.equal(old.dataView()?.length, 0, 'and the data reads as empty');
});

test('records across many chunks, taken and given back at random, never share a field', () => {
  let seed = 0x5eed;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed % n;
  };
  const arena = new DataArena();
  const live: Array<{ node: DataNode; i: number }> = [];
  const removed: Array<{ node: DataNode; i: number }> = [];
  for (let i = 0; i < 30_000; i++) {
    if (live.length > 0 && random(3) === 0) {
      const [gone] = live.splice(random(live.length), 1);
      gone.node.releaseData();
      removed.push(gone);
    } else {
      live.push({ node: new DataNode({ data: null, arena, aclRef: -1n, stat: statOf(i) }), i });
    }
  }
  assert.ok(arena.records.stats().bytes >= 3 * 512 * 1024, 'spans several chunks');
  assert.equal(arena.records.stats().records, live.length);
  for (const { node, i } of [...live, ...removed]) assert.deepEqual(node.statPersisted(), statOf(i));
});
