// Argument checks shared by the abstract stores, so every backend rejects the same inputs with the
// same coded error before its own code runs.

import { StorageInvalidArgumentError } from './errors.js';

/** A zxid, epoch or count: a non-negative safe integer (zxids above 2^53 cannot occur: epochs < 2^21). */
export function checkNonNegativeInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new StorageInvalidArgumentError(`${what} must be a non-negative safe integer, got ${String(value)}`);
  }
  return value;
}
