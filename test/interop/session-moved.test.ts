// The reference for test/quorum/clients.test.ts's SESSIONMOVED test: the same steps on an Apache
// ZooKeeper 3.8 ensemble. A session re-established through another follower, then a setData on its
// old connection: the old follower closes that connection without a reply, and the session works
// where it moved.

import { test, after } from 'node:test';
import type { RawClient } from '../helpers/raw-client.js';
import { assertStaleWriteClosesConnection } from '../helpers/session-moved.js';
import { assertZooKeeperInstalled, javaMissingReason } from './apache-zk.js';
import { allocateEnsemble, startApacheMember, stopAllApacheMembers, waitForMode } from './apache-ensemble.js';

const skip = javaMissingReason();

after(async () => {
  await stopAllApacheMembers();
});

test('Apache ZooKeeper: a write on a moved session\'s old connection closes that connection', { skip: skip ?? false, timeout: 120_000 }, async () => {
  assertZooKeeperInstalled();
  const members = await allocateEnsemble(3);
  const zks = await Promise.all(members.map((m) => startApacheMember(members, m.sid)));
  const raws: RawClient[] = [];
  try {
    const modes = await Promise.all(members.map((m) => waitForMode(m.clientPort, ['leader', 'follower'], 60_000)));
    const followers = members.filter((_, i) => modes[i] === 'follower');
    await assertStaleWriteClosesConnection(followers[0].clientPort, followers[1].clientPort, raws);
  } finally {
    for (const r of raws) r.destroy();
    await Promise.all(zks.map((z) => z.stop()));
  }
});
