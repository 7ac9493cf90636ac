// Auth policies enforced on the data plane, through a real `trellis` and real HTTP: AWS_IAM on the
// service and on the service network, path-scoped allows and denies on the normalized path,
// vpc-lattice-svcs condition keys, and 403s that name the level that denied.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutAuthPolicyCommand, UpdateServiceCommand, UpdateServiceNetworkCommand, DeleteAuthPolicyCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, request, type Echo, type EchoReply } from '../helpers/echo.ts';
import { buildService, type Built } from '../helpers/lattice.ts';

let h: Harness;
let echo: Echo;
let svc: Built;
let port: number;

before(async () => {
  h = await startHarness();
  echo = await startEcho('protected');
  port = await freePort();
  svc = await buildService(h.client, { name: 'protected', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
});
after(async () => {
  await h.close();
  await echo.close();
});

const call = (path: string, method = 'GET', headers: Record<string, string> = {}) => request(port, svc.host, { path, method, headers });
const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

test('AWS_IAM on the service: no policy denies; a path-scoped policy allows exactly what it says', async () => {
  assert.equal((await call('/')).status, 200, 'authType NONE: open');
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
  const none = await call('/public/a');
  assert.equal(none.status, 403);
  assert.match(none.body, /AccessDeniedException: An anonymous caller is not authorized to invoke this service: denied by the service's auth policy/);

  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: svc.serviceId,
    policy: policy([
      { Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/public/*`, Condition: { StringEquals: { 'vpc-lattice-svcs:RequestMethod': 'GET' } } },
      { Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/public/secret*` },
    ]),
  }));
  assert.equal((await call('/public/a')).status, 200);
  assert.equal((await call('/public/a', 'POST')).status, 403, 'the method condition');
  assert.equal((await call('/private')).status, 403, 'outside the allowed path');
  assert.equal((await call('/public/secret.txt')).status, 403, 'an explicit deny wins');
  // The policy sees the path routing uses: dot segments can't walk around a deny or into an allow.
  assert.equal((await call('/public/x/../secret.txt')).status, 403);
  assert.equal((await call('/public/../private')).status, 403);
  assert.equal((await call('/public/%2e%2e/private')).status, 403);
  const denied = await call('/private');
  assert.doesNotMatch(denied.body, /public|Principal|vpc-lattice-svcs:Invoke/, 'a denial never shows the policy');
});

test('condition keys: source VPC, request headers and query strings', async () => {
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: svc.serviceId,
    policy: policy([{
      Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*',
      Condition: {
        StringEquals: { 'vpc-lattice-svcs:SourceVpc': h.trellis.defaultVpcId, 'vpc-lattice-svcs:RequestHeader/x-team': 'blue', 'vpc-lattice-svcs:RequestQueryString/mode': 'read' },
        NumericEquals: { 'vpc-lattice-svcs:Port': port },
      },
    }]),
  }));
  assert.equal((await call('/any?mode=read', 'GET', { 'x-team': 'blue' })).status, 200);
  assert.equal((await call('/any?mode=write', 'GET', { 'x-team': 'blue' })).status, 403);
  assert.equal((await call('/any?mode=read', 'GET', { 'x-team': 'red' })).status, 403);
  assert.equal((await call('/any?mode=read')).status, 403);
});

test('AWS_IAM on the service network too: both levels must allow, and the 403 names the network', async () => {
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: svc.serviceId, policy: policy([{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }]) }));
  assert.equal((await call('/x')).status, 200);
  await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: svc.serviceNetworkId, authType: 'AWS_IAM' }));
  // The documented "authenticated callers only" network policy: anonymous callers are refused there.
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: svc.serviceNetworkId,
    policy: policy([{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*', Condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalType': 'anonymous' } } }]),
  }));
  const r = await call('/x');
  assert.equal(r.status, 403);
  assert.match(r.body, /denied by the service network's auth policy/);
  // Authentication: a request that carries a signature which doesn't verify is refused, not anonymous.
  const signed = await call('/x', 'GET', { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/vpc-lattice-svcs/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=00', 'x-amz-date': '20260101T000000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
  assert.equal(signed.status, 403);
  assert.match(signed.body, /UnrecognizedClientException|InvalidSignatureException/);

  await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: svc.serviceNetworkId, authType: 'NONE' }));
  assert.equal((await call('/x')).status, 200, 'the network level is skipped again');
  await h.client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: svc.serviceId }));
  assert.equal((await call('/x')).status, 403, 'AWS_IAM without a policy denies');
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'NONE' }));
  const open = await call('/x');
  assert.equal(open.status, 200);
  assert.equal((JSON.parse(open.body) as EchoReply).headers['x-amzn-lattice-identity'], undefined);
});
