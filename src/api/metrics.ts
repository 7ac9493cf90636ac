// Counters and a latency histogram of the API port, rendered in Prometheus text format.

const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

export class Metrics {
  readonly #requests = new Map<string, number>();
  readonly #latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  observe(operation: string, status: number, startedNs: bigint): void {
    const key = `${operation}\0${status}`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const ms = Number(process.hrtime.bigint() - startedNs) / 1e6;
    let h = this.#latency.get(operation);
    if (!h) this.#latency.set(operation, (h = { buckets: BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS_MS.forEach((b, i) => { if (ms <= b) h!.buckets[i]++; });
    h.sum += ms;
    h.count++;
  }

  render(): string {
    const lines = [
      '# HELP trellis_api_requests_total API requests by operation and HTTP status.',
      '# TYPE trellis_api_requests_total counter',
    ];
    for (const [key, n] of this.#requests) {
      const [op, status] = key.split('\0');
      lines.push(`trellis_api_requests_total{operation="${op}",status="${status}"} ${n}`);
    }
    lines.push('# HELP trellis_api_request_duration_ms API request latency.', '# TYPE trellis_api_request_duration_ms histogram');
    for (const [op, h] of this.#latency) {
      BUCKETS_MS.forEach((b, i) => lines.push(`trellis_api_request_duration_ms_bucket{operation="${op}",le="${b}"} ${h.buckets[i]}`));
      lines.push(`trellis_api_request_duration_ms_bucket{operation="${op}",le="+Inf"} ${h.count}`);
      lines.push(`trellis_api_request_duration_ms_sum{operation="${op}"} ${h.sum.toFixed(3)}`);
      lines.push(`trellis_api_request_duration_ms_count{operation="${op}"} ${h.count}`);
    }
    return lines.join('\n') + '\n';
  }
}
