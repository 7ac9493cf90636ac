// Resource gateways (rgw-): the point where traffic for VPC resources enters the provider's VPC.
// Resource configurations (resourceconfigurations.ts) name the gateway that reaches their resource.
import type { IpAddressType, ResourceConfigDnsResolution, ResourceGatewayIpAddressType, ResourceGatewayStatus } from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import type { VpcRecord } from '../ec2/vpcs.ts';
import { conflict, notFound, validation } from '../../core/errors.ts';
import { checkSecurityGroups } from './associations.ts';

export interface ResourceGatewayRecord extends Base {
  name: string;
  status: ResourceGatewayStatus;
  vpcId: string;
  /**
   * Stored as given: Trellis has no subnets yet, so they are neither checked against the VPC nor
   * used to place the gateway's network interfaces.
   */
  subnetIds: string[];
  securityGroupIds: string[];
  ipAddressType: ResourceGatewayIpAddressType;
  /** Only for IPV4 and DUALSTACK gateways. */
  ipv4AddressesPerEni?: number;
  resourceConfigDnsResolution: ResourceConfigDnsResolution;
}

export const RGW = 'rgw';
export const rgwArn = (ctx: Ctx, id: string) => ctx.arn(`resourcegateway/${id}`);

export const resolveResourceGateway = (ctx: Ctx, identifier: string) => ctx.resolve<ResourceGatewayRecord>(RGW, identifier, 'RESOURCE_GATEWAY');

/**
 * Defaults from the User Guide ("Resource gateway in VPC Lattice"): 16 IPv4 addresses per ENI
 * (1-62, fixed after creation; IPv6 gateways get a /80 per ENI instead, so the count does not
 * apply), and resourceConfigDnsResolution PUBLIC (API reference, CreateResourceGateway; fixed after
 * creation). The docs state no default IP address type; we use IPV4, as the console does.
 */
const DEFAULT_IPV4_PER_ENI = 16;

/** The caller's VPC by id; VPCs of other accounts are not found, as in EC2. */
function resolveVpc(ctx: Ctx, vpcId: string): VpcRecord {
  const vpc = ctx.get<VpcRecord>('vpc', vpcId);
  if (!vpc || vpc.account !== ctx.account) throw notFound('VPC', vpcId);
  return vpc;
}

/** The status to keep on an update: an applied gateway stays ACTIVE. */
const settledStatus = (ctx: Ctx, rec: ResourceGatewayRecord): ResourceGatewayStatus => (ctx.status(rec) ?? rec.status) as ResourceGatewayStatus;

export const resourceGatewayHandlers = {
  CreateResourceGateway(ctx, input) {
    const vpc = resolveVpc(ctx, input.vpcIdentifier ?? '');
    const subnetIds = input.subnetIds ?? [];
    if (subnetIds.length === 0) {
      throw validation('A resource gateway needs at least one subnet.', 'fieldValidationFailed', [{ name: 'subnetIds', message: 'Specify at least one subnet' }]);
    }
    const ipAddressType = input.ipAddressType ?? 'IPV4';
    if (ipAddressType === 'IPV6' && input.ipv4AddressesPerEni !== undefined) {
      throw validation('ipv4AddressesPerEni applies only to IPV4 and DUALSTACK resource gateways.', 'fieldValidationFailed', [{ name: 'ipv4AddressesPerEni', message: 'Not supported for IP address type IPV6' }]);
    }
    for (const g of ctx.owned<ResourceGatewayRecord>(RGW)) {
      if (g.name === input.name) throw conflict(`A resource gateway with the name ${input.name} already exists.`, 'RESOURCE_GATEWAY', g.id);
    }
    // "The security groups must be in the same VPC" (API reference); see checkSecurityGroups.
    const securityGroupIds = checkSecurityGroups(ctx, input.securityGroupIds ?? [], vpc.id);
    let inVpc = 0;
    for (const g of ctx.owned<ResourceGatewayRecord>(RGW)) if (g.vpcId === vpc.id) inVpc++;
    ctx.checkQuota('resourceGatewaysPerVpc', inVpc, 'RESOURCE_GATEWAY');

    const base = ctx.stamp('rgw', (id) => rgwArn(ctx, id), input.tags);
    const rec: ResourceGatewayRecord = {
      ...base,
      name: input.name,
      status: 'CREATE_IN_PROGRESS',
      vpcId: vpc.id,
      subnetIds: [...subnetIds],
      securityGroupIds,
      ipAddressType,
      ...(ipAddressType === 'IPV6' ? {} : { ipv4AddressesPerEni: input.ipv4AddressesPerEni ?? DEFAULT_IPV4_PER_ENI }),
      resourceConfigDnsResolution: input.resourceConfigDnsResolution ?? 'PUBLIC',
    };
    ctx.put(RGW, rec.id, rec);
    return {
      id: rec.id, arn: rec.arn, name: rec.name, status: rec.status, vpcIdentifier: rec.vpcId,
      subnetIds: rec.subnetIds, securityGroupIds: rec.securityGroupIds, ipAddressType: rec.ipAddressType,
      ipv4AddressesPerEni: rec.ipv4AddressesPerEni, resourceConfigDnsResolution: rec.resourceConfigDnsResolution,
    };
  },

  GetResourceGateway(ctx, input) {
    const g = resolveResourceGateway(ctx, input.resourceGatewayIdentifier);
    return {
      id: g.id, arn: g.arn, name: g.name, status: ctx.status(g) as ResourceGatewayStatus, vpcId: g.vpcId,
      subnetIds: g.subnetIds, securityGroupIds: g.securityGroupIds, ipAddressType: g.ipAddressType,
      ipv4AddressesPerEni: g.ipv4AddressesPerEni, resourceConfigDnsResolution: g.resourceConfigDnsResolution,
      createdAt: new Date(g.createdAt), lastUpdatedAt: new Date(g.lastUpdatedAt),
    };
  },

  ListResourceGateways(ctx, input) {
    return ctx.page(ctx.owned<ResourceGatewayRecord>(RGW), input, (g) => ({
      id: g.id, arn: g.arn, name: g.name, status: ctx.status(g) as ResourceGatewayStatus, vpcIdentifier: g.vpcId,
      subnetIds: g.subnetIds, securityGroupIds: g.securityGroupIds, ipAddressType: g.ipAddressType,
      ipv4AddressesPerEni: g.ipv4AddressesPerEni, resourceConfigDnsResolution: g.resourceConfigDnsResolution,
      createdAt: new Date(g.createdAt), lastUpdatedAt: new Date(g.lastUpdatedAt),
    }));
  },

  /** Only the security groups can change (API reference, UpdateResourceGateway). */
  UpdateResourceGateway(ctx, input) {
    const g = resolveResourceGateway(ctx, input.resourceGatewayIdentifier);
    const rec: ResourceGatewayRecord = {
      ...g,
      status: settledStatus(ctx, g),
      securityGroupIds: input.securityGroupIds !== undefined ? checkSecurityGroups(ctx, input.securityGroupIds, g.vpcId) : g.securityGroupIds,
      lastUpdatedAt: ctx.timestamp,
    };
    ctx.put(RGW, g.id, rec);
    return {
      id: rec.id, arn: rec.arn, name: rec.name, status: rec.status, vpcId: rec.vpcId,
      subnetIds: rec.subnetIds, securityGroupIds: rec.securityGroupIds,
      // The SDK types this member with the older IPV4|IPV6 enum; DUALSTACK travels as is.
      ipAddressType: rec.ipAddressType as IpAddressType,
    };
  },

  /** A gateway still named by resource configurations cannot go (ConflictException). */
  DeleteResourceGateway(ctx, input) {
    const g = resolveResourceGateway(ctx, input.resourceGatewayIdentifier);
    const [c] = ctx.where<{ id: string }>('rcfg.resourceGatewayId', g.id);
    if (c) throw conflict(`Resource gateway ${g.id} is still used by resource configuration ${c.id}; delete its resource configurations first.`, 'RESOURCE_GATEWAY', g.id);
    ctx.del(RGW, g.id);
    return { id: g.id, arn: g.arn, name: g.name, status: 'DELETE_IN_PROGRESS' };
  },
} satisfies Partial<Handlers>;
