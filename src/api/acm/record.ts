// A certificate as Trellis stores it (table `acm`, keyed by the UUID at the end of its ARN), and
// what other parts read from it: the Lattice side finds a service's `certificateArn` through the
// View's ARN index (`view.keyOfArn(arn)` -> `acm/<uuid>`) and serves `servingMaterial(rec)`.
import type { CertificateStatus, FailureReason, KeyAlgorithm, ValidationMethod } from '@aws-sdk/client-acm';
import type { CertificateFacts } from './x509.ts';

export const ACM = 'acm';

/**
 * Type: IMPORTED for ImportCertificate; AMAZON_ISSUED for RequestCertificate, which the Trellis CA
 * issues. AMAZON_ISSUED rather than PRIVATE because the flow is ACM's public one: no
 * CertificateAuthorityArn, domain validation first (DomainValidationOptions "exists only when the
 * certificate type is AMAZON_ISSUED"), then issuance; PRIVATE certificates come from an AWS Private
 * CA named by ARN and skip validation. Clients trust the Trellis CA, as they would a private one.
 */
export type CertificateType = 'IMPORTED' | 'AMAZON_ISSUED';

export interface CertificateRecord extends Partial<CertificateFacts> {
  id: string;
  arn: string;
  account: string;
  type: CertificateType;
  /**
   * PENDING_VALIDATION, ISSUED, FAILED or VALIDATION_TIMED_OUT as stored; an ISSUED certificate
   * past its NotAfter is shown as EXPIRED (`shownStatus`) without a write.
   */
  status: CertificateStatus;
  domainName: string;
  /** All names, the domain name first (DescribeCertificate's SubjectAlternativeNames). */
  subjectAlternativeNames: string[];
  keyAlgorithm: KeyAlgorithm;
  createdAt: string;
  importedAt?: string;
  issuedAt?: string;
  /** ACM tags; a tag may have no value (null). */
  tags?: Record<string, string | null>;
  /** PEM of the certificate, its chain (issuers, leaf excluded) and PKCS#8 key, once imported or issued. */
  certificatePem?: string;
  chainPem?: string;
  privateKeyPem?: string;
  // Requested certificates only:
  validationMethod?: ValidationMethod;
  /** EMAIL validation: the domain validation emails go to, by certificate name (default: the name). */
  validationDomains?: Record<string, string>;
  idempotencyToken?: string;
  transparencyLogging?: 'ENABLED' | 'DISABLED';
  exportOption?: 'ENABLED' | 'DISABLED';
  failureReason?: FailureReason;
  /** The store revision that last wrote this record (set by the View, never stored). */
  revision?: number;
}

export const certificateArn = (region: string, account: string, id: string) => `arn:aws:acm:${region}:${account}:certificate/${id}`;

/** The record's status as the API shows it at `now`. */
export function shownStatus(rec: CertificateRecord, now: Date): CertificateStatus {
  if (rec.status === 'ISSUED' && rec.notAfter !== undefined && Date.parse(rec.notAfter) <= now.getTime()) return 'EXPIRED';
  return rec.status;
}

/**
 * What a TLS listener serves for a certificate: present while it is issued (or imported) and not
 * expired. `certPem` is the leaf followed by its chain.
 */
export function servingMaterial(rec: CertificateRecord | undefined, now = new Date()): { certPem: string; keyPem: string } | undefined {
  if (!rec || shownStatus(rec, now) !== 'ISSUED' || !rec.certificatePem || !rec.privateKeyPem) return undefined;
  return { certPem: rec.certificatePem + (rec.chainPem ?? ''), keyPem: rec.privateKeyPem };
}

/** The certificate an ARN names, from anything that reads the store by table and ARN (View, Ctx.state). */
export function certificateByArn(state: { keyOfArn(arn: string): string | undefined; get<T>(table: string, id: string): T | undefined }, arn: string): CertificateRecord | undefined {
  const key = state.keyOfArn(arn);
  if (!key?.startsWith(ACM + '/')) return undefined;
  return state.get<CertificateRecord>(ACM, key.slice(ACM.length + 1));
}
