// The reference for test/quorum/clients.test.ts's SESSIONMOVED test: the same steps on an Apache
// ZooKeeper 3.8 ensemble. A session re-established through another follower, then a setData on its
// old connection: the old follower closes that connection without a reply, and the session works
// where it moved.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeSetDataRequest } from '../../src/jute/records.js';
import { OpCode } from '../../src/protocol/constants.js';
import { RawClient } from '../helpers/raw-client.js';
import { assertZooKeeperInstalled, javaMissingReason } from './apache-zk.js';
import { allocateEnsemble, startApacheMember, stopAllApacheMembers, waitForMode } from './apache-ensemble.js';

const skip = javaMissingReason();

after(async () => {
  await stopAllApacheMembers();
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

test('Apache ZooKeeper: a write on a moved session\'s old connection closes that connection', { skip: skip ?? false, timeout: 120_000 }, async () => {
  assertZooKeeperInstalled();
  const members = await allocateEnsemble(3);
  const zks = await Promise.all(members.map((m) => startApacheMember(members, m.sid)));
  const raws: RawClient[] = [];
  try {
    const modes = await Promise.all(members.map((m) => waitForMode(m.clientPort, ['leader', 'follower'], 60_000)));
    const followers = members.filter((_, i) => modes[i] === 'follower');
    const a = await RawClient.connect(followers[0].clientPort, { timeOut: 10_000 });
    raws.push(a);
    await a.create('/owned', Buffer.from('v0'));
    await a.setData('/owned', Buffer.from('v1'));
    const resp = a.connectResponse!;
    const b = await RawClient.connect(followers[1].clientPort, { timeOut: 10_000, sessionId: resp.sessionId, passwd: resp.passwd, lastZxidSeen: a.lastZxid });
    raws.push(b);
    assert.equal(b.sessionId, resp.sessionId);
    const reply = a.request(OpCode.setData, (w) => writeSetDataRequest(w, { path: '/owned', data: Buffer.from('stale'), version: -1 }));
    await assert.rejects(withTimeout(reply, 10_000, 'the stale write is answered by a close'), /connection closed/);
    await withTimeout(a.closed, 10_000, 'the first follower closed the stale connection');
    await b.setData('/owned', Buffer.from('v2'));
    const { data } = await b.getData('/owned');
    assert.equal(data?.toString(), 'v2');
  } finally {
    for (const r of raws) r.destroy();
    await Promise.all(zks.map((z) => z.stop()));
  }
});
