// The memory backend's injected append failures, end to end through the public API: the log refuses
// writes after a failure, and a reopen sees only what was acknowledged before it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryVolume, openMemoryStorage, openStorage } from '../../src/storage/index.js';
import { collect, entries, readZxids, rejectsWithCode, run } from './conformance-support.js';

describe('memory backend', () => {
  it('fails an injected batch and everything after it, until reopened', async () => {
    const volume = new MemoryVolume();
    const failing = new Error('disk full');
    const backend = await openMemoryStorage({ volume, appendFault: (batch) => (batch[0].zxid === 4 ? failing : undefined) });
    const acks = [backend.txnLog.append(entries(run(1, 3))), backend.txnLog.append(entries([4, 5])), backend.txnLog.append(entries([6]))];
    const results = await Promise.allSettled(acks);
    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[1].status === 'rejected' && results[1].reason, failing);
    // Committed in the same group after the failed batch, so it fails with the same error.
    assert.equal(results[2].status === 'rejected' && results[2].reason, failing);
    await rejectsWithCode(backend.txnLog.append(entries([7])), 'ERR_STORAGE_WRITE_FAILED');
    await backend.close();

    const reopened = await openMemoryStorage({ volume });
    assert.deepEqual(await readZxids(reopened.txnLog, 0), [1, 2, 3], 'only acknowledged entries survive');
    await reopened.txnLog.append(entries([4]));
    assert.equal(await reopened.txnLog.lastZxid(), 4);
    await reopened.close();
  });

  it('copies appended payloads, so a reused buffer cannot change the log', async () => {
    const backend = await openMemoryStorage();
    const [e] = entries([1]);
    await backend.txnLog.append([e]);
    const before = Buffer.from(e.payload);
    e.payload.fill(0, 32);
    const [read] = await collect(backend.txnLog.read(0));
    assert.ok(read.payload.equals(before));
    await backend.close();
  });

  it('is opened by openStorage("memory"), which refuses unknown kinds', async () => {
    const volume = new MemoryVolume();
    const a = await openStorage('memory', { memoryVolume: volume });
    assert.equal(a.kind, 'memory');
    assert.deepEqual({ ...a.supports }, { persistent: false, zookeeperDataDir: false, logSegments: false });
    await a.epochs.writeAcceptedEpoch(3);
    await a.close();
    const b = await openStorage('memory', { memoryVolume: volume });
    assert.equal(await b.epochs.readAcceptedEpoch(), 3);
    await b.close();
    await rejectsWithCode(openStorage('floppy'), 'ERR_STORAGE_UNKNOWN_BACKEND');
    await rejectsWithCode(openStorage('toString'), 'ERR_STORAGE_UNKNOWN_BACKEND');
  });
});
