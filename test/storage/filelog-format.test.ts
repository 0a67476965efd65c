// The filelog txn log against Apache ZooKeeper 3.8's own files: it reads every entry of the
// fixture's logs, frames entries to the same bytes, writes logs byte-identical to ZooKeeper's
// (header, framing, preallocation, zero tail), and commits concurrent appends in groups.

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ADLER32_INIT, adler32 as adler32From } from '../../src/storage/adler32.js';
const adler32 = (b: Uint8Array, s?: number, e?: number): number => adler32From(ADLER32_INIT, b, s, e);
import { writeEntry, writeFileHeader } from '../../src/storage/filelog/log-format.js';
import { FileTxnLog, type TxnEntry } from '../../src/storage/index.js';
import { collect, entries, entry, epochZxid, run } from './conformance-support.js';
import {
  copyFixture, entryLayout, FIXTURE_DATADIR, FIXTURE_LOGS, fixtureDump, recordingLogger, tempDir, type TempDir,
} from './filelog-support.js';

const E1 = epochZxid(1);
const STEP = 64 * 1024;

async function fixtureEntries(name: string): Promise<TxnEntry[]> {
  const bytes = await readFile(path.join(FIXTURE_DATADIR, 'version-2', name));
  return entryLayout(bytes).map(({ offset, length, zxid }) => ({ zxid, payload: bytes.subarray(offset + 12, offset + 12 + length) }));
}

/** ZooKeeper's FilePadding rule restated: the size after padding at position. */
function zkPadded(position: number, size: number, step: number): number {
  if (!(step > 0 && position + 4096 >= size)) return size;
  return position > size ? Math.floor((position + step) / step) * step : size + step;
}

describe('filelog: Apache ZooKeeper 3.8 txn log format', () => {
  let tmp: TempDir;
  before(async () => { tmp = await tempDir(); });
  after(() => tmp.remove());

  it('reads every entry of the fixture logs, in the order TxnLogToolkit printed them', async () => {
    const dataDir = await copyFixture(path.join(tmp.dir, 'read'));
    const dir = path.join(dataDir, 'version-2');
    const logger = recordingLogger();
    const log = await FileTxnLog.open({ dir, logger });
    try {
      const dump = await fixtureDump();
      assert.deepEqual([...dump.keys()], FIXTURE_LOGS);
      const expected = [...dump.values()].flatMap((f) => {
        assert.equal(f.zxids.length, f.count, 'every txn of the dump was parsed');
        return f.zxids;
      });
      assert.equal(expected.length, 283);
      const got = await collect(log.read(0));
      assert.deepEqual(got.map((e) => e.zxid), expected);
      assert.equal(await log.lastZxid(), 0x10000011b);
      assert.deepEqual((await collect(log.read(0x100000115))).map((e) => e.zxid), expected.slice(expected.indexOf(0x100000115)));
      assert.deepEqual(logger.warnings, []);
    } finally {
      await log.close();
    }
    for (const name of FIXTURE_LOGS) {
      const copy = await readFile(path.join(dir, name));
      assert.ok(copy.equals(await readFile(path.join(FIXTURE_DATADIR, 'version-2', name))), `${name} left untouched by open`);
    }
  });

  it('frames each fixture entry to the exact bytes ZooKeeper wrote', async () => {
    const header = Buffer.alloc(16);
    writeFileHeader(header, 0);
    assert.equal(header.toString('hex'), '5a4b4c47' + '00000002' + '0000000000000000');
    for (const name of FIXTURE_LOGS) {
      const bytes = await readFile(path.join(FIXTURE_DATADIR, 'version-2', name));
      assert.ok(bytes.subarray(0, 16).equals(header), `${name} header`);
      for (const { offset, length, zxid } of entryLayout(bytes)) {
        const payload = bytes.subarray(offset + 12, offset + 12 + length);
        const framed = Buffer.alloc(13 + length);
        assert.equal(writeEntry(framed, 0, payload), framed.length);
        assert.ok(framed.equals(bytes.subarray(offset, offset + 13 + length)), `${name} zxid 0x${zxid.toString(16)}`);
      }
    }
  });

  it('writes logs byte-identical to the fixture from the same entries', async () => {
    const dir = path.join(tmp.dir, 'rewrite');
    await mkdir(dir);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: recordingLogger() });
    try {
      for (const name of FIXTURE_LOGS) {
        const all = await fixtureEntries(name);
        // Unequal batches, some issued without waiting: grouping must not change the bytes.
        const pending: Promise<void>[] = [];
        for (let i = 0; i < all.length; i += 7) pending.push(log.append(all.slice(i, i + 7)));
        await Promise.all(pending);
        await log.roll();
      }
    } finally {
      await log.close();
    }
    assert.deepEqual((await readdir(dir)).sort(), FIXTURE_LOGS);
    for (const name of FIXTURE_LOGS) {
      const ours = await readFile(path.join(dir, name));
      const theirs = await readFile(path.join(FIXTURE_DATADIR, 'version-2', name));
      assert.equal(ours.length, theirs.length, `${name} size`);
      assert.ok(ours.equals(theirs), `${name} bytes`);
    }
  });

  it('preallocates like FilePadding: 16 + k steps, zero tail, growth 4 KiB before the end', async () => {
    const dir = path.join(tmp.dir, 'padding');
    await mkdir(dir);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: recordingLogger() });
    const file = path.join(dir, `log.${(E1 + 1).toString(16)}`);
    try {
      let zxid = E1;
      let position = 16;
      let padded = 16;
      const sizes: number[] = [];
      // Batches of ~1.1 KiB entries, then one entry larger than a step, then small ones again.
      const plan = [...Array<number>(70).fill(1000), 200_000, 10, 10, ...Array<number>(60).fill(1000)];
      for (const dataBytes of plan) {
        const e = entry(++zxid, 0, dataBytes);
        padded = zkPadded(position, padded, STEP);
        await log.append([e]);
        position += 13 + e.payload.length;
        const size = (await stat(file)).size;
        assert.equal(size, Math.max(padded, position), `file size after zxid 0x${zxid.toString(16)}`);
        sizes.push(size);
      }
      assert.equal(sizes[0], 16 + STEP, 'a new log is header + one step');
      assert.ok(sizes.includes(16 + 2 * STEP), 'grown by a second step before reaching the end');
      assert.ok(sizes.some((s) => s > 16 + 2 * STEP && s % STEP === 0), 'regrown from past the end: a multiple of the step');
      const bytes = await readFile(file);
      assert.ok(bytes.subarray(position).every((b) => b === 0), 'zero tail');
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), run(E1 + 1, plan.length));
    } finally {
      await log.close();
    }
  });

  it('writes no zero tail with preAllocSizeKb 0', async () => {
    const dir = path.join(tmp.dir, 'no-padding');
    await mkdir(dir);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 0, logger: recordingLogger() });
    try {
      const batch = entries(run(E1 + 1, 5));
      await log.append(batch);
      const expected = 16 + batch.reduce((n, e) => n + 13 + e.payload.length, 0);
      assert.equal((await stat(path.join(dir, `log.${(E1 + 1).toString(16)}`))).size, expected);
    } finally {
      await log.close();
    }
  });

  it('group commit: concurrent appends share syncs, each group one durable write', async () => {
    const dir = path.join(tmp.dir, 'group');
    await mkdir(dir);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: recordingLogger() });
    try {
      const appends = 200;
      await Promise.all(run(E1 + 1, appends).map((z) => log.append([entry(z)])));
      const concurrent = log.stats;
      assert.equal(concurrent.entries, appends);
      assert.ok(concurrent.syncs < appends / 10, `${concurrent.syncs} syncs for ${appends} appends`);
      assert.equal(concurrent.syncs, concurrent.groups, 'one sync per group');
      for (const z of run(E1 + appends + 1, 5)) await log.append([entry(z)]);
      assert.equal(log.stats.syncs - concurrent.syncs, 5, 'an append awaited alone is a group of its own');
      assert.equal(log.stats.filesCreated, 1);
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), run(E1 + 1, appends + 5));
    } finally {
      await log.close();
    }
  });

  it('inline appends: a lone batch on an idle log is written on the calling thread, one that waited or a large one is not', async () => {
    const dir = path.join(tmp.dir, 'inline');
    await mkdir(dir);
    const logger = recordingLogger();
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger });
    try {
      await log.append([entry(E1 + 1)]);
      assert.equal(log.stats.inlineGroups, 0, 'not asked for');
      await log.append([entry(E1 + 2)], { inline: true });
      assert.equal(log.stats.inlineGroups, 1);
      // The second waits behind the first's write: by its turn, "nothing else waits" is stale.
      await Promise.all([log.append([entry(E1 + 3)], { inline: true }), log.append([entry(E1 + 4)], { inline: true })]);
      assert.equal(log.stats.inlineGroups, 2);
      // Lone and idle, but 70 KB: a write that size goes through the pool.
      await log.append([entry(E1 + 5, 0, 70_000)], { inline: true });
      assert.equal(log.stats.inlineGroups, 2, 'a large group is not written inline');
      assert.equal(log.stats.groups, 5);
      assert.equal(log.stats.syncs, 5, 'inline or not, every group is one durable write');
      assert.deepEqual(logger.warnings, []);
    } finally {
      await log.close();
    }
    const reopened = await FileTxnLog.open({ dir, logger: recordingLogger() });
    try {
      assert.deepEqual((await collect(reopened.read(0))).map((e) => e.zxid), run(E1 + 1, 5));
    } finally {
      await reopened.close();
    }
  });

  it('a slow inline write sends the next ones through the thread pool, and says so', async () => {
    const dir = path.join(tmp.dir, 'inline-slow');
    await mkdir(dir);
    const logger = recordingLogger();
    // Every write is slower than 0 ms.
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger, inlineSlowMs: 0 });
    try {
      await log.append([entry(E1 + 1)], { inline: true });
      assert.equal(log.stats.inlineGroups, 1);
      assert.equal(logger.warnings.length, 1);
      assert.match(logger.warnings[0], /write took [0-9.]+ ms; writes go through the thread pool until none has taken over 0 ms for 1 s/);
      await log.append([entry(E1 + 2)], { inline: true });
      assert.equal(log.stats.inlineGroups, 1, 'backed off');
      assert.equal(logger.warnings.length, 1, 'a slow write through the pool held nothing up: no warning');
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), run(E1 + 1, 2));
    } finally {
      await log.close();
    }
  });

  it('writes inline again once no write has been slow for the back-off, and slow pool writes extend it', async () => {
    const dir = path.join(tmp.dir, 'inline-back');
    await mkdir(dir);
    const logger = recordingLogger();
    // Every write is slower than 0 ms, so every write starts the back-off again.
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger, inlineSlowMs: 0, inlineBackoffMs: 1000 });
    try {
      await log.append([entry(E1 + 1)], { inline: true });
      assert.equal(log.stats.inlineGroups, 1);
      await sleep(600);
      // Through the pool (the back-off runs to ~1,000 ms) and slow: off again until ~1,600 ms.
      await log.append([entry(E1 + 2)], { inline: true });
      assert.equal(log.stats.inlineGroups, 1);
      await sleep(600);
      await log.append([entry(E1 + 3)], { inline: true });
      assert.equal(log.stats.inlineGroups, 1, 'the slow write through the pool extended the back-off');
      await sleep(1100);
      await log.append([entry(E1 + 4)], { inline: true });
      assert.equal(log.stats.inlineGroups, 2, 'inline again after a quiet back-off');
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), run(E1 + 1, 4));
    } finally {
      await log.close();
    }
  });

  it('zeroes the preallocated space ahead of the writes in the background, never over data', async () => {
    const dir = path.join(tmp.dir, 'zero-ahead');
    await mkdir(dir);
    const logger = recordingLogger();
    const log = await FileTxnLog.open({ dir, logger });
    const written: TxnEntry[] = [];
    const append = (batch: TxnEntry[]): Promise<void> => { written.push(...batch); return log.append(batch); };
    let zxid = E1;
    const next = (n: number): TxnEntry[] => Array.from({ length: n }, () => entry(++zxid));
    try {
      await append(next(1));
      // Zeroing of the new file starts 64 KiB past its first group; this ~200 KiB group reaches into
      // that chunk while it is being written, so it has to wait for it.
      await append(next(1000));
      assert.ok(log.stats.zeroWaits >= 1, `waits ${log.stats.zeroWaits}`);
      // ~3 MB more in groups of a few concurrent appends: the zeroing keeps moving ahead, chunk by chunk.
      for (let i = 0; i < 60; i++) await Promise.all([append(next(50)), append(next(50)), append(next(50)), append(next(50))]);
      assert.ok(log.stats.zeroedBytes >= 2 << 20, `zeroed ${log.stats.zeroedBytes}`);
    } finally {
      await log.close();
    }
    assert.deepEqual(logger.warnings, []);
    const [name] = await readdir(dir);
    const file = path.join(dir, name);
    const st = await stat(file);
    assert.equal(st.size, 16 + (64 << 20), 'preallocated as before: header + one 64 MiB step');
    // The zeroes past the last entry are allocated blocks, not holes (a sparse file has ~the data's).
    assert.ok(st.blocks * 512 >= log.stats.bytes + (64 << 10), `${st.blocks} blocks for ${log.stats.bytes} bytes of data`);
    const bytes = await readFile(file);
    assert.ok(bytes.subarray(log.stats.bytes).every((b) => b === 0), 'zeros after the last entry');
    const reopened = await FileTxnLog.open({ dir, logger: recordingLogger() });
    try {
      const got = await collect(reopened.read(0));
      assert.deepEqual(got.map((e) => e.zxid), written.map((e) => e.zxid));
      for (let i = 0; i < got.length; i++) assert.ok(Buffer.from(got[i].payload).equals(written[i].payload), `payload of entry ${i}`);
    } finally {
      await reopened.close();
    }
  });

  it('forceSync off: no fdatasync, data still written', async () => {
    const dir = path.join(tmp.dir, 'nosync');
    await mkdir(dir);
    const first = await FileTxnLog.open({ dir, preAllocSizeKb: 64, forceSync: false, logger: recordingLogger() });
    await first.append(entries(run(E1 + 1, 10)));
    assert.equal(first.stats.syncs, 0);
    await first.close();
    const second = await FileTxnLog.open({ dir, logger: recordingLogger() });
    try {
      assert.equal(await second.lastZxid(), E1 + 10);
    } finally {
      await second.close();
    }
  });

  it('starts a new file on open, roll and truncate, named by its first zxid, as ZooKeeper does', async () => {
    const dir = path.join(tmp.dir, 'files');
    await mkdir(dir);
    let log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: recordingLogger() });
    await log.append(entries(run(E1 + 1, 10)));
    await log.roll();
    await log.append(entries(run(E1 + 11, 10)));
    await log.close();
    log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: recordingLogger() });
    try {
      await log.append(entries(run(E1 + 21, 10)));
      const names = ['log.100000001', 'log.10000000b', 'log.100000015'];
      assert.deepEqual((await readdir(dir)).sort(), names);
      // ZooKeeper's truncate: cut the file right after the entry, drop later files.
      const second = await readFile(path.join(dir, names[1]));
      const kept = entryLayout(second).find((e) => e.zxid === E1 + 15);
      assert.ok(kept !== undefined);
      await log.truncate(E1 + 15);
      assert.deepEqual((await readdir(dir)).sort(), names.slice(0, 2));
      assert.equal((await stat(path.join(dir, names[1]))).size, kept.offset + 13 + kept.length);
      await log.append(entries([E1 + 16]));
      assert.deepEqual((await readdir(dir)).sort(), [...names.slice(0, 2), 'log.100000010']);
      // PurgeTxnLog's rule: keep the newest file starting at or below the zxid, and all after it.
      await log.purgeBefore(E1 + 11);
      assert.deepEqual((await readdir(dir)).sort(), ['log.10000000b', 'log.100000010']);
      await log.purgeBefore(E1 + 100);
      assert.deepEqual((await readdir(dir)).sort(), ['log.100000010']);
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), [E1 + 16]);
    } finally {
      await log.close();
    }
  });

  it('computes Adler-32 exactly, fast enough for the write path', async (t) => {
    const zlib = await import('node:zlib');
    // zlib's own Adler-32 is the trailer of a zlib stream: an independent reference.
    const reference = (b: Buffer): number => {
      const z = zlib.deflateSync(b, { level: 0 });
      return z.readUInt32BE(z.length - 4);
    };
    let seed = 12345;
    for (const size of [0, 1, 15, 16, 17, 31, 3799, 3800, 3801, 5552, 7601, 65536, 1_000_003]) {
      for (const fill of ['random', 'ff'] as const) {
        const b = Buffer.alloc(size, 0xff);
        if (fill === 'random') for (let i = 0; i < size; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
        assert.equal(adler32(b), reference(b), `${size} bytes of ${fill}`);
      }
    }
    // From 4 KiB on, the aligned middle is read as words: every misalignment of the buffer and of
    // both ends, and runs at the word path's threshold.
    const big = Buffer.alloc(70_000);
    for (let i = 0; i < big.length; i++) big[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let shift = 0; shift < 4; shift++) {
      const view = big.subarray(shift);
      for (const [start, end] of [[0, 4096], [1, 4097], [2, 4095], [3, 8195], [0, 4099], [5, 65_537], [6, view.length]]) {
        assert.equal(adler32(view, start, end), reference(view.subarray(start, end)), `bytes ${start}-${end} at buffer offset ${shift}`);
      }
    }
    const b = Buffer.alloc(1 << 20, 0xab);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) adler32(b);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    t.diagnostic(`adler32: ${(20 / seconds).toFixed(0)} MiB/s`);
  });
});
