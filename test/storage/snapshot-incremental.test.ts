// Incremental snapshots, proven against the tree itself: seeded random creates, deletes, setData,
// setACL, quota updates and NodeExists ACL quirks run before and *during* every snapshot, and each
// snapshot written from the previous one must restore to exactly the tree as it was when that
// snapshot began (every node's path, data, stat and ACL, and the digest).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { DataTree } from '../../src/tree/data-tree.js';
import type { DataNode } from '../../src/tree/node.js';
import type { ACL } from '../../src/jute/records.js';
import { StatsTrack, limitPath, statPath } from '../../src/tree/quota.js';
import { openFilelogStorage, openMemoryStorage, StorageCorruptError, type SnapshotStore } from '../../src/storage/index.js';
import { Prng } from '../sim/prng.js';
import { closeSnapshotPool, decodeSnapshot, restoreSnapshot, takeSnapshot, type TakenSnapshot } from '../../src/storage/snapshot/index.js';

after(() => closeSnapshotPool());

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const READ: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
const DIGEST: ACL[] = [{ perms: 31, id: { scheme: 'digest', id: 'u:abc' } }];
const ACLS = [OPEN, READ, DIGEST];

/** The simulator's seeded PRNG, as a function. */
function seeded(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

/** Every node as one line: path, data, client stat, ACL. Sorted, so the two trees compare as text. */
function dump(tree: DataTree): string[] {
  const lines: string[] = [];
  for (const [p, node] of tree.nodesInSnapshotOrder()) {
    const data = node.data;
    const s = node.stat();
    const acl = tree.getACL(node).map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join(',');
    lines.push(`${p === '' ? '/' : p} ${data === null ? 'null' : data.toString('hex')} ${s.czxid},${s.mzxid},${s.ctime},${s.mtime},` +
      `${s.version},${s.cversion},${s.aversion},${s.ephemeralOwner},${s.dataLength},${s.numChildren},${s.pzxid} ${acl}`);
  }
  return lines.sort();
}

const aclText = (acl: readonly ACL[]): string => acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join(',');

/**
 * Every node as its snapshot record would hold it: path, data, persisted stat, ACL. A restore
 * recomputes some of this (quota stats), so the file's own records are compared too.
 */
function records(tree: DataTree): string[] {
  const lines: string[] = [];
  for (const [p, node] of tree.nodesInSnapshotOrder()) {
    const data = node.data;
    lines.push(`${p} ${data === null ? 'null' : data.toString('hex')} ${node.czxid},${node.mzxid},${node.ctime},${node.mtime},` +
      `${node.version},${node.cversion},${node.aversion},${node.ephemeralOwner},${node.pzxid} ${aclText(tree.getACL(node))}`);
  }
  return lines.sort();
}

async function fileRecords(store: SnapshotStore, zxid: number): Promise<string[]> {
  const snap = await decodeSnapshot(store.open(zxid));
  // -1 is ZooKeeper's key for world:anyone with every permission, never in the map.
  const acls = new Map(snap.acls);
  return snap.nodes.map((n) => {
    const s = n.stat;
    return `${n.path} ${n.data === null ? 'null' : n.data.toString('hex')} ${s.czxid},${s.mzxid},${s.ctime},${s.mtime},` +
      `${s.version},${s.cversion},${s.aversion},${s.ephemeralOwner},${s.pzxid} ${n.aclRef === -1n ? aclText(OPEN) : aclText(acls.get(n.aclRef) ?? [])}`;
  }).sort();
}

/** A random workload on one tree, with its own zxids. */
class Workload {
  private zxid = 0;
  private readonly paths: string[] = [];
  private next = 0;

  constructor(readonly tree: DataTree, private readonly random: () => number) {
    // A quota on /q: creates, deletes and setData under it rewrite /zookeeper/quota/q/zookeeper_stats
    // directly, not through setData.
    this.create('/q', Buffer.from('quota root'));
    this.create('/zookeeper/quota/q', null);
    this.create(limitPath('/q'), new StatsTrack('count=1000,bytes=100000').toBuffer());
    this.create(statPath('/q'), new StatsTrack('count=0,bytes=0').toBuffer());
    for (let i = 0; i < 500; i++) {
      const parent = i % 3 === 0 ? '/q' : this.pick() ?? '';
      this.create(`${parent.split('/').length > 4 ? '' : parent}/n${this.next++}`, this.data());
    }
  }

  private pick(): string | undefined {
    return this.paths.length === 0 ? undefined : this.paths[Math.floor(this.random() * this.paths.length)];
  }

  private data(): Buffer | null {
    const r = this.random();
    if (r < 0.05) return null;
    const n = Math.floor(this.random() * 300);
    return Buffer.alloc(n, Math.floor(this.random() * 256));
  }

  private create(p: string, data: Buffer | null, owner = 0n): void {
    this.tree.createNode(p, data, ACLS[Math.floor(this.random() * ACLS.length)], owner, -1, ++this.zxid, this.zxid * 10);
    this.tree.lastProcessedZxid = this.zxid;
    if (!p.startsWith('/zookeeper')) this.paths.push(p);
  }

  /** One random change to the tree. */
  step(): void {
    const t = this.tree;
    const r = this.random();
    const target = this.pick();
    if (r < 0.35 || target === undefined) {
      const under = this.random() < 0.3 ? '/q' : this.random() < 0.5 || target === undefined ? '' : target;
      if (under.split('/').length > 5) return;
      this.create(`${under}/n${this.next++}`, this.data(), this.random() < 0.1 ? 0x1234n : 0n);
    } else if (r < 0.55) {
      const node = t.getNode(target) as DataNode;
      if (node.numChildren > 0 || target === '/q') return;
      t.deleteNode(target, ++this.zxid);
      t.lastProcessedZxid = this.zxid;
      this.paths.splice(this.paths.indexOf(target), 1);
    } else if (r < 0.85) {
      t.setData(target, this.data(), (t.getNode(target) as DataNode).version + 1, ++this.zxid, this.zxid * 10);
      t.lastProcessedZxid = this.zxid;
    } else if (r < 0.93) {
      t.setACL(target, ACLS[Math.floor(this.random() * ACLS.length)], (t.getNode(target) as DataNode).aversion + 1);
    } else if (r < 0.97) {
      // A create that meets an existing node: ZooKeeper still gives the node the new ACL key.
      assert.throws(() => t.createNode(target, null, ACLS[Math.floor(this.random() * ACLS.length)], 0n, -1, this.zxid + 1, 0));
    } else {
      t.setCversionPzxid(target, -1, ++this.zxid);
      t.lastProcessedZxid = this.zxid;
    }
  }
}

interface Round {
  taken: TakenSnapshot;
  expected: string[];
  expectedRecords: string[];
  digest: bigint;
}

/**
 * Snapshots `rounds` times with changes between them and during each, and checks every snapshot
 * written incrementally against the tree as it was when it began.
 */
async function run(seed: number, store: SnapshotStore, rounds: number): Promise<{ incremental: number; full: number }> {
  const random = seeded(seed);
  const tree = new DataTree({ digestEnabled: true });
  const work = new Workload(tree, random);
  let incremental = 0;
  let full = 0;
  for (let round = 0; round < rounds; round++) {
    const changes = Math.floor(random() * 60);
    for (let i = 0; i < changes; i++) work.step();
    const expected = dump(tree);
    const expectedRecords = records(tree);
    const digest = tree.digest();
    const snapshot = takeSnapshot(tree, new Map([[0x1234n, 30_000]]), store, {
      trackChanges: true, batchNodes: 8, batchBytes: 2048, sliceMs: 0.01, maxSliceMs: 0.02, mergeChunkBytes: 4096,
    });
    let done = false;
    const finished = snapshot.finally(() => { done = true; });
    // Changes while the snapshot runs: nodes it has not recorded yet must be captured first. A
    // budget per snapshot, not per turn: however slow the machine, the change list stays short
    // enough for the next snapshot to be incremental.
    let budget = Math.floor(random() * 40);
    while (!done) {
      if (budget > 0 && random() < 0.5) {
        work.step();
        budget--;
      }
      await tick();
    }
    const round0: Round = { taken: await finished, expected, expectedRecords, digest };
    if (round0.taken.incremental === undefined) {
      full++;
      continue;
    }
    incremental++;
    const restored = new DataTree({ digestEnabled: true });
    await restoreSnapshot(store, round0.taken.zxid, restored);
    const got = dump(restored);
    assert.deepEqual(got, round0.expected, `seed ${seed}, round ${round}: the incremental snapshot differs from the tree at its start`);
    assert.deepEqual(await fileRecords(store, round0.taken.zxid), round0.expectedRecords, `seed ${seed}, round ${round}: records`);
    assert.equal(restored.digest(), round0.digest, `seed ${seed}, round ${round}: digest`);
    assert.equal(round0.taken.nodeCount, got.length, `seed ${seed}, round ${round}: node count`);
    // Exact at its zxid: the trailer's digest is the tree's there, and it matched on restore.
    assert.equal(restored.digestHistory.mismatches, 0);
  }
  return { incremental, full };
}

test('incremental snapshots restore to exactly the tree at their start (seeded, memory store)', async () => {
  let incremental = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const store = (await openMemoryStorage()).snapshots;
    const r = await run(seed, store, 10);
    incremental += r.incremental;
    assert.ok(r.full >= 1, 'the first snapshot walks the whole tree');
  }
  // The rest walked the whole tree because the changes during a snapshot grew the list past half
  // the tree's nodes (see incrementalPays).
  assert.ok(incremental >= 70, `most snapshots were incremental (${incremental} of 90)`);
});

test('incremental snapshots over ZooKeeper-format files, chunked as the filelog store reads them', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'zk-incr-'));
  try {
    const storage = await openFilelogStorage({ dataDir: dir });
    const r = await run(101, storage.snapshots, 8);
    assert.ok(r.incremental >= 5, `incremental: ${r.incremental} of 7`);
    await storage.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed snapshot makes the next one walk the whole tree', async () => {
  const tree = new DataTree({ digestEnabled: true });
  const work = new Workload(tree, seeded(7));
  const store = (await openMemoryStorage()).snapshots;
  const first = await takeSnapshot(tree, new Map(), store, { trackChanges: true });
  assert.equal(first.incremental, undefined);
  for (let i = 0; i < 20; i++) work.step();
  const second = await takeSnapshot(tree, new Map(), store, { trackChanges: true });
  assert.ok(second.incremental !== undefined, 'written from the previous one');
  for (let i = 0; i < 20; i++) work.step();
  // The previous snapshot is gone: this one fails, and its change list with it.
  await store.delete(second.zxid);
  await assert.rejects(takeSnapshot(tree, new Map(), store, { trackChanges: true }));
  for (let i = 0; i < 20; i++) work.step();
  const fourth = await takeSnapshot(tree, new Map(), store, { trackChanges: true });
  assert.equal(fourth.incremental, undefined, 'a whole walk after a failure');
  const restored = new DataTree({ digestEnabled: true });
  await restoreSnapshot(store, fourth.zxid, restored);
  assert.deepEqual(dump(restored), dump(tree));
});

test('a damaged previous snapshot is refused, naming the file and offset, and never copied forward', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'zk-incr-corrupt-'));
  try {
    const storage = await openFilelogStorage({ dataDir: dir });
    const tree = new DataTree({ digestEnabled: true });
    const work = new Workload(tree, seeded(11));
    const first = await takeSnapshot(tree, new Map(), storage.snapshots, { trackChanges: true });
    assert.equal(first.incremental, undefined);
    // One byte of a node's data, far from the file's end: the seal no longer matches.
    const file = path.join(dir, 'version-2', `snapshot.${first.zxid.toString(16)}`);
    const bytes = await readFile(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] ^= 0x01;
    await writeFile(file, bytes);
    for (let i = 0; i < 20; i++) work.step();
    await assert.rejects(takeSnapshot(tree, new Map(), storage.snapshots, { trackChanges: true }), (err: unknown) => {
      assert.ok(err instanceof StorageCorruptError, String(err));
      assert.equal(err.file, file);
      assert.ok(err.offset > 0 && err.offset <= bytes.length, `offset ${err.offset}`);
      return true;
    });
    for (let i = 0; i < 20; i++) work.step();
    const third = await takeSnapshot(tree, new Map(), storage.snapshots, { trackChanges: true });
    assert.equal(third.incremental, undefined, 'a whole walk after the refusal');
    const restored = new DataTree({ digestEnabled: true });
    await restoreSnapshot(storage.snapshots, third.zxid, restored);
    assert.deepEqual(dump(restored), dump(tree));
    await storage.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
