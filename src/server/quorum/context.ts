// What every quorum role of one peer shares: its config, server, storage and epochs.

import type { ServerConfig } from '../../config/types.js';
import type { StorageBackend } from '../../storage/spi.js';
import type { Logger } from '../../log/logger.js';
import type { ZkServer } from '../server.js';
import type { CommittedLog } from './committed-log.js';
import type { Clock } from '../../host/clock.js';
import type { NetEnv } from '../../transport/net-env.js';

export interface QuorumContext {
  readonly config: ServerConfig;
  readonly myid: number;
  readonly server: ZkServer;
  readonly storage: StorageBackend;
  readonly log: Logger;
  /** Time and sockets (the system's, or the simulator's). */
  readonly clock: Clock;
  readonly net: NetEnv;
  /** Participants of the committed config. */
  readonly voters: ReadonlySet<number>;
  readonly participant: boolean;
  /** QuorumMaj.toString of the config (NEWLEADER carries it). */
  readonly configString: string;
  /** jute.maxbuffer plus its extra size: the bound of a quorum packet's data. */
  readonly maxPacketBytes: number;
  /** The persisted epochs, kept in step with storage.epochs by setAcceptedEpoch / setCurrentEpoch. */
  readonly epochs: { accepted: number; current: number };
  /** ZKDatabase.committedLog: the last commitLogCount committed txns, kept across roles. */
  readonly committedLog: CommittedLog;
  setAcceptedEpoch(epoch: number): Promise<void>;
  setCurrentEpoch(epoch: number): Promise<void>;
  /** Synced in a new epoch (leader: established; learner: UPTODATE): election answers carry it now. */
  onSynced?(newEpoch: number): void;
}

/** A role's end: why the peer goes LOOKING again. */
export class RoleEnded extends Error {}
