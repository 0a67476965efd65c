// A quorum member (ZooKeeper's QuorumPeer): restores its database, listens for clients (served only
// while it has a role), and loops: elect (Fast Leader Election on the election port), then lead or
// follow until that ends, then elect again.

import { quorumConfigString } from '../../jute/quorum.js';
import { ElectionHost } from '../../host/election-host.js';
import { ElectionTransport } from '../../transport/election.js';
import { PeerState } from '../../zab/election.js';
import type { ServerConfig } from '../../config/types.js';
import type { StorageBackend } from '../../storage/spi.js';
import { createLogger, hex, type Logger } from '../../log/logger.js';
import { ZkServer, type ServerEnv } from '../server.js';
import { sleep, systemClock } from '../../host/clock.js';
import { tcpNet } from '../../transport/net-env.js';
import { RoleEnded, type QuorumContext } from './context.js';
import { FollowerRole } from './follower.js';
import { LeaderRole } from './leader.js';
import { proposalOf } from './packets.js';
import { CommittedLog } from './committed-log.js';

/** BinaryInputArchive's bound: jute.maxbuffer plus zookeeper.jute.maxbuffer.extrasize (same default). */
const maxPacketBytes = (config: ServerConfig): number => 2 * config.maxBufferBytes;

const myidOf = (config: ServerConfig): number => config.myid ?? -1;

/** QuorumPeer's pause before a new election after a role ended, so a crashed leader's peers do not spin. */
const REELECT_PAUSE_MS = 100;

export class QuorumPeer {
  readonly server: ZkServer;
  readonly log: Logger;
  private readonly electionTransport: ElectionTransport;
  private readonly election: ElectionHost;
  private readonly ctx: QuorumContext;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private currentRole: LeaderRole | FollowerRole | null = null;
  /** The leader of the current role, null while electing. */
  private leaderId: number | null = null;
  private roleDone: Promise<void> | null = null;

  constructor(readonly config: ServerConfig, readonly storage: StorageBackend, log?: Logger, env: ServerEnv = {}) {
    const myid = config.myid;
    if (myid === null) throw new Error('a quorum member needs its myid');
    const me = config.servers.get(myid);
    if (!me) throw new Error(`my id ${myid} is not in the server list`);
    this.log = log ?? createLogger(`zk-server myid:${myid}`);
    const clock = env.clock ?? systemClock;
    const net = env.net ?? tcpNet;
    this.server = new ZkServer(config, storage, this.log, myid, { ...env, clock, net });
    const voters = new Set([...config.servers].filter(([, s]) => s.role === 'participant').map(([sid]) => sid));
    const configString = quorumConfigString([...config.servers].map(([sid, s]) => ({
      sid, host: s.host, quorumPort: s.quorumPort, electionPort: s.electionPort, role: s.role,
      ...(s.clientPort !== undefined ? { client: { host: s.clientHost ?? '0.0.0.0', port: s.clientPort } } : {}),
    })), 0);
    const participant = me.role === 'participant';
    const epochs = { accepted: 0, current: 0 };
    this.ctx = {
      config, myid, server: this.server, storage, log: this.log, clock, net, voters, participant, configString,
      maxPacketBytes: maxPacketBytes(config), epochs, committedLog: new CommittedLog(config.commitLogCount),
      setAcceptedEpoch: async (e) => { await storage.epochs.writeAcceptedEpoch(e); epochs.accepted = e; },
      setCurrentEpoch: async (e) => { await storage.epochs.writeCurrentEpoch(e); epochs.current = e; },
      onSynced: (e) => this.election.updateElectionVote(e),
    };
    this.server.quorum = {
      quorumSize: voters.size,
      peerState: () => this.peerState(),
      info: () => ({
        myid, voting: participant, isLeader: this.currentRole instanceof LeaderRole, leaderId: this.leaderId,
        zabState: this.currentRole === null ? 'election' : this.server.isServing ? 'broadcast' : 'synchronization',
        lastZxid: this.server.tree.lastProcessedZxid, servers: config.servers,
      }),
    };
    this.election = new ElectionHost({ selfId: myid, voters, participant, config: configString }, this.log.child('election'), clock);
    const peers = new Map([...config.servers].filter(([sid]) => sid !== myid).map(([sid, s]) => [sid, { host: s.host, port: s.electionPort }]));
    this.electionTransport = new ElectionTransport({
      selfId: myid,
      bindHost: config.quorumListenOnAllIPs ? '0.0.0.0' : me.host,
      port: me.electionPort,
      advertisedAddress: me.host.includes(':') ? `[${me.host}]:${me.electionPort}` : `${me.host}:${me.electionPort}`,
      peers,
      connectTimeoutMs: config.cnxTimeoutMs,
      handshakeTimeoutMs: config.quorumCnxnTimeoutMs > 0 ? config.quorumCnxnTimeoutMs : config.tickTime * config.syncLimit,
      onMessage: (sid, payload) => this.election.onMessage(sid, payload),
      log: (level, msg) => this.log[level === 'debug' ? 'debug' : level](`election: ${msg}`),
      net,
      clock,
    });
  }

  /** The persisted epochs as this peer holds them now. */
  get epochs(): { readonly accepted: number; readonly current: number } {
    return { ...this.ctx.epochs };
  }

  /** QuorumPeer.getDetailedPeerState: the state, then the Zab phase unless electing. */
  private peerState(): string {
    const role = this.currentRole;
    if (role === null) return 'looking';
    const state = role instanceof LeaderRole ? 'leading' : this.ctx.participant ? 'following' : 'observing';
    return `${state} - ${this.server.isServing ? 'broadcast' : 'synchronization'}`;
  }

  /** Restores, listens for clients and peers, and starts electing. Resolves once listening. */
  async start(): Promise<void> {
    await this.server.open();
    await this.loadEpochs();
    await this.ctx.committedLog.load(this.storage.txnLog, this.server.tree.lastProcessedZxid);
    await this.electionTransport.start();
    this.election.start(this.electionTransport);
    // A failure outside a role (the txn log unreadable while fast-forwarding, say) leaves the peer
    // unable to vote for what it holds: stop, as a standalone server stops when its log fails.
    this.loop = this.run().catch((err: unknown) => {
      this.log.error(`quorum peer failed, shutting down: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      void this.stop();
    });
  }

  /** QuorumPeer.loadDataBase's epoch rules: missing files come from the last zxid's epoch. */
  private async loadEpochs(): Promise<void> {
    const lastEpoch = Math.floor(this.server.tree.lastProcessedZxid / 2 ** 32);
    let current = await this.storage.epochs.readCurrentEpoch();
    if (current === null) {
      current = lastEpoch;
      await this.storage.epochs.writeCurrentEpoch(current);
    }
    let accepted = await this.storage.epochs.readAcceptedEpoch();
    if (accepted === null) {
      accepted = current;
      await this.storage.epochs.writeAcceptedEpoch(accepted);
    }
    if (lastEpoch > current) {
      // A learner logs the txns a sync brought before it records their epoch as current (both
      // before it acknowledges NEWLEADER). A crash between the two, or a torn tail of that write,
      // leaves txns of an epoch it had accepted: it adopts the epoch, as ZooKeeper adopts the
      // currentEpoch.tmp a crash left behind. Txns of an epoch it never accepted are refused.
      if (lastEpoch > accepted) {
        throw new Error(`the current epoch ${current} is older than the last zxid ${hex(this.server.tree.lastProcessedZxid)}`);
      }
      this.log.warn(`the last zxid ${hex(this.server.tree.lastProcessedZxid)} is of epoch ${lastEpoch}, after the current epoch ${current}: ` +
        `a sync logged it before the epoch was recorded; the current epoch is now ${lastEpoch}`);
      current = lastEpoch;
      await this.storage.epochs.writeCurrentEpoch(current);
    }
    if (accepted < current) throw new Error(`the accepted epoch ${accepted} is less than the current epoch ${current}`);
    this.ctx.epochs.accepted = accepted;
    this.ctx.epochs.current = current;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.server.metrics.lookingCount.inc();
      const electionStarted = this.ctx.clock.now();
      const decision = await this.election.lookForLeader({
        lastLoggedZxid: this.server.tree.lastProcessedZxid,
        currentEpoch: this.ctx.epochs.current,
      });
      if (this.stopped) break;
      this.server.metrics.electionTime.observe(this.ctx.clock.now() - electionStarted);
      const role = decision.state === PeerState.LEADING ? new LeaderRole(this.ctx) : new FollowerRole(this.ctx, decision.vote.leader);
      this.currentRole = role;
      this.leaderId = decision.state === PeerState.LEADING ? myidOf(this.config) : decision.vote.leader;
      const done = role.run().catch((err: unknown) => {
        if (this.stopped) return;
        const why = err instanceof RoleEnded ? err.message : err instanceof Error ? err.stack ?? err.message : String(err);
        this.log.warn(`${decision.state === PeerState.LEADING ? 'leading' : 'following'} ended: ${why}`);
      }).then(() => this.server.leaveRole());
      this.roleDone = done;
      await done;
      this.currentRole = null;
      this.leaderId = null;
      this.roleDone = null;
      if (!this.stopped) await this.fastForward();
      if (!this.stopped) await sleep(this.ctx.clock, REELECT_PAUSE_MS);
    }
  }

  /**
   * ZKDatabase.fastForwardDataBase, as ZooKeeperServer.shutdown runs it when a role ends: applies
   * what the txn log holds beyond the tree (proposals logged and acknowledged, never committed
   * here), so the next election proposes the last *logged* zxid. A quorum may have logged a write
   * whose COMMIT never arrived; the peer that holds it must be able to win with it.
   */
  private async fastForward(): Promise<void> {
    const tree = this.server.tree;
    await this.storage.txnLog.lastZxid(); // every append issued by the role has settled
    let applied = 0;
    for await (const run of this.storage.txnLog.readRuns(tree.lastProcessedZxid + 1)) {
      for (const e of run) {
        if (e.zxid <= tree.lastProcessedZxid) continue;
        this.server.pipeline.applyCommitted(proposalOf(e.zxid, e.payload));
        this.ctx.committedLog.add(e.zxid, e.payload);
        applied++;
      }
    }
    if (applied > 0) this.log.info(`fast-forwarded ${applied} logged txns to ${hex(tree.lastProcessedZxid)}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.currentRole?.stop('shutting down');
    await this.roleDone;
    this.election.stop();
    await this.electionTransport.stop();
    await this.server.stop();
  }
}
