// Shared shape of the micro-benchmark suites: each file exports named cases; run.ts times them with
// the `benchmark` package and prints ns/op, so a hot function's cost can be watched as it changes.

export interface MicroCase {
  name: string;
  fn: () => void;
}

export interface MicroSuite {
  name: string;
  /** Cases to time; empty (with `skipped`) when what they measure is not there yet. */
  cases: MicroCase[];
  skipped?: string;
}

/** Keeps results alive so V8 cannot drop the work that produced them. */
export let blackhole: unknown = null;
export function consume(v: unknown): void {
  blackhole = v;
}
