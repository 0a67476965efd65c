// Watches on zk-server alone: through node-zookeeper-client's watcher callbacks, and through RawClient
// for what ZooKeeper 3.9 added over 3.8 (several watch modes on one path, WatcherType Persistent and
// PersistentRecursive in checkWatches/removeWatches, notifications carrying the write's zxid).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AddWatchMode, ErrorCode, EventType, OpCode, WatcherType } from '../../src/protocol/constants.js';
import { RawClient, RawZkError, type RawFrame } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { NzkClient, type NzkEvent } from './support/nzk.js';

const data = (s: string): Buffer => Buffer.from(s);

/** A one-shot watcher for node-zookeeper-client that resolves with the event it receives. */
function nextEvent(): { watcher: (e: NzkEvent) => void; event: Promise<NzkEvent> } {
  let resolve!: (e: NzkEvent) => void;
  const event = new Promise<NzkEvent>((r) => { resolve = r; });
  return { watcher: (e) => resolve(e), event };
}

const describeFrame = (f: RawFrame): string => (f.kind === 'notification' ? `event ${f.event.type} ${f.event.path}` : `reply ${f.header.xid}`);

async function checkWatches(c: RawClient, path: string, type: number): Promise<number> {
  return (await c.request(OpCode.checkWatches, (w) => w.writeUString(path).writeInt(type))).header.err;
}

describe('watches on zk-server', () => {
  let zk: ZkServerHandle;
  before(async () => {
    zk = await startZkServer({ storage: 'memory' });
  });
  after(async () => {
    await zk?.stop();
  });

  it('node-zookeeper-client watchers get NodeCreated, NodeDataChanged, NodeChildrenChanged and NodeDeleted', async () => {
    const watcher = await NzkClient.connect(zk.port);
    const writer = await NzkClient.connect(zk.port);
    try {
      const created = nextEvent();
      assert.equal(await watcher.exists('/nw', created.watcher), null);
      await writer.create('/nw', data('0'));
      assert.deepEqual({ ...(await created.event) }, { type: EventType.NodeCreated, name: 'NODE_CREATED', path: '/nw' });

      const changed = nextEvent();
      const children = nextEvent();
      assert.equal((await watcher.getData('/nw', changed.watcher)).data?.toString(), '0');
      assert.deepEqual((await watcher.getChildren('/nw', children.watcher)).children, []);
      await writer.setData('/nw', data('1'));
      assert.equal((await changed.event).name, 'NODE_DATA_CHANGED');
      await writer.create('/nw/kid');
      assert.deepEqual({ ...(await children.event) }, { type: EventType.NodeChildrenChanged, name: 'NODE_CHILDREN_CHANGED', path: '/nw' });

      const deleted = nextEvent();
      await watcher.exists('/nw/kid', deleted.watcher);
      await writer.remove('/nw/kid');
      assert.deepEqual({ ...(await deleted.event) }, { type: EventType.NodeDeleted, name: 'NODE_DELETED', path: '/nw/kid' });
    } finally {
      watcher.close();
      writer.close();
    }
  });

  it('sends the notification before the reply of the write that caused it, with that write\'s zxid', async () => {
    const c = await RawClient.connect(zk.port);
    try {
      await c.create('/order', data('0'));
      await c.getData('/order', true);
      await c.getChildren('/order', true);
      const from = c.frames.length;
      // Both writes in flight at once: each event must still precede its own write's reply.
      await Promise.all([c.setData('/order', data('1')), c.create('/order/kid')]);
      const frames = c.frames.slice(from);
      assert.deepEqual(frames.map(describeFrame), [
        `event ${EventType.NodeDataChanged} /order`, `reply ${frames[1].header.xid}`,
        `event ${EventType.NodeChildrenChanged} /order`, `reply ${frames[3].header.xid}`,
      ]);
      // ZooKeeper 3.9 puts the change's zxid in the notification header (3.8 sent -1).
      assert.equal(frames[0].header.zxid, frames[1].header.zxid);
      assert.equal(frames[2].header.zxid, frames[3].header.zxid);
      assert.ok(frames[2].header.zxid > frames[0].header.zxid);
      assert.deepEqual(c.protocolErrors, []);
    } finally {
      await c.close();
    }
  });

  it('keeps a standard and a recursive watch on one path apart (3.9): the standard fires once, the recursive stays', async () => {
    const watcher = await RawClient.connect(zk.port);
    const writer = await RawClient.connect(zk.port);
    try {
      await writer.create('/both');
      await watcher.addWatch('/both', AddWatchMode.PERSISTENT_RECURSIVE);
      await watcher.getData('/both', true);
      await watcher.getChildren('/both', true);
      const from = watcher.frames.length;
      await writer.setData('/both', data('1'));
      await writer.create('/both/c');
      await writer.setData('/both', data('2'));
      await writer.delete('/both/c');
      await writer.delete('/both');
      await watcher.exists('/');
      const events = watcher.frames.slice(from).filter((f) => f.kind === 'notification').map(describeFrame);
      assert.deepEqual(events, [
        `event ${EventType.NodeDataChanged} /both`, // standard and recursive together: one event
        `event ${EventType.NodeCreated} /both/c`, // recursive
        `event ${EventType.NodeChildrenChanged} /both`, // the standard child watch, consumed
        `event ${EventType.NodeDataChanged} /both`, // recursive only now
        `event ${EventType.NodeDeleted} /both/c`,
        `event ${EventType.NodeDeleted} /both`,
      ]);
    } finally {
      await Promise.all([watcher.close(), writer.close()]);
    }
  });

  it('checks and removes watches by mode with WatcherType Persistent and PersistentRecursive (3.9)', async () => {
    const watcher = await RawClient.connect(zk.port);
    const writer = await RawClient.connect(zk.port);
    try {
      await writer.create('/pm');
      await writer.create('/rm');
      await watcher.addWatch('/pm', AddWatchMode.PERSISTENT);
      await watcher.addWatch('/rm', AddWatchMode.PERSISTENT_RECURSIVE);
      assert.equal(await checkWatches(watcher, '/pm', WatcherType.Persistent), 0);
      assert.equal(await checkWatches(watcher, '/pm', WatcherType.PersistentRecursive), ErrorCode.NOWATCHER);
      assert.equal(await checkWatches(watcher, '/pm', WatcherType.Data), ErrorCode.NOWATCHER, 'Data means a standard data watch');
      assert.equal(await checkWatches(watcher, '/pm', WatcherType.Any), 0);
      assert.equal(await checkWatches(watcher, '/rm', WatcherType.PersistentRecursive), 0);
      assert.equal(await checkWatches(watcher, '/rm', WatcherType.Persistent), ErrorCode.NOWATCHER);
      assert.equal(await checkWatches(watcher, '/rm', WatcherType.Children), ErrorCode.NOWATCHER);
      assert.equal(await checkWatches(watcher, '/pm', 42), ErrorCode.MARSHALLINGERROR);

      // A standard data watch beside the persistent one: removing one mode leaves the other.
      await watcher.getData('/pm', true);
      await watcher.removeWatches('/pm', WatcherType.Data);
      assert.equal(await checkWatches(watcher, '/pm', WatcherType.Persistent), 0);
      await watcher.removeWatches('/pm', WatcherType.Persistent);
      await assert.rejects(watcher.removeWatches('/pm', WatcherType.Persistent), (e: RawZkError) => e.code === ErrorCode.NOWATCHER);
      await watcher.removeWatches('/rm', WatcherType.PersistentRecursive);
      await assert.rejects(watcher.removeWatches('/rm', WatcherType.Any), (e: RawZkError) => e.code === ErrorCode.NOWATCHER);

      const from = watcher.frames.length;
      await writer.setData('/pm', data('x'));
      await writer.create('/pm/kid');
      await writer.create('/rm/kid');
      await watcher.exists('/');
      assert.deepEqual(watcher.frames.slice(from).filter((f) => f.kind === 'notification'), [], 'no watch left');
    } finally {
      await Promise.all([watcher.close(), writer.close()]);
    }
  });

  it('forgets the watches of a connection that went away, and keeps serving the others', async () => {
    const gone = await RawClient.connect(zk.port);
    const stays = await RawClient.connect(zk.port);
    try {
      await stays.create('/forget');
      await gone.getData('/forget', true);
      await gone.addWatch('/forget', AddWatchMode.PERSISTENT_RECURSIVE);
      await stays.getData('/forget', true);
      gone.destroy();
      await gone.closed;
      await stays.setData('/forget', data('1'));
      const event = await stays.waitForNotification((e) => e.path === '/forget');
      assert.equal(event.type, EventType.NodeDataChanged);
      await stays.create('/forget/kid');
      assert.equal(await stays.getAllChildrenNumber('/forget'), 1);
    } finally {
      await stays.close();
    }
  });
});
