// Apache ZooKeeper 3.8 (Debian package) standalone for the interop stage: forceSync, 4lw open, admin
// server off, TTL/container types on, logs in its temp dir. Launched and stopped by the shared helper.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { launchServer, type ZkServerHandle } from '../helpers/zk-server.js';

export const JAVA = '/usr/bin/java';
export const JAVAC = '/usr/bin/javac';
/** Its manifest Class-Path names every runtime dependency under /usr/share/java. */
export const ZK_JAR = '/usr/share/java/zookeeper.jar';
export const ZK_CLI = '/usr/share/zookeeper/bin/zkCli.sh';
/** slf4j binding for the server, so its log goes to a file rather than nowhere. */
const SLF4J_SIMPLE_JAR = '/usr/share/java/slf4j-simple.jar';
/**
 * The servlet API (libservlet-api-java, which Debian's Jetty depends on): zookeeper.jar's manifest
 * leaves it out, and without it ZooKeeper's Jetty AdminServer cannot load. On the classpath, a test
 * can turn the AdminServer on (admin.enableServer=true) to compare with it.
 */
export const SERVLET_API_JAR = '/usr/share/java/servlet-api.jar';
/** slf4j binding for the driver: silent, so its stdout holds only the scripted steps. */
export const SLF4J_NOP_JAR = '/usr/share/java/slf4j-nop.jar';

/**
 * Short-lived JVMs on a 2-core machine: C1 only and the serial collector start noticeably faster and
 * leave the cores to the server under test.
 */
export const FAST_JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/**
 * For the clients: a request the server never answers fails after 10 s (the client default is to wait
 * forever), so a hung server shows up as one differing step instead of a stuck run.
 */
export const CLIENT_JVM_FLAGS = [...FAST_JVM_FLAGS, '-Dzookeeper.request.timeout=10000'];

/** Why the interop stage cannot run here (no JDK), or null. The only reason the stage may skip. */
export function javaMissingReason(): string | null {
  const missing = [JAVA, JAVAC].filter((f) => !existsSync(f));
  if (missing.length === 0) return null;
  return `no JDK (missing ${missing.join(', ')}); scripts/install-zookeeper.sh installs one`;
}

/** With a JDK present, a missing ZooKeeper install is a setup error, not a reason to skip. */
export function assertZooKeeperInstalled(): void {
  const missing = [ZK_JAR, ZK_CLI, SLF4J_SIMPLE_JAR, SLF4J_NOP_JAR, SERVLET_API_JAR].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`Apache ZooKeeper is not installed (missing ${missing.join(', ')}); run scripts/install-zookeeper.sh as root`);
  }
}

export interface StartApacheZkOptions {
  /** Serve from this data directory (never removed by the helper); default a fresh temp dir. */
  dataDir?: string;
  /** More zoo.cfg keys (unknown ones become `zookeeper.<key>` system properties, e.g. snapCount). */
  extraConfig?: Record<string, string>;
}

/** Apache ZooKeeper on a free 127.0.0.1 port, by default with its own temp dataDir. */
export function startApacheZk(opts: StartApacheZkOptions = {}): Promise<ZkServerHandle> {
  return launchServer({
    command: JAVA,
    args: (configPath) => [
      ...FAST_JVM_FLAGS,
      '-Xmx256m',
      // TTL nodes are refused (UNIMPLEMENTED) unless extended types are on.
      '-Dzookeeper.extendedTypesEnabled=true',
      '-Dzookeeper.jmx.log4j.disable=true',
      `-Dorg.slf4j.simpleLogger.logFile=${path.join(path.dirname(configPath), 'zookeeper.log')}`,
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-cp', [ZK_JAR, SLF4J_SIMPLE_JAR, SERVLET_API_JAR].join(':'),
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      configPath,
    ],
    baseConfig: {
      forceSync: 'yes',
      'admin.enableServer': 'false',
    },
  }, opts);
}
