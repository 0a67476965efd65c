// The bench's floor server (bench/floor-server.ts) under the real load generator: it must serve the
// load like a ZooKeeper server (every session answered, in order, no errors) and really make the
// writes durable where it says: in its log file, or in its LevelDB.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { runLoad } from '../../bench/load.js';
import { fourLetter, releaseDir, type ServerProcess } from '../../bench/lib/launch.js';
import { floorTarget } from '../../bench/targets.js';

const FLOOR_MAIN = fileURLToPath(new URL('../../bench/floor-server.js', import.meta.url));

const opts = { warmupMs: 200, measureMs: 600 };
const started: ServerProcess[] = [];
after(async () => {
  for (const s of started) {
    await s.stop();
    releaseDir(s.dir);
  }
});

async function launch(storage: 'filelog' | 'level'): Promise<ServerProcess> {
  const spec = floorTarget(storage, os.tmpdir());
  const proc = await (spec.launch ?? assert.fail('a floor target can be launched'))({});
  started.push(proc);
  return proc;
}

/** Occurrences of `needle` in `hay`. */
function count(hay: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) n++;
  return n;
}

test('filelog floor: serves setData load in order and writes every request to its O_DSYNC file', async () => {
  const proc = await launch('filelog');
  const r = await runLoad(proc, { sessions: 4, window: 1, write: 'setData', readFraction: 0, payloadBytes: 100 }, opts);
  assert.ok(r.write && r.write.count > 0, 'no writes completed');
  assert.equal(r.errors, 0);
  assert.equal(r.protocolErrors, 0);
  assert.equal(r.starvedSessions, 0);
  assert.equal(r.unansweredAtEnd, 0);
  assert.ok((r.server.cpuUsPerWrite ?? 0) > 0, 'server CPU measured');
  const log = readFileSync(path.join(proc.dataDir, 'floor.log'));
  // Each setData request carries its 100-byte payload of 'a's (and the setup's creates one more).
  const written = count(log, Buffer.alloc(100, 0x61));
  assert.ok(written >= r.write.count, `${written} payloads in the file for ${r.write.count} measured writes`);
});

test('level floor: serves a mixed load and puts one key per write in its LevelDB', async () => {
  const proc = await launch('level');
  const r = await runLoad(proc, { sessions: 2, window: 2, write: 'setData', readFraction: 0.5, payloadBytes: 100 }, opts);
  assert.ok(r.write && r.read && r.write.count > 0 && r.read.count > 0);
  assert.equal(r.errors, 0);
  assert.equal(r.protocolErrors, 0);
  assert.equal(r.unansweredAtEnd, 0);
  await proc.stop({ keepDir: true });
  const db = new ClassicLevel<Buffer, Buffer>(path.join(proc.dataDir, 'floor-level'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    const keys = await db.keys().all();
    assert.ok(keys.length >= r.write.count, `${keys.length} keys for ${r.write.count} measured writes`);
  } finally {
    await db.close();
  }
});

test('floor: a malformed frame closes that connection and the floor keeps serving', async () => {
  const proc = await launch('filelog');
  const sock = net.connect(proc.port, proc.host);
  await new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  // A negative frame length: no ZooKeeper client sends that.
  sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  await closed;
  assert.equal(await fourLetter(proc.host, proc.port, 'ruok'), 'imok');
});

test('floor: a config without clientPort stops it with an error naming the key', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'zk-floor-cfg-'));
  try {
    const cfg = path.join(dir, 'zoo.cfg');
    writeFileSync(cfg, `dataDir=${dir}\n`);
    const r = spawnSync(process.execPath, [FLOOR_MAIN, '--config', cfg], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /zoo\.cfg: clientPort missing or not a port/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
