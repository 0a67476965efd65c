// The one logger of the server and its tools: pino, with a component name on every record.
//
// Two formats. `text` (the default) writes the lines ZooKeeper operators know from log4j,
//   <ISO time> [LEVEL] <component> - <message> [{"extra":"fields"}]
// and `json` writes one pino record per line, for log shippers:
//   {"level":"info","time":"<ISO time>","component":"snapshot","msg":"…", …extra fields}
// Both go to stderr and are written synchronously, so nothing is lost when the process exits.
// `configureLogging` picks the format and level for the whole process (the CLI calls it once the
// config is read: --log-format/--log-level, keys zkserver.log.format/zkserver.log.level); loggers
// made before that follow the change. ZK_LOG_LEVEL and ZK_LOG_FORMAT set the starting values.

import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './levels.js';

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel };

/** Extra structured fields of a record: kept as fields in JSON, appended as JSON in text. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger for a part of this one, named by `component`, at the same level. */
  child(component: string): Logger;
}

export interface LoggingOptions {
  format?: LogFormat;
  level?: LogLevel;
  /** Where records go; default stderr (fd 2). Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

const LEVEL_LABEL: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

const isLevel = (v: string | undefined): v is LogLevel => (LOG_LEVELS as readonly string[]).includes(v ?? '');
const isFormat = (v: string | undefined): v is LogFormat => (LOG_FORMATS as readonly string[]).includes(v ?? '');

let settings: Required<Omit<LoggingOptions, 'destination'>> & { destination?: DestinationStream } = {
  format: isFormat(process.env.ZK_LOG_FORMAT) ? process.env.ZK_LOG_FORMAT : 'text',
  level: isLevel(process.env.ZK_LOG_LEVEL) ? process.env.ZK_LOG_LEVEL : 'info',
};
let root: PinoLogger | null = null;
/** Bumped by configureLogging: loggers rebuild their pino child when it changes. */
let generation = 0;

function textStream(destination: DestinationStream | undefined): DestinationStream {
  return pretty({
    sync: true,
    colorize: false,
    singleLine: true,
    destination: destination ?? 2,
    ignore: 'pid,hostname,time,level,component',
    messageFormat: (log, key) =>
      `${new Date(Number(log.time)).toISOString()} [${LEVEL_LABEL[Number(log.level)] ?? log.level}] ${String(log.component)} - ${String(log[key])}`,
  });
}

function rootLogger(): PinoLogger {
  if (root === null) {
    const { format, destination } = settings;
    root = format === 'json'
      ? pino({
        base: undefined,
        level: 'debug',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      }, destination ?? pino.destination({ dest: 2, sync: true }))
      : pino({ base: undefined, level: 'debug' }, textStream(destination));
  }
  return root;
}

/** Sets the format and level of every logger of this process, including those already made. */
export function configureLogging(options: LoggingOptions): void {
  settings = {
    format: options.format ?? settings.format,
    level: options.level ?? settings.level,
    destination: options.destination,
  };
  root = null;
  generation++;
}

class ComponentLogger implements Logger {
  private pinoChild: PinoLogger | null = null;
  private builtFor = -1;

  /** `level` pins this logger's level; otherwise it follows configureLogging. */
  constructor(private readonly component: string, private readonly level?: LogLevel) {}

  private target(): PinoLogger {
    if (this.pinoChild === null || this.builtFor !== generation) {
      this.pinoChild = rootLogger().child({ component: this.component }, { level: this.level ?? settings.level });
      this.builtFor = generation;
    }
    return this.pinoChild;
  }

  debug(msg: string, fields?: LogFields): void { this.emit('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.emit('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.emit('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.emit('error', msg, fields); }

  private emit(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const t = this.target();
    if (fields === undefined) t[level](msg);
    else t[level](fields, msg);
  }

  child(component: string): Logger {
    return new ComponentLogger(component, this.level);
  }
}

/** A logger named `component`; `level` fixes its level regardless of configureLogging. */
export function createLogger(component = 'zk-server', level?: LogLevel): Logger {
  return new ComponentLogger(component, level);
}

export const hex = (n: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(n)).toString(16)}`;
