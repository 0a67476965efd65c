// The AdminServer and the Prometheus endpoint on a quorum: each member says who leads and where its
// Zab state stands (leader, zabstate, voting_view, conf), and the leader alone carries the leader's
// gauges (learners, synced_followers, leader_uptime: dashboards tell the leader by it), as ZooKeeper
// registers them per role. Election, sync and broadcast metrics move on the members they belong to.
// Both endpoints listen on port 0 here; each member's log names the port it got.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectClient, Ensemble, retryUntil, showLogsOnFailure } from './ensemble.js';

const MONITORING = {
  'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': '0',
  'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
  'metricsProvider.httpHost': '127.0.0.1', 'metricsProvider.httpPort': '0',
};

type Obj = Record<string, unknown>;

function portsOf(log: string): { admin: number; metrics: number } {
  const admin = /AdminServer on http:\/\/127\.0\.0\.1:(\d+)\/commands/.exec(log);
  const metrics = /Prometheus metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(log);
  assert.ok(admin && metrics, `endpoint ports not in the log:\n${log}`);
  return { admin: Number(admin[1]), metrics: Number(metrics[1]) };
}

async function command(port: number, name: string): Promise<Obj> {
  const res = await fetch(`http://127.0.0.1:${port}/commands/${name}`);
  assert.equal(res.status, 200);
  return JSON.parse(await res.text()) as Obj;
}

/** name (with labels as written) → value, from the text format. */
async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^#\s][^\s]*) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

test('a quorum\'s AdminServer and /metrics describe each member\'s role, and the leader\'s gauges live on the leader only', async () => {
  const e = await Ensemble.start(3, { extraConfig: MONITORING });
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      const ports = new Map(e.sids.map((sid) => [sid, portsOf(e.log(sid))]));
      const at = (sid: number): { admin: number; metrics: number } => ports.get(sid) as { admin: number; metrics: number };

      const client = await connectClient(e.connectString([roles.followers[0]]));
      try {
        for (let i = 0; i < 10; i++) await client.create(`/mon${i}`, Buffer.from('x'));
      } finally {
        client.close();
      }

      for (const sid of e.sids) {
        const leading = sid === roles.leader;
        const leader = await command(at(sid).admin, 'leader');
        assert.deepEqual([leader.is_leader, leader.leader_id, leader.leader_ip, leader.error], [leading, roles.leader, '127.0.0.1', null], `member ${sid}`);
        const zab = await command(at(sid).admin, 'zabstate');
        assert.equal(zab.myid, sid);
        assert.equal(zab.is_leader, leading);
        assert.equal(zab.voting, true);
        assert.equal(zab.zabstate, 'broadcast');
        assert.match(String(zab.last_zxid), /^0x[0-9a-f]+$/);
        const view = (await command(at(sid).admin, 'voting_view')).current_config as Record<string, Obj>;
        assert.deepEqual(Object.keys(view), e.sids.map(String));
        for (const [id, member] of Object.entries(view)) {
          const m = e.members.find((x) => x.sid === Number(id));
          assert.deepEqual(member.server_addresses, [`127.0.0.1:${m?.quorumPort}`]);
          assert.deepEqual(member.election_addresses, [`127.0.0.1:${m?.electionPort}`]);
          assert.equal(member.learner_type, 'participant');
        }
        assert.equal((await command(at(sid).admin, 'conf')).server_id, sid);
        const srvr = await command(at(sid).admin, 'srvr');
        assert.equal((srvr.server_stats as Obj).server_state, leading ? 'leader' : 'follower');
        assert.equal('proposal_stats' in srvr, leading);

        const monitor = await command(at(sid).admin, 'monitor');
        assert.equal(monitor.quorum_size, 3);
        assert.match(String(monitor.peer_state), leading ? /^leading - broadcast$/ : /^following - broadcast$/);

        const metrics = await retryUntil(async () => {
          const m = await scrape(at(sid).metrics);
          // The leader commits the 10 creates; a follower's counters move as the proposals reach it.
          const moved = leading ? m.get('commit_count') : m.get('learner_commit_received_count');
          if ((moved ?? 0) < 10) throw new Error(`only ${moved ?? 0} commits so far`);
          return m;
        }, 10_000, `member ${sid}'s commit counters`);
        assert.equal(metrics.get('quorum_size'), 3);
        assert.ok((metrics.get('election_time_count') ?? 0) >= 1, `member ${sid} election_time`);
        assert.ok((metrics.get('looking_count') ?? 0) >= 1, `member ${sid} looking_count`);
        if (leading) {
          assert.equal(metrics.get('learners'), 2);
          assert.equal(metrics.get('synced_followers'), 2);
          assert.ok((metrics.get('leader_uptime') ?? 0) > 0);
          assert.ok((metrics.get('proposal_count') ?? 0) >= 10);
          assert.ok((metrics.get('diff_count') ?? 0) + (metrics.get('snap_count') ?? 0) >= 2, 'each follower synced once');
        } else {
          for (const g of ['leader_uptime', 'learners', 'synced_followers']) assert.ok(!metrics.has(g), `${g} on follower ${sid}`);
          assert.equal(metrics.get('follower_sync_time_count'), 1);
          assert.ok((metrics.get('learner_proposal_received_count') ?? 0) >= 10);
        }
      }
    });
  } finally {
    await e.stopAll();
  }
});
