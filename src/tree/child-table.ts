// The children of a node with many of them, by name: a hash table of our own in place of a Map,
// because on a million-child parent the Map's lookup is what a write to the tree waits on.
//
// Why: on a million-node tree a lookup in a Map of a million names costs several cache and TLB
// misses (its bucket, its entry, the key string's header to compare, then the node), each one on a
// random page of a heap of ~800 MB: 21.9% of the main thread in a profile of setData 64×32 on that
// tree, ~2 µs a write, and a third of the log replay at a restart. Inserting a million names one by
// one (a restore) grew and rehashed the Map twenty times, reading every key again each time:
// adding children was 18.6% of a restart's main thread. Here the probe sequence lives in one
// Int32Array holding each name's hash and, for names of up to 8 Latin-1 characters, the name
// itself: a lookup touches one slot and the node's place in the value array, never the key
// string, and growing rehashes from the slots alone. (In the server the node's own miss remains,
// and now shows where the node is first read: a Map's compare of the key string, which sits next
// to its node in memory, used to bring it in. See native-free-notes.md, session 18.)
//
// Names are kept in insertion order in two dense arrays (name, value), as a Map keeps them, and
// iterating them behaves as a Map's iterators do while the table changes: an entry removed before
// its turn is skipped, one added is reached at the end. When holes outnumber the entries the dense
// arrays are rebuilt as new arrays; an iterator already under way goes on over the old ones, which
// are no longer changed, so it still visits every entry present throughout (what a fuzzy snapshot
// needs) and may also meet entries removed after the rebuild, never added ones.

/** The subset of a ReadonlyMap that the tree uses; a Map<string, V> is one. */
export interface ReadonlyChildren<V> extends Iterable<[string, V]> {
  readonly size: number;
  get(name: string): V | undefined;
  keys(): IterableIterator<string>;
  values(): IterableIterator<V>;
}

/** Int32 fields per slot: tag, entry index + 1 (0: empty), first four and next four characters. */
const STRIDE = 4;
const TAG = 0, ENTRY = 1, W0 = 2, W1 = 3;
/** A tag's low 4 bits: the name's length when the words hold all of it, else LONG. */
const LENGTH_BITS = 0xf;
const LONG = 0xf;
/** Names of up to this many characters, each below 256, are held whole in the slot's words. */
const INLINE_CHARS = 8;
const MIN_CAPACITY = 16;
/** Slots in use, at most this share of the table (linear probing: clusters stay short). */
const MAX_LOAD = 0.75;

// The probe key of the last name hashed: computed once per lookup into these, not as an object.
let keyTag = 0;
let keyW0 = 0;
let keyW1 = 0;

/** Sets keyTag, keyW0, keyW1 for `name`: FNV-1a over its UTF-16 units, then murmur3's finalizer. */
function hashName(name: string): void {
  const len = name.length;
  let h = 0x811c9dc5 | 0;
  let w0 = 0;
  let w1 = 0;
  let wide = 0;
  for (let i = 0; i < len; i++) {
    const c = name.charCodeAt(i);
    h = Math.imul(h ^ c, 16777619);
    wide |= c;
    if (i < 4) w0 |= (c & 0xff) << (i << 3);
    else if (i < INLINE_CHARS) w1 |= (c & 0xff) << ((i - 4) << 3);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  const whole = len <= INLINE_CHARS && wide < 0x100;
  keyTag = (h & ~LENGTH_BITS) | (whole ? len : LONG);
  keyW0 = w0;
  keyW1 = w1;
}

/** The tag `name` gets (exported for tests, which look for names whose tags collide). */
export function tagOf(name: string): number {
  hashName(name);
  return keyTag;
}

/** Where a tag's probe sequence starts in a table of `mask + 1` slots. */
function home(tag: number, mask: number): number {
  return (tag >>> 4) & mask;
}

export class ChildTable<V> implements ReadonlyChildren<V> {
  /** Capacity × STRIDE int32; a power-of-two capacity. */
  private slots: Int32Array;
  private mask: number;
  /** Slots in use (= entries present). */
  private used = 0;
  /** Entries in insertion order; a removed one leaves undefined in both until the next rebuild. */
  private names: Array<string | undefined> = [];
  private vals: Array<V | undefined> = [];
  private holes = 0;

  constructor(expected = 0) {
    let capacity = MIN_CAPACITY;
    while (expected > capacity * MAX_LOAD) capacity *= 2;
    this.slots = new Int32Array(capacity * STRIDE);
    this.mask = capacity - 1;
  }

  /** A table holding `map`'s entries in its order. */
  static from<V>(map: ReadonlyChildren<V>): ChildTable<V> {
    const table = new ChildTable<V>(map.size);
    for (const [name, value] of map) table.set(name, value);
    return table;
  }

  get size(): number {
    return this.used;
  }

  get(name: string): V | undefined {
    hashName(name);
    const at = this.find(name);
    return at < 0 ? undefined : this.vals[this.slots[at + ENTRY] - 1];
  }

  /** Sets the value of `name`, adding it at the end if it is new. @returns whether it was new. */
  set(name: string, value: V): boolean {
    const before = this.used;
    this.put(name, value);
    return this.used !== before;
  }

  /** As set(). @returns the value replaced, undefined if `name` is new. */
  put(name: string, value: V): V | undefined {
    hashName(name);
    const at = this.find(name);
    if (at >= 0) {
      const entry = this.slots[at + ENTRY] - 1;
      const prior = this.vals[entry];
      this.vals[entry] = value;
      return prior;
    }
    if (this.used + 1 > (this.mask + 1) * MAX_LOAD) this.resize((this.mask + 1) * 2);
    this.names.push(name);
    this.vals.push(value);
    this.place(keyTag, this.names.length, keyW0, keyW1);
    this.used++;
    return undefined;
  }

  /** @returns false if there was no such name. */
  delete(name: string): boolean {
    hashName(name);
    const at = this.find(name);
    if (at < 0) return false;
    const entry = this.slots[at + ENTRY] - 1;
    this.names[entry] = undefined;
    this.vals[entry] = undefined;
    this.holes++;
    this.used--;
    this.unplace(at);
    if (this.holes > 32 && this.holes > this.used) this.rebuild();
    return true;
  }

  keys(): IterableIterator<string> {
    return new TableIterator<V, string>(this.names, this.vals, 0);
  }

  values(): IterableIterator<V> {
    return new TableIterator<V, V>(this.names, this.vals, 1);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return new TableIterator<V, [string, V]>(this.names, this.vals, 2);
  }

  /** The slot (its first int32's index) holding the name last hashed, or -1. */
  private find(name: string): number {
    const slots = this.slots;
    const mask = this.mask;
    const tag = keyTag;
    const whole = (tag & LENGTH_BITS) !== LONG;
    for (let i = home(tag, mask); ; i = (i + 1) & mask) {
      const at = i * STRIDE;
      const entry = slots[at + ENTRY];
      if (entry === 0) return -1;
      if (slots[at + TAG] === tag && slots[at + W0] === keyW0 && slots[at + W1] === keyW1
        && (whole || this.names[entry - 1] === name)) return at;
    }
  }

  /** Puts an entry into the first free slot of its probe sequence. */
  private place(tag: number, entryPlusOne: number, w0: number, w1: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = home(tag, mask);
    while (slots[i * STRIDE + ENTRY] !== 0) i = (i + 1) & mask;
    const at = i * STRIDE;
    slots[at + TAG] = tag;
    slots[at + ENTRY] = entryPlusOne;
    slots[at + W0] = w0;
    slots[at + W1] = w1;
  }

  /**
   * Empties the slot at `at`, moving later slots of the cluster back where their probe sequence
   * allows, so that no lookup ever has to step over a removed slot (no tombstones).
   */
  private unplace(at: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let hole = at / STRIDE;
    for (let i = (hole + 1) & mask; ; i = (i + 1) & mask) {
      const from = i * STRIDE;
      if (slots[from + ENTRY] === 0) break;
      const h = home(slots[from + TAG], mask);
      // The slot at i may move into the hole unless its home lies cyclically in (hole, i].
      const stays = hole <= i ? h > hole && h <= i : h > hole || h <= i;
      if (stays) continue;
      slots.copyWithin(hole * STRIDE, from, from + STRIDE);
      hole = i;
    }
    slots.fill(0, hole * STRIDE, hole * STRIDE + STRIDE);
  }

  /** Re-places every slot in a table of `capacity` slots (the names are not read again). */
  private resize(capacity: number): void {
    const old = this.slots;
    this.slots = new Int32Array(capacity * STRIDE);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += STRIDE) {
      if (old[at + ENTRY] !== 0) this.place(old[at + TAG], old[at + ENTRY], old[at + W0], old[at + W1]);
    }
  }

  /** New dense arrays without holes (iterators under way keep the old ones); the table shrinks too. */
  private rebuild(): void {
    const names: Array<string | undefined> = [];
    const vals: Array<V | undefined> = [];
    const moved = new Int32Array(this.names.length + 1);
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i];
      if (name === undefined) continue;
      names.push(name);
      vals.push(this.vals[i]);
      moved[i + 1] = names.length;
    }
    this.names = names;
    this.vals = vals;
    this.holes = 0;
    const slots = this.slots;
    for (let at = 0; at < slots.length; at += STRIDE) {
      if (slots[at + ENTRY] !== 0) slots[at + ENTRY] = moved[slots[at + ENTRY]];
    }
    let capacity = this.mask + 1;
    while (capacity > MIN_CAPACITY && this.used <= (capacity / 4) * MAX_LOAD) capacity /= 2;
    if (capacity !== this.mask + 1) this.resize(capacity);
  }
}

/**
 * Over one pair of dense arrays, skipping holes; reads the length at every step, so entries added
 * meanwhile are reached. The result object is reused: read it before the next step.
 */
class TableIterator<V, T> implements IterableIterator<T> {
  private i = 0;
  private readonly result: IteratorResult<T> = { done: false, value: undefined as unknown as T };

  /** `mode` 0: names, 1: values, 2: [name, value] pairs. */
  constructor(
    private readonly names: ReadonlyArray<string | undefined>,
    private readonly vals: ReadonlyArray<V | undefined>,
    private readonly mode: 0 | 1 | 2,
  ) {}

  next(): IteratorResult<T> {
    const names = this.names;
    while (this.i < names.length) {
      const i = this.i++;
      const name = names[i];
      if (name === undefined) continue;
      const r = this.result as { done: boolean; value: unknown };
      r.value = this.mode === 0 ? name : this.mode === 1 ? this.vals[i] : [name, this.vals[i]];
      return this.result;
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }
}
