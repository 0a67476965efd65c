// Which nodes changed since the newest snapshot began, so that the next snapshot can rewrite only
// those records of the previous file instead of walking every node (storage/snapshot/incremental.ts).
//
// Each snapshot that tracks changes begins an epoch. The tree reports every node it is about to
// change, create or delete; the first report of a node in an epoch puts (path, node) on that epoch's
// list and marks the node with the epoch number (a small integer on the node: no allocation and no
// write barrier on the hot path). A deleted path is listed as (path, null).
//
// A snapshot walks the list of the epoch before its own: every node changed since the previous
// snapshot began, the only records of the previous file that can differ from the tree when this
// snapshot begins. While it walks, a node still unwalked on that list that is about to change is
// first handed to the snapshot's capture (copy on write), so every record the snapshot writes holds
// its node as it was when the snapshot began. The result is exact at the snapshot's zxid.

import type { DataNode } from './node.js';

/** Hears a node about to change while a snapshot still has to record it as it is now. */
export type ChangeCapture = (path: string, node: DataNode) => void;

/** What a snapshot has to record: the nodes (or deleted paths, node null) changed in one epoch. */
export interface ChangeList {
  /** The epoch whose list this is: a listed node not yet recorded still carries it in snapMark. */
  readonly epoch: number;
  readonly paths: readonly string[];
  readonly nodes: ReadonlyArray<DataNode | null>;
}

/** The snapshot a change list is relative to: the newest one written since tracking (re)started. */
export interface ChangeBase {
  /** The store it was written to (compared by identity). */
  readonly store: object;
  readonly zxid: number;
}

/**
 * Entries a list may hold before tracking gives up until the next snapshot (which then walks the
 * whole tree): create and delete churn with snapshots far apart would otherwise grow it forever.
 */
const LIST_ENTRIES_MIN_MAX = 1 << 20;

export class SnapshotChanges {
  private epoch = 1;
  /** The epoch of the list a running snapshot records, 0 for none. */
  private recording = 0;
  private capture: ChangeCapture | null = null;
  private paths: string[] = [];
  private nodes: Array<DataNode | null> = [];
  /** The list overflowed (or was never complete): the next snapshot must walk the whole tree. */
  private incomplete = true;
  private baseSnapshot: ChangeBase | null = null;

  constructor(private readonly nodeCount: () => number) {}

  /** The snapshot the current list is relative to, or null when the next one must be complete. */
  get base(): ChangeBase | null {
    return this.incomplete ? null : this.baseSnapshot;
  }

  /** Entries on the current list. */
  get size(): number {
    return this.paths.length;
  }

  /** Before `node` (at `path`) changes: data, ACL, stat, children. */
  changed(path: string, node: DataNode): void {
    const mark = node.snapMark;
    if (mark === this.epoch) return;
    if (mark === this.recording && this.capture !== null) this.capture(path, node);
    node.snapMark = this.epoch;
    this.push(path, node);
  }

  /** After `node` was linked into the tree at `path`. */
  created(path: string, node: DataNode): void {
    node.snapMark = this.epoch;
    this.push(path, node);
  }

  /** Before `node` at `path` leaves the tree. */
  deleted(path: string, node: DataNode): void {
    this.changed(path, node);
    this.push(path, null);
  }

  /**
   * A snapshot begins: the current list is handed over and a new epoch starts. Until end(),
   * `capture` (if any) hears every node of the handed list about to change before it was recorded
   * (the snapshot marks a node recorded with recorded()). A snapshot that walks the whole tree
   * passes none: it only needs the new epoch to start with it.
   */
  begin(capture: ChangeCapture | null): ChangeList {
    const list: ChangeList = { epoch: this.epoch, paths: this.paths, nodes: this.nodes };
    this.recording = this.epoch;
    this.capture = capture;
    this.epoch++;
    this.paths = [];
    this.nodes = [];
    this.incomplete = false;
    return list;
  }

  /** The snapshot holds `node` as it is now: later changes need not be captured. */
  recorded(node: DataNode): void {
    if (node.snapMark === this.recording) node.snapMark = -this.recording;
  }

  /** The snapshot has recorded every node of its list: nothing more to capture. */
  stopCapture(): void {
    this.capture = null;
  }

  /**
   * The snapshot that began `list` no longer records; `written` is where it was written, or null
   * if it failed (the next snapshot must then be complete: the list it began is gone). A snapshot
   * of a tree that was reset meanwhile changes nothing.
   */
  end(list: ChangeList, written: ChangeBase | null): void {
    if (this.recording !== list.epoch) return;
    this.recording = 0;
    this.capture = null;
    this.baseSnapshot = written;
    if (written === null) this.incomplete = true;
  }

  /** The tree was replaced (a restore): no snapshot describes it until a complete one is written. */
  reset(): void {
    this.epoch++;
    this.recording = 0;
    this.capture = null;
    this.paths = [];
    this.nodes = [];
    this.incomplete = true;
    this.baseSnapshot = null;
  }

  private push(path: string, node: DataNode | null): void {
    if (this.incomplete) return;
    this.paths.push(path);
    this.nodes.push(node);
    if (this.paths.length > Math.max(LIST_ENTRIES_MIN_MAX, 2 * this.nodeCount())) {
      this.incomplete = true;
      this.paths = [];
      this.nodes = [];
    }
  }
}
