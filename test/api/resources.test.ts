import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateResourceGatewayCommand, GetResourceGatewayCommand, ListResourceGatewaysCommand, UpdateResourceGatewayCommand, DeleteResourceGatewayCommand,
  CreateResourceConfigurationCommand, GetResourceConfigurationCommand, ListResourceConfigurationsCommand, UpdateResourceConfigurationCommand,
  DeleteResourceConfigurationCommand, ListResourceEndpointAssociationsCommand, DeleteResourceEndpointAssociationCommand, StartDomainVerificationCommand,
  ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
  type CreateResourceConfigurationCommandInput, type VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { EC2Client, CreateVpcCommand, CreateSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

let h: Harness;
let vpcId: string;
let account: string;
/** A gateway with DNS resolution PUBLIC and one with IN_VPC, shared by the configuration tests. */
let gw: { id: string; arn: string };
let gwInVpc: { id: string; arn: string };
/** EC2 with the Lattice client's credentials: VPCs and security groups for the gateways. */
let ec2: EC2Client;
const ec2Clients: EC2Client[] = [];
const ec2For = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
  const c = new EC2Client({ endpoint: h.trellis.api, region: h.trellis.region, credentials, maxAttempts: 1 });
  ec2Clients.push(c);
  return c;
};
let groups = 0;
/** A new security group in `vpc` (the default VPC unless given), of the account `client` speaks for. */
const newGroup = async (vpc = vpcId, client = ec2) =>
  (await client.send(new CreateSecurityGroupCommand({ GroupName: `rgw-sg-${++groups}`, Description: 'resources test', VpcId: vpc }))).GroupId!;

before(async () => {
  h = await startHarness();
  vpcId = h.trellis.defaultVpcId;
  account = h.trellis.accountId;
  ec2 = ec2For({ accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey });
  const a = await h.client.send(new CreateResourceGatewayCommand({ name: 'shared-gw', vpcIdentifier: vpcId, subnetIds: ['subnet-0123456789abcdef0'] }));
  gw = { id: a.id!, arn: a.arn! };
  const b = await h.client.send(new CreateResourceGatewayCommand({ name: 'shared-gw-in-vpc', vpcIdentifier: vpcId, subnetIds: ['subnet-0123456789abcdef0'], resourceConfigDnsResolution: 'IN_VPC' }));
  gwInVpc = { id: b.id!, arn: b.arn! };
});
after(async () => {
  for (const c of ec2Clients) c.destroy();
  await h.close();
});

function rejectsWith<E extends Error>(cls: new (...args: never[]) => E, check: (e: E) => void = () => {}) {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    check(err);
    return true;
  };
}
const invalidField = (field: string | RegExp) => rejectsWith(ValidationException, (e) => {
  assert.equal(e.reason, 'fieldValidationFailed');
  const name = e.fieldList?.[0]?.name ?? '';
  if (typeof field === 'string') assert.equal(name, field, e.message);
  else assert.match(name, field, e.message);
});
const notFound = (type: string, id?: string) => rejectsWith(ResourceNotFoundException, (e) => {
  assert.equal(e.resourceType, type);
  if (id) assert.equal(e.resourceId, id);
});

let seq = 0;
const uniq = (p: string) => `${p}-${++seq}`;
const single = (extra: Partial<CreateResourceConfigurationCommandInput> = {}): CreateResourceConfigurationCommandInput => ({
  name: uniq('single'), type: 'SINGLE', resourceGatewayIdentifier: gw.id, portRanges: ['443'],
  resourceConfigurationDefinition: { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV4' } }, ...extra,
});
const createCfg = (input: CreateResourceConfigurationCommandInput, client: VPCLatticeClient = h.client) => client.send(new CreateResourceConfigurationCommand(input));

// ---- resource gateways -----------------------------------------------------------------------

test('resource gateway lifecycle: create, get, list, update, delete', async () => {
  const created = await h.client.send(new CreateResourceGatewayCommand({
    name: 'gw-lifecycle', vpcIdentifier: vpcId, subnetIds: ['subnet-aaaa1111', 'subnet-bbbb2222'], tags: { team: 'a' },
  }));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.id!, /^rgw-[0-9a-z]{17}$/);
  assert.equal(created.arn, `arn:aws:vpc-lattice:us-east-1:${account}:resourcegateway/${created.id}`);
  assert.equal(created.name, 'gw-lifecycle');
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.equal(created.vpcIdentifier, vpcId);
  assert.deepEqual(created.subnetIds, ['subnet-aaaa1111', 'subnet-bbbb2222']);
  assert.deepEqual(created.securityGroupIds, []);
  assert.equal(created.ipAddressType, 'IPV4');
  assert.equal(created.ipv4AddressesPerEni, 16);
  assert.equal(created.resourceConfigDnsResolution, 'PUBLIC');

  const got = await h.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: created.arn }));
  assert.equal(got.id, created.id);
  assert.equal(got.status, 'ACTIVE');
  assert.equal(got.vpcId, vpcId);
  assert.equal(got.ipv4AddressesPerEni, 16);
  assert.equal(got.resourceConfigDnsResolution, 'PUBLIC');
  assert.ok(got.createdAt instanceof Date);
  assert.ok(got.lastUpdatedAt instanceof Date);

  const [sg1, sg2] = [await newGroup(), await newGroup()];
  const updated = await h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: created.id, securityGroupIds: [sg1, sg2] }));
  assert.equal(updated.$metadata.httpStatusCode, 200);
  assert.deepEqual(updated.securityGroupIds, [sg1, sg2]);
  assert.equal(updated.vpcId, vpcId);
  assert.equal(updated.status, 'ACTIVE');
  assert.equal(updated.ipAddressType, 'IPV4');
  assert.deepEqual((await h.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: created.id }))).securityGroupIds, [sg1, sg2]);

  const list = await h.client.send(new ListResourceGatewaysCommand({}));
  const item = list.items!.find((g) => g.id === created.id);
  assert.ok(item);
  assert.equal(item.vpcIdentifier, vpcId);
  assert.equal(item.status, 'ACTIVE');
  assert.equal(item.resourceConfigDnsResolution, 'PUBLIC');
  assert.deepEqual(item.securityGroupIds, [sg1, sg2]);

  const del = await h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: created.id }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  assert.deepEqual({ id: del.id, arn: del.arn, name: del.name, status: del.status }, { id: created.id, arn: created.arn, name: 'gw-lifecycle', status: 'DELETE_IN_PROGRESS' });
  await assert.rejects(h.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: created.id })), notFound('RESOURCE_GATEWAY', created.id));
  await assert.rejects(h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: created.id })), notFound('RESOURCE_GATEWAY'));
  await assert.rejects(h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: created.id, securityGroupIds: [] })), notFound('RESOURCE_GATEWAY'));
});

test('resource gateway options: IPv6 has no IPv4 count, DUALSTACK and IN_VPC are kept', async () => {
  const v6 = await h.client.send(new CreateResourceGatewayCommand({ name: 'gw-v6', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], ipAddressType: 'IPV6' }));
  assert.equal(v6.ipAddressType, 'IPV6');
  assert.equal(v6.ipv4AddressesPerEni, undefined);
  const sg = await newGroup();
  const dual = await h.client.send(new CreateResourceGatewayCommand({
    name: 'gw-dual', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], ipAddressType: 'DUALSTACK', ipv4AddressesPerEni: 62, resourceConfigDnsResolution: 'IN_VPC', securityGroupIds: [sg],
  }));
  assert.equal(dual.ipAddressType, 'DUALSTACK');
  assert.equal(dual.ipv4AddressesPerEni, 62);
  assert.equal(dual.resourceConfigDnsResolution, 'IN_VPC');
  assert.deepEqual(dual.securityGroupIds, [sg]);
  const updated = await h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: dual.id }));
  assert.equal(updated.ipAddressType, 'DUALSTACK');
  assert.deepEqual(updated.securityGroupIds, [sg]);
  for (const id of [v6.id!, dual.id!]) await h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: id }));
});

test('resource gateway create errors: unknown VPC, duplicate name, bad options', async () => {
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'gw-novpc', vpcIdentifier: 'vpc-0123456789abcdef0', subnetIds: ['subnet-1'] })),
    notFound('VPC', 'vpc-0123456789abcdef0'));
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'shared-gw', vpcIdentifier: vpcId, subnetIds: ['subnet-1'] })),
    rejectsWith(ConflictException, (e) => { assert.equal(e.resourceType, 'RESOURCE_GATEWAY'); assert.equal(e.resourceId, gw.id); }));
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'gw-v6-count', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], ipAddressType: 'IPV6', ipv4AddressesPerEni: 4 })),
    invalidField('ipv4AddressesPerEni'));
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'gw-no-subnets', vpcIdentifier: vpcId, subnetIds: [] })), invalidField('subnetIds'));
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'gw-big-count', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], ipv4AddressesPerEni: 63 })),
    invalidField('ipv4AddressesPerEni'));
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({
    name: 'gw-many-sgs', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], securityGroupIds: [await newGroup(), await newGroup(), await newGroup(), await newGroup(), await newGroup(), await newGroup()],
  })), invalidField('securityGroupIds'));
  await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'rgw-reserved', vpcIdentifier: vpcId, subnetIds: ['subnet-1'] })), invalidField('name'));
  await assert.rejects(h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: gw.id, securityGroupIds: ['not-a-group'] })), invalidField('securityGroupIds.1.member'));
});

test('resource gateway security groups: the caller\'s, in the gateway\'s VPC, each once', async () => {
  const other = await h.newAccount();
  const otherEc2 = ec2For(await other.client.config.credentials());
  const otherVpc = (await otherEc2.send(new CreateVpcCommand({ CidrBlock: '127.21.0.0/16' }))).Vpc!.VpcId!;
  const vpc2 = (await ec2.send(new CreateVpcCommand({ CidrBlock: '127.20.0.0/16' }))).Vpc!.VpcId!;
  const [mine, mine2] = [await newGroup(), await newGroup()];
  const elsewhere = await newGroup(vpc2);
  const theirs = await newGroup(otherVpc, otherEc2);
  const unknown = 'sg-0123456789abcdef0';
  /** A refused group: ValidationException on securityGroupIds whose message names the group. */
  const badGroup = (groupId: string, message: RegExp) => rejectsWith(ValidationException, (e) => {
    assert.equal(e.reason, 'fieldValidationFailed');
    assert.deepEqual(e.fieldList?.map((f) => f.name), ['securityGroupIds']);
    assert.ok(e.message.includes(groupId), e.message);
    assert.match(e.message, message);
  });
  const refused: [string[], string, RegExp][] = [
    [[unknown], unknown, /does not exist/],
    [[mine, elsewhere], elsewhere, new RegExp(`belongs to VPC ${vpc2}, not ${vpcId}`)],
    // Another account's group reads as unknown (EC2 shows callers only their own groups).
    [[theirs], theirs, /does not exist/],
    [[mine, mine], mine, /more than once/],
  ];
  for (const [ids, named, message] of refused) {
    await assert.rejects(h.client.send(new CreateResourceGatewayCommand({ name: 'gw-bad-sg', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], securityGroupIds: ids })),
      badGroup(named, message));
  }
  assert.ok(!(await h.client.send(new ListResourceGatewaysCommand({}))).items!.some((g) => g.name === 'gw-bad-sg'));

  const g = await h.client.send(new CreateResourceGatewayCommand({ name: 'gw-sg', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], securityGroupIds: [mine] }));
  try {
    assert.deepEqual(g.securityGroupIds, [mine]);
    assert.deepEqual((await h.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: g.id }))).securityGroupIds, [mine]);
    assert.deepEqual((await h.client.send(new ListResourceGatewaysCommand({}))).items!.find((x) => x.id === g.id)?.securityGroupIds, [mine]);
    // Updates are checked against the gateway's VPC, and change nothing when refused.
    for (const [ids, named, message] of refused) {
      await assert.rejects(h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: g.id, securityGroupIds: ids })), badGroup(named, message));
    }
    assert.deepEqual((await h.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: g.arn }))).securityGroupIds, [mine]);
    const updated = await h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: g.id, securityGroupIds: [mine2, mine] }));
    assert.deepEqual(updated.securityGroupIds, [mine2, mine]);
    assert.deepEqual((await h.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: g.id }))).securityGroupIds, [mine2, mine]);
  } finally {
    await h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: g.id }));
  }
  // A gateway in the other VPC takes that VPC's group; the other account's gateway takes its own.
  const g2 = await h.client.send(new CreateResourceGatewayCommand({ name: 'gw-sg-vpc2', vpcIdentifier: vpc2, subnetIds: ['subnet-1'], securityGroupIds: [elsewhere] }));
  assert.deepEqual(g2.securityGroupIds, [elsewhere]);
  await assert.rejects(h.client.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: g2.id, securityGroupIds: [mine] })), badGroup(mine, new RegExp(`belongs to VPC ${vpcId}, not ${vpc2}`)));
  await h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: g2.id }));
  const g3 = await other.client.send(new CreateResourceGatewayCommand({ name: 'gw-sg', vpcIdentifier: otherVpc, subnetIds: ['subnet-1'], securityGroupIds: [theirs] }));
  assert.deepEqual((await other.client.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: g3.id }))).securityGroupIds, [theirs]);
  await other.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: g3.id }));
});

test('resource gateways page through ListResourceGateways', async () => {
  const seen: string[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await h.client.send(new ListResourceGatewaysCommand({ maxResults: 1, nextToken }));
    assert.ok(page.items!.length <= 1);
    seen.push(...page.items!.map((g) => g.id!));
    nextToken = page.nextToken;
    pages++;
  } while (nextToken);
  assert.ok(pages >= 2);
  assert.ok(seen.includes(gw.id) && seen.includes(gwInVpc.id));
  assert.equal(new Set(seen).size, seen.length);
  await assert.rejects(h.client.send(new ListResourceGatewaysCommand({ nextToken: 'garbage' })), rejectsWith(ValidationException));
});

test('another account cannot see or change resource gateways, nor use the VPC', async () => {
  const other = await h.newAccount();
  const c = other.client;
  await assert.rejects(c.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: gw.id })), notFound('RESOURCE_GATEWAY', gw.id));
  await assert.rejects(c.send(new GetResourceGatewayCommand({ resourceGatewayIdentifier: gw.arn })), notFound('RESOURCE_GATEWAY', gw.arn));
  await assert.rejects(c.send(new UpdateResourceGatewayCommand({ resourceGatewayIdentifier: gw.id, securityGroupIds: [] })), notFound('RESOURCE_GATEWAY'));
  await assert.rejects(c.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: gw.id })), notFound('RESOURCE_GATEWAY'));
  assert.deepEqual((await c.send(new ListResourceGatewaysCommand({}))).items, []);
  await assert.rejects(c.send(new CreateResourceGatewayCommand({ name: 'theirs', vpcIdentifier: vpcId, subnetIds: ['subnet-1'] })), notFound('VPC', vpcId));
  // Names are unique per account only; their configurations cannot use our gateway.
  await assert.rejects(createCfg(single({ name: 'other-cfg' }), c), notFound('RESOURCE_GATEWAY', gw.id));
});

test('quotas: gateways per VPC, configurations per Region, children per group', async () => {
  const q = await startHarness({ quotas: { ...DEFAULT_QUOTAS, resourceGatewaysPerVpc: 1, resourceConfigurationsPerRegion: 3, childResourceConfigurationsPerGroup: 1 } });
  try {
    const vpc = q.trellis.defaultVpcId;
    const g = await q.client.send(new CreateResourceGatewayCommand({ name: 'only-gw', vpcIdentifier: vpc, subnetIds: ['subnet-1'] }));
    await assert.rejects(q.client.send(new CreateResourceGatewayCommand({ name: 'second-gw', vpcIdentifier: vpc, subnetIds: ['subnet-1'] })),
      rejectsWith(ServiceQuotaExceededException, (e) => {
        assert.equal(e.resourceType, 'RESOURCE_GATEWAY');
        assert.equal(e.serviceCode, 'vpc-lattice');
        assert.equal(e.quotaCode, 'ResourceGatewaysPerVpc');
      }));
    const group = await q.client.send(new CreateResourceConfigurationCommand({ name: 'grp', type: 'GROUP', resourceGatewayIdentifier: g.id, portRanges: ['1-65535'] }));
    await q.client.send(new CreateResourceConfigurationCommand({ name: 'kid-1', type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.10' } } }));
    await assert.rejects(q.client.send(new CreateResourceConfigurationCommand({ name: 'kid-2', type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.11' } } })),
      rejectsWith(ServiceQuotaExceededException, (e) => {
        assert.equal(e.resourceType, 'RESOURCE_CONFIGURATION');
        assert.equal(e.quotaCode, 'L-9BC96FEF');
        assert.equal(e.resourceId, group.id);
      }));
    await q.client.send(new CreateResourceConfigurationCommand({ name: 'third', type: 'GROUP', resourceGatewayIdentifier: g.id }));
    await assert.rejects(q.client.send(new CreateResourceConfigurationCommand({ name: 'fourth', type: 'GROUP', resourceGatewayIdentifier: g.id })),
      rejectsWith(ServiceQuotaExceededException, (e) => {
        assert.equal(e.resourceType, 'RESOURCE_CONFIGURATION');
        assert.equal(e.quotaCode, 'ResourceConfigurationsPerRegion');
      }));
  } finally {
    await q.close();
  }
});

// ---- resource configurations -----------------------------------------------------------------

test('SINGLE resource configuration lifecycle', async () => {
  const created = await createCfg({
    name: 'cfg-lifecycle', type: 'SINGLE', resourceGatewayIdentifier: gw.arn, portRanges: ['5432', '8000-8080'],
    resourceConfigurationDefinition: { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV4' } }, tags: { env: 'test' },
  });
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.id!, /^rcfg-[0-9a-z]{17}$/);
  assert.equal(created.arn, `arn:aws:vpc-lattice:us-east-1:${account}:resourceconfiguration/${created.id}`);
  assert.equal(created.name, 'cfg-lifecycle');
  assert.equal(created.type, 'SINGLE');
  assert.equal(created.resourceGatewayId, gw.id);
  assert.equal(created.resourceConfigurationGroupId, undefined);
  assert.deepEqual(created.portRanges, ['5432', '8000-8080']);
  assert.equal(created.protocol, 'TCP');
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.deepEqual(created.resourceConfigurationDefinition, { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV4' } });
  assert.equal(created.allowAssociationToShareableServiceNetwork, false);
  assert.ok(created.createdAt instanceof Date);

  const got = await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: created.arn }));
  assert.equal(got.id, created.id);
  assert.equal(got.status, 'ACTIVE');
  assert.equal(got.type, 'SINGLE');
  assert.equal(got.resourceGatewayId, gw.id);
  assert.deepEqual(got.portRanges, ['5432', '8000-8080']);
  assert.equal(got.protocol, 'TCP');
  assert.equal(got.amazonManaged, false);
  assert.equal(got.allowAssociationToShareableServiceNetwork, false);
  assert.deepEqual(got.resourceConfigurationDefinition, { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV4' } });
  assert.ok(got.createdAt instanceof Date && got.lastUpdatedAt instanceof Date);
  assert.equal(got.customDomainName, undefined);
  assert.equal(got.domainVerificationId, undefined);

  const updated = await h.client.send(new UpdateResourceConfigurationCommand({
    resourceConfigurationIdentifier: created.id, portRanges: ['5433'], allowAssociationToShareableServiceNetwork: true,
    resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.5' } },
  }));
  assert.equal(updated.$metadata.httpStatusCode, 200);
  assert.deepEqual(updated.portRanges, ['5433']);
  assert.equal(updated.allowAssociationToShareableServiceNetwork, true);
  assert.deepEqual(updated.resourceConfigurationDefinition, { ipResource: { ipAddress: '127.0.0.5' } });
  assert.equal(updated.status, 'ACTIVE');
  assert.equal(updated.protocol, 'TCP');
  assert.equal(updated.resourceGatewayId, gw.id);
  const again = await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: created.id }));
  assert.deepEqual(again.portRanges, ['5433']);
  assert.equal(again.allowAssociationToShareableServiceNetwork, true);

  const list = await h.client.send(new ListResourceConfigurationsCommand({}));
  const item = list.items!.find((c) => c.id === created.id);
  assert.ok(item);
  assert.equal(item.type, 'SINGLE');
  assert.equal(item.resourceGatewayId, gw.id);
  assert.equal(item.status, 'ACTIVE');
  assert.equal(item.amazonManaged, false);

  const del = await h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: created.id }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: created.id })), notFound('RESOURCE_CONFIGURATION', created.id));
  await assert.rejects(h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: created.id })), notFound('RESOURCE_CONFIGURATION'));
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: created.id, portRanges: ['1'] })), notFound('RESOURCE_CONFIGURATION'));
});

test('resource configuration names are unique per account; unknown gateways are not found', async () => {
  await createCfg(single({ name: 'cfg-dup' }));
  await assert.rejects(createCfg(single({ name: 'cfg-dup' })), rejectsWith(ConflictException, (e) => assert.equal(e.resourceType, 'RESOURCE_CONFIGURATION')));
  await assert.rejects(createCfg(single({ resourceGatewayIdentifier: 'rgw-0123456789abcdef0' })), notFound('RESOURCE_GATEWAY', 'rgw-0123456789abcdef0'));
  await assert.rejects(createCfg(single({ name: 'rcfg-reserved' })), invalidField('name'));
});

test('type rules: members that do not apply, and members a type needs, name the field', async () => {
  const group = await createCfg({ name: uniq('rules-group'), type: 'GROUP', resourceGatewayIdentifier: gw.id });
  const cases: [string, CreateResourceConfigurationCommandInput, string][] = [
    ['SINGLE without gateway', single({ resourceGatewayIdentifier: undefined }), 'resourceGatewayIdentifier'],
    ['SINGLE without ports', single({ portRanges: undefined }), 'portRanges'],
    ['SINGLE without definition', single({ resourceConfigurationDefinition: undefined }), 'resourceConfigurationDefinition'],
    ['SINGLE with arnResource', single({ resourceConfigurationDefinition: { arnResource: { arn: 'arn:aws:rds:us-east-1:111122223333:cluster:db' } } }), 'resourceConfigurationDefinition'],
    ['SINGLE with cidrResource', single({ resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['127.0.0.0/24'] } } }), 'resourceConfigurationDefinition'],
    ['SINGLE with a group', single({ resourceConfigurationGroupIdentifier: group.id }), 'resourceConfigurationGroupIdentifier'],
    ['SINGLE with TCP_UDP', single({ protocol: 'TCP_UDP' }), 'protocol'],
    ['SINGLE with groupDomain', single({ groupDomain: 'example.com' }), 'groupDomain'],
    ['GROUP with definition', { name: uniq('g'), type: 'GROUP', resourceGatewayIdentifier: gw.id, resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, 'resourceConfigurationDefinition'],
    ['GROUP without gateway', { name: uniq('g'), type: 'GROUP' }, 'resourceGatewayIdentifier'],
    ['GROUP with customDomainName', { name: uniq('g'), type: 'GROUP', resourceGatewayIdentifier: gw.id, customDomainName: 'a.example.com' }, 'customDomainName'],
    ['CHILD without group', { name: uniq('c'), type: 'CHILD', portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, 'resourceConfigurationGroupIdentifier'],
    ['CHILD with gateway', { name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, resourceGatewayIdentifier: gw.id, portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, 'resourceGatewayIdentifier'],
    ['CHILD with protocol', { name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, protocol: 'TCP', portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, 'protocol'],
    ['CHILD with sharing flag', { name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, allowAssociationToShareableServiceNetwork: true, portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, 'allowAssociationToShareableServiceNetwork'],
    ['CHILD without definition', { name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, portRanges: ['80'] }, 'resourceConfigurationDefinition'],
    ['CHILD without ports anywhere', { name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, 'portRanges'],
    ['ARN with ports', { name: uniq('a'), type: 'ARN', resourceGatewayIdentifier: gw.id, portRanges: ['5432'], resourceConfigurationDefinition: { arnResource: { arn: 'arn:aws:rds:us-east-1:111122223333:cluster:db' } } }, 'portRanges'],
    ['ARN with protocol', { name: uniq('a'), type: 'ARN', resourceGatewayIdentifier: gw.id, protocol: 'TCP', resourceConfigurationDefinition: { arnResource: { arn: 'arn:aws:rds:us-east-1:111122223333:cluster:db' } } }, 'protocol'],
    ['ARN with dnsResource', { name: uniq('a'), type: 'ARN', resourceGatewayIdentifier: gw.id, resourceConfigurationDefinition: { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV4' } } }, 'resourceConfigurationDefinition'],
    ['ARN on an IN_VPC gateway', { name: uniq('a'), type: 'ARN', resourceGatewayIdentifier: gwInVpc.id, resourceConfigurationDefinition: { arnResource: { arn: 'arn:aws:rds:us-east-1:111122223333:cluster:db' } } }, 'resourceGatewayIdentifier'],
    ['CIDR on a PUBLIC gateway', { name: uniq('r'), type: 'CIDR', resourceGatewayIdentifier: gw.id, portRanges: ['1-65535'], resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['10.0.0.0/16'] } } }, 'resourceGatewayIdentifier'],
    ['CIDR without ports', { name: uniq('r'), type: 'CIDR', resourceGatewayIdentifier: gwInVpc.id, resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['10.0.0.0/16'] } } }, 'portRanges'],
    ['CIDR with sharing flag', { name: uniq('r'), type: 'CIDR', resourceGatewayIdentifier: gwInVpc.id, portRanges: ['53'], allowAssociationToShareableServiceNetwork: false, resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['10.0.0.0/16'] } } }, 'allowAssociationToShareableServiceNetwork'],
    ['CIDR with customDomainName', { name: uniq('r'), type: 'CIDR', resourceGatewayIdentifier: gwInVpc.id, portRanges: ['53'], customDomainName: 'x.example.com', resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['10.0.0.0/16'] } } }, 'customDomainName'],
  ];
  for (const [label, input, field] of cases) {
    await assert.rejects(createCfg(input), invalidField(field), label);
  }
  // None of them was created.
  const names = new Set((await h.client.send(new ListResourceConfigurationsCommand({}))).items!.map((c) => c.name));
  for (const [, input] of cases) assert.ok(!names.has(input.name), input.name);
});

test('port ranges must be ports or ranges from <= to within 1-65535', async () => {
  for (const bad of ['0', '65536', '90-80', '0-10', '1-70000', '99999999999']) {
    await assert.rejects(createCfg(single({ portRanges: ['80', bad] })), invalidField('portRanges.2.member'), bad);
  }
  await assert.rejects(createCfg(single({ portRanges: ['80,81'] })), invalidField('portRanges.1.member'));
  await assert.rejects(createCfg(single({ portRanges: [] })), invalidField('portRanges'));
  const ok = await createCfg(single({ portRanges: ['1-65535', '22', '65535', '80-80'] }));
  assert.deepEqual(ok.portRanges, ['1-65535', '22', '65535', '80-80']);
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: ok.id, portRanges: ['100-1'] })), invalidField('portRanges.1.member'));
});

test('definitions: IP addresses must be valid, in the VPC and of a family the gateway reaches', async () => {
  const ip = (ipAddress: string) => single({ resourceConfigurationDefinition: { ipResource: { ipAddress } } });
  await assert.rejects(createCfg(ip('300.1.2.3')), invalidField('resourceConfigurationDefinition.ipResource.ipAddress'));
  await assert.rejects(createCfg(ip('10.0.0.5')), invalidField('resourceConfigurationDefinition.ipResource.ipAddress'));
  await assert.rejects(createCfg(ip('::1')), invalidField('resourceConfigurationDefinition.ipResource.ipAddress'));
  const ok = await createCfg(ip('127.0.3.4'));
  assert.deepEqual(ok.resourceConfigurationDefinition, { ipResource: { ipAddress: '127.0.3.4' } });
  await assert.rejects(createCfg(single({ resourceConfigurationDefinition: { dnsResource: { domainName: 'not a name', ipAddressType: 'IPV4' } } })),
    invalidField('resourceConfigurationDefinition.dnsResource.domainName'));
  await assert.rejects(createCfg(single({ resourceConfigurationDefinition: { dnsResource: { domainName: 'db.example.com', ipAddressType: 'DUALSTACK' } } })),
    invalidField('resourceConfigurationDefinition.dnsResource.ipAddressType'));
  await assert.rejects(createCfg(single({ resourceConfigurationDefinition: { dnsResource: { domainName: 'db.example.com', ipAddressType: 'IPV6' } } })),
    invalidField('resourceConfigurationDefinition.dnsResource.ipAddressType'));
  const dflt = await createCfg(single({ resourceConfigurationDefinition: { dnsResource: { domainName: 'db2.example.com' } } }));
  assert.deepEqual(dflt.resourceConfigurationDefinition, { dnsResource: { domainName: 'db2.example.com', ipAddressType: 'IPV4' } });
  // Updates are checked the same way, and must keep the kind of definition the type allows.
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: ok.id, resourceConfigurationDefinition: { ipResource: { ipAddress: '192.168.1.1' } } })),
    invalidField('resourceConfigurationDefinition.ipResource.ipAddress'));
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: ok.id, resourceConfigurationDefinition: { arnResource: { arn: 'arn:aws:rds:us-east-1:111122223333:db:x' } } })),
    invalidField('resourceConfigurationDefinition'));
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: ok.id, resourceConfigurationDefinition: {} as never })),
    rejectsWith(ValidationException));
});

test('GROUP and CHILD: children inherit gateway, protocol, ports and sharing; groups with children cannot be deleted', async () => {
  const group = await createCfg({
    name: 'grp-main', type: 'GROUP', resourceGatewayIdentifier: gw.id, portRanges: ['1-1024'], groupDomain: 'corp.example.com', allowAssociationToShareableServiceNetwork: true,
  });
  assert.equal(group.type, 'GROUP');
  assert.equal(group.protocol, 'TCP');
  assert.equal(group.groupDomain, 'corp.example.com');
  assert.equal(group.resourceConfigurationDefinition, undefined);
  const child = await createCfg({
    name: 'grp-main-child', type: 'CHILD', resourceConfigurationGroupIdentifier: group.arn, customDomainName: 'db.corp.example.com',
    resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.20' } },
  });
  assert.equal(child.type, 'CHILD');
  assert.equal(child.resourceConfigurationGroupId, group.id);
  assert.equal(child.resourceGatewayId, gw.id);
  assert.equal(child.protocol, 'TCP');
  assert.deepEqual(child.portRanges, ['1-1024']);
  assert.equal(child.allowAssociationToShareableServiceNetwork, true);
  assert.equal(child.customDomainName, 'db.corp.example.com');
  const own = await createCfg({
    name: 'grp-main-child2', type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, portRanges: ['5432'],
    resourceConfigurationDefinition: { dnsResource: { domainName: 'pg.internal.example', ipAddressType: 'IPV4' } },
  });
  assert.deepEqual(own.portRanges, ['5432']);

  await assert.rejects(createCfg({ name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, customDomainName: 'db.other.example.com', resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.21' } } }),
    invalidField('customDomainName'));
  const plain = await createCfg(single());
  await assert.rejects(createCfg({ name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: plain.id, portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.22' } } }),
    invalidField('resourceConfigurationGroupIdentifier'));
  await assert.rejects(createCfg({ name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: 'rcfg-0123456789abcdef0', portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.22' } } }),
    notFound('RESOURCE_CONFIGURATION', 'rcfg-0123456789abcdef0'));
  const noDomain = await createCfg({ name: uniq('g'), type: 'GROUP', resourceGatewayIdentifier: gw.id });
  await assert.rejects(createCfg({ name: uniq('c'), type: 'CHILD', resourceConfigurationGroupIdentifier: noDomain.id, portRanges: ['80'], customDomainName: 'x.example.com', resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.22' } } }),
    invalidField('customDomainName'));

  // Group updates show through the children; children cannot set what they inherit.
  await h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id, allowAssociationToShareableServiceNetwork: false, portRanges: ['22'] }));
  const reread = await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: child.id }));
  assert.equal(reread.allowAssociationToShareableServiceNetwork, false);
  assert.deepEqual(reread.portRanges, ['22']);
  assert.equal(reread.protocol, 'TCP');
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: child.id, allowAssociationToShareableServiceNetwork: true })),
    invalidField('allowAssociationToShareableServiceNetwork'));
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id, resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } })),
    invalidField('resourceConfigurationDefinition'));

  const children = await h.client.send(new ListResourceConfigurationsCommand({ resourceConfigurationGroupIdentifier: group.arn }));
  assert.deepEqual(children.items!.map((c) => c.id).sort(), [child.id, own.id].sort());
  assert.ok(children.items!.every((c) => c.resourceConfigurationGroupId === group.id && c.type === 'CHILD'));

  await assert.rejects(h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id })),
    rejectsWith(ConflictException, (e) => { assert.equal(e.resourceType, 'RESOURCE_CONFIGURATION'); assert.equal(e.resourceId, group.id); }));
  await h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: child.id }));
  await h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: own.id }));
  await h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: group.id }));
});

test('ARN resource configurations', async () => {
  const arn = 'arn:aws:rds:us-east-1:111122223333:cluster:my-cluster';
  const c = await createCfg({ name: 'rds-cluster', type: 'ARN', resourceGatewayIdentifier: gw.id, resourceConfigurationDefinition: { arnResource: { arn } }, allowAssociationToShareableServiceNetwork: true });
  assert.equal(c.type, 'ARN');
  assert.deepEqual(c.resourceConfigurationDefinition, { arnResource: { arn } });
  assert.equal(c.portRanges, undefined);
  assert.equal(c.allowAssociationToShareableServiceNetwork, true);
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id, portRanges: ['5432'] })), invalidField('portRanges'));
  const u = await h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id, allowAssociationToShareableServiceNetwork: false }));
  assert.equal(u.allowAssociationToShareableServiceNetwork, false);
});

test('CIDR resource configurations: IN_VPC gateway, TCP_UDP, range rules', async () => {
  const c = await createCfg({
    name: 'cidr-net', type: 'CIDR', resourceGatewayIdentifier: gwInVpc.id, portRanges: ['53', '1-65535'], protocol: 'TCP_UDP',
    resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['10.0.0.0/16', '192.168.0.0/24'] } },
  });
  assert.equal(c.type, 'CIDR');
  assert.equal(c.protocol, 'TCP_UDP');
  assert.equal(c.resourceGatewayId, gwInVpc.id);
  assert.deepEqual(c.resourceConfigurationDefinition, { cidrResource: { cidrRanges: ['10.0.0.0/16', '192.168.0.0/24'] } });
  const everything = await createCfg({ name: 'cidr-all', type: 'CIDR', resourceGatewayIdentifier: gwInVpc.id, portRanges: ['1-65535'], resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['0.0.0.0/0'] } } });
  assert.equal(everything.protocol, 'TCP');

  const field = /^resourceConfigurationDefinition\.cidrResource\.cidrRanges/;
  const cidr = (cidrRanges: string[]) => createCfg({ name: uniq('cidr'), type: 'CIDR', resourceGatewayIdentifier: gwInVpc.id, portRanges: ['53'], resourceConfigurationDefinition: { cidrResource: { cidrRanges } } });
  for (const bad of [['169.254.10.0/24'], ['100.64.0.0/16'], ['224.0.0.0/8'], ['10.0.0.1/16'], ['10.10.10.10'], ['10.0.0.0/33'], ['0.0.0.0/0', '10.0.0.0/8'], ['fe80:0:0:0:0:0:0:0/64'], ['ff00::1:0/112']]) {
    await assert.rejects(cidr(bad), invalidField(field), bad.join(','));
  }
  await assert.rejects(cidr(Array.from({ length: 11 }, (_, i) => `10.${i}.0.0/16`)), invalidField(field));
  // The IPv4 gateway cannot reach IPv6 ranges.
  await assert.rejects(cidr(['fd00::/64']), invalidField(field));
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id, resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['169.254.0.0/16'] } } })),
    invalidField(field));
  await assert.rejects(h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id, allowAssociationToShareableServiceNetwork: true })),
    invalidField('allowAssociationToShareableServiceNetwork'));
  const u = await h.client.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id, resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['172.16.0.0/12'] } } }));
  assert.deepEqual(u.resourceConfigurationDefinition, { cidrResource: { cidrRanges: ['172.16.0.0/12'] } });

  const dual = await h.client.send(new CreateResourceGatewayCommand({ name: 'gw-dual-cidr', vpcIdentifier: vpcId, subnetIds: ['subnet-1'], ipAddressType: 'DUALSTACK', resourceConfigDnsResolution: 'IN_VPC' }));
  // ('::/0' itself is shorter than the model's 9-character minimum; its long form is not.)
  const allV6 = '0:0:0:0:0:0:0:0/0';
  const v6 = await createCfg({ name: 'cidr-v6', type: 'CIDR', resourceGatewayIdentifier: dual.id, portRanges: ['443'], resourceConfigurationDefinition: { cidrResource: { cidrRanges: [allV6, '10.0.0.0/8'] } } });
  assert.deepEqual(v6.resourceConfigurationDefinition, { cidrResource: { cidrRanges: [allV6, '10.0.0.0/8'] } });
  await assert.rejects(createCfg({ name: uniq('cidr'), type: 'CIDR', resourceGatewayIdentifier: dual.id, portRanges: ['443'], resourceConfigurationDefinition: { cidrResource: { cidrRanges: [allV6, '2001:db8::/32'] } } }),
    invalidField(field));
  const mapped = await createCfg({ name: uniq('cidr'), type: 'CIDR', resourceGatewayIdentifier: dual.id, portRanges: ['443'], resourceConfigurationDefinition: { cidrResource: { cidrRanges: ['2001:db8::/32', '::ffff:10.0.0.0/104'] } } });
  assert.equal(mapped.type, 'CIDR');
});

test('a gateway with resource configurations cannot be deleted', async () => {
  const g = await h.client.send(new CreateResourceGatewayCommand({ name: 'gw-busy', vpcIdentifier: vpcId, subnetIds: ['subnet-1'] }));
  const c = await createCfg(single({ resourceGatewayIdentifier: g.id }));
  await assert.rejects(h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: g.id })),
    rejectsWith(ConflictException, (e) => { assert.equal(e.resourceType, 'RESOURCE_GATEWAY'); assert.equal(e.resourceId, g.id); }));
  await h.client.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id }));
  const del = await h.client.send(new DeleteResourceGatewayCommand({ resourceGatewayIdentifier: g.arn }));
  assert.equal(del.status, 'DELETE_IN_PROGRESS');
});

test('ListResourceConfigurations filters by gateway and domain verification, and pages', async () => {
  const g = await h.client.send(new CreateResourceGatewayCommand({ name: 'gw-filter', vpcIdentifier: vpcId, subnetIds: ['subnet-1'] }));
  const mine = [];
  for (let i = 0; i < 5; i++) mine.push((await createCfg(single({ resourceGatewayIdentifier: g.id }))).id!);
  const byArn = await h.client.send(new ListResourceConfigurationsCommand({ resourceGatewayIdentifier: g.arn }));
  assert.deepEqual(byArn.items!.map((c) => c.id), mine);

  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.client.send(new ListResourceConfigurationsCommand({ resourceGatewayIdentifier: g.id, maxResults: 2, nextToken }));
    assert.ok(page.items!.length <= 2);
    seen.push(...page.items!.map((c) => c.id!));
    nextToken = page.nextToken;
  } while (nextToken);
  assert.deepEqual(seen, mine);

  assert.deepEqual((await h.client.send(new ListResourceConfigurationsCommand({ resourceGatewayIdentifier: 'rgw-0123456789abcdef0' }))).items, []);

  const dv = await h.client.send(new StartDomainVerificationCommand({ domainName: 'filter.example.com' }));
  const verified = await createCfg(single({ resourceGatewayIdentifier: g.id, customDomainName: 'api.filter.example.com', domainVerificationIdentifier: dv.id }));
  const byDv = await h.client.send(new ListResourceConfigurationsCommand({ domainVerificationIdentifier: dv.arn }));
  assert.deepEqual(byDv.items!.map((c) => c.id), [verified.id]);
  assert.equal(byDv.items![0].customDomainName, 'api.filter.example.com');
  assert.equal(byDv.items![0].domainVerificationId, dv.id);
});

test('custom domain names and domain verifications', async () => {
  const dv = await h.client.send(new StartDomainVerificationCommand({ domainName: 'Verified.Example.com' }));
  const c = await createCfg(single({ customDomainName: 'db.verified.example.com', domainVerificationIdentifier: dv.arn }));
  assert.equal(c.customDomainName, 'db.verified.example.com');
  assert.equal(c.domainVerificationId, dv.id);
  assert.equal(c.domainVerificationArn, dv.arn);
  const got = await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id }));
  assert.equal(got.customDomainName, 'db.verified.example.com');
  assert.equal(got.domainVerificationId, dv.id);
  assert.equal(got.domainVerificationArn, dv.arn);
  assert.equal(got.domainVerificationStatus, 'PENDING');

  // Without a verification the name is kept as given, unverified.
  const unverified = await createCfg(single({ customDomainName: 'app.unverified.example.net' }));
  const u = await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: unverified.id }));
  assert.equal(u.customDomainName, 'app.unverified.example.net');
  assert.equal(u.domainVerificationId, undefined);
  assert.equal(u.domainVerificationStatus, undefined);

  await assert.rejects(createCfg(single({ customDomainName: 'db.elsewhere.com', domainVerificationIdentifier: dv.id })), invalidField('customDomainName'));
  await assert.rejects(createCfg(single({ domainVerificationIdentifier: dv.id })), invalidField('domainVerificationIdentifier'));
  await assert.rejects(createCfg(single({ customDomainName: 'x.verified.example.com', domainVerificationIdentifier: 'dv-0123456789abcdef0' })),
    notFound('DOMAIN_VERIFICATION', 'dv-0123456789abcdef0'));
  await assert.rejects(createCfg(single({ customDomainName: 'bad_name!.example.com' })), invalidField('customDomainName'));

  // A group's verification covers its children's names.
  const group = await createCfg({ name: uniq('vgroup'), type: 'GROUP', resourceGatewayIdentifier: gw.id, portRanges: ['443'], groupDomain: 'svc.verified.example.com', domainVerificationIdentifier: dv.id });
  assert.equal(group.domainVerificationId, dv.id);
  const child = await createCfg({ name: uniq('vchild'), type: 'CHILD', resourceConfigurationGroupIdentifier: group.id, customDomainName: 'a.svc.verified.example.com', resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.30' } } });
  assert.equal(child.domainVerificationId, dv.id);
});

test('another account cannot see or change resource configurations', async () => {
  const c = await createCfg(single());
  const other = (await h.newAccount()).client;
  await assert.rejects(other.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id })), notFound('RESOURCE_CONFIGURATION', c.id));
  await assert.rejects(other.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: c.arn })), notFound('RESOURCE_CONFIGURATION', c.arn));
  await assert.rejects(other.send(new UpdateResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id, portRanges: ['1'] })), notFound('RESOURCE_CONFIGURATION'));
  await assert.rejects(other.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: c.id })), notFound('RESOURCE_CONFIGURATION'));
  await assert.rejects(other.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: c.id })), notFound('RESOURCE_CONFIGURATION'));
  assert.deepEqual((await other.send(new ListResourceConfigurationsCommand({}))).items, []);
  assert.deepEqual((await other.send(new ListResourceConfigurationsCommand({ resourceGatewayIdentifier: gw.id }))).items, []);
  const group = await createCfg({ name: uniq('xgroup'), type: 'GROUP', resourceGatewayIdentifier: gw.id, portRanges: ['80'] });
  await assert.rejects(createCfg({ name: 'their-child', type: 'CHILD', resourceConfigurationGroupIdentifier: group.arn, resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }, other),
    notFound('RESOURCE_CONFIGURATION'));
  // The same name is free in another account.
  await assert.rejects(createCfg(single({ name: c.name }), other), notFound('RESOURCE_GATEWAY'));
});

// ---- resource endpoint associations ----------------------------------------------------------

test('resource endpoint associations: none exist without VPC endpoints; errors', async () => {
  const c = await createCfg(single());
  const list = await h.client.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: c.arn }));
  assert.equal(list.$metadata.httpStatusCode, 200);
  assert.deepEqual(list.items, []);
  assert.equal(list.nextToken, undefined);
  await assert.rejects(h.client.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: 'rcfg-0123456789abcdef0' })),
    notFound('RESOURCE_CONFIGURATION', 'rcfg-0123456789abcdef0'));
  await assert.rejects(h.client.send(new DeleteResourceEndpointAssociationCommand({ resourceEndpointAssociationIdentifier: 'rea-0123456789abcdef0' })),
    notFound('RESOURCE_ENDPOINT_ASSOCIATION', 'rea-0123456789abcdef0'));
  await assert.rejects(h.client.send(new DeleteResourceEndpointAssociationCommand({ resourceEndpointAssociationIdentifier: 'rea-NOTHEX' })),
    invalidField('resourceEndpointAssociationIdentifier'));
});

test('associations recorded in the store: listed, deleted, and blocking configuration deletes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-rea-'));
  try {
    let first = await startHarness({ dataDir });
    const acct = first.trellis.accountId;
    let g, viaNetwork, viaEndpoint, spare;
    try {
      g = await first.client.send(new CreateResourceGatewayCommand({ name: 'gw-main', vpcIdentifier: first.trellis.defaultVpcId, subnetIds: ['subnet-1'] }));
      const cfg = (name: string) => first.client.send(new CreateResourceConfigurationCommand({ name, type: 'SINGLE', resourceGatewayIdentifier: g!.id, portRanges: ['80'], resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.1' } } }));
      viaNetwork = await cfg('via-network');
      viaEndpoint = await cfg('via-endpoint');
      spare = await cfg('spare');
    } finally {
      await first.close();
    }
    // What a service-network association and a VPC endpoint of type resource (another account's) write.
    const now = new Date().toISOString();
    const consumer = '444455556666';
    const rea = (n: number, vpce: string) => ({
      id: `rea-0123456789abcdef${n}`, arn: `arn:aws:vpc-lattice:us-east-1:${consumer}:resourceendpointassociation/rea-0123456789abcdef${n}`,
      account: consumer, createdAt: now, lastUpdatedAt: now, resourceConfigurationId: viaEndpoint.id!, resourceConfigurationArn: viaEndpoint.arn!,
      vpcEndpointId: vpce, vpcEndpointOwner: consumer, createdBy: consumer,
    });
    const store = new SqliteStore(join(dataDir, 'trellis.db'));
    await store.commit([
      { key: 'snra/snra-0123456789abcdef0', value: { id: 'snra-0123456789abcdef0', arn: `arn:aws:vpc-lattice:us-east-1:${acct}:servicenetworkresourceassociation/snra-0123456789abcdef0`, account: acct, createdAt: now, lastUpdatedAt: now, serviceNetworkId: 'sn-0123456789abcdef0', resourceConfigurationId: viaNetwork.id!, status: 'ACTIVE', createdBy: acct } },
      { key: 'rea/rea-0123456789abcdef1', value: rea(1, 'vpce-0123456789abcdef1') },
      { key: 'rea/rea-0123456789abcdef2', value: rea(2, 'vpce-0123456789abcdef2') },
      { key: 'als/als-0123456789abcdefg', value: { id: 'als-0123456789abcdefg', account: acct, resourceId: spare.id!, createdAt: now, lastUpdatedAt: now } },
      { key: `resourcepolicy/${spare.id}`, value: { account: acct, resourceId: spare.id!, resourceArn: spare.arn!, policy: '{}', createdAt: now, lastUpdatedAt: now } },
    ]);
    store.close();

    first = await startHarness({ dataDir });
    try {
      const c = first.client;
      await assert.rejects(c.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: viaNetwork.id })),
        rejectsWith(ConflictException, (e) => { assert.equal(e.resourceType, 'RESOURCE_CONFIGURATION'); assert.equal(e.resourceId, viaNetwork.id); }));
      await assert.rejects(c.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: viaEndpoint.id })), rejectsWith(ConflictException));

      const all = await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaEndpoint.id }));
      assert.deepEqual(all.items!.map((a) => a.id), ['rea-0123456789abcdef1', 'rea-0123456789abcdef2']);
      const a = all.items![0];
      assert.equal(a.resourceConfigurationId, viaEndpoint.id);
      assert.equal(a.resourceConfigurationArn, viaEndpoint.arn);
      assert.equal(a.resourceConfigurationName, 'via-endpoint');
      assert.equal(a.vpcEndpointId, 'vpce-0123456789abcdef1');
      assert.equal(a.vpcEndpointOwner, consumer);
      assert.equal(a.createdBy, consumer);
      assert.ok(a.createdAt instanceof Date);
      const paged = await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaEndpoint.id, maxResults: 1 }));
      assert.equal(paged.items!.length, 1);
      const rest = await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaEndpoint.id, maxResults: 1, nextToken: paged.nextToken }));
      assert.deepEqual(rest.items!.map((x) => x.id), ['rea-0123456789abcdef2']);
      assert.deepEqual((await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaEndpoint.id, vpcEndpointId: 'vpce-0123456789abcdef2' }))).items!.map((x) => x.id), ['rea-0123456789abcdef2']);
      assert.deepEqual((await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaEndpoint.id, resourceEndpointAssociationIdentifier: a.arn }))).items!.map((x) => x.id), [a.id]);
      assert.deepEqual((await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaEndpoint.id, vpcEndpointOwner: '999999999999' }))).items, []);
      assert.deepEqual((await c.send(new ListResourceEndpointAssociationsCommand({ resourceConfigurationIdentifier: viaNetwork.id }))).items, []);

      // The configuration's owner may disassociate; a third account cannot see the association.
      const stranger = (await first.newAccount()).client;
      await assert.rejects(stranger.send(new DeleteResourceEndpointAssociationCommand({ resourceEndpointAssociationIdentifier: 'rea-0123456789abcdef1' })), notFound('RESOURCE_ENDPOINT_ASSOCIATION'));
      const del = await c.send(new DeleteResourceEndpointAssociationCommand({ resourceEndpointAssociationIdentifier: a.arn }));
      assert.equal(del.$metadata.httpStatusCode, 200);
      assert.deepEqual({ id: del.id, arn: del.arn, resourceConfigurationId: del.resourceConfigurationId, resourceConfigurationArn: del.resourceConfigurationArn, vpcEndpointId: del.vpcEndpointId },
        { id: a.id, arn: a.arn, resourceConfigurationId: viaEndpoint.id, resourceConfigurationArn: viaEndpoint.arn, vpcEndpointId: 'vpce-0123456789abcdef1' });
      await assert.rejects(c.send(new DeleteResourceEndpointAssociationCommand({ resourceEndpointAssociationIdentifier: a.id! })), notFound('RESOURCE_ENDPOINT_ASSOCIATION', a.id));
      await c.send(new DeleteResourceEndpointAssociationCommand({ resourceEndpointAssociationIdentifier: 'rea-0123456789abcdef2' }));
      await c.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: viaEndpoint.id }));

      // Deleting a configuration takes its access log subscriptions and policies with it.
      await c.send(new DeleteResourceConfigurationCommand({ resourceConfigurationIdentifier: spare.id }));
    } finally {
      await first.close();
    }
    const check = new SqliteStore(join(dataDir, 'trellis.db'));
    const { entries } = await check.load();
    check.close();
    const keys = new Set(entries.map((e) => e.key));
    assert.ok(!keys.has('als/als-0123456789abcdefg'));
    assert.ok(!keys.has(`resourcepolicy/${spare.id}`));
    assert.ok(!keys.has(`rcfg/${spare.id}`));
    assert.ok(keys.has(`rcfg/${viaNetwork.id}`));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
