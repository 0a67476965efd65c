// Plumbing shared by the data-directory subcommands (inspect, verify, migrate, purge): argument
// parsing with --help and usage errors, stdout that respects backpressure, a quiet exit when the
// reader goes away (`| head`), and error text.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createLogger, type Logger } from '../log/logger.js';
import { restoreDatabase } from '../server/persistence.js';
import type { RestoreFn } from '../storage/inspect/index.js';

/** Writes to stdout, waiting for 'drain' when its buffer is full, so a dump of millions of lines stays in bounded memory. */
export function stdoutWriter(): (text: string) => Promise<void> {
  const out = process.stdout;
  out.on('error', (err: NodeJS.ErrnoException) => {
    // The reader closed the pipe (`zk-server inspect log … | head`): nothing more to say.
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return (text) => new Promise<void>((resolve) => {
    if (out.write(text)) resolve();
    else out.once('drain', resolve);
  });
}

/**
 * Parses a subcommand's arguments (`config.options` must have `help`). Returns them, or the exit
 * code when the command ends here: 0 after printing the usage for --help, 2 after printing an
 * unknown or malformed option with the usage.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string, usage: string, config: T,
): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    process.stderr.write(`zk-server ${command}: ${errorText(err)}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The server's restore with its log lines on stderr: warnings only, or everything with verbose. */
export function serverRestore(verbose: boolean): RestoreFn {
  const log: Logger = createLogger('restore', verbose ? 'info' : 'warn');
  return (backend, tree) => restoreDatabase(backend, tree, log);
}

/** Progress lines on stderr (stdout keeps the command's result), unless quiet. */
export function progressLine(quiet: boolean): (line: string) => void {
  return quiet ? () => {} : (line) => { process.stderr.write(`${line}\n`); };
}
