// IAM roles: CreateRole, GetRole, DeleteRole, ListRoles, UpdateAssumeRolePolicy, TagRole,
// UntagRole, ListRoleTags (IAM API Reference). A role's trust policy is a resource-based policy
// (it names who may assume the role), validated as one.
import type { Ctx } from '../lattice/context.ts';
import { parsePolicy, type ParseResult } from '../../iam/policy/parse.ts';
import { IAM_ROLE, newUniqueId, roleArn, roleKey, type IamRoleRecord } from '../../iam/identities.ts';
import {
  POLICY_DOCUMENT, POLICY_DOCUMENT_TEXT, deleteConflict, entityAlreadyExists, invalidInput, isoSeconds, limitExceeded,
  malformedPolicy, mergeTags, noSuchEntity, page, readTagKeys, readTags, removeTags, tagsXml,
  type IamInput, type XmlBody,
} from './query.ts';
import { PATH_SPEC, USER_NAME, compareNames } from './users.ts';

/** "Roles per account": 1000; "Role trust policy length": 2048 characters (IAM and AWS STS quotas). */
export const MAX_ROLES = 1000;
export const MAX_TRUST_POLICY = 2048;

export const ROLE_NAME = USER_NAME;
export const POLICY_DOC = { min: 1, max: 131072, pattern: POLICY_DOCUMENT, patternText: POLICY_DOCUMENT_TEXT } as const;
const DESCRIPTION = { max: 1000, pattern: /^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*$/, patternText: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*' } as const;
const PATH_PREFIX = { min: 1, max: 512, pattern: /^\u002F[\u0021-\u007F]*$/, patternText: '\\u002F[\\u0021-\\u007F]*' } as const;

/** Policy sizes don't count white space (IAM and AWS STS quotas, "IAM and STS character limits"). */
export const policySize = (doc: string): number => doc.replace(/\s/g, '').length;

/** The caller's role by name, compared without case. */
export function findRole(ctx: Ctx, name: string): IamRoleRecord | undefined {
  const exact = ctx.get<IamRoleRecord>(IAM_ROLE, roleKey(ctx.account, name));
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const r of ctx.owned<IamRoleRecord>(IAM_ROLE)) if (r.roleName.toLowerCase() === lower) return r;
  return undefined;
}

export function requireRole(ctx: Ctx, name: string): IamRoleRecord {
  const r = findRole(ctx, name);
  if (!r) throw noSuchEntity(`The role with name ${name} cannot be found.`);
  return r;
}

export const roleRecordId = (r: IamRoleRecord): string => roleKey(r.account, r.roleName);

/**
 * The offsets of each statement object's `{` and `}` in a policy's JSON text (which must be valid
 * JSON): for the simulator's statement positions and for trust policies.
 */
export function statementOffsets(t: string): [number, number][] {
  const ws = (i: number) => { while (i < t.length && /\s/.test(t[i])) i++; return i; };
  const str = (i: number) => { i++; while (t[i] !== '"') i += t[i] === '\\' ? 2 : 1; return i + 1; };
  const value = (i: number): number => {
    if (t[i] === '"') return str(i);
    if (t[i] !== '{' && t[i] !== '[') { while (i < t.length && !/[\s,\]}]/.test(t[i])) i++; return i; }
    for (let depth = 0; i < t.length; i++) {
      if (t[i] === '"') { i = str(i) - 1; continue; }
      if (t[i] === '{' || t[i] === '[') depth++;
      else if ((t[i] === '}' || t[i] === ']') && --depth === 0) return i + 1;
    }
    return i;
  };
  const out: [number, number][] = [];
  const add = (from: number) => { const end = value(from); if (t[from] === '{') out.push([from, end - 1]); return end; };
  if (t[ws(0)] !== '{') return out;
  for (let i = ws(0) + 1; i < t.length;) {
    i = ws(i);
    if (t[i] !== '"') break;
    const keyEnd = str(i);
    const key = JSON.parse(t.slice(i, keyEnd)) as string;
    i = ws(ws(keyEnd) + 1);
    if (key !== 'Statement') { i = ws(value(i)); if (t[i] === ',') i++; continue; }
    if (t[i] !== '[') return (add(i), out);
    for (i = ws(i + 1); i < t.length && t[i] !== ']'; i = ws(i)) { i = ws(add(i)); if (t[i] === ',') i++; }
    return out;
  }
  return out;
}

const STS_ACTION = /^(\*|sts:.*)$/i;

/**
 * Parses a role trust policy: a resource-based policy (Principal required) with no Resource
 * element ("Has prohibited field Resource") and only STS actions ("AssumeRole policy may only
 * specify STS AssumeRole actions"), as IAM answers CreateRole. The engine needs a Resource, so
 * each statement is read as if it said `"Resource": "*"` (the role itself).
 */
export function parseTrustPolicy(doc: string): ParseResult {
  let value: unknown;
  try { value = JSON.parse(doc); } catch { return parsePolicy(doc, { kind: 'resource' }); }
  const top = value as { Statement?: unknown } | null;
  if (typeof top !== 'object' || top === null || Array.isArray(top)) return parsePolicy(doc, { kind: 'resource' });
  const statements = Array.isArray(top.Statement) ? top.Statement : top.Statement === undefined ? [] : [top.Statement];
  for (const st of statements as Record<string, unknown>[]) {
    if (typeof st !== 'object' || st === null) continue;
    for (const field of ['Resource', 'NotResource']) if (field in st) return { ok: false, error: `Has prohibited field ${field}` };
    const actions = st.Action ?? st.NotAction;
    const list = Array.isArray(actions) ? actions : [actions];
    if (list.some((a) => typeof a === 'string' && !STS_ACTION.test(a))) return { ok: false, error: 'AssumeRole policy may only specify STS AssumeRole actions.' };
  }
  // Insert the Resource after each statement's `{`, last first so earlier offsets stay right.
  let text = doc;
  for (const [from] of statementOffsets(doc).reverse()) {
    const empty = /^\{\s*\}/.test(text.slice(from));
    text = `${text.slice(0, from + 1)}"Resource":"*"${empty ? '' : ','}${text.slice(from + 1)}`;
  }
  return parsePolicy(text, { kind: 'resource' });
}

/** A trust policy that parses, within the size quota. */
function checkTrustPolicy(doc: string): void {
  const r = parseTrustPolicy(doc);
  if (!r.ok) throw malformedPolicy(r.error);
  if (policySize(doc) > MAX_TRUST_POLICY) throw limitExceeded(`Cannot exceed quota for ACLSizePerRole: ${MAX_TRUST_POLICY}`);
}

/**
 * Policy documents come back URL-encoded, as IAM returns them (GetRole, GetRolePolicy …): every
 * character but RFC 3986's unreserved ones, so `*` is `%2A` and a space `%20`.
 */
export const encodeDocument = (doc: string): string =>
  encodeURIComponent(doc).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export const roleXml = (r: IamRoleRecord, detail: boolean): XmlBody => ({
  Path: r.path, RoleName: r.roleName, RoleId: r.roleId, Arn: r.arn, CreateDate: isoSeconds(r.createdAt),
  AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument), Description: r.description,
  MaxSessionDuration: r.maxSessionDuration,
  ...(detail ? { Tags: tagsXml(r.tags), RoleLastUsed: {} } : {}),
});

export const roleHandlers = {
  CreateRole(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    const path = input.str('Path', PATH_SPEC) ?? '/';
    const doc = input.str('AssumeRolePolicyDocument', { required: true, ...POLICY_DOC });
    const description = input.str('Description', DESCRIPTION);
    // "If you do not specify a value for this setting, the default value of one hour is applied."
    const maxSession = input.int('MaxSessionDuration', { min: 3600, max: 43200 }) ?? 3600;
    input.str('PermissionsBoundary', { min: 20, max: 2048 });
    input.done();
    const tags = readTags(input);
    if (input.params.str('PermissionsBoundary') !== undefined) throw invalidInput('Trellis does not support permissions boundaries.');
    checkTrustPolicy(doc!);
    if (findRole(ctx, name!)) throw entityAlreadyExists(`Role with name ${name} already exists.`);
    let count = 0;
    for (const _ of ctx.owned<IamRoleRecord>(IAM_ROLE)) count++;
    if (count >= MAX_ROLES) throw limitExceeded(`Cannot exceed quota for RolesPerAccount: ${MAX_ROLES}`);
    const role: IamRoleRecord = {
      account: ctx.account, roleName: name!, roleId: newUniqueId('AROA'), arn: roleArn(ctx.account, path, name!), path,
      createdAt: ctx.timestamp, assumeRolePolicyDocument: doc!, maxSessionDuration: maxSession,
      ...(description !== undefined && description !== '' ? { description } : {}),
      ...(tags && Object.keys(tags).length ? { tags } : {}), inlinePolicies: {},
    };
    ctx.put(IAM_ROLE, roleRecordId(role), role);
    return { Role: { ...roleXml(role, false), Tags: tagsXml(role.tags) } };
  },

  GetRole(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    input.done();
    return { Role: roleXml(requireRole(ctx, name!), true) };
  },

  DeleteRole(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    input.done();
    const role = requireRole(ctx, name!);
    // "Make sure that you do not have any Amazon EC2 instances running with the role … Delete the
    // role's inline policies" first (DeleteRole).
    if (Object.keys(role.inlinePolicies ?? {}).length > 0) throw deleteConflict('Cannot delete entity, must delete policies first.');
    ctx.del(IAM_ROLE, roleRecordId(role));
    return undefined;
  },

  ListRoles(ctx: Ctx, input: IamInput): XmlBody {
    const prefix = input.str('PathPrefix', PATH_PREFIX) ?? '/';
    const roles = [...ctx.owned<IamRoleRecord>(IAM_ROLE)].filter((r) => r.path.startsWith(prefix))
      .sort((a, b) => compareNames(a.roleName, b.roleName));
    const p = page(input, roles, (r) => r.roleName.toLowerCase());
    return { Roles: p.items.map((r) => roleXml(r, false)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  UpdateAssumeRolePolicy(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    const doc = input.str('PolicyDocument', { required: true, ...POLICY_DOC });
    input.done();
    const role = requireRole(ctx, name!);
    checkTrustPolicy(doc!);
    ctx.put(IAM_ROLE, roleRecordId(role), { ...role, assumeRolePolicyDocument: doc! });
    return undefined;
  },

  TagRole(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    input.done();
    const tags = readTags(input) ?? {};
    const role = requireRole(ctx, name!);
    ctx.put(IAM_ROLE, roleRecordId(role), { ...role, tags: mergeTags(role.tags, tags) });
    return undefined;
  },

  UntagRole(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    const keys = readTagKeys(input);
    input.done();
    const role = requireRole(ctx, name!);
    ctx.put(IAM_ROLE, roleRecordId(role), { ...role, tags: removeTags(role.tags, keys) });
    return undefined;
  },

  ListRoleTags(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('RoleName', { required: true, ...ROLE_NAME });
    input.done();
    const role = requireRole(ctx, name!);
    const tags = Object.entries(role.tags ?? {}).sort(([a], [b]) => compareNames(a, b));
    const p = page(input, tags, ([k]) => k.toLowerCase());
    return { Tags: p.items.map(([Key, Value]) => ({ Key, Value })), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
};
