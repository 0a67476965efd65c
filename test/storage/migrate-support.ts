// Helpers for the migrate, inspect and verify tests: the server's restore with a silent logger,
// content hashes of whole directories (to prove a source untouched), generated data directories
// shaped like those of old and new ZooKeeper versions, and running the CLI as a child process.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeACLList, writeTxnHeader, type ACL } from '../../src/jute/records.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { OpCode } from '../../src/protocol/constants.js';
import type { Logger } from '../../src/log/logger.js';
import { restoreDatabase } from '../../src/server/persistence.js';
import { openFilelogStorage, type TxnEntry } from '../../src/storage/index.js';
import type { RestoreFn } from '../../src/storage/inspect/index.js';
import { takeSnapshot } from '../../src/storage/snapshot/index.js';
import { encodeTxnEntry } from '../../src/storage/txn-entry.js';
import { DataTree } from '../../src/tree/index.js';
import { fourLetter } from '../helpers/zk-server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

const silent: Logger = {
  debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent,
};

/** restoreDatabase, quiet. */
export const testRestore: RestoreFn = (backend, tree) => restoreDatabase(backend, tree, silent);

export const quietStorageLogger = { info: (): void => {}, warn: (): void => {} };

/** Relative path → SHA-256 of the contents (directories as "dir"), for every entry under root. */
export async function hashTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = await lstat(full);
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        await walk(full);
      } else {
        out.set(rel, `${st.size}:${createHash('sha256').update(await readFile(full)).digest('hex')}`);
      }
    }
  };
  await walk(root);
  return out;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `zk-server <args>` from dist/ to completion. */
export function runCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const SESSION = 0x100000abcdef01n;

export interface GeneratedDirOptions {
  /** Number of node creates after the session's createSession. */
  readonly creates: number;
  /** Log the TxnDigest after each txn (ZooKeeper 3.6+). Default true. */
  readonly txnDigests?: boolean;
  /** Write the snapshot digest trailer (3.6+). Default true. */
  readonly snapshotDigest?: boolean;
  /** Write 3.9's lastProcessedZxid snapshot section. Default false. */
  readonly lastZxidSection?: boolean;
  /** Log creates as CreateTxnV0 (no parentCVersion), as ZooKeeper before 3.3 did. Default false. */
  readonly createTxnV0?: boolean;
  /** Take a snapshot after this many creates (in the middle of the log). Default: none. */
  readonly snapshotAfter?: number;
  /** Bytes of data per node. Default 64. */
  readonly dataBytes?: number;
  /** Log files of at most this many txns (a roll after each group). Default: one file per snapshot. */
  readonly txnsPerFile?: number;
}

/** A CreateTxnV0 payload: TxnHeader, path, data, acl, ephemeral, and no parentCVersion. */
function createV0Payload(zxid: number, path: string, data: Buffer): TxnEntry {
  const w = new JuteWriter(128);
  writeTxnHeader(w, { clientId: SESSION, cxid: zxid, zxid, time: 1_500_000_000_000 + zxid, type: OpCode.create });
  w.writeUString(path).writeBuffer(data);
  writeACLList(w, OPEN);
  w.writeBool(false);
  return { zxid, payload: w.toBuffer() };
}

/**
 * A ZooKeeper-format data directory written through the filelog backend: snapshot.0 of an empty
 * tree, createSession, `creates` creates of /gen/n<i> (under /gen), optionally a snapshot in the
 * middle, and the txns replayed on a tree as the server would, so digests are right.
 * Returns the last zxid.
 */
export async function generateDataDir(dataDir: string, options: GeneratedDirOptions): Promise<{ lastZxid: number; nodeCount: number }> {
  const backend = await openFilelogStorage({ dataDir, preAllocSizeKb: 64, logger: quietStorageLogger });
  const tree = new DataTree({ digestEnabled: true, extendedTypesEnabled: true });
  const sessions = new Map<bigint, number>();
  const snapshotOpts = { writeDigest: options.snapshotDigest ?? true, writeLastProcessedZxid: options.lastZxidSection ?? false };
  try {
    await takeSnapshot(tree, sessions, backend.snapshots, snapshotOpts);
    const withDigest = options.txnDigests ?? true;
    const data = Buffer.alloc(options.dataBytes ?? 64, 0x61);
    let zxid = 0;
    let batch: TxnEntry[] = [];
    let inFile = 0;
    const apply = (entryFor: (zxid: number) => { header: Parameters<typeof encodeTxnEntry>[0]; txn: Parameters<typeof encodeTxnEntry>[1] }, v0Path?: string): void => {
      zxid++;
      const { header, txn } = entryFor(zxid);
      tree.apply(header, txn, null);
      const digest = withDigest ? { version: 2, treeDigest: tree.digest() } : null;
      batch.push(v0Path !== undefined ? createV0Payload(zxid, v0Path, data) : encodeTxnEntry(header, txn, digest));
    };
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await backend.txnLog.append(batch);
      batch = [];
    };
    const header = (z: number, type: number): Parameters<typeof encodeTxnEntry>[0] => ({ clientId: SESSION, cxid: z, zxid: z, time: 1_500_000_000_000 + z, type });
    apply((z) => ({ header: header(z, OpCode.createSession), txn: { type: -10, timeOut: 30_000 } }));
    sessions.set(SESSION, 30_000);
    apply((z) => ({ header: header(z, OpCode.create), txn: { type: 1, path: '/gen', data: null, acl: OPEN, ephemeral: false, parentCVersion: 1 } }));
    for (let i = 0; i < options.creates; i++) {
      const p = `/gen/n${i}`;
      const txn = { type: 1 as const, path: p, data, acl: OPEN, ephemeral: false, parentCVersion: i + 1 };
      apply((z) => ({ header: header(z, OpCode.create), txn }), options.createTxnV0 === true ? p : undefined);
      inFile++;
      if (batch.length >= 1000) await flush();
      if (options.txnsPerFile !== undefined && inFile >= options.txnsPerFile) {
        await flush();
        await backend.txnLog.roll();
        inFile = 0;
      }
      if (options.snapshotAfter === i + 1) {
        await flush();
        await backend.txnLog.roll();
        await takeSnapshot(tree, sessions, backend.snapshots, snapshotOpts);
      }
    }
    await flush();
    return { lastZxid: zxid, nodeCount: tree.nodeCount() };
  } finally {
    await backend.close();
  }
}

/** One numeric value of a `mntr` reply. */
export function mntrValue(mntr: string, key: string): number {
  const m = new RegExp(`^${key}\\t(-?\\d+)$`, 'm').exec(mntr);
  if (m === null) throw new Error(`mntr has no ${key}:\n${mntr}`);
  return Number(m[1]);
}

/** The last zxid of a `srvr` reply. */
export function srvrZxid(srvr: string): number {
  const m = /^Zxid: 0x([0-9a-f]+)$/m.exec(srvr);
  if (m === null) throw new Error(`srvr has no zxid:\n${srvr}`);
  return Number.parseInt(m[1], 16);
}

/** What a running server reports of its data (srvr and mntr). */
export interface ServedData {
  zxid: number;
  znodes: number;
  ephemerals: number;
  digestMismatches: number;
}

export async function observeServed(port: number): Promise<ServedData> {
  const mntr = await fourLetter(port, 'mntr');
  return {
    zxid: srvrZxid(await fourLetter(port, 'srvr')),
    znodes: mntrValue(mntr, 'zk_znode_count'),
    ephemerals: mntrValue(mntr, 'zk_ephemerals_count'),
    digestMismatches: mntrValue(mntr, 'zk_digest_mismatches_count'),
  };
}
