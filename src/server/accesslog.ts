// From the data plane's summaries of finished requests to Lattice access log records, for the
// subscriptions of the service and of the service network each request came through.
//
// Records are made in batches, a few milliseconds after their requests: making many in a row keeps
// the code and data that build and stringify a record in the CPU's caches from one to the next. In
// one per-thread CPU A/B run here (~20,000 requests/s on one core) logging's cost per request fell
// from ~5-7 µs, each record made as its request ended, to ~2-4 µs; on this noisy 2-core machine
// later runs of the same comparison spread from ~1 to ~8 µs. Every 5 ms rather than 10: half as
// many records at a time hold requests up half as long (see LogGroupSink's batch size), at no
// CPU cost measurable here.
import type { RequestSummary as DataPlaneSummary } from '../dataplane/summary.ts';
import type { AccessLogPipeline } from '../observe/pipeline.ts';
import { serviceAccessLogLine, type RequestSummary } from '../observe/record.ts';

/** How long a finished request waits for others to be logged with. */
const BATCH_MS = 5;

export class RequestLog {
  readonly #pipeline: AccessLogPipeline;
  #pending: DataPlaneSummary[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(pipeline: AccessLogPipeline) {
    this.#pipeline = pipeline;
  }

  /** A finished request (its summary is no longer changed): logged within BATCH_MS if any subscription wants it. */
  add(s: DataPlaneSummary): void {
    const service = s.listener?.service;
    if (!service || !this.#pipeline.wants({ serviceArn: service.arn, serviceNetworkArn: s.network?.arn })) return;
    this.#pending.push(s);
    this.#timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Hands every pending record to the pipeline now (also before the pipeline closes). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    for (let i = 0; i < batch.length; i++) logRequest(this.#pipeline, batch[i]);
  }
}

function logRequest(pipeline: AccessLogPipeline, s: DataPlaneSummary): void {
  const service = s.listener!.service;
  const route = { serviceArn: service.arn, serviceNetworkArn: s.network?.arn };
  const sent = s.requestToTargetMs;
  const summary: RequestSummary = {
    startMs: s.startedAt, endMs: s.startedAt + (s.ended - s.started),
    method: s.method || undefined, path: s.target || undefined, protocol: s.protocol === 'HTTP/2.0' ? 'HTTP/2' : s.protocol, status: s.status,
    responseCodeDetails: s.details || undefined,
    failureReason: s.authDeniedReason ? 'ClientAccessDenied' : undefined,
    requestToTargetMs: sent,
    responseFromTargetMs: sent !== undefined && s.responseFromTargetMs !== undefined ? s.responseFromTargetMs - sent : undefined,
    bytesReceived: s.bytesIn, bytesSent: s.bytesOut, userAgent: s.userAgent, host: s.host, requestId: s.requestId, traceId: s.traceId,
    sourceIp: s.clientAddress, sourcePort: s.clientPort, sourceVpcArn: s.vpc?.arn, sourceVpcId: s.vpc?.id,
    serviceNetworkArn: s.network?.arn, serviceArn: service.arn, listenerId: s.listener?.id, listenerType: s.listener?.protocol,
    targetGroupArn: s.targetGroup?.arn, targetAddress: s.upstream?.address, targetPort: s.upstream?.port, destinationVpcId: s.targetGroup?.vpcId,
    principal: s.callerPrincipal, authDeniedReason: s.authDeniedReason,
    tlsVersion: s.tlsVersion, tlsCipher: s.cipher, sni: s.sni,
    grpcStatus: s.grpcStatus !== undefined ? Number(s.grpcStatus) : undefined,
  };
  pipeline.emit(serviceAccessLogLine(summary), route);
}
