// Ensemble formation (3 members on filelog, 5 on level) and writes through every member: each
// ensemble must elect exactly one leader, serve writes, and keep identical trees on all members.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateMode, nzk, type NzkAcl } from '../integration/support/nzk.js';
import type { NzkClient } from '../integration/support/nzk.js';
import { connectClient, converge, digestId, Ensemble, showLogsOnFailure, since, type Roles, type Storage } from './ensemble.js';

const FORM_TIMEOUT_MS = 30_000;

interface Formed {
  e: Ensemble;
  roles: Roles;
}

/** Starts `count` members at once, waits for one leader and count-1 followers; prints the times. */
async function form(count: number, storage: Storage): Promise<Formed> {
  const t0 = performance.now();
  const e = await Ensemble.start(count, { storage });
  try {
    const roles = await e.waitForRoles(FORM_TIMEOUT_MS);
    const formedMs = since(t0);
    const client = await connectClient(e.connectString());
    try {
      await client.create('/first', Buffer.from('first write'));
    } finally {
      client.close();
    }
    const firstWriteMs = since(t0);
    console.log(`formation of ${count} members (${storage}): all serving after ${formedMs} ms, first write acknowledged after ${firstWriteMs} ms (leader ${roles.leader})`);
    return { e, roles };
  } catch (err) {
    console.log(e.allLogs(undefined, 80));
    await e.stopAll();
    throw err;
  }
}

async function assertFormed(f: Formed, count: number): Promise<void> {
  const { e, roles } = f;
  assert.equal(roles.followers.length, count - 1, `followers ${roles.followers.join(',')}`);
  assert.equal(roles.observers.length, 0);
  assert.deepEqual([roles.leader, ...roles.followers].sort(), e.sids);
  // Still exactly one leader a moment later, everywhere the same view.
  const modes = await e.modes();
  assert.deepEqual([...modes.values()].filter((m) => m === 'leader').length, 1, `modes ${JSON.stringify([...modes])}`);
  assert.equal(modes.get(roles.leader), 'leader');
  // The first write is on every member.
  const r = await converge(e, e.sids);
  assert.deepEqual(r.diffs, []);
  for (const [sid, tree] of r.trees) assert.equal(tree.get('/first')?.data, Buffer.from('first write').toString('hex'), `member ${sid}`);
  assert.equal(Number(r.zxid >> 32n) >= 1, true);
}

/**
 * Writes through every member at once (creates with data, setData, setACL, a digest-ACL'd node,
 * ephemeral and sequential nodes, a multi, a failed multi, a delete), then compares every member's
 * tree (data, stat, ACL of each node) and `Zxid:`; then closes the sessions and checks their
 * ephemerals are gone everywhere.
 */
async function writesThroughEveryMember(e: Ensemble): Promise<void> {
  const sids = e.sids;
  const auth = sids.map((sid) => `user${sid}:pw${sid}`);
  const setup = await connectClient(e.connectString());
  await setup.create('/w', Buffer.from('root of the writes'));
  await setup.create('/w/seq');
  setup.close();

  const clients = new Map<number, NzkClient>();
  for (const sid of sids) clients.set(sid, await connectClient(e.connectString([sid]), { auth: [auth[sid - 1]] }));
  try {
    const acls = new Map<number, NzkAcl[]>();
    for (const sid of sids) acls.set(sid, [new nzk.ACL(nzk.Permission.ALL, new nzk.Id('digest', await digestId(`user${sid}`, `pw${sid}`)))]);

    await Promise.all(sids.map(async (sid) => {
      const c = clients.get(sid)!;
      const base = `/w/m${sid}`;
      await c.create(base, Buffer.from(`data-${sid}`));
      await c.setData(base, Buffer.from(`data-${sid}-v1`));
      await c.setData(base, Buffer.from(`data-${sid}-v2`), 1);
      // Read-your-writes on this member.
      assert.equal((await c.getData(base)).data?.toString(), `data-${sid}-v2`);
      await c.create(`${base}/acl`, Buffer.from(`secret-${sid}`), CreateMode.PERSISTENT, acls.get(sid)!);
      await c.setACL(`${base}/acl`, [...acls.get(sid)!, new nzk.ACL(nzk.Permission.READ, new nzk.Id('world', 'anyone'))], 0);
      await c.create(`/w/eph-${sid}`, Buffer.from(`ephemeral of ${sid}`), CreateMode.EPHEMERAL);
      for (let i = 0; i < 3; i++) await c.create('/w/seq/s-', Buffer.from(`seq ${sid}.${i}`), CreateMode.PERSISTENT_SEQUENTIAL);
      await c.create('/w/seq/e-', Buffer.from(`eseq ${sid}`), CreateMode.EPHEMERAL_SEQUENTIAL);
      await c.create(`${base}/gone`);
      await c.remove(`${base}/gone`);
      await c.transaction((t) => t
        .create(`${base}/multi-a`, Buffer.from('a'))
        .create(`${base}/multi-b`, Buffer.from('b'))
        .setData(base, Buffer.from(`data-${sid}-multi`), 2)
        .check(`${base}/acl`, 0)
        .remove(`${base}/multi-b`));
      // A multi that fails (bad version) changes nothing.
      await assert.rejects(c.transaction((t) => t.create(`${base}/never`).setData(base, Buffer.from('no'), 99)));
      assert.equal(await c.exists(`${base}/never`), null);
    }));

    const r = await converge(e, sids, { auth });
    assert.deepEqual(r.diffs, [], `trees differ:\n${r.diffs.join('\n')}`);
    const tree = r.trees.get(sids[0])!;
    for (const sid of sids) {
      const base = `/w/m${sid}`;
      const node = tree.get(base)!;
      assert.equal(Buffer.from(node.data!, 'hex').toString(), `data-${sid}-multi`);
      assert.equal(node.stat.version, 3);
      assert.equal(node.stat.numChildren, 2, `${base} children`);
      assert.equal(tree.get(`${base}/multi-a`)?.data, Buffer.from('a').toString('hex'));
      assert.equal(tree.has(`${base}/multi-b`), false);
      assert.equal(tree.has(`${base}/gone`), false);
      const acl = tree.get(`${base}/acl`)!;
      assert.equal(acl.stat.aversion, 1);
      assert.deepEqual(acl.acl, [`digest:${await digestId(`user${sid}`, `pw${sid}`)}=31`, 'world:anyone=1'].sort());
      const eph = tree.get(`/w/eph-${sid}`)!;
      assert.equal(BigInt(eph.stat.ephemeralOwner), clients.get(sid)!.sessionId, `owner of /w/eph-${sid}`);
    }
    const seq = [...tree.keys()].filter((p) => p.startsWith('/w/seq/'));
    assert.equal(seq.filter((p) => p.startsWith('/w/seq/s-')).length, 3 * sids.length);
    assert.equal(seq.filter((p) => p.startsWith('/w/seq/e-')).length, sids.length);
    // Sequence numbers are unique and dense: 0 .. 4n-1 (the parent's cversion at each create).
    const numbers = seq.map((p) => Number(p.slice(-10))).sort((a, b) => a - b);
    assert.deepEqual(numbers, numbers.map((_, i) => i));
    // converge() waited for one `Zxid:` on all members before reading: it is a txn of this epoch.
    assert.ok(r.zxid > 1n << 32n, `Zxid 0x${r.zxid.toString(16)}`);
  } finally {
    for (const c of clients.values()) c.close();
  }

  // The sessions are closed: their ephemerals are gone on every member.
  const r = await converge(e, sids, { auth });
  assert.deepEqual(r.diffs, [], `trees differ after the sessions closed:\n${r.diffs.join('\n')}`);
  const left = [...r.trees.get(sids[0])!.keys()].filter((p) => p.startsWith('/w/eph-') || p.startsWith('/w/seq/e-'));
  assert.deepEqual(left, []);
}

describe('3 members on filelog', () => {
  let f: Formed | undefined;
  before(async () => { f = await form(3, 'filelog'); });
  after(async () => { await f?.e.stopAll(); });

  test('form a quorum: exactly one leader, two followers, the first write on all', async () => {
    const ff = f;
    assert.ok(ff);
    await showLogsOnFailure(ff.e, () => assertFormed(ff, 3));
  });

  test('writes through every member leave identical trees', async () => {
    const ff = f;
    assert.ok(ff);
    await showLogsOnFailure(ff.e, () => writesThroughEveryMember(ff.e));
  });
});

describe('5 members on level', () => {
  let f: Formed | undefined;
  before(async () => { f = await form(5, 'level'); });
  after(async () => { await f?.e.stopAll(); });

  test('form a quorum: exactly one leader, four followers, the first write on all', async () => {
    const ff = f;
    assert.ok(ff);
    await showLogsOnFailure(ff.e, () => assertFormed(ff, 5));
  });

  test('writes through every member leave identical trees', async () => {
    const ff = f;
    assert.ok(ff);
    await showLogsOnFailure(ff.e, () => writesThroughEveryMember(ff.e));
  });
});
