// Which clients are about to write again. A client whose write was just answered and that has
// nothing else outstanding is, if it runs a closed loop (write, wait, write), turning around right
// now: its next write reaches the server within a round trip. The host holds an idle log's next
// batch for such writes (HostEvents.expected), so that they share one write.

/** A client that has not sent anything this long after its answer is no longer counted on. */
export const TRANSIT_MS = 1;

export class WritersInTransit<K> {
  /** Client → when its last write was answered, oldest first (answered again: moved to the end). */
  readonly #since = new Map<K, number>();

  /** The client's write was answered and it has nothing else outstanding. */
  answered(key: K, now: number): void {
    this.#since.delete(key);
    this.#since.set(key, now);
  }

  /** The client sent something (or left): it is not on its way any more. */
  arrived(key: K): void {
    this.#since.delete(key);
  }

  /** Clients answered less than TRANSIT_MS ago that have not sent anything since. */
  count(now: number): number {
    for (const [key, at] of this.#since) {
      if (now - at < TRANSIT_MS) break;
      this.#since.delete(key);
    }
    return this.#since.size;
  }
}
