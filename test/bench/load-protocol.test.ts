import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isReadAt, validateWorkload } from '../../bench/lib/load-protocol.js';

test('isReadAt spreads reads evenly: 9 of every 10 requests at 0.9', () => {
  for (let start = 0; start < 1000; start += 10) {
    let reads = 0;
    for (let n = start; n < start + 10; n++) if (isReadAt(n, 0.9)) reads++;
    assert.equal(reads, 9, `requests ${start}..${start + 9}`);
  }
  let reads = 0;
  for (let n = 0; n < 1000; n++) if (isReadAt(n, 0.25)) reads++;
  assert.equal(reads, 250);
  assert.equal(isReadAt(5, 0), false);
  assert.equal(isReadAt(5, 1), true);
});

test('validateWorkload refuses sessions, windows and fractions out of range', () => {
  const ok = { sessions: 256, window: 64, write: 'setData' as const, readFraction: 0.9, payloadBytes: 1024 };
  validateWorkload(ok);
  assert.throws(() => validateWorkload({ ...ok, sessions: 257 }), /sessions/);
  assert.throws(() => validateWorkload({ ...ok, sessions: 0 }), /sessions/);
  assert.throws(() => validateWorkload({ ...ok, window: 65 }), /window/);
  assert.throws(() => validateWorkload({ ...ok, readFraction: 1.5 }), /readFraction/);
});
