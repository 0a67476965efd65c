// The iteration order of a java.util.HashSet<String>, which ZooKeeper exposes wherever it lists a
// set: a node's children (getChildren) and a closing session's ephemerals (pipeline/java-hash-set).
// A HashMap iterates its table bucket by bucket; a bucket holds its entries in insertion order
// (a resize splits each bucket keeping that order), so the order is: by bucket index, then by
// insertion. Not modelled: bins of 9+ colliding names, which HashMap turns into trees (or answers
// with an early resize below 64 buckets); names would have to be chosen to collide.

export const LOAD_FACTOR = 0.75;
export const MAX_CAPACITY = 1 << 30;

/** java.lang.String.hashCode over UTF-16 code units. */
export function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** java.lang.String.hashCode, then HashMap.hash's spreading of high bits. */
export function spreadHash(s: string): number {
  const h = stringHash(s);
  return h ^ (h >>> 16);
}

/** The table size after a HashMap of `capacity` buckets has grown to hold `size` entries. */
export function grownCapacity(capacity: number, size: number): number {
  let cap = capacity;
  while (size > cap * LOAD_FACTOR && cap < MAX_CAPACITY) cap *= 2;
  return cap;
}

/**
 * `names` (in insertion order) as a HashSet with a table of `capacity` buckets iterates them: a
 * counting sort by bucket, stable, so O(names + capacity).
 */
export function hashSetOrder(names: readonly string[], capacity: number): string[] {
  const n = names.length;
  if (n < 2) return names.slice();
  const mask = capacity - 1;
  const bucketOf = new Int32Array(n);
  const starts = new Int32Array(capacity + 1);
  for (let i = 0; i < n; i++) {
    const b = spreadHash(names[i]) & mask;
    bucketOf[i] = b;
    starts[b + 1]++;
  }
  for (let b = 0; b < capacity; b++) starts[b + 1] += starts[b];
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[starts[bucketOf[i]]++] = names[i];
  return out;
}
