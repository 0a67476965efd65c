// Deletes empty container nodes (once they have had a child) and expired TTL nodes, at most
// containerMaxPerMinute a minute, as ZooKeeper's ContainerManager does: candidates are found on a
// timer and removed with deleteContainer txns, so deletion goes through the log like any write.

import type { ServerConfig } from '../config/types.js';
import type { DataTree } from '../tree/data-tree.js';
import { ephemeralTypeOf, ttlOf } from '../tree/ephemeral-type.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock, type TimerHandle } from '../host/clock.js';

export class ContainerReaper {
  private timer: TimerHandle | null = null;
  private draining: TimerHandle | null = null;

  constructor(
    private readonly tree: DataTree,
    private readonly config: Pick<ServerConfig, 'containerCheckIntervalMs' | 'containerMaxPerMinute' | 'containerMaxNeverUsedIntervalMs' | 'extendedTypesEnabled'>,
    private readonly deleteContainer: (path: string) => void,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (this.config.containerCheckIntervalMs <= 0) return;
    this.timer = this.clock.setInterval(() => this.check(), this.config.containerCheckIntervalMs);
  }

  stop(): void {
    this.clock.clear(this.timer);
    this.clock.clear(this.draining);
    this.timer = null;
    this.draining = null;
  }

  /** Paths to delete now (ZooKeeper's ContainerManager.getCandidates). */
  candidates(nowMs: number): string[] {
    const out: string[] = [];
    const neverUsed = this.config.containerMaxNeverUsedIntervalMs;
    for (const path of this.tree.containers) {
      const node = this.tree.getNode(path);
      if (!node || node.numChildren > 0) continue;
      if (node.cversion > 0) out.push(path);
      else if (neverUsed !== 0 && nowMs - node.mtime > neverUsed) out.push(path);
    }
    for (const path of this.tree.ttls) {
      const node = this.tree.getNode(path);
      if (!node || node.numChildren > 0) continue;
      if (ephemeralTypeOf(node.ephemeralOwner, this.config.extendedTypesEnabled) !== 'ttl') continue;
      const ttl = ttlOf(node.ephemeralOwner);
      if (ttl !== 0 && nowMs - node.mtime > ttl) out.push(path);
    }
    return out;
  }

  private check(): void {
    if (this.draining) return;
    const queue = this.candidates(this.clock.now());
    if (queue.length === 0) return;
    const minIntervalMs = Math.floor(60_000 / Math.max(1, this.config.containerMaxPerMinute));
    const next = (): void => {
      this.draining = null;
      const path = queue.shift();
      if (path === undefined) return;
      this.log.debug(`deleting container/ttl node ${path}`);
      this.deleteContainer(path);
      if (queue.length > 0) this.draining = this.clock.setTimeout(next, minIntervalMs);
    };
    next();
  }
}
