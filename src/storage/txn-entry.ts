// The layout of a txn entry's payload, and its conversion to and from jute records.
//
// Payload grammar (as ZooKeeper 3.8 logs it, and as the LEADER sends it in PROPOSAL packets):
//   payload   := TxnHeader TxnRecord [TxnDigest]
//   TxnHeader := clientId:long cxid:int zxid:long time:long type:int        (32 bytes, zxid at 12)
//   TxnRecord := the record for `type` (may be empty: closeSession without CloseSessionTxn)
//   TxnDigest := version:int treeDigest:long                                (12 bytes; absent on
//                                                                            error txns and when
//                                                                            digests are disabled)

import { JuteReader } from '../jute/reader.js';
import { JuteWriter } from '../jute/writer.js';
import {
  readTxn, readTxnDigest, readTxnHeader, writeTxn, writeTxnDigest, writeTxnHeader,
  type Txn, type TxnDigest, type TxnHeader,
} from '../jute/records.js';
import { StorageCorruptError, StorageInvalidArgumentError } from './errors.js';
import type { TxnEntry } from './spi.js';

export const TXN_HEADER_BYTES = 32;
const ZXID_OFFSET = 12;
const TXN_DIGEST_BYTES = 12;

/** The zxid inside a payload's TxnHeader, or null when the payload is too short to hold one. */
export function payloadZxid(payload: Uint8Array): number | null {
  if (payload.length < TXN_HEADER_BYTES) return null;
  return zxidInPayloadAt(payload, 0);
}

/** The zxid of the TxnHeader of a payload that starts at `start` of `bytes` (at least TXN_HEADER_BYTES of it). */
export function zxidInPayloadAt(bytes: Uint8Array, start: number): number {
  // Byte by byte: a DataView per call was a visible cost of every append.
  const p = bytes;
  const at = start + ZXID_OFFSET;
  const hi = (p[at] << 24) | (p[at + 1] << 16) | (p[at + 2] << 8) | p[at + 3];
  const lo = p[at + 4] * 0x100_0000 + ((p[at + 5] << 16) | (p[at + 6] << 8) | p[at + 7]);
  return hi * 0x1_0000_0000 + lo;
}

export interface DecodedTxnEntry {
  readonly header: TxnHeader;
  readonly txn: Txn;
  readonly digest: TxnDigest | null;
}

export function encodeTxnEntry(header: TxnHeader, txn: Txn, digest: TxnDigest | null): TxnEntry {
  if (!Number.isSafeInteger(header.zxid) || header.zxid <= 0) {
    throw new StorageInvalidArgumentError(`txn header zxid ${header.zxid} is not a positive integer`);
  }
  const w = new JuteWriter(128);
  writeTxnHeader(w, header);
  writeTxn(w, txn);
  if (digest !== null) writeTxnDigest(w, digest);
  return { zxid: header.zxid, payload: w.toBuffer() };
}

const batchWriter = new JuteWriter(64 * 1024);

/**
 * Encodes a batch of txns into one buffer, each entry's payload a view of it: one allocation per
 * group commit instead of two per txn (the write path's garbage was mostly these).
 */
export function encodeTxnEntries(txns: readonly DecodedTxnEntry[]): TxnEntry[] {
  const w = batchWriter.reset();
  const ends: number[] = new Array(txns.length);
  for (let i = 0; i < txns.length; i++) {
    const { header, txn, digest } = txns[i];
    if (!Number.isSafeInteger(header.zxid) || header.zxid <= 0) {
      throw new StorageInvalidArgumentError(`txn header zxid ${header.zxid} is not a positive integer`);
    }
    writeTxnHeader(w, header);
    writeTxn(w, txn);
    if (digest !== null) writeTxnDigest(w, digest);
    ends[i] = w.length;
  }
  const all = w.toBuffer();
  const out: TxnEntry[] = new Array(txns.length);
  let start = 0;
  for (let i = 0; i < txns.length; i++) {
    out[i] = { zxid: txns[i].header.zxid, payload: all.subarray(start, ends[i]) };
    start = ends[i];
  }
  return out;
}

/** The name a corruption error gives the entry (made only then: replay decodes every txn). */
function sourceOf(entry: TxnEntry, source: string | undefined): string {
  return source ?? `txn 0x${entry.zxid.toString(16)}`;
}

/**
 * Decodes a payload. Assumes ZooKeeper's defaults for the one ambiguous case: a closeSession txn is
 * followed by its CloseSessionTxn (zookeeper.closeSessionTxn.enabled=true). `source` names the
 * entry in corruption errors (a log file name, say).
 */
export function decodeTxnEntry(entry: TxnEntry, source?: string): DecodedTxnEntry {
  const r = new JuteReader(entry.payload);
  try {
    const header = readTxnHeader(r);
    const txn = readTxn(r, header.type);
    let digest: TxnDigest | null = null;
    if (r.remaining >= TXN_DIGEST_BYTES) digest = readTxnDigest(r);
    if (r.remaining !== 0) {
      throw new StorageCorruptError(sourceOf(entry, source), r.offset, `${r.remaining} unexpected bytes after txn type ${header.type}`);
    }
    return { header, txn, digest };
  } catch (err) {
    if (err instanceof StorageCorruptError) throw err;
    throw new StorageCorruptError(sourceOf(entry, source), r.offset, err instanceof Error ? err.message : String(err), { cause: err });
  }
}
