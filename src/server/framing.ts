// Incremental decoder of ZooKeeper's length-prefixed frames (4-byte big-endian length, then that
// many bytes). Kept apart from socket callbacks: it only turns chunks into frames and reports a
// frame length it will not accept, so a bad client is closed before we buffer its garbage.

export class FrameError extends Error {
  readonly code = 'ERR_FRAME';
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private maxFrameBytes: number) {}

  setMaxFrameBytes(n: number): void {
    this.maxFrameBytes = n;
  }

  /** Peeks at the first four bytes received, if there are four (4lw detection). */
  peekHead(): Buffer | null {
    if (this.buffered < 4) return null;
    return this.take(4, false);
  }

  /** Adds a chunk and returns every complete frame it finishes (frame bodies, without length). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.take(4, false);
      const len = head.readInt32BE(0);
      if (len < 0 || len > this.maxFrameBytes) {
        throw new FrameError(`frame length ${len} outside 0..${this.maxFrameBytes}`);
      }
      if (this.buffered < 4 + len) break;
      this.take(4, true);
      frames.push(this.take(len, true));
    }
    return frames;
  }

  /** Bytes of n from the front; consumed when `consume`. Avoids copying when one chunk holds them. */
  private take(n: number, consume: boolean): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (consume) {
        if (first.length === n) this.chunks.shift();
        else this.chunks[0] = first.subarray(n);
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      let i = 0;
      while (off < n) {
        const c = this.chunks[i];
        const m = Math.min(c.length, n - off);
        c.copy(out, off, 0, m);
        off += m;
        if (consume) {
          if (m === c.length) {
            this.chunks.shift();
          } else {
            this.chunks[0] = c.subarray(m);
            i++;
          }
        } else {
          i++;
        }
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
