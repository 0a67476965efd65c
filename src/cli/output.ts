// Output plumbing shared by the data-directory subcommands (inspect, verify, migrate): stdout that
// respects backpressure, a quiet exit when the reader goes away (`| head`), and error text.

import { createLogger, type Logger } from '../server/log.js';
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
