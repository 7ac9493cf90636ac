// The pieces /metrics is made of: Prometheus names and label text for Lattice's metrics, the
// per-service and per-listener series the data plane counts into, and histograms. Naming and
// labels are explained at the top of metrics.ts.
import type { ListenerCounts, RequestCounts } from './counters.ts';

/** AWS metric name -> Prometheus name fragment: HTTPCode_VpcLattice_403_Count -> http_code_vpc_lattice_403_count. */
export function promName(aws: string): string {
  return aws.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase().replace(/_+/g, '_');
}

export const L = (aws: string, suffix = '') => `lattice_${promName(aws)}${suffix}`;

/** RequestTime buckets: upper bounds in ms for the hot path, rendered in seconds. */
export const REQUEST_TIME_BOUNDS_MS: readonly number[] = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];
export const REQUEST_TIME_BOUNDS_S = REQUEST_TIME_BOUNDS_MS.map((ms) => ms / 1000);
export const APPLY_BOUNDS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The codes Lattice itself answers with and counts apart (HTTPCode_VpcLattice_<code>_Count). */
export const LATTICE_CODES: readonly number[] = [400, 403, 404, 429, 500, 502, 504];

export interface ServiceRef { readonly arn: string; readonly name: string }
export interface ArnRef { readonly arn: string }

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A Prometheus sample value: integers plainly, NaN and infinities by name. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

export const label = (name: string, value: string) => `${name}="${escapeLabel(value)}"`;
export const serviceLabels = (arn: string, name: string, network: string) => `${label('service', arn)},${label('service_name', name)},${label('service_network', network)}`;

/** One series of request metrics: one (service, network, target group). */
export class RequestSeries implements RequestCounts {
  readonly labels: string;
  requests = 0;
  c2xx = 0;
  c3xx = 0;
  c4xx = 0;
  c5xx = 0;
  timeouts = 0;
  bytesIn = 0;
  bytesOut = 0;
  connectionErrors = 0;
  connectionTimeouts = 0;
  sumMs = 0;
  /** Non-cumulative counts per REQUEST_TIME_BOUNDS_MS bucket, the last one +Inf. */
  readonly buckets = new Float64Array(REQUEST_TIME_BOUNDS_MS.length + 1);
  readonly lattice = new Float64Array(LATTICE_CODES.length);
  constructor(labels: string) { this.labels = labels; }
}

/** A service reached through one service network: the handle request() takes. */
export class ServiceKey {
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly networkArn: string;
  readonly #prefix: string;
  /** Requests answered without a target group. */
  readonly direct: RequestSeries;
  readonly byTargetGroup = new Map<string, RequestSeries>();

  constructor(service: ServiceRef, networkArn: string) {
    this.serviceArn = service.arn;
    this.serviceName = service.name;
    this.networkArn = networkArn;
    this.#prefix = serviceLabels(service.arn, service.name, networkArn);
    this.direct = new RequestSeries(`${this.#prefix},target_group=""`);
  }

  series(tg: ArnRef | undefined): RequestSeries {
    if (tg === undefined) return this.direct;
    let s = this.byTargetGroup.get(tg.arn);
    if (!s) this.byTargetGroup.set(tg.arn, (s = new RequestSeries(`${this.#prefix},${label('target_group', tg.arn)}`)));
    return s;
  }
}

/** Client connections to one listener port. */
export class ListenerKey implements ListenerCounts {
  readonly labels: string;
  readonly port: number;
  total = 0;
  active = 0;
  http1 = 0;
  http2 = 0;
  tlsErrors = 0;
  tlsHandshakes = 0;
  constructor(port: number) {
    this.port = port;
    this.labels = `listener_port="${port}"`;
  }
}

export interface HealthEntry { readonly labels: readonly string[]; readonly tgId: string }

/** A histogram's lines from non-cumulative counts (the last one +Inf); `labels` ends in "," when not empty. */
export function buckets(out: string[], name: string, labels: string, bounds: readonly number[], counts: Float64Array, sum: number): void {
  let cumulative = 0;
  bounds.forEach((b, i) => {
    cumulative += counts[i];
    out.push(`${name}_bucket{${labels}le="${formatValue(b)}"} ${formatValue(cumulative)}`);
  });
  cumulative += counts[bounds.length];
  const plain = labels.slice(0, -1);
  out.push(`${name}_bucket{${labels}le="+Inf"} ${formatValue(cumulative)}`, `${name}_sum${plain ? `{${plain}}` : ''} ${formatValue(sum)}`, `${name}_count${plain ? `{${plain}}` : ''} ${formatValue(cumulative)}`);
}

export class Histogram {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
  }
}
