// The tree's data arena (src/tree/data-arena.ts): values read back as stored, a slab whose values
// are all gone is dropped, and a compaction walk empties sparse slabs, so the bytes held track
// the bytes live however many writes go by.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataArena, SLAB_BYTES } from '../../src/tree/data-arena.js';
import { DataTree } from '../../src/tree/data-tree.js';
import { DataNode, emptyStat } from '../../src/tree/node.js';
import { OPEN_ACL_UNSAFE } from '../../src/tree/acl-cache.js';

function valueOf(i: number, version: number, size = 100): Buffer {
  const b = Buffer.alloc(size, (i * 31 + version) & 0xff);
  b.writeUInt32BE(i, 0);
  b.writeUInt32BE(version, 4);
  return b;
}

test('null, empty and large values read back; setting a value never changes a view read before', () => {
  const arena = new DataArena();
  const node = new DataNode({ data: null, arena, aclRef: -1n, stat: emptyStat() });
  assert.equal(node.data, null);
  assert.equal(node.dataLength, 0);
  node.data = Buffer.alloc(0);
  assert.deepEqual(node.data, Buffer.alloc(0));
  const big = valueOf(7, 1, SLAB_BYTES);
  node.data = big;
  assert.deepEqual(node.data, big);
  const small = valueOf(7, 2);
  const before = node.data;
  node.data = small;
  assert.deepEqual(node.data, small);
  assert.deepEqual(before, big, 'a view read earlier still holds the old value');
  assert.equal(arena.stats().liveBytes, 100);
  // The caller's buffer is copied, not kept.
  small.fill(0);
  assert.deepEqual(node.data, valueOf(7, 2));
});

test('nodes going cold a few at a time: bytes held stay within twice the live bytes once walks compact', () => {
  // Round r rewrites, in a shuffled order, every node whose i % 12 is r or more; then those with
  // i % 12 = r are never written again. So each round's slabs keep a share of values forever:
  // without compaction the bytes held grow to several times the live bytes.
  const tree = new DataTree();
  const n = 20_000;
  for (let i = 0; i < n; i++) tree.createNode(`/n${i}`, valueOf(i, 0), OPEN_ACL_UNSAFE, 0n, -1, i + 1, 0);
  const version = new Array<number>(n).fill(0);
  let zxid = n + 1;
  let seed = 12345;
  let worstRatio = 0;
  for (let round = 0; round < 12; round++) {
    const order = Array.from({ length: n }, (_, i) => i).filter((i) => i % 12 >= round);
    for (let k = order.length - 1; k > 0; k--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (k + 1);
      [order[k], order[j]] = [order[j], order[k]];
    }
    for (const i of order) {
      version[i]++;
      tree.setData(`/n${i}`, valueOf(i, version[i]), version[i], zxid++, 0);
    }
    // What a snapshot walk does to every node.
    tree.arena.beginCompaction();
    for (const [, node] of tree.nodesInSnapshotOrder()) node.compactData();
    tree.arena.endCompaction();
    const { bytes, liveBytes } = tree.arena.stats();
    assert.equal(liveBytes, n * 100, 'live bytes are exactly the stored values');
    worstRatio = Math.max(worstRatio, (bytes - SLAB_BYTES) / liveBytes);
  }
  assert.ok(worstRatio <= 2, `bytes held reached ${worstRatio.toFixed(2)}× the live bytes`);
  for (let i = 0; i < n; i++) assert.deepEqual(tree.getData(`/n${i}`)?.data, valueOf(i, version[i]), `/n${i}`);
  // Deletes release their bytes; slabs that empty are dropped.
  for (let i = 0; i < n; i++) tree.deleteNode(`/n${i}`, zxid++);
  assert.equal(tree.arena.stats().liveBytes, 0);
  assert.ok(tree.arena.stats().slabs <= 1, `${tree.arena.stats().slabs} slabs left`);
});

test('copyOutView copies every length and alignment byte for byte (NaN bit patterns included)', () => {
  const arena = new DataArena();
  const node = new DataNode({ data: null, arena, aclRef: -1n, stat: emptyStat() });
  // Bytes of a signalling NaN and other float patterns a float copy could rewrite, then a count.
  const pattern = Buffer.from([0x7f, 0xf4, 0, 0, 0, 0, 0, 1, 0xff, 0xf8, 0, 0, 0, 0, 0, 0]);
  for (let len = 1; len <= 41; len++) {
    const value = Buffer.alloc(len);
    for (let i = 0; i < len; i++) value[i] = i < pattern.length ? pattern[i] : (i * 37) & 0xff;
    node.data = value;
    for (const at of [0, 1, 3, 6]) {
      const out = Buffer.alloc(len + 10, 0xee);
      node.copyDataTo(new DataView(out.buffer, out.byteOffset, out.length), at);
      assert.deepEqual(out.subarray(at, at + len), value, `length ${len} at ${at}`);
      assert.ok(out.subarray(0, at).every((b) => b === 0xee) && out.subarray(at + len).every((b) => b === 0xee), `nothing around it written (length ${len} at ${at})`);
    }
  }
});

/** Stores `n` values of one slab's worth through nodes of their own, so the slab fills and the next one starts. */
function fillSlab(arena: DataArena, tag: number): DataNode[] {
  const nodes: DataNode[] = [];
  for (let i = 0; i < Math.floor(SLAB_BYTES / 100); i++) nodes.push(new DataNode({ data: valueOf(i, tag), arena, aclRef: -1n, stat: emptyStat() }));
  return nodes;
}

test('a dropped slab is reused, but not while a snapshot begun before the drop may still read it', () => {
  const arena = new DataArena();
  const first = fillSlab(arena, 1);
  fillSlab(arena, 2); // the first slab is full now: dropping its values drops it
  const firstSlab = first[0].dataSlab;
  const kept = first[5].data as Buffer;
  const reader = arena.beginRead();
  const list: SharedArrayBuffer[] = [];
  assert.equal(arena.batchSlab(firstSlab, 1, list), 0, 'a standard slab is shared with the worker');
  const memory = list[0];
  for (const n of first) n.data = null;
  assert.equal(arena.stats().slabs, 1, 'the emptied slab was dropped');
  // Slabs started while the reader runs get fresh memory: the worker may still copy from the dropped one.
  const during = fillSlab(arena, 3);
  assert.notEqual(arena.batchSlab(during[0].dataSlab, 2, list), 0);
  assert.ok(list.slice(1).every((m) => m !== memory), 'not reused during the snapshot');
  assert.deepEqual(Buffer.from(memory).subarray(500, 600), valueOf(5, 1), 'its bytes are as the walk saw them');
  arena.endRead(reader);
  const next = fillSlab(arena, 4);
  const names: SharedArrayBuffer[] = [];
  arena.batchSlab(next[0].dataSlab, 3, names);
  assert.equal(names[0], memory, 'the next slab started reuses it once the snapshot ended');
  for (const i of [0, 5, next.length - 1]) assert.deepEqual(next[i].data, valueOf(i, 4));
  for (const i of [0, 5, during.length - 1]) assert.deepEqual(during[i].data, valueOf(i, 3));
  // data handed out earlier is a copy of its own: the slab's reuse did not touch it.
  assert.deepEqual(kept, valueOf(5, 1));
});
