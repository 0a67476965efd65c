// Interop stage for the filelog backend: Apache ZooKeeper 3.8's own tools and server read what
// the filelog backend wrote, and the backend reads what ZooKeeper wrote on top of it.

import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  encodeTxnEntry, FileTxnLog, openFilelogStorage, type TxnEntry,
} from '../../src/storage/index.js';
import { fourLetter, launchServer } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, FAST_JVM_FLAGS, JAVA, javaMissingReason, SLF4J_NOP_JAR, ZK_JAR } from './apache-zk.js';
import { runProcess } from './run-process.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `filelog interop skipped: ${javaMissing}`;
const FIXTURE_DATADIR = new URL('../../../test/fixtures/zk38-datadir/', import.meta.url).pathname;
const quiet = { info: () => {}, warn: () => {} };
const WORLD_ALL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

async function txnLogToolkit(file: string): Promise<{ zxids: number[]; eofCount: number; stdout: string }> {
  const result = await runProcess(JAVA, [
    ...FAST_JVM_FLAGS, '-cp', [ZK_JAR, SLF4J_NOP_JAR].join(':'),
    'org.apache.zookeeper.server.persistence.TxnLogToolkit', '-d', file,
  ], { timeoutMs: 60_000, env: { TZ: 'UTC' } });
  assert.equal(result.code, 0, `TxnLogToolkit failed: ${result.stderr}${result.stdout.slice(-2000)}`);
  const zxids = [...result.stdout.matchAll(/ zxid 0x([0-9a-f]+) /g)].map((m) => Number.parseInt(m[1], 16));
  const eof = /EOF reached after (\d+) txns\./.exec(result.stdout);
  assert.ok(eof !== null, result.stdout.slice(-2000));
  return { zxids, eofCount: Number(eof[1]), stdout: result.stdout };
}

function setData(zxid: number, path: string, data: Buffer, version: number): TxnEntry {
  return encodeTxnEntry(
    { clientId: 0x300000d6def0009n, cxid: zxid & 0xffff, zxid, time: Date.UTC(2026, 0, 1), type: 5 },
    { type: 5, path, data, version }, null);
}

describe('filelog interop with Apache ZooKeeper 3.8', { skip }, () => {
  let tmp: string;
  before(async () => {
    assertZooKeeperInstalled();
    tmp = await mkdtemp(path.join(tmpdir(), 'zk-filelog-interop-'));
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('TxnLogToolkit reads every entry of a log the filelog backend wrote, large ones and all', async () => {
    const dir = path.join(tmp, 'toolkit');
    await mkdir(dir);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: quiet });
    const first = 0x2_0000_0001;
    const zxids: number[] = [];
    try {
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        const zxid = first + i;
        zxids.push(zxid);
        // Every 50th entry outgrows the 64 KiB preallocation step.
        const data = Buffer.alloc(i % 50 === 49 ? 100_000 : 10 + (i % 200), i & 0xff);
        pending.push(log.append([setData(zxid, `/n${i}`, data, i)]));
      }
      await Promise.all(pending);
    } finally {
      await log.close();
    }
    const dump = await txnLogToolkit(path.join(dir, `log.${first.toString(16)}`));
    assert.equal(dump.eofCount, zxids.length);
    assert.deepEqual(dump.zxids, zxids);
    assert.doesNotMatch(dump.stdout, /CRC ERROR/);
  });

  it('Apache ZooKeeper replays txns the filelog backend appended to its data directory', async (t) => {
    const dataDir = path.join(tmp, 'replay');
    await cp(FIXTURE_DATADIR, dataDir, { recursive: true });
    const backend = await openFilelogStorage({ dataDir, preAllocSizeKb: 64, logger: quiet });
    const created = encodeTxnEntry(
      { clientId: 0x300000d6def0009n, cxid: 1, zxid: 0x10000011c, time: Date.UTC(2026, 0, 1), type: 1 },
      { type: 1, path: '/filelog', data: Buffer.from('written by zk-server'), acl: WORLD_ALL, ephemeral: false, parentCVersion: -1 },
      null);
    try {
      assert.equal(await backend.txnLog.lastZxid(), 0x10000011b);
      await backend.txnLog.append([created, setData(0x10000011d, '/app/config', Buffer.from('{"k":"v4"}'), 3)]);
    } finally {
      await backend.close();
    }
    const newLog = path.join(dataDir, 'version-2', 'log.10000011c');
    assert.deepEqual((await txnLogToolkit(newLog)).zxids, [0x10000011c, 0x10000011d]);

    const server = await launchServer({
      command: JAVA,
      args: (configPath) => [...FAST_JVM_FLAGS, '-Xmx256m', '-Dzookeeper.extendedTypesEnabled=true',
        '-cp', [ZK_JAR, SLF4J_NOP_JAR].join(':'), 'org.apache.zookeeper.server.ZooKeeperServerMain', configPath],
      baseConfig: { 'admin.enableServer': 'false', preAllocSize: '64' },
    }, { dataDir });
    let srvr: string;
    let mntr: string;
    try {
      srvr = await fourLetter(server.port, 'srvr');
      mntr = await fourLetter(server.port, 'mntr');
    } finally {
      await server.stop();
    }
    t.diagnostic(srvr.split('\n').find((l) => l.startsWith('Zxid')) ?? srvr);
    assert.match(srvr, /Zxid: 0x10000011d/, 'ZooKeeper replayed both appended txns');
    // 271 znodes + /zookeeper, /zookeeper/config, /zookeeper/quota + the root, and ours.
    assert.match(mntr, /zk_znode_count\s+276/);

    // And back: the backend opens what ZooKeeper left (its start-up snapshot included).
    const reopened = await openFilelogStorage({ dataDir, logger: quiet });
    try {
      assert.equal(await reopened.txnLog.lastZxid(), 0x10000011d);
      assert.equal((await reopened.snapshots.list())[0].zxid, 0x10000011d);
      const snapshot = Buffer.concat(await (async () => {
        const out: Uint8Array[] = [];
        for await (const c of reopened.snapshots.open(0x10000011d)) out.push(c);
        return out;
      })());
      assert.equal(snapshot.subarray(0, 4).toString('latin1'), 'ZKSN');
      assert.ok(snapshot.includes(Buffer.from('written by zk-server')), 'the new node is in ZooKeeper\'s snapshot');
    } finally {
      await reopened.close();
    }
    assert.ok((await readFile(newLog)).length >= 16 + 64 * 1024, 'still preallocated');
  });
});
