// Streaming parser for the snapshot grammar in format.ts: fed chunks of any size, it reports the head
// and every node record as it completes, verifies each Adler-32 seal, and names file and offset in
// every error. No I/O and no threads: the snapshot worker drives it, and so can tests.

import type { ACL, FileHeader, StatPersisted } from '../../jute/records.js';
import { StorageCorruptError } from '../errors.js';
import { ADLER32_INIT, adler32 } from '../adler32.js';
import {
  maxJuteLength, NODE_FIXED_BYTES, SEAL_BYTES, SNAP_MAGIC,
  type SnapshotFraming, type SnapshotHead, type SnapshotNode, type SnapshotTrailer,
} from './format.js';

/** Where one node record lies in the buffer handed to SnapshotVisitor.node (valid during the call only). */
export interface RawNodeRecord {
  /** Offset of the record in the whole snapshot stream. */
  offset: number;
  pathStart: number;
  pathEnd: number;
  dataStart: number;
  /** -1: null data. */
  dataLength: number;
  /** aclRef:long here, StatPersisted right after it. */
  fixedStart: number;
  /**
   * With SnapshotDecoderOptions.recordChecksums: the Adler-32 of every byte of the stream before
   * this record (else not kept up to date).
   */
  adlerBefore: number;
}

export interface SnapshotVisitor {
  /** Once, after the ACL map. */
  head(head: SnapshotHead): void;
  /** Each node in file order. `buf` and `rec` are reused: copy what you keep. */
  node(buf: Buffer, rec: Readonly<RawNodeRecord>): void;
}

export interface SnapshotDecoderOptions {
  /** Named in errors; default "snapshot". */
  file?: string;
  /** jute.maxbuffer the snapshot was written under; longer strings and buffers are corruption. */
  juteMaxBufferBytes?: number;
  framing?: SnapshotFraming;
  /**
   * Keep RawNodeRecord.adlerBefore: the checksum is brought up to each record before it is
   * visited, so that a visitor can tell the Adler-32 of any run of records without reading them
   * again (adler32Uncombine).
   */
  recordChecksums?: boolean;
  /**
   * Parse from two buffers of the decoder's own, used in turn, instead of a fresh concatenation
   * (or the pushed chunk itself) each time: no allocation per chunk, and a pushed chunk may be
   * reused once holdsInput is false. A visitor may still read the buffer of the records before the
   * latest refill, up to its next record (one is visited between any two refills).
   */
  ownBuffers?: boolean;
}

/** After the first seal at most this much may follow (the trailer sections are tens of bytes). */
const MAX_TAIL_BYTES = 64 * 1024;
const LAST_ZXID_SECTION_BYTES = 8 + SEAL_BYTES;

/** Smallest buffer an ownBuffers decoder parses from. */
const OWN_BUFFER_BYTES = 2 << 20;

const enum State { Header, SessionCount, Sessions, AclCount, Acls, Nodes, Seal, Tail, Done }

/** Thrown inside a parse step when the buffer ends before the item does; never escapes. */
class NeedMore {
  constructor(readonly bytes: number) {}
}

export class SnapshotDecoder {
  private readonly file: string;
  private readonly maxLength: number;
  private readonly framing: SnapshotFraming;
  private readonly recordChecksums: boolean;
  private readonly ownBuffers: boolean;
  /** With ownBuffers: what buf is a view of, and the other buffer (the one before it). */
  private backing: Buffer | null = null;
  private spareBacking: Buffer | null = null;
  private state: State;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  /** Chunks held back until `needed` bytes are there, so a large record is concatenated once. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private needed = 0;
  private adler = ADLER32_INIT;
  /** buf[0, checkedTo) is already in `adler`. */
  private checkedTo = 0;
  private remaining = 0;
  private header: FileHeader = { magic: SNAP_MAGIC, version: 0, dbid: 0n };
  private readonly sessions = new Map<bigint, number>();
  private readonly acls: Array<[bigint, ACL[]]> = [];
  private readonly rec: RawNodeRecord = { offset: 0, pathStart: 0, pathEnd: 0, dataStart: 0, dataLength: 0, fixedStart: 0, adlerBefore: 0 };
  private nodeCount = 0;
  private trailer: SnapshotTrailer | null = null;

  constructor(private readonly visitor: SnapshotVisitor, opts: SnapshotDecoderOptions = {}) {
    this.file = opts.file ?? 'snapshot';
    this.maxLength = maxJuteLength(opts.juteMaxBufferBytes);
    this.framing = opts.framing ?? 'file';
    this.recordChecksums = opts.recordChecksums === true;
    this.ownBuffers = opts.ownBuffers === true;
    this.state = this.framing === 'file' ? State.Header : State.SessionCount;
  }

  /** Whether a pushed chunk is still held (not yet copied into the decoder's own buffers). */
  get holdsInput(): boolean {
    return this.held.length > 0;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.base + this.pos;
  }

  get nodesDecoded(): number {
    return this.nodeCount;
  }

  /**
   * Parses what it can of `chunk`. Throws StorageCorruptError. The unparsed tail of a chunk is kept
   * by reference until more bytes arrive: do not reuse a chunk's memory after pushing it.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.state === State.Done && this.framing === 'file') {
      throw this.corrupt(this.offset + this.pendingBytes(), 'data after the end of the snapshot');
    }
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.held.push(piece);
    this.heldBytes += piece.length;
    // Quorum framing: what follows the body belongs to the caller (see leftover()).
    if (this.state === State.Done) return;
    if (this.pendingBytes() < this.needed) {
      if (this.state === State.Tail && this.pendingBytes() > MAX_TAIL_BYTES) {
        throw this.corrupt(this.offset, 'unexpected data after the snapshot seal');
      }
      return;
    }
    this.refill();
    this.parse();
  }

  /** Call after the last chunk: checks the snapshot is complete and returns its trailer. */
  end(): SnapshotTrailer {
    if (this.heldBytes > 0 && this.state !== State.Done) {
      this.refill();
      this.parse();
    }
    if (this.state === State.Tail) this.parseTail();
    if (this.state !== State.Done || this.trailer === null) {
      throw this.corrupt(this.base + this.buf.length + this.heldBytes, `truncated (${this.describeState()})`);
    }
    return this.trailer;
  }

  /** Copies whatever pushed chunks are still held, so that their memory may be reused. */
  detachInput(): void {
    this.held = this.held.map((h) => Buffer.from(h));
  }

  /** Quorum framing: the bytes after the end-of-nodes marker (the leader's "BenWasHere" and beyond). */
  leftover(): Buffer {
    return Buffer.concat([this.buf.subarray(this.pos), ...this.held]);
  }

  // ---------------------------------------------------------------- buffer management

  private pendingBytes(): number {
    return this.buf.length - this.pos + this.heldBytes;
  }

  private refill(): void {
    this.checksumTo(this.pos);
    const rest = this.buf.subarray(this.pos);
    this.base += this.pos;
    if (this.ownBuffers) {
      const total = rest.length + this.heldBytes;
      let target = this.spareBacking;
      if (target === null || target.length < total) target = Buffer.allocUnsafeSlow(Math.max(total, OWN_BUFFER_BYTES));
      let at = rest.copy(target, 0);
      for (const h of this.held) at += h.copy(target, at);
      this.spareBacking = this.backing;
      this.backing = target;
      this.buf = target.subarray(0, total);
    } else {
      this.buf = rest.length === 0 && this.held.length === 1 ? this.held[0] : Buffer.concat([rest, ...this.held]);
    }
    this.held = [];
    this.heldBytes = 0;
    this.pos = 0;
    this.checkedTo = 0;
    this.needed = 0;
  }

  private checksumTo(end: number): void {
    if (end > this.checkedTo) {
      this.adler = adler32(this.adler, this.buf, this.checkedTo, end);
      this.checkedTo = end;
    }
  }

  private corrupt(offset: number, reason: string): StorageCorruptError {
    return new StorageCorruptError(this.file, offset, reason);
  }

  private describeState(): string {
    switch (this.state) {
      case State.Header: return 'in the file header';
      case State.SessionCount: case State.Sessions: return 'in the session list';
      case State.AclCount: case State.Acls: return 'in the ACL map';
      case State.Nodes: return `after ${this.nodeCount} nodes, before the end-of-nodes marker`;
      case State.Seal: return 'in the checksum seal';
      default: return 'in the trailer';
    }
  }

  // ---------------------------------------------------------------- parsing

  private parse(): void {
    try {
      this.parseSteps();
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      this.needed = e.bytes;
    }
  }

  private need(n: number): void {
    if (this.buf.length - this.pos < n) throw new NeedMore(n);
  }

  private parseSteps(): void {
    const buf = this.buf;
    for (;;) {
      switch (this.state) {
        case State.Header: {
          this.need(16);
          const magic = buf.readInt32BE(this.pos);
          if (magic !== SNAP_MAGIC) throw this.corrupt(this.offset, `bad magic 0x${(magic >>> 0).toString(16)}, expected ZKSN`);
          this.header = { magic, version: buf.readInt32BE(this.pos + 4), dbid: buf.readBigInt64BE(this.pos + 8) };
          this.pos += 16;
          this.state = State.SessionCount;
          break;
        }
        case State.SessionCount:
          this.remaining = this.readCount('session count');
          this.state = State.Sessions;
          break;
        case State.Sessions:
          while (this.remaining > 0) {
            this.need(12);
            this.sessions.set(buf.readBigInt64BE(this.pos), buf.readInt32BE(this.pos + 8));
            this.pos += 12;
            this.remaining--;
          }
          this.state = State.AclCount;
          break;
        case State.AclCount:
          this.remaining = this.readCount('ACL map size');
          this.state = State.Acls;
          break;
        case State.Acls:
          while (this.remaining > 0) {
            const start = this.pos;
            try {
              this.readAclEntry();
            } catch (e) {
              if (!(e instanceof NeedMore)) throw e;
              const needed = e.bytes + this.pos - start;
              this.pos = start;
              throw new NeedMore(needed);
            }
            this.remaining--;
          }
          this.state = State.Nodes;
          this.visitor.head({ header: this.header, sessions: this.sessions, acls: this.acls });
          break;
        case State.Nodes:
          this.parseNodes();
          break;
        case State.Seal:
          this.parseSeal();
          break;
        case State.Tail:
          // The trailer's shape is only known once the stream has ended (see parseTail).
          if (this.buf.length - this.pos > MAX_TAIL_BYTES) {
            throw this.corrupt(this.offset, 'unexpected data after the snapshot seal');
          }
          throw new NeedMore(Number.MAX_SAFE_INTEGER);
        case State.Done:
          return;
      }
    }
  }

  private readCount(what: string): number {
    this.need(4);
    const n = this.buf.readInt32BE(this.pos);
    if (n < 0) throw this.corrupt(this.offset, `negative ${what} ${n}`);
    this.pos += 4;
    return n;
  }

  private readLength(what: string, allowNull: boolean): number {
    this.need(4);
    const len = this.buf.readInt32BE(this.pos);
    if ((len < 0 && !(allowNull && len === -1)) || len > this.maxLength) {
      throw this.corrupt(this.offset, `unreasonable ${what} length ${len}`);
    }
    return len;
  }

  private readString(what: string): string {
    const len = this.readLength(what, false);
    this.need(4 + len);
    const s = this.buf.toString('utf8', this.pos + 4, this.pos + 4 + len);
    this.pos += 4 + len;
    return s;
  }

  private readAclEntry(): void {
    const buf = this.buf;
    this.need(12);
    const ref = buf.readBigInt64BE(this.pos);
    const count = buf.readInt32BE(this.pos + 8);
    // ReferenceCountedACLCache.deserialize fails on a null vector ("missing acls").
    if (count < 0) throw this.corrupt(this.offset + 8, `bad ACL list length ${count} for aclRef ${ref}`);
    this.pos += 12;
    const acls: ACL[] = [];
    for (let i = 0; i < count; i++) {
      this.need(4);
      const perms = buf.readInt32BE(this.pos);
      this.pos += 4;
      const scheme = this.readString('ACL scheme');
      const id = this.readString('ACL id');
      acls.push({ perms, id: { scheme, id } });
    }
    this.acls.push([ref, acls]);
  }

  /** The hot loop: length checks by hand, no allocation per node. */
  private parseNodes(): void {
    const buf = this.buf;
    const end = buf.length;
    const rec = this.rec;
    const max = this.maxLength;
    for (;;) {
      const p = this.pos;
      if (end - p < 4) throw new NeedMore(4);
      const pathLen = buf.readInt32BE(p);
      if (pathLen < 0 || pathLen > max) throw this.corrupt(this.base + p, `unreasonable path length ${pathLen}`);
      if (pathLen === 1 && end - p >= 5 && buf[p + 4] === 0x2f) {
        this.pos = p + 5;
        this.state = this.framing === 'file' ? State.Seal : State.Done;
        if (this.framing === 'quorum') this.trailer = { digest: null, lastProcessedZxid: null };
        return;
      }
      const dataAt = p + 4 + pathLen;
      if (end - dataAt < 4) throw new NeedMore(dataAt + 4 - p);
      const dataLength = buf.readInt32BE(dataAt);
      if (dataLength < -1 || dataLength > max) throw this.corrupt(this.base + dataAt, `unreasonable data length ${dataLength}`);
      const fixedStart = dataAt + 4 + (dataLength > 0 ? dataLength : 0);
      const recEnd = fixedStart + NODE_FIXED_BYTES;
      if (recEnd > end) throw new NeedMore(recEnd - p);
      rec.offset = this.base + p;
      rec.pathStart = p + 4;
      rec.pathEnd = dataAt;
      rec.dataStart = dataAt + 4;
      rec.dataLength = dataLength;
      rec.fixedStart = fixedStart;
      if (this.recordChecksums) {
        this.checksumTo(p);
        rec.adlerBefore = this.adler;
      }
      this.pos = recEnd;
      this.nodeCount++;
      this.visitor.node(buf, rec);
    }
  }

  private parseSeal(): void {
    this.need(SEAL_BYTES);
    this.checksumTo(this.pos);
    this.checkSeal(this.buf, this.pos, this.adler);
    this.pos += SEAL_BYTES;
    this.state = State.Tail;
  }

  /** Checks a seal at buf[at]: `expected` is the checksum of every earlier byte; then the string "/". */
  private checkSeal(buf: Buffer, at: number, expected: number): void {
    const stored = buf.readBigInt64BE(at);
    if (stored !== BigInt(expected)) {
      throw this.corrupt(this.base + at, `checksum mismatch: seal holds 0x${BigInt.asUintN(64, stored).toString(16)}, `
        + `content sums to 0x${expected.toString(16)}`);
    }
    if (buf.readInt32BE(at + 8) !== 1 || buf[at + 12] !== 0x2f) throw this.corrupt(this.base + at + 8, 'seal does not end with "/"');
  }

  /**
   * The sections after the first seal, each with its own seal: zxidDigest (3.6+, unless digests are
   * off), then lastZxid (3.9+). 3.9 with digests off writes lastZxid alone; that tail is exactly 21
   * bytes, which no digest section can be, so the length tells them apart.
   */
  private parseTail(): void {
    this.checksumTo(this.pos);
    const t = this.buf;
    let p = this.pos;
    const left = (): number => t.length - p;
    let adler = this.adler;
    let checked = p;
    const seal = (): void => {
      if (left() < SEAL_BYTES) throw this.corrupt(this.base + t.length, 'truncated trailer seal');
      adler = adler32(adler, t, checked, p);
      checked = p;
      this.checkSeal(t, p, adler);
      p += SEAL_BYTES;
    };
    let digest: SnapshotTrailer['digest'] = null;
    let lastProcessedZxid: number | null = null;
    if (left() === LAST_ZXID_SECTION_BYTES) {
      lastProcessedZxid = this.readZxid(t, p);
      p += 8;
      seal();
    } else if (left() > 0) {
      if (left() < 12) throw this.corrupt(this.base + t.length, 'truncated digest section');
      const zxid = this.readZxid(t, p);
      const digestVersion = t.readInt32BE(p + 8);
      p += 12;
      let value: bigint;
      if (digestVersion >= 2) {
        if (left() < 8) throw this.corrupt(this.base + t.length, 'truncated digest section');
        value = t.readBigInt64BE(p);
        p += 8;
      } else {
        if (left() < 4) throw this.corrupt(this.base + t.length, 'truncated digest section');
        const len = t.readInt32BE(p);
        if (len < 0 || len > 16 || left() < 4 + len) throw this.corrupt(this.base + p, `bad digest string length ${len}`);
        const hex = t.toString('latin1', p + 4, p + 4 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex)) throw this.corrupt(this.base + p, `bad digest string "${hex}"`);
        value = BigInt.asIntN(64, BigInt('0x' + hex));
        p += 4 + len;
      }
      digest = { zxid, digestVersion, digest: value };
      seal();
      if (left() >= LAST_ZXID_SECTION_BYTES) {
        lastProcessedZxid = this.readZxid(t, p);
        p += 8;
        seal();
      } else if (left() > 0) {
        throw this.corrupt(this.base + p, `${left()} stray bytes after the digest seal`);
      }
      // Anything after a third seal would be a later version's section: ZooKeeper stops reading too.
    }
    this.pos = t.length;
    this.trailer = { digest, lastProcessedZxid };
    this.state = State.Done;
  }

  private readZxid(buf: Buffer, at: number): number {
    const v = buf.readBigInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.corrupt(this.base + at, `zxid ${v} out of range`);
    }
    return Number(v);
  }
}

// ---------------------------------------------------------------- raw record accessors

const TWO_32 = 0x100000000;

function readLongNumber(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

export function readRawStat(buf: Buffer, rec: Readonly<RawNodeRecord>): StatPersisted {
  const s = rec.fixedStart + 8;
  return {
    czxid: readLongNumber(buf, s), mzxid: readLongNumber(buf, s + 8),
    ctime: readLongNumber(buf, s + 16), mtime: readLongNumber(buf, s + 24),
    version: buf.readInt32BE(s + 32), cversion: buf.readInt32BE(s + 36), aversion: buf.readInt32BE(s + 40),
    ephemeralOwner: buf.readBigInt64BE(s + 44), pzxid: readLongNumber(buf, s + 52),
  };
}

/** Materializes a raw record (copies the data). */
export function readRawNode(buf: Buffer, rec: Readonly<RawNodeRecord>): SnapshotNode {
  return {
    path: buf.toString('utf8', rec.pathStart, rec.pathEnd),
    data: rec.dataLength < 0 ? null : Buffer.from(buf.subarray(rec.dataStart, rec.dataStart + rec.dataLength)),
    aclRef: buf.readBigInt64BE(rec.fixedStart),
    stat: readRawStat(buf, rec),
  };
}

export interface DecodedSnapshot extends SnapshotHead, SnapshotTrailer {
  readonly nodes: SnapshotNode[];
}

/** Decodes a whole snapshot on the calling thread, nodes in file order (for tools and tests). */
export async function decodeSnapshot(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: SnapshotDecoderOptions = {},
): Promise<DecodedSnapshot> {
  let head: SnapshotHead | null = null;
  const nodes: SnapshotNode[] = [];
  const decoder = new SnapshotDecoder({
    head: (h) => { head = h; },
    node: (buf, rec) => { nodes.push(readRawNode(buf, rec)); },
  }, opts);
  for await (const chunk of chunks) decoder.push(chunk);
  const trailer = decoder.end();
  const h = head as SnapshotHead | null;
  if (h === null) throw new StorageCorruptError(opts.file ?? 'snapshot', 0, 'no head');
  return { ...h, ...trailer, nodes };
}
