// The EC2 subset (VPCs, security groups, tags) through the official @aws-sdk/client-ec2 against a
// real Trellis, plus the pure ingress check the data plane uses.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EC2Client, CreateVpcCommand, DescribeVpcsCommand, DeleteVpcCommand, AssociateVpcCidrBlockCommand,
  CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, DeleteSecurityGroupCommand,
  AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand, CreateTagsCommand, DeleteTagsCommand,
  paginateDescribeVpcs, type Tag,
} from '@aws-sdk/client-ec2';
import {
  CreateServiceNetworkCommand, CreateServiceNetworkVpcAssociationCommand, DeleteServiceNetworkVpcAssociationCommand,
  CreateTargetGroupCommand, ListTargetGroupsCommand, DeleteTargetGroupCommand,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { ec2Service } from '../../src/api/ec2/service.ts';
import { ensureDefaultVpc, DEFAULT_VPC_CIDR, type VpcRecord } from '../../src/api/ec2/vpcs.ts';
import type { SecurityGroupRecord, SecurityGroupRule } from '../../src/api/ec2/securitygroups.ts';
import { allowsIngress } from '../../src/dataplane/ingress.ts';
import { sign } from '../../src/iam/sigv4.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View } from '../../src/store/view.ts';

let h: Harness;
let ec2: EC2Client;
const clients: EC2Client[] = [];
const ec2For = (accessKeyId: string, secretAccessKey: string) => {
  const c = new EC2Client({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  clients.push(c);
  return c;
};

before(async () => {
  h = await startHarness({ services: [ec2Service] });
  ec2 = ec2For(h.trellis.accessKeyId, h.trellis.secretAccessKey);
});
after(async () => {
  for (const c of clients) c.destroy();
  await h.close();
});

interface Ec2Err { name: string; Code?: string; message: string; $fault?: string; $metadata?: { httpStatusCode?: number } }
/** EC2 errors as the SDK surfaces them: name and Code are EC2's code, the status is HTTP's. */
async function rejects(p: Promise<unknown>, code: string, message?: RegExp, status = 400): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    const err = e as Ec2Err;
    assert.equal(err.name, code, err.message);
    assert.equal(err.Code, code);
    assert.equal(err.$metadata?.httpStatusCode, status);
    if (message) assert.match(err.message, message);
    return true;
  });
}

let block = 10;
/** A fresh loopback /16 per VPC (the default VPC holds 127.0.0.0/16). */
const nextCidr = () => `127.${block++}.0.0/16`;
const createVpc = async (cidr = nextCidr(), tags?: Tag[], client = ec2) =>
  (await client.send(new CreateVpcCommand({ CidrBlock: cidr, ...(tags ? { TagSpecifications: [{ ResourceType: 'vpc', Tags: tags }] } : {}) }))).Vpc!;
const groups = async (filters: Record<string, string[]>, client = ec2) =>
  (await client.send(new DescribeSecurityGroupsCommand({ Filters: Object.entries(filters).map(([Name, Values]) => ({ Name, Values })) }))).SecurityGroups!;

describe('VPCs', () => {
  test('CreateVpc, DescribeVpcs, AssociateVpcCidrBlock and DeleteVpc', async () => {
    const cidr = nextCidr();
    const created = await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'a & <b>' }] }] }));
    assert.equal(created.$metadata.httpStatusCode, 200);
    const v = created.Vpc!;
    assert.match(v.VpcId!, /^vpc-[0-9a-f]{17}$/);
    assert.equal(v.State, 'pending');
    assert.equal(v.CidrBlock, cidr);
    assert.equal(v.IsDefault, false);
    assert.equal(v.OwnerId, h.trellis.accountId);
    assert.equal(v.InstanceTenancy, 'default');
    assert.match(v.DhcpOptionsId!, /^dopt-[0-9a-f]{17}$/);
    assert.deepEqual(v.Tags, [{ Key: 'Name', Value: 'a & <b>' }]);
    assert.equal(v.CidrBlockAssociationSet!.length, 1);
    const assoc = v.CidrBlockAssociationSet![0];
    assert.match(assoc.AssociationId!, /^vpc-cidr-assoc-[0-9a-f]{17}$/);
    assert.equal(assoc.CidrBlock, cidr);
    assert.equal(assoc.CidrBlockState?.State, 'associated');

    const [described] = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [v.VpcId!] }))).Vpcs!;
    assert.equal(described.State, 'available');
    assert.equal(described.CidrBlockAssociationSet![0].AssociationId, assoc.AssociationId);
    assert.deepEqual(described.Tags, v.Tags);

    // Every VPC has its default security group.
    const [dflt] = await groups({ 'vpc-id': [v.VpcId!], 'group-name': ['default'] });
    assert.equal(dflt.Description, 'default VPC security group');
    assert.deepEqual(dflt.IpPermissions, [{ IpProtocol: '-1', UserIdGroupPairs: [{ UserId: h.trellis.accountId, GroupId: dflt.GroupId }], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] }]);

    const extra = nextCidr();
    const added = await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: v.VpcId, CidrBlock: extra }));
    assert.equal(added.VpcId, v.VpcId);
    assert.equal(added.CidrBlockAssociation?.CidrBlock, extra);
    assert.equal(added.CidrBlockAssociation?.CidrBlockState?.State, 'associating');
    assert.match(added.CidrBlockAssociation!.AssociationId!, /^vpc-cidr-assoc-/);
    const byBlock = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr-block-association.cidr-block', Values: [extra] }] }));
    assert.deepEqual(byBlock.Vpcs!.map((x) => x.VpcId), [v.VpcId]);
    assert.deepEqual(byBlock.Vpcs![0].CidrBlockAssociationSet!.map((a) => a.CidrBlock), [cidr, extra]);
    const byPrimary = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [extra] }] }));
    assert.deepEqual(byPrimary.Vpcs, []);

    const deleted = await ec2.send(new DeleteVpcCommand({ VpcId: v.VpcId }));
    assert.equal(deleted.$metadata.httpStatusCode, 200);
    await rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: [v.VpcId!] })), 'InvalidVpcID.NotFound', new RegExp(`The vpc ID '${v.VpcId}' does not exist`));
    await rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [dflt.GroupId!] })), 'InvalidGroup.NotFound');
    await rejects(ec2.send(new DeleteVpcCommand({ VpcId: v.VpcId })), 'InvalidVpcID.NotFound');
    // The block is free again.
    await ec2.send(new DeleteVpcCommand({ VpcId: (await createVpc(cidr)).VpcId }));
  });

  test('the default VPC covers loopback and has a default security group', async () => {
    const res = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }));
    assert.equal(res.Vpcs!.length, 1);
    const [v] = res.Vpcs!;
    assert.equal(v.VpcId, h.trellis.defaultVpcId);
    assert.equal(v.CidrBlock, DEFAULT_VPC_CIDR);
    assert.equal(v.IsDefault, true);
    const [g] = await groups({ 'vpc-id': [v.VpcId!] });
    assert.equal(g.GroupName, 'default');
    assert.deepEqual(g.IpPermissionsEgress, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
  });

  test('CreateVpc and AssociateVpcCidrBlock validate their blocks; identical blocks are refused', async () => {
    await rejects(ec2.send(new CreateVpcCommand({})), 'MissingParameter', /cidrBlock/);
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: 'banana' })), 'InvalidParameterValue', /not a valid CIDR block/);
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: '127.9.0.1/16' })), 'InvalidParameterValue');
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })), 'InvalidVpc.Range', /\/16 and \/28/);
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' })), 'InvalidVpc.Range');
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: DEFAULT_VPC_CIDR })), 'InvalidVpc.Range', new RegExp(`already used by VPC ${h.trellis.defaultVpcId}`));
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: nextCidr(), AmazonProvidedIpv6CidrBlock: true })), 'UnsupportedOperation');
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: nextCidr(), TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'a', Value: 'b' }] }] })),
      'InvalidParameterValue', /not a valid taggable resource type/);
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: nextCidr(), TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'aws:x', Value: 'b' }] }] })), 'InvalidParameterValue', /reserved/);

    // Overlapping blocks of different sizes are fine: the most specific one wins.
    const inner = await createVpc('127.0.1.0/24');
    const v = await createVpc();
    await rejects(ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: v.VpcId, CidrBlock: '127.0.1.0/24' })), 'InvalidVpc.Range', /already used/);
    await rejects(ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: v.VpcId, CidrBlock: `${v.CidrBlock!.split('.').slice(0, 2).join('.')}.4.0/24` })), 'InvalidVpc.Range', /overlaps/);
    await rejects(ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: 'vpc-00000000000000000', CidrBlock: nextCidr() })), 'InvalidVpcID.NotFound');
    for (let i = 0; i < 4; i++) await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: v.VpcId, CidrBlock: nextCidr() }));
    await rejects(ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: v.VpcId, CidrBlock: nextCidr() })), 'CidrLimitExceeded', /5/);
    await ec2.send(new DeleteVpcCommand({ VpcId: inner.VpcId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: v.VpcId }));
  });

  test('DescribeVpcs filters and pages', async () => {
    const made = [];
    for (let i = 0; i < 6; i++) made.push(await createVpc(nextCidr(), [{ Key: 'suite', Value: `page-${i}` }, { Key: i % 2 ? 'odd' : 'even', Value: '' }]));
    const filter = { Name: 'tag:suite', Values: ['page-*'] };
    const first = await ec2.send(new DescribeVpcsCommand({ Filters: [filter], MaxResults: 5 }));
    assert.equal(first.Vpcs!.length, 5);
    assert.ok(first.NextToken);
    const second = await ec2.send(new DescribeVpcsCommand({ Filters: [filter], MaxResults: 5, NextToken: first.NextToken }));
    assert.equal(second.Vpcs!.length, 1);
    assert.equal(second.NextToken, undefined);
    assert.deepEqual([...first.Vpcs!, ...second.Vpcs!].map((v) => v.VpcId), made.map((v) => v.VpcId));

    const all = [];
    for await (const p of paginateDescribeVpcs({ client: ec2, pageSize: 5 }, { Filters: [filter] })) all.push(...p.Vpcs!);
    assert.equal(all.length, 6);

    const odd = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag-key', Values: ['odd'] }, filter] }));
    assert.deepEqual(odd.Vpcs!.map((v) => v.VpcId), [made[1], made[3], made[5]].map((v) => v.VpcId));
    const two = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:suite', Values: ['page-0', 'page-?'] }, { Name: 'vpc-id', Values: [made[2].VpcId!] }] }));
    assert.deepEqual(two.Vpcs!.map((v) => v.VpcId), [made[2].VpcId]);
    const own = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'owner-id', Values: [h.trellis.accountId] }, { Name: 'state', Values: ['available'] }, { Name: 'is-default', Values: ['false'] }] }));
    assert.ok(made.every((m) => own.Vpcs!.some((v) => v.VpcId === m.VpcId)));
    assert.ok(!own.Vpcs!.some((v) => v.IsDefault));

    await rejects(ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })), 'InvalidParameterValue', /The filter 'colour' is invalid/);
    await rejects(ec2.send(new DescribeVpcsCommand({ MaxResults: 4 })), 'InvalidParameterValue', /between 5 and 1000/);
    await rejects(ec2.send(new DescribeVpcsCommand({ NextToken: 'nonsense' })), 'InvalidPaginationToken');
    for (const v of made) await ec2.send(new DeleteVpcCommand({ VpcId: v.VpcId }));
  });
});

describe('security groups', () => {
  let vpc: string;
  before(async () => { vpc = (await createVpc()).VpcId!; });

  test('CreateSecurityGroup and DescribeSecurityGroups', async () => {
    const created = await ec2.send(new CreateSecurityGroupCommand({
      GroupName: 'web', Description: 'Web servers (tcp/80)', VpcId: vpc, TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'team', Value: 'a' }] }],
    }));
    assert.match(created.GroupId!, /^sg-[0-9a-f]{17}$/);
    assert.equal(created.SecurityGroupArn, `arn:aws:ec2:${h.trellis.region}:${h.trellis.accountId}:security-group/${created.GroupId}`);
    assert.deepEqual(created.Tags, [{ Key: 'team', Value: 'a' }]);

    const [g] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [created.GroupId!] }))).SecurityGroups!;
    assert.equal(g.GroupName, 'web');
    assert.equal(g.Description, 'Web servers (tcp/80)');
    assert.equal(g.VpcId, vpc);
    assert.equal(g.OwnerId, h.trellis.accountId);
    assert.deepEqual(g.IpPermissions, []);
    assert.deepEqual(g.IpPermissionsEgress, [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }]);
    assert.deepEqual(g.Tags, [{ Key: 'team', Value: 'a' }]);

    const inVpc = await groups({ 'vpc-id': [vpc] });
    assert.deepEqual(inVpc.map((x) => x.GroupName).sort(), ['default', 'web']);
    assert.deepEqual((await groups({ 'tag:team': ['a'], 'vpc-id': [vpc] })).map((x) => x.GroupId), [created.GroupId]);
    assert.deepEqual((await groups({ description: ['Web*'] })).map((x) => x.GroupId), [created.GroupId]);

    // Without VpcId a group goes to the default VPC, where GroupNames can find it.
    const plain = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'plain', Description: 'in the default VPC' }));
    const byName = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['plain'] }));
    assert.equal(byName.SecurityGroups![0].GroupId, plain.GroupId);
    assert.equal(byName.SecurityGroups![0].VpcId, h.trellis.defaultVpcId);
    await rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['web'] })), 'InvalidGroup.NotFound', /does not exist in default VPC/);
    await ec2.send(new DeleteSecurityGroupCommand({ GroupName: 'plain' }));

    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'WEB', Description: 'x', VpcId: vpc })), 'InvalidGroup.Duplicate', new RegExp(`already exists for VPC '${vpc}'`));
    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'default', Description: 'x', VpcId: vpc })), 'InvalidGroup.Duplicate');
    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'sg-web', Description: 'x', VpcId: vpc })), 'InvalidParameterValue', /sg-\*/);
    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: undefined as unknown as string, VpcId: vpc })), 'MissingParameter', /GroupDescription/);
    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'é', VpcId: vpc })), 'InvalidParameterValue');
    await rejects(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: 'vpc-00000000000000000' })), 'InvalidVpcID.NotFound');
    await rejects(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-00000000000000000'] })), 'InvalidGroup.NotFound', /The security group 'sg-00000000000000000' does not exist/);
    await rejects(ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] })), 'InvalidParameterValue');
  });

  test('DescribeSecurityGroups pages', async () => {
    const own = await createVpc();
    for (let i = 0; i < 6; i++) await ec2.send(new CreateSecurityGroupCommand({ GroupName: `p${i}`, Description: 'page', VpcId: own.VpcId }));
    const filters = [{ Name: 'vpc-id', Values: [own.VpcId!] }];
    const first = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters, MaxResults: 5 }));
    const second = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters, MaxResults: 5, NextToken: first.NextToken }));
    assert.equal(first.SecurityGroups!.length, 5);
    assert.equal(second.SecurityGroups!.length, 2);
    assert.equal(second.NextToken, undefined);
    assert.deepEqual([...first.SecurityGroups!, ...second.SecurityGroups!].map((g) => g.GroupName), ['default', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    await rejects(ec2.send(new DeleteVpcCommand({ VpcId: own.VpcId })), 'DependencyViolation', /has dependencies and cannot be deleted/);
    for (const g of [...first.SecurityGroups!, ...second.SecurityGroups!]) if (g.GroupName !== 'default') await ec2.send(new DeleteSecurityGroupCommand({ GroupId: g.GroupId }));
    await ec2.send(new DeleteVpcCommand({ VpcId: own.VpcId }));
  });

  test('AuthorizeSecurityGroupIngress and RevokeSecurityGroupIngress', async () => {
    const web = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'rules', Description: 'rules', VpcId: vpc }))).GroupId!;
    const peer = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'peer', Description: 'peer', VpcId: vpc }))).GroupId!;
    const auth = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: web,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '10.1.2.3/8', Description: 'office' }], UserIdGroupPairs: [{ GroupId: peer }] },
        { IpProtocol: '17', FromPort: 53, ToPort: 53, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
      ],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'why', Value: 'test' }] }],
    }));
    assert.equal(auth.Return, true);
    assert.equal(auth.SecurityGroupRules!.length, 3);
    const [cidrRule, groupRule, udpRule] = auth.SecurityGroupRules!;
    assert.match(cidrRule.SecurityGroupRuleId!, /^sgr-[0-9a-f]{17}$/);
    assert.equal(cidrRule.GroupId, web);
    assert.equal(cidrRule.GroupOwnerId, h.trellis.accountId);
    assert.equal(cidrRule.IsEgress, false);
    assert.equal(cidrRule.IpProtocol, 'tcp');
    assert.equal(cidrRule.FromPort, 80);
    assert.equal(cidrRule.ToPort, 81);
    assert.equal(cidrRule.CidrIpv4, '10.0.0.0/8', 'host bits are cleared');
    assert.equal(cidrRule.Description, 'office');
    assert.deepEqual(cidrRule.Tags, [{ Key: 'why', Value: 'test' }]);
    assert.equal(cidrRule.SecurityGroupRuleArn, `arn:aws:ec2:${h.trellis.region}:${h.trellis.accountId}:security-group-rule/${cidrRule.SecurityGroupRuleId}`);
    assert.deepEqual(groupRule.ReferencedGroupInfo, { GroupId: peer, UserId: h.trellis.accountId });
    assert.equal(udpRule.IpProtocol, 'udp');
    assert.equal(udpRule.CidrIpv6, '::/0');

    const [g] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web] }))).SecurityGroups!;
    assert.deepEqual(g.IpPermissions, [
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'office' }], UserIdGroupPairs: [{ UserId: h.trellis.accountId, GroupId: peer }], Ipv6Ranges: [], PrefixListIds: [] },
      { IpProtocol: 'udp', FromPort: 53, ToPort: 53, Ipv6Ranges: [{ CidrIpv6: '::/0' }], IpRanges: [], UserIdGroupPairs: [], PrefixListIds: [] },
    ]);
    assert.deepEqual((await groups({ 'ip-permission.cidr': ['10.0.0.0/8'] })).map((x) => x.GroupId), [web]);
    assert.deepEqual((await groups({ 'ip-permission.group-name': ['peer'] })).map((x) => x.GroupId), [web]);
    assert.deepEqual((await groups({ 'ip-permission.from-port': ['53'], 'ip-permission.protocol': ['udp'] })).map((x) => x.GroupId), [web]);

    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: '6', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })),
      'InvalidPermission.Duplicate', /peer: 10.0.0.0\/8, TCP, from port: 80, to port: 81, ALLOW/);
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'gre?', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })), 'InvalidParameterValue', /Unknown protocol/);
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })), 'InvalidParameterValue', /from and to ports/);
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 90, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })), 'InvalidParameterValue');
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0/8' }] }] })), 'InvalidParameterValue', /malformed/);
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-00000000000000000', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })), 'InvalidGroup.NotFound');
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })), 'MissingParameter');
    const elsewhere = (await groups({ 'vpc-id': [h.trellis.defaultVpcId], 'group-name': ['default'] }))[0].GroupId!;
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: elsewhere }] }] })),
      'InvalidGroup.NotFound', /different networks/);
    await rejects(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, CidrIp: '1.2.3.4/32', IpProtocol: 'tcp', FromPort: 1, ToPort: 1, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })),
      'InvalidParameterCombination');
    // The older top-level form.
    const legacy = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: web, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '192.0.2.0/24' }));
    assert.equal(legacy.SecurityGroupRules![0].CidrIpv4, '192.0.2.0/24');

    // Revoking by values (the description need not match) and by rule id.
    const revoked = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }));
    assert.equal(revoked.Return, true);
    assert.equal(revoked.UnknownIpPermissions, undefined);
    assert.deepEqual(revoked.RevokedSecurityGroupRules!.map((r) => [r.SecurityGroupRuleId, r.CidrIpv4, r.Description]), [[cidrRule.SecurityGroupRuleId, '10.0.0.0/8', 'office']]);
    await rejects(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 81, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] })),
      'InvalidPermission.NotFound', /does not exist in this security group/);
    const byId = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web, SecurityGroupRuleIds: [groupRule.SecurityGroupRuleId!] }));
    assert.equal(byId.RevokedSecurityGroupRules![0].ReferencedGroupId, peer);
    await rejects(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: web, SecurityGroupRuleIds: [groupRule.SecurityGroupRuleId!] })), 'InvalidSecurityGroupRuleId.NotFound');
    const [after] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web] }))).SecurityGroups!;
    assert.deepEqual(after.IpPermissions!.map((p) => p.IpProtocol), ['udp', 'tcp']);

    // In the default VPC values that match nothing are reported, not refused.
    const dflt = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'revoke-default', Description: 'x' }))).GroupId!;
    const unknown = await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: dflt, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5, ToPort: 5, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }));
    assert.equal(unknown.Return, true);
    assert.deepEqual(unknown.UnknownIpPermissions?.[0].IpRanges, [{ CidrIp: '10.0.0.0/8' }]);
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: dflt }));
  });

  test('DeleteSecurityGroup: default groups and groups in use stay', async () => {
    const a = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'del-a', Description: 'a', VpcId: vpc }))).GroupId!;
    const b = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'del-b', Description: 'b', VpcId: vpc }))).GroupId!;
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: b, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, UserIdGroupPairs: [{ GroupId: a }] }] }));
    await rejects(ec2.send(new DeleteSecurityGroupCommand({ GroupId: a })), 'DependencyViolation', new RegExp(`resource ${a} has a dependent object`));
    const [dflt] = await groups({ 'vpc-id': [vpc], 'group-name': ['default'] });
    await rejects(ec2.send(new DeleteSecurityGroupCommand({ GroupId: dflt.GroupId })), 'CannotDelete', /cannot be deleted by a user/);
    await rejects(ec2.send(new DeleteSecurityGroupCommand({})), 'MissingParameter');

    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: b }));
    const res = await ec2.send(new DeleteSecurityGroupCommand({ GroupId: a }));
    assert.equal(res.Return, true);
    assert.equal(res.GroupId, a);
    await rejects(ec2.send(new DeleteSecurityGroupCommand({ GroupId: a })), 'InvalidGroup.NotFound');
  });
});

test('Lattice associations and target groups use EC2 VPCs and hold them', async () => {
  const v = (await createVpc()).VpcId!;
  const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'lattice', Description: 'for the association', VpcId: v }))).GroupId!;
  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg }));
  const sg2 = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'lattice', Description: 'for the association', VpcId: v }))).GroupId!;
  const sn = await h.client.send(new CreateServiceNetworkCommand({ name: 'ec2-deps' }));
  const assoc = await h.client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: v, securityGroupIds: [sg2] }));
  await rejects(ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg2 })), 'DependencyViolation');
  await rejects(ec2.send(new DeleteVpcCommand({ VpcId: v })), 'DependencyViolation', /service network VPC association/);
  await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: assoc.id }));
  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: sg2 }));

  const tg = await h.client.send(new CreateTargetGroupCommand({ name: 'ec2-vpc-tg', type: 'IP', config: { port: 80, protocol: 'HTTP', vpcIdentifier: v } }));
  const listed = await h.client.send(new ListTargetGroupsCommand({ vpcIdentifier: v }));
  assert.deepEqual(listed.items!.map((t) => t.id), [tg.id]);
  assert.equal(listed.items![0].vpcIdentifier, v);
  assert.deepEqual((await h.client.send(new ListTargetGroupsCommand({ vpcIdentifier: h.trellis.defaultVpcId }))).items!.filter((t) => t.id === tg.id), []);
  await rejects(ec2.send(new DeleteVpcCommand({ VpcId: v })), 'DependencyViolation', /target group/);
  await h.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.id }));
  await ec2.send(new DeleteVpcCommand({ VpcId: v }));
});

test('CreateTags and DeleteTags', async () => {
  const v = (await createVpc()).VpcId!;
  const g = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'tagged', Description: 'x', VpcId: v }))).GroupId!;
  const res = await ec2.send(new CreateTagsCommand({ Resources: [v, g], Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'me' }, { Key: 'empty', Value: '' }] }));
  assert.equal(res.$metadata.httpStatusCode, 200);
  const tagsOf = async () => (await ec2.send(new DescribeVpcsCommand({ VpcIds: [v] }))).Vpcs![0].Tags;
  assert.deepEqual(await tagsOf(), [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'me' }, { Key: 'empty', Value: '' }]);
  assert.deepEqual((await groups({ 'tag:env': ['prod'], 'vpc-id': [v] })).map((x) => x.GroupId), [g]);

  await ec2.send(new DeleteTagsCommand({ Resources: [v], Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'owner' }, { Key: 'empty', Value: '' }] }));
  assert.deepEqual(await tagsOf(), [{ Key: 'env', Value: 'prod' }], 'a tag goes when its value matches or none is given');
  await ec2.send(new DeleteTagsCommand({ Resources: [v] }));
  assert.equal(await tagsOf(), undefined);

  await rejects(ec2.send(new CreateTagsCommand({ Resources: [v, 'vpc-00000000000000000'], Tags: [{ Key: 'k', Value: 'v' }] })), 'InvalidVpcID.NotFound');
  assert.equal(await tagsOf(), undefined, 'all or nothing');
  await rejects(ec2.send(new CreateTagsCommand({ Resources: ['sg-00000000000000000'], Tags: [{ Key: 'k', Value: 'v' }] })), 'InvalidGroup.NotFound');
  await rejects(ec2.send(new CreateTagsCommand({ Resources: ['i-0123456789abcdef0'], Tags: [{ Key: 'k', Value: 'v' }] })), 'InvalidID');
  await rejects(ec2.send(new CreateTagsCommand({ Resources: [v], Tags: [{ Key: 'aws:k', Value: 'v' }] })), 'InvalidParameterValue');
  await rejects(ec2.send(new CreateTagsCommand({ Resources: [v], Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })), 'TagLimitExceeded');
  await rejects(ec2.send(new CreateTagsCommand({ Resources: [v], Tags: [] })), 'MissingParameter');
  await ec2.send(new DeleteSecurityGroupCommand({ GroupId: g }));
  await ec2.send(new DeleteVpcCommand({ VpcId: v }));
});

test('accounts see and change only their own VPCs and groups', async () => {
  const other = await h.newAccount();
  const creds = await other.client.config.credentials();
  const them = ec2For(creds.accessKeyId, creds.secretAccessKey);
  const mine = await createVpc();
  const myGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'private', Description: 'x', VpcId: mine.VpcId }))).GroupId!;

  const seen = await them.send(new DescribeVpcsCommand({}));
  assert.ok(!seen.Vpcs!.some((v) => v.VpcId === mine.VpcId || v.VpcId === h.trellis.defaultVpcId));
  await rejects(them.send(new DescribeVpcsCommand({ VpcIds: [mine.VpcId!] })), 'InvalidVpcID.NotFound');
  await rejects(them.send(new DeleteVpcCommand({ VpcId: mine.VpcId })), 'InvalidVpcID.NotFound');
  await rejects(them.send(new AssociateVpcCidrBlockCommand({ VpcId: mine.VpcId, CidrBlock: nextCidr() })), 'InvalidVpcID.NotFound');
  await rejects(them.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x', VpcId: mine.VpcId })), 'InvalidVpcID.NotFound');
  await rejects(them.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x' })), 'VPCIdNotSpecified');
  await rejects(them.send(new DescribeSecurityGroupsCommand({ GroupIds: [myGroup] })), 'InvalidGroup.NotFound');
  await rejects(them.send(new DeleteSecurityGroupCommand({ GroupId: myGroup })), 'InvalidGroup.NotFound');
  await rejects(them.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: myGroup, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })), 'InvalidGroup.NotFound');
  await rejects(them.send(new CreateTagsCommand({ Resources: [mine.VpcId!], Tags: [{ Key: 'k', Value: 'v' }] })), 'InvalidVpcID.NotFound');

  // Blocks are global (a source address picks one VPC), but the refusal names no foreign VPC.
  await rejects(them.send(new CreateVpcCommand({ CidrBlock: mine.CidrBlock })), 'InvalidVpc.Range', /a VPC of another account/);
  const theirs = await createVpc(nextCidr(), undefined, them);
  assert.equal(theirs.OwnerId, other.accountId);
  assert.deepEqual((await groups({ 'vpc-id': [theirs.VpcId!] }, them)).map((g) => [g.GroupName, g.OwnerId]), [['default', other.accountId]]);
  assert.ok(!(await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.some((v) => v.VpcId === theirs.VpcId));
});

describe('protocol', () => {
  const raw = async (body: string, opts: { sign?: boolean; secret?: string } = {}) => {
    const url = new URL('/', h.trellis.api);
    const base = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const headers = opts.sign === false ? base
      : sign({ method: 'POST', url, headers: base, body, accessKeyId: h.trellis.accessKeyId, secretAccessKey: opts.secret ?? h.trellis.secretAccessKey, region: h.trellis.region, service: 'ec2' });
    delete (headers as Record<string, string>).host;
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  test('unknown actions, unsigned and badly signed requests get EC2 XML errors', async () => {
    const unknown = await raw('Action=RunInstances&Version=2016-11-15');
    assert.equal(unknown.status, 400);
    assert.match(unknown.type!, /^text\/xml/);
    assert.match(unknown.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action RunInstances is not valid for this web service.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
    const noAction = await raw('Version=2016-11-15');
    assert.match(noAction.text, /<Code>MissingAction<\/Code>/);
    const unsigned = await raw('Action=DescribeVpcs&Version=2016-11-15', { sign: false });
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.text, /<Code>MissingAuthenticationToken<\/Code>/);
    const badSecret = await raw('Action=DescribeVpcs&Version=2016-11-15', { secret: 'wrong' });
    assert.equal(badSecret.status, 401);
    assert.match(badSecret.text, /<Code>AuthFailure<\/Code>/);
    const ok = await raw('Action=DescribeVpcs&Version=2016-11-15&VpcId.1=' + h.trellis.defaultVpcId);
    assert.equal(ok.status, 200);
    assert.match(ok.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeVpcsResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><vpcSet><item>/);
  });

  test('DryRun answers DryRunOperation and changes nothing', async () => {
    const before = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.length;
    await rejects(ec2.send(new CreateVpcCommand({ CidrBlock: nextCidr(), DryRun: true })), 'DryRunOperation', /DryRun flag is set/, 412);
    assert.equal((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.length, before);
  });

  test('the Lattice API on the same port is unaffected', async () => {
    const listed = await h.client.send(new ListTargetGroupsCommand({}));
    assert.equal(listed.$metadata.httpStatusCode, 200);
  });
});

test('ensureDefaultVpc writes the default VPC and its group once, and adds a missing group', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ec2-'));
  const store = new SqliteStore(join(dir, 'db'));
  const { view, stop } = await View.open(store);
  try {
    const settle = async () => { for (let i = 0; i < 100 && view.revision < (await store.load('vpc/')).revision; i++) await new Promise((r) => setTimeout(r, 5)); };
    const id = await ensureDefaultVpc(store, view, '111122223333', 'us-east-1');
    await settle();
    assert.equal(await ensureDefaultVpc(store, view, '111122223333', 'us-east-1'), id);
    await settle();
    const sgs = [...view.all<SecurityGroupRecord>('sg')];
    assert.deepEqual(sgs.map((g) => [g.vpcId, g.groupName, g.isDefault]), [[id, 'default', true]]);
    // A store from before security groups: the VPC alone gains its group.
    const old: VpcRecord = { id: 'vpc-0123456789abcdef0', account: '444455556666', region: 'us-east-1', cidrBlocks: ['127.200.0.0/16'], isDefault: true, createdAt: new Date().toISOString() };
    await store.commit([{ key: `vpc/${old.id}`, value: { ...old } }]);
    await settle();
    assert.equal(await ensureDefaultVpc(store, view, '444455556666', 'us-east-1'), old.id);
    await settle();
    assert.equal([...view.all<SecurityGroupRecord>('sg')].filter((g) => g.vpcId === old.id).length, 1);
  } finally {
    stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('allowsIngress', () => {
  const rule = (r: Partial<SecurityGroupRule>): SecurityGroupRule => ({ id: 'sgr-1', protocol: 'tcp', ...r });
  const group = (...ingress: SecurityGroupRule[]): SecurityGroupRecord => ({
    id: 'sg-1', account: '111122223333', region: 'us-east-1', vpcId: 'vpc-1', groupName: 'g', description: 'g', isDefault: false, ingress, egress: [], createdAt: '',
  });
  const none = new Set<string>();

  test('tcp and udp port ranges', () => {
    const g = group(rule({ fromPort: 80, toPort: 90, cidrIpv4: '127.0.0.0/8' }), rule({ protocol: 'udp', fromPort: 53, toPort: 53, cidrIpv4: '127.0.0.1/32' }));
    assert.equal(allowsIngress([g], '127.1.2.3', 'tcp', 80, none), true);
    assert.equal(allowsIngress([g], '127.1.2.3', 'tcp', 90, none), true);
    assert.equal(allowsIngress([g], '127.1.2.3', 'tcp', 91, none), false);
    assert.equal(allowsIngress([g], '127.1.2.3', 'tcp', 79, none), false);
    assert.equal(allowsIngress([g], '127.1.2.3', 'udp', 80, none), false, 'a tcp rule admits no udp');
    assert.equal(allowsIngress([g], '127.0.0.1', 'udp', 53, none), true);
    assert.equal(allowsIngress([g], '127.0.0.2', 'udp', 53, none), false);
    assert.equal(allowsIngress([g], '::ffff:127.1.2.3', 'tcp', 85, none), true, 'IPv4-mapped addresses are IPv4');
    assert.equal(allowsIngress([g], '10.0.0.1', 'tcp', 85, none), false);
  });

  test('-1 admits every protocol and port; ICMP and other protocols admit nothing', () => {
    assert.equal(allowsIngress([group(rule({ protocol: '-1', cidrIpv4: '0.0.0.0/0' }))], '192.0.2.1', 'udp', 9, none), true);
    assert.equal(allowsIngress([group(rule({ protocol: '-1', cidrIpv6: '::/0' }))], '::1', 'tcp', 443, none), true);
    assert.equal(allowsIngress([group(rule({ protocol: '-1', cidrIpv6: '::/0' }))], '127.0.0.1', 'tcp', 443, none), false, 'an IPv6 block holds no IPv4 address');
    assert.equal(allowsIngress([group(rule({ protocol: 'icmp', fromPort: -1, toPort: -1, cidrIpv4: '0.0.0.0/0' }))], '127.0.0.1', 'tcp', 0, none), false);
    assert.equal(allowsIngress([group(rule({ protocol: '50', cidrIpv4: '0.0.0.0/0' }))], '127.0.0.1', 'tcp', 443, none), false);
    assert.equal(allowsIngress([], '127.0.0.1', 'tcp', 443, none), false);
    assert.equal(allowsIngress([group()], '127.0.0.1', 'tcp', 443, none), false);
  });

  test('a group reference admits members of that group, whatever their address', () => {
    const g = group(rule({ fromPort: 0, toPort: 65535, groupId: 'sg-peer', userId: '111122223333' }));
    assert.equal(allowsIngress([g], '10.9.9.9', 'tcp', 8080, new Set(['sg-peer'])), true);
    assert.equal(allowsIngress([g], '10.9.9.9', 'tcp', 8080, new Set(['sg-other'])), false);
    assert.equal(allowsIngress([g], '10.9.9.9', 'udp', 8080, new Set(['sg-peer'])), false);
    // Any group of several may admit.
    const cidr = group(rule({ fromPort: 443, toPort: 443, cidrIpv4: '10.9.0.0/16' }));
    assert.equal(allowsIngress([g, cidr], '10.9.9.9', 'tcp', 443, none), true);
  });
});
