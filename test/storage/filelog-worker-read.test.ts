// Txn log reads scanned in the worker pool: the conformance suite with every file read there in
// tiny slices, and damaged logs read both ways with the same entries, errors and warnings.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileTxnLog, openFilelogStorage, StorageCorruptError } from '../../src/storage/index.js';
import type { TxnEntry } from '../../src/storage/spi.js';
import { runStorageConformance } from './conformance.js';
import { collect, entries, epochZxid, run } from './conformance-support.js';
import { entryLayout, recordingLogger, tempDir, type TempDir } from './filelog-support.js';

const E1 = epochZxid(1);
const quiet = { info: () => {}, warn: () => {} };
/** A few entries per slice, so every file takes many tasks and slices restart mid-file. */
const TINY_SLICES = { minBytes: 0, sliceBytes: 200 };

runStorageConformance('filelog, reads in the worker pool', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'zk-filelog-worker-'));
  const openIt = () => openFilelogStorage({ dataDir, preAllocSizeKb: 64, logger: quiet, logWorkerRead: TINY_SLICES });
  return { backend: await openIt(), reopen: openIt, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
});

let tmp: TempDir;
let counter = 0;

async function writeLog(perFile: readonly number[][]): Promise<{ dir: string; files: string[] }> {
  const dir = path.join(tmp.dir, `log-${++counter}`);
  await mkdir(dir);
  const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: quiet });
  for (const zxids of perFile) {
    await log.append(entries(zxids));
    await log.roll();
  }
  await log.close();
  return { dir, files: perFile.map((z) => path.join(dir, `log.${z[0].toString(16)}`)) };
}

async function patch(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

interface ReadOutcome {
  zxids: number[];
  payloads: string[];
  error: { file: string; offset: number; message: string } | null;
  warnings: string[];
  readSlices: number;
}

async function readOutcome(dir: string, fromZxid: number, inWorkers: boolean): Promise<ReadOutcome> {
  const logger = recordingLogger();
  const log = await FileTxnLog.open({
    dir, preAllocSizeKb: 64, logger, workerRead: inWorkers ? TINY_SLICES : { minBytes: Number.MAX_SAFE_INTEGER },
  });
  logger.warnings.length = 0; // recovery on open is not what is compared
  const passes: Array<Pick<ReadOutcome, 'zxids' | 'payloads' | 'error'>> = [];
  try {
    // Twice: the second read meets the clean ends and torn tails the first one recorded. The first
    // reads entry by entry, the second in runs (readRuns): both must see the same.
    for (let pass = 0; pass < 2; pass++) {
      const seen: (typeof passes)[number] = { zxids: [], payloads: [], error: null };
      passes.push(seen);
      const take = (e: TxnEntry): void => {
        seen.zxids.push(e.zxid);
        seen.payloads.push(Buffer.from(e.payload).toString('hex'));
      };
      try {
        if (pass === 0) {
          for await (const e of log.read(fromZxid)) take(e);
        } else {
          for await (const r of log.readRuns(fromZxid)) r.forEach(take);
        }
      } catch (err) {
        assert.ok(err instanceof StorageCorruptError, String(err));
        seen.error = { file: err.file, offset: err.offset, message: err.message };
      }
    }
    assert.deepEqual(passes[1], passes[0], 'readRuns() yields what read() does, and fails the same way');
    return { ...passes[0], warnings: logger.warnings.slice(), readSlices: log.stats.readSlices };
  } finally {
    await log.close();
  }
}

/** Reads dir on the main thread and in the pool; asserts they agree and returns the outcome. */
async function readBothWays(dir: string, fromZxid = 0): Promise<ReadOutcome> {
  const here = await readOutcome(dir, fromZxid, false);
  const pooled = await readOutcome(dir, fromZxid, true);
  assert.equal(here.readSlices, 0, 'main-thread read used no worker');
  assert.ok(pooled.readSlices > 1, `worker read ran in slices (${pooled.readSlices})`);
  assert.deepEqual({ ...pooled, readSlices: 0 }, here);
  return here;
}

describe('filelog: reads in the worker pool match the main-thread scan', () => {
  before(async () => { tmp = await tempDir(); });
  after(() => tmp.remove());

  it('reads every file, from any zxid, with the same payloads', async () => {
    const { dir } = await writeLog([run(E1 + 1, 10), run(E1 + 11, 10), run(E1 + 21, 10)]);
    for (const from of [0, E1 + 5, E1 + 11, E1 + 17, E1 + 30]) {
      const outcome = await readBothWays(dir, from);
      assert.deepEqual(outcome.zxids, run(Math.max(from, E1 + 1), E1 + 31 - Math.max(from, E1 + 1)), `from ${from}`);
      assert.equal(outcome.error, null);
    }
  });

  it('refuses a checksum error followed by good entries in an older file, after the entries before it', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10), run(E1 + 11, 5)]);
    const bytes = await readFile(files[0]);
    const sixth = entryLayout(bytes)[5];
    await patch(files[0], sixth.offset + 40, Buffer.from([bytes[sixth.offset + 40] ^ 0x10]));
    const outcome = await readBothWays(dir);
    assert.deepEqual(outcome.zxids, run(E1 + 1, 5));
    assert.equal(outcome.error?.file, files[0]);
    assert.equal(outcome.error?.offset, sixth.offset);
    assert.match(outcome.error?.message ?? '', /does not match.*good entry follows/);
  });

  it('reads a torn tail in an older file as its end, reported once', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const later = await writeLog([run(E1 + 10, 5)]);
    await writeFile(path.join(dir, path.basename(later.files[0])), await readFile(later.files[0]));
    const last = entryLayout(await readFile(files[0]))[9];
    await truncate(files[0], last.offset + 30);
    const outcome = await readBothWays(dir);
    assert.deepEqual(outcome.zxids, [...run(E1 + 1, 9), ...run(E1 + 10, 5)]);
    assert.equal(outcome.warnings.length, 1);
    assert.ok(outcome.warnings[0].includes(`${files[0]}: torn entry at offset ${last.offset}`), outcome.warnings[0]);
  });

  it('judges garbage in an older file\'s zero tail as a torn end', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10), run(E1 + 11, 5)]);
    const bytes = await readFile(files[0]);
    await patch(files[0], bytes.length - 100, Buffer.from([7]));
    const outcome = await readBothWays(dir);
    assert.deepEqual(outcome.zxids, run(E1 + 1, 15));
    assert.match(outcome.warnings.join('\n'), /non-zero bytes in the zero tail/);
  });

  it('refuses a newer file whose zxids do not go above the older one\'s, naming it and the offset', async () => {
    const { dir } = await writeLog([run(E1 + 1, 10)]);
    const later = await writeLog([run(E1 + 5, 5)]);
    const copy = path.join(dir, path.basename(later.files[0]));
    await writeFile(copy, await readFile(later.files[0]));
    const outcome = await readBothWays(dir);
    assert.deepEqual(outcome.zxids, run(E1 + 1, 10));
    assert.equal(outcome.error?.file, copy);
    assert.equal(outcome.error?.offset, 16);
    assert.match(outcome.error?.message ?? '', /is not above/);
  });

  it('keeps reading a file purged under the reader (the descriptor stays open)', async () => {
    const { dir } = await writeLog([run(E1 + 1, 30), run(E1 + 31, 5)]);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: quiet, workerRead: TINY_SLICES });
    try {
      const reader = log.read(0)[Symbol.asyncIterator]();
      const first = await reader.next();
      assert.equal(first.value?.zxid, E1 + 1);
      await log.purgeBefore(E1 + 31);
      assert.equal(log.files.length, 1, 'the older file is gone');
      const rest: number[] = [];
      for (let r = await reader.next(); r.done !== true; r = await reader.next()) rest.push(r.value.zxid);
      assert.deepEqual(rest, run(E1 + 2, 34));
      assert.ok(log.stats.readSlices > 3);
    } finally {
      await log.close();
    }
  });

  it('scans small files on the main thread by default', async () => {
    const { dir } = await writeLog([run(E1 + 1, 10)]);
    const log = await FileTxnLog.open({ dir, preAllocSizeKb: 0, logger: quiet });
    try {
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), run(E1 + 1, 10));
      assert.equal(log.stats.readSlices, 0);
    } finally {
      await log.close();
    }
  });
});
