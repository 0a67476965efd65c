// Multi and multiRead layouts (MultiOperationRecord, MultiResponse) against bytes built by hand:
// each op is a MultiHeader {type, done=false, err=-1} then its request record; the list ends with
// {-1, true, -1}. Results carry err 0 in the header, except ErrorResult whose err is repeated in the body.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import * as R from '../../src/jute/records.js';
import { bool, buf, cat, int, long, MULTI_END, multiHeader, openAcl, sampleStat, statBytes, str, vec } from './bytes.js';

const acl: R.ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function encodeOps(ops: readonly R.MultiOp[]): Buffer {
  const w = new JuteWriter(16);
  R.writeMultiOps(w, ops);
  return w.toBuffer();
}

function encodeResults(results: readonly R.MultiResult[]): Buffer {
  const w = new JuteWriter(16);
  R.writeMultiResults(w, results);
  return w.toBuffer();
}

describe('multi request layout', () => {
  const ops: R.MultiOp[] = [
    { type: 1, req: { path: '/a', data: Buffer.from('x'), acl, flags: 0, ttl: -1 } },
    { type: 15, req: { path: '/b', data: null, acl, flags: 1, ttl: -1 } },
    { type: 19, req: { path: '/box', data: null, acl, flags: 4, ttl: -1 } },
    { type: 21, req: { path: '/t', data: null, acl, flags: 5, ttl: 1000 } },
    { type: 2, req: { path: '/old', version: 3 } },
    { type: 13, req: { path: '/a', version: -1 } },
    { type: 5, req: { path: '/a', data: Buffer.from('y'), version: 0 } },
  ];
  const bytes = cat(
    multiHeader(1, false, -1), str('/a'), buf(Buffer.from('x')), openAcl(), int(0),
    multiHeader(15, false, -1), str('/b'), int(-1), openAcl(), int(1),
    multiHeader(19, false, -1), str('/box'), int(-1), openAcl(), int(4),
    multiHeader(21, false, -1), str('/t'), int(-1), openAcl(), int(5), long(1000),
    multiHeader(2, false, -1), str('/old'), int(3),
    multiHeader(13, false, -1), str('/a'), int(-1),
    multiHeader(5, false, -1), str('/a'), buf(Buffer.from('y')), int(0),
    MULTI_END,
  );

  it('writes every write op as ZooKeeper lays it out', () => {
    assert.deepEqual(encodeOps(ops), bytes);
  });

  it('reads them back, consuming the end marker', () => {
    const r = new JuteReader(bytes);
    assert.deepEqual(R.readMultiOps(r), { ops, badType: null });
    assert.equal(r.remaining, 0);
  });

  it('an empty multi is just the end marker', () => {
    assert.deepEqual(encodeOps([]), MULTI_END);
    assert.deepEqual(R.readMultiOps(new JuteReader(MULTI_END)), { ops: [], badType: null });
  });

  it('stops at an op type that may not appear in a multi and reports it', () => {
    const r = new JuteReader(cat(multiHeader(2, false, -1), str('/x'), int(-1), multiHeader(9, false, -1), str('/x'), MULTI_END));
    assert.deepEqual(R.readMultiOps(r), { ops: [{ type: 2, req: { path: '/x', version: -1 } }], badType: 9 });
  });
});

describe('multiRead request layout', () => {
  it('getData and getChildren carry GetDataRequest/GetChildrenRequest: path and a watch flag', () => {
    // Apache ZooKeeper's client sends watch=false and the server deserializes the flag: a codec that
    // leaves it out misreads every op after the first.
    const ops: R.MultiOp[] = [
      { type: 4, req: { path: '/x', watch: false } },
      { type: 8, req: { path: '/', watch: false } },
      { type: 4, req: { path: '/missing', watch: false } },
    ];
    const bytes = cat(
      multiHeader(4, false, -1), str('/x'), bool(false),
      multiHeader(8, false, -1), str('/'), bool(false),
      multiHeader(4, false, -1), str('/missing'), bool(false),
      MULTI_END,
    );
    assert.deepEqual(encodeOps(ops), bytes);
    const r = new JuteReader(bytes);
    assert.deepEqual(R.readMultiOps(r), { ops, badType: null });
    assert.equal(r.remaining, 0);
  });
});

describe('multi response layout', () => {
  const stat = sampleStat;
  const results: R.MultiResult[] = [
    { type: 1, path: '/a' },
    { type: 15, path: '/b', stat },
    { type: 2 },
    { type: 13 },
    { type: 5, stat },
    { type: 8, children: ['c1', 'c2'] },
    { type: 4, data: Buffer.from('hello'), stat },
    { type: 4, data: null, stat },
    { type: -1, err: -101 },
  ];
  const bytes = cat(
    multiHeader(1, false, 0), str('/a'),
    multiHeader(15, false, 0), str('/b'), statBytes(stat),
    multiHeader(2, false, 0),
    multiHeader(13, false, 0),
    multiHeader(5, false, 0), statBytes(stat),
    multiHeader(8, false, 0), vec([str('c1'), str('c2')]),
    multiHeader(4, false, 0), buf(Buffer.from('hello')), statBytes(stat),
    multiHeader(4, false, 0), int(-1), statBytes(stat),
    multiHeader(-1, false, -101), int(-101),
    MULTI_END,
  );

  it('writes results with err 0 in their headers and ErrorResult carrying its code twice', () => {
    assert.deepEqual(encodeResults(results), bytes);
  });

  it('reads them back', () => {
    const r = new JuteReader(bytes);
    assert.deepEqual(R.readMultiResults(r), results);
    assert.equal(r.remaining, 0);
  });

  it('a failed multi: OK error results before the failing op, RUNTIMEINCONSISTENCY after', () => {
    const failed: R.MultiResult[] = [{ type: -1, err: 0 }, { type: -1, err: -110 }, { type: -1, err: -2 }];
    const expected = cat(
      multiHeader(-1, false, 0), int(0),
      multiHeader(-1, false, -110), int(-110),
      multiHeader(-1, false, -2), int(-2),
      MULTI_END,
    );
    assert.deepEqual(encodeResults(failed), expected);
    assert.deepEqual(R.readMultiResults(new JuteReader(expected)), failed);
  });

  it('refuses a result type that cannot appear in a response', () => {
    assert.throws(() => R.readMultiResults(new JuteReader(cat(multiHeader(9, false, 0), MULTI_END))), /invalid type 9/);
  });
});
