// STS over the AWS query protocol, driven by the official @aws-sdk/client-sts against a real
// Trellis: the whole story (an organization, a created account, AssumeRole into its
// OrganizationAccountAccessRole from the management account, the temporary credentials used on
// VPC Lattice in the new account), GetCallerIdentity, refused tokens (missing, tampered, expired,
// inactive), trust policies (deny, ExternalId, session tags), validation, and the wire format.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import {
  STSClient, AssumeRoleCommand, GetCallerIdentityCommand, MalformedPolicyDocumentException, type AssumeRoleCommandInput,
} from '@aws-sdk/client-sts';
import { OrganizationsClient, CreateOrganizationCommand, CreateAccountCommand } from '@aws-sdk/client-organizations';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { VPCLatticeClient, CreateServiceNetworkCommand, GetServiceNetworkCommand, ListServiceNetworksCommand } from '@aws-sdk/client-vpc-lattice';
import { SignatureV4 } from '@smithy/signature-v4';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import type { AwsService } from '../../src/api/server.ts';
import { stsService } from '../../src/api/sts/service.ts';
import { organizationsService } from '../../src/api/organizations/service.ts';
import { iamService } from '../../src/api/iam/service.ts';
import { sign } from '../../src/iam/sigv4.ts';
import { authenticate } from '../../src/iam/authenticate.ts';
import type { AccessKeyRecord } from '../../src/iam/identities.ts';

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * Test-only: reads and writes store records directly (roles with hand-made trust policies, keys to
 * expire), through an AwsService so writes go through the server's one writer.
 */
const SEED_TARGET = 'TrellisTestSeed.Do';
const seedService: AwsService = {
  signingName: 'trellis-test-seed',
  claims: (req) => req.headers['x-amz-target'] === SEED_TARGET,
  handle(ctx, req) {
    const { op, table, id, value } = JSON.parse(req.body.toString('utf8')) as { op: 'get' | 'put'; table: string; id: string; value?: object };
    if (op === 'put') ctx.put(table, id, value!);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: ctx.get(table, id) ?? null }) };
  },
  renderError: (err) => ({ status: err.status, headers: {}, body: JSON.stringify({ code: err.code, message: err.message }) }),
};

let h: Harness;
let sts: STSClient;
let orgs: OrganizationsClient;
const destroyers: { destroy(): void }[] = [];
let member: string; // the account CreateAccount made
const ROLE = 'OrganizationAccountAccessRole';

async function seed(op: 'get' | 'put', table: string, id: string, value?: object): Promise<Record<string, unknown> | null> {
  const url = new URL('/', h.trellis.api);
  const body = JSON.stringify({ op, table, id, value });
  const headers = sign({ method: 'POST', url, headers: { 'x-amz-target': SEED_TARGET }, body, accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey, region: h.trellis.region, service: 'trellis-test-seed' });
  delete headers.host;
  const res = await fetch(url, { method: 'POST', headers, body });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { value: Record<string, unknown> | null }).value;
}

/** A role record as IAM would store it, with the given trust policy. */
function putRole(account: string, name: string, trust: object, maxSessionDuration = 3600, tags?: Record<string, string>) {
  return seed('put', 'iamrole', `${account}:${name}`, {
    account, roleName: name, roleId: `AROA${name.toUpperCase().replace(/[^A-Z]/g, '').padEnd(16, 'Q').slice(0, 16)}`, arn: `arn:aws:iam::${account}:role/${name}`,
    path: '/', createdAt: new Date().toISOString(), assumeRolePolicyDocument: JSON.stringify(trust), maxSessionDuration, inlinePolicies: {}, ...(tags ? { tags } : {}),
  });
}

const stsFor = (credentials: Creds) => {
  const c = new STSClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials, maxAttempts: 1 });
  destroyers.push(c);
  return c;
};
const latticeFor = (credentials: Creds) => {
  const c = new VPCLatticeClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials, maxAttempts: 1 });
  destroyers.push(c);
  return c;
};
const credsOf = (out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } }): Creds => ({
  accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken!,
});

/** Runs `fn` and returns the SDK error it throws (it must throw). */
async function failure(fn: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  assert.fail('expected an error');
}

before(async () => {
  h = await startHarness({ services: [stsService, organizationsService, iamService, seedService] });
  sts = stsFor({ accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey });
  orgs = new OrganizationsClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey }, maxAttempts: 1 });
  destroyers.push(orgs);
  await orgs.send(new CreateOrganizationCommand({}));
  const created = await orgs.send(new CreateAccountCommand({ Email: 'member@example.com', AccountName: 'Member' }));
  member = created.CreateAccountStatus!.AccountId!;
});

after(async () => {
  for (const c of destroyers) c.destroy();
  await h.close();
});

const roleArnIn = (account: string, name = ROLE) => `arn:aws:iam::${account}:role/${name}`;

test('the management account assumes OrganizationAccountAccessRole and acts in the new account', async () => {
  const before = Date.now();
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'admin@example.com' }));
  const c = out.Credentials!;
  assert.match(c.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(c.SecretAccessKey!.length, 40);
  assert.ok(c.SessionToken!.length >= 100);
  assert.ok(c.Expiration instanceof Date);
  // Default duration: one hour, in whole seconds.
  assert.ok(Math.abs(c.Expiration.getTime() - (before + 3600_000)) < 5000, c.Expiration.toISOString());
  assert.equal(c.Expiration.getMilliseconds(), 0);
  assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${member}:assumed-role/${ROLE}/admin@example.com`);
  assert.match(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{16}:admin@example\.com$/);
  assert.equal(out.PackedPolicySize, undefined);

  // The session's resources land in the new account.
  const lattice = latticeFor(credsOf(out));
  const sn = await lattice.send(new CreateServiceNetworkCommand({ name: 'member-network' }));
  assert.match(sn.arn!, new RegExp(`^arn:aws:vpc-lattice:${h.trellis.region}:${member}:servicenetwork/sn-`));
  assert.equal((await lattice.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id! }))).name, 'member-network');
  const mine = await h.client.send(new ListServiceNetworksCommand({}));
  assert.ok(!mine.items!.some((i) => i.id === sn.id), 'not in the management account');
});

test('GetCallerIdentity: root, and a role session', async () => {
  const root = await sts.send(new GetCallerIdentityCommand({}));
  assert.deepEqual([root.UserId, root.Account, root.Arn], [h.trellis.accountId, h.trellis.accountId, `arn:aws:iam::${h.trellis.accountId}:root`]);

  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'whoami' }));
  const me = await stsFor(credsOf(out)).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Account, member);
  assert.equal(me.Arn, `arn:aws:sts::${member}:assumed-role/${ROLE}/whoami`);
  assert.equal(me.UserId, out.AssumedRoleUser!.AssumedRoleId);
});

test('temporary credentials need their own, unexpired session token; inactive keys are refused', async () => {
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'tokens' }));
  const creds = credsOf(out);

  for (const bad of [{ ...creds, sessionToken: undefined }, { ...creds, sessionToken: creds.sessionToken!.slice(0, -4) + 'AAAA' }]) {
    const e = await failure(() => stsFor(bad).send(new GetCallerIdentityCommand({})));
    assert.equal(e.name, 'InvalidClientTokenId');
    assert.equal(e.message, 'The security token included in the request is invalid.');
    assert.equal(e.$metadata?.httpStatusCode, 403);
    const l = await failure(() => latticeFor(bad).send(new ListServiceNetworksCommand({})));
    assert.equal(l.name, 'UnrecognizedClientException');
  }
  // A long-term key with a session token is refused too.
  const e = await failure(() => stsFor({ accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey, sessionToken: creds.sessionToken }).send(new GetCallerIdentityCommand({})));
  assert.equal(e.name, 'InvalidClientTokenId');

  // Expired: STS and IAM say ExpiredToken, JSON services ExpiredTokenException.
  const rec = (await seed('get', 'accesskey', creds.accessKeyId))!;
  await seed('put', 'accesskey', creds.accessKeyId, { ...rec, expiration: new Date(Date.now() - 1000).toISOString() });
  const expired = await failure(() => stsFor(creds).send(new GetCallerIdentityCommand({})));
  assert.equal(expired.name, 'ExpiredToken');
  assert.equal(expired.message, 'The security token included in the request is expired');
  assert.equal(expired.$metadata?.httpStatusCode, 403);
  assert.equal((await failure(() => latticeFor(creds).send(new ListServiceNetworksCommand({})))).name, 'ExpiredTokenException');

  // The next AssumeRole prunes expired session keys.
  await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'pruner' }));
  assert.equal(await seed('get', 'accesskey', creds.accessKeyId), null);

  // Inactive keys read as unknown.
  const fresh = credsOf(await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'inactive' })));
  const freshRec = (await seed('get', 'accesskey', fresh.accessKeyId))!;
  await seed('put', 'accesskey', fresh.accessKeyId, { ...freshRec, status: 'Inactive' });
  assert.equal((await failure(() => stsFor(fresh).send(new GetCallerIdentityCommand({})))).name, 'InvalidClientTokenId');
});

/** SHA-256 / HMAC-SHA-256 for @smithy/signature-v4, from node:crypto. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === 'string' ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
class Sha256 {
  readonly #hash;
  constructor(secret?: SourceData) { this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret)); }
  update(data: SourceData): void { this.#hash.update(bytes(data)); }
  async digest(): Promise<Uint8Array> { return new Uint8Array(this.#hash.digest()); }
}

test('an IAM user: GetCallerIdentity, and AssumeRole across accounts needs its identity policy too', async () => {
  const iam = new IAMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey }, maxAttempts: 1 });
  destroyers.push(iam);
  const user = (await iam.send(new CreateUserCommand({ UserName: 'alice' }))).User!;
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }))).AccessKey!;
  const alice = stsFor({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
  const me = await alice.send(new GetCallerIdentityCommand({}));
  assert.deepEqual([me.UserId, me.Account, me.Arn], [user.UserId, h.trellis.accountId, user.Arn]);
  assert.match(me.UserId!, /^AIDA[A-Z2-7]{16}$/);

  // The member's role trusts the management account: that delegates to alice's own policies.
  const arn = roleArnIn(member);
  const denied = await failure(() => alice.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'alice' })));
  assert.equal(denied.name, 'AccessDenied');
  assert.equal(denied.message, `User: ${user.Arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
  await iam.send(new PutUserPolicyCommand({
    UserName: 'alice', PolicyName: 'assume-org-roles',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::*:role/${ROLE}` }] }),
  }));
  const out = await alice.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'alice' }));
  assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${member}:assumed-role/${ROLE}/alice`);

  // A deactivated key is refused.
  await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.AccessKeyId, Status: 'Inactive' }));
  assert.equal((await failure(() => alice.send(new GetCallerIdentityCommand({})))).name, 'InvalidClientTokenId');
});

test('a presigned GetCallerIdentity URL carries the session token in its query', async () => {
  const creds = credsOf(await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'presigned' })));
  const api = new URL(h.trellis.api);
  const signer = new SignatureV4({ service: 'sts', region: h.trellis.region, credentials: creds, sha256: Sha256 });
  const signed = await signer.presign({
    method: 'GET', protocol: 'http:', hostname: api.hostname, port: Number(api.port), path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, headers: { host: api.host },
  }, { expiresIn: 60 });
  const query = signed.query as Record<string, string>;
  assert.equal(query['X-Amz-Security-Token'], creds.sessionToken);
  const url = `${h.trellis.api}/?${new URLSearchParams(query)}`;
  const res = await fetch(url);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(text, /^<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><GetCallerIdentityResult>/);
  assert.ok(text.includes(`<Arn>arn:aws:sts::${member}:assumed-role/${ROLE}/presigned</Arn>`), text);
  assert.match(text, /<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/GetCallerIdentityResponse>$/);

  // Without the token the same URL is refused.
  const stripped = new URLSearchParams(query);
  stripped.delete('X-Amz-Security-Token');
  const refused = await fetch(`${h.trellis.api}/?${stripped}`);
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /<Code>InvalidClientTokenId<\/Code>/);
});

test('a trust policy that does not allow the caller: AccessDenied, as for a role that does not exist', async () => {
  const other = await h.newAccount();
  // The other account's root key, from the Lattice client the harness made for it.
  const creds = await other.client.config.credentials();
  const outsider = stsFor({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
  const arn = roleArnIn(member);
  const e = await failure(() => outsider.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'intruder' })));
  assert.equal(e.name, 'AccessDenied');
  assert.equal(e.message, `User: arn:aws:iam::${other.accountId}:root is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
  assert.equal(e.$metadata?.httpStatusCode, 403);

  const missing = roleArnIn(member, 'NoSuchRole');
  const m = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: missing, RoleSessionName: 'ghost' })));
  assert.equal(m.name, 'AccessDenied');
  assert.equal(m.message, `User: arn:aws:iam::${h.trellis.accountId}:root is not authorized to perform: sts:AssumeRole on resource: ${missing}`);
});

test('ExternalId and session tags are condition keys of the trust policy', async () => {
  const acct = h.trellis.accountId;
  await putRole(acct, 'ThirdParty', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: acct }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'secret-42' } } }],
  });
  const arn = roleArnIn(acct, 'ThirdParty');
  assert.equal((await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 's' + 'x' })))).name, 'AccessDenied');
  assert.equal((await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'sx', ExternalId: 'wrong-1' })))).name, 'AccessDenied');
  const ok = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'sx', ExternalId: 'secret-42' }));
  assert.equal(ok.AssumedRoleUser!.Arn, `arn:aws:sts::${acct}:assumed-role/ThirdParty/sx`);

  // Tags need sts:TagSession too; aws:RequestTag conditions see them.
  await putRole(acct, 'Tagged', {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: 'sts:TagSession', Condition: { StringEquals: { 'aws:RequestTag/team': 'blue' } } },
    ],
  });
  const tagged = roleArnIn(acct, 'Tagged');
  const denied = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: tagged, RoleSessionName: 'tg', Tags: [{ Key: 'team', Value: 'red' }] })));
  assert.equal(denied.name, 'AccessDenied');
  assert.equal(denied.message, `User: arn:aws:iam::${acct}:root is not authorized to perform: sts:TagSession on resource: ${tagged}`);
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: tagged, RoleSessionName: 'tg', Tags: [{ Key: 'team', Value: 'blue' }], TransitiveTagKeys: ['team'] }));
  assert.ok(out.PackedPolicySize! >= 1 && out.PackedPolicySize! <= 100);
  const rec = (await seed('get', 'accesskey', out.Credentials!.AccessKeyId!))!;
  assert.deepEqual(rec.sessionTags, { team: 'blue' });
  assert.equal(rec.roleArn, tagged);
  assert.equal(rec.sessionName, 'tg');
  assert.equal(rec.accountId, acct);

  const dup = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: tagged, RoleSessionName: 'tg', Tags: [{ Key: 'team', Value: 'blue' }, { Key: 'TEAM', Value: 'x' }] })));
  assert.equal(dup.name, 'ValidationError');
  const notTagged = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: tagged, RoleSessionName: 'tg', Tags: [{ Key: 'team', Value: 'blue' }], TransitiveTagKeys: ['cost'] })));
  assert.equal(notTagged.name, 'InvalidParameterValue');
});

test('a session policy is validated and stored', async () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'vpc-lattice:Get*', Resource: '*' }] });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'scoped', Policy: policy }));
  assert.ok(out.PackedPolicySize! >= 1);
  assert.equal((await seed('get', 'accesskey', out.Credentials!.AccessKeyId!))!.sessionPolicy, policy);
  const e = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'scoped', Policy: '{"Statement": 7}' })));
  assert.ok(e instanceof MalformedPolicyDocumentException, e.name);
});

test('DurationSeconds: 900 to the role maximum, and one hour for role chaining', async () => {
  const base: AssumeRoleCommandInput = { RoleArn: roleArnIn(member), RoleSessionName: 'dur' };
  const short = await sts.send(new AssumeRoleCommand({ ...base, DurationSeconds: 900 }));
  assert.ok(Math.abs(short.Credentials!.Expiration!.getTime() - Date.now() - 900_000) < 5000);
  const low = await failure(() => sts.send(new AssumeRoleCommand({ ...base, DurationSeconds: 899 })));
  assert.equal(low.name, 'ValidationError');
  assert.equal(low.message, "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
  const high = await failure(() => sts.send(new AssumeRoleCommand({ ...base, DurationSeconds: 7200 })));
  assert.equal(high.name, 'ValidationError');
  assert.equal(high.message, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

  // A long role in the member account that the session's role may assume (same account: the
  // trust policy names the role itself).
  await putRole(member, 'Long', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: roleArnIn(member) }, Action: 'sts:AssumeRole' }] }, 43200);
  const session = stsFor(credsOf(await sts.send(new AssumeRoleCommand(base))));
  const chained = await session.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member, 'Long'), RoleSessionName: 'chain' }));
  assert.equal(chained.AssumedRoleUser!.Arn, `arn:aws:sts::${member}:assumed-role/Long/chain`);
  const tooLong = await failure(() => session.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member, 'Long'), RoleSessionName: 'chain', DurationSeconds: 7200 })));
  assert.equal(tooLong.message, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  // The management account's root may hold it longer (not chained).
  await putRole(member, 'Long', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: h.trellis.accountId }, Action: 'sts:AssumeRole' }] }, 43200);
  const long = await sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member, 'Long'), RoleSessionName: 'long', DurationSeconds: 43200 }));
  assert.ok(long.Credentials!.Expiration!.getTime() - Date.now() > 43000_000);
});

test('RoleSessionName and RoleArn constraints, all reported together', async () => {
  const e = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::1:role', RoleSessionName: 'a/b' })));
  assert.equal(e.name, 'ValidationError');
  assert.equal(e.message, "2 validation errors detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; "
    + "Value 'a/b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  const short = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'a' })));
  assert.match(short.message, /at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2$/);
  const long = await failure(() => sts.send(new AssumeRoleCommand({ RoleArn: roleArnIn(member), RoleSessionName: 'x'.repeat(65) })));
  assert.match(long.message, /Member must have length less than or equal to 64$/);
});

test('wire format: unknown actions, unsigned requests, XML errors', async () => {
  const url = new URL('/', h.trellis.api);
  const post = async (body: string, signed: boolean) => {
    const base = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const headers = signed ? sign({ method: 'POST', url, headers: base, body, accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey, region: h.trellis.region, service: 'sts' }) : base;
    delete (headers as Record<string, string>).host;
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  };
  const unknown = await post('Action=GetSessionTokenX&Version=2011-06-15', true);
  assert.equal(unknown.status, 400);
  assert.match(unknown.text, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation GetSessionTokenX for version 2011-06-15<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  const unsigned = await post('Action=GetCallerIdentity&Version=2011-06-15', false);
  assert.equal(unsigned.status, 403);
  assert.match(unsigned.text, /<Code>MissingAuthenticationToken<\/Code>/);
  const ok = await post('Action=GetCallerIdentity&Version=2011-06-15', true);
  assert.equal(ok.status, 200);
  assert.ok(ok.text.includes(`<GetCallerIdentityResult><UserId>${h.trellis.accountId}</UserId><Account>${h.trellis.accountId}</Account><Arn>arn:aws:iam::${h.trellis.accountId}:root</Arn></GetCallerIdentityResult>`), ok.text);
});

test('authenticate: a temporary key until its expiration, with its token; us-east-1 for global services', () => {
  const now = Date.UTC(2030, 0, 1, 12);
  const key: AccessKeyRecord = {
    accessKeyId: 'ASIAEXAMPLEEXAMPLE01', secretAccessKey: 'secret', accountId: '111122223333', createdAt: '', sessionToken: 'tok',
    expiration: new Date(now + 1000).toISOString(), roleArn: 'arn:aws:iam::111122223333:role/R', sessionName: 's',
    arn: 'arn:aws:sts::111122223333:assumed-role/R/s',
  };
  const request = (service: string, region: string, sessionToken?: string) => {
    const url = new URL('https://trellis.example/');
    const headers = sign({ method: 'POST', url, headers: {}, body: 'x', accessKeyId: key.accessKeyId, secretAccessKey: 'secret', sessionToken, region, service, now: new Date(now) });
    return { method: 'POST', path: '/', query: '', headers: Object.entries(headers) };
  };
  const verify = (service: string, region: string, token: string | undefined, at = now) => {
    try {
      return authenticate({ region: 'eu-west-1', service, lookup: (id) => (id === key.accessKeyId ? key : undefined), now: () => at }, request(service, region, token), Buffer.from('x')).accessKeyId;
    } catch (err) {
      return (err as Error).name;
    }
  };
  assert.equal(verify('sts', 'eu-west-1', 'tok'), key.accessKeyId);
  assert.equal(verify('sts', 'eu-west-1', undefined), 'UnrecognizedClientException');
  assert.equal(verify('sts', 'eu-west-1', 'tok2'), 'UnrecognizedClientException');
  assert.equal(verify('sts', 'eu-west-1', 'tok', now + 1000), 'ExpiredTokenException');
  for (const global of ['sts', 'iam', 'organizations']) assert.equal(verify(global, 'us-east-1', 'tok'), key.accessKeyId, global);
  assert.equal(verify('vpc-lattice', 'us-east-1', 'tok'), 'InvalidSignatureException');
  assert.equal(verify('vpc-lattice', 'eu-west-1', 'tok'), key.accessKeyId);
});
