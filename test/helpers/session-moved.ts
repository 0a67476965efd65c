// One scenario run the same way on zk-server (test/quorum/clients.test.ts) and on Apache ZooKeeper
// (test/interop/session-moved.test.ts): a session re-established through a second member, then a
// setData on its old connection through the first.

import assert from 'node:assert/strict';
import { writeSetDataRequest } from '../../src/jute/records.js';
import { OpCode } from '../../src/protocol/constants.js';
import { RawClient } from './raw-client.js';
import { withTimeout } from './timeout.js';

/**
 * Asserts ZooKeeper's answer: the first member closes the stale connection without a reply, and
 * the session writes where it moved. Clients made are pushed to `opened` (the caller destroys them).
 */
export async function assertStaleWriteClosesConnection(firstPort: number, secondPort: number, opened: RawClient[]): Promise<void> {
  const a = await RawClient.connect(firstPort, { timeOut: 10_000 });
  opened.push(a);
  await a.create('/owned', Buffer.from('v0'));
  await a.setData('/owned', Buffer.from('v1'));
  const resp = a.connectResponse!;
  // A member refuses a session whose client has seen a zxid it has not applied yet (the client is
  // to try another server), and the second member may still lag behind a's write: a sync through
  // it, from a session of its own, makes it catch up first.
  const catchUp = await RawClient.connect(secondPort, { timeOut: 10_000 });
  opened.push(catchUp);
  await catchUp.sync('/owned');
  await catchUp.close();
  // The same session from another member's connection: that member revalidates it with the leader.
  const b = await RawClient.connect(secondPort, { timeOut: 10_000, sessionId: resp.sessionId, passwd: resp.passwd, lastZxidSeen: a.lastZxid });
  opened.push(b);
  assert.equal(b.sessionId, resp.sessionId);
  // The old connection is still open on the first member, which does not know.
  const reply = a.request(OpCode.setData, (w) => writeSetDataRequest(w, { path: '/owned', data: Buffer.from('stale'), version: -1 }));
  await assert.rejects(withTimeout(reply, 10_000, 'the stale write is answered by a close'), /connection closed/);
  await withTimeout(a.closed, 10_000, 'the first member closed the stale connection');
  // Where the session lives now, writes work.
  await b.setData('/owned', Buffer.from('v2'));
  const { data } = await b.getData('/owned');
  assert.equal(data?.toString(), 'v2');
}
