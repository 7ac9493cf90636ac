// Policy evaluation (IAM User Guide, reference_policies_evaluation-logic and
// reference_policies_evaluation-logic-cross-account): explicit deny > allow > implicit deny, and
// how identity-based and resource-based policies combine within and across accounts.
import { evalCondition } from './conditions.ts';
import { arnMatch, globMatch, notPrincipalApplies, principalMatch, type Lookup, type Value } from './match.ts';
import type { Policy, Statement } from './parse.ts';

export interface Principal {
  /** aws:PrincipalType: 'AssumedRole' | 'User' | 'Root' (reported as "Account") | 'Anonymous' | … */
  type: 'AssumedRole' | 'User' | 'Root' | 'Anonymous' | string;
  /**
   * The caller's own ARN as Principal matching sees it: the session ARN for a role session. For
   * type 'Service' / 'Federated' / 'CanonicalUser' callers, the service principal name, identity
   * provider or canonical user ID that a Principal {"Service" | "Federated" | "CanonicalUser"} names.
   */
  arn?: string;
  /** aws:PrincipalArn: the role ARN for a role session, else the caller's ARN. */
  principalArn?: string;
  account?: string;
  orgId?: string;
  orgPaths?: string[];
  tags?: Record<string, string>;
  username?: string;
  userId?: string;
}

export interface Request {
  principal: Principal;
  action: string;
  resource: string;
  /** Other condition keys. Arrays are multivalued keys; numbers and booleans compare as text. */
  context: Record<string, string | string[] | number | boolean>;
  /** Gives aws:CurrentTime / aws:EpochTime (else the context's, else the clock). */
  now?: Date;
}

export type Decision = 'ALLOW' | 'DENY_EXPLICIT' | 'DENY_IMPLICIT';

export interface Matched {
  policy: string; // the label the caller gave the policy
  statement: number; // index in the policy's Statement array
  sid?: string;
  effect: 'Allow' | 'Deny';
  /** The statement named the caller's account only: a delegation to its identity policies. */
  viaAccount?: boolean;
}

export interface Result { decision: Decision; allows: Matched[]; denies: Matched[] }

export interface LabeledPolicy { label: string; policy: Policy }

/** Keys that only the principal block may supply; a request's context can't forge them. */
const PRINCIPAL_KEYS = new Set(['aws:principalarn', 'aws:principalaccount', 'aws:principalorgid', 'aws:principalorgpaths',
  'aws:principaltype', 'aws:username', 'aws:userid']);
const TAG_PREFIX = 'aws:principaltag/';

const normalize = (v: string | number | boolean): string => (typeof v === 'string' ? v : String(v));

/**
 * The request context, built lazily: principal keys are read from the principal block on demand,
 * the rest is lower-cased into a map the first time a condition or variable needs it.
 */
export class EvalContext implements Lookup {
  readonly req: Request;
  readonly action: string; // lower-cased
  private map: Map<string, Value> | null = null;
  private tags: Map<string, string> | null = null;
  constructor(req: Request) {
    this.req = req;
    this.action = req.action.toLowerCase();
  }

  get(key: string): Value | undefined {
    const p = this.req.principal;
    const anonymous = p.type === 'Anonymous';
    switch (key) {
      // aws:PrincipalType values: Account, User, FederatedUser, AssumedRole, Anonymous (reference_policies_variables).
      case 'aws:principaltype': return p.type === 'Root' ? 'Account' : p.type;
      case 'aws:principalarn': return anonymous ? undefined : p.principalArn ?? (p.type === 'AssumedRole' ? undefined : p.arn);
      case 'aws:principalaccount': return anonymous ? undefined : p.account;
      case 'aws:principalorgid': return anonymous ? undefined : p.orgId;
      case 'aws:principalorgpaths': return anonymous ? undefined : p.orgPaths;
      case 'aws:username': return anonymous ? undefined : p.username;
      case 'aws:userid': return anonymous ? undefined : p.userId;
      case 'aws:currenttime': if (this.req.now) return this.req.now.toISOString(); break;
      case 'aws:epochtime': if (this.req.now) return String(Math.floor(this.req.now.getTime() / 1000)); break;
    }
    if (key.startsWith(TAG_PREFIX)) {
      if (anonymous || !p.tags) return undefined;
      if (!this.tags) {
        // Tag keys match case-insensitively; the values don't.
        this.tags = new Map();
        for (const [k, v] of Object.entries(p.tags)) this.tags.set(k.toLowerCase(), v);
      }
      return this.tags.get(key.slice(TAG_PREFIX.length));
    }
    const v = (this.map ??= this.build()).get(key);
    if (v !== undefined) return v;
    // AWS always knows the time; without `now` or a context value, use the clock.
    if (key === 'aws:currenttime') return new Date().toISOString();
    if (key === 'aws:epochtime') return String(Math.floor(Date.now() / 1000));
    return undefined;
  }

  private build(): Map<string, Value> {
    const map = new Map<string, Value>();
    for (const [k, v] of Object.entries(this.req.context)) {
      if (k.startsWith('_') || v === undefined || v === null) continue; // `_` keys are notes for request builders
      const key = k.toLowerCase();
      if (PRINCIPAL_KEYS.has(key) || key.startsWith(TAG_PREFIX)) continue;
      map.set(key, Array.isArray(v) ? v.map(normalize) : normalize(v));
    }
    return map;
  }
}

/** Does the statement apply? 0 no, 1 yes, 2 yes but only through the caller's account. */
export function statementApplies(st: Statement, ctx: EvalContext): 0 | 1 | 2 {
  const req = ctx.req;
  let hit = false;
  for (const g of st.actions) if (globMatch(g, ctx.action)) { hit = true; break; }
  if (hit === st.notAction) return 0;
  hit = false;
  for (const r of st.resources) if (arnMatch(r, req.resource, ctx)) { hit = true; break; }
  if (hit === st.notResource) return 0;
  let via: 0 | 1 | 2 = 1;
  if (st.principal) {
    if (st.notPrincipal) { if (!notPrincipalApplies(st.principal, req.principal, st.effect)) return 0; }
    else if ((via = principalMatch(st.principal, req.principal)) === 0) return 0;
  }
  for (const c of st.conditions) if (!evalCondition(c, ctx)) return 0;
  return via;
}

/** Adds the policy's matching statements to `allows` / `denies`. */
export function collect(label: string, policy: Policy, ctx: EvalContext, allows: Matched[], denies: Matched[]): void {
  for (const st of policy.statements) {
    const via = statementApplies(st, ctx);
    if (via === 0) continue;
    const m: Matched = { policy: label, statement: st.index, effect: st.effect };
    if (st.sid !== undefined) m.sid = st.sid;
    if (via === 2) m.viaAccount = true;
    (st.effect === 'Deny' ? denies : allows).push(m);
  }
}

const decide = (allows: Matched[], denies: Matched[]): Decision =>
  denies.length ? 'DENY_EXPLICIT' : allows.length ? 'ALLOW' : 'DENY_IMPLICIT';

/** Evaluates one set of policies with a prepared context. */
export function evaluateSet(policies: readonly LabeledPolicy[], ctx: EvalContext): Result {
  const allows: Matched[] = [];
  const denies: Matched[] = [];
  for (const p of policies) collect(p.label, p.policy, ctx, allows, denies);
  return { decision: decide(allows, denies), allows, denies };
}

/** Evaluates a single policy with a prepared context. */
export function evaluateOne(label: string, policy: Policy, ctx: EvalContext): Result {
  const allows: Matched[] = [];
  const denies: Matched[] = [];
  collect(label, policy, ctx, allows, denies);
  return { decision: decide(allows, denies), allows, denies };
}

/** One set of policies: any matching Deny -> DENY_EXPLICIT; else any matching Allow -> ALLOW. */
export function evaluatePolicies(policies: readonly LabeledPolicy[], req: Request): Result {
  return evaluateSet(policies, new EvalContext(req));
}

/**
 * Identity-based policies plus an optional resource-based policy. Same account: an allow in either
 * is enough — but a resource-policy allow that names only the account delegates to the identity
 * policies and is not enough alone (reference_policies_elements_principal, "AWS account principals").
 * Cross account: both must allow. Anonymous callers have no identity policies; the resource policy
 * decides. Any matching Deny anywhere wins.
 */
export function evaluateIam(input: { identity: readonly LabeledPolicy[]; resource?: LabeledPolicy; resourceAccount: string }, req: Request): Result {
  const ctx = new EvalContext(req);
  const p = req.principal;
  const anonymous = p.type === 'Anonymous';
  const idAllows: Matched[] = [];
  const resAllows: Matched[] = [];
  const denies: Matched[] = [];
  if (!anonymous) for (const ip of input.identity) collect(ip.label, ip.policy, ctx, idAllows, denies);
  if (input.resource) collect(input.resource.label, input.resource.policy, ctx, resAllows, denies);
  const allows = idAllows.concat(resAllows);
  if (denies.length) return { decision: 'DENY_EXPLICIT', allows, denies };
  const resDirect = resAllows.some((m) => !m.viaAccount);
  const sameAccount = !anonymous && p.account !== undefined && p.account === input.resourceAccount;
  const allowed = anonymous ? resDirect
    : sameAccount ? idAllows.length > 0 || resDirect
      : idAllows.length > 0 && resAllows.length > 0;
  return { decision: allowed ? 'ALLOW' : 'DENY_IMPLICIT', allows, denies };
}
