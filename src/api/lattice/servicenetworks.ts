// Service networks (sn-): the grouping that services, resource configurations and VPCs join.
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { conflict } from '../../core/errors.ts';

export interface ServiceNetworkRecord extends Base {
  name: string;
  authType: 'NONE' | 'AWS_IAM';
  sharingConfig: { enabled: boolean };
}

export const SN = 'sn';
export const snArn = (ctx: Ctx, id: string) => ctx.arn(`servicenetwork/${id}`);

export const resolveServiceNetwork = (ctx: Ctx, identifier: string) => ctx.resolve<ServiceNetworkRecord>(SN, identifier, 'SERVICE_NETWORK');

function counts(ctx: Ctx, id: string) {
  return {
    numberOfAssociatedVPCs: ctx.count('snva.serviceNetworkId', id),
    numberOfAssociatedServices: ctx.count('snsa.serviceNetworkId', id),
    numberOfAssociatedResourceConfigurations: ctx.count('snra.serviceNetworkId', id),
  };
}

export const serviceNetworkHandlers = {
  CreateServiceNetwork(ctx, input) {
    for (const sn of ctx.owned<ServiceNetworkRecord>(SN)) {
      if (sn.name === input.name) throw conflict(`A service network with the name ${input.name} already exists.`, 'SERVICE_NETWORK', sn.id);
    }
    ctx.checkQuota('serviceNetworksPerRegion', ctx.ownedCount(SN), 'SERVICE_NETWORK');
    const base = ctx.stamp('sn', (id) => snArn(ctx, id), input.tags);
    const rec: ServiceNetworkRecord = { ...base, name: input.name, authType: input.authType ?? 'NONE', sharingConfig: { enabled: input.sharingConfig?.enabled ?? false } };
    ctx.put(SN, rec.id, rec);
    return { id: rec.id, name: rec.name, arn: rec.arn, authType: rec.authType, sharingConfig: rec.sharingConfig };
  },

  GetServiceNetwork(ctx, input) {
    const sn = resolveServiceNetwork(ctx, input.serviceNetworkIdentifier);
    const c = counts(ctx, sn.id);
    return {
      id: sn.id, name: sn.name, arn: sn.arn, authType: sn.authType, sharingConfig: sn.sharingConfig,
      createdAt: new Date(sn.createdAt), lastUpdatedAt: new Date(sn.lastUpdatedAt),
      numberOfAssociatedVPCs: c.numberOfAssociatedVPCs, numberOfAssociatedServices: c.numberOfAssociatedServices,
    };
  },

  ListServiceNetworks(ctx, input) {
    return ctx.page(ctx.owned<ServiceNetworkRecord>(SN), input, (sn) => ({
      id: sn.id, name: sn.name, arn: sn.arn,
      createdAt: new Date(sn.createdAt), lastUpdatedAt: new Date(sn.lastUpdatedAt),
      ...counts(ctx, sn.id),
    }));
  },

  UpdateServiceNetwork(ctx, input) {
    const sn = resolveServiceNetwork(ctx, input.serviceNetworkIdentifier);
    const rec: ServiceNetworkRecord = { ...sn, authType: input.authType, lastUpdatedAt: ctx.timestamp };
    ctx.put(SN, sn.id, rec);
    return { id: rec.id, name: rec.name, arn: rec.arn, authType: rec.authType };
  },

  DeleteServiceNetwork(ctx, input) {
    const sn = resolveServiceNetwork(ctx, input.serviceNetworkIdentifier);
    const c = counts(ctx, sn.id);
    if (c.numberOfAssociatedServices + c.numberOfAssociatedVPCs + c.numberOfAssociatedResourceConfigurations > 0) {
      throw conflict(`Service network ${sn.id} still has associations; delete its service, VPC and resource associations first.`, 'SERVICE_NETWORK', sn.id);
    }
    ctx.del(SN, sn.id);
    ctx.del('authpolicy', sn.id);
    ctx.del('resourcepolicy', sn.id);
    return {};
  },
} satisfies Partial<Handlers>;
