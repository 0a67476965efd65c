// Compiles the Java interop programs (test/interop/java/*.java) against the Debian ZooKeeper jars into
// dist/, and runs the driver against a server. Compiled classes are reused while the sources are unchanged.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/zk-server.js';
import { CLIENT_JVM_FLAGS, JAVA, JAVAC, SLF4J_NOP_JAR, ZK_JAR } from './apache-zk.js';
import { runProcess } from './run-process.js';

const SOURCE_DIR = path.join(REPO_ROOT, 'test', 'interop', 'java');
const CLASSES_ROOT = path.join(REPO_ROOT, 'dist', 'test', 'interop');
const MAIN_CLASS = 'ZkInterop';
const COMPILE_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 90_000;

function sourceFiles(): string[] {
  return readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.java')).sort().map((f) => path.join(SOURCE_DIR, f));
}

/**
 * Compiles the Java programs of test/interop/java unless classes for exactly these sources exist;
 * returns the classes dir. The dir is named after the sources' hash and filled by a rename, because
 * test files of the stage run in parallel and may all ask at once.
 */
export async function compileDriver(): Promise<string> {
  const sources = sourceFiles();
  const hash = createHash('sha256');
  for (const file of sources) hash.update(path.basename(file)).update('\0').update(readFileSync(file));
  const classesDir = path.join(CLASSES_ROOT, `java-classes-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(classesDir)) return classesDir;

  mkdirSync(CLASSES_ROOT, { recursive: true });
  const staging = mkdtempSync(`${classesDir}.tmp-`);
  try {
    const result = await runProcess(JAVAC, [
      // Without this javac also compiles sources it finds inside jars on the classpath.
      '-implicit:none',
      '-encoding', 'UTF-8',
      '-d', staging,
      '-cp', ZK_JAR,
      ...sources,
    ], { timeoutMs: COMPILE_TIMEOUT_MS });
    if (result.code !== 0) {
      throw new Error(`javac failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
    }
    try {
      renameSync(staging, classesDir);
    } catch (err) {
      // Another test file compiled the same sources first: theirs are as good as ours.
      if (!existsSync(classesDir)) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return classesDir;
}

export interface Transcript {
  /** Normalized text, one line per step; partial when the run failed. */
  text: string;
  /** Why the run did not complete (exit status and stderr), or null. */
  failure: string | null;
}

/** Runs the scripted session against host:port. */
export async function runDriver(classesDir: string, hostPort: string): Promise<Transcript> {
  const result = await runProcess(JAVA, [
    ...CLIENT_JVM_FLAGS,
    '-cp', [classesDir, ZK_JAR, SLF4J_NOP_JAR].join(':'),
    MAIN_CLASS,
    hostPort,
  ], { timeoutMs: RUN_TIMEOUT_MS });
  const failure = result.code === 0 ? null
    : `interop driver failed against ${hostPort} (exit ${result.code ?? result.signal}):\n${result.stderr}`;
  return { text: result.stdout, failure };
}

/**
 * The Netty jars the client's TLS socket (ClientCnxnSocketNetty) needs beyond those zookeeper.jar's
 * manifest lists (Debian's libnetty-java ships them; the manifest leaves them out).
 */
export const NETTY_CLIENT_JARS = ['/usr/share/java/netty-resolver.jar', '/usr/share/java/netty-codec.jar'];

/**
 * Runs SecureProbe (java/SecureProbe.java) against host:port with these JVM system properties (TLS,
 * JAAS) and steps; returns its output lines, or throws with its stderr when it did not finish.
 */
export async function runSecureProbe(classesDir: string, hostPort: string, props: Record<string, string>, steps: string[] = []): Promise<string[]> {
  const result = await runProcess(JAVA, [
    ...CLIENT_JVM_FLAGS,
    ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
    '-cp', [classesDir, ZK_JAR, SLF4J_NOP_JAR, ...NETTY_CLIENT_JARS].join(':'),
    'SecureProbe',
    hostPort,
    ...steps,
  ], { timeoutMs: RUN_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`SecureProbe against ${hostPort} exited ${result.code ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout.split('\n').filter((l) => l !== '');
}
