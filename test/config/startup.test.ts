// startupRefusals: the configs zk-server parses but will not start a server on yet (dynamic
// reconfig), each refusal naming the key, file and line to change.

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

test('standalone configs start: no server lines, or one participant with standaloneEnabled=true', () => {
  assert.deepEqual(startupRefusals(parse(base)), []);
  const single = parse(base + 'server.2=zk2:2888:3888\n');
  assert.deepEqual(startupRefusals(single), []);
  // It keeps running standalone with the warning it always had.
  assert.match(single.warnings.join('\n'), /only one participant server\.N line and standaloneEnabled is true: running standalone/);
});

test('a quorum (several participants, or standaloneEnabled=false) is not refused: it starts a quorum member', () => {
  assert.deepEqual(startupRefusals(parse(base + three)), []);
  assert.deepEqual(startupRefusals(parse(base + 'standaloneEnabled=false\nserver.2=zk2:2888:3888\n')), []);
  // One participant and an observer is refused by the parser itself, as by QuorumPeerConfig.
  assert.throws(() => parse(base + 'server.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n'), /observers without a quorum/);
});

test('reconfigEnabled=true: refused for a quorum; a standalone server keeps it, as ZooKeeper does', () => {
  // Standalone ZooKeeper with reconfigEnabled=true answers reconfig with Unimplemented; zk-server too.
  assert.deepEqual(startupRefusals(parse(base + 'reconfigEnabled=true\n')), []);
  assert.deepEqual(startupRefusals(parse(base + 'reconfigEnabled=true\nserver.2=zk2:2888:3888\n')), []);
  const r = startupRefusals(parse(base + 'reconfigEnabled=true\n' + three));
  assert.deepEqual(r.map((e) => e.key), ['reconfigEnabled']);
  assert.equal(r[0].line, 5);
  assert.equal(r[0].message, 'conf/zoo.cfg:5: reconfigEnabled: true is not supported yet for a quorum by zk-server (dynamic reconfig is not implemented); set reconfigEnabled=false');
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
  // A quorum in the dynamic file is refused for the file alone.
  const q = parse('dataDir=/d\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=/srv/dyn\n', {
    readFile: files({ '/srv/dyn': three.replace(/\n/g, ';2181\n'), '/d/myid': '2' }),
  });
  assert.deepEqual(startupRefusals(q).map((e) => e.key), ['dynamicConfigFile']);
});
