// Runs one RawClient script against zk-server and against Apache ZooKeeper 3.8 and records what each
// answered, normalized (zxids relative to the scenario's start, times, session ids), so a test can
// assert both transcripts are equal instead of guessing ZooKeeper's behaviour.

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { Stat } from '../../../src/jute/records.js';
import { ErrorCode, EventType, OpCode } from '../../../src/protocol/constants.js';
import { apacheZkAvailable, startApacheZkServer } from '../../helpers/apache-zk.js';
import { RawClient, RawZkError, type RawConnectOptions, type RawFrame } from '../../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../../helpers/zk-server.js';

const errorNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const eventNames = new Map<number, string>(Object.entries(EventType).map(([k, v]) => [v, k]));
const opNames = new Map<number, string>(Object.entries(OpCode).map(([k, v]) => [v, k]));

export const errName = (code: number): string => errorNames.get(code) ?? `err${code}`;

/** One step of a transcript: a label and the normalized value the server gave. */
export type Step = [label: string, value: unknown];

/** What a scenario gets: connections to the server under test and a transcript to fill. */
export class Recorder {
  readonly steps: Step[] = [];
  private readonly sessions = new Map<bigint, string>();
  private readonly clients: RawClient[] = [];
  /** The last zxid before the scenario's first step: zxids are recorded relative to it. */
  private base = 0;

  constructor(readonly port: number) {}

  /** A new session, known in the transcript as s1, s2… */
  async connect(opts: RawConnectOptions = {}): Promise<RawClient> {
    const c = await RawClient.connect(this.port, opts);
    this.clients.push(c);
    if (!this.sessions.has(c.sessionId)) this.sessions.set(c.sessionId, `s${this.sessions.size + 1}`);
    if (this.clients.length === 1) {
      // A read's reply header carries the server's last zxid: the scenario starts above it.
      const r = await c.request(OpCode.exists, (w) => w.writeUString('/').writeBool(false));
      this.base = r.header.zxid;
    }
    return c;
  }

  /** Records a value (normalized). */
  record(label: string, value: unknown): void {
    this.steps.push([label, this.normalize(value)]);
  }

  /** Runs an op and records its result, or its error code when it fails. */
  async attempt(label: string, op: () => Promise<unknown>): Promise<unknown> {
    try {
      const v = await op();
      this.record(label, v === undefined ? 'ok' : v);
      return v;
    } catch (err) {
      if (!(err instanceof RawZkError)) throw err;
      this.record(label, { err: errName(err.code) });
      return undefined;
    }
  }

  /** The frames a client received from index `from` on, as readable strings. */
  frames(c: RawClient, from = 0): string[] {
    return c.frames.slice(from).map((f) => this.frameText(f));
  }

  /** Records the frames a client received from `from` on. */
  recordFrames(label: string, c: RawClient, from = 0): void {
    this.steps.push([label, this.frames(c, from)]);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private frameText(f: RawFrame): string {
    if (f.kind === 'notification') {
      return `event ${eventNames.get(f.event.type) ?? f.event.type} ${f.event.path}`;
    }
    return `reply ${f.op === undefined ? '?' : opNames.get(f.op) ?? f.op} ${f.header.err === 0 ? 'ok' : errName(f.header.err)}`;
  }

  zxid(z: number): string | number {
    // Zxids from before the scenario differ between servers (their start-up history differs).
    return z <= this.base ? 'before' : z - this.base;
  }

  normalize(v: unknown): unknown {
    if (v === null || v === undefined) return v ?? null;
    if (typeof v === 'bigint') return this.sessions.get(v) ?? `0x${BigInt.asUintN(64, v).toString(16)}`;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    if (Array.isArray(v)) return v.map((x) => this.normalize(x));
    if (typeof v === 'object') {
      if (isStat(v)) return this.normalizeStat(v);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = this.normalize(x);
      return out;
    }
    return v;
  }

  private normalizeStat(s: Stat): Record<string, unknown> {
    return {
      czxid: this.zxid(s.czxid), mzxid: this.zxid(s.mzxid), pzxid: this.zxid(s.pzxid),
      // Times differ; what must hold is "set" (non-zero) and whether mtime moved away from ctime.
      ctime: s.ctime === 0 ? 0 : 'set', mtimeIsCtime: s.mtime === s.ctime,
      version: s.version, cversion: s.cversion, aversion: s.aversion,
      ephemeralOwner: s.ephemeralOwner === 0n ? 0 : this.normalize(s.ephemeralOwner),
      dataLength: s.dataLength, numChildren: s.numChildren,
    };
  }
}

function isStat(v: object): v is Stat {
  return 'czxid' in v && 'pzxid' in v && 'numChildren' in v && 'ephemeralOwner' in v;
}

export type Scenario = (rec: Recorder) => Promise<void>;

/** Runs a scenario on one server and returns its transcript (clients are always closed). */
export async function transcript(port: number, scenario: Scenario): Promise<Step[]> {
  const rec = new Recorder(port);
  try {
    await scenario(rec);
  } finally {
    await rec.closeAll();
  }
  return rec.steps;
}

/** zk-server and (when installed) Apache ZooKeeper, started with matching settings. */
export interface ServerPair {
  ours: ZkServerHandle;
  theirs: ZkServerHandle | null;
  stop(): Promise<void>;
}

export const APACHE_ZK_MISSING = 'Apache ZooKeeper 3.8 (java and /usr/share/java/zookeeper.jar) is not installed: '
  + 'ran the scenario on zk-server only, the comparison is skipped';

/**
 * Starts both servers. `config` goes to both zoo.cfg files; `systemProperties` are zoo.cfg keys for
 * zk-server and -D properties for the JVM (how ZooKeeper reads them).
 */
export async function startPair(config: Record<string, string> = {}, systemProperties: Record<string, string> = {}): Promise<ServerPair> {
  const [ours, theirs] = await Promise.all([
    startZkServer({ storage: 'memory', extraConfig: { ...config, ...systemProperties } }),
    apacheZkAvailable() ? startApacheZkServer({ extraConfig: config, systemProperties }) : Promise.resolve(null),
  ]);
  return {
    ours,
    theirs,
    async stop() {
      await Promise.all([ours.stop(), theirs?.stop()]);
    },
  };
}

/**
 * The comparison test body: the same scenario on both servers, transcripts equal. Without Apache
 * ZooKeeper the scenario still runs on zk-server (so a crash or hang shows) and the test is skipped.
 */
export async function sameOnBoth(t: TestContext, pair: ServerPair, scenario: Scenario): Promise<Step[]> {
  const ours = await transcript(pair.ours.port, scenario);
  if (!pair.theirs) {
    t.skip(APACHE_ZK_MISSING);
    return ours;
  }
  const theirs = await transcript(pair.theirs.port, scenario);
  const diffs = transcriptDiff(ours, theirs);
  if (diffs.length > 0) assert.fail(`zk-server and Apache ZooKeeper answered differently:\n${diffs.join('\n')}`);
  return ours;
}

/** Every step where the transcripts differ, both answers shown in full. */
export function transcriptDiff(ours: readonly Step[], theirs: readonly Step[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = ours[i];
    const b = theirs[i];
    if (a !== undefined && b !== undefined && isDeepStrictEqual(a, b)) continue;
    out.push(`step ${i} "${a?.[0] ?? b?.[0]}":\n  zk-server: ${JSON.stringify(a?.[1])}\n  apache-zk: ${JSON.stringify(b?.[1])}`);
  }
  return out;
}
