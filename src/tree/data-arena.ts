// Where a tree keeps its znodes' data: slabs the tree owns, with live bytes counted per slab.
//
// Data used to be stored as the Buffer the request was decoded into: a slice of Node's shared
// 8 KiB pool (Buffer.allocUnsafe), or of a whole restore batch. One surviving 100-byte value kept
// its 8 KiB alive, so random setData on a big tree grew memory without bound (250k nodes: external
// memory 39 → 152 MiB over a million writes). A private Buffer per value (allocUnsafeSlow) fixes
// that at ~1 µs a write, and still stores a young object in an old node on every write, which
// the young-generation GC must then track (its remembered set).
//
// Here a node holds its data as three small integers (slab id, offset, length), which V8 stores in
// the node without allocating and without a write barrier. A value is copied into the current slab
// by bumping an offset; a slab whose values have all been replaced or deleted is dropped. A slab
// that is mostly dead but still holds a few live values is emptied by the next walk over the tree
// (DataArena.beginCompaction, then relocate() on every node the walk visits): the snapshot walk
// does this, so memory per znode stays flat however long the server writes.
//
// Slab bytes are never rewritten while the slab lives.
//
// Standard slabs are SharedArrayBuffers, so that a snapshot's worker can copy values out of them
// itself (batchSlab): the walk on this thread only says where each value is. A value's bytes never
// change while its slab lives, so what the worker copies is the value the node held when the walk
// met it, whatever the tree has done since, provided the slab is not reused meanwhile: see below.
//
// A dropped standard slab is kept for reuse instead of being left to the GC. V8 does not count
// shared memory as external, so nothing hurries the major GC that would free a dropped one; left
// to it, resident memory grew with every slab dropped between two major GCs (250k nodes after a
// million writes: 447-456 MiB against 298-332 with unshared slabs). Reuse is safe because:
//   - a slab dropped while a snapshot that began before the drop is still running (beginRead)
//     waits until that snapshot has ended (its worker tasks may name the slab);
//   - nothing outside the tree holds a view of slab memory: DataNode.data hands out copies, and
//     view() is for reads finished before the tree next stores a value.

import { copyBytesView } from './copy-bytes.js';
import { NodeRecords } from './node-records.js';

/** Bytes per slab; values larger than a quarter of it get a slab of their own. */
export const SLAB_BYTES = 256 * 1024;
/** Dropped standard slabs kept for reuse, at most (more are left to the GC). */
const SPARE_SLABS = 128;
const DEDICATED_ABOVE = SLAB_BYTES / 4;
/** A full slab with less than this share of its bytes live is emptied by the next walk. */
const SPARSE_SHARE = 0.5;
const EMPTY = Buffer.alloc(0);

interface Slab {
  readonly bytes: Buffer;
  /** Its memory, when it is a standard slab (shared, and reused once dropped). */
  readonly shared: SharedArrayBuffer | null;
  /** The batch (batchSlab's stamp) that last listed this slab, and its index in that batch's list. */
  batch: number;
  batchIndex: number;
  /** Over `bytes`, made on first copyOutView. */
  view: DataView | null;
  /** Bytes of values still stored here. */
  live: number;
  /** Marked by beginCompaction: relocate() moves values out of it. */
  sparse: boolean;
}

function newSlab(bytes: Buffer, live: number, shared: SharedArrayBuffer | null = null): Slab {
  return { bytes, shared, batch: -1, batchIndex: -1, view: null, live, sparse: false };
}

/** Where a value is: see DataArena.store. */
export interface DataRef {
  dataSlab: number;
  dataOffset: number;
}

export interface ArenaStats {
  slabs: number;
  /** Bytes held in slabs, live or dead. */
  bytes: number;
  /** Bytes of values still referenced. */
  liveBytes: number;
}

export class DataArena {
  /** The records of the tree's nodes (stat, data place, flags): see node-records.ts. */
  readonly records = new NodeRecords();
  /** id → slab; ids only grow, so a stale reference never reads another slab's bytes. */
  private readonly slabs = new Map<number, Slab>();
  private nextId = 0;
  private current: Slab | null = null;
  private currentId = -1;
  private used = 0;
  private heldBytes = 0;
  private liveBytes = 0;
  private sparseCount = 0;
  /** Dropped standard slabs ready for reuse. */
  private readonly spares: Buffer[] = [];
  /** Dropped standard slabs a running snapshot may still read, with readsBegun when dropped. */
  private readonly quarantine: Array<{ bytes: Buffer; readsBegun: number }> = [];
  private readsBegun = 0;
  /** Snapshots running (beginRead ids). */
  private readonly readers = new Set<number>();

  /**
   * Copies `src` in; `out` is set to where it went. Values of length 0 are not stored (slab -1).
   */
  store(src: Uint8Array, out: DataRef): void {
    const len = src.length;
    if (len === 0) {
      out.dataSlab = -1;
      out.dataOffset = 0;
      return;
    }
    if (len > DEDICATED_ABOVE) {
      const id = this.nextId++;
      const bytes = Buffer.allocUnsafeSlow(len);
      bytes.set(src, 0);
      this.slabs.set(id, newSlab(bytes, len));
      this.heldBytes += len;
      this.liveBytes += len;
      out.dataSlab = id;
      out.dataOffset = 0;
      return;
    }
    if (this.current === null || this.used + len > SLAB_BYTES) this.startSlab();
    const slab = this.current as Slab;
    slab.bytes.set(src, this.used);
    slab.live += len;
    this.liveBytes += len;
    out.dataSlab = this.currentId;
    out.dataOffset = this.used;
    this.used += len;
  }

  /**
   * Takes `bytes` (which nobody else may write to from now on) as a slab of its own, for values
   * restored in place (a snapshot batch's data): each value placed in it is counted with claim(),
   * and settle() drops the slab if none was. @returns the slab id, -1 for no bytes
   */
  adopt(bytes: Uint8Array): number {
    if (bytes.byteLength === 0) return -1;
    const id = this.nextId++;
    this.slabs.set(id, newSlab(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0));
    this.heldBytes += bytes.byteLength;
    return id;
  }

  /** A value of `length` bytes of an adopted slab is now referenced. */
  claim(slab: number, length: number): void {
    const s = this.slabs.get(slab);
    if (s === undefined) throw new Error(`data arena: claim in slab ${slab}, which does not exist`);
    s.live += length;
    this.liveBytes += length;
  }

  /** Every value of an adopted slab has been claimed: drops it if none was. */
  settle(slab: number): void {
    const s = this.slabs.get(slab);
    if (s !== undefined && s.live <= 0 && s !== this.current) this.drop(slab, s);
  }

  /**
   * A view of a stored value, sharing the slab's memory: read it before the tree next stores a
   * value (the slab may be reused after that), and do not write to it.
   */
  view(slab: number, offset: number, length: number): Buffer {
    if (slab < 0) return EMPTY;
    const s = this.slabs.get(slab);
    if (s === undefined) throw new Error(`data arena: slab ${slab} was released while still referenced`);
    return s.bytes.subarray(offset, offset + length);
  }

  /** Copies a stored value into `target` at `at`, with no view made (the snapshot walk, every node). */
  copyOutView(slab: number, offset: number, length: number, target: DataView, at: number): void {
    const s = this.slabs.get(slab);
    if (s === undefined) throw new Error(`data arena: slab ${slab} was released while still referenced`);
    s.view ??= new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength);
    copyBytesView(s.view, offset, target, at, length);
  }

  /**
   * For a batch of snapshot records whose values a worker copies: the index of `slab`'s memory in
   * `list`, the batch's list of slabs, which is appended to the first time the batch (`stamp`, a
   * number no other batch uses) meets the slab. -1 when the slab is not shared: copy the value
   * here. Call between beginRead and endRead, which keep the slab from reuse until the worker is done.
   */
  batchSlab(slab: number, stamp: number, list: SharedArrayBuffer[]): number {
    const s = this.slabs.get(slab);
    if (s === undefined || s.shared === null) return -1;
    if (s.batch !== stamp) {
      s.batch = stamp;
      s.batchIndex = list.length;
      list.push(s.shared);
    }
    return s.batchIndex;
  }

  /**
   * A snapshot begins: slabs dropped from now on are not reused until endRead(the returned id),
   * and every earlier reader, has been called.
   */
  beginRead(): number {
    const id = ++this.readsBegun;
    this.readers.add(id);
    return id;
  }

  endRead(id: number): void {
    if (!this.readers.delete(id)) return;
    let oldest = Infinity;
    for (const r of this.readers) oldest = Math.min(oldest, r);
    // A slab dropped when `readsBegun` was n can be named by readers up to n only.
    let kept = 0;
    for (const q of this.quarantine) {
      if (q.readsBegun < oldest) this.spare(q.bytes);
      else this.quarantine[kept++] = q;
    }
    this.quarantine.length = kept;
  }

  /** The value at (slab, offset) of `length` bytes is no longer referenced. */
  release(slab: number, length: number): void {
    if (slab < 0) return;
    const s = this.slabs.get(slab);
    if (s === undefined) return;
    s.live -= length;
    this.liveBytes -= length;
    if (s.live <= 0 && s !== this.current) this.drop(slab, s);
  }

  /**
   * Marks every full slab whose live share is below SPARSE_SHARE: relocate() moves values out of
   * them, and each is dropped once its last value has moved. @returns the number marked
   */
  beginCompaction(): number {
    this.sparseCount = 0;
    for (const s of this.slabs.values()) {
      s.sparse = s !== this.current && s.live < s.bytes.length * SPARSE_SHARE;
      if (s.sparse) this.sparseCount++;
    }
    return this.sparseCount;
  }

  /** Whether a value in `slab` should move (a compaction is under way and marked that slab). */
  shouldRelocate(slab: number): boolean {
    if (this.sparseCount === 0 || slab < 0) return false;
    const s = this.slabs.get(slab);
    return s !== undefined && s.sparse;
  }

  /** Moves a value out of a sparse slab into the current one; `ref` is updated in place. */
  relocate(ref: DataRef, length: number): void {
    const from = this.slabs.get(ref.dataSlab);
    if (from === undefined) return;
    const src = from.bytes.subarray(ref.dataOffset, ref.dataOffset + length);
    const oldSlab = ref.dataSlab;
    this.store(src, ref);
    this.release(oldSlab, length);
  }

  /** Ends a compaction: slabs still marked (values the walk did not meet) stay as they are. */
  endCompaction(): void {
    if (this.sparseCount === 0) return;
    for (const s of this.slabs.values()) s.sparse = false;
    this.sparseCount = 0;
  }

  stats(): ArenaStats {
    return { slabs: this.slabs.size, bytes: this.heldBytes, liveBytes: this.liveBytes };
  }

  private startSlab(): void {
    const old = this.current;
    if (old !== null && old.live <= 0) this.drop(this.currentId, old);
    const id = this.nextId++;
    const bytes = this.spares.pop() ?? Buffer.from(new SharedArrayBuffer(SLAB_BYTES));
    const slab = newSlab(bytes, 0, bytes.buffer as SharedArrayBuffer);
    this.slabs.set(id, slab);
    this.heldBytes += SLAB_BYTES;
    this.current = slab;
    this.currentId = id;
    this.used = 0;
  }

  private drop(id: number, s: Slab): void {
    this.slabs.delete(id);
    this.heldBytes -= s.bytes.length;
    if (s.sparse) {
      s.sparse = false;
      this.sparseCount--;
    }
    if (s.shared === null) return;
    if (this.readers.size === 0) this.spare(s.bytes);
    else this.quarantine.push({ bytes: s.bytes, readsBegun: this.readsBegun });
  }

  private spare(bytes: Buffer): void {
    if (this.spares.length < SPARE_SLABS) this.spares.push(bytes);
  }
}
