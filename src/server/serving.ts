// What serves requests, wired together: the data plane with its certificates (the local CA's and
// custom domains' ACM certificates), its metrics and its access log pipeline. `trellis up` runs one
// in its own process (--workers 1) or one in each worker process (--workers N); nothing here
// writes to the store.
import type { Snapshot, TargetGroupPlan } from '../compile/snapshot.ts';
import type { View } from '../store/view.ts';
import { DataPlane } from '../dataplane/dataplane.ts';
import type { Limits } from '../dataplane/guard.ts';
import type { RequestSummary } from '../dataplane/summary.ts';
import type { LocalCa } from '../dataplane/tls/ca.ts';
import { Certificates } from '../dataplane/tls/certificates.ts';
import { DataPlaneMetrics } from '../observe/metrics.ts';
import { AccessLogPipeline } from '../observe/pipeline.ts';
import type { S3Endpoint } from '../observe/destinations/s3.ts';
import { RequestLog } from './accesslog.ts';
import { CustomDomainCertificates } from './customdomains.ts';
import { dataPlaneCallers } from './callers.ts';

export interface ServingOptions {
  dataDir: string;
  region: string;
  host: string;
  portOffset: number;
  view: View;
  ca: LocalCa;
  /** Which targets of a group may get new requests: the health checker's verdicts, or its mirror's. */
  routableIn(tg: TargetGroupPlan): Uint8Array;
  /** For the health gauges of /metrics, where the health checker runs in this process. */
  healthTally?: (tgId: string) => Readonly<{ healthy: number; unhealthy: number }>;
  limits?: Partial<Limits>;
  firehoseEndpoints?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  s3Endpoint?: S3Endpoint;
  /** Which worker this is ("w0" …), for access log streams and spool folders; none in a single process. */
  instance?: string;
  /** Listener ports shared with other processes (SO_REUSEPORT). */
  reusePort?: boolean;
  log: (line: string) => void;
}

export interface Serving {
  readonly dataPlane: DataPlane;
  readonly metrics: DataPlaneMetrics;
  readonly accessLogs: AccessLogPipeline;
  /** Makes a Snapshot live: certificates, listeners, access log subscriptions. */
  apply(next: Snapshot): Promise<void>;
  /** Stops: with `drainMs`, requests in progress get that long to finish; then logs are flushed. */
  close(drainMs?: number): Promise<void>;
}

/** Starts serving `initial` (its listener ports listen when this resolves). */
export async function startServing(initial: Snapshot, o: ServingOptions): Promise<Serving> {
  const certificates = new Certificates(o.ca);
  const customDomains = new CustomDomainCertificates(certificates, o.view);
  const accessLogs = new AccessLogPipeline({ dataDir: o.dataDir, region: o.region, log: o.log, firehoseEndpoints: o.firehoseEndpoints, s3Endpoint: o.s3Endpoint, instance: o.instance });
  const metrics = new DataPlaneMetrics({
    healthTally: o.healthTally,
    logStats: () => {
      const st = accessLogs.stats();
      return { delivered: st.delivered, dropped: st.dropped, pending: st.queued, spooledBytes: st.spilledBytes, lagSeconds: Math.max(st.lagMs.p99, st.oldestQueuedMs) / 1000 };
    },
  });
  const requestLog = new RequestLog(accessLogs);
  const finished = (s: RequestSummary) => {
    requestLog.add(s);
    if (!s.listener || !s.network) return;
    const key = metrics.service(s.listener.service, s.network);
    if (s.protocol === 'TCP') {
      if (s.targetGroup) metrics.transferred(key, s.targetGroup, s.bytesIn, s.bytesOut);
      return;
    }
    metrics.request(key, s.targetGroup, s.status, s.ended - s.started, s.bytesIn, s.bytesOut, s.byLattice);
  };
  const dataPlane = new DataPlane(initial, {
    host: o.host, portOffset: o.portOffset, routableIn: o.routableIn, certificates, log: o.log, limits: o.limits,
    identify: dataPlaneCallers(o.view, o.region), finished, metrics, reusePort: o.reusePort,
  });
  const apply = async (next: Snapshot) => {
    customDomains.sync(next, o.log);
    // Subscriptions first: a request the new Snapshot serves finds its subscription.
    if (next.accessLogs) accessLogs.update(next.accessLogs);
    await dataPlane.apply(next);
  };
  await apply(initial);
  metrics.snapshotApplied(initial, 0);
  return {
    dataPlane, metrics, accessLogs, apply,
    async close(drainMs) {
      if (drainMs === undefined) await dataPlane.close();
      else await dataPlane.drain(drainMs);
      requestLog.flush();
      await accessLogs.close();
    },
  };
}
