// Where the filelog backend reports what it repaired on its own (a torn log tail cut off, a
// leftover temp file removed). Structurally a subset of the server's Logger, so it can be passed in.

import { createLogger } from '../../log/logger.js';

export interface StorageLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Used when the caller passes no logger: the process's logger, component "filelog". */
export const stderrLogger: StorageLogger = createLogger('filelog');
