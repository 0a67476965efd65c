// Differential test against Apache ZooKeeper's own DataTree: a seeded stream of txns goes through our
// tree and, via a small Java harness, through ZooKeeper's; the per-txn results and digests and the
// final trees must be identical. Skipped when no JDK or ZooKeeper jars are found (set ZK_CLASSPATH to
// point at them). The jars are 3.8.0; the generator avoids the one behaviour 3.9 changed (see there).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JuteWriter } from '../../src/jute/writer.js';
import { writeTxn, writeTxnHeader } from '../../src/jute/records.js';
import { DataTree } from '../../src/tree/index.js';
import { describeTree, generateTxns } from './random-txns.js';

const HARNESS = fileURLToPath(new URL('../../../test/tree/fixtures/java/ZkTreeReplay.java', import.meta.url));
const JARS = ['zookeeper.jar', 'zookeeper-jute.jar', 'slf4j-api.jar', 'slf4j-nop.jar', 'commons-lang3.jar', 'metrics-core.jar'];

function zookeeperClasspath(): string | null {
  if (process.env.ZK_CLASSPATH !== undefined) return process.env.ZK_CLASSPATH;
  const jars = JARS.map((j) => join('/usr/share/java', j)).filter((j) => existsSync(j));
  return jars.length >= 2 && jars[0].endsWith('zookeeper.jar') ? jars.join(':') : null;
}

function haveJdk(): boolean {
  return spawnSync('javac', ['-version'], { stdio: 'ignore' }).status === 0;
}

const classpath = zookeeperClasspath();
const skip = classpath === null ? 'no ZooKeeper jars (set ZK_CLASSPATH)' : !haveJdk() ? 'no JDK (javac)' : false;

test('random txns give the same results, digests and tree as ZooKeeper\'s DataTree', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'zk-tree-diff-'));
  try {
    const compiled = spawnSync('javac', ['-cp', classpath as string, '-d', dir, HARNESS], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
    for (const seed of [7, 1234]) {
      const tree = new DataTree({ extendedTypesEnabled: true });
      const { txns, trace } = generateTxns(tree, seed, 1500);
      const parts: Buffer[] = [];
      const w = new JuteWriter(256);
      for (const { hdr, txn } of txns) {
        w.reset();
        writeTxnHeader(w, hdr);
        writeTxn(w, txn);
        const body = Buffer.from(w.view());
        const len = Buffer.alloc(4);
        len.writeInt32BE(body.length);
        parts.push(len, body);
      }
      const input = join(dir, `txns-${seed}.bin`);
      const output = join(dir, `zk-${seed}.txt`);
      writeFileSync(input, Buffer.concat(parts));
      const run = spawnSync('java', ['-cp', `${classpath as string}:${dir}`, 'ZkTreeReplay', input, output], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const theirs = readFileSync(output, 'utf8').trimEnd().split('\n');
      const ours = [...trace, ...describeTree(tree)];
      assert.equal(ours.length, theirs.length, `seed ${seed}: line count`);
      for (let i = 0; i < ours.length; i++) assert.equal(ours[i], theirs[i], `seed ${seed}, line ${i + 1}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
