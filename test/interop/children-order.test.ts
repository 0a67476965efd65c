// getChildren lists a node's children in the order Apache ZooKeeper 3.8 does: its DataNode keeps them
// in a java.util.HashSet<String> made with capacity 8, whose table only grows. The same script of
// creates and deletes runs against both servers, and the lists (not sorted) must be equal.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFlag } from '../../src/protocol/constants.js';
import { RawClient } from '../helpers/raw-client.js';
import type { ZkServerHandle } from '../helpers/zk-server.js';
import { javaMissingReason, startApacheZk } from './apache-zk.js';

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `interop stage skipped: ${javaMissing}`;

interface Listing { [path: string]: string[] }

/** Creates, deletes and re-creates children so that tables grow (7, 13, 25, 49 children) and buckets fill. */
async function script(c: RawClient): Promise<Listing> {
  await c.create('/order');
  for (let i = 0; i < 40; i++) await c.create(`/order/n${i}`);
  for (const i of [3, 7, 11, 19, 23]) await c.delete(`/order/n${i}`);
  // Re-created: a re-added name goes to the end of its bucket.
  for (const i of [7, 3]) await c.create(`/order/n${i}`);
  for (const name of ['alpha', 'beta', 'gamma', 'lock', 'x', 'zookeeper2', 'ä-ü', 'n-0000000001']) await c.create(`/order/${name}`);
  await c.create('/small');
  for (const name of ['c', 'b', 'a', 'bb', 'aa']) await c.create(`/small/${name}`);
  // Sequential children, the lock and election recipes' kind.
  await c.create('/seq');
  for (let i = 0; i < 30; i++) await c.create('/seq/lock-', null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL });
  // Shrinking never shrinks the table: 30 children once, 3 left.
  await c.create('/shrunk');
  for (let i = 0; i < 30; i++) await c.create(`/shrunk/k${i}`);
  for (let i = 0; i < 27; i++) await c.delete(`/shrunk/k${i}`);
  const listing: Listing = {};
  for (const p of ['/', '/order', '/small', '/seq', '/shrunk']) listing[p] = await c.getChildren(p);
  listing['getChildren2 /order'] = (await c.getChildren2('/order')).children;
  const [read] = await c.multiRead([{ type: 8, req: { path: '/small', watch: false } }]);
  listing['multiRead /small'] = (read as { children: string[] }).children;
  return listing;
}

describe('getChildren order against Apache ZooKeeper 3.8', { skip }, () => {
  const started: ZkServerHandle[] = [];
  let apache: ZkServerHandle;
  let ours: ZkServerHandle;
  before(async () => {
    const { startZkServer } = await import('../helpers/zk-server.js');
    [apache, ours] = await Promise.all([startApacheZk(), startZkServer({ storage: 'memory' })]);
    started.push(apache, ours);
  });
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('lists children in the same order as Apache ZooKeeper, which is neither sorted nor insertion order', async () => {
    const run = async (server: ZkServerHandle): Promise<Listing> => {
      const c = await RawClient.connect(server.port);
      try {
        return await script(c);
      } finally {
        await c.close();
      }
    };
    const expected = await run(apache);
    const actual = await run(ours);
    // The test can fail: Apache's order is not something a simpler rule would give.
    assert.notDeepEqual(expected['/order'], [...expected['/order']].sort(), 'sorted');
    assert.notDeepEqual(expected['/order'].slice(0, 3), ['n0', 'n1', 'n2'], 'insertion order');
    assert.deepEqual(actual, expected);
  });
});
