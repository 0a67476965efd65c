// Interop stage: Apache ZooKeeper's own Java client and zkCli.sh run the same scripted sessions against
// Apache ZooKeeper 3.8 and against zk-server; the normalized transcripts must be identical. Two fresh
// Apache servers must agree too, which proves the normalization hides only volatile fields.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { ZkServerHandle } from '../helpers/zk-server.js';
import { assertZooKeeperInstalled, javaMissingReason, startApacheZk } from './apache-zk.js';
import { compileDriver, runDriver, type Transcript } from './java-driver.js';
import { unifiedDiff } from './unified-diff.js';
import { runZkCli } from './zkcli.js';

interface Client {
  name: string;
  run(hostPort: string): Promise<Transcript>;
  /** Throws unless the reference transcript looks like a complete, normalized run. */
  checkComplete(text: string): void;
}

const javaMissing = javaMissingReason();
const skip = javaMissing === null ? false : `interop stage skipped: ${javaMissing}`;

/** zoo.cfg for zk-server matching what the Apache side gets from its JVM flags and zoo.cfg. */
const ZK_SERVER_CONFIG = { forceSync: 'yes', extendedTypesEnabled: 'true', 'admin.enableServer': 'false' };

function hostPort(server: ZkServerHandle): string {
  return `127.0.0.1:${server.port}`;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** ZK_INTEROP_DUMP=<dir> keeps every transcript there, for reading a failure at leisure. */
const DUMP_DIR = process.env.ZK_INTEROP_DUMP;

async function timed(t: TestContext, what: string, run: () => Promise<Transcript>): Promise<Transcript> {
  const started = performance.now();
  const transcript = await run();
  t.diagnostic(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (DUMP_DIR !== undefined) {
    mkdirSync(DUMP_DIR, { recursive: true });
    writeFileSync(path.join(DUMP_DIR, `${what.replace(/[^A-Za-z0-9]+/g, '-')}.txt`), transcript.text);
  }
  return transcript;
}

function assertSameTranscript(expected: Transcript, actual: Transcript, expectedName: string, actualName: string): void {
  const diff = unifiedDiff(expected.text, actual.text, expectedName, actualName);
  if (diff === '' && actual.failure === null) return;
  assert.fail(`${actualName} differs from ${expectedName}`
    + (actual.failure !== null ? `\n${actual.failure}` : '')
    + (diff !== '' ? `\n${diff}` : '\n(transcripts are equal)'));
}

describe('interop with Apache ZooKeeper 3.8 clients', { skip }, () => {
  const started: ZkServerHandle[] = [];
  const track = async (server: Promise<ZkServerHandle>): Promise<ZkServerHandle> => {
    const handle = await server;
    started.push(handle);
    return handle;
  };
  let classesDir = '';
  let reference: ZkServerHandle;
  const secondApache = once(() => track(startApacheZk()));
  const zkServer = once(async () => {
    // Imported here so the self-checks still run while zk-server cannot start.
    const { startZkServer } = await import('../helpers/zk-server.js');
    // ZK_INTEROP_STORAGE picks the backend; unset, the helper's default is used.
    const storage = process.env.ZK_INTEROP_STORAGE as 'memory' | 'filelog' | 'level' | undefined;
    return track(startZkServer({ ...(storage !== undefined ? { storage } : {}), extraConfig: ZK_SERVER_CONFIG }));
  });

  const clients: Client[] = [
    {
      name: 'Java client',
      run: (hp) => runDriver(classesDir, hp),
      checkComplete(text) {
        assert.match(text, /\ndone\n$/, 'the driver did not reach its last step');
        assert.doesNotMatch(text, /BADTIME/, 'Apache ZooKeeper stamped an implausible time');
        assert.ok(text.split('\n').length > 200, 'the driver transcript is implausibly short');
      },
    },
    {
      name: 'zkCli.sh',
      run: runZkCli,
      checkComplete(text) {
        assert.match(text, /^Created \/cli$/m, 'zkCli did not run the session');
        assert.doesNotMatch(text, /^[cm]time = (?!T$)/m, 'a stat time escaped normalization');
        assert.doesNotMatch(text, /^[cmp]Zxid = 0x/m, 'a zxid escaped normalization');
        assert.match(text, /--- events ---\n(.+\n){10,}/, 'zkCli printed too few watch events');
      },
    },
  ];
  const referenceRuns = new Map(clients.map((c) => [c, once(() => c.run(hostPort(reference)))]));

  before(async () => {
    assertZooKeeperInstalled();
    [classesDir, reference] = await Promise.all([compileDriver(), track(startApacheZk())]);
  });

  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
  });

  for (const client of clients) {
    it(`${client.name}: two fresh Apache ZooKeepers give the same normalized transcript`, async (t) => {
      const first = await timed(t, `${client.name} on Apache ZooKeeper #1`, referenceRuns.get(client)!);
      assert.equal(first.failure, null, first.failure ?? '');
      client.checkComplete(first.text);
      const other = await secondApache();
      const second = await timed(t, `${client.name} on Apache ZooKeeper #2`, () => client.run(hostPort(other)));
      assertSameTranscript(first, second, 'apache-zookeeper-1', 'apache-zookeeper-2');
    });
  }

  for (const client of clients) {
    it(`${client.name}: zk-server gives the same normalized transcript as Apache ZooKeeper`, async (t) => {
      const expected = await referenceRuns.get(client)!();
      assert.equal(expected.failure, null, expected.failure ?? '');
      const server = await zkServer();
      const actual = await timed(t, `${client.name} on zk-server`, () => client.run(hostPort(server)));
      assertSameTranscript(expected, actual, 'apache-zookeeper', 'zk-server');
    });
  }
});
