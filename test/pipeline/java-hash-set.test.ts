// JavaHashSet against orders printed by java.util.HashSet on JDK 17 (the values below came from a
// small Java program: add the strings in order, print the set, print its clone).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JavaHashSet } from '../../src/pipeline/java-hash-set.js';

const pad = (i: number): string => String(i).padStart(10, '0');

const cases: { name: string; items: string[]; set: string; clone: string }[] = [
  { name: 'two ephemerals', items: ['/eph/a', '/eph/b0000000001'], set: '/eph/b0000000001,/eph/a', clone: '/eph/b0000000001,/eph/a' },
  {
    name: '40 sequential names (two resizes)',
    items: Array.from({ length: 40 }, (_, i) => `/e/n-${pad(i)}`),
    set: '/e/n-0000000019,/e/n-0000000020,/e/n-0000000021,/e/n-0000000000,/e/n-0000000022,/e/n-0000000001,/e/n-0000000023,/e/n-0000000002,/e/n-0000000024,/e/n-0000000003,/e/n-0000000025,/e/n-0000000004,/e/n-0000000026,/e/n-0000000005,/e/n-0000000027,/e/n-0000000006,/e/n-0000000028,/e/n-0000000007,/e/n-0000000029,/e/n-0000000008,/e/n-0000000009,/e/n-0000000030,/e/n-0000000031,/e/n-0000000010,/e/n-0000000032,/e/n-0000000011,/e/n-0000000033,/e/n-0000000012,/e/n-0000000034,/e/n-0000000013,/e/n-0000000035,/e/n-0000000014,/e/n-0000000036,/e/n-0000000015,/e/n-0000000037,/e/n-0000000016,/e/n-0000000038,/e/n-0000000017,/e/n-0000000039,/e/n-0000000018',
    clone: '/e/n-0000000019,/e/n-0000000020,/e/n-0000000021,/e/n-0000000000,/e/n-0000000022,/e/n-0000000001,/e/n-0000000023,/e/n-0000000002,/e/n-0000000024,/e/n-0000000003,/e/n-0000000025,/e/n-0000000004,/e/n-0000000026,/e/n-0000000005,/e/n-0000000027,/e/n-0000000006,/e/n-0000000028,/e/n-0000000007,/e/n-0000000029,/e/n-0000000008,/e/n-0000000009,/e/n-0000000030,/e/n-0000000031,/e/n-0000000010,/e/n-0000000032,/e/n-0000000011,/e/n-0000000033,/e/n-0000000012,/e/n-0000000034,/e/n-0000000013,/e/n-0000000035,/e/n-0000000014,/e/n-0000000036,/e/n-0000000015,/e/n-0000000037,/e/n-0000000016,/e/n-0000000038,/e/n-0000000017,/e/n-0000000039,/e/n-0000000018',
  },
  {
    name: '13 names (one resize past the default 16 buckets)',
    items: Array.from({ length: 13 }, (_, i) => `/locks/${String.fromCharCode(97 + i)}/lock-${i}`),
    set: '/locks/k/lock-10,/locks/e/lock-4,/locks/c/lock-2,/locks/d/lock-3,/locks/h/lock-7,/locks/i/lock-8,/locks/l/lock-11,/locks/f/lock-5,/locks/g/lock-6,/locks/j/lock-9,/locks/m/lock-12,/locks/a/lock-0,/locks/b/lock-1',
    clone: '/locks/k/lock-10,/locks/e/lock-4,/locks/c/lock-2,/locks/d/lock-3,/locks/h/lock-7,/locks/i/lock-8,/locks/l/lock-11,/locks/f/lock-5,/locks/g/lock-6,/locks/j/lock-9,/locks/m/lock-12,/locks/a/lock-0,/locks/b/lock-1',
  },
];

describe('JavaHashSet', () => {
  for (const c of cases) {
    it(`iterates as java.util.HashSet does: ${c.name}`, () => {
      const set = JavaHashSet.of(c.items);
      assert.equal([...set].join(','), c.set);
      assert.equal([...set.clone()].join(','), c.clone);
      assert.equal(set.size, c.items.length);
    });
  }

  it('ignores duplicates and forgets deleted members', () => {
    const set = JavaHashSet.of(['/a', '/b', '/a']);
    assert.equal(set.size, 2);
    set.delete('/a');
    set.delete('/missing');
    assert.deepEqual([...set], ['/b']);
    assert.equal(set.has('/a'), false);
  });
});
