// Reply order on zk-server: 100 mixed requests sent without waiting come back strictly in xid order,
// each read seeing exactly the writes sent before it on the same session; node-zookeeper-client's
// own pipelining; and two sessions writing at once get a total order of zxids.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateFlag, ErrorCode } from '../../src/protocol/constants.js';
import { RawClient, RawZkError } from '../helpers/raw-client.js';
import { fourLetter, startZkServer, type ZkServerHandle } from '../helpers/zk-server.js';
import { NzkClient } from './support/nzk.js';

const data = (s: string): Buffer => Buffer.from(s);

describe('reply ordering on zk-server', () => {
  let zk: ZkServerHandle;
  before(async () => {
    zk = await startZkServer({ storage: 'memory' });
  });
  after(async () => {
    await zk?.stop();
  });

  it('answers 100 pipelined mixed requests in request order, reads seeing the writes before them', async () => {
    const c = await RawClient.connect(zk.port);
    try {
      await c.create('/pipe');
      const from = c.frames.length;
      const expected: unknown[] = [];
      const pending: Promise<unknown>[] = [];
      // Each step sends one request now and says what its answer must be.
      const step = (p: Promise<unknown>, want: unknown): void => {
        pending.push(p.catch((e: unknown) => (e instanceof RawZkError ? { err: e.code } : Promise.reject(e))));
        expected.push(want);
      };
      for (let i = 0; i < 20; i++) {
        const path = `/pipe/n${i}`;
        step(c.create(path, data(`v${i}`)), path);
        step(c.getData(path).then((r) => r.data?.toString()), `v${i}`);
        step(c.setData(path, data(`w${i}`), 0).then((s) => s.version), 1);
        step(i % 2 === 0 ? c.create(path) : c.sync(path), i % 2 === 0 ? { err: ErrorCode.NODEEXISTS } : path);
        step(c.getChildren2('/pipe').then((r) => r.stat.numChildren), i + 1);
      }
      assert.equal(pending.length, 100, 'all sent before any answer is awaited');
      const answers = await Promise.all(pending);
      assert.deepEqual(answers, expected);
      const replies = c.frames.slice(from).filter((f) => f.kind === 'reply');
      assert.equal(replies.length, 100);
      const xids = replies.map((f) => f.header.xid);
      assert.deepEqual(xids, [...xids].sort((a, b) => a - b), 'replies in xid order');
      const zxids = replies.map((f) => f.header.zxid);
      for (let i = 1; i < zxids.length; i++) assert.ok(zxids[i] >= zxids[i - 1], 'reply zxids never go back');
      assert.deepEqual(c.protocolErrors, []);
    } finally {
      await c.close();
    }
  });

  it('keeps order across sequential creates, multi, deletes and watches sent in one burst', async () => {
    const c = await RawClient.connect(zk.port);
    try {
      await c.create('/burst');
      const results = await Promise.all([
        c.create('/burst/s-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }),
        c.multi([
          { type: 1, req: { path: '/burst/s-', data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: CreateFlag.PERSISTENT_SEQUENTIAL, ttl: -1 } },
          { type: 2, req: { path: '/burst/s-0000000000', version: -1 } },
        ]).then((m) => m.results.map((r) => r.type)),
        c.create('/burst/s-', null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL }),
        c.getChildren('/burst', true).then((k) => k.sort()),
        c.delete('/burst/s-0000000001').then(() => 'deleted'),
        c.getChildren('/burst').then((k) => k.sort()),
        c.ping().then((r) => r.header.err),
      ]);
      assert.deepEqual(results, [
        '/burst/s-0000000000', [1, 2], '/burst/s-0000000002', ['s-0000000001', 's-0000000002'], 'deleted', ['s-0000000002'], 0,
      ]);
      // The child watch set by the burst fired for the delete, before the delete's reply.
      const kinds = c.frames.map((f) => (f.kind === 'notification' ? 'event' : 'reply'));
      const firstEvent = kinds.indexOf('event');
      assert.ok(firstEvent > 0);
      assert.equal(c.frames.slice(firstEvent + 1).filter((f) => f.kind === 'reply').length, 3, 'event before the replies of delete, getChildren, ping');
    } finally {
      await c.close();
    }
  });

  it('answers pipelined reads of megabytes in one turn intact and in order, then small ones again', async () => {
    const c = await RawClient.connect(zk.port);
    try {
      // Eight ~900 KB replies leave in one turn: far past the size a connection keeps its reply
      // buffer at, so the next replies go through a fresh one.
      const big = Buffer.alloc(900 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
      await c.create('/bigread', big);
      await c.create('/smallread', data('small'));
      const reads = [];
      for (let i = 0; i < 8; i++) reads.push(c.getData(i % 3 === 2 ? '/smallread' : '/bigread'));
      const got = await Promise.all(reads);
      got.forEach((r, i) => assert.ok(r.data?.equals(i % 3 === 2 ? data('small') : big), `reply ${i}`));
      for (let i = 0; i < 3; i++) assert.equal((await c.getData('/smallread')).data?.toString(), 'small');
      await c.setData('/smallread', data('again'), 0);
      assert.equal((await c.getData('/smallread')).data?.toString(), 'again');
    } finally {
      await c.close();
    }
  });

  it('node-zookeeper-client pipelining: 50 writes and reads issued together all succeed in order', async () => {
    const c = await NzkClient.connect(zk.port);
    try {
      await c.create('/nzpipe');
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 25; i++) {
        ops.push(c.create(`/nzpipe/k${i}`, data(String(i))));
        ops.push(c.getChildren('/nzpipe').then((r) => r.children.length));
      }
      const out = await Promise.all(ops);
      for (let i = 0; i < 25; i++) {
        assert.equal(out[2 * i], `/nzpipe/k${i}`);
        assert.equal(out[2 * i + 1], i + 1);
      }
    } finally {
      c.close();
    }
  });

  it('orders the writes of two sessions totally: every zxid once, each session\'s in its own order', async () => {
    const a = await RawClient.connect(zk.port);
    const b = await RawClient.connect(zk.port);
    try {
      await a.create('/race');
      const sends = (c: RawClient, who: string) => Array.from({ length: 30 }, (_, i) => c.create2(`/race/${who}${i}`).then((r) => r.stat.czxid));
      const [za, zb] = await Promise.all([Promise.all(sends(a, 'a')), Promise.all(sends(b, 'b'))]);
      const all = [...za, ...zb];
      assert.equal(new Set(all).size, 60, 'no zxid is given twice');
      assert.deepEqual(za, [...za].sort((x, y) => x - y));
      assert.deepEqual(zb, [...zb].sort((x, y) => x - y));
      const parent = await a.exists('/race');
      assert.equal(parent?.pzxid, Math.max(...all));
      assert.equal(parent?.numChildren, 60);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('every pipelined write above was logged with the tree digest its apply produced', async () => {
    // Prep computes each txn's digest ahead of apply from its own view (cached node digests
    // included); apply compares and counts any difference.
    const mntr = await fourLetter(zk.port, 'mntr');
    assert.match(mntr, /zk_digest_mismatches_count\s+0\n/);
    assert.match(mntr, /zk_znode_count\s+\d+/);
  });
});
