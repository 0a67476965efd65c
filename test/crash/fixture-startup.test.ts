// zk-server (filelog) started on a copy of the data directory Apache ZooKeeper 3.8 wrote serves
// exactly the tree ZooKeeper served from it (znodes.json: data, ACL and every stat field as a
// client reads them), including the ephemerals of the session still open at shutdown, which the
// restored session keeps until it is closed or expires.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { sessionPassword } from '../../src/server/session-tracker.js';
import { RawClient } from '../helpers/raw-client.js';
import { startZkServer } from '../helpers/zk-server.js';
import { aclStrings, hex, readZnodesJson } from '../storage/snapshot-fixtures.js';
import { copyFixture, dumpTree, getDataOrNull, removeTempDirs, versionDir, type NodeView } from './support.js';

/** Open at shutdown (created in log.1000000e1 at 0x100000115, after the newest snapshot), timeout 30000 ms. */
const OPEN_SESSION = 0x300000d6def0002n;
const OPEN_SESSION_EPHEMERALS = ['/app/eph', '/app/eph-seq-0000000012'];
/** What every server has besides the user's tree. */
const SYSTEM_NODES = ['/zookeeper', '/zookeeper/config', '/zookeeper/quota'];
/** ZooKeeper wrote the directory with TTL nodes enabled; it must be read the same way. */
const EXTENDED_TYPES = { 'zookeeper.extendedTypesEnabled': 'true' };

function clientView(node: NodeView): unknown {
  const s = node.stat;
  return {
    data_null: node.data === null,
    data_b64: node.data?.toString('base64') ?? '',
    acl: aclStrings(node.acl),
    stat: {
      czxid: hex(s.czxid), mzxid: hex(s.mzxid), pzxid: hex(s.pzxid), ctime: s.ctime, mtime: s.mtime,
      version: s.version, cversion: s.cversion, aversion: s.aversion, ephemeralOwner: hex(s.ephemeralOwner),
      dataLength: s.dataLength, numChildren: s.numChildren,
    },
  };
}

describe('zk-server on a copy of the Apache ZooKeeper 3.8 data directory', () => {
  after(removeTempDirs);

  it('serves exactly the tree ZooKeeper served, the open session\'s ephemerals included', async () => {
    const dataDir = copyFixture();
    const zk = await startZkServer({ storage: 'filelog', dataDir, extraConfig: EXTENDED_TYPES });
    try {
      const c = await RawClient.connect(zk.port);
      // /secure and /secure/shared are readable by alice only; /ip-only by 127.0.0.1, which we are.
      assert.equal((await c.addAuth('digest', Buffer.from('alice:secret'))).err, 0);
      const tree = await dumpTree(c);
      c.destroy();

      const expected = readZnodesJson();
      assert.equal(expected.size, 271);
      for (const [p, want] of expected) {
        const got = tree.get(p);
        assert.ok(got, `${p} is missing`);
        const { path: _path, ...wantView } = want;
        const { data_len: _len, data_utf8: _utf8, ...comparable } = wantView as typeof wantView & { data_len?: number; data_utf8?: string };
        assert.deepEqual(clientView(got), comparable, p);
      }
      assert.deepEqual([...tree.keys()].filter((p) => !expected.has(p)).sort(), SYSTEM_NODES);

      // Right after start the session opened before shutdown still owns its ephemerals.
      for (const p of OPEN_SESSION_EPHEMERALS) assert.equal(tree.get(p)?.stat.ephemeralOwner, OPEN_SESSION, p);
    } finally {
      await zk.stop();
    }
  });

  it('restores the open session itself: a client resumes it with its password, and closing it removes its ephemerals', async () => {
    const dataDir = copyFixture();
    const zk = await startZkServer({ storage: 'filelog', dataDir, extraConfig: EXTENDED_TYPES });
    try {
      const resumed = await RawClient.connect(zk.port, { sessionId: OPEN_SESSION, passwd: sessionPassword(OPEN_SESSION), timeOut: 30_000 });
      assert.equal(resumed.connectResponse?.sessionId, OPEN_SESSION, 'the same session, not a new one');
      assert.equal(resumed.connectResponse?.timeOut, 30_000);
      await resumed.close();

      const c = await RawClient.connect(zk.port);
      for (const p of OPEN_SESSION_EPHEMERALS) assert.equal(await getDataOrNull(c, p), null, `${p} left with its session`);
      assert.ok(await getDataOrNull(c, '/app/config'), 'the rest stays');
      c.destroy();
    } finally {
      await zk.stop();
    }
    // The snapshot written at start-up sits beside ZooKeeper's, named by the last zxid replayed.
    assert.ok(readdirSync(versionDir(dataDir)).includes('snapshot.10000011b'));
  });

  it('without extended types drops the TTL node at start-up as ZooKeeper 3.8 does: its owner reads as a dead session', async () => {
    // Checked against ZooKeeper 3.8 on the same copy: /app/ttl gone, /app at pzxid 0x10000011b, cversion 15.
    const zk = await startZkServer({ storage: 'filelog', dataDir: copyFixture() });
    try {
      const c = await RawClient.connect(zk.port);
      assert.equal(await getDataOrNull(c, '/app/ttl'), null);
      const app = await c.getData('/app');
      assert.deepEqual([hex(app.stat.pzxid), app.stat.cversion, app.stat.numChildren], ['0x10000011b', 15, 11]);
      c.destroy();
    } finally {
      await zk.stop();
    }
  });
});
