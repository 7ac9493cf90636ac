// Domain verifications (dv-, 2025): proof that the caller owns a domain, so resource configurations
// can use it (and its subdomains) as custom domain names (User Guide, "Create and verify a domain").
import { randomBytes } from 'node:crypto';
import type { TxtMethodConfig, VerificationStatus } from '@aws-sdk/client-vpc-lattice';
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import { conflict, notFound, validation } from '../../core/errors.ts';

export interface DomainVerificationRecord extends Base {
  domainName: string;
  /**
   * PENDING until src/server/domainverifier.ts sees the TXT record over DNS (then VERIFIED), or
   * VERIFICATION_TIMED_OUT after 72 hours without it.
   */
  status: VerificationStatus;
  txtMethodConfig: TxtMethodConfig;
  lastVerifiedTime?: string;
}

export const DV = 'dv';
export const dvArn = (ctx: Ctx, id: string) => ctx.arn(`domainverification/${id}`);

/**
 * The caller's verification for an id or ARN. Ids are `dv-` and 17 hex digits, which the input
 * pattern (`dv-[a-fA-F0-9]{17}`) also accepts in upper case; ours are lower case.
 */
export function resolveDomainVerification(ctx: Ctx, identifier: string): DomainVerificationRecord {
  try {
    return ctx.resolve<DomainVerificationRecord>(DV, identifier.startsWith('arn:') ? identifier : identifier.toLowerCase(), 'DOMAIN_VERIFICATION');
  } catch {
    throw notFound('DOMAIN_VERIFICATION', identifier);
  }
}

/** A domain name compared case-insensitively and without a trailing dot. */
export const canonicalDomain = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** `name` is `domain` or one of its subdomains. */
export const withinDomain = (name: string, domain: string) => {
  const n = canonicalDomain(name), d = canonicalDomain(domain);
  return n === d || n.endsWith('.' + d);
};

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** Host-name syntax (RFC 1123 labels), at most 253 characters without the trailing dot. */
export function isDomainName(name: string): boolean {
  const n = canonicalDomain(name);
  return n.length > 0 && n.length <= 253 && n.split('.').every((l) => LABEL.test(l));
}

/**
 * The TXT record to create. The API reference only says it holds the record's name and value; we
 * found no documented format, so the name is a fixed label under the domain and the value random.
 */
function txtRecord(domainName: string): TxtMethodConfig {
  return { name: `_vpc-lattice-verification.${canonicalDomain(domainName)}`, value: `vpc-lattice-verification=${randomBytes(16).toString('hex')}` };
}

const summary = (d: DomainVerificationRecord) => ({
  id: d.id, arn: d.arn, domainName: d.domainName, status: d.status, txtMethodConfig: d.txtMethodConfig,
  createdAt: new Date(d.createdAt), ...(d.lastVerifiedTime ? { lastVerifiedTime: new Date(d.lastVerifiedTime) } : {}),
  ...(d.tags ? { tags: d.tags } : {}),
});

export const domainVerificationHandlers = {
  StartDomainVerification(ctx, input) {
    if (!isDomainName(input.domainName)) {
      throw validation(`${input.domainName} is not a valid domain name.`, 'fieldValidationFailed', [{ name: 'domainName', message: 'Must be a valid domain name' }]);
    }
    // The model lists ConflictException: a second verification of a domain the account is already
    // verifying is one.
    for (const d of ctx.owned<DomainVerificationRecord>(DV)) {
      if (canonicalDomain(d.domainName) === canonicalDomain(input.domainName)) {
        throw conflict(`A domain verification for ${input.domainName} already exists.`, 'DOMAIN_VERIFICATION', d.id);
      }
    }
    ctx.checkQuota('domainVerificationsPerRegion', [...ctx.owned(DV)].length, 'DOMAIN_VERIFICATION');
    const base = ctx.stamp('dv', (id) => dvArn(ctx, id), input.tags);
    const rec: DomainVerificationRecord = { ...base, domainName: input.domainName, status: 'PENDING', txtMethodConfig: txtRecord(input.domainName) };
    ctx.put(DV, rec.id, rec);
    return { id: rec.id, arn: rec.arn, domainName: rec.domainName, status: rec.status, txtMethodConfig: rec.txtMethodConfig };
  },

  GetDomainVerification(ctx, input) {
    return summary(resolveDomainVerification(ctx, input.domainVerificationIdentifier));
  },

  ListDomainVerifications(ctx, input) {
    return ctx.page(ctx.owned<DomainVerificationRecord>(DV), input, summary);
  },

  /**
   * The model gives DeleteDomainVerification no ConflictException, so a verification that resource
   * configurations name can be deleted; they keep its id and show no verification status.
   */
  DeleteDomainVerification(ctx, input) {
    const d = resolveDomainVerification(ctx, input.domainVerificationIdentifier);
    ctx.del(DV, d.id);
    return {};
  },
} satisfies Partial<Handlers>;
