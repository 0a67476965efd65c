// Real clients on zk-server's secure port and through SASL: Apache ZooKeeper's Java client
// (zookeeper.client.secure=true, the Netty socket, a JAAS Client section) and kazoo (use_ssl,
// sasl_options with pure-sasl), from Debian's packages. TLS with PEM, PKCS12 and JKS stores on
// both sides, clientAuth=need refusing a client without a certificate, x509 ACLs; SASL DIGEST-MD5
// with the JAAS file given as ZooKeeper users give it (SERVER_JVMFLAGS), a wrong password refused,
// sasl ACLs enforced, and sessionRequireClientSASLAuth closing unauthenticated connections.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/constants.js';
import { RawClient, RawZkError } from '../helpers/raw-client.js';
import { freePort, REPO_ROOT, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, javaMissingReason } from './apache-zk.js';
import { compileDriver, runSecureProbe } from './java-driver.js';
import { runProcess } from './run-process.js';

const skip = javaMissingReason();
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'tls');
const fixture = (name: string): string => path.join(FIXTURES, name);
/** Debian's Python, where python3-kazoo and python3-pure-sasl install (not a pyenv one on PATH). */
const PYTHON = '/usr/bin/python3';
const ALICE = 'CN=alice,OU=clients,O=zk-server tests,C=US';
const BOB = 'CN=bob,OU=clients,O=zk-server tests,C=US';
const X509 = 'org.apache.zookeeper.server.auth.X509AuthenticationProvider';
const SASL = 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider';

const servers: ZkServerHandle[] = [];
let dir = '';
let classes = '';

before(async () => {
  if (skip) return;
  assertZooKeeperInstalled();
  dir = mkdtempSync(path.join(os.tmpdir(), 'zk-tls-sasl-'));
  classes = await compileDriver();
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Runs a kazoo script (its stdout's lines); `ZK` is the connect string in it. */
async function kazoo(script: string, hostPort: string): Promise<string[]> {
  const r = await runProcess(PYTHON, ['-c', script, hostPort], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kazoo failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const javaTls = (keyStore: string, password: string, trustStore: string, trustPassword: string): Record<string, string> => ({
  'zookeeper.client.secure': 'true',
  'zookeeper.clientCnxnSocket': 'org.apache.zookeeper.ClientCnxnSocketNetty',
  ...(keyStore !== '' ? { 'zookeeper.ssl.keyStore.location': keyStore, 'zookeeper.ssl.keyStore.password': password } : {}),
  'zookeeper.ssl.trustStore.location': trustStore,
  'zookeeper.ssl.trustStore.password': trustPassword,
  'zookeeper.sasl.client': 'false',
});

describe('TLS with the Java client and kazoo', { skip: skip ?? false, timeout: 300_000 }, () => {
  for (const [type, serverStores, clientStore] of [
    ['PEM', { 'ssl.keyStore.location': fixture('server.pem'), 'ssl.trustStore.location': fixture('truststore.pem') }, ['client.pem', '']],
    ['PKCS12', {
      'ssl.keyStore.location': fixture('server.p12'), 'ssl.keyStore.password': 'server-pw',
      'ssl.trustStore.location': fixture('truststore.p12'), 'ssl.trustStore.password': 'trust-pw',
    }, ['client.p12', 'client-pw']],
    ['JKS', {
      'ssl.keyStore.location': fixture('server.jks'), 'ssl.keyStore.password': 'server-pw',
      'ssl.trustStore.location': fixture('truststore.jks'), 'ssl.trustStore.password': 'trust-pw',
    }, ['client.jks', 'client-pw']],
  ] as const) {
    it(`${type} stores: the Java client and kazoo connect with certificates, authenticate as x509 and meet x509 ACLs`, async () => {
      const securePort = await freePort();
      const zk = await startZkServer({
        extraConfig: { secureClientPort: String(securePort), secureClientPortAddress: '127.0.0.1', 'authProvider.1': X509, ...serverStores },
      });
      servers.push(zk);
      const hostPort = `127.0.0.1:${securePort}`;
      const trust = type === 'PEM' ? [fixture('ca.pem'), ''] : [fixture(type === 'PKCS12' ? 'truststore.p12' : 'truststore.jks'), 'trust-pw'];
      const alice = javaTls(fixture(clientStore[0]), clientStore[1], trust[0], trust[1]);
      const out = await runSecureProbe(classes, hostPort, alice, ['whoami', `create:/tls-${type}:x509:${ALICE}`, `get:/tls-${type}`]);
      assert.equal(out[0], 'state SyncConnected');
      assert.ok(out.includes(`whoami x509:${ALICE}`), out.join('\n'));
      assert.deepEqual(out.slice(-2), [`create /tls-${type} ok`, `get /tls-${type} x`]);
      const bob = javaTls(fixture(clientStore[0].replace('client', 'client2')), clientStore[1].replace('client', 'client2'), trust[0], trust[1]);
      assert.deepEqual((await runSecureProbe(classes, hostPort, bob, [`get:/tls-${type}`])).slice(1), [`get /tls-${type} NOAUTH`]);

      const lines = await kazoo([
        'import sys, ssl',
        'from kazoo.client import KazooClient',
        'from kazoo.security import ACL, Id, Permissions',
        `zk = KazooClient(hosts=sys.argv[1], use_ssl=True, verify_certs=True, ca=${JSON.stringify(fixture('ca.pem'))},`,
        `                 certfile=${JSON.stringify(fixture('client2.pem'))}, keyfile=${JSON.stringify(fixture('client2.pem'))})`,
        'zk.start(timeout=15)',
        `zk.create("/kazoo-${type}", b"k", acl=[ACL(Permissions.ALL, Id("x509", ${JSON.stringify(BOB)}))])`,
        `print("get", zk.get("/kazoo-${type}")[0].decode())`,
        'try:',
        `    zk.get("/tls-${type}")`,
        'except Exception as e:',
        '    print("denied", type(e).__name__)',
        'zk.stop()',
      ].join('\n'), hostPort);
      assert.deepEqual(lines, ['get k', 'denied NoAuthError']);
    });
  }

  it('clientAuth=need: a Java client without a certificate never connects', async () => {
    const securePort = await freePort();
    const zk = await startZkServer({
      extraConfig: {
        secureClientPort: String(securePort), 'authProvider.1': X509,
        'ssl.keyStore.location': fixture('server.pem'), 'ssl.trustStore.location': fixture('truststore.pem'),
      },
    });
    servers.push(zk);
    await assert.rejects(
      runSecureProbe(classes, `127.0.0.1:${securePort}`, { ...javaTls('', '', fixture('truststore.jks'), 'trust-pw'), 'probe.waitMs': '4000' }, ['whoami']),
      /exited 3/,
    );
    const kz = await runProcess(PYTHON, ['-c', [
      'import sys',
      'from kazoo.client import KazooClient',
      `zk = KazooClient(hosts=sys.argv[1], use_ssl=True, verify_certs=True, ca=${JSON.stringify(fixture('ca.pem'))})`,
      'zk.start(timeout=4)',
    ].join('\n'), `127.0.0.1:${securePort}`], { timeoutMs: 60_000 });
    assert.notEqual(kz.code, 0);
    assert.match(kz.stderr, /Timeout|timed out|Connection/i);
  });
});

describe('SASL DIGEST-MD5 with the Java client and kazoo', { skip: skip ?? false, timeout: 300_000 }, () => {
  const jaas = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const serverJaas = (): string => jaas('server.jaas', [
    '// the users DIGEST-MD5 knows',
    'Server {',
    '  org.apache.zookeeper.server.auth.DigestLoginModule required',
    '  user_super="adminsecret"',
    '  user_bob="bobsecret";',
    '};',
  ].join('\n'));
  const clientJaas = (user: string, password: string): string => jaas(`client-${user}-${password}.jaas`,
    `Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="${user}"\n  password="${password}";\n};\n`);

  it('authenticates bob as sasl:bob, refuses a wrong password, and enforces sasl ACLs', async () => {
    const zk = await startZkServer({
      extraConfig: { 'authProvider.1': SASL },
      env: { SERVER_JVMFLAGS: `-Djava.security.auth.login.config=${serverJaas()}` },
    });
    servers.push(zk);
    const hostPort = `127.0.0.1:${zk.port}`;
    const bob = await runSecureProbe(classes, hostPort, { 'probe.sasl': 'true', 'java.security.auth.login.config': clientJaas('bob', 'bobsecret') },
      ['whoami', 'create:/sasl-bob:sasl:bob', 'get:/sasl-bob']);
    assert.equal(bob[0], 'state SaslAuthenticated');
    assert.ok(bob.includes('whoami sasl:bob'), bob.join('\n'));
    assert.deepEqual(bob.slice(-2), ['create /sasl-bob ok', 'get /sasl-bob x']);

    const wrong = await runSecureProbe(classes, hostPort, { 'probe.sasl': 'true', 'java.security.auth.login.config': clientJaas('bob', 'nope') });
    assert.deepEqual(wrong, ['state AuthFailed']);
    const stranger = await runSecureProbe(classes, hostPort, { 'probe.sasl': 'true', 'java.security.auth.login.config': clientJaas('mallory', 'bobsecret') });
    assert.deepEqual(stranger, ['state AuthFailed']);
    const anonymous = await runSecureProbe(classes, hostPort, { 'zookeeper.sasl.client': 'false' }, ['get:/sasl-bob']);
    assert.deepEqual(anonymous, ['state SyncConnected', 'get /sasl-bob NOAUTH']);

    const lines = await kazoo([
      'import sys',
      'from kazoo.client import KazooClient',
      'from kazoo.security import ACL, Id, Permissions',
      'zk = KazooClient(hosts=sys.argv[1], sasl_options={"mechanism": "DIGEST-MD5", "username": "bob", "password": "bobsecret"})',
      'zk.start(timeout=15)',
      'print("get", zk.get("/sasl-bob")[0].decode())',
      'zk.create("/sasl-kazoo", b"k", acl=[ACL(Permissions.ALL, Id("sasl", "bob"))])',
      'print("get", zk.get("/sasl-kazoo")[0].decode())',
      'zk.stop()',
      // The refusal reaches kazoo either after start() returned (the get fails) or before it saw
      // the connection up: start() then gives up at once with its time-out error, long before 15 s.
      'import time',
      'bad = KazooClient(hosts=sys.argv[1], sasl_options={"mechanism": "DIGEST-MD5", "username": "bob", "password": "wrong"})',
      'began = time.monotonic()',
      'try:',
      '    bad.start(timeout=15)',
      '    bad.get("/sasl-bob")',
      '    print("wrong password got in")',
      'except Exception as e:',
      '    print("refused", type(e).__name__, "at once" if time.monotonic() - began < 10 else "after a wait")',
      'bad.stop()',
    ].join('\n'), hostPort);
    assert.equal(lines[0], 'get x');
    assert.equal(lines[1], 'get k');
    assert.match(lines[2], /^refused (ConnectionClosedError|SessionExpiredError|AuthFailedError|KazooTimeoutError) at once$/);
  });

  it('sessionRequireClientSASLAuth: a request before SASL is answered SESSIONCLOSEDREQUIRESASLAUTH and its connection closed', async () => {
    const zk = await startZkServer({
      extraConfig: { 'authProvider.1': SASL, 'zookeeper.sessionRequireClientSASLAuth': 'true' },
      env: { SERVER_JVMFLAGS: `-Djava.security.auth.login.config=${serverJaas()}` },
    });
    servers.push(zk);
    const raw = await RawClient.connect(zk.port);
    await assert.rejects(raw.getData('/'), (e: RawZkError) => e.code === ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH);
    await raw.closed;
    const bob = await runSecureProbe(classes, `127.0.0.1:${zk.port}`, { 'probe.sasl': 'true', 'java.security.auth.login.config': clientJaas('bob', 'bobsecret') },
      ['create:/required:sasl:bob', 'get:/required']);
    assert.deepEqual(bob, ['state SaslAuthenticated', 'create /required ok', 'get /required x']);
  });
});
