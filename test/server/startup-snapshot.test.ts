// The snapshot a restart takes (ZooKeeper's loadData takes one before serving): before serving when
// the directory has none yet or the restore changed the tree without a txn, in the background when
// the data directory already rebuilds the restored tree, and not at all when nothing was replayed.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStorage } from '../../src/storage/index.js';
import { closeSnapshotPool, takeSnapshot } from '../../src/storage/snapshot/index.js';
import { DataTree } from '../../src/tree/index.js';
import { OPEN_ACL_UNSAFE, RawClient } from '../helpers/raw-client.js';
import { startZkServer } from '../helpers/zk-server.js';

const dirs: string[] = [];
after(async () => {
  await closeSnapshotPool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-startup-snap-'));
  dirs.push(dir);
  return dir;
}

/** snapshot file name → mtime (ms) in dataDir/version-2. */
function snapshots(dataDir: string): Map<string, number> {
  const dir = path.join(dataDir, 'version-2');
  const out = new Map<string, number>();
  for (const name of readdirSync(dir)) if (name.startsWith('snapshot.')) out.set(name, statSync(path.join(dir, name)).mtimeMs);
  return out;
}

/** Index of the first stderr line matching re, -1 when none does. */
function lineIndex(stderr: string, re: RegExp): number {
  return stderr.split('\n').findIndex((l) => re.test(l));
}

describe('the start-up snapshot', () => {
  it('is written before serving on an empty directory, in the background after a replay, and skipped when current', async () => {
    const dataDir = tempDataDir();
    let server = await startZkServer({ storage: 'filelog', dataDir });
    try {
      assert.deepEqual([...snapshots(dataDir).keys()], ['snapshot.0'], 'snapshot.0 exists once the server serves');
      const c = await RawClient.connect(server.port);
      await c.create('/a', Buffer.from('one'));
      await c.create('/b', Buffer.from('two'));
      await c.close();
    } finally {
      await server.stop();
    }

    // Three txns (session, two creates) to replay on snapshot.0: the snapshot and log already hold
    // the tree, so the server serves first and snapshots meanwhile.
    server = await startZkServer({ storage: 'filelog', dataDir });
    try {
      assert.notEqual(lineIndex(server.stderr(), /start-up snapshot: written in the background/), -1, server.stderr());
      let names = [...snapshots(dataDir).keys()];
      for (let i = 0; i < 100 && names.length < 2; i++) {
        await sleep(50);
        names = [...snapshots(dataDir).keys()];
      }
      assert.equal(names.length, 2, `a second snapshot appears: ${names.join(', ')}`);
    } finally {
      await server.stop();
    }

    // Nothing logged since (no client connected: a session is a txn too): the newest snapshot is
    // the restored tree, and no snapshot is written.
    const before = snapshots(dataDir);
    server = await startZkServer({ storage: 'filelog', dataDir });
    try {
      assert.notEqual(lineIndex(server.stderr(), /start-up snapshot: not needed, 0x[0-9a-f]+ is current/), -1, server.stderr());
      await sleep(300);
      assert.deepEqual(snapshots(dataDir), before, 'no snapshot written or rewritten');
      assert.equal(lineIndex(server.stderr(), /snapshot 0x[0-9a-f]+ written/), -1);
      const c = await RawClient.connect(server.port);
      assert.equal((await c.getData('/a')).data?.toString(), 'one');
      assert.equal((await c.getData('/b')).data?.toString(), 'two');
      await c.close();
    } finally {
      await server.stop();
    }
  });

  it('is written before serving when the restore removed ephemerals of a session that is gone', async () => {
    // A snapshot holding an ephemeral whose session it does not list (its close is in a log that no
    // longer exists): the restore deletes the node without a txn, so only a snapshot keeps that.
    const dataDir = tempDataDir();
    const storage = await openStorage('filelog', { dataDir });
    try {
      const tree = new DataTree();
      tree.createNode('/gone', Buffer.from('x'), OPEN_ACL_UNSAFE, 0x99n, 1, 1, 1000);
      tree.lastProcessedZxid = 1;
      await takeSnapshot(tree, new Map(), storage.snapshots);
    } finally {
      await storage.close();
    }
    const server = await startZkServer({ storage: 'filelog', dataDir });
    try {
      const stderr = server.stderr();
      const written = lineIndex(stderr, /snapshot 0x1 written/);
      const serving = lineIndex(stderr, /serving on/);
      assert.ok(written !== -1 && written < serving, `the snapshot is written before serving:\n${stderr}`);
      assert.equal(lineIndex(stderr, /start-up snapshot: (written in the background|not needed)/), -1);
      const c = await RawClient.connect(server.port);
      assert.equal(await c.exists('/gone'), null);
      await c.close();
    } finally {
      await server.stop();
    }
  });
});
