// Waiting on conditions that socket callbacks change, without polling on a timer: callbacks
// announce() a change, and waitFor re-checks its condition after each one (bounded by a timeout).

import { EventEmitter } from 'node:events';

const changed = new EventEmitter();
changed.setMaxListeners(0);

/** Something a waiter may be waiting on has changed. */
export const announce = (): void => void changed.emit('change');

/** Resolves once `condition()` holds, re-checked after every announce(); rejects after `ms`. */
export function waitFor(what: string, condition: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      changed.off('change', onChange);
      if (err) reject(err);
      else resolve();
    };
    const check = (): void => {
      if (!settled && condition()) finish();
    };
    // Deferred, so the check sees the state after the callback that announced the change.
    const onChange = (): void => void setImmediate(check);
    const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    changed.on('change', onChange);
    check();
  });
}
