// Losing the leader: kill -9 while three sessions on the followers pipeline writes, and a leader frozen
// with SIGSTOP past syncLimit. A new leader must be elected among the others, no acknowledged write
// may be lost, and the old leader must rejoin as a follower with the same tree as everyone else.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  connectClient, connectClientOn, converge, dropConnection, Ensemble, retryUntil, epochOf, inspectDataDir, missingWrites, PipelinedWriter, showLogsOnFailure, since,
  srvrStatus, SYNC_LIMIT_MS, waitUntil, type TreeDump,
} from './ensemble.js';
import { CreateMode, type NzkClient } from '../integration/support/nzk.js';

const CONNECTION_LOSS = -4;

/** Error codes of failed writes other than CONNECTION_LOSS (which leaves a write undecided). */
function unexpectedFailures(writers: readonly PipelinedWriter[]): string[] {
  return writers.flatMap((w) => [...w.failed].filter(([, code]) => code !== CONNECTION_LOSS).map(([p, code]) => `${p}: ${code}`));
}

/**
 * Waits until every writer has `n` creates acknowledged that it issued after `t`; fails at once when
 * a create failed with anything but CONNECTION_LOSS (e.g. SESSIONEXPIRED: the session is gone).
 */
async function waitForAcks(writers: readonly PipelinedWriter[], t: number, n: number, what: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(() => {
    const expired = writers.filter((w) => w.expired).map((w) => `0x${w.client.sessionId.toString(16)}`);
    if (expired.length > 0) throw new Error(`${what}: the session(s) ${expired.join(', ')} were told they expired (the client got a ConnectResponse with timeout 0)`);
    const bad = unexpectedFailures(writers);
    if (bad.length > 0) throw new Error(`${what}: writes failed with something else than CONNECTION_LOSS (-4): ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ` and ${bad.length - 5} more` : ''}`);
    return writers.every((w) => w.ackedSince(t).length >= n);
  }, timeoutMs, `${what}: every writer has ${n} creates acknowledged`);
}

function oldEpochMaxCzxid(tree: TreeDump, epoch: number): bigint {
  let max = 0n;
  for (const n of tree.values()) {
    const z = BigInt(n.stat.czxid);
    if (epochOf(z) === epoch && z > max) max = z;
  }
  return max;
}

test('kill -9 of the leader under pipelined writes: new leader, nothing acknowledged lost, old leader rejoins and converges', async () => {
  const e = await Ensemble.start(3);
  const clients: NzkClient[] = [];
  const writers: PipelinedWriter[] = [];
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      const old = roles.leader;
      const oldEpoch = epochOf((await srvrStatus(e.port(old)))!.zxid);
      const setup = await connectClient(e.connectString());
      await setup.create('/pipe');
      setup.close();

      for (let i = 0; i < 3; i++) clients.push(await connectClient(e.connectString(roles.followers)));
      writers.push(...clients.map((c, i) => new PipelinedWriter(c, `/pipe/c${i}-`, 8).start()));
      await waitForAcks(writers, 0, 50, 'before the kill');

      const tKill = performance.now();
      await e.kill9(old);
      const survivors = roles.followers;
      const roles2 = await e.waitForRoles(30_000, survivors);
      const electedMs = since(tKill);
      assert.notEqual(roles2.leader, old);
      assert.ok(survivors.includes(roles2.leader));
      await waitUntil(() => writers.some((w) => w.ackedSince(tKill).length > 0), 30_000, 'a write acknowledged after the kill');
      const firstAck = Math.min(...writers.flatMap((w) => w.ackedSince(tKill).map((a) => a.ackedAt)));
      console.log(`kill -9 of leader ${old}: new leader ${roles2.leader} serving after ${electedMs} ms, first write acknowledged again after ${Math.round(firstAck - tKill)} ms`);
      // Every session carries on (none expired): each gets writes through after the failover.
      await waitForAcks(writers, tKill, 30, 'after the kill');
      const unsettled = await Promise.all(writers.map((w) => w.stop()));
      assert.deepEqual(unsettled, [0, 0, 0], 'creates still outstanding 15 s after the writers stopped');
      assert.deepEqual(writers.filter((w) => w.expired).map((w) => w.client.sessionId), [], 'sessions told they expired');
      assert.deepEqual(unexpectedFailures(writers), [], 'writes failed with something else than CONNECTION_LOSS');
      const newEpoch = epochOf((await srvrStatus(e.port(roles2.leader)))!.zxid);
      assert.ok(newEpoch > oldEpoch, `epoch ${newEpoch} after ${oldEpoch}`);

      const afterFailover = await converge(e, survivors);
      assert.deepEqual(afterFailover.diffs, [], `the survivors' trees differ:\n${afterFailover.diffs.join('\n')}`);
      assert.deepEqual(missingWrites(afterFailover.trees.get(roles2.leader)!, writers), []);
      const acked = writers.reduce((n, w) => n + w.acked.size, 0);
      const failed = writers.reduce((n, w) => n + w.failed.size, 0);
      console.log(`pipelined writes: ${acked} acknowledged, ${failed} failed with CONNECTION_LOSS`);

      // The old leader restarts on its data: it rejoins as a follower of the new leader.
      const oldLast = inspectDataDir(e.dataDir(old)).lastZxid;
      const tRestart = performance.now();
      await e.start(old);
      await e.waitForMode(old, ['follower'], 30_000);
      const c = await connectClient(e.connectString([roles2.leader]));
      await c.setData('/pipe', Buffer.from('after the old leader rejoined'));
      c.close();
      const final = await converge(e, e.sids);
      console.log(`old leader ${old} rejoined as follower and converged after ${since(tRestart)} ms`);
      assert.deepEqual(final.diffs, [], `trees differ after the old leader rejoined:\n${final.diffs.join('\n')}`);
      assert.deepEqual(missingWrites(final.trees.get(old)!, writers), []);
      const sync = /sync with leader (\d+): (DIFF|TRUNC|SNAP)/.exec(e.log(old));
      assert.ok(sync, 'the restarted member logged no "sync with leader N: MODE"');
      assert.equal(Number(sync[1]), roles2.leader);
      // If the old leader logged nothing beyond the history the ensemble kept, DIFF. If it did, those
      // txns must go: TRUNC, or SNAP when the next txn the new leader has is of a later epoch (a TRUNC
      // cannot cross an epoch: LearnerHandler "Cannot send TRUNC to peer sid ... different epoch").
      const kept = oldEpochMaxCzxid(final.trees.get(roles2.leader)!, epochOf(oldLast));
      const expected = oldLast <= kept ? ['DIFF'] : ['TRUNC', 'SNAP'];
      console.log(`old leader's last logged zxid 0x${oldLast.toString(16)}, last kept of that epoch 0x${kept.toString(16)}: synced by ${sync[2]}`);
      assert.ok(expected.includes(sync[2]), `sync mode of the old leader: ${sync[2]}, expected ${expected.join(' or ')} (its last zxid 0x${oldLast.toString(16)}, the ensemble's 0x${kept.toString(16)})`);
    });
  } finally {
    for (const w of writers) w.abort();
    for (const c of clients) c.close();
    await e.stopAll();
  }
});

test('a leader frozen past syncLimit is replaced, then rejoins as follower after SIGCONT', async () => {
  const e = await Ensemble.start(3);
  const clients: NzkClient[] = [];
  const writers: PipelinedWriter[] = [];
  let paused: number | null = null;
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      const old = roles.leader;
      const setup = await connectClient(e.connectString());
      await setup.create('/frozen');
      setup.close();
      // Two sessions on each follower (each client knows both): when the followers give up on the
      // frozen leader one after the other, the sessions of the first move to the second.
      for (const f of [...roles.followers, ...roles.followers]) clients.push(await connectClientOn(e, e.connectString(roles.followers), f));
      writers.push(...clients.map((c, i) => new PipelinedWriter(c, `/frozen/c${i}-`, 4).start()));
      await waitForAcks(writers, 0, 20, 'before the freeze');

      // A session on one follower only, whose connection drops right after the freeze: it reconnects
      // to that follower while it still follows the frozen leader (its REVALIDATE gets no answer).
      const blip = await connectClient(e.connectString([roles.followers[1]]));
      clients.push(blip);
      let blipExpired = false;
      blip.raw.once('expired', () => { blipExpired = true; });
      await blip.create('/frozen/blip', Buffer.from('blip'), CreateMode.EPHEMERAL);

      const tPause = performance.now();
      e.pause(old);
      paused = old;
      dropConnection(blip);
      const roles2 = await e.waitForRoles(SYNC_LIMIT_MS + 30_000, roles.followers);
      const electedMs = since(tPause);
      assert.notEqual(roles2.leader, old);
      await waitForAcks(writers, tPause, 20, 'after the freeze');
      assert.equal(blipExpired, false, `session 0x${blip.sessionId.toString(16)}, reconnecting during the freeze, was told it expired`);
      await retryUntil(() => blip.setData('/frozen/blip', Buffer.from('blip after the freeze')), 15_000, 'setData through the session that reconnected during the freeze');
      assert.equal(blipExpired, false);
      const firstAck = Math.min(...writers.flatMap((w) => w.ackedSince(tPause).map((a) => a.ackedAt)));
      console.log(`SIGSTOP of leader ${old} (syncLimit ${SYNC_LIMIT_MS} ms): new leader ${roles2.leader} serving after ${electedMs} ms, first write acknowledged again after ${Math.round(firstAck - tPause)} ms`);

      const tResume = performance.now();
      e.resume(old);
      paused = null;
      await e.waitForMode(old, ['follower'], 30_000);
      console.log(`old leader ${old} serving as follower ${since(tResume)} ms after SIGCONT`);
      // Writes go on while it rejoins; then everything settles.
      await waitForAcks(writers, tResume, 10, 'after SIGCONT');
      const unsettled = await Promise.all(writers.map((w) => w.stop()));
      assert.deepEqual(unsettled, [0, 0, 0, 0], 'creates still outstanding 15 s after the writers stopped');
      assert.deepEqual(writers.filter((w) => w.expired).map((w) => w.client.sessionId), [], 'sessions told they expired');
      assert.deepEqual(unexpectedFailures(writers), [], 'writes failed with something else than CONNECTION_LOSS');
      const roles3 = await e.waitForRoles(30_000);
      assert.equal(roles3.leader, roles2.leader);
      const final = await converge(e, e.sids);
      assert.deepEqual(final.diffs, [], `trees differ after the old leader rejoined:\n${final.diffs.join('\n')}`);
      assert.deepEqual(missingWrites(final.trees.get(old)!, writers), []);
      const blipNode = final.trees.get(old)!.get('/frozen/blip');
      assert.equal(blipNode?.data, Buffer.from('blip after the freeze').toString('hex'));
      assert.equal(BigInt(blipNode?.stat.ephemeralOwner ?? -1), blip.sessionId);
      const sync = /sync with leader (\d+): (DIFF|TRUNC|SNAP)/.exec(e.log(old));
      assert.ok(sync, 'the old leader logged no "sync with leader N: MODE"');
      assert.equal(Number(sync[1]), roles2.leader);
      console.log(`old leader ${old} synced with ${sync[1]} by ${sync[2]}`);
    });
  } finally {
    if (paused !== null) e.resume(paused);
    for (const w of writers) w.abort();
    for (const c of clients) c.close();
    await e.stopAll();
  }
});
