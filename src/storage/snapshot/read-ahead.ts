// A store's snapshot stream, pulled one chunk at a time beside a loop that does other work (a
// restore inserting nodes, an incremental snapshot handing chunks on): the loop asks for the next
// chunk when it has room, and hears of each read by its `wake`.

/**
 * What to list for postMessage to move `chunk` (a store's, now the caller's: see SnapshotStore.open)
 * instead of copying it: its buffer, when the chunk is the whole of one that is not shared.
 */
export function chunkTransfer(chunk: Uint8Array): ArrayBuffer[] {
  const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer);
  return own ? [chunk.buffer as ArrayBuffer] : [];
}

/** One read at a time from `source`; chunks and the end go to the callbacks, errors wait for rethrow(). */
export class ReadAhead {
  private reading: Promise<void> | null = null;
  private failure: { err: unknown } | null = null;
  private stopped = false;
  /** The stream has ended (onEnd was called). */
  done = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly onChunk: (chunk: Uint8Array) => void,
    private readonly onEnd: () => void,
    private readonly wake: () => void,
  ) {}

  /** Starts the next read, unless one is under way or the stream has ended. */
  pull(): void {
    if (this.reading !== null || this.done || this.stopped) return;
    this.reading = this.source.next().then((r) => {
      this.reading = null;
      if (this.stopped) return;
      if (r.done === true) {
        this.done = true;
        this.onEnd();
      } else {
        this.onChunk(r.value);
      }
      this.wake();
    }, (err: unknown) => {
      this.reading = null;
      this.failure = { err };
      this.wake();
    });
  }

  /** Throws what a read failed with, if one did. */
  rethrow(): void {
    if (this.failure !== null) throw this.failure.err;
  }

  /**
   * No more reads: waits out one under way, and closes a stream that has not ended, quietly (its
   * error, if any, would hide the one the caller may be throwing).
   */
  async close(): Promise<void> {
    this.stopped = true;
    await this.reading;
    if (!this.done) await this.source.return?.().catch(() => {});
  }
}
