// Incremental snapshots: the previous snapshot's records, with only the nodes changed since it began
// taken from the tree (see tree/snapshot-changes.ts). The main thread encodes those nodes, in short
// turns, instead of walking every node; the worker (merge.ts) merges them into the previous file's
// bytes and checksums the result. The file is ZooKeeper's format, and exact: every record holds its
// node as it was when the snapshot began (the zxid in its name), so the trailer's digest is the
// tree's digest at that zxid.
//
// Why the result is the tree at the start: a record of the previous file whose path is not on the
// change list belongs to a node unchanged since that file began, so the record still holds it.
// Every other path gets the node's record as it stood at the start (walked, or captured just before
// its first change since), or is dropped if no node was there.

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { DataTree } from '../../tree/data-tree.js';
import type { ZxidDigest } from '../../tree/digest-log.js';
import { DIGEST_VERSION } from '../../tree/digest.js';
import type { DataNode } from '../../tree/node.js';
import type { ChangeBase, ChangeList } from '../../tree/snapshot-changes.js';
import type { TakenSnapshot } from './index.js';
import { StorageCorruptError } from '../errors.js';
import type { SnapshotInfo, SnapshotStore } from '../spi.js';
import { ADLER32_INIT, adler32, adler32Combine } from '../adler32.js';
import { EncodeBatchBuilder } from './batch.js';
import { defaultFileHeader, encodeHead, encodeTail, JUTE_MAX_BUFFER_BYTES, snapshotFileName, type SnapshotTrailer } from './format.js';
import { runMergeTask, taskChannel } from './pool.js';
import type { MergeMessage, MergeRequest } from './protocol.js';
import { giveBackShared, takeShared } from './shared-buffers.js';
import { chunkTransfer, ReadAhead } from './read-ahead.js';

export interface IncrementalOptions {
  sliceMs: number;
  mainThreadShare: number;
  maxSliceMs: number;
  batchNodes: number;
  batchBytes: number;
  writeDigest: boolean;
  writeLastProcessedZxid: boolean;
  /** Size of the merged chunks handed to the store. Default 1 MiB (tests use small ones). */
  mergeChunkBytes?: number;
}


/** Shared slots the merged chunks come back in, and their size. */
const OUT_SLOTS = 8;
const OUT_SLOT_BYTES_DEFAULT = 1 << 20;
/** Encoded batches of changed nodes with the worker at once (each holds a ring slot). */
const CHANGE_SLOTS = 4;
/** Chunks of the previous snapshot sent and not yet merged. */
const BASE_CHUNKS_IN_FLIGHT = 2;
/** Deleted paths per message. */
const DELETED_PER_MESSAGE = 4096;

/** The snapshot's own name for a path: the root is "" in a snapshot, "/" (or "") in the tree. */
function recordPath(path: string): string {
  return path === '/' ? '' : path;
}

/**
 * Writes a snapshot of `tree` at tree.lastProcessedZxid from the snapshot `base` (which
 * tree.changes is relative to) and the nodes changed since it began. Begins tree.changes' next
 * epoch; the caller ends it (tree.changes.end) with the outcome.
 */
export function takeIncrementalSnapshot(
  tree: DataTree, sessions: ReadonlyMap<bigint, number>, store: SnapshotStore, base: ChangeBase, o: IncrementalOptions,
): { list: ChangeList; done: Promise<TakenSnapshot> } {
  const zxid = tree.lastProcessedZxid;
  const head = encodeHead({ header: defaultFileHeader(), sessions, acls: tree.aclCache.entries() });
  const trailer: SnapshotTrailer = {
    digest: o.writeDigest ? currentDigest(tree) : null,
    lastProcessedZxid: o.writeLastProcessedZxid ? zxid : null,
  };
  const arena = tree.arena;
  const reader = arena.beginRead();
  const { port1: port, port2 } = taskChannel();
  const send = (msg: MergeRequest, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

  // Nodes about to change before the walk below reached them: recorded now, values copied (the
  // change may release them), and sent in memory of their own.
  const captured = new EncodeBatchBuilder(256, 64 * 1024, 1, null);
  const sendCaptured = (): void => {
    if (captured.size === 0) return;
    const bytes = new Uint8Array(captured.take().bytes);
    send({ type: 'captured', bytes }, [bytes.buffer as ArrayBuffer]);
  };
  const capture = (path: string, node: DataNode): void => {
    if (!captured.add('', recordPath(path), node)) {
      sendCaptured();
      captured.add('', recordPath(path), node);
    }
    if (captured.full) sendCaptured();
  };
  const list = tree.changes.begin(capture);

  const outSlots = Array.from({ length: OUT_SLOTS }, () => takeShared(o.mergeChunkBytes ?? OUT_SLOT_BYTES_DEFAULT));
  const builder = new EncodeBatchBuilder(o.batchNodes, o.batchBytes, CHANGE_SLOTS, arena);

  // What the worker said, read by the loops below (filled by the port's handler only).
  const outs: Array<{ index: number; length: number; adler: number }> = [];
  const state: { changesOut: number; baseInFlight: number; last: MergeMessage | null } = { changesOut: 0, baseInFlight: 0, last: null };
  let wake: (() => void) | null = null;
  const wakeUp = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const sleep = (): Promise<void> => new Promise<void>((resolve) => { wake = resolve; });
  port.on('message', (msg: MergeMessage) => {
    if (msg.type === 'changesAck') state.changesOut--;
    else if (msg.type === 'baseAck') state.baseInFlight--;
    else if (msg.type === 'out') outs.push(msg);
    else state.last = msg;
    wakeUp();
  });
  let file = snapshotFileName(base.zxid);
  const task = runMergeTask({ port: port2, file, juteMaxBufferBytes: JUTE_MAX_BUFFER_BYTES, outSlots }).catch((err: unknown) => {
    state.last ??= { type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) };
    wakeUp();
  });
  const failure = (): Error | null => {
    const last = state.last;
    if (last === null || last.type === 'end') return null;
    if (last.type === 'corrupt') return new StorageCorruptError(file, last.offset, last.reason);
    if (last.type === 'failed') return new Error(`snapshot merge worker failed on ${file}: ${last.message}`);
    return new Error('snapshot merge was aborted');
  };

  let longestSliceMs = 0;
  let mainThreadMs = 0;
  let stopped = false;

  /** Encodes the listed nodes still as they were at the start, in turns (see takeSnapshot's). */
  async function recordChanges(): Promise<void> {
    const { paths, nodes, epoch } = list;
    const share = Math.min(Math.max(o.mainThreadShare, 0), 0.9);
    let deleted: string[] = [];
    let lastTurnEnd = performance.now();
    let i = 0;
    const post = (): void => {
      const batch = builder.take();
      state.changesOut++;
      send({ type: 'changes', batch });
    };
    while (i < paths.length) {
      if (stopped) return;
      const error = failure();
      if (error !== null) throw error;
      // The worker ends only after the previous snapshot's last chunk: not while changes still come.
      if (state.last !== null) throw new Error('snapshot merge ended before the changes were sent');
      if (state.changesOut >= CHANGE_SLOTS) {
        await sleep();
        continue;
      }
      const now = performance.now();
      const deadline = now + Math.min(o.maxSliceMs, Math.max(o.sliceMs, ((now - lastTurnEnd) * share) / (1 - share)));
      let n = 0;
      while (i < paths.length) {
        const node = nodes[i];
        if (node === null) {
          deleted.push(recordPath(paths[i]));
        } else if (node.snapMark === epoch && node.isIn(arena)) {
          if (!builder.add('', recordPath(paths[i]), node)) {
            // Full: hand it over, and take this node again into the next (an empty batch takes any node).
            post();
            if (state.changesOut >= CHANGE_SLOTS) break;
            continue;
          }
          tree.changes.recorded(node);
        }
        i++;
        if (builder.full) {
          post();
          if (state.changesOut >= CHANGE_SLOTS) break;
        }
        if ((++n & 31) === 0 && performance.now() >= deadline) break;
      }
      if (deleted.length >= DELETED_PER_MESSAGE || i >= paths.length) {
        if (deleted.length > 0) send({ type: 'deleted', paths: deleted });
        deleted = [];
      }
      sendCaptured();
      lastTurnEnd = performance.now();
      mainThreadMs += lastTurnEnd - now;
      longestSliceMs = Math.max(longestSliceMs, lastTurnEnd - now);
      if (i < paths.length) await yieldToEventLoop();
    }
    if (builder.size > 0) post();
    // Every listed node is recorded: nothing more to capture.
    tree.changes.stopCapture();
    sendCaptured();
  }

  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    let adler = adler32(ADLER32_INIT, head);
    yield head;
    await recordChanges();
    // A plain file the worker reads itself; else the store's stream, a chunk per turn of this
    // thread's event loop (under load a turn takes 5-20 ms: seconds for a million nodes).
    const plain = store.plainFile === undefined ? null : await store.plainFile(base.zxid);
    if (plain !== null) {
      file = plain;
      send({ type: 'baseFile', path: plain });
    }
    const reader = plain !== null ? null : new ReadAhead(store.open(base.zxid)[Symbol.asyncIterator](), (chunk) => {
      // A chunk with a buffer of its own moves to the worker; anything else is copied.
      state.baseInFlight++;
      send({ type: 'base', chunk }, chunkTransfer(chunk));
    }, () => send({ type: 'end' }), wakeUp);
    try {
      for (;;) {
        reader?.rethrow();
        const error = failure();
        if (error !== null) throw error;
        if (state.baseInFlight < BASE_CHUNKS_IN_FLIGHT && outs.length < OUT_SLOTS) reader?.pull();
        const next = outs.shift();
        if (next !== undefined) {
          adler = adler32Combine(adler, next.adler, next.length);
          yield Buffer.from(outSlots[next.index % OUT_SLOTS], 0, next.length);
          // The store asked for the next chunk: it may still hold this one and the two before.
          send({ type: 'free', below: next.index - 2 });
          continue;
        }
        if (state.last !== null && state.last.type === 'end') break;
        await sleep();
      }
    } finally {
      stopped = true;
      await reader?.close();
    }
    yield encodeTail(adler, trailer);
  }

  let writing: Promise<SnapshotInfo>;
  try {
    writing = store.write(zxid, chunks());
  } catch (err) {
    writing = Promise.reject(err);
  }
  const done = writing.then((info): TakenSnapshot => {
    const last = state.last as MergeMessage;
    const nodeCount = last.type === 'end' ? last.nodeCount : 0;
    const workerMs = last.type === 'end' ? last.workerMs : 0;
    giveBackShared([...builder.sharedBuffers(), ...captured.sharedBuffers(), ...outSlots]);
    return { ...info, nodeCount, trailer, longestSliceMs, mainThreadMs, workerMs, incremental: { changed: list.paths.length } };
  }).finally(async () => {
    stopped = true;
    tree.changes.stopCapture();
    if (state.last === null) send({ type: 'abort' });
    await task;
    port.close();
    arena.endRead(reader);
  });
  return { list, done };
}

/** DataTree.serializeZxidDigest: the last processed zxid's digest, or an empty one (zxid 0). */
export function currentDigest(tree: DataTree): ZxidDigest {
  const last = tree.digestHistory.lastProcessed;
  return last === null ? { zxid: 0, digestVersion: DIGEST_VERSION, digest: 0n } : { ...last };
}
