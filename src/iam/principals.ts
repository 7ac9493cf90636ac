// Who a caller is, for the policy engine: an access key record -> the engine's Principal and the
// caller's identity-based policies (the inline policies of its IAM user or role, parsed). The data
// plane calls this for every signed request, so results are cached per record object: the View
// replaces a record's object on every write (a new revision), so a cached answer is only reused
// while the key, its user or role, and its account are all unchanged.
import { parsePolicy, type Policy } from './policy/parse.ts';
import type { LabeledPolicy, Principal } from './policy/evaluate.ts';
import {
  ACCOUNT, IAM_ROLE, IAM_USER, isRootKey, parseRoleArn, roleKey, rootArn, userKey,
  type AccessKeyRecord, type AccountRecord, type IamRoleRecord, type IamUserRecord, type RecordReader,
} from './identities.ts';

export interface CallerIdentity {
  principal: Principal;
  /** Identity-based policies, labelled `user/<name>/<policy>`, `role/<name>/<policy>` or `root`. */
  identity?: LabeledPolicy[];
  /** The account root or the bootstrap administrator: everything in its own account is allowed. */
  root: boolean;
}

/**
 * The root user's permissions can't be limited by identity-based policies (IAM User Guide,
 * id_root-user): an allow-everything identity policy. Other accounts' resources still need their
 * resource policies' consent, which the engine checks (evaluateIam: cross-account needs both).
 */
const ROOT_POLICY: Policy = (() => {
  const r = parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  if (!r.ok) throw new Error(r.error);
  return r.policy;
})();

interface CacheEntry { owner: object | undefined; account: object | undefined; value: CallerIdentity }
const byKey = new WeakMap<AccessKeyRecord, CacheEntry>();
const policiesByOwner = new WeakMap<object, LabeledPolicy[]>();

/**
 * A user's or role's inline policies, parsed once per record object. Documents were validated when
 * they were put; one that no longer parses (a stricter parser) is left out: it grants nothing.
 */
function inlinePolicies(owner: IamUserRecord | IamRoleRecord, kind: 'user' | 'role', name: string): LabeledPolicy[] {
  const cached = policiesByOwner.get(owner);
  if (cached) return cached;
  const out: LabeledPolicy[] = [];
  for (const [policyName, doc] of Object.entries(owner.inlinePolicies ?? {})) {
    const r = parsePolicy(doc, { kind: 'identity' });
    if (r.ok) out.push({ label: `${kind}/${name}/${policyName}`, policy: r.policy });
  }
  Object.freeze(out);
  policiesByOwner.set(owner, out);
  return out;
}

function build(key: AccessKeyRecord, owner: IamUserRecord | IamRoleRecord | undefined, account: AccountRecord | undefined): CallerIdentity {
  const orgId = account?.orgId;
  const acct = key.accountId;
  const withOrg = (p: Principal): Principal => Object.freeze(orgId === undefined ? p : { ...p, orgId });
  if (isRootKey(key)) {
    // aws:userid of the root user is the account ID; aws:PrincipalType is "Account" (reference_policies_variables).
    const arn = rootArn(acct);
    return { principal: withOrg({ type: 'Root', arn, principalArn: arn, account: acct, userId: acct }), identity: [{ label: 'root', policy: ROOT_POLICY }], root: true };
  }
  if (key.roleArn !== undefined) {
    // A role session: aws:PrincipalArn is the role ARN, aws:userid is "<role id>:<session name>",
    // and session tags override the role's tags with the same key (id_session-tags).
    const role = owner as IamRoleRecord | undefined;
    const roleName = role?.roleName ?? parseRoleArn(key.roleArn)?.roleName ?? '';
    const tags = { ...(role?.tags ?? {}), ...(key.sessionTags ?? {}) };
    const p: Principal = { type: 'AssumedRole', arn: key.arn, principalArn: key.roleArn, account: acct, tags: Object.freeze(tags) };
    if (role) p.userId = `${role.roleId}:${key.sessionName ?? ''}`;
    return { principal: withOrg(p), identity: role ? inlinePolicies(role, 'role', roleName) : [], root: false };
  }
  const user = owner as IamUserRecord | undefined;
  const p: Principal = { type: 'User', arn: key.arn, principalArn: key.arn, account: acct, tags: Object.freeze({ ...(user?.tags ?? {}) }) };
  if (key.userName !== undefined) p.username = user?.userName ?? key.userName;
  if (user) p.userId = user.userId;
  return { principal: withOrg(p), identity: user ? inlinePolicies(user, 'user', user.userName) : [], root: false };
}

/** The record whose policies the key carries: its IAM user, its role, or none (root). */
function ownerOf(view: RecordReader, key: AccessKeyRecord): IamUserRecord | IamRoleRecord | undefined {
  if (isRootKey(key)) return undefined;
  if (key.roleArn !== undefined) {
    const r = parseRoleArn(key.roleArn);
    return r ? view.get<IamRoleRecord>(IAM_ROLE, roleKey(r.account, r.roleName)) : undefined;
  }
  return key.userName !== undefined ? view.get<IamUserRecord>(IAM_USER, userKey(key.accountId, key.userName)) : undefined;
}

/**
 * The policy engine's view of a caller. The answer is frozen and shared between calls: don't
 * change it.
 */
export function principalOf(view: RecordReader, key: AccessKeyRecord): CallerIdentity {
  const owner = ownerOf(view, key);
  const account = view.get<AccountRecord>(ACCOUNT, key.accountId);
  const hit = byKey.get(key);
  if (hit && hit.owner === owner && hit.account === account) return hit.value;
  const value = Object.freeze(build(key, owner, account));
  byKey.set(key, { owner, account, value });
  return value;
}
