// Data-plane metrics in Prometheus text exposition format 0.0.4, named after Lattice's CloudWatch
// metrics (VPC Lattice User Guide, "CloudWatch metrics for Amazon VPC Lattice", namespace
// AWS/VpcLattice), plus Trellis's own.
//
// Naming scheme. A Lattice metric keeps its AWS name, mechanically converted (promName below):
// `lattice_` + snake_case(AWS name) + a unit suffix where Prometheus wants base units, + `_total`
// for counters. TotalRequestCount -> lattice_total_request_count_total, HTTPCode_5XX_Count ->
// lattice_http_code_5xx_count_total, RequestTime (ms in CloudWatch) -> lattice_request_time_seconds
// (a histogram in seconds, Prometheus's base unit). Names that Lattice does not publish start with
// `trellis_`.
//
// Dimensions as labels. CloudWatch aggregates by one dimension at a time (Service, TargetGroup,
// AvailabilityZone); Prometheus aggregates at query time, so each series carries the finest
// combination and `sum by (service)` or `sum by (target_group)` gives Lattice's views:
// - request series: service (ARN), service_name, service_network (ARN of the network the request
//   came through), target_group (ARN; "" when Trellis answered without forwarding: fixed
//   responses, auth denials, no healthy target). Lattice's service metrics (RequestTimeoutCount,
//   TotalRequestCount, RequestTime, HTTPCode_*XX_Count, HTTPCode_VpcLattice_*_Count) and the
//   target-group ones that are about requests and bytes. Bytes are the request's and the
//   response's (headers and bodies, as access logs' bytesReceived/bytesSent) and a TLS-passthrough
//   connection's.
// - connection series: listener_port (as configured, before --port-offset). A client connection is
//   counted before any service is known (one port serves many services by Host/SNI, and an HTTP/2
//   connection may carry requests for several), so the connection metrics that Lattice files under
//   TargetGroup are per listener port here.
// - trellis_healthy_host_count / trellis_unhealthy_host_count: Lattice publishes no target-health
//   metric (its page lists none; ELB's are HealthyHostCount / UnHealthyHostCount): the health
//   checker's HEALTHY and UNHEALTHY targets per target_group, with the service that forwards to it.
//
// The hot path does no string work: service() resolves a handle once per (Snapshot plan, network)
// through a WeakMap, and request() bumps numbers on a pre-labelled series.
import type { Snapshot, ListenerPlan, ServicePlan, TargetGroupPlan } from '../compile/snapshot.ts';
import { addListener, addRequests, sumLogStats, type DataPlaneCounters, type ListenerCounts, type LogDeliveryStats, type RequestCounts } from './counters.ts';
import {
  APPLY_BOUNDS_S, Histogram, L, LATTICE_CODES, ListenerKey, REQUEST_TIME_BOUNDS_MS, REQUEST_TIME_BOUNDS_S, RequestSeries, ServiceKey, buckets, formatValue, label, serviceLabels,
  type ArnRef, type HealthEntry, type ServiceRef,
} from './series.ts';

export type { DataPlaneCounters, LogDeliveryStats } from './counters.ts';
export { promName, type ArnRef, type ServiceRef } from './series.ts';

export interface DataPlaneMetricsOptions {
  /** A target group's HEALTHY and UNHEALTHY target counts, read at each render: `(id) => health.tally(id)`. */
  healthTally?: (tgId: string) => Readonly<{ healthy: number; unhealthy: number }>;
  /** The access-log pipeline's counters, read at each render. */
  logStats?: () => LogDeliveryStats;
}

export class DataPlaneMetrics {
  readonly #opts: DataPlaneMetricsOptions;
  /** service ARN -> network ARN ("" for none) -> key. */
  readonly #keys = new Map<string, Map<string, ServiceKey>>();
  /** Snapshot plan object -> network ARN -> key: the hot path's lookup, no strings built. */
  #byPlan = new WeakMap<object, Map<string, ServiceKey>>();
  readonly #listeners = new Map<number, ListenerKey>();
  #health: readonly HealthEntry[] = [];
  #healthEntries = new WeakMap<TargetGroupPlan, { users: string; entry: HealthEntry }>();
  #revision = 0;
  #unsynced: Snapshot | undefined;
  readonly #apply = new Histogram(APPLY_BOUNDS_S);
  #feedLag = 0;
  /** Log delivery counters absorbed from data planes that are gone. */
  readonly #absorbedLogs = { delivered: 0, dropped: 0 };
  #absorbedAny = false;

  constructor(opts: DataPlaneMetricsOptions = {}) {
    this.#opts = opts;
  }

  /** The handle for requests to `service` that came through `network`; cheap enough per request. */
  service(service: ServiceRef, network: ArnRef | undefined): ServiceKey {
    const netArn = network === undefined ? '' : network.arn;
    const cached = this.#byPlan.get(service)?.get(netArn);
    if (cached) return cached;
    let byNet = this.#keys.get(service.arn);
    if (!byNet) this.#keys.set(service.arn, (byNet = new Map()));
    let key = byNet.get(netArn);
    if (!key) byNet.set(netArn, (key = new ServiceKey(service, netArn)));
    let planNets = this.#byPlan.get(service);
    if (!planNets) this.#byPlan.set(service, (planNets = new Map()));
    planNets.set(netArn, key);
    return key;
  }

  /**
   * One finished request. `tg` is the target group it was forwarded to (undefined when Trellis
   * answered itself); `byLattice` is true when the status is Trellis's own (not the target's), which
   * feeds HTTPCode_VpcLattice_<code>_Count and, for 504, RequestTimeoutCount.
   */
  request(key: ServiceKey, tg: ArnRef | undefined, status: number, durationMs: number, bytesIn: number, bytesOut: number, byLattice: boolean): void {
    const s = key.series(tg);
    s.requests++;
    switch ((status / 100) | 0) {
      case 2: s.c2xx++; break;
      case 3: s.c3xx++; break;
      case 4: s.c4xx++; break;
      case 5: s.c5xx++; break;
    }
    if (byLattice) {
      const i = LATTICE_CODES.indexOf(status);
      if (i >= 0) s.lattice[i]++;
      if (status === 504) s.timeouts++;
    }
    const b = s.buckets;
    let i = 0;
    while (i < REQUEST_TIME_BOUNDS_MS.length && durationMs > REQUEST_TIME_BOUNDS_MS[i]) i++;
    b[i]++;
    s.sumMs += durationMs;
    s.bytesIn += bytesIn;
    s.bytesOut += bytesOut;
  }

  /** Bytes of a TLS-passthrough connection (client -> target, target -> client), at its close. */
  transferred(key: ServiceKey, tg: ArnRef, bytesIn: number, bytesOut: number): void {
    const s = key.series(tg);
    s.bytesIn += bytesIn;
    s.bytesOut += bytesOut;
  }

  /** A target could not be connected to (ConnectionErrorCount), or not in time (ConnectionTimeoutCount too). */
  targetConnectionError(key: ServiceKey, tg: ArnRef, timedOut = false): void {
    const s = key.series(tg);
    s.connectionErrors++;
    if (timedOut) s.connectionTimeouts++;
  }

  /** The handle for client connections to a listener port (as configured, before --port-offset). */
  listener(port: number): ListenerKey {
    let l = this.#listeners.get(port);
    if (!l) this.#listeners.set(port, (l = new ListenerKey(port)));
    return l;
  }

  connectionOpened(l: ListenerKey): void {
    l.total++;
    l.active++;
  }

  connectionClosed(l: ListenerKey): void {
    if (l.active > 0) l.active--;
  }

  /** The connection speaks HTTP/1.1 or HTTP/2 (known after the preface, or ALPN for TLS). */
  connectionProtocol(l: ListenerKey, version: 1 | 2): void {
    if (version === 1) l.http1++;
    else l.http2++;
  }

  /** A TLS handshake with a client completed. */
  tlsHandshake(l: ListenerKey): void {
    l.tlsHandshakes++;
  }

  /** A TLS handshake with a client failed. */
  tlsError(l: ListenerKey): void {
    l.tlsErrors++;
  }

  /**
   * A Snapshot is live: its revision and how long compile + apply took; services (every network
   * they are reachable through) are listed from now on, even before traffic; series of services
   * and target groups that are gone are dropped; target health follows the new targets.
   */
  snapshotApplied(snapshot: Snapshot, applySeconds: number): void {
    this.#revision = snapshot.revision;
    this.#apply.observe(applySeconds);
    // Followed when the numbers are next read, not now: a burst of Snapshots costs one pass,
    // and the pass (~50-100 ms at 2,000 services and 2M targets) stays off the path from an API
    // call to the Snapshot serving it.
    this.#unsynced = snapshot;
  }

  /** Brings the series and health rows in line with the last Snapshot applied, if not yet. */
  #sync(): void {
    const snapshot = this.#unsynced;
    if (!snapshot) return;
    this.#unsynced = undefined;
    const listeners = new Map<string, ListenerPlan>();
    for (const port of snapshot.ports.values()) for (const l of port.hosts.values()) listeners.set(l.arn, l);
    const services = new Map<string, ServicePlan>();
    for (const s of snapshot.names.values()) services.set(s.arn, s);
    for (const l of listeners.values()) services.set(l.service.arn, l.service);

    const live = new Map<string, Set<string>>();
    this.#byPlan = new WeakMap();
    for (const s of services.values()) {
      const nets = new Set<string>();
      for (const n of s.networks.values()) nets.add(n.arn);
      if (nets.size === 0) nets.add('');
      live.set(s.arn, nets);
      for (const n of nets) this.service(s, n === '' ? undefined : { arn: n });
    }
    const tgArns = new Set<string>();
    for (const tg of snapshot.targetGroups.values()) tgArns.add(tg.arn);
    for (const [svcArn, byNet] of this.#keys) {
      const nets = live.get(svcArn);
      if (!nets) {
        this.#keys.delete(svcArn);
        continue;
      }
      for (const [netArn, key] of byNet) {
        if (!nets.has(netArn)) byNet.delete(netArn);
        else for (const tgArn of key.byTargetGroup.keys()) if (!tgArns.has(tgArn)) key.byTargetGroup.delete(tgArn);
      }
    }

    // Which services forward to each target group (by id, as actions name them).
    const users = new Map<string, Map<string, ServiceRef>>();
    for (const l of listeners.values()) {
      for (const action of [l.defaultAction, ...l.rules.map((r) => r.action)]) {
        if (action.kind !== 'forward') continue;
        for (const { id } of action.targetGroups) {
          let m = users.get(id);
          if (!m) users.set(id, (m = new Map()));
          m.set(l.service.arn, l.service);
        }
      }
    }
    // An unchanged plan (incremental compile shares it) forwarded to by the same services keeps its
    // entry: at 20,000 target groups, rebuilding them all cost ~100 ms per Snapshot.
    const health: HealthEntry[] = [];
    const entries = new WeakMap<TargetGroupPlan, { users: string; entry: HealthEntry }>();
    for (const tg of snapshot.targetGroups.values()) {
      const using = [...(users.get(tg.id)?.values() ?? [])];
      const key = using.map((u) => `${u.arn} ${u.name}`).join('\n');
      let known = this.#healthEntries.get(tg);
      if (known?.users !== key) {
        const labels = (using.length ? using : [{ arn: '', name: '' }]).map((u) => `${label('target_group', tg.arn)},${label('service', u.arn)},${label('service_name', u.name)}`);
        known = { users: key, entry: { labels, tgId: tg.id } };
      }
      entries.set(tg, known);
      health.push(known.entry);
    }
    this.#health = health;
    this.#healthEntries = entries;
  }

  /** Seconds from a store commit to the Snapshot that contains it being applied. */
  changeFeedLag(seconds: number): void {
    this.#feedLag = seconds;
  }

  /** This data plane's request and connection numbers, and its log delivery stats. */
  counters(): DataPlaneCounters {
    this.#sync();
    const requests: DataPlaneCounters['requests'] = [];
    for (const byNet of this.#keys.values()) {
      for (const key of byNet.values()) {
        const ids = { service: key.serviceArn, serviceName: key.serviceName, network: key.networkArn };
        const plain = (s: RequestSeries, targetGroup: string) => ({
          ...ids, targetGroup, requests: s.requests, c2xx: s.c2xx, c3xx: s.c3xx, c4xx: s.c4xx, c5xx: s.c5xx, timeouts: s.timeouts,
          bytesIn: s.bytesIn, bytesOut: s.bytesOut, connectionErrors: s.connectionErrors, connectionTimeouts: s.connectionTimeouts, sumMs: s.sumMs,
          buckets: Array.from(s.buckets), lattice: Array.from(s.lattice),
        });
        requests.push(plain(key.direct, ''));
        for (const [tg, s] of key.byTargetGroup) requests.push(plain(s, tg));
      }
    }
    const listeners = [...this.#listeners].map(([port, l]) => ({ port, total: l.total, active: l.active, http1: l.http1, http2: l.http2, tlsErrors: l.tlsErrors, tlsHandshakes: l.tlsHandshakes }));
    const logs = this.#opts.logStats?.();
    return logs ? { requests, listeners, logs } : { requests, listeners };
  }

  /**
   * Keeps the counters of a data plane that is gone (a worker process that exited) so that the
   * sums /metrics shows never go back; its gauges (open connections, pending records) are not kept.
   */
  absorb(c: DataPlaneCounters): void {
    for (const r of c.requests) {
      const key = this.service({ arn: r.service, name: r.serviceName }, r.network === '' ? undefined : { arn: r.network });
      addRequests(key.series(r.targetGroup === '' ? undefined : { arn: r.targetGroup }), r);
    }
    for (const l of c.listeners) addListener(this.listener(l.port), l, false);
    if (c.logs) {
      this.#absorbedAny = true;
      this.#absorbedLogs.delivered += c.logs.delivered;
      this.#absorbedLogs.dropped += c.logs.dropped;
    }
  }

  /**
   * Every metric in Prometheus text format 0.0.4; with `others` (the counters of other data planes,
   * e.g. the worker processes), request, connection and log delivery series are their sums.
   */
  render(others: readonly DataPlaneCounters[] = []): string {
    this.#sync();
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string) => {
      out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    };
    let series: RequestSeries[] = [];
    for (const byNet of this.#keys.values()) {
      for (const key of byNet.values()) {
        series.push(key.direct);
        for (const s of key.byTargetGroup.values()) series.push(s);
      }
    }
    let listeners = [...this.#listeners.values()];
    if (others.length > 0) ({ series, listeners } = this.#sum(series, listeners, others));
    const counter = (aws: string, help: string, value: (s: RequestSeries) => number) => {
      const name = L(aws, '_total');
      family(name, 'counter', `${aws}: ${help}`);
      for (const s of series) out.push(`${name}{${s.labels}} ${formatValue(value(s))}`);
    };
    counter('TotalRequestCount', 'requests.', (s) => s.requests);
    counter('HTTPCode_2XX_Count', 'responses with a 2xx status.', (s) => s.c2xx);
    counter('HTTPCode_3XX_Count', 'responses with a 3xx status.', (s) => s.c3xx);
    counter('HTTPCode_4XX_Count', 'responses with a 4xx status.', (s) => s.c4xx);
    counter('HTTPCode_5XX_Count', 'responses with a 5xx status.', (s) => s.c5xx);
    LATTICE_CODES.forEach((code, i) => counter(`HTTPCode_VpcLattice_${code}_Count`, `${code} responses generated by Trellis itself, not by a target.`, (s) => s.lattice[i]));
    counter('RequestTimeoutCount', 'requests that timed out waiting for a response (504 from Trellis).', (s) => s.timeouts);
    counter('TotalReceivedConnectionBytes', 'bytes received from clients (requests, TLS-passthrough connections).', (s) => s.bytesIn);
    counter('TotalSentConnectionBytes', 'bytes sent to clients (responses, TLS-passthrough connections).', (s) => s.bytesOut);
    counter('ConnectionErrorCount', 'failed connections to targets.', (s) => s.connectionErrors);
    counter('ConnectionTimeoutCount', 'connections to targets that timed out.', (s) => s.connectionTimeouts);

    const rt = L('RequestTime', '_seconds');
    family(rt, 'histogram', 'RequestTime: request time to the last byte, in seconds (CloudWatch reports milliseconds).');
    for (const s of series) buckets(out, rt, `${s.labels},`, REQUEST_TIME_BOUNDS_S, s.buckets, s.sumMs / 1000);

    const conn = (aws: string, type: 'counter' | 'gauge', help: string, value: (l: ListenerKey) => number) => {
      const name = L(aws, type === 'counter' ? '_total' : '');
      family(name, type, `${aws}: ${help}`);
      for (const l of listeners) out.push(`${name}{${l.labels}} ${formatValue(value(l))}`);
    };
    conn('TotalConnectionCount', 'counter', 'client connections accepted on the listener port.', (l) => l.total);
    conn('ActiveConnectionCount', 'gauge', 'client connections open now on the listener port.', (l) => l.active);
    conn('HTTP1_ConnectionCount', 'counter', 'client connections that speak HTTP/1.1.', (l) => l.http1);
    conn('HTTP2_ConnectionCount', 'counter', 'client connections that speak HTTP/2.', (l) => l.http2);
    conn('TLSConnectionErrorCount', 'counter', 'failed TLS handshakes with clients.', (l) => l.tlsErrors);
    conn('TotalTLSConnectionHandshakeCount', 'counter', 'successful TLS handshakes with clients.', (l) => l.tlsHandshakes);

    const tally = this.#opts.healthTally;
    if (tally) {
      const rows = this.#health.map((h) => ({ labels: h.labels, ...tally(h.tgId) }));
      family('trellis_healthy_host_count', 'gauge', 'Targets the health checker finds HEALTHY, per target group and the service forwarding to it (ELB: HealthyHostCount).');
      for (const r of rows) for (const l of r.labels) out.push(`trellis_healthy_host_count{${l}} ${r.healthy}`);
      family('trellis_unhealthy_host_count', 'gauge', 'Targets the health checker finds UNHEALTHY, per target group and the service forwarding to it (ELB: UnHealthyHostCount).');
      for (const r of rows) for (const l of r.labels) out.push(`trellis_unhealthy_host_count{${l}} ${r.unhealthy}`);
    }

    const single = (name: string, type: 'counter' | 'gauge', help: string, value: number) => {
      family(name, type, help);
      out.push(`${name} ${formatValue(value)}`);
    };
    single('trellis_snapshot_revision', 'gauge', 'Store revision of the Snapshot the data plane serves.', this.#revision);
    family('trellis_snapshot_apply_seconds', 'histogram', 'Time to compile and apply a Snapshot.');
    buckets(out, 'trellis_snapshot_apply_seconds', '', APPLY_BOUNDS_S, this.#apply.counts, this.#apply.sum);
    single('trellis_change_feed_lag_seconds', 'gauge', 'Seconds from a store commit to the Snapshot containing it being applied (latest change).', this.#feedLag);

    const own = this.#opts.logStats?.();
    const absorbed = this.#absorbedAny ? [{ ...this.#absorbedLogs, pending: 0, lagSeconds: 0 }] : [];
    const logs = sumLogStats([...(own ? [own] : []), ...absorbed, ...others.flatMap((o) => (o.logs ? [o.logs] : []))]);
    if (logs) {
      single('trellis_log_records_delivered_total', 'counter', 'Access log records delivered to their destinations.', logs.delivered);
      single('trellis_log_records_dropped_total', 'counter', 'Access log records dropped because the disk budget was exhausted.', logs.dropped);
      single('trellis_log_records_pending', 'gauge', 'Access log records waiting for delivery (memory and disk).', logs.pending);
      if (logs.spooledBytes !== undefined) single('trellis_log_spooled_bytes', 'gauge', 'Bytes of access log records spooled on disk.', logs.spooledBytes);
      single('trellis_log_delivery_lag_seconds', 'gauge', 'Seconds from response to access log record at its destination.', logs.lagSeconds);
    }
    return out.join('\n') + '\n';
  }

  /** New series and listener keys with this data plane's numbers plus the others', by labels. */
  #sum(own: readonly RequestSeries[], ownListeners: readonly ListenerKey[], others: readonly DataPlaneCounters[]): { series: RequestSeries[]; listeners: ListenerKey[] } {
    const series = new Map<string, RequestSeries>();
    const add = (labels: string, c: RequestCounts) => {
      let s = series.get(labels);
      if (!s) series.set(labels, (s = new RequestSeries(labels)));
      addRequests(s, c);
    };
    for (const s of own) add(s.labels, s);
    const listeners = new Map<string, ListenerKey>();
    const addL = (port: number, l: ListenerCounts) => {
      const key = `listener_port="${port}"`;
      let to = listeners.get(key);
      if (!to) listeners.set(key, (to = new ListenerKey(port)));
      addListener(to, l, true);
    };
    for (const l of ownListeners) addL(l.port, l);
    for (const o of others) {
      for (const r of o.requests) add(`${serviceLabels(r.service, r.serviceName, r.network)},${label('target_group', r.targetGroup)}`, r);
      for (const l of o.listeners) addL(l.port, l);
    }
    return { series: [...series.values()], listeners: [...listeners.values()] };
  }
}
