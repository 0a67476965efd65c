// ACLs compared with Apache ZooKeeper 3.8 (same RawClient script, normalized transcripts): schemes
// world, auth, digest, ip and the super digest, the permission each op needs, getACL masking for
// clients without ADMIN, addAuth with a bad scheme. Then the same rules through node-zookeeper-client.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ACL, MultiOp } from '../../src/jute/records.js';
import { CreateFlag, ErrorCode, Perm } from '../../src/protocol/constants.js';
import { OPEN_ACL_UNSAFE } from '../helpers/raw-client.js';
import { sameOnBoth, startPair, type ServerPair } from './support/compare.js';
import { NzkClient, nzk, zkCode } from './support/nzk.js';

const data = (s: string): Buffer => Buffer.from(s);
/** The digest id ZooKeeper derives from "user:password". */
const digestId = (userPassword: string): string =>
  `${userPassword.split(':')[0]}:${createHash('sha1').update(userPassword).digest('base64')}`;
const acl = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });

const SUPER_PASSWORD = 'super:s3cret';

describe('zk-server checks ACLs as Apache ZooKeeper 3.8 does', () => {
  let pair: ServerPair;
  before(async () => {
    pair = await startPair({}, { 'zookeeper.DigestAuthenticationProvider.superDigest': digestId(SUPER_PASSWORD) });
  });
  after(async () => {
    await pair?.stop();
  });

  it('needs the right permission for each op, per scheme', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const admin = await rec.connect();
      const anon = await rec.connect();
      const bob = await rec.connect();
      await rec.attempt('bob auth', () => bob.addAuth('digest', data('bob:pw')));
      await admin.create('/acl');
      const perms: [string, number][] = [['r', Perm.READ], ['w', Perm.WRITE], ['c', Perm.CREATE], ['d', Perm.DELETE], ['a', Perm.ADMIN]];
      for (const [name, perm] of perms) {
        await admin.create(`/acl/${name}`, data(name), { acl: [acl(perm, 'world', 'anyone')] });
      }
      for (const [name] of perms) {
        const p = `/acl/${name}`;
        await rec.attempt(`${name}: getData`, () => anon.getData(p));
        // exists checks READ since ZOOKEEPER-2590 (3.8.4, 3.9.2); Debian's 3.8.0 does not: checked below.
        if (name === 'r') await rec.attempt(`${name}: exists`, () => anon.exists(p));
        await rec.attempt(`${name}: getChildren`, () => anon.getChildren(p));
        await rec.attempt(`${name}: getACL`, () => anon.getACL(p));
        await rec.attempt(`${name}: getAllChildrenNumber`, () => anon.getAllChildrenNumber(p));
        await rec.attempt(`${name}: setData`, () => anon.setData(p, data('x')));
        await rec.attempt(`${name}: create child`, () => anon.create(`${p}/kid`));
        await rec.attempt(`${name}: multiRead`, () => anon.multiRead([{ type: 4, req: { path: p, watch: false } }]));
        await rec.attempt(`${name}: check in multi`, () => anon.multi([{ type: 13, req: { path: p, version: -1 } } as MultiOp]));
        await rec.attempt(`${name}: setACL`, () => anon.setACL(p, [acl(perm(name), 'world', 'anyone')]));
      }
      // Delete needs DELETE on the parent, not on the node.
      await admin.create('/acl/nodelete', null, { acl: [acl(Perm.ALL & ~Perm.DELETE, 'world', 'anyone')] });
      await admin.create('/acl/nodelete/kid', null);
      await rec.attempt('delete without DELETE on parent', () => anon.delete('/acl/nodelete/kid'));
      await rec.attempt('delete with DELETE on parent, none on node', async () => {
        await admin.create('/acl/d/locked', null, { acl: [acl(Perm.READ, 'world', 'anyone')] });
        return anon.delete('/acl/d/locked');
      });

      // ip scheme: exact address and CIDR, and a network that does not match.
      await rec.attempt('ip exact', () => admin.create('/acl/ip1', data('i'), { acl: [acl(Perm.ALL, 'ip', '127.0.0.1')] }));
      await rec.attempt('ip exact read', () => anon.getData('/acl/ip1'));
      await rec.attempt('ip cidr', () => admin.create('/acl/ip2', data('i'), { acl: [acl(Perm.READ, 'ip', '127.0.0.0/8')] }));
      await rec.attempt('ip cidr read', () => anon.getData('/acl/ip2'));
      await rec.attempt('ip other net', () => admin.create('/acl/ip3', data('i'), { acl: [acl(Perm.READ, 'ip', '10.1.0.0/16')] }));
      await rec.attempt('ip other net read', () => anon.getData('/acl/ip3'));

      // digest: only the matching id gets in; addAuth with a wrong password just adds another id.
      await rec.attempt('digest node', () => admin.create('/acl/bob', data('b'), { acl: [acl(Perm.ALL, 'digest', digestId('bob:pw'))] }));
      await rec.attempt('digest anon read', () => anon.getData('/acl/bob'));
      await rec.attempt('digest bob read', () => bob.getData('/acl/bob'));
      await rec.attempt('wrong password auth', () => anon.addAuth('digest', data('bob:wrong')));
      await rec.attempt('digest wrong password read', () => anon.getData('/acl/bob'));
      await rec.attempt('bob whoAmI', async () => (await bob.whoAmI()).sort((a, b) => a.authScheme.localeCompare(b.authScheme)));

      // auth: expands to every authenticated id of the creator (ip is not one).
      await rec.attempt('auth scheme by bob', () => bob.create('/acl/auth', data('a'), { acl: [acl(Perm.READ | Perm.WRITE, 'auth', 'ignored')] }));
      await rec.attempt('auth scheme getACL', () => bob.getACL('/acl/auth'));
      await rec.attempt('auth scheme by anon', () => admin.create('/acl/auth2', null, { acl: [acl(Perm.ALL, 'auth', '')] }));
      await rec.attempt('duplicate ACL entries collapse', async () => {
        await admin.create('/acl/dup', null, { acl: [acl(Perm.ALL, 'world', 'anyone'), acl(Perm.ALL, 'world', 'anyone')] });
        return admin.getACL('/acl/dup');
      });
    });
    function perm(name: string): number {
      return { r: Perm.READ, w: Perm.WRITE, c: Perm.CREATE, d: Perm.DELETE, a: Perm.ADMIN }[name] ?? 0;
    }
  });

  it('masks digest hashes in getACL for a client without ADMIN; the super digest bypasses every check', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const carol = await rec.connect();
      const reader = await rec.connect();
      const root = await rec.connect();
      await carol.addAuth('digest', data('carol:pw'));
      await rec.attempt('create', () => carol.create('/mask', data('m'), {
        acl: [acl(Perm.ALL, 'digest', digestId('carol:pw')), acl(Perm.READ, 'world', 'anyone'), acl(Perm.READ, 'digest', digestId('dave:pw'))],
      }));
      await rec.attempt('getACL by owner (ADMIN)', () => carol.getACL('/mask'));
      await rec.attempt('getACL by reader (READ only)', () => reader.getACL('/mask'));
      await rec.attempt('super auth', () => root.addAuth('digest', data(SUPER_PASSWORD)));
      await rec.attempt('super whoAmI', async () => (await root.whoAmI()).sort((a, b) => `${a.authScheme}${a.user}`.localeCompare(`${b.authScheme}${b.user}`)));
      await rec.attempt('owner-only node', () => carol.create('/mask/private', data('p'), { acl: [acl(Perm.ALL, 'digest', digestId('carol:pw'))] }));
      await rec.attempt('super getData', () => root.getData('/mask/private'));
      await rec.attempt('super getACL unmasked', () => root.getACL('/mask/private'));
      await rec.attempt('super setData', () => root.setData('/mask/private', data('root was here')));
      await rec.attempt('super setACL', () => root.setACL('/mask/private', OPEN_ACL_UNSAFE));
      await rec.attempt('reader after setACL', () => reader.getData('/mask/private'));
      await rec.attempt('super create under owner-only', async () => {
        await carol.setACL('/mask/private', [acl(Perm.ALL, 'digest', digestId('carol:pw'))]);
        return root.create('/mask/private/kid', null, { flags: CreateFlag.EPHEMERAL });
      });
      await rec.attempt('super delete', () => root.delete('/mask/private/kid'));
    });
  });

  it('answers addAuth with an unknown scheme with AuthFailed and closes the connection', async (t) => {
    await sameOnBoth(t, pair, async (rec) => {
      const c = await rec.connect();
      await rec.attempt('addAuth nosuch', () => c.addAuth('nosuch', data('x')));
      await c.closed;
      rec.recordFrames('frames', c);
      rec.record('closed', c.isClosed);
    });
  });

  it('digest ACL: NoAuth without the identity, allowed with it or with super', async () => {
    const port = pair.ours.port;
    const owner = await NzkClient.connect(port);
    const stranger = await NzkClient.connect(port);
    const root = await NzkClient.connect(port);
    try {
      owner.addAuthInfo('digest', 'erin:pw');
      root.addAuthInfo('digest', SUPER_PASSWORD);
      const ownerOnly = [new nzk.ACL(Perm.ALL, new nzk.Id('digest', digestId('erin:pw')))];
      await owner.create('/nzk-acl', data('e'), nzk.CreateMode.PERSISTENT, ownerOnly);
      await assert.rejects(stranger.getData('/nzk-acl'), zkCode(ErrorCode.NOAUTH));
      await assert.rejects(stranger.setData('/nzk-acl', data('x')), zkCode(ErrorCode.NOAUTH));
      await assert.rejects(stranger.getACL('/nzk-acl'), zkCode(ErrorCode.NOAUTH));
      // exists needs READ too (ZOOKEEPER-2590, ZooKeeper 3.8.4+ and 3.9.2+).
      await assert.rejects(stranger.exists('/nzk-acl'), zkCode(ErrorCode.NOAUTH));
      assert.equal(await stranger.exists('/nzk-acl/none'), null, 'a missing node is no secret');
      assert.equal((await owner.getData('/nzk-acl')).data?.toString(), 'e');
      assert.equal((await root.getData('/nzk-acl')).data?.toString(), 'e');
      await assert.rejects(stranger.setACL('/nzk-acl', [new nzk.ACL(Perm.ALL, new nzk.Id('world', 'anyone'))]), zkCode(ErrorCode.NOAUTH));
      await assert.rejects(owner.create('/nzk-acl/bad', null, nzk.CreateMode.PERSISTENT, [new nzk.ACL(Perm.ALL, new nzk.Id('ip', 'not-an-ip'))]), zkCode(ErrorCode.INVALIDACL));
    } finally {
      owner.close();
      stranger.close();
      root.close();
    }
  });
});
