// A follower (or observer) of a leader, as ZooKeeper 3.8's Learner.registerWithLeader and
// syncWithLeader and Follower.followLeader run it: FOLLOWERINFO → LEADERINFO → ACKEPOCH, then DIFF,
// TRUNC or SNAP, the history up to NEWLEADER (logged, currentEpoch written, then ACKed), UPTODATE,
// and the broadcast: PROPOSAL logged then ACKed, COMMIT applied in order, PING answered with the
// sessions this server holds. Client writes go to the leader as REQUEST packets. Resolves never:
// the role ends by rejecting (leader gone, timeout, protocol error), and the peer goes LOOKING.

import { encodeLearnerInfo, LEARNER_PROTOCOL_VERSION, makeZxid, PacketType, zxidEpoch, type QuorumPacket } from '../../jute/quorum.js';
import { answerLeaderInfo } from '../../zab/discovery.js';
import { connectQuorum, QuorumConnection } from '../../transport/quorum.js';
import { PooledSyncSnapshotReceiver } from '../../storage/snapshot/sync-stream.js';
import { restoreDatabase } from '../persistence.js';
import type { Proposal } from '../../pipeline/pipeline.js';
import { hex } from '../../log/logger.js';
import { sleep, type TimerHandle } from '../../host/clock.js';
import { RoleEnded, type QuorumContext } from './context.js';
import { encodeRequest, encodeTouches, intData, packet, proposalOf } from './packets.js';

/** Learner.connectToLeader: tries within the initLimit budget, this far apart. */
const CONNECT_RETRY_MS = 100;
const CONNECT_TRIES = 5;

interface PendingTxn {
  readonly zxid: number;
  readonly payload: Buffer;
  readonly proposal: Proposal;
  committed: boolean;
  logged: boolean;
}

type Phase = 'register' | 'syncStart' | 'sync' | 'synced' | 'broadcast';

export class FollowerRole {
  private conn: QuorumConnection | null = null;
  private phase: Phase = 'register';
  private syncMode: 'DIFF' | 'TRUNC' | 'SNAP' = 'DIFF';
  /**
   * From a SNAP or TRUNC until the snapshot at NEWLEADER: the tree holds what the data directory
   * cannot rebuild (the snapshot sent, or txns applied on top of the truncated log).
   */
  private treeUnsaved = false;
  /** A SNAP stream being restored, released if the role ends first. */
  private snapReceiver: PooledSyncSnapshotReceiver | null = null;
  private newEpoch = 0;
  /** Received proposals not yet applied, in zxid order. */
  private readonly pending: PendingTxn[] = [];
  private toLog: PendingTxn[] = [];
  /** The log loop while it runs. */
  private logging: Promise<void> | null = null;
  /** When the leader's epoch was accepted: follower_sync_time runs from here to UPTODATE. */
  private syncStartedAt = 0;
  private lastHeard: number;
  private timer: TimerHandle | null = null;
  private chain: Promise<void> = Promise.resolve();
  private fail: (err: Error) => void = () => undefined;
  private ended = false;
  /** Reconnecting sessions waiting for the leader's REVALIDATE answer. */
  private readonly revalidating = new Map<bigint, (valid: boolean | null) => void>();

  constructor(private readonly ctx: QuorumContext, private readonly leaderSid: number) {
    this.lastHeard = ctx.clock.now();
  }

  /** Runs the role; rejects (RoleEnded or another error) when it ends. */
  async run(): Promise<never> {
    const ended = new Promise<never>((_, reject) => { this.fail = reject; });
    try {
      await this.connect();
      this.timer = this.ctx.clock.setInterval(() => this.checkLeader(), Math.max(10, Math.floor(this.ctx.config.tickTime / 2)));
      const { accepted } = this.ctx.epochs;
      this.send(packet(this.ctx.participant ? PacketType.FOLLOWERINFO : PacketType.OBSERVERINFO, makeZxid(accepted, 0),
        encodeLearnerInfo({ serverId: this.ctx.myid, protocolVersion: LEARNER_PROTOCOL_VERSION, configVersion: 0 })));
      return await ended;
    } finally {
      this.ended = true;
      this.ctx.clock.clear(this.timer);
      for (const resolve of this.revalidating.values()) resolve(null);
      this.revalidating.clear();
      this.conn?.close('follower role ended');
      this.snapReceiver?.abort();
      this.snapReceiver = null;
      // The writes already queued land before the peer looks at its log again (fastForward).
      await this.logging;
      // A SNAP not yet snapshotted left a tree the data directory cannot rebuild (or half a tree,
      // if the stream broke): start over from what is durable.
      if (this.treeUnsaved) await this.reloadFromDisk();
    }
  }

  private async reloadFromDisk(): Promise<void> {
    await this.chain.catch(() => undefined);
    const server = this.ctx.server;
    server.tree.beginRestore();
    const restored = await restoreDatabase(this.ctx.storage, server.tree, this.ctx.log);
    this.replaceSessions(restored.sessions);
    await this.ctx.committedLog.load(this.ctx.storage.txnLog, server.tree.lastProcessedZxid);
    this.ctx.log.info(`${this.syncMode} sync did not complete: reloaded the tree from disk at ${hex(server.tree.lastProcessedZxid)}`);
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

  private async connect(): Promise<void> {
    const spec = this.ctx.config.servers.get(this.leaderSid);
    if (!spec) throw new RoleEnded(`leader ${this.leaderSid} is not in the server list`);
    const budget = this.ctx.config.initLimit * this.ctx.config.tickTime;
    const deadline = this.ctx.clock.now() + budget;
    let lastError: unknown = null;
    for (let i = 0; i < CONNECT_TRIES && this.ctx.clock.now() < deadline; i++) {
      try {
        const socket = await connectQuorum(spec.host, spec.quorumPort, Math.max(1, deadline - this.ctx.clock.now()), this.ctx);
        this.conn = new QuorumConnection(socket, {
          maxBufferBytes: this.ctx.maxPacketBytes,
          onPacket: (p) => this.onPacket(p),
          onClose: (reason) => this.end(`connection to leader ${this.leaderSid} closed: ${reason}`),
        });
        this.ctx.log.info(`connected to leader ${this.leaderSid} at ${this.conn.remote}`);
        return;
      } catch (err) {
        lastError = err;
        await sleep(this.ctx.clock, CONNECT_RETRY_MS);
      }
    }
    throw new RoleEnded(`cannot connect to leader ${this.leaderSid} at ${spec.host}:${spec.quorumPort}: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  private send(p: QuorumPacket): void {
    this.conn?.send(p);
  }

  private checkLeader(): void {
    const { tickTime, initLimit, syncLimit } = this.ctx.config;
    const limit = (this.phase === 'broadcast' || this.phase === 'synced' ? syncLimit : initLimit) * tickTime;
    if (this.ctx.clock.now() - this.lastHeard > limit) this.end(`no word from leader ${this.leaderSid} for ${limit} ms`);
  }

  private onPacket(p: QuorumPacket): void {
    this.lastHeard = this.ctx.clock.now();
    if (p.type === PacketType.SNAP && this.phase === 'syncStart') {
      // The raw stream follows at once: it must not be read as packets.
      this.startSnap(p.zxid);
      return;
    }
    // Packets are handled one after another: some wait for the disk.
    this.chain = this.chain.then(() => this.handle(p)).catch((err: unknown) => {
      this.end(err instanceof Error ? err.message : String(err));
    });
  }

  private async handle(p: QuorumPacket): Promise<void> {
    if (this.ended) return;
    switch (this.phase) {
      case 'register':
        return this.onLeaderInfo(p);
      case 'syncStart':
        return this.onSyncStart(p);
      default:
        return this.onSyncOrBroadcast(p);
    }
  }

  private async onLeaderInfo(p: QuorumPacket): Promise<void> {
    if (p.type !== PacketType.LEADERINFO) throw new RoleEnded(`first packet from the leader is type ${p.type}, not LEADERINFO`);
    const newEpoch = zxidEpoch(p.zxid);
    const { accepted, current } = this.ctx.epochs;
    const answer = answerLeaderInfo(newEpoch, accepted, current);
    if (answer.type === 'reject') throw new RoleEnded(answer.reason);
    if (answer.type === 'accept') await this.ctx.setAcceptedEpoch(newEpoch);
    this.newEpoch = newEpoch;
    this.phase = 'syncStart';
    this.syncStartedAt = this.ctx.clock.now();
    this.send(packet(PacketType.ACKEPOCH, this.ctx.server.tree.lastProcessedZxid, intData(answer.ackEpochData)));
  }

  private async onSyncStart(p: QuorumPacket): Promise<void> {
    const server = this.ctx.server;
    if (p.type === PacketType.DIFF) {
      this.ctx.log.info(`sync with leader ${this.leaderSid}: DIFF to ${hex(p.zxid)}`);
    } else if (p.type === PacketType.TRUNC) {
      this.syncMode = 'TRUNC';
      this.ctx.log.info(`sync with leader ${this.leaderSid}: TRUNC to ${hex(p.zxid)}`);
      // A snapshot above the TRUNC point holds the txns being dropped (one taken after a role ended
      // and fast-forwarded them): it goes first, or the reload would bring them back and every
      // later TRUNC would fail the same way (the seeded simulator's seed 413 did, for ever).
      // ZooKeeper 3.8's truncateLog leaves such snapshots in place.
      for (const snap of await this.ctx.storage.snapshots.list()) {
        if (snap.zxid <= p.zxid) continue;
        this.ctx.log.info(`TRUNC to ${hex(p.zxid)}: deleting snapshot ${hex(snap.zxid)}, which is past it`);
        await this.ctx.storage.snapshots.delete(snap.zxid);
      }
      await this.ctx.storage.txnLog.truncate(p.zxid);
      this.treeUnsaved = true;
      server.tree.beginRestore();
      const restored = await restoreDatabase(this.ctx.storage, server.tree, this.ctx.log);
      this.replaceSessions(restored.sessions);
      await this.ctx.committedLog.load(this.ctx.storage.txnLog, server.tree.lastProcessedZxid);
      if (server.tree.lastProcessedZxid !== p.zxid) {
        throw new RoleEnded(`TRUNC to ${hex(p.zxid)} left the tree at ${hex(server.tree.lastProcessedZxid)}`);
      }
    } else {
      throw new RoleEnded(`first sync packet from the leader is type ${p.type}, not DIFF, TRUNC or SNAP`);
    }
    this.phase = 'sync';
  }

  private startSnap(zxid: number): void {
    const server = this.ctx.server;
    this.ctx.log.info(`sync with leader ${this.leaderSid}: SNAP at ${hex(zxid)}`);
    this.phase = 'sync';
    this.syncMode = 'SNAP';
    this.treeUnsaved = true;
    const conn = this.conn;
    // Parsed and hashed in the snapshot pool; this thread only inserts the nodes (a million-node
    // tree is seconds of CPU otherwise). The packets behind the stream wait until it is in.
    const receiver = new PooledSyncSnapshotReceiver(server.tree, (err, rest) => {
      this.snapReceiver = null;
      if (this.ended) return;
      if (err !== null) {
        this.end(`SNAP from leader ${this.leaderSid} failed: ${err.message}`);
        return;
      }
      server.tree.lastProcessedZxid = zxid;
      // The history behind the snapshot is not known here any more (ZKDatabase.clear).
      this.ctx.committedLog.clear();
      this.replaceSessions(receiver.sessions);
      this.ctx.log.info(`snapshot from leader ${this.leaderSid}: ${receiver.nodeCount} nodes, ${receiver.sessions.size} sessions`);
      // What the log holds above the snapshot is another history: later proposals continue from it.
      // (The rest of the log goes once the snapshot is durable, at NEWLEADER.)
      this.chain = this.chain.then(() => this.ctx.storage.txnLog.truncate(zxid));
      conn?.finishRaw(rest);
    }, { juteMaxBufferBytes: this.ctx.config.maxBufferBytes, name: `SNAP stream from leader ${this.leaderSid}` });
    this.snapReceiver = receiver;
    conn?.readRaw({
      push: (chunk) => {
        this.lastHeard = this.ctx.clock.now();
        receiver.push(chunk);
        return null;
      },
    });
  }

  private replaceSessions(sessions: Map<bigint, number>): void {
    const tracker = this.ctx.server.sessions;
    for (const s of [...tracker.all()]) if (!sessions.has(s.sessionId)) tracker.remove(s.sessionId);
    const now = this.ctx.clock.now();
    for (const [id, timeout] of sessions) if (!tracker.get(id)) tracker.add(id, timeout, now);
  }

  private async onSyncOrBroadcast(p: QuorumPacket): Promise<void> {
    switch (p.type) {
      case PacketType.PROPOSAL: {
        if (!this.ctx.participant && this.phase === 'broadcast') return; // observers take INFORM
        if (this.phase === 'broadcast') this.ctx.server.metrics.learnerProposalReceivedCount.inc();
        const t = this.receive(p);
        if (this.phase === 'synced' || this.phase === 'broadcast') this.log([t]);
        return;
      }
      case PacketType.COMMIT:
        if (!this.ctx.participant && this.phase === 'broadcast') return;
        if (this.phase === 'broadcast') this.ctx.server.metrics.learnerCommitReceivedCount.inc();
        return this.commit(p.zxid);
      case PacketType.INFORM: {
        const t = this.receive(p);
        if (this.phase === 'synced' || this.phase === 'broadcast') this.log([t]);
        return this.commit(t.zxid);
      }
      case PacketType.NEWLEADER:
        return this.onNewLeader(p);
      case PacketType.UPTODATE:
        return this.onUpToDate();
      case PacketType.PING:
        // ZooKeeper's learner does not answer pings while it syncs.
        if (this.phase === 'broadcast') this.send(packet(PacketType.PING, p.zxid, this.touches()));
        return;
      case PacketType.SYNC:
        if (this.phase === 'broadcast') this.ctx.server.pipeline.syncedByLeader();
        return;
      case PacketType.REVALIDATE: {
        if (p.data === null || p.data.length < 9) throw new RoleEnded('REVALIDATE answer without a session id');
        const sessionId = p.data.readBigInt64BE(0);
        const waiting = this.revalidating.get(sessionId);
        this.revalidating.delete(sessionId);
        waiting?.(p.data[8] !== 0);
        return;
      }
      default:
        if (this.phase !== 'broadcast') return;
        throw new RoleEnded(`unexpected packet type ${p.type} from the leader`);
    }
  }

  private receive(p: QuorumPacket): PendingTxn {
    if (p.data === null) throw new RoleEnded(`proposal ${hex(p.zxid)} without a txn`);
    const last = this.pending[this.pending.length - 1];
    if (last && p.zxid <= last.zxid) throw new RoleEnded(`proposal ${hex(p.zxid)} is not above ${hex(last.zxid)}`);
    const t: PendingTxn = { zxid: p.zxid, payload: p.data, proposal: proposalOf(p.zxid, p.data), committed: false, logged: false };
    this.pending.push(t);
    this.ctx.server.pipeline.resetZxid(Math.max(this.ctx.server.pipeline.lastProposedZxid, p.zxid));
    return t;
  }

  /**
   * COMMIT must name the oldest proposal not yet committed (ZooKeeper's follower exits otherwise).
   * In a DIFF, txns committed before NEWLEADER wait to be applied until they are logged there, as
   * ZooKeeper 3.9's Learner does (ZOOKEEPER-4646, -4785): a sync cut short then leaves a tree its
   * log rebuilds. After SNAP or TRUNC they are applied at once: the snapshot at NEWLEADER holds them.
   */
  private commit(zxid: number): void {
    const next = this.pending.find((t) => !t.committed);
    if (!next || next.zxid !== zxid) {
      throw new RoleEnded(`Committing ${hex(zxid)}, but next pending txn is ${next ? hex(next.zxid) : 'none'}`);
    }
    next.committed = true;
    if (this.phase !== 'sync' || this.syncMode !== 'DIFF') this.applyCommitted();
  }

  private applyCommitted(): void {
    while (this.pending.length > 0 && this.pending[0].committed) {
      const t = this.pending.shift() as PendingTxn;
      this.ctx.server.pipeline.applyCommitted(t.proposal);
      this.ctx.committedLog.add(t.zxid, t.payload);
    }
  }

  private async onNewLeader(p: QuorumPacket): Promise<void> {
    if (p.zxid !== makeZxid(this.newEpoch, 0)) throw new RoleEnded(`NEWLEADER for ${hex(p.zxid)}, expected epoch ${this.newEpoch}`);
    // After SNAP or TRUNC the tree on disk is not this one: snapshot it first, or a restart would
    // replay the log onto the old snapshot (Learner.syncWithLeader takes one here too).
    if (this.syncMode !== 'DIFF') await this.ctx.server.snapshotter.snapshotNow();
    // After a SNAP the log's older entries are another history: a tail this peer logged but nobody
    // committed may sit below the snapshot's zxid, and a DIFF served from this log later would
    // send it on. The snapshot now holds everything, so the log starts afresh behind it.
    if (this.syncMode === 'SNAP') await this.ctx.storage.txnLog.truncate(0);
    this.treeUnsaved = false;
    // ZOOKEEPER-3911: the history received so far is logged before NEWLEADER is acknowledged; the
    // DIFF's committed txns are applied once logged, and the epoch is current only after that
    // (ZOOKEEPER-4785).
    const received = [...this.pending];
    await this.appendDurably(received);
    this.applyCommitted();
    await this.ctx.setCurrentEpoch(this.newEpoch);
    this.phase = 'synced';
    this.send(packet(PacketType.ACK, makeZxid(this.newEpoch, 0)));
    if (this.ctx.participant) for (const t of this.pending) this.send(packet(PacketType.ACK, t.zxid));
  }

  private async onUpToDate(): Promise<void> {
    if (this.phase !== 'synced') throw new RoleEnded('UPTODATE before NEWLEADER');
    this.phase = 'broadcast';
    const metrics = this.ctx.server.metrics;
    (this.ctx.participant ? metrics.followerSyncTime : metrics.observerSyncTime).observe(this.ctx.clock.now() - this.syncStartedAt);
    this.send(packet(PacketType.ACK, makeZxid(this.newEpoch, 0)));
    const conn = this.conn;
    this.ctx.server.beginRole(this.ctx.participant ? 'follower' : 'observer', null, (req) => conn?.send(encodeRequest(req)));
    this.ctx.server.revalidate = (sessionId, timeoutMs) => this.revalidate(sessionId, timeoutMs);
    this.ctx.onSynced?.(this.newEpoch);
  }

  /** After NEWLEADER: each proposal is logged (group-committed with others) and then ACKed. */
  private log(ts: PendingTxn[]): void {
    this.toLog.push(...ts);
    if (this.logging === null) this.logging = this.logLoop();
  }

  /**
   * Runs until nothing is queued, even after the role ended: a COMMIT or INFORM may have applied a
   * txn whose write was still queued, and the log must hold what the tree holds (the seeded
   * simulator's seed 19293: an observer's tree kept a txn its log never got).
   */
  private async logLoop(): Promise<void> {
    try {
      while (this.toLog.length > 0) {
        const batch = this.toLog;
        this.toLog = [];
        await this.appendDurably(batch);
        if (this.ctx.participant && !this.ended) for (const t of batch) this.send(packet(PacketType.ACK, t.zxid));
      }
    } catch (err) {
      const msg = `txn log failed: ${err instanceof Error ? err.message : String(err)}`;
      if (this.ended) this.ctx.log.warn(msg);
      else this.ctx.log.error(msg);
      this.end('txn log failed');
    } finally {
      this.logging = null;
    }
  }

  private async appendDurably(ts: PendingTxn[]): Promise<void> {
    const entries = ts.filter((t) => !t.logged).map((t) => ({ zxid: t.zxid, payload: t.payload }));
    if (entries.length === 0) return;
    for (const t of ts) t.logged = true;
    const started = this.ctx.clock.now();
    await this.ctx.storage.txnLog.append(entries);
    let bytes = 0;
    for (const e of entries) bytes += e.payload.length;
    this.ctx.server.recordLogged(entries.length, bytes, this.ctx.clock.now() - started);
  }

  /**
   * Learner.validateSession: REVALIDATE(sessionId, timeout), answered with (sessionId, valid); null
   * when the role ends first (no answer: the client is disconnected, not told it expired).
   */
  private revalidate(sessionId: bigint, timeoutMs: number): Promise<boolean | null> {
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      // A second reconnect of the same session supersedes the first.
      this.revalidating.get(sessionId)?.(null);
      this.revalidating.set(sessionId, resolve);
      const data = Buffer.alloc(12);
      data.writeBigInt64BE(sessionId, 0);
      data.writeInt32BE(timeoutMs, 8);
      this.send(packet(PacketType.REVALIDATE, -1, data));
    });
  }

  /** PING's answer: every session with a connection here, so the leader keeps them alive. */
  private touches(): Buffer {
    const server = this.ctx.server;
    const out: Array<[bigint, number]> = [];
    for (const id of server.localSessions()) {
      const s = server.sessions.get(id);
      if (s) out.push([id, s.timeoutMs]);
    }
    return encodeTouches(out);
  }
}
