// What the request path knew about one request when it ended: the input of access log records
// and metrics, filled in step by step and handed over once, when the response is done.
import type { ListenerPlan, NetworkPlan, TargetGroupPlan, TargetPlan, VpcPlan } from '../compile/snapshot.ts';

export interface RequestSummary {
  requestId: string;
  /** Wall-clock start (ms since the epoch) and a monotonic one for durations. */
  startedAt: number;
  started: number;
  method: string;
  /** The request target as the client sent it (path and query). */
  target: string;
  /** TCP: a TLS_PASSTHROUGH connection (one record per connection). */
  protocol: 'HTTP/1.1' | 'HTTP/2.0' | 'TCP';
  tls: boolean;
  tlsVersion?: string;
  cipher?: string;
  sni?: string;
  clientAddress: string;
  clientPort: number;
  userAgent?: string;
  traceId?: string;
  listener?: ListenerPlan;
  network?: NetworkPlan;
  vpc?: VpcPlan;
  targetGroup?: TargetGroupPlan;
  upstream?: TargetPlan;
  status: number;
  /** Why the status is what it is (as Lattice's responseCodeDetails). */
  details: string;
  /** Lattice answered itself (no target did): errors, fixed responses. */
  byLattice: boolean;
  callerPrincipal?: string;
  authDeniedReason?: string;
  bytesIn: number;
  bytesOut: number;
  /** Milliseconds from the start to the request sent to the target, and to its first response byte. */
  requestToTargetMs?: number;
  responseFromTargetMs?: number;
  grpcStatus?: string;
}
