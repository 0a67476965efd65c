// Every client op on zk-server through node-zookeeper-client (an unmodified third-party client), plus
// RawClient for the ops it lacks and for ZooKeeper 3.9 behaviour the 3.8 reference can't show
// (create2 results inside multi, reconfig with reconfigEnabled=true).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MultiOp } from '../../src/jute/records.js';
import type { JuteWriter } from '../../src/jute/writer.js';
import { CreateFlag, ErrorCode, OpCode, Perm } from '../../src/protocol/constants.js';
import { OPEN_ACL_UNSAFE, RawClient, RawZkError } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { CreateMode, NzkClient, OPEN_ACL, long, nzk, zkCode } from './support/nzk.js';

const data = (s: string): Buffer => Buffer.from(s);
const rawCode = (code: number) => (e: unknown): boolean => e instanceof RawZkError && e.code === code;

describe('client ops on zk-server', () => {
  let zk: ZkServerHandle;
  let c: NzkClient;
  before(async () => {
    zk = await startZkServer({
      storage: 'memory',
      extraConfig: { 'zookeeper.extendedTypesEnabled': 'true', reconfigEnabled: 'true' },
    });
    c = await NzkClient.connect(zk.port);
  });
  after(async () => {
    c?.close();
    await zk?.stop();
  });

  it('starts with /, /zookeeper, /zookeeper/quota and /zookeeper/config', async () => {
    assert.ok((await c.getChildren('/')).children.includes('zookeeper'));
    assert.deepEqual((await c.getChildren('/zookeeper')).children.sort(), ['config', 'quota']);
    const config = await c.getData('/zookeeper/config');
    assert.equal(config.stat.numChildren, 0);
  });

  it('create, exists, getData, setData, getChildren and remove, with a Stat that follows every change', async () => {
    assert.equal(await c.create('/nz', data('v0')), '/nz');
    const created = await c.exists('/nz');
    assert.ok(created);
    assert.equal(created.version, 0);
    assert.equal(created.dataLength, 2);
    assert.equal(long(created.czxid), long(created.mzxid));
    assert.equal(long(created.pzxid), long(created.czxid));
    assert.equal(long(created.ctime), long(created.mtime));
    assert.ok(Math.abs(long(created.ctime) - Date.now()) < 60_000, 'ctime is wall-clock ms');
    assert.equal(long(created.ephemeralOwner), 0);

    const set = await c.setData('/nz', data('v1-longer'), 0);
    assert.equal(set.version, 1);
    assert.equal(set.dataLength, 9);
    assert.ok(long(set.mzxid) > long(created.mzxid));
    assert.equal(long(set.czxid), long(created.czxid));
    assert.equal(long(set.pzxid), long(created.pzxid), 'setData leaves pzxid');
    await assert.rejects(c.setData('/nz', data('x'), 0), zkCode(ErrorCode.BADVERSION));

    const got = await c.getData('/nz');
    assert.equal(got.data?.toString(), 'v1-longer');
    assert.deepEqual(got.stat, set);

    await c.create('/nz/a');
    await c.create('/nz/b', null, CreateMode.EPHEMERAL);
    const kids = await c.getChildren('/nz');
    assert.deepEqual(kids.children.sort(), ['a', 'b']);
    assert.equal(kids.stat.numChildren, 2);
    assert.equal(kids.stat.cversion, 2);
    assert.equal(kids.stat.version, 1, 'child changes leave the data version');
    const eph = await c.exists('/nz/b');
    assert.equal(long(kids.stat.pzxid), long(eph!.czxid), 'pzxid is the last child change');
    assert.equal(eph!.ephemeralOwner.readBigInt64BE(0), c.sessionId);

    await assert.rejects(c.remove('/nz'), zkCode(ErrorCode.NOTEMPTY));
    await assert.rejects(c.remove('/nz/a', 5), zkCode(ErrorCode.BADVERSION));
    await c.remove('/nz/a', 0);
    await c.remove('/nz/b');
    const after = await c.exists('/nz');
    assert.equal(after!.numChildren, 0);
    assert.equal(after!.cversion, 4);
    assert.ok(long(after!.pzxid) > long(eph!.czxid), 'delete moves pzxid');
    await c.remove('/nz', 1);
    assert.equal(await c.exists('/nz'), null);
    await assert.rejects(c.getData('/nz'), zkCode(ErrorCode.NONODE));
    await assert.rejects(c.remove('/nz'), zkCode(ErrorCode.NONODE));
  });

  it('refuses what ZooKeeper refuses: NodeExists, NoNode parent, NoChildrenForEphemerals', async () => {
    await c.create('/nzerr');
    await assert.rejects(c.create('/nzerr'), zkCode(ErrorCode.NODEEXISTS));
    await assert.rejects(c.create('/nzerr/missing/child'), zkCode(ErrorCode.NONODE));
    await c.create('/nzerr/eph', null, CreateMode.EPHEMERAL);
    await assert.rejects(c.create('/nzerr/eph/child'), zkCode(ErrorCode.NOCHILDRENFOREPHEMERALS));
    await assert.rejects(c.create('/nzerr/eph/seq-', null, CreateMode.EPHEMERAL_SEQUENTIAL), zkCode(ErrorCode.NOCHILDRENFOREPHEMERALS));
    await assert.rejects(c.create('/nzerr/acl', null, CreateMode.PERSISTENT, [new nzk.ACL(Perm.ALL, new nzk.Id('digest', 'nocolon'))]), zkCode(ErrorCode.INVALIDACL));
  });

  it('numbers sequential nodes with ten digits from the parent cversion', async () => {
    await c.create('/nzseq');
    await c.create('/nzseq/plain');
    assert.equal(await c.create('/nzseq/q-', null, CreateMode.PERSISTENT_SEQUENTIAL), '/nzseq/q-0000000001');
    assert.equal(await c.create('/nzseq/q-', null, CreateMode.EPHEMERAL_SEQUENTIAL), '/nzseq/q-0000000002');
    await c.remove('/nzseq/q-0000000002');
    // Deletes don't count: the suffix is the stored cversion (creates), while the Stat a client sees
    // reports cversion as 2 * creates - children (here 2 * 3 - 2).
    assert.equal((await c.exists('/nzseq'))!.cversion, 4);
    assert.equal(await c.create('/nzseq/n-', null, CreateMode.PERSISTENT_SEQUENTIAL), '/nzseq/n-0000000003');
  });

  it('getACL and setACL with versions, aversion maintained', async () => {
    await c.create('/nzacl', null, CreateMode.PERSISTENT, OPEN_ACL);
    const before = await c.getACL('/nzacl');
    assert.deepEqual(before.acls.map((a) => [a.permission, a.id.scheme, a.id.id]), [[Perm.ALL, 'world', 'anyone']]);
    assert.equal(before.stat.aversion, 0);
    const readOnly = [new nzk.ACL(Perm.READ | Perm.ADMIN, new nzk.Id('world', 'anyone'))];
    const stat = await c.setACL('/nzacl', readOnly, 0);
    assert.equal(stat.aversion, 1);
    assert.equal(stat.version, 0);
    await assert.rejects(c.setACL('/nzacl', OPEN_ACL, 0), zkCode(ErrorCode.BADVERSION));
    await assert.rejects(c.setData('/nzacl', data('x')), zkCode(ErrorCode.NOAUTH));
    await assert.rejects(c.create('/nzacl/kid'), zkCode(ErrorCode.NOAUTH));
    assert.equal((await c.getACL('/nzacl')).acls[0].permission, Perm.READ | Perm.ADMIN);
    await c.setACL('/nzacl', OPEN_ACL, 1);
    await c.setData('/nzacl', data('x'));
  });

  it('transaction (multi): all ops applied with their results, or none with the first error', async () => {
    const results = await c.transaction((t) => t
      .create('/nztx')
      .create('/nztx/a', data('a'))
      .setData('/nztx/a', data('a2'), 0)
      .check('/nztx/a', 1)
      .create('/nztx/s-', null, OPEN_ACL, CreateMode.PERSISTENT_SEQUENTIAL)
      .remove('/nztx/s-0000000001'));
    assert.equal(results.length, 6);
    assert.equal((await c.getData('/nztx/a')).data?.toString(), 'a2');
    assert.deepEqual((await c.getChildren('/nztx')).children, ['a']);

    // (node-zookeeper-client turns version 0 into -1 in transactions, so a wrong non-zero version is used.)
    await assert.rejects(c.transaction((t) => t.create('/nztx/b').check('/nztx/a', 7).remove('/nztx/a')), zkCode(ErrorCode.BADVERSION));
    assert.equal(await c.exists('/nztx/b'), null, 'nothing of a failed multi is applied');
    assert.notEqual(await c.exists('/nztx/a'), null);
  });

  it('answers create2 inside a multi with the path and the stat (ZooKeeper 3.8.4+ and 3.9)', async () => {
    const raw = await RawClient.connect(zk.port);
    try {
      const ops: MultiOp[] = [
        { type: 15, req: { path: '/c2multi', data: data('x'), acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT, ttl: -1 } },
        { type: 1, req: { path: '/c2multi/plain', data: null, acl: OPEN_ACL_UNSAFE, flags: CreateFlag.PERSISTENT, ttl: -1 } },
        { type: 19, req: { path: '/c2multi/container', data: null, acl: OPEN_ACL_UNSAFE, flags: CreateFlag.CONTAINER, ttl: -1 } },
      ];
      const { err, results } = await raw.multi(ops);
      assert.equal(err, 0);
      assert.equal(results[0].type, 15);
      assert.equal(results[1].type, 1);
      assert.equal(results[2].type, 15, 'createContainer answers with a Create2 result');
      const stat = (results[0] as { stat: { czxid: number; dataLength: number } }).stat;
      assert.equal(stat.dataLength, 1);
      assert.equal(stat.czxid, raw.lastZxid);
      // The same txn type 15 applied at top level as well.
      const top = await raw.create2('/c2multi/top', data('yz'));
      assert.equal(top.stat.dataLength, 2);
      assert.equal((await raw.getData('/c2multi/top')).data?.toString(), 'yz');
    } finally {
      await raw.close();
    }
  });

  it('createContainer, createTTL, getEphemerals, getAllChildrenNumber, whoAmI, sync and check over RawClient', async () => {
    const raw = await RawClient.connect(zk.port);
    try {
      const container = await raw.createContainer('/rawc', data('c'));
      assert.equal(container.path, '/rawc');
      assert.equal(container.stat.ephemeralOwner, 0n, 'clients see 0 for containers');
      const ttl = await raw.createTTL('/rawc/t-', null, 60_000, { flags: CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL });
      assert.equal(ttl.path, '/rawc/t-0000000000');
      await assert.rejects(raw.createTTL('/rawc/bad', null, 0), rawCode(ErrorCode.BADARGUMENTS));
      await assert.rejects(raw.createTTL('/rawc/bad', null, 2 ** 40), rawCode(ErrorCode.BADARGUMENTS));
      await raw.create('/rawc/e1', null, { flags: CreateFlag.EPHEMERAL });
      await raw.create('/rawc/e2', null, { flags: CreateFlag.EPHEMERAL });
      assert.deepEqual((await raw.getEphemerals('/rawc')).sort(), ['/rawc/e1', '/rawc/e2']);
      assert.deepEqual(await raw.getEphemerals('/elsewhere'), []);
      assert.equal(await raw.getAllChildrenNumber('/rawc'), 3);
      assert.deepEqual(await raw.whoAmI(), [{ authScheme: 'ip', user: '127.0.0.1' }]);
      assert.equal(await raw.sync('/rawc'), '/rawc');
      const check = await raw.request(OpCode.check, (w) => w.writeUString('/rawc').writeInt(0));
      assert.equal(check.header.err, 0);
      const badCheck = await raw.request(OpCode.check, (w) => w.writeUString('/rawc').writeInt(3));
      assert.equal(badCheck.header.err, ErrorCode.BADVERSION);
    } finally {
      await raw.close();
    }
  });

  it('takes deleteContainer from a client as ZooKeeper 3.9 does (a DeleteContainerRequest, no ACL check)', async () => {
    const raw = await RawClient.connect(zk.port);
    const deleteContainer = async (body: (w: JuteWriter) => void) =>
      (await raw.request(OpCode.deleteContainer, body)).header.err;
    try {
      // The parent refuses DELETE: a plain delete of the container fails, deleteContainer does not.
      await raw.create('/dcp', null, { acl: [{ perms: Perm.READ | Perm.CREATE, id: { scheme: 'world', id: 'anyone' } }] });
      await raw.createContainer('/dcp/dc');
      await raw.create('/dcp/dc/kid');
      await raw.create('/dc-eph', null, { flags: CreateFlag.EPHEMERAL });
      assert.equal(await deleteContainer((w) => w.writeUString('/dcp/dc')), ErrorCode.NOTEMPTY);
      assert.equal(await deleteContainer((w) => w.writeUString('/dc-eph')), ErrorCode.BADVERSION, 'ephemerals are refused');
      assert.equal(await deleteContainer((w) => w.writeUString('/dcp/none')), ErrorCode.NONODE);
      assert.equal(await deleteContainer((w) => w.writeRaw(Buffer.from('/dcp/dc'))), ErrorCode.MARSHALLINGERROR, 'a bare path is no record');
      await raw.delete('/dcp/dc/kid');
      await assert.rejects(raw.delete('/dcp/dc'), rawCode(ErrorCode.NOAUTH));
      assert.equal(await deleteContainer((w) => w.writeUString('/dcp/dc')), ErrorCode.OK);
      assert.equal(await raw.exists('/dcp/dc'), null);
    } finally {
      await raw.close();
    }
  });

  it('answers reconfig with Unimplemented on a standalone server that has reconfigEnabled=true', async () => {
    const raw = await RawClient.connect(zk.port);
    try {
      const r = await raw.request(OpCode.reconfig, (w) => w.writeUString('server.2=127.0.0.1:2888:3888').writeUString(null).writeUString(null).writeLongNumber(-1));
      assert.equal(r.header.err, ErrorCode.UNIMPLEMENTED);
      assert.notEqual(await raw.exists('/'), null, 'the connection stays usable');
    } finally {
      await raw.close();
    }
  });

  it('digest auth through addAuthInfo: the auth scheme expands to the session\'s digest id', async () => {
    const alice = await NzkClient.connect(zk.port);
    try {
      alice.addAuthInfo('digest', 'alice:pw');
      await alice.create('/nzauth', data('a'), CreateMode.PERSISTENT, [new nzk.ACL(Perm.ALL, new nzk.Id('auth', ''))]);
      const acl = (await alice.getACL('/nzauth')).acls;
      assert.deepEqual(acl.map((a) => [a.id.scheme, a.id.id]), [['digest', 'alice:V55/p2T0OpjQ+low3NVAH4aLvm0=']]);
      await assert.rejects(c.getData('/nzauth'), zkCode(ErrorCode.NOAUTH));
      assert.equal((await alice.getData('/nzauth')).data?.toString(), 'a');
    } finally {
      alice.close();
    }
  });
});
