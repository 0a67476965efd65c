// Time as the server sees it: the wall clock and its timers, behind one interface so that the
// seeded simulator (test/sim/zab-sim.ts) can run the production quorum peer, roles, pipeline and
// session tracker on fake time. Production code never calls Date.now, setTimeout or setInterval
// for protocol time directly; it asks its Clock.

/** A scheduled callback; cancel it with Clock.clear. */
export interface TimerHandle {
  /** Whether the process may exit while it is pending (real timers only). */
  unref?(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch (fake time in the simulator). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or interval; null and already-fired timers are fine. */
  clear(timer: TimerHandle | null): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clear: (timer) => {
    // clearTimeout and clearInterval are interchangeable in Node.
    if (timer !== null) clearTimeout(timer as NodeJS.Timeout);
  },
};

/** Resolves after `ms` of the clock's time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
