// `zk-server verify` as the CLI on valid and damaged copies of Apache ZooKeeper 3.8's data directory:
// a flipped byte mid-log, a torn tail (repaired, then verified clean), a damaged snapshot, digest
// mismatches in a snapshot trailer and in a logged txn, bad epochs. Exit status and the file and
// offset named are checked, and --repair never touches anything but a torn tail.

import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adler32, ADLER32_INIT } from '../../src/storage/adler32.js';
import { migrateDataDir } from '../../src/storage/migrate/index.js';
import { closeSnapshotPool, decodeSnapshot, encodeSnapshot } from '../../src/storage/snapshot/index.js';
import { copyFixture, entryLayout, tempDir, type TempDir } from '../storage/filelog-support.js';
import { hashTree, runCli, testRestore } from '../storage/migrate-support.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('zk-server verify', () => {
  let tmp: TempDir;
  let copies = 0;
  const fresh = async (): Promise<{ dataDir: string; v2: string }> => {
    const dataDir = await copyFixture(path.join(tmp.dir, `copy-${copies++}`));
    return { dataDir, v2: path.join(dataDir, 'version-2') };
  };

  before(async () => { tmp = await tempDir(); });
  after(async () => {
    await closeSnapshotPool();
    await tmp.remove();
  });

  it('a valid directory passes: every file read, every digest compared', async () => {
    const { dataDir } = await fresh();
    const before = await hashTree(dataDir);
    const r = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /checked 5 log files \(283 txns\), 5 snapshots \(5 restored\), 4 snapshot digest trailers and the digests of 7 replayed txns compared/);
    assert.match(r.stdout, /^OK: no damage found$/m);
    assert.deepEqual(await hashTree(dataDir), before);
    const json = JSON.parse((await runCli(['verify', dataDir, '--json', '--quiet'])).stdout) as { ok: boolean; txns: number; findings: unknown[] };
    assert.deepEqual([json.ok, json.txns, json.findings], [true, 283, []]);
    const limited = await runCli(['verify', dataDir, '--quiet', '--snapshots', '2']);
    assert.equal(limited.code, 0);
    assert.match(limited.stdout, /WARNING .*snapshot\.100000085: this and 2 older snapshot\(s\) were not read \(--snapshots 2\)/);
    assert.match(limited.stdout, /5 snapshots \(2 restored\)/);
  });

  it('a flipped byte mid-log: exit 1, file and entry offset named, --repair leaves it alone', async () => {
    const { dataDir, v2 } = await fresh();
    const file = path.join(v2, 'log.100000038');
    const bytes = await readFile(file);
    const victim = entryLayout(bytes)[10];
    bytes[victim.offset + 40] ^= 0x10;
    await writeFile(file, bytes);
    const r = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`^CORRUPT ${escape(file)} at offset ${victim.offset}: checksum 0x[0-9a-f]+ does not match`, 'm'));
    assert.match(r.stdout, /DAMAGED: 1 corrupt, 0 torn/);
    const before = await hashTree(dataDir);
    const repair = await runCli(['verify', dataDir, '--repair', '--quiet']);
    assert.equal(repair.code, 1);
    assert.deepEqual(await hashTree(dataDir), before, '--repair does not touch mid-file damage');
  });

  it('a torn tail: reported (exit 3), --repair cuts exactly it, and a second verify passes', async () => {
    const { dataDir, v2 } = await fresh();
    const file = path.join(v2, 'log.100000116');
    const bytes = await readFile(file);
    const last = entryLayout(bytes).at(-1)!;
    // The last entry half-written: its second half never reached the disk.
    bytes.fill(0, last.offset + 20, last.offset + 13 + last.length);
    await writeFile(file, bytes);
    const r = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(r.code, 3, r.stdout);
    assert.match(r.stdout, new RegExp(`^TORN ${escape(file)} at offset ${last.offset}: torn tail`, 'm'));
    assert.match(r.stdout, /only torn tails: `zk-server verify --repair` fixes them/);
    const others = await hashTree(dataDir);
    others.delete(path.join('version-2', 'log.100000116'));

    const repair = await runCli(['verify', dataDir, '--repair', '--quiet']);
    assert.equal(repair.code, 0, repair.stdout);
    assert.match(repair.stdout, new RegExp(`\\[repaired: cut log\\.100000116 at offset ${last.offset}\\]`));
    assert.equal((await stat(file)).size, last.offset);
    const after = await hashTree(dataDir);
    after.delete(path.join('version-2', 'log.100000116'));
    assert.deepEqual(after, others, 'nothing else changed');
    assert.deepEqual((await readFile(file)).subarray(0, last.offset), bytes.subarray(0, last.offset));

    const again = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /\(282 txns\)/);
  });

  it('a damaged snapshot: exit 1, the file and its seal named; the older snapshot carries the restore', async () => {
    const { dataDir, v2 } = await fresh();
    const file = path.join(v2, 'snapshot.100000114');
    const bytes = await readFile(file);
    bytes[20_000] ^= 0x40;
    await writeFile(file, bytes);
    const r = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(r.code, 1, r.stdout);
    const m = new RegExp(`^CORRUPT ${escape(file)} at offset (\\d+): checksum mismatch`, 'm').exec(r.stdout);
    assert.ok(m !== null, r.stdout);
    assert.ok(Number(m[1]) > 20_000 && Number(m[1]) < bytes.length, 'the seal after the damaged byte');
    assert.match(r.stdout, /a server skips it for an older snapshot/);
    assert.match(r.stdout, /5 snapshots \(4 restored\)/);
  });

  it('digest mismatches: a snapshot trailer, and a digest logged with a txn', async () => {
    const { dataDir, v2 } = await fresh();
    // A snapshot whose trailer promises another tree (its seals recomputed, so only the digest is wrong).
    const snapFile = path.join(v2, 'snapshot.100000114');
    const decoded = await decodeSnapshot([await readFile(snapFile)]);
    assert.ok(decoded.digest !== null);
    const wrong = { ...decoded, digest: { ...decoded.digest, digest: decoded.digest.digest + 1n } };
    await writeFile(snapFile, Buffer.concat([...encodeSnapshot(wrong)]));
    // A txn after it whose logged digest is off by one, with its checksum fixed up.
    const logFile = path.join(v2, 'log.100000116');
    const log = await readFile(logFile);
    const entry = entryLayout(log)[1];
    const payload = log.subarray(entry.offset + 12, entry.offset + 12 + entry.length);
    payload.writeBigInt64BE(payload.readBigInt64BE(payload.length - 8) ^ 1n, payload.length - 8);
    log.writeUInt32BE(adler32(ADLER32_INIT, payload), entry.offset + 4);
    await writeFile(logFile, log);

    const r = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`^CORRUPT ${escape(snapFile)}: the digest trailer \\(tree digest 0x[0-9a-f]+ at zxid 0x100000114\\) does not match`, 'm'));
    assert.match(r.stdout, new RegExp(`^CORRUPT ${escape(logFile)} at offset ${entry.offset}: txn 0x${entry.zxid.toString(16)}: the tree digest logged with it does not match`, 'm'));
  });

  it('epochs: unreadable or out of order', async () => {
    const { dataDir, v2 } = await fresh();
    await writeFile(path.join(v2, 'acceptedEpoch'), '0');
    const r = await runCli(['verify', dataDir, '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /CORRUPT .*acceptedEpoch: acceptedEpoch 0 is below currentEpoch 1/);
    await writeFile(path.join(v2, 'currentEpoch'), 'one');
    const r2 = await runCli(['verify', dataDir, '--quiet']);
    assert.match(r2.stdout, new RegExp(`CORRUPT ${escape(path.join(v2, 'currentEpoch'))} at offset 0: expected a decimal epoch, found "one"`));
  });

  it('a level data directory verifies', async (t) => {
    const { dataDir } = await fresh();
    const level = path.join(tmp.dir, 'level');
    try {
      await migrateDataDir({ from: { dataDir }, to: { format: 'level', dataDir: level }, restore: testRestore });
    } catch (err) {
      t.skip(`level backend not available: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const before = await hashTree(level);
    const r = await runCli(['verify', level, '--quiet']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /checked 1 log DB \(283 txns\), 5 snapshots \(5 restored\)/);
    assert.deepEqual(await hashTree(level), before, 'the level directory is only read');
  });

  it('--help shows examples; a missing directory says so', async () => {
    const help = await runCli(['verify', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}zk-server verify /);
    const missing = await runCli(['verify', path.join(tmp.dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope: no such directory/);
  });
});
