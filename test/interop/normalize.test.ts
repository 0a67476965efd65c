// Unit tests for the pieces of the interop stage that need no JVM: zkCli output normalization and
// the unified diff shown when transcripts differ.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unifiedDiff } from './unified-diff.js';
import { normalizeZkCliOutput } from './zkcli-normalize.js';

const NOW = Date.parse('2026-11-22T17:19:55Z');
const SERVER = '127.0.0.1:40123';

function stat(czxid: string, mzxid: string, owner: string, ctime = 'Sun Nov 22 17:19:55 UTC 2026'): string[] {
  return [
    `cZxid = ${czxid}`, `ctime = ${ctime}`, `mZxid = ${mzxid}`, `mtime = ${ctime}`, `pZxid = ${czxid}`,
    'cversion = 0', 'dataVersion = 0', 'aclVersion = 0', `ephemeralOwner = ${owner}`, 'dataLength = 1', 'numChildren = 0',
  ];
}

describe('normalizeZkCliOutput', () => {
  it('drops banners and logger noise, keeps stderr apart, and moves events to their own section', () => {
    const stdout = [
      `Connecting to ${SERVER}`, '', 'WATCHER::', '', 'WatchedEvent state:SyncConnected type:None path:null',
      'Welcome to ZooKeeper!', 'JLine support is disabled', 'hello', '', 'WATCHER::',
      '', 'WatchedEvent state:SyncConnected type:NodeDataChanged path:/cli/a', '', `0 - connect ${SERVER}`,
      '', 'WATCHER::', '', 'WatchedEvent state:Closed type:None path:null',
    ].join('\n') + '\n';
    const stderr = 'SLF4J: Failed to load class "org.slf4j.impl.StaticLoggerBinder".\nCreated /cli/a\n';
    assert.equal(normalizeZkCliOutput({ stdout, stderr }, SERVER, NOW), [
      'hello', '', '0 - connect {{server}}',
      '--- stderr ---', 'Created /cli/a',
      '--- events ---', 'NodeDataChanged /cli/a state=SyncConnected',
    ].join('\n') + '\n');
  });

  it('maps zxids and session ids by first appearance and hides plausible times', () => {
    const stdout = [
      ...stat('0x1f', '0x20', '0x0'),
      ...stat('0x20', '0x21', '0x1000a5b2c3d0001'),
      ...stat('0x0', '0x0', '0x1000a5b2c3d0002'),
    ].join('\n') + '\n';
    const text = normalizeZkCliOutput({ stdout, stderr: '' }, SERVER, NOW);
    const pick = (key: string): string[] => text.split('\n').filter((l) => l.startsWith(key));
    assert.deepEqual(pick('cZxid'), ['cZxid = z1', 'cZxid = z2', 'cZxid = 0']);
    assert.deepEqual(pick('mZxid'), ['mZxid = z2', 'mZxid = z3', 'mZxid = 0']);
    assert.deepEqual(pick('ephemeralOwner'), ['ephemeralOwner = 0x0', 'ephemeralOwner = S1', 'ephemeralOwner = S2']);
    assert.deepEqual(new Set(pick('ctime')), new Set(['ctime = T']));
  });

  it('keeps an implausible time visible, so a server stamping nonsense cannot pass', () => {
    const stdout = stat('0x1', '0x1', '0x0', 'Thu Jan 01 00:00:00 UTC 1970').join('\n') + '\n';
    const text = normalizeZkCliOutput({ stdout, stderr: '' }, SERVER, NOW);
    assert.match(text, /^ctime = Thu Jan 01 00:00:00 UTC 1970$/m);
  });

  it('sorts bracketed child lists, whose order the server does not define', () => {
    const text = normalizeZkCliOutput({ stdout: '[zeta, alpha, mid]\n[]\n', stderr: '' }, SERVER, NOW);
    assert.equal(text.split('\n').slice(0, 2).join('\n'), '[alpha, mid, zeta]\n[]');
  });

  it('keeps the order of the identities whoami lists: ZooKeeper defines it (a ConcurrentHashMap)', () => {
    const stdout = ['Auth scheme: User', 'ip: 127.0.0.1', 'digest: alice', '[x]'].join('\n');
    const text = normalizeZkCliOutput({ stdout, stderr: '' }, SERVER, NOW);
    assert.equal(text.split('\n--- stderr')[0], stdout);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y'), '');
  });

  it('shows a changed line with context and hunk header', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n');
    assert.equal(unifiedDiff(before, after, 'apache', 'zk-server'), [
      '--- apache', '+++ zk-server', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8',
    ].join('\n') + '\n');
  });

  it('reports a missing trailing line', () => {
    const diff = unifiedDiff('a\nb\nc', 'a\nb', 'x', 'y');
    assert.match(diff, /^-c$/m);
    // Nothing added: the only line starting with '+' is the +++ header.
    assert.doesNotMatch(diff, /^\+(?!\+\+ )/m);
  });
});
