// Where the filelog backend reports what it repaired on its own (a torn log tail cut off, a
// leftover temp file removed). Structurally a subset of the server's Logger, so it can be passed in.

export interface StorageLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Used when the caller passes no logger: ZooKeeper-like lines on stderr. */
export const stderrLogger: StorageLogger = {
  info: (msg) => { process.stderr.write(`${new Date().toISOString()} [INFO] filelog - ${msg}\n`); },
  warn: (msg) => { process.stderr.write(`${new Date().toISOString()} [WARN] filelog - ${msg}\n`); },
};
