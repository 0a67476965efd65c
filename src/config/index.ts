// The configuration layer's public face: zoo.cfg parsing, the zk-server command line, and their types.

export { ConfigError, formatLocated, type ConfigErrorLocation } from './errors.js';
export type { ServerConfig, QuorumServerSpec, StorageKind, PeerRole, SnapshotCompression } from './types.js';
export { parseZooCfg, type ParseZooCfgOptions, type ConfigOverride } from './zoo-cfg.js';
export {
  loadServerConfig, SERVER_USAGE, DEFAULT_CLIENT_PORT, type ServerCommand, type LoadServerConfigOptions,
} from './cli.js';
export { parseProperties, type PropertyEntry } from './properties.js';
export { FOUR_LETTER_WORDS, isFourLetterWordEnabled } from './four-letter-words.js';
export { isDistributedQuorum, quorumShape, quorumSocketTimeoutMs } from './quorum.js';
export { startupRefusals } from './startup.js';
