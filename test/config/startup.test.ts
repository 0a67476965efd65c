// startupRefusals: the configs zk-server parses but will not start a server on yet (a quorum,
// dynamic reconfig), each refusal naming the key, file and line to change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseZooCfg, startupRefusals, type ParseZooCfgOptions } from '../../src/config/index.js';

function files(map: Record<string, string>): (file: string) => string | null {
  return (file) => map[file] ?? null;
}
const parse = (text: string, opts: ParseZooCfgOptions = {}) =>
  parseZooCfg(text, { file: 'conf/zoo.cfg', baseDir: '/srv', readFile: files({ '/d/myid': '2' }), requireMyId: true, ...opts });
const base = 'dataDir=/d\nclientPort=2181\ninitLimit=10\nsyncLimit=5\n';
const three = 'server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n';
const QUORUM = /quorum mode \(server\.N lines with more than one participant, or standaloneEnabled=false\) is not available yet in this version of zk-server/;

test('standalone configs start: no server lines, or one participant with standaloneEnabled=true', () => {
  assert.deepEqual(startupRefusals(parse(base)), []);
  const single = parse(base + 'server.2=zk2:2888:3888\n');
  assert.deepEqual(startupRefusals(single), []);
  // It keeps running standalone with the warning it always had.
  assert.match(single.warnings.join('\n'), /only one participant server\.N line and standaloneEnabled is true: running standalone/);
});

test('a quorum of several participants is refused, naming the first server.N key, file and line', () => {
  const refusals = startupRefusals(parse(base + three));
  assert.equal(refusals.length, 1);
  const [r] = refusals;
  assert.equal(r.code, 'ERR_CONFIG');
  assert.equal(r.key, 'server.1');
  assert.equal(r.file, 'conf/zoo.cfg');
  assert.equal(r.line, 5);
  assert.match(r.message, /^conf\/zoo\.cfg:5: server\.1: quorum mode .* \(this config: 3 participants\); refusing to start rather than run a member standalone$/);
  assert.match(r.message, QUORUM);
  assert.doesNotMatch(r.message, /\n/);
  // "First" is the first line given, whatever its id; observers don't make a quorum on their own.
  const shuffled = startupRefusals(parse(base + 'server.3=zk3:2888:3888\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n'));
  assert.equal(shuffled.length, 1);
  assert.match(shuffled[0].message, /^conf\/zoo\.cfg:5: server\.3: .*\(this config: 2 participants\)/);
  // One participant and an observer is refused by the parser itself, as by QuorumPeerConfig.
  assert.throws(() => parse(base + 'server.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n'), /observers without a quorum/);
});

test('standaloneEnabled=false makes even one participant a quorum: refused', () => {
  const r = startupRefusals(parse(base + 'standaloneEnabled=false\nserver.2=zk2:2888:3888\n'));
  assert.equal(r.length, 1);
  assert.equal(r[0].key, 'server.2');
  assert.equal(r[0].line, 6);
  assert.match(r[0].message, /\(this config: standaloneEnabled=false\)/);
});

test('server lines given on the command line are named by their flag', () => {
  const r = startupRefusals(parse(base, {
    overrides: [
      { key: 'server.1', value: 'zk1:2888:3888', origin: '-Dserver.1=zk1:2888:3888' },
      { key: 'server.2', value: 'zk2:2888:3888', origin: '-Dserver.2=zk2:2888:3888' },
    ],
  }));
  assert.equal(r.length, 1);
  assert.match(r[0].message, /^-Dserver\.1=zk1:2888:3888: server\.1: quorum mode/);
});

test('reconfigEnabled=true: refused for a quorum; a standalone server keeps it, as ZooKeeper does', () => {
  // Standalone ZooKeeper with reconfigEnabled=true answers reconfig with Unimplemented; zk-server too.
  assert.deepEqual(startupRefusals(parse(base + 'reconfigEnabled=true\n')), []);
  assert.deepEqual(startupRefusals(parse(base + 'reconfigEnabled=true\nserver.2=zk2:2888:3888\n')), []);
  const r = startupRefusals(parse(base + 'reconfigEnabled=true\n' + three));
  assert.deepEqual(r.map((e) => e.key), ['server.1', 'reconfigEnabled']);
  assert.equal(r[1].line, 5);
  assert.equal(r[1].message, 'conf/zoo.cfg:5: reconfigEnabled: true is not supported yet for a quorum by zk-server (dynamic reconfig is not implemented); set reconfigEnabled=false');
  assert.deepEqual(startupRefusals(parse(base + 'reconfigEnabled=false\nserver.2=zk2:2888:3888\n')), []);
});

test('dynamicConfigFile is refused at start-up, naming the key and line, though it parses', () => {
  const one = 'server.2=zk2:2888:3888;2181\n';
  const c = parse('dataDir=/d\ndynamicConfigFile=zoo.cfg.dynamic.100000000\n', {
    readFile: files({ '/srv/zoo.cfg.dynamic.100000000': one, '/d/myid': '2' }),
  });
  assert.equal(c.servers.size, 1); // still parsed, for anything that only reads the config
  const r = startupRefusals(c);
  assert.equal(r.length, 1);
  assert.equal(r[0].key, 'dynamicConfigFile');
  assert.equal(r[0].line, 2);
  assert.match(r[0].message, /^conf\/zoo\.cfg:2: dynamicConfigFile: dynamic configuration files are not supported yet by zk-server/);
  // With a quorum in the dynamic file, the quorum refusal comes first and points into that file.
  const q = parse('dataDir=/d\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=/srv/dyn\n', {
    readFile: files({ '/srv/dyn': three.replace(/\n/g, ';2181\n'), '/d/myid': '2' }),
  });
  const rq = startupRefusals(q);
  assert.deepEqual(rq.map((e) => e.key), ['server.1', 'dynamicConfigFile']);
  assert.match(rq[0].message, /^\/srv\/dyn:1: server\.1: quorum mode/);
});
