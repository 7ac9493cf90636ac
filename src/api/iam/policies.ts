// Inline policies of users and roles (Put/Get/Delete/List User|Role Policy) and the policy
// simulator (SimulateCustomPolicy, SimulatePrincipalPolicy), which runs the same engine as the
// data plane (src/iam/policy: evaluateIam). IAM API Reference for each operation.
import type { Ctx } from '../lattice/context.ts';
import { parsePolicy, type Policy } from '../../iam/policy/parse.ts';
import { evaluateIam, evaluatePolicies, EvalContext, type Decision, type LabeledPolicy, type Matched, type Principal, type Request } from '../../iam/policy/evaluate.ts';
import { arnMatch, globMatch } from '../../iam/policy/match.ts';
import { ACCOUNT, IAM_ROLE, IAM_USER, parseRoleArn, parseUserArn, type AccountRecord, type IamRoleRecord, type IamUserRecord } from '../../iam/identities.ts';
import { parseArn } from '../../core/ids.ts';
import { NAME, NAME_TEXT, XmlMap, invalidInput, limitExceeded, malformedPolicy, noSuchEntity, page, type IamInput, type Xml, type XmlBody } from './query.ts';
import { USER_NAME, compareNames, findUser, requireUser, userRecordId } from './users.ts';
import { POLICY_DOC, ROLE_NAME, encodeDocument, findRole, policySize, requireRole, roleRecordId, statementOffsets } from './roles.ts';

const POLICY_NAME = { min: 1, max: 128, pattern: NAME, patternText: NAME_TEXT } as const;
const ARN = { min: 20, max: 2048 } as const;

// ---------------------------------------------------------------------------------------------
// Inline policies. "The aggregate size of all inline policies embedded in a user: 2,048
// characters; a role: 10,240" (IAM and AWS STS quotas), white space not counted.

interface Holder<R extends IamUserRecord | IamRoleRecord> {
  member: 'UserName' | 'RoleName';
  kind: 'user' | 'role';
  table: string;
  limit: number;
  require(ctx: Ctx, name: string): R;
  id(rec: R): string;
  name(rec: R): string;
}

const USERS: Holder<IamUserRecord> = { member: 'UserName', kind: 'user', table: IAM_USER, limit: 2048, require: requireUser, id: userRecordId, name: (u) => u.userName };
const ROLES: Holder<IamRoleRecord> = { member: 'RoleName', kind: 'role', table: IAM_ROLE, limit: 10240, require: requireRole, id: roleRecordId, name: (r) => r.roleName };

/** Policy names are unique per entity without regard to case, like every IAM name. */
const policyNameIn = (policies: Record<string, string>, name: string) =>
  Object.hasOwn(policies, name) ? name : Object.keys(policies).find((k) => k.toLowerCase() === name.toLowerCase());

function inlineHandlers<R extends IamUserRecord | IamRoleRecord>(h: Holder<R>) {
  const entity = (input: IamInput) => input.str(h.member, { required: true, ...(h.kind === 'user' ? USER_NAME : ROLE_NAME) })!;
  /** The entity and the stored spelling of the named inline policy, which must exist. */
  const existing = (ctx: Ctx, input: IamInput) => {
    const name = entity(input);
    const policyName = input.str('PolicyName', { required: true, ...POLICY_NAME })!;
    input.done();
    const rec = h.require(ctx, name);
    const found = policyNameIn(rec.inlinePolicies ?? {}, policyName);
    if (found === undefined) throw noSuchEntity(`The ${h.kind} policy with name ${policyName} cannot be found.`);
    return { rec, found };
  };
  return {
    put(ctx: Ctx, input: IamInput): undefined {
      const name = entity(input);
      const policyName = input.str('PolicyName', { required: true, ...POLICY_NAME })!;
      const doc = input.str('PolicyDocument', { required: true, ...POLICY_DOC })!;
      input.done();
      const rec = h.require(ctx, name);
      const parsed = parsePolicy(doc, { kind: 'identity' });
      if (!parsed.ok) throw malformedPolicy(parsed.error);
      const policies = { ...(rec.inlinePolicies ?? {}) };
      const old = policyNameIn(policies, policyName);
      if (old !== undefined) delete policies[old];
      policies[policyName] = doc;
      const total = Object.values(policies).reduce((n, d) => n + policySize(d), 0);
      if (total > h.limit) throw limitExceeded(`Maximum policy size of ${h.limit} bytes exceeded for ${h.kind} ${h.name(rec)}`);
      ctx.put(h.table, h.id(rec), { ...rec, inlinePolicies: policies });
      return undefined;
    },
    get(ctx: Ctx, input: IamInput): XmlBody {
      const { rec, found } = existing(ctx, input);
      return { [h.member]: h.name(rec), PolicyName: found, PolicyDocument: encodeDocument(rec.inlinePolicies[found]) };
    },
    del(ctx: Ctx, input: IamInput): undefined {
      const { rec, found } = existing(ctx, input);
      const policies = { ...rec.inlinePolicies };
      delete policies[found];
      ctx.put(h.table, h.id(rec), { ...rec, inlinePolicies: policies });
      return undefined;
    },
    list(ctx: Ctx, input: IamInput): XmlBody {
      const name = entity(input);
      input.done();
      const rec = h.require(ctx, name);
      const p = page(input, Object.keys(rec.inlinePolicies ?? {}).sort(compareNames), (n) => n.toLowerCase());
      return { PolicyNames: p.items, IsTruncated: p.IsTruncated, Marker: p.Marker };
    },
  };
}

const userPolicies = inlineHandlers(USERS);
const rolePolicies = inlineHandlers(ROLES);

// ---------------------------------------------------------------------------------------------
// The simulator.

/** One input policy: engine label -> what the answer calls it and where its statements are. */
interface Source { label: string; id: string; type: string; policy: Policy; text: string; spans?: Span[] }
interface Span { start: { Line: number; Column: number }; end: { Line: number; Column: number } }

const DECISION: Record<Decision, string> = { ALLOW: 'allowed', DENY_EXPLICIT: 'explicitDeny', DENY_IMPLICIT: 'implicitDeny' };
const RANK: Record<Decision, number> = { ALLOW: 0, DENY_IMPLICIT: 1, DENY_EXPLICIT: 2 };
const CONTEXT_TYPES = ['string', 'stringList', 'numeric', 'numericList', 'boolean', 'booleanList', 'ip', 'ipList', 'binary', 'binaryList', 'date', 'dateList'];
// The answers name identity-based policies "IAM Policy" (SourcePolicyType in IAM's own answers).
const IDENTITY_TYPE = 'IAM Policy';
const RESOURCE_TYPE = 'Resource Policy';

/**
 * Where each statement of a policy's JSON text starts and ends. IAM reports the line and the
 * column just past the statement's `{` and just past its `}` (1-based; the simulate-custom-policy
 * example in the AWS CLI reference: a one-line policy whose statement object spans 0-based
 * offsets 36-165 is reported as Column 38 to 167).
 */
function statementSpans(t: string): Span[] {
  const at = (i: number) => ({ Line: t.slice(0, i).split('\n').length, Column: i - t.lastIndexOf('\n', i - 1) + 1 });
  return statementOffsets(t).map(([from, to]) => ({ start: at(from), end: at(to) }));
}

/** Condition key names as the policy wrote them (the engine keeps them lower-cased). */
function conditionKeyNames(text: string, into: Map<string, string>): void {
  const doc = JSON.parse(text) as { Statement?: unknown };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  for (const s of statements as { Condition?: Record<string, Record<string, unknown>> }[]) {
    for (const block of Object.values(s?.Condition ?? {})) for (const k of Object.keys(block ?? {})) into.set(k.toLowerCase(), k);
  }
}

function parseSource(text: string, kind: 'identity' | 'resource', label: string, id: string): Source {
  const r = parsePolicy(text, { kind });
  // The simulator's documented errors are InvalidInput and PolicyEvaluation (SimulateCustomPolicy).
  if (!r.ok) throw invalidInput(`${id} is not a valid policy: ${r.error}`);
  return { label, id, type: kind === 'identity' ? IDENTITY_TYPE : RESOURCE_TYPE, policy: r.policy, text };
}

/** The account an ARN names: 12 digits, or `arn:aws:iam::<acct>:root`. */
function accountOf(value: string, what: string): string {
  if (/^\d{12}$/.test(value)) return value;
  const a = parseArn(value)?.account;
  if (a && /^\d{12}$/.test(a)) return a;
  throw invalidInput(`${what} ${value} is not a valid account ID or account ARN.`);
}

/** The simulated caller: an IAM user or role of any account; ours are looked up for their details. */
function callerPrincipal(ctx: Ctx, arn: string): Principal {
  const user = parseUserArn(arn);
  const role = parseRoleArn(arn);
  if (!user && !role) throw invalidInput(`Invalid CallerArn ${arn}: specify the ARN of an IAM user or role.`);
  const account = (user ?? role)!.account;
  const orgId = ctx.get<AccountRecord>(ACCOUNT, account)?.orgId;
  const base = { arn, principalArn: arn, account, ...(orgId ? { orgId } : {}) };
  if (user) {
    const u = account === ctx.account ? findUser(ctx, user.userName) : undefined;
    return { ...base, type: 'User', username: u?.userName ?? user.userName, ...(u ? { userId: u.userId, tags: u.tags ?? {} } : {}) };
  }
  const r = account === ctx.account ? findRole(ctx, role!.roleName) : undefined;
  return { ...base, type: 'AssumedRole', ...(r ? { userId: r.roleId, tags: r.tags ?? {} } : {}) };
}

/** ContextEntries: the request context, plus what they say about the caller (aws:username …). */
function contextOf(input: IamInput, principal: Principal): Request['context'] {
  const context: Request['context'] = {};
  input.structs('ContextEntries').forEach((e, i) => {
    const at = `ContextEntries.${i + 1}.member`;
    const name = input.check(e.str('ContextKeyName'), `${at}.ContextKeyName`, { min: 5, max: 256 });
    const type = input.check(e.str('ContextKeyType'), `${at}.ContextKeyType`, { values: CONTEXT_TYPES });
    const values = e.strings('ContextKeyValues.member');
    if (name === undefined) return;
    const value = type?.endsWith('List') || values.length > 1 ? values : values[0] ?? '';
    const key = name.toLowerCase();
    const one = Array.isArray(value) ? value[0] : value;
    // Principal keys can't come from a live request's context; in a simulation they describe the caller.
    if (key === 'aws:username') principal.username = one;
    else if (key === 'aws:userid') principal.userId = one;
    else if (key === 'aws:principalorgid') principal.orgId = one;
    else if (key.startsWith('aws:principaltag/')) principal.tags = { ...(principal.tags ?? {}), [name.slice(17)]: one };
    else context[name] = value;
  });
  return context;
}

interface Run { decision: Decision; matched: Matched[]; missing: string[]; details?: Record<string, Decision> }

/** Condition keys of the statements that apply to the action and resource but that no input gave. */
function missingKeys(sources: readonly Source[], ctx: EvalContext, resource: string, names: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const s of sources) {
    for (const st of s.policy.statements) {
      if (st.actions.some((g) => globMatch(g, ctx.action)) === st.notAction) continue;
      if (st.resources.some((r) => arnMatch(r, resource, ctx)) === st.notResource) continue;
      for (const c of st.conditions) if (ctx.get(c.key) === undefined) out.add(names.get(c.key) ?? c.key);
    }
  }
  return [...out];
}

function simulate(ctx: Ctx, input: IamInput, identity: Source[], principal: Principal): XmlBody {
  const actions = input.strings('ActionNames', { min: 3, max: 128 }, { required: true });
  const resources = input.strings('ResourceArns', { min: 1, max: 2048 });
  const resourcePolicyText = input.str('ResourcePolicy', POLICY_DOC);
  const owner = input.str('ResourceOwner', { min: 1, max: 2048 });
  input.str('ResourceHandlingOption', { min: 1, max: 64 });
  const context = contextOf(input, principal);
  input.done();
  if (input.params.has('PermissionsBoundaryPolicyInputList')) throw invalidInput('Trellis does not simulate permissions boundaries.');
  for (const a of actions) {
    // "Each operation must include the service identifier … does not support using wildcards".
    if (!/^[^:*?\s]+:[^:*?\s]+$/.test(a)) throw invalidInput(`Action ${a} is not valid: use service:Action, without wildcards.`);
  }
  const resourceSource = resourcePolicyText === undefined ? undefined : parseSource(resourcePolicyText, 'resource', 'resource', 'ResourcePolicy');
  const sources = resourceSource ? [...identity, resourceSource] : identity;
  const names = new Map<string, string>();
  for (const s of sources) conditionKeyNames(s.text, names);
  const ownerAccount = owner === undefined ? principal.account ?? ctx.account : accountOf(owner, 'ResourceOwner');
  const labeled: LabeledPolicy[] = identity.map((s) => ({ label: s.label, policy: s.policy }));
  const resource = resourceSource && { label: resourceSource.label, policy: resourceSource.policy };
  const specific = resources.length > 0 && !(resources.length === 1 && resources[0] === '*');
  const targets = resources.length ? resources : ['*'];

  const run = (action: string, arn: string): Run => {
    const parsedAccount = parseArn(arn)?.account;
    const resourceAccount = parsedAccount && /^\d{12}$/.test(parsedAccount) ? parsedAccount : ownerAccount;
    const req: Request = { principal, action, resource: arn, context };
    const r = evaluateIam({ identity: labeled, resource, resourceAccount }, req);
    const matched = r.decision === 'DENY_EXPLICIT' ? r.denies : r.decision === 'ALLOW' ? r.allows : [];
    const out: Run = { decision: r.decision, matched, missing: missingKeys(sources, new EvalContext(req), arn, names) };
    // "populated for only cross-account simulations … how each policy type contributes".
    if (principal.account !== resourceAccount) {
      out.details = { [IDENTITY_TYPE]: evaluatePolicies(labeled, req).decision, [RESOURCE_TYPE]: resource ? evaluatePolicies([resource], req).decision : 'DENY_IMPLICIT' };
    }
    return out;
  };

  const byLabel = new Map(sources.map((s) => [s.label, s]));
  const statementsXml = (matched: readonly Matched[]): Xml[] => {
    const seen = new Set<string>();
    const out: Xml[] = [];
    for (const m of matched) {
      const s = byLabel.get(m.policy)!;
      if (seen.has(`${m.policy}#${m.statement}`)) continue;
      seen.add(`${m.policy}#${m.statement}`);
      const span = (s.spans ??= statementSpans(s.text))[m.statement];
      out.push({ SourcePolicyId: s.id, SourcePolicyType: s.type, StartPosition: span?.start, EndPosition: span?.end });
    }
    return out;
  };
  const detailsXml = (d: Record<string, Decision> | undefined): XmlMap | undefined =>
    d ? new XmlMap(Object.entries(d).map(([k, v]) => [k, DECISION[v]] as const)) : specific ? new XmlMap([]) : undefined;

  const results = actions.map((action): XmlBody => {
    const runs = targets.map((arn) => ({ arn, ...run(action, arn) }));
    // One result per action; the top level is the most restrictive decision over the resources
    // (EvaluationResult), with their matched statements and missing keys merged.
    const top = runs.reduce<Decision>((d, r) => (RANK[r.decision] > RANK[d] ? r.decision : d), 'ALLOW');
    let details: Record<string, Decision> | undefined;
    for (const r of runs) {
      if (!r.details) continue;
      details ??= {};
      for (const [k, v] of Object.entries(r.details)) if (details[k] === undefined || RANK[v] > RANK[details[k]]) details[k] = v;
    }
    return {
      EvalActionName: action,
      EvalResourceName: runs.length === 1 ? runs[0].arn : '*',
      EvalDecision: DECISION[top],
      MatchedStatements: statementsXml(runs.filter((r) => r.decision === top).flatMap((r) => r.matched)),
      MissingContextValues: [...new Set(runs.flatMap((r) => r.missing))],
      EvalDecisionDetails: detailsXml(details),
      ResourceSpecificResults: specific ? runs.map((r) => ({
        EvalResourceName: r.arn, EvalResourceDecision: DECISION[r.decision], MatchedStatements: statementsXml(r.matched),
        MissingContextValues: r.missing, EvalDecisionDetails: detailsXml(r.details),
      })) : undefined,
    };
  });
  const p = page(input, results.map((r, i) => ({ r, key: String(i).padStart(6, '0') })), (x) => x.key);
  return { EvaluationResults: p.items.map((x) => x.r), IsTruncated: p.IsTruncated, Marker: p.Marker };
}

/** `PolicyInputList.member.N`: identity-based policies, named `PolicyInputList.N` in the answer. */
function inputPolicies(input: IamInput, required: boolean): Source[] {
  const docs = input.strings('PolicyInputList', POLICY_DOC, { required });
  input.done();
  return docs.map((d, i) => parseSource(d, 'identity', `input/${i + 1}`, `PolicyInputList.${i + 1}`));
}

export const policyHandlers = {
  PutUserPolicy: userPolicies.put,
  GetUserPolicy: userPolicies.get,
  DeleteUserPolicy: userPolicies.del,
  ListUserPolicies: userPolicies.list,
  PutRolePolicy: rolePolicies.put,
  GetRolePolicy: rolePolicies.get,
  DeleteRolePolicy: rolePolicies.del,
  ListRolePolicies: rolePolicies.list,

  SimulateCustomPolicy(ctx: Ctx, input: IamInput): XmlBody {
    const callerArn = input.str('CallerArn', ARN);
    const identity = inputPolicies(input, true);
    if (input.params.str('ResourcePolicy') !== undefined && callerArn === undefined) {
      throw invalidInput('CallerArn is required when a ResourcePolicy is given, so that its Principal element has a caller to match.');
    }
    const principal: Principal = callerArn !== undefined ? callerPrincipal(ctx, callerArn) : { type: 'User', account: ctx.account };
    return simulate(ctx, input, identity, principal);
  },

  SimulatePrincipalPolicy(ctx: Ctx, input: IamInput): XmlBody {
    const sourceArn = input.str('PolicySourceArn', { required: true, ...ARN })!;
    const callerArn = input.str('CallerArn', ARN);
    const extra = inputPolicies(input, false);
    // The user or role whose policies are simulated must be the caller's own.
    const user = parseUserArn(sourceArn);
    const role = parseRoleArn(sourceArn);
    let inline: Record<string, string>;
    if (user) {
      const u = user.account === ctx.account ? findUser(ctx, user.userName) : undefined;
      if (!u) throw noSuchEntity(`The user with name ${user.userName} cannot be found.`);
      inline = u.inlinePolicies ?? {};
    } else if (role) {
      const r = role.account === ctx.account ? findRole(ctx, role.roleName) : undefined;
      if (!r) throw noSuchEntity(`The role with name ${role.roleName} cannot be found.`);
      inline = r.inlinePolicies ?? {};
    } else {
      throw invalidInput(`Invalid PolicySourceArn ${sourceArn}: specify the ARN of an IAM user or role.`);
    }
    const identity = Object.entries(inline).sort(([a], [b]) => compareNames(a, b))
      .map(([name, doc]) => parseSource(doc, 'identity', `inline/${name}`, name)).concat(extra);
    return simulate(ctx, input, identity, callerPrincipal(ctx, callerArn ?? sourceArn));
  },
};
