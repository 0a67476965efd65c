// Watches compared with Apache ZooKeeper 3.8: the same RawClient script on both servers, and the frames
// each client received (notifications and replies, in arrival order) must match, so the exact event
// types, which watcher hears what, and "notification before the reply of the write" are checked.

import { after, before, describe, it } from 'node:test';
import type { MultiOp } from '../../src/jute/records.js';
import { AddWatchMode, CreateFlag, OpCode, Perm, WatcherType } from '../../src/protocol/constants.js';
import { OPEN_ACL_UNSAFE, type RawClient } from '../helpers/raw-client.js';
import { sameOnBoth, startPair, type Recorder, type ServerPair } from './support/compare.js';

const data = (s: string): Buffer => Buffer.from(s);
const createOp = (path: string, flags: number = CreateFlag.PERSISTENT): MultiOp => ({
  type: 1, req: { path, data: null, acl: OPEN_ACL_UNSAFE, flags, ttl: -1 },
});
const deleteOp = (path: string): MultiOp => ({ type: 2, req: { path, version: -1 } });
const setDataOp = (path: string, d: string): MultiOp => ({ type: 5, req: { path, data: data(d), version: -1 } });

/**
 * Every watcher's frames must be complete before they are recorded: a round trip on the watcher's own
 * connection after the writer's reply guarantees it (the server sends events before later replies).
 */
async function settle(...clients: RawClient[]): Promise<void> {
  for (const c of clients) await c.exists('/');
}

/** checkWatches (op 17): the reply's error code (0 when the watch is there, NOWATCHER when not). */
async function checkWatches(c: RawClient, path: string, type: number): Promise<number> {
  const r = await c.request(OpCode.checkWatches, (w) => w.writeUString(path).writeInt(type));
  return r.header.err;
}

/** Records the frames each client got since the marks, then returns fresh marks. */
function frames(rec: Recorder, label: string, clients: Record<string, RawClient>, marks: Map<RawClient, number>): void {
  for (const [name, c] of Object.entries(clients)) {
    rec.recordFrames(`${label}: ${name}`, c, marks.get(c) ?? 0);
    marks.set(c, c.frames.length);
  }
}

describe('zk-server fires watches as Apache ZooKeeper 3.8 does', () => {
  let pair: ServerPair;
  before(async () => {
    pair = await startPair();
  });
  after(async () => {
    await pair?.stop();
  });

  it('one-shot data, exist and child watches: event types, who hears them, order against replies', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const watcher = await rec.connect();
      const writer = await rec.connect();
      const marks = new Map<RawClient, number>();
      const all = { watcher, writer };
      await writer.create('/w', data('0'));
      await writer.create('/w/c');
      await rec.attempt('getData watch', () => watcher.getData('/w', true));
      await rec.attempt('getChildren watch', () => watcher.getChildren('/w', true));
      await rec.attempt('exists watch on missing node', () => watcher.exists('/w/new', true));
      await rec.attempt('exists watch on existing node', () => watcher.exists('/w/c', true));
      await settle(watcher);
      marks.set(watcher, watcher.frames.length);
      marks.set(writer, writer.frames.length);

      await rec.attempt('setData', () => writer.setData('/w', data('1')));
      await settle(watcher);
      frames(rec, 'after setData', all, marks);
      await rec.attempt('setData again: the watch was consumed', () => writer.setData('/w', data('2')));
      await settle(watcher);
      frames(rec, 'after second setData', all, marks);
      await rec.attempt('create watched-for node', () => writer.create('/w/new'));
      await settle(watcher);
      frames(rec, 'after create', all, marks);
      await rec.attempt('setData on watched child', () => writer.setData('/w/c', data('x')));
      await settle(watcher);
      frames(rec, 'after child setData', all, marks);

      // The writer watches its own write: the event must precede the reply.
      await writer.getData('/w', true);
      await writer.getChildren('/w', true);
      await writer.exists('/w/c', true);
      marks.set(writer, writer.frames.length);
      await rec.attempt('own delete', () => writer.delete('/w/c'));
      frames(rec, 'own delete', { writer }, marks);
      await rec.attempt('own create', () => writer.create('/w/d'));
      frames(rec, 'own create (child watch consumed)', { writer }, marks);
      await rec.attempt('own setData', () => writer.setData('/w', data('3')));
      frames(rec, 'own setData', { writer }, marks);
    });
  });

  it('delete fires NodeDeleted once for a watcher holding data and child watches, and the parent child watch', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const watcher = await rec.connect();
      const writer = await rec.connect();
      const marks = new Map<RawClient, number>();
      await writer.create('/d');
      await writer.create('/d/x', data('x'));
      await watcher.getData('/d/x', true);
      await watcher.getChildren('/d/x', true);
      await watcher.exists('/d/x', true);
      await watcher.getChildren('/d', true);
      await watcher.getData('/d', true);
      marks.set(watcher, watcher.frames.length);
      await rec.attempt('delete', () => writer.delete('/d/x'));
      await settle(watcher);
      frames(rec, 'after delete', { watcher }, marks);
      await rec.attempt('re-create: no watch left', () => writer.create('/d/x'));
      await settle(watcher);
      frames(rec, 'after re-create', { watcher }, marks);
    });
  });

  it('multi fires the events of all its ops, in op order, before the reply', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const watcher = await rec.connect();
      const writer = await rec.connect();
      const marks = new Map<RawClient, number>();
      await writer.create('/m');
      await writer.create('/m/a', data('a'));
      for (const c of [watcher, writer]) {
        await c.getData('/m/a', true);
        await c.getChildren('/m', true);
        await c.exists('/m/b', true);
        marks.set(c, c.frames.length);
      }
      await rec.attempt('multi', () => writer.multi([setDataOp('/m/a', 'a2'), createOp('/m/b'), deleteOp('/m/b'), createOp('/m/c')]));
      await settle(watcher);
      frames(rec, 'after multi', { watcher, writer }, marks);
      for (const c of [watcher, writer]) {
        await c.getData('/m/a', true);
        marks.set(c, c.frames.length);
      }
      await rec.attempt('failed multi fires nothing', () => writer.multi([setDataOp('/m/a', 'a3'), deleteOp('/m/none')]));
      await settle(watcher);
      frames(rec, 'after failed multi', { watcher, writer }, marks);
    });
  });

  it('persistent and persistent-recursive watches (addWatch), removeWatches and checkWatches', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const watcher = await rec.connect();
      const writer = await rec.connect();
      const marks = new Map<RawClient, number>();
      await writer.create('/p');
      await writer.create('/r');
      await rec.attempt('addWatch persistent', () => watcher.addWatch('/p', AddWatchMode.PERSISTENT));
      await rec.attempt('addWatch recursive', () => watcher.addWatch('/r', AddWatchMode.PERSISTENT_RECURSIVE));
      await rec.attempt('addWatch bad mode', () => watcher.addWatch('/r', 7));
      await rec.attempt('addWatch on missing path', () => watcher.addWatch('/p-missing', AddWatchMode.PERSISTENT));
      marks.set(watcher, watcher.frames.length);
      await writer.setData('/p', data('1'));
      await writer.create('/p/c');
      await writer.setData('/p/c', data('1'));
      await writer.create('/p/c/g');
      await writer.delete('/p/c/g');
      await writer.delete('/p/c');
      await writer.setData('/p', data('2'));
      await writer.create('/p-missing');
      await settle(watcher);
      frames(rec, 'persistent', { watcher }, marks);

      await writer.setData('/r', data('1'));
      await writer.create('/r/c');
      await writer.create('/r/c/g', null, { flags: CreateFlag.EPHEMERAL });
      await writer.setData('/r/c/g', data('1'));
      await writer.multi([createOp('/r/c/h'), deleteOp('/r/c/h')]);
      await writer.delete('/r/c/g');
      await writer.delete('/r/c');
      await settle(watcher);
      frames(rec, 'recursive', { watcher }, marks);

      // WatcherType Persistent/PersistentRecursive (4, 5) and per-mode checks are 3.9 only: see watches.test.ts.
      await rec.attempt('checkWatches any on /p', () => checkWatches(watcher, '/p', WatcherType.Any));
      await rec.attempt('checkWatches any on unwatched', () => checkWatches(watcher, '/nowhere', WatcherType.Any));
      await rec.attempt('removeWatches any on /p', () => watcher.removeWatches('/p', WatcherType.Any));
      await rec.attempt('removeWatches any on /p again', () => watcher.removeWatches('/p', WatcherType.Any));
      await rec.attempt('removeWatches recursive via Any', () => watcher.removeWatches('/r', WatcherType.Any));
      await writer.setData('/p', data('3'));
      await writer.create('/r/after');
      await settle(watcher);
      frames(rec, 'after removal', { watcher }, marks);

      await watcher.getData('/p', true);
      await watcher.getChildren('/p', true);
      await rec.attempt('removeWatches data', () => watcher.removeWatches('/p', WatcherType.Data));
      await rec.attempt('checkWatches children still there', () => checkWatches(watcher, '/p', WatcherType.Children));
      await rec.attempt('removeWatches children', () => watcher.removeWatches('/p', WatcherType.Children));
      await rec.attempt('removeWatches bad type', () => watcher.removeWatches('/p', 9));
      await writer.setData('/p', data('4'));
      await writer.create('/p/late');
      await settle(watcher);
      frames(rec, 'after removing standard watches', { watcher }, marks);
    });
  });

  it('setWatches and setWatches2 re-register watches, firing at once for what changed since relativeZxid', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const writer = await rec.connect();
      await writer.create('/sw');
      await writer.create('/sw/same', data('s'));
      await writer.create('/sw/changed', data('c'));
      await writer.create('/sw/gone');
      await writer.create('/sw/kids');
      const before = await writer.exists('/sw/kids');
      const rel = before?.mzxid ?? 0;
      await writer.setData('/sw/changed', data('c2'));
      await writer.delete('/sw/gone');
      await writer.create('/sw/kids/k');
      await writer.create('/sw/born');

      const c = await rec.connect();
      const marks = new Map<RawClient, number>([[c, c.frames.length]]);
      await rec.attempt('setWatches', () => c.setWatches({
        relativeZxid: rel,
        dataWatches: ['/sw/same', '/sw/changed', '/sw/gone'],
        existWatches: ['/sw/born', '/sw/unborn'],
        childWatches: ['/sw/kids', '/sw', '/sw/gone'],
        persistentWatches: [],
        persistentRecursiveWatches: [],
      }));
      await settle(c);
      // Fired events come in the order ZooKeeper checks the lists; within a list, in list order.
      frames(rec, 'fired at once', { c }, marks);
      await writer.setData('/sw/same', data('s2'));
      await writer.create('/sw/unborn');
      await settle(c);
      frames(rec, 'registered ones fire later', { c }, marks);

      const c2 = await rec.connect();
      marks.set(c2, c2.frames.length);
      await rec.attempt('setWatches2', () => c2.setWatches({
        relativeZxid: writer.lastZxid,
        dataWatches: [], existWatches: [], childWatches: [],
        persistentWatches: ['/sw/same'],
        persistentRecursiveWatches: ['/sw/kids'],
      }, true));
      await writer.setData('/sw/same', data('s3'));
      await writer.setData('/sw/same', data('s4'));
      await writer.create('/sw/kids/k2');
      await writer.setData('/sw/kids/k2', data('x'));
      await settle(c2);
      frames(rec, 'persistent via setWatches2', { c2 }, marks);
    });
  });

  it('ephemerals removed by closeSession fire NodeDeleted and NodeChildrenChanged for other sessions', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const watcher = await rec.connect();
      const owner = await rec.connect();
      await owner.create('/eph');
      // Several ephemerals, so the order ZooKeeper deletes them in (a HashSet's) shows in the events.
      const names = ['a', 'zz', 'lock-', 'lock-', 'b/', 'member'];
      await owner.create('/eph/b');
      for (const n of names) {
        const flags = n.endsWith('-') || n.endsWith('/') ? CreateFlag.EPHEMERAL_SEQUENTIAL : CreateFlag.EPHEMERAL;
        const path = await owner.create(`/eph/${n}`, null, { flags });
        await watcher.exists(path, true);
      }
      await watcher.getChildren('/eph', true);
      await watcher.getChildren('/eph/b', true);
      const marks = new Map<RawClient, number>([[watcher, watcher.frames.length]]);
      await rec.attempt('owner closes', () => owner.close());
      await settle(watcher);
      frames(rec, 'after close', { watcher }, marks);
      await rec.attempt('children', () => watcher.getChildren('/eph'));
      await rec.attempt('children of b', () => watcher.getChildren('/eph/b'));
    });
  });

  it('delivers a notification only to sessions that may READ the node', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const watcher = await rec.connect();
      const writer = await rec.connect();
      await writer.addAuth('digest', data('owner:pw'));
      await writer.create('/secret', data('s'));
      await watcher.exists('/secret', true);
      await watcher.exists('/secret/inner', true);
      await watcher.getChildren('/secret', true);
      const marks = new Map<RawClient, number>([[watcher, watcher.frames.length]]);
      const ownerOnly = [{ perms: Perm.ALL, id: { scheme: 'auth', id: '' } }];
      await rec.attempt('setACL owner-only', () => writer.setACL('/secret', ownerOnly));
      await rec.attempt('create child readable by owner only', () => writer.create('/secret/inner', null, { acl: ownerOnly }));
      await settle(watcher);
      frames(rec, 'watcher without READ', { watcher }, marks);
      await rec.attempt('getData refused', () => watcher.getData('/secret'));
    });
  });

  it('refuses TTL nodes while extended types are disabled', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      await rec.attempt('createTTL', () => c.createTTL('/ttl-off', null, 1000));
      await rec.attempt('create with TTL flags', () => c.create('/ttl-off', null, { flags: CreateFlag.PERSISTENT_WITH_TTL }));
      await rec.attempt('container still fine', () => c.createContainer('/container-on'));
      await rec.attempt('nothing created', () => c.exists('/ttl-off'));
    });
  });
});
