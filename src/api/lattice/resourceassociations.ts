// Service network resource associations (snra-): a resource configuration joined to a service
// network, reachable from the network's VPCs by a name of its own; a GROUP configuration's
// CHILD configurations through associations Lattice manages. The record and the other association
// kinds are in associations.ts.
import { createHash } from 'node:crypto';
import type { ServiceNetworkResourceAssociationStatus } from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Ctx } from './context.ts';
import { resolveServiceNetwork } from './servicenetworks.ts';
import { SNRA, names, network, snraArn, type DnsEntry, type ResourceConfigurationView, type ServiceNetworkResourceAssociationRecord } from './associations.ts';
import { conflict, notFound, validation } from '../../core/errors.ts';
import { dnsLabel, hostedZoneId, idOf, latticeArn } from '../../core/ids.ts';

const resolveResourceConfiguration = (ctx: Ctx, identifier: string) =>
  ctx.resolve<ResourceConfigurationView>('rcfg', identifier, 'RESOURCE_CONFIGURATION');

/**
 * The name consumers reach the configuration by through this association:
 * `<snra-id>.<rcfg-id>.<label>.vpc-lattice-rsc.<region>.on.aws` [format unverified; the facts file
 * gives `….vpc-lattice-rsc.<region>.on.aws` for resource configuration names].
 */
function resourceDnsEntry(ctx: Ctx, account: string, snraId: string, rcfgId: string): DnsEntry {
  return { domainName: `${snraId}.${rcfgId}.${dnsLabel(account, ctx.region)}.vpc-lattice-rsc.${ctx.region}.on.aws`, hostedZoneId: hostedZoneId(account, ctx.region) };
}

/**
 * An association of a GROUP configuration reaches its CHILD configurations through associations
 * that Lattice manages (`isManagedAssociation`; ListServiceNetworkResourceAssociations shows them
 * with `includeChildren`: "Include service network resource associations of the child resource
 * configuration with the grouped resource configuration"). Trellis derives them from the group's
 * association and its current children rather than storing them, so children created or deleted
 * later are covered; their ids are a stable hash of the pair, hex like every snra id.
 */
interface ManagedAssociation { id: string; arn: string; parent: ServiceNetworkResourceAssociationRecord; child: ResourceConfigurationView }

function managedOf(ctx: Ctx, parent: ServiceNetworkResourceAssociationRecord): ManagedAssociation[] {
  const out: ManagedAssociation[] = [];
  for (const child of ctx.where<ResourceConfigurationView>('rcfg.resourceConfigurationGroupId', parent.resourceConfigurationId)) {
    if (child.type !== 'CHILD' || child.account !== parent.account) continue;
    const id = 'snra-' + createHash('sha256').update(`${parent.id}/${child.id}`).digest('hex').slice(0, 17);
    out.push({ id, arn: latticeArn(ctx.region, parent.account, `servicenetworkresourceassociation/${id}`), parent, child });
  }
  return out;
}

function findManaged(ctx: Ctx, identifier: string): ManagedAssociation | undefined {
  const id = idOf(identifier);
  for (const parent of ctx.owned<ServiceNetworkResourceAssociationRecord>(SNRA)) {
    const m = managedOf(ctx, parent).find((x) => x.id === id && (!identifier.startsWith('arn:') || x.arn === identifier));
    if (m) return m;
  }
  return undefined;
}

interface SnraItem {
  id: string; arn: string; status?: string; createdBy: string; createdAt: string; lastUpdatedAt: string;
  resourceConfigurationId: string; resourceConfigurationName: string; resourceConfigurationArn: string;
  serviceNetworkId: string; serviceNetworkName: string; serviceNetworkArn: string;
  dnsEntry: DnsEntry; privateDnsEnabled?: boolean; isManagedAssociation: boolean;
}

function snraItem(ctx: Ctx, a: ServiceNetworkResourceAssociationRecord): SnraItem {
  const rcfg = ctx.get<ResourceConfigurationView>('rcfg', a.resourceConfigurationId);
  return {
    id: a.id, arn: a.arn, status: ctx.status(a), createdBy: a.createdBy, createdAt: a.createdAt, lastUpdatedAt: a.lastUpdatedAt,
    resourceConfigurationId: a.resourceConfigurationId, resourceConfigurationName: rcfg?.name ?? a.resourceConfigurationName,
    resourceConfigurationArn: a.resourceConfigurationArn,
    serviceNetworkId: a.serviceNetworkId, serviceNetworkName: a.serviceNetworkName, serviceNetworkArn: a.serviceNetworkArn,
    dnsEntry: a.dnsEntry, privateDnsEnabled: a.privateDnsEnabled, isManagedAssociation: false,
  };
}

function managedItem(ctx: Ctx, m: ManagedAssociation): SnraItem {
  const p = m.parent;
  return {
    id: m.id, arn: m.arn, status: ctx.status(p), createdBy: p.createdBy, createdAt: p.createdAt, lastUpdatedAt: p.lastUpdatedAt,
    resourceConfigurationId: m.child.id, resourceConfigurationName: m.child.name, resourceConfigurationArn: m.child.arn,
    serviceNetworkId: p.serviceNetworkId, serviceNetworkName: p.serviceNetworkName, serviceNetworkArn: p.serviceNetworkArn,
    dnsEntry: resourceDnsEntry(ctx, p.account, m.id, m.child.id), privateDnsEnabled: p.privateDnsEnabled, isManagedAssociation: true,
  };
}

const snraOut = (i: SnraItem) => ({
  id: i.id, arn: i.arn, status: i.status as ServiceNetworkResourceAssociationStatus, createdBy: i.createdBy, createdAt: new Date(i.createdAt),
  resourceConfigurationId: i.resourceConfigurationId, resourceConfigurationName: i.resourceConfigurationName, resourceConfigurationArn: i.resourceConfigurationArn,
  serviceNetworkId: i.serviceNetworkId, serviceNetworkName: i.serviceNetworkName, serviceNetworkArn: i.serviceNetworkArn,
  dnsEntry: i.dnsEntry, privateDnsEnabled: i.privateDnsEnabled, isManagedAssociation: i.isManagedAssociation,
});

export const resourceAssociationHandlers = {
  CreateServiceNetworkResourceAssociation(ctx, input) {
    // The service network identifier has no pattern here (ServiceNetworkIdentifierWithoutRegex):
    // anything that is not one of the caller's service networks, by id or ARN, is not found.
    const sn = resolveServiceNetwork(ctx, input.serviceNetworkIdentifier);
    const rcfg = resolveResourceConfiguration(ctx, input.resourceConfigurationIdentifier);
    // CreateResourceConfiguration documents allowAssociationToShareableServiceNetwork for
    // "(SINGLE, GROUP, ARN)": a CHILD is reached through its GROUP's associations, not its own.
    if (rcfg.type === 'CHILD') {
      throw validation(`Resource configuration ${rcfg.id} is of type CHILD; associate its GROUP resource configuration instead.`, 'fieldValidationFailed', [{ name: 'resourceConfigurationIdentifier', message: 'A CHILD resource configuration cannot be associated directly' }]);
    }
    for (const a of ctx.where<ServiceNetworkResourceAssociationRecord>('snra.resourceConfigurationId', rcfg.id)) {
      if (a.serviceNetworkId === sn.id) {
        throw conflict(`Resource configuration ${rcfg.id} is already associated with service network ${sn.id} (${a.id}).`, 'SERVICE_NETWORK_RESOURCE_ASSOCIATION', a.id);
      }
    }
    ctx.checkQuota('resourceConfigurationsPerServiceNetwork', ctx.count('snra.serviceNetworkId', sn.id), 'SERVICE_NETWORK_RESOURCE_ASSOCIATION');
    const base = ctx.stamp('snra', (id) => snraArn(ctx, id), input.tags);
    const rec: ServiceNetworkResourceAssociationRecord = {
      ...base, ...network(sn), resourceConfigurationId: rcfg.id, resourceConfigurationName: rcfg.name, resourceConfigurationArn: rcfg.arn,
      status: 'CREATE_IN_PROGRESS', createdBy: ctx.account, dnsEntry: resourceDnsEntry(ctx, ctx.account, base.id, rcfg.id),
      ...(input.privateDnsEnabled !== undefined ? { privateDnsEnabled: input.privateDnsEnabled } : {}),
    };
    ctx.put(SNRA, rec.id, rec);
    return { id: rec.id, arn: rec.arn, status: 'CREATE_IN_PROGRESS', createdBy: rec.createdBy, privateDnsEnabled: rec.privateDnsEnabled };
  },

  GetServiceNetworkResourceAssociation(ctx, input) {
    const identifier = input.serviceNetworkResourceAssociationIdentifier;
    const rec = ctx.get<ServiceNetworkResourceAssociationRecord>(SNRA, idOf(identifier));
    let item: SnraItem;
    if (rec) item = snraItem(ctx, ctx.resolve<ServiceNetworkResourceAssociationRecord>(SNRA, identifier, 'SERVICE_NETWORK_RESOURCE_ASSOCIATION'));
    else {
      const m = findManaged(ctx, identifier);
      if (!m) throw notFound('SERVICE_NETWORK_RESOURCE_ASSOCIATION', identifier);
      item = managedItem(ctx, m);
    }
    return { ...snraOut(item), lastUpdatedAt: new Date(item.lastUpdatedAt) };
  },

  ListServiceNetworkResourceAssociations(ctx, input) {
    // Neither filter is required here (unlike the service and VPC association lists). Managed
    // associations of a GROUP's children are listed with includeChildren, or when the
    // resource configuration filter names a CHILD (they are the only associations it has).
    const rcfgFilter = input.resourceConfigurationIdentifier;
    const filtered = rcfgFilter !== undefined ? ctx.get<ResourceConfigurationView>('rcfg', idOf(rcfgFilter)) : undefined;
    const withChildren = input.includeChildren === true || filtered?.type === 'CHILD';
    const items: SnraItem[] = [];
    const candidates = input.serviceNetworkIdentifier !== undefined
      ? ctx.where<ServiceNetworkResourceAssociationRecord>('snra.serviceNetworkId', idOf(input.serviceNetworkIdentifier))
      : ctx.owned<ServiceNetworkResourceAssociationRecord>(SNRA);
    for (const a of candidates) {
      if (a.account !== ctx.account || !names(input.serviceNetworkIdentifier, a.serviceNetworkId, a.serviceNetworkArn)) continue;
      const groupNamed = names(rcfgFilter, a.resourceConfigurationId, a.resourceConfigurationArn);
      if (groupNamed) items.push(snraItem(ctx, a));
      if (!withChildren) continue;
      for (const m of managedOf(ctx, a)) {
        if (groupNamed || names(rcfgFilter, m.child.id, m.child.arn)) items.push(managedItem(ctx, m));
      }
    }
    return ctx.page(items, input, snraOut);
  },

  DeleteServiceNetworkResourceAssociation(ctx, input) {
    const identifier = input.serviceNetworkResourceAssociationIdentifier;
    if (!ctx.get(SNRA, idOf(identifier))) {
      const m = findManaged(ctx, identifier);
      if (m) {
        throw conflict(`Association ${m.id} is managed by association ${m.parent.id} of group resource configuration ${m.parent.resourceConfigurationId}; delete that association instead.`,
          'SERVICE_NETWORK_RESOURCE_ASSOCIATION', m.id);
      }
    }
    const a = ctx.resolve<ServiceNetworkResourceAssociationRecord>(SNRA, identifier, 'SERVICE_NETWORK_RESOURCE_ASSOCIATION');
    ctx.del(SNRA, a.id);
    return { id: a.id, arn: a.arn, status: 'DELETE_IN_PROGRESS' };
  }
} satisfies Partial<Handlers>;
