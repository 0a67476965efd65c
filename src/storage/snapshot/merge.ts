// The worker's half of an incremental snapshot (incremental.ts): the node records of the previous
// snapshot, with the records of the nodes changed since it began put in their place, dropped if
// the node is gone, and the nodes it lacks appended, parents first. The worker never sees the tree:
// only the changed nodes' records (encoded on the main thread) and the previous snapshot's bytes.
//
// Merge := previous nodes in file order, each either
//            copied          (its path did not change),
//            replaced        (the first record of a changed path: the changed node's record),
//            dropped         (a deleted path, or a later record of a path already replaced)
//          then every changed record not yet placed, by path depth (so a parent precedes its children)

import { closeSync, openSync, readSync } from 'node:fs';
import { ADLER32_INIT, adler32, adler32Combine, adler32Uncombine } from '../adler32.js';
import { fillValues, type EncodeBatch } from './batch.js';
import { SnapshotDecoder } from './decoder.js';
import { NODE_FIXED_BYTES } from './format.js';
import { failureMessage, type MergeMessage, type MergeRequest, type MergeTask } from './protocol.js';

/** Bytes read from a base file at a time. */
const BASE_READ_BYTES = 1 << 20;
/** Merged chunks allowed to wait for a slot before reading the base file pauses. */
const BACKLOG_CHUNKS_MAX = 4;

/**
 * Merged node records, cut into chunks of the task's shared output slots and checksummed here.
 * Chunk k goes into slot k % slots once the main thread has said the store is done with chunk
 * k - slots (see incremental.ts). A chunk begun while no slot is free is filled in this thread's
 * memory and copied into a slot later, in order.
 */
class ChunkWriter {
  private readonly waiting: Array<{ bytes: Buffer; used: number; adler: number }> = [];
  private readonly spare: Buffer[] = [];
  private readonly slotBytes: number;
  private target: Buffer;
  /** Of the chunk being filled, so far. */
  private adler = ADLER32_INIT;
  /** The chunk being filled is slot nextChunk itself. */
  private inSlot = false;
  private used = 0;
  private nextChunk = 0;
  private freeBelow = 0;
  nodeCount = 0;

  constructor(
    private readonly slots: readonly SharedArrayBuffer[],
    private readonly post: (msg: MergeMessage) => void,
  ) {
    this.slotBytes = slots[0].byteLength;
    this.target = this.begin();
  }

  /** Chunks finished but not yet handed over. */
  get backlog(): number {
    return this.waiting.length;
  }

  /**
   * Appends bytes [start, end) of `src`, `records` whole node records whose Adler-32 (from
   * scratch) is `adler`: a chunk's checksum is combined from its pieces', and only a piece cut by
   * a chunk boundary is read to checksum it.
   */
  segment(src: Buffer, start: number, end: number, adler: number, records: number): void {
    this.nodeCount += records;
    let length = end - start;
    let rest = adler;
    while (length > 0) {
      const room = this.slotBytes - this.used;
      if (length <= room) {
        src.copy(this.target, this.used, start, end);
        this.used += length;
        this.adler = adler32Combine(this.adler, rest, length);
        if (this.used === this.slotBytes) this.cut();
        return;
      }
      const part = adler32(ADLER32_INIT, src, start, start + room);
      src.copy(this.target, this.used, start, start + room);
      this.used += room;
      this.adler = adler32Combine(this.adler, part, room);
      rest = adler32Uncombine(rest, part, length - room);
      start += room;
      length -= room;
      this.cut();
    }
  }

  /** Ends the current chunk (if it holds anything) and hands over what the slots allow. */
  cut(): void {
    if (this.used > 0) {
      if (this.inSlot) this.send(this.used, this.adler);
      else this.waiting.push({ bytes: this.target, used: this.used, adler: this.adler });
      this.used = 0;
      this.adler = ADLER32_INIT;
      this.target = this.begin();
    }
    this.pump();
  }

  /** The main thread is done with every chunk below `below`. */
  free(below: number): void {
    this.freeBelow = Math.max(this.freeBelow, below);
    this.pump();
  }

  private slotFree(): boolean {
    return this.nextChunk < this.freeBelow + this.slots.length;
  }

  private begin(): Buffer {
    this.inSlot = this.waiting.length === 0 && this.slotFree();
    if (this.inSlot) return Buffer.from(this.slots[this.nextChunk % this.slots.length]);
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.slotBytes);
  }

  /** Chunk nextChunk, already in its slot. */
  private send(used: number, adler: number): void {
    this.post({ type: 'out', index: this.nextChunk++, length: used, adler });
  }

  private pump(): void {
    // The chunk being filled in a slot holds nextChunk: nothing waits then (see begin).
    while (!this.inSlot && this.waiting.length > 0 && this.slotFree()) {
      const { bytes, used, adler } = this.waiting.shift() as { bytes: Buffer; used: number; adler: number };
      bytes.copy(Buffer.from(this.slots[this.nextChunk % this.slots.length]), 0, 0, used);
      this.send(used, adler);
      this.spare.push(bytes);
    }
    if (!this.inSlot && this.used === 0 && this.waiting.length === 0 && this.slotFree()) {
      // The chunk just begun in this thread's memory is still empty: fill its slot directly.
      this.spare.push(this.target);
      this.target = this.begin();
    }
  }
}

/**
 * A hash of a path's UTF-8 bytes: its length and its last (up to) 16 bytes, where sibling names
 * differ. Most records of the previous snapshot did not change: their path is hashed in place and
 * looked up as a number, and only a hit is decoded and compared as a string. (Decoding every path
 * and looking it up in the map of changed ones cost ~0.3 µs a record: 0.3 s of the worker's time
 * for a million nodes.)
 */
function pathHash(bytes: Uint8Array, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  for (let i = Math.max(start, end - 16); i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

/** Splits a buffer of whole node records (as batches encode them) into path → record. */
function indexRecords(bytes: Buffer, into: Map<string, Buffer>, hashes: Set<number>): void {
  let at = 0;
  while (at < bytes.length) {
    const pathLength = bytes.readInt32BE(at);
    hashes.add(pathHash(bytes, at + 4, at + 4 + pathLength));
    const path = bytes.toString('utf8', at + 4, at + 4 + pathLength);
    const dataAt = at + 4 + pathLength;
    const dataLength = bytes.readInt32BE(dataAt);
    const end = dataAt + 4 + Math.max(dataLength, 0) + NODE_FIXED_BYTES;
    if (end > bytes.length) throw new Error(`a changed node's record runs past its batch (${path})`);
    // A path recorded twice keeps the later record (both hold the node as it was at the start).
    into.set(path, bytes.subarray(at, end));
    at = end;
  }
}

function depth(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 0x2f) n++;
  return n;
}

/**
 * Resolves once the merge has ended (or failed); everything it produces goes over `task.port`,
 * in order. Corruption of the previous snapshot is reported as data (see decodeStream).
 */
export function mergeStream(task: MergeTask): Promise<void> {
  const port = task.port;
  const post = (msg: MergeMessage): void => port.postMessage(msg);
  const changed = new Map<string, Buffer>();
  const deleted = new Set<string>();
  /** pathHash of every changed or deleted path. */
  const hashes = new Set<number>();
  /** Changed paths already placed: a later record of one in the previous snapshot is dropped. */
  const placed = new Set<string>();
  const out = new ChunkWriter(task.outSlots, post);
  let ending = false;
  // The run of unchanged records being gathered: bytes [runStart, runEnd) of runBuf, which
  // begin `runAdler` into the stream. It is handed over whole when a record that is not copied
  // follows (whose adlerBefore ends it), so copies and checksums go by runs, not by records.
  let runBuf: Buffer | null = null;
  let runStart = 0;
  let runEnd = 0;
  let runAdler = ADLER32_INIT;
  let runRecords = 0;
  const endRun = (adlerAtEnd: number): void => {
    if (runBuf === null) return;
    out.segment(runBuf, runStart, runEnd, adler32Uncombine(adlerAtEnd, runAdler, runEnd - runStart), runRecords);
    runBuf = null;
  };
  const place = (record: Buffer): void => out.segment(record, 0, record.length, adler32(ADLER32_INIT, record, 0, record.length), 1);

  const decoder = new SnapshotDecoder({
    head: () => {},
    node: (buf, rec) => {
      const start = rec.pathStart - 4;
      const end = rec.fixedStart + NODE_FIXED_BYTES;
      let record: Buffer | undefined;
      let keep = true;
      if (hashes.has(pathHash(buf, rec.pathStart, rec.pathEnd))) {
        const path = buf.toString('utf8', rec.pathStart, rec.pathEnd);
        record = changed.get(path);
        if (record !== undefined) {
          changed.delete(path);
          placed.add(path);
          keep = false;
        } else {
          keep = !placed.has(path) && !deleted.has(path);
        }
      }
      if (keep && runBuf === buf && runEnd === start) {
        runEnd = end;
        runRecords++;
        return;
      }
      // Records are contiguous in the stream: whatever ran before ends where this one begins.
      endRun(rec.adlerBefore);
      if (keep) {
        runBuf = buf;
        runStart = start;
        runEnd = end;
        runAdler = rec.adlerBefore;
        runRecords = 1;
      } else if (record !== undefined) {
        place(record);
      }
    },
  }, { file: task.file, juteMaxBufferBytes: task.juteMaxBufferBytes, recordChecksums: true, ownBuffers: true });

  const finishNodes = (): void => {
    decoder.end();
    // The last run ends at the end-of-nodes marker, which no record's adlerBefore reaches: read it.
    if (runBuf !== null) out.segment(runBuf, runStart, runEnd, adler32(ADLER32_INIT, runBuf, runStart, runEnd), runRecords);
    const rest = [...changed.entries()];
    changed.clear();
    // Stable: records of one depth keep the order they came in.
    rest.sort((a, b) => depth(a[0]) - depth(b[0]));
    for (const [, record] of rest) place(record);
    out.cut();
  };

  // 'baseFile': the previous snapshot is read here, a chunk at a time, while no more than a few
  // merged chunks wait for a slot (reading resumes as the main thread frees them).
  /** Time spent merging, ms. */
  let workerMs = 0;
  let baseFd: number | null = null;
  let basePosition = 0;
  let readBuffer: Buffer | null = null;
  const readBase = (): void => {
    while (baseFd !== null && out.backlog < BACKLOG_CHUNKS_MAX) {
      // One buffer, read into again once the decoder has copied it in (it holds a chunk back
      // only while a record is larger than what it has).
      const chunk = readBuffer !== null && !decoder.holdsInput ? readBuffer : Buffer.allocUnsafeSlow(BASE_READ_BYTES);
      readBuffer = chunk;
      const got = readSync(baseFd, chunk, 0, chunk.length, basePosition);
      if (got === 0) {
        closeSync(baseFd);
        baseFd = null;
        finishNodes();
        ending = true;
        return;
      }
      basePosition += got;
      decoder.push(got === chunk.length ? chunk : chunk.subarray(0, got));
    }
  };

  return new Promise<void>((resolve) => {
    const finish = (msg: MergeMessage): void => {
      if (baseFd !== null) closeSync(baseFd);
      baseFd = null;
      post(msg);
      port.off('message', onMessage);
      port.close();
      resolve();
    };
    const onMessage = (msg: MergeRequest): void => {
      const started = performance.now();
      try {
        switch (msg.type) {
          case 'changes': {
            const batch: EncodeBatch = msg.batch;
            fillValues(batch);
            // The batch's slot is reused once acknowledged: keep a copy.
            indexRecords(Buffer.from(batch.bytes), changed, hashes);
            post({ type: 'changesAck' });
            break;
          }
          case 'captured':
            indexRecords(Buffer.from(msg.bytes.buffer, msg.bytes.byteOffset, msg.bytes.byteLength), changed, hashes);
            break;
          case 'deleted':
            for (const p of msg.paths) {
              deleted.add(p);
              const bytes = Buffer.from(p, 'utf8');
              hashes.add(pathHash(bytes, 0, bytes.length));
            }
            break;
          case 'base':
            decoder.push(msg.chunk);
            post({ type: 'baseAck' });
            break;
          case 'baseFile':
            baseFd = openSync(msg.path, 'r');
            readBase();
            break;
          case 'end':
            finishNodes();
            ending = true;
            break;
          case 'free':
            out.free(msg.below);
            readBase();
            break;
          default:
            finish({ type: 'aborted' });
        }
        workerMs += performance.now() - started;
        // The end comes after the last chunk: once every chunk has a slot.
        if (ending && out.backlog === 0) finish({ type: 'end', nodeCount: out.nodeCount, workerMs });
      } catch (err) {
        finish(failureMessage(err));
      }
    };
    port.on('message', onMessage);
  });
}
