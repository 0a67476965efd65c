// Taking and restoring ZooKeeper-format snapshots without stalling the main thread. takeSnapshot
// walks the live tree in short slices and has the worker encode and checksum each slice's nodes;
// restoreSnapshot has the worker parse and verify, and only inserts the decoded nodes itself.
//
// The seal's Adler-32 must cover the stream in order. Each worker task checksums its own chunk from
// scratch and this thread joins the results with adler32Combine, O(1) per chunk: chunks may be
// encoded by any number of workers in any order, and this thread never reads the encoded bytes
// (summing them here would cost it ~0.15 s per 130 MB, the size of a million-node snapshot).

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { DataTree } from '../../tree/data-tree.js';
import type { ZxidDigest } from '../../tree/digest-log.js';
import { StorageCorruptError } from '../errors.js';
import type { SnapshotInfo, SnapshotStore } from '../spi.js';
import { ADLER32_INIT, adler32, adler32Combine } from '../adler32.js';
import { EncodeBatchBuilder, RestoreBatchCursor, type RestoredNode } from './batch.js';
import {
  defaultFileHeader, encodeHead, encodeTail, JUTE_MAX_BUFFER_BYTES, snapshotFileName, type SnapshotTrailer,
} from './format.js';
import { runDecodeTask, runEncodeTask, taskChannel } from './pool.js';
import type { EncodeResult, RestoreMessage, RestoreRequest } from './protocol.js';
import { SnapshotWalker, type WalkStep } from './walk.js';
import { giveBackShared } from './shared-buffers.js';
import { currentDigest, takeIncrementalSnapshot } from './incremental.js';
import { chunkTransfer, ReadAhead } from './read-ahead.js';

export * from './format.js';
export * from './decoder.js';
export { adler32, adler32Combine, adler32Uncombine, ADLER32_INIT } from '../adler32.js';
export { closeSnapshotPool, configureSnapshotPool, preparePool as prepareSnapshotPool, type SnapshotPoolOptions } from './pool.js';

export interface TakeSnapshotOptions {
  /**
   * A slice of the tree walk lasts at least this long (ms); the event loop runs between slices.
   * Default 0.5. When requests come one at a time (16 sessions with one write each in flight), a
   * turn of the event loop serving them is far shorter than this, so the minimum decides the
   * walk's share and what it adds to each write: with 2 ms, p99 on the million-node tree at 16×1
   * was 5.3-5.9 ms against 2.6-4.0 with 0.5 (four pairs of runs); an idle loop still gives the
   * walk nearly all of the thread.
   */
  sliceMs?: number;
  /**
   * Under load a turn of the event loop lasts far longer than a slice, and a walk of 2 ms a turn
   * starved: a million-node snapshot took 10-15 s at 65k writes/s, snapshots were skipped as too
   * busy, and a restart had a million txns to replay. So a turn of the walk may grow to take this
   * share of the main thread (of the time since the last turn ended), up to maxSliceMs. Default 0.25.
   */
  mainThreadShare?: number;
  /** The longest a turn may grow to (ms): what a snapshot may add to a request's latency. Default 8. */
  maxSliceMs?: number;
  /** Nodes per batch handed to the worker. Default 2048. */
  batchNodes?: number;
  /** Path and data bytes per batch (a larger node gets a batch of its own). Default 192 KiB. */
  batchBytes?: number;
  /** Batches encoded or being written at once; bounds memory when the store is slower. Default 4. */
  maxInFlight?: number;
  /** Write the zxid digest section; default tree.digestEnabled, as ZooKeeper does. */
  writeDigest?: boolean;
  /** Write 3.9's lastProcessedZxid section (3.8 ignores it). Default false. */
  writeLastProcessedZxid?: boolean;
  /**
   * Encode into a small ring of shared buffers that is reused as the store pulls: store.write must
   * write or copy each chunk before it has pulled three more (a stream's read-ahead is fine; keeping
   * every chunk is not). Default true. With false every chunk is a fresh buffer, and for a large
   * tree V8 pays for those in full mark-compacts (it answers every ~64 MB of new external memory
   * with one), measured at up to 0.4 s of stalled main thread for a million nodes.
   */
  reuseChunkBuffers?: boolean;
  /**
   * The server's own snapshots: begin a new epoch of tree.changes, and write this snapshot
   * incrementally from the previous one when that is cheaper (see incremental.ts). Default false:
   * a plain full walk that leaves tree.changes alone (a SNAP sync's stream, tools).
   */
  trackChanges?: boolean;
  /** An incremental snapshot's chunk size (its worker's output slots). Default 1 MiB. */
  mergeChunkBytes?: number;
}

export interface TakenSnapshot extends SnapshotInfo {
  /** Nodes written, the root included. */
  readonly nodeCount: number;
  readonly trailer: SnapshotTrailer;
  /** Longest time the walk held the main thread in one go, in ms. */
  readonly longestSliceMs: number;
  /** Time the walk held the main thread in all, and the workers' encoding time in all, ms. */
  readonly mainThreadMs: number;
  readonly workerMs: number;
  /** Written from the previous snapshot: the entries on the change list it began with. */
  readonly incremental?: { readonly changed: number };
}

const DEFAULTS = { sliceMs: 0.5, mainThreadShare: 0.25, maxSliceMs: 8, batchNodes: 2048, batchBytes: 192 * 1024, maxInFlight: 4 };
/** Chunks below this are handed over as copies of their shared slot (see takeSnapshot). */
const SMALL_CHUNK_BYTES = 64 * 1024;

/**
 * Batch size by tree size. Each chunk costs a few turns of the event loop (the store pulls it,
 * writes it, pulls again), and under load a turn lasts 5-20 ms: with 2048 nodes a chunk, a
 * million-node snapshot took over 10 s at 65k writes/s, the next ones were skipped as too busy,
 * and a restart then replayed a million txns. A million nodes now go in ~120 chunks; a small
 * tree keeps small buffers (they stay allocated between snapshots, see shared-buffers.ts).
 */
function batchSizeFor(nodes: number): { batchNodes: number; batchBytes: number } {
  let batchNodes = DEFAULTS.batchNodes;
  while (batchNodes < 8 * DEFAULTS.batchNodes && batchNodes * 128 < nodes) batchNodes *= 2;
  return { batchNodes, batchBytes: (DEFAULTS.batchBytes / DEFAULTS.batchNodes) * batchNodes };
}

/**
 * Writes a fuzzy snapshot of `tree` at tree.lastProcessedZxid. The zxid, the sessions and the ACL map
 * are taken synchronously on entry; the nodes while the tree keeps changing, which replaying the log
 * from zxid + 1 makes good (apply is idempotent). The digest trailer is the tree's last processed
 * digest when the walk ends, as ZooKeeper writes it after the nodes.
 */
export function takeSnapshot(
  tree: DataTree, sessions: ReadonlyMap<bigint, number>, store: SnapshotStore, opts: TakeSnapshotOptions = {},
): Promise<TakenSnapshot> {
  if (opts.trackChanges !== true) return takeFullSnapshot(tree, sessions, store, opts);
  const base = tree.changes.base;
  if (base !== null && base.store === store && incrementalPays(tree)) {
    const o = { ...DEFAULTS, ...opts, writeDigest: opts.writeDigest ?? tree.digestEnabled, writeLastProcessedZxid: opts.writeLastProcessedZxid === true };
    const { list, done } = takeIncrementalSnapshot(tree, sessions, store, base, o);
    return done.then((taken) => {
      tree.changes.end(list, { store, zxid: taken.zxid });
      return taken;
    }, (err: unknown) => {
      tree.changes.end(list, null);
      throw err;
    });
  }
  const list = tree.changes.begin(null);
  return takeFullSnapshot(tree, sessions, store, opts).then((taken) => {
    tree.changes.end(list, { store, zxid: taken.zxid });
    return taken;
  }, (err: unknown) => {
    tree.changes.end(list, null);
    throw err;
  });
}

/** Past this share of the nodes on the change list, walking them all costs little more. */
const INCREMENTAL_CHANGED_SHARE_MAX = 0.5;
/**
 * Past this share of dead bytes over live ones in the arena's slabs (beyond a few slabs' worth), the
 * next snapshot walks the whole tree: only a full walk empties the sparse slabs (see data-arena.ts),
 * and incremental ones leave them.
 */
const INCREMENTAL_ARENA_DEAD_SHARE_MAX = 0.6;
const INCREMENTAL_ARENA_DEAD_BYTES_MIN = 4 << 20;

function incrementalPays(tree: DataTree): boolean {
  if (tree.changes.size > INCREMENTAL_CHANGED_SHARE_MAX * tree.nodeCount()) return false;
  const arena = tree.arena.stats();
  return arena.bytes - arena.liveBytes <= Math.max(INCREMENTAL_ARENA_DEAD_BYTES_MIN, INCREMENTAL_ARENA_DEAD_SHARE_MAX * arena.liveBytes);
}

function takeFullSnapshot(
  tree: DataTree, sessions: ReadonlyMap<bigint, number>, store: SnapshotStore, opts: TakeSnapshotOptions,
): Promise<TakenSnapshot> {
  const o = { ...DEFAULTS, ...batchSizeFor(tree.nodeCount()), ...opts };
  const zxid = tree.lastProcessedZxid;
  const head = encodeHead({ header: defaultFileHeader(), sessions, acls: tree.aclCache.entries() });
  // Not tree.nodesInSnapshotOrder(): that one stalls on a node with very many children (see walk.ts).
  const walk = new SnapshotWalker(tree);
  // The walk meets every node: values left alone in mostly dead slabs move on the way (data-arena.ts).
  tree.arena.beginCompaction();
  const arena = tree.arena;
  const writeDigest = opts.writeDigest ?? tree.digestEnabled;
  let nodeCount = 0;
  let longestSliceMs = 0;
  let mainThreadMs = 0;
  let workerMs = 0;
  // Set when the walk ends; the tail can only be written after that.
  const end: { trailer: SnapshotTrailer } = { trailer: { digest: null, lastProcessedZxid: null } };

  // Batch n is encoded into slot n % R of the builder's ring, and that slot is the chunk the store
  // is handed. A store may still hold the three chunks before the one it asks for (Node streams
  // read ahead that much), so batch n is begun only once the store has asked for chunk n - R + 4.
  // The walk runs on its own turns, not when the store pulls: the store's writes and syncs take
  // several event-loop turns a chunk, and under load a turn lasts 5-20 ms, so a walk that waited
  // for each pull took 4-5 s for a million nodes at 60k writes/s where its own share needs ~2 s.
  // Small chunks (the last batch), and every chunk without reuseChunkBuffers, are copied.
  const ringSize = 2 * o.maxInFlight + 3;
  const ahead = ringSize - 3;
  const copyChunks = opts.reuseChunkBuffers === false;
  const builder = new EncodeBatchBuilder(o.batchNodes, o.batchBytes, ringSize, arena);
  // A step that did not fit the batch, copied out of the walk's reused step object.
  let carried: WalkStep | null = null;
  let walkDone = false;
  // A turn of the walk holds the main thread until its deadline, filling as many batches as the
  // slots allow (see mainThreadShare); then the event loop runs.
  let lastTurnEnd = performance.now();
  let deadline = 0;
  const share = Math.min(Math.max(o.mainThreadShare, 0), 0.9);
  const startTurn = (): void => {
    const now = performance.now();
    deadline = now + Math.min(o.maxSliceMs, Math.max(o.sliceMs, ((now - lastTurnEnd) * share) / (1 - share)));
  };
  /**
   * Part of a turn: nodes into the batch until it is full or the turn's time is up. A batch can
   * take several turns to fill, so chunks stay large however short the turns are.
   * @returns whether the batch is ready to be encoded
   */
  const slice = (): boolean => {
    const started = performance.now();
    let n = 0;
    for (;;) {
      let item: WalkStep | null = carried;
      carried = null;
      if (item === null) {
        if (!walk.next()) {
          walkDone = true;
          tree.arena.endCompaction();
          end.trailer = {
            digest: writeDigest ? currentDigest(tree) : null,
            lastProcessedZxid: o.writeLastProcessedZxid === true ? tree.lastProcessedZxid : null,
          };
          break;
        }
        item = walk;
        walk.node.compactData();
      }
      if (!builder.add(item.prefix, item.name, item.node)) {
        carried = { prefix: item.prefix, name: item.name, node: item.node };
        break;
      }
      nodeCount++;
      if (builder.full || ((++n & 31) === 0 && performance.now() >= deadline)) break;
    }
    const took = performance.now() - started;
    mainThreadMs += took;
    return builder.size > 0 && (builder.full || carried !== null || walkDone);
  };

  // Batches begun and handed to the workers, in order; the chunk generator takes them from here.
  const ready: Array<{ bytes: Uint8Array; result: Promise<EncodeResult> }> = [];
  let begun = 0;
  let pulled = 0;
  let stopped = false;
  let wakeWalk: (() => void) | null = null;
  let wakeChunks: (() => void) | null = null;
  const wake = (which: 'walk' | 'chunks'): void => {
    const w = which === 'walk' ? wakeWalk : wakeChunks;
    if (which === 'walk') wakeWalk = null;
    else wakeChunks = null;
    w?.();
  };
  async function walkTurns(): Promise<void> {
    while (!walkDone && !stopped) {
      if (begun >= pulled + ahead) {
        await new Promise<void>((resolve) => { wakeWalk = resolve; });
        continue;
      }
      const turnStart = performance.now();
      startTurn();
      while (!walkDone && begun < pulled + ahead && performance.now() < deadline) {
        if (!slice()) continue;
        const batch = builder.take();
        const result = runEncodeTask({ batch });
        // Awaited in order by chunks(); this only keeps a failure behind another from going unhandled.
        result.catch(() => {});
        ready.push({ bytes: batch.bytes, result });
        begun++;
        wake('chunks');
      }
      lastTurnEnd = performance.now();
      longestSliceMs = Math.max(longestSliceMs, lastTurnEnd - turnStart);
      if (!walkDone) await yieldToEventLoop();
    }
    wake('chunks');
  }

  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    let adler = adler32(ADLER32_INIT, head);
    yield head;
    let walkFailure: { err: unknown } | null = null;
    const walking = walkTurns().catch((err: unknown) => {
      walkFailure = { err };
      wake('chunks');
    });
    try {
      for (;;) {
        if (walkFailure !== null) throw (walkFailure as { err: unknown }).err;
        const next = ready.shift();
        if (next === undefined) {
          if (walkDone) break;
          await new Promise<void>((resolve) => { wakeChunks = resolve; });
          continue;
        }
        const encoded = await next.result;
        workerMs += encoded.workerMs;
        adler = adler32Combine(adler, encoded.adler, next.bytes.length);
        yield copyChunks || next.bytes.length < SMALL_CHUNK_BYTES ? Buffer.from(next.bytes) : next.bytes;
        pulled++;
        wake('walk');
      }
    } finally {
      // A consumer that stopped early leaves tasks running; their results are dropped.
      stopped = true;
      wake('walk');
      await walking;
      ready.length = 0;
      if (!walkDone) tree.arena.endCompaction();
    }
    yield encodeTail(adler, end.trailer);
  }

  // The workers copy values out of the arena's slabs until the last batch is done: none of them
  // may be reused before then (see data-arena.ts). The walk starts when the store first pulls.
  const reader = arena.beginRead();
  let writing: Promise<SnapshotInfo>;
  try {
    writing = store.write(zxid, chunks());
  } catch (err) {
    arena.endRead(reader);
    throw err;
  }
  return writing.then((info) => {
    // Every task was awaited, and the store is done with the chunks: the next snapshot may reuse
    // the buffers. (After a failure tasks may still be running: those buffers are left to the GC,
    // and what such a task copies from a reused slab only goes into the failed snapshot's.)
    giveBackShared(builder.sharedBuffers());
    return { ...info, nodeCount, trailer: end.trailer, longestSliceMs, mainThreadMs, workerMs };
  }).finally(() => arena.endRead(reader));
}

// ---------------------------------------------------------------- restore

export interface RestoreSnapshotOptions {
  /** jute.maxbuffer the snapshot was written under. Default 0xfffff, as ZooKeeper's. */
  juteMaxBufferBytes?: number;
  /** Named in errors; default ZooKeeper's file name, snapshot.<zxid hex>. */
  file?: string;
  /** Inserting nodes yields to the event loop after this long (ms). Default 2. */
  sliceMs?: number;
}

export interface RestoredSnapshot {
  /** sessionId → timeout (ms). */
  sessions: Map<bigint, number>;
  /** The snapshot's zxid, now tree.lastProcessedZxid: replay the log from zxid + 1. */
  zxid: number;
  /** The trailer's digest (null when the snapshot has none). */
  digest: ZxidDigest | null;
  /** The 3.9 lastProcessedZxid section, if present. */
  lastProcessedZxid: number | null;
  nodeCount: number;
  sizeBytes: number;
}

/** Chunks sent to the worker and not yet parsed. */
const RESTORE_CHUNKS_IN_FLIGHT = 4;
/** Decoded batches waiting to be inserted before no more chunks are sent. */
const RESTORE_BATCHES_QUEUED = 8;

/**
 * Replaces `tree`'s contents with the snapshot at `zxid`. The worker parses and verifies every seal;
 * this thread only inserts nodes, in slices of about sliceMs. On error (StorageCorruptError naming
 * file and offset, or the store's own) the tree is left part-restored and must not be used.
 */
/** Puts one decoded node into the tree; a node that does not fit (no parent, say) is corruption at its offset. */
export function insertRestoredNode(tree: DataTree, file: string, node: Readonly<RestoredNode>): void {
  try {
    tree.restoreNode(node.path, node.data, node.aclRef, node.stat, node.nodeDigest, node.pathCrc, node.dataSlab, node.dataOffset, node.dataLength);
  } catch (err) {
    throw new StorageCorruptError(file, node.offset, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

export async function restoreSnapshot(
  store: SnapshotStore, zxid: number, tree: DataTree, opts: RestoreSnapshotOptions = {},
): Promise<RestoredSnapshot> {
  const file = opts.file ?? snapshotFileName(zxid);
  const sliceMs = opts.sliceMs ?? 2;
  // A plain file is read by the worker itself, so its bytes never pass through this thread (a
  // million-node file's copies were ~12% of this thread's restore); anything else is read here.
  const plain = store.plainFile === undefined ? null : await store.plainFile(zxid);
  const { port1: port, port2 } = taskChannel();
  const send = (msg: RestoreRequest): void => port.postMessage(msg);

  // Filled by the port: node insertion happens in the loop below, never in the handler, because a
  // port delivers every queued message in one go and would hold the event loop for all of them.
  const queue: RestoreMessage[] = [];
  let chunksInFlight = 0;
  // An object, so the compiler sees that the port handler changes it.
  const worker: { last: RestoreMessage | null } = { last: null };
  let wake: (() => void) | null = null;
  const wakeUp = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  port.on('message', (msg: RestoreMessage) => {
    if (msg.type === 'ack') chunksInFlight--;
    else if (msg.type === 'head' || msg.type === 'nodes') queue.push(msg);
    else worker.last = msg;
    wakeUp();
  });
  const task = runDecodeTask({
    port: port2, file, juteMaxBufferBytes: opts.juteMaxBufferBytes ?? JUTE_MAX_BUFFER_BYTES,
    batchNodes: 2048, batchBytes: 192 * 1024, digests: tree.digestEnabled, ...(plain !== null ? { path: plain } : {}),
  }).catch((err: unknown) => {
    // The worker died (it reports corruption as a message, not by throwing).
    worker.last ??= { type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) };
    wakeUp();
  });

  let sessions = new Map<bigint, number>();
  let sawHead = false;
  let cursor: RestoreBatchCursor | null = null;
  const insertSlice = (): void => {
    const deadline = performance.now() + sliceMs;
    let n = 0;
    while (queue.length > 0 || cursor !== null) {
      if (cursor === null) {
        const msg = queue.shift() as RestoreMessage;
        if (msg.type === 'head') {
          tree.beginRestore();
          tree.aclCache.load(msg.acls);
          sessions = msg.sessions;
          sawHead = true;
          continue;
        }
        if (msg.type !== 'nodes') continue;
        cursor = new RestoreBatchCursor(msg.batch, tree.arena);
      }
      while (!cursor.done) {
        insertRestoredNode(tree, file, cursor.next());
        if ((++n & 63) === 0 && performance.now() >= deadline) return;
      }
      cursor.close();
      cursor = null;
    }
  };

  // Reads run beside the insertion: a chunk is read whenever fewer than RESTORE_CHUNKS_IN_FLIGHT
  // are with the worker, so the worker is not left waiting while this thread inserts.
  const reader = plain !== null ? null : new ReadAhead(store.open(zxid)[Symbol.asyncIterator](), (chunk) => {
    // Moved, not copied, when it has a buffer of its own.
    chunksInFlight++;
    port.postMessage({ type: 'chunk', chunk } satisfies RestoreRequest, chunkTransfer(chunk));
  }, () => send({ type: 'end' }), wakeUp);
  const readMore = (): void => {
    if (reader !== null) {
      if (chunksInFlight < RESTORE_CHUNKS_IN_FLIGHT && queue.length < RESTORE_BATCHES_QUEUED) reader.pull();
      return;
    }
    while (chunksInFlight < RESTORE_CHUNKS_IN_FLIGHT && queue.length < RESTORE_BATCHES_QUEUED && worker.last === null) {
      send({ type: 'read' });
      chunksInFlight++;
    }
  };

  try {
    for (;;) {
      reader?.rethrow();
      if (worker.last !== null && worker.last.type !== 'end') break;
      readMore();
      if (queue.length > 0 || cursor !== null) {
        insertSlice();
        await yieldToEventLoop();
      } else if (worker.last !== null) {
        break;
      } else {
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    }
    const done = worker.last as RestoreMessage;
    switch (done.type) {
      case 'end':
        break;
      case 'corrupt':
        throw new StorageCorruptError(file, done.offset, done.reason);
      case 'failed':
        throw new Error(`snapshot worker failed on ${file}: ${done.message}`);
      default:
        throw new Error(`snapshot restore of ${file} was aborted`);
    }
    if (!sawHead) throw new StorageCorruptError(file, 0, 'no head');
    try {
      tree.finishRestore();
    } catch (err) {
      throw new StorageCorruptError(file, done.bytes, err instanceof Error ? err.message : String(err), { cause: err });
    }
    tree.lastProcessedZxid = zxid;
    applyTrailerDigest(tree, done.trailer, zxid);
    return {
      sessions, zxid, digest: done.trailer.digest, lastProcessedZxid: done.trailer.lastProcessedZxid,
      nodeCount: done.nodeCount, sizeBytes: done.bytes,
    };
  } finally {
    if (worker.last === null) send({ type: 'abort' });
    await reader?.close();
    await task;
    port.close();
  }
}

/**
 * FileSnap.deserialize: the trailer digest becomes the one to check when the replay reaches its
 * zxid; when that is the snapshot's own zxid (not fuzzy) it is checked now.
 */
function applyTrailerDigest(tree: DataTree, trailer: SnapshotTrailer, zxid: number): void {
  if (!tree.digestEnabled) return;
  tree.digestHistory.setSnapshotDigest(trailer.digest, zxid);
  const pending = tree.digestHistory.pendingSnapshotDigest();
  if (pending !== null && pending.zxid === zxid) tree.digestHistory.afterTxn(zxid, () => tree.digest());
}
