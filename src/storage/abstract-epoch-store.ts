// The base every EpochStore backend extends: public methods check values and state and run one at
// a time, so the last write issued is the one that sticks and a read sees the writes before it.

import { checkNonNegativeInteger } from './checks.js';
import { StorageClosedError } from './errors.js';
import type { EpochStore } from './spi.js';

/** ZooKeeper's file names for the two epochs; backends may use them as keys too. */
export type EpochName = 'currentEpoch' | 'acceptedEpoch';

const ignore = (): void => {};

export abstract class AbstractEpochStore implements EpochStore {
  #turn: Promise<void> = Promise.resolve();
  #closing: Promise<void> | null = null;

  protected constructor(protected readonly description: string) {}

  /** null when the epoch was never written. */
  protected abstract _read(name: EpochName): Promise<number | null>;
  /** Must be atomic: a crash leaves the old value or the new one. */
  protected abstract _write(name: EpochName, epoch: number): Promise<void>;
  protected abstract _close(): Promise<void>;

  readCurrentEpoch(): Promise<number | null> {
    return this.#read('currentEpoch');
  }

  writeCurrentEpoch(epoch: number): Promise<void> {
    return this.#write('currentEpoch', epoch);
  }

  readAcceptedEpoch(): Promise<number | null> {
    return this.#read('acceptedEpoch');
  }

  writeAcceptedEpoch(epoch: number): Promise<void> {
    return this.#write('acceptedEpoch', epoch);
  }

  close(): Promise<void> {
    this.#closing ??= this.#inTurn(() => this._close());
    return this.#closing;
  }

  #read(name: EpochName): Promise<number | null> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    return this.#inTurn(() => this._read(name));
  }

  #write(name: EpochName, epoch: number): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new StorageClosedError(this.description));
    try {
      checkNonNegativeInteger(name, epoch);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#inTurn(() => this._write(name, epoch));
  }

  #inTurn<T>(op: () => Promise<T>): Promise<T> {
    const done = this.#turn.then(op);
    this.#turn = done.then(ignore, ignore);
    return done;
  }
}
