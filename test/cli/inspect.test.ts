// `zk-server inspect`, run as the CLI on Apache ZooKeeper 3.8's data directory: the log dump matches
// TxnLogToolkit's line for line, the snapshot dump matches SnapshotFormatter's byte for byte, the
// datadir summary shows ranges, validity, restored state and the autopurge preview; damage is named.

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrateDataDir } from '../../src/storage/migrate/index.js';
import { planPurge } from '../../src/storage/purge.js';
import { closeSnapshotPool } from '../../src/storage/snapshot/index.js';
import { copyFixture, entryLayout, FIXTURE_COMPRESSED, FIXTURE_DUMP, tempDir, type TempDir } from '../storage/filelog-support.js';
import { readSnapshotDumpText } from '../storage/snapshot-fixtures.js';
import { hashTree, runCli, testRestore } from '../storage/migrate-support.js';

describe('zk-server inspect', () => {
  let tmp: TempDir;
  let dataDir: string;
  let v2: string;

  before(async () => {
    tmp = await tempDir();
    dataDir = await copyFixture(tmp.dir);
    v2 = path.join(dataDir, 'version-2');
  });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  it('log DIR prints what TxnLogToolkit -d printed, line for line (multi as ZooKeeper 3.9 decodes it)', async () => {
    const before = await hashTree(dataDir);
    const r = await runCli(['inspect', 'log', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const theirs = (await readFile(FIXTURE_DUMP, 'latin1')).split('\n');
    const ours = Buffer.from(r.stdout, 'utf8').toString('latin1').split('\n');
    // ZooKeeper 3.8 printed a multi's sub-txns as raw bytes on one line; we decode them (3.9's format, over 4 lines).
    const multi = (lines: string[]): number => lines.findIndex((l) => / zxid 0x100000113 multi /.test(l));
    const theirMulti = multi(theirs);
    const ourMulti = multi(ours);
    assert.ok(theirMulti > 0 && ourMulti === theirMulti);
    assert.deepEqual(ours.slice(0, ourMulti), theirs.slice(0, theirMulti), 'every line before the multi');
    assert.deepEqual(ours.slice(ourMulti + 4), theirs.slice(theirMulti + 1), 'every line after it');
    assert.equal(r.stdout.split('\n').slice(ourMulti, ourMulti + 4).join('\n'),
      "11/22/26, 4:19:36 PM UTC session 0x300000d6def0001 cxid 0x3 zxid 0x100000113 multi check:/app/config,3;create:/multi,m,[31,s{'world,'anyone}\n"
      + "],false,5;create:/multi/a,A,[31,s{'world,'anyone}\n],false,1;create:/multi/b,B,[31,s{'world,'anyone}\n],false,2;delete:/multi/b");
    assert.deepEqual(await hashTree(dataDir), before, 'nothing changed');
  });

  it('log FILE --json: one object per file start, txn and end', async () => {
    const r = await runCli(['inspect', 'log', path.join(v2, 'log.100000001'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(records[0].record, 'file');
    const txns = records.filter((x) => x.record === 'txn');
    assert.equal(txns.length, 55);
    assert.deepEqual({ ...txns[0], time: undefined, timeMs: undefined }, {
      record: 'txn', offset: 16, zxid: '0x100000001', session: '0x300000d6def0000', cxid: 0, type: 'createSession',
      txn: { op: 'createSession', timeoutMs: 30000 }, digest: txns[0].digest, time: undefined, timeMs: undefined,
    });
    const ttl = txns.find((x) => x.type === 'createTtl') as { txn: { ttl: number; path: string } };
    assert.deepEqual([ttl.txn.path, ttl.txn.ttl], ['/app/ttl', 3600000]);
    assert.deepEqual(records.at(-1), { record: 'end', file: path.join(v2, 'log.100000001'), txns: 55, end: { kind: 'clean' } });
  });

  it('snapshot FILE prints exactly what SnapshotFormatter -d printed', async () => {
    const r = await runCli(['inspect', 'snapshot', path.join(v2, 'snapshot.100000114')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readSnapshotDumpText());
  });

  it('snapshot .gz and .snappy: the same text, sessions with their ephemeral counts', async () => {
    const gz = await runCli(['inspect', 'snapshot', path.join(FIXTURE_COMPRESSED, 'snapshot.10000011b.gz')]);
    const snappy = await runCli(['inspect', 'snapshot', path.join(FIXTURE_COMPRESSED, 'snapshot.10000011b.snappy')]);
    assert.equal(gz.code, 0, gz.stderr);
    assert.equal(snappy.stdout, gz.stdout);
    assert.match(gz.stdout, /^ZNode Details \(count=275\):\n/);
    assert.match(gz.stdout, /\nSession Details \(sid, timeout, ephemeralCount\):\n0x300000d6def0002, 30000, 2\n----\nLast zxid: 0x10000011b\n$/);
    const json = await runCli(['inspect', 'snapshot', path.join(FIXTURE_COMPRESSED, 'snapshot.10000011b.gz'), '--json']);
    const doc = JSON.parse(json.stdout) as { nodes: Array<{ path: string }>; nodeCount: number; digest: { digest: string; zxid: string } };
    assert.equal(doc.nodes.length, 274);
    assert.equal(doc.nodeCount, 275);
    assert.deepEqual(doc.digest, { zxid: '0x10000011b', digestVersion: 2, digest: `0x${596966815839n.toString(16)}` });
    assert.ok(doc.nodes.some((n) => n.path === '/app/eph'));
  });

  it('datadir: ranges, validity, epochs, restored state, and the autopurge preview for -n', async () => {
    const r = await runCli(['inspect', 'datadir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /txn log files: 5, 283 txns/);
    assert.match(out, /log\.100000038 +79 txns +0x100000038\.\.0x100000086 +65552 bytes +ok\n/);
    assert.match(out, /snapshot\.100000114 +zxid 0x100000114 +35493 bytes .* valid\n/);
    assert.match(out, /epochs: currentEpoch 1, acceptedEpoch 1/);
    assert.match(out, /restored state: last zxid 0x10000011b \(epoch 1\), from snapshot 0x100000114 \+ 7 txns/);
    assert.match(out, /node count 275, digest 0x8afdfeb85f, ephemeral nodes 2/);
    assert.match(out, /0x300000d6def0002 +timeout 30000 ms +2 ephemeral nodes/);
    assert.match(out, /would delete snapshots: snapshot\.100000036 snapshot\.0\n/);
    assert.match(out, /would delete log files: log\.100000001\n/);

    const keep4 = await runCli(['inspect', 'datadir', dataDir, '-n', '4', '--json']);
    const doc = JSON.parse(keep4.stdout) as {
      purge: { snapshots: string[]; logFiles: string[]; logsBefore: string };
      restored: { nodeCount: number; digest: string; sessions: unknown[] };
      epochs: { currentEpoch: number; acceptedEpoch: number };
      logFiles: Array<{ name: string; entries: number; end: { kind: string } }>;
    };
    assert.deepEqual(doc.purge.snapshots, ['snapshot.0']);
    // log.100000001 runs past 0x100000036: the file holding the oldest kept snapshot's next txns stays.
    assert.deepEqual(doc.purge.logFiles, []);
    assert.equal(doc.purge.logsBefore, '0x100000036');
    assert.deepEqual([doc.restored.nodeCount, doc.restored.digest], [275, '0x8afdfeb85f']);
    assert.deepEqual(doc.epochs, { currentEpoch: 1, acceptedEpoch: 1, error: null });
    assert.deepEqual(doc.logFiles.map((f) => f.entries), [55, 79, 90, 53, 6]);

    const bad = await runCli(['inspect', 'datadir', dataDir, '-n', '2']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /-n must be an integer >= 3/);
  });

  it('planPurge keeps the N newest valid snapshots, whatever order they come in', () => {
    const infos = [5, 1, 9, 3].map((zxid) => ({ zxid, sizeBytes: 1, createdAtMs: 0 }));
    const plan = planPurge(infos, 3);
    assert.deepEqual(plan.kept.map((s) => s.zxid), [9, 5, 3]);
    assert.deepEqual(plan.deleted.map((s) => s.zxid), [1]);
    assert.equal(plan.logsBefore, 3);
    assert.deepEqual(planPurge([], 3), { kept: [], deleted: [], logsBefore: null });
    assert.throws(() => planPurge(infos, 2), /snapRetainCount must be an integer >= 3/);
  });

  it('a level data directory reads the same txns', async (t) => {
    const level = path.join(tmp.dir, 'level');
    try {
      await migrateDataDir({ from: { dataDir }, to: { format: 'level', dataDir: level }, restore: testRestore });
    } catch (err) {
      t.skip(`level backend not available: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const fromLevel = await runCli(['inspect', 'log', level]);
    const fromFiles = await runCli(['inspect', 'log', dataDir]);
    assert.equal(fromLevel.code, 0, fromLevel.stderr);
    const txnLines = (s: string): string[] => s.split('\n').filter((l) => / zxid 0x/.test(l));
    assert.equal(txnLines(fromLevel.stdout).length, 283);
    assert.deepEqual(txnLines(fromLevel.stdout), txnLines(fromFiles.stdout));
    const summary = await runCli(['inspect', 'datadir', level]);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /format: level/);
    assert.match(summary.stdout, /node count 275, digest 0x8afdfeb85f/);
    assert.match(summary.stdout, /would release \d+ log entries below 0x100000085/);
  });

  it('damage is named with file and offset, and the exit status says so', async () => {
    const damaged = await copyFixture(path.join(tmp.dir, 'damaged'));
    const file = path.join(damaged, 'version-2', 'log.100000038');
    const bytes = await readFile(file);
    const victim = entryLayout(bytes)[20];
    bytes[victim.offset + 30] ^= 0x01;
    await writeFile(file, bytes);
    const r = await runCli(['inspect', 'log', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`EOF reached after 20 txns\\.\\n${file.replace(/[.]/g, '\\.')}: CORRUPT at offset ${victim.offset}: checksum`));
  });

  it('--help shows examples; bad usage exits 2', async () => {
    const help = await runCli(['inspect', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}zk-server inspect log /);
    const bad = await runCli(['inspect', 'nonsense', dataDir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown kind "nonsense"/);
    const missing = await runCli(['inspect', 'datadir', path.join(tmp.dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such directory/);
    const v2only = await runCli(['inspect', 'datadir', v2]);
    assert.match(v2only.stderr, /looks like the version-2 folder; pass its parent directory/);
  });
});
