// Long-term access keys of IAM users (and of the root user): CreateAccessKey, DeleteAccessKey,
// UpdateAccessKey, ListAccessKeys (IAM API Reference). Without UserName an operation is about the
// caller's own user, or the root user when the root signs. Temporary (STS) keys are not listed.
import type { Ctx } from '../lattice/context.ts';
import { ACCESS_KEY, newAccessKey, rootArn, type AccessKeyRecord } from '../../iam/identities.ts';
import { ACCESS_KEY_ID, invalidInput, isoSeconds, limitExceeded, noSuchEntity, page, type IamInput, type XmlBody } from './query.ts';
import { USER_NAME, implicitUser, keysOfUser, requireUser } from './users.ts';

/** "Access keys assigned to an IAM user": 2 (IAM and AWS STS quotas); the root user has 2 as well. */
export const MAX_ACCESS_KEYS = 2;

const KEY_ID = { min: 16, max: 128, pattern: ACCESS_KEY_ID, patternText: '[\\w]+' } as const;

/** Whose keys: a named user, or (no UserName) the caller's user or the root. */
function owner(ctx: Ctx, name: string | undefined): { userName?: string; arn: string } {
  if (name !== undefined) {
    const u = requireUser(ctx, name);
    return { userName: u.userName, arn: u.arn };
  }
  const who = implicitUser(ctx);
  return 'user' in who ? { userName: who.user.userName, arn: who.user.arn } : { arn: rootArn(ctx.account) };
}

/** One of the owner's keys, or NoSuchEntity (another account's key or another user's included). */
function ownedKey(ctx: Ctx, id: string, who: { userName?: string }): AccessKeyRecord {
  const k = ctx.get<AccessKeyRecord>(ACCESS_KEY, id);
  const mine = k !== undefined && keysOfUser(ctx, ctx.account, who.userName).some((o) => o.accessKeyId === k.accessKeyId);
  if (!mine) throw noSuchEntity(`The Access Key with id ${id} cannot be found`);
  return k!;
}

/** The key Trellis was started with is its configuration, not an IAM resource to delete or disable. */
function refuseBootstrap(k: AccessKeyRecord): void {
  if (k.admin) throw invalidInput(`The access key ${k.accessKeyId} is Trellis's bootstrap administrator key; change it in Trellis's configuration.`);
}

const statusOf = (k: AccessKeyRecord) => k.status ?? 'Active';

export const accessKeyHandlers = {
  CreateAccessKey(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('UserName', USER_NAME);
    input.done();
    const who = owner(ctx, name);
    if (keysOfUser(ctx, ctx.account, who.userName).length >= MAX_ACCESS_KEYS) {
      throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}`);
    }
    const key = newAccessKey();
    const rec: AccessKeyRecord = {
      ...key, accountId: ctx.account, arn: who.arn, createdAt: ctx.timestamp, status: 'Active',
      ...(who.userName !== undefined ? { userName: who.userName } : {}),
    };
    ctx.put(ACCESS_KEY, key.accessKeyId, rec);
    return {
      AccessKey: {
        UserName: who.userName, AccessKeyId: key.accessKeyId, Status: 'Active',
        SecretAccessKey: key.secretAccessKey, CreateDate: isoSeconds(rec.createdAt),
      },
    };
  },

  DeleteAccessKey(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('UserName', USER_NAME);
    const id = input.str('AccessKeyId', { required: true, ...KEY_ID });
    input.done();
    const k = ownedKey(ctx, id!, owner(ctx, name));
    refuseBootstrap(k);
    ctx.del(ACCESS_KEY, k.accessKeyId);
    return undefined;
  },

  UpdateAccessKey(ctx: Ctx, input: IamInput): undefined {
    const name = input.str('UserName', USER_NAME);
    const id = input.str('AccessKeyId', { required: true, ...KEY_ID });
    const status = input.str('Status', { required: true, values: ['Active', 'Inactive'] }) as 'Active' | 'Inactive' | undefined;
    input.done();
    const k = ownedKey(ctx, id!, owner(ctx, name));
    if (status !== 'Active') refuseBootstrap(k);
    ctx.put(ACCESS_KEY, k.accessKeyId, { ...k, status: status! });
    return undefined;
  },

  ListAccessKeys(ctx: Ctx, input: IamInput): XmlBody {
    const name = input.str('UserName', USER_NAME);
    input.done();
    const who = owner(ctx, name);
    const keys = keysOfUser(ctx, ctx.account, who.userName)
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.accessKeyId < b.accessKeyId ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1));
    const p = page(input, keys, (k) => `${k.createdAt}|${k.accessKeyId}`);
    return {
      AccessKeyMetadata: p.items.map((k) => ({ UserName: who.userName, AccessKeyId: k.accessKeyId, Status: statusOf(k), CreateDate: isoSeconds(k.createdAt) })),
      IsTruncated: p.IsTruncated, Marker: p.Marker,
    };
  },
};
