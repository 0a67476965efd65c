// Migration of a data directory written by zk-server itself (every node type, several snapshots and
// log files, a session left open with its ephemerals): filelog → level → filelog, and zk-server
// started on each copy serves the same zxid and node count, ephemerals included (the tree digest is
// compared by the migration itself: `hash` only lists digests of txns applied since the start).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFlag } from '../../src/protocol/constants.js';
import { migrateDataDir } from '../../src/storage/migrate/index.js';
import { closeSnapshotPool } from '../../src/storage/snapshot/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { startZkServer } from '../helpers/zk-server.js';
import { tempDir, type TempDir } from './filelog-support.js';
import { observeServed, testRestore, type ServedData } from './migrate-support.js';

const CONFIG = { snapCount: '40', preAllocSize: '64', extendedTypesEnabled: 'true', maxSessionTimeout: '120000' };

describe('migrate: a data directory written by zk-server', () => {
  let tmp: TempDir;
  let written: ServedData;
  let source: string;

  before(async () => {
    tmp = await tempDir();
    source = path.join(tmp.dir, 'zk-server');
    const server = await startZkServer({ storage: 'filelog', dataDir: source, extraConfig: CONFIG });
    let client: RawClient | null = null;
    try {
      client = await RawClient.connect(server.port, { timeOut: 120_000 });
      await client.create('/m', Buffer.from('root'));
      for (let i = 0; i < 150; i++) await client.create(`/m/n${i}`, Buffer.from(`value-${i}`));
      for (let i = 0; i < 30; i++) await client.setData(`/m/n${i}`, Buffer.from(`changed-${i}`));
      for (let i = 140; i < 150; i++) await client.delete(`/m/n${i}`);
      await client.create('/m/eph', Buffer.from('e'), { flags: CreateFlag.EPHEMERAL });
      await client.create('/m/seq-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL });
      await client.createContainer('/m/box', Buffer.from('c'));
      await client.create('/m/box/in', Buffer.from('i'));
      await client.createTTL('/m/ttl', Buffer.from('t'), 3_600_000);
      await client.setACL('/m/n1', [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
      written = await observeServed(server.port);
      // Stopped with the session open: its ephemeral must come back from the copies.
      assert.equal(await server.stop('SIGTERM'), 0, server.stderr());
    } finally {
      client?.destroy();
      await server.stop('SIGKILL');
    }
  });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  it('filelog → level → filelog: zk-server serves the same tree from every copy', async () => {
    assert.ok(written.ephemerals >= 1 && written.znodes > 150, JSON.stringify(written));
    const hops: Array<{ from: string; to: string; format: 'level' | 'filelog' }> = [
      { from: source, to: path.join(tmp.dir, 'level'), format: 'level' },
      { from: path.join(tmp.dir, 'level'), to: path.join(tmp.dir, 'filelog'), format: 'filelog' },
    ];
    for (const hop of hops) {
      const result = await migrateDataDir({ from: { dataDir: hop.from }, to: { format: hop.format, dataDir: hop.to }, restore: testRestore });
      assert.ok(result.snapshotsCopied.length >= 3, `several snapshots: ${result.snapshotsCopied.length}`);
      assert.equal(result.target.lastZxid, written.zxid);
      assert.equal(result.target.nodeCount, written.znodes);
      assert.equal(result.target.digest, result.source.digest);
      const server = await startZkServer({ storage: hop.format, dataDir: hop.to, extraConfig: CONFIG });
      try {
        const served = await observeServed(server.port);
        assert.deepEqual(served, written, `zk-server on the ${hop.format} copy`);
      } finally {
        await server.stop('SIGKILL');
      }
    }
  });
});
