// The `zk-server` command line: finds the config file, reads it, and lays flags and -D properties
// over it (flags win over the file, the file wins over -D taken from JVMFLAGS, as in ZooKeeper).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './errors.js';
import { readPort, type ValueSite } from './settings.js';
import type { ServerConfig } from './types.js';
import { parseZooCfg, type ConfigOverride } from './zoo-cfg.js';

/** ZooKeeper's port when nothing says otherwise (zoo_sample.cfg, zkServer.sh). */
export const DEFAULT_CLIENT_PORT = 2181;

export const SERVER_USAGE = `Usage: zk-server [options] [CONFIG_FILE]

Runs a ZooKeeper-compatible server configured by a zoo.cfg file.

Options:
  -c, --config FILE        the zoo.cfg to read (or give it as the only argument)
      --storage KIND       memory | filelog | level (default filelog, ZooKeeper's on-disk format)
  -p, --port N             clientPort
      --data-dir DIR       dataDir (required when there is no config file)
      --data-log-dir DIR   dataLogDir (default: dataDir)
      --log-format FORMAT  text (ZooKeeper-style lines, default) | json (one record a line)
      --log-level LEVEL    debug | info (default) | warn | error
  -D KEY=VALUE             any zoo.cfg key or ZooKeeper system property, e.g. -Dzookeeper.snapCount=5000
  -h, --help               show this help

Flags override the file. Without a config file, clientPort defaults to ${DEFAULT_CLIENT_PORT}.

Tools (each has --help with examples):
  zk-server purge    keep the N newest snapshots and the logs they need (ZooKeeper's PurgeTxnLog)
  zk-server migrate  move a data directory between ZooKeeper/filelog and level, verified
  zk-server inspect  print a txn log, a snapshot or a data directory (also --json)
  zk-server verify   check every checksum and digest of a data directory; --repair cuts torn tails
`;

export type ServerCommand =
  | { command: 'start'; config: ServerConfig }
  | { command: 'help'; config: null; usage: string };

export interface LoadServerConfigOptions {
  /** Relative paths (config file, dataDir) resolve against this; default process.cwd(). */
  cwd?: string;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  storage: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'data-dir': { type: 'string' },
  'data-log-dir': { type: 'string' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  define: { type: 'string', short: 'D', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

function commandLineError(detail: string): ConfigError {
  return new ConfigError(detail, { origin: 'command line' });
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw commandLineError(`${(err as Error).message} (see --help)`);
  }
}

/** `key=value` of a -D; Java sets an empty value for a bare `-Dkey`. */
function splitDefine(text: string, origin: string): ConfigOverride {
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (key.trim() === '') throw new ConfigError(`expected -Dkey=value, got ${JSON.stringify('-D' + text)}`, { origin });
  return { key, value: eq < 0 ? '' : text.slice(eq + 1), origin };
}

/** The -D properties zkServer.sh would pass to the JVM from JVMFLAGS and SERVER_JVMFLAGS. */
function systemPropertiesFromEnv(env: NodeJS.ProcessEnv): ConfigOverride[] {
  const out: ConfigOverride[] = [];
  for (const name of ['JVMFLAGS', 'SERVER_JVMFLAGS'] as const) {
    for (const token of (env[name] ?? '').split(/\s+/)) {
      if (token.startsWith('-D') && token.length > 2) out.push(splitDefine(token.slice(2), `${name} ${token}`));
    }
  }
  return out;
}

export function loadServerConfig(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  opts: LoadServerConfigOptions = {},
): ServerCommand {
  const cwd = opts.cwd ?? process.cwd();
  const { values, positionals } = parseCommandLine(argv);
  if (values.help === true) return { command: 'help', config: null, usage: SERVER_USAGE };

  if (positionals.length > 1) {
    throw commandLineError(`expected at most one config file, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  if (values.config !== undefined && positionals.length === 1 && values.config !== positionals[0]) {
    throw commandLineError(`two config files given: --config ${values.config} and ${positionals[0]}`);
  }
  const configFile = values.config ?? positionals[0] ?? null;

  const overrides: ConfigOverride[] = [];
  for (const d of values.define ?? []) overrides.push(splitDefine(d, `-D${d}`));
  if (values.port !== undefined) {
    const site: ValueSite = {
      key: 'clientPort',
      fail: (detail) => { throw new ConfigError(detail, { origin: '--port' }); },
      warn: () => {},
    };
    overrides.push({ key: 'clientPort', value: String(readPort(values.port, site)), origin: '--port' });
  }
  if (values['data-dir'] !== undefined) overrides.push({ key: 'dataDir', value: values['data-dir'], origin: '--data-dir' });
  if (values['data-log-dir'] !== undefined) {
    overrides.push({ key: 'dataLogDir', value: values['data-log-dir'], origin: '--data-log-dir' });
  }
  if (values['log-format'] !== undefined) {
    overrides.push({ key: 'zkserver.log.format', value: values['log-format'], origin: '--log-format' });
  }
  if (values['log-level'] !== undefined) {
    overrides.push({ key: 'zkserver.log.level', value: values['log-level'], origin: '--log-level' });
  }
  if (values.storage !== undefined) overrides.push({ key: 'storage', value: values.storage, origin: '--storage' });

  const systemProperties = systemPropertiesFromEnv(env);
  if (configFile === null) {
    const hasDataDir = overrides.some((o) => o.key === 'dataDir');
    if (!hasDataDir) {
      throw commandLineError('no config file and no --data-dir: give --config FILE (or the file as argument) or --data-dir DIR');
    }
    const config = parseZooCfg('', {
      baseDir: cwd, systemProperties, overrides, requireMyId: true, defaultClientPort: DEFAULT_CLIENT_PORT,
    });
    return { command: 'start', config };
  }

  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, configFile), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file is missing' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    throw new ConfigError(why, { file: configFile });
  }
  const config = parseZooCfg(text, { file: configFile, baseDir: cwd, systemProperties, overrides, requireMyId: true });
  return { command: 'start', config };
}
