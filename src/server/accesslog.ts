// From the data plane's summary of a finished request to a Lattice access log record, for the
// subscriptions of the service and of the service network the request came through.
import type { RequestSummary as DataPlaneSummary } from '../dataplane/summary.ts';
import type { AccessLogPipeline } from '../observe/pipeline.ts';
import { serviceAccessLogLine, type RequestSummary } from '../observe/record.ts';

export function logRequest(pipeline: AccessLogPipeline, s: DataPlaneSummary): void {
  const service = s.listener?.service;
  if (!service) return;
  const route = { serviceArn: service.arn, serviceNetworkArn: s.network?.arn };
  if (!pipeline.wants(route)) return;
  const sent = s.requestToTargetMs;
  const summary: RequestSummary = {
    startMs: s.startedAt, endMs: s.startedAt + (performance.now() - s.started),
    method: s.method || undefined, path: s.target || undefined, protocol: s.protocol === 'HTTP/2.0' ? 'HTTP/2' : s.protocol, status: s.status,
    responseCodeDetails: s.details || undefined,
    failureReason: s.authDeniedReason ? 'ClientAccessDenied' : undefined,
    requestToTargetMs: sent,
    responseFromTargetMs: sent !== undefined && s.responseFromTargetMs !== undefined ? s.responseFromTargetMs - sent : undefined,
    bytesReceived: s.bytesIn, bytesSent: s.bytesOut, userAgent: s.userAgent, requestId: s.requestId, traceId: s.traceId,
    sourceIp: s.clientAddress, sourcePort: s.clientPort, sourceVpcArn: s.vpc?.arn, sourceVpcId: s.vpc?.id,
    serviceNetworkArn: s.network?.arn, serviceArn: service.arn, listenerId: s.listener?.id, listenerType: s.listener?.protocol,
    targetGroupArn: s.targetGroup?.arn, targetAddress: s.upstream?.address, targetPort: s.upstream?.port, destinationVpcId: s.targetGroup?.vpcId,
    principal: s.callerPrincipal, authDeniedReason: s.authDeniedReason,
    tlsVersion: s.tlsVersion, tlsCipher: s.cipher, sni: s.sni,
    grpcStatus: s.grpcStatus !== undefined ? Number(s.grpcStatus) : undefined,
  };
  pipeline.emit(serviceAccessLogLine(summary), route);
}
