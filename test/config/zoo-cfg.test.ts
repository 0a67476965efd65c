// parseZooCfg: ZooKeeper's defaults, every kind of key, and errors and warnings that name key and line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseZooCfg, ConfigError, FOUR_LETTER_WORDS, quorumSocketTimeoutMs, type ParseZooCfgOptions } from '../../src/config/index.js';

const noFiles = (): string | null => null;
const parse = (text: string, opts: ParseZooCfgOptions = {}) =>
  parseZooCfg(text, { file: 'zoo.cfg', baseDir: '/srv/zk', readFile: noFiles, ...opts });
const minimal = 'dataDir=/var/zk\nclientPort=2181\n';

function assertConfigError(fn: () => unknown, expect: { key?: string; line?: number | null; message: RegExp }): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG');
    if (expect.key !== undefined) assert.equal(err.key, expect.key);
    if (expect.line !== undefined) assert.equal(err.line, expect.line);
    assert.match(err.message, expect.message);
    return true;
  });
}

test('defaults are ZooKeeper 3.8\'s', () => {
  const c = parse(minimal);
  assert.equal(c.tickTime, 3000); // ZooKeeperServer.DEFAULT_TICK_TIME
  assert.equal(c.initLimit, 0);
  assert.equal(c.syncLimit, 0);
  assert.equal(c.dataDir, '/var/zk');
  assert.equal(c.dataLogDir, '/var/zk');
  assert.equal(c.clientPort, 2181);
  assert.equal(c.clientPortAddress, null);
  assert.equal(c.secureClientPort, null);
  assert.equal(c.maxClientCnxns, 60);
  assert.equal(c.minSessionTimeout, 6000);
  assert.equal(c.maxSessionTimeout, 60000);
  assert.equal(c.snapCount, 100000);
  assert.equal(c.preAllocSizeKb, 65536);
  assert.equal(c.forceSync, true);
  assert.equal(c.autopurgeSnapRetainCount, 3);
  assert.equal(c.autopurgePurgeIntervalHours, 0);
  assert.deepEqual([...c.fourLetterWordWhitelist], ['srvr']);
  assert.equal(c.globalOutstandingLimit, 1000);
  assert.equal(c.maxBufferBytes, 0xfffff);
  assert.equal(c.extendedTypesEnabled, false);
  assert.equal(c.containerCheckIntervalMs, 60000);
  assert.equal(c.containerMaxPerMinute, 10000);
  assert.equal(c.superDigest, null);
  assert.equal(c.snapshotCompressionMethod, 'none');
  assert.equal(c.digestEnabled, true);
  assert.equal(c.storage, 'filelog');
  assert.equal(c.servers.size, 0);
  assert.equal(c.myid, null);
  assert.equal(c.standaloneEnabled, true);
  assert.equal(c.reconfigEnabled, false);
  assert.equal(c.peerType, 'participant');
  assert.equal(c.adminEnableServer, true);
  assert.equal(c.adminServerPort, 8080);
  assert.equal(c.electionAlg, 3);
  assert.equal(c.quorumListenOnAllIPs, false);
  assert.equal(c.syncEnabled, true);
  assert.equal(c.maxCnxns, 0);
  assert.equal(c.commitLogCount, 500); // ZKDatabase.DEFAULT_COMMIT_LOG_COUNT
  assert.equal(c.snapshotSizeFactor, 0.33); // ZKDatabase.DEFAULT_SNAPSHOT_SIZE_FACTOR
  assert.equal(c.forceSnapshotSync, false);
  assert.equal(c.cnxTimeoutMs, 5000); // QuorumCnxManager.cnxTO
  assert.equal(c.quorumCnxnTimeoutMs, -1); // QuorumPeer: tickTime * syncLimit
  assert.equal(quorumSocketTimeoutMs(c), 0); // standalone: syncLimit 0
  assert.equal(c.snapSizeLimitKb, 4194304);
  assert.equal(c.closeSessionTxnEnabled, true);
  assert.deepEqual(c.warnings, []);
  assert.equal(c.sourceFile, '/srv/zk/zoo.cfg');
});

test('session timeouts follow tickTime unless given; -1 also means default', () => {
  const c = parse(minimal + 'tickTime=2000\n');
  assert.equal(c.minSessionTimeout, 4000);
  assert.equal(c.maxSessionTimeout, 40000);
  const d = parse(minimal + 'tickTime=500\nminSessionTimeout=-1\nmaxSessionTimeout=100000\n');
  assert.equal(d.minSessionTimeout, 1000);
  assert.equal(d.maxSessionTimeout, 100000);
});

test('every key kind is read', () => {
  const c = parse(`
tickTime=1500
initLimit=7
syncLimit=3
dataDir=/d
dataLogDir=/l
clientPort=12181
clientPortAddress=127.0.0.1
secureClientPort=12182
maxClientCnxns=0
minSessionTimeout=3000
maxSessionTimeout=90000
snapCount=5000
preAllocSize=1024
forceSync=no
autopurge.snapRetainCount=5
autopurge.purgeInterval=24
4lw.commands.whitelist=stat, ruok ,conf,,
globalOutstandingLimit=2000
jute.maxbuffer=0x200000
extendedTypesEnabled=true
znode.container.checkIntervalMs=1000
znode.container.maxPerMinute=50
DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
snapshot.compression.method=gz
digest.enabled=false
storage=memory
standaloneEnabled=true
reconfigEnabled=true
admin.enableServer=false
admin.serverPort=9090
quorumListenOnAllIPs=true
syncEnabled=false
electionAlg=3
peerType=participant
`);
  assert.equal(c.tickTime, 1500);
  assert.equal(c.initLimit, 7);
  assert.equal(c.syncLimit, 3);
  assert.equal(c.dataDir, '/d');
  assert.equal(c.dataLogDir, '/l');
  assert.equal(c.clientPort, 12181);
  assert.equal(c.clientPortAddress, '127.0.0.1');
  assert.equal(c.secureClientPort, 12182);
  assert.equal(c.maxClientCnxns, 0);
  assert.equal(c.minSessionTimeout, 3000);
  assert.equal(c.maxSessionTimeout, 90000);
  assert.equal(c.snapCount, 5000);
  assert.equal(c.preAllocSizeKb, 1024);
  assert.equal(c.forceSync, false);
  assert.equal(c.autopurgeSnapRetainCount, 5);
  assert.equal(c.autopurgePurgeIntervalHours, 24);
  assert.deepEqual(new Set(c.fourLetterWordWhitelist), new Set(['stat', 'ruok', 'conf', 'srvr']));
  assert.equal(c.globalOutstandingLimit, 2000);
  assert.equal(c.maxBufferBytes, 0x200000);
  assert.equal(c.extendedTypesEnabled, true);
  assert.equal(c.containerCheckIntervalMs, 1000);
  assert.equal(c.containerMaxPerMinute, 50);
  assert.equal(c.superDigest, 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=');
  assert.equal(c.snapshotCompressionMethod, 'gz');
  assert.equal(c.digestEnabled, false);
  assert.equal(c.storage, 'memory');
  assert.equal(c.reconfigEnabled, true);
  assert.equal(c.adminEnableServer, false);
  assert.equal(c.adminServerPort, 9090);
  assert.equal(c.quorumListenOnAllIPs, true);
  assert.equal(c.syncEnabled, false);
  assert.deepEqual(c.warnings, []);
  assert.equal(c.raw.get('4lw.commands.whitelist'), 'stat, ruok ,conf,,');
  assert.equal(c.raw.size, 34);
});

test('system property spellings work in the file too', () => {
  const c = parse(minimal + [
    'zookeeper.snapCount=77',
    'zookeeper.4lw.commands.whitelist=ruok',
    'zookeeper.DigestAuthenticationProvider.superDigest=super:x',
    'zookeeper.extendedTypesEnabled=true',
    'zookeeper.snapshot.compression.method=snappy',
    'zookeeper.digest.enabled=false',
    'zookeeper.admin.serverPort=8181',
    'zookeeper.observer.syncEnabled=false',
    'zookeeper.snapshot.directWrite=false',
  ].join('\n'));
  assert.equal(c.snapCount, 77);
  assert.ok(c.fourLetterWordWhitelist.has('ruok'));
  assert.equal(c.superDigest, 'super:x');
  assert.equal(c.extendedTypesEnabled, true);
  assert.equal(c.snapshotCompressionMethod, 'snappy');
  assert.equal(c.digestEnabled, false);
  assert.equal(c.adminServerPort, 8181);
  assert.equal(c.syncEnabled, false);
  assert.equal(c.snapshotDirectWrite, false);
  assert.equal(parse(minimal).snapshotDirectWrite, true, 'direct snapshot writes are the default');
  assert.deepEqual(c.warnings, []);
});

test('quorum tuning: cnxTimeout, quorumCnxnTimeoutMs, snapshotSizeFactor, forceSnapshotSync, commitLogCount', () => {
  const c = parse(minimal + 'cnxTimeout=2500\nquorumCnxnTimeoutMs=0x3e8\nsnapshotSizeFactor=0.5\nforceSnapshotSync=true\ncommitLogCount=1000\n');
  assert.equal(c.cnxTimeoutMs, 2500);
  assert.equal(c.quorumCnxnTimeoutMs, 1000); // Integer.getInteger: hex too
  assert.equal(quorumSocketTimeoutMs(c), 1000);
  assert.equal(c.snapshotSizeFactor, 0.5);
  assert.equal(c.forceSnapshotSync, true);
  assert.equal(c.commitLogCount, 1000);
  assert.deepEqual(c.warnings, []);
  // The system property spellings, in the file or as -D.
  const z = parse(minimal + 'zookeeper.cnxTimeout=100\nzookeeper.quorumCnxnTimeoutMs=7000\nzookeeper.snapshotSizeFactor=1\n', {
    overrides: [
      { key: 'zookeeper.forceSnapshotSync', value: 'TRUE', origin: '-Dzookeeper.forceSnapshotSync=TRUE' },
      { key: 'zookeeper.commitLogCount', value: '600', origin: '-Dzookeeper.commitLogCount=600' },
    ],
  });
  assert.deepEqual([z.cnxTimeoutMs, z.quorumCnxnTimeoutMs, z.snapshotSizeFactor, z.forceSnapshotSync, z.commitLogCount], [100, 7000, 1, true, 600]);
  assert.deepEqual(z.warnings, []);
  // quorumCnxnTimeoutMs <= 0 means tickTime * syncLimit.
  const q = parse(minimal + 'tickTime=2000\ninitLimit=10\nsyncLimit=5\nquorumCnxnTimeoutMs=0\n');
  assert.equal(q.quorumCnxnTimeoutMs, 0);
  assert.equal(quorumSocketTimeoutMs(q), 10000);
  assert.equal(quorumSocketTimeoutMs(parse(minimal + 'tickTime=2000\nsyncLimit=5\n')), 10000);
  // Java's double syntax: exponent and an f/d suffix.
  assert.equal(parse(minimal + 'snapshotSizeFactor=2.5e-1\n').snapshotSizeFactor, 0.25);
  assert.equal(parse(minimal + 'snapshotSizeFactor=.5d\n').snapshotSizeFactor, 0.5);
});

test('quorum tuning values ZooKeeper adjusts or reads specially, with a warning where it changes them', () => {
  // ZKDatabase raises any commitLogCount below 500 (negatives too) to 500.
  const low = parse(minimal + 'commitLogCount=100\n');
  assert.equal(low.commitLogCount, 500);
  assert.match(low.warnings[0], /^zoo\.cfg:3: commitLogCount: 100 is below the minimum of 500; using 500 as ZooKeeper does$/);
  const negative = parse(minimal + 'zookeeper.commitLogCount=-3\n');
  assert.equal(negative.commitLogCount, 500);
  assert.match(negative.warnings[0], /^zoo\.cfg:3: zookeeper\.commitLogCount: -3 is below the minimum of 500/);
  assert.deepEqual(parse(minimal + 'commitLogCount=500\n').warnings, []);
  // A factor above 1 falls back to the default; a negative one turns txn-log sync off and is kept.
  const big = parse(minimal + 'snapshotSizeFactor=1.5\n');
  assert.equal(big.snapshotSizeFactor, 0.33);
  assert.match(big.warnings[0], /^zoo\.cfg:3: snapshotSizeFactor: 1\.5 is above 1; using the default 0\.33 as ZooKeeper does$/);
  const off = parse(minimal + 'snapshotSizeFactor=-1\n');
  assert.equal(off.snapshotSizeFactor, -1);
  assert.deepEqual(off.warnings, []);
  assert.equal(parse(minimal + 'snapshotSizeFactor=0\n').snapshotSizeFactor, 0);
  // cnxTimeout=0 is Java's "no connect timeout": allowed, but said.
  const none = parse(minimal + 'cnxTimeout=0\n');
  assert.equal(none.cnxTimeoutMs, 0);
  assert.match(none.warnings[0], /^zoo\.cfg:3: cnxTimeout: 0 means no connect timeout/);
  // Boolean.getBoolean: anything but "true" is false.
  const odd = parse(minimal + 'forceSnapshotSync=yes\n');
  assert.equal(odd.forceSnapshotSync, false);
  assert.match(odd.warnings[0], /forceSnapshotSync: "yes" is not true or false; ZooKeeper reads it as false/);
});

test('"*" enables every four-letter word; srvr is always on; isro joins in read-only mode', () => {
  assert.deepEqual(new Set(parse(minimal + '4lw.commands.whitelist=*\n').fourLetterWordWhitelist), new Set(FOUR_LETTER_WORDS));
  const ro = parse(minimal + '4lw.commands.whitelist=ruok\nreadonlymode.enabled=true\n');
  assert.deepEqual(new Set(ro.fourLetterWordWhitelist), new Set(['ruok', 'isro', 'srvr']));
  const odd = parse(minimal + '4lw.commands.whitelist=ruok,nope\n');
  assert.ok(odd.fourLetterWordWhitelist.has('nope'));
  assert.match(odd.warnings.join('\n'), /zoo\.cfg:3: 4lw\.commands\.whitelist: "nope" is not a known four-letter word/);
});

test('Integer.getInteger properties accept hex and octal; zoo.cfg-only keys do not', () => {
  assert.equal(parse(minimal + 'snapCount=#10\n').snapCount, 16);
  assert.equal(parse(minimal + 'globalOutstandingLimit=010\n').globalOutstandingLimit, 8);
  assertConfigError(() => parse(minimal + 'tickTime=0x10\n'), { key: 'tickTime', line: 3, message: /got "0x10"/ });
});

test('a malformed value names file, line and key', () => {
  const text = 'dataDir=/var/zk\nclientPort=2181\n\n# timing\n\n\ntickTime=abc\n';
  assertConfigError(() => parse(text), {
    key: 'tickTime', line: 7, message: /^zoo\.cfg:7: tickTime: expected a positive integer, got "abc"$/,
  });
});

test('malformed values of each kind are refused', () => {
  const cases: Array<[string, RegExp]> = [
    ['clientPort=70000', /clientPort: expected an integer from 0 to 65535, got "70000"/],
    ['clientPort=-1', /clientPort: expected an integer/],
    ['tickTime=-5', /tickTime: expected a positive integer/],
    ['tickTime=0', /tickTime: expected a positive integer/],
    ['maxClientCnxns=lots', /maxClientCnxns: expected/],
    ['initLimit=2147483648', /initLimit: expected/],
    ['syncEnabled=yes', /syncEnabled: expected true or false, got "yes"/],
    ['standaloneEnabled=1', /standaloneEnabled: expected true or false/],
    ['electionAlg=1', /electionAlg: only 3/],
    ['peerType=leader', /peerType: expected observer or participant/],
    ['snapshot.compression.method=gzip', /snapshot\.compression\.method: expected "", "gz" or "snappy"/],
    ['storage=rocks', /storage: expected memory, filelog or level/],
    ['jute.maxbuffer=1M', /jute\.maxbuffer: expected a positive integer/],
    ['admin.serverPort=http', /admin\.serverPort: expected/],
    ['preAllocSize=-1', /preAllocSize: expected a non-negative integer/],
    ['minSessionTimeout=-2', /minSessionTimeout: expected an integer >= -1/],
    ['cnxTimeout=-1', /cnxTimeout: expected a non-negative integer, got "-1"/],
    ['zookeeper.cnxTimeout=5s', /zookeeper\.cnxTimeout: expected a non-negative integer, got "5s"/],
    ['cnxTimeout=0x10', /cnxTimeout: expected/], // Integer.parseInt: decimal only
    ['quorumCnxnTimeoutMs=abc', /quorumCnxnTimeoutMs: expected an integer \(32-bit\), got "abc"/],
    ['zookeeper.quorumCnxnTimeoutMs=2147483648', /zookeeper\.quorumCnxnTimeoutMs: expected an integer/],
    ['snapshotSizeFactor=abc', /snapshotSizeFactor: expected a decimal number, got "abc"/],
    ['zookeeper.snapshotSizeFactor=NaN', /zookeeper\.snapshotSizeFactor: expected a decimal number, got "NaN"/],
    ['snapshotSizeFactor=33%', /snapshotSizeFactor: expected a decimal number/],
    ['commitLogCount=lots', /commitLogCount: expected an integer \(32-bit\), got "lots"/],
    ['zookeeper.commitLogCount=1e3', /zookeeper\.commitLogCount: expected an integer/],
  ];
  for (const [line, message] of cases) {
    assertConfigError(() => parse(minimal + line + '\n'), { line: 3, message });
  }
});

test('values are trimmed as ZooKeeper trims them', () => {
  const c = parse('dataDir = /var/zk   \nclientPort:2181\t\n  tickTime   1000  \n');
  assert.equal(c.dataDir, '/var/zk');
  assert.equal(c.clientPort, 2181);
  assert.equal(c.tickTime, 1000);
});

test('booleans: QuorumPeerConfig keys are case-insensitive true/false', () => {
  assert.equal(parse(minimal + 'quorumListenOnAllIPs=TRUE\n').quorumListenOnAllIPs, true);
  assert.equal(parse(minimal + 'reconfigEnabled=False\n').reconfigEnabled, false);
});

test('yes/no properties keep ZooKeeper\'s meaning for odd values, with a warning', () => {
  const c = parse(minimal + 'forceSync=false\n');
  assert.equal(c.forceSync, true); // only "no" turns fsync off in ZooKeeper
  assert.match(c.warnings[0], /^zoo\.cfg:3: forceSync: "false" is not "yes" or "no"; only "no" turns this off/);
  const a = parse(minimal + 'admin.enableServer=no\n');
  assert.equal(a.adminEnableServer, true); // only "false" turns it off
  assert.equal(a.warnings.length, 1);
  const d = parse(minimal + 'digest.enabled=yes\n');
  assert.equal(d.digestEnabled, false); // Boolean.parseBoolean("yes") is false
  assert.match(d.warnings[0], /digest\.enabled: "yes" is not true or false; ZooKeeper reads it as false/);
});

test('values ZooKeeper adjusts are adjusted, with a warning', () => {
  const c = parse(minimal + 'autopurge.snapRetainCount=1\nsnapCount=1\nmaxClientCnxns=-4\nautopurge.purgeInterval=-2\n');
  assert.equal(c.autopurgeSnapRetainCount, 3);
  assert.equal(c.snapCount, 2);
  assert.equal(c.maxClientCnxns, 0);
  assert.equal(c.autopurgePurgeIntervalHours, 0);
  const w = c.warnings.join('\n');
  assert.match(w, /zoo\.cfg:3: autopurge\.snapRetainCount: 1 is below the minimum of 3; using 3/);
  assert.match(w, /zoo\.cfg:4: snapCount: 1 is below the minimum of 2; using 2/);
  assert.match(w, /zoo\.cfg:5: maxClientCnxns: -4 is negative/);
});

test('unknown keys are warnings naming key and line; zookeeper.* keys pass silently', () => {
  const c = parse(minimal + 'fooBar=1\nzookeeper.somethingNew=2\nmetricsProvider.numWorkerThreadz=2\n');
  assert.equal(c.warnings.length, 2);
  assert.match(c.warnings[0], /^zoo\.cfg:3: fooBar: unknown key; ignored/);
  assert.match(c.warnings[1], /^zoo\.cfg:5: metricsProvider\.numWorkerThreadz: a ZooKeeper setting zk-server does not implement/);
  assert.equal(c.raw.get('fooBar'), '1');
  assert.equal(c.raw.get('zookeeper.somethingNew'), '2');
});

test('a repeated key: the last wins, with a warning', () => {
  const c = parse(minimal + 'tickTime=1000\ntickTime=2500\n');
  assert.equal(c.tickTime, 2500);
  assert.match(c.warnings[0], /^zoo\.cfg:4: tickTime: given again \(first on line 3\)/);
});

test('required and related settings', () => {
  assertConfigError(() => parse('clientPort=2181\n'), { key: 'dataDir', message: /^zoo\.cfg: dataDir: not set/ });
  assertConfigError(() => parse('dataDir=/d\n'), { key: 'clientPort', message: /clientPort: not set/ });
  assertConfigError(() => parse('dataDir=/d\nclientPortAddress=::1\n'), {
    key: 'clientPortAddress', line: 2, message: /given, but clientPort is not set/,
  });
  assertConfigError(() => parse(minimal + 'minSessionTimeout=9000\nmaxSessionTimeout=8000\n'), {
    key: 'minSessionTimeout', line: 3, message: /minSessionTimeout 9000 must not be larger than maxSessionTimeout 8000/,
  });
  // Without a plaintext port a secure one is enough, as in ZooKeeper.
  const secureOnly = parse('dataDir=/d\nsecureClientPort=2281\n');
  assert.equal(secureOnly.clientPort, 0);
  assert.equal(secureOnly.secureClientPort, 2281);
  assert.equal(parse('dataDir=/d\n', { defaultClientPort: 2181 }).clientPort, 2181);
});

test('relative directories resolve against the working directory, with ZooKeeper\'s warning', () => {
  const c = parse('dataDir=data\ndataLogDir=./txnlog\nclientPort=2181\n');
  assert.equal(c.dataDir, '/srv/zk/data');
  assert.equal(c.dataLogDir, '/srv/zk/txnlog');
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /^zoo\.cfg:1: dataDir: data is relative/);
});

test('overrides win over the file; system properties lose to it', () => {
  const c = parse(minimal + 'tickTime=2000\nsnapCount=10\n', {
    systemProperties: [
      { key: 'zookeeper.snapCount', value: '999', origin: '-Dzookeeper.snapCount=999' },
      { key: 'zookeeper.preAllocSize', value: '32', origin: '-Dzookeeper.preAllocSize=32' },
    ],
    overrides: [{ key: 'tickTime', value: '100', origin: '--tick' }],
  });
  assert.equal(c.tickTime, 100);
  assert.equal(c.snapCount, 10);
  assert.equal(c.preAllocSizeKb, 32);
  assert.equal(c.raw.get('tickTime'), '100');
  assertConfigError(() => parse(minimal, { overrides: [{ key: 'snapCount', value: 'x', origin: '-DsnapCount=x' }] }), {
    key: 'snapCount', line: null, message: /^-DsnapCount=x: snapCount: expected an integer/,
  });
  // Errors found after reading point at the override too, not at the file.
  const tooBig = { key: 'minSessionTimeout', value: '999999', origin: '-DminSessionTimeout=999999' };
  assertConfigError(() => parse(minimal, { overrides: [tooBig] }), {
    key: 'minSessionTimeout', line: null, message: /^-DminSessionTimeout=999999: minSessionTimeout: minSessionTimeout 999999 must not/,
  });
});

test('the fixture config written by ZooKeeper 3.8 parses without errors or warnings', { skip: !existsSync('/work/shared/fixtures/zk38-datadir.zoo.cfg') }, () => {
  const text = readFileSync('/work/shared/fixtures/zk38-datadir.zoo.cfg', 'utf8');
  const c = parse(text, { file: 'zk38-datadir.zoo.cfg' });
  assert.deepEqual(c.warnings, []);
  assert.equal(c.dataDir, '/tmp/zklab-fixture/node3');
  assert.equal(c.clientPort, 22193);
  assert.equal(c.clientPortAddress, '127.0.0.1');
  assert.equal(c.maxClientCnxns, 0);
  assert.equal(c.forceSync, true);
  assert.equal(c.adminEnableServer, false);
  assert.equal(c.standaloneEnabled, false);
  assert.equal(c.snapCount, 100);
  assert.equal(c.preAllocSizeKb, 64);
  assert.equal(c.fourLetterWordWhitelist.size, FOUR_LETTER_WORDS.length);
  assert.deepEqual([...c.servers.keys()], [1, 2, 3]);
  assert.deepEqual(c.servers.get(3), { host: '127.0.0.1', quorumPort: 22893, electionPort: 23893, role: 'participant', line: 17 });
});

test('the sample conf/zoo.cfg parses without warnings', () => {
  const file = fileURLToPath(new URL('../../../conf/zoo.cfg', import.meta.url));
  const c = parse(readFileSync(file, 'utf8'));
  assert.deepEqual(c.warnings, []);
  assert.equal(c.tickTime, 2000);
  assert.equal(c.dataDir, '/srv/zk/data');
  assert.equal(c.clientPort, 2181);
  assert.equal(c.storage, 'filelog');
  assert.ok(c.fourLetterWordWhitelist.has('ruok'));
  assert.equal(c.minSessionTimeout, 4000);
});

test('metricsProvider.* keys: the Prometheus provider with its host, port and exportJvmInfo; bad values name the key', () => {
  const c = parse(minimal + [
    'metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
    'metricsProvider.httpHost=127.0.0.1', 'metricsProvider.httpPort=7001', 'metricsProvider.exportJvmInfo=false',
    'metricsProvider.numWorkerThreads=4',
  ].join('\n') + '\n');
  assert.equal(c.metricsProvider, 'prometheus');
  assert.equal(c.metricsHttpHost, '127.0.0.1');
  assert.equal(c.metricsHttpPort, 7001);
  assert.equal(c.metricsExportJvmInfo, false);
  assert.deepEqual(c.warnings, []);
  const d = parse(minimal);
  assert.equal(d.metricsProvider, 'default');
  assert.equal(d.metricsHttpPort, 7000);
  assert.equal(d.metricsExportJvmInfo, true);
  assert.throws(() => parse(minimal + 'metricsProvider.className=x.Y\n'), /zoo\.cfg:3: metricsProvider\.className: unknown metrics provider "x\.Y"/);
  assert.throws(() => parse(minimal + 'metricsProvider.httpPort=seven\n'), /zoo\.cfg:3: metricsProvider\.httpPort: expected/);
});
