// Interop stage, Apache ZooKeeper 3.8 → zk-server: ZooKeeper writes a tree and stops, zk-server
// (filelog) starts on a copy of its data directory and serves the same tree, stats and all; and
// zk-server serves the zk38-datadir fixture (a 3-node ensemble leader's directory) as its listing shows.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fourLetter, startZkServer } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, javaMissingReason, startApacheZk } from './apache-zk.js';
import {
  assertPlausibleDump, assertSameDigests, assertSameDump, copyDataDir, fixtureDump, listDataDir, parseDigestHistory,
  srvrZxid,
} from './datadir-compare.js';
import { DataDirTool } from './datadir-tool.js';
import { DATADIR_CONFIG, DUMP_AUTHS, writeTree } from './datadir-workload.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `data-directory interop skipped: ${javaMissing}`;
const FIXTURES = new URL('../../../test/fixtures/', import.meta.url).pathname;
/** The fixture's users: alice has ADMIN on both digest nodes, so their ACLs print unmasked. */
const FIXTURE_AUTHS = ['digest:alice:secret', 'digest:bob:hunter2'];

describe('Apache ZooKeeper 3.8 data directory → zk-server', { skip }, () => {
  let tool: DataDirTool;
  let tmp: string;

  before(async () => {
    assertZooKeeperInstalled();
    tmp = await mkdtemp(path.join(tmpdir(), 'zk-datadir-from-apache-'));
    tool = await DataDirTool.start();
  });

  after(async () => {
    await tool?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  it('zk-server serves the tree Apache ZooKeeper wrote: same data, ACLs and every stat field', async (t) => {
    const dataDir = path.join(tmp, 'apache');
    const apache = await startApacheZk({ dataDir, extraConfig: { ...DATADIR_CONFIG } });
    let expected;
    let lastZxid: number;
    let hash: string;
    try {
      const owner = await writeTree(apache.port);
      expected = await tool.dump(`127.0.0.1:${apache.port}`, DUMP_AUTHS);
      assertPlausibleDump(expected, ['/dd/eph', '/dd/large', '/dd/ttl', '/dd/container/child', '/dd/multi/box/in']);
      lastZxid = srvrZxid(await fourLetter(apache.port, 'srvr'));
      hash = await fourLetter(apache.port, 'hash');
      await apache.stop('SIGTERM');
      owner.client.destroy();
    } finally {
      await apache.stop('SIGKILL');
    }
    const files = await listDataDir(dataDir);
    t.diagnostic(`Apache ZooKeeper wrote ${files.logs.length} logs, ${files.snapshots.length} snapshots, last zxid 0x${lastZxid.toString(16)}`);
    assert.ok(files.logs.length >= 3 && files.snapshots.length >= 3, 'several logs and snapshots');

    // From ZooKeeper's newest snapshot; then from its oldest, replaying every log, so that zk-server
    // records the digest at each 128th zxid as ZooKeeper did and the two histories can be compared.
    for (const onlyOldestSnapshot of [false, true]) {
      const copy = path.join(tmp, onlyOldestSnapshot ? 'zk-server-replay' : 'zk-server');
      await copyDataDir(dataDir, copy, { onlyOldestSnapshot });
      const server = await startZkServer({ storage: 'filelog', dataDir: copy, extraConfig: { ...DATADIR_CONFIG } });
      try {
        assert.equal(srvrZxid(await fourLetter(server.port, 'srvr')), lastZxid, 'zk-server restored up to the last txn');
        const common = assertSameDigests(parseDigestHistory(hash), parseDigestHistory(await fourLetter(server.port, 'hash')),
          'Apache ZooKeeper', 'zk-server');
        t.diagnostic(`${onlyOldestSnapshot ? 'full replay' : 'newest snapshot'}: digests compared at zxids ${common.map((z) => `0x${z}`).join(' ')}`);
        // The workload is past zxid 0x80.
        if (onlyOldestSnapshot) assert.ok(common.length >= 1, 'the digest history has an entry in common');
        assertSameDump(expected, await tool.dump(`127.0.0.1:${server.port}`, DUMP_AUTHS), 'Apache ZooKeeper', 'zk-server');
      } finally {
        await server.stop();
      }
    }
  });

  it('zk-server serves the zk38-datadir fixture as ZooKeeper\'s client listed it, open session\'s ephemerals included', async () => {
    const expected = await fixtureDump(path.join(FIXTURES, 'zk38-datadir.znodes.json'));
    const copy = path.join(tmp, 'fixture');
    await copyDataDir(path.join(FIXTURES, 'zk38-datadir'), copy);
    const server = await startZkServer({ storage: 'filelog', dataDir: copy, extraConfig: { ...DATADIR_CONFIG } });
    try {
      assert.equal(srvrZxid(await fourLetter(server.port, 'srvr')), 0x10000011b);
      // The listing leaves out ZooKeeper's own /zookeeper subtree.
      const dump = (await tool.dump(`127.0.0.1:${server.port}`, FIXTURE_AUTHS))
        .filter((d) => d.path !== '/zookeeper' && !d.path.startsWith('/zookeeper/'));
      assertPlausibleDump(dump, ['/app/eph', '/app/eph-seq-0000000012']);
      assertSameDump(expected, dump, 'zk38-datadir.znodes.json', 'zk-server');
    } finally {
      await server.stop();
    }
  });
});
