// The snapshot worker (run by piscina, see pool.ts): completes and checksums the node batches the
// main thread encoded for takeSnapshot (copying in the values it left, from the tree's shared
// arena slabs), and parses and verifies a whole snapshot for restoreSnapshot, streaming node
// batches back over a MessagePort. It never touches the tree's objects: only bytes, numbers and
// shared memory cross the thread line.

import { isMainThread, type MessagePort } from 'node:worker_threads';
import { checksumBatch, fillValues, RestoreBatchBuilder } from './batch.js';
import { lowerThisThreadPriority } from './background-priority.js';
import { SnapshotDecoder } from './decoder.js';
import { SnapshotFileReader } from '../filelog/snapshot-file-io.js';
import type { SnapshotHead, SnapshotTrailer } from './format.js';
import { failureMessage, type DecodeTask, type EncodeResult, type EncodeTask, type RestoreMessage, type RestoreRequest } from './protocol.js';

export { mergeStream } from './merge.js';

/** The end-of-nodes marker of a snapshot body: an empty path record ("/" with length 1). */
const END_OF_NODES_BYTES = 5;

// Loaded once per pool thread (whichever task comes first): from then on the thread runs in the
// background. An inline pool (pool.ts) loads it on the main thread, which keeps its priority.
if (!isMainThread) lowerThisThreadPriority();

export function encodeNodes(task: EncodeTask): EncodeResult {
  const started = performance.now();
  fillValues(task.batch);
  const adler = checksumBatch(task.batch);
  return { adler, workerMs: performance.now() - started };
}

/**
 * Resolves once the stream is fully decoded (or failed); results go over `task.port` only, so the
 * main thread sees them in order. Corruption is sent as data: errors lose their class and fields
 * when they cross threads.
 */
export function decodeStream(task: DecodeTask): Promise<void> {
  const port: MessagePort = task.port;
  const post = (msg: RestoreMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  const batches = new RestoreBatchBuilder(task.batchNodes, task.batchBytes, task.digests);
  const flush = (): void => {
    if (batches.size === 0) return;
    const batch = batches.take();
    post({ type: 'nodes', batch }, [batch.meta.buffer as ArrayBuffer, batch.data.buffer as ArrayBuffer]);
  };
  const quorum = task.framing === 'quorum';
  // Quorum framing: the decoder passes the end-of-nodes marker (5 bytes) without reporting it, so
  // the nodes have ended exactly when it stands that far past the last item it reported.
  let sawHead = false;
  let parsedTo = 0;
  let nodesEnded = false;
  const decoder = new SnapshotDecoder({
    head: (head: SnapshotHead) => {
      post({ type: 'head', header: head.header, sessions: new Map(head.sessions), acls: head.acls.map(([k, v]) => [k, [...v]]) });
      sawHead = true;
      parsedTo = decoder.offset;
    },
    node: (buf, rec) => {
      if (!batches.fits(rec)) flush();
      batches.add(buf, rec);
      parsedTo = decoder.offset;
    },
  }, {
    file: task.file, juteMaxBufferBytes: task.juteMaxBufferBytes,
    // A file's chunks are parsed from two buffers of the decoder's own: a fresh concatenation per
    // 1 MiB chunk was ~10% of this thread in a million-node restore (new memory, faulted in page
    // by page). Safe here because batches.add copies all it keeps from each record.
    ...(quorum ? { framing: 'quorum' as const } : { ownBuffers: true }),
  });
  const onQuorumChunk = (chunk: Uint8Array): void => {
    if (nodesEnded) {
      post({ type: 'rest', chunk });
      return;
    }
    decoder.push(chunk);
    if (sawHead && decoder.offset === parsedTo + END_OF_NODES_BYTES) {
      decoder.end();
      flush();
      nodesEnded = true;
      const leftover = decoder.leftover();
      post({ type: 'nodesEnd', leftover, nodeCount: decoder.nodesDecoded, bytes: decoder.offset });
    } else if (batches.size >= task.batchNodes) {
      flush();
    }
  };

  // With task.path this thread reads the file itself, one chunk per 'read', in the order asked.
  let file: Promise<SnapshotFileReader> | null = null;
  let reads: Promise<void> = Promise.resolve();
  let finished = false;

  return new Promise<void>((resolve) => {
    const finish = (msg: RestoreMessage): void => {
      if (finished) return;
      finished = true;
      post(msg);
      port.off('message', onMessage);
      port.close();
      const opened = file;
      if (opened === null) {
        resolve();
        return;
      }
      // Closed once no read is under way (the one that ended it, say).
      void reads.then(() => opened).then((f) => f.close()).catch(() => {}).finally(resolve);
    };
    const end = (): void => {
      const trailer: SnapshotTrailer = decoder.end();
      flush();
      finish({ type: 'end', trailer, nodeCount: decoder.nodesDecoded, bytes: decoder.offset });
    };
    /** Parses a file chunk and acknowledges it; `reused`: its memory is not ours to keep. */
    const parse = (chunk: Uint8Array, reused: boolean): void => {
      decoder.push(chunk);
      if (reused && decoder.holdsInput) decoder.detachInput();
      if (batches.size >= task.batchNodes) flush();
      post({ type: 'ack' });
    };
    const readNext = async (): Promise<void> => {
      if (finished) return;
      file ??= SnapshotFileReader.open(task.path as string);
      const chunk = await (await file).next();
      if (finished) return;
      if (chunk === null) {
        end();
        return;
      }
      // The reader reuses the chunk's memory for the read after next.
      parse(chunk, true);
    };
    const onMessage = (msg: RestoreRequest): void => {
      try {
        if (msg.type === 'read' && task.path !== undefined && !quorum) {
          reads = reads.then(readNext).catch((err: unknown) => finish(failureMessage(err)));
        } else if (msg.type === 'chunk' && quorum) {
          onQuorumChunk(msg.chunk);
        } else if (msg.type === 'end' && quorum && nodesEnded) {
          finish({ type: 'drained' });
        } else if (msg.type === 'chunk') {
          parse(msg.chunk, false);
        } else if (msg.type === 'end') {
          end();
        } else if (msg.type === 'read') {
          throw new Error('a read request, but the task names no file to read');
        } else {
          finish({ type: 'aborted' });
        }
      } catch (err) {
        finish(failureMessage(err));
      }
    };
    port.on('message', onMessage);
  });
}
