// Reads ZooKeeper's `.snappy` snapshots: snappy-java's SnappyOutputStream framing around raw Snappy
// blocks. Decoding only (a few dozen lines, no dependency); writing snappy is not offered.
//
//   SnappyStream := Header Block*
//   Header       := magic:byte[8](0x82 "SNAPPY" 0x00) version:int compatibleVersion:int     16 bytes
//   Block        := length:int rawSnappy:byte[length]  |  Header   (streams may be concatenated:
//                                                                  a length equal to the magic's
//                                                                  first 4 bytes starts a header)
//   rawSnappy    := uncompressedLength:varint Element*
//   Element      := literal | copy1 | copy2 | copy4   (tag byte: low 2 bits select the kind)
// Integers in the framing are big-endian; inside raw Snappy they are little-endian.

import type { FileHandle } from 'node:fs/promises';
import { StorageCorruptError } from '../errors.js';
import { readFully } from './fs-util.js';

export const SNAPPY_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_BYTES = 16;
const MAGIC_HEAD = SNAPPY_MAGIC.readInt32BE(0);
const READ_CHUNK_BYTES = 1 << 20;

/** The uncompressed bytes of a snappy-java stream, one block at a time. */
export async function* readSnappyStream(handle: FileHandle, file: string): AsyncGenerator<Buffer, void, undefined> {
  const source = new ByteSource(handle);
  await readHeader(source, file);
  for (;;) {
    const offset = source.position;
    const lengthBytes = await source.take(4);
    if (lengthBytes === null) return;
    const length = lengthBytes.readInt32BE(0);
    if (length === MAGIC_HEAD) {
      source.position = offset;
      await readHeader(source, file);
      continue;
    }
    if (length < 0) throw new StorageCorruptError(file, offset, `snappy block length ${length}`);
    const block = await source.take(length);
    if (block === null) throw new StorageCorruptError(file, offset, `snappy block of ${length} bytes cut short by the end of the file`);
    yield uncompressBlock(block, file, offset + 4);
  }
}

async function readHeader(source: ByteSource, file: string): Promise<void> {
  const at = source.position;
  const header = await source.take(HEADER_BYTES);
  if (header === null || !header.subarray(0, 8).equals(SNAPPY_MAGIC)) {
    throw new StorageCorruptError(file, at, 'no snappy-java stream header (0x82 "SNAPPY" 0x00)');
  }
}

/** Decodes one raw Snappy block; offset (of the block in the file) only names errors. */
export function uncompressBlock(src: Buffer, file: string, offset: number): Buffer {
  const fail = (reason: string): never => {
    throw new StorageCorruptError(file, offset, `bad snappy block: ${reason}`);
  };
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) fail('bad length preamble');
    const b = src[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = Buffer.allocUnsafe(length);
  let op = 0;
  while (pos < src.length) {
    const tag = src[pos++];
    let n: number;
    let distance: number;
    switch (tag & 3) {
      case 0: {
        n = tag >>> 2;
        if (n >= 60) {
          const extra = n - 59;
          if (pos + extra > src.length) fail('literal length past the end');
          n = 0;
          for (let i = 0; i < extra; i++) n += src[pos + i] * 2 ** (8 * i);
          pos += extra;
        }
        n += 1;
        if (pos + n > src.length || op + n > length) fail('literal past the end');
        src.copy(out, op, pos, pos + n);
        pos += n;
        op += n;
        continue;
      }
      case 1:
        if (pos + 1 > src.length) fail('copy past the end');
        n = 4 + ((tag >>> 2) & 7);
        distance = ((tag >>> 5) << 8) | src[pos];
        pos += 1;
        break;
      case 2:
        if (pos + 2 > src.length) fail('copy past the end');
        n = (tag >>> 2) + 1;
        distance = src.readUInt16LE(pos);
        pos += 2;
        break;
      default:
        if (pos + 4 > src.length) fail('copy past the end');
        n = (tag >>> 2) + 1;
        distance = src.readUInt32LE(pos);
        pos += 4;
    }
    if (distance === 0 || distance > op || op + n > length) fail(`copy of ${n} bytes from ${distance} back at ${op}`);
    if (distance >= n) {
      out.copyWithin(op, op - distance, op - distance + n);
      op += n;
    } else {
      // Overlapping copy: repeats the last `distance` bytes, so it must go byte by byte.
      for (const stop = op + n; op < stop; op++) out[op] = out[op - distance];
    }
  }
  if (op !== length) fail(`${op} bytes decoded, ${length} announced`);
  return out;
}

/** Sequential reads of exact sizes over a file, in large chunks. */
class ByteSource {
  #buf = Buffer.alloc(0);
  #bufStart = 0;
  position = 0;

  constructor(private readonly handle: FileHandle) {}

  /** The next n bytes, or null if the file ends first (position is then unchanged). */
  async take(n: number): Promise<Buffer | null> {
    const index = this.position - this.#bufStart;
    if (index < 0 || index + n > this.#buf.length) {
      const size = Math.max(n, READ_CHUNK_BYTES);
      const chunk = Buffer.allocUnsafe(size);
      const got = await readFully(this.handle, chunk, 0, size, this.position);
      this.#buf = chunk.subarray(0, got);
      this.#bufStart = this.position;
      if (got < n) return null;
    }
    const at = this.position - this.#bufStart;
    this.position += n;
    return this.#buf.subarray(at, at + n);
  }
}
