// Turns the text of a zoo.cfg (plus -D properties and command-line overrides) into a validated
// ServerConfig, applying the rules and defaults of ZooKeeper's QuorumPeerConfig in its order.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, formatLocated, type ConfigErrorLocation } from './errors.js';
import { parseProperties, trimmed } from './properties.js';
import { defaultDraft, findSetting, type Draft, type ValueSite } from './settings.js';
import { isUnimplementedZooKeeperKey } from './zk-keys.js';
import { checkQuorum, isDistributedQuorum, parseServerId, parseServerSpec, QuorumSpecError } from './quorum.js';
import { resolveFourLetterWords } from './four-letter-words.js';
import { parseJavaLong } from './values.js';
import type { QuorumServerSpec, ServerConfig } from './types.js';

/** A setting given outside the file: a -D property or a command-line flag. */
export interface ConfigOverride {
  key: string;
  value: string;
  /** How the user wrote it, for messages: `--port`, `-Dzookeeper.snapCount=5`. */
  origin: string;
}

export interface ParseZooCfgOptions {
  /** The config file's name as the user gave it; errors and warnings are prefixed with it. */
  file?: string;
  /** Relative dataDir, dataLogDir and dynamicConfigFile resolve against this; default process.cwd(). */
  baseDir?: string;
  /** -D system properties: applied before the file, since ZooKeeper lets zoo.cfg overwrite them. */
  systemProperties?: ConfigOverride[];
  /** Command-line settings: applied after the file, so they win. */
  overrides?: ConfigOverride[];
  /** Reads myid and dynamicConfigFile; returns null when the path is not a file. */
  readFile?: (file: string) => string | null;
  /** A distributed config must then have dataDir/myid naming one of its server.N lines. */
  requireMyId?: boolean;
  /** clientPort to use when none is configured (zk-server run with no config file). */
  defaultClientPort?: number;
}

interface Entry {
  key: string;
  value: string;
  where: ConfigErrorLocation;
  /** JVM flags carry many properties that are none of ours (log4j, java.*): no warning for those. */
  quietIfUnknown?: boolean;
}

function readFileIfPresent(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return null;
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

function fromFile(text: string, file: string | null): Entry[] {
  return trimmed(parseProperties(text, file)).map((e) => ({ key: e.key, value: e.value, where: { file, line: e.line } }));
}

function fromOverrides(list: ConfigOverride[] | undefined, quietIfUnknown: boolean): Entry[] {
  return (list ?? []).map((o) => ({ key: o.key.trim(), value: o.value.trim(), where: { origin: o.origin }, quietIfUnknown }));
}

export function parseZooCfg(text: string, opts: ParseZooCfgOptions = {}): ServerConfig {
  const file = opts.file ?? null;
  const baseDir = opts.baseDir ?? process.cwd();
  const readFile = opts.readFile ?? readFileIfPresent;
  const warnings: string[] = [];
  const raw = new Map<string, string>();
  const draft: Draft = defaultDraft();
  /** Where each setting (by canonical key) was last given, for errors found after reading. */
  const givenAt = new Map<string, ConfigErrorLocation>();
  const serverLines = new Map<number, Entry>();

  function warnAt(where: ConfigErrorLocation, detail: string): void {
    warnings.push(formatLocated(detail, where));
  }
  function failAt(where: ConfigErrorLocation, detail: string): never {
    throw new ConfigError(detail, where);
  }

  const fileEntries = fromFile(text, file);
  const hasDynamicFile = fileEntries.some((e) => e.key === 'dynamicConfigFile');
  const firstLine = new Map<string, number>();
  for (const e of fileEntries) {
    const first = firstLine.get(e.key);
    if (first === undefined) firstLine.set(e.key, e.where.line ?? 0);
    else warnAt({ ...e.where, key: e.key }, `given again (first on line ${first}); the last value wins, as in ZooKeeper`);
  }

  const entries = [...fromOverrides(opts.systemProperties, true), ...fileEntries, ...fromOverrides(opts.overrides, false)];
  for (const e of entries) {
    const where = { ...e.where, key: e.key };
    raw.set(e.key, e.value);
    if (e.key.startsWith('server.')) {
      if (hasDynamicFile) failAt(where, 'server lines must be in the dynamicConfigFile when one is given');
      serverLines.set(serverIdAt(e.key, where), e);
      continue;
    }
    if (e.key.startsWith('group') || e.key.startsWith('weight')) {
      failAt(where, 'hierarchical quorums (group.N / weight.N) are not supported by zk-server');
    }
    if (e.key === 'version') continue; // a dynamic-config version carried in a static file: nothing to do
    const setting = findSetting(e.key);
    if (setting !== undefined) {
      const site: ValueSite = {
        key: e.key,
        fail: (detail) => failAt(where, detail),
        warn: (detail) => warnAt(where, detail),
      };
      setting.apply(draft, e.value, site);
      givenAt.set(setting.key, where);
    } else if (e.quietIfUnknown === true) {
      continue;
    } else if (isUnimplementedZooKeeperKey(e.key)) {
      warnAt(where, 'a ZooKeeper setting zk-server does not implement; ignored');
    } else if (!e.key.startsWith('zookeeper.')) {
      warnAt(where, `unknown key; ignored (ZooKeeper would set it as system property zookeeper.${e.key})`);
    }
  }

  const whereOf = (key: string): ConfigErrorLocation => ({ ...(givenAt.get(key) ?? { file }), key });

  // Order and rules below follow QuorumPeerConfig.parseProperties and setupQuorumPeerConfig.
  if (draft.snapRetainCount < 3) {
    warnAt(whereOf('autopurge.snapRetainCount'), `${draft.snapRetainCount} is below the minimum of 3; using 3 as ZooKeeper does`);
    draft.snapRetainCount = 3;
  }
  if (draft.purgeIntervalHours < 0) draft.purgeIntervalHours = 0;

  if (draft.dataDir === null || draft.dataDir === '') failAt({ file, key: 'dataDir' }, 'not set (the directory for snapshots and, unless dataLogDir is set, the txn log)');
  const dataDir = resolveDir(draft.dataDir, 'dataDir');
  const dataLogDir = draft.dataLogDir === null || draft.dataLogDir === '' ? dataDir : resolveDir(draft.dataLogDir, 'dataLogDir');

  if (draft.clientPort === 0 && draft.clientPortAddress !== null) {
    failAt(whereOf('clientPortAddress'), 'given, but clientPort is not set');
  }
  if (draft.secureClientPort === 0 && draft.secureClientPortAddress !== null) {
    failAt(whereOf('secureClientPortAddress'), 'given, but secureClientPort is not set');
  }

  const minSessionTimeout = draft.minSessionTimeout === -1 ? draft.tickTime * 2 : draft.minSessionTimeout;
  const maxSessionTimeout = draft.maxSessionTimeout === -1 ? draft.tickTime * 20 : draft.maxSessionTimeout;
  if (minSessionTimeout > maxSessionTimeout) {
    const key = givenAt.has('minSessionTimeout') ? 'minSessionTimeout' : 'maxSessionTimeout';
    failAt(whereOf(key), `minSessionTimeout ${minSessionTimeout} must not be larger than maxSessionTimeout ${maxSessionTimeout}`);
  }

  let dynamicConfigFile: string | null = null;
  if (draft.dynamicConfigFile !== null) {
    dynamicConfigFile = path.resolve(baseDir, draft.dynamicConfigFile);
    readDynamicConfig(dynamicConfigFile, whereOf('dynamicConfigFile'));
  }

  const servers = new Map<number, QuorumServerSpec>();
  for (const [sid, e] of serverLines) {
    const where = { ...e.where, key: e.key };
    try {
      servers.set(sid, { ...parseServerSpec(e.value), ...(e.where.line != null ? { line: e.where.line } : {}) });
    } catch (err) {
      if (err instanceof QuorumSpecError) failAt(where, err.message);
      throw err;
    }
  }
  const quorumWhere: ConfigErrorLocation = serverLines.size > 0 ? { ...[...serverLines.values()][0].where } : whereOf('standaloneEnabled');
  try {
    for (const w of checkQuorum(servers, draft.standaloneEnabled)) warnAt(quorumWhere, w);
  } catch (err) {
    if (err instanceof QuorumSpecError) failAt(quorumWhere, err.message);
    throw err;
  }

  const myidFile = path.join(dataDir, 'myid');
  const myid = readMyId(myidFile);

  // setupClientPort: the client address on this server's own line is the one that counts.
  const own = myid === null ? undefined : servers.get(myid);
  let clientPort = draft.clientPort;
  let clientPortAddress = draft.clientPortAddress;
  if (own?.clientPort !== undefined) {
    const ownAddress = own.clientHost === '0.0.0.0' ? null : own.clientHost ?? null;
    const differs = clientPort !== 0 && (clientPort !== own.clientPort || (clientPortAddress !== null && clientPortAddress !== ownAddress));
    if (differs) {
      failAt({ ...serverLines.get(myid!)!.where, key: `server.${myid}` },
        `client address ${ownAddress ?? '0.0.0.0'}:${own.clientPort} differs from clientPortAddress/clientPort ` +
        `${clientPortAddress ?? '0.0.0.0'}:${clientPort} for this server (myid ${myid})`);
    }
    clientPort = own.clientPort;
    clientPortAddress = ownAddress;
  } else if (own !== undefined && clientPort !== 0) {
    own.clientPort = clientPort;
    own.clientHost = clientPortAddress ?? '0.0.0.0';
  }
  if (clientPort === 0 && draft.secureClientPort === 0) {
    if (opts.defaultClientPort === undefined) failAt({ file, key: 'clientPort' }, 'not set');
    clientPort = opts.defaultClientPort;
  }

  // setupPeerType: the server list decides, even against an explicit peerType.
  const peerType = own?.role ?? 'participant';
  // ZooKeeper logs this even when peerType was left at its default; we only when it was given.
  if (peerType !== draft.peerType && givenAt.has('peerType')) {
    warnAt(whereOf('peerType'), `peer type from the server list (${peerType}) differs from peerType (${draft.peerType}); using the server list`);
  }

  // checkValidity
  if (isDistributedQuorum(servers, draft.standaloneEnabled)) {
    if (draft.initLimit === 0) failAt(whereOf('initLimit'), 'not set (a quorum needs it)');
    if (draft.syncLimit === 0) failAt(whereOf('syncLimit'), 'not set (a quorum needs it)');
    if (opts.requireMyId === true) {
      if (myid === null) failAt({ file: myidFile, key: 'myid' }, 'file is missing (a quorum member needs it to know its server id)');
      if (!servers.has(myid)) failAt({ file: myidFile, key: 'myid' }, `my id ${myid} is not in the server list`);
    }
  }
  if (draft.extendedTypesEnabled && myid !== null && myid > 254) {
    failAt({ file: myidFile, key: 'myid' }, `extendedTypesEnabled is true but server id ${myid} is larger than 254`);
  }

  const fourLetterWordWhitelist = resolveFourLetterWords(draft.fourLetterWords, draft.readonlyModeEnabled, (w) =>
    warnAt(whereOf('4lw.commands.whitelist'), w));

  const locations = new Map<string, ConfigErrorLocation>(givenAt);
  for (const e of serverLines.values()) locations.set(e.key, { ...e.where, key: e.key });

  const { snapRetainCount, purgeIntervalHours, fourLetterWords: _unused, ...rest } = draft;
  return {
    ...rest,
    dataDir,
    dataLogDir,
    clientPort,
    clientPortAddress,
    secureClientPort: draft.secureClientPort === 0 ? null : draft.secureClientPort,
    minSessionTimeout,
    maxSessionTimeout,
    autopurgeSnapRetainCount: snapRetainCount,
    autopurgePurgeIntervalHours: purgeIntervalHours,
    fourLetterWordWhitelist,
    servers,
    myid,
    peerType,
    dynamicConfigFile,
    raw,
    warnings,
    sourceFile: file === null ? null : path.resolve(baseDir, file),
    locations,
  };

  function serverIdAt(key: string, where: ConfigErrorLocation): number {
    try {
      return parseServerId(key);
    } catch (err) {
      if (err instanceof QuorumSpecError) failAt(where, err.message);
      throw err;
    }
  }

  /** ZooKeeper resolves against the working directory and warns unless the path says "./". */
  function resolveDir(value: string, key: string): string {
    const where = whereOf(key);
    if (!path.isAbsolute(value) && !value.startsWith('./') && where.origin == null) {
      warnAt(where, `${value} is relative; it is resolved against ${baseDir} (write ./${value} to say you mean it)`);
    }
    return path.resolve(baseDir, value);
  }

  /** ZooKeeper reads the first line of dataDir/myid, when that file exists, as the server id. */
  function readMyId(myidFile: string): number | null {
    const content = readFile(myidFile);
    if (content === null) return null;
    const first = content.split(/\r?\n/, 1)[0].trim();
    const sid = parseJavaLong(first);
    if (sid === null) failAt({ file: myidFile, line: 1, key: 'myid' }, `server id ${JSON.stringify(first)} is not a number`);
    return sid;
  }

  /** The dynamic file holds only server.N lines (and ZooKeeper forbids a version inside it). */
  function readDynamicConfig(dynFile: string, pointedFrom: ConfigErrorLocation): void {
    const content = readFile(dynFile);
    if (content === null) failAt(pointedFrom, `${dynFile}: file is missing`);
    for (const e of fromFile(content, dynFile)) {
      const where = { ...e.where, key: e.key };
      raw.set(e.key, e.value);
      if (e.key.startsWith('server.')) serverLines.set(serverIdAt(e.key, where), e);
      else if (e.key.startsWith('group') || e.key.startsWith('weight')) {
        failAt(where, 'hierarchical quorums (group.N / weight.N) are not supported by zk-server');
      } else if (e.key === 'version') failAt(where, "a dynamic config file must not contain a version");
      else failAt(where, 'unrecognised parameter in a dynamic config file');
    }
  }
}
