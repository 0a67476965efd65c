// The AdminServer against Apache ZooKeeper 3.8's own (Debian's build, with the servlet API jar on its
// classpath so its Jetty AdminServer starts): the same steps through the same client on both, then
// every command fetched from both and compared. The JSON must have the same shape (keys in the same
// order, the same nesting, numbers where ZooKeeper has longs and doubles where it has doubles,
// printed as Jackson prints them), and the values that the shared state decides must be equal.
//
// Known differences, left out of the comparison and listed in the README:
// - `environment` and `system_properties` describe the process: Java's properties there, Node's here.
// - `server_stats` is a Java bean whose getter order the JVM does not fix: its keys compare as a set.
// - `monitor`'s metric order follows a ConcurrentHashMap: keys compare as a set, and zk-server adds
//   its own `zkserver_*` metrics.
// - Debian's 3.8.0 has `dirs` and `data_dir_size`/`log_dir_size` swapped (fixed in 3.8.4): sizes are
//   not compared.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { freePort, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { CreateMode, NzkClient } from '../integration/support/nzk.js';
import { assertZooKeeperInstalled, javaMissingReason, startApacheZk } from './apache-zk.js';

const skip = javaMissingReason();

interface Side { name: string; zk: ZkServerHandle; adminPort: number; clients: NzkClient[] }

async function adminConfig(): Promise<{ port: number; config: Record<string, string> }> {
  const port = await freePort();
  return { port, config: { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(port) } };
}

function statusOf(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function fetchText(side: Side, path: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(`http://127.0.0.1:${side.adminPort}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** JSON with every integer kept as its digits (session ids exceed 2^53). */
function parseExact(text: string): unknown {
  return JSON.parse(text.replace(/(?<=[:[,]\s*)(-?\d{16,})(?=\s*[,\]}\n])/g, '"$1"'));
}

/**
 * The text with each value replaced by its kind: S string, L long, D double, B boolean, null; keys
 * that are data become <id> or <path>. Other keys, nesting, order and the pretty printer's layout
 * stay, so two answers of the same shape are equal.
 */
function shape(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const str = text.slice(i, j + 1);
      const isKey = /^\s*:/.test(text.slice(j + 1, j + 4));
      // Keys that are data (session ids, expiry times, paths) say only what they are.
      out += !isKey ? 'S' : /^"-?\d+"$/.test(str) ? '"<id>"' : str.startsWith('"/') ? '"<path>"' : str;
      i = j + 1;
    } else if (/[-\d]/.test(ch)) {
      const num = /^-?\d+(\.\d+)?(E-?\d+)?/.exec(text.slice(i))?.[0] ?? ch;
      out += /[.E]/.test(num) ? 'D' : 'L';
      i += num.length;
    } else if (text.startsWith('true', i) || text.startsWith('false', i)) {
      out += 'B';
      i += text.startsWith('true', i) ? 4 : 5;
    } else {
      out += ch;
      i++;
    }
  }
  return sortDataEntries(out);
}

/** Entries keyed by data (<id>, <path>) come in hash order on both sides: each run is sorted. */
function sortDataEntries(text: string): string {
  const lines = text.split('\n');
  const isEntry = (l: string): boolean => /^\s*"<(id|path)>" : [^{]*$/.test(l);
  for (let i = 0; i < lines.length; i++) {
    if (!isEntry(lines[i])) continue;
    let end = i;
    while (end < lines.length && isEntry(lines[end])) end++;
    const run = lines.slice(i, end).map((l) => l.replace(/,$/, '')).sort();
    lines.splice(i, end - i, ...run.map((l, k) => (k < run.length - 1 ? `${l},` : l)));
    i = end - 1;
  }
  return lines.join('\n');
}

type Obj = Record<string, unknown>;
const keysOf = (v: unknown): string[] => Object.keys(v as Obj);

async function workload(side: Side): Promise<void> {
  const a = await NzkClient.connect(side.zk.port);
  const b = await NzkClient.connect(side.zk.port);
  side.clients.push(a, b);
  await a.create('/app', Buffer.from('a'));
  await a.create('/app/child', Buffer.from('c'));
  await a.create('/eph', Buffer.from('e'), CreateMode.EPHEMERAL);
  // A quota on /app, as zkCli's setquota writes it: the per-namespace quota gauges report it.
  await a.create('/zookeeper/quota/app');
  await a.create('/zookeeper/quota/app/zookeeper_limits', Buffer.from('count=10,bytes=-1'));
  await a.create('/zookeeper/quota/app/zookeeper_stats', Buffer.from('count=0,bytes=0'));
  await a.getData('/app', () => {});
  await a.exists('/missing', () => {});
  await a.getChildren('/app', () => {});
  await b.getData('/app', () => {});
  await b.getData('/app/child', () => {});
}

describe('AdminServer compared with Apache ZooKeeper 3.8\'s', { skip: skip ?? false, timeout: 180_000 }, () => {
  const sides: Side[] = [];
  const get = async (path: string): Promise<Array<{ status: number; type: string | null; body: string }>> =>
    Promise.all(sides.map((s) => fetchText(s, path)));

  before(async () => {
    assertZooKeeperInstalled();
    const apacheAdmin = await adminConfig();
    const apache = await startApacheZk({ extraConfig: apacheAdmin.config });
    sides.push({ name: 'apache', zk: apache, adminPort: apacheAdmin.port, clients: [] });
    const oursAdmin = await adminConfig();
    const ours = await startZkServer({ storage: 'filelog', extraConfig: oursAdmin.config });
    sides.push({ name: 'zk-server', zk: ours, adminPort: oursAdmin.port, clients: [] });
    for (const s of sides) await workload(s);
  });

  after(async () => {
    for (const s of sides) for (const c of s.clients) c.close();
    await Promise.all(sides.map((s) => s.zk.stop()));
  });

  it('lists the same commands at admin.commandURL, and 3.9\'s snapshot', async () => {
    const [apache, ours] = await get('/commands');
    const names = (html: string): string[] => [...html.matchAll(/<a href="\/commands\/([a-z_]+)">\1<\/a>/g)].map((m) => m[1]);
    assert.deepEqual(names(ours.body), [...names(apache.body), 'snapshot'].sort());
    assert.ok(names(ours.body).length >= 26, ours.body);
  });

  // Commands whose whole answer has the same shape on both for the same state.
  for (const path of [
    '/commands/configuration', '/commands/conf', '/commands/connections', '/commands/watches', '/commands/watches_by_path',
    '/commands/watch_summary', '/commands/is_read_only', '/commands/get_trace_mask', '/commands/leader', '/commands/voting_view',
    '/commands/zabstate', '/commands/observers', '/commands/ruok', '/commands/nosuchcommand', '/commands/hash',
    '/commands/last_snapshot', '/commands/dirs', '/commands/initial_configuration', '/commands/set_trace_mask',
    '/commands/set_trace_mask?traceMask=x', '/commands/set_trace_mask?traceMask=306', '/commands/dump',
  ]) {
    it(`answers ${path} in the same shape`, async () => {
      const [apache, ours] = await get(path);
      assert.equal(ours.status, apache.status);
      assert.equal(ours.type, apache.type);
      // A session touched leaves its old expiry bucket empty until that bucket's time comes (an
      // ExpiryQueue does so too): whether one shows depends on when each server was asked.
      const settled = (body: string): string => path !== '/commands/dump' ? body
        : body.replace(/\n\s*"\d+" : \[ \],/g, '').replace(/,\n\s*"\d+" : \[ \]/g, '');
      assert.equal(shape(settled(ours.body)), shape(settled(apache.body)), `zk-server:\n${ours.body}\napache:\n${apache.body}`);
    });
  }

  it('agrees on the values the shared state decides', async () => {
    const both = async (path: string): Promise<Obj[]> => (await get(path)).map((r) => parseExact(r.body) as Obj);
    const [ac, oc] = await both('/commands/conf');
    for (const k of ['tick_time', 'max_client_cnxns', 'min_session_timeout', 'max_session_timeout', 'server_id', 'client_port_listen_backlog']) {
      assert.equal(oc[k], ac[k], k);
    }
    for (const [i, s] of sides.entries()) assert.equal([ac, oc][i].client_port, s.zk.port);
    assert.deepEqual(...(await both('/commands/watch_summary')).reverse() as [Obj, Obj]);
    const [aw, ow] = await both('/commands/watches_by_path');
    const counts = (w: Obj): Record<string, number> =>
      Object.fromEntries(Object.entries(w.path_to_session_ids as Record<string, unknown[]>).map(([p, s]) => [p, s.length]));
    assert.deepEqual(counts(ow), counts(aw));
    const [ad, od] = await both('/commands/dump');
    const ephemerals = (d: Obj): string[][] => Object.values(d.session_id_to_ephemeral_paths as Record<string, string[]>);
    assert.deepEqual(ephemerals(od), ephemerals(ad));
    const sessions = (d: Obj): number => Object.values(d.expiry_time_to_session_ids as Record<string, unknown[]>).flat().length;
    assert.equal(sessions(od), sessions(ad));
    const [acons, ocons] = await both('/commands/cons');
    const ops = (c: Obj): string[] => (c.connections as Obj[]).map((x) => `${String(x.last_operation)} ${String(x.outstanding_requests)}`).sort();
    assert.deepEqual(ops(ocons), ops(acons));
    for (const [i, s] of sides.entries()) {
      const ids = ([acons, ocons][i].connections as Obj[]).map((x) => BigInt(String(x.session_id))).sort();
      assert.deepEqual(ids, s.clients.map((c) => c.sessionId).sort(), `${s.name} session ids`);
    }
    const [al, ol] = await both('/commands/last_snapshot');
    assert.equal(ol.zxid, al.zxid);
  });

  it('answers srvr and stat with the same keys and the same counts', async () => {
    for (const path of ['/commands/srvr', '/commands/stat']) {
      const [apache, ours] = (await get(path)).map((r) => parseExact(r.body) as Obj);
      assert.deepEqual(keysOf(ours), keysOf(apache), path);
      assert.deepEqual(keysOf(ours.server_stats).sort(), keysOf(apache.server_stats).sort(), `${path} server_stats`);
      for (const k of ['read_only', 'node_count', 'command', 'error']) assert.deepEqual(ours[k], apache[k], `${path} ${k}`);
      const [as, os] = [apache.server_stats as Obj, ours.server_stats as Obj];
      for (const k of ['server_state', 'num_alive_client_connections', 'outstanding_requests']) assert.equal(os[k], as[k], `${path} ${k}`);
    }
  });

  it('answers monitor with every metric ZooKeeper lists, and the same gauges for the same state', async () => {
    const [apache, ours] = (await get('/commands/monitor')).map((r) => parseExact(r.body) as Obj);
    const missing = keysOf(apache).filter((k) => !(k in ours));
    assert.deepEqual(missing, []);
    const extra = keysOf(ours).filter((k) => !(k in apache));
    // Beside zk-server's own, 3.9's counters of the snapshot command (Debian's 3.8 has neither).
    const of39 = new Set(['snapshot_error_count', 'snapshot_rate_limited_count']);
    assert.ok(extra.every((k) => /zkserver_/.test(k) || of39.has(k)), `unexpected extra keys: ${extra.join(', ')}`);
    for (const k of ['server_state', 'znode_count', 'ephemerals_count', 'watch_count', 'global_sessions', 'num_alive_connections', 'outstanding_requests']) {
      assert.equal(ours[k], apache[k], k);
    }
    // Summaries and counters ZooKeeper's client traffic moves on both.
    for (const k of ['cnt_updatelatency', 'connection_request_count']) assert.equal(ours[k], apache[k], k);
    for (const k of ['app_quota_count_limit_per_namespace', 'app_quota_bytes_limit_per_namespace', 'app_quota_count_usage_per_namespace', 'app_quota_bytes_usage_per_namespace']) {
      assert.ok(k in apache, `${k} in Apache's monitor`);
      assert.equal(ours[k], apache[k], k);
    }
    // DataTree's per-namespace byte counts: the same paths and data give the same sums.
    for (const ns of ['app', 'eph']) {
      for (const k of [`cnt_${ns}_write_per_namespace`, `sum_${ns}_write_per_namespace`, `max_${ns}_write_per_namespace`]) assert.equal(ours[k], apache[k], k);
    }
    for (const k of ['cnt_app_read_per_namespace', 'sum_app_read_per_namespace']) assert.equal(ours[k], apache[k], k);
  });

  it('resets as ZooKeeper does: srst zeroes the request counters and the metrics, crst the connections\'', async () => {
    for (const path of ['/commands/stat_reset', '/commands/connection_stat_reset']) {
      const [apache, ours] = await get(path);
      assert.equal(shape(ours.body), shape(apache.body));
    }
    const [apache, ours] = (await get('/commands/monitor')).map((r) => parseExact(r.body) as Obj);
    for (const k of ['cnt_updatelatency', 'connection_request_count', 'packets_received']) assert.equal(ours[k], apache[k], k);
  });

  it('refuses what Jetty refuses: TRACE, other paths', async () => {
    for (const s of sides) {
      // fetch() refuses to send TRACE, so this one goes through node:http.
      assert.equal(await statusOf(s.adminPort, 'TRACE', '/commands/ruok'), 403, s.name);
      assert.equal((await fetchText(s, '/nothing-here')).status, 404, s.name);
      // A malformed escape is refused, and the server goes on answering.
      assert.notEqual((await fetchText(s, '/commands/%E0%A4%A')).status, 200, s.name);
      assert.equal((await fetchText(s, '/commands/ruok')).status, 200, s.name);
    }
  });
});
