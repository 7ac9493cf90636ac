// A data plane's request, connection and log delivery numbers as plain data, and how several
// add up: `trellis up --workers N` serves in N processes and renders one /metrics in the primary.
// Pure.

/** What the access-log pipeline reports (its stats(), mapped by the caller). */
export interface LogDeliveryStats {
  /** Records delivered to their destinations since start. */
  delivered: number;
  /** Records dropped because the disk budget was exhausted. */
  dropped: number;
  /** Records waiting for delivery, in memory or spooled on disk. */
  pending: number;
  /** Bytes spooled on disk for destinations that are slow or down. */
  spooledBytes?: number;
  /** Seconds from response to record at its destination (latest delivery, or the oldest pending record's age when larger). */
  lagSeconds: number;
}

/** Indexable numbers: a Float64Array or a plain array (what crosses a process boundary). */
export interface Numbers { [i: number]: number; readonly length: number }

/** The numbers of one request series, as plain data (see DataPlaneCounters). */
export interface RequestCounts {
  requests: number; c2xx: number; c3xx: number; c4xx: number; c5xx: number; timeouts: number;
  bytesIn: number; bytesOut: number; connectionErrors: number; connectionTimeouts: number; sumMs: number;
  /** Non-cumulative, per REQUEST_TIME_BOUNDS_MS bucket, the last one +Inf. */
  buckets: Numbers;
  /** Per LATTICE_CODES. */
  lattice: Numbers;
}

export interface ListenerCounts { total: number; active: number; http1: number; http2: number; tlsErrors: number; tlsHandshakes: number }

/**
 * One data plane's request and connection numbers as plain data, so another process can add them
 * to its own (`trellis up --workers N`: workers serve, the primary renders /metrics).
 */
export interface DataPlaneCounters {
  requests: (RequestCounts & { service: string; serviceName: string; network: string; targetGroup: string })[];
  listeners: (ListenerCounts & { port: number })[];
  logs?: LogDeliveryStats;
}

export const REQUEST_FIELDS = ['requests', 'c2xx', 'c3xx', 'c4xx', 'c5xx', 'timeouts', 'bytesIn', 'bytesOut', 'connectionErrors', 'connectionTimeouts', 'sumMs'] as const;
export const LISTENER_COUNTERS = ['total', 'http1', 'http2', 'tlsErrors', 'tlsHandshakes'] as const;

/** Adds `from`'s numbers to `to` (request series). */
export function addRequests(to: RequestCounts, from: RequestCounts): void {
  for (const f of REQUEST_FIELDS) to[f] += from[f];
  for (let i = 0; i < to.buckets.length; i++) to.buckets[i] += from.buckets[i] ?? 0;
  for (let i = 0; i < to.lattice.length; i++) to.lattice[i] += from.lattice[i] ?? 0;
}

/** Adds `from`'s numbers to `to` (listeners); the active-connection gauge only when `gauges`. */
export function addListener(to: ListenerCounts, from: ListenerCounts, gauges: boolean): void {
  for (const f of LISTENER_COUNTERS) to[f] += from[f];
  if (gauges) to.active += from.active;
}

/** Several pipelines' delivery stats as one: counts add up, the lag is the worst. */
export function sumLogStats(all: readonly LogDeliveryStats[]): LogDeliveryStats | undefined {
  if (all.length === 0) return undefined;
  const spooled = all.filter((l) => l.spooledBytes !== undefined);
  return {
    delivered: all.reduce((n, l) => n + l.delivered, 0),
    dropped: all.reduce((n, l) => n + l.dropped, 0),
    pending: all.reduce((n, l) => n + l.pending, 0),
    ...(spooled.length > 0 ? { spooledBytes: spooled.reduce((n, l) => n + (l.spooledBytes ?? 0), 0) } : {}),
    lagSeconds: Math.max(...all.map((l) => l.lagSeconds)),
  };
}

