// Path validation with ZooKeeper's exact messages (checked against PathUtils of ZooKeeper 3.8 in
// jshell), and the path helpers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, childPath, isUnder, parentOf, validatePath } from '../../src/tree/index.js';

test('validatePath accepts what ZooKeeper accepts', () => {
  for (const p of ['/', '/a', '/a/b', '/...', '/a.b', '/a/..b', '/é', '/zookeeper', '/a b', '/\u00a0']) {
    assert.equal(validatePath(p), null, p);
  }
  // Sequential creates are checked with a "1" appended, so a trailing slash is fine there.
  assert.equal(validatePath('/a/', true), null);
  assert.equal(validatePath('/a', true), null);
});

test('validatePath refuses what ZooKeeper refuses, with its messages', () => {
  const cases: Array<[string, string]> = [
    ['', 'Path length must be > 0'],
    ['a', 'Path must start with / character'],
    ['/a/', 'Path must not end with / character'],
    ['/a//b', 'Invalid path string "/a//b" caused by empty node name specified @3'],
    ['/a/./b', 'Invalid path string "/a/./b" caused by relative paths not allowed @3'],
    ['/a/../b', 'Invalid path string "/a/../b" caused by relative paths not allowed @4'],
    ['/a/.', 'Invalid path string "/a/." caused by relative paths not allowed @3'],
    ['/.', 'Invalid path string "/." caused by relative paths not allowed @1'],
    ['/..', 'Invalid path string "/.." caused by relative paths not allowed @2'],
    ['/a\u0000', 'Invalid path string "/a\u0000" caused by null character not allowed @2'],
    ['/a\u0001', 'Invalid path string "/a\u0001" caused by invalid character @2'],
    ['/a\u007f', 'Invalid path string "/a\u007f" caused by invalid character @2'],
    ['/a\u009f', 'Invalid path string "/a\u009f" caused by invalid character @2'],
    ['/a\ufff0', 'Invalid path string "/a\ufff0" caused by invalid character @2'],
    ['/a\ue000', 'Invalid path string "/a\ue000" caused by invalid character @2'],
    // Outside the BMP: the first UTF-16 unit is a surrogate, which ZooKeeper refuses.
    ['/\u{1F600}', 'Invalid path string "/\u{1F600}" caused by invalid character @1'],
  ];
  for (const [p, msg] of cases) assert.equal(validatePath(p), msg, JSON.stringify(p));
  assert.equal(validatePath('/a//', true), 'Invalid path string "/a//1" caused by empty node name specified @3');
});

test('path helpers', () => {
  assert.equal(parentOf('/a/b/c'), '/a/b');
  assert.equal(parentOf('/a'), '/');
  assert.equal(parentOf('/'), '');
  assert.equal(basename('/a/b'), 'b');
  assert.equal(basename('/a'), 'a');
  assert.equal(basename('/'), '');
  assert.equal(childPath('/', 'a'), '/a');
  assert.equal(childPath('/a', 'b'), '/a/b');
  assert.ok(isUnder('/a/b', '/a'));
  assert.ok(isUnder('/a', '/a'));
  assert.ok(isUnder('/a', '/'));
  assert.ok(!isUnder('/ab', '/a'));
  assert.ok(!isUnder('/a', '/a/b'));
});
