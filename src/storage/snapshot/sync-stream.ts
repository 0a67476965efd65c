// The SNAP sync stream of ZooKeeper's learner protocol (QUORUM-PROTOCOL.md §3.6): what a leader
// writes to the socket right after a SNAP packet, and what a learner reads there.
//
//   stream = sessions aclMap node* endOfNodes signature
//   signature = ustring "BenWasHere"            (00 00 00 0A 42 65 6E 57 61 73 48 65 72 65)
//
// The part before the signature is the body of a snapshot file without its file header, seals or
// trailer (format.ts, framing 'quorum'; ZKDatabase.serializeSnapshot). Java's learner reads it with
// SerializeUtils.deserializeSnapshot, then readString("signature"), and gives up with IOException
// "Missing signature" on anything else.
//
// Both sides reuse the snapshot machinery rather than a second copy of it:
// - the leader runs takeSnapshot (sliced tree walk, node batches encoded in the piscina worker)
//   into a pass-through store, and cuts the file's 16-byte header off the front and its seal off
//   the back (asked for without digest or lastZxid sections, the tail is exactly "/" + one seal);
// - the learner runs the SnapshotDecoder with framing 'quorum' and inserts nodes as restoreSnapshot
//   does (RestoreBatchBuilder → RestoreBatchCursor → DataTree.restoreNode, then finishRestore).

import type { DataTree } from '../../tree/data-tree.js';
import type { SnapshotInfo, SnapshotStore } from '../spi.js';
import { StorageCorruptError } from '../errors.js';
import { RestoreBatchBuilder, RestoreBatchCursor, type RestoreBatch } from './batch.js';
import { SnapshotDecoder } from './decoder.js';
import { JUTE_MAX_BUFFER_BYTES, SEAL_BYTES, SNAP_MAGIC, type SnapshotHead } from './format.js';
import { insertRestoredNode, takeSnapshot, type TakeSnapshotOptions } from './index.js';
import type { MessagePort } from 'node:worker_threads';
import { runDecodeTask, taskChannel } from './pool.js';
import type { RestoreMessage, RestoreRequest } from './protocol.js';

/** What the learner checks after the nodes (Learner.syncWithLeader). */
export const SYNC_SIGNATURE = 'BenWasHere';
/** The signature as jute writes it: int length, then the bytes. */
export const SYNC_SIGNATURE_BYTES: Buffer = (() => {
  const text = Buffer.from(SYNC_SIGNATURE, 'utf8');
  const b = Buffer.alloc(4 + text.length);
  b.writeInt32BE(text.length, 0);
  text.copy(b, 4);
  return b;
})();

/** magic:int version:int dbid:long: the snapshot file header the stream does not have. */
const FILE_HEADER_BYTES = 16;
/** The end-of-nodes marker, ustring "/". */
const END_OF_NODES = Buffer.from([0, 0, 0, 1, 0x2f]);
/** What takeSnapshot writes after the last node when asked for no trailer sections: marker, seal. */
const FILE_TAIL_BYTES = END_OF_NODES.length + SEAL_BYTES;

const EMPTY = Buffer.alloc(0);

function asBuffer(c: Uint8Array): Buffer {
  return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

// ---------------------------------------------------------------- leader

export type SyncSnapshotOptions = Pick<
  TakeSnapshotOptions, 'sliceMs' | 'batchNodes' | 'batchBytes' | 'maxInFlight' | 'reuseChunkBuffers'
>;

/**
 * The leader side: the sync stream of `tree` as it is now, ending with "BenWasHere", in chunks to
 * write to the socket.
 *
 * Sessions and the ACL map are taken on the call, synchronously (call it where the SNAP zxid is
 * taken); the nodes while the stream is pulled, walked in slices of about sliceMs with the event loop
 * running between them, so the tree keeps changing and the stream is fuzzy, as ZooKeeper's is: the
 * learner makes it good by applying the proposals queued after the SNAP. Nodes are encoded in the
 * snapshot worker pool (which runs at background priority), at most maxInFlight batches ahead.
 *
 * Every chunk is a buffer of its own (reuseChunkBuffers defaults to false here): a socket keeps a
 * written chunk until the kernel took it, which the shared ring takeSnapshot uses by default does not
 * allow. Pass true only if each chunk is written out before three more are pulled (for instance the
 * writer awaits 'drain' whenever write() returns false).
 *
 * Iterate to the end, or stop early with return() (a for-await `break` does), so that the walk ends.
 */
export function syncSnapshotChunks(
  tree: DataTree, sessions: ReadonlyMap<bigint, number>, opts: SyncSnapshotOptions = {},
): AsyncIterable<Buffer> {
  // takeSnapshot hands its chunk source to store.write and then waits for the write to settle: the
  // "store" below gives the source to the generator, which settles the write when the stream ends.
  let gotSource!: (source: AsyncIterable<Uint8Array>) => void;
  const sourceReady = new Promise<AsyncIterable<Uint8Array>>((resolve) => { gotSource = resolve; });
  const write: { settle: ((err: unknown) => void) | null; sizeBytes: number } = { settle: null, sizeBytes: 0 };
  const passThrough: SnapshotStore = {
    write(zxid, chunks): Promise<SnapshotInfo> {
      gotSource(chunks);
      return new Promise<SnapshotInfo>((resolve, reject) => {
        write.settle = (err) => {
          if (err === null) resolve({ zxid, sizeBytes: write.sizeBytes, createdAtMs: Date.now() });
          else reject(err);
        };
      });
    },
    list: async () => [],
    open: () => { throw new Error('the SNAP sync stream cannot be read back'); },
    delete: async () => {},
    close: async () => {},
  };
  const taking = takeSnapshot(tree, sessions, passThrough, {
    ...opts,
    reuseChunkBuffers: opts.reuseChunkBuffers ?? false,
    writeDigest: false,
    writeLastProcessedZxid: false,
  });
  // Its failures reach the consumer through the chunk source; a rejection here only follows them
  // (or an early stop, when the write is rejected so that takeSnapshot keeps its shared buffers away
  // from tasks that may still be running).
  taking.catch(() => {});

  async function* stream(): AsyncGenerator<Buffer, void, undefined> {
    let ended: unknown = new Error('the SNAP sync stream was not read to the end');
    try {
      const source = await Promise.race([
        sourceReady,
        taking.then(() => { throw new Error('takeSnapshot finished without writing'); }),
      ]);
      const header: Buffer[] = [];
      let headerLeft = FILE_HEADER_BYTES;
      // The last FILE_TAIL_BYTES of the file (marker and seal) are held back until the file ends.
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const c of source) {
        let b = asBuffer(c);
        if (headerLeft > 0) {
          const n = Math.min(headerLeft, b.length);
          header.push(b.subarray(0, n));
          headerLeft -= n;
          b = b.subarray(n);
          if (headerLeft === 0) checkFileHeader(Buffer.concat(header));
        }
        if (b.length === 0) continue;
        pending.push(b);
        pendingBytes += b.length;
        while (pendingBytes - pending[0].length >= FILE_TAIL_BYTES) {
          const out = pending.shift() as Buffer;
          pendingBytes -= out.length;
          write.sizeBytes += out.length;
          yield out;
        }
      }
      const rest = Buffer.concat(pending);
      const tailAt = rest.length - FILE_TAIL_BYTES;
      if (headerLeft > 0 || tailAt < 0 || !rest.subarray(tailAt, tailAt + END_OF_NODES.length).equals(END_OF_NODES)
        || !rest.subarray(rest.length - END_OF_NODES.length).equals(END_OF_NODES)) {
        throw new Error('takeSnapshot wrote a snapshot that does not end with the end-of-nodes marker and one seal');
      }
      // The end-of-nodes marker is kept; the seal gives way to the signature.
      const last = Buffer.concat([rest.subarray(0, tailAt + END_OF_NODES.length), SYNC_SIGNATURE_BYTES]);
      write.sizeBytes += last.length;
      // Every encode task is done: a consumer may stop at the last chunk and the walk still ends well.
      ended = null;
      yield last;
    } catch (err) {
      ended = err;
      throw err;
    } finally {
      write.settle?.(ended);
    }
    // Resolves once takeSnapshot has handed its shared batch buffers back.
    await taking;
  }
  return stream();
}

function checkFileHeader(h: Buffer): void {
  if (h.readInt32BE(0) !== SNAP_MAGIC) throw new Error('takeSnapshot wrote a snapshot without the ZKSN file header');
}

// ---------------------------------------------------------------- learner

export interface SyncSnapshotReceiverOptions {
  /** The learner's jute.maxbuffer: longer strings and buffers are refused. Default 0xfffff. */
  juteMaxBufferBytes?: number;
  /** Named in errors (say, the leader's address); default "SNAP sync stream". */
  name?: string;
}

/** Nodes and data bytes per batch inserted at once, as restoreSnapshot's worker batches them. */
const BATCH_NODES = 2048;
const BATCH_BYTES = 192 * 1024;

/**
 * The learner side: fed the raw bytes after the SNAP packet, it rebuilds the leader's tree in `tree`,
 * which must be a fresh DataTree made with the learner's options (digests, extended types).
 *
 * Nodes go in as restoreSnapshot puts them (the same batches, digests computed from the records'
 * bytes, ACL uses counted, finishRestore for data size, quotas and unused ACLs), so once the caller
 * sets tree.lastProcessedZxid to the SNAP zxid the tree is what ZooKeeper's learner has: the leader's
 * nodes, data, stats, ACLs, ephemerals, containers and TTLs, and the same tree digest. Children are
 * linked in stream order, so getChildren lists them as the learner's own HashSet of them would: the
 * HashSet a Java learner builds, sized for the children it receives. (Not necessarily the leader's
 * order: a leader's set that once held more children keeps its larger table, in Java too. And where
 * it does, a Java leader, which streams children in its HashSet's order, and ours, which streams them
 * in creation order, can leave two children that share a learner bucket in opposite order.)
 *
 * Everything happens synchronously in push(), on the calling thread: the work per push is about
 * proportional to the chunk, a few µs per node (decode, digest, insert). Fed socket-sized chunks,
 * no single push holds the event loop long, but a million-node tree costs seconds of main-thread
 * CPU in all. The worker pool could take the parsing and hashing: restoreSnapshot's decodeStream
 * (worker.ts) does exactly this loop in the worker and posts node batches back; it would need the
 * decoder's 'quorum' framing in its DecodeTask and a message carrying the bytes after the end marker.
 *
 * On error the tree is part-built and must be thrown away.
 */
export class SyncSnapshotReceiver {
  /** sessionId → timeout (ms), complete once push has returned non-null. */
  readonly sessions = new Map<bigint, number>();
  private readonly name: string;
  private readonly decoder: SnapshotDecoder;
  private readonly batch: RestoreBatchBuilder;
  private state: 'nodes' | 'signature' | 'done' | 'failed' = 'nodes';
  private sawHead = false;
  /** Stream offset where the last item the decoder reported (the head or a node) ends. */
  private parsedTo = 0;
  /** Signature bytes received so far, and where the signature starts in the stream. */
  private signature: Buffer = EMPTY;
  private signatureAt = 0;

  constructor(private readonly tree: DataTree, opts: SyncSnapshotReceiverOptions = {}) {
    this.name = opts.name ?? 'SNAP sync stream';
    this.decoder = new SnapshotDecoder({
      head: (head) => this.onHead(head),
      node: (buf, rec) => {
        if (!this.batch.fits(rec)) this.insertBatch();
        this.batch.add(buf, rec);
        this.parsedTo = this.decoder.offset;
      },
    }, { file: this.name, juteMaxBufferBytes: opts.juteMaxBufferBytes, framing: 'quorum' });
    this.batch = new RestoreBatchBuilder(BATCH_NODES, BATCH_BYTES, tree.digestEnabled);
  }

  /** Nodes received so far, the root included. */
  get nodeCount(): number {
    return this.decoder.nodesDecoded;
  }

  /** True once push has returned the bytes after the signature. */
  get done(): boolean {
    return this.state === 'done';
  }

  /**
   * Takes the next bytes from the leader. Returns null while it wants more, or, once the signature is
   * in, whatever of the pushed bytes follows it (possibly empty): the leader's next packets, which
   * belong to the caller. Throws StorageCorruptError (naming the stream offset) on a malformed stream,
   * a tree that does not hold together (a node before its parent, no root) or a wrong signature
   * ("Missing signature", as ZooKeeper says). A pushed chunk is kept by reference until its bytes are
   * parsed: do not reuse its memory.
   */
  push(chunk: Buffer): Buffer | null {
    if (this.state === 'done') throw new Error(`${this.name}: already complete, the bytes after it are the caller's`);
    if (this.state === 'failed') throw new Error(`${this.name}: push after an error`);
    try {
      let rest: Buffer;
      if (this.state === 'nodes') {
        this.decoder.push(chunk);
        if (!this.nodesEnded()) return null;
        this.endNodes();
        rest = this.decoder.leftover();
      } else {
        rest = this.signature.length === 0 ? chunk : Buffer.concat([this.signature, chunk]);
      }
      return this.readSignature(rest);
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  /**
   * The input ended (the leader closed the connection): throws StorageCorruptError saying where the
   * stream was cut, unless it was complete.
   */
  end(): void {
    if (this.state === 'done') return;
    if (this.state === 'failed') throw new Error(`${this.name}: end after an error`);
    const inNodes = this.state === 'nodes';
    this.state = 'failed';
    if (inNodes) {
      // The decoder names what was cut. If it finds the nodes complete after all (it waits for a few
      // bytes past the end marker before it looks at it), what is missing is the signature.
      this.decoder.end();
      this.endNodes();
      this.signature = this.decoder.leftover();
      this.state = 'failed';
    }
    throw new StorageCorruptError(this.name, this.signatureAt + this.signature.length,
      `Missing signature: the stream ended ${this.signature.length} bytes into "${SYNC_SIGNATURE}"`);
  }

  private onHead(head: SnapshotHead): void {
    this.tree.beginRestore();
    this.tree.aclCache.load(head.acls);
    for (const [id, timeout] of head.sessions) this.sessions.set(id, timeout);
    this.sawHead = true;
    this.parsedTo = this.decoder.offset;
  }

  /**
   * Whether the decoder has read the end-of-nodes marker. After the head it advances only over node
   * records, each reported to the visitor, and over the 5-byte marker, which is not: so it is past
   * the marker exactly when it stands 5 bytes after the last item it reported.
   */
  private nodesEnded(): boolean {
    return this.sawHead && this.decoder.offset === this.parsedTo + END_OF_NODES.length;
  }

  private endNodes(): void {
    this.decoder.end();
    this.insertBatch();
    try {
      this.tree.finishRestore();
    } catch (err) {
      throw new StorageCorruptError(this.name, this.decoder.offset, err instanceof Error ? err.message : String(err), { cause: err });
    }
    this.signatureAt = this.decoder.offset;
    this.state = 'signature';
  }

  private insertBatch(): void {
    if (this.batch.size === 0) return;
    insertRestoreBatch(this.tree, this.name, this.batch.take());
  }

  private readSignature(rest: Buffer): Buffer | null {
    const after = readSyncSignature(this.name, this.signatureAt, rest);
    if (after === null) {
      this.signature = rest;
      return null;
    }
    this.signature = EMPTY;
    this.state = 'done';
    return after;
  }
}

/** Inserts a batch of decoded nodes as restoreSnapshot does. */
function insertRestoreBatch(tree: DataTree, name: string, batch: RestoreBatch): void {
  const cursor = new RestoreBatchCursor(batch, tree.arena);
  while (!cursor.done) insertRestoredNode(tree, name, cursor.next());
  cursor.close();
}

/**
 * Learner.syncWithLeader: readString("signature") must be "BenWasHere". `rest` holds the bytes
 * from the signature on: null while they are too few, else the bytes after it.
 */
function readSyncSignature(name: string, signatureAt: number, rest: Buffer): Buffer | null {
  const need = SYNC_SIGNATURE_BYTES.length;
  if (rest.length >= 4) {
    const length = rest.readInt32BE(0);
    if (length !== need - 4) {
      throw new StorageCorruptError(name, signatureAt,
        `Missing signature: expected the string "${SYNC_SIGNATURE}", found a string length of ${length}`);
    }
  }
  if (rest.length < need) return null;
  const got = rest.subarray(0, need);
  if (!got.equals(SYNC_SIGNATURE_BYTES)) {
    throw new StorageCorruptError(name, signatureAt,
      `Missing signature: expected "${SYNC_SIGNATURE}", got ${JSON.stringify(got.toString('utf8', 4))}`);
  }
  return rest.subarray(need);
}

/**
 * SyncSnapshotReceiver with the parsing and hashing in the snapshot worker pool: the learner's
 * thread only inserts the decoded nodes, a batch per turn of the event loop, as restoreSnapshot
 * does. Bytes are pushed as they arrive; completion is asynchronous, so `onDone` is called once:
 * with null and the bytes after the signature (the leader's next packets, the caller's), or with
 * the error (StorageCorruptError naming the stream offset, as SyncSnapshotReceiver throws it).
 * Chunks are copied to the worker as they come (no flow control: a snapshot the worker parses
 * slower than the network delivers it waits in the port, up to its size).
 */
export class PooledSyncSnapshotReceiver {
  /** sessionId → timeout (ms), complete once onDone has been called without an error. */
  readonly sessions = new Map<bigint, number>();
  nodeCount = 0;
  private readonly name: string;
  private readonly port: MessagePort;
  private state: 'nodes' | 'draining' | 'signature' | 'done' | 'failed' = 'nodes';
  /** Worker messages not yet handled, in order (nodes are inserted a batch per turn). */
  private readonly inbox: RestoreMessage[] = [];
  private scheduled = false;
  /** From the end of the nodes on: the bytes after them, in order. */
  private after: Buffer[] = [];
  /** Pushed while the worker gives back what it was sent after the nodes ended. */
  private held: Buffer[] = [];
  private signatureAt = 0;
  /** Chunks pushed this turn, posted to the worker together (a message per TCP segment is slow). */
  private outgoing: Buffer[] = [];
  private inputEnded = false;

  constructor(
    private readonly tree: DataTree,
    private readonly onDone: (err: Error | null, rest: Buffer) => void,
    opts: SyncSnapshotReceiverOptions = {},
  ) {
    this.name = opts.name ?? 'SNAP sync stream';
    const { port1, port2 } = taskChannel();
    this.port = port1;
    port1.on('message', (msg: RestoreMessage) => {
      this.inbox.push(msg);
      this.schedule();
    });
    runDecodeTask({
      port: port2, file: this.name, juteMaxBufferBytes: opts.juteMaxBufferBytes ?? JUTE_MAX_BUFFER_BYTES,
      batchNodes: BATCH_NODES, batchBytes: BATCH_BYTES, digests: tree.digestEnabled, framing: 'quorum',
    }).catch((err: unknown) => this.fail(new Error(`${this.name}: the snapshot worker failed: ${err instanceof Error ? err.message : String(err)}`)));
  }

  /** True once onDone has been called. */
  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  /** The next bytes from the leader. */
  push(chunk: Buffer): void {
    switch (this.state) {
      case 'nodes':
        this.outgoing.push(chunk);
        if (this.outgoing.length === 1) setImmediate(() => this.post());
        return;
      case 'draining':
        this.held.push(chunk);
        return;
      case 'signature':
        this.after.push(chunk);
        this.readSignature();
        return;
      default:
        return;
    }
  }

  /** The input ended (the connection closed): a stream not yet complete fails, naming where it was cut. */
  end(): void {
    if (this.finished || this.inputEnded) return;
    this.inputEnded = true;
    if (this.state === 'nodes') {
      this.post();
      this.port.postMessage({ type: 'end' } satisfies RestoreRequest);
    } else if (this.state === 'signature') {
      this.cutInSignature();
    }
    // Draining: the worker's 'drained' comes next, and the signature is checked then.
  }

  private post(): void {
    if (this.outgoing.length === 0 || this.state !== 'nodes') return;
    const chunk = this.outgoing.length === 1 ? this.outgoing[0] : Buffer.concat(this.outgoing);
    this.outgoing = [];
    this.port.postMessage({ type: 'chunk', chunk } satisfies RestoreRequest);
  }

  private cutInSignature(): void {
    const got = Buffer.concat(this.after).length;
    this.fail(new StorageCorruptError(this.name, this.signatureAt + got,
      `Missing signature: the stream ended ${got} bytes into "${SYNC_SIGNATURE}"`));
  }

  /** Gives up (the role ended): the worker is released, onDone is not called. */
  abort(): void {
    if (this.finished) return;
    this.state = 'failed';
    this.release();
  }

  private schedule(): void {
    if (this.scheduled || this.finished) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.handleNext();
    });
  }

  /** Handles queued messages up to and including one batch of nodes, then yields the event loop. */
  private handleNext(): void {
    try {
      while (this.inbox.length > 0 && !this.finished) {
        const msg = this.inbox.shift() as RestoreMessage;
        if (this.handle(msg)) break;
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (this.inbox.length > 0) this.schedule();
  }

  /** Returns true after inserting nodes (time to yield). */
  private handle(msg: RestoreMessage): boolean {
    switch (msg.type) {
      case 'head':
        this.tree.beginRestore();
        this.tree.aclCache.load(msg.acls);
        for (const [id, timeout] of msg.sessions) this.sessions.set(id, timeout);
        return false;
      case 'nodes':
        insertRestoreBatch(this.tree, this.name, msg.batch);
        return true;
      case 'nodesEnd':
        try {
          this.tree.finishRestore();
        } catch (err) {
          throw new StorageCorruptError(this.name, msg.bytes, err instanceof Error ? err.message : String(err), { cause: err });
        }
        this.nodeCount = msg.nodeCount;
        this.signatureAt = msg.bytes;
        this.after = [Buffer.from(msg.leftover.buffer, msg.leftover.byteOffset, msg.leftover.byteLength)];
        // Chunks not yet posted are behind everything the worker has: they wait with the held ones.
        this.held.push(...this.outgoing);
        this.outgoing = [];
        this.state = 'draining';
        this.port.postMessage({ type: 'end' } satisfies RestoreRequest);
        return false;
      case 'rest':
        this.after.push(Buffer.from(msg.chunk.buffer, msg.chunk.byteOffset, msg.chunk.byteLength));
        return false;
      case 'drained':
        this.after.push(...this.held);
        this.held = [];
        this.state = 'signature';
        this.release();
        this.readSignature();
        if (this.state === 'signature' && this.inputEnded) this.cutInSignature();
        return false;
      case 'corrupt':
        throw new StorageCorruptError(this.name, msg.offset, msg.reason);
      case 'failed':
        throw new Error(`${this.name}: ${msg.message}`);
      default:
        return false;
    }
  }

  private readSignature(): void {
    const bytes = this.after.length === 1 ? this.after[0] : Buffer.concat(this.after);
    this.after = [bytes];
    let rest: Buffer | null;
    try {
      rest = readSyncSignature(this.name, this.signatureAt, bytes);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (rest === null) return;
    this.state = 'done';
    this.after = [];
    this.onDone(null, rest);
  }

  private fail(err: Error): void {
    if (this.finished) return;
    this.state = 'failed';
    this.release();
    this.onDone(err, EMPTY);
  }

  private release(): void {
    this.port.postMessage({ type: 'abort' } satisfies RestoreRequest);
    this.port.close();
  }
}
