// The snapshot file format of Apache ZooKeeper 3.8 (`snapshot.<zxid hex>`), as FileSnap, SnapStream,
// SerializeUtils and DataTree write it: the grammar below, constants, and the pure encoder.
//
// Grammar (jute, big-endian; string = int length ‖ UTF-8, -1 = null; buffer = int length ‖ bytes):
//
//   snapshot     = fileHeader sessions aclMap node* endOfNodes seal [zxidDigest seal [lastZxid seal]]
//   fileHeader   = magic:int ("ZKSN" = 0x5a4b534e) version:int (2) dbid:long (-1)
//   sessions     = count:int { sessionId:long timeoutMs:int }      (Java HashMap order)
//   aclMap       = count:int { aclRef:long acls:vector<acl> }       (Java HashMap order; -1 means
//                                                                    world:anyone:cdrwa and is never stored)
//   acl          = perms:int scheme:string id:string
//   node         = path:string data:buffer aclRef:long statPersisted
//                  depth first from the root, whose path is "" (DataTree.serializeNode); each node
//                  before its children, children in the order of the parent's child set
//   statPersisted= czxid:long mzxid:long ctime:long mtime:long version:int cversion:int aversion:int
//                  ephemeralOwner:long pzxid:long                   (60 bytes; cversion counts creates)
//   endOfNodes   = path:string = "/"                                (00 00 00 01 2F)
//   seal         = checksum:long path:string = "/"
//                  checksum: java.util.zip.Adler32 of every byte of the stream before this seal
//                  (earlier seals included), in the low 32 bits of the long
//   zxidDigest   = zxid:long digestVersion:int digest:long          (digestVersion < 2: digest:string,
//                  hex). Written only when digests are enabled (3.6+ default); zxid 0 = none known.
//   lastZxid     = lastProcessedZxid:long                           (3.9+, zookeeper.serializeLast-
//                  ProcessedZxid.enabled; 3.8 stops reading before it)
//
// Verified against the 3.8.0 fixtures: snapshot.0 ends `…00 00 00 01 2F | 00000000 d8946a0c 00000001 2F |
// 0 (zxid) 2 (version) 0 (digest) | 00000000 be036c20 00000001 2F`. The same body without the file
// header and without any seal or trailer is what a leader streams to a learner for SNAP sync
// (ZKDatabase.serializeSnapshot, followed there by the string "BenWasHere"): framing 'quorum'.

import type { ACL, FileHeader, StatPersisted } from '../../jute/records.js';
import { writeACL, writeFileHeader } from '../../jute/records.js';
import { JuteWriter } from '../../jute/writer.js';
import type { ZxidDigest } from '../../tree/digest-log.js';
import { ADLER32_INIT, adler32 } from '../adler32.js';

export const SNAP_MAGIC = 0x5a4b534e;
export const SNAP_VERSION = 2;
/** FileSnap.dbId: never anything but -1. */
export const SNAP_DBID = -1n;
export const SNAPSHOT_FILE_PREFIX = 'snapshot.';
/** Chunks the encoders emit are about this big (a chunk ends at the first node that crosses it). */
export const SNAPSHOT_CHUNK_BYTES = 128 * 1024;
/** jute.maxbuffer's default: BinaryInputArchive refuses lengths above maxbuffer + extrasize (= maxbuffer). */
export const JUTE_MAX_BUFFER_BYTES = 0xfffff;
/** aclRef (8) + StatPersisted (60). */
export const NODE_FIXED_BYTES = 68;
export const SEAL_BYTES = 13;

/** 'file': a snapshot file. 'quorum': the SNAP sync body (no header, no seals, no trailer). */
export type SnapshotFraming = 'file' | 'quorum';

export interface SnapshotNode {
  /** "" for the root. */
  readonly path: string;
  readonly data: Buffer | null;
  readonly aclRef: bigint;
  readonly stat: StatPersisted;
}

export interface SnapshotHead {
  readonly header: FileHeader;
  /** sessionId → timeout (ms), in file order. */
  readonly sessions: ReadonlyMap<bigint, number>;
  /** aclRef → ACL list, in file order. */
  readonly acls: ReadonlyArray<readonly [bigint, readonly ACL[]]>;
}

export interface SnapshotTrailer {
  /** null: no digest section (digests disabled, or a pre-3.6 snapshot). */
  readonly digest: ZxidDigest | null;
  /** The 3.9+ lastProcessedZxid section, or null when absent. */
  readonly lastProcessedZxid: number | null;
}

export interface SnapshotContent extends SnapshotHead, SnapshotTrailer {
  readonly nodes: Iterable<SnapshotNode>;
}

export function snapshotFileName(zxid: number): string {
  return SNAPSHOT_FILE_PREFIX + zxid.toString(16);
}

export function defaultFileHeader(): FileHeader {
  return { magic: SNAP_MAGIC, version: SNAP_VERSION, dbid: SNAP_DBID };
}

/** The largest string or buffer length ZooKeeper reads with the given jute.maxbuffer. */
export function maxJuteLength(juteMaxBufferBytes = JUTE_MAX_BUFFER_BYTES): number {
  return juteMaxBufferBytes + Math.max(juteMaxBufferBytes, 1024);
}

// ---------------------------------------------------------------- encoding pieces

/** fileHeader (for 'file'), sessions and aclMap. */
export function writeHead(w: JuteWriter, head: SnapshotHead, framing: SnapshotFraming = 'file'): void {
  if (framing === 'file') writeFileHeader(w, head.header);
  w.writeInt(head.sessions.size);
  for (const [sessionId, timeoutMs] of head.sessions) w.writeLong(sessionId).writeInt(timeoutMs);
  w.writeInt(head.acls.length);
  for (const [ref, acls] of head.acls) {
    w.writeLong(ref);
    w.writeVector(acls, writeACL);
  }
}

export function encodeHead(head: SnapshotHead, framing: SnapshotFraming = 'file'): Buffer {
  const w = new JuteWriter(4096);
  writeHead(w, head, framing);
  return w.toBuffer();
}

export function writeNode(w: JuteWriter, node: SnapshotNode): void {
  const s = node.stat;
  w.writeUString(node.path).writeBuffer(node.data).writeLong(node.aclRef)
    .writeLongNumber(s.czxid).writeLongNumber(s.mzxid).writeLongNumber(s.ctime).writeLongNumber(s.mtime)
    .writeInt(s.version).writeInt(s.cversion).writeInt(s.aversion)
    .writeLong(s.ephemeralOwner).writeLongNumber(s.pzxid);
}

/**
 * Everything after the last node: the end marker, then (for 'file') the seal, the trailer sections
 * present in `trailer`, each followed by its own seal. `adlerBefore` is the Adler-32 of every byte
 * before the tail.
 */
export function encodeTail(adlerBefore: number, trailer: SnapshotTrailer, framing: SnapshotFraming = 'file'): Buffer {
  const w = new JuteWriter(128);
  w.writeUString('/');
  if (framing === 'quorum') return w.toBuffer();
  let adler = adlerBefore;
  let checkedTo = 0;
  const seal = (): void => {
    // The seal covers everything before it, earlier seals included (they went through the same
    // CheckedOutputStream), so checkedTo stays before the seal we are about to write.
    adler = adler32(adler, w.view(), checkedTo, w.length);
    checkedTo = w.length;
    w.writeLongNumber(adler).writeUString('/');
  };
  seal();
  if (trailer.digest !== null) {
    const d = trailer.digest;
    w.writeLongNumber(d.zxid).writeInt(d.digestVersion);
    // Before version 2 the digest was a hex string (read back with Long.parseLong(d, 16)).
    if (d.digestVersion < 2) w.writeUString(BigInt.asUintN(64, d.digest).toString(16));
    else w.writeLong(d.digest);
    seal();
  }
  if (trailer.lastProcessedZxid !== null) {
    w.writeLongNumber(trailer.lastProcessedZxid);
    seal();
  }
  return w.toBuffer();
}

/**
 * Encodes a whole snapshot on the calling thread, in chunks of about `chunkBytes`. Sessions, ACLs
 * and nodes are written in the order given, so decoding a file and encoding the result gives the
 * file back byte for byte. (The server's fuzzy snapshots go through takeSnapshot instead.)
 */
export function* encodeSnapshot(
  content: SnapshotContent, opts: { chunkBytes?: number; framing?: SnapshotFraming } = {},
): Generator<Buffer, void, undefined> {
  const chunkBytes = opts.chunkBytes ?? SNAPSHOT_CHUNK_BYTES;
  const framing = opts.framing ?? 'file';
  const w = new JuteWriter(chunkBytes + 4096);
  let adler = ADLER32_INIT;
  const flush = (): Buffer => {
    const chunk = w.toBuffer();
    adler = adler32(adler, chunk);
    w.reset();
    return chunk;
  };
  writeHead(w, content, framing);
  if (w.length >= chunkBytes) yield flush();
  for (const node of content.nodes) {
    writeNode(w, node);
    if (w.length >= chunkBytes) yield flush();
  }
  if (w.length > 0) yield flush();
  yield encodeTail(adler, content, framing);
}
