// Compiles the Java interop driver (test/interop/java/*.java) against the Debian ZooKeeper jars into
// dist/, and runs it against a server. Compiled classes are reused while the sources are unchanged.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/zk-server.js';
import { CLIENT_JVM_FLAGS, JAVA, JAVAC, SLF4J_NOP_JAR, ZK_JAR } from './apache-zk.js';
import { runProcess } from './run-process.js';

const SOURCE_DIR = path.join(REPO_ROOT, 'test', 'interop', 'java');
const CLASSES_DIR = path.join(REPO_ROOT, 'dist', 'test', 'interop', 'java-classes');
const STAMP_FILE = path.join(CLASSES_DIR, '.sources-sha256');
const MAIN_CLASS = 'ZkInterop';
const COMPILE_TIMEOUT_MS = 120_000;
const RUN_TIMEOUT_MS = 90_000;

function sourceFiles(): string[] {
  return readdirSync(SOURCE_DIR).filter((f) => f.endsWith('.java')).sort().map((f) => path.join(SOURCE_DIR, f));
}

/** Compiles the driver unless classes for exactly these sources exist; returns the classes dir. */
export async function compileDriver(): Promise<string> {
  const sources = sourceFiles();
  const hash = createHash('sha256');
  for (const file of sources) hash.update(path.basename(file)).update('\0').update(readFileSync(file));
  const digest = hash.digest('hex');
  if (existsSync(STAMP_FILE) && readFileSync(STAMP_FILE, 'utf8') === digest) return CLASSES_DIR;

  rmSync(CLASSES_DIR, { recursive: true, force: true });
  mkdirSync(CLASSES_DIR, { recursive: true });
  const result = await runProcess(JAVAC, [
    // Without this javac also compiles sources it finds inside jars on the classpath.
    '-implicit:none',
    '-encoding', 'UTF-8',
    '-d', CLASSES_DIR,
    '-cp', ZK_JAR,
    ...sources,
  ], { timeoutMs: COMPILE_TIMEOUT_MS });
  if (result.code !== 0) {
    throw new Error(`javac failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  }
  writeFileSync(STAMP_FILE, digest);
  return CLASSES_DIR;
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
