// The snapshot policy's timing: a due snapshot rolls the log at once but starts only when the new
// log file's first batch is durable (or after a short wait without writes), and never twice at once.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Snapshotter } from '../../src/server/persistence.js';
import type { Logger } from '../../src/log/logger.js';
import { openMemoryStorage, type StorageBackend } from '../../src/storage/index.js';
import { closeSnapshotPool } from '../../src/storage/snapshot/index.js';
import { DataTree } from '../../src/tree/index.js';

after(() => closeSnapshotPool());

function quietLogger(warnings: string[]): Logger {
  const log: Logger = {
    debug: () => {}, info: () => {}, error: () => {}, warn: (m) => { warnings.push(m); }, child: () => log,
  };
  return log;
}

async function setup(): Promise<{ storage: StorageBackend; snapshotter: Snapshotter; warnings: string[] }> {
  const storage = await openMemoryStorage();
  const tree = new DataTree();
  tree.lastProcessedZxid = 1;
  const warnings: string[] = [];
  // snapCount 4 and random() = 0: a snapshot is due once more than 2 txns were logged.
  const policy = { snapCount: 4, snapSizeLimitKb: 0, autopurgeSnapRetainCount: 3, autopurgePurgeIntervalHours: 0 };
  const snapshotter = new Snapshotter(storage, tree, () => new Map(), policy, quietLogger(warnings), () => 0);
  return { storage, snapshotter, warnings };
}

async function snapshotCount(storage: StorageBackend): Promise<number> {
  return (await storage.snapshots.list()).length;
}

describe('Snapshotter', () => {
  it('starts a due snapshot with the first batch logged after the roll', async () => {
    const { storage, snapshotter } = await setup();
    snapshotter.onLogged(3, 300);
    await sleep(10);
    assert.equal(await snapshotCount(storage), 0, 'not started by the batch that made it due');
    snapshotter.onLogged(1, 100);
    await snapshotter.stop();
    assert.equal(snapshotter.snapshotsTaken, 1);
    assert.equal(await snapshotCount(storage), 1);
    await storage.close();
  });

  it('starts it anyway shortly after the roll when no more writes come', async () => {
    const { storage, snapshotter } = await setup();
    snapshotter.onLogged(3, 300);
    for (let i = 0; i < 100 && snapshotter.snapshotsTaken === 0; i++) await sleep(10);
    assert.equal(snapshotter.snapshotsTaken, 1);
    await snapshotter.stop();
    await storage.close();
  });

  it('skips a snapshot that comes due while one is waiting to start, and none starts after stop()', async () => {
    const { storage, snapshotter, warnings } = await setup();
    snapshotter.onLogged(3, 300);
    snapshotter.onLogged(3, 300); // starts the first; the second is due while it runs
    assert.deepEqual(warnings, ['Too busy to snap, skipping']);
    await snapshotter.stop();
    assert.equal(snapshotter.snapshotsTaken, 1);
    const { storage: s2, snapshotter: t2 } = await setup();
    t2.onLogged(3, 300);
    await t2.stop();
    await sleep(80);
    assert.equal(t2.snapshotsTaken, 0, 'a stopped snapshotter starts nothing');
    await Promise.all([storage.close(), s2.close()]);
  });
});
