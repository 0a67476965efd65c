// server.N lines, myid, dynamic config files, and QuorumPeerConfig's rules for the member list.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseZooCfg, ConfigError, isDistributedQuorum, type ParseZooCfgOptions } from '../../src/config/index.js';
import { parseServerSpec, splitHostAndPorts } from '../../src/config/quorum.js';

/** Files the parser may read (myid, dynamic config), keyed by absolute path. */
function files(map: Record<string, string>): (file: string) => string | null {
  return (file) => map[file] ?? null;
}
const parse = (text: string, opts: ParseZooCfgOptions = {}) =>
  parseZooCfg(text, { file: 'zoo.cfg', baseDir: '/srv', readFile: files({}), ...opts });
const base = 'dataDir=/d\nclientPort=2181\ninitLimit=10\nsyncLimit=5\n';
const three = 'server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n';

function assertConfigError(fn: () => unknown, expect: { key?: string; line?: number; message: RegExp }): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    if (expect.key !== undefined) assert.equal(err.key, expect.key);
    if (expect.line !== undefined) assert.equal(err.line, expect.line);
    assert.match(err.message, expect.message);
    return true;
  });
}

test('server line forms', () => {
  assert.deepEqual(parseServerSpec('zk1:2888:3888'), { host: 'zk1', quorumPort: 2888, electionPort: 3888, role: 'participant' });
  assert.deepEqual(parseServerSpec('zk1:2888:3888:observer'), { host: 'zk1', quorumPort: 2888, electionPort: 3888, role: 'observer' });
  assert.deepEqual(parseServerSpec('zk1:2888:3888:PARTICIPANT'), { host: 'zk1', quorumPort: 2888, electionPort: 3888, role: 'participant' });
  assert.deepEqual(parseServerSpec('zk1:2888:3888;2181'), {
    host: 'zk1', quorumPort: 2888, electionPort: 3888, role: 'participant', clientHost: '0.0.0.0', clientPort: 2181,
  });
  assert.deepEqual(parseServerSpec('zk1:2888:3888:observer;10.0.0.1:2182'), {
    host: 'zk1', quorumPort: 2888, electionPort: 3888, role: 'observer', clientHost: '10.0.0.1', clientPort: 2182,
  });
  assert.deepEqual(parseServerSpec('[2001:db8::1]:2888:3888;[::1]:2181'), {
    host: '2001:db8::1', quorumPort: 2888, electionPort: 3888, role: 'participant', clientHost: '::1', clientPort: 2181,
  });
  // Java's split drops trailing empty parts, so these are accepted by ZooKeeper too.
  assert.equal(parseServerSpec('zk1:2888:3888:').role, 'participant');
  assert.equal(parseServerSpec('zk1:2888:3888;').clientPort, undefined);
});

test('IPv6 brackets', () => {
  assert.deepEqual(splitHostAndPorts('[::1]:1:2'), ['::1', '1', '2']);
  assert.throws(() => splitHostAndPorts('[::1:1:2'), /no matching/);
  assert.throws(() => splitHostAndPorts('[::1]:'), /doesn't have a port/);
});

test('malformed server lines name the key and line', () => {
  const cases: Array<[string, RegExp]> = [
    ['server.1=zk1:2888', /server\.1: "zk1:2888": expected host:quorumPort:electionPort/],
    ['server.1=zk1:2888:3888:observer:x', /expected host:quorumPort/],
    ['server.1=zk1:2888:3888:leader', /unrecognised peer type "leader"/],
    ['server.1=zk1:2888:2888', /quorum port and election port must be different/],
    ['server.1=zk1:two:3888', /quorum port must be a port from 1 to 65535, got "two"/],
    ['server.1=zk1:2888:70000', /election port must be a port/],
    ['server.1=zk1:2888:3888;a:b:c', /expected host:quorumPort/],
    ['server.1=zk1:2888:3888;x', /client port must be a port/],
    ['server.1=zk1:2888:3888;2181;2182', /expected host:quorumPort/],
    ['server.1=zk1:2888:3888|zk1b:2889:3889', /several addresses per server/],
    ['server.x=zk1:2888:3888', /server id must be an integer, got "x"/],
  ];
  for (const [line, message] of cases) {
    assertConfigError(() => parse(base + line + '\nserver.9=zk9:2888:3888\nserver.8=zk8:2888:3888\n'), { line: 5, message });
  }
});

test('a quorum reads myid from dataDir and uses its own line\'s client port', () => {
  const c = parse('dataDir=/d\ninitLimit=10\nsyncLimit=5\n' + three.replace('server.2=zk2:2888:3888', 'server.2=zk2:2888:3888;127.0.0.2:2182'), {
    readFile: files({ '/d/myid': '2\n' }), requireMyId: true,
  });
  assert.equal(c.myid, 2);
  assert.equal(c.clientPort, 2182);
  assert.equal(c.clientPortAddress, '127.0.0.2');
  assert.equal(c.servers.size, 3);
  assert.ok(isDistributedQuorum(c.servers, c.standaloneEnabled));
});

test('a static clientPort is copied onto this server\'s line, and a conflicting one is refused', () => {
  const c = parse(base + three, { readFile: files({ '/d/myid': '3' }) });
  assert.equal(c.servers.get(3)?.clientPort, 2181);
  assert.equal(c.servers.get(3)?.clientHost, '0.0.0.0');
  assert.equal(c.servers.get(1)?.clientPort, undefined);
  assertConfigError(() => parse(base + three.replace('zk3:2888:3888', 'zk3:2888:3888;2999'), { readFile: files({ '/d/myid': '3' }) }), {
    key: 'server.3', line: 7, message: /client address 0\.0\.0\.0:2999 differs from clientPortAddress\/clientPort 0\.0\.0\.0:2181/,
  });
});

test('observers: the server list decides the peer type', () => {
  const text = base + three + 'server.4=zk4:2888:3888:observer\n';
  const c = parse(text, { readFile: files({ '/d/myid': '4' }) });
  assert.equal(c.peerType, 'observer');
  assert.equal(c.servers.get(4)?.role, 'observer');
  assert.deepEqual(c.warnings, []);
  const mismatch = parse(text + 'peerType=participant\n', { readFile: files({ '/d/myid': '4' }) });
  assert.equal(mismatch.peerType, 'observer');
  assert.match(mismatch.warnings[0], /zoo\.cfg:9: peerType: peer type from the server list \(observer\) differs/);
});

test('a quorum needs initLimit, syncLimit and (when asked) a myid in the list', () => {
  assertConfigError(() => parse('dataDir=/d\nclientPort=2181\nsyncLimit=5\n' + three), { key: 'initLimit', message: /not set/ });
  assertConfigError(() => parse('dataDir=/d\nclientPort=2181\ninitLimit=5\n' + three), { key: 'syncLimit', message: /not set/ });
  assert.equal(parse(base + three).myid, null); // parsing alone does not insist on myid
  assertConfigError(() => parse(base + three, { requireMyId: true }), {
    key: 'myid', message: /^\/d\/myid: myid: file is missing/,
  });
  assertConfigError(() => parse(base + three, { requireMyId: true, readFile: files({ '/d/myid': '7' }) }), {
    key: 'myid', message: /my id 7 is not in the server list/,
  });
  assertConfigError(() => parse(base + three, { readFile: files({ '/d/myid': 'one' }) }), {
    key: 'myid', line: 1, message: /server id "one" is not a number/,
  });
});

test('member-list rules of QuorumPeerConfig', () => {
  assertConfigError(() => parse(base + 'server.1=zk1:2888:3888:observer\n'), { message: /observers without participants/ });
  assertConfigError(() => parse(base + 'standaloneEnabled=false\n'), { key: 'standaloneEnabled', message: /needs at least one participant/ });
  assertConfigError(() => parse(base + 'server.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n'), { message: /observers without a quorum/ });
  const single = parse(base + 'server.1=zk1:2888:3888\n');
  assert.ok(!isDistributedQuorum(single.servers, single.standaloneEnabled));
  assert.match(single.warnings[0], /only one participant/);
  const two = parse(base + 'server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\n');
  assert.match(two.warnings[0], /no server failure will be tolerated/);
  const four = parse(base + three + 'server.4=zk4:2888:3888\n');
  assert.match(four.warnings[0], /4 participants is non-optimal/);
  assert.deepEqual(parse(base + three).warnings, []);
  const alone = parse(base + 'standaloneEnabled=false\nserver.1=zk1:2888:3888\n', { readFile: files({ '/d/myid': '1' }), requireMyId: true });
  assert.ok(isDistributedQuorum(alone.servers, alone.standaloneEnabled));
  assertConfigError(() => parse(base + three + 'group.1=1:2:3\n'), { line: 8, message: /hierarchical quorums/ });
});

test('extendedTypesEnabled limits server ids to 254', () => {
  const text = base + 'extendedTypesEnabled=true\nserver.300=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n';
  assertConfigError(() => parse(text, { readFile: files({ '/d/myid': '300' }) }), { message: /server id 300 is larger than 254/ });
});

test('server lines from a dynamicConfigFile', () => {
  const dyn = 'server.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888;2181\nserver.3=zk3:2888:3888;2181\n';
  const c = parse('dataDir=/d\ninitLimit=10\nsyncLimit=5\ndynamicConfigFile=conf/zoo.cfg.dynamic.100000000\n', {
    readFile: files({ '/srv/conf/zoo.cfg.dynamic.100000000': dyn, '/d/myid': '1' }), requireMyId: true,
  });
  assert.equal(c.dynamicConfigFile, '/srv/conf/zoo.cfg.dynamic.100000000');
  assert.equal(c.servers.size, 3);
  assert.equal(c.clientPort, 2181);
  assertConfigError(() => parse(base + 'dynamicConfigFile=/x\nserver.1=zk1:2888:3888\n'), {
    key: 'server.1', line: 6, message: /server lines must be in the dynamicConfigFile/,
  });
  assertConfigError(() => parse(base + 'dynamicConfigFile=/x\n'), { key: 'dynamicConfigFile', line: 5, message: /\/x: file is missing/ });
  assertConfigError(() => parse(base + 'dynamicConfigFile=/x\n', { readFile: files({ '/x': three + 'tickTime=5\n' }) }), {
    key: 'tickTime', line: 4, message: /^\/x:4: tickTime: unrecognised parameter/,
  });
});

test('a quorum without tickTime gets ZooKeeper\'s default 3000, as QuorumPeerConfig gives it; 0 is refused', () => {
  // QuorumPeerConfig starts tickTime at ZooKeeperServer.DEFAULT_TICK_TIME; its "tickTime is not set"
  // only fires for an explicit tickTime=0, in either mode.
  const c = parse(base + three, { readFile: files({ '/d/myid': '1' }), requireMyId: true });
  assert.equal(c.tickTime, 3000);
  assert.ok(isDistributedQuorum(c.servers, c.standaloneEnabled));
  assertConfigError(() => parse(base + 'tickTime=0\n' + three), { key: 'tickTime', line: 5, message: /expected a positive integer, got "0"/ });
});

test('locations: where each setting and server line was given, for checks after parsing', () => {
  const c = parse(base + 'reconfigEnabled=true\n' + three, {
    overrides: [{ key: 'zookeeper.snapCount', value: '10', origin: '-Dzookeeper.snapCount=10' }],
  });
  assert.deepEqual(c.locations.get('reconfigEnabled'), { file: 'zoo.cfg', line: 5, key: 'reconfigEnabled' });
  assert.deepEqual(c.locations.get('server.1'), { file: 'zoo.cfg', line: 6, key: 'server.1' });
  assert.deepEqual(c.locations.get('server.3'), { file: 'zoo.cfg', line: 8, key: 'server.3' });
  // Keyed by the zoo.cfg key; the location keeps the spelling that was used.
  assert.deepEqual(c.locations.get('snapCount'), { origin: '-Dzookeeper.snapCount=10', key: 'zookeeper.snapCount' });
  assert.equal(c.locations.has('tickTime'), false);
});
