// A connection's authenticated identities, kept in the order ZooKeeper iterates them. ZooKeeper
// holds them in a set backed by a java.util.concurrent.ConcurrentHashMap and copies that set into a
// list wherever it hands them on: `auth::` ACLs expand to them in that order (getAcl shows it) and
// whoAmI lists them in it. So the order is the map's: by table bin of the Id's hash, then by
// insertion within a bin, reshuffled the way ConcurrentHashMap.transfer splits bins when it grows.
// Not modelled: bins of 9+ colliding ids (tree bins); a connection holds a handful of ids.

import { stringHash } from '../tree/java-hash.js';
import type { Id } from '../jute/records.js';

const INITIAL_CAPACITY = 16;

/** The jute-generated Id.hashCode: 17, then 37 * result + field hash for scheme and id. */
export function idHash(id: Id): number {
  let result = 17;
  result = (Math.imul(37, result) + stringHash(id.scheme)) | 0;
  result = (Math.imul(37, result) + stringHash(id.id)) | 0;
  return result;
}

/** ConcurrentHashMap.spread: the high half folded in, sign bit cleared. */
const spread = (h: number): number => (h ^ (h >>> 16)) & 0x7fffffff;

interface Entry { readonly id: Id; readonly hash: number }

export class AuthIds {
  private table: Entry[][] = Array.from({ length: INITIAL_CAPACITY }, () => []);
  private count = 0;
  /** The ids in iteration order, rebuilt on each add (adds are rare, reads are every request). */
  private ordered: Id[] = [];

  constructor(initial: Iterable<Id> = []) {
    for (const id of initial) this.add(id);
  }

  /** The ids as `new ArrayList<>(authInfo)` lists them. Do not mutate. */
  get list(): readonly Id[] {
    return this.ordered;
  }

  has(id: Id): boolean {
    return this.binOf(spread(idHash(id))).some((e) => e.id.scheme === id.scheme && e.id.id === id.id);
  }

  /** Set.add: a no-op for an id already present (same scheme and id). */
  add(id: Id): void {
    if (this.has(id)) return;
    const hash = spread(idHash(id));
    this.binOf(hash).push({ id: { scheme: id.scheme, id: id.id }, hash });
    // ConcurrentHashMap.addCount: grow once the count reaches sizeCtl, three quarters of the table.
    if (++this.count >= this.table.length * 0.75) this.grow();
    this.ordered = this.table.flatMap((bin) => bin.map((e) => e.id));
  }

  private binOf(hash: number): Entry[] {
    return this.table[hash & (this.table.length - 1)];
  }

  /**
   * ConcurrentHashMap.transfer for plain list bins: each bin splits by the new hash bit. The run of
   * entries at the bin's tail that share that bit moves as it is; the entries before it are pushed
   * onto the front of their half one by one, so they end up reversed, ahead of that run.
   */
  private grow(): void {
    const n = this.table.length;
    const next: Entry[][] = Array.from({ length: 2 * n }, () => []);
    for (let i = n - 1; i >= 0; i--) {
      const bin = this.table[i];
      if (bin.length === 0) continue;
      let lastRun = bin.length - 1;
      const bitOf = (e: Entry): number => e.hash & n;
      while (lastRun > 0 && bitOf(bin[lastRun - 1]) === bitOf(bin[lastRun])) lastRun--;
      const low: Entry[] = [];
      const high: Entry[] = [];
      (bitOf(bin[lastRun]) === 0 ? low : high).push(...bin.slice(lastRun));
      for (let k = 0; k < lastRun; k++) (bitOf(bin[k]) === 0 ? low : high).unshift(bin[k]);
      next[i] = low;
      next[i + n] = high;
    }
    this.table = next;
  }
}
