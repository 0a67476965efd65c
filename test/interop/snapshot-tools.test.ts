// Interop stage for snapshots: Apache ZooKeeper 3.8's SnapshotFormatter and server read what
// takeSnapshot wrote, seals and digest trailer included.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFilelogStorage } from '../../src/storage/index.js';
import { closeSnapshotPool, restoreSnapshot, takeSnapshot } from '../../src/storage/snapshot/index.js';
import { DataTree } from '../../src/tree/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { fourLetter, launchServer } from '../helpers/zk-server.js';
import {
  aclStrings, buildTree, dumpFieldsOf, javaHex016, NEWEST_SNAPSHOT, NEWEST_ZXID, parseSnapshotDump, readFixture,
  readSnapshotDumpText, storeWith,
} from '../storage/snapshot-fixtures.js';
import { assertZooKeeperInstalled, FAST_JVM_FLAGS, JAVA, javaMissingReason, SLF4J_NOP_JAR, ZK_JAR } from './apache-zk.js';
import { runProcess } from './run-process.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `snapshot interop skipped: ${javaMissing}`;
const quiet = { info: () => {}, warn: () => {} };

async function snapshotFormatter(file: string): Promise<string> {
  const result = await runProcess(JAVA, [
    ...FAST_JVM_FLAGS, '-Duser.timezone=UTC', '-cp', [ZK_JAR, SLF4J_NOP_JAR].join(':'),
    'org.apache.zookeeper.server.SnapshotFormatter', '-d', file,
  ], { timeoutMs: 60_000, env: { TZ: 'UTC' } });
  assert.equal(result.code, 0, `SnapshotFormatter failed: ${result.stderr}${result.stdout.slice(-2000)}`);
  return result.stdout;
}

describe('snapshots written here, read by Apache ZooKeeper 3.8', { skip }, () => {
  let tmp: string;
  before(async () => {
    assertZooKeeperInstalled();
    tmp = await mkdtemp(path.join(tmpdir(), 'zk-snapshot-interop-'));
  });
  after(async () => {
    await closeSnapshotPool();
    await rm(tmp, { recursive: true, force: true });
  });

  it('SnapshotFormatter prints the same for ZooKeeper\'s newest snapshot as for our rewrite of it', async () => {
    const source = await storeWith(readFixture(NEWEST_SNAPSHOT), NEWEST_ZXID);
    const tree = new DataTree({ extendedTypesEnabled: true });
    const restored = await restoreSnapshot(source.snapshots, NEWEST_ZXID, tree);
    // The trailer ZooKeeper wrote is the digest of its last processed txn; ours has processed none.
    tree.digestHistory.lastProcessed = restored.digest;
    const dataDir = path.join(tmp, 'rewrite');
    const backend = await openFilelogStorage({ dataDir, logger: quiet });
    try {
      await takeSnapshot(tree, restored.sessions, backend.snapshots);
    } finally {
      await backend.close();
      await source.close();
    }
    const out = await snapshotFormatter(path.join(dataDir, 'version-2', NEWEST_SNAPSHOT));
    assert.equal(out, readSnapshotDumpText());
  });

  it('SnapshotFormatter reads a tree built here: every node, stat and data, and the sessions', async () => {
    const { tree } = buildTree(500);
    const sessions = new Map([[0x1234n, 30_000], [0x77n, 5000]]);
    const dataDir = path.join(tmp, 'built');
    const backend = await openFilelogStorage({ dataDir, logger: quiet });
    let zxid: number;
    try {
      zxid = (await takeSnapshot(tree, sessions, backend.snapshots)).zxid;
    } finally {
      await backend.close();
    }
    const dump = parseSnapshotDump(await snapshotFormatter(path.join(dataDir, 'version-2', `snapshot.${zxid.toString(16)}`)));
    assert.equal(dump.count, tree.nodeCount());
    let nodes = 0;
    let maxZxid = 0;
    for (const [p, node] of tree.nodesInSnapshotOrder()) {
      const printed = dump.nodes.get(p === '' ? '/' : p);
      assert.ok(printed !== undefined, `SnapshotFormatter lists ${p}`);
      assert.deepEqual(printed.fields, dumpFieldsOf(node.statPersisted(), node.data), p);
      maxZxid = Math.max(maxZxid, node.mzxid, node.pzxid);
      nodes++;
    }
    assert.equal(dump.nodes.size, nodes);
    assert.deepEqual(dump.sessions.sort(), [`${javaHex016(0x1234n)}, 30000, 1`, `${javaHex016(0x77n)}, 5000, 0`].sort());
    assert.equal(dump.lastZxid, '0x' + Math.max(zxid, maxZxid).toString(16));
  });

  it('Apache ZooKeeper starts from a snapshot written here and serves it, seals and digest checked', async () => {
    const w = buildTree(2000);
    const tree = w.tree;
    const dataDir = path.join(tmp, 'serve');
    const backend = await openFilelogStorage({ dataDir, logger: quiet });
    try {
      await takeSnapshot(tree, new Map([[0x1234n, 60_000]]), backend.snapshots);
    } finally {
      await backend.close();
    }
    // ZooKeeper refuses to start when no snapshot passes its seal check.
    const server = await launchServer({
      command: JAVA,
      args: (configPath) => [...FAST_JVM_FLAGS, '-Xmx256m', '-Dzookeeper.extendedTypesEnabled=true',
        '-cp', [ZK_JAR, SLF4J_NOP_JAR].join(':'), 'org.apache.zookeeper.server.ZooKeeperServerMain', configPath],
      baseConfig: { 'admin.enableServer': 'false' },
    }, { dataDir });
    try {
      const mntr = await fourLetter(server.port, 'mntr');
      assert.match(mntr, new RegExp(`zk_znode_count\\s+${tree.nodeCount()}\\n`));
      assert.match(mntr, /zk_ephemerals_count\s+1\n/);
      // Our trailer named the last zxid, so ZooKeeper compared its own digest of the loaded tree.
      assert.match(mntr, /zk_digest_mismatches_count\s+0\n/);
      const srvr = await fourLetter(server.port, 'srvr');
      assert.match(srvr, new RegExp(`Zxid: 0x${w.zxid.toString(16)}\\n`));

      const client = await RawClient.connect(server.port);
      try {
        for (const p of ['/app', '/app/secure', '/app/ro', '/app/eph', '/app/container', '/app/ttl', '/app/big',
          '/app/über-ünïcødé-ノード', '/app/empty', '/bulk/d5/n22']) {
          const node = tree.getNode(p)!;
          const got = await client.getData(p);
          assert.deepEqual(got.stat, node.stat(), `${p} stat`);
          assert.deepEqual(got.data, node.data, `${p} data`);
          // ZooKeeper hides digest hashes from clients without ADMIN on the node: "alice:x".
          const expected = tree.getACL(node).map((a) => a.id.scheme === 'digest'
            ? { ...a, id: { scheme: 'digest', id: `${a.id.id.split(':')[0]}:x` } } : a);
          assert.deepEqual(aclStrings((await client.getACL(p)).acl), aclStrings(expected), `${p} acl`);
        }
        assert.deepEqual((await client.getChildren('/bulk/d5')).sort(), [...tree.getNode('/bulk/d5')!.children].sort());
        assert.equal(await client.getAllChildrenNumber('/bulk'), tree.getAllChildrenNumber('/bulk'));
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });
});
