// The tree against real Apache ZooKeeper 3.8 data: replaying its txn logs must reproduce, after every
// txn, the digest ZooKeeper logged, and end with the znodes a client saw; restoring its snapshots must
// reproduce their trailer digests, and a fuzzy snapshot plus the log must converge to the same tree.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DataTree } from '../../src/tree/index.js';
import { Perm } from '../../src/protocol/constants.js';
import type { ACL } from '../../src/jute/records.js';
import { readAllLogEntries, readExpectedNodes, readSnapshot, type Snapshot } from './zk-files.js';

const hex = (n: number | bigint): string => '0x' + n.toString(16);

function aclText(a: ACL): string {
  const letters: Array<[string, number]> = [['c', Perm.CREATE], ['d', Perm.DELETE], ['r', Perm.READ], ['w', Perm.WRITE], ['a', Perm.ADMIN]];
  return `${a.id.scheme}:${a.id.id}:${letters.filter(([, p]) => (a.perms & p) !== 0).map(([l]) => l).join('')}`;
}

function assertMatchesClientView(tree: DataTree): void {
  const expected = readExpectedNodes();
  assert.equal(expected.length, 271);
  for (const e of expected) {
    const node = tree.getNode(e.path);
    assert.ok(node, `missing ${e.path}`);
    const s = node.stat();
    assert.deepEqual({
      czxid: hex(s.czxid), mzxid: hex(s.mzxid), pzxid: hex(s.pzxid), ctime: s.ctime, mtime: s.mtime,
      version: s.version, cversion: s.cversion, aversion: s.aversion, ephemeralOwner: hex(s.ephemeralOwner),
      dataLength: s.dataLength, numChildren: s.numChildren,
    }, e.stat, `stat of ${e.path}`);
    assert.deepEqual(tree.getACL(node).map(aclText), e.acl, `acl of ${e.path}`);
    if (e.data === null) assert.equal(node.data, null, `data of ${e.path}`);
    else if ('b64' in e.data) assert.equal(node.data?.toString('base64'), e.data.b64, `data of ${e.path}`);
    else assert.equal(createHash('sha256').update(node.data ?? Buffer.alloc(0)).digest('hex'), e.data.sha256);
  }
  // 271 znodes + /zookeeper, quota, config; ZooKeeper's count holds the root twice.
  assert.equal(tree.nodeCount(), 275);
}

test('replaying ZooKeeper 3.8 logs reproduces the logged digest after every txn', () => {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const entries = readAllLogEntries();
  assert.equal(entries.length, 283);
  let compared = 0;
  for (const { hdr, txn, digest } of entries) {
    const rc = tree.apply(hdr, txn, digest);
    assert.equal(rc.err, 0, `txn ${hex(hdr.zxid)}`);
    if (digest !== null) {
      assert.equal(digest.version, 2);
      assert.equal(tree.digest(), digest.treeDigest, `digest after ${hex(hdr.zxid)} (type ${hdr.type})`);
      compared++;
    }
  }
  assert.equal(compared, 283);
  assert.equal(tree.digestHistory.mismatches, 0);
  assert.equal(tree.lastProcessedZxid, 0x10000011b);
  assert.deepEqual(tree.digestHistory.lastProcessed, { zxid: 0x10000011b, digestVersion: 2, digest: tree.digest() });
  assertMatchesClientView(tree);
  assert.deepEqual([...tree.containers], ['/app/container']);
  assert.deepEqual([...tree.ttls], ['/app/ttl']);
  assert.deepEqual([...tree.ephemeralsOf(0x300000d6def0002n)].sort(), ['/app/eph', '/app/eph-seq-0000000012']);
  assert.equal(tree.getNode('/app/ttl')?.ephemeralOwner, BigInt.asIntN(64, 0xff0000000036ee80n));
  assert.equal(tree.getNode('/app/container')?.ephemeralOwner, -(1n << 63n));
});

test('a wrong logged digest is reported as a mismatch', () => {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const [first, second] = readAllLogEntries();
  const seen: number[] = [];
  tree.digestHistory.onMismatch((z) => seen.push(z));
  tree.apply(first.hdr, first.txn, first.digest);
  assert.ok(second.digest);
  tree.apply(second.hdr, second.txn, { version: 2, treeDigest: second.digest.treeDigest + 1n });
  assert.deepEqual(seen, [second.hdr.zxid]);
  assert.equal(tree.digestHistory.mismatches, 1);
});

function restore(snap: Snapshot): DataTree {
  const tree = new DataTree({ extendedTypesEnabled: true });
  tree.beginRestore();
  tree.aclCache.load(snap.acls);
  for (const n of snap.nodes) tree.restoreNode(n.path, n.data, n.aclRef, n.stat);
  tree.finishRestore();
  tree.lastProcessedZxid = snap.zxid;
  tree.digestHistory.setSnapshotDigest(snap.trailer, snap.zxid);
  return tree;
}

test('restoring ZooKeeper snapshots gives their trailer digests, node counts and order', () => {
  const last = readSnapshot('snapshot.100000114');
  const tree = restore(last);
  assert.equal(last.trailer.zxid, 0x100000114);
  assert.equal(tree.digest(), last.trailer.digest);
  // SnapshotFormatter printed "count=273" for this file.
  assert.equal(tree.nodeCount(), 273);
  const order = [...tree.nodesInSnapshotOrder()].map(([p]) => p);
  assert.equal(order.length, last.nodes.length);
  assert.equal(order[0], '');
  assert.deepEqual([...order].sort(), last.nodes.map((n) => n.path).sort());
  // Parents always come before their children.
  const seen = new Set<string>();
  for (const p of order) {
    if (p !== '') assert.ok(seen.has(p.slice(0, p.lastIndexOf('/'))), `parent of ${p} first`);
    seen.add(p);
  }
  assert.deepEqual(tree.aclCache.entries().map(([k]) => k), [1n, 2n, 3n, 4n, 5n, 6n]);
  assert.equal(tree.getNode('/zookeeper/config')?.aversion, -1);
});

test('a fuzzy snapshot plus the logs after it converges to the final tree', () => {
  const snap = readSnapshot('snapshot.100000036');
  // Fuzzy: the trailer's digest is for 0x100000037, a txn the snapshot already holds.
  assert.equal(snap.trailer.zxid, 0x100000037);
  const tree = restore(snap);
  assert.deepEqual(tree.digestHistory.pendingSnapshotDigest(), snap.trailer);
  let nodeExists = 0;
  for (const { hdr, txn, digest } of readAllLogEntries()) {
    if (hdr.zxid <= snap.zxid) continue;
    const rc = tree.apply(hdr, txn, digest);
    if (rc.err !== 0) nodeExists++;
  }
  // 0x100000037 (create /bulk/item-034) was already in the snapshot: tolerated as NodeExists.
  assert.equal(nodeExists, 1);
  assert.equal(tree.digestHistory.pendingSnapshotDigest(), null);
  assert.equal(tree.digestHistory.mismatches, 0);
  assertMatchesClientView(tree);
});
