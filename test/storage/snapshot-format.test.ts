// The snapshot format against Apache ZooKeeper 3.8's own files: decoding every fixture snapshot,
// re-encoding it byte for byte, the Adler-32 seals, trailer variants, corruption and truncation.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageCorruptError } from '../../src/storage/errors.js';
import {
  adler32, adler32Combine, adler32Uncombine, ADLER32_INIT, decodeSnapshot, encodeSnapshot, SnapshotDecoder, SNAP_MAGIC,
  type DecodedSnapshot, type SnapshotNode,
} from '../../src/storage/snapshot/index.js';
import { JuteWriter } from '../../src/jute/writer.js';
import {
  aclStrings, CHANGED_AFTER_NEWEST, chunksOf, dumpFieldsOf, FIXTURE_SNAPSHOTS, hex, NEWEST_SNAPSHOT,
  NEWEST_ZXID, parseSnapshotDump, readFixture, readShutdownSnapshot, readSnapshotDumpText, readZnodesJson,
} from './snapshot-fixtures.js';

const decodeBytes = (bytes: Buffer, chunkSize = 1000, file = 'snapshot'): Promise<DecodedSnapshot> =>
  decodeSnapshot(chunksOf(bytes, chunkSize), { file });

function reencode(snap: DecodedSnapshot, chunkBytes?: number): Buffer {
  return Buffer.concat([...encodeSnapshot(snap, { chunkBytes })]);
}

async function corruptError(bytes: Buffer, file = NEWEST_SNAPSHOT): Promise<StorageCorruptError> {
  try {
    await decodeBytes(bytes, 4096, file);
  } catch (err) {
    assert.ok(err instanceof StorageCorruptError, `expected StorageCorruptError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_STORAGE_CORRUPT');
    assert.equal(err.file, file);
    assert.match(err.message, new RegExp(`^${file} is corrupt at offset ${err.offset}: `));
    return err;
  }
  assert.fail('decoding succeeded');
}

/**
 * Checks every znode of znodes.json but `skip` against the decoded snapshot, with the client-visible
 * fields derived as ZooKeeper derives them; returns how many were compared.
 */
function compareWithClientView(snap: DecodedSnapshot, skip: ReadonlySet<string>): number {
  const acls = new Map(snap.acls);
  const byPath = new Map(snap.nodes.map((n) => [n.path === '' ? '/' : n.path, n]));
  const childCount = new Map<string, number>();
  for (const n of snap.nodes) {
    if (n.path === '') continue;
    const parent = n.path.slice(0, n.path.lastIndexOf('/')) || '/';
    childCount.set(parent, (childCount.get(parent) ?? 0) + 1);
  }
  let compared = 0;
  for (const [path, j] of readZnodesJson()) {
    if (skip.has(path)) continue;
    const n = byPath.get(path);
    assert.ok(n !== undefined, `snapshot has ${path}`);
    assert.equal(n.data === null, j.data_null, `${path} null data`);
    assert.equal((n.data ?? Buffer.alloc(0)).toString('base64'), j.data_b64, `${path} data`);
    const acl = n.aclRef === -1n ? ['world:anyone:cdrwa'] : aclStrings(acls.get(n.aclRef)!);
    assert.deepEqual(acl, j.acl, `${path} acl`);
    const numChildren = childCount.get(path) ?? 0;
    const owner = n.stat.ephemeralOwner;
    // Container (0x8000…) and TTL (0xff…) markers read as 0 for clients.
    const clientOwner = owner < 0n ? 0n : owner;
    assert.deepEqual({
      czxid: hex(n.stat.czxid), mzxid: hex(n.stat.mzxid), pzxid: hex(n.stat.pzxid), ctime: n.stat.ctime, mtime: n.stat.mtime,
      // Snapshots store creates only; clients see creates and deletes (ZooKeeper's v3 cversion).
      version: n.stat.version, cversion: n.stat.cversion * 2 - numChildren, aversion: n.stat.aversion,
      ephemeralOwner: hex(clientOwner), dataLength: n.data?.length ?? 0, numChildren,
    }, j.stat, `${path} stat`);
    compared++;
  }
  return compared;
}

describe('adler32', () => {
  it('matches java.util.zip.Adler32', () => {
    assert.equal(adler32(ADLER32_INIT, Buffer.alloc(0)), 1);
    assert.equal(adler32(ADLER32_INIT, Buffer.from('Wikipedia')), 0x11e60398);
    // A million 0xff bytes: a, b reduced many times over (checked against zlib's adler32).
    assert.equal(adler32(ADLER32_INIT, Buffer.alloc(1_000_000, 0xff)), 0x3843e1be);
  });

  it('continues and combines: any split gives the checksum of the whole', () => {
    const bytes = Buffer.alloc(100_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + (i >> 5)) & 0xff;
    const whole = adler32(ADLER32_INIT, bytes);
    for (const cut of [0, 1, 3799, 3800, 65521, 65522, 99_999, 100_000]) {
      const left = adler32(ADLER32_INIT, bytes, 0, cut);
      assert.equal(adler32(left, bytes, cut), whole, `continue at ${cut}`);
      assert.equal(adler32Combine(left, adler32(ADLER32_INIT, bytes, cut), bytes.length - cut), whole, `combine at ${cut}`);
      assert.equal(adler32Uncombine(whole, left, bytes.length - cut), adler32(ADLER32_INIT, bytes, cut), `uncombine at ${cut}`);
    }
  });
});

describe('decoding ZooKeeper 3.8 snapshots', () => {
  it('decodes every fixture snapshot: header, nodes in depth-first order, seals, digest trailer', async () => {
    for (const [name, zxid] of FIXTURE_SNAPSHOTS) {
      const snap = await decodeBytes(readFixture(name), 333, name);
      assert.deepEqual(snap.header, { magic: SNAP_MAGIC, version: 2, dbid: -1n }, name);
      assert.equal(snap.nodes[0].path, '', `${name}: the root comes first, named ""`);
      const seen = new Set<string>();
      for (const n of snap.nodes) {
        if (n.path !== '') assert.ok(seen.has(n.path.slice(0, n.path.lastIndexOf('/'))), `${name}: parent of ${n.path} first`);
        seen.add(n.path);
      }
      assert.equal(seen.size, snap.nodes.length, `${name}: no path twice`);
      assert.ok(seen.has('/zookeeper/config') && seen.has('/zookeeper/quota'), name);
      // Digests are on in 3.8: every file has the trailer (and no 3.9 lastProcessedZxid section).
      assert.notEqual(snap.digest, null, name);
      assert.equal(snap.digest!.digestVersion, 2);
      assert.equal(snap.lastProcessedZxid, null);
      if (zxid === 0) assert.deepEqual(snap.digest, { zxid: 0, digestVersion: 2, digest: 0n });
      else assert.ok(snap.digest!.zxid >= zxid, `${name}: trailer zxid ${hex(snap.digest!.zxid)} >= file zxid`);
    }
  });

  it('snapshot.0 holds only the built-in nodes and the /zookeeper/config ACL', async () => {
    const snap = await decodeBytes(readFixture('snapshot.0'));
    assert.deepEqual(snap.nodes.map((n) => n.path), ['', '/zookeeper', '/zookeeper/config', '/zookeeper/quota']);
    assert.equal(snap.sessions.size, 0);
    assert.deepEqual(snap.acls, [[1n, [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]]]);
    const config = snap.nodes[2];
    assert.equal(config.aclRef, 1n);
    assert.equal(config.stat.aversion, -1);
    assert.match(config.data!.toString(), /^server\.1=127\.0\.0\.1:22891:23891:participant\n/);
  });

  it('the fuzzy snapshot.100000036 names a later zxid in its trailer, and one open session', async () => {
    const snap = await decodeBytes(readFixture('snapshot.100000036'));
    assert.equal(snap.digest!.zxid, 0x100000037);
    assert.equal(snap.sessions.size, 1);
  });

  it('the newest snapshot matches SnapshotFormatter -d field for field', async () => {
    const snap = await decodeBytes(readFixture(NEWEST_SNAPSHOT), 8192);
    const dump = parseSnapshotDump(readSnapshotDumpText());
    // getNodeCount() counts the root under "" and "/".
    assert.equal(dump.count, snap.nodes.length + 1);
    assert.equal(dump.nodes.size, snap.nodes.length);
    for (const n of snap.nodes) {
      const printed = dump.nodes.get(n.path === '' ? '/' : n.path);
      assert.ok(printed !== undefined, `dump lists ${n.path}`);
      assert.deepEqual(dumpFieldsOf(n.stat, n.data), printed.fields, n.path);
    }
    assert.deepEqual(dump.sessions, []);
    assert.equal(snap.sessions.size, 0);
    assert.equal(dump.lastZxid, '0x100000114');
    assert.deepEqual(snap.digest, { zxid: NEWEST_ZXID, digestVersion: 2, digest: 597846763628n });
  });

  it('the newest snapshot matches what a client read at shutdown, but for the log-only changes', async () => {
    const snap = await decodeBytes(readFixture(NEWEST_SNAPSHOT));
    const compared = compareWithClientView(snap, CHANGED_AFTER_NEWEST);
    assert.equal(compared, readZnodesJson().size - CHANGED_AFTER_NEWEST.size);
    const byPath = new Map(snap.nodes.map((n) => [n.path, n]));
    assert.equal(byPath.get('/app/eph'), undefined, '/app/eph only exists in the log after the snapshot');
    assert.equal(byPath.get('/app/container')!.stat.ephemeralOwner, -0x8000000000000000n);
    assert.equal(BigInt.asUintN(64, byPath.get('/app/ttl')!.stat.ephemeralOwner), 0xff0000000036ee80n);
  });

  it('the snapshot ZooKeeper wrote at start-up (the gz fixture, decompressed) is the client\'s view exactly', async () => {
    const raw = readShutdownSnapshot();
    const snap = await decodeBytes(raw, 4096);
    assert.equal(compareWithClientView(snap, new Set()), readZnodesJson().size);
    // The session that owned the ephemerals was still open.
    assert.deepEqual([...snap.sessions], [[0x300000d6def0002n, 30_000]]);
    const owners = snap.nodes.filter((n) => n.path.startsWith('/app/eph')).map((n) => n.stat.ephemeralOwner);
    assert.deepEqual(owners, [0x300000d6def0002n, 0x300000d6def0002n]);
    assert.equal(snap.digest?.zxid, 0x10000011b);
    assert.ok(reencode(snap).equals(raw), 're-encodes byte for byte');
  });

  it('gives the same result whatever the chunk sizes, down to single bytes', async () => {
    const bytes = readFixture(NEWEST_SNAPSHOT);
    const whole = await decodeSnapshot([bytes]);
    assert.deepEqual(await decodeBytes(bytes, 1), whole);
    assert.deepEqual(await decodeBytes(bytes, 7919), whole);
    // /app/big (8 KiB) spans many small chunks: it is assembled once, not chunk by chunk.
    assert.equal(whole.nodes.find((n) => n.path === '/app/big')!.data!.length, 8192);
  });
});

describe('encoding', () => {
  it('re-encodes every decoded fixture snapshot to the same bytes, seals included', async () => {
    for (const [name] of FIXTURE_SNAPSHOTS) {
      const bytes = readFixture(name);
      const snap = await decodeBytes(bytes);
      for (const chunkBytes of [64, 4096, undefined]) {
        assert.ok(reencode(snap, chunkBytes).equals(bytes), `${name} with chunks of ${chunkBytes ?? 'default'} bytes`);
      }
    }
  });

  it('writes the seal as ZooKeeper does: the Adler-32 of everything before it, then "/"', () => {
    const bytes = readFixture(NEWEST_SNAPSHOT);
    const seal1 = bytes.length - 46;
    const seal2 = bytes.length - 13;
    assert.deepEqual([...bytes.subarray(seal1 - 5, seal1)], [0, 0, 0, 1, 0x2f], 'end-of-nodes marker');
    assert.equal(bytes.readBigInt64BE(seal1), BigInt(adler32(ADLER32_INIT, bytes, 0, seal1)));
    assert.equal(bytes.readBigInt64BE(seal2), BigInt(adler32(ADLER32_INIT, bytes, 0, seal2)));
    assert.deepEqual([...bytes.subarray(bytes.length - 5)], [0, 0, 0, 1, 0x2f]);
  });

  it('writes and reads each trailer shape: no digest, 3.9 lastProcessedZxid, a pre-3.6 hex digest', async () => {
    const snap = await decodeBytes(readFixture('snapshot.100000036'));
    const variants: Array<Pick<DecodedSnapshot, 'digest' | 'lastProcessedZxid'>> = [
      { digest: null, lastProcessedZxid: null },
      { digest: snap.digest, lastProcessedZxid: 0x100000037 },
      { digest: null, lastProcessedZxid: 0x100000040 },
      { digest: { zxid: 0x100000037, digestVersion: 1, digest: -2n }, lastProcessedZxid: null },
    ];
    const plain = reencode({ ...snap, digest: null, lastProcessedZxid: null });
    for (const v of variants) {
      const bytes = reencode({ ...snap, ...v });
      const back = await decodeBytes(bytes, 100);
      assert.deepEqual({ digest: back.digest, lastProcessedZxid: back.lastProcessedZxid }, v);
      assert.deepEqual(back.nodes, snap.nodes);
      // Every shape starts with the same sealed body: 3.8 reads the rest as optional sections.
      assert.ok(bytes.subarray(0, plain.length).equals(plain));
    }
  });

  it('encodes the SNAP sync body (quorum framing) and leaves what follows it to the caller', async () => {
    const snap = await decodeBytes(readFixture(NEWEST_SNAPSHOT));
    const body = Buffer.concat([...encodeSnapshot(snap, { framing: 'quorum' })]);
    const file = readFixture(NEWEST_SNAPSHOT);
    // The same bytes as the file minus its 16-byte header and everything after the end marker.
    assert.ok(body.equals(file.subarray(16, file.length - 46)));
    const signature = new JuteWriter().writeUString('BenWasHere').toBuffer();
    const nodes: SnapshotNode[] = [];
    const decoder = new SnapshotDecoder({ head: () => {}, node: () => { nodes.push({} as SnapshotNode); } }, { framing: 'quorum' });
    for (const c of chunksOf(Buffer.concat([body, signature]), 500)) decoder.push(c);
    assert.deepEqual(decoder.end(), { digest: null, lastProcessedZxid: null });
    assert.equal(nodes.length, snap.nodes.length);
    assert.ok(decoder.leftover().equals(signature));
  });
});

describe('corrupt and truncated snapshots', () => {
  const bytes = readFixture(NEWEST_SNAPSHOT);
  const seal1 = bytes.length - 46;

  it('a changed data byte fails the seal, reported at the seal', async () => {
    const bad = Buffer.from(bytes);
    const at = bad.indexOf('0123456789abcdef');
    bad[at + 100] ^= 0x20;
    const err = await corruptError(bad);
    assert.equal(err.offset, seal1);
    assert.match(err.message, /checksum mismatch/);
  });

  it('a changed byte in the digest section fails the second seal', async () => {
    const bad = Buffer.from(bytes);
    bad[bytes.length - 16] ^= 1;
    assert.equal((await corruptError(bad)).offset, bytes.length - 13);
  });

  it('a changed seal fails even when the content is intact', async () => {
    const bad = Buffer.from(bytes);
    bad[seal1 + 7] ^= 1;
    assert.equal((await corruptError(bad)).offset, seal1);
  });

  it('an impossible length is reported where it stands', async () => {
    const bad = Buffer.from(bytes);
    const pathAt = bad.indexOf('/app/config') - 4;
    bad.writeInt32BE(0x7ffffff0, pathAt);
    const err = await corruptError(bad);
    assert.equal(err.offset, pathAt);
    assert.match(err.message, /unreasonable path length/);
  });

  it('a wrong magic is reported at offset 0', async () => {
    const bad = Buffer.from(bytes);
    bad.write('ZKLG', 0);
    const err = await corruptError(bad);
    assert.equal(err.offset, 0);
    assert.match(err.message, /bad magic/);
  });

  it('a truncated snapshot is an error at its end, wherever it was cut', async () => {
    for (const cut of [0, 10, 20, 1000, bytes.length - 100, seal1 - 1, seal1, seal1 + 5, bytes.length - 25, bytes.length - 1]) {
      const err = await corruptError(bytes.subarray(0, cut));
      assert.ok(err.offset <= cut && err.offset >= Math.min(cut, seal1) - 100, `cut at ${cut}: offset ${err.offset}`);
      assert.match(err.message, /truncated/, `cut at ${cut}`);
    }
  });

  it('a cut right after the first seal reads as a snapshot without a digest, as ZooKeeper reads it', async () => {
    // This is exactly what ZooKeeper writes with digests off: the two cannot be told apart.
    const snap = await decodeBytes(bytes.subarray(0, seal1 + 13));
    assert.equal(snap.digest, null);
    assert.equal(snap.nodes.length, 272);
  });

  it('data after the trailer is refused', async () => {
    const err = await corruptError(Buffer.concat([bytes, Buffer.alloc(3)]));
    assert.match(err.message, /stray bytes|after/);
  });
});
