// loadServerConfig: the zk-server command line over a real config file in a temporary directory.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServerConfig, ConfigError, SERVER_USAGE, type ServerConfig } from '../../src/config/index.js';

let dir = '';
const noEnv = {};

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zk-config-'));
  writeFileSync(path.join(dir, 'zoo.cfg'), 'tickTime=2000\ndataDir=./data\nclientPort=2181\nsnapCount=500\n');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function start(argv: string[], env: NodeJS.ProcessEnv = noEnv): ServerConfig {
  const result = loadServerConfig(argv, env, { cwd: dir });
  assert.equal(result.command, 'start');
  assert.ok(result.config !== null);
  return result.config;
}

function assertConfigError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof ConfigError && message.test(err.message) ? true : assert.fail(String(err)));
}

test('--config, -c and a bare path all name the file', () => {
  for (const argv of [['--config', 'zoo.cfg'], ['-c', 'zoo.cfg'], ['zoo.cfg'], ['--config', 'zoo.cfg', 'zoo.cfg']]) {
    const c = start(argv);
    assert.equal(c.tickTime, 2000);
    assert.equal(c.dataDir, path.join(dir, 'data'));
    assert.equal(c.sourceFile, path.join(dir, 'zoo.cfg'));
  }
});

test('flags override the file', () => {
  const c = start(['zoo.cfg', '--port', '3181', '--data-dir', '/var/zk', '--data-log-dir', 'log', '--storage', 'level']);
  assert.equal(c.clientPort, 3181);
  assert.equal(c.dataDir, '/var/zk');
  assert.equal(c.dataLogDir, path.join(dir, 'log'));
  assert.equal(c.storage, 'level');
  assert.equal(c.raw.get('clientPort'), '3181');
  assert.deepEqual(c.warnings, []); // a relative --data-log-dir is not the file's relative path warning
});

test('-D arguments set zoo.cfg keys and system properties, over the file', () => {
  const c = start(['zoo.cfg', '-Dzookeeper.snapCount=7', '-D', 'jute.maxbuffer=0x100000', '--define', 'tickTime=100',
    '-Dzookeeper.4lw.commands.whitelist=*', '-DDigestAuthenticationProvider.superDigest=super:abc=']);
  assert.equal(c.snapCount, 7);
  assert.equal(c.maxBufferBytes, 0x100000);
  assert.equal(c.tickTime, 100);
  assert.ok(c.fourLetterWordWhitelist.has('mntr'));
  assert.equal(c.superDigest, 'super:abc=');
  assert.equal(c.raw.get('zookeeper.snapCount'), '7');
});

test('-D from JVMFLAGS/SERVER_JVMFLAGS applies, but the file wins over it as in ZooKeeper', () => {
  const c = start(['zoo.cfg'], { JVMFLAGS: '-Xmx1g -Dzookeeper.snapCount=9 -Dzookeeper.preAllocSize=16', SERVER_JVMFLAGS: '-Dzookeeper.forceSync=no' });
  assert.equal(c.snapCount, 500);
  assert.equal(c.preAllocSizeKb, 16);
  assert.equal(c.forceSync, false);
  // JVM flags carry properties for the JVM and logging: those are not config mistakes.
  const quiet = start(['zoo.cfg'], { SERVER_JVMFLAGS: '-Dlog4j.configuration=file:l.xml -Djava.net.preferIPv4Stack=true' });
  assert.deepEqual(quiet.warnings, []);
  // On our own command line, an unknown -D is worth a warning.
  const loud = start(['zoo.cfg', '-Dfoo=1']);
  assert.deepEqual(loud.warnings, ['-Dfoo=1: foo: unknown key; ignored (ZooKeeper would set it as system property zookeeper.foo)']);
});

test('without a config file, --data-dir is required and clientPort defaults to 2181', () => {
  const c = start(['--data-dir', 'd']);
  assert.equal(c.dataDir, path.join(dir, 'd'));
  assert.equal(c.clientPort, 2181);
  assert.equal(c.tickTime, 3000);
  assert.equal(c.sourceFile, null);
  assertConfigError(() => loadServerConfig([], noEnv, { cwd: dir }), /no config file and no --data-dir/);
  assertConfigError(() => loadServerConfig(['--port', '2181'], noEnv, { cwd: dir }), /--data-dir/);
});

test('--help returns the usage', () => {
  const r = loadServerConfig(['--help'], noEnv, { cwd: dir });
  assert.equal(r.command, 'help');
  assert.equal(r.config, null);
  assert.equal(r.command === 'help' ? r.usage : '', SERVER_USAGE);
  assert.match(SERVER_USAGE, /--data-dir/);
  assert.equal(loadServerConfig(['-h', 'zoo.cfg'], noEnv, { cwd: dir }).command, 'help');
});

test('command-line mistakes are ConfigErrors that say what is wrong', () => {
  assertConfigError(() => loadServerConfig(['--bogus'], noEnv, { cwd: dir }), /^command line: Unknown option '--bogus'/);
  assertConfigError(() => loadServerConfig(['a.cfg', 'b.cfg'], noEnv, { cwd: dir }), /at most one config file/);
  assertConfigError(() => loadServerConfig(['-c', 'a.cfg', 'b.cfg'], noEnv, { cwd: dir }), /two config files/);
  assertConfigError(() => loadServerConfig(['missing.cfg'], noEnv, { cwd: dir }), /^missing\.cfg: file is missing$/);
  assertConfigError(() => loadServerConfig(['zoo.cfg', '--port', 'x'], noEnv, { cwd: dir }), /^--port: expected an integer from 1 to 65535, got "x"$/);
  assertConfigError(() => loadServerConfig(['zoo.cfg', '--port', '0'], noEnv, { cwd: dir }), /^--port: expected/);
  assertConfigError(() => loadServerConfig(['zoo.cfg', '--storage', 'disk'], noEnv, { cwd: dir }), /^--storage: storage: expected memory, filelog or level/);
  assertConfigError(() => loadServerConfig(['zoo.cfg', '-D=1'], noEnv, { cwd: dir }), /expected -Dkey=value/);
  assertConfigError(() => loadServerConfig(['zoo.cfg', '-DsnapCount=many'], noEnv, { cwd: dir }), /^-DsnapCount=many: snapCount: expected/);
});

test('errors in the file carry its name as given and the line', () => {
  writeFileSync(path.join(dir, 'bad.cfg'), 'dataDir=/d\nclientPort=2181\n\ntickTime=abc\n');
  assert.throws(() => loadServerConfig(['bad.cfg'], noEnv, { cwd: dir }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, 'bad.cfg:4: tickTime: expected a positive integer, got "abc"');
    assert.equal(err.file, 'bad.cfg');
    assert.equal(err.line, 4);
    assert.equal(err.key, 'tickTime');
    return true;
  });
});

test('a quorum member reads its myid from the data directory', () => {
  const dataDir = path.join(dir, 'node2');
  mkdirSync(dataDir);
  const cfg = `dataDir=${dataDir}\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n` +
    'server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\nserver.3=127.0.0.1:2890:3890\n';
  writeFileSync(path.join(dir, 'q.cfg'), cfg);
  assertConfigError(() => loadServerConfig(['q.cfg'], noEnv, { cwd: dir }), /myid: file is missing/);
  writeFileSync(path.join(dataDir, 'myid'), '2\n');
  const c = start(['q.cfg']);
  assert.equal(c.myid, 2);
  assert.equal(c.servers.get(2)?.clientPort, 2181);
});
