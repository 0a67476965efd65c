// Recovery of damaged txn logs on open: torn tails are cut off and reported, damage followed by
// good entries is refused with the file and offset, and unusable files are named.

import assert from 'node:assert/strict';
import { mkdir, open, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileTxnLog, StorageCorruptError, type TxnEntry } from '../../src/storage/index.js';
import { LogScanner } from '../../src/storage/filelog/log-scanner.js';
import { ADLER32_INIT, adler32 } from '../../src/storage/adler32.js';
import { collect, entries, epochZxid, run } from './conformance-support.js';
import { entryLayout, recordingLogger, tempDir, type RecordingLogger, type TempDir } from './filelog-support.js';

const E1 = epochZxid(1);

let tmp: TempDir;
let counter = 0;

/** A log dir holding files of `perFile` zxids each, written by FileTxnLog; returns the file paths. */
async function writeLog(perFile: readonly number[][]): Promise<{ dir: string; files: string[] }> {
  const dir = path.join(tmp.dir, `log-${++counter}`);
  await mkdir(dir);
  const log = await FileTxnLog.open({ dir, preAllocSizeKb: 64, logger: recordingLogger() });
  for (const zxids of perFile) {
    await log.append(entries(zxids));
    await log.roll();
  }
  await log.close();
  return { dir, files: perFile.map((z) => path.join(dir, `log.${z[0].toString(16)}`)) };
}

async function layoutOf(file: string): Promise<ReturnType<typeof entryLayout>> {
  return entryLayout(await readFile(file));
}

async function patch(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

async function reopen(dir: string, logger: RecordingLogger = recordingLogger()): Promise<FileTxnLog> {
  return FileTxnLog.open({ dir, preAllocSizeKb: 64, logger });
}

async function zxidsIn(dir: string): Promise<number[]> {
  const log = await reopen(dir);
  try {
    return (await collect(log.read(0))).map((e: TxnEntry) => e.zxid);
  } finally {
    await log.close();
  }
}

async function rejectsCorrupt(promise: Promise<unknown>, file: string, offset: number, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StorageCorruptError, String(err));
    assert.equal(err.code, 'ERR_STORAGE_CORRUPT');
    assert.equal(err.file, file);
    assert.equal(err.offset, offset);
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(file), 'the message names the file');
    return true;
  });
}

/** Opens the damaged log, checks that the tail was cut at `cutAt` and reported, then appends on. */
async function assertTornTailCut(dir: string, file: string, cutAt: number, lastZxid: number, reason: RegExp): Promise<void> {
  const logger = recordingLogger();
  const log = await reopen(dir, logger);
  try {
    assert.equal(await log.lastZxid(), lastZxid);
    assert.equal(logger.warnings.length, 1, logger.warnings.join('\n'));
    assert.match(logger.warnings[0], reason);
    assert.ok(logger.warnings[0].includes(`${file}: torn entry at offset ${cutAt}`), logger.warnings[0]);
    assert.equal((await stat(file)).size, cutAt, 'file cut at the torn entry');
    await log.append(entries([lastZxid + 1]));
  } finally {
    await log.close();
  }
  const zxids = await zxidsIn(dir);
  assert.deepEqual(zxids.slice(-2), [lastZxid, lastZxid + 1]);
}

describe('filelog: recovery on open', () => {
  before(async () => { tmp = await tempDir(); });
  after(() => tmp.remove());

  it('cuts an entry whose length runs past the end of the file', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const last = (await layoutOf(files[0]))[9];
    await truncate(files[0], last.offset + 20);
    await assertTornTailCut(dir, files[0], last.offset, E1 + 9, /runs past the end of the file/);
  });

  it('cuts a last entry half overwritten by zeros, inside the zero tail', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const last = (await layoutOf(files[0]))[9];
    await patch(files[0], last.offset + 20, Buffer.alloc(last.length));
    await assertTornTailCut(dir, files[0], last.offset, E1 + 9, /end-of-record byte|checksum/);
  });

  it("cuts a last entry whose checksum does not match", async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const last = (await layoutOf(files[0]))[9];
    const bytes = await readFile(files[0]);
    await patch(files[0], last.offset + 7, Buffer.from([bytes[last.offset + 7] ^ 0x01]));
    await assertTornTailCut(dir, files[0], last.offset, E1 + 9, /checksum 0x[0-9a-f]+ does not match/);
  });

  it('cuts a zero length after a non-zero checksum, and garbage in the zero tail', async () => {
    const first = await writeLog([run(E1 + 1, 10)]);
    const end1 = (await layoutOf(first.files[0]))[9];
    await patch(first.files[0], end1.offset + 13 + end1.length, Buffer.from('0000000012345678', 'hex'));
    await assertTornTailCut(first.dir, first.files[0], end1.offset + 13 + end1.length, E1 + 10, /zero length after a non-zero checksum/);

    const second = await writeLog([run(E1 + 1, 10)]);
    const end2 = (await layoutOf(second.files[0]))[9];
    await patch(second.files[0], end2.offset + 13 + end2.length + 5000, Buffer.from('not a txn log entry'));
    await assertTornTailCut(second.dir, second.files[0], end2.offset + 13 + end2.length, E1 + 10, /non-zero bytes in the zero tail/);
  });

  it('reads a zero tail shorter than an entry header as a clean end (padding may end so)', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const last = (await layoutOf(files[0]))[9];
    const end = last.offset + 13 + last.length;
    await truncate(files[0], end + 5);
    const logger = recordingLogger();
    const log = await reopen(dir, logger);
    try {
      assert.equal(await log.lastZxid(), E1 + 10);
      assert.deepEqual(logger.warnings, []);
      assert.equal((await stat(files[0])).size, end + 5, 'left as it was');
    } finally {
      await log.close();
    }
  });

  it('refuses zxids that go backwards in the newest file, naming file and offset', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const sixth = (await layoutOf(files[0]))[5];
    // The sixth entry claims the third's zxid, with a checksum that matches: good framing, wrong order.
    const bytes = await readFile(files[0]);
    const payload = Buffer.from(bytes.subarray(sixth.offset + 12, sixth.offset + 12 + sixth.length));
    payload.writeBigInt64BE(BigInt(E1 + 3), 12);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(adler32(ADLER32_INIT, payload), 4);
    await patch(files[0], sixth.offset, head);
    await patch(files[0], sixth.offset + 12, payload);
    await rejectsCorrupt(reopen(dir), files[0], sixth.offset, /zxids go backwards inside the log/);
  });

  it('refuses a checksum error followed by good entries, naming file and offset', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const third = (await layoutOf(files[0]))[2];
    const bytes = await readFile(files[0]);
    await patch(files[0], third.offset + 40, Buffer.from([bytes[third.offset + 40] ^ 0x80]));
    await rejectsCorrupt(reopen(dir), files[0], third.offset,
      /does not match.*good entry follows at offset \d+.*`truncate -s \d+ \S+log\.[0-9a-f]+`/);
    assert.equal((await stat(files[0])).size, bytes.length, 'nothing modified');
  });

  it('refuses a broken length followed by good entries (found without the framing)', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const fifth = (await layoutOf(files[0]))[4];
    await patch(files[0], fifth.offset + 8, Buffer.from([0x00, 0x7f, 0x00, 0x00]));
    await rejectsCorrupt(reopen(dir), files[0], fifth.offset, /runs past the end.*good entry follows/);
  });

  it('refuses damage in an older file when it is read, not on open', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10), run(E1 + 11, 10)]);
    const fourth = (await layoutOf(files[0]))[3];
    const bytes = await readFile(files[0]);
    await patch(files[0], fourth.offset + 50, Buffer.from([bytes[fourth.offset + 50] ^ 0x04]));
    const log = await reopen(dir);
    try {
      assert.equal(await log.lastZxid(), E1 + 20);
      assert.deepEqual((await collect(log.read(E1 + 11))).map((e) => e.zxid), run(E1 + 11, 10), 'reads that skip the file work');
      await rejectsCorrupt(collect(log.read(0)), files[0], fourth.offset, /does not match/);
    } finally {
      await log.close();
    }
  });

  it('reads a torn tail that ZooKeeper left in an older file as the end of that file', async () => {
    // ZooKeeper never cuts a torn tail: after a crash it starts a new file, which may reuse the
    // zxid of the torn entry. Built here from two logs written apart.
    const { dir, files } = await writeLog([run(E1 + 1, 10)]);
    const later = await writeLog([run(E1 + 10, 5)]);
    await writeFile(path.join(dir, path.basename(later.files[0])), await readFile(later.files[0]));
    const last = (await layoutOf(files[0]))[9];
    await truncate(files[0], last.offset + 30);
    const logger = recordingLogger();
    const log = await reopen(dir, logger);
    try {
      assert.deepEqual(logger.warnings, [], 'only the newest file is recovered on open');
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), [...run(E1 + 1, 9), ...run(E1 + 10, 5)]);
      await collect(log.read(0));
      assert.equal(logger.warnings.length, 1, 'reported once');
      assert.match(logger.warnings[0], /torn entry at offset \d+ .* as the end of that file/);
    } finally {
      await log.close();
    }
  });

  for (const [what, bytes] of [['empty', Buffer.alloc(0)], ['all-zero', Buffer.alloc(16 + 65536)]] as const) {
    it(`removes an ${what} newest log file (a crash before its header was written)`, async () => {
      const { dir, files } = await writeLog([run(E1 + 1, 10)]);
      const newest = path.join(dir, `log.${(E1 + 11).toString(16)}`);
      await writeFile(newest, bytes);
      const logger = recordingLogger();
      const log = await reopen(dir, logger);
      try {
        assert.equal(await log.lastZxid(), E1 + 10);
        assert.equal(logger.warnings.length, 1);
        assert.match(logger.warnings[0], new RegExp(`removing ${newest}: ${bytes.length} bytes and no header`));
        assert.deepEqual(await readdir(dir), [path.basename(files[0])]);
      } finally {
        await log.close();
      }
    });
  }

  it('removes a newest file with a header and no entry', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 10), run(E1 + 11, 1)]);
    await truncate(files[1], 16);
    const log = await reopen(dir);
    try {
      assert.equal(await log.lastZxid(), E1 + 10);
      assert.deepEqual(await readdir(dir), [path.basename(files[0])]);
    } finally {
      await log.close();
    }
  });

  it('refuses an empty or headless older file, and a bad magic, naming the file', async () => {
    const emptyOld = await writeLog([run(E1 + 1, 10), run(E1 + 11, 10)]);
    await truncate(emptyOld.files[0], 0);
    await rejectsCorrupt(reopen(emptyOld.dir), emptyOld.files[0], 0, /empty file, shorter than the 16-byte txn log header/);

    const badMagic = await writeLog([run(E1 + 1, 10), run(E1 + 11, 10)]);
    await patch(badMagic.files[1], 0, Buffer.from('ZKSN'));
    await rejectsCorrupt(reopen(badMagic.dir), badMagic.files[1], 0, /bad magic 0x5a4b534e/);
    await patch(badMagic.files[1], 0, Buffer.from('ZKLG'));
    await patch(badMagic.files[0], 0, Buffer.from('ZKLX'));
    await rejectsCorrupt(reopen(badMagic.dir), badMagic.files[0], 0, /bad magic/);
  });

  it('skips names ZooKeeper tools leave next to logs (log.<zxid>.fixed) with a note', async () => {
    const { dir, files } = await writeLog([run(E1 + 1, 3)]);
    await writeFile(`${files[0]}.fixed`, await readFile(files[0]));
    const logger = recordingLogger();
    const log = await reopen(dir, logger);
    try {
      assert.deepEqual((await collect(log.read(0))).map((e) => e.zxid), run(E1 + 1, 3));
      assert.ok(logger.infos.some((m) => m.includes('.fixed')));
    } finally {
      await log.close();
    }
  });

  it('reads buffered entries without waiting, and leaves the end and any damage to next()', async () => {
    const { files } = await writeLog([run(E1 + 1, 40)]);
    const layout = await layoutOf(files[0]);
    const bytes = await readFile(files[0]);
    // Entry 25's checksum no longer matches; entries after it are good, so next() must call it damage.
    await patch(files[0], layout[25].offset + 7, Buffer.from([bytes[layout[25].offset + 7] ^ 0x01]));
    const handle = await open(files[0], 'r');
    try {
      const scanner = new LogScanner(handle, files[0], { limit: (await handle.stat()).size, checkZeroTail: true });
      assert.equal(scanner.nextBuffered(), undefined, 'nothing is read before the first next()');
      const first = await scanner.next();
      assert.equal(first?.zxid, E1 + 1);
      const seen: number[] = [];
      for (let e = scanner.nextBuffered(); e !== undefined; e = scanner.nextBuffered()) {
        assert.equal(e.offset, layout[seen.length + 1].offset);
        assert.equal(e.end, layout[seen.length + 2].offset);
        assert.equal(e.payload.length, layout[seen.length + 1].length);
        seen.push(e.zxid);
      }
      assert.deepEqual(seen, run(E1 + 2, 24), 'every good entry up to the damaged one');
      assert.equal(scanner.end, layout[25].offset);
      await rejectsCorrupt(scanner.next(), files[0], layout[25].offset, /checksum .* yet a good entry follows/);
    } finally {
      await handle.close();
    }
  });
});
