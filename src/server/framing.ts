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
    if (this.buffered === 0) return this.pushWhole(chunk);
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

  /**
   * push() when nothing is left over from earlier chunks, the usual case: frames are cut straight
   * from the chunk, one view each, and only an incomplete tail is kept.
   */
  private pushWhole(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    const end = chunk.length;
    let at = 0;
    while (end - at >= 4) {
      const len = (chunk[at] << 24) | (chunk[at + 1] << 16) | (chunk[at + 2] << 8) | chunk[at + 3];
      if (len < 0 || len > this.maxFrameBytes) {
        throw new FrameError(`frame length ${len} outside 0..${this.maxFrameBytes}`);
      }
      if (end - at - 4 < len) break;
      frames.push(chunk.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
    if (at < end) {
      this.chunks.push(at === 0 ? chunk : chunk.subarray(at));
      this.buffered = end - at;
    }
    return frames;
  }

  /** Bytes of n from the front; consumed when `consume`. Avoids copying when one chunk holds them. */
  private take(n: number, consume: boolean): Buffer {
    // An empty frame can follow the last buffered byte, when there is no chunk left to view.
    if (n === 0) return Buffer.alloc(0);
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
