// Auth policies: the IAM resource policy a service network or service evaluates when its authType
// is AWS_IAM. Stored at `authpolicy/<resourceId>`.
//
// AWS facts this follows (API Reference PutAuthPolicy / GetAuthPolicy):
// - The policy is attached to a service network or a service ("The ID or ARN of the service network
//   or service for which the policy is created"); the identifier's pattern also admits rcfg- ids
//   (the shape is shared with access logs), but resource configurations have no authType and no
//   auth policy, so PutAuthPolicy refuses them with a ValidationException [unverified wording].
// - state is Active only while the resource's authType is AWS_IAM; with NONE the policy stays
//   Inactive. GetAuthPolicy computes it from the current authType.
// - The docs say the policy "must not contain newlines or blank lines"; we do not reject those
//   [unverified whether AWS does], only documents that are not policies.
// - A resource without a policy: GetAuthPolicy and DeleteAuthPolicy answer
//   ResourceNotFoundException with resourceType AUTH_POLICY [unverified; the docs only list the
//   exception].
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { notFound, validation } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';
import { parsePolicy, type Policy } from '../../iam/policy/parse.ts';

/** A policy attached to a resource: auth policies here, resource policies in resourcepolicies.ts. */
export interface AuthPolicyRecord {
  account: string;
  resourceId: string;
  resourceArn: string;
  policy: string;
  createdAt: string;
  lastUpdatedAt: string;
}

/** Validates and stores a policy for a resource, keeping its creation time when it replaces one. */
export function putPolicy(ctx: Ctx, table: string, rec: Base, text: string): AuthPolicyRecord {
  requirePolicyDocument(text);
  const now = ctx.timestamp;
  const policy: AuthPolicyRecord = {
    account: rec.account, resourceId: rec.id, resourceArn: rec.arn, policy: text,
    createdAt: ctx.get<AuthPolicyRecord>(table, rec.id)?.createdAt ?? now, lastUpdatedAt: now,
  };
  return ctx.put(table, rec.id, policy);
}

export const AUTH_POLICY = 'authpolicy';

interface AuthTyped extends Base { authType?: 'NONE' | 'AWS_IAM' }

const TARGETS: Record<string, { table: string; type: string }> = {
  sn: { table: 'sn', type: 'SERVICE_NETWORK' },
  svc: { table: 'svc', type: 'SERVICE' },
  rcfg: { table: 'rcfg', type: 'RESOURCE_CONFIGURATION' },
};

function resolveTarget(ctx: Ctx, identifier: string): { rec: AuthTyped; table: string } {
  const id = idOf(identifier);
  const target = TARGETS[id.slice(0, id.indexOf('-'))];
  if (!target) throw notFound('SERVICE_NETWORK', identifier);
  return { rec: ctx.resolve<AuthTyped>(target.table, identifier, target.type), table: target.table };
}

const stateOf = (rec: AuthTyped) => (rec.authType === 'AWS_IAM' ? 'Active' as const : 'Inactive' as const);

/**
 * A policy as PutAuthPolicy and PutResourcePolicy accept it: the IAM policy language, parsed by the
 * same engine that evaluates it, as a resource-based policy (every statement names its Principal).
 * A malformed policy is a ValidationException saying where.
 */
export function requirePolicyDocument(text: string): Policy {
  const parsed = parsePolicy(text, { kind: 'resource' });
  if (!parsed.ok) throw validation(`Invalid policy: ${parsed.error}.`, 'fieldValidationFailed', [{ name: 'policy', message: parsed.error }]);
  return parsed.policy;
}

// ---------------------------------------------------------------------------------------------

export const authPolicyHandlers = {
  PutAuthPolicy(ctx, input) {
    const { rec, table } = resolveTarget(ctx, input.resourceIdentifier);
    if (table === 'rcfg') {
      const message = 'Auth policies can be attached to service networks and services only.';
      throw validation(message, 'fieldValidationFailed', [{ name: 'resourceIdentifier', message }]);
    }
    const policy = putPolicy(ctx, AUTH_POLICY, rec, input.policy);
    return { policy: policy.policy, state: stateOf(rec) };
  },

  GetAuthPolicy(ctx, input) {
    const { rec } = resolveTarget(ctx, input.resourceIdentifier);
    const policy = ctx.get<AuthPolicyRecord>(AUTH_POLICY, rec.id);
    if (!policy) throw notFound('AUTH_POLICY', input.resourceIdentifier, `No auth policy is attached to ${rec.id}.`);
    return { policy: policy.policy, state: stateOf(rec), createdAt: new Date(policy.createdAt), lastUpdatedAt: new Date(policy.lastUpdatedAt) };
  },

  DeleteAuthPolicy(ctx, input) {
    const { rec } = resolveTarget(ctx, input.resourceIdentifier);
    if (!ctx.get<AuthPolicyRecord>(AUTH_POLICY, rec.id)) throw notFound('AUTH_POLICY', input.resourceIdentifier, `No auth policy is attached to ${rec.id}.`);
    ctx.del(AUTH_POLICY, rec.id);
    return {};
  },
} satisfies Partial<Handlers>;
