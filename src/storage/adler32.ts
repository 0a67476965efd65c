// Adler-32 as java.util.zip.Adler32 computes it: ZooKeeper's checksum in front of every txn log entry
// and in the snapshot seal (Node's zlib has no adler32 binding), plus zlib's adler32_combine, which
// lets snapshot workers checksum chunks independently and the caller join them.

const BASE = 65521;
/**
 * Bytes summed between reductions. zlib uses 5552 (the most that keeps `b` below 2^32 unsigned);
 * 3800 keeps it below 2^31 so V8 keeps both sums as small integers (~800 MB/s measured for 1 MiB,
 * ~150 ns for a 100-byte txn).
 */
const BLOCK = 3800;

/** The checksum of no bytes. */
export const ADLER32_INIT = 1;

/** Continues `adler` over bytes [start, end) of `buf`. */
export function adler32(adler: number, buf: Uint8Array, start = 0, end = buf.length): number {
  let a = adler & 0xffff;
  let b = adler >>> 16;
  let i = start;
  while (i < end) {
    const stop = Math.min(end, i + BLOCK);
    // Sixteen bytes per trip: fewer branches, ~30% faster than four on V8.
    const stop16 = stop - 16;
    while (i <= stop16) {
      a = (a + buf[i]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 1]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 2]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 3]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 4]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 5]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 6]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 7]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 8]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 9]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 10]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 11]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 12]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 13]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 14]) | 0; b = (b + a) | 0;
      a = (a + buf[i + 15]) | 0; b = (b + a) | 0;
      i = (i + 16) | 0;
    }
    while (i < stop) {
      a = (a + buf[i++]) | 0;
      b = (b + a) | 0;
    }
    a %= BASE;
    b %= BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * The checksum of A ‖ B from adler(A), adler(B) and B's length. With a = 1 + Σbytes and
 * b = Σ(a after each byte): a(AB) = a(A) + a(B) − 1 and b(AB) = b(A) + b(B) + len(B)·(a(A) − 1).
 */
export function adler32Combine(adler1: number, adler2: number, len2: number): number {
  const rem = len2 % BASE;
  const a1 = adler1 & 0xffff;
  const b1 = adler1 >>> 16;
  const a2 = adler2 & 0xffff;
  const b2 = adler2 >>> 16;
  const a = (a1 + a2 + BASE - 1) % BASE;
  const b = (b1 + b2 + ((rem * a1) % BASE) + BASE - rem) % BASE;
  return ((b << 16) | a) >>> 0;
}

/**
 * The checksum of B from adler(A ‖ B), adler(A) and B's length: adler32Combine solved for adler2
 * (both sums are residues mod 65521, so the differences are too).
 */
export function adler32Uncombine(adler12: number, adler1: number, len2: number): number {
  const rem = len2 % BASE;
  const a1 = adler1 & 0xffff;
  const b1 = adler1 >>> 16;
  const a12 = adler12 & 0xffff;
  const b12 = adler12 >>> 16;
  const a = (a12 - a1 + 1 + BASE) % BASE;
  const b = (b12 - b1 - ((rem * ((a1 + BASE - 1) % BASE)) % BASE) + 2 * BASE) % BASE;
  return ((b << 16) | a) >>> 0;
}
