// Outstanding changes: what the tree will look like once every prepared-but-uncommitted txn is
// applied. Prep validates each new write against this view (ZooKeeper's outstandingChanges), so a
// pipelined create of /a then /a/b, or two sequential creates in one batch, see each other.

import type { ACL, StatPersisted } from '../jute/records.js';
import type { DataTree } from '../tree/data-tree.js';
import type { DataNode } from '../tree/node.js';
import { nodeDigest } from '../tree/digest.js';
import { ErrorCode } from '../protocol/constants.js';
import { KeeperError } from './errors.js';

export interface ChangeRecord {
  zxid: number;
  path: string;
  /** null: the node is being deleted. */
  stat: StatPersisted | null;
  childCount: number;
  acl: readonly ACL[];
  data: Buffer | null;
  /** This node's digest after the change; 0 when deleted. */
  nodeDigest: bigint;
  /** The whole tree's digest after this change (for the TxnDigest of the txn that made it). */
  treeDigest: bigint;
  /** CRC of the path, carried along so each change to a node does not rehash its path. */
  pathCrc?: number;
  /**
   * The tree node at this path, when the record was read from the tree or made from one that was:
   * such a record is found through the node (DataNode.pendingSeq), any other in the map by path.
   */
  node?: DataNode;
  /** Its place among the pending records (set when added). */
  seq?: number;
}

export function copyStat(s: StatPersisted): StatPersisted {
  return {
    czxid: s.czxid, mzxid: s.mzxid, ctime: s.ctime, mtime: s.mtime, version: s.version, cversion: s.cversion,
    aversion: s.aversion, ephemeralOwner: s.ephemeralOwner, pzxid: s.pzxid,
  };
}

/**
 * A new record for a node already known, with the fields a change replaces. Written out rather than
 * `{ ...from, ... }`: every write makes one or two of these, and an object spread costs several
 * times a literal of one fixed shape.
 */
export function changedRecord(
  from: ChangeRecord, zxid: number, stat: StatPersisted | null,
  childCount = from.childCount, acl: readonly ACL[] = from.acl, data: Buffer | null = from.data,
): Omit<ChangeRecord, 'nodeDigest' | 'treeDigest'> {
  return { zxid, path: from.path, stat, childCount, acl, data, pathCrc: from.pathCrc, node: from.node };
}

/**
 * A record read from the tree: its data is read only if asked for (a setData replaces it unread,
 * and reading copies the tree's value, which a pending record may hold past the slab's reuse).
 */
class TreeRecord implements ChangeRecord {
  zxid = -1;
  childCount: number;
  treeDigest = 0n;
  constructor(
    readonly path: string, readonly stat: StatPersisted, readonly node: DataNode, readonly acl: readonly ACL[],
    readonly nodeDigest: bigint, readonly pathCrc: number,
  ) {
    this.childCount = node.numChildren;
  }

  get data(): Buffer | null {
    return this.node.data;
  }
}

/** Slots the ring of pending records starts with (a power of two; it doubles when full). */
const INITIAL_RING = 1024;
/**
 * Sequence numbers wrap at 2^30, so that they stay small integers (a node holding a larger number
 * would hold a heap-allocated double instead, and the field would become one on every node).
 */
const SEQ_MASK = 0x3fffffff;

export class OutstandingChanges {
  /**
   * The newest pending record of each path whose record has no tree node (creates, deletes and
   * what follows them while they are pending). A record of a node in the tree is found through
   * the node instead: its sequence number in DataNode.pendingSeq.
   *
   * Why not one map for all: a long-lived Map that takes and drops an entry per write has its
   * table rebuilt every few thousand writes, and V8 allocates the new table where the old one was,
   * in the old generation once the Map has lived a while. Each discarded table still points at
   * the records it held, and until the next full GC the scavenger takes those pointers as live:
   * under load nearly every write's record, stat, data and digests were promoted, and a full GC
   * of a million-node tree ran every 1.5-3 s. And why a number in the node, not the record: a
   * young object stored in an old node is a remembered-set entry, one on a random page of the
   * tree for every write, and processing those made each scavenge ~3× as long as on an empty
   * server.
   */
  private readonly byPath = new Map<string, ChangeRecord>();
  /**
   * Records by sequence number, at slot `seq & (ring.length - 1)`; slots are cleared when their
   * record is committed or rolled back, so a committed record is let go at once. (Kept in an array
   * until its next compaction, committed records and the request data they hold lived on past a
   * scavenge or two under load and were promoted.)
   */
  private ring: (ChangeRecord | undefined)[] = new Array<ChangeRecord | undefined>(INITIAL_RING).fill(undefined);
  /** Sequence number of the oldest pending record; the newest is the one before `added`. */
  private oldest = 0;
  /** Sequence number of the next record (records rolled back give theirs back): what mark() hands out. */
  private added = 0;

  /** `firstSeq`: the first sequence number handed out (tests start near the wrap). */
  constructor(readonly tree: DataTree, private readonly digestEnabled: boolean, firstSeq = 0) {
    this.oldest = this.added = firstSeq & SEQ_MASK;
  }

  get size(): number {
    return (this.added - this.oldest) & SEQ_MASK;
  }

  /** The pending record with this sequence number. */
  private at(seq: number): ChangeRecord {
    return this.ring[seq & (this.ring.length - 1)] as ChangeRecord;
  }

  private push(r: ChangeRecord): void {
    if (this.size === this.ring.length) {
      const grown = new Array<ChangeRecord | undefined>(this.ring.length * 2).fill(undefined);
      for (let seq = this.oldest; seq !== this.added; seq = (seq + 1) & SEQ_MASK) grown[seq & (grown.length - 1)] = this.at(seq);
      this.ring = grown;
    }
    r.seq = this.added;
    this.ring[this.added & (this.ring.length - 1)] = r;
    this.added = (this.added + 1) & SEQ_MASK;
  }

  /** The node's newest pending record, if the sequence number it holds still names one of its own. */
  private pendingOf(node: DataNode): ChangeRecord | undefined {
    const seq = node.pendingSeq;
    if (seq < 0 || ((seq - this.oldest) & SEQ_MASK) >= this.size) return undefined;
    const r = this.at(seq);
    return r.seq === seq && r.node === node ? r : undefined;
  }

  /** The latest view of a path: pending change or committed node; undefined when absent. */
  lookup(path: string): ChangeRecord | undefined {
    const pending = this.byPath.get(path);
    if (pending) return pending;
    const node = this.tree.getNode(path);
    if (!node) return undefined;
    const own = this.pendingOf(node);
    if (own !== undefined) return own;
    const stat: StatPersisted = {
      czxid: node.czxid, mzxid: node.mzxid, ctime: node.ctime, mtime: node.mtime,
      version: node.version, cversion: node.cversion, aversion: node.aversion,
      ephemeralOwner: node.ephemeralOwner, pzxid: node.pzxid,
    };
    const crc = this.digestEnabled ? this.tree.pathCrcOf(path, node) : 0;
    // The tree keeps each node's digest while the node is unchanged: no need to hash it again.
    const d = this.digestEnabled ? BigInt(this.tree.nodeDigestOf(path, node)) : 0n;
    return new TreeRecord(path, stat, node, this.tree.getACL(node), d, crc);
  }

  /** Like lookup, but a missing or pending-deleted node is NoNode. */
  get(path: string): ChangeRecord & { stat: StatPersisted } {
    const r = this.lookup(path);
    if (!r || r.stat === null) throw new KeeperError(ErrorCode.NONODE, path);
    return r as ChangeRecord & { stat: StatPersisted };
  }

  /** The tree digest once every outstanding change is applied. */
  currentTreeDigest(): bigint {
    if (this.size === 0) return this.tree.digest();
    return this.at((this.added - 1) & SEQ_MASK).treeDigest;
  }

  /**
   * Records a change, computing node and tree digests the way ZooKeeper's prep does. `rec` must be a
   * new object (it becomes the record).
   */
  add(
    rec: Omit<ChangeRecord, 'nodeDigest' | 'treeDigest'>,
    digestOp: 'add' | 'remove' | 'update' | 'noop',
    /** The path's latest record, when the caller has just looked it up (saves a lookup per write). */
    current?: ChangeRecord,
  ): ChangeRecord {
    let prev = 0n;
    let next = 0n;
    if (this.digestEnabled) {
      if (digestOp === 'remove' || digestOp === 'update') prev = (current ?? this.get(rec.path)).nodeDigest;
      if ((digestOp === 'add' || digestOp === 'update') && rec.stat) {
        next = BigInt(rec.pathCrc === undefined
          ? nodeDigest(rec.path, rec.data, rec.stat)
          : nodeDigest(rec.path, rec.data, rec.stat, rec.pathCrc));
      }
    }
    const treeDigest = this.digestEnabled ? BigInt.asIntN(64, this.currentTreeDigest() - prev + next) : 0n;
    // Callers hand over a fresh object: fill it in rather than copy it (this runs for every write).
    const full = rec as ChangeRecord;
    full.nodeDigest = next;
    full.treeDigest = treeDigest;
    this.push(full);
    this.remember(full);
    return full;
  }

  /** Makes `r` (already in the ring) its path's newest pending record. */
  private remember(r: ChangeRecord): void {
    if (r.node !== undefined) r.node.pendingSeq = r.seq as number;
    else this.byPath.set(r.path, r);
  }

  /**
   * `r` is no longer pending: its path reads the tree again unless a newer record is pending. (A
   * node's sequence number is left as it is: once its record leaves the ring it names nothing.)
   */
  private forget(r: ChangeRecord): void {
    if (r.node === undefined && this.byPath.get(r.path) === r) this.byPath.delete(r.path);
  }

  /** A mark to roll back to when a multi fails half-way. */
  mark(): number {
    return this.added;
  }

  /** Drops every change added after `mark`, restoring the earlier view of their paths. */
  rollback(mark: number): void {
    const touched = new Set<string>();
    while (this.added !== mark) {
      this.added = (this.added - 1) & SEQ_MASK;
      const slot = this.added & (this.ring.length - 1);
      const r = this.ring[slot] as ChangeRecord;
      touched.add(r.path);
      this.forget(r);
      this.ring[slot] = undefined;
    }
    // Re-point each touched path at its newest surviving record, if any. (A record with a tree node
    // never follows a pending one without: it is made from what lookup returned, which is that one.)
    for (let i = this.size - 1; i >= 0 && touched.size > 0; i--) {
      const r = this.at((this.oldest + i) & SEQ_MASK);
      if (touched.has(r.path)) {
        this.remember(r);
        touched.delete(r.path);
      }
    }
  }

  /** Called once the txn with this zxid is applied to the tree: its records are no longer pending. */
  committed(zxid: number): void {
    const mask = this.ring.length - 1;
    while (this.oldest !== this.added) {
      const slot = this.oldest & mask;
      const r = this.ring[slot] as ChangeRecord;
      if (r.zxid > zxid) break;
      this.ring[slot] = undefined;
      this.oldest = (this.oldest + 1) & SEQ_MASK;
      this.forget(r);
    }
  }

  /** Pending records, oldest first (closeSession needs them to find in-flight ephemerals). */
  *pending(): IterableIterator<ChangeRecord> {
    for (let seq = this.oldest; seq !== this.added; seq = (seq + 1) & SEQ_MASK) yield this.at(seq);
  }
}
