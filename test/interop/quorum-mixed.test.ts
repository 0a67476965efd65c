// Mixed ensembles: zk-server peers and Apache ZooKeeper 3.8 peers in one quorum, each side leading
// the other: they elect, sync, replicate writes made through every member, and the Apache peers'
// logs show no protocol errors about the zk-server peers.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, javaMissingReason } from './apache-zk.js';
import {
  allocateEnsemble, ensembleConfig, formatProtocolErrors, protocolErrors, srvrStatus, startApacheMember,
  stopAllApacheMembers, waitForMode, type ApacheMember, type EnsembleMember,
} from './apache-ensemble.js';
import { NzkClient } from '../integration/support/nzk.js';
import { RawClient } from '../helpers/raw-client.js';
import { withTimeout } from '../helpers/timeout.js';

const skip = javaMissingReason();
const ROLE_TIMEOUT_MS = 30_000;

after(async () => {
  await stopAllApacheMembers();
});

/** A zk-server member of `members` (its own dataDir with myid), started on the members' ports. */
async function startOurMember(members: readonly EnsembleMember[], sid: number, dataDir?: string): Promise<ZkServerHandle & { dataDir: string }> {
  const me = members.find((m) => m.sid === sid)!;
  const dir = dataDir ?? mkdtempSync(path.join(os.tmpdir(), `zk-mixed-${sid}-`));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'myid'), String(sid));
  const cfg = ensembleConfig(members);
  const handle = await startZkServer({
    storage: 'filelog',
    dataDir: dir,
    port: me.clientPort,
    extraConfig: cfg,
    waitFor: 'ruok',
  });
  return Object.assign(handle, { dataDir: dir });
}

async function waitServing(port: number, modes: Array<'leader' | 'follower'>): Promise<string> {
  return waitForMode(port, modes, ROLE_TIMEOUT_MS);
}

/** The data of every /mixed child, read through one member. */
async function readAll(port: number): Promise<Map<string, string>> {
  const c = await NzkClient.connect(port);
  try {
    const out = new Map<string, string>();
    const { children } = await c.getChildren('/mixed');
    for (const k of children.sort()) {
      const { data } = await c.getData(`/mixed/${k}`);
      out.set(k, data?.toString('utf8') ?? '');
    }
    return out;
  } finally {
    c.close();
  }
}

/** Until exactly one of `ports` leads and the others follow. */
async function waitForLeaderAmong(ports: number[]): Promise<void> {
  const deadline = Date.now() + ROLE_TIMEOUT_MS;
  let modes: Array<string | null> = [];
  while (Date.now() < deadline) {
    modes = await Promise.all(ports.map(async (p) => (await srvrStatus(p))?.mode ?? null));
    if (modes.filter((m) => m === 'leader').length === 1 && modes.every((m) => m === 'leader' || m === 'follower')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no single leader among ${ports.join(', ')}: ${modes.join(', ')}`);
}

/** A follower may apply a moment after the leader: poll until `port` reads `expected`. */
async function converges(port: number, expected: Map<string, string>): Promise<void> {
  const deadline = Date.now() + 10_000;
  let got = await readAll(port);
  while (Date.now() < deadline && JSON.stringify([...got]) !== JSON.stringify([...expected])) {
    await new Promise((r) => setTimeout(r, 100));
    got = await readAll(port);
  }
  assert.deepEqual(got, expected, `member on port ${port} has the same /mixed`);
}

async function writeThrough(port: number, names: string[]): Promise<void> {
  const c = await NzkClient.connect(port);
  try {
    for (const n of names) await c.create(`/mixed/${n}`, Buffer.from(`via ${port}`));
  } finally {
    c.close();
  }
}

function assertNoProtocolErrors(zks: ApacheMember[], ours: number[]): void {
  for (const zk of zks) {
    for (const sid of ours) {
      const errors = protocolErrors(zk.logFile, sid).filter((e) => e.kind === 'protocol');
      assert.deepEqual(errors, [], `Apache peer ${zk.sid} logged protocol errors about zk-server peer ${sid}:\n${formatProtocolErrors(errors)}`);
    }
  }
}

test('a zk-server peer follows an Apache ZooKeeper leader: syncs, forwards writes, replicates', { skip: skip ?? false, timeout: 120_000 }, async () => {
  assertZooKeeperInstalled();
  const members = await allocateEnsemble(3);
  const [zk2, zk3] = await Promise.all([startApacheMember(members, 2), startApacheMember(members, 3)]);
  let ours: (ZkServerHandle & { dataDir: string }) | null = null;
  try {
    const modes = await Promise.all([waitServing(zk2.clientPort, ['leader', 'follower']), waitServing(zk3.clientPort, ['leader', 'follower'])]);
    assert.deepEqual([...modes].sort(), ['follower', 'leader']);
    const c = await NzkClient.connect(zk2.clientPort);
    await c.create('/mixed', Buffer.from('root'));
    c.close();
    await writeThrough(zk3.clientPort, ['before-1', 'before-2']);

    const started = Date.now();
    ours = await startOurMember(members, 1);
    assert.equal(await waitServing(members[0].clientPort, ['follower']), 'follower');
    console.log(`mixed: zk-server 1 joined the Apache ensemble as follower in ${Date.now() - started} ms`);

    // A sync through the zk-server follower goes to the Apache leader and comes back as its SYNC.
    await writeThrough(zk2.clientPort, ['before-sync']);
    const raw = await RawClient.connect(members[0].clientPort);
    try {
      assert.equal(await withTimeout(raw.sync('/mixed'), 10_000, 'sync through a zk-server follower of an Apache leader'), '/mixed');
      assert.ok(await raw.exists('/mixed/before-sync'), 'a read after sync sees the write made through another member');
    } finally {
      await raw.close();
    }
    await writeThrough(members[0].clientPort, ['ours-1', 'ours-2', 'ours-3']);
    await writeThrough(zk2.clientPort, ['zk2-1']);
    await writeThrough(zk3.clientPort, ['zk3-1']);
    const expected = await readAll(zk2.clientPort);
    assert.equal(expected.size, 8);
    await converges(members[0].clientPort, expected);
    await converges(zk3.clientPort, expected);
    // Once quiet, every member has applied the same last txn (a follower may lag a moment).
    const ports = [members[0].clientPort, zk2.clientPort, zk3.clientPort];
    let zxids: string[] = [];
    for (const until = Date.now() + 10_000; Date.now() < until;) {
      zxids = (await Promise.all(ports.map((p) => srvrStatus(p)))).map((st) => st?.zxid.toString(16) ?? 'none');
      if (new Set(zxids).size === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(new Set(zxids).size, 1, `one zxid everywhere: ${zxids.join(', ')}`);

    // The Apache leader dies: the Apache follower and the zk-server peer elect a new leader (the
    // Apache one: its sid is larger and the histories are equal) and serve writes again, ours too.
    const [leader, survivor] = modes[0] === 'leader' ? [zk2, zk3] : [zk3, zk2];
    const killedAt = Date.now();
    await leader.kill9();
    assert.equal(await waitServing(survivor.clientPort, ['leader']), 'leader');
    assert.equal(await waitServing(members[0].clientPort, ['follower']), 'follower');
    await writeThrough(members[0].clientPort, ['after-kill-ours']);
    console.log(`mixed: Apache leader killed, writes through zk-server acknowledged again after ${Date.now() - killedAt} ms`);
    await writeThrough(survivor.clientPort, ['after-kill-zk']);
    // The old leader restarts on its data and catches up; nothing acknowledged is lost anywhere.
    const restarted = await startApacheMember(members, leader.sid, { dataDir: leader.dataDir });
    assert.equal(await waitServing(restarted.clientPort, ['follower']), 'follower');
    const final = await readAll(survivor.clientPort);
    assert.equal(final.size, 10);
    for (const k of expected.keys()) assert.ok(final.has(k), `acknowledged ${k} survived the leader's death`);
    await converges(members[0].clientPort, final);
    await converges(restarted.clientPort, final);
    assertNoProtocolErrors([survivor, restarted], [1]);
    await restarted.stop();
  } finally {
    await ours?.stop();
    await Promise.all([zk2.stop(), zk3.stop()]);
  }
});

test('Apache ZooKeeper peers follow a zk-server leader: sync from it, forward writes to it, replicate', { skip: skip ?? false, timeout: 120_000 }, async () => {
  assertZooKeeperInstalled();
  const members = await allocateEnsemble(3);
  // zk-server is sid 3 and starts first: with equal (empty) histories the largest sid leads.
  let ours = await startOurMember(members, 3);
  let zk1: ApacheMember | null = null;
  let zk2: ApacheMember | null = null;
  try {
    zk1 = await startApacheMember(members, 1);
    assert.equal(await waitServing(members[2].clientPort, ['leader']), 'leader');
    assert.equal(await waitServing(zk1.clientPort, ['follower']), 'follower');
    const c = await NzkClient.connect(members[2].clientPort);
    await c.create('/mixed', Buffer.from('root'));
    c.close();
    await writeThrough(zk1.clientPort, ['zk1-1', 'zk1-2']);
    await writeThrough(members[2].clientPort, ['ours-1']);

    // A sync through an Apache follower is forwarded to the zk-server leader, which must answer it
    // with a SYNC packet (else the client waits forever); a read after it sees the leader's write.
    await writeThrough(members[2].clientPort, ['before-sync']);
    const raw = await RawClient.connect(zk1.clientPort);
    try {
      assert.equal(await withTimeout(raw.sync('/mixed'), 10_000, 'sync through an Apache follower of a zk-server leader'), '/mixed');
      assert.ok(await raw.exists('/mixed/before-sync'), 'a read after sync sees the write made through the leader');
    } finally {
      await raw.close();
    }

    // A late Apache peer syncs from the zk-server leader.
    zk2 = await startApacheMember(members, 2);
    assert.equal(await waitServing(zk2.clientPort, ['follower']), 'follower');
    await writeThrough(zk2.clientPort, ['zk2-1']);
    const expected = await readAll(members[2].clientPort);
    assert.equal(expected.size, 5);
    await converges(zk1.clientPort, expected);
    await converges(zk2.clientPort, expected);
    assertNoProtocolErrors([zk1, zk2], [3]);

    // The zk-server leader dies: the Apache peers elect one of theirs; restarted on its data, the
    // zk-server peer rejoins as their follower and catches up, with nothing acknowledged lost.
    const killedAt = Date.now();
    await ours.kill9();
    // Right after the kill the survivors may still call themselves followers: wait for the new leader.
    await waitForLeaderAmong([zk1.clientPort, zk2.clientPort]);
    await writeThrough(zk1.clientPort, ['after-kill-zk1']);
    console.log(`mixed: zk-server leader killed, writes acknowledged again after ${Date.now() - killedAt} ms`);
    ours = await startOurMember(members, 3, ours.dataDir);
    assert.equal(await waitServing(members[2].clientPort, ['follower']), 'follower');
    await writeThrough(members[2].clientPort, ['after-restart-ours']);
    const final = await readAll(zk2.clientPort);
    assert.equal(final.size, 7);
    for (const k of expected.keys()) assert.ok(final.has(k), `acknowledged ${k} survived the leader's death`);
    await converges(members[2].clientPort, final);
    await converges(zk1.clientPort, final);
    assertNoProtocolErrors([zk1, zk2], [3]);
  } finally {
    await ours.stop();
    await Promise.all([zk1?.stop(), zk2?.stop()]);
  }
});

test('two zk-server peers and one Apache ZooKeeper: an Apache leader, then, after it dies, a zk-server leader it rejoins under', { skip: skip ?? false, timeout: 120_000 }, async () => {
  assertZooKeeperInstalled();
  const members = await allocateEnsemble(3);
  // Apache is sid 3 and forms the first quorum with zk-server 1: the largest sid leads.
  let zk3: ApacheMember = await startApacheMember(members, 3);
  const ours1 = await startOurMember(members, 1);
  let ours2: (ZkServerHandle & { dataDir: string }) | null = null;
  try {
    assert.equal(await waitServing(zk3.clientPort, ['leader']), 'leader');
    assert.equal(await waitServing(members[0].clientPort, ['follower']), 'follower');
    ours2 = await startOurMember(members, 2);
    assert.equal(await waitServing(members[1].clientPort, ['follower']), 'follower');
    const c = await NzkClient.connect(members[1].clientPort);
    await c.create('/mixed', Buffer.from('root'));
    c.close();
    await writeThrough(members[0].clientPort, ['ours1-1']);
    await writeThrough(members[1].clientPort, ['ours2-1']);
    await writeThrough(zk3.clientPort, ['zk3-1']);
    const expected = await readAll(zk3.clientPort);
    assert.equal(expected.size, 3);
    await converges(members[0].clientPort, expected);
    await converges(members[1].clientPort, expected);

    // The Apache leader dies: the two zk-server peers elect one of theirs (sid 2).
    const killedAt = Date.now();
    await zk3.kill9();
    assert.equal(await waitServing(members[1].clientPort, ['leader']), 'leader');
    assert.equal(await waitServing(members[0].clientPort, ['follower']), 'follower');
    await writeThrough(members[0].clientPort, ['after-kill']);
    console.log(`mixed: Apache leader killed, the zk-server peers acknowledged writes again after ${Date.now() - killedAt} ms`);

    // Restarted on its data, the Apache peer follows the zk-server leader and catches up.
    zk3 = await startApacheMember(members, 3, { dataDir: zk3.dataDir });
    assert.equal(await waitServing(zk3.clientPort, ['follower']), 'follower');
    await writeThrough(zk3.clientPort, ['zk3-after']);
    const final = await readAll(members[1].clientPort);
    assert.equal(final.size, 5);
    for (const k of expected.keys()) assert.ok(final.has(k), `acknowledged ${k} survived the leader's death`);
    await converges(zk3.clientPort, final);
    await converges(members[0].clientPort, final);
    assertNoProtocolErrors([zk3], [1, 2]);
  } finally {
    await Promise.all([ours1.stop(), ours2?.stop(), zk3.stop()]);
  }
});
