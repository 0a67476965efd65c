// Test helper for the snapshot tests: the Apache ZooKeeper 3.8 snapshot fixtures, readers for the
// two listings made from them (SnapshotFormatter -d, a client's znodes.json), and small tree builders.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { ACL, StatPersisted, Txn, TxnHeader } from '../../src/jute/records.js';
import { Perm } from '../../src/protocol/constants.js';
import { openMemoryStorage, type StorageBackend } from '../../src/storage/index.js';
import { DataTree, OPEN_ACL_UNSAFE } from '../../src/tree/index.js';

// Compiled tests run from dist/test/storage; the fixtures stay in the source tree.
export const DATADIR_FIXTURE_DIR = fileURLToPath(new URL('../../../test/fixtures/zk38-datadir/version-2/', import.meta.url));
export const LISTING_FIXTURE_DIR = fileURLToPath(new URL('../../../test/storage/snapshot-fixtures/zk38/', import.meta.url));
const COMPRESSED_FIXTURE = fileURLToPath(new URL('../../../test/fixtures/zk38-compressed/snapshot.10000011b.gz', import.meta.url));

/** Every snapshot of the fixture data directory: file name → zxid. */
export const FIXTURE_SNAPSHOTS: ReadonlyArray<readonly [string, number]> = [
  ['snapshot.0', 0],
  ['snapshot.100000036', 0x100000036],
  ['snapshot.100000085', 0x100000085],
  ['snapshot.1000000df', 0x1000000df],
  ['snapshot.100000114', 0x100000114],
];
export const NEWEST_SNAPSHOT = 'snapshot.100000114';
export const NEWEST_ZXID = 0x100000114;

export function readFixture(name: string): Buffer {
  return readFileSync(DATADIR_FIXTURE_DIR + name);
}

/**
 * The snapshot ZooKeeper wrote at start-up on a copy of the data directory (gzip-compressed, which
 * is the store's business): the tree of znodes.json at zxid 0x10000011b, with one open session.
 */
export const SHUTDOWN_ZXID = 0x10000011b;
export function readShutdownSnapshot(): Buffer {
  return gunzipSync(readFileSync(COMPRESSED_FIXTURE));
}

export function readSnapshotDumpText(): string {
  return readFileSync(LISTING_FIXTURE_DIR + 'snapshot.100000114.dump.txt', 'utf8');
}

/** Splits bytes into chunks of `size` (the last one shorter), as views. */
export function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A memory backend holding `bytes` as the snapshot at `zxid`, in chunks of `chunkSize`. */
export async function storeWith(bytes: Buffer, zxid: number, chunkSize = 4096): Promise<StorageBackend> {
  const backend = await openMemoryStorage();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield* chunksOf(bytes, chunkSize);
  }
  await backend.snapshots.write(zxid, chunks());
  return backend;
}

// ---------------------------------------------------------------- znodes.json

export interface JsonZnode {
  path: string;
  data_null: boolean;
  data_b64: string;
  /** "scheme:id:perms", perms as letters in cdrwa order. */
  acl: string[];
  stat: {
    czxid: string; mzxid: string; pzxid: string; ctime: number; mtime: number;
    version: number; cversion: number; aversion: number; ephemeralOwner: string;
    dataLength: number; numChildren: number;
  };
}

export function readZnodesJson(): Map<string, JsonZnode> {
  const parsed = JSON.parse(readFileSync(LISTING_FIXTURE_DIR + 'znodes.json', 'utf8')) as { nodes: JsonZnode[] };
  return new Map(parsed.nodes.map((n) => [n.path, n]));
}

/** Nodes that log.100000116 (after the newest snapshot) created or changed. */
export const CHANGED_AFTER_NEWEST = new Set(['/app', '/app/eph', '/app/eph-seq-0000000012']);

export function permLetters(perms: number): string {
  return (perms & Perm.CREATE ? 'c' : '') + (perms & Perm.DELETE ? 'd' : '') + (perms & Perm.READ ? 'r' : '')
    + (perms & Perm.WRITE ? 'w' : '') + (perms & Perm.ADMIN ? 'a' : '');
}

export function aclStrings(acls: readonly ACL[]): string[] {
  return acls.map((a) => `${a.id.scheme}:${a.id.id}:${permLetters(a.perms)}`);
}

export const hex = (v: number | bigint): string => '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);

// ---------------------------------------------------------------- SnapshotFormatter -d output

export interface DumpNode {
  path: string;
  /** The "  key = value" lines as printed, e.g. cZxid → "0x00000100000002". */
  fields: Map<string, string>;
}

export interface SnapshotDump {
  count: number;
  nodes: Map<string, DumpNode>;
  /** "sid, timeout, ephemeralCount" lines. */
  sessions: string[];
  lastZxid: string;
}

export function parseSnapshotDump(text: string): SnapshotDump {
  const lines = text.split('\n');
  const count = Number(/ZNode Details \(count=(\d+)\):/.exec(lines[0])?.[1]);
  const nodes = new Map<string, DumpNode>();
  let i = 1;
  while (i < lines.length && lines[i] === '----' && i + 1 < lines.length && lines[i + 1].startsWith('/')) {
    const path = lines[i + 1];
    const fields = new Map<string, string>();
    i += 2;
    while (i < lines.length && lines[i].startsWith('  ')) {
      const m = /^ {2}(\w+) = (.*)$/.exec(lines[i]);
      if (m !== null) fields.set(m[1], m[2]);
      i++;
    }
    nodes.set(path, { path, fields });
  }
  const sessions: string[] = [];
  const s = lines.indexOf('Session Details (sid, timeout, ephemeralCount):');
  let lastZxid = '';
  for (let k = s + 1; k < lines.length; k++) {
    if (lines[k].startsWith('Last zxid: ')) lastZxid = lines[k].slice('Last zxid: '.length);
    else if (lines[k] !== '----' && lines[k] !== '') sessions.push(lines[k]);
  }
  return { count, nodes, sessions, lastZxid };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** java.util.Date.toString() in UTC, as the fixture dump was made. */
export function javaDateUtc(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:`
    + `${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** String.format("%#016x", v): "0x" and at least 14 hex digits, two's complement for negatives. */
export function javaHex016(v: number | bigint): string {
  return '0x' + BigInt.asUintN(64, BigInt(v)).toString(16).padStart(14, '0');
}

/** The fields SnapshotFormatter -d prints for one node. */
export function dumpFieldsOf(stat: StatPersisted, data: Buffer | null): Map<string, string> {
  return new Map([
    ['cZxid', javaHex016(stat.czxid)],
    ['ctime', javaDateUtc(stat.ctime)],
    ['mZxid', javaHex016(stat.mzxid)],
    ['mtime', javaDateUtc(stat.mtime)],
    ['pZxid', javaHex016(stat.pzxid)],
    ['cversion', String(stat.cversion)],
    ['dataVersion', String(stat.version)],
    ['aclVersion', String(stat.aversion)],
    ['ephemeralOwner', javaHex016(stat.ephemeralOwner)],
    ['data', data === null ? '' : data.toString('base64')],
  ]);
}

// ---------------------------------------------------------------- comparing trees

export interface NodeView {
  data: string | null;
  acl: string[];
  stat: StatPersisted;
  children: string[];
}

/** Every node of a tree, keyed by path ("" for the root), with its ACL resolved. */
export function treeView(tree: DataTree): Map<string, NodeView> {
  const out = new Map<string, NodeView>();
  for (const [path, node] of tree.nodesInSnapshotOrder()) {
    out.set(path, {
      data: node.data === null ? null : node.data.toString('base64'),
      acl: aclStrings(tree.getACL(node)),
      stat: node.statPersisted(),
      children: [...node.children].sort(),
    });
  }
  return out;
}

// ---------------------------------------------------------------- building trees

export const OPEN: ACL[] = OPEN_ACL_UNSAFE.map((a) => ({ perms: a.perms, id: { ...a.id } }));
export const READ_ONLY: ACL[] = [{ perms: Perm.READ, id: { scheme: 'world', id: 'anyone' } }];
export const DIGEST_ACL: ACL[] = [
  { perms: Perm.ALL, id: { scheme: 'digest', id: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=' } },
  { perms: Perm.READ, id: { scheme: 'ip', id: '127.0.0.1' } },
];

/** Applies txns with consecutive zxids, and keeps them as the log a restore replays. */
export class Writer {
  zxid = 0x500000000;
  readonly log: Array<[TxnHeader, Txn]> = [];
  constructor(readonly tree: DataTree) {}

  apply(txn: Txn, sessionId = 0x42n): void {
    const hdr: TxnHeader = { clientId: sessionId, cxid: 1, zxid: ++this.zxid, time: 1_700_000_000_000 + this.zxid % 100_000, type: txn.type };
    this.log.push([hdr, txn]);
    this.tree.apply(hdr, txn);
  }

  create(path: string, data: Buffer | null, opts: { acl?: ACL[]; owner?: bigint; type?: 1 | 19 | 21; ttl?: number } = {}): void {
    const acl = opts.acl ?? OPEN;
    const type = opts.type ?? 1;
    // As the prep stage does: the parent's cversion + 1 goes into the txn, so that replaying it over
    // a fuzzy snapshot that already counted it does not count it twice.
    const parentCVersion = this.tree.getNode(path.slice(0, path.lastIndexOf('/')))!.cversion + 1;
    if (type === 19) this.apply({ type, path, data, acl, parentCVersion });
    else if (type === 21) this.apply({ type, path, data, acl, parentCVersion, ttl: opts.ttl ?? 60_000 });
    else this.apply({ type: 1, path, data, acl, ephemeral: opts.owner !== undefined, parentCVersion }, opts.owner);
  }
}

/** A tree with every kind of node: ACLs, ephemerals, container, TTL, null and large data, non-ASCII paths. */
export function buildTree(nodes: number): Writer {
  const w = new Writer(new DataTree({ extendedTypesEnabled: true }));
  w.create('/app', Buffer.from('app-root'));
  w.create('/app/secure', Buffer.from('s'), { acl: DIGEST_ACL });
  w.create('/app/ro', null, { acl: READ_ONLY });
  w.create('/app/eph', Buffer.from('e'), { owner: 0x1234n });
  w.create('/app/container', null, { type: 19 });
  w.create('/app/container/child', Buffer.from('c'));
  w.create('/app/ttl', Buffer.from('t'), { type: 21, ttl: 3_600_000 });
  w.create('/app/big', Buffer.alloc(300 * 1024, 7));
  w.create('/app/über-ünïcødé-ノード', Buffer.from('ユニコード'));
  w.create('/app/empty', Buffer.alloc(0));
  w.create('/bulk', null);
  for (let i = 0; i < nodes; i++) {
    const dir = `/bulk/d${i % 17}`;
    if (i < 17) w.create(dir, Buffer.from(`dir ${i}`));
    w.create(`${dir}/n${i}`, Buffer.from(`value ${i}`), { acl: i % 5 === 0 ? READ_ONLY : OPEN });
  }
  w.apply({ type: 5, path: '/app', data: Buffer.from('app-root-2'), version: 1 });
  w.apply({ type: 7, path: '/app/ro', acl: DIGEST_ACL, version: 1 });
  w.apply({ type: 2, path: '/bulk/d3/n3' });
  return w;
}

