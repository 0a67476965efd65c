// Apache ZooKeeper 3.8 quorum members for the interop stage: an ensemble described by pre-allocated
// 127.0.0.1 ports (so a zk-server peer can be listed in the same server.N lines), one QuorumPeerMain
// JVM per member in its own process group, role polling through `srvr`, and a filter for the log lines
// in which a Java peer complains about the quorum protocol.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fourLetter, freePort } from '../helpers/zk-server.js';
import { KEEP_MEMBER_DIRS, MemberReaper } from '../helpers/member-reaper.js';
import { FAST_JVM_FLAGS, JAVA, ZK_JAR } from './apache-zk.js';

const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
const QUORUM_PEER_MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

/** Test timing: a tick of 500 ms makes election, sync and failure detection fast but not flaky. */
export const TICK_TIME_MS = 500;
export const INIT_LIMIT_TICKS = 10;
export const SYNC_LIMIT_TICKS = 5;

const LISTEN_DEADLINE_MS = 20_000;
const STOP_DEADLINE_MS = 5_000;
const POLL_INTERVAL_MS = 50;
const FOUR_LETTER_TIMEOUT_MS = 1_000;

export type MemberRole = 'participant' | 'observer';

/** One ensemble member as every `server.N` line names it; the ports are free when allocated. */
export interface EnsembleMember {
  readonly sid: number;
  readonly role: MemberRole;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly clientPort: number;
}

export interface AllocateEnsembleOptions {
  /** These sids are observers; every other sid is a participant. */
  observers?: readonly number[];
  /** The first sid (default 1); the others follow consecutively. Keep sids in 1..254. */
  firstSid?: number;
}

/**
 * `count` members with sids firstSid.. and three distinct ports each, free on 127.0.0.1 at the time of
 * the call. Nothing holds them afterwards, so start the members soon.
 */
export async function allocateEnsemble(count: number, opts: AllocateEnsembleOptions = {}): Promise<EnsembleMember[]> {
  const firstSid = opts.firstSid ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new Error(`ensemble size must be a positive integer, got ${count}`);
  if (firstSid < 1 || firstSid + count - 1 > 254) throw new Error('sids must lie in 1..254');
  const observers = new Set(opts.observers ?? []);
  const ports = new Set<number>();
  // The kernel may hand the same ephemeral port to two consecutive probes: keep asking.
  for (let attempts = 0; ports.size < count * 3; attempts++) {
    if (attempts > count * 3 * 10) throw new Error('could not find enough distinct free ports');
    ports.add(await freePort());
  }
  const list = [...ports];
  const members: EnsembleMember[] = [];
  for (let i = 0; i < count; i++) {
    const sid = firstSid + i;
    members.push({
      sid,
      role: observers.has(sid) ? 'observer' : 'participant',
      quorumPort: list[3 * i],
      electionPort: list[3 * i + 1],
      clientPort: list[3 * i + 2],
    });
  }
  for (const sid of observers) {
    if (!members.some((m) => m.sid === sid)) throw new Error(`observer sid ${sid} is not in the ensemble`);
  }
  return members;
}

/** The value of a member's `server.<sid>` key: `127.0.0.1:q:e[:observer];127.0.0.1:client`. */
export function serverAddress(member: EnsembleMember): string {
  const role = member.role === 'observer' ? ':observer' : '';
  return `127.0.0.1:${member.quorumPort}:${member.electionPort}${role};127.0.0.1:${member.clientPort}`;
}

/** Every member's `server.N` key, for any member's config (Apache's or a zk-server peer's). */
export function serverLines(members: readonly EnsembleMember[]): Record<string, string> {
  return Object.fromEntries(members.map((m) => [`server.${m.sid}`, serverAddress(m)]));
}

/** zoo.cfg keys shared by every Apache member of an ensemble (dataDir is per member). */
export function ensembleConfig(members: readonly EnsembleMember[]): Record<string, string> {
  return {
    tickTime: String(TICK_TIME_MS),
    initLimit: String(INIT_LIMIT_TICKS),
    syncLimit: String(SYNC_LIMIT_TICKS),
    '4lw.commands.whitelist': '*',
    'admin.enableServer': 'false',
    // A single participant must not silently turn into a standalone server.
    standaloneEnabled: 'false',
    // Keeps the config version at 0 everywhere, as a mixed ensemble needs (fact sheet §7.17).
    reconfigEnabled: 'false',
    forceSync: 'yes',
    ...serverLines(members),
  };
}

export interface StartApacheMemberOptions {
  /** Serve from this data directory (restart on an earlier run's data); default a fresh one. */
  dataDir?: string;
  /** More zoo.cfg keys, applied last. */
  extraConfig?: Record<string, string>;
  /** More JVM system properties (`-Dkey=value`), e.g. `zookeeper.extendedTypesEnabled`. */
  systemProperties?: Record<string, string>;
  /** Log level of the slf4j-simple log (default info; debug shows every election notification). */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

export interface ApacheMember {
  readonly sid: number;
  readonly pid: number;
  readonly clientPort: number;
  readonly dataDir: string;
  /** The slf4j-simple log of this run of the member; a restart writes a new file. */
  readonly logFile: string;
  /** This run's directory: zoo.cfg, zookeeper.log, jvm.out (the JVM's stdout and stderr), data/. */
  readonly dir: string;
  /** Resolves when the JVM exits: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM to the process group, SIGKILL if it is still running after 5 s. Keeps the files. */
  stop(): Promise<void>;
  /** SIGKILL to the process group, as a crash would; resolves once it has exited. Keeps the files. */
  kill9(): Promise<void>;
  /** SIGSTOP: the JVM freezes with its sockets open, as a long GC pause or a hung host would. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** The log so far, or its last `lines` lines. */
  log(lines?: number): string;
}

const reaper = new MemberReaper((child) => signalGroup(child, 'SIGKILL'));

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // The JVM leads its own process group (spawned detached), so this reaches anything it forked.
    process.kill(-child.pid, signal);
  } catch {
    try { child.kill(signal); } catch { /* already gone */ }
  }
}

function renderConfig(entries: Record<string, string>): string {
  return Object.entries(entries).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/**
 * Starts member `sid` of `members` as an Apache ZooKeeper QuorumPeerMain and resolves once its client
 * port listens (`ruok` answers): the member is up, not necessarily serving; use waitForMode for that.
 * Rejects, with the log tail, if the JVM exits first or does not listen within 20 s.
 */
export async function startApacheMember(
  members: readonly EnsembleMember[],
  sid: number,
  opts: StartApacheMemberOptions = {},
): Promise<ApacheMember> {
  const member = members.find((m) => m.sid === sid);
  if (member === undefined) throw new Error(`sid ${sid} is not in the ensemble (${members.map((m) => m.sid).join(', ')})`);

  const dir = mkdtempSync(path.join(os.tmpdir(), `zk-ensemble-${sid}-`));
  reaper.dirs.add(dir);
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const myidFile = path.join(dataDir, 'myid');
  // Java parses myid with Long.parseLong and no trim: no newline.
  if (!existsSync(myidFile)) writeFileSync(myidFile, String(sid));
  else if (readFileSync(myidFile, 'utf8') !== String(sid)) throw new Error(`${myidFile} does not hold sid ${sid}`);

  const configPath = path.join(dir, 'zoo.cfg');
  writeFileSync(configPath, renderConfig({ ...ensembleConfig(members), dataDir, ...opts.extraConfig }));
  const logFile = path.join(dir, 'zookeeper.log');
  const jvmOut = path.join(dir, 'jvm.out');
  const systemProperties: Record<string, string> = {
    'zookeeper.jmx.log4j.disable': 'true',
    'org.slf4j.simpleLogger.logFile': logFile,
    'org.slf4j.simpleLogger.defaultLogLevel': opts.logLevel ?? 'info',
    'org.slf4j.simpleLogger.showDateTime': 'true',
    'org.slf4j.simpleLogger.dateTimeFormat': "yyyy-MM-dd'T'HH:mm:ss.SSS",
    ...opts.systemProperties,
  };

  // A file, not a pipe: a JVM that outlives a crashed test process must not block on a full pipe.
  const outFd = openSync(jvmOut, 'a');
  let child: ChildProcess;
  try {
    child = spawn(JAVA, [
      ...FAST_JVM_FLAGS,
      '-Xmx256m',
      ...Object.entries(systemProperties).map(([k, v]) => `-D${k}=${v}`),
      '-cp', [ZK_JAR, SLF4J_SIMPLE_JAR].join(':'),
      QUORUM_PEER_MAIN,
      configPath,
    ], { cwd: dir, stdio: ['ignore', outFd, outFd], detached: true });
  } finally {
    closeSync(outFd);
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
    const out = existsSync(jvmOut) ? readFileSync(jvmOut, 'utf8') : '';
    const all = out === '' ? text : `${text}--- jvm.out ---\n${out}`;
    return lines === undefined ? all : all.split('\n').slice(-lines - 1).join('\n');
  };

  const waitExited = async (deadlineMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), deadlineMs); });
    const done = await Promise.race([exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return done;
  };

  const handle: ApacheMember = {
    sid,
    pid: child.pid ?? -1,
    clientPort: member.clientPort,
    dataDir,
    logFile,
    dir,
    exited,
    isRunning: () => running,
    async stop() {
      if (!running) return;
      signalGroup(child, 'SIGTERM');
      // A paused JVM cannot act on SIGTERM.
      signalGroup(child, 'SIGCONT');
      if (await waitExited(STOP_DEADLINE_MS)) return;
      signalGroup(child, 'SIGKILL');
      await exited;
    },
    async kill9() {
      if (running) signalGroup(child, 'SIGKILL');
      await exited;
    },
    pause() {
      if (running) signalGroup(child, 'SIGSTOP');
    },
    resume() {
      if (running) signalGroup(child, 'SIGCONT');
    },
    log: readLog,
  };

  const deadline = Date.now() + LISTEN_DEADLINE_MS;
  for (;;) {
    const outcome = await Promise.race([
      spawnFailed,
      exited.then(({ code, signal }) => new Error(`exited (${signal ?? `code ${code}`}) before its client port listened`)),
      listens(member.clientPort),
    ]);
    if (outcome === true) return handle;
    const failure = outcome instanceof Error
      ? outcome
      : Date.now() > deadline ? new Error(`client port ${member.clientPort} did not answer ruok within ${LISTEN_DEADLINE_MS} ms`) : null;
    if (failure !== null) {
      await handle.kill9();
      throw new Error(`Apache ZooKeeper member ${sid}: ${failure.message}\n--- log tail (${dir}) ---\n${readLog(40)}`);
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/** Kills every member still running (SIGKILL) and removes the member directories (unless kept). */
export async function stopAllApacheMembers(): Promise<void> {
  const children = [...reaper.children];
  reaper.killAll();
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  })));
  if (KEEP_MEMBER_DIRS) {
    for (const dir of reaper.dirs) console.log(`apache ensemble: kept ${dir}`);
    return;
  }
  reaper.removeDirs();
}

async function listens(clientPort: number): Promise<boolean> {
  try {
    return (await fourLetter(clientPort, 'ruok', FOUR_LETTER_TIMEOUT_MS)) === 'imok';
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------------
// Roles, through `srvr`.

export type ServingMode = 'leader' | 'follower' | 'observer' | 'standalone' | 'read-only';

export interface SrvrStatus {
  mode: ServingMode;
  /** `Zxid:`, the server's lastProcessedZxid (a fresh leader shows epoch<<32). */
  zxid: bigint;
  nodeCount: number;
}

const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

/** `srvr` parsed, or null when the member does not answer or is not serving (LOOKING or syncing). */
export async function srvrStatus(clientPort: number): Promise<SrvrStatus | null> {
  let reply: string;
  try {
    reply = await fourLetter(clientPort, 'srvr', FOUR_LETTER_TIMEOUT_MS);
  } catch {
    return null;
  }
  if (reply.startsWith(NOT_SERVING)) return null;
  const mode = /^Mode: (\S+)$/m.exec(reply)?.[1];
  const zxid = /^Zxid: (0x[0-9a-f]+)$/m.exec(reply)?.[1];
  const nodeCount = /^Node count: (\d+)$/m.exec(reply)?.[1];
  if (mode === undefined || zxid === undefined || nodeCount === undefined) return null;
  return { mode: mode as ServingMode, zxid: BigInt(zxid), nodeCount: Number(nodeCount) };
}

/** The member's `Mode:`, or null when it does not answer or is not serving requests. */
export async function modeOf(clientPort: number): Promise<ServingMode | null> {
  return (await srvrStatus(clientPort))?.mode ?? null;
}

/** Polls `srvr` until `Mode:` is one of `modes`; returns it. Throws after timeoutMs with the last answer. */
export async function waitForMode(clientPort: number, modes: readonly ServingMode[], timeoutMs: number): Promise<ServingMode> {
  const deadline = Date.now() + timeoutMs;
  let last: ServingMode | null = null;
  for (;;) {
    last = await modeOf(clientPort);
    if (last !== null && modes.includes(last)) return last;
    if (Date.now() >= deadline) {
      throw new Error(`port ${clientPort}: mode ${last ?? 'not serving'} after ${timeoutMs} ms, expected ${modes.join(' or ')}`);
    }
    await delay(POLL_INTERVAL_MS);
  }
}

/** The epoch half of a zxid. */
export function epochOf(zxid: bigint): number {
  return Number(zxid >> 32n);
}


// ---------------------------------------------------------------------------------------------------
// Protocol complaints in a member's log.

/** One WARN/ERROR entry of a member's log that points at quorum protocol trouble. */
export interface ProtocolError {
  /** 1-based line of the entry in the log file. */
  line: number;
  time: string;
  level: 'WARN' | 'ERROR';
  thread: string;
  logger: string;
  message: string;
  /** The exception and stack lines slf4j-simple printed after the entry. */
  detail: string[];
  /**
   * 'disconnect' when the only cause shown is the connection itself (EOF, reset, broken pipe, refused,
   * read timeout): what a Java peer logs when its peer dies, is killed or paused. 'apache-bug' when the
   * exception is a known defect of the Java side (see `apacheBug`), which a correct peer can trigger.
   * 'protocol' otherwise: a message about content (malformed, unexpected, out of order) or another
   * exception.
   */
  kind: 'disconnect' | 'apache-bug' | 'protocol';
  /** For kind 'apache-bug': the ZooKeeper issue, e.g. ZOOKEEPER-4394. */
  apacheBug: string | null;
  /** The peer the entry is about, when the message, its thread or the learner state tell (see protocolErrors). */
  sid: number | null;
}

/**
 * WARN/ERROR messages of ZooKeeper 3.8's quorum code that mean a peer sent something the Java side did
 * not accept, or that a Zab or election connection with a peer broke. Each is matched against the
 * message and the exception lines after it (some are exception texts, thrown and logged by a caller).
 *
 * Deliberately NOT matched, because a healthy ensemble logs them whenever a member starts, stops or
 * dies: "Cannot open channel to N at election address" (peer not up), "Connection broken for id N",
 * "Interrupting SendWorker", "Send worker leaving thread", "Interrupted while waiting for message on
 * queue" (election connection closed), "******* GOODBYE" (learner handler cleanup), "Failed connect to"
 * and "Unexpected exception, tries=N" (learner dialling a leader that is not listening yet), "PeerState
 * set to LOOKING", and "Unhandled scenario for peer sid" (the leader's own fall-back to SNAP, which it
 * also takes for a learner whose zxid is a bare new-epoch zxid).
 */
const PROTOCOL_TROUBLE: readonly RegExp[] = [
  // QuorumCnxManager: the election connection header and framing.
  /Initial message parsing error/, // InitialMessage.parse: bad protocol version, address length or text
  /Exception handling connection, addr/, // receiveConnection: the header could not be read
  /Exception while connecting, id/, // initiateConnection: the header could not be written
  /connection request from a server with our own ID/,
  /Invalid server id/, // header from a sid that is not in the config
  /BufferUnderflowException/, // RecvWorker: a frame shorter than its length said
  /Received packet with invalid packet/, // RecvWorker: length < 0 or > maxBuffer (thrown; in the detail)
  // FastLeaderElection: notifications.
  /Got a short response from server/, // fewer than 28 bytes
  /partial \/ malformed response message/, // decoding threw
  /Something went wrong while processing config received from/,
  /Notification state unrecognized/,
  /Ignoring notification for (?:non-cluster member|sid \d+ from non-quorum member)/,
  // Learner / Follower / Observer (all log as ...quorum.Learner): what the leader sent.
  /Proposed leader epoch .* is less than our accepted epoch/,
  /Leaders epoch, \d+ is less than accepted epoch/, // thrown by registerWithLeader
  /First packet should have been NEWLEADER/,
  /Missing signature/, // the SNAP stream did not end with BenWasHere
  /Got unexpected packet from leader/, // sync phase; the learner exits (code 12) right after
  /Not able to truncate the log/,
  // Proposals out of sequence. Not "expected 0x1": the sync phase and each Follower count from 0, so
  // the first PROPOSAL/INFORM of each phase of every following session is reported that way. Nor a
  // DIFF going on into a later epoch (see isEpochCrossing).
  /^Got zxid 0x[0-9a-f]+ expected 0x(?!1$)[0-9a-f]+$/,
  /Committing 0x[0-9a-f]+, but next proposal is/, // COMMIT not for the oldest pending proposal
  /Received an UPTODATE message after (?:Follower|Observer) started/,
  /Unknown packet type/,
  /Exception when (?:following|observing) the leader/, // any end of the learner's Zab session
  // Leader / LearnerHandler: what a learner sent.
  /First packet .* is not FOLLOWERINFO or OBSERVERINFO/,
  /is not ACKEPOCH/,
  /Next packet was supposed to be an ACK/, // the first packet after NEWLEADER was not its ACK
  /unexpected quorum packet/,
  /Unexpected exception in LearnerHandler/, // any end of a learner's Zab session, leader side
  /Follower is ahead of the leader/, // thrown by waitForEpochAck
  /NEWLEADER ACK from sid: \d+ is from a different epoch/,
  /ACK for 0x[0-9a-f]+ received before ACK for/,
  /Trying to commit future proposal/,
  /Commiting zxid 0x[0-9a-f]+ from .* not first/, // (sic)
  /Cannot send TRUNC to peer sid/,
  /Closing connection to peer due to transaction timeout/, // a PROPOSAL left un-ACKed for syncLimit ticks
  /Exception while sending packets in LearnerHandler/,
  /Exception while connecting to quorum learner/,
  /Exception while accepting follower/,
  // QuorumPeer's main loop caught something while leading, following or observing.
  /^Unexpected exception$/,
];

/**
 * Exceptions that are defects of ZooKeeper 3.8.0 itself (Debian's version), reached by legal peer
 * behaviour. ZOOKEEPER-4394: a learner that gets a COMMIT between its NEWLEADER ACK and UPTODATE (which
 * a leader under write load sends) dereferences an empty packetsNotCommitted in syncWithLeader, drops
 * the leader and re-syncs; fixed in 3.8.5 (ZOOKEEPER-4785) and 3.9.2.
 */
const APACHE_BUGS: ReadonlyArray<{ issue: string; detail: RegExp }> = [
  { issue: 'ZOOKEEPER-4394', detail: /^java\.lang\.NullPointerException: Cannot read field "hdr" because "pif" is null$/ },
];

/** The exception lines that only say the connection ended or went silent. */
// Learner.connectToLeader gives up with "IOException: Failed connect to <leader>" when every dial
// failed (the leader it chose is gone): a connection failure like ConnectException, not content.
const DISCONNECT_CAUSE = /^(?:Caused by: )?java\.(?:io\.EOFException|io\.IOException: Failed connect to |net\.SocketException: (?:Connection reset|Broken pipe|Socket closed|Connection refused)|net\.SocketTimeoutException|net\.ConnectException)/;
const EXCEPTION_LINE = /^(?:Caused by: )?[\w$]+(?:\.[\w$]+)+(?:Exception|Error|Throwable)\b/;

/** The harness's slf4j-simple layout: `<ISO time> [<thread>] <LEVEL> <logger> - <message>`. */
const ENTRY = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) \[(.*?)\] (TRACE|DEBUG|INFO|WARN|ERROR) (\S+) - (.*)$/;

export interface ProtocolErrorsOptions {
  /** The ensemble, to tell which sid a learner's leader is (from its quorum port). */
  members?: readonly EnsembleMember[];
}

/**
 * The WARN/ERROR entries of an Apache member's log (as startApacheMember writes it) that indicate
 * quorum protocol trouble: PROTOCOL_TROUBLE above, matched against the message or the exception lines
 * that follow it. Each entry says whether it is only a lost connection or a known Apache defect (`kind`):
 * a test about a peer asserts no 'protocol' entries about it, and usually no 'disconnect' ones either
 * unless it stopped or paused that peer.
 *
 * With `aboutSid`, only the entries about that peer, which the harness attributes, in this order:
 * - the thread belongs to that peer: RecvWorker:N, SendWorker:N, QuorumConnectionReqThread-N;
 * - the message names it: "from sid N", "received from N", "N(n.sid)", "sid: N", "sid=N", "id: N",
 *   "id N", "server N";
 * - a LearnerHandler thread or its Sender thread (both named after the learner's address) once the
 *   handler logged "Follower sid: N";
 * - a learner's own complaints (logger ...quorum.Learner, or the QuorumPeer thread's "Unexpected
 *   exception") while it follows N, known from "Successfully connected to leader, using address:
 *   host:quorumPort" and `members`.
 * Entries that cannot be attributed (sid null, e.g. a connection header too broken to name its sender)
 * never match `aboutSid`: a test about one peer should assert on those as well.
 */
/**
 * "Got zxid 0xE:1 expected 0xD:n+1" with epoch E above D: the learner's check is lastQueued + 1, so a
 * DIFF holding txns of two epochs (a member that lost its last txns of an epoch the others went on
 * from) warns where the stream enters the later one. Apache members sync each other that way (seen
 * in the baseline ensemble's rejoin: "Got zxid 0x200000001 expected 0x100000017").
 */
function isEpochCrossing(message: string): boolean {
  const m = /^Got zxid 0x([0-9a-f]+) expected 0x([0-9a-f]+)$/.exec(message);
  if (m === null) return false;
  const got = BigInt(`0x${m[1]}`);
  const lastQueued = BigInt(`0x${m[2]}`) - 1n;
  return (got & 0xffffffffn) === 1n && got >> 32n > lastQueued >> 32n;
}

export function protocolErrors(logFile: string, aboutSid?: number, opts: ProtocolErrorsOptions = {}): ProtocolError[] {
  const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const lines = text.split('\n');
  const handlerSid = new Map<string, number>();
  let leaderSid: number | null = null;
  const found: ProtocolError[] = [];
  let current: ProtocolError | null = null;

  const finish = (entry: ProtocolError | null): void => {
    if (entry === null) return;
    const all = [entry.message, ...entry.detail];
    if (isEpochCrossing(entry.message)) return;
    if (!PROTOCOL_TROUBLE.some((re) => all.some((l) => re.test(l)))) return;
    const causes = entry.detail.filter((l) => EXCEPTION_LINE.test(l));
    const bug = APACHE_BUGS.find((b) => causes.some((l) => b.detail.test(l)));
    entry.apacheBug = bug?.issue ?? null;
    entry.kind = bug !== undefined ? 'apache-bug'
      : causes.length > 0 && causes.every((l) => DISCONNECT_CAUSE.test(l)) ? 'disconnect' : 'protocol';
    found.push(entry);
  };

  for (let i = 0; i < lines.length; i++) {
    const m = ENTRY.exec(lines[i]);
    if (m === null) {
      // A stack trace or exception line belongs to the entry above it.
      if (current !== null && lines[i] !== '') current.detail.push(lines[i]);
      continue;
    }
    finish(current);
    current = null;
    const [, time, thread, level, logger, message] = m;
    const learner = /^Follower sid: (\d+)/.exec(message);
    const handlerAddr = learnerHandlerAddress(thread);
    if (learner !== null && handlerAddr !== null) handlerSid.set(handlerAddr, Number(learner[1]));
    const leaderAddr = /^Successfully connected to leader, using address: \S*:(\d+)$/.exec(message);
    if (leaderAddr !== null) leaderSid = opts.members?.find((mm) => mm.quorumPort === Number(leaderAddr[1]))?.sid ?? null;
    if (/^Peer state changed: (?:looking|leading)/.test(message)) leaderSid = null;
    if (level !== 'WARN' && level !== 'ERROR') continue;
    current = {
      line: i + 1,
      time,
      level,
      thread,
      logger,
      message,
      detail: [],
      kind: 'protocol',
      apacheBug: null,
      sid: attribute(thread, logger, message, handlerSid, leaderSid),
    };
  }
  finish(current);
  return aboutSid === undefined ? found : found.filter((e) => e.sid === aboutSid);
}

function attribute(thread: string, logger: string, message: string, handlerSid: Map<string, number>, leaderSid: number | null): number | null {
  const worker = /^(?:RecvWorker:|SendWorker:|QuorumConnectionReqThread-)(\d+)$/.exec(thread);
  if (worker !== null) return Number(worker[1]);
  // "for sid 4 from sid 3" is about the sender; "my id = 2" is this member.
  const text = message.replace(/my id = \d+|myId: \d+/g, '');
  const named = /from (?:non-quorum member )?sid (\d+)/.exec(text)
    ?? /received from (\d+)\b/.exec(text)
    ?? /\b(\d+)\s*\(n\.sid\)/.exec(text)
    ?? /\b(?:sid|id|server)(?::|=| )\s*(\d+)\b/.exec(text);
  if (named !== null) return Number(named[1]);
  const handlerAddr = learnerHandlerAddress(thread);
  const handler = handlerAddr === null ? undefined : handlerSid.get(handlerAddr);
  if (handler !== undefined) return handler;
  if (logger.endsWith('.quorum.Learner') || (logger.endsWith('.quorum.QuorumPeer') && thread.startsWith('QuorumPeer['))) return leaderSid;
  return null;
}

/** A LearnerHandler's threads are named after the learner's address: LearnerHandler-/a:p, Sender-/a:p. */
function learnerHandlerAddress(thread: string): string | null {
  return /^(?:LearnerHandler|Sender)-(\/\S+)$/.exec(thread)?.[1] ?? null;
}

/** protocolErrors, one line per entry, for assertion messages. */
export function formatProtocolErrors(errors: readonly ProtocolError[]): string {
  return errors
    .map((e) => `  line ${e.line} ${e.time} ${e.level} (${e.apacheBug ?? e.kind}, sid ${e.sid ?? '?'}) [${e.thread}] ${e.message}${e.detail.length > 0 ? ` | ${e.detail[0]}` : ''}`)
    .join('\n');
}
