// The txn log file format of Apache ZooKeeper 3.8 (FileTxnLog), byte for byte: the file header,
// the entry framing, and the preallocation rule that decides how far the zero tail reaches.
//
//   LogFile    := FileHeader Entry* Tail
//   FileHeader := magic:int(0x5a4b4c47 "ZKLG") version:int(2) dbid:long(0)        16 bytes
//   Entry      := checksum:long length:int payload:byte[length] eor:byte(0x42 'B')
//   checksum   := Adler-32 of payload, zero-extended to 8 bytes (Java's Adler32.getValue())
//   payload    := TxnHeader TxnRecord [TxnDigest]          (see ../txn-entry.ts; >= 32 bytes)
//   Tail       := zero bytes to end of file (preallocation) | nothing
//
// All integers big-endian (jute). A reader stops at the first entry whose length is 0: that is how
// a preallocated zero tail ends the log. The checksum covers the payload only, not the length or
// the 0x42 (ZooKeeper's own header comment says otherwise; its code and a real 3.8 log agree with
// the grammar above). ZooKeeper never checks `version` or `dbid` when reading; neither do we.
//
// Preallocation (FilePadding): before entries are written at `position`, if position + 4096 >=
// the padded size, the file is extended by one step of preAllocSize (default 64 MiB, zoo.cfg
// `preAllocSize` in KiB); if position already passed the padded size, the new size is position +
// step rounded down to a multiple of step. The extension is a sparse zero tail. So a new log holds
// 16 + k·step bytes until an entry crosses the end (the fixture's logs: 16 + 65536 = 65552 bytes).
// ZooKeeper 3.8.0 took `position` from the channel, which lags behind a BufferedOutputStream by
// whatever it had not flushed yet; later versions (and we) use the position at the last commit.

import { ADLER32_INIT, adler32 } from '../adler32.js';

export const TXNLOG_MAGIC = 0x5a4b4c47;
export const TXNLOG_VERSION = 2;
export const FILE_HEADER_BYTES = 16;
/** checksum(8) + length(4) before the payload. */
export const ENTRY_HEAD_BYTES = 12;
/** checksum, length and the end-of-record byte: what an entry adds to its payload. */
export const ENTRY_OVERHEAD_BYTES = 13;
export const END_OF_RECORD = 0x42;
/** The smallest payload: a TxnHeader (clientId 8, cxid 4, zxid 8, time 8, type 4). */
export const MIN_PAYLOAD_BYTES = 32;
/**
 * Longer entries are read as damage, never allocated. ZooKeeper's bound is jute.maxbuffer (1 MiB
 * by default, configurable); this one only keeps a garbage length from allocating gigabytes.
 */
export const MAX_PAYLOAD_BYTES = 256 << 20;
/** ZooKeeper extends the file once the write position comes this close to the padded end. */
export const PADDING_MARGIN_BYTES = 4096;
/** ZooKeeper's default preAllocSize: 64 MiB. */
export const DEFAULT_PREALLOC_KB = 65536;

export function writeFileHeader(buf: Buffer, offset: number): number {
  buf.writeInt32BE(TXNLOG_MAGIC, offset);
  buf.writeInt32BE(TXNLOG_VERSION, offset + 4);
  buf.writeBigInt64BE(0n, offset + 8);
  return offset + FILE_HEADER_BYTES;
}

/** Writes one entry's framing around a copy of payload at offset; returns the offset after it. */
export function writeEntry(buf: Buffer, offset: number, payload: Uint8Array): number {
  const length = payload.length;
  buf.writeUInt32BE(0, offset);
  buf.writeUInt32BE(adler32(ADLER32_INIT, payload), offset + 4);
  buf.writeInt32BE(length, offset + 8);
  buf.set(payload, offset + ENTRY_HEAD_BYTES);
  buf[offset + ENTRY_HEAD_BYTES + length] = END_OF_RECORD;
  return offset + ENTRY_OVERHEAD_BYTES + length;
}

/**
 * ZooKeeper's FilePadding.calculateFileSizeWithPadding: the padded size after one append at
 * position, given the current padded size. preAllocBytes <= 0 disables padding.
 */
export function paddedFileSize(position: number, paddedSize: number, preAllocBytes: number): number {
  if (preAllocBytes <= 0 || position + PADDING_MARGIN_BYTES < paddedSize) return paddedSize;
  if (position > paddedSize) {
    const grown = position + preAllocBytes;
    return grown - (grown % preAllocBytes);
  }
  return paddedSize + preAllocBytes;
}

/**
 * The padded size after a batch of `appends` entries written from position: ZooKeeper pads once
 * per append, each time with the position of the last commit, so a small step can grow several
 * times in one batch. Stops as soon as a step leaves the size unchanged.
 */
export function paddedFileSizeForBatch(position: number, paddedSize: number, preAllocBytes: number, appends: number): number {
  let size = paddedSize;
  for (let i = 0; i < appends; i++) {
    const next = paddedFileSize(position, size, preAllocBytes);
    if (next === size) break;
    size = next;
  }
  return size;
}
