// Jute encode/decode of the records on the write path: the client's SetData/Create requests and the
// txn entries (TxnHeader ‖ txn ‖ TxnDigest) the log stores.

import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import {
  readCreateRequest, readSetDataRequest, writeCreateRequest, writeSetDataRequest, type ACL, type Txn, type TxnHeader,
} from '../../src/jute/records.js';
import { CreateFlag, OpCode, Perm } from '../../src/protocol/constants.js';
import { decodeTxnEntry, encodeTxnEntry } from '../../src/storage/txn-entry.js';
import { consume, type MicroSuite } from './suite.js';

const ACL_OPEN: ACL[] = [{ perms: Perm.ALL, id: { scheme: 'world', id: 'anyone' } }];

export function juteSuite(): MicroSuite {
  const payload = Buffer.alloc(100, 0x61);
  const writer = new JuteWriter(256);
  const setData = { path: '/zk-bench/s12-3', data: payload, version: -1 };
  const create = { path: '/zk-bench/c12/n-', data: payload, acl: ACL_OPEN, flags: CreateFlag.PERSISTENT_SEQUENTIAL, ttl: -1 };
  writeSetDataRequest(writer.reset(), setData);
  const setDataBytes = writer.toBuffer();
  writeCreateRequest(writer.reset(), create);
  const createBytes = writer.toBuffer();

  const hdr: TxnHeader = { clientId: 0x1000012345n, cxid: 42, zxid: 0x100000123, time: 1_700_000_000_000, type: OpCode.setData };
  const txn: Txn = { type: 5, path: setData.path, data: payload, version: 7 };
  const digest = { version: 2, treeDigest: 0x1234567890n };
  const entry = encodeTxnEntry(hdr, txn, digest);

  return {
    name: 'jute',
    cases: [
      { name: 'encode SetDataRequest 100 B (reused writer)', fn: () => { writeSetDataRequest(writer.reset(), setData); consume(writer.length); } },
      { name: 'decode SetDataRequest 100 B', fn: () => consume(readSetDataRequest(new JuteReader(setDataBytes))) },
      { name: 'encode CreateRequest 100 B (reused writer)', fn: () => { writeCreateRequest(writer.reset(), create); consume(writer.length); } },
      { name: 'decode CreateRequest 100 B', fn: () => consume(readCreateRequest(new JuteReader(createBytes))) },
      { name: 'encode setData txn entry (header+txn+digest)', fn: () => consume(encodeTxnEntry(hdr, txn, digest)) },
      { name: 'decode setData txn entry', fn: () => consume(decodeTxnEntry(entry)) },
    ],
  };
}
