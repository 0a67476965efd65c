// Builds expected jute bytes by hand, field by field from the .jute definitions, independently of
// JuteWriter, so layout tests compare the codec against something it did not produce itself.

export type Part = Buffer | number[];

export const int = (v: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
export const long = (v: bigint | number): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); return b; };
export const bool = (v: boolean): Buffer => Buffer.from([v ? 1 : 0]);
export const byte = (v: number): Buffer => Buffer.from([v & 0xff]);
/** ustring: int length then UTF-8 bytes; null is length -1. */
export const str = (s: string | null): Buffer => s === null ? int(-1) : Buffer.concat([int(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);
/** buffer: int length then bytes; null is length -1. */
export const buf = (b: Buffer | null): Buffer => b === null ? int(-1) : Buffer.concat([int(b.length), b]);
/** vector: int count then items; null is count -1. */
export const vec = (items: Buffer[] | null): Buffer => items === null ? int(-1) : Buffer.concat([int(items.length), ...items]);
export const cat = (...parts: Part[]): Buffer => Buffer.concat(parts.map((p) => Buffer.isBuffer(p) ? p : Buffer.from(p)));

/** MultiHeader {int type; boolean done; int err}. */
export const multiHeader = (type: number, done: boolean, err: number): Buffer => cat(int(type), bool(done), int(err));
export const MULTI_END = multiHeader(-1, true, -1);

/** world:anyone with all permissions, the usual ACL. */
export const openAcl = (): Buffer => vec([cat(int(31), str('world'), str('anyone'))]);

export interface StatFields {
  czxid: number; mzxid: number; ctime: number; mtime: number; version: number; cversion: number;
  aversion: number; ephemeralOwner: bigint; dataLength: number; numChildren: number; pzxid: number;
}
/** Stat in declaration order: 4 longs, 3 ints, ephemeralOwner long, 2 ints, pzxid long = 68 bytes. */
export const statBytes = (s: StatFields): Buffer => cat(
  long(s.czxid), long(s.mzxid), long(s.ctime), long(s.mtime), int(s.version), int(s.cversion), int(s.aversion),
  long(s.ephemeralOwner), int(s.dataLength), int(s.numChildren), long(s.pzxid),
);

export const sampleStat: StatFields = {
  czxid: 0x100000003, mzxid: 0x100000007, ctime: 1_700_000_000_123, mtime: 1_700_000_000_456,
  version: 3, cversion: -1, aversion: 2, ephemeralOwner: 0x0100000429340000n, dataLength: 5, numChildren: 0,
  pzxid: 0x100000003,
};
