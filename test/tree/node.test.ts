// DataNode keeps its zxids and times as int32 halves and its CRCs as int32 with flags (see node.ts):
// every value a stat can hold must read back exactly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataArena } from '../../src/tree/data-arena.js';
import { DataNode, emptyStat } from '../../src/tree/node.js';

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
