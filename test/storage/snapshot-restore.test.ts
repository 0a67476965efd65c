// takeSnapshot and restoreSnapshot through the piscina worker: ZooKeeper's files restored into a tree,
// trees round-tripped, fuzzy snapshots made good by replay, corruption named by file and offset, and
// a main thread that keeps turning while a large tree is written.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { openFilelogStorage, openMemoryStorage, StorageCorruptError, type SnapshotStore } from '../../src/storage/index.js';
import {
  closeSnapshotPool, decodeSnapshot, encodeSnapshot, restoreSnapshot, takeSnapshot,
} from '../../src/storage/snapshot/index.js';
import { DataTree, ttlToEphemeralOwner } from '../../src/tree/index.js';
import { nodeDigest, pathCrc } from '../../src/tree/digest.js';
import { giveBackShared, takeShared } from '../../src/storage/snapshot/shared-buffers.js';
import {
  aclStrings, buildTree, CHANGED_AFTER_NEWEST, collect, DIGEST_ACL, hex, NEWEST_SNAPSHOT, NEWEST_ZXID, OPEN,
  readFixture, readShutdownSnapshot, readZnodesJson, SHUTDOWN_ZXID, storeWith, treeView, Writer,
} from './snapshot-fixtures.js';

after(() => closeSnapshotPool());

async function restoreInto(store: SnapshotStore, zxid: number, opts: { extendedTypesEnabled?: boolean } = {}) {
  const tree = new DataTree({ extendedTypesEnabled: opts.extendedTypesEnabled ?? true });
  const restored = await restoreSnapshot(store, zxid, tree);
  return { tree, restored };
}

/** Checks the tree against znodes.json (but `skip`), as a client sees nodes; returns how many were compared. */
function compareWithClientView(tree: DataTree, skip: ReadonlySet<string>): number {
  let compared = 0;
  for (const [path, j] of readZnodesJson()) {
    if (skip.has(path)) continue;
    const node = tree.getNode(path);
    assert.ok(node !== undefined, path);
    const s = node.stat();
    assert.equal((node.data ?? Buffer.alloc(0)).toString('base64'), j.data_b64, path);
    assert.equal(node.data === null, j.data_null, path);
    assert.deepEqual(aclStrings(tree.getACL(node)), j.acl, path);
    assert.deepEqual({ ...s, czxid: hex(s.czxid), mzxid: hex(s.mzxid), pzxid: hex(s.pzxid), ephemeralOwner: hex(s.ephemeralOwner) }, j.stat, path);
    compared++;
  }
  return compared;
}

async function rejectsCorrupt(p: Promise<unknown>, file: string): Promise<StorageCorruptError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StorageCorruptError, `expected StorageCorruptError, got ${String(err)}`);
    assert.equal(err.file, file);
    return err;
  }
  assert.fail('restore succeeded');
}

describe('restoring ZooKeeper 3.8 snapshots', () => {
  it('restores the newest fixture: nodes, ACLs, stats as a client saw them, and the digest checked', async () => {
    const backend = await storeWith(readFixture(NEWEST_SNAPSHOT), NEWEST_ZXID, 1000);
    const { tree, restored } = await restoreInto(backend.snapshots, NEWEST_ZXID);
    assert.equal(restored.zxid, NEWEST_ZXID);
    assert.equal(restored.nodeCount, 272);
    assert.equal(restored.sizeBytes, 35493);
    assert.equal(restored.sessions.size, 0);
    assert.equal(tree.lastProcessedZxid, NEWEST_ZXID);
    assert.equal(tree.nodeCount(), 273);
    assert.equal(tree.digest(), 597846763628n);
    // Not fuzzy (trailer zxid = file zxid): compared at once, as FileSnap does, and found equal.
    assert.equal(tree.digestHistory.pendingSnapshotDigest(), null);
    assert.equal(tree.digestHistory.mismatches, 0);
    assert.equal(compareWithClientView(tree, CHANGED_AFTER_NEWEST), readZnodesJson().size - CHANGED_AFTER_NEWEST.size);
    assert.deepEqual([...tree.containers], ['/app/container']);
    assert.deepEqual([...tree.ttls], ['/app/ttl']);
    await backend.close();
  });

  it('restores the snapshot ZooKeeper wrote at start-up: the client\'s view exactly, session and ephemerals', async () => {
    const backend = await storeWith(readShutdownSnapshot(), SHUTDOWN_ZXID, 3000);
    const { tree, restored } = await restoreInto(backend.snapshots, SHUTDOWN_ZXID);
    assert.deepEqual(restored.sessions, new Map([[0x300000d6def0002n, 30_000]]));
    assert.equal(compareWithClientView(tree, new Set()), readZnodesJson().size);
    assert.deepEqual([...tree.ephemeralsOf(0x300000d6def0002n)].sort(), ['/app/eph', '/app/eph-seq-0000000012']);
    assert.equal(tree.digestHistory.mismatches, 0);
    assert.equal(tree.digest(), restored.digest?.digest);
    await backend.close();
  });

  it('a fuzzy fixture leaves its trailer digest pending for the replay', async () => {
    const backend = await storeWith(readFixture('snapshot.100000036'), 0x100000036);
    const { tree, restored } = await restoreInto(backend.snapshots, 0x100000036);
    assert.equal(restored.digest?.zxid, 0x100000037);
    assert.equal(restored.sessions.size, 1);
    assert.equal(tree.digestHistory.pendingSnapshotDigest()?.zxid, 0x100000037);
    await backend.close();
  });

  it('restore then snapshot gives ZooKeeper\'s file back byte for byte', async () => {
    const bytes = readFixture(NEWEST_SNAPSHOT);
    const backend = await storeWith(bytes, NEWEST_ZXID);
    const { tree, restored } = await restoreInto(backend.snapshots, NEWEST_ZXID);
    // ZooKeeper wrote the digest of its last processed txn; a restored tree has processed none yet.
    tree.digestHistory.lastProcessed = restored.digest;
    const out = await openMemoryStorage();
    const info = await takeSnapshot(tree, restored.sessions, out.snapshots);
    assert.equal(info.zxid, NEWEST_ZXID);
    assert.equal(info.nodeCount, 272);
    assert.ok((await collect(out.snapshots.open(NEWEST_ZXID))).equals(bytes));
    await backend.close();
    await out.close();
  });
});

describe('taking snapshots of a tree', () => {
  it('a tree built with the tree API comes back identical: nodes, ACLs, sessions, ephemerals, digest', async () => {
    const { tree, zxid } = buildTree(3000);
    const sessions = new Map([[0x1234n, 30_000], [0x99n, 4000], [-5n, 10_000]]);
    const backend = await openMemoryStorage();
    // Small batches: many worker tasks, a node larger than a batch, chunks combined in order.
    const info = await takeSnapshot(tree, sessions, backend.snapshots, { batchNodes: 100, batchBytes: 8192, maxInFlight: 3 });
    assert.equal(info.zxid, zxid);
    assert.equal(info.zxid, tree.lastProcessedZxid);
    assert.equal(info.nodeCount, [...tree.nodesInSnapshotOrder()].length);
    assert.deepEqual(info.trailer, { digest: { zxid, digestVersion: 2, digest: tree.digest() }, lastProcessedZxid: null });

    // The bytes are exactly what the single-threaded encoder makes of the same tree.
    const bytes = await collect(backend.snapshots.open(zxid));
    assert.equal(bytes.length, info.sizeBytes);
    const reference = Buffer.concat([...encodeSnapshot({
      header: { magic: 0x5a4b534e, version: 2, dbid: -1n }, sessions, acls: tree.aclCache.entries(),
      nodes: [...tree.nodesInSnapshotOrder()].map(([path, n]) => ({ path, data: n.data, aclRef: n.aclRef, stat: n.statPersisted() })),
      ...info.trailer,
    })]);
    assert.ok(bytes.equals(reference));

    const { tree: copy, restored } = await restoreInto(backend.snapshots, zxid);
    assert.deepEqual(restored.sessions, sessions);
    assert.deepEqual(treeView(copy), treeView(tree));
    assert.equal(copy.digest(), tree.digest());
    assert.equal(copy.nodeCount(), tree.nodeCount());
    assert.equal(copy.approximateDataSize(), tree.approximateDataSize());
    assert.deepEqual(copy.aclCache.entries(), tree.aclCache.entries());
    assert.deepEqual([...copy.ephemeralsOf(0x1234n)], ['/app/eph']);
    assert.deepEqual([...copy.containers], ['/app/container']);
    assert.deepEqual([...copy.ttls], ['/app/ttl']);
    assert.equal(copy.getNode('/app/ttl')!.ephemeralOwner, ttlToEphemeralOwner(3_600_000));
    assert.equal(copy.getNode('/app/ro')!.data, null);
    assert.equal(copy.getNode('/app/empty')!.data!.length, 0);
    assert.equal(copy.digestHistory.mismatches, 0);
    // The restored data stays in the batches' buffers, adopted as arena slabs: counted exactly.
    const liveData = [...tree.nodesInSnapshotOrder()].reduce((sum, [, n]) => sum + n.dataLength, 0);
    assert.equal(copy.arena.stats().liveBytes, liveData);
    assert.ok(copy.arena.stats().slabs > 1, 'small batches: several adopted slabs');
    // The worker computed every node's digest and path CRC; a node hashed afresh must agree, and
    // so must the trees after the same change to every restored node (the path CRC is reused then).
    for (const [path, node] of copy.nodesInSnapshotOrder()) {
      if (path === '' || path.startsWith('/zookeeper/')) continue;
      assert.equal(node.digestCache, nodeDigest(path, node.data, node), path);
      assert.equal(node.pathCrc, pathCrc(path), path);
    }
    let next = zxid;
    for (const t of [tree, copy]) {
      next = zxid;
      for (const [path] of [...t.nodesInSnapshotOrder()].filter(([p]) => p !== '' && !p.startsWith('/zookeeper'))) {
        t.setData(path, Buffer.from(`changed ${path}`), 7, ++next, 1_700_000_000_000);
      }
    }
    assert.equal(copy.digest(), tree.digest());
    // Every value was replaced: a walk that compacts leaves no adopted slab behind.
    copy.arena.beginCompaction();
    for (const [, node] of copy.nodesInSnapshotOrder()) node.compactData();
    copy.arena.endCompaction();
    const after = copy.arena.stats();
    assert.equal(after.liveBytes, [...copy.nodesInSnapshotOrder()].reduce((sum, [, n]) => sum + n.dataLength, 0));
    assert.ok(after.bytes <= 2 * after.liveBytes + 256 * 1024, `${after.bytes} bytes held for ${after.liveBytes} live`);
    await backend.close();
  });

  it('the snapshot zxid and sessions are those at the call, even if the store starts reading later', async () => {
    const w = buildTree(10);
    const zxid = w.tree.lastProcessedZxid;
    const sessions = new Map([[1n, 5000]]);
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const chunks: Buffer[] = [];
    const slowStore: SnapshotStore = {
      async write(z, source) {
        await gate;
        for await (const c of source) chunks.push(Buffer.from(c));
        return { zxid: z, sizeBytes: Buffer.concat(chunks).length, createdAtMs: 0 };
      },
      list: async () => [], open: () => { throw new Error('unused'); }, delete: async () => {}, close: async () => {},
    };
    const taking = takeSnapshot(w.tree, sessions, slowStore);
    sessions.set(2n, 6000);
    w.create('/late', Buffer.from('after the call'));
    release();
    const info = await taking;
    assert.equal(info.zxid, zxid);
    const snap = await decodeSnapshot(chunks);
    assert.deepEqual([...snap.sessions], [[1n, 5000]]);
    // The walk is fuzzy: it sees the node created after the call, and the trailer names its zxid.
    assert.ok(snap.nodes.some((n) => n.path === '/late'));
    assert.equal(snap.digest?.zxid, w.zxid);
  });

  it('a chunk stays intact while the store pulls the next three (shared buffers are reused after that)', async () => {
    const { tree } = buildTree(20_000);
    const held: Array<{ view: Uint8Array; copy: Buffer }> = [];
    const checkingStore: SnapshotStore = {
      async write(z, source) {
        for await (const chunk of source) {
          // The three chunks before this one must still read as they did when they came.
          for (const [i, h] of held.entries()) {
            if (i >= held.length - 3) assert.ok(Buffer.from(h.view).equals(h.copy), `chunk ${i} changed by chunk ${held.length}`);
          }
          held.push({ view: chunk, copy: Buffer.from(chunk) });
          await new Promise<void>((r) => setImmediate(r));
        }
        return { zxid: z, sizeBytes: 0, createdAtMs: 0 };
      },
      list: async () => [], open: () => { throw new Error('unused'); }, delete: async () => {}, close: async () => {},
    };
    await takeSnapshot(tree, new Map(), checkingStore, { batchNodes: 1000, maxInFlight: 1 });
    assert.ok(held.length > 10, `${held.length} chunks`);
    // Reuse did happen: an early chunk no longer reads as it did (else this test proves nothing).
    assert.ok(held.some(({ view, copy }) => !Buffer.from(view).equals(copy)), 'no buffer was reused');
    const copies = Buffer.concat(held.map((h) => h.copy));
    const fresh = await openMemoryStorage();
    await takeSnapshot(tree, new Map(), fresh.snapshots, { reuseChunkBuffers: false });
    assert.ok(copies.equals(await collect(fresh.snapshots.open(tree.lastProcessedZxid))), 'same bytes without reuse');
    await fresh.close();
  });

  it('a store that fails part-way stops the walk running ahead of it, and the next snapshot is whole', async () => {
    const { tree } = buildTree(20_000);
    let pulls = 0;
    const failingStore: SnapshotStore = {
      async write(_z, source) {
        for await (const chunk of source) {
          void chunk;
          // Slow enough that the walk fills every slot it may before the failure.
          await new Promise<void>((r) => setTimeout(r, 5));
          if (++pulls === 4) throw new Error('disk full');
        }
        return { zxid: 0, sizeBytes: 0, createdAtMs: 0 };
      },
      list: async () => [], open: () => { throw new Error('unused'); }, delete: async () => {}, close: async () => {},
    };
    await assert.rejects(takeSnapshot(tree, new Map(), failingStore, { batchNodes: 1000 }), /disk full/);
    assert.equal(pulls, 4);
    const backend = await openMemoryStorage();
    await takeSnapshot(tree, new Map(), backend.snapshots, { batchNodes: 1000 });
    const copy = new DataTree({ extendedTypesEnabled: true });
    await restoreSnapshot(backend.snapshots, tree.lastProcessedZxid, copy);
    assert.equal(copy.nodeCount(), tree.nodeCount());
    assert.equal(copy.digest(), tree.digest());
    await backend.close();
  });

  it('the next snapshot reuses the last one\'s shared buffers, and both are byte-exact', async () => {
    const snapshotBytes = async (tree: DataTree, reuse: boolean): Promise<Buffer> => {
      const backend = await openMemoryStorage();
      await takeSnapshot(tree, new Map(), backend.snapshots, { batchNodes: 500, reuseChunkBuffers: reuse });
      const bytes = await collect(backend.snapshots.open(tree.lastProcessedZxid));
      await backend.close();
      return bytes;
    };
    const first = buildTree(5000).tree;
    const second = buildTree(3000).tree;
    second.setData('/app/ro', Buffer.from('different'), 9, second.lastProcessedZxid + 1, 1);
    second.lastProcessedZxid++;
    const pooled = [await snapshotBytes(first, true), await snapshotBytes(second, true), await snapshotBytes(first, true)];
    assert.ok(pooled[1].equals(await snapshotBytes(second, false)), 'second snapshot, in reused buffers');
    assert.ok(pooled[2].equals(await snapshotBytes(first, false)), 'third snapshot, in reused buffers');
    assert.ok(pooled[0].equals(pooled[2]));
    // Handed back and handed out again: the pool gives the same buffer for the same size.
    const b = takeShared(4096);
    giveBackShared([b]);
    assert.equal(takeShared(4096), b);
  });

  it('goes through the filelog store, plain and gzip-compressed, and comes back the same', async () => {
    const { tree } = buildTree(20_000);
    const dir = await mkdtemp(path.join(tmpdir(), 'zk-snapshot-test-'));
    try {
      for (const compression of ['none', 'gz'] as const) {
        const backend = await openFilelogStorage({ dataDir: path.join(dir, compression), snapshotCompression: compression });
        const info = await takeSnapshot(tree, new Map([[7n, 9000]]), backend.snapshots, { batchNodes: 1000 });
        const name = `snapshot.${info.zxid.toString(16)}${compression === 'gz' ? '.gz' : ''}`;
        const onDisk = await readFile(path.join(dir, compression, 'version-2', name));
        assert.equal(onDisk.subarray(0, 4).toString('latin1'), compression === 'gz' ? '\x1f\x8b\x08\x00' : 'ZKSN');
        const { tree: copy, restored } = await restoreInto(backend.snapshots, info.zxid);
        assert.deepEqual(restored.sessions, new Map([[7n, 9000]]));
        assert.equal(copy.digest(), tree.digest());
        assert.deepEqual(treeView(copy), treeView(tree));
        await backend.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a fuzzy snapshot taken while txns keep coming, plus the log replayed, equals the live tree', async () => {
    const w = buildTree(2000);
    const backend = await openMemoryStorage();
    let stop = false;
    let i = 0;
    // Writes between the walk's slices: creates, deletes (some of nodes not yet walked), updates, ACLs.
    // Bounded: on a loaded machine the walk (waiting on a starved worker) could otherwise chase the
    // nodes the writer keeps adding ahead of it until the heap runs out.
    const writer = (async () => {
      while (!stop && i < 3000) {
        const n = i++;
        w.create(`/fuzzy-${n}`, Buffer.from(`f${n}`));
        w.create(`/bulk/d${n % 17}/late-${n}`, Buffer.from('late'), { acl: n % 2 === 0 ? DIGEST_ACL : OPEN });
        if (w.tree.getNode(`/bulk/d${(n + 5) % 17}/n${n * 7 + 5}`) !== undefined) w.apply({ type: 2, path: `/bulk/d${(n + 5) % 17}/n${n * 7 + 5}` });
        w.apply({ type: 5, path: '/app', data: Buffer.from(`v${n}`), version: -1 });
        if (n % 3 === 0) w.apply({ type: 7, path: '/app/secure', acl: n % 2 === 0 ? OPEN : DIGEST_ACL, version: -1 });
        if (n === 4) w.apply({ type: -11, paths2Delete: null }, 0x1234n);
        await new Promise<void>((r) => setImmediate(r));
      }
    })();
    const info = await takeSnapshot(w.tree, new Map(), backend.snapshots, { batchNodes: 50, sliceMs: 0.2 });
    stop = true;
    await writer;
    assert.ok(i > 10, `only ${i} rounds of writes ran during the snapshot`);
    assert.ok(info.trailer.digest!.zxid > info.zxid, 'the trailer names a later zxid (the walk was fuzzy)');

    const { tree: copy } = await restoreInto(backend.snapshots, info.zxid);
    for (const [hdr, txn] of w.log) if (hdr.zxid > info.zxid) copy.apply(hdr, txn);
    assert.equal(copy.digestHistory.mismatches, 0);
    assert.equal(copy.digestHistory.pendingSnapshotDigest(), null, 'the replay reached the trailer zxid');
    assert.equal(copy.digest(), w.tree.digest());
    assert.deepEqual(treeView(copy), treeView(w.tree));
    await backend.close();
  });

  it('values the worker copies are those the nodes held, though they change and their slabs go meanwhile', async () => {
    // The walk leaves each value in the arena for the worker to copy (EncodeBatch.refs). Every
    // value names its node and a version; rewriting all of them, round after round, empties and
    // drops the slabs the pending batches point into. Read back without the log, each record must
    // still carry one of its own node's values, whole.
    const w = new Writer(new DataTree());
    const value = (p: string, k: number): Buffer => Buffer.from(`${p}#${k}#`.padEnd(120, '.'));
    const paths: string[] = [];
    w.create('/v', null);
    for (let n = 0; n < 3000; n++) {
      paths.push(`/v/n${n}`);
      w.create(paths[n], value(paths[n], 0));
    }
    const slabsBefore = w.tree.arena.stats().slabs;
    const backend = await openMemoryStorage();
    let stop = false;
    let rounds = 0;
    const writer = (async () => {
      while (!stop && rounds < 200) {
        rounds++;
        for (let n = 0; n < paths.length; n += 1 + (rounds % 3)) {
          w.apply({ type: 5, path: paths[n], data: value(paths[n], rounds), version: -1 });
        }
        await new Promise<void>((r) => setImmediate(r));
      }
    })();
    const info = await takeSnapshot(w.tree, new Map(), backend.snapshots, { batchNodes: 50, sliceMs: 0.05, maxSliceMs: 0.1 });
    stop = true;
    await writer;
    assert.ok(rounds >= 3, `only ${rounds} rounds of writes ran during the snapshot`);
    assert.ok(w.tree.arena.stats().slabs >= slabsBefore, 'the arena is still in use');
    const { tree: copy } = await restoreInto(backend.snapshots, info.zxid);
    let changed = 0;
    for (const p of paths) {
      const text = copy.getNode(p)?.data?.toString('latin1') ?? '';
      const m = /^(\/v\/n\d+)#(\d+)#\.+$/.exec(text);
      assert.ok(m !== null && m[1] === p && text.length === 120, `${p} holds ${JSON.stringify(text.slice(0, 40))}`);
      if (m[2] !== '0') changed++;
    }
    assert.ok(changed > 0, 'some values were taken after a rewrite');
    await backend.close();
  });

  it('the main thread keeps turning while a 200,000-node tree is written', async (t) => {
    // Built by restoring nodes directly: 20x faster than applying txns, and digests are not the point.
    const tree = new DataTree({ digestEnabled: false });
    tree.beginRestore();
    const stat = { czxid: 1, mzxid: 1, ctime: 1, mtime: 1, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 1 };
    for (const path of ['', '/zookeeper', '/zookeeper/quota', '/big']) tree.restoreNode(path, null, -1n, stat);
    const value = Buffer.from('a value of some forty bytes, or nearly');
    for (let d = 0; d < 200; d++) {
      tree.restoreNode(`/big/d${d}`, null, -1n, stat);
      for (let i = 0; i < 1000; i++) tree.restoreNode(`/big/d${d}/node-${i}`, value, -1n, stat);
    }
    tree.finishRestore();
    const backend = await openMemoryStorage();
    // The snapshot pool starts its worker on first use, which held the main thread 20-40 ms here; a
    // server starts it at start-up. A first, tiny snapshot starts it outside the measured window.
    await takeSnapshot(new DataTree({ digestEnabled: false }), new Map(), backend.snapshots);
    let last = performance.now();
    let maxGapMs = 0;
    let ticks = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      ticks++;
    }, 1);
    const started = performance.now();
    const info = await takeSnapshot(tree, new Map(), backend.snapshots);
    const tookMs = performance.now() - started;
    clearInterval(ticker);
    t.diagnostic(`${info.nodeCount} nodes, ${info.sizeBytes} bytes in ${tookMs.toFixed(0)} ms; `
      + `max gap ${maxGapMs.toFixed(1)} ms over ${ticks} ticks; longest slice ${info.longestSliceMs.toFixed(1)} ms`);
    assert.equal(info.nodeCount, 200_204);
    // Unsliced, the gap would be the whole snapshot; allow GC pauses on slow machines, never that.
    assert.ok(maxGapMs < Math.max(50, tookMs / 4), `max gap ${maxGapMs.toFixed(1)} ms of ${tookMs.toFixed(0)} ms`);
    assert.ok(ticks >= 10, `only ${ticks} ticks`);
    await backend.close();
  });
});

describe('restore failures', () => {
  it('a corrupted byte is reported with the file name and the seal offset', async () => {
    const bytes = Buffer.from(readFixture(NEWEST_SNAPSHOT));
    bytes[bytes.indexOf('0123456789abcdef') + 5] ^= 1;
    const backend = await storeWith(bytes, NEWEST_ZXID);
    const err = await rejectsCorrupt(restoreSnapshot(backend.snapshots, NEWEST_ZXID, new DataTree()), 'snapshot.100000114');
    assert.equal(err.offset, bytes.length - 46);
    assert.match(err.message, /checksum mismatch/);
    await backend.close();
  });

  it('a truncated snapshot is reported at its end', async () => {
    const bytes = readFixture(NEWEST_SNAPSHOT).subarray(0, 20_000);
    const backend = await storeWith(bytes, NEWEST_ZXID);
    const err = await rejectsCorrupt(restoreSnapshot(backend.snapshots, NEWEST_ZXID, new DataTree(), { file: 'x/snap' }), 'x/snap');
    assert.equal(err.offset, 20_000);
    assert.match(err.message, /truncated/);
    await backend.close();
  });

  it('a node without its parent is reported at that node\'s record', async () => {
    const snap = await decodeSnapshot([readFixture('snapshot.0')]);
    const orphan = { path: '/nowhere/child', data: null, aclRef: -1n, stat: snap.nodes[1].stat };
    const bytes = Buffer.concat([...encodeSnapshot({ ...snap, nodes: [...snap.nodes, orphan] })]);
    const backend = await storeWith(bytes, 7);
    const err = await rejectsCorrupt(restoreSnapshot(backend.snapshots, 7, new DataTree()), 'snapshot.7');
    assert.equal(err.offset, readFixture('snapshot.0').length - 51);
    assert.match(err.message, /unable to find parent/);
    await backend.close();
  });

  it('a missing snapshot is the store\'s not-found error, and the pool stays usable', async () => {
    const backend = await openMemoryStorage();
    await assert.rejects(restoreSnapshot(backend.snapshots, 99, new DataTree()), { code: 'ERR_STORAGE_NOT_FOUND' });
    const w = buildTree(5);
    const info = await takeSnapshot(w.tree, new Map(), backend.snapshots);
    const { tree } = await restoreInto(backend.snapshots, info.zxid);
    assert.equal(tree.digest(), w.tree.digest());
    await backend.close();
  });
});

// A filelog store's plain snapshot file is read by the worker itself (DecodeTask.path): these
// restore through a store whose open() refuses, so only that path can succeed.
describe('restore read by the worker from the plain file', () => {
  let dir: string;
  after(() => rm(dir, { recursive: true, force: true }));

  /** `bytes` as snapshot `zxid` of a fresh filelog store; a view of it that can only be read as a plain file. */
  async function plainOnly(bytes: Buffer, zxid: number): Promise<{ store: SnapshotStore; file: string; close: () => Promise<void> }> {
    dir ??= await mkdtemp(path.join(tmpdir(), 'zk-plain-restore-'));
    const dataDir = await mkdtemp(path.join(dir, 'd-'));
    const backend = await openFilelogStorage({ dataDir });
    await backend.snapshots.write(zxid, (async function* () { yield bytes; })());
    const real = backend.snapshots;
    const store = {
      async *open(): AsyncGenerator<Uint8Array> { throw new Error('read through the main thread'); },
      plainFile: (z: number) => (real.plainFile as (z: number) => Promise<string | null>)(z),
    } as unknown as SnapshotStore;
    return { store, file: path.join(dataDir, 'version-2', `snapshot.${zxid.toString(16)}`), close: () => backend.close() };
  }

  it('restores what the main thread\'s reads restore', async () => {
    const bytes = Buffer.from(readFixture(NEWEST_SNAPSHOT));
    const viaFile = await plainOnly(bytes, NEWEST_ZXID);
    const viaMemory = await storeWith(bytes, NEWEST_ZXID);
    const a = await restoreInto(viaFile.store, NEWEST_ZXID);
    const b = await restoreInto(viaMemory.snapshots, NEWEST_ZXID);
    assert.deepEqual(treeView(a.tree), treeView(b.tree));
    assert.deepEqual(a.restored.sessions, b.restored.sessions);
    assert.equal(a.tree.digest(), b.tree.digest());
    assert.equal(a.restored.sizeBytes, bytes.length);
    await viaFile.close();
    await viaMemory.close();
  });

  it('reports damage as the main thread\'s reads do, naming the file and offset', async () => {
    // The store lists only files that end in a seal: damage inside the body is what gets this far.
    for (const share of [0.1, 0.5, 0.9]) {
      const bytes = Buffer.from(readFixture(NEWEST_SNAPSHOT));
      bytes[Math.floor(bytes.length * share)] ^= 0x5a;
      const viaFile = await plainOnly(bytes, NEWEST_ZXID);
      const viaMemory = await storeWith(bytes, NEWEST_ZXID);
      const err = await rejectsCorrupt(restoreSnapshot(viaFile.store, NEWEST_ZXID, new DataTree(), { file: viaFile.file }), viaFile.file);
      const oracle = await rejectsCorrupt(restoreSnapshot(viaMemory.snapshots, NEWEST_ZXID, new DataTree(), { file: viaFile.file }), viaFile.file);
      assert.equal(err.offset, oracle.offset, `byte at ${share} of the file`);
      assert.equal(err.message, oracle.message);
      await viaFile.close();
      await viaMemory.close();
    }
  });

  it('keeps records longer than a read whole (the reader reuses its buffers)', async () => {
    const w = buildTree(2000);
    // Values of 2.5 MiB, longer than the reader's 1 MiB reads, between small nodes.
    for (let i = 0; i < 4; i++) w.create(`/big-${i}`, Buffer.alloc(5 << 19, 0x41 + i));
    const backend = await openMemoryStorage();
    const info = await takeSnapshot(w.tree, new Map(), backend.snapshots);
    const bytes = await collect(backend.snapshots.open(info.zxid));
    await backend.close();
    const viaFile = await plainOnly(bytes, info.zxid);
    const copy = new DataTree({ extendedTypesEnabled: true });
    await restoreSnapshot(viaFile.store, info.zxid, copy, { juteMaxBufferBytes: 4 << 20 });
    for (let i = 0; i < 4; i++) assert.ok(copy.getData(`/big-${i}`)?.data?.equals(Buffer.alloc(5 << 19, 0x41 + i)), `/big-${i}`);
    assert.deepEqual(treeView(copy), treeView(w.tree));
    await viaFile.close();
  });
});
