// The SNAP sync stream (QUORUM-PROTOCOL.md §3.6): the leader's bytes are the snapshot body ZooKeeper's
// learner parses, followed by "BenWasHere"; the receiver rebuilds the leader's tree from them however
// they are cut, hands back what follows the signature, and refuses bad streams with clear errors.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { StorageCorruptError } from '../../src/storage/index.js';
import {
  closeSnapshotPool, defaultFileHeader, encodeSnapshot, type SnapshotNode,
} from '../../src/storage/snapshot/index.js';
import {
  PooledSyncSnapshotReceiver, SYNC_SIGNATURE_BYTES, SyncSnapshotReceiver, syncSnapshotChunks, type SyncSnapshotOptions,
} from '../../src/storage/snapshot/sync-stream.js';
import type { ACL } from '../../src/jute/records.js';
import { DataTree } from '../../src/tree/index.js';
import { Perm } from '../../src/protocol/constants.js';
import { chunksOf, DIGEST_ACL, READ_ONLY, treeView, Writer } from './snapshot-fixtures.js';

after(() => closeSnapshotPool());

const S1 = 0x100000abcdef01n;
const S2 = 0x2000000000002an;
const SESSIONS: ReadonlyMap<bigint, number> = new Map([[S1, 30_000], [S2, 4_000], [-7n, 10_000], [0x7fff_ffff_ffff_ffffn, 40_000]]);
const MIXED_ACL: ACL[] = [...DIGEST_ACL, { perms: Perm.READ | Perm.WRITE, id: { scheme: 'world', id: 'anyone' } }];
/** The signature as its own bytes, written here by hand rather than taken from the module. */
const BEN = Buffer.concat([Buffer.from([0, 0, 0, 10]), Buffer.from('BenWasHere', 'latin1')]);

/** Deterministic bytes, every value 0-255 included. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** A tree with what a leader's tree holds, built through txns as a server builds it. */
function sourceTree(): Writer {
  const w = new Writer(new DataTree({ extendedTypesEnabled: true }));
  w.create('/app', Buffer.from('app'));
  w.create('/app/null', null);
  w.create('/app/empty', Buffer.alloc(0));
  // Data that holds the end-of-nodes marker and the signature: only lengths delimit records.
  w.create('/app/binary', Buffer.concat([Buffer.from([0, 0, 0, 1, 0x2f]), BEN, bytes(300, 1)]));
  w.create('/app/big', bytes(100 * 1024, 2));
  w.create('/app/secure', Buffer.from('digest'), { acl: DIGEST_ACL });
  w.create('/app/secure/inner', Buffer.from('also digest'), { acl: DIGEST_ACL });
  w.create('/app/ro', Buffer.from('read only'), { acl: READ_ONLY });
  w.create('/app/mixed', Buffer.from('mixed'), { acl: MIXED_ACL });
  w.create('/app/eph', Buffer.from('e1'), { owner: S1 });
  w.create('/app/eph2', null, { owner: S2 });
  w.create('/app/container', null, { type: 19 });
  w.create('/app/container/child', Buffer.from('c'));
  w.create('/app/ttl', Buffer.from('t'), { type: 21, ttl: 3_600_000 });
  w.create('/app/ünïcødé-ノード', Buffer.from('ユニコード'));
  w.create('/a', null);
  w.create('/a/b', null);
  w.create('/a/b/c', Buffer.from('c'));
  w.create('/a/b/c/d', Buffer.from('d'));
  w.create('/a/b/c/d/e', Buffer.from('e'), { acl: READ_ONLY });
  // Sequential children, as the request pipeline names them; ephemeral ones among them.
  w.create('/locks', null);
  for (let i = 0; i < 40; i++) {
    w.create(`/locks/lock-${String(i).padStart(10, '0')}`, Buffer.from(`holder ${i}`), i % 3 === 0 ? { owner: S1 } : {});
  }
  // A parent whose children span many HashSet buckets (getChildren order is modelled).
  w.create('/wide', Buffer.from('wide'));
  for (let i = 0; i < 300; i++) w.create(`/wide/c${i}`, Buffer.from(`child ${i}`), { acl: i % 7 === 0 ? DIGEST_ACL : undefined });
  w.apply({ type: 5, path: '/app', data: Buffer.from('app, changed'), version: 1 });
  w.apply({ type: 7, path: '/app/ro', acl: MIXED_ACL, version: 1 });
  w.apply({ type: 2, path: '/wide/c5' });
  w.apply({ type: 2, path: '/locks/lock-0000000007' });
  return w;
}

async function streamOf(tree: DataTree, sessions = SESSIONS, opts: SyncSnapshotOptions = {}): Promise<{ chunks: Buffer[]; bytes: Buffer }> {
  const chunks: Buffer[] = [];
  for await (const c of syncSnapshotChunks(tree, sessions, opts)) {
    assert.ok(Buffer.isBuffer(c));
    chunks.push(Buffer.from(c));
  }
  return { chunks, bytes: Buffer.concat(chunks) };
}

/** Feeds `pieces` until the receiver is done; returns its leftover plus everything not fed. */
function feed(rx: SyncSnapshotReceiver, pieces: readonly Buffer[]): Buffer {
  for (let i = 0; i < pieces.length; i++) {
    const r = rx.push(pieces[i]);
    if (r !== null) {
      assert.ok(rx.done);
      return Buffer.concat([r, ...pieces.slice(i + 1)]);
    }
    assert.equal(rx.done, false);
  }
  assert.fail(`the receiver wanted more after ${pieces.length} pieces`);
}

function receive(input: Buffer | readonly Buffer[], pieceSize?: number, tree = new DataTree({ extendedTypesEnabled: true })) {
  const rx = new SyncSnapshotReceiver(tree, {});
  const pieces = Buffer.isBuffer(input) ? (pieceSize === undefined ? [input] : chunksOf(input, pieceSize)) : input;
  // Copies: the receiver keeps pushed chunks by reference.
  const leftover = feed(rx, pieces.map((p) => Buffer.from(p)));
  return { rx, tree, leftover };
}

/** The receiver's tree is the source's, field by field. */
function assertSameTree(copy: DataTree, tree: DataTree): void {
  assert.deepEqual(treeView(copy), treeView(tree));
  const order = (t: DataTree) => [...t.nodesInSnapshotOrder()].map(([p]) => p);
  assert.deepEqual(order(copy), order(tree));
  for (const [path, node] of tree.nodesInSnapshotOrder()) {
    const c = copy.getNode(path);
    assert.ok(c !== undefined, path);
    assert.equal(c.data === null, node.data === null, path);
    if (node.data !== null) assert.ok(c.data!.equals(node.data), path);
    assert.equal(c.aclRef, node.aclRef, path);
    assert.deepEqual(copy.getACL(c), tree.getACL(node), path);
    assert.deepEqual(c.statPersisted(), node.statPersisted(), path);
    assert.deepEqual(c.stat(), node.stat(), path);
    assert.deepEqual(c.childNamesInZooKeeperOrder(), node.childNamesInZooKeeperOrder(), path);
  }
  assert.notEqual(tree.digest(), 0n);
  assert.equal(copy.digest(), tree.digest());
  assert.equal(copy.nodeCount(), tree.nodeCount());
  assert.equal(copy.approximateDataSize(), tree.approximateDataSize());
  assert.deepEqual(copy.aclCache.entries(), tree.aclCache.entries());
  for (const [ref] of tree.aclCache.entries()) assert.equal(copy.aclCache.usageOf(ref), tree.aclCache.usageOf(ref), `aclRef ${ref}`);
  const ephemerals = (t: DataTree) => [...t.ephemeralSessions()].map(([s, set]) => [s, [...set].sort()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  assert.deepEqual(ephemerals(copy), ephemerals(tree));
  assert.deepEqual([...copy.containers].sort(), [...tree.containers].sort());
  assert.deepEqual([...copy.ttls].sort(), [...tree.ttls].sort());
}

describe('SNAP sync stream: leader', () => {
  it('is the quorum-framed snapshot body of the existing encoder, then the ustring "BenWasHere"', async () => {
    const { tree } = sourceTree();
    const { bytes } = await streamOf(tree);
    const nodes: SnapshotNode[] = [...tree.nodesInSnapshotOrder()]
      .map(([path, n]) => ({ path, data: n.data, aclRef: n.aclRef, stat: n.statPersisted() }));
    const body = Buffer.concat([...encodeSnapshot({
      header: defaultFileHeader(), sessions: SESSIONS, acls: tree.aclCache.entries(), nodes, digest: null, lastProcessedZxid: null,
    }, { framing: 'quorum' })]);
    assert.ok(bytes.equals(Buffer.concat([body, BEN])));
    assert.ok(SYNC_SIGNATURE_BYTES.equals(BEN));
    // No ZKSN header: the stream opens with the session count; the root comes after the ACL map
    // with path ""; it closes with "/" and the signature, no seal between them.
    assert.equal(bytes.readInt32BE(0), SESSIONS.size);
    assert.ok(bytes.subarray(bytes.length - 19).equals(Buffer.concat([Buffer.from([0, 0, 0, 1, 0x2f]), BEN])));
    assert.equal(bytes.indexOf(Buffer.from('ZKSN')), -1);
  });

  it('walks in small batches and slices the same bytes; chunks stay intact once handed out', async () => {
    const { tree } = sourceTree();
    const whole = await streamOf(tree);
    // Kept as handed out, not copied: a socket holds written chunks until the kernel takes them.
    const raw: Buffer[] = [];
    for await (const c of syncSnapshotChunks(tree, SESSIONS, { batchNodes: 7, batchBytes: 2048, maxInFlight: 2, sliceMs: 0.01 })) {
      raw.push(c);
    }
    assert.ok(raw.length > 50);
    assert.ok(Buffer.concat(raw).equals(whole.bytes));
    // Chunks of 64 KiB and more are where takeSnapshot would hand out views of its shared ring.
    const w = new Writer(new DataTree());
    for (let i = 0; i < 40; i++) w.create(`/n${i}`, Buffer.alloc(70 * 1024, i));
    const big: Buffer[] = [];
    const copies: Buffer[] = [];
    for await (const c of syncSnapshotChunks(w.tree, new Map(), { batchBytes: 80 * 1024 })) {
      big.push(c);
      copies.push(Buffer.from(c));
    }
    assert.ok(big.length > 20);
    assert.ok(Buffer.concat(big).equals(Buffer.concat(copies)));
  });

  it('takes the sessions and the ACL map on the call; the nodes fuzzily while the stream is read', async () => {
    const w = sourceTree();
    const sessions = new Map(SESSIONS);
    const zxid = w.zxid;
    const logFrom = w.log.length;
    const stream = syncSnapshotChunks(w.tree, sessions, { batchNodes: 16, batchBytes: 4096, maxInFlight: 1 });
    sessions.set(0x55n, 1000);
    const chunks: Buffer[] = [];
    let i = 0;
    for await (const c of stream) {
      chunks.push(c);
      // The leader keeps committing while the learner is being sent the tree.
      i++;
      w.create(`/wide/late-${i}`, Buffer.from(`late ${i}`), i === 3 ? { acl: [{ perms: Perm.READ, id: { scheme: 'ip', id: '10.0.0.1' } }] } : {});
      if (i % 2 === 0) w.apply({ type: 2, path: `/wide/c${100 + i}` });
      if (i % 3 === 0) w.apply({ type: 5, path: `/locks/lock-${String(i).padStart(10, '0')}`, data: Buffer.from(`moved ${i}`), version: 1 });
      if (i === 4) w.apply({ type: 2, path: '/app/eph2' }, S2);
    }
    const { rx, tree: copy } = receive(chunks);
    assert.deepEqual(rx.sessions, new Map(SESSIONS));
    // The learner replays what the leader committed after the SNAP zxid, as it does with the
    // proposals that follow the stream.
    copy.lastProcessedZxid = zxid;
    for (const [hdr, txn] of w.log.slice(logFrom)) copy.apply(hdr, txn);
    assert.ok(w.log.length - logFrom > 10);
    assert.deepEqual(treeView(copy), treeView(w.tree));
    assert.equal(copy.digest(), w.tree.digest());
    assert.deepEqual(copy.aclCache.entries(), w.tree.aclCache.entries());
  });

  it('stopping early ends the walk, and a later stream is whole', async () => {
    const { tree } = sourceTree();
    let n = 0;
    for await (const _ of syncSnapshotChunks(tree, SESSIONS, { batchNodes: 8, batchBytes: 1024 })) {
      if (++n === 3) break;
    }
    const { bytes } = await streamOf(tree);
    const { tree: copy } = receive(bytes);
    assertSameTree(copy, tree);
  });
});

describe('SNAP sync stream: learner', () => {
  const trailing = Buffer.concat([Buffer.from([0, 0, 0, 10, 0, 0, 0, 0x5a]), bytes(37, 9), Buffer.from('NEWLEADER…')]);

  for (const [label, size] of [['1-byte', 1], ['7-byte', 7], ['4 KiB', 4096], ['whole', undefined]] as const) {
    it(`rebuilds the leader's tree from ${label} pieces and hands back the bytes after the signature exactly`, async () => {
      const { tree } = sourceTree();
      const { bytes } = await streamOf(tree);
      const { rx, tree: copy, leftover } = receive(Buffer.concat([bytes, trailing]), size);
      assert.ok(leftover.equals(trailing));
      assert.deepEqual(rx.sessions, new Map(SESSIONS));
      assert.equal(rx.nodeCount, [...tree.nodesInSnapshotOrder()].length);
      copy.lastProcessedZxid = tree.lastProcessedZxid;
      assertSameTree(copy, tree);
      // The copy streams the same bytes on: a learner that becomes leader sends what it got.
      assert.ok((await streamOf(copy)).bytes.equals(bytes));
    });
  }

  it('takes the leader\'s own chunks, with nothing after the signature (empty leftover)', async () => {
    const { tree } = sourceTree();
    const { chunks } = await streamOf(tree, SESSIONS, { batchNodes: 5, batchBytes: 1000 });
    const { rx, tree: copy, leftover } = receive(chunks);
    assert.equal(leftover.length, 0);
    assert.ok(rx.done);
    rx.end();
    assertSameTree(copy, tree);
  });

  it('nodes and their digests stay in step with the leader\'s after the same changes', async () => {
    const w = sourceTree();
    const { bytes } = await streamOf(w.tree);
    const { tree: copy } = receive(bytes, 1000);
    copy.lastProcessedZxid = w.tree.lastProcessedZxid;
    const from = w.log.length;
    for (const [path] of [...w.tree.nodesInSnapshotOrder()].filter(([p]) => p.startsWith('/wide/') || p.startsWith('/app/'))) {
      w.apply({ type: 5, path, data: Buffer.from(`changed ${path}`), version: 9 });
    }
    w.apply({ type: -11, paths2Delete: null }, S1);
    for (const [hdr, txn] of w.log.slice(from)) copy.apply(hdr, txn);
    assertSameTree(copy, w.tree);
    assert.deepEqual([...copy.ephemeralsOf(S1)], []);
  });

  it('a tree with digests off is rebuilt as such', async () => {
    const w = new Writer(new DataTree({ digestEnabled: false }));
    w.create('/x', Buffer.from('x'));
    const { bytes } = await streamOf(w.tree, new Map());
    const copy = new DataTree({ digestEnabled: false });
    const { rx } = receive(bytes, 3, copy);
    assert.equal(rx.sessions.size, 0);
    assert.deepEqual(treeView(copy), treeView(w.tree));
    assert.equal(copy.digest(), 0n);
  });
});

describe('SNAP sync stream: bad streams', () => {
  async function goodStream(): Promise<Buffer> {
    const w = new Writer(new DataTree());
    w.create('/a', Buffer.from('a'));
    w.create('/a/b', Buffer.from('b'), { acl: DIGEST_ACL });
    return (await streamOf(w.tree, new Map([[S1, 5000]]))).bytes;
  }

  /** Pushes `input` in `size` pieces and returns the error thrown. */
  function pushError(input: Buffer, size = input.length): StorageCorruptError {
    const rx = new SyncSnapshotReceiver(new DataTree(), {});
    for (const p of chunksOf(input, size)) {
      try {
        if (rx.push(Buffer.from(p)) !== null) assert.fail('the stream was accepted');
      } catch (err) {
        assert.ok(err instanceof StorageCorruptError, `expected StorageCorruptError, got ${String(err)}`);
        assert.equal(err.file, 'SNAP sync stream');
        assert.throws(() => rx.push(Buffer.alloc(1)), /push after an error/);
        return err;
      }
    }
    assert.fail('no error');
  }

  it('a wrong signature is "Missing signature", in one piece or byte by byte', async () => {
    const good = await goodStream();
    const bad = Buffer.concat([good.subarray(0, good.length - 1), Buffer.from('x')]);
    for (const size of [bad.length, 1, 5]) {
      const err = pushError(bad, size);
      assert.match(err.message, /Missing signature: expected "BenWasHere", got "BenWasHerx"/);
      assert.equal(err.offset, good.length - 14);
    }
  });

  it('anything but the signature after the nodes is "Missing signature"', async () => {
    const good = await goodStream();
    const body = good.subarray(0, good.length - 14);
    // A leader that sent its next packet straight after the nodes; a null string; a longer one.
    for (const after of [Buffer.from([0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff]),
      Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('BenWasHere!')])]) {
      assert.match(pushError(Buffer.concat([body, after])).message, /Missing signature: expected the string "BenWasHere", found a string length of/);
    }
  });

  it('a stream cut anywhere wants more, and end() says where it was cut', async () => {
    const good = await goodStream();
    const cases: Array<[number, RegExp]> = [
      [0, /truncated \(in the session list\)/],
      [2, /truncated \(in the session list\)/],
      [10, /truncated \(in the session list\)/],
      [20, /truncated \(in the ACL map\)/],
      [good.length - 14 - 5 - 30, /truncated \(after \d+ nodes, before the end-of-nodes marker\)/],
      [good.length - 14 - 1, /truncated \(after 6 nodes, before the end-of-nodes marker\)/],
      [good.length - 14, /Missing signature: the stream ended 0 bytes into "BenWasHere"/],
      [good.length - 12, /Missing signature: the stream ended 2 bytes into "BenWasHere"/],
      [good.length - 1, /Missing signature: the stream ended 13 bytes into "BenWasHere"/],
    ];
    for (const [cut, message] of cases) {
      for (const size of [1, 7, Math.max(cut, 1)]) {
        const rx = new SyncSnapshotReceiver(new DataTree(), {});
        for (const p of chunksOf(good.subarray(0, cut), size)) assert.equal(rx.push(Buffer.from(p)), null, `cut at ${cut}`);
        assert.throws(() => rx.end(), (err: unknown) => err instanceof StorageCorruptError && message.test(err.message), `cut at ${cut}`);
      }
    }
  });

  it('corrupt lengths and counts are refused at their offset', async () => {
    const good = await goodStream();
    const at = (offset: number, int: number): Buffer => {
      const b = Buffer.from(good);
      b.writeInt32BE(int, offset);
      return b;
    };
    let err = pushError(at(0, -3));
    assert.match(err.message, /at offset 0: negative session count -3/);
    err = pushError(at(16, -1), 5);
    assert.match(err.message, /negative ACL map size -1/);
    // The root's record: path "" at 4 + 12 + 4 + aclMapBytes; find it by its empty path and data.
    const rootAt = good.indexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), 20);
    err = pushError(at(rootAt + 4, -9), 3);
    assert.match(err.message, new RegExp(`at offset ${rootAt + 4}: unreasonable data length -9`));
    err = pushError(at(rootAt, 0x7fffffff));
    assert.match(err.message, /unreasonable path length 2147483647/);
  });

  it('a node before its parent, or no root, is refused as ZooKeeper refuses it', () => {
    const stat = { czxid: 1, mzxid: 1, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 1 };
    const stream = (paths: string[]): Buffer => Buffer.concat([...encodeSnapshot({
      header: defaultFileHeader(), sessions: new Map(), acls: [], digest: null, lastProcessedZxid: null,
      nodes: paths.map((path) => ({ path, data: null, aclRef: -1n, stat })),
    }, { framing: 'quorum' }), BEN]);
    assert.match(pushError(stream(['', '/a/b'])).message, /unable to find parent \/a of path \/a\/b/);
    assert.match(pushError(stream(['/a'])).message, /unable to find parent {2}of path \/a/);
    assert.match(pushError(stream([])).message, /snapshot has no root/);
    // The smallest good stream: a root alone.
    const { tree } = receive(stream(['']));
    assert.equal(tree.nodeCount(), 2);
  });

  it('pushing after the end is a caller error: the bytes after the signature are the caller\'s', async () => {
    const good = await goodStream();
    const rx = new SyncSnapshotReceiver(new DataTree(), {});
    assert.equal(rx.push(good)!.length, 0);
    assert.throws(() => rx.push(Buffer.from([1])), /already complete/);
  });
});

describe('SNAP sync stream: learner with the worker pool (PooledSyncSnapshotReceiver)', () => {
  const trailing = Buffer.concat([Buffer.from([0, 0, 0, 10, 0, 0, 0, 0x5a]), bytes(37, 9), Buffer.from('NEWLEADER…')]);

  /** Pushes the pieces (a turn of the event loop between some), resolves with what onDone got. */
  function receivePooled(pieces: readonly Buffer[], tree = new DataTree({ extendedTypesEnabled: true }), end = false) {
    return new Promise<{ err: Error | null; rest: Buffer; rx: PooledSyncSnapshotReceiver; tree: DataTree }>((resolve) => {
      const rx: PooledSyncSnapshotReceiver = new PooledSyncSnapshotReceiver(tree, (err, rest) => resolve({ err, rest, rx, tree }));
      void (async () => {
        for (let i = 0; i < pieces.length; i++) {
          if (rx.finished) return;
          rx.push(Buffer.from(pieces[i]));
          if (i % 7 === 0) await new Promise((r) => setImmediate(r));
        }
        if (end) rx.end();
      })();
    });
  }

  for (const [label, size] of [['1-byte', 1], ['4 KiB', 4096], ['whole', undefined]] as const) {
    it(`rebuilds the leader's tree from ${label} pieces and gives back every byte after the signature, in order`, async () => {
      const { tree } = sourceTree();
      const { bytes: stream } = await streamOf(tree);
      const input = Buffer.concat([stream, trailing]);
      const { err, rest, rx, tree: copy } = await receivePooled(size === undefined ? [input] : chunksOf(input, size));
      assert.equal(err, null);
      assert.ok(rest.equals(trailing), `rest: ${rest.length} bytes`);
      assert.deepEqual(rx.sessions, new Map(SESSIONS));
      assert.equal(rx.nodeCount, [...tree.nodesInSnapshotOrder()].length);
      copy.lastProcessedZxid = tree.lastProcessedZxid;
      assertSameTree(copy, tree);
    });
  }

  it('a wrong signature and a cut stream fail with the offsets the in-thread receiver names', async () => {
    const w = new Writer(new DataTree());
    w.create('/a', Buffer.from('a'));
    const good = (await streamOf(w.tree, new Map([[S1, 5000]]))).bytes;
    const bad = Buffer.concat([good.subarray(0, good.length - 1), Buffer.from('x')]);
    const wrong = await receivePooled(chunksOf(bad, 5), new DataTree());
    assert.ok(wrong.err instanceof StorageCorruptError);
    assert.match(wrong.err.message, /Missing signature: expected "BenWasHere", got "BenWasHerx"/);
    assert.equal(wrong.err.offset, good.length - 14);
    const cutInNodes = await receivePooled([good.subarray(0, good.length - 20)], new DataTree(), true);
    assert.ok(cutInNodes.err instanceof StorageCorruptError);
    assert.match(cutInNodes.err.message, /truncated \(after \d+ nodes, before the end-of-nodes marker\)/);
    const cutInSignature = await receivePooled([good.subarray(0, good.length - 12)], new DataTree(), true);
    assert.ok(cutInSignature.err instanceof StorageCorruptError);
    assert.match(cutInSignature.err.message, /Missing signature: the stream ended 2 bytes into "BenWasHere"/);
  });
});
