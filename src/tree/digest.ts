// The tree digest of Apache ZooKeeper (DigestCalculator version 2 + AdHash): each node's digest is the
// CRC32 of its path, its data and 60 bytes of stat; the tree digest is their 64-bit sum. Everything
// under "/zookeeper/" is left out (but "/zookeeper" itself counts), and "/" hashes as "".

import { crc32 as zlibCrc32 } from 'node:zlib';
import CRC32 from 'crc-32';
import type { StatPersisted } from '../jute/records.js';
import { copyBytes } from './copy-bytes.js';

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

const recordStatBytes = Buffer.alloc(60);

/**
 * nodeDigest of a node still in snapshot-record form (the restore worker has it so): the path's
 * UTF-8 bytes, its data, and the record's 60 StatPersisted bytes at `statAt` in `record`, which
 * hold the same fields as the digest's stat in another order (pzxid last instead of third).
 * @returns [node digest, path CRC] in `out`
 */
export function recordDigest(
  path: string, pathBytes: Uint8Array, data: Uint8Array | null, record: Buffer, statAt: number, out: Float64Array,
): void {
  const pathCrcValue = path === '/' || path === '' ? 0 : crc32(pathBytes);
  out[1] = pathCrcValue;
  if (isDigestExcluded(path)) {
    out[0] = 0;
    return;
  }
  const d = recordStatBytes;
  // Byte loops: four Buffer.copy calls here cost ~1 µs a node, a second of a million-node restore.
  copyBytes(record, statAt, d, 0, 16); // czxid, mzxid
  copyBytes(record, statAt + 52, d, 16, 8); // pzxid
  copyBytes(record, statAt + 16, d, 24, 16); // ctime, mtime
  copyBytes(record, statAt + 32, d, 40, 20); // version, cversion, aversion, ephemeralOwner
  let crc = pathCrcValue;
  if (data !== null && data.length > 0) crc = crc32(data, crc);
  out[0] = crc32(d, crc);
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
