// End to end: the load generator against a real zk-server (memory storage, so no disk), briefly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { runLoad } from '../../bench/load.js';
import { zkServerTarget, type RunningTarget } from '../../bench/targets.js';

let server: RunningTarget;
before(async () => { server = await zkServerTarget('memory', os.tmpdir()).start(); });
after(async () => { await server?.stop(); });

const opts = { warmupMs: 200, measureMs: 600 };

test('setData load: every session served, no errors, server CPU measured', async () => {
  const r = await runLoad(server, { sessions: 4, window: 4, write: 'setData', readFraction: 0, payloadBytes: 100 }, opts);
  assert.ok(r.write && r.write.count > 0, 'no writes completed');
  assert.equal(r.read, null);
  assert.equal(r.errors, 0);
  assert.equal(r.protocolErrors, 0);
  assert.equal(r.starvedSessions, 0);
  assert.equal(r.unansweredAtEnd, 0);
  assert.deepEqual(r.failures, []);
  assert.ok(r.throughput > 0);
  assert.ok(r.write.p50Ms <= r.write.p99Ms && r.write.p99Ms <= r.write.maxMs);
  assert.notEqual(r.server.cpuSeconds, null);
  assert.ok((r.server.cpuUsPerWrite ?? 0) > 0);
  assert.ok(r.client.cpuSeconds > 0);
});

test('mixed load over two client processes splits reads and writes as asked', async () => {
  const r = await runLoad(server, { sessions: 4, window: 2, write: 'setData', readFraction: 0.5, payloadBytes: 1024 }, { ...opts, clientProcs: 2 });
  assert.equal(r.clientProcs, 2);
  assert.ok(r.write && r.read, 'both reads and writes expected');
  assert.equal(r.read.op, 'getData');
  // Each session alternates read and write; the window's boundaries may cut a few pairs.
  const share = r.read.count / (r.read.count + r.write.count);
  assert.ok(share > 0.45 && share < 0.55, `read share ${share}`);
  assert.equal(r.errors, 0);
  assert.equal(r.starvedSessions, 0);
});

test('create load makes sequential nodes without errors', async () => {
  const r = await runLoad(server, { sessions: 2, window: 8, write: 'create', readFraction: 0, payloadBytes: 100 }, opts);
  assert.equal(r.write?.op, 'create');
  assert.ok((r.write?.count ?? 0) > 0);
  assert.equal(r.errors, 0);
});
