// What clients see of an ensemble: a session whose follower is killed moves to another member with
// its ephemeral node and its watch; an observer serves reads, forwards writes and does not vote.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateMode, type NzkClient, type NzkEvent } from '../integration/support/nzk.js';
import type { RawClient } from '../helpers/raw-client.js';
import { assertStaleWriteClosesConnection } from '../helpers/session-moved.js';
import {
  connectClient, connectClientOn, converge, Ensemble, hostOfSession, modeOf, retryUntil, showLogsOnFailure, since, SYNC_LIMIT_MS,
  TimeoutError, waitUntil, withTimeout,
} from './ensemble.js';

const SESSION_TIMEOUT_MS = 3_000;

test('a session on a killed follower moves to another member with its ephemeral and its watch', async () => {
  const e = await Ensemble.start(3);
  const clients: NzkClient[] = [];
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      const setup = await connectClient(e.connectString([roles.leader]));
      clients.push(setup);
      await setup.create('/moving');
      await setup.create('/moving/watched', Buffer.from('v0'));

      // The client knows every member (and picks one at random): one that landed on a follower.
      const host = roles.followers[0];
      const c = await connectClientOn(e, e.connectString(), host, { sessionTimeout: SESSION_TIMEOUT_MS });
      clients.push(c);
      const session = c.sessionId;
      await c.create('/moving/eph', Buffer.from('mine'), CreateMode.EPHEMERAL);
      const fired: NzkEvent[] = [];
      await c.getData('/moving/watched', (ev) => fired.push(ev));

      const tKill = performance.now();
      await e.kill9(host);
      const others = e.sids.filter((s) => s !== host);
      let newHost: number | null = null;
      await waitUntil(async () => {
        newHost = await hostOfSession(e, session);
        return newHost !== null;
      }, 20_000, `session 0x${session.toString(16)} reconnected to another member`);
      console.log(`session 0x${session.toString(16)} moved from member ${host} (killed) to member ${newHost} in ${since(tKill)} ms`);
      assert.equal(c.sessionId, session);
      assert.ok(others.includes(newHost!));

      // The ephemeral is there, owned by the same session, on every live member.
      const stat = await retryUntil(() => c.exists('/moving/eph'), 10_000, 'exists through the moved session');
      assert.ok(stat, 'the ephemeral node is gone after the move');
      assert.equal(stat.ephemeralOwner.readBigInt64BE(0), session);
      // The watch set before the move fires for a change made through another member.
      const other = others.find((s) => s !== newHost)!;
      const writer = await connectClient(e.connectString([other]));
      clients.push(writer);
      await writer.setData('/moving/watched', Buffer.from('v1'));
      await waitUntil(() => fired.length > 0, 10_000, 'the data watch set before the move fired');
      assert.deepEqual(fired.map((ev) => [ev.type, ev.path]), [[3, '/moving/watched']]); // NODE_DATA_CHANGED

      // The session lives on well past its timeout: the new host keeps it alive at the leader.
      const tAlive = Date.now();
      await waitUntil(async () => {
        assert.ok(await writer.exists('/moving/eph'), `the ephemeral vanished ${Date.now() - tAlive} ms after the move`);
        return Date.now() - tAlive > 2 * SESSION_TIMEOUT_MS;
      }, 4 * SESSION_TIMEOUT_MS, 'watching the ephemeral');
      let r = await converge(e, others);
      assert.deepEqual(r.diffs, [], `trees differ:\n${r.diffs.join('\n')}`);
      for (const sid of others) assert.equal(BigInt(r.trees.get(sid)!.get('/moving/eph')?.stat.ephemeralOwner ?? -1), session, `owner on member ${sid}`);

      // The session closes: its ephemeral goes everywhere.
      c.close();
      await waitUntil(async () => (await writer.exists('/moving/eph')) === null, 10_000, 'the ephemeral is removed once its session closed');
      r = await converge(e, others);
      assert.deepEqual(r.diffs, [], `trees differ:\n${r.diffs.join('\n')}`);
      for (const sid of others) assert.equal(r.trees.get(sid)!.has('/moving/eph'), false, `member ${sid}`);
    });
  } finally {
    for (const c of clients) c.close();
    await e.stopAll();
  }
});

test('an observer serves reads, forwards writes and does not count for the quorum', async () => {
  const e = await Ensemble.start(4, { observers: [4] });
  const clients: NzkClient[] = [];
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      assert.deepEqual(roles.observers, [4]);
      assert.equal(roles.followers.length, 2);
      assert.notEqual(roles.leader, 4);

      // A write through the observer is visible on every member; one through the leader is read
      // through the observer.
      const obs = await connectClient(e.connectString([4]));
      clients.push(obs);
      await obs.create('/obs', Buffer.from('through the observer'));
      await obs.create('/obs/eph', Buffer.from('observer session'), CreateMode.EPHEMERAL);
      await obs.transaction((t) => t.create('/obs/multi', Buffer.from('m')).setData('/obs', Buffer.from('changed through the observer'), 0));
      const lead = await connectClient(e.connectString([roles.leader]));
      clients.push(lead);
      await lead.create('/from-leader', Buffer.from('through the leader'));
      const seen = await retryUntil(async () => {
        const { data } = await obs.getData('/from-leader');
        return data?.toString();
      }, 10_000, 'read of the leader\'s write through the observer');
      assert.equal(seen, 'through the leader');
      let r = await converge(e, e.sids);
      assert.deepEqual(r.diffs, [], `trees differ:\n${r.diffs.join('\n')}`);
      for (const sid of e.sids) {
        const t = r.trees.get(sid)!;
        assert.equal(t.get('/obs')?.data, Buffer.from('changed through the observer').toString('hex'), `member ${sid}`);
        assert.equal(BigInt(t.get('/obs/eph')?.stat.ephemeralOwner ?? -1), obs.sessionId, `member ${sid}`);
      }

      // Two of the three participants stop: the leader and the observer are up, but no quorum.
      const stopped = roles.followers;
      const tStop = performance.now();
      await Promise.all(stopped.map((sid) => e.stop(sid)));
      await waitUntil(async () => (await modeOf(e.port(roles.leader))) === null && (await modeOf(e.port(4))) === null,
        SYNC_LIMIT_MS + 15_000, 'the leader and the observer stop serving');
      console.log(`observer: leader ${roles.leader} and the observer stopped serving ${since(tStop)} ms after 2 of 3 participants were stopped`);
      const write = obs.create('/obs/no-quorum', Buffer.from('x'));
      write.catch(() => undefined);
      const outcome = await withTimeout(write, 3_000, 'create through the observer without a quorum')
        .then(() => 'acknowledged', (err: unknown) => err instanceof TimeoutError ? 'timed out' : `failed (${String(err)})`);
      assert.notEqual(outcome, 'acknowledged', 'a write was acknowledged with 1 participant and an observer');
      assert.equal(await modeOf(e.port(4)), null, 'the observer serves without a quorum');
      assert.equal(await modeOf(e.port(roles.leader)), null, 'the leader serves with only an observer');

      // One participant back: the observer serves again.
      await e.start(stopped[0]);
      const roles2 = await e.waitForRoles(30_000, [roles.leader, stopped[0], 4]);
      assert.deepEqual(roles2.observers, [4]);
      const obs2 = await connectClient(e.connectString([4]));
      clients.push(obs2);
      await retryUntil(() => obs2.create('/obs/quorum-again', Buffer.from('y')), 30_000, 'create through the observer with a quorum again');
      // The write issued without a quorum may still be queued in its client: let it settle first.
      const late = await withTimeout(write, 15_000, 'the create issued without a quorum').then(() => 'acknowledged once the quorum was back', (err: unknown) => `failed (${String(err)})`);
      console.log(`observer: the create issued without a quorum was ${late}`);
      r = await converge(e, [roles.leader, stopped[0], 4]);
      assert.deepEqual(r.diffs, [], `trees differ:\n${r.diffs.join('\n')}`);
      assert.ok(r.trees.get(stopped[0])!.has('/obs/quorum-again'));
    });
  } finally {
    for (const c of clients) c.close();
    await e.stopAll();
  }
});

test('a session re-established through another member: a write on its old connection is SESSIONMOVED, which closes it', async () => {
  // ZooKeeper's leader records the server each session is attached to (createSession, REVALIDATE):
  // a setData, delete, setACL or check arriving through another one fails with SESSIONMOVED, a
  // connection-level error: the old member closes that connection without a reply (ZOOKEEPER-710),
  // the failed txn is logged everywhere as an error txn, and the session works where it moved.
  const e = await Ensemble.start(3);
  const raws: RawClient[] = [];
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      const [first, second] = roles.followers;
      await assertStaleWriteClosesConnection(e.port(first), e.port(second), raws);
      // The stale write left no trace: every member has the same tree.
      const final = await converge(e, e.sids);
      assert.deepEqual(final.diffs, []);
    });
  } finally {
    for (const r of raws) r.destroy();
    await e.stopAll();
  }
});
