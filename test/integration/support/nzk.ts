// A typed, promise-based face of node-zookeeper-client (plain JS, callback API, no typings), so the
// integration tests can drive zk-server through an unmodified third-party client.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The parts of node-zookeeper-client's exports the tests use. */
interface NzkModule {
  createClient(connectionString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): RawNzkClient;
  ACL: new (perms: number, id: NzkId) => NzkAcl;
  Id: new (scheme: string, id: string) => NzkId;
  Permission: Record<'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ADMIN' | 'ALL', number>;
  CreateMode: Record<'PERSISTENT' | 'PERSISTENT_SEQUENTIAL' | 'EPHEMERAL' | 'EPHEMERAL_SEQUENTIAL', number>;
  Exception: Record<string, number>;
}

export interface NzkId { scheme: string; id: string }
export interface NzkAcl { permission: number; id: NzkId }

/** A Stat as the client decodes it: zxids and times are 8-byte Buffers, the rest numbers. */
export interface NzkStat {
  czxid: Buffer; mzxid: Buffer; ctime: Buffer; mtime: Buffer; pzxid: Buffer; ephemeralOwner: Buffer;
  version: number; cversion: number; aversion: number; dataLength: number; numChildren: number;
}

export interface NzkEvent { type: number; name: string; path: string }
export interface NzkException extends Error { getCode(): number; getName(): string; code: number }

type Cb<T extends unknown[]> = (err: NzkException | null, ...rest: T) => void;
type Watcher = (event: NzkEvent) => void;

interface RawNzkTransaction {
  create(path: string, data?: Buffer | null, acls?: NzkAcl[], mode?: number): RawNzkTransaction;
  check(path: string, version?: number): RawNzkTransaction;
  setData(path: string, data: Buffer | null, version?: number): RawNzkTransaction;
  remove(path: string, version?: number): RawNzkTransaction;
  commit(cb: Cb<[unknown[]]>): void;
}

interface RawNzkClient {
  connect(): void;
  close(): void;
  once(event: string, fn: (...args: unknown[]) => void): void;
  on(event: string, fn: (...args: unknown[]) => void): void;
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, data: Buffer | null | undefined, acls: NzkAcl[], mode: number, cb: Cb<[string]>): void;
  remove(path: string, version: number, cb: Cb<[]>): void;
  exists(path: string, watcher: Watcher | undefined, cb: Cb<[NzkStat | null]>): void;
  getData(path: string, watcher: Watcher | undefined, cb: Cb<[Buffer | null, NzkStat]>): void;
  setData(path: string, data: Buffer | null, version: number, cb: Cb<[NzkStat]>): void;
  getChildren(path: string, watcher: Watcher | undefined, cb: Cb<[string[], NzkStat]>): void;
  getACL(path: string, cb: Cb<[NzkAcl[], NzkStat]>): void;
  setACL(path: string, acls: NzkAcl[], version: number, cb: Cb<[NzkStat]>): void;
  transaction(): RawNzkTransaction;
}

export const nzk = require('node-zookeeper-client') as NzkModule;
export const { CreateMode, Permission } = nzk;
export const OPEN_ACL: NzkAcl[] = [new nzk.ACL(nzk.Permission.ALL, new nzk.Id('world', 'anyone'))];

/** An 8-byte big-endian field of an NzkStat as a number (zxids and times fit in 53 bits here). */
export function long(b: Buffer): number {
  return Number(b.readBigInt64BE(0));
}

/** The error code of a rejection from NzkClient (undefined for anything that is not a ZooKeeper error). */
export function codeOf(err: unknown): number | undefined {
  const e = err as Partial<NzkException> | null;
  return typeof e?.getCode === 'function' ? e.getCode() : undefined;
}

/** One connected node-zookeeper-client, with promise methods. */
export class NzkClient {
  private constructor(readonly raw: RawNzkClient) {}

  /** Connects and resolves once the session is established. */
  static connect(port: number, opts: { sessionTimeout?: number } = {}): Promise<NzkClient> {
    const raw = nzk.createClient(`127.0.0.1:${port}`, { sessionTimeout: opts.sessionTimeout ?? 30_000, retries: 0 });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { raw.close(); reject(new Error('node-zookeeper-client: no session within 10 s')); }, 10_000);
      raw.once('connected', () => { clearTimeout(timer); resolve(new NzkClient(raw)); });
      raw.connect();
    });
  }

  get sessionId(): bigint {
    return this.raw.getSessionId().readBigInt64BE(0);
  }

  /** Resolves on the client's next event of this name ('expired', 'disconnected', …). */
  next(event: string): Promise<void> {
    return new Promise((resolve) => this.raw.once(event, () => resolve()));
  }

  close(): void {
    this.raw.close();
  }

  addAuthInfo(scheme: string, auth: string): void {
    this.raw.addAuthInfo(scheme, Buffer.from(auth));
  }

  create(path: string, data: Buffer | null = null, mode: number = nzk.CreateMode.PERSISTENT, acls: NzkAcl[] = OPEN_ACL): Promise<string> {
    return new Promise((resolve, reject) => {
      this.raw.create(path, data ?? undefined, acls, mode, (err, p) => (err ? reject(err) : resolve(p)));
    });
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.raw.remove(path, version, (err) => (err ? reject(err) : resolve())));
  }

  exists(path: string, watcher?: Watcher): Promise<NzkStat | null> {
    return new Promise((resolve, reject) => this.raw.exists(path, watcher, (err, stat) => (err ? reject(err) : resolve(stat))));
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer | null; stat: NzkStat }> {
    return new Promise((resolve, reject) => this.raw.getData(path, watcher, (err, data, stat) => (err ? reject(err) : resolve({ data, stat }))));
  }

  setData(path: string, data: Buffer | null, version = -1): Promise<NzkStat> {
    return new Promise((resolve, reject) => this.raw.setData(path, data, version, (err, stat) => (err ? reject(err) : resolve(stat))));
  }

  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: NzkStat }> {
    return new Promise((resolve, reject) => this.raw.getChildren(path, watcher, (err, children, stat) => (err ? reject(err) : resolve({ children, stat }))));
  }

  getACL(path: string): Promise<{ acls: NzkAcl[]; stat: NzkStat }> {
    return new Promise((resolve, reject) => this.raw.getACL(path, (err, acls, stat) => (err ? reject(err) : resolve({ acls, stat }))));
  }

  setACL(path: string, acls: NzkAcl[], version = -1): Promise<NzkStat> {
    return new Promise((resolve, reject) => this.raw.setACL(path, acls, version, (err, stat) => (err ? reject(err) : resolve(stat))));
  }

  /** Builds and commits a multi; resolves with the per-op results or rejects with the first failure. */
  transaction(build: (t: RawNzkTransaction) => void): Promise<unknown[]> {
    const t = this.raw.transaction();
    build(t);
    return new Promise((resolve, reject) => t.commit((err, results) => (err ? reject(err) : resolve(results))));
  }
}

/** Asserts that a promise rejects with this ZooKeeper error code (used with node:assert's rejects). */
export function zkCode(code: number): (err: unknown) => boolean {
  return (err) => {
    const got = codeOf(err);
    if (got !== code) throw new Error(`expected ZooKeeper error ${code}, got ${got ?? String(err)}`);
    return true;
  };
}
