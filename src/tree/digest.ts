// The tree digest of Apache ZooKeeper (DigestCalculator version 2 + AdHash): each node's digest is the
// CRC32 of its path, its data and 60 bytes of stat; the tree digest is their 64-bit sum. Everything
// under "/zookeeper/" is left out (but "/zookeeper" itself counts), and "/" hashes as "".

import { crc32 as zlibCrc32 } from 'node:zlib';
import CRC32 from 'crc-32';
import type { StatPersisted } from '../jute/records.js';

/** The digest version ZooKeeper 3.6+ writes into TxnDigest and snapshot trailers. */
export const DIGEST_VERSION = 2;

/** Prefix of the subtree ZooKeeper keeps out of the digest (quota nodes are updated locally). */
export const ZOOKEEPER_NODE_SUBTREE = '/zookeeper/';

/**
 * Inputs up to this size are hashed by the `crc-32` package's JavaScript, larger ones by zlib: a
 * digest hashes a path, the data and 60 stat bytes, and for those sizes the call into zlib costs
 * more than the hashing (`npm run bench:micro`, checksums: 100 B in ~0.5× the time, 1 KiB in ~2×).
 */
const JS_CRC_MAX_BYTES = 256;

/** CRC32 of `data` continuing from `crc`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array, crc = 0): number {
  return data.length <= JS_CRC_MAX_BYTES ? CRC32.buf(data, crc) >>> 0 : zlibCrc32(data, crc);
}

const statBytes = Buffer.alloc(60);
const statView = new DataView(statBytes.buffer, statBytes.byteOffset, statBytes.length);
const TWO_32 = 0x100000000;

function putLong(off: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  statView.setInt32(off, hi);
  statView.setUint32(off + 4, v - hi * TWO_32);
}

export function isDigestExcluded(path: string): boolean {
  return path.startsWith(ZOOKEEPER_NODE_SUBTREE);
}

/**
 * CRC32 of a path's bytes as ZooKeeper hashes it ("/" hashes as ""), the start of its node digest.
 * A path never changes, so callers that hash one node often keep this and pass it to nodeDigest.
 */
export function pathCrc(path: string): number {
  // Java's String.getBytes() with the platform charset: UTF-8 on the JVMs ZooKeeper runs on.
  return path === '/' || path === '' ? 0 : crc32(Buffer.from(path, 'utf8'));
}

/** CRC32 of one node, as an unsigned 32-bit number; 0 for excluded paths. */
export function nodeDigest(path: string, data: Buffer | null, stat: StatPersisted, crcOfPath = pathCrc(path)): number {
  if (isDigestExcluded(path)) return 0;
  putLong(0, stat.czxid);
  putLong(8, stat.mzxid);
  putLong(16, stat.pzxid);
  putLong(24, stat.ctime);
  putLong(32, stat.mtime);
  statView.setInt32(40, stat.version);
  statView.setInt32(44, stat.cversion);
  statView.setInt32(48, stat.aversion);
  const owner = stat.ephemeralOwner;
  if (owner === 0n) {
    // Most nodes: skip the BigInt conversion.
    statView.setInt32(52, 0);
    statView.setInt32(56, 0);
  } else {
    statView.setBigInt64(52, owner);
  }
  let crc = crcOfPath;
  // Empty data must leave the CRC as it is. Node's zlib.crc32 returns 0, dropping the running value,
  // for a view on a zero-length ArrayBuffer, which is what empty data restored from a snapshot
  // (structured-cloned out of the worker) is; the guard stays so nothing depends on which one hashes.
  if (data !== null && data.length > 0) crc = crc32(data, crc);
  return crc32(statBytes, crc);
}

/**
 * Slice-by-8 tables of the CRC32 polynomial (reflected 0xEDB88320): TABLES[k * 256 + b] is the CRC
 * of byte b followed by k zero bytes. crc32Range uses them to hash a range of a buffer in place;
 * crc-32 hashes only whole arrays, and a view per range costs more than the hashing for the restore
 * worker's short runs (a 20-byte path: ~30 ns in place, ~105 ns through a view and crc-32; 100
 * bytes: ~110 vs ~150). The test checks it against crc-32.
 */
const TABLES = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** CRC32 of bytes [start, end) of `buf` continuing from `crc`, as an unsigned 32-bit number. */
export function crc32Range(buf: Uint8Array, start: number, end: number, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  const last8 = end - 8;
  while (i <= last8) {
    const w = c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    c = t[1792 + (w & 0xff)] ^ t[1536 + ((w >>> 8) & 0xff)] ^ t[1280 + ((w >>> 16) & 0xff)] ^ t[1024 + (w >>> 24)]
      ^ t[768 + buf[i + 4]] ^ t[512 + buf[i + 5]] ^ t[256 + buf[i + 6]] ^ t[buf[i + 7]];
    i += 8;
  }
  while (i < end) c = t[(c ^ buf[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * nodeDigest of a node still in snapshot-record form (the restore worker has it so), hashed in place
 * in `record`: the path's UTF-8 bytes at [pathStart, pathEnd), `dataLength` data bytes at dataStart
 * (none when ≤ 0), and the record's 60 StatPersisted bytes at `statAt`, which hold the same fields as
 * the digest's stat in another order (pzxid last instead of third).
 * @returns [node digest, path CRC] in `out`
 */
export function recordDigest(
  path: string, record: Buffer, pathStart: number, pathEnd: number, dataStart: number, dataLength: number,
  statAt: number, out: Float64Array,
): void {
  const pathCrcValue = path === '/' || path === '' ? 0 : crc32Range(record, pathStart, pathEnd);
  out[1] = pathCrcValue;
  if (isDigestExcluded(path)) {
    out[0] = 0;
    return;
  }
  let crc = pathCrcValue;
  if (dataLength > 0) {
    crc = dataLength <= JS_CRC_MAX_BYTES
      ? crc32Range(record, dataStart, dataStart + dataLength, crc)
      : zlibCrc32(record.subarray(dataStart, dataStart + dataLength), crc);
  }
  crc = crc32Range(record, statAt, statAt + 16, crc); // czxid, mzxid
  crc = crc32Range(record, statAt + 52, statAt + 60, crc); // pzxid
  out[0] = crc32Range(record, statAt + 16, statAt + 52, crc); // ctime, mtime, version, cversion, aversion, ephemeralOwner
}

// Folding into the bigint only now and then keeps the hot path on plain numbers while staying exact.
const FOLD_AT = 2 ** 52;

/** ZooKeeper's AdHash: a 64-bit wrapping sum that nodes are added to and removed from. */
export class DigestSum {
  private high = 0n;
  private low = 0;

  add(digest: number): void {
    this.low += digest;
    if (this.low >= FOLD_AT) this.fold();
  }

  remove(digest: number): void {
    this.low -= digest;
    if (this.low <= -FOLD_AT) this.fold();
  }

  clear(): void {
    this.high = 0n;
    this.low = 0;
  }

  /** The sum as Java's signed long. */
  value(): bigint {
    return BigInt.asIntN(64, this.high + BigInt(this.low));
  }

  private fold(): void {
    this.high = BigInt.asIntN(64, this.high + BigInt(this.low));
    this.low = 0;
  }
}
