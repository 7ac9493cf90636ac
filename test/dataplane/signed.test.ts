// Signed callers on the data plane: IAM users' requests signed by the AWS SDK's own signer, an auth
// policy that names principals, identity policies that must allow too, and the caller identity
// that targets receive in x-amzn-lattice-identity.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { PutAuthPolicyCommand, UpdateServiceCommand } from '@aws-sdk/client-vpc-lattice';
import type { AwsCredentialIdentity } from '@smithy/types';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, type Echo, type EchoReply } from '../helpers/echo.ts';
import { buildService, type Built } from '../helpers/lattice.ts';
import { signedRequest } from '../helpers/sign.ts';

let h: Harness;
let echo: Echo;
let svc: Built;
let port: number;
let iam: IAMClient;

before(async () => {
  h = await startHarness();
  echo = await startEcho('billing');
  port = await freePort();
  svc = await buildService(h.client, { name: 'billing', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  iam = new IAMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey } });
});
after(async () => {
  iam.destroy();
  await h.close();
  await echo.close();
});

async function user(name: string, identityPolicy?: object): Promise<{ arn: string; creds: AwsCredentialIdentity }> {
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  if (identityPolicy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'lattice', PolicyDocument: JSON.stringify(identityPolicy) }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { arn: u.User!.Arn!, creds: { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! } };
}

const invokeAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }] };

test('an auth policy that names a user: that user in, others and anonymous out; the target learns who called', async () => {
  const alice = await user('alice', invokeAll);
  const bob = await user('bob', invokeAll);
  const carol = await user('carol'); // no identity policy: Lattice needs both sides to allow
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: svc.serviceId,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: [alice.arn, carol.arn] }, Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/*` }] }),
  }));

  const ok = await signedRequest(port, svc.host, '/invoices?month=11', alice.creds);
  assert.equal(ok.status, 200, ok.body);
  const seen = JSON.parse(ok.body) as EchoReply;
  assert.equal(seen.headers['x-amzn-lattice-identity'], `Principal=${alice.arn}`);
  assert.equal(seen.url, '/invoices?month=11');

  const other = await signedRequest(port, svc.host, '/invoices', bob.creds);
  assert.equal(other.status, 403);
  assert.match(other.body, /bob is not authorized to invoke this service: denied by the service's auth policy/);
  const noIdentity = await signedRequest(port, svc.host, '/invoices', carol.creds);
  assert.equal(noIdentity.status, 403);
  assert.match(noIdentity.body, /denied by the caller's identity policies/);
  assert.equal((await signedRequest(port, svc.host, '/invoices', undefined)).status, 403, 'anonymous');

  // A signature made with the wrong secret is refused, never taken for an anonymous request.
  const forged = await signedRequest(port, svc.host, '/invoices', { accessKeyId: alice.creds.accessKeyId, secretAccessKey: 'not-the-secret' });
  assert.equal(forged.status, 403);
  assert.match(forged.body, /InvalidSignatureException/);
});

test('identity policies can deny what an auth policy allows', async () => {
  const dave = await user('dave', {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' },
      { Effect: 'Deny', Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/admin/*` },
    ],
  });
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: svc.serviceId,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*', Condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalType': 'anonymous' } } }] }),
  }));
  assert.equal((await signedRequest(port, svc.host, '/reports', dave.creds)).status, 200);
  const denied = await signedRequest(port, svc.host, '/admin/users', dave.creds);
  assert.equal(denied.status, 403);
  assert.match(denied.body, /identity policies/);
});
