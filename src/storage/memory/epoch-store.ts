// The memory epoch store: two numbers in the volume.

import { AbstractEpochStore, type EpochName } from '../abstract-epoch-store.js';
import type { MemoryVolume } from './volume.js';

export class MemoryEpochStore extends AbstractEpochStore {
  readonly #volume: MemoryVolume;

  constructor(volume: MemoryVolume) {
    super('memory epoch store');
    this.#volume = volume;
  }

  protected async _read(name: EpochName): Promise<number | null> {
    return this.#volume.epochs.get(name) ?? null;
  }

  protected async _write(name: EpochName, epoch: number): Promise<void> {
    this.#volume.epochs.set(name, epoch);
  }

  protected async _close(): Promise<void> {
    // Nothing to release.
  }
}
