// The organization and its accounts (Organizations API Reference: CreateOrganization,
// DescribeOrganization, CreateAccount, DescribeCreateAccountStatus, DescribeAccount, ListAccounts).
// The account that creates the organization is its management account; CreateAccount makes a
// member account with the role OrganizationAccountAccessRole, which the management account may
// assume (STS AssumeRole) to act in it.
//
// CreateAccount is asynchronous in AWS (its first answer says IN_PROGRESS). Trellis creates the
// account within the request, so CreateAccount already answers SUCCEEDED (or FAILED) with the
// AccountId, and DescribeCreateAccountStatus says the same: clients that poll see it finished at once.
import { randomBytes } from 'node:crypto';
import type { Ctx } from '../lattice/context.ts';
import {
  ACCOUNT, IAM_ROLE, ORG, newAccountId, newUniqueId, roleArn, roleKey, rootArn,
  type AccountRecord as StoredAccount, type IamRoleRecord, type OrgRecord as StoredOrg,
} from '../../iam/identities.ts';
import { int, invalidInput, orgError, str, type Input, type Operation } from './service.ts';

/** An account record, with the tags CreateAccount was given. */
type AccountRecord = StoredAccount & { tags?: Record<string, string> };
type OrgRecord = StoredOrg;
/** `orgcar/<requestId>`: a CreateAccount request and its outcome. */
interface CreateAccountRecord {
  id: string;
  orgId: string;
  accountName: string;
  state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  requestedAt: string;
  completedAt?: string;
  accountId?: string;
  failureReason?: string;
}

export const DEFAULT_ROLE_NAME = 'OrganizationAccountAccessRole';
const DEFAULT_MAX_SESSION_DURATION = 3600;

// Patterns from the API Reference's request parameters.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ACCOUNT_NAME = /^[\u0020-\u007E]+$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;
const CREATE_ACCOUNT_REQUEST_ID = /^car-[a-z0-9]{8,32}$/;
const TAG_KEY = /^[\s\S]{1,128}$/;
const MAX_LIST_RESULTS = 20;

const notInUse = () => orgError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
const managementOnly = () => orgError('AccessDeniedException', 'You don\'t have permissions to access this resource.');

const lowerAlnum = (n: number): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % 36];
  return s;
};

const accountArn = (org: OrgRecord, accountId: string) => `arn:aws:organizations::${org.masterAccountId}:account/${org.id}/${accountId}`;

function organizationOut(ctx: Ctx, org: OrgRecord): object {
  const master = ctx.get<AccountRecord>(ACCOUNT, org.masterAccountId);
  return {
    Id: org.id,
    Arn: org.arn,
    FeatureSet: org.featureSet,
    MasterAccountArn: accountArn(org, org.masterAccountId),
    MasterAccountId: org.masterAccountId,
    MasterAccountEmail: master?.email,
  };
}

/**
 * An account as Organizations shows it. The management account joined when it created the
 * organization (JoinedMethod INVITED, as AWS shows it); members joined by CreateAccount.
 */
function accountOut(org: OrgRecord, a: AccountRecord): object {
  const master = a.id === org.masterAccountId;
  const status = a.status ?? 'ACTIVE';
  return {
    Id: a.id,
    Arn: accountArn(org, a.id),
    Email: a.email,
    Name: a.name,
    Status: status,
    State: status,
    JoinedMethod: master ? 'INVITED' : 'CREATED',
    JoinedTimestamp: new Date(master ? org.createdAt : a.createdAt),
  };
}

function statusOut(r: CreateAccountRecord): object {
  return {
    Id: r.id,
    AccountName: r.accountName,
    State: r.state,
    RequestedTimestamp: new Date(r.requestedAt),
    CompletedTimestamp: r.completedAt ? new Date(r.completedAt) : undefined,
    AccountId: r.accountId,
    FailureReason: r.failureReason,
  };
}

/** The caller's organization; AWSOrganizationsNotInUseException when its account has none. */
function callerOrg(ctx: Ctx): OrgRecord {
  const account = ctx.get<AccountRecord>(ACCOUNT, ctx.account);
  const org = account?.orgId ? ctx.get<OrgRecord>(ORG, account.orgId) : undefined;
  if (!org) throw notInUse();
  return org;
}

/** The caller's organization, when the caller is its management account. */
function managedOrg(ctx: Ctx): OrgRecord {
  const org = callerOrg(ctx);
  if (org.masterAccountId !== ctx.account) throw managementOnly();
  return org;
}

function createOrganization(ctx: Ctx, input: Input): object {
  const featureSet = str(input, 'FeatureSet') ?? 'ALL';
  if (featureSet !== 'ALL' && featureSet !== 'CONSOLIDATED_BILLING') throw invalidInput('INVALID_ENUM', 'You specified an invalid value for FeatureSet.');
  const account = ctx.get<AccountRecord>(ACCOUNT, ctx.account);
  if (!account) throw orgError('AccessDeniedException', 'You don\'t have permissions to access this resource.');
  if (account.orgId) throw orgError('AlreadyInOrganizationException', 'The AWS account is already a member of an organization.');
  const id = `o-${lowerAlnum(10)}`;
  const org: OrgRecord = { id, arn: `arn:aws:organizations::${ctx.account}:organization/${id}`, masterAccountId: ctx.account, featureSet, createdAt: ctx.timestamp };
  ctx.put(ORG, id, org);
  ctx.put(ACCOUNT, account.id, { ...account, orgId: id });
  return { Organization: organizationOut(ctx, org) };
}

function describeOrganization(ctx: Ctx): object {
  return { Organization: organizationOut(ctx, callerOrg(ctx)) };
}

function createAccount(ctx: Ctx, input: Input): object {
  const org = managedOrg(ctx);
  const email = str(input, 'Email', { required: true, min: 6, max: 64, pattern: EMAIL })!;
  const name = str(input, 'AccountName', { required: true, min: 1, max: 50, pattern: ACCOUNT_NAME })!;
  const roleName = str(input, 'RoleName', { max: 64, pattern: ROLE_NAME }) ?? DEFAULT_ROLE_NAME;
  if (roleName.startsWith('AWSServiceRoleFor')) throw invalidInput('INVALID_ROLE_NAME', 'You provided a role name that isn\'t valid. A role name can\'t begin with the reserved prefix AWSServiceRoleFor.');
  const billing = str(input, 'IamUserAccessToBilling');
  if (billing !== undefined && billing !== 'ALLOW' && billing !== 'DENY') throw invalidInput('INVALID_ENUM', 'You specified an invalid value for IamUserAccessToBilling.');
  const tags = readTags(input);

  const request: CreateAccountRecord = { id: `car-${lowerAlnum(32)}`, orgId: org.id, accountName: name, state: 'SUCCEEDED', requestedAt: ctx.timestamp, completedAt: ctx.timestamp };
  const taken = [...ctx.all<AccountRecord>(ACCOUNT)].some((a) => a.email?.toLowerCase() === email.toLowerCase());
  if (taken) {
    ctx.put('orgcar', request.id, { ...request, state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS' });
    return { CreateAccountStatus: statusOut({ ...request, state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS' }) };
  }
  let accountId = newAccountId();
  while (ctx.get(ACCOUNT, accountId)) accountId = newAccountId();
  const account: AccountRecord = { id: accountId, name, email, createdAt: ctx.timestamp, orgId: org.id, status: 'ACTIVE', ...(tags ? { tags } : {}) };
  ctx.put(ACCOUNT, accountId, account);
  ctx.put(IAM_ROLE, roleKey(accountId, roleName), accessRole(ctx, accountId, org.masterAccountId, roleName));
  request.accountId = accountId;
  ctx.put('orgcar', request.id, request);
  return { CreateAccountStatus: statusOut(request) };
}

/**
 * The role Organizations puts in a created account: trusted by the management account, with an
 * inline AdministratorAccess policy (Organizations User Guide, orgs_manage_accounts_access:
 * "Creating the OrganizationAccountAccessRole").
 */
function accessRole(ctx: Ctx, accountId: string, managementAccountId: string, roleName: string): IamRoleRecord {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: rootArn(managementAccountId) }, Action: 'sts:AssumeRole' }] };
  const admin = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  return {
    account: accountId,
    roleName,
    roleId: newUniqueId('AROA'),
    arn: roleArn(accountId, '/', roleName),
    path: '/',
    createdAt: ctx.timestamp,
    assumeRolePolicyDocument: JSON.stringify(trust),
    maxSessionDuration: DEFAULT_MAX_SESSION_DURATION,
    inlinePolicies: { AdministratorAccess: JSON.stringify(admin) },
  };
}

/** Tags: at most 50, unique keys of 1-128 characters, values of 0-256 (Organizations, "Tag"). */
function readTags(input: Input): Record<string, string> | undefined {
  const raw = input.Tags;
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw orgError('SerializationException', 'Tags must be a list.');
  if (raw.length > 50) throw orgError('ConstraintViolationException', 'You have exceeded the number of tags allowed on this resource.', 'TAG_POLICY_VIOLATION');
  const tags: Record<string, string> = {};
  for (const t of raw as { Key?: unknown; Value?: unknown }[]) {
    if (typeof t?.Key !== 'string' || typeof t.Value !== 'string') throw invalidInput('INPUT_REQUIRED', 'Each tag must have a Key and a Value.');
    if (!TAG_KEY.test(t.Key) || t.Key.startsWith('aws:')) throw invalidInput(t.Key.startsWith('aws:') ? 'INVALID_SYSTEM_TAGS_PARAMETER' : 'INVALID_PATTERN', `The tag key ${t.Key} isn't valid.`);
    if (t.Value.length > 256) throw invalidInput('MAX_LENGTH_EXCEEDED', `The tag value for ${t.Key} is longer than allowed (256).`);
    if (Object.hasOwn(tags, t.Key)) throw invalidInput('DUPLICATE_TAG_KEY', 'Tag keys must be unique among the tags attached to the same entity.');
    tags[t.Key] = t.Value;
  }
  return tags;
}

function describeCreateAccountStatus(ctx: Ctx, input: Input): object {
  const org = managedOrg(ctx);
  const id = str(input, 'CreateAccountRequestId', { required: true, max: 36, pattern: CREATE_ACCOUNT_REQUEST_ID })!;
  const rec = ctx.get<CreateAccountRecord>('orgcar', id);
  if (!rec || rec.orgId !== org.id) throw orgError('CreateAccountStatusNotFoundException', 'We can\'t find an create account request with the CreateAccountRequestId that you specified.');
  return { CreateAccountStatus: statusOut(rec) };
}

function describeAccount(ctx: Ctx, input: Input): object {
  const org = managedOrg(ctx);
  const id = str(input, 'AccountId', { required: true, max: 12, pattern: ACCOUNT_ID })!;
  const account = ctx.get<AccountRecord>(ACCOUNT, id);
  if (!account || account.orgId !== org.id) throw orgError('AccountNotFoundException', 'You specified an account that doesn\'t exist.');
  return { Account: accountOut(org, account) };
}

/** Accounts in creation order, MaxResults (1-20, default 20) at a time, NextToken opaque. */
function listAccounts(ctx: Ctx, input: Input): object {
  const org = managedOrg(ctx);
  const max = int(input, 'MaxResults', 1, MAX_LIST_RESULTS) ?? MAX_LIST_RESULTS;
  const token = str(input, 'NextToken', { max: 100_000 });
  const members = [...ctx.all<AccountRecord>(ACCOUNT)].filter((a) => a.orgId === org.id);
  let start = 0;
  if (token !== undefined) {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    const m = /^trellis-org:(\d{12})$/.exec(text);
    const at = m ? members.findIndex((a) => a.id === m[1]) : -1;
    if (at < 0) throw invalidInput('INVALID_PAGINATION_TOKEN', 'The NextToken is not valid. Get the value for the NextToken parameter from the response to a previous call of the operation.');
    start = at + 1;
  }
  const page = members.slice(start, start + max);
  const more = start + max < members.length;
  return {
    Accounts: page.map((a) => accountOut(org, a)),
    NextToken: more ? Buffer.from(`trellis-org:${page[page.length - 1].id}`).toString('base64url') : undefined,
  };
}

export const accountOperations: Readonly<Record<string, Operation>> = {
  CreateOrganization: createOrganization,
  DescribeOrganization: describeOrganization,
  CreateAccount: createAccount,
  DescribeCreateAccountStatus: describeCreateAccountStatus,
  DescribeAccount: describeAccount,
  ListAccounts: listAccounts,
};
