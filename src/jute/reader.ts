// Bounds-checked reader for jute-encoded bytes (big-endian, length-prefixed strings/buffers/vectors).
// Every read checks the remaining length first, so malformed input surfaces as a JuteError, never as
// a RangeError from deep inside Buffer.

import { JuteError } from './errors.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

export class JuteReader {
  private pos: number;
  private readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new JuteError(`truncated ${what}: need ${n} bytes, have ${this.end - this.pos}`, this.pos);
    }
  }

  readInt(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A jute long as a bigint (session ids, ephemeral owners, digests use all 64 bits). */
  readLong(): bigint {
    this.need(8, 'long');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A jute long that must fit a JS number (zxids, times, ttls). */
  readLongNumber(): number {
    this.need(8, 'long');
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    if (hi > 0x1fffff || hi < -0x200000) {
      const big = this.buf.readBigInt64BE(this.pos);
      if (big > MAX_SAFE || big < MIN_SAFE) throw new JuteError(`long ${big} out of safe range`, this.pos);
    }
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  readBool(): boolean {
    this.need(1, 'boolean');
    const v = this.buf[this.pos];
    this.pos += 1;
    return v !== 0;
  }

  readByte(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++];
  }

  /** A length-prefixed byte buffer; length -1 is null. The result is a copy, safe to keep. */
  readBuffer(): Buffer | null {
    const len = this.bufferLength();
    if (len === -1) return null;
    const out = Buffer.allocUnsafe(len);
    out.set(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /**
   * readBuffer without the copy: a view of the bytes being read, for a value that is copied again
   * before it is kept (setData's data goes into the tree's arena) and must not outlive the buffer's
   * meaning. Saves an allocation and a copy per write and per replayed txn.
   */
  readBufferView(): Buffer | null {
    const len = this.bufferLength();
    if (len === -1) return null;
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** A buffer's length prefix, checked against what is left: -1 for null. */
  private bufferLength(): number {
    const at = this.pos;
    const len = this.readInt();
    if (len === -1) return -1;
    if (len < -1) throw new JuteError(`negative buffer length ${len}`, at);
    this.need(len, 'buffer');
    return len;
  }

  /** A length-prefixed UTF-8 string; length -1 is null. */
  readUString(): string | null {
    const at = this.pos;
    const len = this.readInt();
    if (len === -1) return null;
    if (len < -1) throw new JuteError(`negative string length ${len}`, at);
    this.need(len, 'string');
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  /** A string where null is not meaningful (paths): null reads as ''. */
  readString(): string {
    return this.readUString() ?? '';
  }

  /** A vector: count (-1 = null) then items. The count is sanity-checked against remaining bytes. */
  readVector<T>(item: (r: JuteReader) => T, minItemBytes = 1): T[] | null {
    const at = this.pos;
    const n = this.readInt();
    if (n === -1) return null;
    if (n < -1 || n * minItemBytes > this.remaining) {
      throw new JuteError(`bad vector length ${n}`, at);
    }
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  readStringVector(): string[] {
    return this.readVector((r) => r.readString(), 4) ?? [];
  }

  skip(n: number): void {
    this.need(n, 'bytes');
    this.pos += n;
  }

  /** Remaining bytes as a view (no copy). */
  rest(): Buffer {
    const out = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return out;
  }
}
