// A hand measurement, not a test: a 3-member zk-server ensemble whose leader holds a large tree
// SNAP-syncs a member with an empty data directory. Prints how long the member took to serve and
// the longest its client port went unanswered meanwhile (4lw `ruok` polled every 20 ms: the learner's
// main thread is stalled for as long as an answer is late).
//
//   npm run build && node dist/test/quorum/snap-million.js [nodes=1000000] [storage=filelog]

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openFilelogStorage } from '../../src/storage/index.js';
import { closeSnapshotPool, takeSnapshot } from '../../src/storage/snapshot/index.js';
import { DataTree } from '../../src/tree/index.js';
import { fourLetter } from '../helpers/zk-server.js';
import { Writer } from '../storage/snapshot-fixtures.js';
import { allocateEnsemble, startZkMember, waitForMode, type ZkMember } from './ensemble.js';

const nodes = Number(process.argv[2] ?? 1_000_000);
const storage = (process.argv[3] ?? 'filelog') as 'filelog' | 'level';

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'snap-million-'));
  const seed = path.join(work, 'seed');
  let t = Date.now();
  const w = new Writer(new DataTree());
  const payload = Buffer.alloc(64, 7);
  for (let p = 0; p < 100; p++) {
    w.create(`/p${p}`, null);
    for (let i = 0; i < nodes / 100; i++) w.create(`/p${p}/n${i}`, payload);
  }
  const fs = await openFilelogStorage({ dataDir: seed });
  const taken = await takeSnapshot(w.tree, new Map(), fs.snapshots);
  const epoch = Math.floor(w.tree.lastProcessedZxid / 2 ** 32);
  await fs.epochs.writeCurrentEpoch(epoch);
  await fs.epochs.writeAcceptedEpoch(epoch);
  await fs.close();
  await closeSnapshotPool();
  console.log(`built ${taken.nodeCount} nodes (${(taken.sizeBytes / 1e6).toFixed(0)} MB snapshot) in ${Date.now() - t} ms`);

  const members = await allocateEnsemble(3);
  const running: ZkMember[] = [];
  try {
    for (const sid of [1, 2]) {
      const dataDir = path.join(work, `m${sid}`);
      cpSync(seed, dataDir, { recursive: true });
      running.push(await startZkMember(members, sid, { dataDir, storage }));
    }
    await Promise.all([1, 2].map((sid) => waitForMode(members[sid - 1].clientPort, ['leader', 'follower'], 120_000)));
    console.log('members 1 and 2 serve the tree; starting member 3 with an empty data directory');
    t = Date.now();
    const m3 = await startZkMember(members, 3, { storage });
    running.push(m3);
    const port = members[2].clientPort;
    let worst = 0;
    let polls = 0;
    for (;;) {
      const asked = Date.now();
      const mode = await fourLetter(port, 'srvr', 30_000).then((s) => /Mode: (\w+)/.exec(s)?.[1] ?? null, () => null);
      worst = Math.max(worst, Date.now() - asked);
      polls++;
      if (mode === 'follower') break;
      if (Date.now() - t > 300_000) throw new Error('member 3 did not serve within 300 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log(`member 3 served as follower ${Date.now() - t} ms after its start; ` +
      `longest 4lw answer while syncing ${worst} ms (${polls} polls)`);
    console.log(m3.log().split('\n').filter((l) => /SNAP|snapshot from leader|serving as|ended|dropping/.test(l)).join('\n'));
  } finally {
    await Promise.all(running.map((m) => m.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
