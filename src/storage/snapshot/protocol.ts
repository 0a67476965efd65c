// What crosses between the main thread and the snapshot worker: encode tasks and their results for
// takeSnapshot; for restoreSnapshot, messages over a MessagePort of their own so that chunks stream
// in and node batches stream out in order.

import type { MessagePort } from 'node:worker_threads';
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
}

/** Main thread → worker. */
export type RestoreRequest =
  | { type: 'chunk'; chunk: Uint8Array }
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
