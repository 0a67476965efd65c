// The filelog snapshot and epoch stores and the data directory layout: ZooKeeper's snapshot
// files (plain, gz, snappy) and validity rule, atomic writes, epoch files, dataDir/dataLogDir checks.

import assert from 'node:assert/strict';
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  FileEpochStore, FileSnapshotStore, openFilelogStorage, openStorage, StorageCorruptError, type StorageBackend,
} from '../../src/storage/index.js';
import { directWriteStats, readDirect } from '../../src/storage/filelog/snapshot-file-io.js';
import { chunked, collect, entry, rejectsWithCode, sealedSnapshot } from './conformance-support.js';
import {
  copyFixture, FIXTURE_COMPRESSED, FIXTURE_DATADIR, recordingLogger, tempDir, type TempDir,
} from './filelog-support.js';

const Z = 0x1_0000_0000;
let tmp: TempDir;
let counter = 0;

async function freshDir(): Promise<string> {
  const dir = path.join(tmp.dir, `d-${++counter}`);
  await mkdir(dir);
  return dir;
}

/** Whether this directory's file system opens files O_DIRECT (Linux; tmpfs only on newer kernels). */
async function directOpenWorks(dir: string): Promise<boolean> {
  const O_DIRECT = (fsConstants as Record<string, number | undefined>).O_DIRECT;
  if (O_DIRECT === undefined) return false;
  try {
    const handle = await open(path.join(dir, 'probe'), fsConstants.O_WRONLY | fsConstants.O_CREAT | O_DIRECT);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return false;
    throw err;
  }
}

async function readAll(iterable: AsyncIterable<Uint8Array>): Promise<Buffer> {
  return Buffer.concat(await collect(iterable));
}

async function withBackend<T>(backend: StorageBackend, body: (b: StorageBackend) => Promise<T>): Promise<T> {
  try {
    return await body(backend);
  } finally {
    await backend.close();
  }
}

describe('filelog: snapshot store', () => {
  before(async () => { tmp = await tempDir(); });
  after(() => tmp.remove());

  it('lists and opens the snapshots Apache ZooKeeper wrote', async () => {
    const dataDir = await copyFixture(await freshDir());
    await withBackend(await openFilelogStorage({ dataDir, logger: recordingLogger() }), async (b) => {
      const listed = await b.snapshots.list();
      assert.deepEqual(listed.map((s) => s.zxid), [0x100000114, 0x1000000df, 0x100000085, 0x100000036, 0]);
      assert.deepEqual(listed.map((s) => s.sizeBytes), [35493, 22210, 13390, 5648, 595]);
      const bytes = await readAll(b.snapshots.open(0x100000114));
      assert.ok(bytes.equals(await readFile(path.join(FIXTURE_DATADIR, 'version-2', 'snapshot.100000114'))));
      assert.equal(await b.epochs.readCurrentEpoch(), 1);
      assert.equal(await b.epochs.readAcceptedEpoch(), 1);
      assert.equal(await b.txnLog.lastZxid(), 0x10000011b);
    });
  });

  it('reads ZooKeeper gz and snappy snapshots to the same bytes', async () => {
    const dir = await freshDir();
    for (const ext of ['gz', 'snappy']) {
      await writeFile(path.join(dir, `snapshot.10000011b.${ext}`), await readFile(path.join(FIXTURE_COMPRESSED, `snapshot.10000011b.${ext}`)));
    }
    const store = await FileSnapshotStore.open({ dir, logger: recordingLogger() });
    try {
      assert.deepEqual((await store.list()).map((s) => s.zxid), [0x10000011b], 'one zxid, listed once');
      const gz = gunzipSync(await readFile(path.join(dir, 'snapshot.10000011b.gz')));
      assert.ok((await readAll(store.open(0x10000011b))).equals(gz));
      await store.delete(0x10000011b);
      assert.deepEqual(await readdir(dir), []);
      await writeFile(path.join(dir, 'snapshot.10000011b.snappy'), await readFile(path.join(FIXTURE_COMPRESSED, 'snapshot.10000011b.snappy')));
      const snappy = await readAll(store.open(0x10000011b));
      assert.equal(snappy.length, gz.length);
      assert.ok(snappy.equals(gz), 'snappy and gz hold the same snapshot');
      assert.equal(snappy.subarray(0, 4).toString('latin1'), 'ZKSN');
      assert.equal(snappy.subarray(-5).toString('hex'), '000000012f', 'ends with the seal');
    } finally {
      await store.close();
    }
  });

  it('reports a torn compressed snapshot as corrupt when opened', async () => {
    const dir = await freshDir();
    for (const ext of ['gz', 'snappy']) {
      const whole = await readFile(path.join(FIXTURE_COMPRESSED, `snapshot.10000011b.${ext}`));
      await writeFile(path.join(dir, `snapshot.10000011b.${ext}`), whole.subarray(0, whole.length - 100));
      const store = await FileSnapshotStore.open({ dir, logger: recordingLogger() });
      try {
        // Listed, as ZooKeeper lists it: only the magic is checked.
        assert.deepEqual((await store.list()).map((s) => s.zxid), [0x10000011b]);
        await assert.rejects(collect(store.open(0x10000011b)), (err: unknown) => {
          assert.ok(err instanceof StorageCorruptError, String(err));
          assert.equal(err.file, path.join(dir, `snapshot.10000011b.${ext}`));
          return true;
        });
        await store.delete(0x10000011b);
      } finally {
        await store.close();
      }
    }
  });

  it('skips unsealed plain snapshots, as ZooKeeper does', async () => {
    const dir = await freshDir();
    const sealed = sealedSnapshot(100, 1);
    await writeFile(path.join(dir, 'snapshot.5'), sealed);
    await writeFile(path.join(dir, 'snapshot.6'), sealed.subarray(0, 90));
    await writeFile(path.join(dir, 'snapshot.7'), sealed.subarray(-9));
    await writeFile(path.join(dir, 'snapshot.8.bak'), sealed);
    const store = await FileSnapshotStore.open({ dir, logger: recordingLogger() });
    try {
      assert.deepEqual((await store.list()).map((s) => s.zxid), [5]);
      await assert.rejects(collect(store.open(6)), (err: unknown) => {
        assert.equal((err as { code?: string }).code, 'ERR_STORAGE_NOT_FOUND');
        assert.match((err as Error).message, /snapshot\.6 exists but is not a complete snapshot/);
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it('writes atomically: a failing chunk stream leaves no file at all', async () => {
    const dir = await freshDir();
    for (const compression of ['none', 'gz'] as const) {
      const store = await FileSnapshotStore.open({ dir, compression, logger: recordingLogger() });
      const boom = new Error('encoder failed');
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(3 << 20, 7);
        throw boom;
      }
      try {
        await assert.rejects(store.write(Z + 1, failing()), (err) => err === boom);
        assert.deepEqual(await readdir(dir), [], `${compression}: no snapshot and no temp file`);
      } finally {
        await store.close();
      }
    }
  });

  it('writes snapshot files by direct I/O where the file system takes it, to exactly the bytes given', async () => {
    // Lengths around the 4 KiB alignment and the 1 MiB staging buffers, in pieces of 1 byte to
    // 1.5 MiB: direct writes stage, pad the last block and cut the file back to its length. Files
    // that end within the first 1 MiB are written through the page cache either way.
    const MiB = 1 << 20;
    const KiB128 = 128 << 10;
    const lengths = [
      13, 4097, MiB - 1, MiB, MiB + 1, MiB + KiB128 - 1, MiB + KiB128 + 1, 2 * MiB, 2 * MiB + 4095, 2 * MiB + 4096,
      2 * MiB + 4097, 3 * MiB - KiB128, 3 * MiB + 12_345,
    ];
    const pieceSizes = [1, 7, 4096, 65_521, 1 << 20, (3 << 19) + 3];
    const takesDirect = await directOpenWorks(await freshDir());
    for (const directWrite of [true, false]) {
      const dir = await freshDir();
      const logger = recordingLogger();
      // No minimum pace: on this shared disk a 128 KiB write can take long enough to call for more.
      const store = await FileSnapshotStore.open({ dir, directWrite, logger, directMinBytesPerSecond: 0 });
      const writesBefore = directWriteStats.writes;
      directWriteStats.largestBytes = 0;
      try {
        for (const [i, length] of lengths.entries()) {
          const bytes = sealedSnapshot(length - 13, i + 1);
          async function* pieces(): AsyncGenerator<Uint8Array> {
            for (let at = 0, k = i; at < bytes.length; k++) {
              const end = Math.min(bytes.length, at + pieceSizes[k % pieceSizes.length]);
              yield bytes.subarray(at, end);
              at = end;
            }
          }
          const info = await store.write(Z + i, pieces());
          assert.equal(info.sizeBytes, length, `directWrite=${directWrite}, ${length} bytes: file length`);
          assert.ok((await readFile(info.location ?? assert.fail('no location'))).equals(bytes), `directWrite=${directWrite}, ${length} bytes: file content`);
          assert.ok((await readAll(store.open(Z + i))).equals(bytes), `directWrite=${directWrite}, ${length} bytes: read back`);
          // With directWrite the store reads by direct I/O too, where the file system takes it.
          const direct = await readDirect(info.location ?? '');
          assert.equal(direct !== null, takesDirect, 'direct reads taken where O_DIRECT opens');
          if (direct !== null) assert.ok((await readAll(direct)).equals(bytes), `${length} bytes read by direct I/O`);
        }
        const expected = directWrite && takesDirect ? lengths.filter((n) => n > MiB).length : 0;
        assert.equal(store.directWrites, expected, `directWrite=${directWrite}, O_DIRECT ${takesDirect ? 'taken' : 'refused'} here`);
        // A file past its first MiB goes out whole in direct writes of at most 128 KiB, its last
        // block padded: a txn log write never queues behind a larger one.
        const pieces = directWrite && takesDirect
          ? lengths.filter((n) => n > MiB).reduce((sum, n) => sum + Math.ceil(n / KiB128), 0)
          : 0;
        assert.equal(directWriteStats.writes - writesBefore, pieces, 'direct writes of 128 KiB');
        if (pieces > 0) assert.equal(directWriteStats.largestBytes, KiB128, 'no direct write larger than 128 KiB');
        assert.equal((await readdir(dir)).filter((n) => n.endsWith('.tmp')).length, 0);
        if (directWrite && !takesDirect) assert.match(logger.warnings.join('\n'), /direct I\/O refused/);
      } finally {
        await store.close();
      }
    }
  });

  it('makes direct writes larger when small ones would fall below the minimum pace', async (t) => {
    // With a pace no write can keep, every write after the first is the rest of its staging buffer:
    // 128 KiB, then the other 896 KiB of the first MiB, then each MiB whole (the last one padded).
    const dir = await freshDir();
    if (!(await directOpenWorks(dir))) {
      t.skip('this file system refuses O_DIRECT');
      return;
    }
    const MiB = 1 << 20;
    const store = await FileSnapshotStore.open({ dir, directMinBytesPerSecond: Number.MAX_SAFE_INTEGER, logger: recordingLogger() });
    try {
      const length = 3 * MiB + 5000;
      const bytes = sealedSnapshot(length - 13, 7);
      const writesBefore = directWriteStats.writes;
      directWriteStats.largestBytes = 0;
      const info = await store.write(Z, (async function* () { yield bytes; })());
      assert.equal(directWriteStats.writes - writesBefore, 5, 'writes: 128 KiB, 896 KiB, 1 MiB, 1 MiB, the padded rest');
      assert.equal(directWriteStats.largestBytes, MiB);
      assert.ok((await readFile(info.location ?? assert.fail('no location'))).equals(bytes));
    } finally {
      await store.close();
    }
  });

  it('removes temp files left by an interrupted write on open', async () => {
    const dir = await freshDir();
    await writeFile(path.join(dir, 'snapshot.9.1a2b3c4d.tmp'), 'partial');
    await writeFile(path.join(dir, 'snapshot.a.tmp'), 'partial, from ZooKeeper');
    const logger = recordingLogger();
    const store = await FileSnapshotStore.open({ dir, logger });
    await store.close();
    assert.deepEqual(await readdir(dir), []);
    assert.equal(logger.infos.length, 2);
  });

  it('gz: writes snapshot.<zxid>.gz that gunzips to the bytes, and reads it back', async () => {
    const dir = await freshDir();
    const bytes = sealedSnapshot(3 * 65536 + 17, 5);
    const gz = await FileSnapshotStore.open({ dir, compression: 'gz', logger: recordingLogger() });
    try {
      const info = await gz.write(Z + 0x2a, chunked(bytes, 10_000));
      const file = path.join(dir, 'snapshot.10000002a.gz');
      const onDisk = await readFile(file);
      assert.equal(onDisk.subarray(0, 2).toString('hex'), '1f8b');
      assert.equal(info.sizeBytes, onDisk.length, 'sizeBytes is the size on disk');
      assert.ok(gunzipSync(onDisk).equals(bytes));
      assert.ok((await readAll(gz.open(Z + 0x2a))).equals(bytes));
      assert.deepEqual((await gz.list()).map((s) => s.zxid), [Z + 0x2a]);
    } finally {
      await gz.close();
    }
    // Rewritten uncompressed, the zxid has one file again.
    const plain = await FileSnapshotStore.open({ dir, logger: recordingLogger() });
    try {
      await plain.write(Z + 0x2a, chunked(bytes, 65536));
      assert.deepEqual(await readdir(dir), ['snapshot.10000002a']);
      assert.equal((await stat(path.join(dir, 'snapshot.10000002a'))).size, bytes.length);
    } finally {
      await plain.close();
    }
  });

  it('refuses to be configured to write snappy', async () => {
    const dir = await freshDir();
    await assert.rejects(FileSnapshotStore.open({ dir, compression: 'snappy' as 'gz' }), /snappy is read-only/);
  });
});

describe('filelog: epoch store', () => {
  before(async () => { tmp = await tempDir(); });
  after(() => tmp.remove());

  it('writes decimal text without newline, atomically, and reads ZooKeeper-style', async () => {
    const dir = await freshDir();
    const epochs = new FileEpochStore(dir);
    try {
      assert.equal(await epochs.readCurrentEpoch(), null, 'missing file');
      await epochs.writeCurrentEpoch(12);
      await epochs.writeAcceptedEpoch(13);
      assert.equal(await readFile(path.join(dir, 'currentEpoch'), 'latin1'), '12');
      assert.deepEqual((await readdir(dir)).sort(), ['acceptedEpoch', 'currentEpoch'], 'no temp file left');
      await writeFile(path.join(dir, 'acceptedEpoch'), '42\n');
      assert.equal(await epochs.readAcceptedEpoch(), 42, 'a trailing newline is fine (readLine)');
      await writeFile(path.join(dir, 'acceptedEpoch'), '+7\r\nignored');
      assert.equal(await epochs.readAcceptedEpoch(), 7, 'Long.parseLong takes a sign; only the first line counts');
    } finally {
      await epochs.close();
    }
  });

  it('refuses an empty, garbage or negative epoch file, naming it', async () => {
    const dir = await freshDir();
    const epochs = new FileEpochStore(dir);
    const file = path.join(dir, 'currentEpoch');
    try {
      for (const [text, pattern] of [
        ['', /empty epoch file/], ['one', /expected a decimal epoch, found "one"/], [' 1', /found " 1"/],
        ['1.5', /found "1.5"/], ['-3', /out of range/], ['99999999999999999999', /out of range/],
      ] as const) {
        await writeFile(file, text);
        await assert.rejects(epochs.readCurrentEpoch(), (err: unknown) => {
          assert.ok(err instanceof StorageCorruptError, String(err));
          assert.equal(err.file, file);
          assert.match(err.message, pattern);
          return true;
        }, JSON.stringify(text));
      }
    } finally {
      await epochs.close();
    }
  });
});

describe('filelog: data directory layout', () => {
  before(async () => { tmp = await tempDir(); });
  after(() => tmp.remove());

  it('creates version-2 under dataDir and dataLogDir, and registers as "filelog"', async () => {
    const root = await freshDir();
    const dataDir = path.join(root, 'data');
    const dataLogDir = path.join(root, 'logs');
    await withBackend(await openStorage('filelog', { dataDir, dataLogDir, preAllocSizeKb: 64, logger: recordingLogger() }), async (b) => {
      assert.equal(b.kind, 'filelog');
      assert.deepEqual(b.supports, { persistent: true, zookeeperDataDir: true, logSegments: true });
      await b.txnLog.append([entry(Z + 1)]);
      await b.epochs.writeCurrentEpoch(1);
      await b.snapshots.write(Z + 1, chunked(sealedSnapshot(10, 1), 5));
    });
    assert.deepEqual(await readdir(path.join(dataLogDir, 'version-2')), ['log.100000001']);
    assert.deepEqual((await readdir(path.join(dataDir, 'version-2'))).sort(), ['currentEpoch', 'snapshot.100000001']);
    await rejectsWithCode(openStorage('filelog', {}), 'ERR_STORAGE_INVALID_ARGUMENT');
  });

  it('refuses separate directories that hold each other\'s files, as FileTxnSnapLog does', async () => {
    const root = await freshDir();
    const dataDir = path.join(root, 'data');
    const dataLogDir = path.join(root, 'logs');
    await mkdir(path.join(dataLogDir, 'version-2'), { recursive: true });
    await writeFile(path.join(dataLogDir, 'version-2', 'snapshot.0'), sealedSnapshot(10, 1));
    await rejectsWithCode(openFilelogStorage({ dataDir, dataLogDir, logger: recordingLogger() }), 'ERR_STORAGE_LAYOUT',
      'snapshot in the log dir');
    const fixture = await copyFixture(root);
    await rejectsWithCode(openFilelogStorage({ dataDir: fixture, dataLogDir: path.join(root, 'other'), logger: recordingLogger() }),
      'ERR_STORAGE_LAYOUT', 'logs in the snapshot dir');
    // One directory for both is ZooKeeper's default, and fine.
    await (await openFilelogStorage({ dataDir: fixture, dataLogDir: fixture, logger: recordingLogger() })).close();
  });
});
