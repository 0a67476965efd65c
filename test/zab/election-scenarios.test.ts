// Election scenarios as text (test/zab/testdata/election/*.txt): the production FastLeaderElection
// of each peer, with the messages between them delivered, dropped and timed out by hand.
//
// Commands:
//   peers voters=1,2,3 [observers=4]      new peers, every one LOOKING and not yet in a round
//   look SID zxid=HEX epoch=N             SID starts a round with that last zxid and currentEpoch
//   deliver [from=SID] [to=SID]           delivers queued messages in order (and what they cause)
//   drop [from=SID] [to=SID]              loses queued messages
//   tick N [SID...]                       N ticks of 50 ms for the given peers (default: all)
//   synced SID epoch=N                    SID finished syncing in epoch N (updateElectionVote)
//   crash SID                             SID restarts: its election state and queued messages are gone
//   status                                each peer's state, round, proposal and vote

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FastLeaderElection, PeerState } from '../../src/zab/election.js';
import { LONG_MIN, quorumConfigString, type Notification } from '../../src/jute/quorum.js';
import { checkScenarioFile } from './scenario.js';

const MS_PER_TICK = 50;
const dataDir = join(new URL('../../..', import.meta.url).pathname, 'test', 'zab', 'testdata', 'election');

const hex = (n: number): string => (n === LONG_MIN ? 'MIN' : n < 0 ? String(n) : `0x${n.toString(16)}`);
const num = (n: number): string => (n === LONG_MIN ? 'MIN' : String(n));

function describe(n: Notification): string {
  return `${PeerState[n.state]} leader=${num(n.leader)} zxid=${hex(n.zxid)} round=${n.electionEpoch} peerEpoch=${num(n.peerEpoch)}`;
}

class ElectionDriver {
  private peers = new Map<number, FastLeaderElection>();
  private voters = new Set<number>();
  private config = '';
  private queue: Array<{ from: number; to: number; n: Notification }> = [];

  run(command: string): string[] {
    const [verb, ...rest] = command.trim().split(/\s+/);
    const args = new Map<string, string>();
    const ids: number[] = [];
    for (const a of rest) {
      const eq = a.indexOf('=');
      if (eq > 0) args.set(a.slice(0, eq), a.slice(eq + 1));
      else ids.push(Number(a));
    }
    const out: string[] = [];
    switch (verb) {
      case 'peers': {
        const voters = (args.get('voters') ?? '').split(',').map(Number);
        const observers = args.has('observers') ? args.get('observers')!.split(',').map(Number) : [];
        this.voters = new Set(voters);
        this.config = quorumConfigString([...voters, ...observers].map((sid) => ({
          sid, host: '127.0.0.1', quorumPort: 2000 + sid, electionPort: 3000 + sid,
          role: voters.includes(sid) ? 'participant' as const : 'observer' as const,
        })), 0);
        for (const sid of [...voters, ...observers]) this.peers.set(sid, this.make(sid));
        out.push(`${this.peers.size} peers, voters ${voters.join(',')}`);
        break;
      }
      case 'look': {
        const sid = ids[0];
        this.peer(sid).lookForLeader({ lastLoggedZxid: Number(args.get('zxid') ?? '0'), currentEpoch: Number(args.get('epoch') ?? '0') });
        this.collect(sid, out);
        break;
      }
      case 'deliver': {
        const match = this.matcher(args);
        for (let i = 0; i < this.queue.length;) {
          const m = this.queue[i];
          if (!match(m)) { i++; continue; }
          this.queue.splice(i, 1);
          out.push(`${m.from} -> ${m.to}: ${describe(m.n)}`);
          this.peer(m.to).receive(m.from, m.n);
          this.collect(m.to, out, '  ');
        }
        break;
      }
      case 'drop': {
        const match = this.matcher(args);
        const before = this.queue.length;
        this.queue = this.queue.filter((m) => !match(m));
        out.push(`dropped ${before - this.queue.length}`);
        break;
      }
      case 'tick': {
        const [n, ...which] = ids;
        const sids = which.length > 0 ? which : [...this.peers.keys()];
        for (let t = 0; t < n; t++) {
          for (const sid of sids) {
            this.peer(sid).tick();
            this.collect(sid, out, `t${t + 1} `);
          }
        }
        if (out.length === 0) out.push('(nothing)');
        break;
      }
      case 'synced':
        this.peer(ids[0]).updateElectionVote(Number(args.get('epoch')));
        out.push(`${ids[0]} answers with peerEpoch ${args.get('epoch')}`);
        break;
      case 'crash': {
        const sid = ids[0];
        this.peers.set(sid, this.make(sid));
        const before = this.queue.length;
        this.queue = this.queue.filter((m) => m.from !== sid && m.to !== sid);
        out.push(`${sid} restarted, ${before - this.queue.length} queued messages lost`);
        break;
      }
      case 'status':
        for (const [sid, p] of [...this.peers].sort((a, b) => a[0] - b[0])) {
          const pr = p.proposal;
          const v = p.currentVote;
          out.push(`${sid}: ${PeerState[p.state]} round=${p.round} proposal=(${num(pr.leader)}, ${hex(pr.zxid)}, ${num(pr.peerEpoch)})`
            + ` vote=(${num(v.leader)}, ${hex(v.zxid)}, round ${v.electionEpoch}, peerEpoch ${num(v.peerEpoch)})`);
        }
        out.push(`queued: ${this.queue.length}`);
        break;
      default:
        throw new Error(`unknown command ${JSON.stringify(verb)}`);
    }
    return out;
  }

  private make(sid: number): FastLeaderElection {
    return new FastLeaderElection({ selfId: sid, voters: this.voters, participant: this.voters.has(sid), config: this.config, msPerTick: MS_PER_TICK });
  }

  private peer(sid: number): FastLeaderElection {
    const p = this.peers.get(sid);
    if (!p) throw new Error(`no peer ${sid}`);
    return p;
  }

  private matcher(args: Map<string, string>): (m: { from: number; to: number }) => boolean {
    const from = args.has('from') ? Number(args.get('from')) : null;
    const to = args.has('to') ? Number(args.get('to')) : null;
    return (m) => (from === null || m.from === from) && (to === null || m.to === to);
  }

  /** Queues what `sid` asked to send and reports its decision, if it reached one. */
  private collect(sid: number, out: string[], indent = ''): void {
    const p = this.peer(sid);
    const sent = p.takeOutbox();
    if (sent.length > 0) {
      const first = sent[0].notification;
      const same = sent.every((s) => describe(s.notification) === describe(first));
      if (same) out.push(`${indent}${sid} sends to ${sent.map((s) => s.to).join(',')}: ${describe(first)}`);
      else for (const s of sent) out.push(`${indent}${sid} sends to ${s.to}: ${describe(s.notification)}`);
      for (const s of sent) this.queue.push({ from: sid, to: s.to, n: s.notification });
    }
    const d = p.takeDecision();
    if (d) out.push(`${indent}${sid} DECIDES ${PeerState[d.state]} leader=${d.vote.leader} round=${d.vote.electionEpoch} peerEpoch=${num(d.vote.peerEpoch)}`);
  }
}

for (const file of readdirSync(dataDir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`election scenario ${file}`, () => {
    const driver = new ElectionDriver();
    const diffs = checkScenarioFile(join(dataDir, file), (c) => driver.run(c));
    assert.deepEqual(diffs, []);
  });
}
