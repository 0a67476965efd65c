// Real-process zk-server ensembles for the quorum tests: every member is `node dist/src/cli/main.js`
// with its own zoo.cfg, dataDir (with myid) and log file, on ports allocated free on 127.0.0.1. The
// API mirrors test/interop/apache-ensemble.ts (allocateEnsemble, serverLines, srvrStatus,
// waitForMode, pause/resume with SIGSTOP/SIGCONT), and the port allocation and `srvr` parsing are
// imported from there. On top: an Ensemble object that keeps each member's dataDir across restarts,
// waits for a formed quorum, and compares the members' trees (data, stat, ACL of every node) through
// node-zookeeper-client connections to each member alone.
//
// API: Ensemble.start(count, {storage, observers}) → members, port(sid), connectString(sids),
// start/stop/kill9/pause/resume/wipe(sid), dataDir(sid), log(sid), allLogs(), waitForRoles(ms, sids)
// → {leader, followers, observers}, modes(), waitForMode(sid, modes, ms), stopAll(). startZkMember for
// a single process. Clients: connectClient, connectClientOn (lands on a given member), hostOfSession
// (`cons`), dropConnection, releaseClients, withTimeout/retryUntil/waitUntil. Trees: dumpTree,
// diffTrees, waitForSameZxid, converge (same Zxid, then identical data/stat/ACL everywhere),
// inspectDataDir (`zk-server inspect datadir --json`). Writes: PipelinedWriter (depth outstanding
// creates, records acknowledged ones), missingWrites. ZK_ENSEMBLE_KEEP=1 keeps the member directories;
// ZK_QUORUM_TICK_MS changes the tick (default 500).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fourLetter, REPO_ROOT } from '../helpers/zk-server.js';
import { KEEP_MEMBER_DIRS, MemberReaper } from '../helpers/member-reaper.js';
import {
  allocateEnsemble, INIT_LIMIT_TICKS, modeOf, serverLines, srvrStatus, SYNC_LIMIT_TICKS, waitForMode,
  type EnsembleMember, type ServingMode, type SrvrStatus,
} from '../interop/apache-ensemble.js';
import { nzk, NzkClient, type NzkAcl, type NzkStat } from '../integration/support/nzk.js';

export { allocateEnsemble, epochOf, modeOf, serverAddress, serverLines, srvrStatus, waitForMode } from '../interop/apache-ensemble.js';
export type { EnsembleMember, MemberRole, ServingMode, SrvrStatus } from '../interop/apache-ensemble.js';

/** Member timing; ZK_QUORUM_TICK_MS overrides the tick (initLimit 10 and syncLimit 5 ticks stay). */
export const TICK_TIME_MS = Number(process.env.ZK_QUORUM_TICK_MS ?? '') || 500;
export { INIT_LIMIT_TICKS, SYNC_LIMIT_TICKS };
export const SYNC_LIMIT_MS = TICK_TIME_MS * SYNC_LIMIT_TICKS;
export const INIT_LIMIT_MS = TICK_TIME_MS * INIT_LIMIT_TICKS;
/** The largest session timeout a member grants (maxSessionTimeout defaults to 20 ticks). */
export const MAX_SESSION_TIMEOUT_MS = TICK_TIME_MS * 20;

export type Storage = 'filelog' | 'level' | 'memory';

const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const LISTEN_DEADLINE_MS = 20_000;
const STOP_DEADLINE_MS = 5_000;
const POLL_INTERVAL_MS = 50;
/** Ensemble.start tries this many sets of ports. */
const PORT_ATTEMPTS = 3;

// ---------------------------------------------------------------------------------------------------
// One member process.

/** zoo.cfg keys shared by every zk-server member of an ensemble (dataDir is per member). */
export function zkEnsembleConfig(members: readonly EnsembleMember[], storage: Storage = 'filelog'): Record<string, string> {
  return {
    tickTime: String(TICK_TIME_MS),
    initLimit: String(INIT_LIMIT_TICKS),
    syncLimit: String(SYNC_LIMIT_TICKS),
    '4lw.commands.whitelist': '*',
    // On by default at 8080, which every member would want: tests that need it set a port.
    'admin.enableServer': 'false',
    standaloneEnabled: 'false',
    reconfigEnabled: 'false',
    forceSync: 'yes',
    storage,
    ...serverLines(members),
  };
}

export interface StartZkMemberOptions {
  /** Serve from this data directory (holding myid, or it is written); default a fresh one. */
  dataDir?: string;
  storage?: Storage;
  /** More zoo.cfg keys, applied last. */
  extraConfig?: Record<string, string>;
  env?: Record<string, string>;
}

export interface ZkMember {
  readonly sid: number;
  readonly pid: number;
  readonly clientPort: number;
  readonly dataDir: string;
  /** This run's directory: zoo.cfg and zk-server.log (the process's stdout and stderr). */
  readonly dir: string;
  readonly logFile: string;
  /** Resolves when the process exits: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM (and SIGCONT, in case it is paused), SIGKILL if still running after 5 s. Keeps the files. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, as a crash would; resolves once it has exited. Keeps the files. */
  kill9(): Promise<void>;
  /** SIGSTOP: the process freezes with its sockets open, as a long GC pause or a hung host would. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** This run's log so far, or its last `lines` lines. */
  log(lines?: number): string;
}

const reaper = new MemberReaper((child) => {
  try { child.kill('SIGKILL'); } catch { /* gone */ }
});

function renderConfig(entries: Record<string, string>): string {
  return Object.entries(entries).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function listens(clientPort: number): Promise<boolean> {
  try {
    return (await fourLetter(clientPort, 'ruok', 1_000)) === 'imok';
  } catch {
    return false;
  }
}

/**
 * Starts member `sid` of `members` as a zk-server quorum peer and resolves once its client port
 * listens (`ruok`): up, not necessarily serving (use waitForMode). Rejects with the log tail if the
 * process exits first or does not listen within 20 s.
 */
export async function startZkMember(members: readonly EnsembleMember[], sid: number, opts: StartZkMemberOptions = {}): Promise<ZkMember> {
  const member = members.find((m) => m.sid === sid);
  if (member === undefined) throw new Error(`sid ${sid} is not in the ensemble (${members.map((m) => m.sid).join(', ')})`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `zk-quorum-${sid}-`));
  reaper.dirs.add(dir);
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const myidFile = path.join(dataDir, 'myid');
  if (!existsSync(myidFile)) writeFileSync(myidFile, String(sid));
  else if (readFileSync(myidFile, 'utf8').trim() !== String(sid)) throw new Error(`${myidFile} does not hold sid ${sid}`);

  const configPath = path.join(dir, 'zoo.cfg');
  writeFileSync(configPath, renderConfig({ ...zkEnsembleConfig(members, opts.storage), dataDir, ...opts.extraConfig }));
  const logFile = path.join(dir, 'zk-server.log');
  // A file, not a pipe: a paused test process must not block a member on a full pipe.
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [CLI_MAIN, '--config', configPath], {
      cwd: dir, stdio: ['ignore', fd, fd], env: { ...process.env, ...opts.env },
    });
  } finally {
    closeSync(fd);
  }
  reaper.track(child);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const readLog = (lines?: number): string => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return lines === undefined ? text : text.split('\n').slice(-lines - 1).join('\n');
  };
  const waitExited = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
    const done = await Promise.race([exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return done;
  };
  const signal = (s: NodeJS.Signals): void => {
    if (!running) return;
    try { child.kill(s); } catch { /* gone */ }
  };

  const handle: ZkMember = {
    sid,
    pid: child.pid ?? -1,
    clientPort: member.clientPort,
    dataDir,
    dir,
    logFile,
    exited,
    isRunning: () => running,
    async stop() {
      signal('SIGTERM');
      signal('SIGCONT');
      if (!(await waitExited(STOP_DEADLINE_MS))) signal('SIGKILL');
      return exited;
    },
    async kill9() {
      signal('SIGKILL');
      await exited;
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    log: readLog,
  };

  const deadline = Date.now() + LISTEN_DEADLINE_MS;
  for (;;) {
    const outcome = await Promise.race([
      spawnFailed,
      exited.then(({ code, signal: sig }) => new Error(`exited (${sig ?? `code ${code}`}) before its client port listened`)),
      listens(member.clientPort),
    ]);
    if (outcome === true) return handle;
    const failure = outcome instanceof Error
      ? outcome
      : Date.now() > deadline ? new Error(`client port ${member.clientPort} did not answer ruok within ${LISTEN_DEADLINE_MS} ms`) : null;
    if (failure !== null) {
      await handle.kill9();
      throw new Error(`zk-server member ${sid}: ${failure.message}\n--- log tail (${dir}) ---\n${readLog(40)}`);
    }
    await delay(POLL_INTERVAL_MS);
  }
}

// ---------------------------------------------------------------------------------------------------
// An ensemble.

export interface StartEnsembleOptions {
  storage?: Storage;
  /** These sids are observers (`server.N=...:observer`). */
  observers?: readonly number[];
  /** Start only these sids now (default all); the others can be started later with start(sid). */
  only?: readonly number[];
  extraConfig?: Record<string, string>;
}

export interface Roles {
  leader: number;
  followers: number[];
  observers: number[];
}

export class Ensemble {
  /** The running process of each member that was started and not stopped since. */
  private readonly running = new Map<number, ZkMember>();
  /** Each member's dataDir, kept across restarts. */
  private readonly dataDirs = new Map<number, string>();
  /** Every run's handle, so stopAll reaches a member whatever happened to it. */
  private readonly all: ZkMember[] = [];

  private constructor(readonly members: readonly EnsembleMember[], readonly storage: Storage, private readonly extraConfig: Record<string, string>) {}

  /**
   * Allocates ports for `count` members (sids 1..count) and starts them all at once. A port taken by
   * someone else between allocation and bind (any outgoing connection on this host may get it) makes
   * a member exit at once; then every member is stopped and the ensemble starts again on new ports.
   */
  static async start(count: number, opts: StartEnsembleOptions = {}): Promise<Ensemble> {
    for (let attempt = 1; ; attempt++) {
      const members = await allocateEnsemble(count, { observers: opts.observers });
      const e = new Ensemble(members, opts.storage ?? 'filelog', opts.extraConfig ?? {});
      // allSettled, not all: a member that failed must not leave the others running unseen.
      const results = await Promise.allSettled((opts.only ?? members.map((m) => m.sid)).map((sid) => e.start(sid)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed === undefined) return e;
      await e.stopAll();
      const message = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      if (attempt >= PORT_ATTEMPTS || !/already in use|EADDRINUSE/i.test(message)) throw failed.reason;
      console.log(`zk ensemble: a port was taken before a member could bind it; starting again on new ports (${message.split('\n').find((l) => /in use/i.test(l))?.trim()})`);
    }
  }

  get sids(): number[] {
    return this.members.map((m) => m.sid);
  }

  get participants(): number[] {
    return this.members.filter((m) => m.role === 'participant').map((m) => m.sid);
  }

  /** Sids with a running process (paused ones included). */
  get runningSids(): number[] {
    return [...this.running.keys()].sort((a, b) => a - b);
  }

  port(sid: number): number {
    const m = this.members.find((mm) => mm.sid === sid);
    if (!m) throw new Error(`no member ${sid}`);
    return m.clientPort;
  }

  /** `127.0.0.1:port,...` for these sids (default all), for a client that may use any of them. */
  connectString(sids: readonly number[] = this.sids): string {
    return sids.map((sid) => `127.0.0.1:${this.port(sid)}`).join(',');
  }

  member(sid: number): ZkMember {
    const m = this.running.get(sid);
    if (!m) throw new Error(`member ${sid} is not running`);
    return m;
  }

  dataDir(sid: number): string {
    const d = this.dataDirs.get(sid);
    if (!d) throw new Error(`member ${sid} was never started`);
    return d;
  }

  /** Starts (or restarts, on its dataDir) member `sid`; resolves once its client port listens. */
  async start(sid: number, opts: { env?: Record<string, string> } = {}): Promise<ZkMember> {
    if (this.running.has(sid)) throw new Error(`member ${sid} is already running`);
    const m = await startZkMember(this.members, sid, {
      storage: this.storage, dataDir: this.dataDirs.get(sid), extraConfig: this.extraConfig, env: opts.env,
    });
    this.dataDirs.set(sid, m.dataDir);
    this.running.set(sid, m);
    this.all.push(m);
    return m;
  }

  /** SIGTERM (graceful); the dataDir stays. */
  async stop(sid: number): Promise<void> {
    const m = this.member(sid);
    this.running.delete(sid);
    await m.stop();
  }

  /** SIGKILL (crash); the dataDir stays. */
  async kill9(sid: number): Promise<void> {
    const m = this.member(sid);
    this.running.delete(sid);
    await m.kill9();
  }

  pause(sid: number): void {
    this.member(sid).pause();
  }

  resume(sid: number): void {
    this.member(sid).resume();
  }

  /** Removes the member's `version-2` (snapshots, txn logs, epochs) and `level` stores; keeps myid. Only while it is down. */
  wipe(sid: number): void {
    if (this.running.has(sid)) throw new Error(`member ${sid} is running`);
    const dir = this.dataDir(sid);
    for (const name of ['version-2', 'level']) rmSync(path.join(dir, name), { recursive: true, force: true });
  }

  /** This member's log (this run's), or '' when it is not running. */
  log(sid: number): string {
    return this.running.get(sid)?.log() ?? '';
  }

  /** Every run's log of this member (or of all), oldest first, each under a header line; `lines`: only the last ones of each. */
  allLogs(sid?: number, lines?: number): string {
    return this.all.filter((m) => sid === undefined || m.sid === sid)
      .map((m) => `===== member ${m.sid} (pid ${m.pid}, ${m.dir}) =====\n${m.log(lines)}`).join('\n');
  }

  /** Polls until every running member (or `sids`) serves and exactly one is the leader. */
  async waitForRoles(timeoutMs: number, sids: readonly number[] = this.runningSids): Promise<Roles> {
    const deadline = Date.now() + timeoutMs;
    let last: Array<[number, SrvrStatus | null]> = [];
    for (;;) {
      last = await Promise.all(sids.map(async (sid) => [sid, await srvrStatus(this.port(sid))] as [number, SrvrStatus | null]));
      const leaders = last.filter(([, s]) => s?.mode === 'leader').map(([sid]) => sid);
      if (last.every(([, s]) => s !== null) && leaders.length === 1) {
        return {
          leader: leaders[0],
          followers: last.filter(([, s]) => s?.mode === 'follower').map(([sid]) => sid),
          observers: last.filter(([, s]) => s?.mode === 'observer').map(([sid]) => sid),
        };
      }
      if (Date.now() >= deadline) {
        throw new Error(`no formed quorum within ${timeoutMs} ms: ${last.map(([sid, s]) => `${sid}=${s?.mode ?? 'not serving'}`).join(' ')}`);
      }
      await delay(POLL_INTERVAL_MS);
    }
  }

  /** Every member's `Mode:` (null: not serving or down). */
  async modes(sids: readonly number[] = this.sids): Promise<Map<number, ServingMode | null>> {
    const out = new Map<number, ServingMode | null>();
    await Promise.all(sids.map(async (sid) => out.set(sid, this.running.has(sid) ? await modeOf(this.port(sid)) : null)));
    return out;
  }

  waitForMode(sid: number, modes: readonly ServingMode[], timeoutMs: number): Promise<ServingMode> {
    return waitForMode(this.port(sid), modes, timeoutMs);
  }

  /** Stops every member still running (SIGTERM, then SIGKILL) and removes their directories (unless kept). */
  async stopAll(): Promise<void> {
    this.running.clear();
    releaseClients();
    const t0 = Date.now();
    const ends = await Promise.all(this.all.map(async (m) => {
      const wasRunning = m.isRunning();
      return { m, wasRunning, end: await m.stop() };
    }));
    for (const { m, wasRunning, end } of ends) {
      // A member that needed SIGKILL did not shut down within 5 s of SIGTERM: worth knowing.
      if (wasRunning && end.signal === 'SIGKILL') console.log(`zk ensemble: member ${m.sid} (pid ${m.pid}) ignored SIGTERM for ${STOP_DEADLINE_MS} ms; killed\n${m.log(15)}`);
    }
    if (Date.now() - t0 > 2_000) console.log(`zk ensemble: stopping took ${Date.now() - t0} ms`);
    if (KEEP_MEMBER_DIRS) {
      for (const m of this.all) console.log(`zk ensemble: kept ${m.dir}`);
      return;
    }
    for (const m of this.all) reaper.removeDirs(m.dir);
  }
}

// ---------------------------------------------------------------------------------------------------
// Clients.

type NzkClientCtor = new (raw: unknown) => NzkClient;

/** Every client connectClient made, so a test's teardown can make sure none keeps reconnecting. */
const openClients = new Set<NzkClient>();

/**
 * Closes every client connectClient made and cuts it off: a client whose servers are gone would
 * otherwise try to reconnect (to send its closeSession) for as long as the test process lives.
 */
export function releaseClients(): void {
  for (const c of openClients) {
    try { c.close(); } catch { /* already closed */ }
    const cm = (c.raw as unknown as { connectionManager?: { connect: () => void; socket?: { destroy(): void }; connectTimeoutHandler?: NodeJS.Timeout } }).connectionManager;
    if (cm) {
      cm.connect = () => undefined;
      if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
      cm.socket?.destroy();
    }
  }
  openClients.clear();
}

/**
 * A node-zookeeper-client session over `connectString` (one or more 127.0.0.1:port), resolved once
 * connected. spinDelay is short so a client whose server died moves on quickly.
 */
export function connectClient(connectString: string, opts: { sessionTimeout?: number; timeoutMs?: number; auth?: string[] } = {}): Promise<NzkClient> {
  const raw = nzk.createClient(connectString, { sessionTimeout: opts.sessionTimeout ?? MAX_SESSION_TIMEOUT_MS, spinDelay: 100, retries: 0 });
  for (const a of opts.auth ?? []) raw.addAuthInfo('digest', Buffer.from(a));
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { raw.close(); reject(new Error(`no session on ${connectString} within ${timeoutMs} ms`)); }, timeoutMs);
    raw.once('connected', () => {
      clearTimeout(timer);
      const client = new (NzkClient as unknown as NzkClientCtor)(raw);
      openClients.add(client);
      resolve(client);
    });
    raw.connect();
  });
}

export { TimeoutError, withTimeout } from '../helpers/timeout.js';
import { withTimeout } from '../helpers/timeout.js';

/** Retries `fn` until it resolves (a client call that may fail while the ensemble re-forms). */
export async function retryUntil<T>(fn: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      return await withTimeout(fn(), Math.max(100, deadline - Date.now()), what);
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) throw new Error(`${what} did not succeed within ${timeoutMs} ms: ${String(lastErr)}`);
    await delay(100);
  }
}

/** The digest ACL id for user:password (scheme digest, id user:base64(sha1(user:password))). */
export async function digestId(user: string, password: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** Which running member holds a connection of this session (from `cons`), or null. */
export async function hostOfSession(e: Ensemble, sessionId: bigint): Promise<number | null> {
  for (const sid of e.runningSids) {
    let cons: string;
    try {
      cons = await fourLetter(e.port(sid), 'cons', 1_000);
    } catch {
      continue;
    }
    for (const m of cons.matchAll(/sid=0x([0-9a-f]+)/g)) if (BigInt(`0x${m[1]}`) === sessionId) return sid;
  }
  return null;
}

/**
 * A client over `connectString` (which the client shuffles) whose session landed on member `on`:
 * clients that landed elsewhere are closed and another is made, at most `attempts` times.
 */
export async function connectClientOn(e: Ensemble, connectString: string, on: number, opts: { sessionTimeout?: number; attempts?: number } = {}): Promise<NzkClient> {
  const attempts = opts.attempts ?? 30;
  for (let i = 0; i < attempts; i++) {
    const c = await connectClient(connectString, { sessionTimeout: opts.sessionTimeout });
    if ((await hostOfSession(e, c.sessionId)) === on) return c;
    c.close();
  }
  throw new Error(`no client over ${connectString} landed on member ${on} in ${attempts} tries`);
}

/**
 * Cuts the client's TCP connection, as a network blip would: the client reconnects (to the next
 * server of its list) with its session id and password. Reaches into node-zookeeper-client.
 */
export function dropConnection(c: NzkClient): void {
  const cm = (c.raw as unknown as { connectionManager?: { socket?: { destroy(): void } } }).connectionManager;
  if (!cm?.socket) throw new Error('the client has no connection to drop');
  cm.socket.destroy();
}

// ---------------------------------------------------------------------------------------------------
// Trees.

export interface NodeDump {
  data: string | null;
  stat: Record<string, string | number>;
  acl: string[];
}
export type TreeDump = Map<string, NodeDump>;

const hexLong = (b: Buffer): string => `0x${b.readBigInt64BE(0).toString(16)}`;

/** The stat fields that must be equal on every member. */
export function statFields(s: NzkStat): Record<string, string | number> {
  return {
    czxid: hexLong(s.czxid), mzxid: hexLong(s.mzxid), pzxid: hexLong(s.pzxid),
    ctime: hexLong(s.ctime), mtime: hexLong(s.mtime),
    version: s.version, cversion: s.cversion, aversion: s.aversion,
    ephemeralOwner: hexLong(s.ephemeralOwner), dataLength: s.dataLength, numChildren: s.numChildren,
  };
}

const aclText = (a: NzkAcl): string => `${a.id.scheme}:${a.id.id}=${a.permission}`;

/**
 * Every node under `root` as this client's server sees it: data (hex), stat, ACL. Reads only, so a
 * client connected to one member alone shows that member's local tree. Pass an authenticated client
 * to read ACL'd nodes.
 */
export async function dumpTree(client: NzkClient, root = '/'): Promise<TreeDump> {
  const out: TreeDump = new Map();
  const walk = async (p: string): Promise<void> => {
    const [{ data, stat }, { acls }, { children }] = await Promise.all([client.getData(p), client.getACL(p), client.getChildren(p)]);
    out.set(p, { data: data === null || data === undefined ? null : data.toString('hex'), stat: statFields(stat), acl: acls.map(aclText).sort() });
    for (const c of [...children].sort()) await walk(p === '/' ? `/${c}` : `${p}/${c}`);
  };
  await walk(root);
  return out;
}

/** Human-readable differences between two dumps (empty when identical). */
export function diffTrees(a: TreeDump, b: TreeDump, nameA: string, nameB: string, max = 20): string[] {
  const diffs: string[] = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(p);
    const y = b.get(p);
    if (!x || !y) diffs.push(`${p}: only on ${x ? nameA : nameB}`);
    else {
      if (x.data !== y.data) diffs.push(`${p}: data ${nameA}=${x.data} ${nameB}=${y.data}`);
      for (const k of Object.keys(x.stat)) if (x.stat[k] !== y.stat[k]) diffs.push(`${p}: ${k} ${nameA}=${x.stat[k]} ${nameB}=${y.stat[k]}`);
      if (x.acl.join(',') !== y.acl.join(',')) diffs.push(`${p}: acl ${nameA}=${x.acl.join(',')} ${nameB}=${y.acl.join(',')}`);
    }
    if (diffs.length >= max) break;
  }
  return diffs;
}

/** Polls `srvr` on these members until all serve and show the same `Zxid:`; returns it. */
export async function waitForSameZxid(e: Ensemble, sids: readonly number[], timeoutMs: number): Promise<bigint> {
  const deadline = Date.now() + timeoutMs;
  let last: Array<SrvrStatus | null> = [];
  for (;;) {
    last = await Promise.all(sids.map((sid) => srvrStatus(e.port(sid))));
    if (last.every((s) => s !== null) && new Set(last.map((s) => s!.zxid)).size === 1) return last[0]!.zxid;
    if (Date.now() >= deadline) {
      throw new Error(`members ${sids.join(', ')} did not reach the same Zxid within ${timeoutMs} ms: ` +
        sids.map((sid, i) => `${sid}=${last[i] ? `${last[i]!.mode} 0x${last[i]!.zxid.toString(16)}` : 'not serving'}`).join(' '));
    }
    await delay(POLL_INTERVAL_MS);
  }
}

export interface ConvergeResult {
  zxid: bigint;
  trees: Map<number, TreeDump>;
  /** Differences of each member's tree against the first member's; empty when all are identical. */
  diffs: string[];
}

/**
 * Waits until every member in `sids` serves with the same `Zxid:` (once quiet), then reads each
 * member's whole tree through its own client (authenticated with `auth`, user:password digest
 * credentials) and compares them.
 */
export async function converge(e: Ensemble, sids: readonly number[], opts: { timeoutMs?: number; auth?: string[] } = {}): Promise<ConvergeResult> {
  const zxid = await waitForSameZxid(e, sids, opts.timeoutMs ?? 15_000);
  const trees = new Map<number, TreeDump>();
  for (const sid of sids) {
    const c = await connectClient(e.connectString([sid]), { auth: opts.auth });
    try {
      trees.set(sid, await dumpTree(c));
    } finally {
      c.close();
    }
  }
  const [first, ...rest] = sids;
  const diffs = rest.flatMap((sid) => diffTrees(trees.get(first)!, trees.get(sid)!, `member ${first}`, `member ${sid}`));
  return { zxid, trees, diffs };
}

/** `zk-server inspect datadir DIR --json` of a stopped member: what its dataDir restores to. */
export function inspectDataDir(dataDir: string): { lastZxid: bigint; raw: unknown } {
  const res = spawnSync(process.execPath, [CLI_MAIN, 'inspect', 'datadir', dataDir, '--json'], { encoding: 'utf8' });
  if (res.status !== 0 && res.status !== 1) throw new Error(`inspect datadir ${dataDir} failed (${res.status}): ${res.stderr}`);
  const raw = JSON.parse(res.stdout) as Record<string, unknown>;
  const restored = raw.restored as Record<string, unknown> | undefined;
  const z = restored?.lastZxid ?? restored?.zxid;
  if (typeof z !== 'string') throw new Error(`inspect datadir ${dataDir}: no restored.lastZxid in ${res.stdout.slice(0, 2000)}`);
  return { lastZxid: BigInt(z), raw };
}

/** Milliseconds since `t0` (performance.now based), rounded. */
export function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

/** Runs `fn`; if it throws, prints the last lines of every member's logs first (then rethrows). */
export async function showLogsOnFailure<T>(e: Ensemble, fn: () => Promise<T>, lines = 80): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    console.log(e.allLogs(undefined, lines));
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------
// A pipelining writer.

export interface AckedWrite {
  path: string;
  data: string;
  issuedAt: number;
  ackedAt: number;
}

/**
 * Keeps `depth` creates outstanding on one session, each of a new node `${prefix}${n}`, until stopped.
 * Records which were acknowledged (with their data) and which failed (with the error code): an
 * acknowledged create must survive anything; a failed one may or may not have happened.
 */
export class PipelinedWriter {
  readonly acked = new Map<string, AckedWrite>();
  readonly failed = new Map<string, number | string>();
  private readonly inflight = new Set<Promise<void>>();
  private n = 0;
  private stopped = false;

  /** The client reported its session expired (the server refused it): it cannot write any more. */
  expired = false;

  constructor(readonly client: NzkClient, readonly prefix: string, readonly depth = 8, readonly payloadBytes = 64) {
    client.raw.once('expired', () => {
      this.expired = true;
      this.stopped = true;
    });
  }

  start(): this {
    for (let i = 0; i < this.depth; i++) this.issue();
    return this;
  }

  private issue(): void {
    if (this.stopped) return;
    const path = `${this.prefix}${String(this.n++).padStart(6, '0')}`;
    const data = `${path}:`.padEnd(this.payloadBytes, 'x');
    const issuedAt = performance.now();
    const p: Promise<void> = this.client.create(path, Buffer.from(data)).then(
      () => { this.acked.set(path, { path, data, issuedAt, ackedAt: performance.now() }); },
      (err: unknown) => {
        const code = codeOfError(err);
        this.failed.set(path, code);
        // A session that expired (or a client that was closed) cannot write any more.
        if (code === SESSION_EXPIRED) this.stopped = true;
      },
    ).then(async () => {
      this.inflight.delete(p);
      // A failed create is re-issued a little later: a closed client fails synchronously.
      if (this.failed.has(path)) await delay(20);
      this.issue();
    });
    this.inflight.add(p);
  }

  /** Acknowledged creates issued after `t` (performance.now time). */
  ackedSince(t: number): AckedWrite[] {
    return [...this.acked.values()].filter((w) => w.issuedAt >= t);
  }

  /** Stops issuing new creates (for a finally block; stop() also waits for the outstanding ones). */
  abort(): void {
    this.stopped = true;
  }

  /** Stops issuing and waits (bounded) for the outstanding creates to settle; returns how many did not. */
  async stop(timeoutMs = 15_000): Promise<number> {
    this.stopped = true;
    const deadline = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inflight]), delay(Math.max(1, deadline - Date.now()))]);
    }
    return this.inflight.size;
  }
}

const SESSION_EXPIRED = -112;

function codeOfError(err: unknown): number | string {
  const e = err as { getCode?: () => number } | null;
  return typeof e?.getCode === 'function' ? e.getCode() : String(err);
}

/** Polls `cond` every 50 ms until true; throws `what` after timeoutMs. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await delay(POLL_INTERVAL_MS);
  }
}

/** The acknowledged creates among `writers` that are missing from `tree` or hold other data. */
export function missingWrites(tree: TreeDump, writers: readonly PipelinedWriter[]): string[] {
  const out: string[] = [];
  for (const w of writers) {
    for (const a of w.acked.values()) {
      const node = tree.get(a.path);
      if (!node) out.push(`${a.path}: acknowledged but missing`);
      else if (node.data !== Buffer.from(a.data).toString('hex')) out.push(`${a.path}: data differs`);
    }
  }
  return out;
}
