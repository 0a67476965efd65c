// zk-server (filelog) started on damaged data directories, one written by zk-server in the test and
// a copy of the Apache ZooKeeper 3.8 fixture: what it refuses (with the file, the offset and a way
// to repair in the error) and what it recovers from (with a warning naming the file), checked
// against what the restarted server serves. What Apache ZooKeeper 3.8 does in each case is noted.

import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openFilelogStorage } from '../../src/storage/filelog/index.js';
import { isStorageError } from '../../src/storage/errors.js';
import { RawClient } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import {
  copyFixture, dumpTree, filesOf, flipByte, getDataOrNull, logEntryPlaces, removeTempDirs, runExpectingRefusal,
  tempDir, treeDifferences, versionDir, type NodeView,
} from './support.js';

/** Nodes the written directory holds: /c/n000 … one create per txn, so each is one log entry. */
const NODES = 60;
const nodePath = (i: number): string => `/c/n${String(i).padStart(3, '0')}`;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface WrittenDir {
  dataDir: string;
  /** The whole tree as served before the server stopped. */
  tree: Map<string, NodeView>;
}

/**
 * zk-server writes NODES creates and a few setData on a fresh directory and stops cleanly. With
 * snapCount 10 it leaves many snapshots and logs; without it, one log after snapshot.0.
 */
async function writeDataDir(extraConfig: Record<string, string>): Promise<WrittenDir> {
  const dataDir = path.join(tempDir(), 'data');
  const zk = await startZkServer({ storage: 'filelog', dataDir, extraConfig: { preAllocSize: '4', ...extraConfig } });
  try {
    const c = await RawClient.connect(zk.port);
    await c.create('/c', Buffer.from('root of the test nodes'));
    for (let i = 0; i < NODES; i++) await c.create(nodePath(i), Buffer.from(`data-${i}`));
    for (let i = 0; i < NODES; i += 7) await c.setData(nodePath(i), Buffer.from(`changed-${i}`));
    await c.close();
    const reader = await RawClient.connect(zk.port);
    const tree = await dumpTree(reader);
    reader.destroy();
    assert.equal(await zk.stop(), 0);
    return { dataDir, tree };
  } finally {
    await zk.stop();
  }
}

function copyDir(from: string): string {
  const to = path.join(tempDir(), 'data');
  cpSync(from, to, { recursive: true });
  return to;
}

/** Starts zk-server on dataDir, hands a connected client to `use`, stops. Returns its stderr. */
async function withServer(dataDir: string, use: (c: RawClient, zk: ZkServerHandle) => Promise<void>): Promise<string> {
  // The fixture has a TTL node (ZooKeeper ran with extended types); harmless for the other directory.
  const zk = await startZkServer({ storage: 'filelog', dataDir, extraConfig: { 'zookeeper.extendedTypesEnabled': 'true' } });
  try {
    const c = await RawClient.connect(zk.port);
    try {
      await c.addAuth('digest', Buffer.from('alice:secret'));
      await use(c, zk);
    } finally {
      c.destroy();
    }
    return zk.stderr();
  } finally {
    await zk.stop();
  }
}

const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('[WARN]'));

function assertSameTree(actual: Map<string, NodeView>, expected: Map<string, NodeView>, what: string): void {
  assert.deepEqual(treeDifferences(expected, actual), [], `${what}: the restarted server serves a different tree`);
}

describe('a damaged data directory written by zk-server', () => {
  let oneLog: WrittenDir;
  let manySnapshots: WrittenDir;
  before(async () => {
    oneLog = await writeDataDir({});
    manySnapshots = await writeDataDir({ snapCount: '10' });
  });
  after(removeTempDirs);

  it('starts again unchanged when undamaged (and writes no epoch files in standalone, as ZooKeeper)', async () => {
    const dataDir = copyDir(manySnapshots.dataDir);
    assert.ok(filesOf(dataDir, 'snapshot').length >= 4 && filesOf(dataDir, 'log').length >= 4,
      `snapCount 10 rolled the log and snapshotted: ${filesOf(dataDir, 'snapshot').length} snapshots`);
    await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), manySnapshots.tree, 'undamaged'));
    // ZooKeeperServerMain never reads or writes them; only a quorum peer does.
    assert.equal(existsSync(path.join(versionDir(dataDir), 'currentEpoch')), false);
    assert.equal(existsSync(path.join(versionDir(dataDir), 'acceptedEpoch')), false);
  });

  it('refuses a flipped byte in the middle of a log, naming file and offset; the repair it gives works', async () => {
    const dataDir = copyDir(oneLog.dataDir);
    const [log] = filesOf(dataDir, 'log');
    const places = logEntryPlaces(log);
    assert.ok(places.length > NODES, `${places.length} entries in ${log}`);
    const damaged = places[Math.floor(places.length / 2)];
    flipByte(log, damaged.offset + 12 + 20); // inside the payload: the checksum no longer matches
    const before = readFileSync(log);

    const refused = await runExpectingRefusal(dataDir);
    assert.notEqual(refused.code, 'served', refused.stderr);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`${escapeRe(log)} is corrupt at offset ${damaged.offset}: checksum `));
    assert.match(refused.stderr, /good entry follows at offset \d+, so this is not a torn write/);
    const repair = new RegExp(`truncate -s ${damaged.offset} ${escapeRe(log)}`);
    assert.match(refused.stderr, repair, 'says how to repair');
    assert.deepEqual(readFileSync(log), before, 'a refused start modifies nothing');

    // The repair as the message gives it: every txn before the damaged one is served.
    truncateSync(log, damaged.offset);
    await withServer(dataDir, async (c) => {
      const present = await Promise.all(Array.from({ length: NODES }, async (_, i) => (await getDataOrNull(c, nodePath(i))) !== null));
      const kept = present.filter(Boolean).length;
      assert.ok(kept > 0 && kept < NODES, `${kept} of ${NODES} creates kept`);
      assert.deepEqual(present, present.map((_, i) => i < kept), 'a prefix of the creates survives');
      const last = await c.getData(nodePath(kept - 1));
      assert.ok(last.stat.czxid < damaged.zxid);
    });
  });

  it('starts on a truncated last log: the torn entry is cut with a warning, earlier txns are served', async () => {
    const dataDir = copyDir(oneLog.dataDir);
    const [log] = filesOf(dataDir, 'log');
    const places = logEntryPlaces(log);
    // Cut inside an entry a third of the way in, as a crash in the middle of a write would.
    const torn = places[Math.floor(places.length / 3)];
    truncateSync(log, torn.offset + 20);
    const stderr = await withServer(dataDir, async (c) => {
      for (const [p, node] of oneLog.tree) {
        if (!/^\/c\/n/.test(p)) continue;
        const got = await getDataOrNull(c, p);
        if (node.stat.czxid < torn.zxid) assert.ok(got !== null, `${p} (czxid 0x${node.stat.czxid.toString(16)}) was before the cut`);
        else assert.equal(got, null, `${p} was created after the cut`);
      }
    });
    assert.ok(warnings(stderr).some((w) => w.includes(`${log}: torn entry at offset ${torn.offset}`)), stderr);
    assert.equal(statSync(log).size, torn.offset, 'the torn entry is cut off');
  });

  it('removes a zero-length newest log (a crash right after creating it) with a warning; the tree is whole', async () => {
    const dataDir = copyDir(oneLog.dataDir);
    const last = logEntryPlaces(filesOf(dataDir, 'log')[0]).at(-1)!.zxid;
    const empty = path.join(versionDir(dataDir), `log.${(last + 1).toString(16)}`);
    writeFileSync(empty, '');
    const stderr = await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), oneLog.tree, 'empty newest log'));
    assert.ok(warnings(stderr).some((w) => w.includes(`removing ${empty}: 0 bytes and no header`)), stderr);
    // The restarted server's first txn has that zxid again and starts a new file of that name.
    assert.ok(!existsSync(empty) || statSync(empty).size > 0);
  });

  it('skips a newest snapshot with a flipped byte for the previous one plus the logs: same tree, a warning names it', async () => {
    const dataDir = copyDir(manySnapshots.dataDir);
    const newest = filesOf(dataDir, 'snapshot').at(-1)!;
    flipByte(newest, Math.floor(statSync(newest).size / 2));
    const stderr = await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), manySnapshots.tree, 'newest snapshot damaged'));
    assert.ok(warnings(stderr).some((w) => w.includes(`problem reading ${newest}, trying an older snapshot: ${newest} is corrupt at offset`)), stderr);
  });

  it('refuses to start when every snapshot is damaged and the logs have entries, naming the directory and files', async () => {
    const dataDir = copyDir(manySnapshots.dataDir);
    const snapshots = filesOf(dataDir, 'snapshot');
    for (const s of snapshots) flipByte(s, Math.floor(statSync(s).size / 2));
    const refused = await runExpectingRefusal(dataDir);
    assert.notEqual(refused.code, 'served', refused.stderr);
    assert.notEqual(refused.code, 0);
    for (const s of snapshots) assert.ok(refused.stderr.includes(`problem reading ${s}`), `a warning for ${s}`);
    assert.match(refused.stderr, new RegExp(`cannot start: every snapshot in ${escapeRe(versionDir(dataDir))} is damaged \\(${
      snapshots.map((s) => escapeRe(path.basename(s))).reverse().join(', ')}\\), but the txn log holds entries up to 0x[0-9a-f]+`));
    assert.match(refused.stderr, /Restore the newest snapshot from a backup/);
  });

  it('refuses to start when the snapshots are gone and the logs remain, naming the directory', async () => {
    const dataDir = copyDir(oneLog.dataDir);
    for (const s of filesOf(dataDir, 'snapshot')) rmSync(s);
    const refused = await runExpectingRefusal(dataDir);
    assert.notEqual(refused.code, 'served', refused.stderr);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`there is no snapshot in ${escapeRe(versionDir(dataDir))}, but the txn log holds entries`));
  });
});

describe('a damaged copy of the Apache ZooKeeper 3.8 fixture directory', () => {
  let intact: Map<string, NodeView>;
  before(async () => {
    await withServer(copyFixture(), async (c) => { intact = await dumpTree(c); });
    assert.ok(intact.has('/app/eph-seq-0000000012') && intact.has('/secure/shared') && intact.has('/app/ttl'));
  });
  after(removeTempDirs);

  /** log.100000116 holds 0x100000116 (create /app/eph), 0x100000117 (create /app/eph-seq-…12) and 4 session txns. */
  const newestLog = (dataDir: string): string => path.join(versionDir(dataDir), 'log.100000116');

  it('refuses a flipped byte in the middle of the newest log (ZooKeeper: "CRC check failed", no file named)', async () => {
    const dataDir = copyFixture();
    const log = newestLog(dataDir);
    const second = logEntryPlaces(log)[1];
    assert.equal(second.zxid, 0x100000117);
    flipByte(log, second.offset + 40);
    const refused = await runExpectingRefusal(dataDir);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`^zk-server: cannot open storage "filelog": ${escapeRe(log)} is corrupt at offset ${second.offset}: `
      + `checksum 0x[0-9a-f]+ does not match the payload's Adler-32 0x[0-9a-f]+, yet a good entry follows at offset ${logEntryPlaces(log)[2]?.offset ?? '\\d+'}`, 'm'));
    assert.match(refused.stderr, new RegExp(`truncate -s ${second.offset} ${escapeRe(log)}`));
  });

  it('refuses a flipped byte in an older log that restore reads (from the newest snapshot\'s zxid on)', async () => {
    const dataDir = copyFixture();
    const log = path.join(versionDir(dataDir), 'log.1000000e1');
    const entry = logEntryPlaces(log)[20];
    flipByte(log, entry.offset + 40);
    const refused = await runExpectingRefusal(dataDir);
    assert.notEqual(refused.code, 'served', refused.stderr);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`cannot start: ${escapeRe(log)} is corrupt at offset ${entry.offset}: checksum`));
  });

  it('starts despite a flipped byte in a log older than the newest snapshot, which restore never reads (as ZooKeeper)', async () => {
    const dataDir = copyFixture();
    flipByte(path.join(versionDir(dataDir), 'log.100000001'), 200);
    await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), intact, 'damage before the snapshot'));
  });

  it('starts on a truncated newest log: the torn entry is cut with a warning, the txns before it served', async () => {
    const dataDir = copyFixture();
    const log = newestLog(dataDir);
    const [first, second] = logEntryPlaces(log);
    truncateSync(log, second.offset + 50);
    const stderr = await withServer(dataDir, async (c) => {
      assert.ok(await getDataOrNull(c, '/app/eph'), '0x100000116 is before the cut');
      assert.equal(await getDataOrNull(c, '/app/eph-seq-0000000012'), null, '0x100000117 was torn');
      const app = await c.getData('/app');
      assert.equal(app.stat.pzxid, first.zxid);
      assert.equal(app.stat.numChildren, (intact.get('/app') as NodeView).stat.numChildren - 1);
    });
    assert.ok(warnings(stderr).some((w) => w.includes(`${log}: torn entry at offset ${second.offset} (entry of `)
      && w.includes('cutting the log there')), stderr);
    assert.equal(statSync(log).size, second.offset);
  });

  it('removes a zero-length newest log with a warning, as ZooKeeper 3.9.3 does (3.8 refuses: EOFException)', async () => {
    const dataDir = copyFixture();
    const log = newestLog(dataDir);
    truncateSync(log, 0);
    const stderr = await withServer(dataDir, async (c) => {
      // Only the txns of log.100000116 are gone: the two ephemerals; their session (0x100000115) is open.
      const expected = new Map(intact);
      expected.delete('/app/eph');
      expected.delete('/app/eph-seq-0000000012');
      const tree = await dumpTree(c);
      assert.equal(tree.has('/app/eph'), false);
      assert.deepEqual(treeDifferences(expected, tree).filter((d) => !d.startsWith('/app:')), []);
    });
    assert.ok(warnings(stderr).some((w) => w.includes(`removing ${log}: 0 bytes and no header`)), stderr);
    assert.ok(!existsSync(log) || statSync(log).size > 0);
  });

  it('refuses a zero-length older log that restore needs, naming it (ZooKeeper 3.8 and 3.9: EOFException)', async () => {
    const dataDir = copyFixture();
    const log = path.join(versionDir(dataDir), 'log.1000000e1');
    truncateSync(log, 0);
    const refused = await runExpectingRefusal(dataDir);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`${escapeRe(log)} is corrupt at offset 0: empty file, shorter than the 16-byte txn log header. `
      + 'Only the newest log can be left so by a crash \\(it is then removed\\); restore this file from a backup'));
  });

  it('skips the newest snapshot with a flipped byte for snapshot.1000000df plus the logs: the same tree', async () => {
    const dataDir = copyFixture();
    const newest = path.join(versionDir(dataDir), 'snapshot.100000114');
    flipByte(newest, Math.floor(statSync(newest).size / 2));
    const stderr = await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), intact, 'newest snapshot damaged'));
    const warning = warnings(stderr).find((w) => w.includes(`problem reading ${newest}`));
    assert.ok(warning, stderr);
    assert.match(warning, new RegExp(`${escapeRe(newest)} is corrupt at offset \\d+: checksum mismatch`));
    assert.match(stderr, /restored .*snapshot\.1000000df: /);
  });

  it('refuses to start when all snapshots are damaged (ZooKeeper: "Not able to find valid snapshots in <dir>")', async () => {
    const dataDir = copyFixture();
    for (const s of filesOf(dataDir, 'snapshot')) flipByte(s, Math.floor(statSync(s).size / 2));
    const refused = await runExpectingRefusal(dataDir);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`cannot start: every snapshot in ${escapeRe(versionDir(dataDir))} is damaged \\(snapshot\\.100000114, `
      + 'snapshot\\.1000000df, snapshot\\.100000085, snapshot\\.100000036, snapshot\\.0\\), but the txn log holds entries up to 0x10000011b'));
  });

  it('starts without epoch files, and leaves them absent (standalone ZooKeeper never reads or writes them)', async () => {
    const dataDir = copyFixture();
    rmSync(path.join(versionDir(dataDir), 'currentEpoch'));
    rmSync(path.join(versionDir(dataDir), 'acceptedEpoch'));
    await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), intact, 'no epoch files'));
    assert.equal(existsSync(path.join(versionDir(dataDir), 'currentEpoch')), false);
    assert.equal(existsSync(path.join(versionDir(dataDir), 'acceptedEpoch')), false);
  });

  it('starts with garbage in currentEpoch as standalone ZooKeeper does; the epoch store refuses it naming the file', async () => {
    const dataDir = copyFixture();
    const epochFile = path.join(versionDir(dataDir), 'currentEpoch');
    writeFileSync(epochFile, 'garbage\n');
    await withServer(dataDir, async (c) => assertSameTree(await dumpTree(c), intact, 'garbage currentEpoch'));
    assert.equal(readFileSync(epochFile, 'utf8'), 'garbage\n', 'left as it was');
    // A quorum peer reads it (QuorumPeer.loadDataBase: "Found garbage in <file>", fatal).
    const storage = await openFilelogStorage({ dataDir, logger: { info() {}, warn() {} } });
    try {
      await assert.rejects(storage.epochs.readCurrentEpoch(), (err: unknown) => isStorageError(err, 'ERR_STORAGE_CORRUPT')
        && err.message === `${epochFile} is corrupt at offset 0: expected a decimal epoch, found "garbage"`);
      assert.equal(await storage.epochs.readAcceptedEpoch(), 1);
    } finally {
      await storage.close();
    }
  });
});
