// The AdminServer's 3.9 snapshot command through a real server process: the auth rules ZooKeeper
// 3.9 applies to it (an Authorization header whose ids hold every permission on "/"), its rate
// limit and switch, and the snapshot it streams. (The 3.8 commands against Apache ZooKeeper's own
// AdminServer: test/interop/admin-server.test.ts.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Perm } from '../../src/protocol/constants.js';
import { generateDigest } from '../../src/pipeline/acl.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';

async function admin(extra: Record<string, string> = {}): Promise<{ zk: ZkServerHandle; url: string }> {
  const adminPort = await freePort();
  const zk = await startZkServer({
    storage: 'filelog',
    extraConfig: { 'admin.enableServer': 'true', 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': String(adminPort), ...extra },
  });
  return { zk, url: `http://127.0.0.1:${adminPort}/commands` };
}

describe('AdminServer snapshot command (ZooKeeper 3.9)', () => {
  let zk: ZkServerHandle;
  let url = '';
  before(async () => {
    ({ zk, url } = await admin({ 'admin.rateLimiterIntervalInMS': '60000' }));
    // Only bob may do everything at the root.
    const c = await RawClient.connect(zk.port);
    await c.create('/before-snapshot', Buffer.from('x'));
    await c.setACL('/', [{ perms: Perm.ALL, id: { scheme: 'digest', id: generateDigest('bob:secret') } }, { perms: Perm.READ, id: { scheme: 'world', id: 'anyone' } }]);
    c.destroy();
  });
  after(async () => { await zk.stop(); });

  it('needs an Authorization header whose ids hold every permission on /', async () => {
    const no = await fetch(`${url}/snapshot`);
    assert.equal(no.status, 401);
    assert.deepEqual(await no.json(), { command: 'snapshot', error: 'Auth info is missing for the command' });
    const garbage = await fetch(`${url}/snap`, { headers: { Authorization: 'kerberos a b c' } });
    assert.equal(garbage.status, 401);
    assert.deepEqual(await garbage.json(), { command: 'snap', error: 'Not authenticated' });
    const alice = await fetch(`${url}/snapshot`, { headers: { Authorization: 'digest alice:secret' } });
    assert.equal(alice.status, 403);
    assert.deepEqual(await alice.json(), { command: 'snapshot', error: 'Not authorized' });
    const ip = await fetch(`${url}/snapshot`, { headers: { Authorization: 'ip' } });
    assert.equal(ip.status, 403);
  });

  it('streams a fresh snapshot with its zxid and size, then rate-limits', async () => {
    const res = await fetch(`${url}/snapshot`, { headers: { Authorization: 'digest bob:secret' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(body.subarray(0, 4).toString('latin1'), 'ZKSN');
    assert.equal(Number(res.headers.get('snapshot_size')), body.length);
    assert.match(res.headers.get('last_zxid') ?? '', /^0x[0-9a-f]{16}$/);
    assert.ok(Number(res.headers.get('last_zxid')) >= 2, 'the snapshot holds the writes made before it');
    const counters = async (): Promise<[unknown, unknown]> => {
      const monitor = await (await fetch(`${url}/monitor`)).json() as Record<string, unknown>;
      return [monitor.snapshot_rate_limited_count, monitor.snapshot_error_count];
    };
    assert.deepEqual(await counters(), [0, 0]);
    const again = await fetch(`${url}/snapshot?streaming=false`, { headers: { Authorization: 'digest bob:secret' } });
    assert.equal(again.status, 429);
    // ZooKeeper 3.9's counters for the command.
    assert.deepEqual(await counters(), [1, 0]);
  });
});

describe('AdminServer snapshot command switched off', () => {
  it('answers 503 with admin.snapshot.enabled=false', async () => {
    const { zk, url } = await admin({ 'admin.snapshot.enabled': 'false', 'zookeeper.DigestAuthenticationProvider.superDigest': generateDigest('root:pw') });
    try {
      const res = await fetch(`${url}/snapshot?streaming=false`, { headers: { Authorization: 'digest root:pw' } });
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { command: 'snapshot', error: null });
    } finally {
      await zk.stop();
    }
  });
});
