// Bad peer input against a running ensemble: garbage on the leader's quorum port and on a member's
// election port closes that connection with a log line naming the problem; the members keep their
// roles and writes go on.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { encodeInitialMessage, encodeQuorumPacket, PacketType } from '../../src/jute/quorum.js';
import { connectClient, Ensemble, showLogsOnFailure, waitUntil } from './ensemble.js';

/** Connects, writes `bytes`, and resolves once the member has closed the connection. */
function sendAndAwaitClose(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('error', () => undefined);
    s.once('close', () => resolve());
    setTimeout(() => { s.destroy(); reject(new Error(`port ${port} did not close the connection`)); }, 10_000).unref();
  });
}

test('malformed quorum and election input closes that connection; the ensemble keeps serving', async () => {
  const e = await Ensemble.start(3);
  const clients: Array<{ close(): void }> = [];
  try {
    await showLogsOnFailure(e, async () => {
      const roles = await e.waitForRoles(30_000);
      const leader = e.members.find((m) => m.sid === roles.leader)!;
      const follower = e.members.find((m) => m.sid === roles.followers[0])!;

      // A packet whose data length is negative (not -1) on the leader's quorum port.
      const bad = encodeQuorumPacket({ type: PacketType.FOLLOWERINFO, zxid: 0, data: Buffer.alloc(20), authinfo: null });
      bad.writeInt32BE(-7, 12);
      await sendAndAwaitClose(leader.quorumPort, bad);
      // A well-formed packet that is not FOLLOWERINFO as the first one.
      await sendAndAwaitClose(leader.quorumPort, encodeQuorumPacket({ type: PacketType.PING, zxid: 0, data: null, authinfo: null }));
      // An election header with an unknown protocol version, and a frame over 512 KiB from a larger sid.
      const version = Buffer.alloc(24);
      version.writeBigInt64BE(-12345n, 0);
      await sendAndAwaitClose(follower.electionPort, version);
      const frame = Buffer.alloc(4);
      frame.writeInt32BE(512 * 1024 + 1);
      await sendAndAwaitClose(follower.electionPort, Buffer.concat([encodeInitialMessage(200, '127.0.0.1:1'), frame]));

      await waitUntil(async () => /malformed packet/.test(e.log(roles.leader)) && /not FOLLOWERINFO/.test(e.log(roles.leader)), 5_000, 'the leader logged both quorum-port problems');
      await waitUntil(async () => /protocol version/i.test(e.log(follower.sid)) && /512|frame|length/i.test(e.log(follower.sid)), 5_000, 'the follower logged both election-port problems');
      const after = await e.waitForRoles(10_000);
      assert.equal(after.leader, roles.leader, 'the leader kept its role');
      const c = await connectClient(e.connectString());
      clients.push(c);
      await c.create('/still-serving', Buffer.from('yes'));
      assert.equal((await c.getData('/still-serving')).data?.toString(), 'yes');
    });
  } finally {
    for (const c of clients) c.close();
    await e.stopAll();
  }
});
