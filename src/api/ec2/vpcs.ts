// VPCs: sets of CIDR blocks that clients' source addresses fall in (the most specific block wins,
// so two VPCs may overlap but never share a block). `trellis up` registers one default VPC
// covering loopback (127.0.0.0/16), owned by the bootstrap account. CreateVpc, DescribeVpcs,
// DeleteVpc and AssociateVpcCidrBlock over EC2's query protocol.
import { randomBytes, createHash } from 'node:crypto';
import type { Store } from '../../store/store.ts';
import type { View } from '../../store/view.ts';
import type { Ctx } from '../lattice/context.ts';
import type { ServiceNetworkVpcAssociationRecord } from '../lattice/associations.ts';
import type { TargetGroupRecord } from '../lattice/targetgroups.ts';
import type { ResourceGatewayRecord } from '../lattice/resourcegateways.ts';
import { parseCidr, hostBitsSet, within } from '../../core/cidr.ts';
import { ec2Error, invalidValue, matchesFilters, missingParameter, page, parseFilters, type QueryParams, type Xml, type XmlBody } from './query.ts';
import { tagFilterValues, tagSetXml, tagSpecifications } from './tags.ts';
import { SG, defaultSecurityGroup, type SecurityGroupRecord } from './securitygroups.ts';

export interface VpcRecord {
  id: string;
  account: string;
  region: string;
  /** The VPC's IPv4 blocks, primary first: what the data plane matches source addresses against. */
  cidrBlocks: string[];
  isDefault: boolean;
  createdAt: string;
  tags?: Record<string, string>;
  /** 'default' or 'dedicated' (absent: 'default'). */
  instanceTenancy?: string;
  /** Set by the View, never stored. */
  revision?: number;
}

export const VPC = 'vpc';
export const DEFAULT_VPC_CIDR = '127.0.0.0/16';
/** "IPv4 CIDR blocks per VPC": 5 (Amazon VPC quotas). */
export const MAX_CIDR_BLOCKS = 5;

export const newVpcId = () => 'vpc-' + randomBytes(9).toString('hex').slice(0, 17);

export const vpcNotFound = (id: string) => ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);

/**
 * The default VPC of `account` and its default security group, written once (idempotent: a store
 * from before security groups existed gains the group on the next start).
 */
export async function ensureDefaultVpc(store: Store, view: View, account: string, region: string): Promise<string> {
  let vpc: VpcRecord | undefined;
  for (const v of view.all<VpcRecord>(VPC)) if (v.isDefault && v.account === account) { vpc = v; break; }
  const writes = [];
  if (!vpc) {
    vpc = { id: newVpcId(), account, region, cidrBlocks: [DEFAULT_VPC_CIDR], isDefault: true, createdAt: new Date().toISOString() };
    writes.push({ key: `${VPC}/${vpc.id}`, value: { ...vpc } });
  }
  const vpcId = vpc.id;
  const hasGroup = [...view.owned<SecurityGroupRecord>(SG, account)].some(([, g]) => g.vpcId === vpcId && g.isDefault);
  if (!hasGroup) {
    const sg = defaultSecurityGroup(vpc, new Date().toISOString());
    writes.push({ key: `${SG}/${sg.id}`, value: JSON.parse(JSON.stringify(sg)) });
  }
  if (writes.length) await store.commit(writes);
  return vpc.id;
}

/** The caller's VPC; other accounts' VPCs are not found, as in EC2. */
export function findVpc(ctx: Ctx, id: string): VpcRecord {
  const vpc = ctx.get<VpcRecord>(VPC, id);
  if (!vpc || vpc.account !== ctx.account) throw vpcNotFound(id);
  return vpc;
}

/** The caller's default VPC, if it has one. */
export function defaultVpc(ctx: Ctx): VpcRecord | undefined {
  for (const v of ctx.owned<VpcRecord>(VPC)) if (v.isDefault) return v;
  return undefined;
}

/** Stable per VPC and block, so every answer names an association the same way. */
export const cidrAssociationId = (vpcId: string, cidr: string) =>
  'vpc-cidr-assoc-' + createHash('sha256').update(`${vpcId}/${cidr}`).digest('hex').slice(0, 17);

/** Trellis has no DHCP options sets; each account shows one, as a fresh AWS account has. */
const dhcpOptionsId = (account: string, region: string) => 'dopt-' + createHash('sha256').update(`dopt/${account}/${region}`).digest('hex').slice(0, 17);

/**
 * An IPv4 block a VPC may take (CreateVpc: "The allowed block size is between a /16 netmask …
 * and /28 netmask"), not already a block of another VPC (Trellis: a source address must pick
 * one VPC) nor overlapping a block of the same VPC (AWS refuses that too).
 */
function checkNewBlock(ctx: Ctx, cidr: string, vpc?: VpcRecord): string {
  const net = parseCidr(cidr);
  if (!net || net.family !== 4 || hostBitsSet(net) || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) {
    throw invalidValue(`Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  }
  if (net.len < 16 || net.len > 28) throw ec2Error('InvalidVpc.Range', `The CIDR '${cidr}' is invalid. A VPC block must be between /16 and /28.`);
  for (const c of vpc?.cidrBlocks ?? []) {
    const other = parseCidr(c);
    if (other && (within(net, other) || within(other, net))) {
      throw ec2Error('InvalidVpc.Range', `The CIDR '${cidr}' overlaps the block ${c} of ${vpc!.id}.`);
    }
  }
  for (const v of ctx.all<VpcRecord>(VPC)) {
    if (v.id === vpc?.id || !v.cidrBlocks.includes(cidr)) continue;
    const which = v.account === ctx.account ? `VPC ${v.id}` : 'a VPC of another account';
    throw ec2Error('InvalidVpc.Range', `The CIDR '${cidr}' is already used by ${which}. In Trellis a VPC is the set of client addresses in its blocks, so two VPCs cannot share a block (overlapping blocks of different sizes are allowed; the most specific one wins).`);
  }
  return cidr;
}

/** Trellis VPCs are IPv4 blocks only; IPAM pools and IPv6 blocks are not offered. */
function refuseUnsupported(p: QueryParams): void {
  for (const name of ['Ipv4IpamPoolId', 'Ipv4NetmaskLength', 'Ipv6IpamPoolId', 'Ipv6NetmaskLength', 'Ipv6Pool', 'Ipv6CidrBlock', 'Ipv6CidrBlockNetworkBorderGroup']) {
    if (p.has(name)) throw ec2Error('UnsupportedOperation', `Trellis VPCs take IPv4 CIDR blocks only; ${name} is not supported.`);
  }
  if (p.bool('AmazonProvidedIpv6CidrBlock')) throw ec2Error('UnsupportedOperation', 'Trellis VPCs take IPv4 CIDR blocks only; AmazonProvidedIpv6CidrBlock is not supported.');
}

const blockXml = (vpcId: string, cidr: string, state: string): Xml =>
  ({ associationId: cidrAssociationId(vpcId, cidr), cidrBlock: cidr, cidrBlockState: { state } });

/** The Vpc shape (element names from the SDK's schema for Vpc). */
function vpcXml(v: VpcRecord, state: 'pending' | 'available'): Xml {
  return {
    ownerId: v.account,
    instanceTenancy: v.instanceTenancy ?? 'default',
    cidrBlockAssociationSet: v.cidrBlocks.map((c) => blockXml(v.id, c, 'associated')),
    isDefault: v.isDefault,
    tagSet: tagSetXml(v.tags),
    blockPublicAccessStates: { internetGatewayBlockMode: 'off' },
    vpcId: v.id,
    state,
    cidrBlock: v.cidrBlocks[0],
    dhcpOptionsId: dhcpOptionsId(v.account, v.region),
  };
}

function vpcFilterValues(v: VpcRecord, filter: string): string[] | undefined {
  switch (filter) {
    case 'vpc-id': return [v.id];
    case 'cidr': return [v.cidrBlocks[0]];
    case 'cidr-block-association.cidr-block': return v.cidrBlocks;
    case 'cidr-block-association.association-id': return v.cidrBlocks.map((c) => cidrAssociationId(v.id, c));
    case 'cidr-block-association.state': return v.cidrBlocks.length ? ['associated'] : [];
    case 'dhcp-options-id': return [dhcpOptionsId(v.account, v.region)];
    case 'is-default': return [String(v.isDefault)];
    case 'owner-id': return [v.account];
    case 'state': return ['available'];
    case 'instance-tenancy': return [v.instanceTenancy ?? 'default'];
    default: return tagFilterValues(v.tags, filter);
  }
}

/** What keeps a VPC from being deleted: its non-default security groups and the Lattice resources in it. */
function dependents(ctx: Ctx, vpcId: string): string[] {
  const out: string[] = [];
  for (const g of ctx.all<SecurityGroupRecord>(SG)) if (g.vpcId === vpcId && !g.isDefault) out.push(`security group ${g.id}`);
  for (const a of ctx.where<ServiceNetworkVpcAssociationRecord>('snva.vpcId', vpcId)) out.push(`service network VPC association ${a.id}`);
  for (const t of ctx.where<TargetGroupRecord>('tg.vpcIdentifier', vpcId)) out.push(`target group ${t.id}`);
  for (const r of ctx.all<ResourceGatewayRecord>('rgw')) if (r.vpcId === vpcId) out.push(`resource gateway ${r.id}`);
  return out;
}

export const vpcHandlers = {
  CreateVpc(ctx: Ctx, p: QueryParams): XmlBody {
    refuseUnsupported(p);
    const cidr = p.str('CidrBlock');
    if (cidr === undefined) throw missingParameter('cidrBlock');
    checkNewBlock(ctx, cidr);
    const tenancy = p.str('InstanceTenancy') ?? 'default';
    if (tenancy !== 'default' && tenancy !== 'dedicated') throw invalidValue(`Value (${tenancy}) for parameter instanceTenancy is invalid. Valid values: default, dedicated.`);
    const tags = tagSpecifications(p, 'vpc');
    const vpc: VpcRecord = {
      id: newVpcId(), account: ctx.account, region: ctx.region, cidrBlocks: [cidr], isDefault: false, createdAt: ctx.timestamp,
      ...(tenancy !== 'default' ? { instanceTenancy: tenancy } : {}), ...(tags ? { tags } : {}),
    };
    ctx.put(VPC, vpc.id, vpc);
    const sg = defaultSecurityGroup(vpc, ctx.timestamp);
    ctx.put(SG, sg.id, sg);
    // CreateVpc answers while the VPC is still being set up, as EC2 does.
    return { vpc: vpcXml(vpc, 'pending') };
  },

  DescribeVpcs(ctx: Ctx, p: QueryParams): XmlBody {
    const ids = p.strings('VpcId');
    const filters = parseFilters(p);
    const mine = [...ctx.owned<VpcRecord>(VPC)];
    const missing = ids.filter((id) => !mine.some((v) => v.id === id));
    if (missing.length) throw vpcNotFound(missing.join(', '));
    const chosen = mine.filter((v) => (ids.length === 0 || ids.includes(v.id)) && matchesFilters(filters, (f) => vpcFilterValues(v, f)));
    const { items, nextToken } = page(chosen, p);
    return { vpcSet: items.map((v) => vpcXml(v, 'available')), nextToken };
  },

  /**
   * DeleteVpc: "You must detach or delete all gateways and resources that are associated with the
   * VPC before you can delete it" (API Reference); its default security group goes with it. A
   * default VPC may be deleted too, as in EC2.
   */
  DeleteVpc(ctx: Ctx, p: QueryParams): XmlBody {
    const vpc = findVpc(ctx, p.required('VpcId', 'vpcId'));
    const deps = dependents(ctx, vpc.id);
    if (deps.length) throw ec2Error('DependencyViolation', `The vpc '${vpc.id}' has dependencies and cannot be deleted: ${deps.join(', ')}.`);
    for (const g of ctx.all<SecurityGroupRecord>(SG)) if (g.vpcId === vpc.id) ctx.del(SG, g.id);
    ctx.del(VPC, vpc.id);
    return { return: true };
  },

  AssociateVpcCidrBlock(ctx: Ctx, p: QueryParams): XmlBody {
    const vpc = findVpc(ctx, p.required('VpcId', 'vpcId'));
    refuseUnsupported(p);
    const cidr = p.str('CidrBlock');
    if (cidr === undefined) throw missingParameter('cidrBlock');
    if (vpc.cidrBlocks.length >= MAX_CIDR_BLOCKS) {
      throw ec2Error('CidrLimitExceeded', `This network '${vpc.id}' has met its maximum number of allowed CIDRs: ${MAX_CIDR_BLOCKS}`);
    }
    checkNewBlock(ctx, cidr, vpc);
    ctx.put(VPC, vpc.id, { ...vpc, cidrBlocks: [...vpc.cidrBlocks, cidr] });
    return { cidrBlockAssociation: blockXml(vpc.id, cidr, 'associating'), vpcId: vpc.id };
  },
};
