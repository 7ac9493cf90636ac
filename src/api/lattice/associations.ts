// Service network associations: a service (snsa-), a VPC (snva-) or a resource configuration
// (snra-) joined to a service network. Services and resource configurations become reachable
// from every VPC associated with the network. The records of all three are here, and the
// handlers of the first two; resource associations' handlers are in resourceassociations.ts.
//
// Creating associations with another account's service network, service or resource
// configuration (RAM sharing) is for a later issue: for now ctx.resolve reports other accounts'
// records as not found.
import type {
  DnsOptions, ServiceNetworkEndpointAssociation, ServiceNetworkServiceAssociationStatus, ServiceNetworkVpcAssociationStatus,
} from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { resolveServiceNetwork } from './servicenetworks.ts';
import type { VpcRecord } from '../ec2/vpcs.ts';
import { findSecurityGroup } from '../ec2/securitygroups.ts';
import { conflict, notFound, validation } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';

export interface DnsEntry { domainName: string; hostedZoneId: string }

/** The service network side of an association, copied at creation (names and ARNs never change). */
interface NetworkSide { serviceNetworkId: string; serviceNetworkName: string; serviceNetworkArn: string }

export interface ServiceNetworkServiceAssociationRecord extends Base, NetworkSide {
  serviceId: string;
  serviceName: string;
  serviceArn: string;
  status: string;
  createdBy: string;
  dnsEntry?: DnsEntry;
  customDomainName?: string;
}

export interface ServiceNetworkVpcAssociationRecord extends Base, NetworkSide {
  vpcId: string;
  securityGroupIds: string[];
  status: string;
  createdBy: string;
  privateDnsEnabled?: boolean;
  dnsOptions?: DnsOptions;
}

export interface ServiceNetworkResourceAssociationRecord extends Base, NetworkSide {
  resourceConfigurationId: string;
  resourceConfigurationName: string;
  resourceConfigurationArn: string;
  status: string;
  createdBy: string;
  dnsEntry: DnsEntry;
  privateDnsEnabled?: boolean;
}

export const SNSA = 'snsa';
export const SNVA = 'snva';
export const SNRA = 'snra';

/** The parts of other families' records that associations read (shared record contracts). */
interface ServiceView extends Base { name: string; dnsEntry?: DnsEntry; customDomainName?: string }
export interface ResourceConfigurationView extends Base { name: string; type: string; resourceConfigurationGroupId?: string }

const snsaArn = (ctx: Ctx, id: string) => ctx.arn(`servicenetworkserviceassociation/${id}`);
const snvaArn = (ctx: Ctx, id: string) => ctx.arn(`servicenetworkvpcassociation/${id}`);
export const snraArn = (ctx: Ctx, id: string) => ctx.arn(`servicenetworkresourceassociation/${id}`);

/** Does a list filter (an id or an ARN) name this record? */
export const names = (identifier: string | undefined, id: string, arn: string) =>
  identifier === undefined || (idOf(identifier) === id && (!identifier.startsWith('arn:') || identifier === arn));

export const network = (sn: { id: string; name: string; arn: string }): NetworkSide =>
  ({ serviceNetworkId: sn.id, serviceNetworkName: sn.name, serviceNetworkArn: sn.arn });

/** The association lists need a service network or the other side to filter on (API Reference). */
const networkOr = (other: string, what: string) =>
  validation(`You must provide either the service network identifier or the ${what}.`, 'fieldValidationFailed',
    ['serviceNetworkIdentifier', other].map((name) => ({ name, message: `Either serviceNetworkIdentifier or ${other} is required` })));

// ---------------------------------------------------------------------------------------------
// Service associations

const snsaSummary = (ctx: Ctx, a: ServiceNetworkServiceAssociationRecord) => ({
  id: a.id, arn: a.arn, status: ctx.status(a) as ServiceNetworkServiceAssociationStatus, createdBy: a.createdBy,
  createdAt: new Date(a.createdAt),
  serviceId: a.serviceId, serviceName: a.serviceName, serviceArn: a.serviceArn,
  serviceNetworkId: a.serviceNetworkId, serviceNetworkName: a.serviceNetworkName, serviceNetworkArn: a.serviceNetworkArn,
  dnsEntry: a.dnsEntry, customDomainName: a.customDomainName,
});

const resolveSnsa = (ctx: Ctx, identifier: string) =>
  ctx.resolve<ServiceNetworkServiceAssociationRecord>(SNSA, identifier, 'SERVICE_NETWORK_SERVICE_ASSOCIATION');

// ---------------------------------------------------------------------------------------------
// VPC associations

/**
 * The private DNS options (2025). The SDK documents dnsOptions as "only supported when private
 * DNS is enabled", and privateDnsSpecifiedDomains as used only with the preferences
 * VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS and SPECIFIED_DOMAINS_ONLY.
 */
function checkDnsOptions(privateDnsEnabled: boolean | undefined, dnsOptions: DnsOptions | undefined): void {
  if (!dnsOptions) return;
  if (privateDnsEnabled === false) {
    throw validation('dnsOptions can only be given when private DNS is enabled.', 'fieldValidationFailed', [{ name: 'dnsOptions', message: 'Requires privateDnsEnabled' }]);
  }
  const pref = dnsOptions.privateDnsPreference;
  const domains = dnsOptions.privateDnsSpecifiedDomains ?? [];
  const usesDomains = pref === 'VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS' || pref === 'SPECIFIED_DOMAINS_ONLY';
  if (domains.length > 0 && !usesDomains) {
    throw validation('privateDnsSpecifiedDomains requires the private DNS preference VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS or SPECIFIED_DOMAINS_ONLY.', 'fieldValidationFailed',
      [{ name: 'dnsOptions.privateDnsSpecifiedDomains', message: 'Not used by this privateDnsPreference' }]);
  }
  if (pref === 'SPECIFIED_DOMAINS_ONLY' && domains.length === 0) {
    throw validation('The private DNS preference SPECIFIED_DOMAINS_ONLY needs at least one domain in privateDnsSpecifiedDomains.', 'fieldValidationFailed',
      [{ name: 'dnsOptions.privateDnsSpecifiedDomains', message: 'Required by SPECIFIED_DOMAINS_ONLY' }]);
  }
}

/**
 * The security groups of a VPC association or resource gateway: each one of the caller's groups,
 * in the association's (or gateway's) VPC, named once; returns a copy to store.
 *
 * What AWS documents: CreateResourceGateway says "The security groups must be in the same VPC";
 * the VPC association operations say nothing of where the groups live, and neither documents the
 * error for an unknown group, another VPC's group or a repeated id. Trellis answers all of them
 * with ValidationException (fieldValidationFailed) naming `securityGroupIds` and the group;
 * another account's group reads as unknown, as EC2 shows it. Repeated ids are refused rather than
 * merged, so what is stored and returned is exactly what was asked for.
 */
export function checkSecurityGroups(ctx: Ctx, ids: readonly string[], vpcId: string): string[] {
  const seen = new Set<string>();
  const refuse = (message: string): never => {
    throw validation(message, 'fieldValidationFailed', [{ name: 'securityGroupIds', message }]);
  };
  for (const id of ids) {
    if (seen.has(id)) refuse(`Security group ${id} is listed more than once.`);
    seen.add(id);
    const group = findSecurityGroup(ctx, id);
    if (!group) refuse(`Security group ${id} does not exist.`);
    else if (group.vpcId !== vpcId) refuse(`Security group ${id} belongs to VPC ${group.vpcId}, not ${vpcId}; the security groups must be in the same VPC.`);
  }
  return [...ids];
}

const resolveSnva = (ctx: Ctx, identifier: string) =>
  ctx.resolve<ServiceNetworkVpcAssociationRecord>(SNVA, identifier, 'SERVICE_NETWORK_VPC_ASSOCIATION');

/** The summary a list returns; Get adds the security groups. */
const snvaSummary = (ctx: Ctx, a: ServiceNetworkVpcAssociationRecord) => ({
  id: a.id, arn: a.arn, status: ctx.status(a) as ServiceNetworkVpcAssociationStatus, createdBy: a.createdBy,
  createdAt: new Date(a.createdAt), lastUpdatedAt: new Date(a.lastUpdatedAt),
  serviceNetworkId: a.serviceNetworkId, serviceNetworkName: a.serviceNetworkName, serviceNetworkArn: a.serviceNetworkArn,
  vpcId: a.vpcId, privateDnsEnabled: a.privateDnsEnabled, dnsOptions: a.dnsOptions,
});

// ---------------------------------------------------------------------------------------------

export const associationHandlers = {
  CreateServiceNetworkServiceAssociation(ctx, input) {
    const sn = resolveServiceNetwork(ctx, input.serviceNetworkIdentifier);
    const svc = ctx.resolve<ServiceView>('svc', input.serviceIdentifier, 'SERVICE');
    for (const a of ctx.where<ServiceNetworkServiceAssociationRecord>('snsa.serviceId', svc.id)) {
      if (a.serviceNetworkId === sn.id) {
        throw conflict(`Service ${svc.id} is already associated with service network ${sn.id} (${a.id}).`, 'SERVICE_NETWORK_SERVICE_ASSOCIATION', a.id);
      }
    }
    ctx.checkQuota('serviceAssociationsPerServiceNetwork', ctx.count('snsa.serviceNetworkId', sn.id), 'SERVICE_NETWORK_SERVICE_ASSOCIATION');
    const base = ctx.stamp('snsa', (id) => snsaArn(ctx, id), input.tags);
    // The association's dnsEntry: the SDK documents it as "The DNS name of the service", so it is
    // the service's own generated name (the name clients in associated VPCs resolve).
    const rec: ServiceNetworkServiceAssociationRecord = {
      ...base, ...network(sn), serviceId: svc.id, serviceName: svc.name, serviceArn: svc.arn,
      status: 'CREATE_IN_PROGRESS', createdBy: ctx.account,
      ...(svc.dnsEntry ? { dnsEntry: svc.dnsEntry } : {}),
      ...(svc.customDomainName !== undefined ? { customDomainName: svc.customDomainName } : {}),
    };
    ctx.put(SNSA, rec.id, rec);
    return { id: rec.id, arn: rec.arn, status: 'CREATE_IN_PROGRESS', createdBy: rec.createdBy, dnsEntry: rec.dnsEntry, customDomainName: rec.customDomainName };
  },

  GetServiceNetworkServiceAssociation(ctx, input) {
    return snsaSummary(ctx, resolveSnsa(ctx, input.serviceNetworkServiceAssociationIdentifier));
  },

  ListServiceNetworkServiceAssociations(ctx, input) {
    // API Reference: "You must provide either the service network identifier or the service
    // identifier." A filter naming something the caller can't see matches nothing (the model
    // lists no ResourceNotFoundException for this operation).
    if (input.serviceNetworkIdentifier === undefined && input.serviceIdentifier === undefined) {
      throw networkOr('serviceIdentifier', 'service identifier');
    }
    const candidates = input.serviceIdentifier !== undefined
      ? ctx.where<ServiceNetworkServiceAssociationRecord>('snsa.serviceId', idOf(input.serviceIdentifier))
      : ctx.where<ServiceNetworkServiceAssociationRecord>('snsa.serviceNetworkId', idOf(input.serviceNetworkIdentifier!));
    const items = [...candidates].filter((a) => a.account === ctx.account
      && names(input.serviceNetworkIdentifier, a.serviceNetworkId, a.serviceNetworkArn) && names(input.serviceIdentifier, a.serviceId, a.serviceArn));
    return ctx.page(items, input, (a) => snsaSummary(ctx, a));
  },

  DeleteServiceNetworkServiceAssociation(ctx, input) {
    const a = resolveSnsa(ctx, input.serviceNetworkServiceAssociationIdentifier);
    ctx.del(SNSA, a.id);
    return { id: a.id, arn: a.arn, status: 'DELETE_IN_PROGRESS' };
  },

  CreateServiceNetworkVpcAssociation(ctx, input) {
    const sn = resolveServiceNetwork(ctx, input.serviceNetworkIdentifier);
    const vpc = ctx.get<VpcRecord>('vpc', input.vpcIdentifier);
    if (!vpc || vpc.account !== ctx.account) throw notFound('VPC', input.vpcIdentifier);
    // User Guide (Service networks): "You can connect a VPC to only one service network through an
    // association." (more through VPC endpoints of type service-network).
    for (const a of ctx.where<ServiceNetworkVpcAssociationRecord>('snva.vpcId', vpc.id)) {
      const message = a.serviceNetworkId === sn.id
        ? `VPC ${vpc.id} is already associated with service network ${sn.id} (${a.id}).`
        : `VPC ${vpc.id} is already associated with service network ${a.serviceNetworkId} (${a.id}); a VPC can be associated with only one service network.`;
      throw conflict(message, 'SERVICE_NETWORK_VPC_ASSOCIATION', a.id);
    }
    checkDnsOptions(input.privateDnsEnabled, input.dnsOptions);
    const securityGroupIds = checkSecurityGroups(ctx, input.securityGroupIds ?? [], vpc.id);
    ctx.checkQuota('vpcAssociationsPerServiceNetwork', ctx.count('snva.serviceNetworkId', sn.id), 'SERVICE_NETWORK_VPC_ASSOCIATION');
    const base = ctx.stamp('snva', (id) => snvaArn(ctx, id), input.tags);
    const rec: ServiceNetworkVpcAssociationRecord = {
      ...base, ...network(sn), vpcId: vpc.id, securityGroupIds,
      status: 'CREATE_IN_PROGRESS', createdBy: ctx.account,
      ...(input.privateDnsEnabled !== undefined ? { privateDnsEnabled: input.privateDnsEnabled } : {}),
      ...(input.dnsOptions !== undefined ? { dnsOptions: input.dnsOptions } : {}),
    };
    ctx.put(SNVA, rec.id, rec);
    return {
      id: rec.id, arn: rec.arn, status: 'CREATE_IN_PROGRESS', createdBy: rec.createdBy, securityGroupIds: rec.securityGroupIds,
      privateDnsEnabled: rec.privateDnsEnabled, dnsOptions: rec.dnsOptions,
    };
  },

  GetServiceNetworkVpcAssociation(ctx, input) {
    const a = resolveSnva(ctx, input.serviceNetworkVpcAssociationIdentifier);
    return { ...snvaSummary(ctx, a), securityGroupIds: a.securityGroupIds };
  },

  ListServiceNetworkVpcAssociations(ctx, input) {
    // API Reference: "You must provide either the ID of the service network identifier or the ID
    // of the VPC."
    if (input.serviceNetworkIdentifier === undefined && input.vpcIdentifier === undefined) {
      throw networkOr('vpcIdentifier', 'VPC identifier');
    }
    const candidates = input.serviceNetworkIdentifier !== undefined
      ? ctx.where<ServiceNetworkVpcAssociationRecord>('snva.serviceNetworkId', idOf(input.serviceNetworkIdentifier))
      : ctx.where<ServiceNetworkVpcAssociationRecord>('snva.vpcId', input.vpcIdentifier!);
    const items = [...candidates].filter((a) => a.account === ctx.account
      && names(input.serviceNetworkIdentifier, a.serviceNetworkId, a.serviceNetworkArn) && (input.vpcIdentifier === undefined || a.vpcId === input.vpcIdentifier));
    return ctx.page(items, input, (a) => snvaSummary(ctx, a));
  },

  UpdateServiceNetworkVpcAssociation(ctx, input) {
    // API Reference: "If you add a security group to the service network and VPC association, the
    // association must continue to have at least one security group. You can add or edit security
    // groups at any time." The list holds 1-5 ids, so all groups can't be removed here; an
    // association created without groups may gain some. The current SDK makes securityGroupIds
    // optional (an update may change only the private DNS settings): absent keeps the groups.
    const a = resolveSnva(ctx, input.serviceNetworkVpcAssociationIdentifier);
    const privateDnsEnabled = input.privateDnsEnabled ?? a.privateDnsEnabled;
    const dnsOptions = input.dnsOptions ?? a.dnsOptions;
    checkDnsOptions(privateDnsEnabled, dnsOptions);
    const securityGroupIds = input.securityGroupIds !== undefined ? checkSecurityGroups(ctx, input.securityGroupIds, a.vpcId) : a.securityGroupIds;
    const rec: ServiceNetworkVpcAssociationRecord = {
      ...a, securityGroupIds, status: 'UPDATE_IN_PROGRESS', lastUpdatedAt: ctx.timestamp,
      ...(privateDnsEnabled !== undefined ? { privateDnsEnabled } : {}),
      ...(dnsOptions !== undefined ? { dnsOptions } : {}),
    };
    ctx.put(SNVA, rec.id, rec);
    return {
      id: rec.id, arn: rec.arn, status: 'UPDATE_IN_PROGRESS', createdBy: rec.createdBy, securityGroupIds: rec.securityGroupIds,
      privateDnsEnabled: rec.privateDnsEnabled, dnsOptions: rec.dnsOptions,
    };
  },

  DeleteServiceNetworkVpcAssociation(ctx, input) {
    // API Reference: "You can't disassociate the VPC if there is a create or update association
    // in progress."
    const a = resolveSnva(ctx, input.serviceNetworkVpcAssociationIdentifier);
    const status = ctx.status(a);
    if (status === 'CREATE_IN_PROGRESS' || status === 'UPDATE_IN_PROGRESS') {
      throw conflict(`Association ${a.id} is ${status}; retry once it is ACTIVE.`, 'SERVICE_NETWORK_VPC_ASSOCIATION', a.id);
    }
    ctx.del(SNVA, a.id);
    return { id: a.id, arn: a.arn, status: 'DELETE_IN_PROGRESS' };
  },

  ListServiceNetworkVpcEndpointAssociations(ctx, input) {
    // Trellis has no VPC endpoints (of type service-network), so no service network has endpoint
    // associations and the list is always empty. A service network the caller can't see also
    // gives an empty list rather than an error: the model lists no ResourceNotFoundException for
    // this operation (nor for the other association lists).
    return ctx.page<{ id: string }, ServiceNetworkEndpointAssociation>([], input, () => ({}));
  },
} satisfies Partial<Handlers>;
