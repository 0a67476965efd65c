// Runs Apache ZooKeeper's zkCli.sh against a server with the commands of zkcli-session.txt on stdin,
// and returns its normalized transcript.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/zk-server.js';
import { CLIENT_JVM_FLAGS, ZK_CLI } from './apache-zk.js';
import type { Transcript } from './java-driver.js';
import { runProcess } from './run-process.js';
import { normalizeZkCliOutput } from './zkcli-normalize.js';

const SESSION_FILE = path.join(REPO_ROOT, 'test', 'interop', 'zkcli-session.txt');
const RUN_TIMEOUT_MS = 90_000;

/** The session's commands, comments and blank lines dropped, {{server}} filled in. */
export function zkCliCommands(hostPort: string): string[] {
  return readFileSync(SESSION_FILE, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split('{{server}}').join(hostPort));
}

export async function runZkCli(hostPort: string): Promise<Transcript> {
  const commands = zkCliCommands(hostPort);
  const result = await runProcess(ZK_CLI, ['-waitforconnection', '-timeout', '30000', '-server', hostPort], {
    stdin: commands.join('\n') + '\n',
    env: {
      CLIENT_JVMFLAGS: CLIENT_JVM_FLAGS.join(' '),
      // Stat times are printed in the JVM's zone; UTC keeps them parseable for the plausibility check.
      TZ: 'UTC',
    },
    timeoutMs: RUN_TIMEOUT_MS,
  });
  const text = normalizeZkCliOutput(result, hostPort);
  // The script ends with `quit`, which exits with the status of the command before it (history).
  const failure = result.code === 0 ? null : `zkCli.sh against ${hostPort} exited ${result.code ?? result.signal}`;
  return { text, failure };
}
