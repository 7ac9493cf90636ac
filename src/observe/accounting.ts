// What the delivery queues of one pipeline share: byte budgets for memory and disk, delivery
// counters, the retry policy, and the lag recorder behind stats() and /metrics.

/** A byte budget shared by all queues. */
export class Budget {
  readonly limit: number;
  used = 0;
  constructor(limit: number) { this.limit = limit; }
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number): void { this.used = Math.max(0, this.used - n); }
}

/** Upper bounds (ms) of the delivery lag histogram. */
export const LAG_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] as const;

/** Delivery lag (push to delivered) of recent records, and a histogram since start. */
export class LagRecorder {
  readonly #ring = new Float64Array(8192);
  #n = 0;
  /** counts[i]: records with lag <= LAG_BOUNDS_MS[i] (not cumulative); the last slot is +Inf. */
  readonly counts = new Array<number>(LAG_BOUNDS_MS.length + 1).fill(0);
  sumMs = 0;
  add(ms: number): void {
    this.#ring[this.#n++ % this.#ring.length] = ms;
    this.sumMs += ms;
    let i = 0;
    while (i < LAG_BOUNDS_MS.length && ms > LAG_BOUNDS_MS[i]) i++;
    this.counts[i]++;
  }
  /** p50, p99 and max over the most recent 8192 records (0 when none). */
  percentiles(): { p50: number; p99: number; max: number } {
    const n = Math.min(this.#n, this.#ring.length);
    if (n === 0) return { p50: 0, p99: 0, max: 0 };
    const xs = this.#ring.slice(0, n).sort();
    const at = (p: number) => xs[Math.min(n - 1, Math.floor(p * n))];
    return { p50: at(0.5), p99: at(0.99), max: xs[n - 1] };
  }
}

/** What all queues of a pipeline share. */
export interface Shared {
  now(): number;
  log(line: string): void;
  memory: Budget;
  disk: Budget;
  lag: LagRecorder;
  totals: { delivered: number; dropped: number; failures: number };
  retry: { initialMs: number; maxMs: number };
}
