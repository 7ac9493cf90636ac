// RequestCertificate's way to ISSUED. ACM issues asynchronously: a requested certificate is
// PENDING_VALIDATION until every name is validated, then ACM issues it; so does Trellis, with its
// own CA (src/dataplane/tls/ca.ts).
//
// Validation: a name counts as validated when the account has a Lattice domain verification
// (table `dv`, StartDomainVerification) with status VERIFIED for the name or a parent domain
// (`*.a.example.com` counts by `a.example.com`). Trellis does not look up ACM's validation CNAMEs
// (DomainValidationOptions shows them as ACM does, for the shape's sake); domain verifications
// become VERIFIED when src/server/domainverifier.ts finds their TXT record over DNS. Validation is
// re-checked whenever the certificate is read; after 72 hours unvalidated it times out, as ACM's
// does (User Guide, "Certificate request times out": VALIDATION_TIMED_OUT after 72 hours).
//
// Issuing is asynchronous (key generation and signing go through WebCrypto) while a request's
// handler is synchronous, so it runs in the background and its result is written into the record
// by `settle`, under the API's write lock: at the start of every ACM request, and right away
// through the `write` hook when the server provides one.
import { createHash } from 'node:crypto';
import type { DomainValidation, DomainStatus } from '@aws-sdk/client-acm';
import type { Ctx } from '../lattice/context.ts';
import { DV, canonicalDomain, withinDomain, type DomainVerificationRecord } from '../lattice/domainverifications.ts';
import type { LocalCa } from '../../dataplane/tls/ca.ts';
import { ACM, type CertificateRecord } from './record.ts';
import { certificateFacts } from './x509.ts';

/** ACM's public certificates are valid for 13 months (User Guide, "ACM certificate characteristics"). */
export const ISSUED_VALIDITY_DAYS = 395;
export const VALIDATION_TIMEOUT_MS = 72 * 3600_000;

/** Runs `fn` under the API's write lock with a Ctx (its caller unused) and commits what it wrote. */
export type BackgroundWrite = (fn: (ctx: Ctx) => void) => Promise<void>;

export interface IssuanceOptions {
  ca: () => Promise<LocalCa> | LocalCa;
  write?: BackgroundWrite;
  log?: (line: string) => void;
}

interface Job {
  finished: boolean;
  issued?: { certificatePem: string; privateKeyPem: string; chainPem: string };
  error?: string;
}

const baseName = (name: string) => canonicalDomain(name.startsWith('*.') ? name.slice(2) : name);

export class Issuance {
  readonly #ca: () => Promise<LocalCa> | LocalCa;
  readonly #write: BackgroundWrite | undefined;
  readonly #log: (line: string) => void;
  /** Issuances under way or not yet written, by certificate id. */
  readonly #jobs = new Map<string, Job>();

  constructor(opts: IssuanceOptions) {
    this.#ca = opts.ca;
    this.#write = opts.write;
    this.#log = opts.log ?? (() => {});
  }

  /** The names (of `names`) that the caller's VERIFIED domain verifications cover. */
  verified(ctx: Ctx, names: string[]): Set<string> {
    const domains: string[] = [];
    for (const d of ctx.owned<DomainVerificationRecord>(DV)) if (d.status === 'VERIFIED') domains.push(d.domainName);
    return new Set(names.filter((n) => domains.some((d) => withinDomain(baseName(n), d))));
  }

  /**
   * A requested certificate re-evaluated on read: issuing starts once all its names are
   * validated; unvalidated after 72 hours, it times out. Returns the record as it now stands.
   */
  refresh(ctx: Ctx, rec: CertificateRecord): CertificateRecord {
    if (rec.type !== 'AMAZON_ISSUED' || rec.status !== 'PENDING_VALIDATION') return rec;
    if (this.verified(ctx, rec.subjectAlternativeNames).size === rec.subjectAlternativeNames.length) {
      this.#start(rec);
      return rec;
    }
    if (ctx.now.getTime() - Date.parse(rec.createdAt) >= VALIDATION_TIMEOUT_MS) {
      return ctx.put(ACM, rec.id, { ...rec, status: 'VALIDATION_TIMED_OUT' });
    }
    return rec;
  }

  /**
   * Writes finished issuances into the records still waiting for them; forgets those whose record
   * is gone or no longer waits (written before, or deleted). Idempotent, so a write that is lost
   * (a request that fails after settling) is simply made again.
   */
  settle(ctx: Ctx): void {
    for (const [id, job] of this.#jobs) {
      if (!job.finished) continue;
      const rec = ctx.get<CertificateRecord>(ACM, id);
      if (!rec || rec.status !== 'PENDING_VALIDATION') {
        this.#jobs.delete(id);
        continue;
      }
      if (!job.issued) {
        ctx.put(ACM, id, { ...rec, status: 'FAILED', failureReason: 'OTHER' });
        continue;
      }
      const { domainName: _d, subjectAlternativeNames: _s, ...facts } = certificateFacts(job.issued.certificatePem);
      ctx.put(ACM, id, { ...rec, ...facts, ...job.issued, status: 'ISSUED', issuedAt: ctx.timestamp });
    }
  }

  /** DescribeCertificate's DomainValidationOptions: one per name, in the method's shape. */
  validationOptions(ctx: Ctx, rec: CertificateRecord): DomainValidation[] {
    const verified = rec.status === 'PENDING_VALIDATION' || rec.status === 'VALIDATION_TIMED_OUT'
      ? this.verified(ctx, rec.subjectAlternativeNames) : undefined;
    return rec.subjectAlternativeNames.map((name) => {
      const status: DomainStatus = !verified ? (rec.status === 'FAILED' ? 'FAILED' : 'SUCCESS')
        : verified.has(name) ? 'SUCCESS' : rec.status === 'VALIDATION_TIMED_OUT' ? 'FAILED' : 'PENDING_VALIDATION';
      if (rec.validationMethod === 'EMAIL') {
        const domain = rec.validationDomains?.[name] ?? baseName(name);
        return {
          DomainName: name, ValidationDomain: domain, ValidationStatus: status, ValidationMethod: 'EMAIL',
          ValidationEmails: ['admin', 'administrator', 'hostmaster', 'postmaster', 'webmaster'].map((box) => `${box}@${domain}`),
        };
      }
      return { DomainName: name, ValidationDomain: name, ValidationStatus: status, ValidationMethod: 'DNS', ResourceRecord: validationRecord(rec.account, name) };
    });
  }

  #start(rec: CertificateRecord): void {
    if (this.#jobs.has(rec.id)) return;
    const job: Job = { finished: false };
    this.#jobs.set(rec.id, job);
    void (async () => {
      try {
        const ca = await this.#ca();
        const issued = await ca.issue(rec.subjectAlternativeNames, ISSUED_VALIDITY_DAYS);
        job.issued = { certificatePem: issued.certPem, privateKeyPem: issued.keyPem, chainPem: ca.certPem };
      } catch (err) {
        job.error = err instanceof Error ? err.message : String(err);
        this.#log(`acm: issuing ${rec.arn} failed: ${job.error}`);
      }
      job.finished = true;
      if (this.#write) {
        await this.#write((ctx) => this.settle(ctx)).catch((err: unknown) => this.#log(`acm: writing ${rec.arn} failed: ${String(err)}`));
      }
    })();
  }
}

/**
 * The CNAME ACM asks for to validate a name (API Reference, ResourceRecord; User Guide "DNS
 * validation"): `_<hash>.<domain>.` -> `_<hash>.acm-validations.aws.`. ACM gives the same record
 * for a domain in one account, and for `*.domain` the record of `domain`; so are these derived.
 */
export function validationRecord(account: string, name: string): { Name: string; Type: 'CNAME'; Value: string } {
  const domain = baseName(name);
  const hash = (what: string) => createHash('sha256').update(`${what}/${account}/${domain}`).digest('hex').slice(0, 32);
  return { Name: `_${hash('name')}.${domain}.`, Type: 'CNAME', Value: `_${hash('value')}.acm-validations.aws.` };
}
