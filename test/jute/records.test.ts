// Jute reader/writer bounds and every record of src/jute/records.ts: decoded from bytes built by hand
// from zookeeper.jute, encoded back to the same bytes.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JuteError } from '../../src/jute/errors.js';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import * as R from '../../src/jute/records.js';
import { bool, buf, cat, int, long, openAcl, sampleStat, statBytes, str, vec } from './bytes.js';

/** Decodes `bytes` with `read` (which must consume all of them) and checks `write` gives the bytes back. */
function layout<T>(bytes: Buffer, read: (r: JuteReader) => T, write: (w: JuteWriter, v: T) => void, expected: T): void {
  const r = new JuteReader(bytes);
  assert.deepEqual(read(r), expected);
  assert.equal(r.remaining, 0, 'reader left bytes unread');
  const w = new JuteWriter(8);
  write(w, expected);
  assert.deepEqual(w.toBuffer(), bytes);
}

function throwsAt(fn: () => unknown, offset: number, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof JuteError, `expected JuteError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_JUTE_DECODE');
    assert.equal(e.offset, offset);
    assert.match(e.message, new RegExp(`at offset ${offset}$`));
    if (message) assert.match(e.message, message);
    return true;
  });
}

const acl: R.ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

describe('JuteReader bounds', () => {
  it('reports truncated input with the offset where bytes ran out', () => {
    throwsAt(() => new JuteReader(Buffer.from([0, 0, 1])).readInt(), 0, /truncated int/);
    // The 4th long of a Stat starts at 24 and only 6 bytes remain.
    throwsAt(() => R.readStat(new JuteReader(statBytes(sampleStat).subarray(0, 30))), 24, /truncated long/);
    // A string claiming 10 bytes with 3 present fails where its body starts.
    throwsAt(() => new JuteReader(cat(int(10), [0x61, 0x62, 0x63])).readUString(), 4, /truncated string/);
    throwsAt(() => new JuteReader(cat(int(5), [1, 2])).readBuffer(), 4, /truncated buffer: need 5 bytes, have 2/);
    throwsAt(() => new JuteReader(Buffer.alloc(0)).readBool(), 0, /truncated boolean/);
    const r = new JuteReader(cat(int(7), int(8), [1]));
    r.readInt();
    throwsAt(() => r.readLong(), 4);
  });

  it('refuses negative lengths other than -1 and vectors longer than the input', () => {
    throwsAt(() => new JuteReader(int(-2)).readUString(), 0, /negative string length -2/);
    throwsAt(() => new JuteReader(int(-7)).readBuffer(), 0, /negative buffer length -7/);
    throwsAt(() => new JuteReader(cat(int(1_000_000), str('a'))).readStringVector(), 0, /bad vector length/);
    throwsAt(() => new JuteReader(int(-3)).readVector((x) => x.readInt(), 4), 0, /bad vector length -3/);
    // Two ACLs announced, the second cut off after its perms: the scheme length is missing at 31.
    throwsAt(() => R.readACLList(new JuteReader(cat(int(2), int(31), str('world'), str('anyone'), int(31)))), 31);
  });

  it('reads null strings, buffers and vectors (length -1) as null, and empty ones as empty', () => {
    const r = new JuteReader(cat(int(-1), int(-1), int(-1), int(-1), int(-1), int(0), int(0), int(0)));
    assert.equal(r.readUString(), null);
    assert.equal(r.readString(), '');
    assert.equal(r.readBuffer(), null);
    assert.equal(r.readVector((x) => x.readInt()), null);
    assert.deepEqual(r.readStringVector(), []);
    assert.equal(r.readUString(), '');
    assert.deepEqual(r.readBuffer(), Buffer.alloc(0));
    assert.deepEqual(r.readVector((x) => x.readInt()), []);
    assert.equal(r.remaining, 0);
    const w = new JuteWriter();
    w.writeUString(null).writeBuffer(null).writeVector(null, (ww, v: number) => ww.writeInt(v)).writeStringVector(null);
    assert.deepEqual(w.toBuffer(), cat(int(-1), int(-1), int(-1), int(-1)));
  });

  it('readBufferView reads what readBuffer does, as a view of the input, with the same bounds', () => {
    const input = cat(int(3), [7, 8, 9], int(-1), int(0), int(5), [1, 2]);
    const r = new JuteReader(input);
    const view = r.readBufferView();
    assert.deepEqual(view, Buffer.from([7, 8, 9]));
    input[4] = 70;
    assert.equal(view?.[0], 70, 'the view follows the input');
    assert.equal(r.readBufferView(), null);
    assert.deepEqual(r.readBufferView(), Buffer.alloc(0));
    throwsAt(() => r.readBufferView(), 19, /truncated buffer: need 5 bytes, have 2/);
    throwsAt(() => new JuteReader(int(-7)).readBufferView(), 0, /negative buffer length -7/);
    const other = cat(int(1), [4]);
    const copy = new JuteReader(other).readBuffer();
    other[4] = 40;
    assert.deepEqual(copy, Buffer.from([4]), 'readBuffer still copies');
  });

  it('reads longs beyond 2^53 exactly as bigint', () => {
    const r = new JuteReader(cat(long(0x7fffffffffffffffn), long(-0x8000000000000000n), long(0x0100000429340000n), long(2n ** 53n + 1n)));
    assert.equal(r.readLong(), 0x7fffffffffffffffn);
    assert.equal(r.readLong(), -0x8000000000000000n);
    assert.equal(r.readLong(), 0x0100000429340000n);
    assert.equal(r.readLong(), 2n ** 53n + 1n);
    const w = new JuteWriter();
    w.writeLong(2n ** 64n - 1n).writeLong(0x0100000429340000n);
    assert.deepEqual(w.toBuffer(), cat(long(-1n), long(0x0100000429340000n)));
  });

  it('readLongNumber takes safe integers and refuses anything that would lose precision', () => {
    const ok = [0, 1, -1, 0x100000005, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_700_000_000_123];
    for (const v of ok) {
      assert.equal(new JuteReader(long(v)).readLongNumber(), v);
      assert.deepEqual(new JuteWriter().writeLongNumber(v).toBuffer(), long(v));
    }
    for (const v of [2n ** 53n, 2n ** 63n - 1n, -(2n ** 53n) - 1n, -(2n ** 63n)]) {
      const r = new JuteReader(cat(int(9), long(v)));
      r.readInt();
      throwsAt(() => r.readLongNumber(), 4, /out of safe range/);
      // The failed read consumed nothing: the same bytes still read as a bigint.
      assert.equal(r.readLong(), v);
    }
  });

  it('writes UTF-8 strings with their byte length, grows its buffer and patches frame lengths', () => {
    const w = new JuteWriter(4);
    w.writeInt(0).writeUString('/ü/路径').writeRaw(Buffer.alloc(300, 7));
    w.patchInt(0, w.length - 4);
    const out = w.toBuffer();
    assert.deepEqual(out.subarray(0, 4), int(out.length - 4));
    assert.deepEqual(out.subarray(4, 8), int(Buffer.byteLength('/ü/路径')));
    assert.equal(new JuteReader(out, 4).readString(), '/ü/路径');
    const kept = w.toBuffer();
    w.reset().writeInt(1);
    assert.deepEqual(kept, out, 'toBuffer() is a copy that survives reset()');
    assert.deepEqual(w.view(), int(1));
  });
});

describe('data records', () => {
  it('Id, ACL and ACL lists (null list is -1)', () => {
    layout(cat(str('digest'), str('bob:hash')), R.readId, R.writeId, { scheme: 'digest', id: 'bob:hash' });
    layout(cat(int(31), str('world'), str('anyone')), R.readACL, R.writeACL, acl[0]);
    layout(openAcl(), R.readACLList, R.writeACLList, acl);
    layout(int(-1), R.readACLList, R.writeACLList, null);
  });

  it('Stat is 68 bytes in declaration order, StatPersisted drops dataLength and numChildren', () => {
    const bytes = statBytes(sampleStat);
    assert.equal(bytes.length, 68);
    layout(bytes, R.readStat, R.writeStat, sampleStat);
    const { dataLength: _d, numChildren: _n, ...persisted } = sampleStat;
    const pbytes = cat(long(sampleStat.czxid), long(sampleStat.mzxid), long(sampleStat.ctime), long(sampleStat.mtime),
      int(3), int(-1), int(2), long(sampleStat.ephemeralOwner), long(sampleStat.pzxid));
    layout(pbytes, R.readStatPersisted, R.writeStatPersisted, persisted);
  });
});

describe('client protocol records', () => {
  const passwd = Buffer.from('0123456789abcdef');
  const connectBody = cat(int(0), long(0x100000005), int(30_000), long(0x0100000429340000n), buf(passwd));

  it('ConnectRequest with the trailing readOnly byte', () => {
    const req: R.ConnectRequest = {
      protocolVersion: 0, lastZxidSeen: 0x100000005, timeOut: 30_000, sessionId: 0x0100000429340000n,
      passwd, readOnly: true, hasReadOnly: true,
    };
    layout(cat(connectBody, bool(true)), R.readConnectRequest, R.writeConnectRequest, req);
    assert.equal(cat(connectBody, bool(true)).length, 45);
  });

  it('ConnectRequest from an old client, without the readOnly byte', () => {
    const req: R.ConnectRequest = {
      protocolVersion: 0, lastZxidSeen: 0x100000005, timeOut: 30_000, sessionId: 0x0100000429340000n,
      passwd, readOnly: false, hasReadOnly: false,
    };
    layout(connectBody, R.readConnectRequest, R.writeConnectRequest, req);
    assert.equal(connectBody.length, 44);
  });

  it('ConnectRequest with a null password reads an empty one', () => {
    const r = R.readConnectRequest(new JuteReader(cat(int(0), long(0), int(4000), long(0), int(-1))));
    assert.deepEqual(r.passwd, Buffer.alloc(0));
    assert.equal(r.hasReadOnly, false);
  });

  it('ConnectResponse with and without the readOnly byte', () => {
    const resp: R.ConnectResponse = { protocolVersion: 0, timeOut: 10_000, sessionId: -2n, passwd, readOnly: true };
    const body = cat(int(0), int(10_000), long(-2n), buf(passwd));
    const w = new JuteWriter();
    R.writeConnectResponse(w, resp, true);
    assert.deepEqual(w.toBuffer(), cat(body, bool(true)));
    assert.deepEqual(R.readConnectResponse(new JuteReader(cat(body, bool(true)))), resp);
    w.reset();
    R.writeConnectResponse(w, resp, false);
    assert.deepEqual(w.toBuffer(), body);
    assert.deepEqual(R.readConnectResponse(new JuteReader(body)), { ...resp, readOnly: false });
  });

  it('request, reply and multi headers', () => {
    layout(cat(int(7), int(4)), R.readRequestHeader, R.writeRequestHeader, { xid: 7, type: 4 });
    layout(cat(int(-1), long(-1), int(0)), R.readReplyHeader, R.writeReplyHeader, { xid: -1, zxid: -1, err: 0 });
    layout(cat(int(9), long(0x200000001), int(-101)), R.readReplyHeader, R.writeReplyHeader, { xid: 9, zxid: 0x200000001, err: -101 });
    layout(cat(int(-1), bool(true), int(-1)), R.readMultiHeader, R.writeMultiHeader, { type: -1, done: true, err: -1 });
  });

  it('AuthPacket, path requests and WatcherEvent', () => {
    layout(cat(int(0), str('digest'), buf(Buffer.from('u:p'))), R.readAuthPacket, R.writeAuthPacket,
      { type: 0, scheme: 'digest', auth: Buffer.from('u:p') });
    layout(cat(str('/a'), bool(true)), R.readPathWatchRequest, R.writePathWatchRequest, { path: '/a', watch: true });
    layout(str('/a/b'), R.readPathRequest, R.writePathRequest, { path: '/a/b' });
    layout(cat(str('/w'), int(3)), R.readPathTypeRequest, R.writePathTypeRequest, { path: '/w', type: 3 });
    layout(cat(int(3), int(3), str('/x')), R.readWatcherEvent, R.writeWatcherEvent, { type: 3, state: 3, path: '/x' });
  });

  it('create, createTTL, delete, setData and setACL requests', () => {
    const create: R.CreateRequest = { path: '/n', data: Buffer.from('d'), acl, flags: 1, ttl: -1 };
    layout(cat(str('/n'), buf(Buffer.from('d')), openAcl(), int(1)), R.readCreateRequest, (w, v) => R.writeCreateRequest(w, v), create);
    const nullData: R.CreateRequest = { path: '/n', data: null, acl: null, flags: 0, ttl: -1 };
    layout(cat(str('/n'), int(-1), int(-1), int(0)), R.readCreateRequest, (w, v) => R.writeCreateRequest(w, v), nullData);
    const ttl: R.CreateRequest = { path: '/t', data: null, acl, flags: 5, ttl: 60_000 };
    layout(cat(str('/t'), int(-1), openAcl(), int(5), long(60_000)), R.readCreateTTLRequest, (w, v) => R.writeCreateRequest(w, v, true), ttl);
    layout(cat(str('/d'), int(-1)), R.readDeleteRequest, R.writeDeleteRequest, { path: '/d', version: -1 });
    layout(cat(str('/s'), buf(Buffer.from('xy')), int(4)), R.readSetDataRequest, R.writeSetDataRequest,
      { path: '/s', data: Buffer.from('xy'), version: 4 });
    layout(cat(str('/s'), openAcl(), int(2)), R.readSetACLRequest, R.writeSetACLRequest, { path: '/s', acl, version: 2 });
  });

  it('SetWatches (three lists) and SetWatches2 (five lists)', () => {
    const v: R.SetWatches = {
      relativeZxid: 0x300000002, dataWatches: ['/d'], existWatches: [], childWatches: ['/c1', '/c2'],
      persistentWatches: ['/p'], persistentRecursiveWatches: ['/r'],
    };
    const v1 = cat(long(0x300000002), vec([str('/d')]), vec([]), vec([str('/c1'), str('/c2')]));
    layout(v1, (r) => R.readSetWatches(r, false), (w, x) => R.writeSetWatches(w, x, false),
      { ...v, persistentWatches: [], persistentRecursiveWatches: [] });
    layout(cat(v1, vec([str('/p')]), vec([str('/r')])), (r) => R.readSetWatches(r, true), (w, x) => R.writeSetWatches(w, x, true), v);
  });

  it('ReconfigRequest, with null members', () => {
    const r = new JuteReader(cat(str('server.4=h:2888:3888;2181'), int(-1), int(-1), long(-1)));
    assert.deepEqual(R.readReconfigRequest(r), {
      joiningServers: 'server.4=h:2888:3888;2181', leavingServers: null, newMembers: null, curConfigId: -1,
    });
    assert.equal(r.remaining, 0);
  });
});

describe('txn and persistence records', () => {
  it('TxnHeader, TxnDigest and FileHeader', () => {
    layout(cat(long(0x0100000429340000n), int(5), long(0x100000009), long(1_700_000_000_999), int(1)), R.readTxnHeader, R.writeTxnHeader,
      { clientId: 0x0100000429340000n, cxid: 5, zxid: 0x100000009, time: 1_700_000_000_999, type: 1 });
    layout(cat(int(2), long(-0x123456789abcdefn)), R.readTxnDigest, R.writeTxnDigest, { version: 2, treeDigest: -0x123456789abcdefn });
    layout(cat(int(0x5a4b4c47), int(2), long(0)), R.readFileHeader, R.writeFileHeader, { magic: 0x5a4b4c47, version: 2, dbid: 0n });
  });

  const txnLayouts: Array<[string, Buffer, R.Txn]> = [
    ['create', cat(str('/e'), buf(Buffer.from('v')), openAcl(), bool(true), int(4)),
      { type: 1, path: '/e', data: Buffer.from('v'), acl, ephemeral: true, parentCVersion: 4 }],
    ['createContainer', cat(str('/c'), int(-1), openAcl(), int(0)), { type: 19, path: '/c', data: null, acl, parentCVersion: 0 }],
    ['createTTL', cat(str('/t'), buf(Buffer.alloc(0)), openAcl(), int(1), long(5000)),
      { type: 21, path: '/t', data: Buffer.alloc(0), acl, parentCVersion: 1, ttl: 5000 }],
    ['delete', str('/gone'), { type: 2, path: '/gone' }],
    ['deleteContainer', str('/box'), { type: 20, path: '/box' }],
    ['setData', cat(str('/s'), buf(Buffer.from('z')), int(3)), { type: 5, path: '/s', data: Buffer.from('z'), version: 3 }],
    ['setACL', cat(str('/s'), openAcl(), int(1)), { type: 7, path: '/s', acl, version: 1 }],
    ['check', cat(str('/k'), int(0)), { type: 13, path: '/k', version: 0 }],
    ['createSession', int(30_000), { type: -10, timeOut: 30_000 }],
    ['closeSession with paths', vec([str('/e1'), str('/e2')]), { type: -11, paths2Delete: ['/e1', '/e2'] }],
    ['closeSession as logged (empty)', Buffer.alloc(0), { type: -11, paths2Delete: null }],
    ['error', int(-110), { type: -1, err: -110 }],
  ];
  for (const [name, bytes, txn] of txnLayouts) {
    it(`${name} txn`, () => layout(bytes, (r) => R.readTxn(r, txn.type), R.writeTxn, txn));
  }

  it('create txn without parentCVersion (CreateTxnV0) reads -1', () => {
    const r = new JuteReader(cat(str('/old'), int(-1), openAcl(), bool(false)));
    assert.deepEqual(R.readTxn(r, 1), { type: 1, path: '/old', data: null, acl, ephemeral: false, parentCVersion: -1 });
  });

  it('multi txn: a vector of (type, serialized txn) pairs', () => {
    const inner1 = cat(str('/m'), int(-1), openAcl(), bool(false), int(0));
    const inner2 = cat(str('/m'), buf(Buffer.from('q')), int(1));
    const inner3 = int(-101);
    const bytes = cat(int(3), int(1), buf(inner1), int(5), buf(inner2), int(-1), buf(inner3));
    layout(bytes, (r) => R.readTxn(r, 14), R.writeTxn, {
      type: 14,
      txns: [
        { type: 1, path: '/m', data: null, acl, ephemeral: false, parentCVersion: 0 },
        { type: 5, path: '/m', data: Buffer.from('q'), version: 1 },
        { type: -1, err: -101 },
      ],
    });
  });

  it('unknown txn types are refused', () => {
    assert.throws(() => R.readTxn(new JuteReader(Buffer.alloc(0)), 99), /unknown txn type 99/);
  });
});
