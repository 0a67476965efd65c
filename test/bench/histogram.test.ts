import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../bench/lib/histogram.js';

test('percentiles are within the histogram precision of the exact ones', () => {
  const h = new LatencyHistogram();
  const values: number[] = [];
  // A long-tailed spread from 1 µs to ~2 s.
  for (let i = 0; i < 100_000; i++) {
    const v = Math.round(Math.exp((i % 1000) / 1000 * Math.log(2_000_000)) + (i % 7));
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = values[Math.ceil((p / 100) * values.length) - 1];
    const got = h.valueAtPercentile(p);
    assert.ok(got >= exact, `p${p}: ${got} below exact ${exact}`);
    assert.ok(got <= exact * 1.004 + 1, `p${p}: ${got} too far above exact ${exact}`);
  }
  assert.equal(h.maxUs, values[values.length - 1]);
  assert.equal(h.valueAtPercentile(100), values[values.length - 1]);
  assert.equal(h.count, values.length);
});

test('small values are exact and the summary is in milliseconds', () => {
  const h = new LatencyHistogram();
  for (const v of [100, 200, 300, 400]) h.record(v);
  assert.equal(h.valueAtPercentile(50), 200);
  assert.equal(h.valueAtPercentile(75), 300);
  const s = h.summary();
  assert.equal(s.count, 4);
  assert.equal(s.p50Ms, 0.2);
  assert.equal(s.maxMs, 0.4);
  assert.equal(s.meanMs, 0.25);
});

test('merging snapshots gives the same histogram as recording everything in one', () => {
  const all = new LatencyHistogram();
  const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
  for (let i = 0; i < 30_000; i++) {
    const v = (i * 7919) % 500_000;
    all.record(v);
    parts[i % 3].record(v);
  }
  const merged = new LatencyHistogram();
  for (const p of parts) merged.merge(p.snapshot());
  assert.deepEqual(merged.snapshot(), all.snapshot());
  assert.deepEqual(merged.summary(), all.summary());
});

test('an empty histogram reports zeros, and values are clamped into range', () => {
  const h = new LatencyHistogram();
  assert.deepEqual(h.summary(), { count: 0, meanMs: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 });
  h.record(-5);
  h.record(1e12);
  assert.equal(h.minUs, 0);
  assert.equal(h.maxUs, 0x7fffffff);
  h.reset();
  assert.equal(h.count, 0);
  assert.equal(h.snapshot().buckets.length, 0);
});
