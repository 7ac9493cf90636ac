// Target groups (tg-): where a listener's or rule's forward action sends requests. Four types:
//   IP / INSTANCE: port, protocol (HTTP|HTTPS|TCP), protocolVersion, vpcIdentifier, healthCheck;
//                  IP adds ipAddressType.
//   ALB:           port, protocol (HTTP|HTTPS), protocolVersion (HTTP1|HTTP2), vpcIdentifier; no
//                  health check (the ALB checks its own targets).
//   LAMBDA:        only lambdaEventStructureVersion.
// The record keeps the *effective* config (defaults filled) so GetTargetGroup shows what applies.
//
// Facts relied on (AWS API Reference TargetGroupConfig / HealthCheckConfig, User Guide "Target
// groups", "Health checks for your VPC Lattice target groups"):
// - port "For HTTP, the default is 80. For HTTPS, the default is 443. Not supported if the target
//   group type is LAMBDA"; protocol, protocolVersion (default HTTP1) and vpcIdentifier likewise not
//   supported for LAMBDA; ipAddressType "Supported only if the target group type is IP. The default
//   is IPV4"; lambdaEventStructureVersion "Supported only if the target group type is LAMBDA. The
//   default is V1"; healthCheck "Not supported if the target group type is LAMBDA or ALB".
// - "TCP target groups are supported only by TLS listeners" (the listener family checks that).
// - Health checks: enabled by default when the TG protocol version is HTTP1, not by default for
//   HTTP2; not supported for GRPC (an enabled check must use protocol version HTTP1 or HTTP2).
//   Protocol HTTP or HTTPS (default HTTP); port defaults to each target's traffic port (so it stays
//   unset unless given); path default "/"; interval 5-300 (default 30); timeout 1-120 (default 5);
//   healthy threshold 2-10 (default 5); unhealthy threshold 2-10 (default 2); "Specify 0 to reset
//   this setting to its default value" (hence the model's minimum of 0). Matcher default "200"
//   [unverified: the Lattice docs give no default; ELB's HTTP default is 200].
// - DeleteTargetGroup returns 200 {id, arn, status: DELETE_IN_PROGRESS}; it fails with a
//   ConflictException while a listener or rule forwards to the group (message wording after
//   ELB's "Target group '…' is currently in use by a listener or a rule" [unverified for Lattice]).
// - A config for IP/INSTANCE/ALB without protocol or vpcIdentifier is rejected: the older
//   CloudFormation schema marked port/protocol/vpcIdentifier required before LAMBDA targets
//   existed; port may be left out where the protocol implies it (HTTP 80, HTTPS 443).
import type * as L from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { conflict, notFound, validation } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';
import type { VpcRecord } from '../ec2/vpcs.ts';

export type TargetGroupType = 'IP' | 'INSTANCE' | 'LAMBDA' | 'ALB';

export interface HealthCheckRecord {
  enabled: boolean;
  protocol: 'HTTP' | 'HTTPS';
  protocolVersion: 'HTTP1' | 'HTTP2';
  /** Absent: each target's traffic port. */
  port?: number;
  path: string;
  healthCheckIntervalSeconds: number;
  healthCheckTimeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  matcher: { httpCode: string };
}

export interface TargetGroupConfigRecord {
  port?: number;
  protocol?: 'HTTP' | 'HTTPS' | 'TCP';
  protocolVersion?: 'HTTP1' | 'HTTP2' | 'GRPC';
  ipAddressType?: 'IPV4' | 'IPV6';
  vpcIdentifier?: string;
  healthCheck?: HealthCheckRecord;
  lambdaEventStructureVersion?: 'V1' | 'V2';
}

export interface TargetGroupRecord extends Base {
  name: string;
  type: TargetGroupType;
  status: string;
  config: TargetGroupConfigRecord;
}

export const TG = 'tg';
export const tgArn = (ctx: Ctx, id: string) => ctx.arn(`targetgroup/${id}`);

export const resolveTargetGroup = (ctx: Ctx, identifier: string) => ctx.resolve<TargetGroupRecord>(TG, identifier, 'TARGET_GROUP');

// ---------------------------------------------------------------------------------------------
// Usage: which services forward to a target group (listener default actions and rule actions).

interface ActionHolder { account: string; serviceId: string; action?: L.RuleAction; defaultAction?: L.RuleAction }

/** Whether a stored RuleAction forwards to the target group (ids are stored; ARNs tolerated). */
export function forwardsTo(action: L.RuleAction | undefined, tgId: string): boolean {
  const groups = action && 'forward' in action ? action.forward?.targetGroups : undefined;
  return !!groups?.some((g) => g.targetGroupIdentifier !== undefined && idOf(g.targetGroupIdentifier) === tgId);
}

/**
 * Ids of the services whose listeners or rules forward to the target group, in first-seen order
 * (listeners, then rules, each in creation order).
 */
export function servicesUsing(ctx: Ctx, tg: { id: string; account: string }): string[] {
  const ids = new Set<string>();
  for (const l of ctx.where<ActionHolder>('listener.targetGroup', tg.id)) {
    if (l.account === tg.account && forwardsTo(l.defaultAction, tg.id)) ids.add(l.serviceId);
  }
  for (const r of ctx.where<ActionHolder>('rule.targetGroup', tg.id)) {
    if (r.account === tg.account && forwardsTo(r.action, tg.id)) ids.add(r.serviceId);
  }
  return [...ids];
}

export const isInUse = (ctx: Ctx, tg: { id: string; account: string }) => servicesUsing(ctx, tg).length > 0;

function serviceArns(ctx: Ctx, tg: TargetGroupRecord): string[] {
  const arns: string[] = [];
  for (const id of servicesUsing(ctx, tg)) {
    const svc = ctx.get<{ arn: string }>('svc', id);
    if (svc) arns.push(svc.arn);
  }
  return arns;
}

// ---------------------------------------------------------------------------------------------
// Config rules.

type FieldErr = { name: string; message: string };

function invalid(fields: FieldErr[]): never {
  const message = fields.length === 1 ? fields[0].message : `${fields.length} validation errors detected: ${fields.map((f) => f.message).join('; ')}`;
  throw validation(message, 'fieldValidationFailed', fields);
}

export const HEALTH_CHECK_DEFAULTS = {
  protocol: 'HTTP',
  protocolVersion: 'HTTP1',
  path: '/',
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 5,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  httpCode: '200',
} as const;

/** `value` when in range, the default when 0 or absent ("Specify 0 to reset this setting to its default value"). */
function ranged(errors: FieldErr[], name: string, value: number | undefined, current: number, min: number, max: number, fallback: number): number {
  if (value === undefined) return current;
  if (value === 0) return fallback;
  if (value < min || value > max) {
    errors.push({ name, message: `${name} must be between ${min} and ${max} (or 0 for the default of ${fallback}).` });
    return current;
  }
  return value;
}

/**
 * The effective health check: `input` laid over `current` (or over the defaults for a new target
 * group of the given protocol version). Throws a ValidationException naming the bad fields.
 */
export function mergeHealthCheck(input: L.HealthCheckConfig | undefined, current: HealthCheckRecord | undefined, tgProtocolVersion: string | undefined, prefix: string): HealthCheckRecord {
  const d = HEALTH_CHECK_DEFAULTS;
  const base: HealthCheckRecord = current ?? {
    // Enabled by default only for HTTP1 target groups (User Guide, "Health checks").
    enabled: (tgProtocolVersion ?? 'HTTP1') === 'HTTP1',
    protocol: d.protocol,
    protocolVersion: d.protocolVersion,
    path: d.path,
    healthCheckIntervalSeconds: d.healthCheckIntervalSeconds,
    healthCheckTimeoutSeconds: d.healthCheckTimeoutSeconds,
    healthyThresholdCount: d.healthyThresholdCount,
    unhealthyThresholdCount: d.unhealthyThresholdCount,
    matcher: { httpCode: d.httpCode },
  };
  if (!input) return base;
  const errors: FieldErr[] = [];
  const f = (n: string) => `${prefix}.${n}`;
  if (input.protocol !== undefined && input.protocol !== 'HTTP' && input.protocol !== 'HTTPS') {
    errors.push({ name: f('protocol'), message: `${f('protocol')} must be HTTP or HTTPS; health checks do not support ${input.protocol}.` });
  }
  const out: HealthCheckRecord = {
    enabled: input.enabled ?? base.enabled,
    protocol: input.protocol === 'HTTP' || input.protocol === 'HTTPS' ? input.protocol : base.protocol,
    protocolVersion: input.protocolVersion ?? base.protocolVersion,
    path: input.path !== undefined ? (input.path === '' ? d.path : input.path) : base.path,
    healthCheckIntervalSeconds: ranged(errors, f('healthCheckIntervalSeconds'), input.healthCheckIntervalSeconds, base.healthCheckIntervalSeconds, 5, 300, d.healthCheckIntervalSeconds),
    healthCheckTimeoutSeconds: ranged(errors, f('healthCheckTimeoutSeconds'), input.healthCheckTimeoutSeconds, base.healthCheckTimeoutSeconds, 1, 120, d.healthCheckTimeoutSeconds),
    healthyThresholdCount: ranged(errors, f('healthyThresholdCount'), input.healthyThresholdCount, base.healthyThresholdCount, 2, 10, d.healthyThresholdCount),
    unhealthyThresholdCount: ranged(errors, f('unhealthyThresholdCount'), input.unhealthyThresholdCount, base.unhealthyThresholdCount, 2, 10, d.unhealthyThresholdCount),
    matcher: { httpCode: input.matcher && 'httpCode' in input.matcher && input.matcher.httpCode ? input.matcher.httpCode : base.matcher.httpCode },
  };
  // Port 0 (the model's minimum) means "the traffic port", like the other 0 resets.
  if (input.port !== undefined) { if (input.port !== 0) out.port = input.port; } else if (base.port !== undefined) out.port = base.port;
  if (!/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(out.matcher.httpCode)) {
    errors.push({ name: f('matcher.httpCode'), message: `${f('matcher.httpCode')} must be HTTP codes like 200, 200,202 or 200-299.` });
  }
  if (errors.length) invalid(errors);
  return out;
}

/** The effective config of a new target group of `type`, or a ValidationException. */
function effectiveConfig(ctx: Ctx, type: TargetGroupType, config: L.TargetGroupConfig | undefined): TargetGroupConfigRecord {
  const c = config ?? {};
  const notFor = (field: keyof L.TargetGroupConfig, what: string): FieldErr | undefined =>
    c[field] !== undefined ? { name: `config.${field}`, message: `config.${field} is not supported for target groups of type ${what}.` } : undefined;

  if (type === 'LAMBDA') {
    const errors = (['port', 'protocol', 'protocolVersion', 'ipAddressType', 'vpcIdentifier', 'healthCheck'] as const)
      .map((k) => notFor(k, 'LAMBDA')).filter((e): e is FieldErr => !!e);
    if (errors.length) invalid(errors);
    return { lambdaEventStructureVersion: c.lambdaEventStructureVersion ?? 'V1' };
  }

  if (!config) invalid([{ name: 'config', message: `config is required for target groups of type ${type}.` }]);
  const errors: FieldErr[] = [];
  const push = (e: FieldErr | undefined) => { if (e) errors.push(e); };
  push(notFor('lambdaEventStructureVersion', type));
  if (type !== 'IP') push(notFor('ipAddressType', type));
  if (c.protocol === undefined) errors.push({ name: 'config.protocol', message: `config.protocol is required for target groups of type ${type}.` });
  if (c.vpcIdentifier === undefined) errors.push({ name: 'config.vpcIdentifier', message: `config.vpcIdentifier is required for target groups of type ${type}.` });
  if (type === 'ALB') {
    if (c.protocol === 'TCP') errors.push({ name: 'config.protocol', message: 'config.protocol must be HTTP or HTTPS for target groups of type ALB.' });
    if (c.protocolVersion === 'GRPC') errors.push({ name: 'config.protocolVersion', message: 'config.protocolVersion must be HTTP1 or HTTP2 for target groups of type ALB.' });
    push(notFor('healthCheck', 'ALB; the Application Load Balancer checks the health of its own targets'));
  }
  if (c.protocolVersion === 'GRPC' && c.protocol === 'TCP') {
    errors.push({ name: 'config.protocolVersion', message: 'config.protocolVersion GRPC requires protocol HTTP or HTTPS.' });
  }
  const port = c.port ?? (c.protocol === 'HTTP' ? 80 : c.protocol === 'HTTPS' ? 443 : undefined);
  if (port === undefined && c.protocol === 'TCP') errors.push({ name: 'config.port', message: 'config.port is required when config.protocol is TCP.' });
  if (errors.length) invalid(errors);

  const vpc = ctx.get<VpcRecord>('vpc', c.vpcIdentifier!);
  if (!vpc || vpc.account !== ctx.account) throw notFound('VPC', c.vpcIdentifier!, `VPC ${c.vpcIdentifier} not found.`);

  const protocolVersion = c.protocolVersion ?? 'HTTP1';
  const out: TargetGroupConfigRecord = { port, protocol: c.protocol, protocolVersion, vpcIdentifier: vpc.id };
  if (type === 'IP') out.ipAddressType = c.ipAddressType ?? 'IPV4';
  if (type !== 'ALB') out.healthCheck = mergeHealthCheck(c.healthCheck, undefined, protocolVersion, 'config.healthCheck');
  return out;
}

const configOut = (c: TargetGroupConfigRecord): L.TargetGroupConfig => ({ ...c, healthCheck: c.healthCheck ? { ...c.healthCheck, matcher: { httpCode: c.healthCheck.matcher.httpCode } } : undefined });

// ---------------------------------------------------------------------------------------------

export const targetGroupHandlers = {
  CreateTargetGroup(ctx, input) {
    const type = input.type as TargetGroupType;
    for (const tg of ctx.where<TargetGroupRecord>('tg.name', input.name)) {
      if (tg.account === ctx.account) throw conflict(`A target group with the name ${input.name} already exists.`, 'TARGET_GROUP', tg.id);
    }
    const config = effectiveConfig(ctx, type, input.config);
    ctx.checkQuota('targetGroupsPerRegion', ctx.ownedCount(TG), 'TARGET_GROUP');
    const base = ctx.stamp('tg', (id) => tgArn(ctx, id), input.tags);
    const rec: TargetGroupRecord = { ...base, name: input.name, type, status: 'CREATE_IN_PROGRESS', config };
    ctx.put(TG, rec.id, rec);
    return { id: rec.id, arn: rec.arn, name: rec.name, type: rec.type, config: configOut(rec.config), status: 'CREATE_IN_PROGRESS' };
  },

  GetTargetGroup(ctx, input) {
    const tg = resolveTargetGroup(ctx, input.targetGroupIdentifier);
    return {
      id: tg.id, arn: tg.arn, name: tg.name, type: tg.type, config: configOut(tg.config),
      createdAt: new Date(tg.createdAt), lastUpdatedAt: new Date(tg.lastUpdatedAt),
      status: ctx.status(tg) as L.TargetGroupStatus, serviceArns: serviceArns(ctx, tg),
    };
  },

  ListTargetGroups(ctx, input) {
    const matches = function* () {
      for (const tg of ctx.owned<TargetGroupRecord>(TG)) {
        if (input.vpcIdentifier !== undefined && tg.config.vpcIdentifier !== input.vpcIdentifier) continue;
        if (input.targetGroupType !== undefined && tg.type !== input.targetGroupType) continue;
        yield tg;
      }
    };
    return ctx.page(matches(), input, (tg: TargetGroupRecord): L.TargetGroupSummary => ({
      id: tg.id, arn: tg.arn, name: tg.name, type: tg.type,
      createdAt: new Date(tg.createdAt), lastUpdatedAt: new Date(tg.lastUpdatedAt),
      port: tg.config.port, protocol: tg.config.protocol, ipAddressType: tg.config.ipAddressType,
      vpcIdentifier: tg.config.vpcIdentifier, lambdaEventStructureVersion: tg.config.lambdaEventStructureVersion,
      status: ctx.status(tg) as L.TargetGroupStatus, serviceArns: serviceArns(ctx, tg),
    }));
  },

  UpdateTargetGroup(ctx, input) {
    const tg = resolveTargetGroup(ctx, input.targetGroupIdentifier);
    if (tg.type === 'LAMBDA' || tg.type === 'ALB') {
      throw validation(`Health checks are not supported for target groups of type ${tg.type}.`, 'fieldValidationFailed', [
        { name: 'healthCheck', message: `healthCheck is not supported for target groups of type ${tg.type}.` },
      ]);
    }
    const healthCheck = mergeHealthCheck(input.healthCheck, tg.config.healthCheck, tg.config.protocolVersion, 'healthCheck');
    const rec: TargetGroupRecord = { ...tg, config: { ...tg.config, healthCheck }, lastUpdatedAt: ctx.timestamp };
    ctx.put(TG, tg.id, rec);
    return { id: rec.id, arn: rec.arn, name: rec.name, type: rec.type, config: configOut(rec.config), status: ctx.status(tg) as L.TargetGroupStatus };
  },

  DeleteTargetGroup(ctx, input) {
    const tg = resolveTargetGroup(ctx, input.targetGroupIdentifier);
    if (isInUse(ctx, tg)) {
      throw conflict(`Target group ${tg.id} is currently in use by a listener or a rule. Remove it from their actions first.`, 'TARGET_GROUP', tg.id);
    }
    ctx.del(TG, tg.id);
    for (const t of [...ctx.where<{ id: string }>('target.tgId', tg.id)]) ctx.del('target', t.id);
    return { id: tg.id, arn: tg.arn, status: 'DELETE_IN_PROGRESS' };
  },
} satisfies Partial<Handlers>;
