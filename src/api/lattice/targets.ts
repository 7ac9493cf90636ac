// Targets: registrations of instances, IP addresses, a Lambda function or an ALB with a target
// group. Stored per (target group, target id, port) under `target/<tgId>/<targetId>:<port>`
// (`target/<tgId>/<functionArn>` for Lambda targets, which have no port).
//
// Facts relied on (AWS API Reference RegisterTargets / DeregisterTargets / ListTargets / Target /
// TargetFailure / TargetSummary; User Guide "Register targets", "Target groups"):
// - 1-100 targets per register/deregister call; per-target problems come back in `unsuccessful`
//   as {id, port, failureCode, failureMessage}. Target.port "For HTTP, the default is 80. For
//   HTTPS, the default is 443", i.e. the target group's port; TargetFailure.port "doesn't apply if
//   the target is a Lambda function".
// - "If it's a Lambda target, you can only have one target in a target group"; ALB target groups
//   likewise take one load balancer.
// - Target ids: INSTANCE an instance id, IP an IP address (of the group's ipAddressType), LAMBDA a
//   function ARN, ALB a load balancer ARN.
// - TargetSummary.status: DRAINING, UNAVAILABLE ("Health checks are unavailable for the target
//   group"), HEALTHY, UNHEALTHY, INITIAL ("Initial health checks on the target are being
//   performed"), UNUSED ("Target group is not used in a service").
// - Reason codes are not documented. `TargetGroupNotInUse` (with UNUSED) and
//   `HealthCheckNotSupported` (with UNAVAILABLE, Lambda targets) are what real ListTargets calls
//   return, as quoted in Terraform AWS provider errors ("unexpected state 'UNUSED' … last error:
//   TargetGroupNotInUse") and field notes. `HealthCheckDisabled` and `HealthCheckInProgress` follow
//   the same naming and are [unverified].
// - The failure codes (`InvalidTargetId`, `InvalidTargetPort`, `TooManyTargets`, `TargetNotFound`)
//   are not documented either and are [unverified]; the quota (targets per target group, 1,000 by
//   default) is enforced for the whole call with ServiceQuotaExceededException, which
//   RegisterTargets lists among its errors.
import { isIP } from 'node:net';
import type * as L from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Ctx } from './context.ts';
import { isInUse, resolveTargetGroup, type TargetGroupRecord } from './targetgroups.ts';

export interface TargetRecord {
  /** The store id (`<tgId>/<targetId>:<port>`), kept on the record so pending writes overlay it. */
  id: string;
  tgId: string;
  account: string;
  targetId: string;
  /** Absent for Lambda targets. */
  port?: number;
  registeredAt: string;
  /** Set by DeregisterTargets: no new requests; the record goes after the deregistration delay. */
  drainingSince?: string;
}

export const TARGET = 'target';
export const targetKey = (tgId: string, targetId: string, port: number | undefined) =>
  port === undefined ? `${tgId}/${targetId}` : `${tgId}/${targetId}:${port}`;

/** The registered targets of a target group, in registration order. */
export function targetsOf(ctx: Ctx, tgId: string): TargetRecord[] {
  return [...ctx.where<TargetRecord>('target.tgId', tgId)];
}

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]+))?$/;
const ALB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;

/** Why a target id does not fit the target group, or undefined when it does. */
function badTargetId(tg: TargetGroupRecord, id: string): string | undefined {
  switch (tg.type) {
    case 'IP': {
      const family = isIP(id);
      const want = tg.config.ipAddressType === 'IPV6' ? 6 : 4;
      if (family === want) return undefined;
      return family === 0 ? `${id} is not an IP address.` : `${id} is not an IPv${want} address; the target group's IP address type is ${tg.config.ipAddressType}.`;
    }
    case 'INSTANCE':
      return INSTANCE_ID.test(id) ? undefined : `${id} is not an EC2 instance ID.`;
    case 'LAMBDA':
      return LAMBDA_ARN.test(id) ? undefined : `${id} is not a Lambda function ARN.`;
    case 'ALB':
      return ALB_ARN.test(id) ? undefined : `${id} is not an Application Load Balancer ARN.`;
  }
}

/** A Target of a validated input (its required id is present). */
type TargetInput = { id: string; port?: number };

/** The port a target is registered on: none for Lambda, else as given or the group's port. */
const portFor = (tg: TargetGroupRecord, t: TargetInput) => (tg.type === 'LAMBDA' ? undefined : t.port ?? tg.config.port);

/**
 * A target's status until the health checker reports: UNUSED when no service forwards to the
 * group; UNAVAILABLE when health checks cannot run (Lambda/ALB groups) or are disabled; else
 * INITIAL (checks pending).
 */
function statusOf(tg: TargetGroupRecord, inUse: boolean): { status: L.TargetStatus; reasonCode: string } {
  if (!inUse) return { status: 'UNUSED', reasonCode: 'TargetGroupNotInUse' };
  if (tg.type === 'LAMBDA' || tg.type === 'ALB') return { status: 'UNAVAILABLE', reasonCode: 'HealthCheckNotSupported' };
  if (!tg.config.healthCheck?.enabled) return { status: 'UNAVAILABLE', reasonCode: 'HealthCheckDisabled' };
  return { status: 'INITIAL', reasonCode: 'HealthCheckInProgress' };
}

const DRAINING_REASON = 'Target.DeregistrationInProgress';

const failure = (id: string, port: number | undefined, failureCode: string, failureMessage: string): L.TargetFailure =>
  ({ id, ...(port !== undefined ? { port } : {}), failureCode, failureMessage });

export const targetHandlers = {
  RegisterTargets(ctx, input) {
    const tg = resolveTargetGroup(ctx, input.targetGroupIdentifier);
    const existing = targetsOf(ctx, tg.id);
    const registered = new Set(existing.map((t) => t.id));
    const successful: L.Target[] = [];
    const unsuccessful: L.TargetFailure[] = [];
    const accepted = new Map<string, TargetRecord>();
    // Lambda and ALB groups hold one target: the one already registered, else the first valid one.
    const single = tg.type === 'LAMBDA' || tg.type === 'ALB';
    let only: string | undefined = single ? existing[0]?.targetId : undefined;

    for (const t of input.targets as TargetInput[]) {
      const port = portFor(tg, t);
      if (tg.type === 'LAMBDA' && t.port !== undefined) {
        unsuccessful.push(failure(t.id, t.port, 'InvalidTargetPort', 'A port is not supported for Lambda targets.'));
        continue;
      }
      const bad = badTargetId(tg, t.id);
      if (bad) {
        unsuccessful.push(failure(t.id, port, 'InvalidTargetId', bad));
        continue;
      }
      if (single) {
        if (only !== undefined && only !== t.id) {
          unsuccessful.push(failure(t.id, port, 'TooManyTargets', `A target group of type ${tg.type} can have only one target; ${only} is registered.`));
          continue;
        }
        only = t.id;
      }
      const key = targetKey(tg.id, t.id, port);
      // Registering an already-registered id and port again succeeds and changes nothing, except
      // that a draining target is taken back.
      const draining = ctx.get<TargetRecord>(TARGET, key)?.drainingSince !== undefined;
      if ((!registered.has(key) || draining) && !accepted.has(key)) {
        accepted.set(key, { id: key, tgId: tg.id, account: tg.account, targetId: t.id, ...(port !== undefined ? { port } : {}), registeredAt: ctx.timestamp });
      }
      successful.push({ id: t.id, ...(port !== undefined ? { port } : {}) });
    }

    if (accepted.size > 0) {
      const added = [...accepted.keys()].filter((k) => !registered.has(k)).length;
      if (added > 0) ctx.checkQuota('targetsPerTargetGroup', existing.length + added - 1, 'TARGET_GROUP', tg.id);
      for (const [key, rec] of accepted) ctx.put(TARGET, key, rec);
    }
    return { successful, unsuccessful };
  },

  DeregisterTargets(ctx, input) {
    const tg = resolveTargetGroup(ctx, input.targetGroupIdentifier);
    const successful: L.Target[] = [];
    const unsuccessful: L.TargetFailure[] = [];
    for (const t of input.targets as TargetInput[]) {
      const port = portFor(tg, t);
      const key = targetKey(tg.id, t.id, port);
      const rec = ctx.get<TargetRecord>(TARGET, key);
      if (rec === undefined) {
        unsuccessful.push(failure(t.id, port, 'TargetNotFound', `Target ${t.id}${port !== undefined ? ` on port ${port}` : ''} is not registered with target group ${tg.id}.`));
        continue;
      }
      // The target drains: no new requests, in-flight ones finish; the server removes the record
      // once the deregistration delay has passed (at once when the delay is 0).
      if (ctx.runtime.deregistrationDelaySeconds === 0) ctx.del(TARGET, key);
      else if (rec.drainingSince === undefined) ctx.put(TARGET, key, { ...rec, drainingSince: ctx.timestamp });
      successful.push({ id: t.id, ...(port !== undefined ? { port } : {}) });
    }
    return { successful, unsuccessful };
  },

  ListTargets(ctx, input) {
    const tg = resolveTargetGroup(ctx, input.targetGroupIdentifier);
    const filter = (input.targets ?? []) as TargetInput[];
    // A filter entry without a port matches the id on any port.
    const wanted = (t: TargetRecord) => filter.length === 0 || filter.some((f) => f.id === t.targetId && (f.port === undefined || f.port === t.port));
    const fallback = statusOf(tg, isInUse(ctx, tg));
    return ctx.page(targetsOf(ctx, tg.id).filter(wanted), input, (t: TargetRecord): L.TargetSummary => {
      // The health checker's verdict where it has one; it knows DRAINING, UNUSED and UNAVAILABLE too.
      const verdict = t.drainingSince !== undefined ? { status: 'DRAINING' as const, reasonCode: DRAINING_REASON } : ctx.runtime.targetHealth(t.id) ?? fallback;
      return { id: t.targetId, ...(t.port !== undefined ? { port: t.port } : {}), status: verdict.status, ...(verdict.reasonCode ? { reasonCode: verdict.reasonCode } : {}) };
    });
  },
} satisfies Partial<Handlers>;
