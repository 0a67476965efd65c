// Growable big-endian writer for jute records. One writer can be reset and reused to avoid
// allocating per reply on hot paths.

export class JuteWriter {
  private buf: Buffer;
  /** Over `buf`: DataView stores compile to a few instructions, Buffer's write*BE methods do not. */
  private dv: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  get length(): number {
    return this.pos;
  }

  /** Bytes the writer holds, written or not. */
  get capacity(): number {
    return this.buf.length;
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  /** Drops what was written after the first `length` bytes. */
  truncate(length: number): this {
    if (length < this.pos) this.pos = Math.max(0, length);
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.dv = new DataView(next.buffer, next.byteOffset, next.length);
  }

  writeInt(v: number): this {
    this.ensure(4);
    this.dv.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  writeLong(v: bigint): this {
    this.ensure(8);
    this.dv.setBigInt64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** A JS number written as a jute long (zxids, times). */
  writeLongNumber(v: number): this {
    this.ensure(8);
    const hi = Math.floor(v / 0x100000000);
    const lo = v - hi * 0x100000000;
    this.dv.setInt32(this.pos, hi);
    this.dv.setUint32(this.pos + 4, lo);
    this.pos += 8;
    return this;
  }

  writeBool(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  writeByte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  writeBuffer(b: Uint8Array | null): this {
    if (b === null) return this.writeInt(-1);
    this.writeInt(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  writeUString(s: string | null): this {
    if (s === null) return this.writeInt(-1);
    const n = Buffer.byteLength(s, 'utf8');
    this.writeInt(n);
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
    return this;
  }

  writeVector<T>(items: readonly T[] | null, item: (w: JuteWriter, v: T) => void): this {
    if (items === null) return this.writeInt(-1);
    this.writeInt(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  writeStringVector(items: readonly string[] | null): this {
    return this.writeVector(items, (w, s) => w.writeUString(s));
  }

  writeRaw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Overwrite an int at an earlier position (frame length prefixes). */
  patchInt(at: number, v: number): this {
    this.dv.setInt32(at, v);
    return this;
  }

  /** A copy of the written bytes, safe to keep after reset(). */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  /** A view of the written bytes, valid until the next write or reset(). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
