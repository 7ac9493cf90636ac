// Resource configurations (rcfg-): a TCP resource (DNS name, IP address, AWS resource ARN or CIDR
// ranges) reachable through a resource gateway; and the resource endpoint associations (rea-) that
// connect them to VPC endpoints of type resource.
//
// Which members apply to which type follows the API reference for CreateResourceConfiguration,
// which marks each member with the types it is for; a member given for a type it is not for is a
// ValidationException naming it:
//   portRanges                                (SINGLE, GROUP, CHILD, CIDR)
//   protocol (default TCP; TCP_UDP only CIDR) (SINGLE, GROUP, CIDR)        CHILD uses its group's
//   resourceGatewayIdentifier                 (SINGLE, GROUP, ARN, CIDR)   CHILD inherits its group's
//   resourceConfigurationGroupIdentifier      (CHILD), a GROUP of the caller
//   allowAssociationToShareableServiceNetwork (SINGLE, GROUP, ARN), default false
//   groupDomain                               (GROUP)
//   customDomainName                          SINGLE and CHILD; a CHILD's must lie under its group's
//                                             groupDomain (User Guide, "Create a resource configuration")
//   resourceConfigurationDefinition           SINGLE and CHILD: dnsResource or ipResource;
//                                             ARN: arnResource; CIDR: cidrResource; GROUP: none
// SINGLE needs portRanges and a definition; CHILD needs portRanges unless its group has them;
// CIDR needs portRanges and cidrResource, and a gateway whose resourceConfigDnsResolution is IN_VPC,
// which ARN configurations cannot use (CreateResourceGateway reference). cidrRanges: at most 10,
// each with a prefix length, 0.0.0.0/0 or ::/0 only alone, none inside 169.254.0.0/16,
// 100.64.0.0/10, 224.0.0.0/4, fe80::/10 or ff00::/8. IP resources must lie in the gateway's VPC, and
// the resource's address family must suit the gateway's IP address type.
import type {
  ProtocolType, ResourceConfigurationDefinition, ResourceConfigurationStatus, ResourceConfigurationType, ResourceGatewayIpAddressType,
} from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import type { VpcRecord } from '../ec2/vpcs.ts';
import { conflict, notFound, validation, type ApiError } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';
import { contains, hostBitsSet, ipToBigInt, parseCidr, within } from '../../core/cidr.ts';
import { RGW, resolveResourceGateway, type ResourceGatewayRecord } from './resourcegateways.ts';
import { DV, isDomainName, resolveDomainVerification, withinDomain, type DomainVerificationRecord } from './domainverifications.ts';

export interface ResourceConfigurationRecord extends Base {
  name: string;
  type: ResourceConfigurationType;
  status: ResourceConfigurationStatus;
  /** For a CHILD, its group's gateway (fixed: a gateway cannot be changed). */
  resourceGatewayId?: string;
  resourceConfigurationGroupId?: string;
  /** The configuration's own port ranges; a CHILD without them uses its group's. */
  portRanges?: string[];
  /** Absent for CHILD (its group's applies) and ARN. */
  protocol?: ProtocolType;
  /** Exactly one member, as given. */
  resourceConfigurationDefinition?: ResourceConfigurationDefinition;
  /** Absent for CHILD (its group's applies) and CIDR. */
  allowAssociationToShareableServiceNetwork?: boolean;
  customDomainName?: string;
  groupDomain?: string;
  domainVerificationId?: string;
  domainVerificationArn?: string;
}

/**
 * A resource endpoint association, created when a VPC endpoint of type resource connects to a
 * resource configuration. Trellis has no VPC endpoints yet, so nothing creates these today; the
 * List and Delete operations below already serve the records such endpoints will write.
 * `account` is the endpoint owner's.
 */
export interface ResourceEndpointAssociationRecord extends Base {
  resourceConfigurationId: string;
  resourceConfigurationArn: string;
  vpcEndpointId: string;
  vpcEndpointOwner: string;
  createdBy: string;
}

export const RCFG = 'rcfg';
export const REA = 'rea';
export const rcfgArn = (ctx: Ctx, id: string) => ctx.arn(`resourceconfiguration/${id}`);

export const resolveResourceConfiguration = (ctx: Ctx, identifier: string) => ctx.resolve<ResourceConfigurationRecord>(RCFG, identifier, 'RESOURCE_CONFIGURATION');

const invalid = (field: string, message: string): ApiError => validation(message, 'fieldValidationFailed', [{ name: field, message }]);

const RANGE = /^(\d+)(?:-(\d+))?$/;
/** Each entry is one port (`22`) or one range (`1-65535`) with from <= to, within 1-65535. */
function checkPortRanges(ranges: string[]): void {
  if (ranges.length === 0) throw invalid('portRanges', 'Specify at least one port range.');
  ranges.forEach((r, i) => {
    const m = RANGE.exec(r);
    const from = m ? Number(m[1]) : NaN, to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from < 1 || to > 65535 || from > to) {
      throw invalid(`portRanges.${i + 1}.member`, `Port range ${r} is not valid: use a port or a range from-to with 1 <= from <= to <= 65535.`);
    }
  });
}

// ---- addresses -------------------------------------------------------------------------------

const RESERVED = ['169.254.0.0/16', '100.64.0.0/10', '224.0.0.0/4', 'fe80::/10', 'ff00::/8'].map((c) => ({ text: c, net: parseCidr(c)! }));
const MAX_CIDR_RANGES = 10;

function checkCidrRanges(ranges: string[]): Set<4 | 6> {
  const field = 'resourceConfigurationDefinition.cidrResource.cidrRanges';
  if (ranges.length > MAX_CIDR_RANGES) throw invalid(field, `Specify at most ${MAX_CIDR_RANGES} CIDR ranges.`);
  const nets = ranges.map((r) => {
    const n = parseCidr(r);
    if (!n) throw invalid(field, `${r} is not a valid CIDR range with a prefix length.`);
    if (hostBitsSet(n)) throw invalid(field, `${r} has address bits set beyond its /${n.len} prefix.`);
    const reserved = RESERVED.find((x) => within(n, x.net));
    if (reserved) throw invalid(field, `${r} lies in the reserved range ${reserved.text}.`);
    return n;
  });
  for (const n of nets) {
    if (n.len === 0 && nets.some((o) => o !== n && o.family === n.family)) {
      throw invalid(field, `${n.family === 4 ? '0.0.0.0/0' : '::/0'} must be the only range of its address family.`);
    }
  }
  return new Set(nets.map((n) => n.family));
}

const suits = (gateway: ResourceGatewayIpAddressType, family: 4 | 6) => gateway === 'DUALSTACK' || gateway === (family === 4 ? 'IPV4' : 'IPV6');

// ---- definitions -----------------------------------------------------------------------------

const ALLOWED_DEFINITIONS: Record<ResourceConfigurationType, readonly string[]> = {
  SINGLE: ['dnsResource', 'ipResource'],
  CHILD: ['dnsResource', 'ipResource'],
  ARN: ['arnResource'],
  CIDR: ['cidrResource'],
  GROUP: [],
};

/** Checks a definition against the type and the gateway that reaches it; returns what to store. */
function checkDefinition(ctx: Ctx, type: ResourceConfigurationType, def: ResourceConfigurationDefinition, gateway: ResourceGatewayRecord | undefined): ResourceConfigurationDefinition {
  const field = 'resourceConfigurationDefinition';
  const member = Object.keys(def).find((k) => (def as unknown as Record<string, unknown>)[k] !== undefined && k !== '$unknown') ?? '';
  if (!ALLOWED_DEFINITIONS[type].includes(member)) {
    throw invalid(field, type === 'GROUP'
      ? 'A GROUP resource configuration has no resource definition; define the resources in its CHILD configurations.'
      : `A ${type} resource configuration needs ${ALLOWED_DEFINITIONS[type].join(' or ')}, not ${member || 'nothing'}.`);
  }
  const gwType = gateway?.ipAddressType;
  if (def.ipResource) {
    const ip = def.ipResource.ipAddress;
    const parsed = ip === undefined ? undefined : ipToBigInt(ip);
    if (!parsed) throw invalid(`${field}.ipResource.ipAddress`, `${ip ?? 'null'} is not a valid IPv4 or IPv6 address.`);
    if (gwType && !suits(gwType, parsed.family)) throw invalid(`${field}.ipResource.ipAddress`, `An ${gwType} resource gateway cannot reach the IPv${parsed.family} address ${ip}.`);
    // "For IPv4 and IPv6, only IP addresses in the VPC are supported."
    const vpc = gateway ? ctx.get<VpcRecord>('vpc', gateway.vpcId) : undefined;
    if (vpc && !vpc.cidrBlocks.some((c) => { const n = parseCidr(c); return n !== undefined && contains(n, ip!); })) {
      throw invalid(`${field}.ipResource.ipAddress`, `${ip} is not in the resource gateway's VPC ${vpc.id} (${vpc.cidrBlocks.join(', ')}).`);
    }
    return { ipResource: { ipAddress: ip! } };
  }
  if (def.dnsResource) {
    const { domainName } = def.dnsResource;
    if (domainName === undefined || !isDomainName(domainName)) throw invalid(`${field}.dnsResource.domainName`, `${domainName ?? 'null'} is not a valid domain name.`);
    // The API reference: "Dualstack is currently not supported" for DNS resources.
    const ipAddressType = def.dnsResource.ipAddressType ?? 'IPV4';
    if (ipAddressType === 'DUALSTACK') throw invalid(`${field}.dnsResource.ipAddressType`, 'DUALSTACK is not supported for DNS resources.');
    if (gwType && !suits(gwType, ipAddressType === 'IPV4' ? 4 : 6)) throw invalid(`${field}.dnsResource.ipAddressType`, `An ${gwType} resource gateway cannot reach an ${ipAddressType} resource.`);
    return { dnsResource: { domainName, ipAddressType } };
  }
  if (def.arnResource) {
    if (!def.arnResource.arn) throw invalid(`${field}.arnResource.arn`, 'The ARN of the resource is required.');
    return { arnResource: { arn: def.arnResource.arn } };
  }
  const ranges = def.cidrResource!.cidrRanges ?? [];
  for (const family of checkCidrRanges(ranges)) {
    if (gwType && !suits(gwType, family)) throw invalid(`${field}.cidrResource.cidrRanges`, `An ${gwType} resource gateway cannot reach IPv${family} ranges.`);
  }
  return { cidrResource: { cidrRanges: [...ranges] } };
}

// ---- reading ---------------------------------------------------------------------------------

const groupOf = (ctx: Ctx, c: ResourceConfigurationRecord) => (c.resourceConfigurationGroupId ? ctx.get<ResourceConfigurationRecord>(RCFG, c.resourceConfigurationGroupId) : undefined);

/** The members a CHILD takes from its group. */
function effective(ctx: Ctx, c: ResourceConfigurationRecord) {
  const group = c.type === 'CHILD' ? groupOf(ctx, c) : undefined;
  return {
    portRanges: c.portRanges ?? group?.portRanges,
    protocol: c.type === 'CHILD' ? group?.protocol : c.protocol,
    allowAssociationToShareableServiceNetwork: c.type === 'CHILD' ? group?.allowAssociationToShareableServiceNetwork ?? false : c.allowAssociationToShareableServiceNetwork,
  };
}

const status = (ctx: Ctx, c: ResourceConfigurationRecord) => ctx.status(c) as ResourceConfigurationStatus;
/** The status to keep on an update: an applied configuration stays ACTIVE. */
const settledStatus = (ctx: Ctx, c: ResourceConfigurationRecord) => (ctx.status(c) ?? c.status) as ResourceConfigurationStatus;

const dnsMembers = (c: ResourceConfigurationRecord) => ({
  ...(c.customDomainName ? { customDomainName: c.customDomainName } : {}),
  ...(c.groupDomain ? { groupDomain: c.groupDomain } : {}),
  ...(c.domainVerificationId ? { domainVerificationId: c.domainVerificationId } : {}),
});

function children(ctx: Ctx, groupId: string): ResourceConfigurationRecord[] {
  return [...ctx.where<ResourceConfigurationRecord>('rcfg.resourceConfigurationGroupId', groupId)];
}

// ---- handlers --------------------------------------------------------------------------------

export const resourceConfigurationHandlers = {
  CreateResourceConfiguration(ctx, input) {
    const { type } = input;
    const notFor = (field: string, types: string) => invalid(field, `${field} applies only to resource configurations of type ${types}, not ${type}.`);

    // Members that do not apply to the type.
    if (input.portRanges !== undefined && type === 'ARN') throw notFor('portRanges', 'SINGLE, GROUP, CHILD or CIDR');
    if (input.protocol !== undefined && (type === 'CHILD' || type === 'ARN')) throw notFor('protocol', 'SINGLE, GROUP or CIDR');
    if (input.protocol === 'TCP_UDP' && type !== 'CIDR') throw invalid('protocol', 'TCP_UDP is supported only for CIDR resource configurations.');
    if (input.resourceGatewayIdentifier !== undefined && type === 'CHILD') throw invalid('resourceGatewayIdentifier', 'A CHILD resource configuration uses the resource gateway of its group.');
    if (input.resourceConfigurationGroupIdentifier !== undefined && type !== 'CHILD') throw notFor('resourceConfigurationGroupIdentifier', 'CHILD');
    if (input.allowAssociationToShareableServiceNetwork !== undefined && (type === 'CHILD' || type === 'CIDR')) throw notFor('allowAssociationToShareableServiceNetwork', 'SINGLE, GROUP or ARN');
    if (input.groupDomain !== undefined && type !== 'GROUP') throw notFor('groupDomain', 'GROUP');
    if (input.customDomainName !== undefined && type !== 'SINGLE' && type !== 'CHILD') {
      throw invalid('customDomainName', type === 'GROUP' ? 'A GROUP resource configuration takes a groupDomain; its CHILD configurations take custom domain names under it.' : `customDomainName applies only to SINGLE and CHILD resource configurations, not ${type}.`);
    }
    // Members the type needs.
    if (type === 'CHILD' && input.resourceConfigurationGroupIdentifier === undefined) throw invalid('resourceConfigurationGroupIdentifier', 'A CHILD resource configuration needs the GROUP resource configuration it belongs to.');
    if (type !== 'CHILD' && input.resourceGatewayIdentifier === undefined) throw invalid('resourceGatewayIdentifier', `A ${type} resource configuration needs a resource gateway.`);
    if (type !== 'GROUP' && input.resourceConfigurationDefinition === undefined) {
      throw invalid('resourceConfigurationDefinition', `A ${type} resource configuration needs a resource definition (${ALLOWED_DEFINITIONS[type].join(' or ')}).`);
    }
    if ((type === 'SINGLE' || type === 'CIDR') && input.portRanges === undefined) throw invalid('portRanges', `A ${type} resource configuration needs port ranges.`);
    if (input.portRanges !== undefined) checkPortRanges(input.portRanges);
    for (const [field, name] of [['customDomainName', input.customDomainName], ['groupDomain', input.groupDomain]] as const) {
      if (name !== undefined && !isDomainName(name)) throw invalid(field, `${name} is not a valid domain name.`);
    }

    // References.
    let group: ResourceConfigurationRecord | undefined;
    let gateway: ResourceGatewayRecord | undefined;
    if (type === 'CHILD') {
      group = resolveResourceConfiguration(ctx, input.resourceConfigurationGroupIdentifier!);
      if (group.type !== 'GROUP') throw invalid('resourceConfigurationGroupIdentifier', `Resource configuration ${group.id} is of type ${group.type}, not GROUP.`);
      if (input.portRanges === undefined && group.portRanges === undefined) throw invalid('portRanges', `Neither this CHILD resource configuration nor its group ${group.id} has port ranges.`);
      gateway = group.resourceGatewayId ? ctx.get<ResourceGatewayRecord>(RGW, group.resourceGatewayId) : undefined;
      if (input.customDomainName !== undefined) {
        if (!group.groupDomain) throw invalid('customDomainName', `The group ${group.id} has no groupDomain; a CHILD's custom domain name must lie under its group's domain.`);
        if (!withinDomain(input.customDomainName, group.groupDomain)) throw invalid('customDomainName', `${input.customDomainName} is not under the group domain ${group.groupDomain}.`);
      }
    } else {
      gateway = resolveResourceGateway(ctx, input.resourceGatewayIdentifier!);
      if (type === 'CIDR' && gateway.resourceConfigDnsResolution !== 'IN_VPC') {
        throw invalid('resourceGatewayIdentifier', `A CIDR resource configuration needs a resource gateway whose resourceConfigDnsResolution is IN_VPC; ${gateway.id} uses ${gateway.resourceConfigDnsResolution}.`);
      }
      if (type === 'ARN' && gateway.resourceConfigDnsResolution === 'IN_VPC') {
        throw invalid('resourceGatewayIdentifier', `An ARN resource configuration cannot use resource gateway ${gateway.id}, whose resourceConfigDnsResolution is IN_VPC.`);
      }
    }
    const definition = input.resourceConfigurationDefinition ? checkDefinition(ctx, type, input.resourceConfigurationDefinition, gateway) : undefined;

    // Domain verification: the custom (or group) domain must be the verified domain or under it.
    let dv: DomainVerificationRecord | undefined;
    if (input.domainVerificationIdentifier !== undefined) {
      const domain = input.customDomainName ?? input.groupDomain;
      if (domain === undefined) throw invalid('domainVerificationIdentifier', 'A domain verification applies only with a customDomainName or groupDomain.');
      dv = resolveDomainVerification(ctx, input.domainVerificationIdentifier);
      if (!withinDomain(domain, dv.domainName)) {
        throw invalid(input.customDomainName !== undefined ? 'customDomainName' : 'groupDomain', `${domain} is not ${dv.domainName} or a subdomain of it, the domain of ${dv.id}.`);
      }
    }
    // A CHILD inherits its group's verification ("Child resources inherit the verification status of the domain").
    const verification = dv ? { domainVerificationId: dv.id, domainVerificationArn: dv.arn }
      : type === 'CHILD' && input.customDomainName !== undefined && group?.domainVerificationId
        ? { domainVerificationId: group.domainVerificationId, domainVerificationArn: group.domainVerificationArn }
        : {};

    for (const c of ctx.owned<ResourceConfigurationRecord>(RCFG)) {
      if (c.name === input.name) throw conflict(`A resource configuration with the name ${input.name} already exists.`, 'RESOURCE_CONFIGURATION', c.id);
    }
    ctx.checkQuota('resourceConfigurationsPerRegion', [...ctx.owned(RCFG)].length, 'RESOURCE_CONFIGURATION');
    if (group) ctx.checkQuota('childResourceConfigurationsPerGroup', children(ctx, group.id).length, 'RESOURCE_CONFIGURATION', group.id);

    const base = ctx.stamp('rcfg', (id) => rcfgArn(ctx, id), input.tags);
    const rec: ResourceConfigurationRecord = {
      ...base,
      name: input.name,
      type,
      status: 'CREATE_IN_PROGRESS',
      ...(gateway ? { resourceGatewayId: gateway.id } : {}),
      ...(group ? { resourceConfigurationGroupId: group.id } : {}),
      ...(input.portRanges ? { portRanges: [...input.portRanges] } : {}),
      ...(type === 'SINGLE' || type === 'GROUP' || type === 'CIDR' ? { protocol: input.protocol ?? 'TCP' } : {}),
      ...(definition ? { resourceConfigurationDefinition: definition } : {}),
      ...(type === 'SINGLE' || type === 'GROUP' || type === 'ARN' ? { allowAssociationToShareableServiceNetwork: input.allowAssociationToShareableServiceNetwork ?? false } : {}),
      ...(input.customDomainName !== undefined ? { customDomainName: input.customDomainName } : {}),
      ...(input.groupDomain !== undefined ? { groupDomain: input.groupDomain } : {}),
      ...verification,
    };
    ctx.put(RCFG, rec.id, rec);
    const eff = effective(ctx, rec);
    return {
      id: rec.id, name: rec.name, arn: rec.arn, resourceGatewayId: rec.resourceGatewayId, resourceConfigurationGroupId: rec.resourceConfigurationGroupId,
      type: rec.type, portRanges: eff.portRanges, protocol: eff.protocol, status: rec.status,
      resourceConfigurationDefinition: rec.resourceConfigurationDefinition,
      allowAssociationToShareableServiceNetwork: eff.allowAssociationToShareableServiceNetwork,
      createdAt: new Date(rec.createdAt), ...dnsMembers(rec),
      ...(rec.domainVerificationArn ? { domainVerificationArn: rec.domainVerificationArn } : {}),
    };
  },

  GetResourceConfiguration(ctx, input) {
    const c = resolveResourceConfiguration(ctx, input.resourceConfigurationIdentifier);
    const eff = effective(ctx, c);
    const dv = c.domainVerificationId ? ctx.get<DomainVerificationRecord>(DV, c.domainVerificationId) : undefined;
    return {
      id: c.id, name: c.name, arn: c.arn, resourceGatewayId: c.resourceGatewayId, resourceConfigurationGroupId: c.resourceConfigurationGroupId,
      type: c.type, allowAssociationToShareableServiceNetwork: eff.allowAssociationToShareableServiceNetwork,
      portRanges: eff.portRanges, protocol: eff.protocol, status: status(ctx, c),
      resourceConfigurationDefinition: c.resourceConfigurationDefinition, amazonManaged: false,
      createdAt: new Date(c.createdAt), lastUpdatedAt: new Date(c.lastUpdatedAt), ...dnsMembers(c),
      ...(c.domainVerificationArn ? { domainVerificationArn: c.domainVerificationArn } : {}),
      // Absent once the verification itself was deleted.
      ...(dv && dv.account === c.account ? { domainVerificationStatus: dv.status } : {}),
    };
  },

  /** Filters by gateway, group and domain verification; an unknown identifier matches nothing (the model has no ResourceNotFoundException here). */
  ListResourceConfigurations(ctx, input) {
    const gw = input.resourceGatewayIdentifier !== undefined ? idOf(input.resourceGatewayIdentifier) : undefined;
    const group = input.resourceConfigurationGroupIdentifier !== undefined ? idOf(input.resourceConfigurationGroupIdentifier) : undefined;
    const dv = input.domainVerificationIdentifier !== undefined ? idOf(input.domainVerificationIdentifier).toLowerCase() : undefined;
    function* matching() {
      for (const c of ctx.owned<ResourceConfigurationRecord>(RCFG)) {
        if (gw !== undefined && c.resourceGatewayId !== gw) continue;
        if (group !== undefined && c.resourceConfigurationGroupId !== group) continue;
        if (dv !== undefined && c.domainVerificationId !== dv) continue;
        yield c;
      }
    }
    return ctx.page(matching(), input, (c) => ({
      id: c.id, name: c.name, arn: c.arn, resourceGatewayId: c.resourceGatewayId, resourceConfigurationGroupId: c.resourceConfigurationGroupId,
      type: c.type, status: status(ctx, c), amazonManaged: false,
      createdAt: new Date(c.createdAt), lastUpdatedAt: new Date(c.lastUpdatedAt), ...dnsMembers(c),
    }));
  },

  /**
   * Changes port ranges (not ARN), the definition (not GROUP; same kinds as at creation) and
   * allowAssociationToShareableServiceNetwork (SINGLE, GROUP, ARN, as at creation).
   */
  UpdateResourceConfiguration(ctx, input) {
    const c = resolveResourceConfiguration(ctx, input.resourceConfigurationIdentifier);
    if (input.portRanges !== undefined) {
      if (c.type === 'ARN') throw invalid('portRanges', 'An ARN resource configuration has no port ranges.');
      checkPortRanges(input.portRanges);
    }
    if (input.allowAssociationToShareableServiceNetwork !== undefined && (c.type === 'CHILD' || c.type === 'CIDR')) {
      throw invalid('allowAssociationToShareableServiceNetwork', `allowAssociationToShareableServiceNetwork applies only to SINGLE, GROUP and ARN resource configurations, not ${c.type}.`);
    }
    let definition = c.resourceConfigurationDefinition;
    if (input.resourceConfigurationDefinition !== undefined) {
      const gateway = c.resourceGatewayId ? ctx.get<ResourceGatewayRecord>(RGW, c.resourceGatewayId) : undefined;
      definition = checkDefinition(ctx, c.type, input.resourceConfigurationDefinition, gateway);
    }
    const rec: ResourceConfigurationRecord = {
      ...c,
      status: settledStatus(ctx, c),
      ...(input.portRanges !== undefined ? { portRanges: [...input.portRanges] } : {}),
      ...(definition ? { resourceConfigurationDefinition: definition } : {}),
      ...(input.allowAssociationToShareableServiceNetwork !== undefined ? { allowAssociationToShareableServiceNetwork: input.allowAssociationToShareableServiceNetwork } : {}),
      lastUpdatedAt: ctx.timestamp,
    };
    ctx.put(RCFG, c.id, rec);
    const eff = effective(ctx, rec);
    return {
      id: rec.id, name: rec.name, arn: rec.arn, resourceGatewayId: rec.resourceGatewayId, resourceConfigurationGroupId: rec.resourceConfigurationGroupId,
      type: rec.type, portRanges: eff.portRanges, allowAssociationToShareableServiceNetwork: eff.allowAssociationToShareableServiceNetwork,
      protocol: eff.protocol, status: rec.status, resourceConfigurationDefinition: rec.resourceConfigurationDefinition,
    };
  },

  /**
   * ConflictException while a GROUP has children or the configuration is associated with a service
   * network or a VPC endpoint. As for service networks (User Guide, "Delete a service network"), its
   * resource policy, auth policy and access log subscriptions go with it.
   */
  DeleteResourceConfiguration(ctx, input) {
    const c = resolveResourceConfiguration(ctx, input.resourceConfigurationIdentifier);
    const child = children(ctx, c.id)[0];
    if (child) throw conflict(`Resource configuration ${c.id} still has child resource configurations (${child.id}); delete them first.`, 'RESOURCE_CONFIGURATION', c.id);
    const [snra] = ctx.where<{ id: string }>('snra.resourceConfigurationId', c.id);
    if (snra) throw conflict(`Resource configuration ${c.id} is still associated with a service network (${snra.id}); delete the association first.`, 'RESOURCE_CONFIGURATION', c.id);
    const [rea] = ctx.where<ResourceEndpointAssociationRecord>('rea.resourceConfigurationId', c.id);
    if (rea) throw conflict(`Resource configuration ${c.id} is still associated with VPC endpoint ${rea.vpcEndpointId} (${rea.id}); delete the association first.`, 'RESOURCE_CONFIGURATION', c.id);
    ctx.del(RCFG, c.id);
    ctx.del('resourcepolicy', c.id);
    ctx.del('authpolicy', c.id);
    for (const s of [...ctx.where<{ id: string }>('als.resourceId', c.id)]) ctx.del('als', s.id);
    return {};
  },

  /**
   * The associations of one of the caller's resource configurations, whichever account owns the
   * endpoint. Trellis has no VPC endpoints of type resource yet, so today the list is empty. The
   * brief asks for ResourceNotFoundException for an unknown configuration, although the model lists
   * no such error for this operation.
   */
  ListResourceEndpointAssociations(ctx, input) {
    const c = resolveResourceConfiguration(ctx, input.resourceConfigurationIdentifier);
    const wanted = input.resourceEndpointAssociationIdentifier;
    function* matching() {
      for (const a of ctx.where<ResourceEndpointAssociationRecord>('rea.resourceConfigurationId', c.id)) {
        if (wanted !== undefined && (wanted.startsWith('arn:') ? a.arn !== wanted : a.id !== wanted)) continue;
        if (input.vpcEndpointId !== undefined && a.vpcEndpointId !== input.vpcEndpointId) continue;
        if (input.vpcEndpointOwner !== undefined && a.vpcEndpointOwner !== input.vpcEndpointOwner) continue;
        yield a;
      }
    }
    return ctx.page(matching(), input, (a) => ({
      id: a.id, arn: a.arn, resourceConfigurationId: a.resourceConfigurationId, resourceConfigurationArn: a.resourceConfigurationArn,
      resourceConfigurationName: c.name, vpcEndpointId: a.vpcEndpointId, vpcEndpointOwner: a.vpcEndpointOwner,
      createdBy: a.createdBy, createdAt: new Date(a.createdAt),
    }));
  },

  /**
   * Either side may disassociate: the endpoint's owner or the resource configuration's. Trellis has
   * no VPC endpoints of type resource yet, so no association exists to delete today.
   */
  DeleteResourceEndpointAssociation(ctx, input) {
    const identifier = input.resourceEndpointAssociationIdentifier;
    const a = ctx.get<ResourceEndpointAssociationRecord>(REA, idOf(identifier));
    const cfg = a ? ctx.get<ResourceConfigurationRecord>(RCFG, a.resourceConfigurationId) : undefined;
    const visible = a && (a.account === ctx.account || cfg?.account === ctx.account) && (!identifier.startsWith('arn:') || a.arn === identifier);
    if (!a || !visible) throw notFound('RESOURCE_ENDPOINT_ASSOCIATION', identifier);
    ctx.del(REA, a.id);
    return { id: a.id, arn: a.arn, resourceConfigurationId: a.resourceConfigurationId, resourceConfigurationArn: a.resourceConfigurationArn, vpcEndpointId: a.vpcEndpointId };
  },
} satisfies Partial<Handlers>;
