// Scenario files for whole quorum members (test/sim/testdata/*.txt), in the manner of etcd raft's
// interaction tests: commands drive the full-stack simulator (zab-sim.ts: real QuorumPeers on fake
// time, network and disks, with its invariants checked after every event), and each command's
// output is what the members logged about elections, syncs and roles while it ran, plus what the
// command reports. Delays are fixed, so a file replays the same way every time.
//
//   members N [observers=K] [key=value ...]   first: the ensemble (key=value: zoo.cfg lines)
//   start SID...                              start members (restoring from their disks)
//   crash SID [torn=N]                        kill -9; a torn tail keeps N unacknowledged log entries
//   wipe SID                                  remove a stopped member's data directory
//   partition SIDS | SIDS                     split the members (clients reach everyone)
//   heal                                      end the partition
//   write SID N [wait=MS]                     a client of member SID creates N nodes, one at a time
//   wait-leader                               run until one leader serves every live member, in step
//   run MS                                    let fake time pass
//   check                                     each member's state; whether the live trees are identical
//   disk SID                                  what a member's disk holds
//   epochs SID current=N [accepted=N]         overwrite a stopped member's epoch files

import { Client, ZabSim, type Member } from './zab-sim.js';
import { configureSnapshotPool, prepareSnapshotPool } from '../../src/storage/snapshot/index.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The log lines a transcript keeps: elections, syncs and role changes, not connection chatter. */
const KEEP = [
  /^new election: proposing/, /^election round \d+ decided/, /^syncing learner/, /^sync with leader/,
  /^serving as/, /^leading epoch/, / ended: /, /^fast-forwarded/, /deleting snapshot/, /^snapshot from leader/,
  /^restored to/, /sync did not complete/, /SNAP instead/, /before the epoch was recorded/,
];

const WAIT_LEADER_MS = 20_000;
const WRITE_WAIT_MS = 10_000;

export class QuorumScenario {
  private sim: ZabSim | null = null;
  private out: string[] = [];
  private clients = 0;

  async run(command: string): Promise<string[]> {
    this.out = [];
    const [verb, ...args] = command.trim().split(/\s+/);
    switch (verb) {
      case 'members':
        await this.members(args);
        break;
      case 'start':
        for (const sid of args) this.member(sid).start();
        await this.runFor(0);
        break;
      case 'crash': {
        const m = this.member(args[0]);
        const torn = Number(/^torn=(\d+)$/.exec(args[1] ?? '')?.[1] ?? 0);
        const kept = m.crash(torn);
        if (torn > 0) this.out.push(`${m.sid}: ${kept} unacknowledged log entries survive the crash`);
        await this.runFor(0);
        break;
      }
      case 'wipe': {
        const m = this.member(args[0]);
        if (m.up) throw new Error(`wipe ${m.sid}: the member is running`);
        m.disk.wipe();
        m.seenAccepted = 0;
        m.seenCurrent = 0;
        break;
      }
      case 'partition': {
        const groups = args.join(' ').split('|').map((g) => g.trim().split(/\s+/).map((sid) => this.member(sid).host));
        this.sim?.net.partition(groups);
        await this.runFor(0);
        break;
      }
      case 'heal':
        this.sim?.net.heal();
        await this.runFor(0);
        break;
      case 'run':
        await this.runFor(Number(args[0]));
        break;
      case 'write':
        await this.write(this.member(args[0]), Number(args[1]), Number(/^wait=(\d+)$/.exec(args[2] ?? '')?.[1] ?? WRITE_WAIT_MS));
        break;
      case 'wait-leader':
        await this.waitLeader();
        break;
      case 'check':
        this.check();
        break;
      case 'disk':
        this.disk(this.member(args[0]));
        break;
      case 'epochs': {
        const m = this.member(args[0]);
        if (m.up) throw new Error(`epochs ${m.sid}: the member is running`);
        for (const a of args.slice(1)) {
          const [k, v] = a.split('=');
          m.disk.volume.epochs.set(k === 'current' ? 'currentEpoch' : 'acceptedEpoch', Number(v));
        }
        m.seenAccepted = 0;
        m.seenCurrent = 0;
        this.disk(m);
        break;
      }
      default:
        throw new Error(`unknown command ${verb}`);
    }
    return this.out.length > 0 ? this.out : ['(nothing)'];
  }

  /** Ends the run: every member crashes (nothing is left running). */
  stop(): void {
    if (this.sim) for (const m of this.sim.members.values()) m.crash(0);
    configureSnapshotPool({});
  }

  private async members(args: string[]): Promise<void> {
    const participants = Number(args[0]);
    let observers = 0;
    const extra: string[] = [];
    for (const a of args.slice(1)) {
      const [k, v] = a.split('=');
      if (k === 'observers') observers = Number(v);
      else extra.push(a);
    }
    configureSnapshotPool({ inline: true });
    await prepareSnapshotPool();
    this.sim = new ZabSim({
      seed: 1, participants, observers, clients: 0, minDelayMs: 2, maxDelayMs: 2, configExtra: extra,
      onLog: (sid, level, msg) => {
        if (!KEEP.some((r) => r.test(msg))) return;
        // Durations measured on the real clock would make two runs differ.
        const text = msg.replace(/ in \d+(\.\d+)? ms/g, '');
        this.out.push(`${sid}: ${level === 'info' ? '' : `${level.toUpperCase()} `}${text}`);
      },
    });
    this.out.push(`${participants} participants${observers > 0 ? `, ${observers} observers` : ''}${extra.length > 0 ? `; ${extra.join(' ')}` : ''}`);
  }

  private member(sid: string): Member {
    const m = this.sim?.members.get(Number(sid));
    if (!m) throw new Error(`no member ${sid}`);
    return m;
  }

  private get s(): ZabSim {
    if (!this.sim) throw new Error('the first command must be `members`');
    return this.sim;
  }

  /** Runs events for `ms` of fake time (0: those due now), checking the invariants after each. */
  private async runFor(ms: number): Promise<void> {
    const until = this.s.world.now + ms;
    await this.s.world.settle();
    this.s.checkOrThrow();
    await this.s.world.runUntil(until, () => this.s.checkOrThrow());
  }

  private async runWhile(cond: () => boolean, maxMs: number): Promise<boolean> {
    const deadline = this.s.world.now + maxMs;
    await this.s.world.settle();
    while (cond()) {
      if (!await this.s.world.step(deadline)) return false;
      this.s.checkOrThrow();
    }
    return true;
  }

  private async waitLeader(): Promise<void> {
    const settled = (): boolean => {
      const up = [...this.s.members.values()].filter((m) => m.peer !== null);
      const leaders = up.filter((m) => m.peer?.server.serverState === 'leader' && m.peer.server.isServing);
      return leaders.length === 1 && up.every((m) => m.peer?.server.isServing === true)
        && new Set(up.map((m) => m.peer?.server.tree.lastProcessedZxid)).size === 1;
    };
    if (!await this.runWhile(() => !settled(), WAIT_LEADER_MS)) this.out.push(`no leader serving every live member within ${WAIT_LEADER_MS} ms`);
  }

  private async write(m: Member, n: number, waitMs: number): Promise<void> {
    const client = new Client(this.s, 100 + ++this.clients, true);
    const acked = (): number => this.s.ackedWrites.filter((a) => a.client === client.id).length;
    let issued = 0;
    let connected = false;
    await this.runWhile(() => {
      if (client.state === 'down') {
        if (connected) return false; // the connection was lost: report what was acknowledged
        connected = true;
        client.connect(m);
      } else if (client.state === 'up' && client.outstanding === 0 && issued < n) {
        client.write();
        issued++;
      }
      return acked() < n;
    }, waitMs);
    const mine = this.s.ackedWrites.filter((a) => a.client === client.id);
    const last = mine.length > 0 ? `, last at ${hex(mine[mine.length - 1].zxid)}` : '';
    this.out.push(`${mine.length} of ${n} writes through ${m.sid} acknowledged${last}`);
  }

  private check(): void {
    const up: Member[] = [];
    for (const m of this.s.members.values()) {
      const p = m.peer;
      if (p === null) {
        this.out.push(`${m.sid}: down`);
        continue;
      }
      up.push(m);
      const e = p.epochs;
      this.out.push(`${m.sid}: ${p.server.quorum?.peerState() ?? 'looking'}, zxid ${hex(p.server.tree.lastProcessedZxid)}, ` +
        `epochs accepted ${e.accepted} current ${e.current}, ${p.server.tree.nodeCount()} nodes`);
    }
    const digests = new Set(up.map((m) => `${m.peer?.server.tree.lastProcessedZxid}/${m.peer?.server.tree.digest()}`));
    this.out.push(digests.size === 1 ? 'live trees identical' : 'live trees DIFFER');
  }

  private disk(m: Member): void {
    const v = m.disk.volume;
    const log = v.log;
    const snaps = [...v.snapshots.keys()].sort((a, b) => a - b).map(hex);
    this.out.push(`${m.sid}: log ${log.length === 0 ? 'empty' : `${hex(log[0].zxid)}..${hex(log[log.length - 1].zxid)} (${log.length} txns)`}; ` +
      `snapshots ${snaps.join(' ') || 'none'}; acceptedEpoch ${v.epochs.get('acceptedEpoch') ?? '-'} currentEpoch ${v.epochs.get('currentEpoch') ?? '-'}`);
  }
}
