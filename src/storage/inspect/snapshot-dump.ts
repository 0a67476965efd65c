// A snapshot as text the way Apache ZooKeeper's SnapshotFormatter prints it (`zkSnapShotToolkit.sh
// -d`), and as JSON, streamed: nodes are never held in memory, so a snapshot of millions of nodes
// dumps in constant space. Two passes over the bytes, because the node count comes first.
//
// Facts from ZooKeeper 3.8's SnapshotFormatter: "ZNode Details (count=N):" where N is
// DataTree.getNodeCount() (the root is in its map twice, so nodes + 1); per node "----", the path
// ("/" for the root), the stat with zxids as %#016x and times as java.util.Date.toString, then
// "  data = <base64>"; "----"; "Session Details (sid, timeout, ephemeralCount):" with one
// "%#016x, %d, %d" line per session in java.util.HashMap order; "----" and "Last zxid: 0x<hex>" =
// max(zxid in the file name, every node's mzxid and pzxid). (Its "Target zxid digest is" line never
// shows: SnapshotFormatter does not read the digest trailer; the JSON output has it.) Nodes come in
// file order, which is the order SnapshotFormatter walks the tree in (depth first, children in the
// order of the same child sets the snapshot was written from).

import type { SnapshotHead, SnapshotTrailer } from '../snapshot/format.js';
import { readRawStat, SnapshotDecoder, type RawNodeRecord } from '../snapshot/decoder.js';
import { formatJavaDate, javaHex, type JsonValue } from './txn-format.js';

/** Chunks of one snapshot, as many times as asked (each call reads it again). */
export type SnapshotBytes = () => AsyncIterable<Uint8Array>;

export interface SnapshotSummary {
  readonly file: string;
  /** Node records in the file (the root included). */
  readonly nodes: number;
  /** SnapshotFormatter's count: nodes + 1. */
  readonly nodeCount: number;
  readonly sessions: ReadonlyArray<{ readonly sessionId: bigint; readonly timeoutMs: number; readonly ephemerals: number }>;
  readonly aclLists: number;
  readonly trailer: SnapshotTrailer;
  /** max(mzxid, pzxid) over every node. */
  readonly highestZxid: number;
  readonly dataBytes: number;
  readonly sizeBytes: number;
}

const TWO_32 = 0x1_0000_0000;
const readLong = (buf: Buffer, at: number): number => buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);

/** Pass one: decodes (verifying every seal) and counts. Throws StorageCorruptError naming file and offset. */
export async function summarizeSnapshot(bytes: SnapshotBytes, file: string): Promise<SnapshotSummary> {
  let head: SnapshotHead | null = null;
  let nodes = 0;
  let highestZxid = 0;
  let dataBytes = 0;
  const ephemerals = new Map<bigint, number>();
  const decoder = new SnapshotDecoder({
    head: (h) => { head = { header: h.header, sessions: new Map(h.sessions), acls: [...h.acls] }; },
    node: (buf, rec) => {
      nodes++;
      const s = rec.fixedStart + 8;
      highestZxid = Math.max(highestZxid, readLong(buf, s + 8), readLong(buf, s + 52));
      if (rec.dataLength > 0) dataBytes += rec.dataLength;
      const owner = buf.readBigInt64BE(s + 44);
      if (owner !== 0n) ephemerals.set(owner, (ephemerals.get(owner) ?? 0) + 1);
    },
  }, { file });
  let sizeBytes = 0;
  for await (const chunk of bytes()) {
    sizeBytes += chunk.length;
    decoder.push(chunk);
  }
  const trailer = decoder.end();
  const h = head as SnapshotHead | null;
  const sessions = h === null ? [] : javaHashMapOrder([...h.sessions.keys()]).map((sessionId) => ({
    sessionId, timeoutMs: h.sessions.get(sessionId) as number, ephemerals: ephemerals.get(sessionId) ?? 0,
  }));
  return {
    file, nodes, nodeCount: nodes + 1, sessions, aclLists: h?.acls.length ?? 0, trailer, highestZxid, dataBytes, sizeBytes,
  };
}

/**
 * The iteration order of a java.util.HashMap<Long, …> filled with `keys` in this order: by bucket
 * (Long.hashCode spread as HashMap.hash does, masked by the final table size), then insertion order.
 */
export function javaHashMapOrder(keys: readonly bigint[]): bigint[] {
  let capacity = 16;
  while (keys.length > capacity * 0.75) capacity *= 2;
  const bucket = (k: bigint): number => {
    const u = BigInt.asUintN(64, k);
    const h = Number(BigInt.asIntN(32, (u ^ (u >> 32n)) & 0xffffffffn)) | 0;
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return keys.map((k, i) => ({ k, b: bucket(k), i })).sort((x, y) => x.b - y.b || x.i - y.i).map((x) => x.k);
}

/** %#016x: "0x" and at least 14 hex digits. */
export function javaHex016(n: number | bigint): string {
  return `0x${javaHex(n).padStart(14, '0')}`;
}

function nodeText(buf: Buffer, rec: Readonly<RawNodeRecord>): string {
  const path = rec.pathEnd === rec.pathStart ? '/' : buf.toString('utf8', rec.pathStart, rec.pathEnd);
  const s = readRawStat(buf, rec);
  const data = rec.dataLength > 0 ? buf.toString('base64', rec.dataStart, rec.dataStart + rec.dataLength) : '';
  return `----\n${path}\n`
    + `  cZxid = ${javaHex016(s.czxid)}\n  ctime = ${formatJavaDate(s.ctime)}\n`
    + `  mZxid = ${javaHex016(s.mzxid)}\n  mtime = ${formatJavaDate(s.mtime)}\n`
    + `  pZxid = ${javaHex016(s.pzxid)}\n  cversion = ${s.cversion}\n  dataVersion = ${s.version}\n`
    + `  aclVersion = ${s.aversion}\n  ephemeralOwner = ${javaHex016(s.ephemeralOwner)}\n  data = ${data}\n`;
}

/** Flushes text in pieces of about this size, so output keeps up without a write per node. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Pass two: the SnapshotFormatter -d text. `fileZxid` is the zxid in the file name (null when the
 * name has none). `write` is awaited, so a slow reader of the output holds the decoder back.
 */
export async function writeSnapshotText(
  bytes: SnapshotBytes, summary: SnapshotSummary, fileZxid: number | null, write: (text: string) => Promise<void>,
): Promise<void> {
  let pending: string[] = [];
  let pendingBytes = 0;
  const decoder = new SnapshotDecoder({
    head: () => {},
    node: (buf, rec) => {
      const text = nodeText(buf, rec);
      pending.push(text);
      pendingBytes += text.length;
    },
  }, { file: summary.file });
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    pendingBytes = 0;
    await write(text);
  };
  await write(`ZNode Details (count=${summary.nodeCount}):\n`);
  for await (const chunk of bytes()) {
    decoder.push(chunk);
    if (pendingBytes >= FLUSH_BYTES) await flush();
  }
  decoder.end();
  await flush();
  let tail = '----\nSession Details (sid, timeout, ephemeralCount):\n';
  for (const s of summary.sessions) tail += `${javaHex016(s.sessionId)}, ${s.timeoutMs}, ${s.ephemerals}\n`;
  tail += `----\nLast zxid: 0x${javaHex(Math.max(fileZxid ?? 0, summary.highestZxid))}\n`;
  await write(tail);
}

/** The summary as JSON (without the nodes). */
export function snapshotSummaryJson(summary: SnapshotSummary, fileZxid: number | null): { [key: string]: JsonValue } {
  const d = summary.trailer.digest;
  return {
    file: summary.file,
    zxid: fileZxid === null ? null : `0x${javaHex(fileZxid)}`,
    sizeBytes: summary.sizeBytes,
    nodes: summary.nodes,
    nodeCount: summary.nodeCount,
    dataBytes: summary.dataBytes,
    aclLists: summary.aclLists,
    highestZxid: `0x${javaHex(summary.highestZxid)}`,
    sessions: summary.sessions.map((s) => ({ sessionId: `0x${javaHex(s.sessionId)}`, timeoutMs: s.timeoutMs, ephemerals: s.ephemerals })),
    digest: d === null ? null : { zxid: `0x${javaHex(d.zxid)}`, digestVersion: d.digestVersion, digest: `0x${javaHex(d.digest)}` },
    lastProcessedZxid: summary.trailer.lastProcessedZxid === null ? null : `0x${javaHex(summary.trailer.lastProcessedZxid)}`,
  };
}

function nodeJson(buf: Buffer, rec: Readonly<RawNodeRecord>): string {
  const s = readRawStat(buf, rec);
  const node: { [key: string]: JsonValue } = {
    path: rec.pathEnd === rec.pathStart ? '/' : buf.toString('utf8', rec.pathStart, rec.pathEnd),
    data: rec.dataLength < 0 ? null : buf.toString('base64', rec.dataStart, rec.dataStart + rec.dataLength),
    aclRef: buf.readBigInt64BE(rec.fixedStart).toString(),
    czxid: `0x${javaHex(s.czxid)}`, mzxid: `0x${javaHex(s.mzxid)}`, pzxid: `0x${javaHex(s.pzxid)}`,
    ctime: s.ctime, mtime: s.mtime, version: s.version, cversion: s.cversion, aversion: s.aversion,
    ephemeralOwner: `0x${javaHex(s.ephemeralOwner)}`,
  };
  return JSON.stringify(node);
}

/**
 * One JSON document: the summary's fields plus "acls" (aclRef → list) and "nodes" (file order),
 * written as the nodes are decoded.
 */
export async function writeSnapshotJson(
  bytes: SnapshotBytes, summary: SnapshotSummary, fileZxid: number | null, write: (text: string) => Promise<void>,
): Promise<void> {
  const head = JSON.stringify(snapshotSummaryJson(summary, fileZxid));
  let pending: string[] = [];
  let pendingBytes = 0;
  let first = true;
  let acls = '';
  const decoder = new SnapshotDecoder({
    head: (h) => {
      acls = JSON.stringify(Object.fromEntries(h.acls.map(([ref, list]) => [
        ref.toString(), list.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id })),
      ])));
    },
    node: (buf, rec) => {
      const text = (first ? '' : ',\n') + nodeJson(buf, rec);
      first = false;
      pending.push(text);
      pendingBytes += text.length;
    },
  }, { file: summary.file });
  let wroteHead = false;
  const flush = async (): Promise<void> => {
    let text = pending.join('');
    pending = [];
    pendingBytes = 0;
    if (!wroteHead && acls !== '') {
      text = `${head.slice(0, -1)},"acls":${acls},"nodes":[\n${text}`;
      wroteHead = true;
    }
    if (text !== '') await write(text);
  };
  for await (const chunk of bytes()) {
    decoder.push(chunk);
    if (pendingBytes >= FLUSH_BYTES) await flush();
  }
  decoder.end();
  await flush();
  await write('\n]}\n');
}
