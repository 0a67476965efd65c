// Applying a committed setData to the data tree (src/tree/), with and without the incremental digest
// ZooKeeper 3.6+ keeps, and preparing one (src/pipeline/prep.ts): validation, ACL check, txn build;
// and the main thread's share of a snapshot: walking the tree and packing nodes for the worker.

import { JuteWriter } from '../../src/jute/writer.js';
import { writeSetDataRequest, type Txn, type TxnHeader } from '../../src/jute/records.js';
import { OpCode } from '../../src/protocol/constants.js';
import { OutstandingChanges } from '../../src/pipeline/change-records.js';
import { Prep } from '../../src/pipeline/prep.js';
import { DataTree, OPEN_ACL_UNSAFE } from '../../src/tree/index.js';
import { EncodeBatchBuilder } from '../../src/storage/snapshot/batch.js';
import { SnapshotWalker } from '../../src/storage/snapshot/walk.js';

const OPEN_ACL = [...OPEN_ACL_UNSAFE];
import { consume, type MicroSuite } from './suite.js';

const NODE_PATH = '/zk-bench/s0-0';
const NODE_COUNT = 10_000;

/** A tree with NODE_COUNT siblings of NODE_PATH, so map lookups are not on a toy tree. */
function treeWithNodes(digestEnabled: boolean): { tree: DataTree; zxid: number } {
  const tree = new DataTree({ digestEnabled });
  let zxid = 1;
  const hdr = (type: number): TxnHeader => ({ clientId: 1n, cxid: zxid, zxid, time: 1_700_000_000_000, type });
  tree.apply(hdr(OpCode.create), { type: 1, path: '/zk-bench', data: null, acl: OPEN_ACL, ephemeral: false, parentCVersion: 1 });
  for (let i = 0; i < NODE_COUNT; i++) {
    zxid++;
    tree.apply(hdr(OpCode.create), {
      type: 1, path: `/zk-bench/s${i}-0`, data: Buffer.alloc(100), acl: OPEN_ACL, ephemeral: false, parentCVersion: i + 2,
    });
  }
  return { tree, zxid };
}

export function treeSuite(): MicroSuite {
  const payload = Buffer.alloc(100, 0x62);
  const withDigest = treeWithNodes(true);
  const noDigest = treeWithNodes(false);
  const txn: Txn = { type: 5, path: NODE_PATH, data: payload, version: -1 };
  const applyOnce = (t: { tree: DataTree; zxid: number }) => (): void => {
    t.zxid++;
    consume(t.tree.apply({ clientId: 1n, cxid: t.zxid, zxid: t.zxid, time: 1_700_000_000_000, type: OpCode.setData }, txn, null));
  };

  const prepTree = treeWithNodes(true);
  const changes = new OutstandingChanges(prepTree.tree, true);
  const prep = new Prep(changes, { extendedTypesEnabled: false, digestEnabled: true });
  const body = new JuteWriter(256);
  writeSetDataRequest(body, { path: NODE_PATH, data: payload, version: -1 });
  const request = body.toBuffer();
  const ctx = { sessionId: 0x1000012345n, authInfo: [] };
  let prepZxid = prepTree.zxid;

  // As takeSnapshot does it, minus the slicing and the worker: batches of 2048 nodes / 192 KiB.
  const builder = new EncodeBatchBuilder(2048, 192 * 1024, 5);
  const walkAndPack = (): void => {
    const walk = new SnapshotWalker(withDigest.tree);
    while (walk.next()) {
      if (!builder.add(walk.prefix, walk.name, walk.node)) {
        builder.take();
        builder.add(walk.prefix, walk.name, walk.node);
      }
    }
    consume(builder.take());
  };

  return {
    name: 'tree and prep',
    cases: [
      { name: `tree.apply setData 100 B, digest on (${NODE_COUNT} nodes)`, fn: applyOnce(withDigest) },
      { name: `tree.apply setData 100 B, digest off (${NODE_COUNT} nodes)`, fn: applyOnce(noDigest) },
      { name: `snapshot walk + pack, whole tree (${NODE_COUNT} nodes of 100 B)`, fn: walkAndPack },
      {
        name: 'prep setData 100 B (+ commit of its change record)',
        fn: () => {
          prepZxid++;
          consume(prep.prepare(OpCode.setData, prepZxid, ctx, request, prepZxid, 1_700_000_000_000));
          changes.committed(prepZxid);
        },
      },
    ],
  };
}
