// The scenarios `npm run bench` measures (issue 5), with the goals zk-server is held to against Apache
// ZooKeeper, and the snapshot scenarios that are not plain load runs.

import type { Workload } from './lib/load-protocol.js';

export interface Scenario {
  id: string;
  title: string;
  workload: Workload;
  /** Client processes; default from the session count (see defaultClientProcs). */
  clientProcs?: number;
  /** Minimum throughput ratio (target / Apache ZooKeeper) per target id, where the issue sets one. */
  throughputGoal?: Record<string, number>;
  /** Only in the full run (not --quick). */
  fullOnly?: boolean;
  /**
   * This scenario repeats another with one more client process: if throughput rises noticeably,
   * the client, not the server, was the bottleneck of that other scenario.
   */
  clientCheckOf?: string;
  /**
   * Floors (bench/floor-server.ts) measured beside the servers: what a bare server writing as
   * zk-server's filelog or level does reaches at this load, where a goal asks for a multiple.
   */
  floors?: readonly FloorStorage[];
}

/** How a floor target writes its groups: as zk-server's filelog or level storage does. */
export type FloorStorage = 'filelog' | 'level';

/** Goals that hold in every scenario: server CPU per write at most this share of Apache's; p99 no higher. */
export const CPU_PER_WRITE_RATIO_MAX = 0.5;
export const P99_RATIO_MAX = 1;

const setData = (payloadBytes: number, sessions: number, window: number): Workload =>
  ({ sessions, window, write: 'setData', readFraction: 0, payloadBytes });

export const SCENARIOS: Scenario[] = [
  {
    id: 'setData-100B-1x1', title: 'setData 100 B, 1 session × 1 outstanding',
    workload: setData(100, 1, 1), throughputGoal: { 'zk-server': 2 }, floors: ['filelog'],
  },
  {
    id: 'setData-100B-16x1', title: 'setData 100 B, 16 sessions × 1 outstanding',
    workload: setData(100, 16, 1), throughputGoal: { 'zk-server': 2, 'zk-server-level': 1.5 }, floors: ['filelog', 'level'],
  },
  {
    id: 'setData-100B-64x32', title: 'setData 100 B, 64 sessions × 32 outstanding',
    workload: setData(100, 64, 32), throughputGoal: { 'zk-server': 1.3 },
  },
  {
    id: 'create-100B-64x32', title: 'create (persistent sequential) 100 B, 64 sessions × 32 outstanding',
    workload: { sessions: 64, window: 32, write: 'create', readFraction: 0, payloadBytes: 100 },
  },
  {
    id: 'setData-1KiB-64x32', title: 'setData 1 KiB, 64 sessions × 32 outstanding',
    workload: setData(1024, 64, 32),
  },
  {
    id: 'mixed-90read-100B-16x16', title: '90% getData / 10% setData, 100 B, 16 sessions × 16 outstanding',
    workload: { sessions: 16, window: 16, write: 'setData', readFraction: 0.9, payloadBytes: 100 },
  },
  {
    id: 'setData-100B-64x32-extra-client', title: 'setData 100 B, 64 × 32, one more client process (client check)',
    workload: setData(100, 64, 32), clientProcs: 3, fullOnly: true, clientCheckOf: 'setData-100B-64x32',
  },
];

/**
 * The scenarios that are not a plain load run (bench/snapshots.ts): one run per server builds a
 * large tree, measures write latency while snapshots of it are taken, then times a restart on it.
 * Both ids select that one run in --only.
 */
export interface SpecialScenario {
  id: string;
  title: string;
}

export const SPECIAL_SCENARIOS: SpecialScenario[] = [
  { id: 'snapshot-stall', title: 'setData latency while snapshots of a large tree are taken' },
  { id: 'restore-time', title: 'restore time of that tree' },
];
