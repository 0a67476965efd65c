// kill -9 of zk-server (filelog) while clients write, round after round on one data directory: after
// every restart each writer's nodes must be exactly the state after some prefix of the ops it sent
// (its session's requests are logged in order), that prefix must cover every acknowledged op, no
// acknowledged zxid may be missing, and the tree's stats must agree with its nodes.
//
// ZK_CRASH_ROUNDS sets the number of rounds (default 20); ZK_CRASH_SEED replays the random choices
// (configs, kill delays, the ops' choices; how many ops run before a kill depends on timing).
// SIGKILL leaves the page cache intact, so this checks that no reply goes out before its txn is
// written and recovery from what a killed process leaves; fdatasync against power loss it cannot.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { MultiOp } from '../../src/jute/records.js';
import { OPEN_ACL_UNSAFE, RawClient, RawZkError } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { dumpTree, filesOf, getDataOrNull, killDuringStart, removeTempDirs, tempDir, type NodeView } from './support.js';

const ROUNDS = Number(process.env.ZK_CRASH_ROUNDS ?? 20);
const SEED = Number(process.env.ZK_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WRITERS = 4;
const KEYS_PER_WRITER = 32;
/** Requests each writer keeps in flight. */
const PIPELINE_DEPTH = 16;
const KILL_DELAY_MS_MAX = 700;
/** Some rounds also kill a start-up part-way: module loading, restore, or the start-up snapshot. */
const START_KILL_CHANCE = 0.3;
const START_KILL_DELAY_MS_MAX = 900;
/** The smallest timeout tickTime 2000 allows: sessions of killed rounds expire during later ones. */
const SESSION_TIMEOUT_MS = 4_000;
const DATA_PADDING_MAX = 600;
const ROOT = '/crash';

/** mulberry32: a small seeded PRNG, so a failing run's choices can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface KeyState {
  exists: boolean;
  data: string | null;
  version: number;
}

const ABSENT: KeyState = { exists: false, data: null, version: 0 };
const sameState = (a: KeyState, b: KeyState): boolean => a.exists === b.exists && a.data === b.data && a.version === b.version;
const showState = (s: KeyState): string => (s.exists ? `v${s.version} ${s.data?.slice(0, 24)}…` : 'absent');

/** One request sent by a writer and the state of each key it changes once applied. */
interface SentOp {
  effects: { key: number; after: KeyState }[];
}

class Writer {
  /** State of each key at the start of the round (read back after the restart). */
  base: KeyState[] = Array.from({ length: KEYS_PER_WRITER }, () => ABSENT);
  /** State of each key once every op sent so far is applied. */
  predicted: KeyState[] = this.base.slice();
  ops: SentOp[] = [];
  /** Ops whose reply arrived (replies come in request order, so always a prefix of ops). */
  acked = 0;
  /** Never reused across rounds, so every data value names one op. */
  generation = 0;
  failures: string[] = [];
  client: RawClient | null = null;

  constructor(readonly id: number) {}

  get dir(): string {
    return `${ROOT}/w${this.id}`;
  }

  keyPath(key: number): string {
    return `${this.dir}/k${key}`;
  }

  startRound(actual: KeyState[]): void {
    this.base = actual;
    this.predicted = actual.slice();
    this.ops = [];
    this.acked = 0;
  }
}

interface RoundConfig {
  snapCount: number | null;
  preAllocSizeKb: number;
  killDelayMs: number;
  /** Set when the restart after this round's kill is itself killed after that long. */
  startKillDelayMs: number | null;
  /** autopurge on (it runs at start-up, as the writes begin): it must leave what restore needs. */
  autopurge: boolean;
}

function chooseConfig(random: () => number): RoundConfig {
  const r = random();
  // Two rounds in three snapshot (and roll the log) every few dozen txns, so kills land around them.
  const snapCount = r < 2 / 3 ? 2 + Math.floor(random() * 60) : null;
  const preAllocSizeKb = [1, 2, 4, 8, 64][Math.floor(random() * 5)];
  const killDelayMs = Math.floor(random() * KILL_DELAY_MS_MAX);
  const startKillDelayMs = random() < START_KILL_CHANCE ? Math.floor(random() * START_KILL_DELAY_MS_MAX) : null;
  return { snapCount, preAllocSizeKb, killDelayMs, startKillDelayMs, autopurge: random() < 0.5 };
}

/** Sends one op chosen from the writer's predicted state and records what its reply means. */
function sendOp(w: Writer, client: RawClient, random: () => number): Promise<void> {
  const key = Math.floor(random() * KEYS_PER_WRITER);
  const data = (): string => `w${w.id}.k.g${w.generation++}.${'x'.repeat(Math.floor(random() * DATA_PADDING_MAX))}`;
  const index = w.ops.length;
  const current = w.predicted[key];
  let request: Promise<unknown>;
  const effects: SentOp['effects'] = [];
  const r = random();
  if (!current.exists) {
    const d = data();
    effects.push({ key, after: { exists: true, data: d, version: 0 } });
    request = client.create(w.keyPath(key), Buffer.from(d));
  } else if (r < 0.75) {
    const d = data();
    effects.push({ key, after: { exists: true, data: d, version: current.version + 1 } });
    // Conditional: a server whose state strayed from the prediction answers BADVERSION.
    request = client.setData(w.keyPath(key), Buffer.from(d), current.version);
  } else if (r < 0.85) {
    effects.push({ key, after: ABSENT });
    request = client.delete(w.keyPath(key), current.version);
  } else {
    const other = (key + 1 + Math.floor(random() * (KEYS_PER_WRITER - 1))) % KEYS_PER_WRITER;
    const otherState = w.predicted[other];
    const d1 = data();
    const d2 = data();
    const ops: MultiOp[] = [{ type: 5, req: { path: w.keyPath(key), data: Buffer.from(d1), version: current.version } }];
    effects.push({ key, after: { exists: true, data: d1, version: current.version + 1 } });
    if (otherState.exists) {
      ops.push({ type: 5, req: { path: w.keyPath(other), data: Buffer.from(d2), version: otherState.version } });
      effects.push({ key: other, after: { exists: true, data: d2, version: otherState.version + 1 } });
    } else {
      ops.push({ type: 1, req: { path: w.keyPath(other), data: Buffer.from(d2), acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } });
      effects.push({ key: other, after: { exists: true, data: d2, version: 0 } });
    }
    request = client.multi(ops).then((res) => {
      if (res.err !== 0) throw new RawZkError(res.err, 14, w.keyPath(key));
    });
  }
  w.ops.push({ effects });
  for (const e of effects) w.predicted[e.key] = e.after;
  return request.then(
    () => {
      if (index !== w.acked) w.failures.push(`op ${index} acknowledged after only ${w.acked} earlier ops`);
      w.acked = index + 1;
    },
    (err: unknown) => {
      // A server error is a bug; a connection closed by the kill is the expected end of the round.
      if (err instanceof RawZkError) w.failures.push(`op ${index}: ${err.message}`);
    },
  );
}

/** Keeps PIPELINE_DEPTH requests in flight until the connection drops. */
async function runWriter(w: Writer, client: RawClient, random: () => number): Promise<void> {
  const inflight = new Set<Promise<void>>();
  while (!client.isClosed && w.failures.length === 0) {
    while (inflight.size < PIPELINE_DEPTH && !client.isClosed) {
      const p = sendOp(w, client, random);
      inflight.add(p);
      void p.then(() => inflight.delete(p));
    }
    if (inflight.size > 0) await Promise.race(inflight);
  }
  await Promise.all(inflight);
}

/** The writer's keys as the restarted server serves them, checked against its children list. */
async function readWriterState(c: RawClient, w: Writer): Promise<KeyState[]> {
  const states = await Promise.all(Array.from({ length: KEYS_PER_WRITER }, async (_, key) => {
    const got = await getDataOrNull(c, w.keyPath(key));
    return got === null ? ABSENT : { exists: true, data: got.data?.toString() ?? null, version: got.stat.version };
  }));
  const { children, stat } = await c.getChildren2(w.dir);
  const expectedChildren = states.flatMap((s, key) => (s.exists ? [`k${key}`] : [])).sort();
  assert.deepEqual(children.sort(), expectedChildren, `${w.dir}: children list vs the nodes getData finds`);
  assert.equal(stat.numChildren, children.length, `${w.dir}: numChildren`);
  return states;
}

/**
 * The prefixes of w.ops (counted in ops) whose result is exactly `actual`, given the state at the
 * start of the round; the server must have applied one of them, and it must cover every ack.
 */
function consistentPrefixes(w: Writer, actual: KeyState[]): number[] {
  const expected = w.base.slice();
  let mismatches = expected.filter((s, k) => !sameState(s, actual[k])).length;
  const prefixes = mismatches === 0 ? [0] : [];
  for (let p = 1; p <= w.ops.length; p++) {
    for (const { key, after: next } of w.ops[p - 1].effects) {
      const was = sameState(expected[key], actual[key]);
      expected[key] = next;
      const is = sameState(next, actual[key]);
      mismatches += (was ? 1 : 0) - (is ? 1 : 0);
    }
    if (mismatches === 0) prefixes.push(p);
  }
  return prefixes;
}

/** What the acknowledged prefix predicts, next to what the server has, for a failure message. */
function explainLoss(w: Writer, actual: KeyState[]): string {
  const expected = w.base.slice();
  for (const op of w.ops.slice(0, w.acked)) for (const e of op.effects) expected[e.key] = e.after;
  const lines = expected.flatMap((s, k) => (sameState(s, actual[k]) ? [] : [`  k${k}: acknowledged ${showState(s)}, found ${showState(actual[k])}`]));
  return `writer ${w.id}: ${w.acked} of ${w.ops.length} ops acknowledged, no prefix of at least ${w.acked} ops explains the tree:\n${lines.slice(0, 10).join('\n')}`;
}

/** Stats agree with the nodes: numChildren, dataLength, zxid order, pzxid covering the children. */
function checkTreeConsistent(tree: Map<string, NodeView>, lastZxid: number): void {
  for (const [p, node] of tree) {
    const children = [...tree.keys()].filter((c) => c !== p && path.posix.dirname(c) === p);
    assert.equal(node.stat.numChildren, children.length, `${p}: numChildren`);
    assert.equal(node.stat.dataLength, node.data?.length ?? 0, `${p}: dataLength`);
    assert.ok(node.stat.czxid <= node.stat.mzxid, `${p}: czxid 0x${node.stat.czxid.toString(16)} > mzxid`);
    assert.ok(node.stat.mzxid <= lastZxid && node.stat.pzxid <= lastZxid, `${p}: a zxid above the server's 0x${lastZxid.toString(16)}`);
    for (const c of children) {
      const child = tree.get(c) as NodeView;
      assert.ok(node.stat.pzxid >= child.stat.czxid, `${p}: pzxid 0x${node.stat.pzxid.toString(16)} below child ${c}'s czxid`);
    }
  }
}

/** What a restarted server said about files a crash left (torn tails, empty logs, snapshot temp files). */
function crashLeftovers(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /torn entry|removing .*log\.|holds no entry|unfinished snapshot write/.test(l));
}

/** Where a backend's crash leftovers live, for checking that each message names the file. */
const LEFTOVER_FILE: Record<Backend, (dataDir: string) => string> = {
  filelog: (dataDir) => `${escapeRegExp(dataDir)}/version-2/(log|snapshot)\\.[0-9a-f]+`,
  level: (dataDir) => `${escapeRegExp(dataDir)}/level/snapshots/snapshot\\.[0-9a-f]+`,
};
type Backend = 'filelog' | 'level';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

for (const storage of ['filelog', 'level'] as const) describe(`kill -9 while clients write (${storage})`, () => {
  after(removeTempDirs);

  it(`loses no acknowledged write over ${ROUNDS} crash rounds (seed ${SEED})`, { timeout: 20_000 + ROUNDS * 8_000 }, async (t: TestContext) => {
    // Two streams, so each round's config replays from the seed however many ops the timing allowed.
    const configRandom = seededRandom(SEED);
    const opRandom = seededRandom(SEED ^ 0x5bd1e995);
    const dataDir = path.join(tempDir(), 'data');
    const writers = Array.from({ length: WRITERS }, (_, i) => new Writer(i));
    let maxAckedZxid = 0;
    let totalAcked = 0;
    let totalSent = 0;
    let startKills = 0;
    const leftovers: string[] = [];
    const context = (round: number, cfg?: RoundConfig): string => `round ${round} (seed ${SEED}${cfg ? `, ${JSON.stringify(cfg)}` : ''})`;
    let previous: RoundConfig | undefined;

    for (let round = 0; round <= ROUNDS; round++) {
      const cfg = chooseConfig(configRandom);
      const extraConfig: Record<string, string> = { preAllocSize: String(cfg.preAllocSizeKb) };
      if (cfg.snapCount !== null) extraConfig.snapCount = String(cfg.snapCount);
      if (cfg.autopurge) Object.assign(extraConfig, { 'autopurge.snapRetainCount': '3', 'autopurge.purgeInterval': '1' });
      let zk: ZkServerHandle | null = await startZkServer({ storage, dataDir, extraConfig });
      try {
        leftovers.push(...crashLeftovers(zk.stderr()));
        const verifier = await RawClient.connect(zk.port);
        try {
          // Recovery: the state the previous round's kill left must explain every ack.
          if (round === 0) {
            await verifier.create(ROOT);
            for (const w of writers) await verifier.create(w.dir);
          }
          for (const w of writers) {
            const actual = await readWriterState(verifier, w);
            if (round > 0) {
              const prefixes = consistentPrefixes(w, actual);
              assert.ok(prefixes.some((p) => p >= w.acked), `${context(round - 1, previous)}: ${explainLoss(w, actual)}`);
            }
            w.startRound(actual);
          }
          // Every reply carries the server's last zxid: after a restart it must cover every ack.
          await verifier.sync('/');
          const lastZxid = verifier.lastZxid;
          assert.ok(lastZxid >= maxAckedZxid,
            `${context(round)}: restarted at zxid 0x${lastZxid.toString(16)}, below acknowledged 0x${maxAckedZxid.toString(16)}`);
          checkTreeConsistent(await dumpTree(verifier, ROOT), lastZxid);
        } finally {
          verifier.destroy();
        }
        if (round === ROUNDS) break;
        previous = cfg;

        // Write until the kill.
        const clients = await Promise.all(writers.map(() => RawClient.connect(zk!.port, { timeOut: SESSION_TIMEOUT_MS })));
        const running = writers.map((w, i) => runWriter(w, clients[i], opRandom));
        await new Promise((resolve) => setTimeout(resolve, cfg.killDelayMs));
        await zk.kill9();
        const killedLog = zk.stderr();
        zk = null;
        await Promise.all(running);
        for (const [i, w] of writers.entries()) {
          assert.deepEqual(w.failures, [], `${context(round, cfg)}: writer ${w.id} got errors`);
          maxAckedZxid = Math.max(maxAckedZxid, clients[i].lastZxid);
          totalAcked += w.acked;
          totalSent += w.ops.length;
        }
        assert.doesNotMatch(killedLog, /\[ERROR\]/, `${context(round, cfg)}: the server logged an error before the kill`);
        if (cfg.startKillDelayMs !== null) {
          // A crash during the restart itself: recovery and the start-up snapshot must survive it too.
          const startLog = await killDuringStart(dataDir, extraConfig, cfg.startKillDelayMs, storage);
          assert.doesNotMatch(startLog, /\[ERROR\]|cannot/, `${context(round, cfg)}: the killed restart reported an error`);
          leftovers.push(...crashLeftovers(startLog));
          startKills++;
        }
      } finally {
        await zk?.stop();
      }
    }
    for (const line of leftovers) {
      // A torn tail, empty log or snapshot temp file is fine after a crash; the message must name the file.
      assert.match(line, new RegExp(LEFTOVER_FILE[storage](dataDir)));
    }
    t.diagnostic(`seed ${SEED}: ${ROUNDS} kills while writing and ${startKills} during start-up, ${totalAcked} of ${totalSent} ops acknowledged, `
      + (storage === 'filelog' ? `${filesOf(dataDir, 'log').length} log files, ${filesOf(dataDir, 'snapshot').length} snapshots, ` : '')
      + `${leftovers.length} crash leftovers recovered${leftovers.length > 0 ? `:\n${leftovers.join('\n')}` : ''}`);
    assert.ok(totalAcked > ROUNDS * 10, `only ${totalAcked} ops acknowledged: the kills came too early to test much`);
  });
});
