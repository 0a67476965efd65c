// Helpers for the filelog tests: temp data directories, the Apache ZooKeeper 3.8 fixture, a logger
// that records what the backend reported, and raw access to the bytes of log files.

import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StorageLogger } from '../../src/storage/index.js';

// Compiled tests live in dist/test/storage; the fixtures stay in the source tree.
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
export const FIXTURE_DATADIR = path.join(FIXTURES, 'zk38-datadir');
export const FIXTURE_DUMP = path.join(FIXTURES, 'zk38-datadir.txnlog-dump.txt');
export const FIXTURE_COMPRESSED = path.join(FIXTURES, 'zk38-compressed');
export const FIXTURE_LOGS = ['log.100000001', 'log.100000038', 'log.100000087', 'log.1000000e1', 'log.100000116'];

export interface TempDir {
  readonly dir: string;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zk-filelog-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A writable copy of the fixture data directory (the fixture itself must never change). */
export async function copyFixture(into: string): Promise<string> {
  const dataDir = path.join(into, 'data');
  await cp(FIXTURE_DATADIR, dataDir, { recursive: true });
  return dataDir;
}

export interface RecordingLogger extends StorageLogger {
  readonly warnings: string[];
  readonly infos: string[];
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, warn: (m) => { warnings.push(m); }, info: (m) => { infos.push(m); } };
}

/** Per log file, the zxids ZooKeeper's TxnLogToolkit printed, and the count it reported at EOF. */
export async function fixtureDump(): Promise<Map<string, { zxids: number[]; count: number }>> {
  const text = await readFile(FIXTURE_DUMP, 'latin1');
  const files = new Map<string, { zxids: number[]; count: number }>();
  let current: { zxids: number[]; count: number } | null = null;
  for (const line of text.split('\n')) {
    const file = /^=== (log\.[0-9a-f]+)$/.exec(line);
    if (file !== null) {
      current = { zxids: [], count: -1 };
      files.set(file[1], current);
      continue;
    }
    const txn = /^\d+\/\d+\/\d+, .* session 0x[0-9a-f]+ cxid 0x[0-9a-f]+ zxid 0x([0-9a-f]+) /.exec(line);
    if (txn !== null && current !== null) current.zxids.push(Number.parseInt(txn[1], 16));
    const eof = /^EOF reached after (\d+) txns\.$/.exec(line);
    if (eof !== null && current !== null) current.count = Number(eof[1]);
  }
  return files;
}

/** Offsets and lengths of the entries of a log file's bytes, walked by the framing alone. */
export function entryLayout(bytes: Buffer): { offset: number; length: number; zxid: number }[] {
  const out: { offset: number; length: number; zxid: number }[] = [];
  for (let p = 16; p + 12 <= bytes.length;) {
    const length = bytes.readInt32BE(p + 8);
    if (length <= 0) break;
    out.push({ offset: p, length, zxid: Number(bytes.readBigInt64BE(p + 12 + 12)) });
    p += 13 + length;
  }
  return out;
}
