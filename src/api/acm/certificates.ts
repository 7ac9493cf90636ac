// The ACM operations Trellis serves: import, request, describe, get, list, delete and tag
// certificates. Inputs arrive as parsed JSON (checked here with ./input.ts); outputs are the SDK's
// response shapes (Dates become epoch seconds in service.ts).
//
// AWS facts (API Reference of each operation; the model's constraints and error lists):
// - ARNs are 20-2048 characters matching `arn:…:acm:…:<digits>:…`, else ValidationException; one that
//   matches but names no certificate (`…:certificate/<uuid>`) is InvalidArnException; a certificate
//   that does not exist, or belongs to another account, is ResourceNotFoundException.
// - Tags: at most 50 per certificate (TooManyTagsException); keys 1-128 and values 0-256 characters
//   of letters, digits, white space and _ . : / = + - @; `aws:` keys are reserved
//   (InvalidTagException). Tags cannot be given when reimporting a certificate.
// - ImportCertificate with CertificateArn replaces an imported certificate in place (same ARN).
// - DeleteCertificate of a certificate in use is ResourceInUseException. In use means: a Lattice
//   service of the same account names it as its certificateArn (InUseBy lists those services).
// - GetCertificate of a certificate not yet issued is RequestInProgressException.
// - ListCertificates by default returns only RSA_1024 and RSA_2048 certificates that have a domain
//   name (Filters.keyTypes); other key types must be asked for. Certificates issued by the Trellis
//   CA are EC_prime256v1, so list them with Includes: { keyTypes: ['EC_prime256v1'] }.
// - RequestCertificate: ValidationMethod defaults to EMAIL; KeyAlgorithm is RSA_2048 (the default),
//   EC_prime256v1 or EC_secp384r1, though the Trellis CA issues EC_prime256v1 whatever is asked;
//   an IdempotencyToken reused within one hour returns the same certificate; at most 10 names per
//   certificate (the default quota, LimitExceededException); the domain name (the CN) is at most 64
//   characters. Issuance and validation: ./issuance.ts.
// - Quota: 2500 certificates per account and region (LimitExceededException).
import { randomUUID } from 'node:crypto';
import type {
  CertificateDetail, CertificateSummary, DescribeCertificateResponse, GetCertificateResponse, ImportCertificateResponse,
  KeyAlgorithm, ListCertificatesResponse, ListTagsForCertificateResponse, RequestCertificateResponse, Tag, ValidationMethod,
} from '@aws-sdk/client-acm';
import type { Ctx } from '../lattice/context.ts';
import { SVC, type ServiceRecord } from '../lattice/services.ts';
import { ApiError } from '../../core/errors.ts';
import {
  checkString, optionalBlob, optionalInteger, optionalList, optionalObject, optionalString, requiredBlob, requiredString, stringItem,
  type Input, type StringRule,
} from './input.ts';
import { ACM, certificateArn, shownStatus, type CertificateRecord } from './record.ts';
import type { Issuance } from './issuance.ts';
import { checkImport } from './x509.ts';

export const MAX_CERTIFICATES = 2500;
export const MAX_NAMES_PER_CERTIFICATE = 10;
export const MAX_TAGS = 50;
const IDEMPOTENCY_WINDOW_MS = 3600_000;
const LIST_DEFAULT_KEY_TYPES: KeyAlgorithm[] = ['RSA_1024', 'RSA_2048'];
const KEY_ALGORITHMS = ['RSA_1024', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1'] as const;
/** RequestCertificate accepts these; the others are for imported certificates only. */
const REQUEST_KEY_ALGORITHMS: readonly string[] = ['RSA_2048', 'EC_prime256v1', 'EC_secp384r1'];
const STATUSES = ['PENDING_VALIDATION', 'ISSUED', 'INACTIVE', 'EXPIRED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'FAILED'] as const;

const ARN_RULE: StringRule = { min: 20, max: 2048, pattern: /^arn:[\w+=/,.@-]+:acm:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(\/[\w+=,.@-]+)*$/ };
const ANY_ARN_RULE: StringRule = { min: 20, max: 2048, pattern: /^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:[\w+=/,.@-]*:[0-9]+:[\w+=,.@-]+(\/[\w+=,.@-]+)*$/ };
const CERTIFICATE_ARN = /^arn:[\w-]+:acm:[a-z0-9-]+:\d{12}:certificate\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;
const DOMAIN_RULE: StringRule = { min: 1, max: 253, pattern: /^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$/ };
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const acmError = (code: string, message: string) => new ApiError(code, 400, message);

export type Operation = (ctx: Ctx, input: Input) => object;

export function certificateOperations(issuance: Issuance): Record<string, Operation> {
  /** The caller's certificate an ARN names, brought up to date. */
  const find = (ctx: Ctx, arn: string): CertificateRecord => {
    const m = CERTIFICATE_ARN.exec(arn);
    if (!m) throw acmError('InvalidArnException', `${arn} is not a valid certificate ARN.`);
    const rec = ctx.get<CertificateRecord>(ACM, m[1]);
    if (!rec || rec.account !== ctx.account || rec.arn !== arn) throw acmError('ResourceNotFoundException', `Could not find certificate ${arn}.`);
    return issuance.refresh(ctx, rec);
  };
  const arnOf = (input: Input) => requiredString(input, 'CertificateArn', ARN_RULE);

  const detail = (ctx: Ctx, rec: CertificateRecord): CertificateDetail => {
    const inUseBy = usersOf(ctx, rec.arn);
    const date = (iso: string | undefined) => (iso !== undefined ? new Date(iso) : undefined);
    return {
      CertificateArn: rec.arn,
      DomainName: rec.domainName,
      SubjectAlternativeNames: rec.subjectAlternativeNames,
      ...(rec.type === 'AMAZON_ISSUED' ? { DomainValidationOptions: issuance.validationOptions(ctx, rec) } : {}),
      Serial: rec.serial,
      Subject: rec.subject,
      Issuer: rec.issuer,
      CreatedAt: date(rec.createdAt),
      IssuedAt: date(rec.issuedAt),
      ImportedAt: date(rec.importedAt),
      Status: shownStatus(rec, ctx.now),
      NotBefore: date(rec.notBefore),
      NotAfter: date(rec.notAfter),
      KeyAlgorithm: rec.keyAlgorithm,
      SignatureAlgorithm: rec.signatureAlgorithm,
      InUseBy: inUseBy,
      ...(rec.failureReason ? { FailureReason: rec.failureReason } : {}),
      Type: rec.type,
      KeyUsages: (rec.keyUsages ?? []).map((Name) => ({ Name })),
      ExtendedKeyUsages: (rec.extendedKeyUsages ?? []).map((u) => ({ Name: u.name, OID: u.oid })),
      // ACM renews the certificates it issued that are in use; imported ones never.
      RenewalEligibility: rec.type === 'AMAZON_ISSUED' && inUseBy.length > 0 ? 'ELIGIBLE' : 'INELIGIBLE',
      ...(rec.type === 'AMAZON_ISSUED'
        ? { Options: { CertificateTransparencyLoggingPreference: rec.transparencyLogging ?? 'ENABLED', Export: rec.exportOption ?? 'DISABLED' } }
        : {}),
    };
  };

  return {
    ImportCertificate(ctx, input): ImportCertificateResponse {
      const arn = optionalString(input, 'CertificateArn', ARN_RULE);
      const certificate = requiredBlob(input, 'Certificate', { min: 1, max: 32768 });
      const privateKey = requiredBlob(input, 'PrivateKey', { min: 1, max: 5120 });
      const chain = optionalBlob(input, 'CertificateChain', { min: 1, max: 2097152 });
      const tags = readTags(input);
      const existing = arn !== undefined ? find(ctx, arn) : undefined;
      if (existing && existing.type !== 'IMPORTED') throw acmError('InvalidParameterException', `${existing.arn} was not imported; only imported certificates can be reimported.`);
      if (existing && tags) throw acmError('InvalidParameterException', 'Tags cannot be applied when reimporting a certificate.');
      const tagMap = tags ? mergeTags({}, tags) : undefined;
      if (!existing) checkQuota(ctx);
      const material = checkImport(certificate, privateKey, chain, ctx.now);
      const id = existing?.id ?? randomUUID();
      const rec: CertificateRecord = {
        id, arn: existing?.arn ?? certificateArn(ctx.region, ctx.account, id), account: ctx.account,
        type: 'IMPORTED', status: 'ISSUED', ...material.facts,
        certificatePem: material.certificatePem, privateKeyPem: material.privateKeyPem,
        ...(material.chainPem !== undefined ? { chainPem: material.chainPem } : {}),
        createdAt: existing?.createdAt ?? ctx.timestamp, importedAt: ctx.timestamp,
        ...(existing ? (existing.tags ? { tags: existing.tags } : {}) : tagMap ? { tags: tagMap } : {}),
      };
      ctx.put(ACM, id, rec);
      return { CertificateArn: rec.arn };
    },

    RequestCertificate(ctx, input): RequestCertificateResponse {
      const domainName = requiredString(input, 'DomainName', DOMAIN_RULE);
      const sans = optionalList(input, 'SubjectAlternativeNames', { min: 1, max: 100 }, stringItem(DOMAIN_RULE)) ?? [];
      const method = (optionalString(input, 'ValidationMethod', { values: ['EMAIL', 'DNS', 'HTTP'] }) ?? 'EMAIL') as ValidationMethod;
      const token = optionalString(input, 'IdempotencyToken', { min: 1, max: 32, pattern: /^\w+$/ });
      const dvo = optionalList(input, 'DomainValidationOptions', { min: 1, max: 100 }, (v, path) => {
        const o = asObject(v, path);
        return { name: checked(o.DomainName, `${path}.domainName`, DOMAIN_RULE), domain: checked(o.ValidationDomain, `${path}.validationDomain`, DOMAIN_RULE) };
      });
      const options = optionalObject(input, 'Options');
      const logging = options && optionalString(options, 'CertificateTransparencyLoggingPreference', { values: ['ENABLED', 'DISABLED'] });
      const exportOption = options && optionalString(options, 'Export', { values: ['ENABLED', 'DISABLED'] });
      const caArn = optionalString(input, 'CertificateAuthorityArn', ANY_ARN_RULE);
      const keyAlgorithm = optionalString(input, 'KeyAlgorithm', { values: KEY_ALGORITHMS }) ?? 'RSA_2048';
      const managedBy = optionalString(input, 'ManagedBy', { values: ['CLOUDFRONT'] });
      const tags = readTags(input);

      if (caArn !== undefined) throw acmError('InvalidParameterException', 'Trellis has no AWS Private CA; omit CertificateAuthorityArn and the Trellis CA issues the certificate.');
      if (managedBy !== undefined || method === 'HTTP') throw acmError('InvalidParameterException', 'Trellis has no CloudFront: ManagedBy and HTTP validation are not available.');
      if (!REQUEST_KEY_ALGORITHMS.includes(keyAlgorithm)) throw acmError('InvalidParameterException', `KeyAlgorithm ${keyAlgorithm} is available for imported certificates only; request RSA_2048, EC_prime256v1 or EC_secp384r1.`);
      if (domainName.length > 64) throw acmError('InvalidParameterException', `The domain name ${domainName} is longer than 64 characters, the limit of a Common Name (RFC 5280); give longer names as SubjectAlternativeNames.`);
      const names: string[] = [];
      for (const n of [domainName, ...sans]) if (!names.some((m) => m.toLowerCase() === n.toLowerCase())) names.push(n);
      if (names.length > MAX_NAMES_PER_CERTIFICATE) throw acmError('LimitExceededException', `A certificate can have at most ${MAX_NAMES_PER_CERTIFICATE} domain names; this request has ${names.length}.`);
      const validationDomains: Record<string, string> = {};
      for (const { name, domain } of dvo ?? []) {
        const own = names.find((n) => n.toLowerCase() === name.toLowerCase());
        const base = (own ?? '').replace(/^\*\./, '').toLowerCase();
        if (!own || !(base === domain.toLowerCase() || base.endsWith('.' + domain.toLowerCase()))) {
          throw acmError('InvalidDomainValidationOptionsException', `DomainValidationOptions for ${name}: the name must be one of the certificate's names and ${domain} that name or a parent domain of it.`);
        }
        validationDomains[own] = domain;
      }
      const tagMap = tags ? mergeTags({}, tags) : undefined;

      if (token !== undefined) {
        for (const prior of ctx.owned<CertificateRecord>(ACM)) {
          if (prior.idempotencyToken === token && ctx.now.getTime() - Date.parse(prior.createdAt) < IDEMPOTENCY_WINDOW_MS) return { CertificateArn: prior.arn };
        }
      }
      checkQuota(ctx);
      const id = randomUUID();
      const rec: CertificateRecord = {
        id, arn: certificateArn(ctx.region, ctx.account, id), account: ctx.account, type: 'AMAZON_ISSUED', status: 'PENDING_VALIDATION',
        domainName, subjectAlternativeNames: names,
        // The Trellis CA (src/dataplane/tls/ca.ts) makes P-256 keys only: that is what the
        // certificate will have, whatever KeyAlgorithm asked for.
        keyAlgorithm: 'EC_prime256v1',
        createdAt: ctx.timestamp, validationMethod: method,
        ...(Object.keys(validationDomains).length > 0 ? { validationDomains } : {}),
        ...(token !== undefined ? { idempotencyToken: token } : {}),
        ...(logging ? { transparencyLogging: logging as 'ENABLED' | 'DISABLED' } : {}),
        ...(exportOption ? { exportOption: exportOption as 'ENABLED' | 'DISABLED' } : {}),
        ...(tagMap ? { tags: tagMap } : {}),
      };
      ctx.put(ACM, id, rec);
      issuance.refresh(ctx, rec);
      return { CertificateArn: rec.arn };
    },

    DescribeCertificate(ctx, input): DescribeCertificateResponse {
      return { Certificate: detail(ctx, find(ctx, arnOf(input))) };
    },

    GetCertificate(ctx, input): GetCertificateResponse {
      const rec = find(ctx, arnOf(input));
      const status = shownStatus(rec, ctx.now);
      if (!rec.certificatePem || (status !== 'ISSUED' && status !== 'EXPIRED')) {
        throw acmError('RequestInProgressException', `Certificate ${rec.arn} is not yet issued (status ${status}).`);
      }
      return { Certificate: rec.certificatePem, ...(rec.chainPem ? { CertificateChain: rec.chainPem } : {}) };
    },

    ListCertificates(ctx, input): ListCertificatesResponse {
      const statuses = optionalList(input, 'CertificateStatuses', {}, stringItem({ values: STATUSES }));
      const includes = optionalObject(input, 'Includes') ?? {};
      const keyTypes = optionalList(includes, 'keyTypes', {}, stringItem({ values: KEY_ALGORITHMS }));
      const keyUsage = optionalList(includes, 'keyUsage', {}, stringItem({}));
      const extendedKeyUsage = optionalList(includes, 'extendedKeyUsage', {}, stringItem({}));
      const managedBy = optionalString(includes, 'managedBy', { values: ['CLOUDFRONT'] });
      const exportOption = optionalString(includes, 'exportOption', { values: ['ENABLED', 'DISABLED'] });
      const max = optionalInteger(input, 'MaxItems', 1, 1000) ?? 1000;
      const token = optionalString(input, 'NextToken', { min: 1, max: 10000 });
      optionalString(input, 'SortBy', { values: ['CREATED_AT'] }); // checked; the one order below is by creation
      const order = optionalString(input, 'SortOrder', { values: ['ASCENDING', 'DESCENDING'] });
      // CertificateKeyPairOrigins is not read: every Trellis certificate's key is the one imported
      // or the one the Trellis CA made, and the API Reference does not say how those map.

      const types: readonly string[] = keyTypes ?? LIST_DEFAULT_KEY_TYPES;
      const matches = (rec: CertificateRecord) =>
        (!statuses || statuses.includes(shownStatus(rec, ctx.now))) &&
        types.includes(rec.keyAlgorithm) && (keyTypes !== undefined || rec.domainName !== '') &&
        (!keyUsage || keyUsage.includes('ANY') || (rec.keyUsages ?? []).some((u) => keyUsage.includes(u))) &&
        (!extendedKeyUsage || extendedKeyUsage.includes('ANY') || (extendedKeyUsage.includes('NONE') && !(rec.extendedKeyUsages ?? []).length) ||
          (rec.extendedKeyUsages ?? []).some((u) => extendedKeyUsage.includes(u.name))) &&
        managedBy === undefined &&
        (!exportOption || (rec.exportOption ?? 'DISABLED') === exportOption);

      // One order for every page, creation time then id (SortBy's only key is CREATED_AT), so that
      // a token (the last item's place in it) stays good when certificates come and go.
      const sign = order === 'DESCENDING' ? -1 : 1;
      const before = (a: Place, b: Place) => sign * (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      let all = [...ctx.owned<CertificateRecord>(ACM)].map((r) => issuance.refresh(ctx, r)).filter(matches).sort(before);
      if (token !== undefined) {
        const after = decodeToken(token);
        if (after === undefined) throw acmError('InvalidArgsException', 'The NextToken is not valid.');
        all = all.filter((r) => before(after, r) < 0);
      }
      const used = new Set<string>();
      for (const svc of ctx.owned<ServiceRecord>(SVC)) if (svc.certificateArn) used.add(svc.certificateArn);
      const page = all.slice(0, max);
      return {
        CertificateSummaryList: page.map((rec) => summary(rec, used.has(rec.arn), ctx.now)),
        ...(all.length > max ? { NextToken: encodeToken(page[page.length - 1]) } : {}),
      };
    },

    DeleteCertificate(ctx, input) {
      const rec = find(ctx, arnOf(input));
      const users = usersOf(ctx, rec.arn);
      if (users.length > 0) throw acmError('ResourceInUseException', `Certificate ${rec.arn} in account ${rec.account} is in use by ${users.join(', ')}.`);
      ctx.del(ACM, rec.id);
      return {};
    },

    AddTagsToCertificate(ctx, input) {
      const arn = arnOf(input);
      const tags = readTags(input, true)!;
      const rec = find(ctx, arn);
      ctx.put(ACM, rec.id, { ...rec, tags: mergeTags(rec.tags ?? {}, tags) });
      return {};
    },

    RemoveTagsFromCertificate(ctx, input) {
      const arn = arnOf(input);
      const tags = readTags(input, true)!;
      const rec = find(ctx, arn);
      // API Reference: a tag given without a value is removed whatever its value; with one, only
      // when the values match.
      const left = { ...(rec.tags ?? {}) };
      for (const [key, value] of tags) if (key in left && (value === null || left[key] === value)) delete left[key];
      const { tags: _old, ...rest } = rec;
      ctx.put(ACM, rec.id, Object.keys(left).length > 0 ? { ...rest, tags: left } : rest);
      return {};
    },

    ListTagsForCertificate(ctx, input): ListTagsForCertificateResponse {
      const rec = find(ctx, arnOf(input));
      const tags: Tag[] = Object.entries(rec.tags ?? {}).map(([Key, Value]) => (Value === null ? { Key } : { Key, Value }));
      return tags.length > 0 ? { Tags: tags } : {};
    },
  };
}

function summary(rec: CertificateRecord, inUse: boolean, now: Date): CertificateSummary {
  const date = (iso: string | undefined) => (iso !== undefined ? new Date(iso) : undefined);
  return {
    CertificateArn: rec.arn,
    DomainName: rec.domainName,
    // API Reference, CertificateSummary: at most 100 names; HasAdditionalSubjectAlternativeNames says there are more.
    SubjectAlternativeNameSummaries: rec.subjectAlternativeNames.slice(0, 100),
    HasAdditionalSubjectAlternativeNames: rec.subjectAlternativeNames.length > 100,
    Status: shownStatus(rec, now),
    Type: rec.type,
    KeyAlgorithm: rec.keyAlgorithm,
    KeyUsages: rec.keyUsages ?? [],
    ExtendedKeyUsages: (rec.extendedKeyUsages ?? []).map((u) => u.name),
    InUse: inUse,
    RenewalEligibility: rec.type === 'AMAZON_ISSUED' && inUse ? 'ELIGIBLE' : 'INELIGIBLE',
    NotBefore: date(rec.notBefore),
    NotAfter: date(rec.notAfter),
    CreatedAt: date(rec.createdAt),
    IssuedAt: date(rec.issuedAt),
    ImportedAt: date(rec.importedAt),
    ...(rec.type === 'AMAZON_ISSUED' ? { ExportOption: rec.exportOption ?? 'DISABLED' } : {}),
  };
}

/**
 * ARNs of the caller's Lattice services that serve this certificate. Only the owner's services
 * count: an ACM certificate serves resources of its own account, and another account naming the
 * ARN must not keep the owner from deleting it.
 */
function usersOf(ctx: Ctx, arn: string): string[] {
  const out: string[] = [];
  for (const svc of ctx.owned<ServiceRecord>(SVC)) if (svc.certificateArn === arn) out.push(svc.arn);
  return out;
}

function checkQuota(ctx: Ctx): void {
  let count = 0;
  for (const _ of ctx.owned(ACM)) count++;
  if (count >= MAX_CERTIFICATES) throw acmError('LimitExceededException', `The account has reached its quota of ${MAX_CERTIFICATES} certificates.`);
}

/** Tags of a request as [key, value or null], checked; `required` for the Tags-only operations. */
function readTags(input: Input, required = false): [string, string | null][] | undefined {
  const tags = optionalList(input, 'Tags', { min: 1, max: MAX_TAGS }, (v, path): [string, string | null] => {
    const o = asObject(v, path);
    const key = checked(o.Key, `${path}.key`, { min: 1, max: 128, pattern: TAG_CHARS });
    const value = o.Value === undefined || o.Value === null ? null : checked(o.Value, `${path}.value`, { min: 0, max: 256, pattern: TAG_CHARS });
    return [key, value];
  });
  if (tags === undefined && required) throw new ApiError('ValidationException', 400, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
  for (const [key] of tags ?? []) {
    if (key.toLowerCase().startsWith('aws:')) throw acmError('InvalidTagException', `Invalid Tag Key: "${key}". AWS internal tags cannot be changed with this API.`);
  }
  return tags;
}

function mergeTags(existing: Record<string, string | null>, tags: [string, string | null][]): Record<string, string | null> {
  const merged = { ...existing };
  for (const [key, value] of tags) merged[key] = value;
  if (Object.keys(merged).length > MAX_TAGS) throw acmError('TooManyTagsException', `A certificate can have at most ${MAX_TAGS} tags; this request would give it ${Object.keys(merged).length}.`);
  return merged;
}

function asObject(v: unknown, path: string): Input {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError('SerializationException', 400, `Unexpected value type for ${path}.`);
  return v as Input;
}

function checked(v: unknown, path: string, rule: StringRule): string {
  if (v === undefined || v === null) throw new ApiError('ValidationException', 400, `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`);
  if (typeof v !== 'string') throw new ApiError('SerializationException', 400, `Unexpected value type for ${path}.`);
  checkString(v, path, rule);
  return v;
}

interface Place { createdAt: string; id: string }
const TOKEN_PREFIX = 'acm1:';
const encodeToken = (p: Place) => Buffer.from(TOKEN_PREFIX + JSON.stringify([p.createdAt, p.id])).toString('base64url');
function decodeToken(token: string): Place | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(TOKEN_PREFIX)) return undefined;
  try {
    const [createdAt, id] = JSON.parse(text.slice(TOKEN_PREFIX.length)) as unknown[];
    return typeof createdAt === 'string' && typeof id === 'string' ? { createdAt, id } : undefined;
  } catch {
    return undefined;
  }
}
