// Container and TTL nodes on zk-server: reaped by the server (through deleteContainer txns, so watches
// fire) once a container that had a child is empty, or once a childless TTL node outlived its TTL since
// its last change. The check interval is short (znode.container.checkIntervalMs) so tests are quick.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFlag, EventType } from '../../src/protocol/constants.js';
import { RawClient } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';

const CHECK_INTERVAL_MS = 50;
const TTL_MS = 300;

describe('container and TTL nodes on zk-server', () => {
  let zk: ZkServerHandle;
  let c: RawClient;
  before(async () => {
    zk = await startZkServer({
      storage: 'memory',
      extraConfig: { 'znode.container.checkIntervalMs': String(CHECK_INTERVAL_MS), 'zookeeper.extendedTypesEnabled': 'true' },
    });
    c = await RawClient.connect(zk.port);
  });
  after(async () => {
    await c?.close();
    await zk?.stop();
  });

  const deleted = (path: string, timeoutMs = 5000) =>
    c.waitForNotification((e) => e.type === EventType.NodeDeleted && e.path === path, timeoutMs);

  it('reaps a container once its last child is gone, firing NodeDeleted and the parent\'s NodeChildrenChanged', async () => {
    await c.create('/cont');
    await c.createContainer('/cont/used');
    await c.createContainer('/cont/never-used');
    await c.createContainer('/cont/busy');
    await c.create('/cont/used/child');
    await c.create('/cont/busy/child');
    await c.exists('/cont/used', true);
    await c.getChildren('/cont', true);
    await c.delete('/cont/used/child');
    await deleted('/cont/used');
    await c.waitForNotification((e) => e.type === EventType.NodeChildrenChanged && e.path === '/cont');
    // Reaping ran after the other two were made: an empty container that never had a child stays
    // (containerMaxNeverUsedIntervalMs is 0), and so does one that still has a child.
    assert.deepEqual((await c.getChildren('/cont')).sort(), ['busy', 'never-used']);
  });

  it('reaps a container whose children were all ephemerals of a closed session', async () => {
    await c.createContainer('/lockdir');
    const holder = await RawClient.connect(zk.port);
    await holder.create('/lockdir/lock-', null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL });
    await c.exists('/lockdir', true);
    await holder.close();
    await deleted('/lockdir');
    assert.equal(await c.exists('/lockdir'), null);
  });

  it('reaps a childless TTL node once its TTL has passed since its last change', async () => {
    const made = await c.createTTL('/ttl-short', Buffer.from('t'), TTL_MS);
    assert.equal(made.path, '/ttl-short');
    await c.exists('/ttl-short', true);
    const createdAt = Date.now();
    await deleted('/ttl-short');
    const livedMs = Date.now() - createdAt;
    assert.ok(livedMs >= TTL_MS - CHECK_INTERVAL_MS, `reaped after ${livedMs} ms, before its TTL of ${TTL_MS} ms`);
  });

  it('counts a TTL node\'s age from its last setData and spares it while it has children', async () => {
    await c.createTTL('/ttl-kept', null, TTL_MS);
    await c.createTTL('/ttl-parent', null, TTL_MS);
    await c.create('/ttl-parent/kid');
    const seq = await c.createTTL('/ttl-seq-', null, TTL_MS, { flags: CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL });
    assert.match(seq.path, /^\/ttl-seq-\d{10}$/);
    await c.exists(seq.path, true);
    await c.exists('/ttl-kept', true);
    // Touch /ttl-kept at half its TTL: the sequential one, made at the same time, goes first.
    await new Promise((r) => setTimeout(r, TTL_MS / 2));
    await c.setData('/ttl-kept', Buffer.from('touched'));
    await c.exists('/ttl-kept', true); // the setData consumed the first watch
    await deleted(seq.path);
    assert.notEqual(await c.exists('/ttl-kept'), null, 'the touched node outlives the untouched one');
    await deleted('/ttl-kept');
    assert.notEqual(await c.exists('/ttl-parent'), null, 'a TTL node with a child is kept');
    await c.exists('/ttl-parent', true);
    await c.delete('/ttl-parent/kid');
    await deleted('/ttl-parent');
  });

  it('reaps through a txn of its own: the parent\'s pzxid moves past the client\'s last write', async () => {
    await c.createContainer('/zx');
    await c.create('/zx/k');
    await c.exists('/zx', true);
    await c.delete('/zx/k');
    const lastClientWrite = c.lastZxid;
    await deleted('/zx');
    const root = await c.exists('/');
    assert.ok(root!.pzxid > lastClientWrite, `root pzxid ${root!.pzxid} should be the reaping txn's, after ${lastClientWrite}`);
  });
});
