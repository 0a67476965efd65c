// Interop stage, zk-server → Apache ZooKeeper 3.8: zk-server (filelog) writes a tree and stops;
// ZooKeeper starts on a copy of its data directory and serves the same tree, stats and all, and
// ZooKeeper's own TxnLogToolkit and SnapshotFormatter read every file zk-server wrote.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MultiOp } from '../../src/jute/records.js';
import { CreateFlag, OpCode } from '../../src/protocol/constants.js';
import { decodeTxnEntry } from '../../src/storage/txn-entry.js';
import { openFilelogStorage } from '../../src/storage/index.js';
import { OPEN_ACL_UNSAFE, RawClient } from '../helpers/raw-client.js';
import { fourLetter, startZkServer } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, javaMissingReason, startApacheZk } from './apache-zk.js';
import {
  assertPlausibleDump, assertSameDigests, assertSameDump, copyDataDir, listDataDir, mntrValue, parseDigestHistory,
  srvrZxid,
} from './datadir-compare.js';
import { DataDirTool, type DumpLine } from './datadir-tool.js';
import { DATADIR_CONFIG, DUMP_AUTHS, writeTree } from './datadir-workload.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `data-directory interop skipped: ${javaMissing}`;
const quiet = { info: () => {}, warn: () => {} };

interface Written {
  dataDir: string;
  dump: DumpLine[];
  lastZxid: number;
  hash: string;
  ephemerals: number;
}

describe('zk-server data directory → Apache ZooKeeper 3.8', { skip }, () => {
  let tool: DataDirTool;
  let tmp: string;
  let written: Promise<Written>;

  before(async () => {
    assertZooKeeperInstalled();
    tmp = await mkdtemp(path.join(tmpdir(), 'zk-datadir-to-apache-'));
    tool = await DataDirTool.start();
    written = writeWithZkServer(path.join(tmp, 'zk-server'));
    // A failure shows in the tests that need the result, not as an unhandled rejection.
    written.catch(() => undefined);
  });

  after(async () => {
    await tool?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  async function writeWithZkServer(dataDir: string): Promise<Written> {
    const server = await startZkServer({ storage: 'filelog', dataDir, extraConfig: { ...DATADIR_CONFIG } });
    try {
      const owner = await writeTree(server.port);
      const dump = await tool.dump(`127.0.0.1:${server.port}`, DUMP_AUTHS);
      assertPlausibleDump(dump, ['/dd/eph', '/dd/large', '/dd/ttl', '/dd/container/child', '/dd/multi/box/in']);
      // After the dump, whose session adds its own txns.
      const lastZxid = srvrZxid(await fourLetter(server.port, 'srvr'));
      const mntr = await fourLetter(server.port, 'mntr');
      const hash = await fourLetter(server.port, 'hash');
      assert.equal(await server.stop('SIGTERM'), 0, `zk-server exit code\n${server.stderr()}`);
      owner.client.destroy();
      return { dataDir, dump, lastZxid, hash, ephemerals: mntrValue(mntr, 'zk_ephemerals_count') };
    } finally {
      await server.stop('SIGKILL');
    }
  }

  it('Apache ZooKeeper serves the tree zk-server wrote: same data, ACLs and every stat field', async (t) => {
    const zk = await written;
    const files = await listDataDir(zk.dataDir);
    t.diagnostic(`zk-server wrote ${files.logs.length} logs, ${files.snapshots.length} snapshots, last zxid 0x${zk.lastZxid.toString(16)}`);
    assert.ok(files.logs.length >= 3, `several log files: ${files.logs.map((f) => f.name).join(' ')}`);
    assert.ok(files.snapshots.length >= 3, `several snapshots: ${files.snapshots.map((f) => f.name).join(' ')}`);

    const copy = path.join(tmp, 'apache');
    await copyDataDir(zk.dataDir, copy);
    const apache = await startApacheZk({ dataDir: copy, extraConfig: { ...DATADIR_CONFIG } });
    try {
      // Before the dump's own session txns.
      assert.equal(srvrZxid(await fourLetter(apache.port, 'srvr')), zk.lastZxid, 'ZooKeeper restored up to the last txn');
      const mntr = await fourLetter(apache.port, 'mntr');
      // ZooKeeper compared our snapshot's digest trailer and every replayed txn's TxnDigest with its own.
      assert.equal(mntrValue(mntr, 'zk_digest_mismatches_count'), 0);
      assert.equal(mntrValue(mntr, 'zk_ephemerals_count'), zk.ephemerals);
      const common = assertSameDigests(parseDigestHistory(zk.hash), parseDigestHistory(await fourLetter(apache.port, 'hash')),
        'zk-server', 'Apache ZooKeeper');
      t.diagnostic(`digest history entries compared: ${common.length}`);
      const dump = await tool.dump(`127.0.0.1:${apache.port}`, DUMP_AUTHS);
      assertSameDump(zk.dump, dump, 'zk-server', 'Apache ZooKeeper');
    } finally {
      await apache.stop();
    }
  });

  it('snapshots written incrementally (zookeeper.snapshot.incremental) load in ZooKeeper, digest and all', async () => {
    const dataDir = path.join(tmp, 'incremental');
    const config = { ...DATADIR_CONFIG, 'snapshot.incremental': 'true' };
    const server = await startZkServer({ storage: 'filelog', dataDir, extraConfig: config });
    let expected: DumpLine[];
    let lastZxid: number;
    try {
      // A few hundred nodes, so that the changes between two snapshots (snapCount 50) are a small
      // share of the tree; then the usual workload, and rounds of changes to those nodes.
      const client = await RawClient.connect(server.port);
      await client.create('/inc', Buffer.from('incremental'));
      for (let i = 0; i < 300; i++) await client.create(`/inc/n${i}`, Buffer.alloc(40, i));
      const owner = await writeTree(server.port);
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 40; i++) await client.setData(`/inc/n${10 + ((round * 41 + i * 7) % 290)}`, Buffer.from(`round ${round} ${i}`));
        await client.delete(`/inc/n${round}`);
        await client.create(`/inc/n${round}x`, null);
        await sleep(100);
      }
      await client.close();
      expected = await tool.dump(`127.0.0.1:${server.port}`, DUMP_AUTHS);
      lastZxid = srvrZxid(await fourLetter(server.port, 'srvr'));
      assert.equal(await server.stop('SIGTERM'), 0, `zk-server exit code\n${server.stderr()}`);
      owner.client.destroy();
    } finally {
      await server.stop('SIGKILL');
    }
    const log = server.stdout() + server.stderr();
    const incremental = [...log.matchAll(/snapshot (0x[0-9a-f]+) written: .*from the previous one/g)].map((m) => m[1]);
    assert.ok(incremental.length >= 2, `several snapshots written incrementally:\n${log.slice(-3000)}`);
    // The newest snapshot alone, written from the previous ones: ZooKeeper replays nothing before it,
    // and checks its digest trailer (the tree's at the snapshot's zxid) as soon as it has loaded it.
    const copy = path.join(tmp, 'incremental-apache');
    await copyDataDir(dataDir, copy);
    const apache = await startApacheZk({ dataDir: copy, extraConfig: { ...DATADIR_CONFIG } });
    try {
      assert.equal(srvrZxid(await fourLetter(apache.port, 'srvr')), lastZxid);
      assert.equal(mntrValue(await fourLetter(apache.port, 'mntr'), 'zk_digest_mismatches_count'), 0);
      assertSameDump(expected, await tool.dump(`127.0.0.1:${apache.port}`, DUMP_AUTHS), 'zk-server', 'Apache ZooKeeper');
    } finally {
      await apache.stop();
    }
    for (const zxid of incremental.slice(-3)) {
      const out = await tool.snapshot(path.join(dataDir, 'version-2', `snapshot.${zxid.slice(2)}`));
      assert.doesNotMatch(out, /Exception|error/i, `snapshot.${zxid.slice(2)}:\n${out.slice(-2000)}`);
    }
  });

  // ZooKeeper 3.8 replays only create/createTTL/createContainer/delete/setData/check/error inside a
  // multi txn: at a create2 (15) it stops and silently drops the rest of that multi (3.9 added it,
  // ZOOKEEPER-4026). 3.8 itself logs a create2 op of a multi as a create (1); the CreateTxn is the same.
  it('a multi with a create2 op is logged so that ZooKeeper 3.8 replays all of it', async () => {
    const dataDir = path.join(tmp, 'create2');
    const server = await startZkServer({ storage: 'filelog', dataDir, extraConfig: { ...DATADIR_CONFIG } });
    let expected: DumpLine[];
    try {
      const client = await RawClient.connect(server.port);
      const create = (type: 1 | 15, p: string): MultiOp => ({
        type, req: { path: p, data: Buffer.from(p), acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT, ttl: -1 },
      });
      const multi = await client.multi([create(OpCode.create, '/m'), create(OpCode.create2, '/m/two'), create(OpCode.create, '/m/after')]);
      assert.ok(multi.results.every((r) => r.type !== -1), `multi results ${multi.results.map((r) => r.type).join(' ')}`);
      await client.close();
      expected = await tool.dump(`127.0.0.1:${server.port}`, DUMP_AUTHS);
    } finally {
      await server.stop();
    }
    // Only the start-up snapshot: ZooKeeper must replay the multi from the log.
    const copy = path.join(tmp, 'create2-apache');
    await copyDataDir(dataDir, copy, { onlyOldestSnapshot: true });
    const apache = await startApacheZk({ dataDir: copy, extraConfig: { ...DATADIR_CONFIG } });
    try {
      assertSameDump(expected, await tool.dump(`127.0.0.1:${apache.port}`, DUMP_AUTHS), 'zk-server', 'Apache ZooKeeper');
    } finally {
      await apache.stop();
    }
  });

  it('TxnLogToolkit and SnapshotFormatter read every file zk-server wrote, each txn once', async () => {
    const zk = await written;
    const files = await listDataDir(zk.dataDir);
    const dir = path.join(zk.dataDir, 'version-2');

    // "Ours": what the filelog backend reads back from the same files.
    const ours: number[] = [];
    const copy = path.join(tmp, 'reread');
    await copyDataDir(zk.dataDir, copy);
    const backend = await openFilelogStorage({ dataDir: copy, logger: quiet });
    try {
      for await (const entry of backend.txnLog.read(0)) ours.push(decodeTxnEntry(entry).header.zxid);
    } finally {
      await backend.close();
    }
    assert.equal(ours.at(-1), zk.lastZxid);
    assert.deepEqual(ours, Array.from({ length: ours.length }, (_, i) => ours[0] + i), 'zxids are consecutive');

    const theirs: number[] = [];
    for (const log of files.logs) {
      const out = await tool.txnLog(path.join(dir, log.name));
      assert.doesNotMatch(out, /CRC ERROR|Exception|partial/i, `${log.name}:\n${out.slice(-2000)}`);
      assert.match(out, /^ZooKeeper Transactional Log File with dbid 0 txnlog format version 2$/m);
      const zxids = [...out.matchAll(/ zxid 0x([0-9a-f]+) /g)].map((m) => Number.parseInt(m[1], 16));
      const eof = /^EOF reached after (\d+) txns\.$/m.exec(out);
      assert.ok(eof !== null, `${log.name}: TxnLogToolkit reached the end\n${out.slice(-2000)}`);
      assert.equal(Number(eof[1]), zxids.length, log.name);
      assert.equal(zxids[0], log.zxid, `${log.name} starts with the zxid in its name`);
      theirs.push(...zxids);
    }
    assert.deepEqual(theirs, ours, 'TxnLogToolkit reads the same txns, in the same order, as the filelog backend');

    for (const snap of files.snapshots) {
      const out = await tool.snapshot(path.join(dir, snap.name));
      assert.doesNotMatch(out, /Exception|error/i, `${snap.name}:\n${out.slice(-2000)}`);
      const count = /^ZNode Details \(count=(\d+)\):$/m.exec(out);
      assert.ok(count !== null && Number(count[1]) >= 4, `${snap.name}: SnapshotFormatter listed the nodes\n${out.slice(0, 500)}`);
      const last = /^Last zxid: 0x([0-9a-f]+)$/m.exec(out);
      assert.ok(last !== null && Number.parseInt(last[1], 16) >= snap.zxid, `${snap.name}: a last zxid at or past its name`);
      assert.match(out, /^Session Details \(sid, timeout, ephemeralCount\):$/m, snap.name);
    }
  });
});
