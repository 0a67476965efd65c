// A quick hand measurement (the big-tree set of `npm run bench` is the full one, beside Apache
// ZooKeeper): zk-server's resident memory per znode on a big tree, above an empty server, after
// populating it and after random setData of 100 B on existing nodes, with the V8 heap and external
// memory split out, for either storage. Shows whether stored data pins memory it does not own (it
// did: each value was a slice of Node's shared 8 KiB Buffer pool, so a surviving value kept a slab).
//
//   node dist/bench/big-tree-memory.js [--nodes N] [--writes W] [--storage filelog|level]

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { freePort, launchServer } from './lib/launch.js';
import { populateTree, populatedNodeName } from './lib/populate.js';
import { residentMiB } from './lib/proc-stat.js';
import { BenchSession, frames } from './lib/wire.js';
import { REPO_ROOT } from './targets.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '250000' }, writes: { type: 'string', default: '1000000' }, storage: { type: 'string', default: 'filelog' } },
});
const NODES = Number(values.nodes);
const WRITES = Number(values.writes);
const PARENT = '/bench/mem';
const SESSIONS = 16;
const WINDOW = 32;

/** V8 heap used and external (ArrayBuffer) memory in MiB, from the server's own /metrics. */
async function heapMiB(port: number): Promise<{ heapUsed: number; external: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const v = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  return { heapUsed: v('nodejs_heap_size_used_bytes'), external: v('nodejs_external_memory_bytes') };
}

async function main(): Promise<void> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'zk-mem-'));
  const metricsPort = await freePort();
  const server = await launchServer({
    name: 'zk-server', baseDir: base, command: process.execPath,
    args: (cfg) => ['--expose-gc', ...SERVER_NODE_FLAGS, path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'), '--config', cfg, '--storage', values.storage as string],
    config: {
      tickTime: '2000', forceSync: 'yes', maxClientCnxns: '0', 'admin.enableServer': 'false', '4lw.commands.whitelist': '*',
      'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
      'metricsProvider.httpHost': '127.0.0.1', 'metricsProvider.httpPort': String(metricsPort),
    },
  });
  try {
    const heaps: Array<{ heapUsed: number; external: number }> = [];
    const settle = async (): Promise<number> => {
      // A full GC first (SIGUSR2 with --expose-gc), as ZooKeeper's figures are taken after its own.
      process.kill(server.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 3000));
      heaps.push(await heapMiB(metricsPort));
      return residentMiB(server.pid) ?? NaN;
    };
    const empty = await settle();
    const pop = await populateTree(server.host, server.port, { nodes: NODES, parent: PARENT, payloadBytes: 100, createsPerMulti: 1000, sessions: 4, window: 4 });
    const populated = await settle();
    const value = Buffer.alloc(100, 0x61);
    let sent = 0;
    const sessions = await Promise.all(Array.from({ length: SESSIONS }, () => BenchSession.connect(server.host, server.port, 30_000)));
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let done = 0;
      for (const s of sessions) {
        s.startLoad(WINDOW, {
          next: () => {
            sent++;
            return { frame: frames.setData(`${PARENT}/${populatedNodeName(Math.floor(Math.random() * NODES))}`, value), isRead: false };
          },
        }, {
          onReply: () => {
            if (++done >= WRITES) resolve();
          },
        });
      }
    });
    await Promise.all(sessions.map((s) => s.stopLoad()));
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(sessions.map((s) => s.close()));
    const written = await settle();
    const perNode = (mib: number): string => ((mib - empty) * 1024 * 1024 / NODES).toFixed(0);
    console.log(JSON.stringify({
      storage: values.storage, nodes: NODES, populateMs: Math.round(pop.ms), writes: sent, writesPerSecond: Math.round(sent / seconds),
      rssMiB: { empty, populated, afterWrites: written },
      heapMiB: heaps.map((h) => ({ used: Math.round(h.heapUsed), external: Math.round(h.external) })),
      bytesPerZnode: { afterPopulate: Number(perNode(populated)), afterWrites: Number(perNode(written)) },
    }));
  } finally {
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
