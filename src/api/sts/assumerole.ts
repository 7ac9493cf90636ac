// STS AssumeRole and GetCallerIdentity (STS API Reference). AssumeRole checks the role's trust
// policy (and, across accounts, the caller's identity policies) and stores a temporary access key
// (`accesskey/ASIA…`) with its session token and expiration; every Trellis endpoint accepts it
// until then (iam/authenticate.ts). A session policy (Policy) is validated and stored with the key;
// nothing enforces it yet, nor PolicyArns (managed session policies), which are ignored.
import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { Ctx } from '../lattice/context.ts';
import type { QueryParams } from '../ec2/query.ts';
import { accessDenied } from '../../core/errors.ts';
import { ACCESS_KEY, IAM_ROLE, newAccessKey, parseRoleArn, roleKey, sessionArn, type AccessKeyRecord, type IamRoleRecord } from '../../iam/identities.ts';
import { principalOf, type CallerIdentity } from '../../iam/principals.ts';
import { parsePolicy } from '../../iam/policy/parse.ts';
import { evaluateIam, type Request } from '../../iam/policy/evaluate.ts';
import { stsError, validationError, type XmlBody } from './service.ts';

/** An access key (identity data model), with what AssumeRole adds to a session's. */
export type SessionKeyRecord = AccessKeyRecord & {
  /** The role's unique id, so the session's aws:userid `<roleId>:<sessionName>` outlives the role. */
  roleId?: string;
  /** The inline session policy as given (JSON text): stored, not enforced yet. */
  sessionPolicy?: string;
};

const NAME = /^[\w+=,.@-]*$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** AssumeRole's DurationSeconds: 15 minutes to 12 hours; 1 hour when a session assumes a role. */
const MIN_DURATION = 900;
const MAX_DURATION = 43_200;
const CHAINED_MAX_DURATION = 3600;
const DEFAULT_DURATION = 3600;
/** Session policies: at most 2,048 characters of plain text (AssumeRole, "Policy"). */
const MAX_POLICY = 2048;
/**
 * AWS packs session policies and tags into a binary form whose size it reports as a percentage
 * (PackedPolicySize). Trellis packs them with deflate and reports the share of this budget.
 */
const PACKED_BUDGET = 2048;
const PRUNE_BATCH = 100;

/** AssumeRole's parameters, checked. */
interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  duration?: number;
  externalId?: string;
  sessionPolicy?: string;
  sourceIdentity?: string;
  tags: Record<string, string>;
  transitive: string[];
  packed?: number;
}

/**
 * The parameters, checked against the model's constraints first (all reported at once, as STS
 * does: "N validation errors detected"), then for what the constraints can't say.
 */
function readInput(p: QueryParams): AssumeRoleInput {
  const roleArn = p.str('RoleArn');
  const sessionName = p.str('RoleSessionName');
  const durationText = p.str('DurationSeconds');
  const externalId = p.str('ExternalId');
  const sessionPolicy = p.str('Policy');
  const sourceIdentity = p.str('SourceIdentity');
  const tagList = p.list('Tags.member').map((t) => ({ key: t.str('Key') ?? '', value: t.str('Value') ?? '' }));
  const transitive = p.strings('TransitiveTagKeys.member');

  const problems: string[] = [];
  const at = (value: string | null, member: string, constraint: string) =>
    problems.push(`Value ${value === null ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: Member must ${constraint}`);
  if (roleArn === undefined) at(null, 'roleArn', 'not be null');
  else if (roleArn.length < 20 || roleArn.length > 2048) at(roleArn, 'roleArn', roleArn.length < 20 ? 'have length greater than or equal to 20' : 'have length less than or equal to 2048');
  if (sessionName === undefined) at(null, 'roleSessionName', 'not be null');
  else {
    if (!NAME.test(sessionName)) at(sessionName, 'roleSessionName', 'satisfy regular expression pattern: [\\w+=,.@-]*');
    if (sessionName.length < 2) at(sessionName, 'roleSessionName', 'have length greater than or equal to 2');
    if (sessionName.length > 64) at(sessionName, 'roleSessionName', 'have length less than or equal to 64');
  }
  let duration: number | undefined;
  if (durationText !== undefined) {
    duration = /^\d{1,9}$/.test(durationText) ? Number(durationText) : NaN;
    if (Number.isNaN(duration)) at(durationText, 'durationSeconds', 'be an integer');
    else if (duration < MIN_DURATION) at(durationText, 'durationSeconds', `have value greater than or equal to ${MIN_DURATION}`);
    else if (duration > MAX_DURATION) at(durationText, 'durationSeconds', `have value less than or equal to ${MAX_DURATION}`);
  }
  if (externalId !== undefined) {
    if (!EXTERNAL_ID.test(externalId)) at(externalId, 'externalId', 'satisfy regular expression pattern: [\\w+=,.@:\\/-]*');
    if (externalId.length < 2 || externalId.length > 1224) at(externalId, 'externalId', externalId.length < 2 ? 'have length greater than or equal to 2' : 'have length less than or equal to 1224');
  }
  if (sessionPolicy !== undefined && (sessionPolicy.length < 1 || sessionPolicy.length > MAX_POLICY)) {
    at(sessionPolicy, 'policy', sessionPolicy.length < 1 ? 'have length greater than or equal to 1' : `have length less than or equal to ${MAX_POLICY}`);
  }
  if (sourceIdentity !== undefined) {
    if (!NAME.test(sourceIdentity)) at(sourceIdentity, 'sourceIdentity', 'satisfy regular expression pattern: [\\w+=,.@-]*');
    if (sourceIdentity.length < 2 || sourceIdentity.length > 64) at(sourceIdentity, 'sourceIdentity', sourceIdentity.length < 2 ? 'have length greater than or equal to 2' : 'have length less than or equal to 64');
  }
  if (tagList.length > 50) at(`[${tagList.length} tags]`, 'tags', 'have length less than or equal to 50');
  tagList.forEach((t, i) => {
    if (t.key.length < 1 || t.key.length > 128 || !TAG_KEY.test(t.key)) at(t.key, `tags.${i + 1}.member.key`, 'have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    if (t.value.length > 256 || !TAG_VALUE.test(t.value)) at(t.value, `tags.${i + 1}.member.value`, 'have length less than or equal to 256 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');
  });
  if (transitive.length > 50) at(`[${transitive.length} keys]`, 'transitiveTagKeys', 'have length less than or equal to 50');
  if (problems.length > 0) throw validationError(problems);

  // Session tag keys are case-insensitive, and transitive keys must name given tags (IAM User
  // Guide, id_session-tags: "Session tagging considerations").
  const tags: Record<string, string> = {};
  const lowerKeys = new Set<string>();
  for (const t of tagList) {
    if (lowerKeys.has(t.key.toLowerCase())) throw stsError('ValidationError', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    lowerKeys.add(t.key.toLowerCase());
    tags[t.key] = t.value;
  }
  for (const k of transitive) {
    if (!lowerKeys.has(k.toLowerCase())) throw stsError('InvalidParameterValue', 'The specified transitive tag key must be included in the requested tags.');
  }
  if (sessionPolicy !== undefined) {
    const parsed = parsePolicy(sessionPolicy, { kind: 'identity' });
    if (!parsed.ok) throw stsError('MalformedPolicyDocument', `The policy is not in the valid format: ${parsed.error}`);
  }
  const packed = tagList.length > 0 || sessionPolicy !== undefined ? packedPolicySize(sessionPolicy, tags) : undefined;
  if (packed !== undefined && packed > 100) {
    throw stsError('PackedPolicyTooLarge', `Packed size of the session policy and session tags is ${packed}% of the allowed size.`);
  }
  return { roleArn: roleArn!, sessionName: sessionName!, duration, externalId, sessionPolicy, sourceIdentity, tags, transitive, packed };
}

export function assumeRole(ctx: Ctx, p: QueryParams, caller: SessionKeyRecord): XmlBody {
  const { roleArn, sessionName, duration: asked, externalId, sessionPolicy, sourceIdentity, tags, transitive, packed } = readInput(p);
  const duration = asked ?? DEFAULT_DURATION;
  const tagged = Object.keys(tags).length > 0;

  // The role, and whether the caller may assume it. A role that doesn't exist is denied exactly
  // as one whose trust policy doesn't allow the caller.
  const denied = (action: string) => accessDenied(`User: ${caller.arn} is not authorized to perform: ${action} on resource: ${roleArn}`);
  const role = roleByArn(ctx, roleArn);
  if (!role) throw denied('sts:AssumeRole');
  const who = principalOf(ctx, caller);
  const context: Request['context'] = {
    'sts:RoleSessionName': sessionName,
    ...(externalId !== undefined ? { 'sts:ExternalId': externalId } : {}),
    ...(sourceIdentity !== undefined ? { 'sts:SourceIdentity': sourceIdentity } : {}),
  };
  if (tagged) {
    for (const [k, v] of Object.entries(tags)) context[`aws:RequestTag/${k}`] = v;
    context['aws:TagKeys'] = Object.keys(tags);
    if (transitive.length > 0) context['sts:TransitiveTagKeys'] = transitive;
  }
  const actions = ['sts:AssumeRole'];
  if (tagged) actions.push('sts:TagSession');
  if (sourceIdentity !== undefined) actions.push('sts:SetSourceIdentity');
  for (const action of actions) if (!trusts(role, who, action, context, ctx.now)) throw denied(action);

  // Role chaining caps a session at one hour (IAM User Guide, id_roles_terms-and-concepts).
  if (caller.sessionToken !== undefined && duration > CHAINED_MAX_DURATION) {
    throw stsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (duration > role.maxSessionDuration) throw stsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

  pruneExpired(ctx);
  const { accessKeyId, secretAccessKey } = newAccessKey('ASIA');
  const sessionToken = randomBytes(192).toString('base64');
  const expiration = new Date(Math.floor(ctx.now.getTime() / 1000) * 1000 + duration * 1000);
  const arn = sessionArn(role.account, role.roleName, sessionName);
  const rec: SessionKeyRecord = {
    accessKeyId, secretAccessKey, accountId: role.account, arn, createdAt: ctx.timestamp, status: 'Active',
    sessionToken, expiration: expiration.toISOString(), roleArn: role.arn, roleId: role.roleId, sessionName,
    sessionTags: tags,
    ...(sessionPolicy !== undefined ? { sessionPolicy } : {}),
  };
  ctx.put(ACCESS_KEY, accessKeyId, rec);
  return {
    Credentials: { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: expiration },
    AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${sessionName}`, Arn: arn },
    PackedPolicySize: packed,
    SourceIdentity: sourceIdentity,
  };
}

/**
 * Whether the role's trust policy lets the caller do `action`. A trust policy is a resource-based
 * policy that must always allow: naming the caller itself is enough within the role's account,
 * naming only the caller's account delegates to the caller's identity policies, and across
 * accounts the identity policies must allow too; any Deny wins (IAM User Guide,
 * reference_policies_evaluation-logic-cross-account and id_roles_compare-resource-policies).
 */
function trusts(role: IamRoleRecord, caller: CallerIdentity, action: string, context: Request['context'], now: Date): boolean {
  const trust = parseTrustPolicy(role.assumeRolePolicyDocument);
  if (!trust.ok) return false;
  const result = evaluateIam(
    { identity: caller.identity ?? [], resource: { label: TRUST_LABEL, policy: trust.policy }, resourceAccount: role.account },
    { principal: caller.principal, action, resource: role.arn, context, now },
  );
  if (result.decision === 'DENY_EXPLICIT') return false;
  const trustAllows = result.allows.filter((a) => a.policy === TRUST_LABEL);
  const identityAllows = result.allows.length > trustAllows.length;
  if (trustAllows.length === 0) return false;
  const sameAccount = caller.principal.account === role.account;
  return sameAccount ? trustAllows.some((a) => !a.viaAccount) || identityAllows : identityAllows;
}
const TRUST_LABEL = '\0trust';

/**
 * A trust policy has no Resource element (the role is the resource; IAM User Guide,
 * reference_policies_elements_resource: "in a role trust policy … you don't specify Resource"),
 * which the parser's resource-based kind requires: each statement without one gets "*".
 */
function parseTrustPolicy(doc: string): ReturnType<typeof parsePolicy> {
  let value: unknown;
  try { value = JSON.parse(doc); } catch { return parsePolicy(doc, { kind: 'resource' }); }
  const top = value as { Statement?: unknown };
  if (top && typeof top === 'object' && top.Statement !== undefined) {
    const withResource = (st: unknown) =>
      st && typeof st === 'object' && !Array.isArray(st) && !('Resource' in st) && !('NotResource' in st) ? { ...st, Resource: '*' } : st;
    value = { ...top, Statement: Array.isArray(top.Statement) ? top.Statement.map(withResource) : withResource(top.Statement) };
  }
  return parsePolicy(value, { kind: 'resource' });
}

function roleByArn(ctx: Ctx, arn: string): IamRoleRecord | undefined {
  const r = parseRoleArn(arn);
  const role = r ? ctx.get<IamRoleRecord>(IAM_ROLE, roleKey(r.account, r.roleName)) : undefined;
  return role?.arn === arn ? role : undefined;
}

/**
 * GetCallerIdentity: UserId as aws:userid has it (the account ID for root, the user's unique ID,
 * `<roleId>:<sessionName>` for a role session), the account, and the caller's ARN (IAM User Guide,
 * reference_policies_variables, "Principal key values"). No permission is needed.
 */
export function callerIdentity(ctx: Ctx, key: SessionKeyRecord): XmlBody {
  const { principal } = principalOf(ctx, key);
  const userId = principal.userId
    ?? (key.roleArn !== undefined ? `${key.roleId ?? ''}:${key.sessionName ?? ''}` : key.accessKeyId);
  return { UserId: userId, Account: key.accountId, Arn: key.arn };
}

/** Deletes a batch of expired session keys: they can no longer authenticate anything. */
function pruneExpired(ctx: Ctx): void {
  const now = ctx.now.getTime();
  let n = 0;
  for (const k of ctx.all<SessionKeyRecord>(ACCESS_KEY)) {
    if (k.sessionToken === undefined || k.expiration === undefined || Date.parse(k.expiration) > now) continue;
    ctx.del(ACCESS_KEY, k.accessKeyId);
    if (++n === PRUNE_BATCH) break;
  }
}

function packedPolicySize(policy: string | undefined, tags: Record<string, string>): number {
  const minified = policy === undefined ? '' : JSON.stringify(JSON.parse(policy));
  const packed = deflateRawSync(Buffer.from(minified + JSON.stringify(tags))).length;
  return Math.max(1, Math.ceil((packed * 100) / PACKED_BUDGET));
}

