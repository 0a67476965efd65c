// What crosses between the main thread and the snapshot worker: encode tasks and their results for
// takeSnapshot; for restoreSnapshot, messages over a MessagePort of their own so that chunks stream
// in and node batches stream out in order.

import type { MessagePort } from 'node:worker_threads';
import { isStorageError, StorageCorruptError } from '../errors.js';
import type { ACL, FileHeader } from '../../jute/records.js';
import type { EncodeBatch, RestoreBatch } from './batch.js';
import type { SnapshotTrailer } from './format.js';

export interface EncodeTask {
  /** Encoded records in shared memory, read in place. */
  batch: EncodeBatch;
}

export interface EncodeResult {
  /** Adler-32 of the batch's bytes alone. */
  adler: number;
  /** Time the worker took, ms. */
  workerMs: number;
}

export interface DecodeTask {
  port: MessagePort;
  /** Named in corruption errors. */
  file: string;
  juteMaxBufferBytes: number;
  batchNodes: number;
  batchBytes: number;
  /** Compute each node's digest and path CRC in the worker (when the tree keeps a digest). */
  digests: boolean;
  /**
   * 'quorum': a SNAP sync stream (no file header or seal; the leader's signature and packets
   * follow the nodes). The worker reports the end of the nodes with the bytes after them
   * ('nodesEnd'), echoes later chunks back as 'rest', and answers 'end' with 'drained'. No 'ack's.
   * Default 'file'.
   */
  framing?: 'file' | 'quorum';
  /**
   * A plain snapshot file (SnapshotStore.plainFile) that the worker reads itself, a chunk per
   * 'read' request, so that the bytes never pass through the main thread. File framing only.
   */
  path?: string;
}

/** Main thread → worker. */
export type RestoreRequest =
  | { type: 'chunk'; chunk: Uint8Array }
  /** With DecodeTask.path: read and parse the file's next chunk ('ack'), or end at its end. */
  | { type: 'read' }
  | { type: 'end' }
  | { type: 'abort' };

/** Worker → main thread; exactly one of end, corrupt, failed, aborted comes last. */
export type RestoreMessage =
  | { type: 'head'; header: FileHeader; sessions: Map<bigint, number>; acls: Array<[bigint, ACL[]]> }
  | { type: 'nodes'; batch: RestoreBatch }
  /** One per chunk, once it is parsed: the main thread keeps only a few chunks in flight. */
  | { type: 'ack' }
  | { type: 'end'; trailer: SnapshotTrailer; nodeCount: number; bytes: number }
  /** Quorum framing: the nodes are complete; `leftover` is what followed them in the chunks so far. */
  | { type: 'nodesEnd'; leftover: Uint8Array; nodeCount: number; bytes: number }
  /** Quorum framing: a chunk pushed after the nodes ended, given back in order. */
  | { type: 'rest'; chunk: Uint8Array }
  /** Quorum framing: the answer to 'end' once the nodes ended; every 'rest' came before it. */
  | { type: 'drained' }
  | { type: 'corrupt'; offset: number; reason: string }
  | { type: 'failed'; message: string }
  | { type: 'aborted' };

/** An incremental snapshot's merge (merge.ts): messages over the task's own port. */
export interface MergeTask {
  port: MessagePort;
  /** The previous snapshot, named in corruption errors. */
  file: string;
  juteMaxBufferBytes: number;
  /** Shared buffers, all one size, that merged chunks are handed over in (see 'out' and 'free'). */
  outSlots: SharedArrayBuffer[];
}

/**
 * Main thread → merge worker: every changed record ('changes', 'captured') and deleted path comes
 * before the first chunk of the previous snapshot ('base'); 'end' follows its last chunk.
 */
export type MergeRequest =
  /** Records of changed nodes in a shared slot, values left to the worker; answered by 'changesAck'. */
  | { type: 'changes'; batch: EncodeBatch }
  /** Records of changed nodes, values included, in memory of their own. */
  | { type: 'captured'; bytes: Uint8Array }
  | { type: 'deleted'; paths: string[] }
  /** The previous snapshot's next bytes; answered by 'baseAck' once merged. */
  | { type: 'base'; chunk: Uint8Array }
  /** Instead of 'base' chunks and 'end': read the previous snapshot from this file, to its end. */
  | { type: 'baseFile'; path: string }
  | { type: 'end' }
  /** The store is done with every merged chunk whose index is below `below`: their slots are free. */
  | { type: 'free'; below: number }
  | { type: 'abort' };

/** Merge worker → main thread; exactly one of end, corrupt, failed, aborted comes last. */
export type MergeMessage =
  | { type: 'changesAck' }
  | { type: 'baseAck' }
  /** Merged chunk `index` is in slot index % slots, `length` bytes, with their Adler-32 from scratch. */
  | { type: 'out'; index: number; length: number; adler: number }
  /** workerMs: the worker's time on this merge. */
  | { type: 'end'; nodeCount: number; workerMs: number }
  | { type: 'corrupt'; offset: number; reason: string }
  | { type: 'failed'; message: string }
  | { type: 'aborted' };

/**
 * How a worker task reports what stopped it: corruption as data (its offset and reason), since an
 * error loses its class and fields when it crosses threads; anything else as its stack.
 */
export function failureMessage(err: unknown): { type: 'corrupt'; offset: number; reason: string } | { type: 'failed'; message: string } {
  if (isStorageError(err, 'ERR_STORAGE_CORRUPT') && err instanceof StorageCorruptError) {
    const prefix = `${err.file} is corrupt at offset ${err.offset}: `;
    const reason = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return { type: 'corrupt', offset: err.offset, reason };
  }
  return { type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) };
}
