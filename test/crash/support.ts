// Shared by the crash and corruption tests: a client's view of the whole tree, the entry offsets of a
// txn log file (to damage a chosen entry), fixture copies, and a server run that must refuse to start.

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ACL, Stat } from '../../src/jute/records.js';
import { ErrorCode } from '../../src/protocol/constants.js';
import { payloadZxid } from '../../src/storage/txn-entry.js';
import { RawClient, RawZkError } from '../helpers/raw-client.js';
import { freePort, REPO_ROOT } from '../helpers/zk-server.js';

export const FIXTURE_DATADIR = path.join(REPO_ROOT, 'test', 'fixtures', 'zk38-datadir');
const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
/** A refused start takes well under a second; past this the server is taken to be serving. */
const REFUSAL_DEADLINE_MS = 20_000;

// ---------------------------------------------------------------- temp dirs

const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed by removeTempDirs() or at exit. */
export function tempDir(prefix = 'zk-crash-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  tempDirs.clear();
}

/** A copy of test/fixtures/zk38-datadir (never start a server on the original: it writes a snapshot). */
export function copyFixture(): string {
  const dataDir = path.join(tempDir('zk-fixture-'), 'data');
  cpSync(FIXTURE_DATADIR, dataDir, { recursive: true });
  return dataDir;
}

// ---------------------------------------------------------------- files

export const versionDir = (dataDir: string): string => path.join(dataDir, 'version-2');

/** Names in dataDir/version-2 starting with prefix, ordered by the zxid in the name. */
export function filesOf(dataDir: string, prefix: 'log' | 'snapshot'): string[] {
  const zxidOf = (name: string): bigint => BigInt(`0x${name.split('.')[1]}`);
  return readdirSync(versionDir(dataDir))
    .filter((n) => new RegExp(`^${prefix}\\.[0-9a-f]+$`).test(n))
    .sort((a, b) => (zxidOf(a) < zxidOf(b) ? -1 : zxidOf(a) > zxidOf(b) ? 1 : 0))
    .map((n) => path.join(versionDir(dataDir), n));
}

export interface LogEntryPlace {
  zxid: number;
  /** Offset of the entry's checksum. */
  offset: number;
  /** Offset just past its end-of-record byte. */
  end: number;
}

/** Where each entry of a (well-formed) txn log file sits: header 16 bytes, then checksum, length, payload, 0x42. */
export function logEntryPlaces(file: string): LogEntryPlace[] {
  const bytes = readFileSync(file);
  const places: LogEntryPlace[] = [];
  for (let at = 16; at + 12 <= bytes.length;) {
    const length = bytes.readInt32BE(at + 8);
    if (length === 0) break;
    const end = at + 12 + length + 1;
    if (end > bytes.length) break;
    places.push({ zxid: payloadZxid(bytes.subarray(at + 12, at + 12 + length)) as number, offset: at, end });
    at = end;
  }
  return places;
}

/** Inverts every bit of the byte at offset. */
export function flipByte(file: string, offset: number): void {
  const bytes = readFileSync(file);
  if (offset >= bytes.length) throw new Error(`${file} has ${bytes.length} bytes, no byte at ${offset}`);
  bytes[offset] ^= 0xff;
  writeFileSync(file, bytes);
}

// ---------------------------------------------------------------- the tree as a client sees it

export interface NodeView {
  data: Buffer | null;
  acl: ACL[];
  stat: Stat;
}

/** Every node under root (root included), read with getData, getACL and getChildren. */
export async function dumpTree(c: RawClient, root = '/'): Promise<Map<string, NodeView>> {
  const out = new Map<string, NodeView>();
  let level = [root];
  while (level.length > 0) {
    // One level at a time, all of it pipelined.
    const read = await Promise.all(level.map(async (p) => {
      const [data, acl, children] = await Promise.all([c.getData(p), c.getACL(p), c.getChildren(p)]);
      return { p, view: { data: data.data, acl: acl.acl, stat: data.stat }, children };
    }));
    level = [];
    for (const { p, view, children } of read) {
      out.set(p, view);
      for (const child of children.sort()) level.push(p === '/' ? `/${child}` : `${p}/${child}`);
    }
  }
  return out;
}

/** getData, or null when the node does not exist. */
export async function getDataOrNull(c: RawClient, p: string): Promise<{ data: Buffer | null; stat: Stat } | null> {
  try {
    return await c.getData(p);
  } catch (err) {
    if (err instanceof RawZkError && err.code === ErrorCode.NONODE) return null;
    throw err;
  }
}

/** Node paths whose views differ between two dumps (missing on either side included). */
export function treeDifferences(a: Map<string, NodeView>, b: Map<string, NodeView>): string[] {
  const diffs: string[] = [];
  for (const [p, va] of a) {
    const vb = b.get(p);
    if (vb === undefined) diffs.push(`${p}: only in the first tree`);
    else if (!isDeepEqualView(va, vb)) diffs.push(`${p}: ${JSON.stringify(viewJson(va))} vs ${JSON.stringify(viewJson(vb))}`);
  }
  for (const p of b.keys()) if (!a.has(p)) diffs.push(`${p}: only in the second tree`);
  return diffs;
}

function viewJson(v: NodeView): unknown {
  return { data: v.data?.toString('base64') ?? null, acl: v.acl, stat: { ...v.stat, ephemeralOwner: v.stat.ephemeralOwner.toString(16) } };
}

function isDeepEqualView(a: NodeView, b: NodeView): boolean {
  return JSON.stringify(viewJson(a)) === JSON.stringify(viewJson(b));
}

// ---------------------------------------------------------------- a start that must fail

export interface RefusedStart {
  /** The exit code, or 'served' if the server started serving instead of refusing. */
  code: number | null | 'served';
  stderr: string;
}

/** Writes a zoo.cfg for zk-server on dataDir (a free port on 127.0.0.1) into a temp dir; returns its path. */
async function writeConfig(dataDir: string, extraConfig: Record<string, string>): Promise<string> {
  const configPath = path.join(tempDir('zk-config-'), 'zoo.cfg');
  const config = {
    tickTime: '2000', dataDir, clientPort: String(await freePort()), clientPortAddress: '127.0.0.1', 'admin.enableServer': 'false', ...extraConfig,
  };
  writeFileSync(configPath, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return configPath;
}

/**
 * Starts zk-server on dataDir and SIGKILLs it after delayMs, wherever it is then: loading modules,
 * restoring, writing the start-up snapshot, or serving. Returns its stderr.
 */
export async function killDuringStart(
  dataDir: string, extraConfig: Record<string, string>, delayMs: number, storage: 'filelog' | 'level' = 'filelog',
): Promise<string> {
  const configPath = await writeConfig(dataDir, extraConfig);
  const child = spawn(process.execPath, [CLI_MAIN, '--config', configPath, '--storage', storage], {
    cwd: path.dirname(configPath), stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  await exited;
  clearTimeout(timer);
  return stderr;
}

/**
 * Runs zk-server (filelog) on dataDir and waits for it to exit by itself. A server that starts
 * serving is stopped and reported as 'served', so the test fails with its log.
 */
export async function runExpectingRefusal(dataDir: string, extraConfig: Record<string, string> = {}): Promise<RefusedStart> {
  const configPath = await writeConfig(dataDir, extraConfig);
  const child = spawn(process.execPath, [CLI_MAIN, '--config', configPath, '--storage', 'filelog'], {
    cwd: path.dirname(configPath), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let served = false;
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    if (!served && / - serving on /.test(stderr)) {
      served = true;
      child.kill('SIGKILL');
    }
  });
  const timer = setTimeout(() => { served = true; child.kill('SIGKILL'); }, REFUSAL_DEADLINE_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  // Let the last stderr bytes arrive.
  await new Promise<void>((resolve) => (child.stderr.readableEnded ? resolve() : child.stderr.once('end', () => resolve())));
  return { code: served ? 'served' : code, stderr };
}
