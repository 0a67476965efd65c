// Test helper: a seeded stream of txns of every kind, shaped like what a leader logs (leaf deletes,
// ephemerals without children, failed multis with their error ops, stale parentCVersions as in a
// fuzzy replay), applied to a tree as they are generated; plus a text dump of a tree's full state.

import type { ACL, Txn, TxnHeader } from '../../src/jute/records.js';
import type { DataTree } from '../../src/tree/index.js';

const ACLS: ACL[][] = [
  [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
  [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }],
  [{ perms: 31, id: { scheme: 'digest', id: 'alice:abc' } }, { perms: 1, id: { scheme: 'world', id: 'anyone' } }],
];
const SESSIONS = [0x100000001n, 0x100000002n, 0x100000003n];
const NAMES = ['a', 'b', 'c', 'd', 'e'];

export interface LoggedTxn { hdr: TxnHeader; txn: Txn }

/** Applies `count` generated txns to `tree` (extended types on) and returns them with one trace line each. */
export function generateTxns(tree: DataTree, seed: number, count: number): { txns: LoggedTxn[]; trace: string[] } {
  let state = seed >>> 0 || 1;
  const rnd = (): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 4294967296;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const userPaths = (): string[] =>
    [...tree.nodesInSnapshotOrder()].map(([p]) => p).filter((p) => p !== '' && !p.startsWith('/zookeeper'));
  const aclOf = (path: string): ACL[] => {
    const n = tree.getNode(path);
    return n === undefined ? pick(ACLS) : tree.getACL(n).map((a) => ({ perms: a.perms, id: { ...a.id } }));
  };
  // Prep never puts a child under an ephemeral.
  const randomPath = (): string => {
    const ps = userPaths().filter((p) => tree.getNode(p)?.ephemeralType() !== 'normal');
    if (ps.length === 0 || rnd() < 0.15) return '/' + pick(NAMES);
    const base = pick(ps);
    return rnd() < 0.7 ? base + '/' + pick(NAMES) : base;
  };
  const missing = (): string => {
    for (;;) {
      const p = randomPath();
      if (tree.getNode(p) === undefined) return p;
    }
  };
  // Prep refuses to delete a node with children (NotEmpty).
  const leafOrMissing = (): string => {
    const ps = userPaths().filter((p) => tree.getNode(p)?.numChildren === 0);
    return ps.length > 0 && rnd() < 0.85 ? pick(ps) : missing();
  };
  const anyOrMissing = (): string => {
    const ps = userPaths();
    return ps.length > 0 && rnd() < 0.85 ? pick(ps) : missing();
  };
  // Mostly what prep computes; sometimes stale or ahead, as txns replayed over a fuzzy snapshot are.
  const parentCVersion = (path: string): number => {
    const parent = tree.getNode(path.slice(0, path.lastIndexOf('/')) || '/');
    const r = rnd();
    if (parent === undefined || r < 0.05) return -1;
    if (r < 0.1) return Math.max(0, parent.cversion - 1);
    if (r < 0.13) return parent.cversion + 3;
    return parent.cversion + 1;
  };
  const data = (): Buffer | null => (rnd() < 0.1 ? null : Buffer.from('d' + Math.floor(rnd() * 1000)));
  // On NodeExists, 3.9 gives the existing node the txn's ACL (3.8 did not): keep ACLs equal so a
  // 3.8 reference agrees.
  const create = (kind: 1 | 19 | 21): Txn => {
    const path = randomPath();
    const acl = aclOf(path);
    if (kind === 19) return { type: 19, path, data: data(), acl, parentCVersion: parentCVersion(path) };
    if (kind === 21) return { type: 21, path, data: data(), acl, parentCVersion: parentCVersion(path), ttl: 1 + Math.floor(rnd() * 1e6) };
    return { type: 1, path, data: data(), acl, ephemeral: rnd() < 0.3, parentCVersion: parentCVersion(path) };
  };
  const subOp = (): Txn => {
    const r = rnd();
    if (r < 0.4) return create(1);
    if (r < 0.6) return { type: 2, path: leafOrMissing() };
    if (r < 0.85) return { type: 5, path: leafOrMissing(), data: data(), version: Math.floor(rnd() * 5) };
    return { type: 13, path: leafOrMissing(), version: 0 };
  };
  const multi = (): Txn => {
    const n = 1 + Math.floor(rnd() * 4);
    const failAt = rnd() < 0.3 ? Math.floor(rnd() * n) : -1;
    const txns: Txn[] = [];
    for (let k = 0; k < n; k++) {
      if (failAt >= 0 && k === failAt) txns.push({ type: -1, err: -103 });
      else if (failAt >= 0 && k > failAt) txns.push({ type: -1, err: -2 });
      else txns.push(subOp());
    }
    for (const t of txns) {
      if (t.type === 1 && txns.some((c) => c !== t && c.type === 1 && c.path === t.path)) t.acl = tree.getNode(t.path) ? aclOf(t.path) : ACLS[0];
    }
    return {
      type: 14,
      txns: txns.map((t) => (t.type === 2 && txns.some((c) => c.type === 1 && c.path.startsWith(t.path + '/')) ? { type: 13, path: t.path, version: 0 } : t)),
    };
  };
  // A quota on /q first, so quota accounting is exercised too.
  const setup: Txn[] = [
    { type: 1, path: '/q', data: Buffer.from('quota-root'), acl: ACLS[0], ephemeral: false, parentCVersion: 1 },
    { type: 1, path: '/zookeeper/quota/q', data: null, acl: ACLS[0], ephemeral: false, parentCVersion: 1 },
    { type: 1, path: '/zookeeper/quota/q/zookeeper_limits', data: Buffer.from('count=100,bytes=-1'), acl: ACLS[0], ephemeral: false, parentCVersion: 1 },
    { type: 1, path: '/zookeeper/quota/q/zookeeper_stats', data: Buffer.from('count=0,bytes=0'), acl: ACLS[0], ephemeral: false, parentCVersion: 2 },
  ];

  let zxid = 0x500000000;
  let time = 1_700_000_000_000;
  const txns: LoggedTxn[] = [];
  const trace: string[] = [];
  for (let i = 0; i < count; i++) {
    const client = pick(SESSIONS);
    let type: number;
    let txn: Txn;
    const r = rnd();
    if (i < setup.length) { txn = setup[i]; type = 1; }
    else if (r < 0.30) { txn = create(1); type = rnd() < 0.3 ? 15 : 1; }
    else if (r < 0.34) { txn = create(19); type = 19; }
    else if (r < 0.38) { txn = create(21); type = 21; }
    else if (r < 0.50) { type = rnd() < 0.2 ? 20 : 2; txn = { type: type as 2 | 20, path: leafOrMissing() }; }
    else if (r < 0.65) { txn = { type: 5, path: anyOrMissing(), data: data(), version: Math.floor(rnd() * 10) }; type = 5; }
    else if (r < 0.72) { txn = { type: 7, path: rnd() < 0.1 ? '/' : anyOrMissing(), acl: pick(ACLS), version: Math.floor(rnd() * 10) }; type = 7; }
    else if (r < 0.76) { txn = { type: -10, timeOut: 30000 }; type = -10; }
    else if (r < 0.80) {
      const paths2Delete = [...tree.ephemeralsOf(client)].filter(() => rnd() < 0.9);
      if (rnd() < 0.3) paths2Delete.push(missing());
      txn = { type: -11, paths2Delete };
      type = -11;
    }
    else if (r < 0.82) { txn = { type: -1, err: -101 }; type = -1; }
    else { txn = multi(); type = 14; }
    zxid++;
    time += 7;
    const hdr: TxnHeader = { clientId: client, cxid: i, zxid, time, type };
    txns.push({ hdr, txn });
    const rc = tree.apply(hdr, txn);
    const subs = rc.multiResults === null ? '-' : rc.multiResults.map((m) => `${m.type}:${m.err}`).join(',');
    trace.push(`${zxid.toString(16)} ${type} err=${rc.err} digest=${tree.digest()} multi=${subs}`);
  }
  return { txns, trace };
}

/** Every node (stored and client stat, data, ACL) and the tree's counters, one line each, sorted. */
export function describeTree(tree: DataTree): string[] {
  const out: string[] = [];
  const all = [...tree.nodesInSnapshotOrder()]
    .map(([p, n]) => [p === '' ? '/' : p, n] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [p, n] of all) {
    const st = n.stat();
    const acl = tree.getACL(n).map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join(';');
    out.push(`${p} czxid=${n.czxid} mzxid=${n.mzxid} pzxid=${n.pzxid} ctime=${n.ctime} mtime=${n.mtime} v=${n.version} ` +
      `cv=${n.cversion} av=${n.aversion} owner=${n.ephemeralOwner} ccv=${st.cversion} cowner=${st.ephemeralOwner} ` +
      `nc=${st.numChildren} dl=${st.dataLength} data=${n.data === null ? 'null' : n.data.toString('base64')} acl=${acl}`);
  }
  const eph = [...tree.ephemeralSessions()].map(([k, v]) => `${k}:${[...v].sort().join(',')}`).sort();
  out.push(`ephemerals ${eph.join(' ')}`);
  out.push(`containers ${[...tree.containers].sort().join(',')}`);
  out.push(`ttls ${[...tree.ttls].sort().join(',')}`);
  out.push(`count=${tree.nodeCount()} size=${tree.approximateDataSize()} digest=${tree.digest()} last=${tree.lastProcessedZxid} ` +
    `acls=${tree.aclCache.size} allchildren=${tree.getAllChildrenNumber('/')},${tree.getAllChildrenNumber('/q')}`);
  return out;
}
