// Access log subscriptions (als-): where Lattice sends the access logs of a service network,
// a service or a resource configuration.
//
// AWS facts this follows (API Reference CreateAccessLogSubscription / UpdateAccessLogSubscription,
// User Guide "Access logs", and the AWS Gateway API controller for Lattice, which documents how the
// service reacts):
// - Destinations are CloudWatch Logs log groups, S3 buckets and Firehose delivery streams.
// - A resource has at most one subscription per destination type ("a target can have 1 for an S3
//   bucket, 1 for a CloudWatch log group and 1 for a Firehose delivery stream at a time"); a second
//   one of the same type is a ConflictException.
// - UpdateAccessLogSubscription only changes destinationArn, and cannot change the destination's
//   type: the controller replaces the subscription when Update answers ConflictException.
// - serviceNetworkLogType (SERVICE | RESOURCE, default SERVICE) is the "log type of the service
//   network": service logs (VpcLatticeAccessLogs) or resource access logs
//   (VpcLatticeResourceAccessLogs), which are configured separately. We accept it for service
//   networks only (ValidationException elsewhere; [unverified] what AWS answers for a service) and
//   count the one-per-destination-type rule per log type.
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { conflict, notFound, validation } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';

export type ServiceNetworkLogType = 'SERVICE' | 'RESOURCE';

export interface AccessLogSubscriptionRecord extends Base {
  resourceId: string;
  resourceArn: string;
  destinationArn: string;
  /** Only on subscriptions of service networks. */
  serviceNetworkLogType?: ServiceNetworkLogType;
}

export const ALS = 'als';
export const alsArn = (ctx: Ctx, id: string) => ctx.arn(`accesslogsubscription/${id}`);

/** The tables and error resource types of what a resourceIdentifier (sn-, svc-, rcfg-) names. */
const TARGETS: Record<string, { table: string; type: string }> = {
  sn: { table: 'sn', type: 'SERVICE_NETWORK' },
  svc: { table: 'svc', type: 'SERVICE' },
  rcfg: { table: 'rcfg', type: 'RESOURCE_CONFIGURATION' },
};

/** Resolves the service network, service or resource configuration a resourceIdentifier names. */
export function resolveLoggable(ctx: Ctx, identifier: string): { rec: Base; table: string; type: string } {
  const id = idOf(identifier);
  const target = TARGETS[id.slice(0, id.indexOf('-'))];
  if (!target) throw notFound('SERVICE_NETWORK', identifier);
  return { rec: ctx.resolve<Base>(target.table, identifier, target.type), ...target };
}

export type DestinationType = 'CLOUDWATCH_LOGS' | 'S3' | 'FIREHOSE';

const DESTINATIONS: [DestinationType, RegExp][] = [
  // arn:aws:logs:us-east-1:123456789012:log-group:name (optionally with the ":*" CloudWatch adds).
  ['CLOUDWATCH_LOGS', /^arn:[a-z0-9-]+:logs:[a-z0-9-]+:\d{12}:log-group:[\w\-./#]{1,512}(:\*)?$/],
  // arn:aws:s3:::bucket (3-63 chars of a-z, 0-9, dots and hyphens).
  ['S3', /^arn:[a-z0-9-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/],
  // arn:aws:firehose:us-east-1:123456789012:deliverystream/name (1-64 chars).
  ['FIREHOSE', /^arn:[a-z0-9-]+:firehose:[a-z0-9-]+:\d{12}:deliverystream\/[a-zA-Z0-9_.-]{1,64}$/],
];

/** The kind of destination an ARN names, or undefined when Lattice cannot deliver logs there. */
export function destinationType(arn: string): DestinationType | undefined {
  for (const [type, re] of DESTINATIONS) if (re.test(arn)) return type;
  return undefined;
}

function checkDestination(arn: string): DestinationType {
  const type = destinationType(arn);
  if (!type) {
    const message = 'The destination must be a CloudWatch Logs log group (arn:aws:logs:<region>:<account>:log-group:<name>), '
      + 'an S3 bucket (arn:aws:s3:::<bucket>) or a Firehose delivery stream (arn:aws:firehose:<region>:<account>:deliverystream/<name>).';
    throw validation(`Invalid destinationArn ${arn}. ${message}`, 'fieldValidationFailed', [{ name: 'destinationArn', message }]);
  }
  return type;
}

/** Throws ConflictException when another subscription of the resource has the same key. */
function checkOneOfEachType(ctx: Ctx, resourceId: string, logType: string | undefined, type: DestinationType, exceptId?: string): void {
  for (const other of ctx.where<AccessLogSubscriptionRecord>('als.resourceId', resourceId)) {
    if (other.id === exceptId || other.serviceNetworkLogType !== logType) continue;
    if (destinationType(other.destinationArn) === type) {
      throw conflict(
        `Resource ${resourceId} already has access log subscription ${other.id} with a destination of type ${type}`
          + (logType ? ` for log type ${logType}` : '') + '; a resource can have one subscription per destination type.',
        'ACCESS_LOG_SUBSCRIPTION', other.id,
      );
    }
  }
}

const resolveSubscription = (ctx: Ctx, identifier: string) =>
  ctx.resolve<AccessLogSubscriptionRecord>(ALS, identifier, 'ACCESS_LOG_SUBSCRIPTION');

const withLogType = (rec: AccessLogSubscriptionRecord) => (rec.serviceNetworkLogType ? { serviceNetworkLogType: rec.serviceNetworkLogType } : {});

export const accessLogHandlers = {
  CreateAccessLogSubscription(ctx, input) {
    const target = resolveLoggable(ctx, input.resourceIdentifier);
    let logType: ServiceNetworkLogType | undefined;
    if (target.table === 'sn') {
      logType = input.serviceNetworkLogType ?? 'SERVICE';
    } else if (input.serviceNetworkLogType !== undefined) {
      const message = 'serviceNetworkLogType applies to service networks only.';
      throw validation(message, 'fieldValidationFailed', [{ name: 'serviceNetworkLogType', message }]);
    }
    const type = checkDestination(input.destinationArn);
    checkOneOfEachType(ctx, target.rec.id, logType, type);
    const base = ctx.stamp('als', (id) => alsArn(ctx, id), input.tags);
    const rec: AccessLogSubscriptionRecord = {
      ...base, resourceId: target.rec.id, resourceArn: target.rec.arn, destinationArn: input.destinationArn,
      ...(logType ? { serviceNetworkLogType: logType } : {}),
    };
    ctx.put(ALS, rec.id, rec);
    return { id: rec.id, arn: rec.arn, resourceId: rec.resourceId, resourceArn: rec.resourceArn, destinationArn: rec.destinationArn, ...withLogType(rec) };
  },

  GetAccessLogSubscription(ctx, input) {
    const rec = resolveSubscription(ctx, input.accessLogSubscriptionIdentifier);
    return {
      id: rec.id, arn: rec.arn, resourceId: rec.resourceId, resourceArn: rec.resourceArn, destinationArn: rec.destinationArn,
      ...withLogType(rec), createdAt: new Date(rec.createdAt), lastUpdatedAt: new Date(rec.lastUpdatedAt),
    };
  },

  ListAccessLogSubscriptions(ctx, input) {
    const target = resolveLoggable(ctx, input.resourceIdentifier);
    const mine = function* () {
      for (const s of ctx.where<AccessLogSubscriptionRecord>('als.resourceId', target.rec.id)) if (s.account === ctx.account) yield s;
    };
    return ctx.page(mine(), input, (s) => ({
      id: s.id, arn: s.arn, resourceId: s.resourceId, resourceArn: s.resourceArn, destinationArn: s.destinationArn,
      ...withLogType(s), createdAt: new Date(s.createdAt), lastUpdatedAt: new Date(s.lastUpdatedAt),
    }));
  },

  UpdateAccessLogSubscription(ctx, input) {
    const rec = resolveSubscription(ctx, input.accessLogSubscriptionIdentifier);
    const type = checkDestination(input.destinationArn);
    const current = destinationType(rec.destinationArn);
    if (type !== current) {
      throw conflict(
        `Access log subscription ${rec.id} delivers to a destination of type ${current}; it cannot change to ${type}. `
          + 'Create a new subscription for the new destination type and delete this one.',
        'ACCESS_LOG_SUBSCRIPTION', rec.id,
      );
    }
    const updated: AccessLogSubscriptionRecord = { ...rec, destinationArn: input.destinationArn, lastUpdatedAt: ctx.timestamp };
    ctx.put(ALS, rec.id, updated);
    return { id: updated.id, arn: updated.arn, resourceId: updated.resourceId, resourceArn: updated.resourceArn, destinationArn: updated.destinationArn };
  },

  DeleteAccessLogSubscription(ctx, input) {
    const rec = resolveSubscription(ctx, input.accessLogSubscriptionIdentifier);
    ctx.del(ALS, rec.id);
    return {};
  },
} satisfies Partial<Handlers>;
