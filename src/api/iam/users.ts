// IAM users: CreateUser, GetUser, DeleteUser, ListUsers, TagUser, UntagUser, ListUserTags
// (IAM API Reference). Names are unique per account without regard to case, and found the same
// way ("You cannot create users named both TESTUSER and testuser", IAM identifiers).
import type { Ctx } from '../lattice/context.ts';
import {
  ACCESS_KEY, ACCOUNT, IAM_USER, isSessionKey, newUniqueId, rootArn, userArn, userKey,
  type AccessKeyRecord, type AccountRecord, type IamUserRecord,
} from '../../iam/identities.ts';
import {
  NAME, NAME_TEXT, PATH, PATH_TEXT, deleteConflict, entityAlreadyExists, invalidInput, isoSeconds, limitExceeded,
  mergeTags, noSuchEntity, page, readTagKeys, readTags, removeTags, tagsXml, validationError,
  type IamInput, type XmlBody,
} from './query.ts';

/** "IAM users per account": 5000 (IAM and AWS STS quotas). */
export const MAX_USERS = 5000;

export const USER_NAME = { min: 1, max: 64, pattern: NAME, patternText: NAME_TEXT } as const;
export const PATH_SPEC = { min: 1, max: 512, pattern: PATH, patternText: PATH_TEXT } as const;
const PATH_PREFIX = { min: 1, max: 512, pattern: /^\u002F[\u0021-\u007F]*$/, patternText: '\\u002F[\\u0021-\\u007F]*' } as const;

/** The caller's user by name, compared without case. */
export function findUser(ctx: Ctx, name: string): IamUserRecord | undefined {
  const exact = ctx.get<IamUserRecord>(IAM_USER, userKey(ctx.account, name));
  if (exact) return exact;
  const lower = name.toLowerCase();
  for (const u of ctx.owned<IamUserRecord>(IAM_USER)) if (u.userName.toLowerCase() === lower) return u;
  return undefined;
}

export function requireUser(ctx: Ctx, name: string): IamUserRecord {
  const u = findUser(ctx, name);
  if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
  return u;
}

export const callerKey = (ctx: Ctx): AccessKeyRecord | undefined => ctx.get<AccessKeyRecord>(ACCESS_KEY, ctx.caller.accessKeyId);

/**
 * The user an operation without UserName is about: "IAM determines the user name implicitly based
 * on the access key ID used to sign the request". Root callers get `root`; role sessions can't
 * name a user that way.
 */
export function implicitUser(ctx: Ctx): { user: IamUserRecord } | { root: true } {
  const key = callerKey(ctx);
  if (key && isSessionKey(key)) throw validationError('Must specify userName when calling with non-User credentials');
  if (key?.userName !== undefined) return { user: requireUser(ctx, key.userName) };
  return { root: true };
}

/** A user's store id (the record keeps the name's case as created). */
export const userRecordId = (u: IamUserRecord): string => userKey(u.account, u.userName);

export const userXml = (u: IamUserRecord, withTags: boolean): XmlBody => ({
  Path: u.path, UserName: u.userName, UserId: u.userId, Arn: u.arn, CreateDate: isoSeconds(u.createdAt),
  ...(withTags ? { Tags: tagsXml(u.tags) } : {}),
});

/** The caller's access keys of a user (long-term keys only). */
export function keysOfUser(ctx: Ctx, account: string, userName: string | undefined): AccessKeyRecord[] {
  const out: AccessKeyRecord[] = [];
  const root = rootArn(account);
  for (const k of ctx.all<AccessKeyRecord>(ACCESS_KEY)) {
    if (k.accountId !== account || isSessionKey(k)) continue;
    if (userName === undefined ? k.userName === undefined && k.arn === root : k.userName === userName) out.push(k);
  }
  return out;
}

export const userHandlers = {
  CreateUser(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('UserName', { required: true, ...USER_NAME });
    const path = input.str('Path', PATH_SPEC) ?? '/';
    input.str('PermissionsBoundary', { min: 20, max: 2048 });
    input.done();
    const tags = readTags(input);
    // Trellis enforces no permissions boundaries; accepting one silently would grant more than asked.
    if (input.params.str('PermissionsBoundary') !== undefined) throw invalidInput('Trellis does not support permissions boundaries.');
    if (findUser(ctx, name!)) throw entityAlreadyExists(`User with name ${name} already exists.`);
    let count = 0;
    for (const _ of ctx.owned<IamUserRecord>(IAM_USER)) count++;
    if (count >= MAX_USERS) throw limitExceeded(`Cannot exceed quota for UsersPerAccount: ${MAX_USERS}`);
    const user: IamUserRecord = {
      account: ctx.account, userName: name!, userId: newUniqueId('AIDA'), arn: userArn(ctx.account, path, name!),
      path, createdAt: ctx.timestamp, ...(tags && Object.keys(tags).length ? { tags } : {}), inlinePolicies: {},
    };
    ctx.put(IAM_USER, userRecordId(user), user);
    return { User: userXml(user, true) };
  },

  GetUser(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('UserName', USER_NAME);
    input.done();
    if (name !== undefined) return { User: userXml(requireUser(ctx, name), true) };
    const who = implicitUser(ctx);
    if ('user' in who) return { User: userXml(who.user, true) };
    // The root user has no name or path; its ID is the account ID.
    const account = ctx.get<AccountRecord>(ACCOUNT, ctx.account);
    return { User: { UserId: ctx.account, Arn: rootArn(ctx.account), CreateDate: isoSeconds(account?.createdAt ?? ctx.timestamp) } };
  },

  DeleteUser(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('UserName', { required: true, ...USER_NAME });
    input.done();
    const user = requireUser(ctx, name!);
    // "you must delete the items attached to the user manually" (DeleteUser).
    if (keysOfUser(ctx, ctx.account, user.userName).length > 0) throw deleteConflict('Cannot delete entity, must delete access keys first.');
    if (Object.keys(user.inlinePolicies ?? {}).length > 0) throw deleteConflict('Cannot delete entity, must delete policies first.');
    ctx.del(IAM_USER, userRecordId(user));
    return undefined;
  },

  ListUsers(ctx: Ctx, input: IamInput): XmlBody {
    const prefix = input.str('PathPrefix', PATH_PREFIX) ?? '/';
    const users = [...ctx.owned<IamUserRecord>(IAM_USER)].filter((u) => u.path.startsWith(prefix))
      .sort((a, b) => compareNames(a.userName, b.userName));
    const p = page(input, users, (u) => u.userName.toLowerCase());
    return { Users: p.items.map((u) => userXml(u, false)), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },

  TagUser(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('UserName', { required: true, ...USER_NAME });
    input.done();
    const tags = readTags(input) ?? {};
    const user = requireUser(ctx, name!);
    ctx.put(IAM_USER, userRecordId(user), { ...user, tags: mergeTags(user.tags, tags) });
    return undefined;
  },

  UntagUser(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('UserName', { required: true, ...USER_NAME });
    const keys = readTagKeys(input);
    input.done();
    const user = requireUser(ctx, name!);
    ctx.put(IAM_USER, userRecordId(user), { ...user, tags: removeTags(user.tags, keys) });
    return undefined;
  },

  ListUserTags(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('UserName', { required: true, ...USER_NAME });
    input.done();
    const user = requireUser(ctx, name!);
    const tags = Object.entries(user.tags ?? {}).sort(([a], [b]) => compareNames(a, b));
    const p = page(input, tags, ([k]) => k.toLowerCase());
    return { Tags: p.items.map(([Key, Value]) => ({ Key, Value })), IsTruncated: p.IsTruncated, Marker: p.Marker };
  },
};

/** IAM lists names in order without regard to case. */
export const compareNames = (a: string, b: string): number => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};
