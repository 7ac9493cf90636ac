// AWS Organizations over awsJson1_1, driven by the official @aws-sdk/client-organizations against a
// real Trellis (in eu-west-1, with the Organizations client signing for us-east-1 as AWS's global
// endpoint wants): the organization, created accounts and their statuses, listing with pagination,
// what member and outside accounts may do, and the errors with their reasons.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  OrganizationsClient, CreateOrganizationCommand, DescribeOrganizationCommand, CreateAccountCommand, DescribeCreateAccountStatusCommand,
  DescribeAccountCommand, ListAccountsCommand, paginateListAccounts,
  AWSOrganizationsNotInUseException, AlreadyInOrganizationException, AccessDeniedException, AccountNotFoundException,
  CreateAccountStatusNotFoundException, InvalidInputException, type CreateAccountCommandInput,
} from '@aws-sdk/client-organizations';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { stsService } from '../../src/api/sts/service.ts';
import { organizationsService } from '../../src/api/organizations/service.ts';

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let h: Harness;
let orgs: OrganizationsClient;
let mgmt: string;
const destroyers: { destroy(): void }[] = [];

const orgsFor = (credentials: Creds, region = 'us-east-1') => {
  const c = new OrganizationsClient({ endpoint: h.trellis.api, region, credentials, maxAttempts: 1 });
  destroyers.push(c);
  return c;
};
const stsFor = (credentials: Creds) => {
  const c = new STSClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials, maxAttempts: 1 });
  destroyers.push(c);
  return c;
};
const admin = (): Creds => ({ accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey });

async function failure(fn: () => Promise<unknown>): Promise<Error & { Reason?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { Reason?: string };
  }
  assert.fail('expected an error');
}

/** A session in `account` through its OrganizationAccountAccessRole, for the management account. */
async function sessionIn(account: string, role = 'OrganizationAccountAccessRole'): Promise<Creds> {
  const out = await stsFor(admin()).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/${role}`, RoleSessionName: 'org-test' }));
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

before(async () => {
  h = await startHarness({ region: 'eu-west-1', services: [stsService, organizationsService] });
  orgs = orgsFor(admin());
  mgmt = h.trellis.accountId;
});

after(async () => {
  for (const c of destroyers) c.destroy();
  await h.close();
});

test('no organization yet: AWSOrganizationsNotInUseException', async () => {
  for (const cmd of [new DescribeOrganizationCommand({}), new ListAccountsCommand({}), new CreateAccountCommand({ Email: 'a@example.com', AccountName: 'A' })]) {
    const e = await failure(() => orgs.send(cmd as DescribeOrganizationCommand));
    assert.ok(e instanceof AWSOrganizationsNotInUseException, e.name);
    assert.equal(e.message, 'Your account is not a member of an organization.');
  }
});

test('CreateOrganization makes the caller the management account; DescribeOrganization shows it', async () => {
  const { Organization: org } = await orgs.send(new CreateOrganizationCommand({}));
  assert.match(org!.Id!, /^o-[a-z0-9]{10}$/);
  assert.equal(org!.Arn, `arn:aws:organizations::${mgmt}:organization/${org!.Id}`);
  assert.equal(org!.FeatureSet, 'ALL');
  assert.equal(org!.MasterAccountId, mgmt);
  assert.equal(org!.MasterAccountArn, `arn:aws:organizations::${mgmt}:account/${org!.Id}/${mgmt}`);
  assert.deepEqual((await orgs.send(new DescribeOrganizationCommand({}))).Organization, org);
  // Signed for the server's own Region works as well as for us-east-1.
  assert.equal((await orgsFor(admin(), h.trellis.region).send(new DescribeOrganizationCommand({}))).Organization!.Id, org!.Id);

  const again = await failure(() => orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' })));
  assert.ok(again instanceof AlreadyInOrganizationException, again.name);
  assert.equal(again.message, 'The AWS account is already a member of an organization.');
  const bad = await failure(() => orgs.send(new CreateOrganizationCommand({ FeatureSet: 'SOME' as 'ALL' })));
  assert.ok(bad instanceof InvalidInputException);
});

test('a Region other than the server\'s or us-east-1 is refused', async () => {
  const e = await failure(() => orgsFor(admin(), 'ap-south-1').send(new DescribeOrganizationCommand({})));
  assert.equal(e.name, 'InvalidSignatureException');
  assert.equal(e.message, 'Credential should be scoped to a valid region.');
});

test('CreateAccount: a member account, its status, and DescribeAccount', async () => {
  const started = Date.now() - 1000;
  const { CreateAccountStatus: s } = await orgs.send(new CreateAccountCommand({ Email: 'dev@example.com', AccountName: 'Development', Tags: [{ Key: 'env', Value: 'dev' }] }));
  assert.match(s!.Id!, /^car-[a-z0-9]{32}$/);
  assert.equal(s!.State, 'SUCCEEDED');
  assert.equal(s!.AccountName, 'Development');
  assert.match(s!.AccountId!, /^\d{12}$/);
  assert.ok(s!.RequestedTimestamp instanceof Date && s!.RequestedTimestamp.getTime() >= started);
  assert.ok(s!.CompletedTimestamp instanceof Date);
  assert.equal(s!.FailureReason, undefined);
  assert.deepEqual((await orgs.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: s!.Id }))).CreateAccountStatus, s);

  const { Account: a } = await orgs.send(new DescribeAccountCommand({ AccountId: s!.AccountId }));
  const org = (await orgs.send(new DescribeOrganizationCommand({}))).Organization!;
  assert.equal(a!.Id, s!.AccountId);
  assert.equal(a!.Arn, `arn:aws:organizations::${mgmt}:account/${org.Id}/${s!.AccountId}`);
  assert.equal(a!.Email, 'dev@example.com');
  assert.equal(a!.Name, 'Development');
  assert.equal(a!.Status, 'ACTIVE');
  assert.equal(a!.State, 'ACTIVE');
  assert.equal(a!.JoinedMethod, 'CREATED');
  assert.ok(a!.JoinedTimestamp instanceof Date);
  const self = (await orgs.send(new DescribeAccountCommand({ AccountId: mgmt }))).Account!;
  assert.equal(self.JoinedMethod, 'INVITED');

  // The new account holds OrganizationAccountAccessRole for the management account.
  const creds = await sessionIn(s!.AccountId!);
  const member = orgsFor(creds);
  const seen = (await member.send(new DescribeOrganizationCommand({}))).Organization!;
  assert.equal(seen.Id, org.Id);
  assert.equal(seen.MasterAccountId, mgmt);
  // Member accounts can't manage the organization.
  for (const cmd of [new ListAccountsCommand({}), new DescribeAccountCommand({ AccountId: mgmt }), new CreateAccountCommand({ Email: 'm@example.com', AccountName: 'M' })]) {
    const e = await failure(() => member.send(cmd as ListAccountsCommand));
    assert.ok(e instanceof AccessDeniedException, e.name);
    assert.equal(e.message, 'You don\'t have permissions to access this resource.');
  }
  assert.ok((await failure(() => member.send(new CreateOrganizationCommand({})))) instanceof AlreadyInOrganizationException);
});

test('CreateAccount with another role name; an email already used fails the request', async () => {
  const { CreateAccountStatus: s } = await orgs.send(new CreateAccountCommand({ Email: 'ops@example.com', AccountName: 'Ops', RoleName: 'OpsAdmin', IamUserAccessToBilling: 'DENY' }));
  assert.equal(s!.State, 'SUCCEEDED');
  await sessionIn(s!.AccountId!, 'OpsAdmin');
  await assert.rejects(() => sessionIn(s!.AccountId!), { name: 'AccessDenied' });

  const { CreateAccountStatus: dup } = await orgs.send(new CreateAccountCommand({ Email: 'OPS@example.com', AccountName: 'Ops again' }));
  assert.equal(dup!.State, 'FAILED');
  assert.equal(dup!.FailureReason, 'EMAIL_ALREADY_EXISTS');
  assert.equal(dup!.AccountId, undefined);
  assert.equal((await orgs.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: dup!.Id }))).CreateAccountStatus!.State, 'FAILED');
});

test('CreateAccount input errors: InvalidInputException with its reason', async () => {
  const cases: [Partial<CreateAccountCommandInput>, string][] = [
    [{ Email: 'not-an-email', AccountName: 'X' }, 'INVALID_PATTERN'],
    [{ Email: 'a@b.c', AccountName: 'X' }, 'MIN_LENGTH_EXCEEDED'],
    [{ Email: 'x@example.com', AccountName: 'n'.repeat(51) }, 'MAX_LENGTH_EXCEEDED'],
    [{ Email: 'x@example.com', AccountName: 'tab\tname' }, 'INVALID_PATTERN'],
    [{ AccountName: 'X' }, 'INPUT_REQUIRED'],
    [{ Email: 'x@example.com', AccountName: 'X', RoleName: 'AWSServiceRoleForX' }, 'INVALID_ROLE_NAME'],
    [{ Email: 'x@example.com', AccountName: 'X', RoleName: 'bad role' }, 'INVALID_PATTERN'],
    [{ Email: 'x@example.com', AccountName: 'X', Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] }, 'DUPLICATE_TAG_KEY'],
  ];
  for (const [input, reason] of cases) {
    const e = await failure(() => orgs.send(new CreateAccountCommand(input as CreateAccountCommandInput)));
    assert.ok(e instanceof InvalidInputException, `${JSON.stringify(input)}: ${e.name}`);
    assert.equal(e.Reason, reason, JSON.stringify(input));
    assert.equal(e.$metadata?.httpStatusCode, 400);
  }
});

test('DescribeCreateAccountStatus and DescribeAccount errors', async () => {
  const badId = await failure(() => orgs.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: 'car-NOPE' })));
  assert.ok(badId instanceof InvalidInputException);
  assert.equal(badId.Reason, 'INVALID_PATTERN');
  const unknown = await failure(() => orgs.send(new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: 'car-0123456789abcdef' })));
  assert.ok(unknown instanceof CreateAccountStatusNotFoundException, unknown.name);
  assert.equal(unknown.message, 'We can\'t find an create account request with the CreateAccountRequestId that you specified.');

  const missing = await failure(() => orgs.send(new DescribeAccountCommand({ AccountId: '000000000000' })));
  assert.ok(missing instanceof AccountNotFoundException, missing.name);
  assert.equal(missing.message, 'You specified an account that doesn\'t exist.');
  assert.equal((await failure(() => orgs.send(new DescribeAccountCommand({ AccountId: '12345' })))).Reason, 'INVALID_PATTERN');
});

test('an account outside the organization is not in it, and may found its own', async () => {
  const outside = await h.newAccount();
  const e = await failure(() => orgs.send(new DescribeAccountCommand({ AccountId: outside.accountId })));
  assert.ok(e instanceof AccountNotFoundException);
  const creds = await outside.client.config.credentials();
  const theirs = orgsFor({ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey });
  assert.ok((await failure(() => theirs.send(new DescribeOrganizationCommand({})))) instanceof AWSOrganizationsNotInUseException);
  const own = (await theirs.send(new CreateOrganizationCommand({ FeatureSet: 'CONSOLIDATED_BILLING' }))).Organization!;
  assert.equal(own.FeatureSet, 'CONSOLIDATED_BILLING');
  assert.equal(own.MasterAccountId, outside.accountId);
  const listed = (await theirs.send(new ListAccountsCommand({}))).Accounts!;
  assert.deepEqual(listed.map((a) => a.Id), [outside.accountId]);
  assert.ok(!(await orgs.send(new ListAccountsCommand({}))).Accounts!.some((a) => a.Id === outside.accountId));
});

test('ListAccounts: every account of the organization, MaxResults at a time', async () => {
  for (const n of [1, 2, 3]) await orgs.send(new CreateAccountCommand({ Email: `team${n}@example.com`, AccountName: `Team ${n}` }));
  const all = (await orgs.send(new ListAccountsCommand({}))).Accounts!;
  assert.equal(all[0].Id, mgmt, 'the management account was in the organization first');
  assert.deepEqual(all.slice(-3).map((a) => a.Name), ['Team 1', 'Team 2', 'Team 3']);
  assert.ok(all.length >= 6);

  const first = await orgs.send(new ListAccountsCommand({ MaxResults: 2 }));
  assert.equal(first.Accounts!.length, 2);
  assert.ok(first.NextToken);
  const pages: string[] = [];
  for await (const page of paginateListAccounts({ client: orgs, pageSize: 2 }, {})) pages.push(...page.Accounts!.map((a) => a.Id!));
  assert.deepEqual(pages, all.map((a) => a.Id));

  const tooMany = await failure(() => orgs.send(new ListAccountsCommand({ MaxResults: 21 })));
  assert.equal(tooMany.Reason, 'MAX_VALUE_EXCEEDED');
  const badToken = await failure(() => orgs.send(new ListAccountsCommand({ NextToken: 'garbage' })));
  assert.ok(badToken instanceof InvalidInputException);
  assert.equal(badToken.Reason, 'INVALID_PAGINATION_TOKEN');
});
