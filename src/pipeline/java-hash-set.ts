// A set of strings that iterates in the order a java.util.HashSet<String> does. ZooKeeper lists a
// closing session's ephemerals in that order (CloseSessionTxn.paths2Delete), and the order decides
// the order of the NodeDeleted/NodeChildrenChanged events other sessions see; we reproduce it.

import { LOAD_FACTOR, MAX_CAPACITY, spreadHash } from '../tree/java-hash.js';

const DEFAULT_CAPACITY = 16;
const TREEIFY_THRESHOLD = 8;
const MIN_TREEIFY_CAPACITY = 64;

/** HashMap.tableSizeFor: the smallest power of two >= n (at least 1). */
function tableSizeFor(n: number): number {
  let cap = 1;
  while (cap < n && cap < MAX_CAPACITY) cap *= 2;
  return cap;
}

export class JavaHashSet implements Iterable<string> {
  private buckets: string[][];
  private count = 0;

  private constructor(private capacity: number) {
    this.buckets = Array.from({ length: capacity }, () => []);
  }

  /** A set built by `new HashSet<>()` and adds in the given order (deletions since are not modelled). */
  static of(items: Iterable<string>): JavaHashSet {
    const set = new JavaHashSet(DEFAULT_CAPACITY);
    for (const s of items) set.add(s);
    return set;
  }

  /**
   * HashSet.clone(): HashMap.putMapEntries sizes the copy's table from the element count
   * ((int)(size / 0.75 + 1), rounded up to a power of two, as JDK 17 does) and re-inserts in
   * iteration order, so the copy can iterate differently from the original.
   */
  clone(): JavaHashSet {
    const copy = new JavaHashSet(tableSizeFor(Math.trunc(this.count / LOAD_FACTOR + 1)));
    for (const s of this) copy.add(s);
    return copy;
  }

  get size(): number {
    return this.count;
  }

  has(s: string): boolean {
    return this.bucketOf(s).includes(s);
  }

  add(s: string): void {
    const bucket = this.bucketOf(s);
    if (bucket.includes(s)) return;
    bucket.push(s);
    // A chain longer than 8 makes HashMap treeify the bin, which in a table under 64 means: resize.
    if (bucket.length > TREEIFY_THRESHOLD && this.capacity < MIN_TREEIFY_CAPACITY) this.resize();
    if (++this.count > this.capacity * LOAD_FACTOR) this.resize();
  }

  delete(s: string): void {
    const bucket = this.bucketOf(s);
    const at = bucket.indexOf(s);
    if (at === -1) return;
    bucket.splice(at, 1);
    this.count--;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (const bucket of this.buckets) yield* bucket;
  }

  private bucketOf(s: string): string[] {
    return this.buckets[spreadHash(s) & (this.capacity - 1)];
  }

  /** Doubling splits each bucket in two, keeping relative order: re-adding in iteration order does the same. */
  private resize(): void {
    if (this.capacity >= MAX_CAPACITY) return;
    const old = [...this];
    this.capacity *= 2;
    this.buckets = Array.from({ length: this.capacity }, () => []);
    for (const s of old) this.bucketOf(s).push(s);
  }
}
