// Ops whose exact answers are subtle, run as the same RawClient script against zk-server and Apache
// ZooKeeper 3.8 with normalized transcripts compared: sequential numbering (after deletes, in multi),
// the Stat after each op, error codes, multi and multiRead results.

import { after, before, describe, it } from 'node:test';
import type { ACL, MultiOp } from '../../src/jute/records.js';
import type { JuteWriter } from '../../src/jute/writer.js';
import { CreateFlag, OpCode, Perm } from '../../src/protocol/constants.js';
import { OPEN_ACL_UNSAFE, type RawClient } from '../helpers/raw-client.js';
import { sameOnBoth, startPair, type Recorder, type ServerPair } from './support/compare.js';

const data = (s: string): Buffer => Buffer.from(s);
const createOp = (path: string, flags: number = CreateFlag.PERSISTENT, d: string | null = null, type: 1 | 15 | 19 = 1): MultiOp => ({
  type, req: { path, data: d === null ? null : data(d), acl: OPEN_ACL_UNSAFE, flags, ttl: -1 },
});
const deleteOp = (path: string, version = -1): MultiOp => ({ type: 2, req: { path, version } });
const checkOp = (path: string, version: number): MultiOp => ({ type: 13, req: { path, version } });
const setDataOp = (path: string, d: string, version = -1): MultiOp => ({ type: 5, req: { path, data: data(d), version } });

/** A raw request with an arbitrary body, recorded as its error code (for ops the RawClient has no method for). */
async function rawErr(rec: Recorder, c: RawClient, label: string, op: number, body: (w: JuteWriter) => void): Promise<void> {
  const r = await c.request(op, body);
  rec.record(label, { err: r.header.err, bodyBytes: r.body.remaining });
}

describe('zk-server answers ops as Apache ZooKeeper 3.8 does', () => {
  let pair: ServerPair;
  before(async () => {
    pair = await startPair({}, { 'zookeeper.extendedTypesEnabled': 'true' });
  });
  after(async () => {
    await pair?.stop();
  });

  it('numbers sequential nodes from the parent cversion, also after deletes and inside multi', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      await rec.attempt('parent', () => c.create('/seq'));
      for (let i = 0; i < 3; i++) await rec.attempt(`seq ${i}`, () => c.create('/seq/n-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }));
      await rec.attempt('delete n-1', () => c.delete('/seq/n-0000000001'));
      await rec.attempt('after delete', () => c.create('/seq/n-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }));
      await rec.attempt('plain child', () => c.create('/seq/plain'));
      await rec.attempt('after plain', () => c.create2('/seq/', null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL }));
      await rec.attempt('failed create does not count', () => c.create('/seq/plain'));
      await rec.attempt('after failure', () => c.create('/seq/x', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }));
      await rec.attempt('multi with sequentials', () => c.multi([
        createOp('/seq/m-', CreateFlag.PERSISTENT_SEQUENTIAL),
        deleteOp('/seq/plain'),
        createOp('/seq/m-', CreateFlag.EPHEMERAL_SEQUENTIAL, 'e'),
      ]));
      await rec.attempt('failed multi rolls back the numbering', () => c.multi([
        createOp('/seq/f-', CreateFlag.PERSISTENT_SEQUENTIAL),
        createOp('/seq/missing/child'),
      ]));
      await rec.attempt('after failed multi', () => c.create('/seq/f-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }));
      await rec.attempt('children', async () => (await c.getChildren('/seq')).sort());
      await rec.attempt('parent stat', async () => (await c.exists('/seq')));
      await rec.attempt('nested sequential names', () => c.create('/seq/n-0000000000/', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }));
    });
  });

  it('maintains every Stat field across create, setData, setACL, child changes and delete', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      const other = await rec.connect();
      await rec.attempt('create2', () => c.create2('/st', data('hello')));
      await rec.attempt('exists', () => c.exists('/st'));
      await rec.attempt('setData', () => c.setData('/st', data('hello, world')));
      await rec.attempt('setData at version 1', () => c.setData('/st', null, 1));
      await rec.attempt('getData', () => c.getData('/st'));
      const acl: ACL[] = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }, { perms: Perm.READ, id: { scheme: 'ip', id: '127.0.0.1' } }];
      await rec.attempt('setACL', () => c.setACL('/st', acl));
      await rec.attempt('setACL at aversion 1', () => c.setACL('/st', OPEN_ACL_UNSAFE, 1));
      await rec.attempt('getACL', () => c.getACL('/st'));
      await rec.attempt('child', () => c.create2('/st/a', data('a')));
      await rec.attempt('ephemeral child of other session', () => other.create2('/st/e', null, { flags: CreateFlag.EPHEMERAL }));
      await rec.attempt('getChildren2 after creates', async () => {
        const r = await c.getChildren2('/st');
        return { ...r, children: r.children.sort() };
      });
      await rec.attempt('setData on child leaves parent alone', () => c.setData('/st/a', data('aa')));
      await rec.attempt('parent after child setData', () => c.exists('/st'));
      await rec.attempt('delete child', () => c.delete('/st/a'));
      await rec.attempt('parent after delete', () => c.exists('/st'));
      await rec.attempt('empty data', () => c.create2('/st/empty', data('')));
      await rec.attempt('null data', () => c.create2('/st/null'));
      await rec.attempt('getData null', () => c.getData('/st/null'));
      await rec.attempt('container stat', () => c.createContainer('/st/container', data('c')));
      await rec.attempt('ttl stat', () => c.createTTL('/st/ttl', data('t'), 60_000));
      await rec.attempt('ttl sequential', () => c.createTTL('/st/ttl-', null, 60_000, { flags: CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL }));
      await rec.attempt('check', () => c.multi([checkOp('/st', 2)]));
      await rec.attempt('other session closes: parent after ephemeral removal', async () => {
        await other.close();
        return c.exists('/st');
      });
      // Child order is a Java HashSet's iteration order in ZooKeeper: not part of the contract.
      await rec.attempt('root-level zookeeper node', async () => (await c.getChildren('/zookeeper')).sort());
      await rec.attempt('zookeeper/config', async () => (await c.exists('/zookeeper/config'))?.numChildren);
      await rec.attempt('getAllChildrenNumber', () => c.getAllChildrenNumber('/st'));
      await rec.attempt('getEphemerals none', () => c.getEphemerals('/st'));
    });
  });

  it('answers every error code as ZooKeeper does', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      await rec.attempt('setup', () => c.create('/err', data('x')));
      await rec.attempt('setup child', () => c.create('/err/child'));
      await rec.attempt('setup ephemeral', () => c.create('/err/eph', null, { flags: CreateFlag.EPHEMERAL }));
      // NoNode
      await rec.attempt('getData missing', () => c.getData('/err/none'));
      await rec.attempt('setData missing', () => c.setData('/err/none', null));
      await rec.attempt('delete missing', () => c.delete('/err/none'));
      await rec.attempt('create under missing parent', () => c.create('/err/none/x'));
      await rec.attempt('getChildren missing', () => c.getChildren('/err/none'));
      await rec.attempt('getACL missing', () => c.getACL('/err/none'));
      await rec.attempt('setACL missing', () => c.setACL('/err/none', OPEN_ACL_UNSAFE));
      await rec.attempt('exists missing', () => c.exists('/err/none'));
      await rec.attempt('getAllChildrenNumber missing', () => c.getAllChildrenNumber('/err/none'));
      // NodeExists, BadVersion, NotEmpty, NoChildrenForEphemerals
      await rec.attempt('create existing', () => c.create('/err'));
      await rec.attempt('setData bad version', () => c.setData('/err', null, 7));
      await rec.attempt('delete bad version', () => c.delete('/err/child', 3));
      await rec.attempt('setACL bad version', () => c.setACL('/err', OPEN_ACL_UNSAFE, 2));
      await rec.attempt('delete not empty', () => c.delete('/err'));
      await rec.attempt('child of ephemeral', () => c.create('/err/eph/x'));
      await rec.attempt('sequential child of ephemeral', () => c.create('/err/eph/x', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }));
      // InvalidACL
      await rec.attempt('empty ACL', () => c.create('/err/acl1', null, { acl: [] }));
      await rec.attempt('unknown scheme', () => c.create('/err/acl2', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'nosuch', id: 'x' } }] }));
      await rec.attempt('malformed digest id', () => c.create('/err/acl3', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'digest', id: 'nocolon' } }] }));
      await rec.attempt('malformed ip id', () => c.create('/err/acl4', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'ip', id: '1.2.3.x' } }] }));
      await rec.attempt('auth scheme without auth', () => c.create('/err/acl5', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'auth', id: '' } }] }));
      await rec.attempt('setACL empty', () => c.setACL('/err', []));
      // BadArguments and path validation
      await rec.attempt('trailing slash', () => c.create('/err/bad/'));
      await rec.attempt('double slash', () => c.create('/err//bad'));
      await rec.attempt('relative path', () => c.create('err'));
      await rec.attempt('dot component', () => c.create('/err/./x'));
      await rec.attempt('getData relative', () => c.getData('err'));
      await rec.attempt('delete root', () => c.delete('/'));
      await rec.attempt('createTTL ttl 0', () => c.createTTL('/err/t0', null, 0));
      await rec.attempt('createTTL without TTL mode', () => c.createTTL('/err/t1', null, 1000, { flags: CreateFlag.PERSISTENT }));
      await rec.attempt('create with TTL mode', () => c.create('/err/t2', null, { flags: CreateFlag.PERSISTENT_WITH_TTL }));
      await rec.attempt('bad create flags', () => c.create('/err/flags', null, { flags: 42 }));
      await rec.attempt('container via create2 flags', () => c.create2('/err/cflag', null, { flags: CreateFlag.CONTAINER }));
      // Unimplemented: reconfig on a standalone server.
      await rawErr(rec, c, 'reconfig', OpCode.reconfig, (w) => w.writeUString(null).writeUString(null).writeUString(null).writeLongNumber(-1));
      // A client's deleteContainer differs: 3.8 reads the body wrongly (always BadArguments), 3.9 reads a
      // DeleteContainerRequest. zk-server follows 3.9: see ops.test.ts.
      await rec.attempt('still serving', () => c.exists('/err'));
    });
  });

  it('answers multi with per-op results, all-or-nothing', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      await rec.attempt('ok multi', () => c.multi([
        createOp('/mu'), createOp('/mu/a', CreateFlag.PERSISTENT, 'a'), createOp('/mu/b', CreateFlag.EPHEMERAL),
        setDataOp('/mu/a', 'a2', 0), checkOp('/mu/a', 1), deleteOp('/mu/b'), createOp('/mu/c', CreateFlag.CONTAINER, null, 19),
      ]));
      await rec.attempt('state after ok multi', async () => ({ a: await c.getData('/mu/a'), kids: (await c.getChildren('/mu')).sort() }));
      await rec.attempt('failing check in the middle', () => c.multi([
        createOp('/mu/x'), checkOp('/mu/a', 0), setDataOp('/mu/a', 'never'),
      ]));
      await rec.attempt('failing last op', () => c.multi([
        setDataOp('/mu/a', 'never'), deleteOp('/mu/a'), deleteOp('/mu/none'),
      ]));
      await rec.attempt('ops see earlier ops of the same multi', () => c.multi([
        createOp('/mu/d'), createOp('/mu/d/e'), deleteOp('/mu/d/e'), deleteOp('/mu/d'),
      ]));
      await rec.attempt('node exists inside multi', () => c.multi([createOp('/mu/y'), createOp('/mu/y')]));
      await rec.attempt('nothing applied', async () => ({ x: await c.exists('/mu/x'), y: await c.exists('/mu/y'), a: await c.getData('/mu/a') }));
      await rec.attempt('empty multi', () => c.multi([]));
      await rec.attempt('multiRead', async () => (await c.multiRead([
        { type: 4, req: { path: '/mu/a', watch: false } },
        { type: 8, req: { path: '/mu', watch: false } },
        { type: 4, req: { path: '/mu/none', watch: false } },
        { type: 8, req: { path: '/mu/none', watch: false } },
      ])).map((r) => (r.type === 8 ? { ...r, children: r.children.sort() } : r)));
      const r = await c.request(OpCode.multiRead, (w) => {
        // A write inside multiRead is refused as a whole.
        w.writeInt(OpCode.create).writeBool(false).writeInt(-1);
        w.writeUString('/mu/z').writeBuffer(null).writeInt(1).writeInt(Perm.ALL).writeUString('world').writeUString('anyone').writeInt(0);
        w.writeInt(-1).writeBool(true).writeInt(-1);
      });
      rec.record('multiRead with a write', { err: r.header.err });
      await rec.attempt('server still answers', () => c.exists('/mu/z'));
    });
  });

  it('answers handshakes as ZooKeeper does: timeout negotiation, old clients, resume, wrong password', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const low = await rec.connect({ timeOut: 1000 });
      const high = await rec.connect({ timeOut: 1_000_000 });
      const old = await rec.connect({ readOnlyByte: false, timeOut: 10_000 });
      const shape = (c: RawClient) => {
        const r = c.connectResponse!;
        return { timeOut: r.timeOut, session: rec.normalize(r.sessionId), passwdBytes: r.passwd.length, readOnly: r.readOnly, hasReadOnlyByte: r.hasReadOnlyByte };
      };
      rec.record('low timeout (tickTime 2000: min 4000)', shape(low));
      rec.record('high timeout (max 40000)', shape(high));
      rec.record('old client', shape(old));
      const resumed = await rec.connect({ sessionId: low.sessionId, passwd: low.connectResponse!.passwd, timeOut: 8000 });
      rec.record('resumed', shape(resumed));
      await low.closed;
      rec.record('old connection closed', low.isClosed);
      const wrong = await rec.connect({ sessionId: high.sessionId, passwd: Buffer.alloc(16, 7) });
      rec.record('wrong password', { ...shape(wrong), passwd: wrong.connectResponse!.passwd.toString('hex') });
      await wrong.closed;
      rec.record('wrong password closed', wrong.isClosed);
      // ZooKeeper drops the session's live connection even for a refused attempt; the session lives on.
      await high.closed;
      rec.record('connection of the attacked session closed', high.isClosed);
      const back = await rec.connect({ sessionId: high.sessionId, passwd: high.connectResponse!.passwd });
      rec.record('session resumes', shape(back));
    });
  });

  it('answers whoAmI, getEphemerals, getAllChildrenNumber and sync as ZooKeeper does', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      await rec.attempt('whoAmI anonymous', () => c.whoAmI());
      await rec.attempt('addAuth', () => c.addAuth('digest', data('alice:secret')));
      // ZooKeeper keeps auth ids in a hash set: their order is not part of the contract.
      await rec.attempt('whoAmI digest', async () => (await c.whoAmI()).sort((a, b) => a.authScheme.localeCompare(b.authScheme)));
      await rec.attempt('tree', async () => {
        await c.create('/misc');
        await c.create('/misc/a');
        await c.create('/misc/a/b');
        await c.create('/misc/e1', null, { flags: CreateFlag.EPHEMERAL });
        await c.create('/misc/a/e2', null, { flags: CreateFlag.EPHEMERAL });
        return 'ok';
      });
      await rec.attempt('getAllChildrenNumber', () => c.getAllChildrenNumber('/misc'));
      await rec.attempt('getAllChildrenNumber leaf', () => c.getAllChildrenNumber('/misc/a/b'));
      await rec.attempt('getEphemerals prefix', async () => (await c.getEphemerals('/misc')).sort());
      await rec.attempt('getEphemerals narrower', async () => (await c.getEphemerals('/misc/a')).sort());
      await rec.attempt('getEphemerals string prefix', async () => (await c.getEphemerals('/misc/e')).sort());
      await rec.attempt('sync', () => c.sync('/misc'));
      await rec.attempt('sync missing path', () => c.sync('/misc/none'));
    });
  });
});
