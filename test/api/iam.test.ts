// The IAM subset (users, roles, inline policies, access keys, the policy simulator) through the
// official @aws-sdk/client-iam against a real Trellis, and principalOf, which turns an access key
// into the policy engine's caller.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  IAMClient, CreateUserCommand, GetUserCommand, DeleteUserCommand, ListUsersCommand, TagUserCommand, UntagUserCommand,
  ListUserTagsCommand, CreateRoleCommand, GetRoleCommand, DeleteRoleCommand, ListRolesCommand, UpdateAssumeRolePolicyCommand,
  TagRoleCommand, ListRoleTagsCommand, UntagRoleCommand, PutUserPolicyCommand, GetUserPolicyCommand, DeleteUserPolicyCommand,
  ListUserPoliciesCommand, PutRolePolicyCommand, GetRolePolicyCommand, DeleteRolePolicyCommand, ListRolePoliciesCommand,
  CreateAccessKeyCommand, DeleteAccessKeyCommand, ListAccessKeysCommand, UpdateAccessKeyCommand,
  SimulateCustomPolicyCommand, SimulatePrincipalPolicyCommand, paginateListUsers,
  NoSuchEntityException, EntityAlreadyExistsException, MalformedPolicyDocumentException, DeleteConflictException,
  LimitExceededException, InvalidInputException, IAMServiceException,
} from '@aws-sdk/client-iam';
import { ListServiceNetworksCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { iamService } from '../../src/api/iam/service.ts';
import { principalOf } from '../../src/iam/principals.ts';
import { evaluatePolicies } from '../../src/iam/policy/evaluate.ts';
import type { AccessKeyRecord, AccountRecord, IamRoleRecord, IamUserRecord } from '../../src/iam/identities.ts';

let h: Harness;
let iam: IAMClient;
let account: string;
const clients: { destroy(): void }[] = [];
const iamFor = (accessKeyId: string, secretAccessKey: string, region = h.trellis.region) => {
  const c = new IAMClient({ endpoint: h.trellis.api, region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  clients.push(c);
  return c;
};

before(async () => {
  h = await startHarness({ services: [iamService] });
  iam = iamFor(h.trellis.accessKeyId, h.trellis.secretAccessKey);
  account = h.trellis.accountId;
});
after(async () => {
  for (const c of clients) c.destroy();
  await h.close();
});

/** An IAM error as the SDK surfaces it: its class (or name), HTTP status and message. */
async function rejects(p: Promise<unknown>, kind: (abstract new (...a: never[]) => Error) | string, status: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as IAMServiceException;
    if (typeof kind === 'string') assert.equal(err.name, kind, err.message);
    else assert.ok(err instanceof kind, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const allow = (action: string, resource = '*') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const trust = (principal: unknown = { AWS: '111122223333' }) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });

describe('users', () => {
  test('CreateUser, GetUser (by name, without case, and the caller), ListUsers, DeleteUser', async () => {
    const out = await iam.send(new CreateUserCommand({ UserName: 'Alice', Path: '/team/', Tags: [{ Key: 'dept', Value: 'eng' }] }));
    const u = out.User!;
    assert.equal(u.UserName, 'Alice');
    assert.equal(u.Path, '/team/');
    assert.match(u.UserId!, /^AIDA[A-Z2-7]{16}$/);
    assert.equal(u.Arn, `arn:aws:iam::${account}:user/team/Alice`);
    assert.ok(u.CreateDate instanceof Date);
    assert.deepEqual(u.Tags, [{ Key: 'dept', Value: 'eng' }]);

    const got = (await iam.send(new GetUserCommand({ UserName: 'alice' }))).User!;
    assert.equal(got.UserName, 'Alice');
    assert.equal(got.UserId, u.UserId);
    assert.deepEqual(got.Tags, [{ Key: 'dept', Value: 'eng' }]);

    // The root user signing without UserName: its ID is the account ID, its ARN the root ARN.
    const me = (await iam.send(new GetUserCommand({}))).User!;
    assert.equal(me.UserId, account);
    assert.equal(me.Arn, `arn:aws:iam::${account}:root`);
    assert.equal(me.UserName, undefined);

    const listed = await iam.send(new ListUsersCommand({ PathPrefix: '/team/' }));
    assert.deepEqual(listed.Users!.map((x) => x.UserName), ['Alice']);
    assert.equal(listed.IsTruncated, false);
    assert.equal(listed.Users![0].Tags, undefined);

    await iam.send(new DeleteUserCommand({ UserName: 'Alice' }));
    await rejects(iam.send(new GetUserCommand({ UserName: 'Alice' })), NoSuchEntityException, 404, /^The user with name Alice cannot be found\.$/);
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'Alice' })), NoSuchEntityException, 404);
  });

  test('names are unique without regard to case; bad names and paths fail validation', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'dup-user' }));
    await rejects(iam.send(new CreateUserCommand({ UserName: 'DUP-USER' })), EntityAlreadyExistsException, 409, /User with name DUP-USER already exists/);
    await rejects(iam.send(new CreateUserCommand({ UserName: 'bad name' })), 'ValidationError', 400,
      /^1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    await rejects(iam.send(new CreateUserCommand({ UserName: 'x'.repeat(65), Path: 'nope' })), 'ValidationError', 400, /^2 validation errors detected: .*userName.*length less than or equal to 64.*; .*'path'/);
  });

  test('ListUsers pages with MaxItems and Marker', async () => {
    for (const n of ['pg-c', 'pg-a', 'pg-b']) await iam.send(new CreateUserCommand({ UserName: n, Path: '/paging/' }));
    const first = await iam.send(new ListUsersCommand({ PathPrefix: '/paging/', MaxItems: 2 }));
    assert.deepEqual(first.Users!.map((u) => u.UserName), ['pg-a', 'pg-b']);
    assert.equal(first.IsTruncated, true);
    assert.ok(first.Marker);
    const second = await iam.send(new ListUsersCommand({ PathPrefix: '/paging/', MaxItems: 2, Marker: first.Marker }));
    assert.deepEqual(second.Users!.map((u) => u.UserName), ['pg-c']);
    assert.equal(second.IsTruncated, false);
    assert.equal(second.Marker, undefined);
    const all: string[] = [];
    for await (const p of paginateListUsers({ client: iam, pageSize: 1 }, { PathPrefix: '/paging/' })) all.push(...p.Users!.map((u) => u.UserName!));
    assert.deepEqual(all, ['pg-a', 'pg-b', 'pg-c']);
    await rejects(iam.send(new ListUsersCommand({ Marker: 'garbage' })), InvalidInputException, 400);
    await rejects(iam.send(new ListUsersCommand({ MaxItems: 0 })), 'ValidationError', 400, /maxItems/);
  });

  test('TagUser replaces keys without regard to case; UntagUser and ListUserTags', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'tagged', Tags: [{ Key: 'Dept', Value: 'a' }] }));
    await iam.send(new TagUserCommand({ UserName: 'tagged', Tags: [{ Key: 'dept', Value: 'b' }, { Key: 'team', Value: 'x' }] }));
    const tags = await iam.send(new ListUserTagsCommand({ UserName: 'tagged' }));
    assert.deepEqual(tags.Tags, [{ Key: 'dept', Value: 'b' }, { Key: 'team', Value: 'x' }]);
    await iam.send(new UntagUserCommand({ UserName: 'tagged', TagKeys: ['TEAM'] }));
    assert.deepEqual((await iam.send(new GetUserCommand({ UserName: 'tagged' }))).User!.Tags, [{ Key: 'dept', Value: 'b' }]);
    await rejects(iam.send(new TagUserCommand({ UserName: 'tagged', Tags: [{ Key: 'k', Value: '1' }, { Key: 'K', Value: '2' }] })), InvalidInputException, 400, /Duplicate tag keys/);
    await rejects(iam.send(new TagUserCommand({ UserName: 'nobody', Tags: [{ Key: 'k', Value: '1' }] })), NoSuchEntityException, 404);
  });

  test('DeleteUser refuses while the user has access keys or inline policies', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'busy' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'busy' }))).AccessKey!;
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'busy' })), DeleteConflictException, 409, /must delete access keys first/);
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'busy', AccessKeyId: key.AccessKeyId }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'busy', PolicyName: 'p', PolicyDocument: allow('s3:GetObject') }));
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'busy' })), DeleteConflictException, 409, /must delete policies first/);
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'busy', PolicyName: 'p' }));
    await iam.send(new DeleteUserCommand({ UserName: 'busy' }));
  });
});

describe('roles', () => {
  test('CreateRole, GetRole, UpdateAssumeRolePolicy, ListRoles, tags, DeleteRole', async () => {
    const doc = trust();
    const created = (await iam.send(new CreateRoleCommand({ RoleName: 'app', AssumeRolePolicyDocument: doc, Description: 'the app', Tags: [{ Key: 'a', Value: 'b' }] }))).Role!;
    assert.equal(created.RoleName, 'app');
    assert.equal(created.Path, '/');
    assert.match(created.RoleId!, /^AROA[A-Z2-7]{16}$/);
    assert.equal(created.Arn, `arn:aws:iam::${account}:role/app`);
    assert.ok(created.CreateDate instanceof Date);
    // Policy documents come back URL-encoded, as AWS returns them.
    assert.equal(created.AssumeRolePolicyDocument, encodeURIComponent(doc));
    assert.deepEqual(created.Tags, [{ Key: 'a', Value: 'b' }]);

    const got = (await iam.send(new GetRoleCommand({ RoleName: 'APP' }))).Role!;
    assert.equal(got.RoleId, created.RoleId);
    assert.equal(got.MaxSessionDuration, 3600);
    assert.equal(got.Description, 'the app');
    assert.equal(decodeURIComponent(got.AssumeRolePolicyDocument!), doc);

    const next = trust({ Service: 'lambda.amazonaws.com' });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'app', PolicyDocument: next }));
    assert.equal(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!.AssumeRolePolicyDocument!), next);

    await iam.send(new TagRoleCommand({ RoleName: 'app', Tags: [{ Key: 'c', Value: 'd' }] }));
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'app' }))).Tags, [{ Key: 'a', Value: 'b' }, { Key: 'c', Value: 'd' }]);
    await iam.send(new UntagRoleCommand({ RoleName: 'app', TagKeys: ['a'] }));
    assert.deepEqual((await iam.send(new GetRoleCommand({ RoleName: 'app' }))).Role!.Tags, [{ Key: 'c', Value: 'd' }]);
    assert.ok((await iam.send(new ListRolesCommand({}))).Roles!.some((r) => r.RoleName === 'app'));

    await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'p', PolicyDocument: allow('s3:*') }));
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'app' })), DeleteConflictException, 409, /must delete policies first/);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'app', PolicyName: 'p' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'app' }));
    await rejects(iam.send(new GetRoleCommand({ RoleName: 'app' })), NoSuchEntityException, 404, /^The role with name app cannot be found\.$/);
  });

  test('trust policies are validated: Principal required, no Resource, STS actions only', async () => {
    const noPrincipal = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] });
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: noPrincipal })), MalformedPolicyDocumentException, 400, /Statement\[0\]: must have Principal or NotPrincipal/);
    const withResource = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Resource: '*' }] });
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: withResource })), MalformedPolicyDocumentException, 400, /Has prohibited field Resource/);
    const s3 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }] });
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: s3 })), MalformedPolicyDocumentException, 400, /only specify STS AssumeRole actions/);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: '{not json' })), MalformedPolicyDocumentException, 400, /not valid JSON/);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: trust(), MaxSessionDuration: 100 })), 'ValidationError', 400, /maxSessionDuration.*greater than or equal to 3600/);
    await iam.send(new CreateRoleCommand({ RoleName: 'twice', AssumeRolePolicyDocument: trust() }));
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'Twice', AssumeRolePolicyDocument: trust() })), EntityAlreadyExistsException, 409, /Role with name Twice already exists/);
    await rejects(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'twice', PolicyDocument: noPrincipal })), MalformedPolicyDocumentException, 400);
  });
});

describe('inline policies', () => {
  test('PutUserPolicy, GetUserPolicy (URL-encoded), ListUserPolicies with paging, DeleteUserPolicy', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'pol' }));
    const doc = allow('vpc-lattice:ListServiceNetworks');
    await iam.send(new PutUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy', PolicyDocument: doc }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'pol', PolicyName: 'a-policy', PolicyDocument: allow('s3:*') }));
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy' }));
    assert.equal(got.UserName, 'pol');
    assert.equal(got.PolicyName, 'b-policy');
    // Every character but RFC 3986's unreserved ones is escaped, `*` included.
    assert.equal(got.PolicyDocument, encodeURIComponent(doc).replace('*', '%2A'));
    assert.match(got.PolicyDocument!, /%22Resource%22%3A%22%2A%22/);
    const first = await iam.send(new ListUserPoliciesCommand({ UserName: 'pol', MaxItems: 1 }));
    assert.deepEqual(first.PolicyNames, ['a-policy']);
    assert.equal(first.IsTruncated, true);
    const second = await iam.send(new ListUserPoliciesCommand({ UserName: 'pol', Marker: first.Marker }));
    assert.deepEqual(second.PolicyNames, ['b-policy']);
    assert.equal(second.IsTruncated, false);
    // Putting a policy under an existing name replaces it.
    await iam.send(new PutUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy', PolicyDocument: allow('s3:GetObject') }));
    assert.equal(decodeURIComponent((await iam.send(new GetUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy' }))).PolicyDocument!), allow('s3:GetObject'));
    await iam.send(new DeleteUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy' }));
    await rejects(iam.send(new GetUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy' })), NoSuchEntityException, 404, /^The user policy with name b-policy cannot be found\.$/);
    await rejects(iam.send(new DeleteUserPolicyCommand({ UserName: 'pol', PolicyName: 'b-policy' })), NoSuchEntityException, 404);
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'nobody', PolicyName: 'p', PolicyDocument: doc })), NoSuchEntityException, 404, /user with name nobody/);
  });

  test('documents are validated as identity-based policies; the aggregate size is limited', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'strict' }));
    const withPrincipal = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] });
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'strict', PolicyName: 'p', PolicyDocument: withPrincipal })), MalformedPolicyDocumentException, 400,
      /^Statement\[0\]\.Principal: not allowed in an identity-based policy$/);
    const badAction = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'nocolon', Resource: '*' } });
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'strict', PolicyName: 'p', PolicyDocument: badAction })), MalformedPolicyDocumentException, 400, /Statement\.Action/);
    // 2048 characters for all of a user's inline policies together, white space not counted.
    const big = allow('s3:GetObject', `arn:aws:s3:::${'b'.repeat(1000)}`);
    await iam.send(new PutUserPolicyCommand({ UserName: 'strict', PolicyName: 'one', PolicyDocument: big }));
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'strict', PolicyName: 'two', PolicyDocument: big })), LimitExceededException, 409, /Maximum policy size of 2048 bytes exceeded for user strict/);
    await rejects(iam.send(new PutUserPolicyCommand({ UserName: 'strict', PolicyName: 'bad name', PolicyDocument: big })), 'ValidationError', 400, /policyName/);
  });

  test('role inline policies', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'holder', AssumeRolePolicyDocument: trust() }));
    const doc = allow('vpc-lattice-svcs:Invoke');
    await iam.send(new PutRolePolicyCommand({ RoleName: 'holder', PolicyName: 'invoke', PolicyDocument: doc }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'holder', PolicyName: 'INVOKE' }));
    assert.equal(got.RoleName, 'holder');
    assert.equal(got.PolicyName, 'invoke');
    assert.equal(decodeURIComponent(got.PolicyDocument!), doc);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'holder' }))).PolicyNames, ['invoke']);
    await rejects(iam.send(new PutRolePolicyCommand({ RoleName: 'holder', PolicyName: 'x', PolicyDocument: '[]' })), MalformedPolicyDocumentException, 400, /must be a JSON object/);
    await rejects(iam.send(new GetRolePolicyCommand({ RoleName: 'holder', PolicyName: 'x' })), NoSuchEntityException, 404, /role policy with name x/);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'holder', PolicyName: 'invoke' }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'holder' }))).PolicyNames, []);
  });
});

describe('access keys', () => {
  test('CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey; two per user', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'keyed' }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
    assert.equal(k.UserName, 'keyed');
    assert.match(k.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k.SecretAccessKey!.length, 40);
    assert.equal(k.Status, 'Active');
    assert.ok(k.CreateDate instanceof Date);
    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
    await rejects(iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' })), LimitExceededException, 409, /Cannot exceed quota for AccessKeysPerUser: 2/);

    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'keyed' }));
    assert.deepEqual(listed.AccessKeyMetadata!.map((m) => m.AccessKeyId).sort(), [k.AccessKeyId, k2.AccessKeyId].sort());
    assert.ok(listed.AccessKeyMetadata!.every((m) => m.UserName === 'keyed' && m.Status === 'Active'));
    const paged = await iam.send(new ListAccessKeysCommand({ UserName: 'keyed', MaxItems: 1 }));
    assert.equal(paged.AccessKeyMetadata!.length, 1);
    assert.equal(paged.IsTruncated, true);

    await iam.send(new UpdateAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k2.AccessKeyId, Status: 'Inactive' }));
    const after = await iam.send(new ListAccessKeysCommand({ UserName: 'keyed' }));
    assert.equal(after.AccessKeyMetadata!.find((m) => m.AccessKeyId === k2.AccessKeyId)!.Status, 'Inactive');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k2.AccessKeyId }));
    await rejects(iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k2.AccessKeyId })), NoSuchEntityException, 404, /The Access Key with id/);
    await rejects(iam.send(new CreateAccessKeyCommand({ UserName: 'nobody' })), NoSuchEntityException, 404);
    // A key of another user is not found under this one.
    await iam.send(new CreateUserCommand({ UserName: 'other-keyed' }));
    await rejects(iam.send(new DeleteAccessKeyCommand({ UserName: 'other-keyed', AccessKeyId: k.AccessKeyId })), NoSuchEntityException, 404);
  });

  test("a user's key authenticates to the Lattice API and to IAM as that user", async () => {
    await iam.send(new CreateUserCommand({ UserName: 'caller' }));
    const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'caller' }))).AccessKey!;
    const lattice = new VPCLatticeClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, maxAttempts: 1 });
    clients.push(lattice);
    // Authenticated, but a user may call only what its identity policies allow.
    await assert.rejects(lattice.send(new ListServiceNetworksCommand({})), (err: unknown) => {
      assert.equal((err as Error).name, 'AccessDeniedException');
      assert.match((err as Error).message, /user\/caller is not authorized to perform: vpc-lattice:ListServiceNetworks/);
      return true;
    });
    await iam.send(new PutUserPolicyCommand({
      UserName: 'caller', PolicyName: 'self-service',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['vpc-lattice:ListServiceNetworks', 'iam:GetUser', 'iam:*AccessKey*'], Resource: '*' }] }),
    }));
    const list = await lattice.send(new ListServiceNetworksCommand({}));
    assert.equal(list.$metadata.httpStatusCode, 200);

    const asUser = iamFor(k.AccessKeyId!, k.SecretAccessKey!);
    const me = (await asUser.send(new GetUserCommand({}))).User!;
    assert.equal(me.UserName, 'caller');
    assert.equal(me.Arn, `arn:aws:iam::${account}:user/caller`);
    // Without UserName, key operations are about the caller's own user.
    const own = (await asUser.send(new CreateAccessKeyCommand({}))).AccessKey!;
    assert.equal(own.UserName, 'caller');
    assert.equal((await asUser.send(new ListAccessKeysCommand({}))).AccessKeyMetadata!.length, 2);
    await asUser.send(new DeleteAccessKeyCommand({ AccessKeyId: own.AccessKeyId }));

    const wrong = iamFor(k.AccessKeyId!, 'not-the-secret');
    await rejects(wrong.send(new GetUserCommand({})), 'SignatureDoesNotMatch', 403);
    const unknown = iamFor('AKIAUNKNOWNUNKNOWN00', 'x');
    await rejects(unknown.send(new GetUserCommand({})), 'InvalidClientTokenId', 403, /security token included in the request is invalid/);
  });
});

describe('policy simulator', () => {
  // The AWS CLI reference's simulate-custom-policy example, and what IAM answered for it.
  const example = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}';

  test('SimulateCustomPolicy: allowed with the matched statement and its position', async () => {
    const out = await iam.send(new SimulateCustomPolicyCommand({
      PolicyInputList: [example], ActionNames: ['dynamodb:CreateBackup'],
      ContextEntries: [{ ContextKeyName: 'aws:CurrentTime', ContextKeyValues: ['2019-04-25T11:00:00Z'], ContextKeyType: 'date' }],
    }));
    assert.equal(out.IsTruncated, false);
    assert.deepEqual(out.EvaluationResults, [{
      EvalActionName: 'dynamodb:CreateBackup', EvalResourceName: '*', EvalDecision: 'allowed',
      MatchedStatements: [{ SourcePolicyId: 'PolicyInputList.1', SourcePolicyType: 'IAM Policy', StartPosition: { Line: 1, Column: 38 }, EndPosition: { Line: 1, Column: 167 } }],
      MissingContextValues: [],
    }]);
    const early = await iam.send(new SimulateCustomPolicyCommand({
      PolicyInputList: [example], ActionNames: ['dynamodb:CreateBackup'],
      ContextEntries: [{ ContextKeyName: 'aws:CurrentTime', ContextKeyValues: ['2014-04-25T11:00:00Z'], ContextKeyType: 'date' }],
    }));
    assert.equal(early.EvaluationResults![0].EvalDecision, 'implicitDeny');
    assert.deepEqual(early.EvaluationResults![0].MatchedStatements, []);
  });

  test('SimulateCustomPolicy: explicit deny wins, implicit deny matches nothing, missing context keys are named', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'All', Effect: 'Allow', Action: 's3:*', Resource: '*' },
        { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
        { Sid: 'FromHome', Effect: 'Allow', Action: 'ec2:StartInstances', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } },
      ],
    }, null, 2);
    const out = await iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: [policy], ActionNames: ['s3:GetObject', 's3:DeleteObject', 'sqs:SendMessage', 'ec2:StartInstances'] }));
    const [get, del, sqs, ec2] = out.EvaluationResults!;
    assert.equal(get.EvalDecision, 'allowed');
    assert.deepEqual(get.MatchedStatements!.map((s) => [s.StartPosition, s.EndPosition]), [[{ Line: 4, Column: 6 }, { Line: 9, Column: 6 }]]);
    assert.equal(del.EvalDecision, 'explicitDeny');
    // Only the deny is reported when a deny decides (EvaluationResult, MatchedStatements).
    assert.deepEqual(del.MatchedStatements!.map((s) => s.StartPosition!.Line), [10]);
    assert.equal(sqs.EvalDecision, 'implicitDeny');
    assert.deepEqual(sqs.MatchedStatements, []);
    assert.equal(ec2.EvalDecision, 'implicitDeny');
    assert.deepEqual(ec2.MissingContextValues, ['aws:SourceIp']);
  });

  test('SimulateCustomPolicy: specific resources, a resource policy and cross-account details', async () => {
    const bucket = 'arn:aws:s3:::shared-bucket/key';
    const resourcePolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/sim` }, Action: 's3:GetObject', Resource: '*' }] });
    const same = await iam.send(new SimulateCustomPolicyCommand({
      PolicyInputList: [allow('s3:PutObject')], ActionNames: ['s3:GetObject'], ResourceArns: [bucket],
      ResourcePolicy: resourcePolicy, CallerArn: `arn:aws:iam::${account}:user/sim`,
    }));
    const r = same.EvaluationResults![0];
    // Same account: the resource policy alone allows; details present but empty.
    assert.equal(r.EvalDecision, 'allowed');
    assert.equal(r.EvalResourceName, bucket);
    assert.deepEqual(r.MatchedStatements!.map((s) => [s.SourcePolicyId, s.SourcePolicyType]), [['ResourcePolicy', 'Resource Policy']]);
    assert.deepEqual(r.EvalDecisionDetails ?? {}, {});
    assert.equal(r.ResourceSpecificResults![0].EvalResourceDecision, 'allowed');

    // The bucket owned by another account: both sides must allow.
    const cross = await iam.send(new SimulateCustomPolicyCommand({
      PolicyInputList: [allow('s3:PutObject')], ActionNames: ['s3:GetObject'], ResourceArns: [bucket, 'arn:aws:s3:::other/key'],
      ResourcePolicy: resourcePolicy, CallerArn: `arn:aws:iam::${account}:user/sim`, ResourceOwner: 'arn:aws:iam::999988887777:root',
    }));
    const c = cross.EvaluationResults![0];
    assert.equal(c.EvalDecision, 'implicitDeny');
    assert.equal(c.EvalResourceName, '*');
    assert.deepEqual(c.EvalDecisionDetails, { 'IAM Policy': 'implicitDeny', 'Resource Policy': 'allowed' });
    assert.deepEqual(c.ResourceSpecificResults!.map((x) => x.EvalResourceName), [bucket, 'arn:aws:s3:::other/key']);

    await rejects(iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: [allow('s3:*')], ActionNames: ['s3:Get*'] })), InvalidInputException, 400, /without wildcards/);
    await rejects(iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: ['{"Statement":[]}'], ActionNames: ['s3:GetObject'] })), InvalidInputException, 400, /PolicyInputList\.1 is not a valid policy/);
    await rejects(iam.send(new SimulateCustomPolicyCommand({ PolicyInputList: [allow('s3:*')], ActionNames: ['s3:GetObject'], ResourcePolicy: resourcePolicy })), InvalidInputException, 400, /CallerArn/);
  });

  test("SimulatePrincipalPolicy: a user's and a role's inline policies", async () => {
    await iam.send(new CreateUserCommand({ UserName: 'sim' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'sim', PolicyName: 'Lattice', PolicyDocument: allow('vpc-lattice:List*') }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'sim', PolicyName: 'Guard', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'vpc-lattice:ListServices', Resource: '*' }] }) }));
    const out = await iam.send(new SimulatePrincipalPolicyCommand({
      PolicySourceArn: `arn:aws:iam::${account}:user/sim`, ActionNames: ['vpc-lattice:ListServiceNetworks', 'vpc-lattice:ListServices', 'vpc-lattice:CreateService'],
    }));
    assert.deepEqual(out.EvaluationResults!.map((r) => r.EvalDecision), ['allowed', 'explicitDeny', 'implicitDeny']);
    assert.deepEqual(out.EvaluationResults![0].MatchedStatements!.map((s) => s.SourcePolicyId), ['Lattice']);
    assert.deepEqual(out.EvaluationResults![1].MatchedStatements!.map((s) => s.SourcePolicyId), ['Guard']);

    const page1 = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account}:user/sim`, ActionNames: ['a:b', 'c:d'], MaxItems: 1 }));
    assert.equal(page1.EvaluationResults!.length, 1);
    assert.equal(page1.IsTruncated, true);
    const page2 = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account}:user/sim`, ActionNames: ['a:b', 'c:d'], Marker: page1.Marker }));
    assert.deepEqual(page2.EvaluationResults!.map((r) => r.EvalActionName), ['c:d']);

    await iam.send(new CreateRoleCommand({ RoleName: 'sim-role', AssumeRolePolicyDocument: trust() }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'sim-role', PolicyName: 'Invoke', PolicyDocument: allow('vpc-lattice-svcs:Invoke') }));
    const role = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account}:role/sim-role`, ActionNames: ['vpc-lattice-svcs:Invoke'] }));
    assert.equal(role.EvaluationResults![0].EvalDecision, 'allowed');
    assert.equal(role.EvaluationResults![0].MatchedStatements![0].SourcePolicyId, 'Invoke');

    await rejects(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account}:user/ghost`, ActionNames: ['s3:GetObject'] })), NoSuchEntityException, 404);
  });
});

test('accounts are isolated: another account sees none of these users and roles', async () => {
  await iam.send(new CreateUserCommand({ UserName: 'mine' }));
  const other = await h.newAccount();
  const creds = await other.client.config.credentials();
  const theirs = iamFor(creds.accessKeyId, creds.secretAccessKey);
  await rejects(theirs.send(new GetUserCommand({ UserName: 'mine' })), NoSuchEntityException, 404);
  await rejects(theirs.send(new CreateAccessKeyCommand({ UserName: 'mine' })), NoSuchEntityException, 404);
  await rejects(theirs.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${account}:user/mine`, ActionNames: ['s3:GetObject'] })), NoSuchEntityException, 404);
  // The same name is free in the other account, with that account's ARN.
  const u = (await theirs.send(new CreateUserCommand({ UserName: 'mine' }))).User!;
  assert.equal(u.Arn, `arn:aws:iam::${other.accountId}:user/mine`);
  assert.equal((await theirs.send(new GetUserCommand({}))).User!.Arn, `arn:aws:iam::${other.accountId}:root`);
});

describe('principalOf', () => {
  const acct = '123456789012';
  const records = new Map<string, unknown>();
  const reader = { get: <T>(table: string, id: string) => records.get(`${table}/${id}`) as T | undefined };
  const policy = allow('vpc-lattice-svcs:Invoke');
  const user: IamUserRecord = {
    account: acct, userName: 'dev', userId: 'AIDAAAAAAAAAAAAAAAAA', arn: `arn:aws:iam::${acct}:user/ops/dev`, path: '/ops/',
    createdAt: '2024-01-01T00:00:00.000Z', tags: { team: 'blue' }, inlinePolicies: { invoke: policy },
  };
  const role: IamRoleRecord = {
    account: acct, roleName: 'app', roleId: 'AROABBBBBBBBBBBBBBBB', arn: `arn:aws:iam::${acct}:role/app`, path: '/',
    createdAt: '2024-01-01T00:00:00.000Z', assumeRolePolicyDocument: trust(), maxSessionDuration: 3600,
    tags: { team: 'red', tier: 'web' }, inlinePolicies: { invoke: policy },
  };
  const accountRec: AccountRecord = { id: acct, name: 'a', createdAt: '2024-01-01T00:00:00.000Z', orgId: 'o-abcdefghij' };
  records.set(`account/${acct}`, accountRec);
  records.set(`iamuser/${acct}:dev`, user);
  records.set(`iamrole/${acct}:app`, role);
  const base = { secretAccessKey: 's', accountId: acct, createdAt: '2024-01-01T00:00:00.000Z' };

  test('root and bootstrap admin keys: the account principal, everything allowed', () => {
    for (const key of [{ ...base, accessKeyId: 'AKIAROOT', arn: `arn:aws:iam::${acct}:root` }, { ...base, accessKeyId: 'AKIAADMIN', arn: `arn:aws:iam::${acct}:root`, admin: true }]) {
      const who = principalOf(reader, key);
      assert.equal(who.root, true);
      assert.deepEqual(who.principal, { type: 'Root', arn: `arn:aws:iam::${acct}:root`, principalArn: `arn:aws:iam::${acct}:root`, account: acct, userId: acct, orgId: 'o-abcdefghij' });
      const r = evaluatePolicies(who.identity!, { principal: who.principal, action: 'vpc-lattice:DeleteService', resource: `arn:aws:vpc-lattice:us-east-1:${acct}:service/svc-1`, context: {} });
      assert.equal(r.decision, 'ALLOW');
    }
  });

  test("a user's key: the user principal and its parsed inline policies", () => {
    const key: AccessKeyRecord = { ...base, accessKeyId: 'AKIAUSER', arn: user.arn, userName: 'dev', status: 'Active' };
    const who = principalOf(reader, key);
    assert.equal(who.root, false);
    assert.deepEqual(who.principal, { type: 'User', arn: user.arn, principalArn: user.arn, account: acct, tags: { team: 'blue' }, username: 'dev', userId: user.userId, orgId: 'o-abcdefghij' });
    assert.deepEqual(who.identity!.map((p) => p.label), ['user/dev/invoke']);
    assert.equal(evaluatePolicies(who.identity!, { principal: who.principal, action: 'vpc-lattice-svcs:Invoke', resource: 'arn:x:y:z:1:a', context: {} }).decision, 'ALLOW');
    // Cached while nothing changed; a new user record (a new revision) gives a new answer.
    assert.equal(principalOf(reader, key), who);
    records.set(`iamuser/${acct}:dev`, { ...user, inlinePolicies: {} });
    const changed = principalOf(reader, key);
    assert.notEqual(changed, who);
    assert.deepEqual(changed.identity, []);
    records.set(`iamuser/${acct}:dev`, user);
  });

  test('a role session key: the assumed-role principal, role and session tags, the role policies', () => {
    const sessionArn = `arn:aws:sts::${acct}:assumed-role/app/s1`;
    const key: AccessKeyRecord = {
      ...base, accessKeyId: 'ASIASESSION', arn: sessionArn, sessionToken: 't', expiration: '2999-01-01T00:00:00.000Z',
      roleArn: role.arn, sessionName: 's1', sessionTags: { team: 'green' },
    };
    const who = principalOf(reader, key);
    assert.equal(who.root, false);
    assert.deepEqual(who.principal, {
      type: 'AssumedRole', arn: sessionArn, principalArn: role.arn, account: acct, tags: { team: 'green', tier: 'web' },
      userId: `${role.roleId}:s1`, orgId: 'o-abcdefghij',
    });
    assert.deepEqual(who.identity!.map((p) => p.label), ['role/app/invoke']);
    // A session of a role since deleted keeps its identity but has no policies.
    const orphan = principalOf(reader, { ...key, accessKeyId: 'ASIAORPHAN', roleArn: `arn:aws:iam::${acct}:role/gone`, arn: `arn:aws:sts::${acct}:assumed-role/gone/s1` });
    assert.deepEqual(orphan.identity, []);
    assert.equal(orphan.principal.principalArn, `arn:aws:iam::${acct}:role/gone`);
  });
});
