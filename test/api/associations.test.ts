import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateServiceNetworkCommand, GetServiceNetworkCommand, DeleteServiceNetworkCommand, CreateServiceCommand,
  CreateServiceNetworkServiceAssociationCommand, GetServiceNetworkServiceAssociationCommand,
  ListServiceNetworkServiceAssociationsCommand, DeleteServiceNetworkServiceAssociationCommand,
  CreateServiceNetworkVpcAssociationCommand, GetServiceNetworkVpcAssociationCommand, ListServiceNetworkVpcAssociationsCommand,
  UpdateServiceNetworkVpcAssociationCommand, DeleteServiceNetworkVpcAssociationCommand,
  CreateServiceNetworkResourceAssociationCommand, GetServiceNetworkResourceAssociationCommand,
  ListServiceNetworkResourceAssociationsCommand, DeleteServiceNetworkResourceAssociationCommand,
  ListServiceNetworkVpcEndpointAssociationsCommand,
  ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
  type VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { EC2Client, CreateVpcCommand, CreateSecurityGroupCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Write } from '../../src/store/store.ts';

// VPCs and security groups come from the EC2 API (each VPC on its own loopback block). Resource
// configurations are another family's: the data dir is seeded before start-up with records as the
// shared record contract describes them (`rcfg`: {...Base, name, type, status, resourceConfigurationGroupId?}).
const ACCT = '111122223333';
const OTHER = '444455556666';
const REGION = 'us-east-1';
/** Two more VPCs of ACCT and one of OTHER, created in `before`. */
let VPC2: string;
let VPC3: string;
let OTHER_VPC: string;
const RCFG = { single: 'rcfg-0c0c0c0c0c0c0c0c1', single2: 'rcfg-0c0c0c0c0c0c0c0c2', group: 'rcfg-0c0c0c0c0c0c0c0c3', child1: 'rcfg-0c0c0c0c0c0c0c0c4', child2: 'rcfg-0c0c0c0c0c0c0c0c5', other: 'rcfg-0d0d0d0d0d0d0d0d1' };
const rcfgArn = (account: string, id: string) => `arn:aws:vpc-lattice:${REGION}:${account}:resourceconfiguration/${id}`;

function seed(dataDir: string): Promise<number> {
  const now = new Date().toISOString();
  const rcfg = (id: string, account: string, name: string, type: string, group?: string): Write => ({
    key: `rcfg/${id}`,
    value: { id, arn: rcfgArn(account, id), account, createdAt: now, lastUpdatedAt: now, name, type, status: 'ACTIVE', ...(group ? { resourceConfigurationGroupId: group } : {}) },
  });
  const store = new SqliteStore(join(dataDir, 'trellis.db'));
  return store.commit([
    rcfg(RCFG.single, ACCT, 'db-single', 'SINGLE'), rcfg(RCFG.single2, ACCT, 'db-single-2', 'SINGLE'),
    rcfg(RCFG.group, ACCT, 'db-group', 'GROUP'), rcfg(RCFG.child1, ACCT, 'db-child-1', 'CHILD', RCFG.group),
    rcfg(RCFG.child2, ACCT, 'db-child-2', 'CHILD', RCFG.group), rcfg(RCFG.other, OTHER, 'other-db', 'SINGLE'),
  ]).finally(() => store.close());
}

let h: Harness;
let dataDir: string;
let other: VPCLatticeClient;
/** EC2 clients of ACCT and OTHER, with the same credentials as their Lattice clients. */
let ec2: EC2Client;
let otherEc2: EC2Client;
const ec2For = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new EC2Client({ endpoint: h.trellis.api, region: h.trellis.region, credentials, maxAttempts: 1 });
const newVpc = async (cidr: string, client = ec2) => (await client.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
let groups = 0;
/** A new security group in `vpcId`, of the account `client` speaks for. */
const newGroup = async (vpcId: string, client = ec2) =>
  (await client.send(new CreateSecurityGroupCommand({ GroupName: `assoc-sg-${++groups}`, Description: 'associations test', VpcId: vpcId }))).GroupId!;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-assoc-'));
  await seed(dataDir);
  h = await startHarness({ dataDir, accountId: ACCT });
  other = (await h.newAccount(OTHER)).client;
  ec2 = ec2For({ accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey });
  const { accessKeyId, secretAccessKey } = await other.config.credentials();
  otherEc2 = ec2For({ accessKeyId, secretAccessKey });
  VPC2 = await newVpc('127.20.0.0/16');
  VPC3 = await newVpc('127.21.0.0/16');
  OTHER_VPC = await newVpc('127.22.0.0/16', otherEc2);
});
after(async () => {
  ec2?.destroy();
  otherEc2?.destroy();
  await h.close();
  rmSync(dataDir, { recursive: true, force: true });
});

let n = 0;
const newNetwork = async (client = h.client) => client.send(new CreateServiceNetworkCommand({ name: `assoc-net-${++n}` }));
const newService = async (client = h.client, customDomainName?: string) => client.send(new CreateServiceCommand({ name: `assoc-svc-${++n}`, customDomainName }));
const arn = (resource: string, account = ACCT) => `arn:aws:vpc-lattice:${REGION}:${account}:${resource}`;

function rejectsWith<T extends Error>(cls: new (...a: never[]) => T, check: (err: T) => void = () => {}) {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    check(err as T);
    return true;
  };
}
const notFound = (resourceType: string, resourceId: string) =>
  rejectsWith(ResourceNotFoundException, (e) => { assert.equal(e.resourceType, resourceType); assert.equal(e.resourceId, resourceId); });
const conflictOn = (resourceType: string, resourceId: string) =>
  rejectsWith(ConflictException, (e) => { assert.equal(e.resourceType, resourceType); assert.equal(e.resourceId, resourceId); });
const invalid = (field: string) =>
  rejectsWith(ValidationException, (e) => { assert.equal(e.reason, 'fieldValidationFailed'); assert.ok(e.fieldList?.some((f) => f.name === field), JSON.stringify(e.fieldList)); });
/** A refused security group: a ValidationException on securityGroupIds whose message names the group. */
const badGroup = (groupId: string, message: RegExp) => rejectsWith(ValidationException, (e) => {
  assert.equal(e.reason, 'fieldValidationFailed');
  assert.deepEqual(e.fieldList?.map((f) => f.name), ['securityGroupIds']);
  assert.ok(e.message.includes(groupId), e.message);
  assert.match(e.message, message);
});

// ------------------------------------------------------------------------------------------------
// Service associations

test('service association lifecycle: create, get, counts, delete', async () => {
  const sn = await newNetwork();
  const svc = await newService(h.client, 'api.example.com');
  const created = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: svc.id, tags: { team: 'a' } }));
  assert.equal(created.$metadata.httpStatusCode, 200);
  assert.match(created.id!, /^snsa-[0-9a-z]{17}$/);
  assert.equal(created.arn, arn(`servicenetworkserviceassociation/${created.id}`));
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.equal(created.createdBy, ACCT);
  assert.deepEqual(created.dnsEntry, svc.dnsEntry);
  assert.equal(created.customDomainName, 'api.example.com');

  const got = await h.client.send(new GetServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: created.arn }));
  assert.equal(got.id, created.id);
  assert.equal(got.arn, created.arn);
  assert.equal(got.status, 'ACTIVE');
  assert.equal(got.createdBy, ACCT);
  assert.ok(got.createdAt instanceof Date);
  assert.equal(got.serviceId, svc.id);
  assert.equal(got.serviceName, svc.name);
  assert.equal(got.serviceArn, svc.arn);
  assert.equal(got.serviceNetworkId, sn.id);
  assert.equal(got.serviceNetworkName, sn.name);
  assert.equal(got.serviceNetworkArn, sn.arn);
  assert.deepEqual(got.dnsEntry, svc.dnsEntry);
  assert.equal(got.customDomainName, 'api.example.com');
  assert.equal(got.failureCode, undefined);
  assert.equal(got.failureMessage, undefined);

  const snGot = await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
  assert.equal(snGot.numberOfAssociatedServices, 1);
  assert.equal(snGot.numberOfAssociatedVPCs, 0);
  await assert.rejects(h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id })), conflictOn('SERVICE_NETWORK', sn.id!));

  const del = await h.client.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: created.id }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  assert.deepEqual({ id: del.id, arn: del.arn, status: del.status }, { id: created.id, arn: created.arn, status: 'DELETE_IN_PROGRESS' });
  await assert.rejects(h.client.send(new GetServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: created.id })),
    notFound('SERVICE_NETWORK_SERVICE_ASSOCIATION', created.id!));
  await assert.rejects(h.client.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: created.id })),
    notFound('SERVICE_NETWORK_SERVICE_ASSOCIATION', created.id!));
  assert.equal((await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }))).numberOfAssociatedServices, 0);
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
});

test('service association: same pair twice conflicts; unknown service or network is not found; ARNs work', async () => {
  const sn = await newNetwork();
  const svc = await newService();
  const first = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.arn, serviceIdentifier: svc.arn }));
  assert.equal(first.dnsEntry?.domainName, svc.dnsEntry?.domainName);
  assert.equal(first.customDomainName, undefined);
  await assert.rejects(h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: svc.id })),
    conflictOn('SERVICE_NETWORK_SERVICE_ASSOCIATION', first.id!));
  // The same service may join another network.
  const sn2 = await newNetwork();
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn2.id, serviceIdentifier: svc.id }));

  const missingSvc = 'svc-0123456789abcdef0';
  await assert.rejects(h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: missingSvc })), notFound('SERVICE', missingSvc));
  const missingSn = 'sn-0123456789abcdef0';
  await assert.rejects(h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: missingSn, serviceIdentifier: svc.id })), notFound('SERVICE_NETWORK', missingSn));
  await assert.rejects(h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: 'sn-BAD', serviceIdentifier: svc.id })), invalid('serviceNetworkIdentifier'));
  await assert.rejects(h.client.send(new GetServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: 'snsa-0123456789abcdef0' })),
    notFound('SERVICE_NETWORK_SERVICE_ASSOCIATION', 'snsa-0123456789abcdef0'));
});

test('service associations list: a filter is required; filters and pagination', async () => {
  const sn = await newNetwork();
  const [a, b] = [await newService(), await newService()];
  const sa = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: a.id }));
  const sb = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: b.id }));
  const elsewhere = await newNetwork();
  const sc = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: elsewhere.id, serviceIdentifier: a.id }));

  await assert.rejects(h.client.send(new ListServiceNetworkServiceAssociationsCommand({})), invalid('serviceNetworkIdentifier'));

  const p1 = await h.client.send(new ListServiceNetworkServiceAssociationsCommand({ serviceNetworkIdentifier: sn.id, maxResults: 1 }));
  assert.equal(p1.items?.length, 1);
  assert.ok(p1.nextToken);
  const p2 = await h.client.send(new ListServiceNetworkServiceAssociationsCommand({ serviceNetworkIdentifier: sn.id, maxResults: 1, nextToken: p1.nextToken }));
  assert.equal(p2.items?.length, 1);
  assert.equal(p2.nextToken, undefined);
  assert.deepEqual([p1.items![0].id, p2.items![0].id], [sa.id, sb.id]);
  const item = p1.items![0];
  assert.equal(item.status, 'ACTIVE');
  assert.equal(item.serviceId, a.id);
  assert.equal(item.serviceName, a.name);
  assert.equal(item.serviceNetworkName, sn.name);
  assert.equal(item.createdBy, ACCT);
  assert.ok(item.createdAt instanceof Date);
  assert.deepEqual(item.dnsEntry, a.dnsEntry);

  const byService = await h.client.send(new ListServiceNetworkServiceAssociationsCommand({ serviceIdentifier: a.arn }));
  assert.deepEqual(byService.items!.map((i) => i.id), [sa.id, sc.id]);
  const both = await h.client.send(new ListServiceNetworkServiceAssociationsCommand({ serviceIdentifier: a.id, serviceNetworkIdentifier: elsewhere.arn }));
  assert.deepEqual(both.items!.map((i) => i.id), [sc.id]);
  const none = await h.client.send(new ListServiceNetworkServiceAssociationsCommand({ serviceNetworkIdentifier: 'sn-0123456789abcdef0' }));
  assert.deepEqual(none.items, []);
});

test('service associations per service network quota', async () => {
  const q = await startHarness({ quotas: { ...DEFAULT_QUOTAS, serviceAssociationsPerServiceNetwork: 1, vpcAssociationsPerServiceNetwork: 0, resourceConfigurationsPerServiceNetwork: 0 } });
  try {
    const sn = await q.client.send(new CreateServiceNetworkCommand({ name: 'quota-net' }));
    const s1 = await q.client.send(new CreateServiceCommand({ name: 'quota-svc-1' }));
    const s2 = await q.client.send(new CreateServiceCommand({ name: 'quota-svc-2' }));
    await q.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: s1.id }));
    await assert.rejects(q.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: s2.id })),
      rejectsWith(ServiceQuotaExceededException, (e) => {
        assert.equal(e.resourceType, 'SERVICE_NETWORK_SERVICE_ASSOCIATION');
        assert.equal(e.serviceCode, 'vpc-lattice');
        assert.equal(e.quotaCode, 'ServiceAssociationsPerServiceNetwork');
      }));
    await assert.rejects(q.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: q.trellis.defaultVpcId })),
      rejectsWith(ServiceQuotaExceededException, (e) => assert.equal(e.quotaCode, 'VpcAssociationsPerServiceNetwork')));
  } finally {
    await q.close();
  }
});

// ------------------------------------------------------------------------------------------------
// VPC associations

test('VPC association lifecycle: create, get, one network per VPC, update, delete', async () => {
  const sn = await newNetwork();
  const vpc = h.trellis.defaultVpcId;
  const [sg1, sg2, sg3] = [await newGroup(vpc), await newGroup(vpc), await newGroup(vpc)];
  const created = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({
    serviceNetworkIdentifier: sn.id, vpcIdentifier: vpc, securityGroupIds: [sg1], tags: { team: 'a' },
  }));
  assert.equal(created.$metadata.httpStatusCode, 200);
  assert.match(created.id!, /^snva-[0-9a-z]{17}$/);
  assert.equal(created.arn, arn(`servicenetworkvpcassociation/${created.id}`));
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.equal(created.createdBy, ACCT);
  assert.deepEqual(created.securityGroupIds, [sg1]);

  const got = await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.arn }));
  assert.equal(got.id, created.id);
  assert.equal(got.status, 'ACTIVE');
  assert.equal(got.createdBy, ACCT);
  assert.ok(got.createdAt instanceof Date);
  assert.ok(got.lastUpdatedAt instanceof Date);
  assert.equal(got.serviceNetworkId, sn.id);
  assert.equal(got.serviceNetworkName, sn.name);
  assert.equal(got.serviceNetworkArn, sn.arn);
  assert.equal(got.vpcId, vpc);
  assert.deepEqual(got.securityGroupIds, [sg1]);
  assert.equal(got.failureCode, undefined);

  // A VPC joins only one service network through an association.
  const sn2 = await newNetwork();
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn2.id, vpcIdentifier: vpc })),
    conflictOn('SERVICE_NETWORK_VPC_ASSOCIATION', created.id!));
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: vpc })),
    conflictOn('SERVICE_NETWORK_VPC_ASSOCIATION', created.id!));

  const snGot = await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
  assert.equal(snGot.numberOfAssociatedVPCs, 1);
  await assert.rejects(h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id })), conflictOn('SERVICE_NETWORK', sn.id!));

  const updated = await h.client.send(new UpdateServiceNetworkVpcAssociationCommand({
    serviceNetworkVpcAssociationIdentifier: created.id, securityGroupIds: [sg2, sg3],
  }));
  assert.equal(updated.id, created.id);
  assert.equal(updated.arn, created.arn);
  assert.equal(updated.status, 'UPDATE_IN_PROGRESS');
  assert.equal(updated.createdBy, ACCT);
  assert.deepEqual(updated.securityGroupIds, [sg2, sg3]);
  const after = await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id }));
  assert.equal(after.status, 'ACTIVE');
  assert.deepEqual(after.securityGroupIds, [sg2, sg3]);
  // At least one group remains once added (the list is 1-5); more than five never fit.
  await assert.rejects(h.client.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id, securityGroupIds: [] })), invalid('securityGroupIds'));
  const six = [sg1, sg2, sg3, await newGroup(vpc), await newGroup(vpc), await newGroup(vpc)];
  await assert.rejects(h.client.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id, securityGroupIds: six })), invalid('securityGroupIds'));

  const del = await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  assert.deepEqual({ id: del.id, arn: del.arn, status: del.status }, { id: created.id, arn: created.arn, status: 'DELETE_IN_PROGRESS' });
  await assert.rejects(h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id })),
    notFound('SERVICE_NETWORK_VPC_ASSOCIATION', created.id!));
  await assert.rejects(h.client.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id, securityGroupIds: [sg1] })),
    notFound('SERVICE_NETWORK_VPC_ASSOCIATION', created.id!));
  // Once disassociated, the VPC may join another network.
  const moved = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn2.id, vpcIdentifier: vpc }));
  assert.deepEqual(moved.securityGroupIds, []);
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
  await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: moved.id }));
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn2.id }));
});

test('VPC association: unknown VPC or network; private DNS options stored and checked', async () => {
  const sn = await newNetwork();
  const missingVpc = 'vpc-0123456789abcdef0';
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: missingVpc })), notFound('VPC', missingVpc));
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: 'sn-0123456789abcdef0', vpcIdentifier: VPC3 })),
    notFound('SERVICE_NETWORK', 'sn-0123456789abcdef0'));
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: 'vpc-XYZ' })), invalid('vpcIdentifier'));
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({
    serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC3, privateDnsEnabled: false, dnsOptions: { privateDnsPreference: 'ALL_DOMAINS' },
  })), invalid('dnsOptions'));
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({
    serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC3, privateDnsEnabled: true, dnsOptions: { privateDnsPreference: 'ALL_DOMAINS', privateDnsSpecifiedDomains: ['a.example.com'] },
  })), invalid('dnsOptions.privateDnsSpecifiedDomains'));

  const dnsOptions = { privateDnsPreference: 'SPECIFIED_DOMAINS_ONLY' as const, privateDnsSpecifiedDomains: ['db.example.com'] };
  const created = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC3, privateDnsEnabled: true, dnsOptions }));
  assert.equal(created.privateDnsEnabled, true);
  assert.deepEqual(created.dnsOptions, dnsOptions);
  const got = await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id }));
  assert.equal(got.privateDnsEnabled, true);
  assert.deepEqual(got.dnsOptions, dnsOptions);
  const sg = await newGroup(VPC3);
  const updated = await h.client.send(new UpdateServiceNetworkVpcAssociationCommand({
    serviceNetworkVpcAssociationIdentifier: created.id, securityGroupIds: [sg], dnsOptions: { privateDnsPreference: 'VERIFIED_DOMAINS_ONLY' },
  }));
  assert.deepEqual(updated.securityGroupIds, [sg]);
  assert.equal(updated.privateDnsEnabled, true);
  assert.deepEqual(updated.dnsOptions, { privateDnsPreference: 'VERIFIED_DOMAINS_ONLY' });
  await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: created.id }));
});

test('VPC association security groups: the caller\'s, in the association\'s VPC, each once', async () => {
  const sn = await newNetwork();
  const [mine, mine2] = [await newGroup(VPC2), await newGroup(VPC2)];
  const elsewhere = await newGroup(VPC3);
  const theirs = await newGroup(OTHER_VPC, otherEc2);
  const unknown = 'sg-0123456789abcdef0';
  const refused: [string[], string, RegExp][] = [
    [[unknown], unknown, /does not exist/],
    [[mine, elsewhere], elsewhere, new RegExp(`belongs to VPC ${VPC3}, not ${VPC2}`)],
    // Another account's group reads as unknown (EC2 shows callers only their own groups).
    [[theirs], theirs, /does not exist/],
    [[mine, mine], mine, /more than once/],
  ];
  for (const [ids, named, message] of refused) {
    await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC2, securityGroupIds: ids })),
      badGroup(named, message));
  }
  // Nothing was created by the refused requests.
  assert.deepEqual((await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: VPC2 }))).items, []);

  const a = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC2, securityGroupIds: [mine] }));
  try {
    assert.deepEqual(a.securityGroupIds, [mine]);
    assert.deepEqual((await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.id }))).securityGroupIds, [mine]);
    const listed = await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: VPC2 }));
    assert.deepEqual(listed.items!.map((i) => [i.id, i.vpcId, i.status]), [[a.id, VPC2, 'ACTIVE']]);

    // Updates are checked the same way, against the association's VPC, and change nothing when refused.
    for (const [ids, named, message] of refused) {
      await assert.rejects(h.client.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.id, securityGroupIds: ids })),
        badGroup(named, message));
    }
    assert.deepEqual((await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.arn }))).securityGroupIds, [mine]);
    const updated = await h.client.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.id, securityGroupIds: [mine2, mine] }));
    assert.deepEqual(updated.securityGroupIds, [mine2, mine]);
    assert.deepEqual((await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.id }))).securityGroupIds, [mine2, mine]);
  } finally {
    await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.id }));
  }
  // Another VPC refuses the first VPC's groups; its own `default` group is a group like any other.
  await assert.rejects(h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC3, securityGroupIds: [mine] })),
    badGroup(mine, new RegExp(`belongs to VPC ${VPC2}, not ${VPC3}`)));
  const described = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [VPC3] }, { Name: 'group-name', Values: ['default'] }] }));
  const defaultGroup = described.SecurityGroups![0].GroupId!;
  const b = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC3, securityGroupIds: [defaultGroup, elsewhere] }));
  assert.deepEqual((await h.client.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: b.id }))).securityGroupIds, [defaultGroup, elsewhere]);
  await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: b.id }));
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
});

test('VPC associations list: a filter is required; filters and pagination', async () => {
  const sn = await newNetwork();
  const a = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC2 }));
  const b = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.arn, vpcIdentifier: VPC3 }));
  try {
    await assert.rejects(h.client.send(new ListServiceNetworkVpcAssociationsCommand({})), invalid('serviceNetworkIdentifier'));
    const p1 = await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ serviceNetworkIdentifier: sn.id, maxResults: 1 }));
    assert.deepEqual(p1.items!.map((i) => i.id), [a.id]);
    assert.ok(p1.nextToken);
    const p2 = await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ serviceNetworkIdentifier: sn.id, maxResults: 1, nextToken: p1.nextToken }));
    assert.deepEqual(p2.items!.map((i) => i.id), [b.id]);
    assert.equal(p2.nextToken, undefined);
    const item = p1.items![0];
    assert.equal(item.arn, a.arn);
    assert.equal(item.status, 'ACTIVE');
    assert.equal(item.vpcId, VPC2);
    assert.equal(item.serviceNetworkId, sn.id);
    assert.equal(item.serviceNetworkName, sn.name);
    assert.equal(item.serviceNetworkArn, sn.arn);
    assert.equal(item.createdBy, ACCT);
    assert.ok(item.createdAt instanceof Date && item.lastUpdatedAt instanceof Date);

    const byVpc = await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: VPC3 }));
    assert.deepEqual(byVpc.items!.map((i) => i.id), [b.id]);
    const mismatch = await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: VPC3, serviceNetworkIdentifier: 'sn-0123456789abcdef0' }));
    assert.deepEqual(mismatch.items, []);
  } finally {
    await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: a.id }));
    await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: b.id }));
  }
});

// ------------------------------------------------------------------------------------------------
// Resource associations

test('resource association lifecycle: create, get, duplicate, counts, delete', async () => {
  const sn = await newNetwork();
  const created = await h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.id, resourceConfigurationIdentifier: RCFG.single, tags: { team: 'a' } }));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.id!, /^snra-[0-9a-f]{17}$/);
  assert.equal(created.arn, arn(`servicenetworkresourceassociation/${created.id}`));
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.equal(created.createdBy, ACCT);

  const got = await h.client.send(new GetServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: created.arn }));
  assert.equal(got.id, created.id);
  assert.equal(got.arn, created.arn);
  assert.equal(got.status, 'ACTIVE');
  assert.equal(got.createdBy, ACCT);
  assert.ok(got.createdAt instanceof Date && got.lastUpdatedAt instanceof Date);
  assert.equal(got.resourceConfigurationId, RCFG.single);
  assert.equal(got.resourceConfigurationName, 'db-single');
  assert.equal(got.resourceConfigurationArn, rcfgArn(ACCT, RCFG.single));
  assert.equal(got.serviceNetworkId, sn.id);
  assert.equal(got.serviceNetworkName, sn.name);
  assert.equal(got.serviceNetworkArn, sn.arn);
  assert.equal(got.isManagedAssociation, false);
  assert.match(got.dnsEntry!.domainName!, new RegExp(`^${created.id}\\.${RCFG.single}\\.[0-9a-f]{7}\\.vpc-lattice-rsc\\.${REGION}\\.on\\.aws$`));
  assert.match(got.dnsEntry!.hostedZoneId!, /^Z[0-9A-F]+$/);

  await assert.rejects(h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.arn, resourceConfigurationIdentifier: rcfgArn(ACCT, RCFG.single) })),
    conflictOn('SERVICE_NETWORK_RESOURCE_ASSOCIATION', created.id!));
  await assert.rejects(h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id })), conflictOn('SERVICE_NETWORK', sn.id!));

  const del = await h.client.send(new DeleteServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: created.id }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  assert.deepEqual({ id: del.id, arn: del.arn, status: del.status }, { id: created.id, arn: created.arn, status: 'DELETE_IN_PROGRESS' });
  await assert.rejects(h.client.send(new GetServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: created.id })),
    notFound('SERVICE_NETWORK_RESOURCE_ASSOCIATION', created.id!));
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
});

test('resource association: unknown configuration or network; CHILD configurations are not associated directly', async () => {
  const sn = await newNetwork();
  const missing = 'rcfg-0123456789abcdef0';
  await assert.rejects(h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.id, resourceConfigurationIdentifier: missing })),
    notFound('RESOURCE_CONFIGURATION', missing));
  // The service network identifier has no pattern: anything else is simply not found.
  await assert.rejects(h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: 'not-a-network', resourceConfigurationIdentifier: RCFG.single })),
    notFound('SERVICE_NETWORK', 'not-a-network'));
  await assert.rejects(h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: arn('service/svc-0123456789abcdef0'), resourceConfigurationIdentifier: RCFG.single })),
    notFound('SERVICE_NETWORK', arn('service/svc-0123456789abcdef0')));
  await assert.rejects(h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.id, resourceConfigurationIdentifier: RCFG.child1 })),
    invalid('resourceConfigurationIdentifier'));
  await assert.rejects(h.client.send(new GetServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: 'snra-0123456789abcdef0' })),
    notFound('SERVICE_NETWORK_RESOURCE_ASSOCIATION', 'snra-0123456789abcdef0'));
});

test('resource associations list: group children with includeChildren, filters, pagination', async () => {
  const sn = await newNetwork();
  const single = await h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.id, resourceConfigurationIdentifier: RCFG.single2, privateDnsEnabled: true }));
  assert.equal(single.privateDnsEnabled, true);
  const group = await h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.id, resourceConfigurationIdentifier: RCFG.group }));
  try {
    const plain = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ serviceNetworkIdentifier: sn.id }));
    assert.deepEqual(plain.items!.map((i) => i.id), [single.id, group.id]);
    assert.equal(plain.items![0].privateDnsEnabled, true);
    assert.equal(plain.items![0].resourceConfigurationName, 'db-single-2');
    assert.equal(plain.items![0].status, 'ACTIVE');

    const all = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ serviceNetworkIdentifier: sn.id, includeChildren: true }));
    assert.equal(all.items!.length, 4);
    const managed = all.items!.filter((i) => i.isManagedAssociation);
    assert.deepEqual(managed.map((i) => i.resourceConfigurationId), [RCFG.child1, RCFG.child2]);
    for (const m of managed) {
      assert.match(m.id!, /^snra-[0-9a-f]{17}$/);
      assert.equal(m.arn, arn(`servicenetworkresourceassociation/${m.id}`));
      assert.equal(m.serviceNetworkId, sn.id);
      assert.equal(m.status, 'ACTIVE');
    }
    const byGroup = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ resourceConfigurationIdentifier: RCFG.group, includeChildren: true }));
    assert.deepEqual(byGroup.items!.map((i) => i.resourceConfigurationId), [RCFG.group, RCFG.child1, RCFG.child2]);
    const byChild = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ resourceConfigurationIdentifier: rcfgArn(ACCT, RCFG.child2) }));
    assert.deepEqual(byChild.items!.map((i) => i.id), [managed[1].id]);

    // A managed association reads like any other, but is removed with its group's association.
    const m = await h.client.send(new GetServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: managed[0].arn }));
    assert.equal(m.isManagedAssociation, true);
    assert.equal(m.resourceConfigurationName, 'db-child-1');
    await assert.rejects(h.client.send(new DeleteServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: managed[0].id })),
      conflictOn('SERVICE_NETWORK_RESOURCE_ASSOCIATION', managed[0].id!));

    const p1 = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ serviceNetworkIdentifier: sn.id, includeChildren: true, maxResults: 1 }));
    const seen = [...p1.items!];
    let token = p1.nextToken;
    while (token) {
      const p = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ serviceNetworkIdentifier: sn.id, includeChildren: true, maxResults: 1, nextToken: token }));
      assert.equal(p.items!.length, 1);
      seen.push(...p.items!);
      token = p.nextToken;
    }
    assert.deepEqual(seen.map((i) => i.id), all.items!.map((i) => i.id));
  } finally {
    await h.client.send(new DeleteServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: single.id }));
    await h.client.send(new DeleteServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: group.id }));
  }
  const empty = await h.client.send(new ListServiceNetworkResourceAssociationsCommand({ serviceNetworkIdentifier: sn.id, includeChildren: true }));
  assert.deepEqual(empty.items, []);
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
});

test('VPC endpoint associations: none in Trellis', async () => {
  const sn = await newNetwork();
  const out = await h.client.send(new ListServiceNetworkVpcEndpointAssociationsCommand({ serviceNetworkIdentifier: sn.id }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.deepEqual(out.items, []);
  assert.equal(out.nextToken, undefined);
  const unknown = await h.client.send(new ListServiceNetworkVpcEndpointAssociationsCommand({ serviceNetworkIdentifier: 'sn-0123456789abcdef0' }));
  assert.deepEqual(unknown.items, []);
});

// ------------------------------------------------------------------------------------------------
// Accounts

test('another account can neither see nor use the first one\'s networks, services, VPCs and associations', async () => {
  const sn = await newNetwork();
  const svc = await newService();
  const snsa = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: svc.id }));
  const snva = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: VPC2 }));
  const snra = await h.client.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: sn.id, resourceConfigurationIdentifier: RCFG.single }));
  const theirGroup = await newGroup(OTHER_VPC, otherEc2);
  try {
    await assert.rejects(other.send(new GetServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: snsa.arn })),
      notFound('SERVICE_NETWORK_SERVICE_ASSOCIATION', snsa.arn!));
    await assert.rejects(other.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: snsa.id })),
      notFound('SERVICE_NETWORK_SERVICE_ASSOCIATION', snsa.id!));
    await assert.rejects(other.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: snva.id })),
      notFound('SERVICE_NETWORK_VPC_ASSOCIATION', snva.id!));
    await assert.rejects(other.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: snva.id, securityGroupIds: [theirGroup] })),
      notFound('SERVICE_NETWORK_VPC_ASSOCIATION', snva.id!));
    await assert.rejects(other.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: snva.id })),
      notFound('SERVICE_NETWORK_VPC_ASSOCIATION', snva.id!));
    await assert.rejects(other.send(new GetServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: snra.id })),
      notFound('SERVICE_NETWORK_RESOURCE_ASSOCIATION', snra.id!));
    await assert.rejects(other.send(new DeleteServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: snra.arn })),
      notFound('SERVICE_NETWORK_RESOURCE_ASSOCIATION', snra.arn!));

    assert.deepEqual((await other.send(new ListServiceNetworkServiceAssociationsCommand({ serviceNetworkIdentifier: sn.arn }))).items, []);
    assert.deepEqual((await other.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: VPC2 }))).items, []);
    assert.deepEqual((await other.send(new ListServiceNetworkResourceAssociationsCommand({}))).items, []);

    // Its own network can't take the first account's service, VPC or resource configuration...
    const mine = await newNetwork(other);
    await assert.rejects(other.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: mine.id, serviceIdentifier: svc.arn })), notFound('SERVICE', svc.arn!));
    await assert.rejects(other.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: mine.id, vpcIdentifier: h.trellis.defaultVpcId })),
      notFound('VPC', h.trellis.defaultVpcId));
    await assert.rejects(other.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: mine.id, resourceConfigurationIdentifier: rcfgArn(ACCT, RCFG.single) })),
      notFound('RESOURCE_CONFIGURATION', rcfgArn(ACCT, RCFG.single)));
    // ...nor join the first account's network (until RAM sharing exists).
    await assert.rejects(other.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.arn, vpcIdentifier: OTHER_VPC })), notFound('SERVICE_NETWORK', sn.arn!));
    // Its own VPC, with its own security group, and its own configuration join its own network.
    const ownVpc = await other.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: mine.id, vpcIdentifier: OTHER_VPC, securityGroupIds: [theirGroup] }));
    assert.equal(ownVpc.createdBy, OTHER);
    assert.deepEqual(ownVpc.securityGroupIds, [theirGroup]);
    assert.deepEqual((await other.send(new GetServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: ownVpc.id }))).securityGroupIds, [theirGroup]);
    assert.match(ownVpc.arn!, new RegExp(`:${OTHER}:servicenetworkvpcassociation/`));
    const ownRcfg = await other.send(new CreateServiceNetworkResourceAssociationCommand({ serviceNetworkIdentifier: mine.arn, resourceConfigurationIdentifier: RCFG.other }));
    assert.deepEqual((await other.send(new ListServiceNetworkResourceAssociationsCommand({}))).items!.map((i) => i.id), [ownRcfg.id]);
    assert.deepEqual((await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: OTHER_VPC }))).items, []);
  } finally {
    await h.client.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: snsa.id }));
    await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: snva.id }));
    await h.client.send(new DeleteServiceNetworkResourceAssociationCommand({ serviceNetworkResourceAssociationIdentifier: snra.id }));
  }
  await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
});
