// The one error type of the configuration layer: it always says which key, file and line went wrong,
// so a bad zoo.cfg is fixed from the message alone.

export interface ConfigErrorLocation {
  key?: string | null;
  line?: number | null;
  file?: string | null;
  /** Where a value from outside any file came from (`--port`, `-DsnapCount=5`); used when file is null. */
  origin?: string | null;
}

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  readonly key: string | null;
  readonly line: number | null;
  readonly file: string | null;
  /** The message without the `file:line: key:` prefix. */
  readonly detail: string;

  constructor(detail: string, where: ConfigErrorLocation = {}) {
    super(formatLocated(detail, where));
    this.name = 'ConfigError';
    this.detail = detail;
    this.key = where.key ?? null;
    this.line = where.line ?? null;
    this.file = where.file ?? null;
  }
}

/**
 * `zoo.cfg:7: tickTime: expected …` — the shape compilers use, so editors can jump to the line.
 * Parts that are unknown are left out rather than printed as "null".
 */
export function formatLocated(detail: string, where: ConfigErrorLocation): string {
  let prefix = '';
  if (where.file != null && where.line != null) prefix = `${where.file}:${where.line}: `;
  else if (where.file != null) prefix = `${where.file}: `;
  else if (where.origin != null) prefix = `${where.origin}: `;
  else if (where.line != null) prefix = `line ${where.line}: `;
  if (where.key != null) prefix += `${where.key}: `;
  return prefix + detail;
}
