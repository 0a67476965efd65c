// Txn entry payloads against a data directory written by Apache ZooKeeper 3.8: every logged payload
// decodes and re-encodes to the same bytes, and the log's checksum covers exactly the payload.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeTxnEntry, encodeTxnEntry, payloadZxid, type TxnEntry } from '../../src/storage/index.js';
import { entry, rejectsWithCode } from './conformance-support.js';

const FIXTURE_DIR = '/work/shared/fixtures/zk38-datadir/version-2';

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/** The entries of one log file, framed per FileTxnLog: crc:long len:int payload 0x42, zero tail. */
function readFixtureLog(file: string): TxnEntry[] {
  const bytes = readFileSync(join(FIXTURE_DIR, file));
  const out: TxnEntry[] = [];
  let at = 16;
  while (at + 12 <= bytes.length) {
    const crc = Number(bytes.readBigUInt64BE(at));
    const length = bytes.readInt32BE(at + 8);
    if (length === 0) break;
    const payload = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(crc, adler32(payload), `${file}@${at}: Adler32 of the payload alone`);
    assert.equal(bytes[at + 12 + length], 0x42, `${file}@${at}: end-of-record byte`);
    out.push({ zxid: payloadZxid(payload) ?? -1, payload });
    at += 13 + length;
  }
  return out;
}

describe('txn entry payloads', () => {
  it('decode and re-encode every txn ZooKeeper 3.8 logged, byte for byte', { skip: !safeExists(FIXTURE_DIR) }, () => {
    const logs = readdirSync(FIXTURE_DIR).filter((f) => f.startsWith('log.')).sort();
    let count = 0;
    let withDigest = 0;
    const types = new Set<number>();
    for (const file of logs) {
      for (const logged of readFixtureLog(file)) {
        const decoded = decodeTxnEntry(logged, file);
        assert.equal(decoded.header.zxid, logged.zxid);
        types.add(decoded.header.type);
        if (decoded.digest !== null) withDigest++;
        const again = encodeTxnEntry(decoded.header, decoded.txn, decoded.digest);
        assert.equal(again.zxid, logged.zxid);
        assert.ok(again.payload.equals(logged.payload), `${file}: zxid 0x${logged.zxid.toString(16)} re-encodes identically`);
        count++;
      }
    }
    assert.equal(count, 0x11b, 'zxids 0x100000001 … 0x10000011b');
    assert.equal(withDigest, count, 'this fixture has no error txns, so every txn carries a digest');
    for (const type of [1, 2, 5, 7, 14, 19, 21, -10, -11]) assert.ok(types.has(type), `covers txn type ${type}`);
  });

  it('reads the zxid at payload offset 12', () => {
    const e = entry(0x1_0000_00ab);
    assert.equal(payloadZxid(e.payload), 0x1_0000_00ab);
    assert.equal(payloadZxid(e.payload.subarray(0, 31)), null);
    const view = new Uint8Array(64);
    view.set(e.payload.subarray(0, 32), 16);
    assert.equal(payloadZxid(view.subarray(16)), 0x1_0000_00ab, 'honours byteOffset');
  });

  it('reports undecodable payloads as ERR_STORAGE_CORRUPT with source and offset', async () => {
    const e = entry(0x1_0000_0001);
    const cut = { zxid: e.zxid, payload: e.payload.subarray(0, 40) };
    await rejectsWithCode(Promise.resolve().then(() => decodeTxnEntry(cut, 'log.100000001')), 'ERR_STORAGE_CORRUPT');
    try {
      decodeTxnEntry({ zxid: e.zxid, payload: Buffer.concat([e.payload, Buffer.alloc(3)]) }, 'log.x');
      assert.fail('trailing bytes must not decode');
    } catch (err) {
      const corrupt = err as { code: string; file: string; offset: number };
      assert.equal(corrupt.code, 'ERR_STORAGE_CORRUPT');
      assert.equal(corrupt.file, 'log.x');
      assert.equal(corrupt.offset, e.payload.length);
    }
  });
});

function safeExists(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}
