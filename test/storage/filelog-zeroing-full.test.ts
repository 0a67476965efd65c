// The log's zeroing ahead (src/storage/filelog/txn-log.ts) on a disk that fills up: a zeroing write
// that fails is logged, naming the file and offset, zeroing stops for that file, and the log goes on
// writing into the unzeroed space with nothing lost. The full disk is a real one: a small tmpfs
// (mounting it needs root; elsewhere the test is skipped and says why).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { FileTxnLog, type TxnEntry } from '../../src/storage/index.js';
import { collect, entry, epochZxid } from './conformance-support.js';
import { recordingLogger } from './filelog-support.js';

const TMPFS_KIB = 512;

/** Mounts a tmpfs of TMPFS_KIB on a fresh dir, or says why it cannot. */
function mountTmpfs(): { dir: string } | { why: string } {
  if (process.getuid?.() !== 0) return { why: 'mounting a small tmpfs (a disk that fills up) needs root' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-zeroing-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_KIB}k`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { why: `cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}` };
  }
}

const mounted = mountTmpfs();

describe('filelog: zeroing ahead on a disk that fills up', { skip: 'why' in mounted ? mounted.why : false }, () => {
  const dir = 'dir' in mounted ? mounted.dir : '';
  after(() => {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs the failed zeroing with file and offset, stops zeroing that file, and loses no write', async () => {
    // Leave ~200 KiB free: the first 1 MiB zeroing chunk runs out of space part-way.
    const filler = path.join(dir, 'filler');
    writeFileSync(filler, Buffer.alloc((TMPFS_KIB - 200) << 10, 1));
    const logDir = path.join(dir, 'version-2');
    mkdirSync(logDir);
    const logger = recordingLogger();
    const log = await FileTxnLog.open({ dir: logDir, logger });
    const written: TxnEntry[] = [];
    let zxid = epochZxid(1);
    const append = async (n: number): Promise<void> => {
      const batch = Array.from({ length: n }, () => entry(++zxid));
      written.push(...batch);
      await log.append(batch);
    };
    try {
      await append(1);
      for (let waited = 0; logger.warnings.length === 0 && waited < 10_000; waited += 20) await sleep(20);
      assert.equal(logger.warnings.length, 1, 'one warning for the failed zeroing');
      assert.match(logger.warnings[0], /log\.[0-9a-f]+: zeroing 1048576 bytes at offset \d+ failed \(.*ENOSPC.*\); the rest of this file stays sparse/);
      // The disk has room again: the log writes on, into holes, and zeroes no more of this file.
      rmSync(filler);
      const zeroed = log.stats.zeroedBytes;
      for (let i = 0; i < 40; i++) await append(20);
      assert.equal(log.stats.zeroedBytes, zeroed, 'no zeroing after the failure');
      assert.equal(logger.warnings.length, 1);
    } finally {
      await log.close();
    }
    const reopened = await FileTxnLog.open({ dir: logDir, logger: recordingLogger() });
    try {
      const got = await collect(reopened.read(0));
      assert.deepEqual(got.map((e) => e.zxid), written.map((e) => e.zxid));
    } finally {
      await reopened.close();
    }
  });
});
