// Two accounts of one organization share nothing but what their auth policies allow, verified with
// requests signed by the AWS SDK's own signer: the management account owns a service; a role
// session in the member account (STS AssumeRole) calls it; the auth policies decide by
// aws:PrincipalOrgID, the principal and the path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { OrganizationsClient, CreateOrganizationCommand, CreateAccountCommand } from '@aws-sdk/client-organizations';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { PutAuthPolicyCommand, UpdateServiceCommand, UpdateServiceNetworkCommand, VPCLatticeClient, GetServiceCommand, ResourceNotFoundException } from '@aws-sdk/client-vpc-lattice';
import type { AwsCredentialIdentity } from '@smithy/types';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, type Echo, type EchoReply } from '../helpers/echo.ts';
import { buildService, type Built } from '../helpers/lattice.ts';
import { signedRequest } from '../helpers/sign.ts';

let h: Harness;
let echo: Echo;
let svc: Built;
let port: number;
let orgId: string;
let member: string;
let session: AwsCredentialIdentity & { arn: string };

before(async () => {
  h = await startHarness();
  echo = await startEcho('ledger');
  port = await freePort();
  svc = await buildService(h.client, { name: 'ledger', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  const admin = { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey };
  const orgs = new OrganizationsClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: admin });
  orgId = (await orgs.send(new CreateOrganizationCommand({}))).Organization!.Id!;
  member = (await orgs.send(new CreateAccountCommand({ Email: 'payments@example.com', AccountName: 'Payments' }))).CreateAccountStatus!.AccountId!;
  orgs.destroy();
  const sts = new STSClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: admin });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`, RoleSessionName: 'payments-app' }));
  sts.destroy();
  const c = assumed.Credentials!;
  session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, arn: assumed.AssumedRoleUser!.Arn! };
});
after(async () => {
  await h.close();
  await echo.close();
});

const invoke = (path: string, creds?: AwsCredentialIdentity) => signedRequest(port, svc.host, path, creds);
const allow = (extra: object) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', ...extra }] });

test('the member account sees none of the management account\'s resources through the API', async () => {
  const lattice = new VPCLatticeClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: session });
  await assert.rejects(lattice.send(new GetServiceCommand({ serviceIdentifier: svc.serviceArn })), ResourceNotFoundException);
  lattice.destroy();
});

test('an org-wide network policy and a path-scoped service policy admit the member\'s role session, and only there', async () => {
  // Before any auth: open to every client of the associated VPC, signed or not.
  assert.equal((await invoke('/public/rates', session)).status, 200);

  await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: svc.serviceNetworkId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: svc.serviceNetworkId, policy: allow({ Resource: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': orgId } } }) }));
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: svc.serviceId,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole` }, Action: 'vpc-lattice-svcs:Invoke',
        Resource: `${svc.serviceArn}/public/*`,
      }],
    }),
  }));

  const ok = await invoke('/public/rates', session);
  assert.equal(ok.status, 200, ok.body);
  const identity = (JSON.parse(ok.body) as EchoReply).headers['x-amzn-lattice-identity'] as string;
  assert.match(identity, new RegExp(`^Principal=${session.arn.replace(/[/.]/g, '\\$&')}; PrincipalOrgID=${orgId}; SessionName=payments-app$`));

  const privatePath = await invoke('/private/books', session);
  assert.equal(privatePath.status, 403);
  assert.match(privatePath.body, /denied by the service's auth policy/);
  const anonymous = await invoke('/public/rates');
  assert.equal(anonymous.status, 403);
  assert.match(anonymous.body, /denied by the service network's auth policy/);
});
