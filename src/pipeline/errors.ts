// A ZooKeeper error code raised while preparing or answering a request; it becomes the reply's err.

import { ErrorCode } from '../protocol/constants.js';

const names = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

export class KeeperError extends Error {
  constructor(readonly code: number, readonly path?: string) {
    super(`KeeperErrorCode = ${names.get(code) ?? code}${path ? ` for ${path}` : ''}`);
    this.name = 'KeeperError';
  }
}
