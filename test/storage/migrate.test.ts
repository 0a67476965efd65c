// Migration between formats through the library: Apache ZooKeeper 3.8's data directory → filelog →
// level → filelog with the tree digest, node count, sessions and ACLs equal at every step and the
// source byte-identical; compressed snapshots; directories shaped like 3.4 (no digests, CreateTxnV0)
// and 3.9 (extra snapshot section); the target rules (non-empty, --force, overlap, failed checks).

import assert from 'node:assert/strict';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStorage } from '../../src/storage/index.js';
import { openDataDirReadOnly, restoreFingerprint, type RestoreFn, type TreeFingerprint } from '../../src/storage/inspect/index.js';
import { migrateDataDir, MigrationError, type MigrateOptions } from '../../src/storage/migrate/index.js';
import { closeSnapshotPool } from '../../src/storage/snapshot/index.js';
import { copyFixture, FIXTURE_COMPRESSED, tempDir, type TempDir } from './filelog-support.js';
import { generateDataDir, hashTree, quietStorageLogger, testRestore } from './migrate-support.js';

/** What ZooKeeper 3.8 itself reports for the fixture at its last zxid (the trailer of snapshot.10000011b.gz). */
const FIXTURE_LAST_ZXID = 0x10000011b;
const FIXTURE_DIGEST = 596966815839n;
const FIXTURE_NODE_COUNT = 275;

async function levelMissing(): Promise<string | false> {
  const t = await tempDir();
  try {
    const b = await openStorage('level', { dataDir: t.dir });
    await b.close();
    return false;
  } catch (err) {
    return `level backend not available yet (${err instanceof Error ? err.message : String(err)}): level hops skipped`;
  } finally {
    await t.remove();
  }
}

async function fingerprintOf(dataDir: string, dataLogDir?: string): Promise<TreeFingerprint> {
  const opened = await openDataDirReadOnly({ dataDir, dataLogDir }, { logger: quietStorageLogger });
  try {
    return (await restoreFingerprint(opened.backend, testRestore)).fingerprint;
  } finally {
    await opened.close();
  }
}

function migrate(from: string, to: string, format: 'filelog' | 'level' | 'zookeeper', extra: Partial<MigrateOptions> = {}) {
  return migrateDataDir({ from: { dataDir: from }, to: { format, dataDir: to }, restore: testRestore, ...extra });
}

function assertSameTree(a: TreeFingerprint, b: TreeFingerprint, what: string): void {
  assert.equal(b.lastZxid, a.lastZxid, `${what}: last zxid`);
  assert.equal(b.nodeCount, a.nodeCount, `${what}: node count`);
  assert.equal(b.digest, a.digest, `${what}: digest`);
  assert.equal(b.aclDigest, a.aclDigest, `${what}: ACLs`);
  assert.deepEqual(b.sessions, a.sessions, `${what}: sessions`);
}

describe('migrate: Apache ZooKeeper 3.8 fixture', () => {
  let tmp: TempDir;
  let source: string;
  let skipLevel: string | false;

  before(async () => {
    tmp = await tempDir();
    source = await copyFixture(tmp.dir);
    skipLevel = await levelMissing();
  });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  it('zookeeper → filelog → level → filelog: digests equal at every step, source untouched', async (t) => {
    const before = await hashTree(source);
    const original = await fingerprintOf(source);
    assert.equal(original.lastZxid, FIXTURE_LAST_ZXID);
    assert.equal(original.digest, FIXTURE_DIGEST, 'the digest ZooKeeper itself wrote for this tree');
    assert.equal(original.nodeCount, FIXTURE_NODE_COUNT);
    assert.equal(original.digestMismatches, 0);
    assert.deepEqual(original.sessions.map((s) => [s.sessionId, s.timeoutMs, s.ephemerals]), [[0x300000d6def0002n, 30000, 2]]);

    const lines: string[] = [];
    const first = await migrate(source, path.join(tmp.dir, 'filelog'), 'zookeeper', { progress: (l) => lines.push(l) });
    assert.equal(first.sourceFormat, 'filelog');
    assert.equal(first.targetFormat, 'filelog');
    assertSameTree(original, first.target, 'zookeeper → filelog');
    assert.equal(first.txnsCopied, 283);
    assert.deepEqual([...first.snapshotsCopied].sort((a, b) => a - b), [0, 0x100000036, 0x100000085, 0x1000000df, 0x100000114]);
    assert.deepEqual(first.epochs, { currentEpoch: 1, acceptedEpoch: 1 });
    assert.ok(lines.some((l) => /copy verified: same tree digest 0x8afdfeb85f/.test(l)), lines.join('\n'));
    // Read back independently of the migration's own check.
    assertSameTree(original, await fingerprintOf(path.join(tmp.dir, 'filelog')), 'filelog copy read back');
    const names = await readdir(path.join(tmp.dir, 'filelog', 'version-2'));
    assert.ok(names.includes('currentEpoch') && names.includes('acceptedEpoch'), names.join(' '));
    assert.ok(names.filter((n) => n.startsWith('log.')).length >= 5, `a log file per snapshot interval: ${names.join(' ')}`);

    if (skipLevel !== false) {
      t.diagnostic(skipLevel);
    } else {
      const second = await migrate(path.join(tmp.dir, 'filelog'), path.join(tmp.dir, 'level'), 'level');
      assert.equal(second.targetFormat, 'level');
      assertSameTree(original, second.target, 'filelog → level');
      assertSameTree(original, await fingerprintOf(path.join(tmp.dir, 'level')), 'level read back');
      const levelBefore = await hashTree(path.join(tmp.dir, 'level'));
      const third = await migrate(path.join(tmp.dir, 'level'), path.join(tmp.dir, 'back'), 'filelog');
      assert.deepEqual(await hashTree(path.join(tmp.dir, 'level')), levelBefore, 'a level source is only read too');
      assert.equal(third.sourceFormat, 'level');
      assertSameTree(original, third.target, 'level → filelog');
      assertSameTree(original, await fingerprintOf(path.join(tmp.dir, 'back')), 'filelog from level read back');
      assert.deepEqual(third.epochs, { currentEpoch: 1, acceptedEpoch: 1 });
    }
    assert.deepEqual(await hashTree(source), before, 'the source is byte-identical');
    assert.deepEqual((await readdir(tmp.dir)).filter((n) => n.startsWith('.')), [], 'no staging folder left behind');
  });

  it('--latest-only copies the snapshot the source restores from and the txns after it', async () => {
    const result = await migrate(source, path.join(tmp.dir, 'latest'), 'filelog', { latestOnly: true });
    assert.deepEqual(result.snapshotsCopied, [0x100000114]);
    assert.equal(result.txnsCopied, 7);
    assert.equal(result.target.digest, FIXTURE_DIGEST);
    assert.equal(result.target.nodeCount, FIXTURE_NODE_COUNT);
  });

  it('separate dataLogDirs on both sides', async () => {
    const split = path.join(tmp.dir, 'split');
    await mkdir(path.join(split, 'log'), { recursive: true });
    await cp(path.join(source, 'version-2'), path.join(split, 'data', 'version-2'), {
      recursive: true, filter: (p) => !/\/log\.[0-9a-f]+$/.test(p),
    });
    await cp(path.join(source, 'version-2'), path.join(split, 'log', 'version-2'), {
      recursive: true, filter: (p) => !/\/(snapshot\.|currentEpoch|acceptedEpoch)[0-9a-f]*$/.test(p),
    });
    const result = await migrateDataDir({
      from: { dataDir: path.join(split, 'data'), dataLogDir: path.join(split, 'log') },
      to: { format: 'filelog', dataDir: path.join(split, 'to-data'), dataLogDir: path.join(split, 'to-log') },
      restore: testRestore,
    });
    assert.equal(result.target.digest, FIXTURE_DIGEST);
    assert.ok((await readdir(path.join(split, 'to-log', 'version-2'))).some((n) => n.startsWith('log.')));
    assert.ok(!(await readdir(path.join(split, 'to-data', 'version-2'))).some((n) => n.startsWith('log.')));
    assert.equal((await fingerprintOf(path.join(split, 'to-data'), path.join(split, 'to-log'))).digest, FIXTURE_DIGEST);
  });

  it('refuses a non-empty target unless --force, and a target overlapping the source', async () => {
    const target = path.join(tmp.dir, 'occupied');
    await mkdir(target);
    await writeFile(path.join(target, 'keep.txt'), 'precious');
    await assert.rejects(migrate(source, target, 'filelog'),
      (err: unknown) => err instanceof MigrationError && err.code === 'ERR_MIGRATE_TARGET' && /not empty \(keep\.txt\).*--force/.test(err.message));
    assert.deepEqual(await readdir(target), ['keep.txt']);

    const forced = await migrate(source, target, 'filelog', { force: true });
    assert.equal(forced.target.digest, FIXTURE_DIGEST);
    assert.deepEqual(await readdir(target), ['version-2'], 'the old contents are replaced');

    await assert.rejects(migrate(source, path.join(source, 'inside'), 'level', { force: true }),
      (err: unknown) => err instanceof MigrationError && err.code === 'ERR_MIGRATE_TARGET' && /overlap/.test(err.message));
    await assert.rejects(migrate(source, source, 'level', { force: true }),
      (err: unknown) => err instanceof MigrationError && /overlap/.test(err.message));

    const empty = path.join(tmp.dir, 'empty-target');
    await mkdir(empty);
    assert.equal((await migrate(source, empty, 'filelog')).target.digest, FIXTURE_DIGEST, 'an empty folder is a fine target');
  });

  it('a copy that does not restore to the same tree fails loudly and leaves no target', async () => {
    let calls = 0;
    // The second restore (of the copy) loses a node: what a lossy copy would look like.
    const lossy: RestoreFn = async (backend, tree) => {
      const restored = await testRestore(backend, tree);
      if (++calls === 2) tree.deleteNode('/multi/a', tree.lastProcessedZxid);
      return restored;
    };
    const target = path.join(tmp.dir, 'lossy');
    await assert.rejects(migrateDataDir({ from: { dataDir: source }, to: { format: 'filelog', dataDir: target }, restore: lossy }),
      (err: unknown) => err instanceof MigrationError && err.code === 'ERR_MIGRATE_VERIFY'
        && /node count: source 275, target 274/.test(err.message) && /tree digest/.test(err.message));
    assert.deepEqual((await readdir(tmp.dir)).filter((n) => n.includes('lossy')), [], 'neither target nor staging folder');
  });
});

describe('migrate: compressed snapshots written by Apache ZooKeeper 3.8', () => {
  let tmp: TempDir;
  before(async () => { tmp = await tempDir(); });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  for (const name of ['snapshot.10000011b.gz', 'snapshot.10000011b.snappy']) {
    it(`${name} alone restores and migrates to the fixture's final tree`, async () => {
      const dir = path.join(tmp.dir, name);
      await mkdir(path.join(dir, 'version-2'), { recursive: true });
      await cp(path.join(FIXTURE_COMPRESSED, name), path.join(dir, 'version-2', name));
      const before = await hashTree(dir);
      const result = await migrate(dir, path.join(tmp.dir, `${name}-copy`), 'filelog');
      assert.equal(result.source.digest, FIXTURE_DIGEST);
      assert.equal(result.target.digest, FIXTURE_DIGEST);
      assert.equal(result.target.nodeCount, FIXTURE_NODE_COUNT);
      assert.equal(result.target.lastZxid, FIXTURE_LAST_ZXID);
      assert.deepEqual(result.target.sessions.map((s) => s.sessionId), [0x300000d6def0002n]);
      assert.deepEqual(result.snapshotsCopied, [FIXTURE_LAST_ZXID]);
      assert.deepEqual(await readdir(path.join(tmp.dir, `${name}-copy`, 'version-2')), ['snapshot.10000011b'], 'written uncompressed by default');
      assert.deepEqual(await hashTree(dir), before);
    });
  }

  it('--snapshot-compression gz writes gzip snapshots ZooKeeper can read', async () => {
    const dir = path.join(tmp.dir, 'snappy-src');
    await mkdir(path.join(dir, 'version-2'), { recursive: true });
    await cp(path.join(FIXTURE_COMPRESSED, 'snapshot.10000011b.snappy'), path.join(dir, 'version-2', 'snapshot.10000011b.snappy'));
    const target = path.join(tmp.dir, 'gz-copy');
    const result = await migrateDataDir({
      from: { dataDir: dir }, to: { format: 'filelog', dataDir: target, snapshotCompression: 'gz' }, restore: testRestore,
    });
    assert.equal(result.target.digest, FIXTURE_DIGEST);
    assert.deepEqual(await readdir(path.join(target, 'version-2')), ['snapshot.10000011b.gz']);
  });
});

describe('migrate: directories shaped like other ZooKeeper versions', () => {
  let tmp: TempDir;
  let skipLevel: string | false;
  before(async () => {
    tmp = await tempDir();
    skipLevel = await levelMissing();
  });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  const shapes = [
    { name: '3.4: no digests anywhere, CreateTxnV0 creates', opts: { creates: 300, txnDigests: false, snapshotDigest: false, createTxnV0: true, snapshotAfter: 120 } },
    { name: '3.9: the lastProcessedZxid snapshot section', opts: { creates: 300, lastZxidSection: true, snapshotAfter: 150, txnsPerFile: 70 } },
  ];
  for (const shape of shapes) {
    it(`${shape.name}: → level → filelog with the same tree`, async (t) => {
      const dir = path.join(tmp.dir, shape.name.slice(0, 3));
      const generated = await generateDataDir(dir, shape.opts);
      const original = await fingerprintOf(dir);
      assert.equal(original.lastZxid, generated.lastZxid);
      assert.equal(original.nodeCount, generated.nodeCount);
      assert.equal(original.digestMismatches, 0);
      const hop = skipLevel === false ? 'level' : 'filelog';
      if (skipLevel !== false) t.diagnostic(skipLevel);
      const first = await migrate(dir, path.join(dir + '-a'), hop);
      assertSameTree(original, first.target, `→ ${hop}`);
      const second = await migrate(path.join(dir + '-a'), path.join(dir + '-b'), 'filelog');
      assertSameTree(original, second.target, `${hop} → filelog`);
      assert.equal(second.txnsCopied, generated.lastZxid);
    });
  }
});
