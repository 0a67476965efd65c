// Where a tree keeps its znodes' small fields (stat, data place, flags): fixed-size records of
// int32 in chunks of typed-array memory, one record per live node.
//
// A DataNode used to hold these as 21 fields of its own, each 8 bytes in this build of V8: ~230
// bytes an object. Restoring a million-node snapshot allocates a million of them, and every one
// survives, so the young-generation GC copied each twice on its way to the old generation: 49
// scavenges and ~1.2 s of the main thread in a 3.6 s restart. Kept here, they are no objects at
// all, the node shrinks to ~70 bytes, and a write's stat changes land in one cache line of a
// record instead of being spread over an object's four.
//
// A record is never moved while its node lives (a node holds its chunk and offset). When a node
// leaves the tree (release), it takes a private copy of its record, which anyone still holding the
// node (a fuzzy snapshot walk, say) goes on reading, and the record is reused by a later node.

/** int32 slots per record: 128 bytes, so that records start on cache-line boundaries. */
export const RECORD_INTS = 32;
/** Records per chunk (512 KiB of memory). */
const CHUNK_RECORDS = 4096;
const CHUNK_INTS = RECORD_INTS * CHUNK_RECORDS;
/** The record's last slot holds its own number (chunk index × CHUNK_RECORDS + place in the chunk). */
export const RECORD_ID = RECORD_INTS - 1;

export class NodeRecords {
  private readonly chunks: Int32Array[] = [];
  /** Records handed out in the newest chunk. */
  private used = CHUNK_RECORDS;
  /** Released records: chunk index × CHUNK_RECORDS + record index. */
  private readonly free: number[] = [];
  private liveCount = 0;
  /** The chunk of the record alloc() returned last. */
  chunk: Int32Array = new Int32Array(0);

  /** A zeroed record: its offset in `this.chunk` is returned. */
  alloc(): number {
    this.liveCount++;
    const reused = this.free.pop();
    if (reused !== undefined) {
      const chunk = this.chunks[Math.floor(reused / CHUNK_RECORDS)];
      const at = (reused % CHUNK_RECORDS) * RECORD_INTS;
      chunk.fill(0, at, at + RECORD_INTS);
      chunk[at + RECORD_ID] = reused;
      this.chunk = chunk;
      return at;
    }
    if (this.used === CHUNK_RECORDS) {
      this.chunks.push(new Int32Array(CHUNK_INTS));
      this.used = 0;
    }
    const chunk = this.chunks[this.chunks.length - 1];
    const at = this.used * RECORD_INTS;
    chunk[at + RECORD_ID] = (this.chunks.length - 1) * CHUNK_RECORDS + this.used;
    this.used++;
    this.chunk = chunk;
    return at;
  }

  /**
   * Gives back the record at `at` of `chunk` (from alloc, not released before) and returns a
   * private copy of it for its node to keep.
   */
  release(chunk: Int32Array, at: number): Int32Array {
    const copy = chunk.slice(at, at + RECORD_INTS);
    const id = chunk[at + RECORD_ID];
    if (this.chunks[Math.floor(id / CHUNK_RECORDS)] !== chunk) throw new Error('NodeRecords.release: the record is not from this store');
    this.free.push(id);
    this.liveCount--;
    return copy;
  }

  /** Records held by nodes, and bytes of chunk memory. */
  stats(): { records: number; bytes: number } {
    return { records: this.liveCount, bytes: this.chunks.length * CHUNK_INTS * 4 };
  }
}
