// Conformance tests for SnapshotStore, EpochStore and the backend bundle.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MakeBackend } from './conformance.js';
import {
  chunked, collect, readSnapshot, rejectsWithCode, sealedSnapshot, withBackend, withRestartableBackend,
} from './conformance-support.js';

const Z = 0x1_0000_0000;

export function snapshotAndEpochTests(makeBackend: MakeBackend): void {
  describe('snapshot store', () => {
    it('starts with no snapshots', () => withBackend(makeBackend, async ({ backend }) => {
      assert.deepEqual(await backend.snapshots.list(), []);
      await rejectsWithCode(collect(backend.snapshots.open(Z)), 'ERR_STORAGE_NOT_FOUND');
    }));

    it('writes a snapshot from chunks and reads the same bytes back', () => withBackend(makeBackend, async ({ backend }) => {
      const bytes = sealedSnapshot(3 * 65536 + 1234, 7);
      const before = Date.now();
      const info = await backend.snapshots.write(Z + 5, chunked(bytes, 65536));
      assert.equal(info.zxid, Z + 5);
      assert.equal(info.sizeBytes, bytes.length);
      assert.ok(Number.isFinite(info.createdAtMs) && info.createdAtMs >= before - 2000, 'createdAtMs is a recent time');
      const listed = await backend.snapshots.list();
      assert.deepEqual(listed.map((s) => [s.zxid, s.sizeBytes]), [[Z + 5, bytes.length]]);
      assert.ok((await readSnapshot(backend, Z + 5)).equals(bytes));
    }));

    it('accepts chunks of any size, empty ones included', () => withBackend(makeBackend, async ({ backend }) => {
      const bytes = sealedSnapshot(1000, 3);
      async function* odd(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array(0);
        yield bytes.subarray(0, 1);
        yield new Uint8Array(0);
        yield new Uint8Array(bytes.subarray(1, 700));
        yield bytes.subarray(700);
      }
      await backend.snapshots.write(Z, odd());
      assert.ok((await readSnapshot(backend, Z)).equals(bytes));
    }));

    it('writes a snapshot at zxid 0 (a fresh data tree)', () => withBackend(makeBackend, async ({ backend }) => {
      const bytes = sealedSnapshot(64, 1);
      await backend.snapshots.write(0, chunked(bytes, 16));
      assert.deepEqual((await backend.snapshots.list()).map((s) => s.zxid), [0]);
      assert.ok((await readSnapshot(backend, 0)).equals(bytes));
    }));

    it('lists snapshots newest first, whatever the write order', () => withBackend(makeBackend, async ({ backend }) => {
      const zxids = [Z + 0x10, 0, 2 * Z + 1, Z + 0x9, Z + 0xa0];
      for (const [i, zxid] of zxids.entries()) await backend.snapshots.write(zxid, chunked(sealedSnapshot(100 + i, i + 1), 37));
      assert.deepEqual((await backend.snapshots.list()).map((s) => s.zxid), [2 * Z + 1, Z + 0xa0, Z + 0x10, Z + 0x9, 0]);
      for (const [i, zxid] of zxids.entries()) {
        assert.ok((await readSnapshot(backend, zxid)).equals(sealedSnapshot(100 + i, i + 1)), `snapshot ${zxid}`);
      }
    }));

    it('replaces a snapshot written again at the same zxid', () => withBackend(makeBackend, async ({ backend }) => {
      await backend.snapshots.write(Z + 1, chunked(sealedSnapshot(500, 1), 100));
      const second = sealedSnapshot(800, 2);
      await backend.snapshots.write(Z + 1, chunked(second, 100));
      const listed = await backend.snapshots.list();
      assert.deepEqual(listed.map((s) => [s.zxid, s.sizeBytes]), [[Z + 1, second.length]]);
      assert.ok((await readSnapshot(backend, Z + 1)).equals(second));
    }));

    it('deletes snapshots; deleting a missing one is fine', () => withBackend(makeBackend, async ({ backend }) => {
      await backend.snapshots.write(Z + 1, chunked(sealedSnapshot(100, 1), 64));
      await backend.snapshots.write(Z + 2, chunked(sealedSnapshot(100, 2), 64));
      await backend.snapshots.delete(Z + 1);
      assert.deepEqual((await backend.snapshots.list()).map((s) => s.zxid), [Z + 2]);
      await rejectsWithCode(collect(backend.snapshots.open(Z + 1)), 'ERR_STORAGE_NOT_FOUND');
      await backend.snapshots.delete(Z + 1);
      await backend.snapshots.delete(Z + 99);
      assert.ok((await readSnapshot(backend, Z + 2)).equals(sealedSnapshot(100, 2)));
    }));

    it('leaves no snapshot behind when the chunk stream throws half-way', () => withBackend(makeBackend, async ({ backend }) => {
      const bytes = sealedSnapshot(4 * 65536, 9);
      const boom = new Error('encoder failed');
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield bytes.subarray(0, 65536);
        yield bytes.subarray(65536, 2 * 65536);
        throw boom;
      }
      await assert.rejects(backend.snapshots.write(Z + 3, failing()), (err) => err === boom);
      assert.deepEqual(await backend.snapshots.list(), []);
      await rejectsWithCode(collect(backend.snapshots.open(Z + 3)), 'ERR_STORAGE_NOT_FOUND');
      // A snapshot already at that zxid survives a failed rewrite untouched.
      const good = sealedSnapshot(1000, 4);
      await backend.snapshots.write(Z + 3, chunked(good, 300));
      await assert.rejects(backend.snapshots.write(Z + 3, failing()), (err) => err === boom);
      assert.deepEqual((await backend.snapshots.list()).map((s) => [s.zxid, s.sizeBytes]), [[Z + 3, good.length]]);
      assert.ok((await readSnapshot(backend, Z + 3)).equals(good));
    }));

    it('rejects bad zxids and chunks with ERR_STORAGE_INVALID_ARGUMENT', () => withBackend(makeBackend, async ({ backend }) => {
      const s = backend.snapshots;
      await rejectsWithCode(s.write(-1, chunked(sealedSnapshot(10, 1), 5)), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(s.write(1.5, chunked(sealedSnapshot(10, 1), 5)), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(s.write(Z, [Buffer.alloc(1)] as unknown as AsyncIterable<Uint8Array>), 'ERR_STORAGE_INVALID_ARGUMENT');
      async function* notBytes(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(10);
        yield 'text' as unknown as Uint8Array;
      }
      await rejectsWithCode(s.write(Z, notBytes()), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(collect(s.open(-2)), 'ERR_STORAGE_INVALID_ARGUMENT');
      await rejectsWithCode(s.delete(Number.NaN), 'ERR_STORAGE_INVALID_ARGUMENT');
      assert.deepEqual(await s.list(), []);
    }));

    it('keeps snapshots across a restart', (t) => withRestartableBackend(t, makeBackend, async (s) => {
      const a = sealedSnapshot(70_000, 11);
      const b = sealedSnapshot(300, 12);
      await s.backend.snapshots.write(Z + 0x20, chunked(a, 4096));
      await s.backend.snapshots.write(Z + 0x40, chunked(b, 4096));
      await s.backend.snapshots.delete(Z + 0x20);
      await s.backend.snapshots.write(Z + 0x30, chunked(a, 4096));
      await s.restart();
      const listed = await s.backend.snapshots.list();
      assert.deepEqual(listed.map((i) => [i.zxid, i.sizeBytes]), [[Z + 0x40, b.length], [Z + 0x30, a.length]]);
      assert.ok((await readSnapshot(s.backend, Z + 0x30)).equals(a));
      assert.ok((await readSnapshot(s.backend, Z + 0x40)).equals(b));
    }));

    it('refuses everything after close', () => withBackend(makeBackend, async ({ backend }) => {
      const s = backend.snapshots;
      await s.write(Z, chunked(sealedSnapshot(100, 1), 10));
      const reader = s.open(Z)[Symbol.asyncIterator]();
      await reader.next();
      await s.close();
      await s.close();
      await rejectsWithCode(s.write(Z + 1, chunked(sealedSnapshot(100, 1), 10)), 'ERR_STORAGE_CLOSED', 'write');
      await rejectsWithCode(s.list(), 'ERR_STORAGE_CLOSED', 'list');
      await rejectsWithCode(collect(s.open(Z)), 'ERR_STORAGE_CLOSED', 'open');
      await rejectsWithCode(reader.next(), 'ERR_STORAGE_CLOSED', 'a read under way');
      await rejectsWithCode(s.delete(Z), 'ERR_STORAGE_CLOSED', 'delete');
    }));
  });

  describe('epoch store', () => {
    it('reads absent epochs as null', () => withBackend(makeBackend, async ({ backend }) => {
      assert.equal(await backend.epochs.readCurrentEpoch(), null);
      assert.equal(await backend.epochs.readAcceptedEpoch(), null);
    }));

    it('writes and overwrites each epoch independently', () => withBackend(makeBackend, async ({ backend }) => {
      const e = backend.epochs;
      await e.writeAcceptedEpoch(1);
      assert.equal(await e.readAcceptedEpoch(), 1);
      assert.equal(await e.readCurrentEpoch(), null);
      await e.writeCurrentEpoch(0);
      assert.equal(await e.readCurrentEpoch(), 0);
      await e.writeAcceptedEpoch(7);
      await e.writeCurrentEpoch(6);
      assert.deepEqual([await e.readCurrentEpoch(), await e.readAcceptedEpoch()], [6, 7]);
      await e.writeAcceptedEpoch(0x1fffff);
      assert.equal(await e.readAcceptedEpoch(), 0x1fffff);
    }));

    it('keeps the last of several writes issued without waiting', () => withBackend(makeBackend, async ({ backend }) => {
      const e = backend.epochs;
      await Promise.all([e.writeAcceptedEpoch(3), e.writeAcceptedEpoch(4), e.writeAcceptedEpoch(5)]);
      assert.equal(await e.readAcceptedEpoch(), 5);
    }));

    it('rejects epochs that are not non-negative integers', () => withBackend(makeBackend, async ({ backend }) => {
      const e = backend.epochs;
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
        await rejectsWithCode(e.writeCurrentEpoch(bad), 'ERR_STORAGE_INVALID_ARGUMENT', String(bad));
        await rejectsWithCode(e.writeAcceptedEpoch(bad), 'ERR_STORAGE_INVALID_ARGUMENT', String(bad));
      }
      assert.equal(await e.readCurrentEpoch(), null);
    }));

    it('keeps epochs across a restart', (t) => withRestartableBackend(t, makeBackend, async (s) => {
      await s.backend.epochs.writeCurrentEpoch(4);
      await s.backend.epochs.writeAcceptedEpoch(5);
      await s.restart();
      assert.equal(await s.backend.epochs.readCurrentEpoch(), 4);
      assert.equal(await s.backend.epochs.readAcceptedEpoch(), 5);
    }));

    it('refuses everything after close', () => withBackend(makeBackend, async ({ backend }) => {
      await backend.epochs.close();
      await rejectsWithCode(backend.epochs.readCurrentEpoch(), 'ERR_STORAGE_CLOSED');
      await rejectsWithCode(backend.epochs.writeCurrentEpoch(1), 'ERR_STORAGE_CLOSED');
      await rejectsWithCode(backend.epochs.readAcceptedEpoch(), 'ERR_STORAGE_CLOSED');
      await rejectsWithCode(backend.epochs.writeAcceptedEpoch(1), 'ERR_STORAGE_CLOSED');
    }));
  });

  describe('backend', () => {
    it('declares its capabilities', () => withBackend(makeBackend, async ({ backend }) => {
      assert.equal(typeof backend.kind, 'string');
      for (const key of ['persistent', 'zookeeperDataDir', 'logSegments'] as const) {
        assert.equal(typeof backend.supports[key], 'boolean', key);
      }
    }));

    it('closes all three stores, idempotently', () => withBackend(makeBackend, async ({ backend }) => {
      await backend.close();
      await backend.close();
      await rejectsWithCode(backend.txnLog.lastZxid(), 'ERR_STORAGE_CLOSED');
      await rejectsWithCode(backend.snapshots.list(), 'ERR_STORAGE_CLOSED');
      await rejectsWithCode(backend.epochs.readCurrentEpoch(), 'ERR_STORAGE_CLOSED');
    }));
  });
}
