// Compact node batches, the unit that crosses between the main thread and the snapshot worker: the
// numbers of up to a few thousand nodes in one Float64Array, their paths and data in one byte
// buffer (shared memory when encoding, transferred when restoring). A few typed arrays cross threads
// for free where thousands of objects would be cloned one by one. Each side of a batch (pack /
// encode, decode / unpack) lives here.

import type { StatPersisted } from '../../jute/records.js';
import { ADLER32_INIT, adler32 } from '../adler32.js';
import { NODE_FIXED_BYTES } from './format.js';
import type { RawNodeRecord } from './decoder.js';
import { copyBytes } from '../../tree/copy-bytes.js';
import { recordDigest } from '../../tree/digest.js';
import { takeShared } from './shared-buffers.js';
import type { DataArena } from '../../tree/data-arena.js';

/** Float64 slots per node in `meta`. */
export const META_SLOTS = 17;
const CZXID = 0, MZXID = 1, CTIME = 2, MTIME = 3, VERSION = 4, CVERSION = 5, AVERSION = 6;
const OWNER_HI = 7, OWNER_LO = 8, PZXID = 9, ACL_HI = 10, ACL_LO = 11;
/** Encode: the path's UTF-8 length in `bytes`. Restore: unused. */
const PATH_BYTES = 12;
/** -1: null data. */
const DATA_LENGTH = 13;
/** Restore: the record's offset in the snapshot stream, for errors that name it. */
const RECORD_OFFSET = 14;
/** Restore: the node's digest and its path's CRC, computed by the worker (-1: not computed). */
const NODE_DIGEST = 15, PATH_CRC = 16;

const TWO_32 = 0x100000000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * A batch of jute-encoded node records in a shared slot. The main thread writes each record but
 * may leave its value's bytes to the worker (`refs`), which copies them in and then checksums the
 * batch; only then is it ready to be written.
 */
export interface EncodeBatch {
  count: number;
  bytes: Uint8Array;
  /** Slabs of the tree's data arena that values are copied from (DataArena.batchSlab). */
  slabs: SharedArrayBuffer[];
  /**
   * Four int32 per value left to the worker: its slab's index in `slabs`, its offset there, its
   * length, and where in `bytes` it goes. Shared memory.
   */
  refs: Int32Array;
}

/** What the worker sends back while restoring: paths as strings, which the tree keeps as keys anyway. */
export interface RestoreBatch {
  count: number;
  meta: Float64Array;
  paths: string[];
  data: Uint8Array;
}

/** The fields of a tree node a snapshot stores; DataNode has them all. */
export interface SnapshotNodeSource {
  /** The data's length as the snapshot records it: -1 for null. */
  readonly snapshotDataLength: number;
  /** Where the data is in the tree's arena (see DataRef), when snapshotDataLength > 0. */
  readonly dataSlab: number;
  readonly dataOffset: number;
  /** Copies the data (snapshotDataLength bytes) to `target` at `at`. */
  copyDataTo(target: DataView, at: number): void;
  readonly aclRef: bigint;
  readonly ephemeralOwner: bigint;
  /** Writes the StatPersisted record (60 bytes) at `at`, all but ephemeralOwner (bytes 44-51). */
  writeStatPersisted(target: DataView, at: number): void;
}

/** Batch marks for DataArena.batchSlab: every batch of every builder gets its own. */
let nextBatchStamp = 0;

const smallLongs = new Map<number, bigint>();

function getLong(hi: number, lo: number): bigint {
  if (hi === 0 || hi === -1) {
    const n = hi * TWO_32 + lo;
    // ACL keys repeat on nearly every node: reuse their bigints.
    if (n >= -1 && n < 4096) {
      let v = smallLongs.get(n);
      if (v === undefined) smallLongs.set(n, (v = BigInt(n)));
      return v;
    }
    return BigInt(n);
  }
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

// ---------------------------------------------------------------- main thread: pack for encoding

/**
 * Encodes nodes into EncodeBatches: jute records written straight into a slot. (The worker used to
 * copy every path and value once more into the record layout: ~0.45 µs a node, half a snapshot's
 * CPU.) Paths are copied now, and so is each value unless it sits in a shared slab of `arena`:
 * then only where it is goes into the batch and the worker copies it. (Copying values on the walk
 * cost 140-200 of its ~350-390 ns a node on a million-node tree after random writes, most of it
 * cache misses on values scattered over ~200 MB of slabs.) Either way the tree may change the node
 * the moment add() returns: a stored value's bytes never change, and its slab is not reused while
 * the snapshot runs (DataArena.beginRead).
 *
 * Batches live in a ring of SharedArrayBuffer slots that the worker reads in place and the store
 * is handed as chunks: the main thread allocates nothing per batch. (Fresh buffers per batch meant
 * ~0.5 GB of external allocations for a million nodes, and V8 answers external allocation with full
 * mark-compacts of the whole heap, tree included: pauses of hundreds of ms.) A slot is reused
 * `slots` batches later: see takeSnapshot for how many a store may still hold.
 */
export class EncodeBatchBuilder {
  private readonly ring: Array<{ bytes: Buffer; view: DataView; refs: Int32Array }> = [];
  private slot = 0;
  private bytes: Buffer;
  private view: DataView;
  private refs: Int32Array;
  private refCount = 0;
  private slabs: SharedArrayBuffer[] = [];
  /** This batch's mark for DataArena.batchSlab. */
  private stamp = nextBatchStamp++;
  private count = 0;
  private used = 0;
  /** Path and data bytes in the batch (what maxBytes bounds). */
  private payload = 0;

  constructor(
    private readonly maxNodes: number, private readonly maxBytes: number, slots: number,
    private readonly arena: DataArena | null = null,
  ) {
    for (let i = 0; i < slots; i++) {
      const bytes = Buffer.from(takeShared(maxEncodedBytes(maxNodes, maxBytes)));
      const refs = new Int32Array(takeShared(maxNodes * 4 * Int32Array.BYTES_PER_ELEMENT));
      this.ring.push({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), refs });
    }
    this.bytes = this.ring[0].bytes;
    this.view = this.ring[0].view;
    this.refs = this.ring[0].refs;
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.maxNodes || this.payload >= this.maxBytes;
  }

  /**
   * Adds the node at `prefix + name` (a path passed in two parts, so the walk never builds it).
   * False when the node does not fit; an empty batch takes any node.
   */
  add(prefix: string, name: string, node: SnapshotNodeSource): boolean {
    if (this.count >= this.maxNodes) return false;
    const dataLength = node.snapshotDataLength;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const worst = 8 + (prefix.length + name.length) * 3 + (dataLength > 0 ? dataLength : 0) + NODE_FIXED_BYTES;
    if (this.used + worst > this.bytes.length) {
      if (this.count > 0) return false;
      // A node larger than a slot gets a batch and a buffer of its own.
      this.bytes = Buffer.from(new SharedArrayBuffer(worst));
      this.view = new DataView(this.bytes.buffer, 0, worst);
    }
    const b = this.bytes;
    const v = this.view;
    const at = this.used;
    let pathBytes = writePath(b, at + 4, prefix);
    pathBytes += writePath(b, at + 4 + pathBytes, name);
    v.setInt32(at, pathBytes);
    let pos = at + 4 + pathBytes;
    v.setInt32(pos, dataLength);
    pos += 4;
    if (dataLength > 0) {
      const k = this.arena === null ? -1 : this.arena.batchSlab(node.dataSlab, this.stamp, this.slabs);
      if (k >= 0) {
        const r = this.refCount++ * 4;
        const refs = this.refs;
        refs[r] = k;
        refs[r + 1] = node.dataOffset;
        refs[r + 2] = dataLength;
        refs[r + 3] = pos;
      } else {
        node.copyDataTo(v, pos);
      }
      pos += dataLength;
    }
    setBigLong(v, pos, node.aclRef);
    node.writeStatPersisted(v, pos + 8);
    setBigLong(v, pos + 52, node.ephemeralOwner);
    this.used = pos + NODE_FIXED_BYTES;
    this.payload += pathBytes + (dataLength > 0 ? dataLength : 0);
    this.count++;
    return true;
  }

  /** The ring's buffers, to hand back (giveBackShared) once no batch of this builder is in use. */
  sharedBuffers(): SharedArrayBuffer[] {
    return this.ring.flatMap((r) => [r.bytes.buffer as SharedArrayBuffer, r.refs.buffer as SharedArrayBuffer]);
  }

  /** Hands the batch over and moves to the next slot of the ring. */
  take(): EncodeBatch {
    const batch: EncodeBatch = {
      count: this.count, bytes: this.bytes.subarray(0, this.used), slabs: this.slabs, refs: this.refs.subarray(0, this.refCount * 4),
    };
    this.slot = (this.slot + 1) % this.ring.length;
    this.bytes = this.ring[this.slot].bytes;
    this.view = this.ring[this.slot].view;
    this.refs = this.ring[this.slot].refs;
    this.refCount = 0;
    this.slabs = [];
    this.stamp = nextBatchStamp++;
    this.count = 0;
    this.used = 0;
    this.payload = 0;
    return batch;
  }
}

/** A bigint long (ACL key, ephemeral owner) at `at`; the usual small ones without bigint arithmetic. */
function setBigLong(view: DataView, at: number, v: bigint): void {
  if (v === 0n) {
    view.setInt32(at, 0);
    view.setInt32(at + 4, 0);
  } else if (v <= MAX_SAFE && v >= MIN_SAFE) {
    setLong(view, at, Number(v));
  } else {
    view.setBigInt64(at, v);
  }
}

/** Writes (part of) a path as UTF-8 at `at`, returning its length; short ASCII ones skip the native call. */
function writePath(buf: Buffer, at: number, path: string): number {
  const n = path.length;
  if (n <= 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = path.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at + i] = c;
    }
    if (i === n) return n;
  }
  return buf.write(path, at, 'utf8');
}

// ---------------------------------------------------------------- worker: checksum a batch

/** The most bytes a batch of maxNodes nodes and maxBytes path and data bytes encodes to. */
export function maxEncodedBytes(maxNodes: number, maxBytes: number): number {
  return maxBytes + maxNodes * (8 + NODE_FIXED_BYTES);
}

/** The worker's part of a batch: the values left to it copied in (see EncodeBatch.refs). */
export function fillValues(batch: EncodeBatch): void {
  const { refs, bytes } = batch;
  if (refs.length === 0) return;
  const slabs = batch.slabs.map((s) => new Uint8Array(s));
  for (let r = 0; r < refs.length; r += 4) copyBytes(slabs[refs[r]], refs[r + 1], bytes, refs[r + 3], refs[r + 2]);
}

/** The batch's Adler-32 (once its values are in), which the caller combines in stream order. */
export function checksumBatch(batch: EncodeBatch): number {
  return adler32(ADLER32_INIT, batch.bytes, 0, batch.bytes.length);
}

function setLong(view: DataView, at: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  view.setInt32(at, hi);
  view.setUint32(at + 4, v - hi * TWO_32);
}

// ---------------------------------------------------------------- worker: batch decoded records

/**
 * Collects raw records from the SnapshotDecoder into RestoreBatches (data copied out of the chunk).
 * With `digests`, each node's digest and path CRC are computed here from the record's bytes, so the
 * main thread inserting the nodes does not hash them (a quarter of its restore time when it did).
 */
export class RestoreBatchBuilder {
  private readonly digestOut = new Float64Array(2);
  private meta: Float64Array;
  private data: Buffer;
  private paths: string[] = [];
  private count = 0;
  private dataBytes = 0;

  constructor(private readonly maxNodes: number, private readonly maxDataBytes: number, private readonly digests = false) {
    this.meta = new Float64Array(maxNodes * META_SLOTS);
    this.data = Buffer.allocUnsafeSlow(maxDataBytes);
  }

  get size(): number {
    return this.count;
  }

  /** Whether the record fits; call take() first when it does not. An empty batch takes anything. */
  fits(rec: Readonly<RawNodeRecord>): boolean {
    if (this.count === 0) return true;
    return this.count < this.maxNodes && this.dataBytes + Math.max(rec.dataLength, 0) <= this.data.length;
  }

  add(buf: Buffer, rec: Readonly<RawNodeRecord>): void {
    const dataLength = rec.dataLength;
    if (dataLength > 0 && this.dataBytes + dataLength > this.data.length) {
      // Only an empty batch gets here (see fits): make room for one oversized node.
      this.data = Buffer.allocUnsafeSlow(dataLength);
    }
    const m = this.meta;
    const at = this.count * META_SLOTS;
    const f = rec.fixedStart;
    m[at + ACL_HI] = buf.readInt32BE(f);
    m[at + ACL_LO] = buf.readUInt32BE(f + 4);
    m[at + CZXID] = buf.readInt32BE(f + 8) * TWO_32 + buf.readUInt32BE(f + 12);
    m[at + MZXID] = buf.readInt32BE(f + 16) * TWO_32 + buf.readUInt32BE(f + 20);
    m[at + CTIME] = buf.readInt32BE(f + 24) * TWO_32 + buf.readUInt32BE(f + 28);
    m[at + MTIME] = buf.readInt32BE(f + 32) * TWO_32 + buf.readUInt32BE(f + 36);
    m[at + VERSION] = buf.readInt32BE(f + 40);
    m[at + CVERSION] = buf.readInt32BE(f + 44);
    m[at + AVERSION] = buf.readInt32BE(f + 48);
    m[at + OWNER_HI] = buf.readInt32BE(f + 52);
    m[at + OWNER_LO] = buf.readUInt32BE(f + 56);
    m[at + PZXID] = buf.readInt32BE(f + 60) * TWO_32 + buf.readUInt32BE(f + 64);
    m[at + DATA_LENGTH] = dataLength;
    m[at + RECORD_OFFSET] = rec.offset;
    if (dataLength > 0) {
      copyBytes(buf, rec.dataStart, this.data, this.dataBytes, dataLength);
      this.dataBytes += dataLength;
    }
    const path = buf.toString('utf8', rec.pathStart, rec.pathEnd);
    this.paths.push(path);
    if (this.digests) {
      recordDigest(path, buf, rec.pathStart, rec.pathEnd, rec.dataStart, dataLength, f + 8, this.digestOut);
      m[at + NODE_DIGEST] = this.digestOut[0];
      m[at + PATH_CRC] = this.digestOut[1];
    } else {
      m[at + NODE_DIGEST] = -1;
      m[at + PATH_CRC] = -1;
    }
    this.count++;
  }

  /** The batch, in buffers of its own sized to fit (restored nodes keep views into `data`). */
  take(): RestoreBatch {
    const data = Buffer.allocUnsafeSlow(this.dataBytes);
    this.data.copy(data, 0, 0, this.dataBytes);
    const batch: RestoreBatch = {
      count: this.count,
      meta: this.meta.slice(0, this.count * META_SLOTS),
      paths: this.paths,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
    if (this.data.length > this.maxDataBytes) this.data = Buffer.allocUnsafeSlow(this.maxDataBytes);
    this.paths = [];
    this.count = 0;
    this.dataBytes = 0;
    return batch;
  }
}

// ---------------------------------------------------------------- main thread: unpack for restore

export interface RestoredNode {
  path: string;
  /** Null when the data was placed in an arena (dataSlab ≥ 0), or when the node has none. */
  data: Buffer | null;
  /** With a cursor given an arena: the data is dataLength bytes at dataOffset of arena slab dataSlab; else -1. */
  dataSlab: number;
  dataOffset: number;
  dataLength: number;
  aclRef: bigint;
  stat: StatPersisted;
  /** Offset of the node's record in the snapshot stream. */
  offset: number;
  /** The node's digest and its path's CRC when the worker computed them, else -1. */
  nodeDigest: number;
  pathCrc: number;
}

/**
 * Reads a batch's nodes one by one, so that inserting them can be spread over several turns of the
 * event loop. Data buffers are views into the batch's one buffer (no copy); the tree replaces a
 * node's buffer on setData, it never writes into it. next() fills and returns the same object
 * every time (a million-node restore made three short-lived objects per node otherwise): read it,
 * or copy what you keep, before the next call.
 */
export class RestoreBatchCursor {
  private i = 0;
  private dataAt: number;
  /** The batch's data as an arena slab, or -1. */
  private readonly slab: number;
  private readonly node: RestoredNode = {
    path: '', data: null, dataSlab: -1, dataOffset: 0, dataLength: -1, aclRef: 0n, offset: 0, nodeDigest: -1, pathCrc: -1,
    stat: { czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, pzxid: 0 },
  };

  /**
   * With `arena`, the batch's data buffer becomes one of its slabs (the batch must not be used
   * again): nodes point into it instead of each being copied (see DataArena.adopt).
   */
  constructor(private readonly batch: RestoreBatch, private readonly arena: DataArena | null = null) {
    this.dataAt = batch.data.byteOffset;
    this.slab = arena === null ? -1 : arena.adopt(batch.data);
  }

  /** After the last node was inserted: an adopted slab no node points into is dropped. */
  close(): void {
    if (this.slab >= 0) this.arena?.settle(this.slab);
  }

  get done(): boolean {
    return this.i >= this.batch.count;
  }

  next(): Readonly<RestoredNode> {
    const { meta, paths, data: bytes } = this.batch;
    const at = this.i * META_SLOTS;
    const dataLength = meta[at + DATA_LENGTH];
    const node = this.node;
    let data: Buffer | null = null;
    node.dataSlab = -1;
    node.dataLength = dataLength;
    if (dataLength >= 0) {
      if (this.slab >= 0) {
        node.dataSlab = this.slab;
        node.dataOffset = this.dataAt - bytes.byteOffset;
      } else {
        data = Buffer.from(bytes.buffer, this.dataAt, dataLength);
      }
      this.dataAt += dataLength;
    }
    const stat = node.stat;
    node.path = paths[this.i];
    node.data = data;
    node.aclRef = getLong(meta[at + ACL_HI], meta[at + ACL_LO]);
    stat.czxid = meta[at + CZXID];
    stat.mzxid = meta[at + MZXID];
    stat.ctime = meta[at + CTIME];
    stat.mtime = meta[at + MTIME];
    stat.version = meta[at + VERSION];
    stat.cversion = meta[at + CVERSION];
    stat.aversion = meta[at + AVERSION];
    stat.ephemeralOwner = getLong(meta[at + OWNER_HI], meta[at + OWNER_LO]);
    stat.pzxid = meta[at + PZXID];
    node.offset = meta[at + RECORD_OFFSET];
    node.nodeDigest = meta[at + NODE_DIGEST];
    node.pathCrc = meta[at + PATH_CRC];
    this.i++;
    return node;
  }
}
