// TLS on the secure client port, through a real server process and real TLS sockets: the key and
// trust store types ZooKeeper reads (PEM, PKCS12, JKS; test/fixtures/tls, written by
// scripts/gen-test-certs.sh), ssl.clientAuth, x509 identities and ACLs, protocols and cipher
// suites in Java's names, zookeeper.client.certReload, and stores that cannot be used refused at
// start-up naming the key. (The Java client and kazoo over TLS: test/interop/tls-sasl.test.ts.)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, describe, it } from 'node:test';
import { ErrorCode, Perm } from '../../src/protocol/constants.js';
import { RawClient, RawZkError } from '../helpers/raw-client.js';
import { freePort, REPO_ROOT, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'tls');
const fixture = (name: string): string => path.join(FIXTURES, name);
const CA = readFileSync(fixture('ca.pem'), 'utf8');
const X509 = 'org.apache.zookeeper.server.auth.X509AuthenticationProvider';
const ALICE = 'CN=alice,OU=clients,O=zk-server tests,C=US';
const BOB = 'CN=bob,OU=clients,O=zk-server tests,C=US';

/** A client certificate from a PEM fixture (key then certificate). */
const clientCert = (name: string): tls.ConnectionOptions => {
  const pem = readFileSync(fixture(`${name}.pem`), 'utf8');
  return { key: pem, cert: pem };
};

interface Secure { zk: ZkServerHandle; port: number }

const servers: ZkServerHandle[] = [];
after(async () => { await Promise.all(servers.map((s) => s.stop())); });

async function startSecure(ssl: Record<string, string>, more: Record<string, string> = {}): Promise<Secure> {
  const port = await freePort();
  const zk = await startZkServer({
    extraConfig: {
      secureClientPort: String(port), secureClientPortAddress: '127.0.0.1', 'authProvider.1': X509,
      'ssl.keyStore.location': fixture('server.pem'), 'ssl.trustStore.location': fixture('truststore.pem'), ...ssl, ...more,
    },
  });
  servers.push(zk);
  return { zk, port };
}

const connect = (s: Secure, opts: tls.ConnectionOptions = {}): Promise<RawClient> =>
  RawClient.connect(s.port, { tls: { ca: CA, servername: 'localhost', ...opts } });

describe('secure client port', () => {
  for (const [type, ssl] of [
    ['PEM', { 'ssl.keyStore.location': fixture('server-encrypted.pem'), 'ssl.keyStore.password': 'server-pw' }],
    ['PKCS12', {
      'ssl.keyStore.location': fixture('server.p12'), 'ssl.keyStore.password': 'server-pw',
      'ssl.trustStore.location': fixture('truststore.p12'), 'ssl.trustStore.password': 'trust-pw',
    }],
    ['JKS', {
      'ssl.keyStore.location': fixture('server.jks'), 'ssl.keyStore.password': 'server-pw', 'ssl.keyStore.type': 'JKS',
      'ssl.trustStore.location': fixture('truststore.jks'), 'ssl.trustStore.password': 'trust-pw',
    }],
  ] as const) {
    it(`serves with ${type} key and trust stores; the client certificate's subject is its x509 id`, async () => {
      const s = await startSecure(ssl);
      const c = await connect(s, clientCert('client'));
      try {
        assert.equal((c.socket as tls.TLSSocket).getPeerX509Certificate()?.subject.includes('CN=127.0.0.1'), true);
        const ids = await c.whoAmI();
        assert.deepEqual(ids.filter((i) => i.authScheme === 'x509'), [{ authScheme: 'x509', user: ALICE }]);
        await c.create('/over-tls', Buffer.from('x'));
        assert.equal((await c.getData('/over-tls')).data?.toString(), 'x');
      } finally {
        c.destroy();
      }
      // The plain client port still serves beside it.
      const plain = await RawClient.connect(s.zk.port);
      assert.equal((await plain.getData('/over-tls')).data?.toString(), 'x');
      plain.destroy();
    });
  }

  it('clientAuth=need (the default) refuses a client without a certificate, or with one the trust store does not vouch for', async () => {
    const s = await startSecure({});
    await assert.rejects(connect(s));
    await assert.rejects(connect(s, clientCert('stranger')));
    const c = await connect(s, clientCert('client2'));
    c.destroy();
    const mntr = await fetchMntr(s.zk.port);
    assert.ok(Number(mntr.get('zk_auth_failed_count')) >= 2, 'failed handshakes count as auth failures');
    assert.ok(Number(mntr.get('zk_unsuccessful_handshake')) >= 2);
  });

  it('clientAuth=want takes a client without a certificate (no x509 id) and still refuses an untrusted one', async () => {
    const s = await startSecure({ 'ssl.clientAuth': 'want' });
    const anon = await connect(s);
    assert.deepEqual((await anon.whoAmI()).filter((i) => i.authScheme === 'x509'), []);
    anon.destroy();
    await assert.rejects(async () => {
      const c = await connect(s, clientCert('stranger'));
      try { await c.ping(); } finally { c.destroy(); }
    });
  });

  it('clientAuth=none asks for no certificate', async () => {
    const s = await startSecure({ 'ssl.clientAuth': 'none' });
    const c = await connect(s);
    assert.deepEqual((await c.whoAmI()).filter((i) => i.authScheme === 'x509'), []);
    c.destroy();
  });

  it('enforces x509 ACLs; X509AuthenticationProvider.superUser is super', async () => {
    const s = await startSecure({}, { 'zookeeper.X509AuthenticationProvider.superUser': 'CN=root,O=nobody' });
    const alice = await connect(s, clientCert('client'));
    const bob = await connect(s, clientCert('client2'));
    try {
      await alice.create('/alice-only', Buffer.from('secret'), { acl: [{ perms: Perm.ALL, id: { scheme: 'x509', id: ALICE } }] });
      assert.equal((await alice.getData('/alice-only')).data?.toString(), 'secret');
      await assert.rejects(bob.getData('/alice-only'), (e: RawZkError) => e.code === ErrorCode.NOAUTH);
      // auth:: expands to the x509 id too.
      await bob.create('/bob-auth', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'auth', id: '' } }] });
      assert.deepEqual((await bob.getACL('/bob-auth')).acl, [{ perms: Perm.ALL, id: { scheme: 'x509', id: BOB } }]);
      await assert.rejects(alice.create('/bad', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'x509', id: 'not a name' } }] }),
        (e: RawZkError) => e.code === ErrorCode.INVALIDACL);
    } finally {
      alice.destroy();
      bob.destroy();
    }
    const s2 = await startSecure({}, { 'zookeeper.X509AuthenticationProvider.superUser': BOB });
    const a2 = await connect(s2, clientCert('client'));
    const b2 = await connect(s2, clientCert('client2'));
    try {
      await a2.create('/alice-only', Buffer.from('secret'), { acl: [{ perms: Perm.ALL, id: { scheme: 'x509', id: ALICE } }] });
      assert.equal((await b2.getData('/alice-only')).data?.toString(), 'secret');
      assert.ok((await b2.whoAmI()).some((i) => i.authScheme === 'super'));
    } finally {
      a2.destroy();
      b2.destroy();
    }
  });

  it('refuses x509 ACLs and closes certificate-bearing clients when no X509AuthenticationProvider is loaded, as ZooKeeper does', async () => {
    const s = await startSecure({ 'ssl.clientAuth': 'want' }, { 'authProvider.1': 'org.apache.zookeeper.server.auth.DigestAuthenticationProvider' });
    await assert.rejects(async () => {
      const c = await connect(s, clientCert('client'));
      try { await c.ping(); } finally { c.destroy(); }
    });
    const anon = await connect(s);
    await assert.rejects(anon.create('/x', null, { acl: [{ perms: Perm.ALL, id: { scheme: 'x509', id: ALICE } }] }),
      (e: RawZkError) => e.code === ErrorCode.INVALIDACL);
    anon.destroy();
  });

  it('speaks only the protocols and cipher suites configured, named as Java names them', async () => {
    const s = await startSecure({ 'ssl.protocol': 'TLSv1.2', 'ssl.ciphersuites': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' });
    const c = await connect(s, clientCert('client'));
    const socket = c.socket as tls.TLSSocket;
    assert.equal(socket.getProtocol(), 'TLSv1.2');
    assert.equal(socket.getCipher().standardName, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    c.destroy();
    await assert.rejects(connect(s, { ...clientCert('client'), minVersion: 'TLSv1.3' }));
    const t13 = await startSecure({ 'ssl.enabledProtocols': 'TLSv1.3' });
    await assert.rejects(connect(t13, { ...clientCert('client'), maxVersion: 'TLSv1.2' }));
    const c13 = await connect(t13, clientCert('client'));
    assert.equal((c13.socket as tls.TLSSocket).getProtocol(), 'TLSv1.3');
    c13.destroy();
  });

  it('picks up a key store replaced on disk with zookeeper.client.certReload, as FileChangeWatcher does', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-tls-reload-'));
    try {
      const keyStore = path.join(dir, 'server.pem');
      copyFileSync(fixture('server.pem'), keyStore);
      const s = await startSecure({ 'ssl.keyStore.location': keyStore }, { 'zookeeper.client.certReload': 'true' });
      const fingerprint = async (): Promise<string> => {
        const c = await connect(s, clientCert('client'));
        const f = (c.socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
        c.destroy();
        return f;
      };
      const before = await fingerprint();
      const rotated = readFileSync(fixture('server-rotated.pem'));
      writeFileSync(keyStore, rotated);
      const expected = new (await import('node:crypto')).X509Certificate(rotated).fingerprint256;
      const deadline = Date.now() + 10_000;
      let now = before;
      while (now !== expected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        now = await fingerprint();
      }
      assert.notEqual(before, expected);
      assert.equal(now, expected);
      assert.match(s.zk.stderr(), /key and trust stores reloaded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function fetchMntr(port: number): Promise<Map<string, string>> {
  const { fourLetter } = await import('../helpers/zk-server.js');
  return new Map((await fourLetter(port, 'mntr')).trim().split('\n').map((l) => l.split('\t') as [string, string]));
}

describe('key and trust stores that cannot be used', () => {
  const CLI_MAIN = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-tls-bad-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refusal = (ssl: Record<string, string>): string => {
    const cfg = {
      dataDir: path.join(dir, 'data'), clientPort: '2181', secureClientPort: '2281', 'admin.enableServer': 'false', ...ssl,
    };
    writeFileSync(path.join(dir, 'zoo.cfg'), Object.entries(cfg).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const r = spawnSync(process.execPath, [CLI_MAIN, '--config', path.join(dir, 'zoo.cfg'), '--storage', 'memory'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    return r.stderr;
  };

  it('names the key: wrong password, missing file, not a store, unknown type, no trust store for clientAuth', () => {
    for (const [file, type] of [['server.p12', 'PKCS12'], ['server.jks', 'JKS'], ['server-encrypted.pem', 'PEM']]) {
      assert.match(refusal({ 'ssl.keyStore.location': fixture(file), 'ssl.keyStore.password': 'wrong', 'ssl.trustStore.location': fixture('ca.pem') }),
        new RegExp(`zk-server: ssl\\.keyStore\\.password: cannot open .*${file.replace('.', '\\.')} with the password given`), type);
    }
    assert.match(refusal({ 'ssl.keyStore.location': path.join(dir, 'nope.pem'), 'ssl.trustStore.location': fixture('ca.pem') }),
      /zk-server: ssl\.keyStore\.location: cannot read .*nope\.pem: no such file/);
    assert.match(refusal({ 'ssl.keyStore.location': fixture('server.pem'), 'ssl.trustStore.location': fixture('ca.pem'), 'ssl.trustStore.type': 'JKS' }),
      /zk-server: ssl\.trustStore\.location: .*ca\.pem is not a valid JKS store/);
    assert.match(refusal({ 'ssl.keyStore.location': fixture('ca.pem'), 'ssl.trustStore.location': fixture('ca.pem') }),
      /zk-server: ssl\.keyStore\.location: .*ca\.pem is not a valid PEM store: no private key/);
    writeFileSync(path.join(dir, 'store.bin'), 'x');
    assert.match(refusal({ 'ssl.keyStore.location': path.join(dir, 'store.bin') }), /zk-server: ssl\.keyStore\.type: not set, and the type of .*store\.bin cannot be told/);
    assert.match(refusal({ 'ssl.keyStore.location': fixture('server.pem') }), /zk-server: ssl\.trustStore\.location: not set, and ssl\.clientAuth=need needs one/);
    assert.match(refusal({ 'ssl.keyStore.location': fixture('server.pem'), 'ssl.clientAuth': 'maybe' }), /ssl\.clientAuth: expected none, want or need, got "maybe"/);
    assert.match(refusal({ 'ssl.keyStore.location': fixture('server.pem'), 'ssl.clientAuth': 'none', 'ssl.ciphersuites': 'TLS_FOO_WITH_BAR' }),
      /zk-server: ssl\.ciphersuites: unknown or unsupported cipher suite "TLS_FOO_WITH_BAR"/);
    assert.match(refusal({ 'ssl.keyStore.location': fixture('server.pem'), 'ssl.keyStore.type': 'BCFKS' }), /ssl\.keyStore\.type: BCFKS stores need/);
  });
});
