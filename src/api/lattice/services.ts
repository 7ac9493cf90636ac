// Services (svc-): what clients call. A service has listeners (listeners.ts), which have rules
// (rules.ts); it reaches clients once associated with a service network (associations.ts).
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import type { ServiceStatus } from '@aws-sdk/client-vpc-lattice';
import { conflict, validation } from '../../core/errors.ts';
import { hostedZoneId, serviceDnsName } from '../../core/ids.ts';
import { certificateByArn } from '../acm/record.ts';

export interface ServiceRecord extends Base {
  name: string;
  authType: 'NONE' | 'AWS_IAM';
  status: string;
  dnsEntry: { domainName: string; hostedZoneId: string };
  customDomainName?: string;
  certificateArn?: string;
  idleTimeoutSeconds?: number;
}

export const SVC = 'svc';
export const svcArn = (ctx: Ctx, id: string) => ctx.arn(`service/${id}`);

export const resolveService = (ctx: Ctx, identifier: string) => ctx.resolve<ServiceRecord>(SVC, identifier, 'SERVICE');

/**
 * API Reference (CreateService/UpdateService, idleTimeoutSeconds) and User Guide "Services": the
 * idle connection timeout defaults to 60 seconds and can be set from 60 to 600.
 */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

const statusOf = (ctx: Ctx, svc: ServiceRecord) => ctx.status(svc) as ServiceStatus;

/**
 * A certificate ARN must name an ACM certificate of the caller (Trellis's ACM subset serves it on
 * the custom domain name). Which error AWS returns for an unknown one is not documented; a
 * ValidationException naming the field says what is wrong.
 */
function checkCertificate(ctx: Ctx, arn: string): void {
  const rec = certificateByArn(ctx.state, arn);
  if (!rec || rec.account !== ctx.account) {
    const message = `Certificate ${arn} was not found in ACM for this account.`;
    throw validation(message, 'fieldValidationFailed', [{ name: 'certificateArn', message }]);
  }
}

export const serviceHandlers = {
  CreateService(ctx, input) {
    // API Reference: "The name must be unique within the account."
    for (const svc of ctx.owned<ServiceRecord>(SVC)) {
      if (svc.name === input.name) throw conflict(`A service with the name ${input.name} already exists.`, 'SERVICE', svc.id);
    }
    ctx.checkQuota('servicesPerRegion', ctx.ownedCount(SVC), 'SERVICE');
    if (input.certificateArn) checkCertificate(ctx, input.certificateArn);
    const base = ctx.stamp('svc', (id) => svcArn(ctx, id), input.tags);
    const rec: ServiceRecord = {
      ...base,
      name: input.name,
      authType: input.authType ?? 'NONE',
      status: 'CREATE_IN_PROGRESS',
      dnsEntry: { domainName: serviceDnsName(input.name, base.id, ctx.account, ctx.region), hostedZoneId: hostedZoneId(ctx.account, ctx.region) },
      ...(input.customDomainName !== undefined ? { customDomainName: input.customDomainName } : {}),
      ...(input.certificateArn ? { certificateArn: input.certificateArn } : {}),
      idleTimeoutSeconds: input.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
    };
    ctx.put(SVC, rec.id, rec);
    return {
      id: rec.id, arn: rec.arn, name: rec.name, customDomainName: rec.customDomainName, certificateArn: rec.certificateArn,
      status: 'CREATE_IN_PROGRESS', authType: rec.authType, idleTimeoutSeconds: rec.idleTimeoutSeconds, dnsEntry: rec.dnsEntry,
    };
  },

  GetService(ctx, input) {
    const svc = resolveService(ctx, input.serviceIdentifier);
    return {
      id: svc.id, name: svc.name, arn: svc.arn,
      createdAt: new Date(svc.createdAt), lastUpdatedAt: new Date(svc.lastUpdatedAt),
      dnsEntry: svc.dnsEntry, customDomainName: svc.customDomainName, certificateArn: svc.certificateArn,
      status: statusOf(ctx, svc), authType: svc.authType, idleTimeoutSeconds: svc.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
    };
  },

  ListServices(ctx, input) {
    return ctx.page(ctx.owned<ServiceRecord>(SVC), input, (svc) => ({
      id: svc.id, name: svc.name, arn: svc.arn,
      createdAt: new Date(svc.createdAt), lastUpdatedAt: new Date(svc.lastUpdatedAt),
      dnsEntry: svc.dnsEntry, customDomainName: svc.customDomainName, status: statusOf(ctx, svc),
    }));
  },

  UpdateService(ctx, input) {
    // Only certificateArn, authType and idleTimeoutSeconds can change; the name and the custom
    // domain name are fixed at creation (they are not members of UpdateServiceRequest).
    const svc = resolveService(ctx, input.serviceIdentifier);
    const rec: ServiceRecord = { ...svc, lastUpdatedAt: ctx.timestamp };
    if (input.authType !== undefined) rec.authType = input.authType;
    if (input.idleTimeoutSeconds !== undefined) rec.idleTimeoutSeconds = input.idleTimeoutSeconds;
    if (input.certificateArn !== undefined) {
      // The CertificateArn pattern admits the empty string: read it as "remove the certificate".
      if (input.certificateArn === '') delete rec.certificateArn;
      else {
        checkCertificate(ctx, input.certificateArn);
        rec.certificateArn = input.certificateArn;
      }
    }
    ctx.put(SVC, svc.id, rec);
    return {
      id: rec.id, arn: rec.arn, name: rec.name, customDomainName: rec.customDomainName, certificateArn: rec.certificateArn,
      authType: rec.authType, idleTimeoutSeconds: rec.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
    };
  },

  DeleteService(ctx, input) {
    // API Reference (DeleteService): "A service can't be deleted if it's associated with a service
    // network. If you delete a service, all resources related to the service, such as the resource
    // policy, auth policy, listeners, listener rules, and access log subscriptions, are also deleted."
    const svc = resolveService(ctx, input.serviceIdentifier);
    const [a] = ctx.where<{ id: string }>('snsa.serviceId', svc.id);
    if (a) throw conflict(`Service ${svc.id} is associated with a service network (${a.id}); delete the association first.`, 'SERVICE', svc.id);
    for (const l of [...ctx.where<{ id: string }>('listener.serviceId', svc.id)]) ctx.del('listener', l.id);
    for (const r of [...ctx.where<{ id: string }>('rule.serviceId', svc.id)]) ctx.del('rule', r.id);
    for (const s of [...ctx.where<{ id: string }>('als.resourceId', svc.id)]) ctx.del('als', s.id);
    ctx.del('authpolicy', svc.id);
    ctx.del('resourcepolicy', svc.id);
    ctx.del(SVC, svc.id);
    return { id: svc.id, arn: svc.arn, name: svc.name, status: 'DELETE_IN_PROGRESS' };
  },
} satisfies Partial<Handlers>;
