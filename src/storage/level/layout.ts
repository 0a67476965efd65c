// The on-disk layout of the level backend, written down as a grammar, and the key codecs that
// follow it. Everything else reads and writes keys through this module only; it loads nothing
// native, so tools (inspect, migrate) may import it without loading classic-level.
//
//   dataDir/level/db/                  LevelDB ("state" DB): Meta, epochs; and the txn log when
//                                      dataLogDir is dataDir (the default), so one DB holds both
//   dataDir/level/snapshots/           snapshot files, kept by the filelog backend's FileSnapshotStore:
//     snapshot.<zxid hex>              one complete snapshot (appears only by rename)
//     snapshot.<zxid hex>.<r>.tmp      a write under way or cut short by a crash; removed on open
//   dataLogDir/level/db/               when dataLogDir ≠ dataDir only: the "log" DB, Meta and the txn
//                                      log; the state DB then holds no TxnKey, the log DB no EpochKey
//                                      (refused on open, as ZooKeeper refuses snapshots in its log dir)
//
//   DB       := { Key → Value }, keys compared bytewise (LevelDB's default comparator)
//   Key      := MetaKey | TxnKey | EpochKey
//   MetaKey  := 'm' "format"                → "zk-server-level 1"            (ASCII; written first)
//   TxnKey   := 't' zxid:uint64be           → TxnEntry payload, verbatim:    (big-endian, so keys
//                                               TxnHeader ‖ TxnRecord ‖ [TxnDigest]   sort by zxid)
//   EpochKey := 'e' ("currentEpoch" | "acceptedEpoch")
//                                           → epoch as ASCII decimal, as in ZooKeeper's epoch files
//
// Why snapshots are files beside the DB and not chunks inside it (measured on this machine's ext4
// disk: a 256 MiB snapshot while one-at-a-time 100-byte sync appends ran against the same DB):
//   chunks as LevelDB values: 65–69 MiB/s; appends meanwhile p50 11–12 ms, p99 72–75 ms, max 470–
//     485 ms (memtable flushes and level-0 stalls; every byte is written to the WAL and again to
//     tables, and deleting a snapshot needs a compaction to give the space back);
//   a file, fdatasync every 8 MiB: 270–430 MiB/s; appends meanwhile p50 1–4 ms, max 40–60 ms
//     (one fsync at the end instead: max 360–375 ms, the flush of all dirty pages at once).

import type { EpochName } from '../abstract-epoch-store.js';

/** Under dataDir (and dataLogDir): everything of this backend lives in this folder. */
export const LEVEL_DIR = 'level';
export const DB_DIR = 'db';
export const SNAPSHOT_DIR = 'snapshots';

export const FORMAT_VALUE = 'zk-server-level 1';

const META_PREFIX = 0x6d; // 'm'
const TXN_PREFIX = 0x74; // 't'
const EPOCH_PREFIX = 0x65; // 'e'

const TXN_KEY_BYTES = 9;
const TWO_POW_32 = 0x1_0000_0000;

export const FORMAT_KEY = Buffer.concat([Buffer.from([META_PREFIX]), Buffer.from('format', 'latin1')]);

/** The first key of the txn range and the first key after it, for range reads and deletes. */
export const TXN_RANGE_START = Buffer.from([TXN_PREFIX]);
export const TXN_RANGE_END = Buffer.from([TXN_PREFIX + 1]);
export const EPOCH_RANGE_START = Buffer.from([EPOCH_PREFIX]);
export const EPOCH_RANGE_END = Buffer.from([EPOCH_PREFIX + 1]);

export function txnKey(zxid: number): Buffer {
  const key = Buffer.allocUnsafe(TXN_KEY_BYTES);
  key[0] = TXN_PREFIX;
  key.writeUInt32BE(Math.floor(zxid / TWO_POW_32), 1);
  key.writeUInt32BE(zxid % TWO_POW_32, 5);
  return key;
}

/** The zxid of a TxnKey; null for a key that is not one (a corrupt or foreign DB). */
export function txnKeyZxid(key: Uint8Array): number | null {
  if (key.length !== TXN_KEY_BYTES || key[0] !== TXN_PREFIX) return null;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const hi = view.getUint32(1);
  const zxid = hi * TWO_POW_32 + view.getUint32(5);
  return Number.isSafeInteger(zxid) ? zxid : null;
}

export function epochKey(name: EpochName): Buffer {
  return Buffer.concat([Buffer.from([EPOCH_PREFIX]), Buffer.from(name, 'latin1')]);
}

export function encodeEpoch(epoch: number): Buffer {
  return Buffer.from(String(epoch), 'latin1');
}

/** The epoch in a value, or null when the bytes are not a decimal non-negative safe integer. */
export function decodeEpoch(value: Uint8Array): number | null {
  const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  if (!/^\d{1,16}$/.test(text)) return null;
  const epoch = Number(text);
  return Number.isSafeInteger(epoch) ? epoch : null;
}
