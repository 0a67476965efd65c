// Level-specific tests: group commit (counted, and with a batch held in flight), purge retention and
// the space it gives back, the directory layout and its refusals, and snapshot files.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import {
  encodeTxnEntry, openStorage, type StorageBackend, type TxnEntry,
} from '../../src/storage/index.js';
import { openLevelDb, type LevelDb } from '../../src/storage/level/database.js';
import { levelPaths, LevelTxnLog, openLevelStorage } from '../../src/storage/level/index.js';
import { purge } from '../../src/storage/purge.js';
import { closeSnapshotPool, restoreSnapshot, takeSnapshot } from '../../src/storage/snapshot/index.js';
import { DataTree } from '../../src/tree/index.js';
import {
  chunked, collect, entries, epochZxid, readSnapshot, readZxids, rejectsWithCode, run, sealedSnapshot,
} from './conformance-support.js';
import { buildTree, treeView } from './snapshot-fixtures.js';

const E1 = epochZxid(1);

let scratch: string;
before(async () => { scratch = await mkdtemp(path.join(tmpdir(), 'zk-level-')); });
after(() => rm(scratch, { recursive: true, force: true }));
after(() => closeSnapshotPool());

let dirCount = 0;
const freshDir = (): string => path.join(scratch, `d${dirCount++}`);

function levelLog(backend: StorageBackend): LevelTxnLog {
  assert.ok(backend.txnLog instanceof LevelTxnLog, 'the level backend exposes a LevelTxnLog');
  return backend.txnLog;
}

/** A setData txn with incompressible data (LevelDB compresses values with snappy). */
function randomEntry(zxid: number, dataBytes: number): TxnEntry {
  return encodeTxnEntry(
    { clientId: 1n, cxid: 1, zxid, time: 1_700_000_000_000, type: 5 },
    { type: 5, path: '/big', data: randomBytes(dataBytes), version: 1 },
    null,
  );
}

/**
 * Replaces the DB's chained-batch write with `onWrite`, which gets the batch's operation count,
 * its sync flag and the real write: to hold a batch in flight, or fail it.
 */
function interceptWrites(db: LevelDb, onWrite: (ops: number, sync: boolean, write: () => Promise<void>) => Promise<void>): void {
  type Chain = ReturnType<LevelDb['batch']>;
  const openChain = db.batch.bind(db) as () => Chain;
  (db as unknown as { batch: () => Chain }).batch = () => {
    const chain = openChain();
    const write = chain.write.bind(chain) as (options?: { sync?: boolean }) => Promise<void>;
    (chain as unknown as { write: typeof write }).write = (options) => {
      const ops = chain.length;
      return onWrite(ops, options?.sync === true, () => write(options)).finally(() => chain.close());
    };
    return chain;
  };
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

describe('level txn log: group commit', () => {
  it('commits 100 appends issued together in fewer synced batches than appends', async () => {
    const backend = await openLevelStorage({ dataDir: freshDir() });
    try {
      const log = levelLog(backend);
      const all = entries(run(E1 + 1, 100));
      await Promise.all(all.map((e) => log.append([e])));
      const stats = log.stats;
      assert.equal(stats.appends, 100);
      assert.equal(stats.entries, 100);
      assert.ok(stats.groups >= 1 && stats.groups < 100, `groups ${stats.groups}`);
      assert.deepEqual(await readZxids(log, 0), run(E1 + 1, 100));
    } finally {
      await backend.close();
    }
  });

  it('appends arriving while a synced batch is in flight join the next batch, one sync each', async () => {
    const dir = freshDir();
    const db = await openLevelDb(dir);
    const batches: { ops: number; sync: boolean }[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => { releaseFirst = resolve; });
    let firstStarted!: () => void;
    const started = new Promise<void>((resolve) => { firstStarted = resolve; });
    // Holds the first synced batch open until the test lets it go: appends meanwhile must queue.
    interceptWrites(db, async (ops, sync, write) => {
      batches.push({ ops, sync });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (batches.length === 1) {
          firstStarted();
          await firstHeld;
        }
        await write();
      } finally {
        inFlight--;
      }
    });
    const log = await LevelTxnLog.open(db, dir);
    try {
      const first = log.append(entries([E1 + 1]));
      await started;
      const later: Promise<void>[] = [];
      for (let i = 0; i < 30; i++) {
        later.push(log.append(entries(run(E1 + 2 + i * 3, 3))));
        // Spread over turns of the event loop, as requests from different sockets arrive.
        if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
      }
      const rolled = log.roll();
      releaseFirst();
      await Promise.all([first, ...later, rolled]);
      assert.deepEqual(batches, [{ ops: 1, sync: true }, { ops: 90, sync: true }]);
      assert.equal(maxInFlight, 1, 'never two synced batches at once');
      assert.equal(log.stats.groups, 2);
      assert.equal(await log.lastZxid(), E1 + 91);
    } finally {
      await log.close();
      await db.close();
    }
  });

  it('fails the group whose batch failed, and every write after it until reopened', async () => {
    const dir = freshDir();
    const db = await openLevelDb(dir);
    const diskFull = new Error('disk full');
    let writes = 0;
    interceptWrites(db, async (_ops, _sync, write) => {
      if (++writes === 2) throw diskFull;
      await write();
    });
    const log = await LevelTxnLog.open(db, dir);
    try {
      await log.append(entries([E1 + 1]));
      const failed = log.append(entries([E1 + 2]));
      await assert.rejects(failed, (err) => err === diskFull);
      await rejectsWithCode(log.append(entries([E1 + 3])), 'ERR_STORAGE_WRITE_FAILED');
      await rejectsWithCode(log.truncate(E1), 'ERR_STORAGE_WRITE_FAILED');
      assert.equal(writes, 2, 'nothing written after the failure');
      assert.deepEqual(await readZxids(log, 0), [E1 + 1]);
    } finally {
      await log.close();
      await db.close();
    }
    const db2 = await openLevelDb(dir);
    const reopened = await LevelTxnLog.open(db2, dir);
    try {
      await reopened.append(entries([E1 + 2]));
      assert.deepEqual(await readZxids(reopened, 0), [E1 + 1, E1 + 2]);
    } finally {
      await reopened.close();
      await db2.close();
    }
  });
});

describe('level txn log: purge', () => {
  it('keeps what the oldest retained snapshot needs, as autopurge does', async () => {
    const backend = await openLevelStorage({ dataDir: freshDir() });
    try {
      const log = backend.txnLog;
      await log.append(entries(run(E1 + 1, 50)));
      for (const zxid of [E1 + 10, E1 + 20, E1 + 30, E1 + 40]) {
        await backend.snapshots.write(zxid, chunked(sealedSnapshot(200, zxid % 97), 64));
      }
      const result = await purge(backend, 3);
      assert.deepEqual(result.kept, [E1 + 40, E1 + 30, E1 + 20]);
      assert.deepEqual(result.deleted, [E1 + 10]);
      // Exactly the entries from the oldest kept snapshot on: restoring it replays from E1 + 21.
      assert.deepEqual(await readZxids(log, 0), run(E1 + 20, 31));
      assert.equal(await log.lastZxid(), E1 + 50);
    } finally {
      await backend.close();
    }
  });

  it('never purges the last entry, and keeps appending after a purge past the end', async () => {
    const backend = await openLevelStorage({ dataDir: freshDir() });
    try {
      const log = backend.txnLog;
      await log.append(entries(run(E1 + 1, 5)));
      const appending = log.append(entries([E1 + 6]));
      await log.purgeBefore(E1 + 100);
      await appending;
      const left = await readZxids(log, 0);
      assert.ok(left.includes(E1 + 6) && left.length <= 2, `left ${left.map((z) => z - E1).join(',')}`);
      await log.purgeBefore(E1 + 100);
      assert.deepEqual(await readZxids(log, 0), [E1 + 6]);
      assert.equal(await log.lastZxid(), E1 + 6);
      await log.append(entries([E1 + 7]));
      assert.deepEqual(await readZxids(log, 0), [E1 + 6, E1 + 7]);
    } finally {
      await backend.close();
    }
  });

  it('gives the space of purged entries back to the file system', async () => {
    const dataDir = freshDir();
    const backend = await openLevelStorage({ dataDir });
    const dbDir = levelPaths({ dataDir }).logDb;
    try {
      const log = levelLog(backend);
      const count = 6000;
      for (let first = 1; first <= count; first += 500) {
        await log.append(run(E1 + first, 500).map((z) => randomEntry(z, 2048)));
      }
      const full = await dirBytes(dbDir);
      assert.ok(full > count * 2048, `DB holds the entries (${full} bytes)`);
      await log.purgeBefore(E1 + count);
      const purged = await dirBytes(dbDir);
      assert.ok(purged < full / 10, `after purge ${purged} bytes, before ${full}`);
      assert.equal(log.stats.purges, 1);
      assert.deepEqual(await readZxids(log, 0), [E1 + count]);
    } finally {
      await backend.close();
    }
  });
});

describe('level layout', () => {
  it('puts the log in its own DB under dataLogDir, and keeps it there across reopen', async () => {
    const dataDir = freshDir();
    const dataLogDir = freshDir();
    let backend = await openStorage('level', { dataDir, dataLogDir });
    await backend.txnLog.append(entries(run(E1 + 1, 3)));
    await backend.epochs.writeCurrentEpoch(1);
    await backend.snapshots.write(E1, chunked(sealedSnapshot(100, 1), 50));
    await backend.close();
    const paths = levelPaths({ dataDir, dataLogDir });
    assert.equal(paths.logDb, path.join(dataLogDir, 'level', 'db'));
    assert.deepEqual(await readdir(paths.snapshots), ['snapshot.100000000']);
    backend = await openStorage('level', { dataDir, dataLogDir });
    try {
      assert.deepEqual(await readZxids(backend.txnLog, 0), run(E1 + 1, 3));
      assert.equal(await backend.epochs.readCurrentEpoch(), 1);
    } finally {
      await backend.close();
    }
    // Without dataLogDir the log DB would silently be another, empty one: refused instead.
    await rejectsWithCode(openStorage('level', { dataDir: dataLogDir, dataLogDir: freshDir() }), 'ERR_STORAGE_LAYOUT');
  });

  it('refuses a dataDir whose DB holds the log when dataLogDir now points elsewhere', async () => {
    const dataDir = freshDir();
    const backend = await openStorage('level', { dataDir });
    await backend.txnLog.append(entries([E1 + 1]));
    await backend.close();
    await rejectsWithCode(openStorage('level', { dataDir, dataLogDir: freshDir() }), 'ERR_STORAGE_LAYOUT');
  });

  it('refuses a second open of a data directory in use', async () => {
    const dataDir = freshDir();
    const backend = await openStorage('level', { dataDir });
    try {
      await assert.rejects(openStorage('level', { dataDir }), (err: unknown) => {
        assert.equal((err as { code?: unknown }).code, 'ERR_STORAGE_LAYOUT');
        assert.match((err as Error).message, /in use/);
        return true;
      });
    } finally {
      await backend.close();
    }
    await (await openStorage('level', { dataDir })).close();
  });

  it('refuses a LevelDB it did not write, and a backend without dataDir', async () => {
    const dataDir = freshDir();
    const foreign = new ClassicLevel(levelPaths({ dataDir }).stateDb);
    await foreign.put('someone', 'else');
    await foreign.close();
    await rejectsWithCode(openStorage('level', { dataDir }), 'ERR_STORAGE_LAYOUT');
    await rejectsWithCode(openStorage('level', {}), 'ERR_STORAGE_INVALID_ARGUMENT');
  });
});

describe('level snapshots', () => {
  it('leaves no file behind when the chunk stream throws, before or after a restart', async () => {
    const dataDir = freshDir();
    const snapshotsDir = levelPaths({ dataDir }).snapshots;
    let backend = await openStorage('level', { dataDir });
    const boom = new Error('encoder failed');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield randomBytes(300_000);
      yield randomBytes(10_000);
      throw boom;
    }
    await assert.rejects(backend.snapshots.write(E1 + 7, failing()), (err) => err === boom);
    assert.deepEqual(await readdir(snapshotsDir), []);
    await backend.close();
    backend = await openStorage('level', { dataDir });
    try {
      assert.deepEqual(await backend.snapshots.list(), []);
    } finally {
      await backend.close();
    }
  });

  it('sweeps temp files a crash left, and never lists them', async () => {
    const dataDir = freshDir();
    const snapshotsDir = levelPaths({ dataDir }).snapshots;
    await (await openStorage('level', { dataDir })).close();
    await writeFile(path.join(snapshotsDir, 'snapshot.100000005.0badf00d.tmp'), sealedSnapshot(100, 1));
    await writeFile(path.join(snapshotsDir, 'notes.txt'), 'not ours');
    const backend = await openStorage('level', { dataDir });
    try {
      assert.deepEqual(await backend.snapshots.list(), []);
      assert.deepEqual(await readdir(snapshotsDir), ['notes.txt']);
    } finally {
      await backend.close();
    }
  });

  it('copies or writes each chunk before pulling more, so a writer may reuse one buffer', async () => {
    const backend = await openStorage('level', { dataDir: freshDir() });
    try {
      for (const chunkBytes of [1000, 300_000]) {
        const expected = sealedSnapshot(chunkBytes * 20 + 17, chunkBytes);
        const reused = Buffer.alloc(chunkBytes);
        async function* reusing(): AsyncGenerator<Uint8Array> {
          for (let at = 0; at < expected.length; at += chunkBytes) {
            const n = expected.copy(reused, 0, at, Math.min(expected.length, at + chunkBytes));
            yield reused.subarray(0, n);
          }
        }
        await backend.snapshots.write(chunkBytes, reusing());
        assert.ok((await readSnapshot(backend, chunkBytes)).equals(expected), `chunks of ${chunkBytes}`);
      }
    } finally {
      await backend.close();
    }
  });

  it('round-trips a snapshot larger than its sync interval', async () => {
    const backend = await openStorage('level', { dataDir: freshDir() });
    try {
      const bytes = sealedSnapshot(20 << 20, 5);
      const info = await backend.snapshots.write(E1 + 1, chunked(bytes, 192 * 1024));
      assert.equal(info.sizeBytes, bytes.length);
      const read = await collect(backend.snapshots.open(E1 + 1));
      assert.ok(read.length > 1, 'read back in several chunks');
      assert.ok(Buffer.concat(read).equals(bytes));
    } finally {
      await backend.close();
    }
  });

  it('takes and restores a tree through the snapshot workers', async () => {
    const { tree } = buildTree(20_000);
    const backend = await openStorage('level', { dataDir: freshDir() });
    try {
      const info = await takeSnapshot(tree, new Map([[7n, 9000]]), backend.snapshots, { batchNodes: 1000 });
      assert.deepEqual((await backend.snapshots.list()).map((s) => s.zxid), [info.zxid]);
      const copy = new DataTree();
      const restored = await restoreSnapshot(backend.snapshots, info.zxid, copy);
      assert.deepEqual(restored.sessions, new Map([[7n, 9000]]));
      assert.equal(copy.digest(), tree.digest());
      assert.deepEqual(treeView(copy), treeView(tree));
    } finally {
      await backend.close();
    }
  });
});
