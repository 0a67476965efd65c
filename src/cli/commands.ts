// The `zk-server` command (loaded by main.ts): starts a server from a zoo.cfg (flags and -D
// properties over it) and stops it cleanly on SIGINT/SIGTERM, or runs a data-directory subcommand.

import { loadServerConfig, startupRefusals, ConfigError } from '../config/index.js';
import { openStorage } from '../storage/index.js';
import { ZkServer } from '../server/server.js';
import { QuorumPeer } from '../server/quorum/peer.js';
import { isDistributedQuorum } from '../config/index.js';
import { configureLogging, createLogger } from '../log/logger.js';
import { purgeCommand } from './purge.js';
import { inspectCommand } from './inspect.js';
import { migrateCommand } from './migrate.js';
import { verifyCommand } from './verify.js';
import { closeSnapshotPool } from '../storage/snapshot/index.js';
import { startEndpoints, type Endpoints } from '../server/endpoints.js';
import { KeyedConfigError } from '../server/keyed-error.js';
import { isSubcommand, type SubcommandName } from './subcommands.js';

async function main(argv: string[]): Promise<number> {
  const log = createLogger('zk-server');
  let cmd;
  try {
    cmd = loadServerConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`zk-server: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (cmd.command === 'help') {
    process.stdout.write(cmd.usage);
    return 0;
  }
  const config = cmd.config;
  // Refusals to start (bad config, unusable storage) stay plain `zk-server: …` lines on stderr, as a
  // command-line tool's errors; everything the running server says goes through the logger.
  configureLogging({ format: config.logFormat ?? undefined, level: config.logLevel ?? undefined });
  // Configs that parse but that this version cannot serve (dynamic reconfig): one line each.
  const refusals = startupRefusals(config);
  if (refusals.length > 0) {
    for (const r of refusals) process.stderr.write(`zk-server: ${r.message}\n`);
    return 2;
  }
  for (const w of config.warnings) log.warn(w);
  if (!config.forceSync) log.warn('forceSync=no: acknowledged writes are NOT fsynced and can be lost on a crash');
  if (config.snapshotCompressionMethod === 'snappy') {
    // snappy snapshots ZooKeeper wrote are read, but zk-server has no snappy encoder.
    process.stderr.write('zk-server: zookeeper.snapshot.compression.method: "snappy" can be read but not written; use "gz" or leave it unset\n');
    return 2;
  }
  let storage;
  try {
    storage = await openStorage(config.storage, {
      dataDir: config.dataDir,
      dataLogDir: config.dataLogDir,
      preAllocSizeKb: config.preAllocSizeKb,
      forceSync: config.forceSync,
      snapshotCompression: config.snapshotCompressionMethod === 'gz' ? 'gz' : 'none',
      snapshotDirectWrite: config.snapshotDirectWrite,
      logger: log.child('storage'),
    });
  } catch (err) {
    process.stderr.write(`zk-server: cannot open storage "${config.storage}": ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  // A quorum member (several participants, or standaloneEnabled=false) never runs standalone.
  const server = isDistributedQuorum(config.servers, config.standaloneEnabled)
    ? new QuorumPeer(config, storage, createLogger(`zk-server myid:${config.myid}`))
    : new ZkServer(config, storage, log);
  const zk = server instanceof QuorumPeer ? server.server : server;
  let endpoints: Endpoints;
  try {
    endpoints = await startEndpoints(zk, config, log);
  } catch (err) {
    process.stderr.write(`zk-server: ${err instanceof Error ? err.message : String(err)}\n`);
    await storage.close().catch(() => undefined);
    return 2;
  }
  try {
    await server.start();
  } catch (err) {
    if (err instanceof KeyedConfigError) {
      // A key or trust store that cannot be used: a configuration error naming its key.
      process.stderr.write(`zk-server: ${err.message}\n`);
      await server.stop().catch(() => undefined);
      await endpoints.close();
      return 2;
    }
    log.error(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await server.stop().catch(() => undefined);
    await endpoints.close();
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      log.info(`received ${sig}, shutting down`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      server.stop().then(() => endpoints.close()).then(() => closeSnapshotPool()).then(resolve, (err: unknown) => {
        log.error(`error while stopping: ${String(err)}`);
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // A diagnostic for memory measurements (bench/big-tree-memory.ts): with node --expose-gc,
    // SIGUSR2 runs a full garbage collection, as `jcmd <pid> GC.run` does for ZooKeeper's JVM.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc !== undefined) {
      process.on('SIGUSR2', () => {
        gc();
        log.info(`full GC on SIGUSR2: heap used ${Math.round(process.memoryUsage().heapUsed / 1048576)} MiB`);
      });
    }
  });
  return 0;
}

/** Subcommands working on data directories; anything else starts a server. */
const subcommands: Record<SubcommandName, (args: string[]) => Promise<number>> = {
  purge: purgeCommand,
  inspect: inspectCommand,
  verify: verifyCommand,
  migrate: migrateCommand,
};

const argv = process.argv.slice(2);
const subcommand = isSubcommand(argv[0]) ? subcommands[argv[0]] : null;
const run = subcommand !== null ? subcommand(argv.slice(1)) : main(argv);
run.then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`zk-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
