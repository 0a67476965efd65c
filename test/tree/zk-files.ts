// Test helper: reads the Apache ZooKeeper 3.8 txn logs and snapshots kept in test/tree/fixtures/zk38,
// just enough to feed them to the tree (no checksum verification: that is the storage layer's job).

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JuteReader } from '../../src/jute/reader.js';
import {
  readACLList, readFileHeader, readStatPersisted, readTxn, readTxnDigest, readTxnHeader,
  type ACL, type StatPersisted, type Txn, type TxnDigest, type TxnHeader,
} from '../../src/jute/records.js';

// Compiled tests live in dist/test/tree; the fixtures stay in the source tree.
export const FIXTURE_DIR = fileURLToPath(new URL('../../../test/tree/fixtures/zk38/', import.meta.url));

export interface LogEntry { hdr: TxnHeader; txn: Txn; digest: TxnDigest | null }

const TXN_DIGEST_BYTES = 12;

/** Every entry of every log file, in zxid order. */
export function readAllLogEntries(): LogEntry[] {
  const files = readdirSync(FIXTURE_DIR).filter((f) => f.startsWith('log.')).sort();
  const out: LogEntry[] = [];
  for (const f of files) out.push(...readLogFile(FIXTURE_DIR + f));
  return out;
}

function readLogFile(file: string): LogEntry[] {
  const buf = readFileSync(file);
  const r = new JuteReader(buf);
  const fh = readFileHeader(r);
  if (fh.magic !== 0x5a4b4c47) throw new Error(`${file}: not a txn log`);
  const out: LogEntry[] = [];
  while (r.remaining >= 12) {
    r.readLong(); // Adler32 of the entry
    const len = r.readInt();
    if (len === 0) break;
    const body = buf.subarray(r.offset, r.offset + len);
    r.skip(len);
    if (r.readByte() !== 0x42) throw new Error(`${file}: missing end-of-record byte`);
    const br = new JuteReader(body);
    const hdr = readTxnHeader(br);
    // Every txn but an error txn is followed by its TxnDigest in these logs.
    const hasDigest = hdr.type !== -1;
    const txnEnd = hasDigest ? body.length - TXN_DIGEST_BYTES : body.length;
    const txn = readTxn(new JuteReader(body, br.offset, txnEnd), hdr.type);
    const digest = hasDigest ? readTxnDigest(new JuteReader(body, txnEnd)) : null;
    out.push({ hdr, txn, digest });
  }
  return out;
}

export interface SnapshotNode { path: string; data: Buffer | null; aclRef: bigint; stat: StatPersisted }
export interface Snapshot {
  zxid: number;
  sessions: Array<[bigint, number]>;
  acls: Array<[bigint, ACL[]]>;
  nodes: SnapshotNode[];
  trailer: { zxid: number; digestVersion: number; digest: bigint };
}

/** A snapshot file: header, sessions, ACL map, nodes up to "/", checksum seal, digest trailer. */
export function readSnapshot(name: string): Snapshot {
  const buf = readFileSync(FIXTURE_DIR + name);
  const r = new JuteReader(buf);
  const fh = readFileHeader(r);
  if (fh.magic !== 0x5a4b534e) throw new Error(`${name}: not a snapshot`);
  const sessions: Array<[bigint, number]> = [];
  for (let n = r.readInt(); n > 0; n--) sessions.push([r.readLong(), r.readInt()]);
  const acls: Array<[bigint, ACL[]]> = [];
  for (let n = r.readInt(); n > 0; n--) acls.push([r.readLong(), readACLList(r) ?? []]);
  const nodes: SnapshotNode[] = [];
  for (let path = r.readString(); path !== '/'; path = r.readString()) {
    nodes.push({ path, data: r.readBuffer(), aclRef: r.readLong(), stat: readStatPersisted(r) });
  }
  r.readLong(); // checksum
  r.readString(); // "/"
  const trailer = { zxid: r.readLongNumber(), digestVersion: r.readInt(), digest: r.readLong() };
  return { zxid: Number.parseInt(name.slice('snapshot.'.length), 16), sessions, acls, nodes, trailer };
}

export interface ExpectedNode {
  path: string;
  acl: string[];
  stat: Record<string, string | number>;
  data: null | { b64: string } | { sha256: string; length: number };
}

export function readExpectedNodes(): ExpectedNode[] {
  return (JSON.parse(readFileSync(FIXTURE_DIR + 'znodes.json', 'utf8')) as { nodes: ExpectedNode[] }).nodes;
}
