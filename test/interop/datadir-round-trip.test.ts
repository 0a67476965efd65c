// Interop stage, back and forth: zk-server → Apache ZooKeeper 3.8 → zk-server on one data directory,
// with writes on each side (sessions left open on one server resumed and closed on the next). At each
// hop the next server serves the tree the last one had, and the tree digests agree zxid by zxid.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fourLetter, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, javaMissingReason, startApacheZk } from './apache-zk.js';
import {
  assertSameDigests, assertSameDump, copyDataDir, mntrValue, parseDigestHistory, srvrZxid,
} from './datadir-compare.js';
import { DataDirTool, type DumpLine } from './datadir-tool.js';
import { DATADIR_CONFIG, DUMP_AUTHS, writeMore, writeTree, type OpenSession } from './datadir-workload.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `data-directory interop skipped: ${javaMissing}`;

/** What one server left behind: its data dir, its last view of the tree, its digest history. */
interface Hop {
  name: string;
  dataDir: string;
  dump: DumpLine[];
  lastZxid: number;
  digests: Map<string, string>;
  open: OpenSession;
}

describe('zk-server → Apache ZooKeeper 3.8 → zk-server, writing on each side', { skip }, () => {
  let tool: DataDirTool;
  let tmp: string;

  before(async () => {
    assertZooKeeperInstalled();
    tmp = await mkdtemp(path.join(tmpdir(), 'zk-datadir-round-trip-'));
    tool = await DataDirTool.start();
  });

  after(async () => {
    await tool?.close();
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  });

  /** Records what `server` serves now, stops it with the session `open` left open. */
  async function finish(name: string, server: ZkServerHandle, open: OpenSession): Promise<Hop> {
    const dump = await tool.dump(`127.0.0.1:${server.port}`, DUMP_AUTHS);
    const lastZxid = srvrZxid(await fourLetter(server.port, 'srvr'));
    const digests = parseDigestHistory(await fourLetter(server.port, 'hash'));
    await server.stop('SIGTERM');
    open.client.destroy();
    return { name, dataDir: server.dataDir, dump, lastZxid, digests, open };
  }

  /**
   * Checks that `server`, just started on a copy of `prev`'s directory, serves prev's last state.
   * The copy kept only the oldest snapshot, so `server` replayed every txn and recorded the digest of
   * each 128th zxid exactly where `prev` did; `minCommon` of them must be compared.
   */
  async function checkHop(t: TestContext, prev: Hop, name: string, server: ZkServerHandle, minCommon: number): Promise<void> {
    assert.equal(srvrZxid(await fourLetter(server.port, 'srvr')), prev.lastZxid, `${name} restored up to ${prev.name}'s last txn`);
    const common = assertSameDigests(prev.digests, parseDigestHistory(await fourLetter(server.port, 'hash')), prev.name, name);
    t.diagnostic(`${prev.name} → ${name}: digests compared at zxids ${common.map((z) => `0x${z}`).join(' ')}`);
    assert.ok(common.length >= minCommon, `at least ${minCommon} digest history entries in common, got ${common.length}`);
    assertSameDump(prev.dump, await tool.dump(`127.0.0.1:${server.port}`, DUMP_AUTHS), prev.name, name);
  }

  it('each server serves the tree the previous one left, and the tree digests agree', async (t) => {
    let mark = performance.now();
    const lap = (what: string): void => {
      const now = performance.now();
      t.diagnostic(`${what}: ${((now - mark) / 1000).toFixed(1)} s`);
      mark = now;
    };
    const first = await startZkServer({ storage: 'filelog', dataDir: path.join(tmp, 'hop1'), extraConfig: { ...DATADIR_CONFIG } });
    let hop1: Hop;
    try {
      hop1 = await finish('zk-server #1', first, await writeTree(first.port));
    } finally {
      await first.stop('SIGKILL');
    }
    lap('zk-server #1 wrote, dumped, stopped');

    const apacheDir = path.join(tmp, 'hop2');
    await copyDataDir(hop1.dataDir, apacheDir, { onlyOldestSnapshot: true });
    const apache = await startApacheZk({ dataDir: apacheDir, extraConfig: { ...DATADIR_CONFIG } });
    let hop2: Hop;
    try {
      // Replaying our log, ZooKeeper compared the TxnDigest we wrote into every txn with its own.
      assert.equal(mntrValue(await fourLetter(apache.port, 'mntr'), 'zk_digest_mismatches_count'), 0);
      // The workload is past zxid 0x80.
      await checkHop(t, hop1, 'Apache ZooKeeper', apache, 1);
      lap('Apache ZooKeeper started and checked');
      hop2 = await finish('Apache ZooKeeper', apache, await writeMore(apache.port, 'apache', hop1.open));
    } finally {
      await apache.stop('SIGKILL');
    }
    lap('Apache ZooKeeper wrote, dumped, stopped');
    assert.ok(Math.floor(hop2.lastZxid / 128) > Math.floor(hop1.lastZxid / 128), 'ZooKeeper\'s writes crossed a 128th zxid');

    const lastDir = path.join(tmp, 'hop3');
    await copyDataDir(hop2.dataDir, lastDir, { onlyOldestSnapshot: true });
    const last = await startZkServer({ storage: 'filelog', dataDir: lastDir, extraConfig: { ...DATADIR_CONFIG } });
    try {
      // Every entry of ZooKeeper's history, its own writes' included.
      await checkHop(t, hop2, 'zk-server #2', last, hop2.digests.size);
      lap('zk-server #2 started and checked');
      const open = await writeMore(last.port, 'zk-server', hop2.open);
      await open.client.close();
      assert.ok((await tool.dump(`127.0.0.1:${last.port}`, DUMP_AUTHS)).some((d) => d.path === '/dd/hop-zk-server/n-99'));
    } finally {
      await last.stop();
    }
    lap('zk-server #2 wrote and stopped');
  });
});
