// The harness's reading of an Apache member's log (test/interop/apache-ensemble.ts): which of its
// "Got zxid … expected …" warnings are proposals out of sequence, and which are ZooKeeper's own
// check tripping where nothing is wrong.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { protocolErrors } from '../interop/apache-ensemble.js';

const line = (message: string): string =>
  `2026-12-07T14:22:59.945 [QuorumPeer[myid=3](plain=127.0.0.1:41509)(secure=disabled)] WARN org.apache.zookeeper.server.quorum.Learner - ${message}`;

test('a DIFF going on into a later epoch is not out of sequence; a skip or a mid-epoch jump is', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'apache-log-'));
  try {
    const file = path.join(dir, 'zookeeper.log');
    writeFileSync(file, [
      line('Got zxid 0x100000005 expected 0x1'), // the first proposal of a sync phase
      line('Got zxid 0x200000001 expected 0x100000017'), // the DIFF enters epoch 2
      line('Got zxid 0x500000001 expected 0x200000004'), // ... or skips epochs that logged nothing
      line('Got zxid 0x100000019 expected 0x100000017'), // a txn skipped
      line('Got zxid 0x200000002 expected 0x100000017'), // epoch 2 entered past its first txn
      line('Got zxid 0x100000001 expected 0x200000004'), // back to an older epoch
      '',
    ].join('\n'));
    assert.deepEqual(protocolErrors(file).map((e) => e.message), [
      'Got zxid 0x100000019 expected 0x100000017',
      'Got zxid 0x200000002 expected 0x100000017',
      'Got zxid 0x100000001 expected 0x200000004',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
