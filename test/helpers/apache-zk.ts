// Starts Apache ZooKeeper 3.8 (the Debian package) standalone with the same handle as startZkServer,
// so interop and reference tests can run the same scenario against the real thing.

import { existsSync } from 'node:fs';
import { launchServer, type StartZkServerOptions, type ZkServerHandle } from './zk-server.js';

const ZK_JAR = '/usr/share/java/zookeeper.jar';
// zookeeper.jar's manifest pulls in its dependencies; slf4j-simple logs to stderr, which the handle keeps.
const LOG_JARS = ['/usr/share/java/slf4j-simple.jar'];
const JAVA = '/usr/bin/java';

/** Whether Apache ZooKeeper and a JVM are installed, so tests can skip cleanly when they are not. */
export function apacheZkAvailable(): boolean {
  return existsSync(JAVA) && existsSync(ZK_JAR) && LOG_JARS.every((j) => existsSync(j));
}

export interface StartApacheZkOptions extends Omit<StartZkServerOptions, 'storage'> {
  /** JVM system properties, e.g. { 'zookeeper.extendedTypesEnabled': 'true' } for TTL nodes. */
  systemProperties?: Record<string, string>;
}

/** Apache ZooKeeper 3.8 standalone (ZooKeeperServerMain) on a free port, admin server off. */
export function startApacheZkServer(opts: StartApacheZkOptions = {}): Promise<ZkServerHandle> {
  const props = Object.entries(opts.systemProperties ?? {}).map(([k, v]) => `-D${k}=${v}`);
  return launchServer({
    command: JAVA,
    args: (configPath) => [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-Dzookeeper.jmx.log4j.disable=true',
      ...props,
      '-cp', [ZK_JAR, ...LOG_JARS].join(':'),
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      configPath,
    ],
    baseConfig: { 'admin.enableServer': 'false' },
  }, opts);
}
