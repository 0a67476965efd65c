// Four-letter words over a socket, on zk-server and Apache ZooKeeper 3.8 set up alike (same whitelist,
// same znodes, one watching session): answers compared line by line after the values that must differ
// (versions, counters, ids, times, paths) are masked, so tools that parse ZooKeeper's output parse ours.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFlag } from '../../src/protocol/constants.js';
import { RawClient } from '../helpers/raw-client.js';
import { fourLetter, type ZkServerHandle } from '../helpers/zk-server.js';
import { APACHE_ZK_MISSING, startPair, type ServerPair } from './support/compare.js';

const WHITELISTED = ['ruok', 'srvr', 'stat', 'mntr', 'cons', 'wchs', 'wchc', 'wchp', 'dump', 'isro', 'conf', 'dirs', 'crst', 'srst'];
/** Every client a server gets in this file, with its watches; closed in after(). */
const clients: RawClient[] = [];

/** The same small state on a server: znodes, an ephemeral, one session watching two paths. */
async function setUp(h: ZkServerHandle): Promise<RawClient> {
  const c = await RawClient.connect(h.port);
  clients.push(c);
  await c.create('/4lw');
  await c.create('/4lw/eph', null, { flags: CreateFlag.EPHEMERAL });
  await c.getData('/4lw', true);
  await c.getChildren('/4lw', true);
  await c.exists('/4lw/eph', true);
  return c;
}

/** Masks what legitimately differs between two servers and two runs. */
function mask(text: string, sessionId: bigint): string {
  const sid = `0x${BigInt.asUintN(64, sessionId).toString(16)}`;
  return text
    .split(sid).join('SESSION')
    .replace(/^(Zookeeper version: |zk_version\t|zookeeper\.version=).*$/gm, '$1VERSION')
    .replace(/\/127\.0\.0\.1:\d+/g, '/127.0.0.1:PORT')
    .replace(/\b(at|expire at) \w{3} \w{3} \d+ [\d:]+ \w+ \d{4}/g, '$1 DATE')
    .replace(/=\/tmp\/[^\s]+/g, '=PATH')
    .replace(/\b0x[0-9a-f]+\b/g, 'HEX')
    .replace(/-?\d+(\.\d+)?/g, 'N');
}

describe('four-letter words on zk-server, compared with Apache ZooKeeper 3.8', () => {
  let pair: ServerPair;
  const sessions = new Map<ZkServerHandle, bigint>();
  before(async () => {
    pair = await startPair({ '4lw.commands.whitelist': WHITELISTED.join(', ') });
    for (const h of [pair.ours, pair.theirs]) if (h) sessions.set(h, (await setUp(h)).sessionId);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await pair?.stop();
  });

  const ask = async (h: ZkServerHandle, word: string): Promise<string> => mask(await fourLetter(h.port, word), sessions.get(h) ?? 0n);

  it('ruok, isro, crst and srst answer exactly as ZooKeeper does', async (t) => {
    assert.equal(await fourLetter(pair.ours.port, 'ruok'), 'imok');
    assert.equal(await fourLetter(pair.ours.port, 'isro'), 'rw');
    assert.equal(await fourLetter(pair.ours.port, 'crst'), 'Connection stats reset.\n');
    assert.equal(await fourLetter(pair.ours.port, 'srst'), 'Server stats reset.\n');
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    for (const w of ['ruok', 'isro', 'crst', 'srst']) assert.equal(await fourLetter(pair.ours.port, w), await fourLetter(pair.theirs.port, w), w);
  });

  it('srvr and stat have ZooKeeper\'s lines, in its order', async (t) => {
    const srvr = await fourLetter(pair.ours.port, 'srvr');
    assert.match(srvr, /^Zookeeper version: .*\nLatency min\/avg\/max: \d+\/[\d.]+\/\d+\nReceived: \d+\nSent: \d+\nConnections: \d+\nOutstanding: 0\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n$/);
    const stat = await fourLetter(pair.ours.port, 'stat');
    assert.match(stat, /^Clients:\n \/127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+\)$/m, 'the watching client is listed');
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    assert.equal(await ask(pair.ours, 'srvr'), await ask(pair.theirs, 'srvr'));
    // stat lists this probe's own connection too; its counters differ between servers, so lines are compared as a set.
    const lines = async (h: ZkServerHandle) => (await ask(h, 'stat')).split('\n').sort();
    assert.deepEqual(await lines(pair.ours), await lines(pair.theirs));
  });

  it('mntr has ZooKeeper\'s core keys, tab-separated, with equal values where the state is equal', async (t) => {
    const parse = async (h: ZkServerHandle) => new Map((await fourLetter(h.port, 'mntr')).trim().split('\n').map((l) => l.split('\t') as [string, string]));
    const ours = await parse(pair.ours);
    for (const [k, v] of ours) {
      assert.match(k, /^zk_[a-z0-9_]+$/);
      assert.notEqual(v, undefined, `${k} has a value`);
    }
    const same = ['zk_server_state', 'zk_ephemerals_count', 'zk_znode_count', 'zk_watch_count', 'zk_global_sessions', 'zk_outstanding_requests', 'zk_approximate_data_size', 'zk_local_sessions'];
    for (const k of [...same, 'zk_version', 'zk_avg_latency', 'zk_max_latency', 'zk_min_latency', 'zk_packets_received', 'zk_packets_sent', 'zk_num_alive_connections', 'zk_uptime']) {
      assert.ok(ours.has(k), `mntr has ${k}`);
    }
    assert.equal(ours.get('zk_server_state'), 'standalone');
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    const theirs = await parse(pair.theirs);
    for (const k of same) assert.equal(ours.get(k), theirs.get(k), k);
    // zk-server's own metrics (zkserver_*) and 3.9's counters of the snapshot command (Debian's
    // 3.8 has no such command) are the only keys ZooKeeper does not print.
    const of39 = new Set(['zk_snapshot_error_count', 'zk_snapshot_rate_limited_count']);
    const extra = [...ours.keys()].filter((k) => !theirs.has(k) && !of39.has(k) && !/^zk_(avg_|min_|max_|cnt_|sum_|p50_|p95_|p99_|p999_)?zkserver_/.test(k));
    assert.deepEqual(extra, [], 'no key ZooKeeper does not print');
  });

  it('wchs, wchc and wchp describe the same watches', async (t) => {
    // As in ZooKeeper, wchs summarizes the data/exist watches only (the child watch is not counted).
    assert.equal(await fourLetter(pair.ours.port, 'wchs'), '1 connections watching 2 paths\nTotal watches:2\n');
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    for (const w of ['wchs', 'wchc', 'wchp']) {
      const sorted = async (h: ZkServerHandle) => (await ask(h, w)).split('\n').sort();
      assert.deepEqual(await sorted(pair.ours), await sorted(pair.theirs), w);
    }
  });

  it('dump lists sessions by expiry and the ephemerals of each session', async (t) => {
    const dump = await fourLetter(pair.ours.port, 'dump');
    const sid = `0x${BigInt.asUintN(64, sessions.get(pair.ours) ?? 0n).toString(16)}`;
    assert.match(dump, new RegExp(`^SessionTracker dump:\\nSession Sets \\(\\d+\\)/\\(\\d+\\):\\n`));
    assert.match(dump, new RegExp(`ephemeral nodes dump:\\nSessions with Ephemerals \\(1\\):\\n${sid}:\\n\\t/4lw/eph\\n`));
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    // ZooKeeper also lists its NIO connection-expiry sets, which have no counterpart here.
    // Bucket headers are dropped: ZooKeeper keeps a bucket a session just left until it is due, so
    // how many (empty) buckets show depends on timing.
    const head = async (h: ZkServerHandle) => (await ask(h, 'dump')).split('Connections dump:')[0].replace(/^N expire at DATE:\n/gm, '');
    assert.equal(await head(pair.ours), await head(pair.theirs));
  });

  it('conf and cons carry ZooKeeper\'s keys', async (t) => {
    const confKeys = async (h: ZkServerHandle) => (await fourLetter(h.port, 'conf')).trim().split('\n').map((l) => l.split('=')[0]);
    const cons = await fourLetter(pair.ours.port, 'cons');
    assert.match(cons, /sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=30000,(lcxid=0x[0-9a-f]+,)?lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)/);
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    assert.deepEqual(await confKeys(pair.ours), await confKeys(pair.theirs));
    const consKeys = async (h: ZkServerHandle) => (await fourLetter(h.port, 'cons')).match(/\(([^)]*sid=[^)]*)\)/)?.[1].split(',').map((kv) => kv.split('=')[0]);
    assert.deepEqual(await consKeys(pair.ours), await consKeys(pair.theirs));
  });

  it('refuses words outside 4lw.commands.whitelist with ZooKeeper\'s message, and closes on non-words', async (t) => {
    for (const w of ['envi', 'gtmk', 'stmk']) {
      assert.equal(await fourLetter(pair.ours.port, w), `${w} is not executed because it is not in the whitelist.\n`);
    }
    assert.equal(await fourLetter(pair.ours.port, 'kill'), '', 'kill is no longer a command: the connection just closes');
    assert.equal(await fourLetter(pair.ours.port, 'ruok'), 'imok', 'still serving');
    if (!pair.theirs) return t.skip(APACHE_ZK_MISSING);
    for (const w of ['envi', 'gtmk', 'kill', 'xyzw']) assert.equal(await fourLetter(pair.ours.port, w), await fourLetter(pair.theirs.port, w), w);
  });
});
