// What `zk-server` refuses to start, although the config parses: setups this version has no server
// for yet (dynamic reconfig). Parsing stays permissive so that code reading a config without
// serving it (tests, offline tools) still gets a ServerConfig; only starting refuses.

import { ConfigError, type ConfigErrorLocation } from './errors.js';
import { isDistributedQuorum } from './quorum.js';
import type { ServerConfig } from './types.js';

type StartupInput = Pick<ServerConfig, 'servers' | 'standaloneEnabled' | 'reconfigEnabled' | 'dynamicConfigFile' | 'locations' | 'sourceFile'>;

function whereOf(config: StartupInput, key: string): ConfigErrorLocation {
  return config.locations.get(key) ?? { file: config.sourceFile, key };
}

/**
 * Every reason not to start a server on this config, most fundamental first; empty when it may
 * start. Each is a ConfigError naming the key, file and line to change.
 */
export function startupRefusals(config: StartupInput): ConfigError[] {
  const refusals: ConfigError[] = [];
  const distributed = isDistributedQuorum(config.servers, config.standaloneEnabled);

  // The dynamic file belongs to dynamic reconfiguration (its version is in its name, ZooKeeper
  // rewrites it and zoo.cfg on every reconfig), which zk-server does not do yet.
  if (config.dynamicConfigFile !== null) {
    refusals.push(new ConfigError(
      'dynamic configuration files are not supported yet by zk-server (dynamic reconfig is not implemented); ' +
      'put the server.N lines in the config file itself and remove dynamicConfigFile',
      whereOf(config, 'dynamicConfigFile'),
    ));
  }

  // A quorum with reconfigEnabled=true would accept reconfig requests it cannot carry out. A
  // standalone server may keep it: ZooKeeper then answers reconfig with Unimplemented (not
  // ReconfigDisabled), and zk-server does the same.
  if (config.reconfigEnabled && distributed) {
    refusals.push(new ConfigError(
      'true is not supported yet for a quorum by zk-server (dynamic reconfig is not implemented); set reconfigEnabled=false',
      whereOf(config, 'reconfigEnabled'),
    ));
  }
  return refusals;
}
