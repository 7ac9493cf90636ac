// VPC boundaries from a client's side, across real loopback addresses: clients pick their VPC by
// their source address; only an associated VPC resolves and connects; security groups on the
// association decide who connects; removing the association cuts access.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { EC2Client, CreateVpcCommand, CreateSecurityGroupCommand, AuthorizeSecurityGroupIngressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { UpdateServiceNetworkVpcAssociationCommand, ListServiceNetworkVpcAssociationsCommand, DeleteServiceNetworkVpcAssociationCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, request, type Echo } from '../helpers/echo.ts';
import { buildService, type Built } from '../helpers/lattice.ts';

const run = promisify(execFile);
const DIG = '/usr/bin/dig';

let h: Harness;
let ec2: EC2Client;
let echo: Echo;
let svc: Built;
let port: number;

before(async () => {
  h = await startHarness();
  ec2 = new EC2Client({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey } });
  echo = await startEcho('target');
  port = await freePort();
  svc = await buildService(h.client, { name: 'guarded', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
});
after(async () => {
  ec2.destroy();
  await h.close();
  await echo.close();
});

/** The status a client bound to `from` gets, or 'refused' when the connection is cut. */
const statusFrom = (from: string) => request(port, svc.host, { localAddress: from }).then((r) => r.status, () => 'refused' as const);

async function dig(from: string, name: string): Promise<string> {
  const { stdout } = await run(DIG, ['@127.0.0.1', '-p', h.trellis.dns.split(':')[1], '-b', from, name, 'A', '+tries=1', '+time=2']);
  return /status: (\w+)/.exec(stdout)?.[1] ?? stdout;
}

test('two VPCs on loopback: the associated one resolves and connects; the other gets NXDOMAIN and a refusal', async () => {
  const other = await ec2.send(new CreateVpcCommand({ CidrBlock: '127.1.0.0/16' }));
  assert.match(other.Vpc!.VpcId!, /^vpc-/);
  assert.equal(await statusFrom('127.0.0.9'), 200);
  const refused = await request(port, svc.host, { localAddress: '127.1.0.9' });
  assert.equal(refused.status, 403);
  assert.match(refused.body, new RegExp(`VPC ${other.Vpc!.VpcId}`));
  if (existsSync(DIG)) {
    assert.equal(await dig('127.0.0.9', svc.host), 'NOERROR');
    assert.equal(await dig('127.1.0.9', svc.host), 'NXDOMAIN');
  }
});

test('security groups on the association decide who connects, and changes apply to new connections', async () => {
  const group = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'lattice-clients', Description: 'who may call', VpcId: h.trellis.defaultVpcId }));
  const association = (await h.client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: h.trellis.defaultVpcId }))).items![0];
  await h.client.send(new UpdateServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: association.id, securityGroupIds: [group.GroupId!] }));
  // A new group allows no ingress: nobody connects.
  assert.equal(await statusFrom('127.0.0.2'), 'refused');

  const rule = { GroupId: group.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '127.0.0.2/32' }] }] };
  await ec2.send(new AuthorizeSecurityGroupIngressCommand(rule));
  assert.equal(await statusFrom('127.0.0.2'), 200);
  assert.equal(await statusFrom('127.0.0.3'), 'refused', 'another address of the same VPC');

  const wrongPort = { GroupId: group.GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port + 1, ToPort: port + 1, IpRanges: [{ CidrIp: '127.0.0.0/16' }] }] };
  await ec2.send(new AuthorizeSecurityGroupIngressCommand(wrongPort));
  assert.equal(await statusFrom('127.0.0.3'), 'refused', 'a rule for another port');

  await ec2.send(new RevokeSecurityGroupIngressCommand(rule));
  assert.equal(await statusFrom('127.0.0.2'), 'refused', 'revoked');
  await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '127.0.0.0/16' }] }] }));
  assert.equal(await statusFrom('127.0.0.3'), 200, 'all traffic from the VPC');

  // Removing the association cuts access for the whole VPC.
  await h.client.send(new DeleteServiceNetworkVpcAssociationCommand({ serviceNetworkVpcAssociationIdentifier: association.id }));
  assert.equal(await statusFrom('127.0.0.3'), 403);
});
