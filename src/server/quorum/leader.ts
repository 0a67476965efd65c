// A leader, as ZooKeeper 3.8's Leader.lead and LearnerHandler run it: learners connect to the quorum
// port; discovery (src/zab/discovery.ts) fixes the new epoch with a quorum; each learner is synced
// by the plan of src/zab/sync-plan.ts (DIFF and TRUNC from the committed log or the on-disk log,
// else SNAP streamed from the live tree), then NEWLEADER; once a quorum has acknowledged NEWLEADER
// the leader serves and broadcasts: PROPOSAL to followers, COMMIT once a quorum logged it (the host's
// zab core counts the ACKs), INFORM to observers. PINGs every half tick carry the learners' session
// touches back; a leader that cannot keep a synced quorum for syncLimit ticks steps down.

import net from 'node:net';
import { decodeLearnerInfo, makeZxid, PacketType, zxidCounter, zxidEpoch, type QuorumPacket } from '../../jute/quorum.js';
import { LeaderDiscovery, type DiscoveryAction } from '../../zab/discovery.js';
import { planSync, type SyncInput } from '../../zab/sync-plan.js';
import { listenQuorum, QuorumConnection } from '../../transport/quorum.js';
import { syncSnapshotChunks } from '../../storage/snapshot/sync-stream.js';
import { StandaloneHost } from '../../host/host.js';
import type { TimerHandle } from '../../host/clock.js';
import type { TxnEntry } from '../../storage/spi.js';
import type { Proposal } from '../../pipeline/pipeline.js';
import { OpCode } from '../../protocol/constants.js';
import { sessionOwnerMap } from '../../pipeline/prep.js';
import { hex } from '../../log/logger.js';
import { RoleEnded, type QuorumContext } from './context.js';
import { decodeRequest, decodeTouches, intData, packet } from './packets.js';

type LearnerState = 'info' | 'leaderInfo' | 'ackEpoch' | 'ackedEpoch' | 'syncing' | 'newLeader' | 'synced' | 'broadcast';

class LearnerHandler {
  sid = -1;
  participant = false;
  state: LearnerState = 'info';
  peerLastZxid = 0;
  lastHeard: number;
  /** Receives proposals and commits (Leader.forwardingFollowers / observingLearners). */
  forwarding = false;
  /** While a snapshot streams: packets to send behind it. */
  held: QuorumPacket[] | null = null;
  /** For the AdminServer's `observers` (LearnerHandler's stats; reset by `orst`). */
  readonly establishedMs: number;
  packetsReceived = 0;
  packetsSent = 0;
  requests = 0;

  constructor(readonly conn: QuorumConnection, now: number) {
    this.lastHeard = now;
    this.establishedMs = now;
  }

  send(p: QuorumPacket): void {
    this.packetsSent++;
    if (this.held !== null) this.held.push(p);
    else this.conn.send(p);
  }

  resetStats(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.requests = 0;
  }
}

export class LeaderRole {
  private listener: net.Server | null = null;
  private readonly handlers = new Set<LearnerHandler>();
  private readonly discovery: LeaderDiscovery;
  private host: StandaloneHost | null = null;
  /** Proposed, not yet committed: what a learner joining now must also get. */
  private readonly outstanding = new Map<number, Buffer>();
  /** Learners' syncs waiting for the COMMIT of the zxid they were made after. */
  private readonly pendingSyncs = new Map<number, LearnerHandler[]>();
  /** For srvr and mntr: -1 before the first proposal. */
  private readonly proposalSizes = { lastProposalSize: -1, minProposalSize: -1, maxProposalSize: -1 };
  private epoch = 0;
  private timer: TimerHandle | null = null;
  private lastQuorumAt: number;
  private actions: Promise<void> = Promise.resolve();
  private fail: (err: Error) => void = () => undefined;
  private ended = false;

  constructor(private readonly ctx: QuorumContext) {
    this.lastQuorumAt = ctx.clock.now();
    this.discovery = new LeaderDiscovery({
      selfId: ctx.myid,
      voters: ctx.voters,
      acceptedEpoch: ctx.epochs.accepted,
      currentEpoch: ctx.epochs.current,
      lastZxid: ctx.server.tree.lastProcessedZxid,
      // Ticks of half a tickTime (the ping period).
      initLimitTicks: ctx.config.initLimit * 2,
    });
  }

  async run(): Promise<never> {
    const ended = new Promise<never>((_, reject) => { this.fail = reject; });
    const { config, myid } = this.ctx;
    const me = config.servers.get(myid);
    if (!me) throw new RoleEnded(`my id ${myid} is not in the server list`);
    try {
      this.listener = await listenQuorum(config.quorumListenOnAllIPs ? '0.0.0.0' : me.host, me.quorumPort, (s) => this.accept(s), this.ctx.net);
      this.ctx.log.info(`leading: quorum port ${me.quorumPort}, waiting for a quorum of followers`);
      this.timer = this.ctx.clock.setInterval(() => this.tick(), Math.max(10, Math.floor(config.tickTime / 2)));
      this.runActions(this.discovery.take());
      return await ended;
    } finally {
      this.ended = true;
      if (this.ctx.server.quorum) {
        delete this.ctx.server.quorum.leader;
        delete this.ctx.server.quorum.inQuorum;
        delete this.ctx.server.quorum.observers;
        delete this.ctx.server.quorum.resetObserverStats;
      }
      this.ctx.clock.clear(this.timer);
      for (const h of this.handlers) h.conn.close('leader role ended');
      await new Promise<void>((r) => (this.listener ? this.listener.close(() => r()) : r()));
    }
  }

  /** Ends the role (the peer is shutting down, or it failed): run() rejects with `reason`. */
  stop(reason: string): void {
    this.end(reason);
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.fail(new RoleEnded(reason));
  }

  private accept(socket: net.Socket): void {
    if (this.ended) {
      socket.destroy();
      return;
    }
    let h: LearnerHandler | null = null;
    const conn = new QuorumConnection(socket, {
      maxBufferBytes: this.ctx.maxPacketBytes,
      onPacket: (p) => this.onPacket(h as LearnerHandler, p),
      onClose: (reason) => {
        if (!h || !this.handlers.delete(h)) return; // dropped by us: logged there
        const who = h.sid >= 0 ? `learner ${h.sid}` : 'an unregistered learner';
        const line = `${who} (${h.conn.remote}) gone: ${reason}`;
        if (/^malformed/.test(reason)) this.ctx.log.warn(line);
        else this.ctx.log.info(line);
      },
    });
    h = new LearnerHandler(conn, this.ctx.clock.now());
    this.handlers.add(h);
  }

  private drop(h: LearnerHandler, reason: string): void {
    this.ctx.log.warn(`dropping learner ${h.sid} (${h.conn.remote}): ${reason}`);
    this.handlers.delete(h);
    h.conn.close(reason);
  }

  private onPacket(h: LearnerHandler, p: QuorumPacket): void {
    h.lastHeard = this.ctx.clock.now();
    h.packetsReceived++;
    if (p.type === PacketType.REQUEST) h.requests++;
    try {
      this.handle(h, p);
    } catch (err) {
      this.drop(h, err instanceof Error ? err.message : String(err));
    }
  }

  private handle(h: LearnerHandler, p: QuorumPacket): void {
    switch (h.state) {
      case 'info': {
        if (p.type !== PacketType.FOLLOWERINFO && p.type !== PacketType.OBSERVERINFO) {
          throw new Error(`First packet ${p.type} is not FOLLOWERINFO or OBSERVERINFO`);
        }
        if (p.data === null) throw new Error('FOLLOWERINFO without LearnerInfo');
        const info = decodeLearnerInfo(p.data);
        if (info.configVersion > 0) throw new Error('Follower is ahead of the leader (has a later activated configuration)');
        for (const other of this.handlers) if (other !== h && other.sid === info.serverId) this.drop(other, 'replaced by a new connection');
        h.sid = info.serverId;
        h.participant = p.type === PacketType.FOLLOWERINFO && this.ctx.voters.has(h.sid);
        h.state = 'leaderInfo';
        this.discovery.followerInfo(h.sid, zxidEpoch(p.zxid));
        this.runActions(this.discovery.take());
        return;
      }
      case 'leaderInfo':
        throw new Error(`packet ${p.type} before LEADERINFO was sent`);
      case 'ackEpoch':
        this.onAckEpoch(h, p);
        return;
      case 'ackedEpoch': case 'syncing':
        throw new Error(`packet ${p.type} while syncing`);
      case 'newLeader':
        if (p.type !== PacketType.ACK) throw new Error(`Next packet was supposed to be an ACK, but received packet type ${p.type}`);
        if (p.zxid !== makeZxid(this.epoch, 0)) {
          // ZooKeeper 3.8.0-3.8.4 learners may ACK proposals of the sync before NEWLEADER
          // (ZOOKEEPER-4685): count them as acks and keep waiting for the NEWLEADER one.
          if (zxidCounter(p.zxid) !== 0 && h.participant && this.host) this.host.ack(h.sid, p.zxid);
          return;
        }
        h.state = 'synced';
        this.discovery.newLeaderAck(h.sid, p.zxid);
        this.runActions(this.discovery.take());
        if (this.host) this.upToDate(h);
        return;
      case 'synced': case 'broadcast':
        this.broadcastPacket(h, p);
        return;
    }
  }

  /** ACKEPOCH: the learner's currentEpoch (-1: it had accepted this epoch already) and last zxid. */
  private onAckEpoch(h: LearnerHandler, p: QuorumPacket): void {
    if (p.type !== PacketType.ACKEPOCH || p.data === null || p.data.length < 4) {
      throw new Error(`${p.type} is not ACKEPOCH`);
    }
    h.peerLastZxid = p.zxid;
    h.state = 'ackedEpoch';
    this.discovery.ackEpoch(h.sid, p.data.readInt32BE(0), p.zxid);
    this.runActions(this.discovery.take());
    // Once a quorum acknowledged the epoch, every learner is synced as its ACKEPOCH arrives.
    if (this.discovery.phase === 'newLeaderAck' || this.discovery.phase === 'established') void this.sync(h);
  }

  private runActions(actions: DiscoveryAction[]): void {
    if (actions.length === 0) return;
    this.actions = this.actions.then(async () => {
      for (const a of actions) {
        if (this.ended) return;
        switch (a.type) {
          case 'persistAcceptedEpoch':
            this.epoch = a.epoch;
            await this.ctx.setAcceptedEpoch(a.epoch);
            break;
          case 'sendLeaderInfo':
            for (const h of this.handlers) {
              if (!a.to.includes(h.sid) || h.state !== 'leaderInfo') continue;
              h.conn.send(packet(PacketType.LEADERINFO, a.zxid, intData(0x10000)));
              h.state = 'ackEpoch';
            }
            break;
          case 'persistCurrentEpoch':
            await this.ctx.setCurrentEpoch(a.epoch);
            for (const h of this.handlers) if (h.state === 'ackedEpoch') void this.sync(h);
            break;
          case 'dropLearner':
            for (const h of this.handlers) if (h.sid === a.sid) this.drop(h, a.reason);
            break;
          case 'established':
            this.establish(a.epoch);
            break;
          case 'abandon':
            this.end(a.reason);
            break;
        }
      }
    }).catch((err: unknown) => this.end(`leader failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  // ---------------------------------------------------------------- sync

  private async sync(h: LearnerHandler): Promise<void> {
    if (h.state !== 'ackedEpoch') return;
    h.state = 'syncing';
    try {
      const tree = this.ctx.server.tree;
      const input = (): SyncInput => ({
        peerLastZxid: h.peerLastZxid,
        lastProcessedZxid: tree.lastProcessedZxid,
        committedLog: this.ctx.committedLog.view().map((t) => t.zxid),
        forceSnapshotSync: this.ctx.config.forceSnapshotSync,
        txnLogSyncEnabled: this.ctx.config.snapshotSizeFactor >= 0,
      });
      let plan = planSync(input());
      let disk: TxnEntry[] = [];
      if (plan.kind === 'needDiskLog') {
        disk = await this.readDiskLog(plan.from);
        if (this.ended || !this.handlers.has(h)) return;
        plan = planSync({ ...input(), diskLog: disk.map((t) => t.zxid) });
      }
      if (plan.kind !== 'sync') throw new Error('sync plan incomplete');
      this.ctx.log.info(`syncing learner ${h.sid} (last zxid ${hex(h.peerLastZxid)}): ${plan.mode} ${hex(plan.zxid)}, ${plan.txns.length} txns`);
      const payloads = new Map<number, Buffer>();
      for (const t of disk) payloads.set(t.zxid, t.payload);
      for (const t of this.ctx.committedLog.view()) payloads.set(t.zxid, t.payload);
      if (plan.mode === 'SNAP') this.ctx.server.metrics.snapCount.inc();
      else this.ctx.server.metrics.diffCount.inc();
      if (plan.mode === 'SNAP') {
        h.conn.send(packet(PacketType.SNAP, plan.zxid));
        h.held = [];
        this.startForwarding(h, plan.forwardFrom);
        const sessions = new Map<bigint, number>();
        for (const s of this.ctx.server.sessions.all()) sessions.set(s.sessionId, s.timeoutMs);
        for await (const chunk of syncSnapshotChunks(tree, sessions)) {
          if (this.ended) return;
          h.conn.sendRaw(chunk);
        }
        const held = h.held;
        h.held = null;
        for (const p of held) h.conn.send(p);
      } else {
        h.send(packet(plan.mode === 'DIFF' ? PacketType.DIFF : PacketType.TRUNC, plan.zxid));
        for (const t of plan.txns) {
          const payload = payloads.get(t.zxid);
          if (!payload) throw new Error(`txn ${hex(t.zxid)} of the sync plan is gone`);
          h.send(packet(PacketType.PROPOSAL, t.zxid, payload));
          h.send(packet(PacketType.COMMIT, t.zxid));
        }
        this.startForwarding(h, plan.forwardFrom);
      }
    } catch (err) {
      this.drop(h, `sync failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Leader.startForwarding, then NEWLEADER behind it. */
  private startForwarding(h: LearnerHandler, after: number): void {
    for (const [zxid, payload] of [...this.outstanding].sort((a, b) => a[0] - b[0])) {
      if (zxid > after && h.participant) h.send(packet(PacketType.PROPOSAL, zxid, payload));
    }
    h.forwarding = true;
    h.state = 'newLeader';
    h.send(packet(PacketType.NEWLEADER, makeZxid(this.epoch, 0), Buffer.from(this.ctx.configString, 'utf8')));
  }

  /** The txns of the on-disk log from `from` on, or none when the log does not reach back to it. */
  /**
   * ZKDatabase.getProposalsFromTxnLog: the txns of the on-disk log from `from` on; none when the log
   * does not reach back to it, or when it holds more than snapshotSizeFactor × the newest
   * snapshot's size (a snapshot is then the cheaper sync; a factor of 0, or no snapshot, is no limit).
   */
  private async readDiskLog(from: number): Promise<TxnEntry[]> {
    const newest = (await this.ctx.storage.snapshots.list())[0];
    const limit = Math.floor((newest?.sizeBytes ?? 0) * this.ctx.config.snapshotSizeFactor);
    const out: TxnEntry[] = [];
    let bytes = 0;
    for await (const e of this.ctx.storage.txnLog.read(from)) {
      if (out.length === 0 && e.zxid > from) return [];
      out.push(e);
      // As a log file stores an entry: checksum, length, payload, end-of-record byte.
      bytes += 13 + e.payload.length;
      if (limit > 0 && bytes > limit) {
        this.ctx.log.info(`txn log from ${hex(from)} is larger than snapshotSizeFactor allows (${limit} bytes): SNAP instead`);
        return [];
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- broadcast

  private establish(epoch: number): void {
    const ctx = this.ctx;
    const server = ctx.server;
    const establishedAt = ctx.clock.now();
    const quorum = server.quorum;
    if (quorum) {
      quorum.leader = () => {
        const live = [...this.handlers].filter((h) => h.state === 'broadcast');
        return {
          learners: this.handlers.size,
          syncedFollowers: live.filter((h) => h.participant).length,
          syncedNonVotingFollowers: 0,
          syncedObservers: live.filter((h) => !h.participant).length,
          pendingSyncs: this.pendingSyncs.size,
          leaderUptimeMs: this.ctx.clock.now() - establishedAt,
          ...this.proposalSizes,
        };
      };
      quorum.observers = () => [...this.handlers].filter((h) => h.state === 'broadcast' && !h.participant).map((h) => ({
        remoteAddress: h.conn.remote, sid: h.sid, establishedMs: h.establishedMs, queuedPackets: h.held?.length ?? 0,
        packetsReceived: h.packetsReceived, packetsSent: h.packetsSent, requests: h.requests, lastZxid: h.peerLastZxid,
      }));
      quorum.resetObserverStats = () => { for (const h of this.handlers) if (!h.participant) h.resetStats(); };
      const limitMs = ctx.config.syncLimit * ctx.config.tickTime;
      quorum.inQuorum = () => !this.ended && this.ctx.clock.now() - this.lastQuorumAt <= limitMs;
    }
    this.lastQuorumAt = this.ctx.clock.now();
    server.pipeline.setEpoch(epoch);
    server.pipeline.setSessionOwners(sessionOwnerMap());
    this.host = new StandaloneHost(ctx.storage.txnLog, {
      apply: (p) => server.pipeline.applyCommitted(p),
      logged: (entries, bytes, ms) => server.recordLogged(entries, bytes, ms),
      fatal: (err) => this.end(`txn log failed: ${err.message}`),
      proposed: (proposals, entries) => this.proposed(proposals, entries),
      committed: (p) => this.committed(p),
    }, { selfId: ctx.myid, voters: [...ctx.voters] });
    server.beginRole('leader', this.host, null);
    ctx.onSynced?.(epoch);
    for (const h of this.handlers) if (h.state === 'synced') this.upToDate(h);
    ctx.log.info(`leading epoch ${epoch} with ${[...this.handlers].filter((h) => h.state === 'broadcast').map((h) => h.sid).join(', ')}`);
  }

  private upToDate(h: LearnerHandler): void {
    h.state = 'broadcast';
    h.send(packet(PacketType.UPTODATE, -1));
  }

  private proposed(proposals: readonly Proposal[], entries: readonly TxnEntry[]): void {
    const sizes = this.proposalSizes;
    for (const e of entries) {
      sizes.lastProposalSize = e.payload.length;
      sizes.minProposalSize = sizes.minProposalSize < 0 ? e.payload.length : Math.min(sizes.minProposalSize, e.payload.length);
      sizes.maxProposalSize = Math.max(sizes.maxProposalSize, e.payload.length);
    }
    if (zxidCounter(proposals[proposals.length - 1].zxid) === 0xffffffff) {
      this.end('zxid lower 32 bits have rolled over, forcing re-election, and therefore new epoch start');
    }
    this.ctx.server.metrics.proposalCount.inc(entries.length);
    for (const e of entries) {
      this.outstanding.set(e.zxid, e.payload);
      const p = packet(PacketType.PROPOSAL, e.zxid, e.payload);
      for (const h of this.handlers) if (h.forwarding && h.participant) h.send(p);
    }
  }

  private committed(p: Proposal): void {
    const payload = this.outstanding.get(p.zxid);
    this.outstanding.delete(p.zxid);
    this.ctx.server.metrics.commitCount.inc();
    if (payload) this.ctx.committedLog.add(p.zxid, payload);
    const commit = packet(PacketType.COMMIT, p.zxid);
    const inform = payload ? packet(PacketType.INFORM, p.zxid, payload) : null;
    for (const h of this.handlers) {
      if (!h.forwarding) continue;
      if (h.participant) h.send(commit);
      else if (inform) h.send(inform);
    }
    const syncs = this.pendingSyncs.get(p.zxid);
    if (syncs) {
      this.pendingSyncs.delete(p.zxid);
      for (const h of syncs) if (this.handlers.has(h)) h.send(packet(PacketType.SYNC, 0));
    }
  }

  private broadcastPacket(h: LearnerHandler, p: QuorumPacket): void {
    const server = this.ctx.server;
    switch (p.type) {
      case PacketType.ACK:
        // ACKs of NEWLEADER and UPTODATE carry a bare epoch zxid: nothing to count.
        if (zxidCounter(p.zxid) !== 0 && h.participant && this.host) this.host.ack(h.sid, p.zxid);
        return;
      case PacketType.PING: {
        const now = this.ctx.clock.now();
        for (const [sessionId] of decodeTouches(p.data)) server.sessions.touch(sessionId, now);
        return;
      }
      case PacketType.REQUEST: {
        if (p.data === null) throw new Error('REQUEST without data');
        const r = decodeRequest(p.data);
        if (!server.isServing) return;
        if (r.type === OpCode.sync) {
          this.learnerSync(h);
          return;
        }
        if (r.type !== OpCode.createSession) server.sessions.touch(r.sessionId, this.ctx.clock.now());
        server.pipeline.submit({
          type: r.type, xid: r.cxid, body: r.body, sessionId: r.sessionId, authInfo: p.authinfo ?? [], sink: null,
          receivedAtMs: this.ctx.clock.now(), owner: h,
        });
        if (r.type === OpCode.closeSession) server.sessions.setClosing(r.sessionId);
        return;
      }
      case PacketType.REVALIDATE: {
        if (p.data === null || p.data.length < 8) throw new Error('REVALIDATE without a session id');
        this.ctx.server.metrics.revalidateCount.inc();
        const sessionId = p.data.readBigInt64BE(0);
        const valid = server.sessions.touch(sessionId, this.ctx.clock.now());
        // The client is now attached to that learner (LearnerHandler: setOwner).
        if (valid) server.pipeline.sessionOwners?.set(sessionId, h);
        const data = Buffer.alloc(9);
        data.writeBigInt64BE(sessionId);
        data[8] = valid ? 1 : 0;
        h.send(packet(PacketType.REVALIDATE, p.zxid, data));
        return;
      }
      default:
        throw new Error(`unexpected quorum packet type ${p.type}`);
    }
  }

  /**
   * Leader.processSync: a learner's sync is answered once every proposal made before it has
   * committed: at once when nothing is outstanding, else right after that proposal's COMMIT.
   */
  private learnerSync(h: LearnerHandler): void {
    const last = this.ctx.server.pipeline.lastProposedZxid;
    if (!this.outstanding.has(last)) {
      h.send(packet(PacketType.SYNC, 0));
      return;
    }
    let waiting = this.pendingSyncs.get(last);
    if (!waiting) this.pendingSyncs.set(last, (waiting = []));
    waiting.push(h);
  }

  // ---------------------------------------------------------------- liveness

  private tick(): void {
    if (this.ended) return;
    const { tickTime, syncLimit, initLimit } = this.ctx.config;
    const now = this.ctx.clock.now();
    if (!this.host) {
      this.discovery.tick();
      this.runActions(this.discovery.take());
      for (const h of this.handlers) if (now - h.lastHeard > initLimit * tickTime) this.drop(h, `silent for ${initLimit} ticks`);
      return;
    }
    const lastProposed = this.ctx.server.pipeline.lastProposedZxid;
    const synced = new Set<number>([this.ctx.myid]);
    for (const h of this.handlers) {
      const limit = (h.state === 'broadcast' || h.state === 'synced' ? syncLimit : initLimit) * tickTime;
      if (now - h.lastHeard > limit) {
        this.drop(h, `no word for ${limit} ms`);
        continue;
      }
      if (h.state === 'broadcast' || h.state === 'synced') {
        h.send(packet(PacketType.PING, lastProposed));
        if (h.participant) synced.add(h.sid);
      }
    }
    if (synced.size > Math.floor(this.ctx.voters.size / 2)) this.lastQuorumAt = now;
    else if (now - this.lastQuorumAt > syncLimit * tickTime) {
      this.end(`Not sufficient followers synced, only synced with sids: [ ${[...synced].join(',')} ]`);
    }
  }
}
