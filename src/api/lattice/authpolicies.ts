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

export interface AuthPolicyRecord {
  account: string;
  resourceId: string;
  resourceArn: string;
  policy: string;
  createdAt: string;
  lastUpdatedAt: string;
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

// ---------------------------------------------------------------------------------------------
// Policy document checks. A small structural validator of the IAM policy language; a full parser
// (with condition operators and evaluation) can replace it. Pure: text in, first problem out.

export interface PolicyCheckOptions {
  /** Resource-based policies that grant to someone else need a Principal in every statement. */
  requirePrincipal?: boolean;
}

const TOP_LEVEL = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string, or a non-empty array of strings. */
function stringOrList(v: unknown, where: string): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? undefined : `${where} must not be empty`;
  if (!Array.isArray(v)) return `${where} must be a string or an array of strings`;
  if (v.length === 0) return `${where} must not be an empty array`;
  const bad = v.findIndex((x) => typeof x !== 'string' || x.length === 0);
  return bad >= 0 ? `${where}[${bad}] must be a non-empty string` : undefined;
}

function checkPrincipal(v: unknown, where: string): string | undefined {
  if (v === '*') return undefined;
  if (!isObject(v)) return `${where} must be "*" or an object such as {"AWS": [...]}`;
  const keys = Object.keys(v);
  if (keys.length === 0) return `${where} must not be empty`;
  for (const k of keys) {
    if (!PRINCIPAL_KEYS.has(k)) return `${where} has an unknown principal type ${k} (expected AWS, Service, Federated or CanonicalUser)`;
    const problem = stringOrList(v[k], `${where}.${k}`);
    if (problem) return problem;
  }
  return undefined;
}

function checkCondition(v: unknown, where: string): string | undefined {
  if (!isObject(v)) return `${where} must be an object of condition operators`;
  for (const [op, block] of Object.entries(v)) {
    if (!/^[A-Za-z][A-Za-z0-9:]*$/.test(op)) return `${where} has an invalid condition operator ${op}`;
    if (!isObject(block) || Object.keys(block).length === 0) return `${where}.${op} must be a non-empty object of condition keys`;
    for (const [key, value] of Object.entries(block)) {
      const ok = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
      if (!(ok(value) || (Array.isArray(value) && value.length > 0 && value.every(ok)))) {
        return `${where}.${op}.${key} must be a string, number, boolean or a non-empty array of them`;
      }
    }
  }
  return undefined;
}

function checkStatement(s: unknown, where: string, opts: PolicyCheckOptions): string | undefined {
  if (!isObject(s)) return `${where} must be an object`;
  for (const k of Object.keys(s)) if (!STATEMENT_KEYS.has(k)) return `${where} has an unknown element ${k}`;
  if (s.Sid !== undefined && typeof s.Sid !== 'string') return `${where}.Sid must be a string`;
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') return `${where}.Effect must be Allow or Deny`;
  if (s.Principal !== undefined && s.NotPrincipal !== undefined) return `${where} cannot have both Principal and NotPrincipal`;
  if (opts.requirePrincipal && s.Principal === undefined && s.NotPrincipal === undefined) return `${where} must have a Principal`;
  for (const k of ['Principal', 'NotPrincipal'] as const) {
    if (s[k] !== undefined) {
      const problem = checkPrincipal(s[k], `${where}.${k}`);
      if (problem) return problem;
    }
  }
  for (const [a, b] of [['Action', 'NotAction'], ['Resource', 'NotResource']] as const) {
    if (s[a] !== undefined && s[b] !== undefined) return `${where} cannot have both ${a} and ${b}`;
    if (s[a] === undefined && s[b] === undefined) return `${where} must have ${a} or ${b}`;
    const k = s[a] !== undefined ? a : b;
    const problem = stringOrList(s[k], `${where}.${k}`);
    if (problem) return problem;
  }
  if (s.Condition !== undefined) return checkCondition(s.Condition, `${where}.Condition`);
  return undefined;
}

/**
 * Checks that `text` is a policy document: a JSON object with an optional Version (2012-10-17 or
 * 2008-10-17) and Id, and a Statement (one object or a non-empty array) whose statements have
 * Effect Allow|Deny, Action or NotAction, Resource or NotResource, and optionally Sid, Principal or
 * NotPrincipal and Condition. Returns a description of the first problem, or undefined.
 */
export function checkPolicyDocument(text: string, opts: PolicyCheckOptions = {}): string | undefined {
  if (text.trim() === '') return 'The policy must not be empty';
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return `The policy is not valid JSON: ${(err as Error).message}`;
  }
  if (!isObject(doc)) return 'The policy must be a JSON object';
  for (const k of Object.keys(doc)) if (!TOP_LEVEL.has(k)) return `The policy has an unknown element ${k}`;
  if (doc.Version !== undefined && !(typeof doc.Version === 'string' && VERSIONS.has(doc.Version))) {
    return 'Version must be 2012-10-17 or 2008-10-17';
  }
  if (doc.Id !== undefined && typeof doc.Id !== 'string') return 'Id must be a string';
  const st = doc.Statement;
  if (st === undefined) return 'The policy must have a Statement';
  if (Array.isArray(st)) {
    if (st.length === 0) return 'Statement must not be an empty array';
    for (let i = 0; i < st.length; i++) {
      const problem = checkStatement(st[i], `Statement[${i}]`, opts);
      if (problem) return problem;
    }
    return undefined;
  }
  return checkStatement(st, 'Statement', opts);
}

/** Throws a ValidationException on the `policy` field when the text is not a policy document. */
export function requirePolicyDocument(text: string, opts: PolicyCheckOptions = {}): void {
  const problem = checkPolicyDocument(text, opts);
  if (problem) throw validation(`Invalid policy: ${problem}.`, 'fieldValidationFailed', [{ name: 'policy', message: problem }]);
}

// ---------------------------------------------------------------------------------------------

export const authPolicyHandlers = {
  PutAuthPolicy(ctx, input) {
    const { rec, table } = resolveTarget(ctx, input.resourceIdentifier);
    if (table === 'rcfg') {
      const message = 'Auth policies can be attached to service networks and services only.';
      throw validation(message, 'fieldValidationFailed', [{ name: 'resourceIdentifier', message }]);
    }
    requirePolicyDocument(input.policy);
    const prior = ctx.get<AuthPolicyRecord>(AUTH_POLICY, rec.id);
    const now = ctx.timestamp;
    const policy: AuthPolicyRecord = {
      account: rec.account, resourceId: rec.id, resourceArn: rec.arn, policy: input.policy,
      createdAt: prior?.createdAt ?? now, lastUpdatedAt: now,
    };
    ctx.put(AUTH_POLICY, rec.id, policy);
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
