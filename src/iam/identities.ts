// Accounts, their IAM users and roles, organizations and access keys, as stored records (the
// identity data model every part of Trellis shares). Every resource belongs to an account; every
// access key belongs to one identity of one account: the root, an IAM user, or a role session.
import { randomBytes } from 'node:crypto';
import type { Write } from '../store/store.ts';

/** `account/<accountId>`. */
export interface AccountRecord {
  id: string;
  name: string;
  email?: string;
  createdAt: string;
  /** The organization the account belongs to, if any. */
  orgId?: string;
  status?: string;
}

/** `accesskey/<accessKeyId>`. */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /**
   * The identity the key belongs to: `arn:aws:iam::<acct>:root`, the IAM user's ARN, or for a
   * temporary key the session ARN `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
   */
  arn: string;
  /** The bootstrap administrator may do everything, including adding accounts. */
  admin?: boolean;
  createdAt: string;
  /** Absent means Active. */
  status?: 'Active' | 'Inactive';
  /** An IAM user's key: the user's name. */
  userName?: string;
  /** Temporary (STS, `ASIA…`) keys: the session token, its expiry (ISO time), role and session. */
  sessionToken?: string;
  expiration?: string;
  roleArn?: string;
  sessionName?: string;
  /** Session tags passed to AssumeRole; they override the role's tags with the same key. */
  sessionTags?: Record<string, string>;
  /** Set by the View, never stored. */
  revision?: number;
}

/** `iamuser/<accountId>:<userName>`. */
export interface IamUserRecord {
  account: string;
  userName: string;
  userId: string;
  arn: string;
  path: string;
  createdAt: string;
  tags?: Record<string, string>;
  /** Policy name -> the policy document as given (JSON text). */
  inlinePolicies: Record<string, string>;
  revision?: number;
}

/** `iamrole/<accountId>:<roleName>`. */
export interface IamRoleRecord {
  account: string;
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  createdAt: string;
  /** The trust policy (JSON text). */
  assumeRolePolicyDocument: string;
  maxSessionDuration: number;
  description?: string;
  tags?: Record<string, string>;
  inlinePolicies: Record<string, string>;
  revision?: number;
}

/** `org/<orgId>`. */
export interface OrgRecord {
  id: string;
  arn: string;
  masterAccountId: string;
  featureSet: string;
  createdAt: string;
}

export const ACCOUNT = 'account';
export const ACCESS_KEY = 'accesskey';
export const IAM_USER = 'iamuser';
export const IAM_ROLE = 'iamrole';
export const ORG = 'org';

export const ACCOUNT_ID = /^\d{12}$/;

/** Reads records: a View or a request's Ctx. */
export interface RecordReader { get<T>(table: string, id: string): T | undefined }

export const userKey = (account: string, userName: string): string => `${account}:${userName}`;
export const roleKey = (account: string, roleName: string): string => `${account}:${roleName}`;

export const rootArn = (account: string): string => `arn:aws:iam::${account}:root`;
/** IAM ARNs carry the entity's path: `arn:aws:iam::<acct>:user/<path>/<name>` (IAM identifiers). */
export const userArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:user${path}${name}`;
export const roleArn = (account: string, path: string, name: string): string => `arn:aws:iam::${account}:role${path}${name}`;
/** A role session's ARN has no path: `arn:aws:sts::<acct>:assumed-role/<role>/<session>`. */
export const sessionArn = (account: string, roleName: string, sessionName: string): string =>
  `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`;

/** The account and name in a role ARN (the name is the last path segment). */
export function parseRoleArn(arn: string): { account: string; roleName: string } | undefined {
  const m = /^arn:[^:]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? { account: m[1], roleName: m[2] } : undefined;
}

/** The account and name in a user ARN. */
export function parseUserArn(arn: string): { account: string; userName: string } | undefined {
  const m = /^arn:[^:]+:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? { account: m[1], userName: m[2] } : undefined;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += BASE32[bytes[i] % 32];
  return s;
}

/**
 * A unique ID as IAM makes them: a four-letter prefix naming the kind (AIDA user, AROA role,
 * AKIA long-term key, ASIA temporary key; IAM identifiers, "Unique identifiers") and 16 more.
 */
export const newUniqueId = (prefix: 'AIDA' | 'AROA' | 'AKIA' | 'ASIA'): string => prefix + base32(16);

export function newAccessKey(prefix: 'AKIA' | 'ASIA' = 'AKIA'): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: newUniqueId(prefix), secretAccessKey: randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40) };
}

export function newAccountId(): string {
  const n = randomBytes(6).readUIntBE(0, 6) % 1e12;
  return String(n).padStart(12, '1');
}

/** Is the key a root key (the account's own, or the bootstrap administrator's)? */
export const isRootKey = (key: AccessKeyRecord): boolean =>
  key.admin === true || (key.userName === undefined && key.roleArn === undefined && key.arn === rootArn(key.accountId));

/** Is the key temporary (from STS)? */
export const isSessionKey = (key: AccessKeyRecord): boolean => key.roleArn !== undefined || key.sessionToken !== undefined;

/** The writes that create an account (if new) and an access key for its root. */
export function accountWrites(accountId: string, name: string, key: { accessKeyId: string; secretAccessKey: string }, admin: boolean, exists: boolean): Write[] {
  const now = new Date().toISOString();
  const writes: Write[] = [];
  if (!exists) writes.push({ key: `${ACCOUNT}/${accountId}`, value: { id: accountId, name, createdAt: now } });
  const rec: AccessKeyRecord = { ...key, accountId, arn: rootArn(accountId), createdAt: now, ...(admin ? { admin } : {}) };
  writes.push({ key: `${ACCESS_KEY}/${key.accessKeyId}`, value: { ...rec } });
  return writes;
}
