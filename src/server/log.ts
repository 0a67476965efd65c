// A small leveled logger writing ZooKeeper-like lines to stderr: "time [level] component - message".

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(component: string): Logger;
}

export function createLogger(component = 'zk-server', level: LogLevel = (process.env.ZK_LOG_LEVEL as LogLevel) || 'info'): Logger {
  const min = order[level] ?? 1;
  const emit = (l: LogLevel, msg: string): void => {
    if (order[l] < min) return;
    process.stderr.write(`${new Date().toISOString()} [${l.toUpperCase()}] ${component} - ${msg}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (c) => createLogger(c, level),
  };
}

export const hex = (n: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(n)).toString(16)}`;
