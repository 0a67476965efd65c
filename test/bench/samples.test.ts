// Raw latency samples: bounded recording, merging, and the split into requests in flight during a
// snapshot and the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSamples, SampleRecorder, splitBySpans, type LatencySamples } from '../../bench/lib/samples.js';

function samplesOf(pairs: Array<[sentAtMs: number, latencyMs: number]>): LatencySamples {
  const r = new SampleRecorder(pairs.length);
  for (const [at, ms] of pairs) r.record(at, ms * 1000);
  return r.take();
}

test('the recorder keeps at most its capacity and counts the rest as dropped', () => {
  const r = new SampleRecorder(100_000);
  for (let i = 0; i < 100_010; i++) r.record(1000 + i, i);
  const s = r.take();
  assert.equal(s.count, 100_000);
  assert.equal(s.dropped, 10);
  assert.equal(s.sentAtMs.length, 100_000);
  assert.equal(s.sentAtMs[99_999], 1000 + 99_999);
  assert.equal(s.latencyUs[70_000], 70_000);
  r.reset();
  assert.deepEqual({ ...r.take(), sentAtMs: null, latencyUs: null }, { count: 0, dropped: 0, sentAtMs: null, latencyUs: null });
});

test('merged samples keep every part in order', () => {
  const m = mergeSamples([samplesOf([[1, 1], [2, 2]]), samplesOf([[3, 3]])]);
  assert.equal(m.count, 3);
  assert.deepEqual([...m.sentAtMs], [1, 2, 3]);
  assert.deepEqual([...m.latencyUs], [1000, 2000, 3000]);
});

test('a request counts as during a snapshot when it was in flight at any moment of it', () => {
  const spans = [{ startMs: 1000, endMs: 2000 }, { startMs: 5000, endMs: 5100 }];
  const s = samplesOf([
    [100, 5], // long before: outside
    [990, 15], // sent before, answered inside: during
    [1500, 7], // wholly inside: during
    [1999, 50], // sent just before the end: during
    [2000, 40], // sent as it ended: outside
    [4900, 300], // spans the whole second snapshot: during
    [4000, 999], // answered at 4999, just before it: outside
  ]);
  const split = splitBySpans(s, spans);
  assert.equal(split.during.count, 4);
  assert.equal(split.outside.count, 3);
  assert.equal(split.during.maxMs, 300);
  assert.equal(split.outside.maxMs, 999);
  assert.equal(split.slowest[0].latencyMs, 999);
  assert.equal(split.slowest[0].duringSnapshot, false);
  assert.equal(split.slowest[0].msAfterSnapshotStart, 3000);
  assert.equal(split.slowest[1].latencyMs, 300);
  assert.equal(split.slowest[1].duringSnapshot, true);
  assert.equal(split.slowest[1].msAfterSnapshotStart, 3900);
  assert.equal(split.slowest.length, 7);
});

test('without snapshots everything is outside, and the slowest list stays short and sorted', () => {
  const pairs: Array<[number, number]> = Array.from({ length: 50 }, (_, i) => [i, (i * 37) % 50]);
  const split = splitBySpans(samplesOf(pairs), []);
  assert.equal(split.during.count, 0);
  assert.equal(split.outside.count, 50);
  assert.deepEqual(split.slowest.map((x) => x.latencyMs), [49, 48, 47, 46, 45, 44, 43, 42]);
  assert.ok(split.slowest.every((x) => x.msAfterSnapshotStart === null && !x.duringSnapshot));
});
