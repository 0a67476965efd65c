// One znode: data, ACL key, the persisted stat fields and child names, as Apache ZooKeeper's DataNode
// holds them; stat() derives what clients see (dataLength, numChildren, v3 cversion, ephemeralOwner).

import type { Stat, StatPersisted } from '../jute/records.js';
import type { DataArena, DataRef } from './data-arena.js';
import { ChildTable, type ReadonlyChildren } from './child-table.js';
import { ephemeralTypeOf, type EphemeralType } from './ephemeral-type.js';
import { grownCapacity, hashSetOrder } from './java-hash.js';

const NO_CHILDREN: ReadonlyMap<string, DataNode> = new Map<string, DataNode>();
const TWO_32 = 0x100000000;
/** flags: digestCache holds a value / pathCrc holds a value. */
const DIGEST_VALID = 1;
const PATH_CRC_VALID = 2;
/**
 * flags bits 2-6: log2 of the table size ZooKeeper's HashSet of this node's children would have
 * (0: no child yet). DataNode.addChild makes it `new HashSet<String>(8)` on the first child; it
 * doubles whenever the count passes 3/4 of it and never shrinks. It decides getChildren's order.
 */
const CHILD_TABLE_SHIFT = 2;
const CHILD_TABLE_MASK = 31 << CHILD_TABLE_SHIFT;
/** flags bit 7: deleted from its tree (releaseData). */
const DETACHED = 1 << 7;
/** flags bit 8: ephemeralOwner markers are read as zookeeper.extendedTypesEnabled=true reads them. */
const EXTENDED_TYPES = 1 << 8;
const FIRST_CHILD_TABLE = 8;
/**
 * Past this many children a node's Map gives way to a ChildTable (see child-table.ts); below it a
 * Map takes less memory (a table starts at 16 slots of 16 bytes plus two arrays).
 */
const CHILD_TABLE_FROM = 64;

export interface DataNodeInit {
  /** Copied into `arena`. */
  data: Buffer | null;
  /** The tree's data store. */
  arena: DataArena;
  aclRef: bigint;
  stat: StatPersisted;
  /** How ephemeralOwner markers are read (zookeeper.extendedTypesEnabled); default false, as in ZK. */
  extendedTypesEnabled?: boolean;
}

/** Slots of a node's record (see node-records.ts): what a setData changes comes first, in one cache line. */
const FLAGS = 0;
const DATA_SLAB = 1;
const DATA_OFFSET = 2;
const DATA_LEN = 3;
const MZXID_HI = 4;
const MZXID_LO = 5;
const MTIME_HI = 6;
const MTIME_LO = 7;
const VERSION = 8;
const DIGEST = 9;
const PENDING_SEQ = 10;
const SNAP_MARK = 11;
const CVERSION = 12;
const AVERSION = 13;
const PZXID_HI = 14;
const PZXID_LO = 15;
const CZXID_HI = 16;
const CZXID_LO = 17;
const CTIME_HI = 18;
const CTIME_LO = 19;
const PATH_CRC = 20;

/**
 * A znode. Its stat, where its data is and its flags live in a record of the tree's NodeRecords
 * (see node-records.ts for why), read and written through the accessors below: zxids and times,
 * which do not fit an int32, as two halves (high, low), the CRCs as int32 with validity flags.
 */
export class DataNode implements DataRef {
  private readonly arena: DataArena;
  /** The chunk holding this node's record, and where in it the record starts. */
  private rec: Int32Array;
  private at: number;
  aclRef: bigint;
  /** Raw stored value: a session id, the container marker or a TTL marker. */
  ephemeralOwner: bigint;
  /**
   * Children by name, holding the child nodes themselves: walks over the tree (snapshots above all)
   * follow these references instead of rebuilding and looking up every path.
   */
  private childMap: Map<string, DataNode> | ChildTable<DataNode> | null = null;

  constructor(init: DataNodeInit) {
    const s = init.stat;
    const records = init.arena.records;
    this.at = records.alloc();
    this.rec = records.chunk;
    this.arena = init.arena;
    const r = this.rec;
    const a = this.at;
    r[a + DATA_SLAB] = -1;
    r[a + DATA_LEN] = -1;
    r[a + PENDING_SEQ] = -1;
    if (init.extendedTypesEnabled === true) r[a + FLAGS] = EXTENDED_TYPES;
    this.data = init.data;
    this.aclRef = init.aclRef;
    this.ephemeralOwner = s.ephemeralOwner;
    this.czxid = s.czxid;
    this.mzxid = s.mzxid;
    this.ctime = s.ctime;
    this.mtime = s.mtime;
    this.version = s.version;
    this.cversion = s.cversion;
    this.aversion = s.aversion;
    this.pzxid = s.pzxid;
  }

  /**
   * Where the data is in the tree's arena (see data-arena.ts): small integers, so a write stores no
   * new object. Managed by the arena; dataLength -1 is null data.
   */
  get dataSlab(): number { return this.rec[this.at + DATA_SLAB]; }
  set dataSlab(v: number) { this.rec[this.at + DATA_SLAB] = v; }
  get dataOffset(): number { return this.rec[this.at + DATA_OFFSET]; }
  set dataOffset(v: number) { this.rec[this.at + DATA_OFFSET] = v; }
  private get dataLen(): number { return this.rec[this.at + DATA_LEN]; }
  private set dataLen(v: number) { this.rec[this.at + DATA_LEN] = v; }
  private get flags(): number { return this.rec[this.at + FLAGS]; }
  private set flags(v: number) { this.rec[this.at + FLAGS] = v; }

  get version(): number { return this.rec[this.at + VERSION]; }
  set version(v: number) { this.rec[this.at + VERSION] = v; }
  /** Stored cversion: ZooKeeper counts only creates here; stat() turns it into the client's count. */
  get cversion(): number { return this.rec[this.at + CVERSION]; }
  set cversion(v: number) { this.rec[this.at + CVERSION] = v; }
  get aversion(): number { return this.rec[this.at + AVERSION]; }
  set aversion(v: number) { this.rec[this.at + AVERSION] = v; }
  /**
   * Where the newest change prep has made to this node sits among the pending changes, -1 for none:
   * a sequence number owned by pipeline/change-records.ts, which checks it is still current. A small
   * integer rather than the record itself, so that a write stores no young object in this old node
   * (see there why).
   */
  get pendingSeq(): number { return this.rec[this.at + PENDING_SEQ]; }
  set pendingSeq(v: number) { this.rec[this.at + PENDING_SEQ] = v; }
  /** Owned by SnapshotChanges: the snapshot epoch in which this node last changed (0: none yet). */
  get snapMark(): number { return this.rec[this.at + SNAP_MARK]; }
  set snapMark(v: number) { this.rec[this.at + SNAP_MARK] = v; }

  /** Child names (not paths), live: iterate before changing the tree. Change through addChild/removeChild. */
  get children(): IterableIterator<string> {
    return (this.childMap ?? NO_CHILDREN).keys();
  }

  /** The child called `name`. */
  child(name: string): DataNode | undefined {
    return this.childMap === null ? undefined : this.childMap.get(name);
  }

  /**
   * name → child node, live: an iterator stays valid across changes, removed entries are skipped
   * and added ones reached (once a Map gives way to a ChildTable, or a table rebuilds its entries,
   * an iterator under way goes on over the entries as they were then; see child-table.ts).
   */
  get childNodes(): ReadonlyChildren<DataNode> {
    return this.childMap ?? NO_CHILDREN;
  }

  get czxid(): number { return this.rec[this.at + CZXID_HI] * TWO_32 + (this.rec[this.at + CZXID_LO] >>> 0); }
  set czxid(v: number) { this.rec[this.at + CZXID_HI] = Math.floor(v / TWO_32); this.rec[this.at + CZXID_LO] = v; }
  get mzxid(): number { return this.rec[this.at + MZXID_HI] * TWO_32 + (this.rec[this.at + MZXID_LO] >>> 0); }
  set mzxid(v: number) { this.rec[this.at + MZXID_HI] = Math.floor(v / TWO_32); this.rec[this.at + MZXID_LO] = v; }
  get ctime(): number { return this.rec[this.at + CTIME_HI] * TWO_32 + (this.rec[this.at + CTIME_LO] >>> 0); }
  set ctime(v: number) { this.rec[this.at + CTIME_HI] = Math.floor(v / TWO_32); this.rec[this.at + CTIME_LO] = v; }
  get mtime(): number { return this.rec[this.at + MTIME_HI] * TWO_32 + (this.rec[this.at + MTIME_LO] >>> 0); }
  set mtime(v: number) { this.rec[this.at + MTIME_HI] = Math.floor(v / TWO_32); this.rec[this.at + MTIME_LO] = v; }
  get pzxid(): number { return this.rec[this.at + PZXID_HI] * TWO_32 + (this.rec[this.at + PZXID_LO] >>> 0); }
  set pzxid(v: number) { this.rec[this.at + PZXID_HI] = Math.floor(v / TWO_32); this.rec[this.at + PZXID_LO] = v; }

  /** This node's digest (CRC32) while valid, -1 when it must be recomputed. Managed by DataTree. */
  get digestCache(): number { return (this.flags & DIGEST_VALID) !== 0 ? this.rec[this.at + DIGEST] >>> 0 : -1; }
  set digestCache(v: number) {
    if (v < 0) {
      this.flags &= ~DIGEST_VALID;
    } else {
      this.rec[this.at + DIGEST] = v;
      this.flags |= DIGEST_VALID;
    }
  }

  /** CRC32 of this node's path (it never changes), -1 until first needed. Managed by DataTree. */
  get pathCrc(): number { return (this.flags & PATH_CRC_VALID) !== 0 ? this.rec[this.at + PATH_CRC] >>> 0 : -1; }
  set pathCrc(v: number) {
    if (v < 0) {
      this.flags &= ~PATH_CRC_VALID;
    } else {
      this.rec[this.at + PATH_CRC] = v;
      this.flags |= PATH_CRC_VALID;
    }
  }

  get numChildren(): number {
    return this.childMap === null ? 0 : this.childMap.size;
  }

  /** Links `node` as child `name`, replacing any node of that name. @returns the node replaced, undefined if none. */
  addChild(name: string, node: DataNode): DataNode | undefined {
    // Most znodes are leaves: allocate the map only when a first child arrives.
    let map = this.childMap;
    if (map === null) {
      map = new Map();
      this.childMap = map;
    } else if (map instanceof Map && map.size >= CHILD_TABLE_FROM) {
      // The Map is left as it is for any iterator still walking it.
      map = ChildTable.from(map);
      this.childMap = map;
    }
    let replaced: DataNode | undefined;
    if (map instanceof ChildTable) {
      replaced = map.put(name, node);
    } else {
      replaced = map.get(name);
      map.set(name, node);
    }
    if (replaced !== undefined) return replaced;
    const table = this.childTable;
    const grown = grownCapacity(table === 0 ? FIRST_CHILD_TABLE : table, map.size);
    if (grown !== table) this.flags = (this.flags & ~CHILD_TABLE_MASK) | (Math.log2(grown) << CHILD_TABLE_SHIFT);
    return undefined;
  }

  /** The table size of ZooKeeper's HashSet of this node's children; 0 before the first child. */
  private get childTable(): number {
    const log2 = (this.flags & CHILD_TABLE_MASK) >>> CHILD_TABLE_SHIFT;
    return log2 === 0 ? 0 : 1 << log2;
  }

  /** Child names in the order ZooKeeper's getChildren lists them (its HashSet's iteration order). */
  childNamesInZooKeeperOrder(): string[] {
    if (this.childMap === null) return [];
    return hashSetOrder([...this.childMap.keys()], this.childTable);
  }

  /** @returns false if there was no such child. */
  removeChild(name: string): boolean {
    return this.childMap !== null && this.childMap.delete(name);
  }

  /**
   * The data, a copy of its own: the arena reuses slabs, so nothing that may be kept can share their
   * memory. Setting copies the value in and releases the old one.
   */
  get data(): Buffer | null {
    return this.dataLen < 0 ? null : Buffer.from(this.arena.view(this.dataSlab, this.dataOffset, this.dataLen));
  }

  /**
   * The data as a view of the arena's memory, for a read finished before the tree next stores a
   * value (after that the slab may be reused): serializing a reply, hashing. Do not write to it.
   */
  dataView(): Buffer | null {
    return this.dataLen < 0 ? null : this.arena.view(this.dataSlab, this.dataOffset, this.dataLen);
  }

  set data(v: Buffer | null) {
    const oldSlab = this.dataSlab;
    const oldLen = this.dataLen;
    if (v === null) {
      this.dataSlab = -1;
      this.dataOffset = 0;
      this.dataLen = -1;
    } else {
      this.arena.store(v, this);
      this.dataLen = v.length;
    }
    if (oldLen > 0) this.arena.release(oldSlab, oldLen);
  }

  /** Points a node without data at `length` bytes of an adopted arena slab (see DataArena.adopt). */
  placeData(slab: number, offset: number, length: number): void {
    if (this.dataLen > 0) this.arena.release(this.dataSlab, this.dataLen);
    this.dataLen = length;
    if (length > 0) {
      this.dataSlab = slab;
      this.dataOffset = offset;
      this.arena.claim(slab, length);
    } else {
      this.dataSlab = -1;
      this.dataOffset = 0;
    }
  }

  /**
   * The node has left the tree: its data no longer counts as live in the arena, and reads as empty
   * from now on (a fuzzy snapshot may still meet it); dataLength keeps its last value.
   */
  releaseData(): void {
    if ((this.flags & DETACHED) !== 0) return;
    if (this.dataLen > 0) this.arena.release(this.dataSlab, this.dataLen);
    this.dataSlab = -1;
    this.flags |= DETACHED;
    // Whoever still holds the node reads its own copy; the record goes to a new node.
    this.rec = this.arena.records.release(this.rec, this.at);
    this.at = 0;
  }

  /** Whether this node is still in the tree that owns `arena` (not deleted from it). */
  isIn(arena: DataArena): boolean {
    return this.arena === arena && (this.flags & DETACHED) === 0;
  }

  /** During an arena compaction: moves the data out of a sparse slab. */
  compactData(): void {
    if (this.dataLen > 0 && this.arena.shouldRelocate(this.dataSlab)) this.arena.relocate(this, this.dataLen);
  }

  get dataLength(): number {
    return this.dataLen < 0 ? 0 : this.dataLen;
  }

  /** The data's length as a snapshot records it: -1 for null (a removed node's reads as empty, 0). */
  get snapshotDataLength(): number {
    return this.dataLen <= 0 || this.dataSlab >= 0 ? this.dataLen : 0;
  }

  /** Copies the data (snapshotDataLength bytes) to `target` at `at`, with no view made. */
  copyDataTo(target: DataView, at: number): void {
    if (this.dataLen > 0 && this.dataSlab >= 0) this.arena.copyOutView(this.dataSlab, this.dataOffset, this.dataLen, target, at);
  }

  ephemeralType(): EphemeralType {
    return ephemeralTypeOf(this.ephemeralOwner, (this.flags & EXTENDED_TYPES) !== 0);
  }

  /**
   * The Stat a client sees. cversion follows ZooKeeper's v3 rule (stored creates × 2 − live children,
   * i.e. creates plus deletes); container and TTL markers read as 0, as ZK's getClientEphemeralOwner does.
   */
  stat(): Stat {
    const numChildren = this.numChildren;
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: (this.cversion * 2 - numChildren) | 0,
      aversion: this.aversion,
      ephemeralOwner: this.ephemeralType() === 'normal' ? this.ephemeralOwner : 0n,
      dataLength: this.dataLength,
      numChildren,
      pzxid: this.pzxid,
    };
  }

  /**
   * Writes the stat fields as a snapshot stores them (jute StatPersisted: 60 bytes, big-endian)
   * at `at` of `v`, straight from the record's halves. `ephemeralOwner` is written by the caller.
   */
  writeStatPersisted(v: DataView, at: number): void {
    const r = this.rec;
    const a = this.at;
    v.setInt32(at, r[a + CZXID_HI]);
    v.setInt32(at + 4, r[a + CZXID_LO]);
    v.setInt32(at + 8, r[a + MZXID_HI]);
    v.setInt32(at + 12, r[a + MZXID_LO]);
    v.setInt32(at + 16, r[a + CTIME_HI]);
    v.setInt32(at + 20, r[a + CTIME_LO]);
    v.setInt32(at + 24, r[a + MTIME_HI]);
    v.setInt32(at + 28, r[a + MTIME_LO]);
    v.setInt32(at + 32, r[a + VERSION]);
    v.setInt32(at + 36, r[a + CVERSION]);
    v.setInt32(at + 40, r[a + AVERSION]);
    v.setInt32(at + 52, r[a + PZXID_HI]);
    v.setInt32(at + 56, r[a + PZXID_LO]);
  }

  /** The stat fields as snapshots store them. */
  statPersisted(): StatPersisted {
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: this.cversion,
      aversion: this.aversion,
      ephemeralOwner: this.ephemeralOwner,
      pzxid: this.pzxid,
    };
  }
}

/** A fresh node's stat: ZooKeeper's DataTree.createStat. */
export function createStat(zxid: number, time: number, ephemeralOwner: bigint): StatPersisted {
  return {
    czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time,
    version: 0, cversion: 0, aversion: 0, ephemeralOwner,
  };
}

/** All-zero stat, as `new StatPersisted()` gives the built-in nodes. */
export function emptyStat(): StatPersisted {
  return createStat(0, 0, 0n);
}
