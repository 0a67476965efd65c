// The .properties reader against the rules of java.util.Properties.load (checked against a JDK 17
// differentially while writing it; these cases pin the behaviours real configs rely on).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties, javaTrim } from '../../src/config/properties.js';
import { ConfigError } from '../../src/config/errors.js';

const pairs = (text: string): Array<[string, string]> => parseProperties(text).map((e) => [e.key, e.value]);

test('separators: =, : and whitespace, with blanks around them', () => {
  assert.deepEqual(pairs('a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf  =  = 6\n'), [
    ['a', '1'], ['b', '2'], ['c', '3'], ['d', '4'], ['e', '5'], ['f', '= 6'],
  ]);
});

test('a key alone has an empty value; the first separator ends the key', () => {
  assert.deepEqual(pairs('lonely\nserver.1=h:2888:3888\nurl=http://x:1/y=z\n'), [
    ['lonely', ''], ['server.1', 'h:2888:3888'], ['url', 'http://x:1/y=z'],
  ]);
});

test('# and ! start comments only as the first non-blank character', () => {
  assert.deepEqual(pairs('# c1\n  ! c2\na=1 # not a comment\n\t#c3\n'), [['a', '1 # not a comment']]);
});

test('blank lines and leading whitespace are skipped; trailing whitespace stays in the value', () => {
  assert.deepEqual(pairs('\n\n   a=1  \n \t \n'), [['a', '1  ']]);
});

test('a trailing backslash continues the line and drops the next line\'s indent', () => {
  assert.deepEqual(pairs('list=a,\\\n    b,\\\n    c\nnext=1\n'), [['list', 'a,b,c'], ['next', '1']]);
});

test('an even run of backslashes does not continue the line', () => {
  assert.deepEqual(pairs('dir=C:\\\\\nb=2\n'), [['dir', 'C:\\'], ['b', '2']]);
});

test('a comment line ending in a backslash is not continued', () => {
  assert.deepEqual(pairs('# comment \\\na=1\n'), [['a', '1']]);
});

test('a continued line that starts with # is content, not a comment', () => {
  assert.deepEqual(pairs('a=x\\\n#y\n'), [['a', 'x#y']]);
});

test('a backslash at the very end of input is dropped', () => {
  assert.deepEqual(pairs('a=x\\'), [['a', 'x']]);
});

test('escapes: \\t \\n \\r \\f, \\uXXXX, and any other escaped character stands for itself', () => {
  assert.deepEqual(pairs('k=a\\tb\\nc\\rd\\fe\\u0041\\q\\=\\:\\ \\\\\n'), [['k', 'a\tb\nc\rd\fe' + 'Aq=: \\']]);
});

test('escaped separators and blanks belong to the key', () => {
  assert.deepEqual(pairs('a\\=b=1\nc\\:d:2\ne\\ f 3\n'), [['a=b', '1'], ['c:d', '2'], ['e f', '3']]);
});

test('a malformed \\u escape is an error naming the line', () => {
  assert.throws(
    () => parseProperties('ok=1\nbad=\\u12G4\n', 'zoo.cfg'),
    (err: unknown) => err instanceof ConfigError && err.line === 2 && err.file === 'zoo.cfg' && /\\uxxxx/.test(err.message),
  );
});

test('CR, LF and CRLF line ends all work, and line numbers count natural lines', () => {
  const entries = parseProperties('a=1\r\nb=2\rc=3\n# x\r\n\r\nd=\\\r\n  4\r\ne=5');
  assert.deepEqual(entries, [
    { key: 'a', value: '1', line: 1 },
    { key: 'b', value: '2', line: 2 },
    { key: 'c', value: '3', line: 3 },
    { key: 'd', value: '4', line: 6 },
    { key: 'e', value: '5', line: 8 },
  ]);
});

test('line numbers after comments and continuations', () => {
  const entries = parseProperties('# one\n! two\n\nx=a\\\n  b\\\n  c\ny=1\n');
  assert.deepEqual(entries.map((e) => [e.key, e.line]), [['x', 4], ['y', 7]]);
});

test('duplicates are all returned, in order', () => {
  assert.deepEqual(pairs('a=1\na=2\n'), [['a', '1'], ['a', '2']]);
});

test('javaTrim strips control characters too, as String.trim does', () => {
  assert.equal(javaTrim('\u0001 \t x y \u0000\r'), 'x y');
  assert.equal(javaTrim('\u00a0x\u00a0'), '\u00a0x\u00a0');
});
