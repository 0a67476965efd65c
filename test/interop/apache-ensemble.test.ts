// Interop stage baseline for quorum work: a 3-member Apache ZooKeeper 3.8 ensemble forms, survives
// kill -9 of its leader while a client writes through a follower, takes the old leader back as a
// follower, and ends with the same zxid and znodes everywhere. It prints the times a zk-server peer
// will be compared with later; it asserts roles and data, never times.
// ZK_ENSEMBLE_KEEP=1 keeps the members' directories (zoo.cfg, zookeeper.log, data) for reading.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { codeOf, CreateMode, long, nzk, NzkClient, OPEN_ACL } from '../integration/support/nzk.js';
import {
  allocateEnsemble, epochOf, formatProtocolErrors, protocolErrors, srvrStatus, startApacheMember, stopAllApacheMembers,
  waitForMode, type ApacheMember, type EnsembleMember, type ServingMode,
} from './apache-ensemble.js';
import { assertZooKeeperInstalled, javaMissingReason } from './apache-zk.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `Apache ensemble baseline skipped: ${javaMissing}`;

const BASE = '/apache-ensemble-baseline';
const FORMATION_TIMEOUT_MS = 30_000;
const FAILOVER_TIMEOUT_MS = 20_000;
const REJOIN_TIMEOUT_MS = 20_000;
const CONVERGE_TIMEOUT_MS = 10_000;
/** A single write that takes this long means the ensemble is stuck, not slow. */
const WRITE_TIMEOUT_MS = 20_000;
const WRITES_BEFORE_KILL = 20;
const WRITES_AFTER_REJOIN = 20;
/** Asked for; the members clamp it to 20 ticks (10 s), well above the failover time. */
const SESSION_TIMEOUT_MS = 10_000;

type RawClient = ReturnType<typeof nzk.createClient>;

interface Ack {
  index: number;
  path: string;
  issuedAt: number;
  ackedAt: number;
  /** false when the create answered NODEEXISTS: an earlier attempt lost its reply but was committed. */
  created: boolean;
}

/**
 * One client creating `${BASE}/w-<n>` back to back, one write outstanding at a time. A write that
 * fails with CONNECTION_LOSS is retried under the same name, so every index ends up acknowledged once.
 */
class WriteLoop {
  readonly acks: Ack[] = [];
  private stopping = false;
  private failure: Error | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly done: Promise<void>;

  constructor(private readonly client: RawClient) {
    this.done = this.run().catch((err: Error) => {
      this.failure = err;
      this.notify();
    });
  }

  /** Resolves with the first ack (past or future) that satisfies `test`. */
  async waitFor(what: string, test: (ack: Ack) => boolean, timeoutMs: number): Promise<Ack> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.acks.find(test);
      if (hit !== undefined) return hit;
      if (this.failure !== null) throw new Error(`write loop failed before ${what}: ${this.failure.message}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (${this.acks.length} writes acknowledged)`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
    if (this.failure !== null) throw this.failure;
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private async run(): Promise<void> {
    let consecutiveLosses = 0;
    // stop() takes effect only after an acknowledgement, so no write is left ambiguous (maybe committed).
    for (let index = 0; ;) {
      const path = `${BASE}/w-${String(index).padStart(6, '0')}`;
      const issuedAt = performance.now();
      const code = await this.create(path);
      // NODEEXISTS is an acknowledgement only for a retry: the lost attempt was committed after all.
      if (code === 0 || (code === nzk.Exception.NODE_EXISTS && consecutiveLosses > 0)) {
        this.acks.push({ index, path, issuedAt, ackedAt: performance.now(), created: code === 0 });
        this.notify();
        consecutiveLosses = 0;
        index++;
        if (this.stopping) return;
      } else if (code === nzk.Exception.CONNECTION_LOSS) {
        // Queued requests wait for the reconnect; only a closed client fails at once, so bound it.
        if (++consecutiveLosses > 1_000) throw new Error(`${path}: connection lost ${consecutiveLosses} times in a row`);
        await new Promise((resolve) => setImmediate(resolve));
      } else {
        throw new Error(`${path}: create failed with ZooKeeper error ${code}`);
      }
    }
  }

  /** 0 on success, else the ZooKeeper error code. */
  private create(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${path}: not acknowledged within ${WRITE_TIMEOUT_MS} ms`)), WRITE_TIMEOUT_MS);
      this.client.create(path, Buffer.from(path), OPEN_ACL, CreateMode.PERSISTENT, (err) => {
        clearTimeout(timer);
        if (err === null) resolve(0);
        else {
          const code = codeOf(err);
          if (code === undefined) reject(err);
          else resolve(code);
        }
      });
    });
  }
}

/** A raw node-zookeeper-client that retries the server quickly (spinDelay 50 ms instead of 1 s). */
function connectWriter(port: number): Promise<RawClient> {
  const client = nzk.createClient(`127.0.0.1:${port}`, { sessionTimeout: SESSION_TIMEOUT_MS, spinDelay: 50, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { client.close(); reject(new Error('writer: no session within 10 s')); }, 10_000);
    client.once('connected', () => { clearTimeout(timer); resolve(client); });
    client.connect();
  });
}

function createNode(client: RawClient, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.create(path, null, OPEN_ACL, CreateMode.PERSISTENT, (err) => (err === null ? resolve() : reject(err)));
  });
}

function czxidEpoch(client: RawClient, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.exists(path, undefined, (err, stat) => {
      if (err !== null) reject(err);
      else if (stat === null) reject(new Error(`${path} does not exist`));
      else resolve(Math.floor(long(stat.czxid) / 2 ** 32));
    });
  });
}

/** Waits until every member serves in one of `modes`; returns the modes by sid. */
async function waitForModes(members: readonly EnsembleMember[], modes: readonly ServingMode[], timeoutMs: number): Promise<Map<number, ServingMode>> {
  const found = await Promise.all(members.map((m) => waitForMode(m.clientPort, modes, timeoutMs)));
  return new Map(members.map((m, i) => [m.sid, found[i]]));
}

function sidsIn(modes: Map<number, ServingMode>, mode: ServingMode): number[] {
  return [...modes].filter(([, m]) => m === mode).map(([sid]) => sid);
}

/** Polls `srvr` on every member until all show the same Zxid; returns it. */
async function waitForSameZxid(members: readonly EnsembleMember[], timeoutMs: number): Promise<bigint> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await Promise.all(members.map((m) => srvrStatus(m.clientPort)));
    const zxids = status.map((s) => s?.zxid ?? null);
    if (zxids.every((z) => z !== null && z === zxids[0])) return zxids[0] as bigint;
    if (performance.now() >= deadline) {
      const shown = members.map((m, i) => `${m.sid}: ${zxids[i] === null ? 'not serving' : `0x${zxids[i]!.toString(16)}`}`);
      assert.fail(`members did not converge on one Zxid within ${timeoutMs} ms (${shown.join(', ')})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ms = (from: number, to: number): number => Math.round(to - from);

describe('Apache ZooKeeper 3.8 ensemble baseline (3 members)', { skip }, () => {
  let members: EnsembleMember[];
  const running = new Map<number, ApacheMember>();
  const allRuns: ApacheMember[] = [];
  let writer: RawClient | undefined;
  let loop: WriteLoop | undefined;
  let leaderSid = 0;
  let killedSid = 0;
  let formationMs = 0;
  let firstWriteMs = 0;

  const start = async (sid: number, dataDir?: string): Promise<ApacheMember> => {
    const member = await startApacheMember(members, sid, dataDir === undefined ? {} : { dataDir });
    running.set(sid, member);
    allRuns.push(member);
    return member;
  };

  before(async () => {
    assertZooKeeperInstalled();
    members = await allocateEnsemble(3);
  });

  after(async () => {
    await loop?.stop().catch(() => {});
    writer?.close();
    await Promise.all([...running.values()].map((m) => m.stop()));
    await stopAllApacheMembers();
  });

  it('forms: one leader and two followers serving, and a write through a follower is acknowledged', async () => {
    const startedAt = performance.now();
    await Promise.all(members.map((m) => start(m.sid)));
    const modes = await waitForModes(members, ['leader', 'follower'], FORMATION_TIMEOUT_MS);
    const formedAt = performance.now();
    const leaders = sidsIn(modes, 'leader');
    assert.equal(leaders.length, 1, `exactly one leader: ${JSON.stringify([...modes])}`);
    assert.equal(sidsIn(modes, 'follower').length, 2, `two followers: ${JSON.stringify([...modes])}`);
    leaderSid = leaders[0];

    const followerPort = members.find((m) => m.sid !== leaderSid)!.clientPort;
    writer = await connectWriter(followerPort);
    await createNode(writer, BASE);
    formationMs = ms(startedAt, formedAt);
    firstWriteMs = ms(startedAt, performance.now());
  });

  it('fails over: kill -9 of the leader, writes through a follower resume under a new leader', async () => {
    assert.ok(writer !== undefined && leaderSid !== 0, 'the ensemble formed');
    loop = new WriteLoop(writer);
    await loop.waitFor(`${WRITES_BEFORE_KILL} writes`, (a) => a.index === WRITES_BEFORE_KILL - 1, FAILOVER_TIMEOUT_MS);

    killedSid = leaderSid;
    const killedAt = performance.now();
    await running.get(killedSid)!.kill9();
    running.delete(killedSid);
    // Only a write issued after the kill proves a new leader: one in flight may still have been committed.
    const firstAfter = await loop.waitFor('write acknowledged after the kill', (a) => a.issuedAt >= killedAt, FAILOVER_TIMEOUT_MS);
    const failoverMs = ms(killedAt, firstAfter.ackedAt);

    const survivors = members.filter((m) => m.sid !== killedSid);
    const modes = await waitForModes(survivors, ['leader', 'follower'], FAILOVER_TIMEOUT_MS);
    const leaders = sidsIn(modes, 'leader');
    assert.equal(leaders.length, 1, `one new leader among the survivors: ${JSON.stringify([...modes])}`);
    leaderSid = leaders[0];

    const created = (a: Ack): boolean => a.created;
    const lastBefore = loop.acks.filter((a) => created(a) && a.ackedAt < killedAt).at(-1)!;
    const firstNew = await loop.waitFor('node created after the kill', (a) => created(a) && a.issuedAt >= killedAt, FAILOVER_TIMEOUT_MS);
    const oldEpoch = await czxidEpoch(writer, lastBefore.path);
    const newEpoch = await czxidEpoch(writer, firstNew.path);
    assert.ok(newEpoch > oldEpoch, `writes after the kill carry a new epoch (${oldEpoch} before, ${newEpoch} after)`);

    console.log(`apache ensemble: formation ${formationMs} ms, first write ${firstWriteMs} ms, failover ${failoverMs} ms`);
  });

  it('rejoins: the old leader restarts on its data as a follower; all members end with the same zxid and znodes', async () => {
    assert.ok(loop !== undefined && writer !== undefined && killedSid !== 0, 'the failover ran');
    const old = allRuns.find((m) => m.sid === killedSid)!;
    const restartedAt = performance.now();
    const restarted = await start(killedSid, old.dataDir);
    assert.equal(await waitForMode(restarted.clientPort, ['leader', 'follower'], REJOIN_TIMEOUT_MS), 'follower',
      'the old leader comes back as a follower');
    const rejoinMs = ms(restartedAt, performance.now());
    const modes = await waitForModes(members, ['leader', 'follower'], REJOIN_TIMEOUT_MS);
    assert.deepEqual(sidsIn(modes, 'leader'), [leaderSid], 'the leader elected at failover still leads');

    const rejoinedAt = performance.now();
    const lastIndex = loop.acks.at(-1)!.index;
    await loop.waitFor(`${WRITES_AFTER_REJOIN} writes after the rejoin`,
      (a) => a.issuedAt >= rejoinedAt && a.index >= lastIndex + WRITES_AFTER_REJOIN, FAILOVER_TIMEOUT_MS);
    await loop.stop();
    const acked = loop.acks.map((a) => a.path.slice(BASE.length + 1));
    writer.close();
    writer = undefined;
    console.log(`apache ensemble: rejoin ${rejoinMs} ms, ${acked.length} writes acknowledged`);

    const zxid = await waitForSameZxid(members, CONVERGE_TIMEOUT_MS);
    assert.ok(epochOf(zxid) >= 2, `the common Zxid 0x${zxid.toString(16)} is in the failover epoch or later`);

    for (const m of members) {
      const reader = await NzkClient.connect(m.clientPort);
      try {
        const { children } = await reader.getChildren(BASE);
        assert.deepEqual(children.sort(), [...acked].sort(), `member ${m.sid} holds exactly the acknowledged znodes`);
      } finally {
        reader.close();
      }
    }

    // The harness's log filter on a healthy ensemble: the killed leader's lost connections, and Apache's
    // own known defects (3.8.0's ZOOKEEPER-4394 when the old leader re-syncs under write load).
    for (const run of allRuns) {
      const errors = protocolErrors(run.logFile, undefined, { members });
      const unexpected = errors.filter((e) => !(e.kind === 'disconnect' && e.sid === killedSid) && e.kind !== 'apache-bug');
      assert.equal(unexpected.length, 0, `member ${run.sid} (${run.logFile}) logged protocol trouble:\n${formatProtocolErrors(unexpected)}`);
      const bugs = errors.filter((e) => e.kind === 'apache-bug');
      if (bugs.length > 0) console.log(`apache ensemble: member ${run.sid} hit ${bugs.map((e) => e.apacheBug).join(', ')} (a known Apache ZooKeeper 3.8.0 defect)`);
    }
    const survivorErrors = members.filter((m) => m.sid !== killedSid)
      .flatMap((m) => allRuns.filter((r) => r.sid === m.sid))
      .flatMap((r) => protocolErrors(r.logFile, killedSid, { members }));
    assert.ok(survivorErrors.length > 0, 'the followers logged losing the killed leader (the filter sees learner-side errors)');
  });
});
