// Checksums on the write path: CRC32 (the tree digest) from the `crc-32` package against Node's
// zlib.crc32, and the Adler-32 the txn log puts before every entry (the storage layer's own).

import zlib from 'node:zlib';
import CRC32 from 'crc-32';
import { ADLER32_INIT, adler32 } from '../../src/storage/adler32.js';
import { consume, type MicroCase, type MicroSuite } from './suite.js';

export async function checksumSuite(): Promise<MicroSuite> {
  const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  const cases: MicroCase[] = [];
  const notes: string[] = [];
  for (const size of [100, 1024, 64 * 1024]) {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
    const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    cases.push({ name: `crc-32 package, ${label}`, fn: () => consume(CRC32.buf(bytes)) });
    if (zlibCrc32) cases.push({ name: `zlib.crc32, ${label}`, fn: () => consume(zlibCrc32(bytes)) });
    cases.push({ name: `adler32 (src/storage/adler32.ts), ${label}`, fn: () => consume(adler32(ADLER32_INIT, bytes)) });
  }
  if (!zlibCrc32) notes.push(`zlib.crc32 absent in Node ${process.version}`);
  return { name: 'checksums', cases, skipped: notes.length > 0 ? notes.join('; ') : undefined };
}
