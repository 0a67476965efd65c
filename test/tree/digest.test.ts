// The tree digest: per-node CRC32 values, the incremental sum staying equal to a full recomputation,
// the /zookeeper/ exclusion, the disabled mode and the digest history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataTree, DigestSum, nodeDigest, emptyStat, DigestHistory } from '../../src/tree/index.js';
import CRC32 from 'crc-32';
import { crc32Range, recordDigest } from '../../src/tree/digest.js';
import { Driver } from './txns.js';

function recompute(tree: DataTree): bigint {
  let sum = 0n;
  for (const [path, node] of tree.nodesInSnapshotOrder()) sum += BigInt(nodeDigest(path, node.data, node));
  return BigInt.asIntN(64, sum);
}

test('node digests: "/" hashes as "", data and every stat field count, /zookeeper/ is out', () => {
  assert.equal(nodeDigest('', null, emptyStat()), 68323592);
  assert.equal(nodeDigest('/', Buffer.alloc(0), emptyStat()), 68323592);
  assert.equal(nodeDigest('/zookeeper', null, emptyStat()), 1303661912);
  assert.equal(nodeDigest('/zookeeper/quota', null, emptyStat()), 0);
  const base = { ...emptyStat(), czxid: 0x100000002, ctime: 1795364375265 };
  const seen = new Set<number>();
  for (const change of [{}, { mzxid: 1 }, { pzxid: 1 }, { mtime: 1 }, { version: 1 }, { cversion: 1 }, { aversion: 1 }, { ephemeralOwner: 1n }]) {
    seen.add(nodeDigest('/app', Buffer.from('x'), { ...base, ...change }));
  }
  seen.add(nodeDigest('/app', Buffer.from('y'), base));
  seen.add(nodeDigest('/app', null, base));
  assert.equal(seen.size, 10);
  // null and empty data hash alike, as in ZooKeeper (an empty update is a no-op for CRC32).
  assert.equal(nodeDigest('/app', null, base), nodeDigest('/app', Buffer.alloc(0), base));
});

test('empty data on a zero-length ArrayBuffer (as a snapshot restore hands it over) hashes like any empty data', () => {
  // Node's zlib.crc32 drops the running value for such a view; the digest must not.
  const detachedLike = Buffer.from(new ArrayBuffer(0));
  assert.equal(nodeDigest('/zookeeper', detachedLike, emptyStat()), 1303661912);
  assert.equal(nodeDigest('/app', new Uint8Array(new ArrayBuffer(0)) as Buffer, emptyStat()), nodeDigest('/app', null, emptyStat()));
  const restored = new DataTree();
  restored.beginRestore();
  restored.restoreNode('', Buffer.from(new ArrayBuffer(0)), -1n, emptyStat());
  restored.restoreNode('/zookeeper', Buffer.from(new ArrayBuffer(0)), -1n, emptyStat());
  restored.restoreNode('/zookeeper/quota', Buffer.from(new ArrayBuffer(0)), -1n, emptyStat());
  restored.restoreNode('/zookeeper/config', Buffer.from(new ArrayBuffer(0)), -1n, { ...emptyStat(), aversion: -1 });
  restored.finishRestore();
  assert.equal(restored.digest(), new DataTree().digest());
});

test('a restore that meets a path twice keeps the later node, and its digest counts only that one', () => {
  const restore = (twice: boolean): DataTree => {
    const t = new DataTree();
    t.beginRestore();
    t.restoreNode('', null, -1n, emptyStat());
    t.restoreNode('/zookeeper', null, -1n, emptyStat());
    t.restoreNode('/zookeeper/quota', null, -1n, emptyStat());
    t.restoreNode('/zookeeper/config', null, -1n, { ...emptyStat(), aversion: -1 });
    // A fuzzy snapshot can hold a node deleted and created again while it was written.
    if (twice) {
      t.restoreNode('/app', Buffer.from('old'), -1n, { ...emptyStat(), czxid: 5, mzxid: 5 });
      // A child of the first copy, deleted before it was: it goes with the copy it hangs under.
      t.restoreNode('/app/gone', Buffer.from('g'), -1n, { ...emptyStat(), czxid: 6, mzxid: 6 });
    }
    t.restoreNode('/app', Buffer.from('new'), -1n, { ...emptyStat(), czxid: 9, mzxid: 9 });
    t.restoreNode('/app/child', Buffer.from('c'), -1n, { ...emptyStat(), czxid: 10, mzxid: 10 });
    t.finishRestore();
    return t;
  };
  const once = restore(false);
  const twice = restore(true);
  assert.equal(twice.getData('/app')?.data?.toString(), 'new');
  assert.deepEqual(twice.getChildren('/app')?.children, ['child']);
  assert.equal(twice.digest(), once.digest());
  assert.equal(twice.digest(), recompute(twice));
  assert.equal(twice.getNode('/app/gone'), undefined);
  assert.equal(twice.nodeCount(), once.nodeCount());
  assert.equal(twice.approximateDataSize(), once.approximateDataSize());
  // The earlier copy and its child gave back their records and their data.
  assert.equal(twice.arena.records.stats().records, once.arena.records.stats().records);
  assert.equal(twice.arena.stats().liveBytes, once.arena.stats().liveBytes);
});

test('the incremental digest always equals a recomputation from scratch', () => {
  const d = new Driver(new DataTree({ extendedTypesEnabled: true }));
  const check = (): void => assert.equal(d.tree.digest(), recompute(d.tree));
  check();
  d.create('/a', 'x');
  check();
  d.create('/a/b', null, { ephemeral: true });
  d.container('/c');
  d.ttl('/t', 100);
  check();
  d.setData('/', 'root data', 1);
  check();
  d.setACL('/a', [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }], 1);
  d.delete('/a/b');
  d.delete('/missing');
  d.apply(1, { type: 1, path: '/a', data: null, acl: [], ephemeral: false, parentCVersion: 9 });
  check();
  const before = d.tree.digest();
  d.setData('/zookeeper/config', 'server.1=x', -1);
  d.create('/zookeeper/quota/a');
  assert.equal(d.tree.digest(), before, 'nodes under /zookeeper/ are outside the digest');
  d.setData('/zookeeper', 'counted', 1);
  assert.notEqual(d.tree.digest(), before, '/zookeeper itself is inside');
  check();
});

test('with digests disabled the digest stays 0 and nothing is compared', () => {
  const d = new Driver(new DataTree({ digestEnabled: false }));
  assert.equal(d.tree.digest(), 0n);
  d.create('/a', 'x');
  assert.equal(d.tree.digest(), 0n);
  assert.equal(d.tree.compareDigest(d.zxid, { version: 2, treeDigest: 123n }), true);
  assert.equal(d.tree.digestHistory.mismatches, 0);
});

test('DigestSum is an exact 64-bit sum', () => {
  const s = new DigestSum();
  const n = 2 ** 21;
  for (let i = 0; i < n; i++) s.add(0xffffffff);
  assert.equal(s.value(), BigInt(n) * 0xffffffffn);
  for (let i = 0; i < n; i++) s.remove(0xffffffff);
  assert.equal(s.value(), 0n);
  s.remove(5);
  assert.equal(s.value(), -5n);
});

test('digest history: last processed, every 128th zxid, and a pending snapshot digest', () => {
  const h = new DigestHistory();
  let digest = 10n;
  for (let z = 1; z <= 300; z++) h.afterTxn(z, () => digest);
  assert.deepEqual(h.lastProcessed, { zxid: 300, digestVersion: 2, digest: 10n });
  assert.deepEqual(h.history().map((e) => e.zxid), [128, 256]);
  h.setSnapshotDigest({ zxid: 305, digestVersion: 2, digest: 99n }, 300);
  assert.equal(h.compare(301, { version: 2, treeDigest: 1n }, () => digest), true, 'fuzzy: not compared');
  h.afterTxn(301, () => digest);
  assert.equal(h.lastProcessed?.zxid, 300, 'not recorded while fuzzy');
  digest = 98n;
  h.afterTxn(305, () => digest);
  assert.equal(h.mismatches, 1);
  assert.equal(h.pendingSnapshotDigest(), null);
  h.afterTxn(306, () => digest);
  assert.equal(h.lastProcessed?.zxid, 306);
  // A trailer older than the snapshot's own zxid is ignored.
  h.setSnapshotDigest({ zxid: 10, digestVersion: 2, digest: 1n }, 20);
  assert.equal(h.pendingSnapshotDigest(), null);
  assert.equal(h.compare(400, { version: 1, treeDigest: 0n }, () => digest), true, 'other digest versions are skipped');
  assert.equal(h.compare(400, { version: 2, treeDigest: 0n }, () => digest), false);
});

test('crc32Range hashes a range in place as crc-32 hashes it copied out, from any starting value', () => {
  const bytes = Buffer.alloc(4096);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  for (const len of [0, 1, 7, 8, 9, 15, 16, 17, 60, 100, 255, 256, 1000]) {
    for (const start of [0, 3, 1001]) {
      for (const seed of [0, 1, 0xdeadbeef, 0xffffffff]) {
        assert.equal(crc32Range(bytes, start, start + len, seed), CRC32.buf(bytes.subarray(start, start + len), seed) >>> 0, `len ${len} start ${start} seed ${seed}`);
      }
    }
  }
});

test('recordDigest of a snapshot record in place equals nodeDigest of the node it holds', () => {
  const stat = { ...emptyStat(), czxid: 0x100000002, mzxid: 0x100000009, pzxid: 0x10000000a, ctime: 1795364375265, mtime: 1795364379999, version: 3, cversion: 2, aversion: 1, ephemeralOwner: 0x1234567890abn };
  const long = (v: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return b; };
  const int = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
  for (const [path, data] of [['/app/node-0000001', Buffer.alloc(100, 0x61)], ['/', null], ['/x', Buffer.alloc(300, 7)], ['/zookeeper/quota', null], ['/é', Buffer.alloc(0)]] as const) {
    const pathBytes = Buffer.from(path, 'utf8');
    const statBytes = Buffer.concat([long(BigInt(stat.czxid)), long(BigInt(stat.mzxid)), long(BigInt(stat.ctime)), long(BigInt(stat.mtime)),
      int(stat.version), int(stat.cversion), int(stat.aversion), long(stat.ephemeralOwner), long(BigInt(stat.pzxid))]);
    const record = Buffer.concat([Buffer.alloc(5, 0xee), int(pathBytes.length), pathBytes, int(data === null ? -1 : data.length), data ?? Buffer.alloc(0), long(-1n), statBytes]);
    const pathStart = 9;
    const dataStart = pathStart + pathBytes.length + 4;
    const dataLength = data === null ? -1 : data.length;
    const statAt = dataStart + Math.max(dataLength, 0) + 8;
    const out = new Float64Array(2);
    recordDigest(path, record, pathStart, pathStart + pathBytes.length, dataStart, dataLength, statAt, out);
    assert.equal(out[0], nodeDigest(path, data, stat), path);
    assert.equal(out[1], path === '/' ? 0 : CRC32.buf(pathBytes) >>> 0, path);
  }
});
