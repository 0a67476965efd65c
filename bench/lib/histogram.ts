// A cheap HDR-style latency histogram: log-linear buckets over integer microseconds with under 0.4%
// relative error, constant-time record, and a compact form that crosses process boundaries.

/** Bits of linear resolution per power of two: 2^(SUB_BITS-1) buckets per octave, so error < 2^-(SUB_BITS-1). */
const SUB_BITS = 9;
const HALF_BUCKETS = 1 << (SUB_BITS - 1);
/** Values are clamped here (about 35 minutes in µs): a latency beyond it is a hung benchmark anyway. */
const MAX_VALUE_US = 0x7fffffff;
const BUCKET_COUNT = (32 - SUB_BITS + 1) * HALF_BUCKETS + HALF_BUCKETS * 2;

function indexOf(valueUs: number): number {
  const bitLength = 32 - Math.clz32(valueUs);
  if (bitLength <= SUB_BITS) return valueUs;
  const shift = bitLength - SUB_BITS;
  return shift * HALF_BUCKETS + (valueUs >>> shift);
}

/** The highest value that lands in bucket `index` (HDR's "highest equivalent value"). */
function highestValueOf(index: number): number {
  if (index < HALF_BUCKETS * 2) return index;
  const shift = Math.floor(index / HALF_BUCKETS) - 1;
  const mantissa = index - shift * HALF_BUCKETS;
  return ((mantissa + 1) * 2 ** shift) - 1;
}

/** Sparse [bucketIndex, count] pairs plus the exact extremes: what a worker sends its parent. */
export interface HistogramSnapshot {
  readonly buckets: Array<[number, number]>;
  readonly count: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly sumUs: number;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class LatencyHistogram {
  private counts = new Float64Array(BUCKET_COUNT);
  count = 0;
  minUs = Infinity;
  maxUs = 0;
  sumUs = 0;

  /** Records one latency in microseconds (rounded, clamped to [0, MAX_VALUE_US]). */
  record(valueUs: number): void {
    let v = Math.round(valueUs);
    if (v < 0) v = 0;
    else if (v > MAX_VALUE_US) v = MAX_VALUE_US;
    this.counts[indexOf(v)]++;
    this.count++;
    this.sumUs += v;
    if (v > this.maxUs) this.maxUs = v;
    if (v < this.minUs) this.minUs = v;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.minUs = Infinity;
    this.maxUs = 0;
    this.sumUs = 0;
  }

  /** The value at or below which `percentile` % of the recordings fall (bucket's highest value, capped at max). */
  valueAtPercentile(percentile: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil((percentile / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= target) return Math.min(highestValueOf(i), this.maxUs);
    }
    return this.maxUs;
  }

  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] > 0) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, minUs: this.count === 0 ? 0 : this.minUs, maxUs: this.maxUs, sumUs: this.sumUs };
  }

  /** Adds another histogram's recordings (from a snapshot, e.g. one per client process). */
  merge(s: HistogramSnapshot): this {
    for (const [i, c] of s.buckets) this.counts[i] += c;
    if (s.count > 0) {
      this.count += s.count;
      this.sumUs += s.sumUs;
      if (s.maxUs > this.maxUs) this.maxUs = s.maxUs;
      if (s.minUs < this.minUs) this.minUs = s.minUs;
    }
    return this;
  }

  static fromSnapshot(s: HistogramSnapshot): LatencyHistogram {
    return new LatencyHistogram().merge(s);
  }

  summary(): LatencySummary {
    const ms = (us: number): number => us / 1000;
    return {
      count: this.count,
      meanMs: this.count === 0 ? 0 : ms(this.sumUs / this.count),
      p50Ms: ms(this.valueAtPercentile(50)),
      p99Ms: ms(this.valueAtPercentile(99)),
      p999Ms: ms(this.valueAtPercentile(99.9)),
      maxMs: ms(this.maxUs),
    };
  }
}
