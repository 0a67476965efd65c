// Interop stage, migration: Apache ZooKeeper 3.8's data directories (the fixture, and one written
// here by a live Apache ZooKeeper with gzip snapshots) → level → filelog, then Apache ZooKeeper
// starts on the result and reports the same zxid, node count and ephemerals as on the original,
// with no digest mismatch; its own TxnLogToolkit and SnapshotFormatter print the migrated files
// exactly as `zk-server inspect` does.

import assert from 'node:assert/strict';
import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFlag } from '../../src/protocol/constants.js';
import { openStorage } from '../../src/storage/index.js';
import { migrateDataDir } from '../../src/storage/migrate/index.js';
import { closeSnapshotPool } from '../../src/storage/snapshot/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { copyFixture, tempDir, type TempDir } from '../storage/filelog-support.js';
import { observeServed, runCli, testRestore, type ServedData } from '../storage/migrate-support.js';
import { assertZooKeeperInstalled, javaMissingReason, startApacheZk } from './apache-zk.js';
import { DataDirTool } from './datadir-tool.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `migration interop skipped: ${javaMissing}`;

/** Apache ZooKeeper on a copy of dataDir (it writes a snapshot on start): what it serves. */
async function serveWithApache(dataDir: string, scratch: string): Promise<ServedData> {
  await cp(dataDir, scratch, { recursive: true });
  const zk = await startApacheZk({ dataDir: scratch });
  try {
    return await observeServed(zk.port);
  } finally {
    await zk.stop();
  }
}

/** fixture-like hops: → level (or filelog when level is missing) → filelog. */
async function hops(from: string, scratch: string, format: 'level' | 'filelog'): Promise<string> {
  const hop = `${scratch}-hop`;
  await migrateDataDir({ from: { dataDir: from }, to: { format, dataDir: hop }, restore: testRestore });
  await migrateDataDir({ from: { dataDir: hop }, to: { format: 'filelog', dataDir: scratch }, restore: testRestore });
  return scratch;
}

describe('migration → Apache ZooKeeper 3.8', { skip }, () => {
  let tmp: TempDir;
  let fixture: string;
  let final: string;
  let levelNote: string | null = null;
  let hopFormat: 'level' | 'filelog' = 'level';

  before(async () => {
    assertZooKeeperInstalled();
    tmp = await tempDir();
    fixture = await copyFixture(tmp.dir);
    final = path.join(tmp.dir, 'final');
    try {
      const probe = await openStorage('level', { dataDir: path.join(tmp.dir, 'probe') });
      await probe.close();
    } catch (err) {
      levelNote = `level backend not available (${err instanceof Error ? err.message : String(err)}): the level hop is a filelog hop`;
      hopFormat = 'filelog';
    }
    await hops(fixture, final, hopFormat);
  });
  after(async () => {
    await closeSnapshotPool();
    await tmp?.remove();
  });

  it('Apache ZooKeeper serves the same zxid, node count and ephemerals from the result', async (t) => {
    if (levelNote !== null) t.diagnostic(levelNote);
    const original = await serveWithApache(fixture, path.join(tmp.dir, 'serve-original'));
    const migrated = await serveWithApache(final, path.join(tmp.dir, 'serve-final'));
    t.diagnostic(`original: ${JSON.stringify(original)}`);
    assert.equal(original.zxid, 0x10000011b);
    assert.deepEqual(migrated, original);
    assert.equal(migrated.digestMismatches, 0, 'ZooKeeper checked every digest trailer and logged digest it replayed');
  });

  it('TxnLogToolkit and SnapshotFormatter print the migrated files as zk-server inspect does', async () => {
    const tool = await DataDirTool.start();
    try {
      const v2 = path.join(final, 'version-2');
      const names = (await readdir(v2)).sort();
      const logs = names.filter((n) => /^log\.[0-9a-f]+$/.test(n));
      assert.ok(logs.length >= 2, names.join(' '));
      let txns = 0;
      for (const log of logs) {
        const theirs = (await tool.txnLog(path.join(v2, log))).trimEnd().split('\n');
        const ours = (await runCli(['inspect', 'log', path.join(v2, log)])).stdout.trimEnd().split('\n');
        assert.doesNotMatch(theirs.join('\n'), /CRC ERROR|Exception/);
        // ZooKeeper 3.8 prints a multi's sub-txns as raw bytes: compare the other txns line for line.
        const hasMulti = (lines: string[]): boolean => lines.some((l) => / multi /.test(l));
        if (!hasMulti(theirs)) assert.deepEqual(ours, theirs, log);
        else assert.equal(ours.at(-1), theirs.at(-1), `${log}: same txn count`);
        txns += Number(/EOF reached after (\d+) txns/.exec(theirs.at(-1) ?? '')?.[1]);
      }
      assert.equal(txns, 283, 'TxnLogToolkit reads every txn of the migrated logs');
      for (const snap of names.filter((n) => /^snapshot\.[0-9a-f]+$/.test(n))) {
        const theirs = await tool.snapshot(path.join(v2, snap));
        const ours = (await runCli(['inspect', 'snapshot', path.join(v2, snap)])).stdout;
        assert.equal(ours.trimEnd(), theirs.trimEnd(), snap);
      }
    } finally {
      await tool.close();
    }
  });

  it('a directory a live Apache ZooKeeper wrote, with gzip snapshots, comes back the same', async (t) => {
    if (levelNote !== null) t.diagnostic(levelNote);
    const written = path.join(tmp.dir, 'apache-written');
    const zk = await startApacheZk({
      dataDir: written, extraConfig: { snapCount: '40', preAllocSize: '64', 'snapshot.compression.method': 'gz' },
    });
    let client: RawClient | null = null;
    let before: ServedData;
    try {
      client = await RawClient.connect(zk.port, { timeOut: 30_000 });
      await client.create('/live', Buffer.from('root'));
      for (let i = 0; i < 120; i++) await client.create(`/live/n${i}`, Buffer.from(`v${i}`));
      for (let i = 0; i < 20; i++) await client.setData(`/live/n${i}`, Buffer.from(`w${i}`));
      await client.createContainer('/live/box', null);
      await client.create('/live/box/in', Buffer.from('x'));
      await client.createTTL('/live/ttl', Buffer.from('t'), 600_000);
      await client.create('/live/eph', null, { flags: CreateFlag.EPHEMERAL });
      before = await observeServed(zk.port);
    } finally {
      client?.destroy();
      await zk.stop();
    }
    const names = await readdir(path.join(written, 'version-2'));
    assert.ok(names.filter((n) => n.endsWith('.gz')).length >= 2, `gzip snapshots: ${names.join(' ')}`);
    const result = await hops(written, path.join(tmp.dir, 'apache-final'), hopFormat);
    const after = await serveWithApache(result, path.join(tmp.dir, 'apache-serve'));
    // The session was left open (30 s timeout, longer than this test): its ephemeral is back.
    assert.deepEqual(after, before);
    assert.equal(before.ephemerals, 1);
    assert.equal(after.digestMismatches, 0);
  });
});
