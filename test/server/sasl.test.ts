// SASL DIGEST-MD5 as ZooKeeper's server speaks it: the exchange against vectors recorded from Apache
// ZooKeeper 3.8 and its Java client, the JAAS file as Java's ConfigFile reads it, start-up checks
// that name the key, and a real server process driven over the SASL opcode by a raw client.
// (The Java client and kazoo: test/interop/tls-sasl.test.ts.)

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { JuteReader } from '../../src/jute/reader.js';
import { ErrorCode, OpCode } from '../../src/protocol/constants.js';
import { DigestMd5Server, parseDirectives, SaslFailure } from '../../src/server/sasl/digest-md5.js';
import { JaasSyntaxError, parseJaas } from '../../src/server/sasl/jaas.js';
import { loadSasl } from '../../src/server/sasl/setup.js';
import type { SaslSettings } from '../../src/config/types.js';
import { RawClient, RawZkError } from '../helpers/raw-client.js';
import { startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';

const USERS = new Map([['bob', 'bobsecret']]);
const response = (nonce: string, cnonce: string, resp: string, extra = ''): Buffer => Buffer.from(
  `charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="${nonce}",nc=00000001,cnonce="${cnonce}",` +
  `digest-uri="zookeeper/zk-sasl-md5",maxbuf=65536,response=${resp},qop=auth${extra}`);

describe('DIGEST-MD5 server', () => {
  // Recorded from Apache ZooKeeper 3.8 with pure-sasl (no authzid) and with the Java client (authzid).
  for (const [nonce, cnonce, authzid, resp, rspauth] of [
    ['bUaFecodP1LbVNsIuNVPykI4JqbrUvuGMKTEpH2v', 'OA6MHXh6VqTrRk', '', '48485b62a6d9da51adb9d0a1002db353', '164f06420cd575c60d820dbfdeb389c6'],
    ['EBd57inu/1JDGDjiGA55zV4yK0BXvxPlxd+j5PXJ', 'IjKJTL0lXnuYWokYnqjanKIJFPNaeSA8DaOsCeuG', ',authzid="bob"', '7f06fb7a1450fff3916017bb63d58cba', '358c48e2f85d9763ce8a3d18325e64c7'],
  ]) {
    it(`challenges, checks the response and answers rspauth as ZooKeeper did (${authzid === '' ? 'pure-sasl' : 'Java client'})`, () => {
      const s = new DigestMd5Server(USERS, () => nonce);
      assert.equal(s.evaluate(Buffer.alloc(0)).token.toString(), `realm="zk-sasl-md5",nonce="${nonce}",charset=utf-8,algorithm=md5-sess`);
      const r = s.evaluate(response(nonce, cnonce, resp, authzid));
      assert.equal(r.token.toString(), `rspauth=${rspauth}`);
      assert.equal(r.user, 'bob');
      assert.ok(s.complete);
      assert.throws(() => s.evaluate(Buffer.alloc(0)), SaslFailure);
    });
  }

  it('refuses a wrong response, an unknown user, another realm or uri, qop auth-int and repeated directives', () => {
    const nonce = 'n0nce';
    const fresh = (): DigestMd5Server => {
      const s = new DigestMd5Server(USERS, () => nonce);
      s.evaluate(Buffer.alloc(0));
      return s;
    };
    assert.throws(() => fresh().evaluate(response(nonce, 'c', '00000000000000000000000000000000')), /does not match/);
    assert.throws(() => fresh().evaluate(Buffer.from(response(nonce, 'c', 'x').toString().replace('"bob"', '"mallory"'))), /no such user/);
    assert.throws(() => fresh().evaluate(Buffer.from(response(nonce, 'c', 'x').toString().replace('realm="zk-sasl-md5"', 'realm="other"'))), /realm/);
    assert.throws(() => fresh().evaluate(Buffer.from(response(nonce, 'c', 'x').toString().replace('zookeeper/zk-sasl-md5', 'ldap/x'))), /digest-uri/);
    assert.throws(() => fresh().evaluate(Buffer.from(response(nonce, 'c', 'x').toString().replace('qop=auth', 'qop=auth-int'))), /does not support qop/);
    assert.throws(() => parseDirectives('username="a",username="b"'), /more than one username/);
    assert.deepEqual([...parseDirectives('Username="a\\"b", qop=auth ,,nc=00000001, x-unknown=1')], [['username', 'a"b'], ['qop', 'auth']]);
  });
});

describe('JAAS file', () => {
  it('reads sections, flags, quoted and bare values, and Java\'s comments', () => {
    const s = parseJaas([
      '/* the server */ Server {',
      '  org.apache.zookeeper.server.auth.DigestLoginModule Required',
      '    user_super="admin\\"secret" // a comment',
      '    user_bob=bobsecret;',
      '};',
      'Client { x.Y optional; }; / a lone slash starts a comment too',
    ].join('\n'));
    const server = s.get('Server');
    assert.equal(server?.[0].flag, 'required');
    assert.deepEqual([...(server?.[0].options ?? [])], [['user_super', 'admin"secret'], ['user_bob', 'bobsecret']]);
    assert.deepEqual(s.get('Client')?.[0], { module: 'x.Y', flag: 'optional', options: new Map() });
  });

  it('reports errors as Java does', () => {
    assert.throws(() => parseJaas('Server { a.B required x=1; };'), (e: Error) => e instanceof JaasSyntaxError && /Line 1: expected \[option value\], found \[1\]/.test(e.message));
    assert.throws(() => parseJaas('Server { a.B maybe; };'), /Invalid control flag, MAYBE/);
    assert.throws(() => parseJaas('Server { a.B required; }'), /expected \[;\], read \[end of file\]/);
    assert.throws(() => parseJaas('S { a.B required; };\nS { a.B required; };'), /Can not specify multiple entries for S/);
  });
});

describe('SASL start-up checks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-sasl-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const settings = (s: Partial<SaslSettings>): SaslSettings => ({
    jaasFile: null, section: 'Server', superUsers: new Map(), superPassword: null, sessionRequireClientSASLAuth: false,
    enforceAuthEnabled: false, enforceAuthSchemes: [], allowSaslFailedClients: false, letAnySaslUserDoX: null,
    removeHostFromPrincipal: false, removeRealmFromPrincipal: false, ...s,
  });
  const file = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };

  it('takes DigestLoginModule users; no section means no SASL; Kerberos and unknown modules are refused naming the key', () => {
    const ok = file('ok.jaas', 'Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob="b"; };');
    assert.deepEqual([...(loadSasl(settings({ jaasFile: ok, superPassword: 'sp' }), ['sasl']).passwords ?? [])], [['bob', 'b'], ['super', 'sp']]);
    assert.equal(loadSasl(settings({ jaasFile: ok, section: 'Other' }), ['sasl']).passwords, null);
    const krb = file('krb.jaas', 'Server { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="zk/h@R"; };');
    assert.throws(() => loadSasl(settings({ jaasFile: krb }), ['sasl']), /^KeyedConfigError: java\.security\.auth\.login\.config: .*Kerberos .* GSSAPI is not supported/);
    const other = file('other.jaas', 'Server { com.example.Login required; };');
    assert.throws(() => loadSasl(settings({ jaasFile: other }), ['sasl']), /java\.security\.auth\.login\.config: .*no LoginModule com\.example\.Login/);
    const bad = file('bad.jaas', 'Server { oops');
    assert.throws(() => loadSasl(settings({ jaasFile: bad }), ['sasl']), /java\.security\.auth\.login\.config: .*bad\.jaas: expected/);
    assert.throws(() => loadSasl(settings({ jaasFile: path.join(dir, 'missing.jaas') }), ['sasl']), /java\.security\.auth\.login\.config: cannot read .*missing\.jaas: no such file/);
  });

  it('checks enforcement: schemes listed and loaded', () => {
    assert.throws(() => loadSasl(settings({ enforceAuthEnabled: true }), []), /enforce\.auth\.schemes: enforce\.auth\.enabled is true/);
    assert.throws(() => loadSasl(settings({ sessionRequireClientSASLAuth: true }), []), /sessionRequireClientSASLAuth: authentication scheme sasl is not available \(load it with authProvider/);
    assert.deepEqual(loadSasl(settings({ enforceAuthEnabled: true, enforceAuthSchemes: ['digest'] }), []).enforcedSchemes, ['digest']);
    assert.equal(loadSasl(settings({ sessionRequireClientSASLAuth: true, enforceAuthEnabled: true, enforceAuthSchemes: ['digest'] }), ['sasl']).saslRequired, true);
  });
});

/** The DIGEST-MD5 client side, as ZooKeeper's Java client computes it. */
function digestResponse(challenge: string, user: string, password: string): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] ?? '';
  const cnonce = 'c-nonce';
  const uri = 'zookeeper/zk-sasl-md5';
  const md5 = (...p: Array<string | Buffer>): Buffer => { const h = createHash('md5'); for (const x of p) h.update(x); return h.digest(); };
  const ha1 = md5(md5(`${user}:zk-sasl-md5:${password}`), `:${nonce}:${cnonce}`).toString('hex');
  const resp = md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${md5(`AUTHENTICATE:${uri}`).toString('hex')}`).toString('hex');
  return `charset=utf-8,username="${user}",realm="zk-sasl-md5",nonce="${nonce}",nc=00000001,cnonce="${cnonce}",digest-uri="${uri}",response=${resp},qop=auth`;
}

async function sasl(c: RawClient, token: string): Promise<Buffer | null> {
  const r = await c.request(OpCode.sasl, (w) => { w.writeBuffer(Buffer.from(token)); });
  if (r.header.err !== 0) throw new RawZkError(r.header.err, OpCode.sasl);
  return (r.body as JuteReader).readBuffer();
}

describe('SASL on a running server', () => {
  const servers: ZkServerHandle[] = [];
  after(async () => { await Promise.all(servers.map((s) => s.stop())); });

  it('authenticates over the SASL opcode, closes the connection on a wrong password, and enforces sessionRequireClientSASLAuth', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-sasl-run-'));
    try {
      const jaas = path.join(dir, 'server.jaas');
      writeFileSync(jaas, 'Server {\n org.apache.zookeeper.server.auth.DigestLoginModule required\n user_bob="bobsecret";\n};\n');
      const zk = await startZkServer({
        extraConfig: {
          'authProvider.1': 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
          sessionRequireClientSASLAuth: 'true', 'java.security.auth.login.config': jaas, 'zookeeper.superUser': 'bob',
        },
      });
      servers.push(zk);
      const c = await RawClient.connect(zk.port);
      const challenge = (await sasl(c, ''))?.toString() ?? '';
      assert.match(challenge, /^realm="zk-sasl-md5",nonce="[A-Za-z0-9+/=]+",charset=utf-8,algorithm=md5-sess$/);
      assert.match((await sasl(c, digestResponse(challenge, 'bob', 'bobsecret')))?.toString() ?? '', /^rspauth=[0-9a-f]{32}$/);
      assert.deepEqual((await c.whoAmI()).map((i) => `${i.authScheme}:${i.user}`).sort(), ['ip:127.0.0.1', 'sasl:bob', 'super:']);
      await c.create('/after-sasl');
      c.destroy();

      const bad = await RawClient.connect(zk.port);
      const ch2 = (await sasl(bad, ''))?.toString() ?? '';
      await assert.rejects(sasl(bad, digestResponse(ch2, 'bob', 'wrong')), (e: RawZkError) => e.code === ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH);
      await bad.closed;

      // A SASL request whose token is cut short closes that connection; the server goes on.
      const cut = await RawClient.connect(zk.port);
      await assert.rejects(cut.request(OpCode.sasl, (w) => { w.writeInt(1000); }));
      await cut.closed;

      const none = await RawClient.connect(zk.port);
      await assert.rejects(none.getData('/after-sasl'), (e: RawZkError) => e.code === ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH);
      await none.closed;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
