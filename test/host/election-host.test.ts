// zk-server peers electing among themselves over real election sockets on 127.0.0.1: the production
// election (src/zab/election.ts) driven by its host on the production transport.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ElectionHost } from '../../src/host/election-host.js';
import { ElectionTransport } from '../../src/transport/election.js';
import { encodeInitialMessage, PeerState, quorumConfigString } from '../../src/jute/quorum.js';
import type { ElectionDecision } from '../../src/zab/election.js';
import { freePort } from '../helpers/zk-server.js';

const DECIDE_TIMEOUT_MS = 15_000;

interface Peer {
  sid: number;
  host: ElectionHost;
  transport: ElectionTransport;
  warnings: string[];
}

async function ports(n: number): Promise<number[]> {
  const set = new Set<number>();
  while (set.size < n) set.add(await freePort());
  return [...set];
}

async function startPeer(sid: number, electionPorts: Map<number, number>): Promise<Peer> {
  const voters = new Set(electionPorts.keys());
  const config = quorumConfigString([...electionPorts].map(([s, port]) => ({
    sid: s, host: '127.0.0.1', quorumPort: port, electionPort: port, role: 'participant' as const,
  })), 0);
  const warnings: string[] = [];
  const host = new ElectionHost({ selfId: sid, voters, participant: true, config },
    { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m) });
  const transport = new ElectionTransport({
    selfId: sid, bindHost: '127.0.0.1', port: electionPorts.get(sid)!, advertisedAddress: `127.0.0.1:${electionPorts.get(sid)}`,
    peers: new Map([...electionPorts].filter(([s]) => s !== sid).map(([s, port]) => [s, { host: '127.0.0.1', port }])),
    connectTimeoutMs: 2000, handshakeTimeoutMs: 2000,
    onMessage: (from, payload) => host.onMessage(from, payload),
    log: (level, m) => { if (level === 'warn' || level === 'error') warnings.push(m); },
  });
  await transport.start();
  host.start(transport);
  return { sid, host, transport, warnings };
}

async function stopPeer(p: Peer): Promise<void> {
  p.host.stop();
  await p.transport.stop();
}

function decide(p: Peer, zxid: number, epoch: number): Promise<ElectionDecision> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.host.lookForLeader({ lastLoggedZxid: zxid, currentEpoch: epoch }).finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`peer ${p.sid} did not decide`)), DECIDE_TIMEOUT_MS); }),
  ]);
}

for (const size of [3, 5]) {
  test(`${size} zk-server peers elect the one with the highest (epoch, zxid, sid), and elect again when it is gone`, { timeout: 60_000 }, async () => {
    const list = await ports(size);
    const electionPorts = new Map(list.map((port, i) => [i + 1, port]));
    const peers = await Promise.all([...electionPorts.keys()].map((sid) => startPeer(sid, electionPorts)));
    try {
      // Peer 2 has logged the most; the others tie below it.
      const zxidOf = (sid: number): number => 2 ** 32 + (sid === 2 ? 9 : 5);
      const decisions = await Promise.all(peers.map((p) => decide(p, zxidOf(p.sid), 1)));
      for (const [i, d] of decisions.entries()) {
        assert.equal(d.vote.leader, 2, `peer ${i + 1} chose the peer with the highest zxid`);
        assert.equal(d.state, i + 1 === 2 ? PeerState.LEADING : PeerState.FOLLOWING);
      }
      const round = decisions[0].vote.electionEpoch;
      assert.ok(decisions.every((d) => d.vote.electionEpoch === round), 'one round');

      // The leader goes away; the others go LOOKING again and elect the best of the rest (the highest sid).
      await stopPeer(peers[1]);
      const rest = peers.filter((p) => p.sid !== 2);
      const again = await Promise.all(rest.map((p) => decide(p, zxidOf(p.sid), 1)));
      for (const d of again) assert.equal(d.vote.leader, size);
      assert.ok(again.every((d) => d.vote.electionEpoch > round), 'a later round');

      // Peer 2 comes back with its data, while the others have settled (and synced in epoch 2): it
      // joins them out of election instead of winning with its higher zxid.
      for (const p of rest) p.host.updateElectionVote(2);
      peers[1] = await startPeer(2, electionPorts);
      const joined = await decide(peers[1], zxidOf(2), 1);
      assert.equal(joined.state, PeerState.FOLLOWING);
      assert.equal(joined.vote.leader, size);
      assert.equal(joined.vote.peerEpoch, 2);
      for (const p of peers) assert.deepEqual(p.warnings.filter((w) => /malformed/.test(w)), []);
    } finally {
      await Promise.all(peers.map(stopPeer));
    }
  });
}

test('a malformed notification is dropped with a log line; the election goes on', { timeout: 30_000 }, async () => {
  const list = await ports(3);
  const electionPorts = new Map(list.map((port, i) => [i + 1, port]));
  const peers = [await startPeer(1, electionPorts), await startPeer(2, electionPorts)];
  // A raw peer with sid 3 (larger than theirs, so its connection is kept) sends a 36-byte frame,
  // which ZooKeeper's receiver cannot read, then nothing else.
  const raw = net.connect(electionPorts.get(1)!, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => { raw.once('connect', resolve); raw.once('error', reject); });
    const frame = Buffer.alloc(4 + 36);
    frame.writeInt32BE(36, 0);
    raw.write(Buffer.concat([encodeInitialMessage(3, `127.0.0.1:${electionPorts.get(3)}`), frame]));
    const deadline = Date.now() + 5000;
    while (!peers[0].warnings.some((w) => /malformed notification from sid 3/.test(w)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(peers[0].warnings.some((w) => /malformed notification from sid 3 \(36 bytes\)/.test(w)), peers[0].warnings.join('\n'));
    const decisions = await Promise.all(peers.map((p) => decide(p, 2 ** 32, 1)));
    assert.deepEqual(decisions.map((d) => d.vote.leader), [2, 2], 'two of three elect the larger sid');
  } finally {
    raw.destroy();
    await Promise.all(peers.map(stopPeer));
  }
});
