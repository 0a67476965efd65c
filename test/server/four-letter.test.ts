// Four-letter-word answers from a fake AdminView, compared with text captured from Apache ZooKeeper
// 3.8.0 (standalone, two sessions with ephemerals and watches) for the same state.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_TRACE_MASK, FOUR_LETTER_WORDS, TELNET_CLOSE, ZK_NOT_SERVING, fourLetterWordOf, isFourLetterWord,
  javaDate, javaDouble, javaHexLong, javaSocketAddress, lastOperationName, parseFourLetterWhitelist,
  processEnvironment, roundedAverage, runFourLetterWord,
  type AdminView, type ConnectionInfo, type MonitorView,
} from '../../src/server/four-letter.js';

const VERSION = '3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC';
const S1 = 0x100000429340000n;
const S2 = 0x100000429340001n;
const ALL = parseFourLetterWhitelist('*');

const brief = (addr: string, port: number, ops: number, recved: number, sent: number): ConnectionInfo => ({
  remoteAddress: addr, remotePort: port, interestOps: ops, outstandingRequests: 0, packetsReceived: recved,
  packetsSent: sent, sessionId: 0n, lastOperation: 'NA', establishedMs: 0, sessionTimeoutMs: 0, lastCxid: -1,
  lastZxid: -1, lastResponseTime: 0, lastLatency: 0, minLatency: 0, avgLatency: 0, maxLatency: 0,
});

const sessionConns: ConnectionInfo[] = [
  { ...brief('127.0.0.1', 45182, 1, 5, 5), sessionId: S1, lastOperation: 'PING', establishedMs: 1795367749447,
    sessionTimeoutMs: 10000, lastCxid: 2, lastZxid: 5, lastResponseTime: 288584, lastLatency: 6, minLatency: 0,
    avgLatency: 5, maxLatency: 11 },
  { ...brief('127.0.0.1', 45196, 1, 5, 5), sessionId: S2, lastOperation: 'EXIS', establishedMs: 1795367749447,
    sessionTimeoutMs: 20000, lastCxid: 3, lastZxid: 5, lastResponseTime: 285249, lastLatency: 1, minLatency: 0,
    avgLatency: 2, maxLatency: 9 },
];

const monitor: MonitorView = {
  watchCount: 4, ephemeralsCount: 2, approximateDataSize: 56, globalSessions: 2, localSessions: 0,
  openFileDescriptorCount: 43, maxFileDescriptorCount: 20000,
  lastClientResponseSize: 16, minClientResponseSize: 16, maxClientResponseSize: 94,
};

/** The state the captures were taken in; `calls` records resets. */
function fakeView(over: Partial<AdminView> = {}): AdminView & { calls: string[] } {
  const calls: string[] = [];
  const view: AdminView = {
    version: VERSION,
    serving: true,
    serverState: 'standalone',
    isReadOnly: false,
    stats: () => ({ minLatency: 1, avgLatency: 4, maxLatency: 11, received: 13, sent: 13, outstanding: 0, zxid: 5,
      nodeCount: 8, connections: 3, uptimeMs: 17203 }),
    connections: () => sessionConns,
    resetStats: () => { calls.push('resetStats'); },
    resetConnectionStats: () => { calls.push('resetConnectionStats'); },
    config: () => ({ clientPort: 42519, secureClientPort: -1, dataDir: '/tmp/zkref/data/version-2',
      dataLogDir: '/tmp/zkref/data/version-2', tickTime: 2000, maxClientCnxns: 60, minSessionTimeout: 4000,
      maxSessionTimeout: 40000, clientPortListenBacklog: -1, serverId: 0 }),
    environment: () => [['zookeeper.version', VERSION], ['host.name', 'localhost'], ['os.memory.total', '388MB']],
    dataDirSizes: () => ({ dataDirBytes: 67109337, dataLogDirBytes: 67109337 }),
    watches: () => ({
      byPath: new Map([['/a', [S1, S2]], ['/nope', [S2]]]),
      bySession: new Map([[S1, ['/a']], [S2, ['/a', '/nope']]]),
    }),
    sessionsWithEphemerals: () => new Map([[S1, ['/a/e1']], [S2, ['/e2']]]),
    sessionExpiryBuckets: () => [
      { expiresAtMs: Date.UTC(2026, 10, 22, 17, 16, 4), items: [S1] },
      { expiresAtMs: Date.UTC(2026, 10, 22, 17, 16, 0), items: [] },
      { expiresAtMs: Date.UTC(2026, 10, 22, 17, 16, 10), items: [S2] },
    ],
    connectionExpiryBuckets: () => [
      { expiresAtMs: Date.UTC(2026, 10, 22, 17, 15, 54), items: [] },
      { expiresAtMs: Date.UTC(2026, 10, 22, 17, 16, 4), items: [
        { remoteAddress: '127.0.0.1', remotePort: 45182, sessionId: S1 },
        { remoteAddress: '127.0.0.1', remotePort: 45306, sessionId: 0n },
      ] },
      { expiresAtMs: Date.UTC(2026, 10, 22, 17, 16, 14), items: [{ remoteAddress: '127.0.0.1', remotePort: 45196, sessionId: S2 }] },
    ],
    monitor: () => monitor,
    timeZone: 'UTC',
    ...over,
  };
  return Object.assign(view, { calls });
}

describe('four-letter words: answers as Apache ZooKeeper 3.8 prints them', () => {
  it('ruok, isro, gtmk', () => {
    assert.equal(runFourLetterWord('ruok', fakeView(), ALL), 'imok');
    assert.equal(runFourLetterWord('isro', fakeView(), ALL), 'rw');
    assert.equal(runFourLetterWord('isro', fakeView({ isReadOnly: true }), ALL), 'ro');
    assert.equal(runFourLetterWord('gtmk', fakeView(), ALL), '306');
    assert.equal(DEFAULT_TRACE_MASK, 306n);
  });

  it('srvr', () => {
    assert.equal(runFourLetterWord('srvr', fakeView(), ALL), `Zookeeper version: ${VERSION}
Latency min/avg/max: 1/4.0/11
Received: 13
Sent: 13
Connections: 3
Outstanding: 0
Zxid: 0x5
Mode: standalone
Node count: 8
`);
  });

  it('stat lists clients briefly, then a blank line', () => {
    const view = fakeView({
      connections: () => [brief('127.0.0.1', 45224, 0, 1, 0), brief('127.0.0.1', 45182, 1, 4, 4), brief('127.0.0.1', 45196, 1, 5, 5)],
      stats: () => ({ minLatency: 1, avgLatency: 4, maxLatency: 11, received: 14, sent: 14, outstanding: 0, zxid: 5,
        nodeCount: 8, connections: 3, uptimeMs: 1 }),
    });
    assert.equal(runFourLetterWord('stat', view, ALL), `Zookeeper version: ${VERSION}
Clients:
 /127.0.0.1:45224[0](queued=0,recved=1,sent=0)
 /127.0.0.1:45182[1](queued=0,recved=4,sent=4)
 /127.0.0.1:45196[1](queued=0,recved=5,sent=5)

Latency min/avg/max: 1/4.0/11
Received: 14
Sent: 14
Connections: 3
Outstanding: 0
Zxid: 0x5
Mode: standalone
Node count: 8
`);
  });

  it('srvr for a read-only server and for a leader', () => {
    const ro = runFourLetterWord('srvr', fakeView({ isReadOnly: true, serverState: 'follower' }), ALL);
    assert.match(ro, /^Zookeeper version: .*\nREAD-ONLY mode; serving only read-only clients\nLatency/);
    assert.match(ro, /\nMode: read-only\n/);
    const leader = runFourLetterWord('srvr', fakeView({
      serverState: 'leader',
      monitor: () => ({ ...monitor, quorumSize: 3, leader: { learners: 2, syncedFollowers: 2, syncedNonVotingFollowers: 0,
        syncedObservers: 0, pendingSyncs: 0, leaderUptimeMs: 500, lastProposalSize: 36, minProposalSize: 36, maxProposalSize: 90 } }),
    }), ALL);
    assert.match(leader, /\nMode: leader\nNode count: 8\nProposal sizes last\/min\/max: 36\/36\/90\n$/);
  });

  it('cons prints session details, leaving lcxid out when no xid was answered', () => {
    const cons = runFourLetterWord('cons', fakeView({ connections: () => [...sessionConns, brief('127.0.0.1', 45238, 0, 1, 0)] }), ALL);
    assert.equal(cons, ` /127.0.0.1:45182[1](queued=0,recved=5,sent=5,sid=0x100000429340000,lop=PING,est=1795367749447,to=10000,lcxid=0x2,lzxid=0x5,lresp=288584,llat=6,minlat=0,avglat=5,maxlat=11)
 /127.0.0.1:45196[1](queued=0,recved=5,sent=5,sid=0x100000429340001,lop=EXIS,est=1795367749447,to=20000,lcxid=0x3,lzxid=0x5,lresp=285249,llat=1,minlat=0,avglat=2,maxlat=9)
 /127.0.0.1:45238[0](queued=0,recved=1,sent=0)

`);
    // After crst ZooKeeper resets lastCxid and lastZxid to -1.
    const reset = { ...sessionConns[0], packetsReceived: 0, packetsSent: 0, lastOperation: 'NA', lastCxid: -1, lastZxid: -1,
      lastResponseTime: 0, lastLatency: 0, avgLatency: 0, maxLatency: 0 };
    assert.equal(runFourLetterWord('cons', fakeView({ connections: () => [reset] }), ALL),
      ' /127.0.0.1:45182[1](queued=0,recved=0,sent=0,sid=0x100000429340000,lop=NA,est=1795367749447,to=10000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n\n');
  });

  it('conf (standalone) and the quorum lines, whose membership has no final newline', () => {
    assert.equal(runFourLetterWord('conf', fakeView(), ALL), `clientPort=42519
secureClientPort=-1
dataDir=/tmp/zkref/data/version-2
dataDirSize=67109337
dataLogDir=/tmp/zkref/data/version-2
dataLogSize=67109337
tickTime=2000
maxClientCnxns=60
minSessionTimeout=4000
maxSessionTimeout=40000
clientPortListenBacklog=-1
serverId=0
`);
    const quorum = fakeView({ config: () => ({ ...fakeView().config(), serverId: 2, quorum: {
      initLimit: 10, syncLimit: 5, electionAlg: 3, electionPorts: [3888], quorumPorts: [2888, 2889], peerType: 0,
      membership: 'server.1=10.0.0.1:2888:3888:participant\nserver.2=10.0.0.2:2888:3888:participant\nversion=0' } }) });
    assert.match(runFourLetterWord('conf', quorum, ALL),
      /\nserverId=2\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\nelectionPort=3888\nquorumPort=2888\|2889\npeerType=0\nmembership: \nserver\.1=10\.0\.0\.1:2888:3888:participant\nserver\.2=.*\nversion=0$/);
  });

  it('dirs and envi', () => {
    assert.equal(runFourLetterWord('dirs', fakeView(), ALL), 'datadir_size: 67109337\nlogdir_size: 67109337\n');
    assert.equal(runFourLetterWord('envi', fakeView(), ALL),
      `Environment:\nzookeeper.version=${VERSION}\nhost.name=localhost\nos.memory.total=388MB\n`);
  });

  it('wchs, wchc, wchp', () => {
    assert.equal(runFourLetterWord('wchs', fakeView(), ALL), '2 connections watching 2 paths\nTotal watches:3\n');
    assert.equal(runFourLetterWord('wchc', fakeView(), ALL), '0x100000429340000\n\t/a\n0x100000429340001\n\t/a\n\t/nope\n\n');
    assert.equal(runFourLetterWord('wchp', fakeView(), ALL), '/a\n\t0x100000429340000\n\t0x100000429340001\n/nope\n\t0x100000429340001\n\n');
    const none = fakeView({ watches: () => ({ byPath: new Map(), bySession: new Map() }) });
    assert.equal(runFourLetterWord('wchc', none, ALL), '\n');
    assert.equal(runFourLetterWord('wchs', none, ALL), '0 connections watching 0 paths\nTotal watches:0\n');
  });

  it('dump: expiry buckets sorted by time (empty ones kept), ephemerals, connections', () => {
    assert.equal(runFourLetterWord('dump', fakeView(), ALL), `SessionTracker dump:
Session Sets (3)/(2):
0 expire at Sun Nov 22 17:16:00 UTC 2026:
1 expire at Sun Nov 22 17:16:04 UTC 2026:
\t0x100000429340000
1 expire at Sun Nov 22 17:16:10 UTC 2026:
\t0x100000429340001
ephemeral nodes dump:
Sessions with Ephemerals (2):
0x100000429340000:
\t/a/e1
0x100000429340001:
\t/e2
Connections dump:
Connections Sets (3)/(3):
0 expire at Sun Nov 22 17:15:54 UTC 2026:
2 expire at Sun Nov 22 17:16:04 UTC 2026:
\tip: /127.0.0.1:45182 sessionId: 0x100000429340000
\tip: /127.0.0.1:45306 sessionId: 0x0
1 expire at Sun Nov 22 17:16:14 UTC 2026:
\tip: /127.0.0.1:45196 sessionId: 0x100000429340001
`);
    const netty = fakeView({ connectionExpiryBuckets: undefined });
    assert.match(runFourLetterWord('dump', netty, ALL), /\nConnections dump:\n$/);
  });

  it('mntr: version and state first, then the 3.8 gauges as key<TAB>value lines', () => {
    const view = fakeView({ stats: () => ({ minLatency: 1, avgLatency: 4.2, maxLatency: 11, received: 26, sent: 26,
      outstanding: 0, zxid: 5, nodeCount: 8, connections: 3, uptimeMs: 17203 }) });
    assert.equal(runFourLetterWord('mntr', view, ALL), `zk_version\t${VERSION}
zk_server_state\tstandalone
zk_ephemerals_count\t2
zk_num_alive_connections\t3
zk_avg_latency\t4.2
zk_outstanding_requests\t0
zk_znode_count\t8
zk_global_sessions\t2
zk_non_mtls_remote_conn_count\t0
zk_last_client_response_size\t16
zk_packets_sent\t26
zk_packets_received\t26
zk_max_client_response_size\t94
zk_connection_drop_probability\t0.0
zk_watch_count\t4
zk_auth_failed_count\t0
zk_min_latency\t1
zk_max_file_descriptor_count\t20000
zk_approximate_data_size\t56
zk_open_file_descriptor_count\t43
zk_local_sessions\t0
zk_uptime\t17203
zk_max_latency\t11
zk_outstanding_tls_handshake\t0
zk_min_client_response_size\t16
zk_non_mtls_local_conn_count\t0
`);
  });

  it('mntr: leader gauges, counters and summaries (avg to 4 decimals, percentiles rounded)', () => {
    const view = fakeView({
      serverState: 'leader',
      monitor: () => ({
        ...monitor, openFileDescriptorCount: undefined, maxFileDescriptorCount: undefined, quorumSize: 3,
        leader: { learners: 2, syncedFollowers: 2, syncedNonVotingFollowers: 0, syncedObservers: 1, pendingSyncs: 0,
          leaderUptimeMs: 9000, lastProposalSize: -1, minProposalSize: -1, maxProposalSize: -1 },
        counters: [['snap_count', 0], ['bytes_received_count', 416n]],
        summaries: [
          { name: 'a_read_per_namespace', count: 3, sum: 214, min: 71, max: 72 },
          { name: 'readlatency', count: 5, sum: 12, min: 1, max: 6, percentiles: { p50: 1.4, p95: 5.5, p99: 6, p999: 6 } },
          { name: 'election_time', count: 0, sum: 0, min: 0, max: 0 },
        ],
      }),
    });
    const out = runFourLetterWord('mntr', view, ALL);
    assert.match(out, /^zk_version\t.*\nzk_server_state\tleader\n/);
    assert.doesNotMatch(out, /file_descriptor_count/);
    assert.match(out, /\nzk_quorum_size\t3\nzk_learners\t2\nzk_synced_followers\t2\nzk_synced_non_voting_followers\t0\nzk_synced_observers\t1\nzk_pending_syncs\t0\nzk_leader_uptime\t9000\nzk_last_proposal_size\t-1\nzk_max_proposal_size\t-1\nzk_min_proposal_size\t-1\n/);
    assert.ok(out.endsWith(`zk_snap_count\t0
zk_bytes_received_count\t416
zk_avg_a_read_per_namespace\t71.3333
zk_min_a_read_per_namespace\t71
zk_max_a_read_per_namespace\t72
zk_cnt_a_read_per_namespace\t3
zk_sum_a_read_per_namespace\t214
zk_avg_readlatency\t2.4
zk_min_readlatency\t1
zk_max_readlatency\t6
zk_cnt_readlatency\t5
zk_sum_readlatency\t12
zk_p50_readlatency\t1
zk_p95_readlatency\t6
zk_p99_readlatency\t6
zk_p999_readlatency\t6
zk_avg_election_time\t0.0
zk_min_election_time\t0
zk_max_election_time\t0
zk_cnt_election_time\t0
zk_sum_election_time\t0
`), out);
  });

  it('srst and crst reset through the view and say so', () => {
    const view = fakeView();
    assert.equal(runFourLetterWord('srst', view, ALL), 'Server stats reset.\n');
    assert.equal(runFourLetterWord('crst', view, ALL), 'Connection stats reset.\n');
    assert.deepEqual(view.calls, ['resetStats', 'resetConnectionStats']);
  });

  it('stmk sets the trace mask and echoes it as a signed long', () => {
    let mask = DEFAULT_TRACE_MASK;
    const view = fakeView({ traceMask: () => mask, setTraceMask: (m) => { mask = m; } });
    assert.equal(runFourLetterWord('stmk', view, ALL, 0x1ffn), '511');
    assert.equal(runFourLetterWord('gtmk', view, ALL), '511');
    assert.equal(runFourLetterWord('stmk', view, ALL, 0xffffffffffffffffn), '-1');
  });

  it('hash prints the digest log as <zxid hex>: <signed digest>', () => {
    const view = fakeView({ digestLog: () => [{ zxid: 0x100000080, digest: 1234567890123n }, { zxid: 0x100000100, digest: 2n ** 64n - 5n }] });
    assert.equal(runFourLetterWord('hash', view, ALL), '100000080: 1234567890123\n100000100: -5\n');
    assert.equal(runFourLetterWord('hash', fakeView(), ALL), '');
  });
});

describe('four-letter words while not serving', () => {
  const down = fakeView({ serving: false, stats: () => { throw new Error('must not read stats'); } });
  it('ruok, envi and gtmk still answer; isro says null; hash has no newline; the rest say not serving', () => {
    assert.equal(runFourLetterWord('ruok', down, ALL), 'imok');
    assert.match(runFourLetterWord('envi', down, ALL), /^Environment:\n/);
    assert.equal(runFourLetterWord('gtmk', down, ALL), '306');
    assert.equal(runFourLetterWord('isro', down, ALL), 'null');
    assert.equal(runFourLetterWord('hash', down, ALL), ZK_NOT_SERVING);
    for (const w of ['srvr', 'stat', 'srst', 'crst', 'cons', 'conf', 'dirs', 'wchs', 'wchc', 'wchp', 'dump', 'mntr']) {
      assert.equal(runFourLetterWord(w, down, ALL), `${ZK_NOT_SERVING}\n`, w);
    }
    assert.deepEqual(down.calls, []);
  });
});

describe('whitelist', () => {
  it('a word not in the whitelist gets the exact refusal and runs nothing', () => {
    const view = fakeView();
    const only = parseFourLetterWhitelist('ruok, stat ,,');
    assert.equal(runFourLetterWord('conf', view, only), 'conf is not executed because it is not in the whitelist.\n');
    assert.equal(runFourLetterWord('srst', view, only), 'srst is not executed because it is not in the whitelist.\n');
    assert.equal(runFourLetterWord(TELNET_CLOSE, view, only), 'telnet close is not executed because it is not in the whitelist.\n');
    assert.deepEqual(view.calls, []);
    assert.equal(runFourLetterWord('ruok', view, only), 'imok');
    assert.match(runFourLetterWord('stat', view, only), /^Zookeeper version/);
  });

  it('parses as ZooKeeper 3.8 does: trimmed entries, srvr always, isro in read-only mode, * for all', () => {
    assert.deepEqual([...parseFourLetterWhitelist(undefined)].sort(), ['srvr']);
    assert.deepEqual([...parseFourLetterWhitelist(undefined, true)].sort(), ['isro', 'srvr']);
    assert.deepEqual([...parseFourLetterWhitelist(' ruok , stat ,,')].sort(), ['ruok', 'srvr', 'stat']);
    assert.deepEqual([...parseFourLetterWhitelist('')].sort(), ['srvr']);
    const all = parseFourLetterWhitelist('ruok, *');
    for (const w of FOUR_LETTER_WORDS) assert.ok(all.has(w), w);
    assert.ok(all.has(TELNET_CLOSE));
    // An enabled telnet close is answered with nothing: the server just closes.
    assert.equal(runFourLetterWord(TELNET_CLOSE, fakeView(), all), '');
    // A raw '*' in a hand-made set works too.
    assert.equal(runFourLetterWord('ruok', fakeView(), new Set(['*'])), 'imok');
  });
});

describe('recognizing a word on a fresh connection', () => {
  it('knows the 18 words and telnet close by their first four bytes, nothing else', () => {
    assert.equal(FOUR_LETTER_WORDS.size, 18);
    for (const w of FOUR_LETTER_WORDS) {
      assert.equal(fourLetterWordOf(Buffer.from(w)), w);
      assert.ok(isFourLetterWord(Buffer.from(`${w}\n`)));
    }
    assert.equal(fourLetterWordOf(Buffer.from([0xff, 0xf4, 0xff, 0xfd])), TELNET_CLOSE);
    // A ConnectRequest starts with its frame length (44 or 45): not a word.
    assert.equal(isFourLetterWord(Buffer.from([0, 0, 0, 45, 0])), false);
    assert.equal(isFourLetterWord(Buffer.from('RUOK')), false);
    assert.equal(isFourLetterWord(Buffer.from('xxxx')), false);
    assert.equal(isFourLetterWord(Buffer.from('ruo')), false);
  });

  it('names last operations as FinalRequestProcessor does', () => {
    assert.equal(lastOperationName(11), 'PING');
    assert.equal(lastOperationName(3), 'EXIS');
    assert.equal(lastOperationName(15), 'CREA');
    assert.equal(lastOperationName(12), 'GETC');
    assert.equal(lastOperationName(107), 'HOMI');
    assert.equal(lastOperationName(100), 'NA');
  });
});

describe('Java formatting', () => {
  it('Double.toString', () => {
    assert.equal(javaDouble(0), '0.0');
    assert.equal(javaDouble(4), '4.0');
    assert.equal(javaDouble(4.2), '4.2');
    assert.equal(javaDouble(71.3333), '71.3333');
    assert.equal(javaDouble(0.001), '0.001');
    assert.equal(javaDouble(0.0005), '5.0E-4');
    assert.equal(javaDouble(12345678), '1.2345678E7');
    assert.equal(javaDouble(1e7), '1.0E7');
    assert.equal(javaDouble(-2.5), '-2.5');
    assert.equal(javaDouble(Number.NaN), 'NaN');
  });

  it('averages rounded half up to 4 decimals', () => {
    assert.equal(roundedAverage(214, 3), 71.3333);
    assert.equal(roundedAverage(2, 3), 0.6667);
    assert.equal(roundedAverage(1, 32), 0.0313);
    assert.equal(roundedAverage(5, 0), 0);
  });

  it('Long.toHexString, socket addresses, Date.toString', () => {
    assert.equal(javaHexLong(0), '0');
    assert.equal(javaHexLong(-1), 'ffffffffffffffff');
    assert.equal(javaHexLong(-0x7effffbd6cc00000n), '8100004293400000');
    assert.equal(javaSocketAddress('127.0.0.1', 2181), '/127.0.0.1:2181');
    assert.equal(javaSocketAddress('::ffff:10.1.2.3', 5), '/10.1.2.3:5');
    assert.equal(javaSocketAddress('::1', 5), '/[0:0:0:0:0:0:0:1]:5');
    assert.equal(javaSocketAddress('2001:db8::a:0:1', 5), '/[2001:db8:0:0:0:a:0:1]:5');
    assert.equal(javaDate(Date.UTC(2026, 10, 22, 17, 16, 0), 'UTC'), 'Sun Nov 22 17:16:00 UTC 2026');
    assert.equal(javaDate(Date.UTC(2024, 1, 29, 23, 59, 59), 'UTC'), 'Thu Feb 29 23:59:59 UTC 2024');
  });

  it('processEnvironment lists this process in ZooKeeper\'s key order', () => {
    const env = processEnvironment(VERSION);
    assert.deepEqual(env[0], ['zookeeper.version', VERSION]);
    assert.equal(env[1][0], 'host.name');
    assert.deepEqual(env.slice(-3).map(([k]) => k), ['os.memory.free', 'os.memory.max', 'os.memory.total']);
    for (const [, v] of env.slice(-3)) assert.match(v, /^\d+MB$/);
  });
});
