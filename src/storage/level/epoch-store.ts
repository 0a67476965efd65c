// The level epoch store: currentEpoch and acceptedEpoch as two EpochKeys of the state DB (layout.ts).
// A single synced put is atomic in LevelDB, which is all the SPI asks of an epoch write.

import { AbstractEpochStore, type EpochName } from '../abstract-epoch-store.js';
import { StorageCorruptError } from '../errors.js';
import type { LevelDb } from './database.js';
import { decodeEpoch, encodeEpoch, epochKey } from './layout.js';

export class LevelEpochStore extends AbstractEpochStore {
  readonly #db: LevelDb;
  readonly #location: string;

  /** @param db the state DB, owned by the caller. */
  constructor(db: LevelDb, location: string) {
    super(`epochs in ${location}`);
    this.#db = db;
    this.#location = location;
  }

  protected async _read(name: EpochName): Promise<number | null> {
    const value = await this.#db.get(epochKey(name));
    if (value === undefined) return null;
    const epoch = decodeEpoch(value);
    if (epoch === null) {
      throw new StorageCorruptError(`${this.#location} key "e${name}"`, 0, `"${value.toString('latin1')}" is not an epoch`);
    }
    return epoch;
  }

  protected async _write(name: EpochName, epoch: number): Promise<void> {
    await this.#db.put(epochKey(name), encodeEpoch(epoch), { sync: true });
  }

  protected async _close(): Promise<void> {
    // The DB is closed by the backend once all three stores are closed.
  }
}
