// The filelog epoch store: ZooKeeper's `dataDir/version-2/currentEpoch` and `acceptedEpoch`.
//
//   EpochFile := decimal digits, no newline (QuorumPeer.writeLongToFile writes Long.toString)
//
// Read as QuorumPeer.readLongFromFile does: the first line, parsed with Long.parseLong (an
// optional sign, then digits; a trailing newline is fine). Anything else, an empty file included,
// is refused naming the file: ZooKeeper refuses it too ("Found <line> in <file>"). A missing file
// is a fresh data directory (null); ZooKeeper then derives the epoch from the last zxid, which is
// the caller's business. Written like AtomicFileWritingIdiom: `<name>.tmp`, fsync, rename, plus
// an fsync of the directory that ZooKeeper omits.

import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { AbstractEpochStore, type EpochName } from '../abstract-epoch-store.js';
import { StorageCorruptError } from '../errors.js';
import { fsyncDir, isNotFound, writeFully } from './fs-util.js';
import { TMP_SUFFIX } from './names.js';

const JAVA_LONG = /^[+-]?[0-9]+$/;

export class FileEpochStore extends AbstractEpochStore {
  readonly #dir: string;

  /** @param dir `<dataDir>/version-2`; must exist. */
  constructor(dir: string) {
    super(`epoch files in ${dir}`);
    this.#dir = dir;
  }

  protected async _read(name: EpochName): Promise<number | null> {
    const file = path.join(this.#dir, name);
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    return parseEpochFile(text, file);
  }

  protected async _write(name: EpochName, epoch: number): Promise<void> {
    const file = path.join(this.#dir, name);
    const temp = file + TMP_SUFFIX;
    const bytes = Buffer.from(String(epoch), 'latin1');
    const handle = await open(temp, 'w');
    try {
      await writeFully(handle, bytes, bytes.length, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await fsyncDir(this.#dir);
  }

  protected async _close(): Promise<void> {
    // No handle outlives a call.
  }
}

/** The epoch in an epoch file's text; file names the file in errors. */
export function parseEpochFile(text: string, file: string): number {
  const line = text.split(/\r\n|\r|\n/, 1)[0];
  if (!JAVA_LONG.test(line)) {
    const shown = line.length > 40 ? `${JSON.stringify(line.slice(0, 40))}…` : JSON.stringify(line);
    throw new StorageCorruptError(file, 0, text.length === 0 ? 'empty epoch file (expected a decimal number)'
      : `expected a decimal epoch, found ${shown}`);
  }
  const epoch = Number(line);
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new StorageCorruptError(file, 0, `epoch ${line} is out of range (0 to 2^53-1)`);
  }
  return epoch === 0 ? 0 : epoch; // "-0" is a valid Java long
}
