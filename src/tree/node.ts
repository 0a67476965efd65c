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

/**
 * The zxids and times do not fit V8's 32-bit small integers, so a plain number field holding them is
 * a pointer to a heap-allocated double: five objects per node, and two more for the CRCs (uint32).
 * On a million-node tree that is seven million objects every full GC marks, so each is kept as
 * two int32 halves (high, low) behind an accessor and the CRCs as int32 with validity flags.
 */
export class DataNode implements DataRef {
  /**
   * Where the data is in the tree's arena (see data-arena.ts): small integers, so a write stores no
   * new object in the node. Managed by the arena; dataLength -1 is null data.
   */
  dataSlab = -1;
  dataOffset = 0;
  private dataLen = -1;
  private readonly arena: DataArena;
  aclRef: bigint;
  private czxidHi = 0;
  private czxidLo = 0;
  private mzxidHi = 0;
  private mzxidLo = 0;
  private ctimeHi = 0;
  private ctimeLo = 0;
  private mtimeHi = 0;
  private mtimeLo = 0;
  private pzxidHi = 0;
  private pzxidLo = 0;
  private digest = 0;
  private crcOfPath = 0;
  private flags = 0;
  version: number;
  /** Stored cversion: ZooKeeper counts only creates here; stat() turns it into the client's count. */
  cversion: number;
  aversion: number;
  /** Raw stored value: a session id, the container marker or a TTL marker. */
  ephemeralOwner: bigint;
  private readonly extendedTypesEnabled: boolean;
  /**
   * Where the newest change prep has made to this node sits among the pending changes, -1 for none:
   * a sequence number owned by pipeline/change-records.ts, which checks it is still current. A small
   * integer rather than the record itself, so that a write stores no young object in this old node
   * (see there why).
   */
  pendingSeq = -1;
  /** Owned by SnapshotChanges: the snapshot epoch in which this node last changed (0: none yet). */
  snapMark = 0;
  /**
   * Children by name, holding the child nodes themselves: walks over the tree (snapshots above all)
   * follow these references instead of rebuilding and looking up every path.
   */
  private childMap: Map<string, DataNode> | ChildTable<DataNode> | null = null;

  constructor(init: DataNodeInit) {
    const s = init.stat;
    this.arena = init.arena;
    this.data = init.data;
    this.aclRef = init.aclRef;
    this.czxid = s.czxid;
    this.mzxid = s.mzxid;
    this.ctime = s.ctime;
    this.mtime = s.mtime;
    this.version = s.version;
    this.cversion = s.cversion;
    this.aversion = s.aversion;
    this.ephemeralOwner = s.ephemeralOwner;
    this.pzxid = s.pzxid;
    this.extendedTypesEnabled = init.extendedTypesEnabled ?? false;
  }

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

  get czxid(): number { return this.czxidHi * TWO_32 + (this.czxidLo >>> 0); }
  set czxid(v: number) { this.czxidHi = Math.floor(v / TWO_32) | 0; this.czxidLo = v | 0; }
  get mzxid(): number { return this.mzxidHi * TWO_32 + (this.mzxidLo >>> 0); }
  set mzxid(v: number) { this.mzxidHi = Math.floor(v / TWO_32) | 0; this.mzxidLo = v | 0; }
  get ctime(): number { return this.ctimeHi * TWO_32 + (this.ctimeLo >>> 0); }
  set ctime(v: number) { this.ctimeHi = Math.floor(v / TWO_32) | 0; this.ctimeLo = v | 0; }
  get mtime(): number { return this.mtimeHi * TWO_32 + (this.mtimeLo >>> 0); }
  set mtime(v: number) { this.mtimeHi = Math.floor(v / TWO_32) | 0; this.mtimeLo = v | 0; }
  get pzxid(): number { return this.pzxidHi * TWO_32 + (this.pzxidLo >>> 0); }
  set pzxid(v: number) { this.pzxidHi = Math.floor(v / TWO_32) | 0; this.pzxidLo = v | 0; }

  /** This node's digest (CRC32) while valid, -1 when it must be recomputed. Managed by DataTree. */
  get digestCache(): number { return (this.flags & DIGEST_VALID) !== 0 ? this.digest >>> 0 : -1; }
  set digestCache(v: number) {
    if (v < 0) {
      this.flags &= ~DIGEST_VALID;
    } else {
      this.digest = v | 0;
      this.flags |= DIGEST_VALID;
    }
  }

  /** CRC32 of this node's path (it never changes), -1 until first needed. Managed by DataTree. */
  get pathCrc(): number { return (this.flags & PATH_CRC_VALID) !== 0 ? this.crcOfPath >>> 0 : -1; }
  set pathCrc(v: number) {
    if (v < 0) {
      this.flags &= ~PATH_CRC_VALID;
    } else {
      this.crcOfPath = v | 0;
      this.flags |= PATH_CRC_VALID;
    }
  }

  get numChildren(): number {
    return this.childMap === null ? 0 : this.childMap.size;
  }

  /** Links `node` as child `name`, replacing any node of that name. @returns false if the name was already there. */
  addChild(name: string, node: DataNode): boolean {
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
    if (map instanceof ChildTable) {
      if (!map.set(name, node)) return false;
    } else {
      const before = map.size;
      map.set(name, node);
      if (map.size === before) return false;
    }
    const table = this.childTable;
    const grown = grownCapacity(table === 0 ? FIRST_CHILD_TABLE : table, map.size);
    if (grown !== table) this.flags = (this.flags & ~CHILD_TABLE_MASK) | (Math.log2(grown) << CHILD_TABLE_SHIFT);
    return true;
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
    if (this.dataLen > 0) this.arena.release(this.dataSlab, this.dataLen);
    this.dataSlab = -1;
    this.flags |= DETACHED;
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
    return ephemeralTypeOf(this.ephemeralOwner, this.extendedTypesEnabled);
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
