import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PutAuthPolicyCommand, GetAuthPolicyCommand, DeleteAuthPolicyCommand, PutResourcePolicyCommand, GetResourcePolicyCommand,
  DeleteResourcePolicyCommand, CreateServiceNetworkCommand, UpdateServiceNetworkCommand, CreateServiceCommand, UpdateServiceCommand,
  DeleteServiceNetworkCommand, CreateResourceGatewayCommand, CreateResourceConfigurationCommand, InternalServerException,
  ResourceNotFoundException, ValidationException,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';

let h: Harness;
let acct: string;
before(async () => { h = await startHarness(); acct = h.trellis.accountId; });
after(async () => { await h.close(); });

let n = 0;
const newNetwork = async (authType?: 'NONE' | 'AWS_IAM') => h.client.send(new CreateServiceNetworkCommand({ name: `pol-net-${++n}`, authType }));

const allowAll = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }],
});

function rejectsWith<T extends Error>(cls: new (...a: never[]) => T, check: (err: T) => void) {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    check(err as T);
    return true;
  };
}

test('auth policy state follows the service network authType', async () => {
  const sn = await newNetwork();
  const put = await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.id, policy: allowAll }));
  assert.equal(put.$metadata.httpStatusCode, 200);
  assert.equal(put.policy, allowAll);
  assert.equal(put.state, 'Inactive');

  const got = await h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.arn }));
  assert.equal(got.policy, allowAll);
  assert.equal(got.state, 'Inactive');
  assert.ok(got.createdAt instanceof Date);
  assert.ok(got.lastUpdatedAt instanceof Date);

  await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: sn.id, authType: 'AWS_IAM' }));
  const active = await h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.id }));
  assert.equal(active.state, 'Active');
  assert.equal(active.createdAt!.getTime(), got.createdAt!.getTime());

  // Replacing the policy keeps createdAt and reports the current state.
  const denyOne = JSON.stringify({
    Statement: { Effect: 'Deny', Principal: { AWS: [`arn:aws:iam::${acct}:role/bad`] }, NotAction: ['vpc-lattice-svcs:Connect'], NotResource: 'arn:aws:vpc-lattice:*' },
  });
  const replaced = await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.arn, policy: denyOne }));
  assert.equal(replaced.state, 'Active');
  const again = await h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.id }));
  assert.equal(again.policy, denyOne);
  assert.equal(again.createdAt!.getTime(), got.createdAt!.getTime());

  await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: sn.id, authType: 'NONE' }));
  assert.equal((await h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.id }))).state, 'Inactive');

  const del = await h.client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: sn.id }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.id })),
    rejectsWith(ResourceNotFoundException, (err) => {
      assert.equal(err.resourceType, 'AUTH_POLICY');
      assert.equal(err.resourceId, sn.id);
    }));
  await assert.rejects(h.client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: sn.id })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'AUTH_POLICY')));
});

test('auth policies on services; resource configurations take none', async () => {
  const svc = await h.client.send(new CreateServiceCommand({ name: 'pol-svc', authType: 'AWS_IAM' }));
  const put = await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: svc.arn, policy: allowAll }));
  assert.equal(put.state, 'Active');
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.id, authType: 'NONE' }));
  assert.equal((await h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: svc.id }))).state, 'Inactive');

  await assert.rejects(h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: 'svc-0123456789abcdef0', policy: allowAll })),
    rejectsWith(ResourceNotFoundException, (err) => {
      assert.equal(err.resourceType, 'SERVICE');
      assert.equal(err.resourceId, 'svc-0123456789abcdef0');
    }));
  await assert.rejects(h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: 'rcfg-0123456789abcdef0', policy: allowAll })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'RESOURCE_CONFIGURATION')));
  await assert.rejects(h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: 'sn-0123456789abcdef0' })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'SERVICE_NETWORK')));
});

test('malformed auth policies are refused with the place named', async () => {
  const sn = await newNetwork('AWS_IAM');
  const cases: [string, RegExp][] = [
    ['{not json', /not valid JSON/],
    ['[]', /must be a JSON object/],
    ['{}', /Statement: is required/],
    [JSON.stringify({ Statement: [] }), /Statement: must contain at least one statement/],
    [JSON.stringify({ Version: '2020-01-01', Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' } }), /Version/],
    [JSON.stringify({ Statement: [{ Effect: 'Permit', Principal: '*', Action: '*', Resource: '*' }] }), /Statement\[0\]\.Effect: must be "Allow" or "Deny"/],
    [JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }, { Effect: 'Allow', Principal: '*', Resource: '*' }] }), /Statement\[1\]: must have Action or NotAction/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: '*' } }), /Statement: must have Resource or NotResource/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: '*', NotAction: 'x', Resource: '*' } }), /both Action and NotAction/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: [], Resource: '*' } }), /Statement\.Action: must be a string or a non-empty array/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: 3, Resource: '*' } }), /Statement\.Action: must be a string/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: { Someone: 'x' }, Action: '*', Resource: '*' } }), /Statement\.Principal\.Someone: unknown principal type/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: 'yes' } }), /Statement\.Condition: must be an object/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Colour: 'red' } }), /Statement\.Colour: unknown statement element/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { StringEqual: { 'aws:PrincipalOrgID': 'o-1' } } } }), /unknown condition operator "StringEqual"/],
    [JSON.stringify({ Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }), /must have Principal or NotPrincipal/],
  ];
  for (const [policy, message] of cases) {
    await assert.rejects(h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.id, policy })),
      rejectsWith(ValidationException, (err) => {
        assert.equal(err.reason, 'fieldValidationFailed');
        assert.equal(err.fieldList?.[0].name, 'policy');
        assert.match(err.message, message);
      }), policy);
  }
  // Over the 10,000-character limit of the shape.
  await assert.rejects(h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.id, policy: ' '.repeat(10_001) })), ValidationException);
  // Nothing was stored.
  await assert.rejects(h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.id })), ResourceNotFoundException);
});

test('the usual shapes of an auth policy are accepted', async () => {
  const sn = await newNetwork('AWS_IAM');
  const policy = JSON.stringify({
    Version: '2012-10-17', Id: 'p1',
    Statement: [{
      Sid: 'AllowOrg', Effect: 'Allow', Principal: { AWS: '*' }, Action: ['vpc-lattice-svcs:Invoke'],
      Resource: ['arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0/*'],
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ['o-abc'], 'vpc-lattice-svcs:RequestMethod': 'GET' }, Bool: { 'aws:SecureTransport': true } },
    }],
  });
  const out = await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.id, policy }));
  assert.equal(out.policy, policy);
});

test('auth policies of another account are not found', async () => {
  const sn = await newNetwork('AWS_IAM');
  await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.id, policy: allowAll }));
  const other = await h.newAccount();
  for (const send of [
    () => other.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.arn })),
    () => other.client.send(new PutAuthPolicyCommand({ resourceIdentifier: sn.arn, policy: allowAll })),
    () => other.client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: sn.id })),
  ]) {
    await assert.rejects(send(), rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'SERVICE_NETWORK')));
  }
  assert.equal((await h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: sn.id }))).policy, allowAll);
});

test('resource policy lifecycle', async () => {
  const sn = await newNetwork();
  const share = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: ['123456789012'] }, Action: ['vpc-lattice:CreateServiceNetworkVpcAssociation'], Resource: sn.arn }],
  });
  const put = await h.client.send(new PutResourcePolicyCommand({ resourceArn: sn.arn, policy: share }));
  assert.equal(put.$metadata.httpStatusCode, 200);
  const got = await h.client.send(new GetResourcePolicyCommand({ resourceArn: sn.arn }));
  assert.equal(got.policy, share);

  const del = await h.client.send(new DeleteResourcePolicyCommand({ resourceArn: sn.arn }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(h.client.send(new GetResourcePolicyCommand({ resourceArn: sn.arn })),
    rejectsWith(ResourceNotFoundException, (err) => {
      assert.equal(err.resourceType, 'RESOURCE_POLICY');
      assert.equal(err.resourceId, sn.arn);
    }));
  await assert.rejects(h.client.send(new DeleteResourcePolicyCommand({ resourceArn: sn.arn })), ResourceNotFoundException);

  const svc = await h.client.send(new CreateServiceCommand({ name: 'pol-shared-svc' }));
  await h.client.send(new PutResourcePolicyCommand({ resourceArn: svc.arn, policy: share }));
  assert.equal((await h.client.send(new GetResourcePolicyCommand({ resourceArn: svc.arn }))).policy, share);

  // Deleting the network takes its policies with it.
  await h.client.send(new PutResourcePolicyCommand({ resourceArn: sn.arn, policy: share }));
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
  await assert.rejects(h.client.send(new GetResourcePolicyCommand({ resourceArn: sn.arn })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'SERVICE_NETWORK')));
});

test('resource policies: validation, unknown resources and other accounts', async () => {
  const sn = await newNetwork();
  for (const policy of [
    '{"Statement": "nope"}',
    JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }), // no Principal
  ]) {
    await assert.rejects(h.client.send(new PutResourcePolicyCommand({ resourceArn: sn.arn, policy })),
      rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'policy')), policy);
  }
  // Whitespace only fails the shape's pattern.
  await assert.rejects(h.client.send(new PutResourcePolicyCommand({ resourceArn: sn.arn, policy: '   ' })), ValidationException);
  // Not a service network, service or resource configuration ARN.
  await assert.rejects(h.client.send(new GetResourcePolicyCommand({ resourceArn: `arn:aws:vpc-lattice:us-east-1:${acct}:targetgroup/tg-0123456789abcdef0` })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'resourceArn')));

  const missing = `arn:aws:vpc-lattice:us-east-1:${acct}:service/svc-0123456789abcdef0`;
  await assert.rejects(h.client.send(new PutResourcePolicyCommand({ resourceArn: missing, policy: allowAll })),
    rejectsWith(ResourceNotFoundException, (err) => {
      assert.equal(err.resourceType, 'SERVICE');
      assert.equal(err.resourceId, missing);
    }));

  await h.client.send(new PutResourcePolicyCommand({ resourceArn: sn.arn, policy: allowAll }));
  const other = await h.newAccount();
  await assert.rejects(other.client.send(new GetResourcePolicyCommand({ resourceArn: sn.arn })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'SERVICE_NETWORK')));
  await assert.rejects(other.client.send(new PutResourcePolicyCommand({ resourceArn: sn.arn, policy: allowAll })), ResourceNotFoundException);
  await assert.rejects(other.client.send(new DeleteResourcePolicyCommand({ resourceArn: sn.arn })), ResourceNotFoundException);
  assert.equal((await h.client.send(new GetResourcePolicyCommand({ resourceArn: sn.arn }))).policy, allowAll);
});

test('a resource configuration takes a resource policy but no auth policy', async (t) => {
  let rcfg;
  try {
    const rgw = await h.client.send(new CreateResourceGatewayCommand({ name: 'pol-rgw', vpcIdentifier: h.trellis.defaultVpcId, subnetIds: ['subnet-0123456789abcdef0'] }));
    rcfg = await h.client.send(new CreateResourceConfigurationCommand({
      name: 'pol-rcfg', type: 'SINGLE', resourceGatewayIdentifier: rgw.id, portRanges: ['5432'], protocol: 'TCP',
      resourceConfigurationDefinition: { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV4' } },
    }));
  } catch (err) {
    if (err instanceof InternalServerException) return t.skip('resource configurations are not implemented yet');
    throw err;
  }
  await assert.rejects(h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: rcfg.id, policy: allowAll })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'resourceIdentifier')));
  await assert.rejects(h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: rcfg.arn })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'AUTH_POLICY')));
  await h.client.send(new PutResourcePolicyCommand({ resourceArn: rcfg.arn, policy: allowAll }));
  assert.equal((await h.client.send(new GetResourcePolicyCommand({ resourceArn: rcfg.arn }))).policy, allowAll);
});
