// Applying one committed txn to the tree, as Apache ZooKeeper's DataTree.processTxn does: per-type
// dispatch, multi with its all-or-nothing error rewriting, tolerated NoNode/NodeExists on replay, and
// the digest bookkeeping after each top-level txn.

import type { Stat, Txn, TxnHeader } from '../jute/records.js';
import { ErrorCode, OpCode } from '../protocol/constants.js';
import { TreeError, type DataTree } from './data-tree.js';
import { CONTAINER_EPHEMERAL_OWNER, ttlToEphemeralOwner } from './ephemeral-type.js';

/** Outcome of one txn (ZooKeeper's ProcessTxnResult). */
export interface ApplyResult {
  clientId: bigint;
  cxid: number;
  zxid: number;
  /** The header's op code (a sub-result of a failed multi has -1). */
  type: number;
  /** 0, or the KeeperException code (NoNode, NodeExists… are results, not exceptions, on replay). */
  err: number;
  path: string;
  /** The node's stat after create (every create variant), setData and setACL; else null. */
  stat: Stat | null;
  multiResults: ApplyResult[] | null;
}

/** Op types ZooKeeper accepts inside a multi txn; anything else aborts the rest of the multi. */
const MULTI_SUB_TYPES: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createTTL, OpCode.createContainer, OpCode.delete,
  OpCode.deleteContainer, OpCode.setData, OpCode.error, OpCode.check,
]);

class InvalidMultiOp extends Error {}

export function applyTxn(tree: DataTree, hdr: TxnHeader, txn: Txn, isSubTxn: boolean): ApplyResult {
  const rc: ApplyResult = {
    clientId: hdr.clientId, cxid: hdr.cxid, zxid: hdr.zxid, type: hdr.type, err: 0, path: '', stat: null, multiResults: null,
  };
  try {
    dispatch(tree, hdr, txn, rc);
  } catch (e) {
    if (e instanceof TreeError) rc.err = e.code;
    else if (!(e instanceof InvalidMultiOp)) throw e;
  }

  // A create replayed over a fuzzy snapshot can meet its node already there (re-created by another
  // session after the parent was serialized): the parent's cversion/pzxid must still catch up.
  // ZooKeeper does this for plain creates only (header type 1), not create2.
  if (hdr.type === OpCode.create && rc.err === ErrorCode.NODEEXISTS && txn.type === OpCode.create) {
    const parentName = rc.path.slice(0, rc.path.lastIndexOf('/'));
    try {
      tree.setCversionPzxid(parentName, txn.parentCVersion, hdr.zxid);
    } catch (e) {
      if (!(e instanceof TreeError)) throw e;
      rc.err = e.code;
    }
  }

  if (!isSubTxn) {
    // Only after the whole multi is in, so a snapshot never claims a zxid it holds half of.
    if (rc.zxid > tree.lastProcessedZxid) tree.lastProcessedZxid = rc.zxid;
    tree.digestHistory.afterTxn(rc.zxid, () => tree.digest());
  }
  return rc;
}

function dispatch(tree: DataTree, hdr: TxnHeader, txn: Txn, rc: ApplyResult): void {
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
      // create2 is logged with its own type (15) but applies exactly like create.
      rc.path = txn.path;
      rc.stat = tree.createNode(txn.path, txn.data, txn.acl, txn.ephemeral ? hdr.clientId : 0n,
        txn.parentCVersion, hdr.zxid, hdr.time);
      return;
    case OpCode.createContainer:
      rc.path = txn.path;
      rc.stat = tree.createNode(txn.path, txn.data, txn.acl, CONTAINER_EPHEMERAL_OWNER, txn.parentCVersion, hdr.zxid, hdr.time);
      return;
    case OpCode.createTTL:
      rc.path = txn.path;
      // An invalid ttl throws out of apply, as in ZooKeeper: the prep stage must have refused it.
      rc.stat = tree.createNode(txn.path, txn.data, txn.acl, ttlToEphemeralOwner(txn.ttl), txn.parentCVersion, hdr.zxid, hdr.time);
      return;
    case OpCode.delete:
    case OpCode.deleteContainer:
      rc.path = txn.path;
      tree.deleteNode(txn.path, hdr.zxid);
      return;
    case OpCode.setData:
      // Also reconfig (16), whose txn is a SetDataTxn on /zookeeper/config.
      rc.path = txn.path;
      rc.stat = tree.setData(txn.path, txn.data, txn.version, hdr.zxid, hdr.time, txn.target);
      return;
    case OpCode.setACL:
      rc.path = txn.path;
      rc.stat = tree.setACL(txn.path, txn.acl, txn.version);
      return;
    case OpCode.closeSession:
      tree.killSession(hdr.clientId, hdr.zxid, txn.paths2Delete);
      return;
    case OpCode.createSession:
      // Sessions live in the session tracker; the tree only records the zxid.
      return;
    case OpCode.error:
      rc.err = txn.err;
      return;
    case OpCode.check:
      rc.path = txn.path;
      return;
    case OpCode.multi:
      applyMulti(tree, hdr, txn.txns, rc);
      return;
  }
}

/**
 * A multi either applies all its ops or none: if any sub-txn is an error (the op that failed in prep),
 * the ops before it become error 0 and those after become RUNTIMEINCONSISTENCY, and nothing changes.
 */
function applyMulti(tree: DataTree, hdr: TxnHeader, txns: readonly Txn[], rc: ApplyResult): void {
  const results: ApplyResult[] = [];
  rc.multiResults = results;
  const failed = txns.some((t) => t.type === OpCode.error);
  let postFailed = false;
  for (const sub of txns) {
    if (!MULTI_SUB_TYPES.has(sub.type)) throw new InvalidMultiOp(`Invalid type of op: ${sub.type}`);
    let record: Txn = sub;
    if (sub.type === OpCode.error) postFailed = true;
    if (failed && sub.type !== OpCode.error) {
      record = { type: OpCode.error, err: postFailed ? ErrorCode.RUNTIMEINCONSISTENCY : ErrorCode.OK };
    }
    const subHdr: TxnHeader = { clientId: hdr.clientId, cxid: hdr.cxid, zxid: hdr.zxid, time: hdr.time, type: record.type };
    const subRc = applyTxn(tree, subHdr, record, true);
    results.push(subRc);
    if (subRc.err !== 0 && rc.err === 0) rc.err = subRc.err;
  }
}
