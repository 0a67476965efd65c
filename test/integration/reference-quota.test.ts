// zookeeper.enforceQuota compared with Apache ZooKeeper 3.8 (same RawClient script, normalized
// transcripts): quotas set up as zkCli's setquota does, then creates and setData under them, past
// hard and soft limits, alone and in a multi. Then what zk-server counts and logs.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MultiOp } from '../../src/jute/records.js';
import { ErrorCode } from '../../src/protocol/constants.js';
import { OPEN_ACL_UNSAFE, RawZkError, type RawClient } from '../helpers/raw-client.js';
import { fourLetter } from '../helpers/zk-server.js';
import { sameOnBoth, startPair, type Recorder, type ServerPair } from './support/compare.js';

const data = (s: string): Buffer => Buffer.from(s);
/**
 * Lets the clock move on: the transcripts compare whether a node's mtime left its ctime, and a
 * setData in the same millisecond as the create would keep them equal on one server and not the other.
 */
const nextMs = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2));

/** SetQuotaCommand.createQuota: the quota path's nodes, its limits, then its stats (the server fills them in). */
async function setQuota(c: RawClient, path: string, limits: string): Promise<void> {
  let at = '/zookeeper/quota';
  for (const part of path.split('/').slice(1)) {
    at += `/${part}`;
    await c.create(at).catch((err: unknown) => {
      if (!(err instanceof RawZkError && err.code === ErrorCode.NODEEXISTS)) throw err;
    });
  }
  await c.create(`${at}/zookeeper_limits`, data(limits));
  await c.create(`${at}/zookeeper_stats`, data('count=0,bytes=0'));
}

/** The scenario both servers run: every answer and the quota's stats after each step are recorded. */
async function quotaScenario(rec: Recorder): Promise<void> {
  const c = await rec.connect();
  const stats = async (label: string, path: string): Promise<void> => {
    const got = await c.getData(`/zookeeper/quota${path}/zookeeper_stats`);
    rec.record(label, got.data?.toString());
  };
  // Hard limits: 3 nodes (the quota's own node counts) and 10 bytes of data.
  await c.create('/app', data('ab'));
  await setQuota(c, '/app', 'count=-1,bytes=-1=;byteHardLimit=10;countHardLimit=3');
  await stats('app stats at first', '/app');
  await rec.attempt('create /app/a, 3 bytes', () => c.create('/app/a', data('abc')));
  await rec.attempt('create /app/b, no data', () => c.create('/app/b'));
  await nextMs();
  await stats('app stats at the count limit', '/app');
  await rec.attempt('create /app/c past the count limit', () => c.create('/app/c'));
  await rec.attempt('sequential create past it', () => c.create('/app/s-', null, { flags: 2 }));
  await rec.attempt('setData /app/a to 8 bytes (10 in all)', () => c.setData('/app/a', data('12345678')));
  await rec.attempt('setData /app/b to 1 byte past the byte limit', () => c.setData('/app/b', data('x')));
  await rec.attempt('setData /app/a smaller', () => c.setData('/app/a', data('1')));
  await rec.attempt('setData /app/b now fits', () => c.setData('/app/b', data('x')));
  await stats('app stats after the writes', '/app');
  const multi: MultiOp[] = [
    { type: 5, req: { path: '/app/a', data: data('2'), version: -1 } },
    { type: 1, req: { path: '/app/m', data: null, acl: OPEN_ACL_UNSAFE, flags: 0, ttl: -1 } },
  ];
  await rec.attempt('multi: a setData, then a create past the count limit', () => c.multi(multi));
  await rec.attempt('delete /app/b frees a node', () => c.delete('/app/b'));
  await rec.attempt('create /app/c fits now', () => c.create('/app/c'));
  // The deepest quota is the one checked: /app/c gets its own, roomier, limit.
  await setQuota(c, '/app/c', 'count=-1,bytes=-1=;countHardLimit=5');
  await rec.attempt('create under the deeper quota', () => c.create('/app/c/x'));
  await stats('deeper stats', '/app/c');
  // Soft limits are only reported: the writes go through.
  await c.create('/soft');
  await setQuota(c, '/soft', 'count=1,bytes=4');
  await rec.attempt('create past a soft count limit', () => c.create('/soft/x', data('12345')));
  await nextMs();
  await rec.attempt('setData past a soft byte limit', () => c.setData('/soft/x', data('123456')));
  await stats('soft stats', '/soft');
  // No quota at all: nothing is checked.
  await rec.attempt('create outside any quota', () => c.create('/free', data('x'.repeat(100))));
}

describe('zk-server enforces quotas as Apache ZooKeeper 3.8 does (zookeeper.enforceQuota=true)', () => {
  let pair: ServerPair;
  before(async () => {
    pair = await startPair({}, { 'zookeeper.enforceQuota': 'true' });
  });
  after(async () => {
    await pair?.stop();
  });

  it('refuses creates and setData past a hard limit with QUOTAEXCEEDED, and lets soft limits pass', async (t) => {
    const steps = await sameOnBoth(t, pair, quotaScenario);
    // What the comparison rests on, checked on zk-server's own answers too.
    const answer = (label: string): unknown => steps.find(([l]) => l === label)?.[1];
    assert.deepEqual(answer('create /app/c past the count limit'), { err: 'QUOTAEXCEEDED' });
    assert.deepEqual(answer('setData /app/b to 1 byte past the byte limit'), { err: 'QUOTAEXCEEDED' });
    assert.notDeepEqual(answer('setData /app/b now fits'), { err: 'QUOTAEXCEEDED' });
    assert.notDeepEqual(answer('create past a soft count limit'), { err: 'QUOTAEXCEEDED' });
  });

  it('counts refusals per namespace in quota_exceeded_error_per_namespace and logs each limit passed', async () => {
    const mntr = await fourLetter(pair.ours.port, 'mntr');
    // The scenario above was refused four times under /app (count twice, bytes once, the multi once).
    assert.match(mntr, /^zk_app_quota_exceeded_error_per_namespace\t4$/m);
    assert.doesNotMatch(mntr, /soft_quota_exceeded_error_per_namespace/);
    const log = pair.ours.stdout() + pair.ours.stderr();
    assert.match(log, /Quota exceeded: \/app \[current count=4, hardCountLimit=3\]/);
    assert.match(log, /Quota exceeded: \/app \[current bytes=11, hardByteLimit=10\]/);
    assert.match(log, /Quota exceeded: \/soft \[current count=2, softCountLimit=1\]/);
  });
});

describe('without zookeeper.enforceQuota, quotas are only kept, as in Apache ZooKeeper', () => {
  let pair: ServerPair;
  before(async () => {
    pair = await startPair();
  });
  after(async () => {
    await pair?.stop();
  });

  it('lets every write past a hard limit through', async (t) => {
    const steps = await sameOnBoth(t, pair, quotaScenario);
    assert.ok(!JSON.stringify(steps).includes('QUOTAEXCEEDED'));
  });
});
