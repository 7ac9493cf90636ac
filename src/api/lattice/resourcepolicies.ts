// Resource policies: the resource-based policy (as AWS RAM writes it) that shares a service
// network, service or resource configuration with other principals. Stored at
// `resourcepolicy/<resourceId>`.
//
// AWS facts this follows (API Reference PutResourcePolicy / GetResourcePolicy /
// DeleteResourcePolicy): resourceArn is the ARN of a service network, service or resource
// configuration (the shape's pattern already checks that); the policy is a PolicyString of
// 1-10,000 characters. A resource without a policy answers ResourceNotFoundException with
// resourceType RESOURCE_POLICY [unverified; the docs only list the exception]. Being
// resource-based, every statement needs a Principal (as in IAM's resource policies).
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { notFound } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';
import { putPolicy, type AuthPolicyRecord } from './authpolicies.ts';

export type ResourcePolicyRecord = AuthPolicyRecord;

export const RESOURCE_POLICY = 'resourcepolicy';

const TYPES: Record<string, string> = { sn: 'SERVICE_NETWORK', svc: 'SERVICE', rcfg: 'RESOURCE_CONFIGURATION' };

/** The caller's service network, service or resource configuration with this ARN. */
function resolveShareable(ctx: Ctx, arn: string): Base {
  const id = idOf(arn);
  const prefix = id.slice(0, id.indexOf('-'));
  const found = ctx.byArn<Base>(arn);
  if (!found || found.table !== prefix) throw notFound(TYPES[prefix] ?? 'SERVICE_NETWORK', arn);
  return found.rec;
}

export const resourcePolicyHandlers = {
  PutResourcePolicy(ctx, input) {
    const rec = resolveShareable(ctx, input.resourceArn);
    putPolicy(ctx, RESOURCE_POLICY, rec, input.policy);
    return {};
  },

  GetResourcePolicy(ctx, input) {
    const rec = resolveShareable(ctx, input.resourceArn);
    const policy = ctx.get<ResourcePolicyRecord>(RESOURCE_POLICY, rec.id);
    if (!policy) throw notFound('RESOURCE_POLICY', input.resourceArn, `No resource policy is attached to ${rec.id}.`);
    return { policy: policy.policy };
  },

  DeleteResourcePolicy(ctx, input) {
    const rec = resolveShareable(ctx, input.resourceArn);
    if (!ctx.get<ResourcePolicyRecord>(RESOURCE_POLICY, rec.id)) {
      throw notFound('RESOURCE_POLICY', input.resourceArn, `No resource policy is attached to ${rec.id}.`);
    }
    ctx.del(RESOURCE_POLICY, rec.id);
    return {};
  },
} satisfies Partial<Handlers>;
