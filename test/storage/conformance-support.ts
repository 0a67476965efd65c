// Helpers shared by the conformance suite's parts: a per-test backend with restart, entry and
// snapshot generators, and assertions on coded errors.

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  encodeTxnEntry, type StorageBackend, type StorageErrorCode, type TxnEntry, type TxnLog,
} from '../../src/storage/index.js';
import type { MakeBackend } from './conformance.js';

/** The first zxid of an epoch. Real zxids are `epoch << 32 | counter`, so tests use them too. */
export const epochZxid = (epoch: number): number => epoch * 0x1_0000_0000;

export interface Session {
  /** The current backend; replaced by restart(). */
  backend: StorageBackend;
  readonly canRestart: boolean;
  /** Closes the current backend and opens a new one over the same data. */
  restart(): Promise<StorageBackend>;
}

/** Runs body with a fresh backend; closes every backend it opened and cleans up, even on failure. */
export async function withBackend(makeBackend: MakeBackend, body: (s: Session) => Promise<void>): Promise<void> {
  const setup = await makeBackend();
  const opened: StorageBackend[] = [setup.backend];
  const session: Session = {
    backend: setup.backend,
    canRestart: setup.reopen !== undefined,
    async restart() {
      if (setup.reopen === undefined) throw new Error('backend has no reopen');
      await session.backend.close();
      session.backend = await setup.reopen();
      opened.push(session.backend);
      return session.backend;
    },
  };
  try {
    await body(session);
  } finally {
    try {
      for (const b of opened) await b.close();
    } finally {
      await setup.cleanup();
    }
  }
}

/** Like withBackend, but skips the test when the backend cannot be reopened. */
export async function withRestartableBackend(
  t: TestContext, makeBackend: MakeBackend, body: (s: Session) => Promise<void>,
): Promise<void> {
  await withBackend(makeBackend, async (s) => {
    if (!s.canRestart) {
      t.skip('backend provides no reopen');
      return;
    }
    await body(s);
  });
}

/**
 * A setData txn at zxid with a digest, as the server would log it. `variant` changes the data, so
 * a rewritten zxid is distinguishable; sizes vary with zxid so framing is exercised.
 */
export function entry(zxid: number, variant = 0, dataBytes = 8 + ((zxid * 7 + variant) % 200)): TxnEntry {
  const data = Buffer.alloc(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = (zxid + variant * 31 + i) & 0xff;
  return encodeTxnEntry(
    { clientId: 0x1000000000001n + BigInt(variant), cxid: zxid & 0xffff, zxid, time: 1_700_000_000_000 + zxid, type: 5 },
    { type: 5, path: `/n/${zxid.toString(16)}`, data, version: variant },
    { version: 2, treeDigest: BigInt(zxid) * 1_000_003n + BigInt(variant) },
  );
}

export const entries = (zxids: readonly number[], variant = 0): TxnEntry[] => zxids.map((z) => entry(z, variant));

/** count consecutive zxids starting at first. */
export const run = (first: number, count: number): number[] => Array.from({ length: count }, (_, i) => first + i);

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export async function readZxids(log: TxnLog, fromZxid: number): Promise<number[]> {
  const zxids = (await collect(log.read(fromZxid))).map((e) => e.zxid);
  // Appends still in flight may land between the two reads: the second may only see more.
  const inRuns = await readRunZxids(log, fromZxid);
  assert.deepEqual(inRuns.slice(0, zxids.length), zxids, `readRuns(${fromZxid}) yields what read() does`);
  return zxids;
}

/** The zxids readRuns() yields, checking that no run is empty. */
async function readRunZxids(log: TxnLog, fromZxid: number): Promise<number[]> {
  const zxids: number[] = [];
  for await (const run of log.readRuns(fromZxid)) {
    assert.ok(run.length > 0, 'a run holds at least one entry');
    for (const e of run) zxids.push(e.zxid);
  }
  return zxids;
}

/** Reads everything from fromZxid and checks zxids and payload bytes against what was appended. */
export async function assertLogHolds(log: TxnLog, fromZxid: number, expected: readonly TxnEntry[]): Promise<void> {
  const got = await collect(log.read(fromZxid));
  assert.deepEqual(got.map((e) => e.zxid), expected.map((e) => e.zxid), 'zxids read back');
  assert.deepEqual(await readRunZxids(log, fromZxid), expected.map((e) => e.zxid), 'zxids read back in runs');
  for (let i = 0; i < got.length; i++) {
    assert.ok(Buffer.from(got[i].payload).equals(expected[i].payload), `payload of zxid 0x${got[i].zxid.toString(16)}`);
  }
}

export async function rejectsWithCode(promise: Promise<unknown>, code: StorageErrorCode, message?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, message);
    return true;
  });
}

/**
 * Snapshot bytes ending with ZooKeeper's seal (checksum:long, then "/" as a jute string), so that
 * a store applying ZooKeeper's structural validity check accepts them. The body is a seeded pattern.
 */
export function sealedSnapshot(bodyBytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bodyBytes + 13);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bodyBytes; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  out.writeBigUInt64BE(BigInt(seed >>> 0), bodyBytes);
  out.writeInt32BE(1, bodyBytes + 8);
  out[bodyBytes + 12] = 0x2f;
  return out;
}

/** The bytes as chunks of chunkBytes (the last one shorter), each a fresh buffer. */
export async function* chunked(bytes: Buffer, chunkBytes: number): AsyncGenerator<Uint8Array, void, undefined> {
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    yield Buffer.from(bytes.subarray(at, Math.min(bytes.length, at + chunkBytes)));
  }
}

export async function readSnapshot(backend: StorageBackend, zxid: number): Promise<Buffer> {
  return Buffer.concat(await collect(backend.snapshots.open(zxid)));
}
