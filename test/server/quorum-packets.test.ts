// The learner-protocol payloads the quorum roles build and read (REQUEST, PING touches, PROPOSAL).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, decodeTouches, encodeRequest, encodeTouches, proposalOf } from '../../src/server/quorum/packets.js';
import { PacketType } from '../../src/jute/quorum.js';
import { encodeTxnEntry } from '../../src/storage/txn-entry.js';
import { OpCode } from '../../src/protocol/constants.js';

test('REQUEST carries session id, cxid, type and the request record, with the client\'s auth ids', () => {
  const body = Buffer.from([0, 0, 0, 2, 0x2f, 0x61]);
  const p = encodeRequest({
    type: OpCode.create, xid: 77, body, sessionId: 0x102030405060708n, authInfo: [{ scheme: 'digest', id: 'u:x' }],
    sink: null, receivedAtMs: 0,
  });
  assert.equal(p.type, PacketType.REQUEST);
  assert.equal(p.zxid, -1);
  assert.deepEqual(p.authinfo, [{ scheme: 'digest', id: 'u:x' }]);
  assert.equal(p.data?.toString('hex'), '0102030405060708' + '0000004d' + '00000001' + body.toString('hex'));
  assert.deepEqual(decodeRequest(p.data as Buffer), { sessionId: 0x102030405060708n, cxid: 77, type: OpCode.create, body });
});

test('PING touches: (sessionId, timeout) pairs, nothing for none; a short tail is ignored', () => {
  const touches: Array<[bigint, number]> = [[1n, 4000], [-2n, 30000]];
  const data = encodeTouches(touches);
  assert.equal(data.length, 24);
  assert.deepEqual(decodeTouches(data), touches);
  assert.deepEqual(decodeTouches(null), []);
  assert.deepEqual(decodeTouches(Buffer.concat([data, Buffer.alloc(5)])), touches);
});

test('a PROPOSAL payload becomes a proposal the pipeline applies; a zxid mismatch is refused', () => {
  const header = { clientId: 5n, cxid: 9, zxid: 0x100000003, time: 1234, type: OpCode.setData };
  const txn = { type: OpCode.setData, path: '/a', data: Buffer.from('x'), version: 2 } as const;
  const entry = encodeTxnEntry(header, txn, { version: 2, treeDigest: 42n });
  const p = proposalOf(0x100000003, entry.payload);
  assert.equal(p.zxid, 0x100000003);
  assert.equal(p.request, null);
  assert.deepEqual(p.prepared.hdr, header);
  assert.equal(p.prepared.error, 0);
  assert.deepEqual(p.prepared.digest, { version: 2, treeDigest: 42n });
  assert.throws(() => proposalOf(0x100000004, entry.payload), /carries a txn of zxid 0x100000003/);
});
