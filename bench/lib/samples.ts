// Raw (send time, latency) samples of a load run, bounded in memory, and their split into requests
// that were in flight while the server took a snapshot and requests that were not.

import { LatencyHistogram, type LatencySummary } from './histogram.js';

/** Samples as they cross from a client process: send times in wall-clock epoch ms, latencies in µs. */
export interface LatencySamples {
  sentAtMs: Float64Array;
  latencyUs: Uint32Array;
  count: number;
  /** Samples not kept because the recorder was full. */
  dropped: number;
}

const INITIAL_CAPACITY = 1 << 16;

/** Keeps up to `capacity` samples (12 bytes each), growing its arrays as needed. */
export class SampleRecorder {
  private sentAtMs = new Float64Array(0);
  private latencyUs = new Uint32Array(0);
  private count = 0;
  private dropped = 0;

  constructor(private readonly capacity: number) {}

  record(sentAtEpochMs: number, latencyUs: number): void {
    if (this.count === this.sentAtMs.length) {
      if (this.count >= this.capacity) { this.dropped++; return; }
      this.grow(Math.min(this.capacity, Math.max(INITIAL_CAPACITY, this.count * 2)));
    }
    this.sentAtMs[this.count] = sentAtEpochMs;
    this.latencyUs[this.count] = latencyUs < 0 ? 0 : Math.min(0xffffffff, Math.round(latencyUs));
    this.count++;
  }

  reset(): void {
    this.count = 0;
    this.dropped = 0;
  }

  /** The samples recorded so far, as arrays of exactly that length. */
  take(): LatencySamples {
    return {
      sentAtMs: this.sentAtMs.slice(0, this.count),
      latencyUs: this.latencyUs.slice(0, this.count),
      count: this.count,
      dropped: this.dropped,
    };
  }

  private grow(size: number): void {
    const s = new Float64Array(size);
    s.set(this.sentAtMs.subarray(0, this.count));
    const l = new Uint32Array(size);
    l.set(this.latencyUs.subarray(0, this.count));
    this.sentAtMs = s;
    this.latencyUs = l;
  }
}

export function mergeSamples(parts: LatencySamples[]): LatencySamples {
  const count = parts.reduce((a, p) => a + p.count, 0);
  const out: LatencySamples = {
    sentAtMs: new Float64Array(count), latencyUs: new Uint32Array(count), count,
    dropped: parts.reduce((a, p) => a + p.dropped, 0),
  };
  let at = 0;
  for (const p of parts) {
    out.sentAtMs.set(p.sentAtMs.subarray(0, p.count), at);
    out.latencyUs.set(p.latencyUs.subarray(0, p.count), at);
    at += p.count;
  }
  return out;
}

/** A span of wall-clock time in epoch ms, e.g. one snapshot as the server logged it. */
export interface TimeSpan { startMs: number; endMs: number }

/** One slow request, placed against the snapshots: where it was sent relative to the nearest one. */
export interface SlowRequest {
  sentAtMs: number;
  latencyMs: number;
  /** Whether it was in flight during a snapshot. */
  duringSnapshot: boolean;
  /** Sent this many ms after the start of the snapshot that began last before it (null: none). */
  msAfterSnapshotStart: number | null;
}

export interface LatencySplit {
  during: LatencySummary;
  outside: LatencySummary;
  /** The slowest requests of the run, slowest first. */
  slowest: SlowRequest[];
}

const SLOWEST_KEPT = 8;

/**
 * Splits samples by whether the request was in flight while any span ran: sent before the span
 * ended and answered after it began.
 */
export function splitBySpans(samples: LatencySamples, spans: readonly TimeSpan[]): LatencySplit {
  const during = new LatencyHistogram();
  const outside = new LatencyHistogram();
  const sorted = [...spans].sort((a, b) => a.startMs - b.startMs);
  const slowest: Array<{ i: number; us: number }> = [];
  let slowFloorUs = -1;
  for (let i = 0; i < samples.count; i++) {
    const sent = samples.sentAtMs[i];
    const us = samples.latencyUs[i];
    const answered = sent + us / 1000;
    let hit = false;
    for (const s of sorted) {
      if (s.startMs >= answered) break;
      if (sent < s.endMs) { hit = true; break; }
    }
    (hit ? during : outside).record(us);
    if (us > slowFloorUs) {
      slowest.push({ i, us });
      if (slowest.length > SLOWEST_KEPT) {
        slowest.sort((a, b) => b.us - a.us);
        slowest.length = SLOWEST_KEPT;
        slowFloorUs = slowest[SLOWEST_KEPT - 1].us;
      }
    }
  }
  slowest.sort((a, b) => b.us - a.us);
  return {
    during: during.summary(),
    outside: outside.summary(),
    slowest: slowest.map(({ i, us }) => {
      const sent = samples.sentAtMs[i];
      const answered = sent + us / 1000;
      const before = sorted.filter((s) => s.startMs <= sent).pop();
      return {
        sentAtMs: sent,
        latencyMs: us / 1000,
        duringSnapshot: sorted.some((s) => s.startMs < answered && sent < s.endMs),
        msAfterSnapshotStart: before === undefined ? null : sent - before.startMs,
      };
    }),
  };
}
