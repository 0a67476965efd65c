// What the data-directory round trips compare: tree dumps (with a readable per-node difference), the
// zk38-datadir fixture's JSON listing in dump form, digest histories from `hash`, mntr values, and
// copies of a data directory (optionally without its snapshots after the first, to force full replay).

import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DumpLine } from './datadir-tool.js';

const SHOWN_DIFFERENCES_MAX = 12;
const FIELD_SHOWN_CHARS_MAX = 120;

function clip(s: string): string {
  return s.length <= FIELD_SHOWN_CHARS_MAX ? s : `${s.slice(0, FIELD_SHOWN_CHARS_MAX)}… (${s.length} chars)`;
}

/** Names the fields of two lines of one node that differ (data, acl, stat fields). */
function fieldDifference(expected: string, actual: string): string {
  const split = (line: string): string[] => {
    const [, data, acl, stat] = line.split('\t');
    return [`data=${data}`, `acl=${acl}`, ...(stat ?? '').split(' ')];
  };
  const e = split(expected);
  const a = split(actual);
  const out: string[] = [];
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) out.push(`      ${clip(e[i] ?? '(none)')}  ≠  ${clip(a[i] ?? '(none)')}`);
  }
  return out.join('\n');
}

/** Fails with the paths that are missing, extra or different (and how) unless both dumps are equal. */
export function assertSameDump(expected: readonly DumpLine[], actual: readonly DumpLine[], expectedName: string, actualName: string): void {
  const want = new Map(expected.map((d) => [d.path, d.line]));
  const got = new Map(actual.map((d) => [d.path, d.line]));
  const problems: string[] = [];
  for (const [p, line] of want) {
    const other = got.get(p);
    if (other === undefined) problems.push(`  ${p}: only on ${expectedName}`);
    else if (other !== line) problems.push(`  ${p}: ${expectedName} ≠ ${actualName}\n${fieldDifference(line, other)}`);
  }
  for (const p of got.keys()) if (!want.has(p)) problems.push(`  ${p}: only on ${actualName}`);
  if (problems.length === 0) return;
  assert.fail(`${actualName}'s tree differs from ${expectedName}'s in ${problems.length} node(s):\n`
    + problems.slice(0, SHOWN_DIFFERENCES_MAX).join('\n')
    + (problems.length > SHOWN_DIFFERENCES_MAX ? `\n  … and ${problems.length - SHOWN_DIFFERENCES_MAX} more` : ''));
}

/** Sanity check of a dump that a comparison will trust: the tree the workload wrote is there. */
export function assertPlausibleDump(dump: readonly DumpLine[], paths: readonly string[]): void {
  const have = new Set(dump.map((d) => d.path));
  for (const p of paths) assert.ok(have.has(p), `the dump lists ${p}`);
}

interface FixtureNode {
  path: string;
  data_null: boolean;
  data_b64: string;
  acl: string[];
  stat: {
    czxid: string; mzxid: string; pzxid: string; ctime: number; mtime: number; version: number;
    cversion: number; aversion: number; ephemeralOwner: string; dataLength: number; numChildren: number;
  };
}

/** The fixture's znodes.json (a client's view of every node but /zookeeper…) as DataDirTool prints it. */
export async function fixtureDump(jsonFile: string): Promise<DumpLine[]> {
  const listing = JSON.parse(await readFile(jsonFile, 'utf8')) as { count: number; nodes: FixtureNode[] };
  assert.equal(listing.nodes.length, listing.count);
  return listing.nodes.map((n) => {
    const s = n.stat;
    const line = [
      n.path,
      n.data_null ? 'null' : `b64:${n.data_b64}`,
      `[${n.acl.join(',')}]`,
      `czxid=${s.czxid} mzxid=${s.mzxid} pzxid=${s.pzxid} ctime=${s.ctime} mtime=${s.mtime} version=${s.version} `
        + `cversion=${s.cversion} aversion=${s.aversion} ephemeralOwner=${s.ephemeralOwner} dataLength=${s.dataLength} `
        + `numChildren=${s.numChildren}`,
    ].join('\t');
    return { path: n.path, line };
  });
}

/** `hash` output (ZooKeeper prints "<hex zxid>: <signed digest>" per line) as zxid → digest. */
export function parseDigestHistory(text: string): Map<string, string> {
  const history = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([0-9a-f]+): (-?\d+)$/.exec(line);
    assert.ok(m !== null, `hash line in ZooKeeper's form: ${JSON.stringify(line)}`);
    history.set(m[1], m[2]);
  }
  return history;
}

/** Asserts two digest histories agree wherever both have the zxid; returns the zxids they share. */
export function assertSameDigests(a: Map<string, string>, b: Map<string, string>, aName: string, bName: string): string[] {
  const common = [...a.keys()].filter((z) => b.has(z));
  for (const z of common) assert.equal(b.get(z), a.get(z), `tree digest after zxid 0x${z}: ${aName} ${a.get(z)}, ${bName} ${b.get(z)}`);
  return common;
}

export { mntrValue, srvrZxid } from '../storage/migrate-support.js';

export interface DataDirFiles {
  /** log.<hex> files, by starting zxid. */
  logs: Array<{ name: string; zxid: number }>;
  snapshots: Array<{ name: string; zxid: number }>;
}

export async function listDataDir(dataDir: string): Promise<DataDirFiles> {
  const names = await readdir(path.join(dataDir, 'version-2'));
  const pick = (prefix: string): Array<{ name: string; zxid: number }> => names
    .filter((n) => new RegExp(`^${prefix}\\.[0-9a-f]+$`).test(n))
    .map((name) => ({ name, zxid: Number.parseInt(name.slice(prefix.length + 1), 16) }))
    .sort((x, y) => x.zxid - y.zxid);
  return { logs: pick('log'), snapshots: pick('snapshot') };
}

/**
 * Copies a data directory for the next server (each server writes a start-up snapshot into its
 * copy). `onlyOldestSnapshot` drops every snapshot but the oldest, so the next server restores by
 * replaying every log from the start: it then records the digest of every 128th zxid, as the
 * writer did, and the two histories can be compared entry by entry.
 */
export async function copyDataDir(from: string, to: string, opts: { onlyOldestSnapshot?: boolean } = {}): Promise<void> {
  await cp(from, to, { recursive: true });
  if (!opts.onlyOldestSnapshot) return;
  const { snapshots } = await listDataDir(to);
  for (const snap of snapshots.slice(1)) await rm(path.join(to, 'version-2', snap.name));
}
