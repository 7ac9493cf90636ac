// ACM over its JSON protocol, driven by the official @aws-sdk/client-acm against a real Trellis:
// import (with certificates from a real CA), request (issued by the Trellis CA for verified
// domains), describe, get, list, delete, tags, errors, account isolation, and use by Lattice services.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMClient, AddTagsToCertificateCommand, DeleteCertificateCommand, DescribeCertificateCommand, GetCertificateCommand,
  ImportCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand, RemoveTagsFromCertificateCommand,
  RequestCertificateCommand, paginateListCertificates,
  InvalidArgsException, InvalidArnException, InvalidDomainValidationOptionsException, InvalidParameterException, InvalidTagException,
  LimitExceededException, RequestInProgressException, ResourceInUseException, ResourceNotFoundException, TooManyTagsException,
  ValidationException, type CertificateDetail,
} from '@aws-sdk/client-acm';
import { CreateServiceCommand, DeleteServiceCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View } from '../../src/store/view.ts';
import type { Json, Write } from '../../src/store/store.ts';
import { Ctx } from '../../src/api/lattice/context.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';
import { createAcmService, certificateByArn, servingMaterial, type CertificateRecord } from '../../src/api/acm/service.ts';
import { sign } from '../../src/iam/sigv4.ts';

const REGION = 'us-east-1';
const ACCT = '111122223333';
const OTHER = '444455556666';

/** Domain verifications as a DNS checker would leave them: VERIFIED for some domains. */
function dv(id: string, account: string, domainName: string, status: string): Write {
  const now = new Date().toISOString();
  const arn = `arn:aws:vpc-lattice:${REGION}:${account}:domainverification/${id}`;
  return { key: `dv/${id}`, value: { id, arn, account, createdAt: now, lastUpdatedAt: now, domainName, status, txtMethodConfig: { name: `_v.${domainName}`, value: 'x' } } };
}

/** A requested certificate as the store keeps it, `ageMs` old and waiting for validation. */
const LATE = '0000000a-0000-4000-8000-000000000001';
const LOST = '0000000a-0000-4000-8000-000000000002';
function pendingRequest(id: string, domainName: string, ageMs: number): Write {
  const rec: CertificateRecord = {
    id, arn: `arn:aws:acm:${REGION}:${ACCT}:certificate/${id}`, account: ACCT, type: 'AMAZON_ISSUED', status: 'PENDING_VALIDATION',
    domainName, subjectAlternativeNames: [domainName], keyAlgorithm: 'EC_prime256v1', createdAt: new Date(Date.now() - ageMs).toISOString(), validationMethod: 'DNS',
  };
  return { key: `acm/${id}`, value: JSON.parse(JSON.stringify(rec)) as Json };
}

let h: Harness;
let dataDir: string;
let ca: LocalCa;
let acm: ACMClient;
let otherAcm: ACMClient;
const clients: ACMClient[] = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-acm-'));
  const store = new SqliteStore(join(dataDir, 'trellis.db'));
  await store.commit([
    dv('dv-00000000000000a01', ACCT, 'verified.example', 'VERIFIED'),
    dv('dv-00000000000000a02', ACCT, 'pending.example', 'PENDING'),
    dv('dv-00000000000000b01', OTHER, 'other.example', 'VERIFIED'),
    pendingRequest(LATE, 'late.unverified.example', 73 * 3600_000),
    pendingRequest(LOST, 'lost.verified.example', 60_000),
  ]).finally(() => store.close());
  h = await startHarness({ dataDir, accountId: ACCT });
  ca = await LocalCa.open(dataDir);
  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
    const c = new ACMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  acm = client({ accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey });
  const other = await h.newAccount(OTHER);
  otherAcm = client(await other.client.config.credentials());
});
after(async () => {
  for (const c of clients) c.destroy();
  await h.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function rejectsWith<E extends Error>(cls: new (...args: never[]) => E, check: (e: E) => void = () => {}) {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    check(err);
    return true;
  };
}

const pem = (text: string) => Buffer.from(text);
async function importNew(names: string[], tags?: { Key: string; Value?: string }[], client = acm) {
  const issued = await ca.issue(names);
  const out = await client.send(new ImportCertificateCommand({ Certificate: pem(issued.certPem), PrivateKey: pem(issued.keyPem), CertificateChain: pem(ca.certPem), Tags: tags }));
  return { arn: out.CertificateArn!, issued };
}
const describe = async (arn: string, client = acm) => (await client.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!;
const EC = { keyTypes: ['EC_prime256v1' as const] };

test('ImportCertificate stores a certificate that DescribeCertificate and GetCertificate show as ACM does', async () => {
  const { arn, issued } = await importNew(['app.example.com', 'www.app.example.com'], [{ Key: 'team', Value: 'web' }]);
  assert.match(arn, new RegExp(`^arn:aws:acm:${REGION}:${ACCT}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
  const leaf = new X509Certificate(issued.certPem);

  const d = await describe(arn);
  assert.equal(d.CertificateArn, arn);
  assert.equal(d.DomainName, 'app.example.com');
  assert.deepEqual(d.SubjectAlternativeNames, ['app.example.com', 'www.app.example.com']);
  assert.equal(d.Serial, leaf.serialNumber.toLowerCase().match(/../g)!.join(':'));
  assert.equal(d.Subject, 'O=Trellis,CN=app.example.com');
  assert.equal(d.Issuer, 'Trellis');
  assert.equal(d.Status, 'ISSUED');
  assert.equal(d.Type, 'IMPORTED');
  assert.equal(d.KeyAlgorithm, 'EC_prime256v1');
  assert.equal(d.SignatureAlgorithm, 'SHA256WITHECDSA');
  assert.ok(d.NotBefore instanceof Date && d.NotAfter instanceof Date && d.ImportedAt instanceof Date);
  assert.equal(d.NotBefore.getTime(), leaf.validFromDate.getTime());
  assert.equal(d.NotAfter.getTime(), leaf.validToDate.getTime());
  assert.deepEqual(d.InUseBy, []);
  assert.deepEqual(d.KeyUsages, [{ Name: 'DIGITAL_SIGNATURE' }]);
  assert.deepEqual(d.ExtendedKeyUsages, [{ Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' }]);
  assert.equal(d.DomainValidationOptions, undefined);
  assert.equal(d.RenewalEligibility, 'INELIGIBLE');

  const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
  assert.equal(new X509Certificate(got.Certificate!).fingerprint256, leaf.fingerprint256);
  assert.equal(new X509Certificate(got.CertificateChain!).fingerprint256, new X509Certificate(ca.certPem).fingerprint256);
  assert.deepEqual((await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags, [{ Key: 'team', Value: 'web' }]);
});

test('reimporting with CertificateArn replaces the certificate in place and keeps its tags', async () => {
  const { arn, issued } = await importNew(['re.example.com'], [{ Key: 'keep', Value: 'me' }]);
  const next = await ca.issue(['re.example.com', 'alt.re.example.com']);
  const out = await acm.send(new ImportCertificateCommand({ CertificateArn: arn, Certificate: pem(next.certPem), PrivateKey: pem(next.keyPem), CertificateChain: pem(ca.certPem) }));
  assert.equal(out.CertificateArn, arn);
  const d = await describe(arn);
  assert.deepEqual(d.SubjectAlternativeNames, ['re.example.com', 'alt.re.example.com']);
  assert.notEqual(d.Serial, new X509Certificate(issued.certPem).serialNumber);
  assert.deepEqual((await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags, [{ Key: 'keep', Value: 'me' }]);

  await assert.rejects(acm.send(new ImportCertificateCommand({ CertificateArn: arn, Certificate: pem(next.certPem), PrivateKey: pem(next.keyPem), CertificateChain: pem(ca.certPem), Tags: [{ Key: 'k', Value: 'v' }] })), rejectsWith(InvalidParameterException));
  const unknown = `arn:aws:acm:${REGION}:${ACCT}:certificate/00000000-0000-0000-0000-000000000000`;
  await assert.rejects(acm.send(new ImportCertificateCommand({ CertificateArn: unknown, Certificate: pem(next.certPem), PrivateKey: pem(next.keyPem), CertificateChain: pem(ca.certPem) })), rejectsWith(ResourceNotFoundException));
});

test('ImportCertificate refuses a mismatched key, an expired certificate, a missing or wrong chain and non-PEM material', async () => {
  const a = await ca.issue(['a.bad.example.com']);
  const b = await ca.issue(['b.bad.example.com']);
  const chain = pem(ca.certPem);
  const importing = (Certificate: string, PrivateKey: string, CertificateChain?: string) =>
    acm.send(new ImportCertificateCommand({ Certificate: pem(Certificate), PrivateKey: pem(PrivateKey), CertificateChain: CertificateChain !== undefined ? pem(CertificateChain) : undefined }));
  const invalid = (pattern: RegExp) => rejectsWith(ValidationException, (e) => assert.match(e.message, pattern));

  await assert.rejects(importing(a.certPem, b.keyPem, ca.certPem), invalid(/does not match/));
  const expired = await ca.issue(['old.bad.example.com'], 1 / 86_400_000);
  for (let i = 0; i < 200 && Date.now() <= expired.notAfter.getTime(); i++) await new Promise((r) => setTimeout(r, 10));
  await assert.rejects(importing(expired.certPem, expired.keyPem, ca.certPem), invalid(/expired/));
  await assert.rejects(importing(a.certPem, a.keyPem), invalid(/not a valid self signed/));
  const otherDir = mkdtempSync(join(tmpdir(), 'trellis-acm-ca-'));
  try {
    const otherCa = await LocalCa.open(otherDir);
    await assert.rejects(importing(a.certPem, a.keyPem, otherCa.certPem), invalid(/Could not validate the certificate with the certificate chain/));
  } finally {
    rmSync(otherDir, { recursive: true, force: true });
  }
  await assert.rejects(importing(a.certPem + b.certPem, a.keyPem, ca.certPem), invalid(/more than one certificate/));
  await assert.rejects(importing('not a certificate', a.keyPem, ca.certPem), invalid(/PEM format/));
  await assert.rejects(importing(a.certPem, 'not a key', ca.certPem), invalid(/private key/));
  await assert.rejects(acm.send(new ImportCertificateCommand({ Certificate: pem(a.certPem), PrivateKey: pem(a.keyPem), CertificateChain: chain, Tags: [{ Key: 'aws:reserved', Value: 'x' }] })), rejectsWith(InvalidTagException));
  const tooMany = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
  await assert.rejects(acm.send(new ImportCertificateCommand({ Certificate: pem(a.certPem), PrivateKey: pem(a.keyPem), CertificateChain: chain, Tags: tooMany })), rejectsWith(ValidationException));
});

test('certificate ARNs: malformed is ValidationException, not a certificate is InvalidArnException, unknown or another account\'s is ResourceNotFoundException', async () => {
  const { arn } = await importNew(['mine.example.com']);
  await assert.rejects(describe('not-an-arn'), rejectsWith(ValidationException, (e) => assert.match(e.message, /certificateArn/)));
  await assert.rejects(describe(`arn:aws:acm:${REGION}:${ACCT}:something/else`), rejectsWith(InvalidArnException));
  await assert.rejects(describe(`arn:aws:acm:${REGION}:${ACCT}:certificate/11111111-2222-3333-4444-555555555555`), rejectsWith(ResourceNotFoundException));
  // Another account sees nothing of it, by any operation.
  await assert.rejects(describe(arn, otherAcm), rejectsWith(ResourceNotFoundException));
  await assert.rejects(otherAcm.send(new GetCertificateCommand({ CertificateArn: arn })), rejectsWith(ResourceNotFoundException));
  await assert.rejects(otherAcm.send(new ListTagsForCertificateCommand({ CertificateArn: arn })), rejectsWith(ResourceNotFoundException));
  await assert.rejects(otherAcm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'x' }] })), rejectsWith(ResourceNotFoundException));
  await assert.rejects(otherAcm.send(new DeleteCertificateCommand({ CertificateArn: arn })), rejectsWith(ResourceNotFoundException));
  const theirs = await otherAcm.send(new ListCertificatesCommand({ Includes: EC }));
  assert.ok(!theirs.CertificateSummaryList!.some((c) => c.CertificateArn === arn));
  assert.equal((await describe(arn)).Status, 'ISSUED');
});

test('tags: add (replacing values), list, remove by key or by key and value; aws: keys and more than 50 are refused', async () => {
  const { arn } = await importNew(['tags.example.com']);
  const list = async () => (await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags;
  assert.equal(await list(), undefined);
  await acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }, { Key: 'flag' }] }));
  await acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'a', Value: 'one' }] }));
  assert.deepEqual(await list(), [{ Key: 'a', Value: 'one' }, { Key: 'b', Value: '2' }, { Key: 'flag' }]);
  await acm.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'a', Value: 'other' }, { Key: 'b' }] }));
  assert.deepEqual(await list(), [{ Key: 'a', Value: 'one' }, { Key: 'flag' }]);
  await acm.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'a', Value: 'one' }, { Key: 'flag' }] }));
  assert.equal(await list(), undefined);

  await assert.rejects(acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'aws:cloudformation:stack', Value: 'x' }] })), rejectsWith(InvalidTagException));
  await assert.rejects(acm.send(new RemoveTagsFromCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'AWS:x' }] })), rejectsWith(InvalidTagException));
  await acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: Array.from({ length: 40 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }));
  await assert.rejects(acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: Array.from({ length: 11 }, (_, i) => ({ Key: `n${i}`, Value: 'v' })) })), rejectsWith(TooManyTagsException));
  await assert.rejects(acm.send(new AddTagsToCertificateCommand({ CertificateArn: arn, Tags: [{ Key: 'bad{char}', Value: 'v' }] })), rejectsWith(ValidationException));
  assert.equal((await list())!.length, 40);
});

test('ListCertificates: RSA-only by default as ACM, key types and statuses filter, pages with MaxItems and NextToken', async () => {
  const { arn } = await importNew(['list.example.com']);
  const byDefault = await acm.send(new ListCertificatesCommand({}));
  assert.ok(!byDefault.CertificateSummaryList!.some((c) => c.CertificateArn === arn), 'EC certificates are not listed unless asked for');
  const ec = await acm.send(new ListCertificatesCommand({ Includes: EC }));
  const item = ec.CertificateSummaryList!.find((c) => c.CertificateArn === arn);
  assert.ok(item);
  assert.equal(item.DomainName, 'list.example.com');
  assert.deepEqual(item.SubjectAlternativeNameSummaries, ['list.example.com']);
  assert.equal(item.HasAdditionalSubjectAlternativeNames, false);
  assert.equal(item.Status, 'ISSUED');
  assert.equal(item.Type, 'IMPORTED');
  assert.equal(item.KeyAlgorithm, 'EC_prime256v1');
  assert.equal(item.InUse, false);
  assert.ok(item.NotAfter instanceof Date && item.ImportedAt instanceof Date);
  const pendingOnly = await acm.send(new ListCertificatesCommand({ Includes: EC, CertificateStatuses: ['PENDING_VALIDATION'] }));
  assert.ok(!pendingOnly.CertificateSummaryList!.some((c) => c.CertificateArn === arn));

  for (let i = 0; i < 4; i++) await importNew([`page${i}.example.com`]);
  const all = (await acm.send(new ListCertificatesCommand({ Includes: EC }))).CertificateSummaryList!.map((c) => c.CertificateArn);
  const paged: string[] = [];
  let pages = 0;
  for await (const page of paginateListCertificates({ client: acm, pageSize: 2 }, { Includes: EC })) {
    assert.ok(page.CertificateSummaryList!.length <= 2);
    paged.push(...page.CertificateSummaryList!.map((c) => c.CertificateArn!));
    pages++;
  }
  assert.deepEqual(paged, all);
  assert.equal(pages, Math.ceil(all.length / 2));
  const desc = (await acm.send(new ListCertificatesCommand({ Includes: EC, SortBy: 'CREATED_AT', SortOrder: 'DESCENDING' }))).CertificateSummaryList!.map((c) => c.CertificateArn);
  assert.deepEqual(desc, [...all].reverse());
  await assert.rejects(acm.send(new ListCertificatesCommand({ NextToken: 'bogus' })), rejectsWith(InvalidArgsException));
  await assert.rejects(acm.send(new ListCertificatesCommand({ MaxItems: 0 })), rejectsWith(ValidationException));
});

test('a certificate a Lattice service uses is InUseBy it and cannot be deleted until the service is gone', async () => {
  const { arn } = await importNew(['svc.example.com']);
  const svc = await h.client.send(new CreateServiceCommand({ name: 'acm-user', customDomainName: 'svc.example.com', certificateArn: arn }));
  const d = await describe(arn);
  assert.deepEqual(d.InUseBy, [svc.arn]);
  const listed = await acm.send(new ListCertificatesCommand({ Includes: EC }));
  assert.equal(listed.CertificateSummaryList!.find((c) => c.CertificateArn === arn)!.InUse, true);
  await assert.rejects(acm.send(new DeleteCertificateCommand({ CertificateArn: arn })), rejectsWith(ResourceInUseException));

  await h.client.send(new DeleteServiceCommand({ serviceIdentifier: svc.id }));
  await acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
  await assert.rejects(describe(arn), rejectsWith(ResourceNotFoundException));
  await assert.rejects(acm.send(new DeleteCertificateCommand({ CertificateArn: arn })), rejectsWith(ResourceNotFoundException));
});

test('RequestCertificate for a name the account has not verified stays PENDING_VALIDATION with ACM\'s DNS validation records', async () => {
  const out = await acm.send(new RequestCertificateCommand({ DomainName: 'www.unverified.example', SubjectAlternativeNames: ['*.unverified.example', 'www.unverified.example'], ValidationMethod: 'DNS', IdempotencyToken: 'tok1' }));
  const arn = out.CertificateArn!;
  assert.match(arn, new RegExp(`^arn:aws:acm:${REGION}:${ACCT}:certificate/`));
  const d = await describe(arn);
  assert.equal(d.Status, 'PENDING_VALIDATION');
  assert.equal(d.Type, 'AMAZON_ISSUED');
  assert.equal(d.DomainName, 'www.unverified.example');
  assert.deepEqual(d.SubjectAlternativeNames, ['www.unverified.example', '*.unverified.example']);
  assert.equal(d.Serial, undefined);
  assert.ok(d.CreatedAt instanceof Date);
  assert.equal(d.DomainValidationOptions!.length, 2);
  for (const v of d.DomainValidationOptions!) {
    assert.equal(v.ValidationMethod, 'DNS');
    assert.equal(v.ValidationStatus, 'PENDING_VALIDATION');
    assert.equal(v.ResourceRecord!.Type, 'CNAME');
    assert.match(v.ResourceRecord!.Value ?? '', /^_[0-9a-f]{32}\.acm-validations\.aws\.$/);
  }
  const [www, wildcard] = d.DomainValidationOptions!;
  assert.match(www.ResourceRecord!.Name ?? '', /^_[0-9a-f]{32}\.www\.unverified\.example\.$/);
  assert.match(wildcard.ResourceRecord!.Name ?? '', /^_[0-9a-f]{32}\.unverified\.example\.$/);
  await assert.rejects(acm.send(new GetCertificateCommand({ CertificateArn: arn })), rejectsWith(RequestInProgressException));

  // The same idempotency token within the hour: the same certificate; another token: another.
  const again = await acm.send(new RequestCertificateCommand({ DomainName: 'www.unverified.example', ValidationMethod: 'DNS', IdempotencyToken: 'tok1' }));
  assert.equal(again.CertificateArn, arn);
  const other = await acm.send(new RequestCertificateCommand({ DomainName: 'www.unverified.example', ValidationMethod: 'DNS', IdempotencyToken: 'tok2' }));
  assert.notEqual(other.CertificateArn, arn);
  // A verification still PENDING does not count; EMAIL validation is the default method.
  const pending = await describe((await acm.send(new RequestCertificateCommand({ DomainName: 'pending.example' }))).CertificateArn!);
  assert.equal(pending.Status, 'PENDING_VALIDATION');
  assert.deepEqual(pending.DomainValidationOptions, [{
    DomainName: 'pending.example', ValidationDomain: 'pending.example', ValidationStatus: 'PENDING_VALIDATION', ValidationMethod: 'EMAIL',
    ValidationEmails: ['admin@pending.example', 'administrator@pending.example', 'hostmaster@pending.example', 'postmaster@pending.example', 'webmaster@pending.example'],
  }]);
  const listed = await acm.send(new ListCertificatesCommand({ Includes: EC, CertificateStatuses: ['PENDING_VALIDATION'] }));
  assert.ok(listed.CertificateSummaryList!.some((c) => c.CertificateArn === arn));
});

async function issuedDetail(arn: string, client = acm): Promise<CertificateDetail> {
  for (let i = 0; i < 300; i++) {
    const d = await describe(arn, client);
    if (d.Status !== 'PENDING_VALIDATION') return d;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${arn} was not issued`);
}

test('RequestCertificate for verified names: the Trellis CA issues it, PENDING_VALIDATION then ISSUED', async () => {
  const out = await acm.send(new RequestCertificateCommand({ DomainName: 'api.verified.example', SubjectAlternativeNames: ['*.verified.example'], ValidationMethod: 'DNS', Tags: [{ Key: 'app', Value: 'api' }] }));
  const arn = out.CertificateArn!;
  const d = await issuedDetail(arn);
  assert.equal(d.Status, 'ISSUED');
  assert.equal(d.Type, 'AMAZON_ISSUED');
  assert.equal(d.Issuer, 'Trellis');
  assert.equal(d.KeyAlgorithm, 'EC_prime256v1');
  assert.ok(d.IssuedAt instanceof Date && d.NotAfter instanceof Date);
  assert.deepEqual(d.DomainValidationOptions!.map((v) => [v.DomainName, v.ValidationStatus]), [['api.verified.example', 'SUCCESS'], ['*.verified.example', 'SUCCESS']]);

  const got = await acm.send(new GetCertificateCommand({ CertificateArn: arn }));
  const leaf = new X509Certificate(got.Certificate!);
  const caCert = new X509Certificate(got.CertificateChain!);
  assert.equal(caCert.fingerprint256, new X509Certificate(ca.certPem).fingerprint256);
  assert.ok(leaf.verify(caCert.publicKey));
  assert.equal(leaf.subjectAltName, 'DNS:api.verified.example, DNS:*.verified.example');
  assert.ok(leaf.checkHost('x.verified.example'));
  assert.deepEqual((await acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags, [{ Key: 'app', Value: 'api' }]);
  const listed = await acm.send(new ListCertificatesCommand({ Includes: EC, CertificateStatuses: ['ISSUED'] }));
  assert.equal(listed.CertificateSummaryList!.find((c) => c.CertificateArn === arn)?.Type, 'AMAZON_ISSUED');

  // One unverified name keeps the whole certificate waiting.
  const mixed = await describe((await acm.send(new RequestCertificateCommand({ DomainName: 'ok.verified.example', SubjectAlternativeNames: ['no.unverified.example'], ValidationMethod: 'DNS' }))).CertificateArn!);
  assert.equal(mixed.Status, 'PENDING_VALIDATION');
  assert.deepEqual(mixed.DomainValidationOptions!.map((v) => v.ValidationStatus), ['SUCCESS', 'PENDING_VALIDATION']);
});

test('a request left unvalidated for 72 hours times out; one whose issuance was lost (a restart) is issued when read', async () => {
  const late = await describe(`arn:aws:acm:${REGION}:${ACCT}:certificate/${LATE}`);
  assert.equal(late.Status, 'VALIDATION_TIMED_OUT');
  assert.deepEqual(late.DomainValidationOptions!.map((v) => v.ValidationStatus), ['FAILED']);
  await assert.rejects(acm.send(new GetCertificateCommand({ CertificateArn: late.CertificateArn })), rejectsWith(RequestInProgressException));
  const lost = await issuedDetail(`arn:aws:acm:${REGION}:${ACCT}:certificate/${LOST}`);
  assert.equal(lost.Status, 'ISSUED');
  assert.ok((await acm.send(new GetCertificateCommand({ CertificateArn: lost.CertificateArn }))).Certificate!.includes('BEGIN CERTIFICATE'));
});

test('domain verifications are per account: another account\'s verified domain does not validate a request', async () => {
  const theirs = await otherAcm.send(new RequestCertificateCommand({ DomainName: 'app.other.example', ValidationMethod: 'DNS' }));
  assert.equal((await issuedDetail(theirs.CertificateArn!, otherAcm)).Status, 'ISSUED');
  const mine = await acm.send(new RequestCertificateCommand({ DomainName: 'app.other.example', ValidationMethod: 'DNS' }));
  assert.equal((await describe(mine.CertificateArn!)).Status, 'PENDING_VALIDATION');
});

test('RequestCertificate refuses bad names, too many names, a private CA, wrong validation options and reserved tags', async () => {
  const request = (input: ConstructorParameters<typeof RequestCertificateCommand>[0]) => acm.send(new RequestCertificateCommand(input));
  await assert.rejects(request({ DomainName: 'not a domain' }), rejectsWith(ValidationException, (e) => assert.match(e.message, /domainName/)));
  await assert.rejects(request({ DomainName: 'a.example.com', IdempotencyToken: 'has-dash' }), rejectsWith(ValidationException));
  await assert.rejects(request({ DomainName: 'a.example.com', SubjectAlternativeNames: Array.from({ length: 10 }, (_, i) => `n${i}.example.com`) }), rejectsWith(LimitExceededException));
  await assert.rejects(request({ DomainName: `${'a'.repeat(60)}.example.com` }), rejectsWith(InvalidParameterException));
  await assert.rejects(request({ DomainName: 'a.example.com', CertificateAuthorityArn: `arn:aws:acm-pca:${REGION}:${ACCT}:certificate-authority/12345678-1234-1234-1234-123456789012` }), rejectsWith(InvalidParameterException));
  await assert.rejects(request({ DomainName: 'a.example.com', DomainValidationOptions: [{ DomainName: 'a.example.com', ValidationDomain: 'other.com' }] }), rejectsWith(InvalidDomainValidationOptionsException));
  await assert.rejects(request({ DomainName: 'a.example.com', Tags: [{ Key: 'aws:x', Value: 'y' }] }), rejectsWith(InvalidTagException));
  const ok = await request({ DomainName: 'b.sub.example.com', DomainValidationOptions: [{ DomainName: 'b.sub.example.com', ValidationDomain: 'example.com' }] });
  assert.equal((await describe(ok.CertificateArn!)).DomainValidationOptions![0].ValidationDomain, 'example.com');
});

test('the JSON protocol: errors carry __type and message in ACM\'s content type; an unknown operation is refused', async () => {
  const call = async (target: string, body: string) => {
    const url = new URL('/', h.trellis.api);
    const headers = sign({ method: 'POST', url, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body, accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey, region: REGION, service: 'acm' });
    delete headers.host;
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, type: res.headers.get('content-type'), json: await res.json() as Record<string, unknown> };
  };
  const missing = await call('CertificateManager.DescribeCertificate', '{}');
  assert.equal(missing.status, 400);
  assert.equal(missing.type, 'application/x-amz-json-1.1');
  assert.equal(missing.json.__type, 'ValidationException');
  assert.match(String(missing.json.message), /certificateArn/);
  assert.equal((await call('CertificateManager.ExplodeCertificate', '{}')).json.__type, 'UnknownOperationException');
  assert.equal((await call('CertificateManager.ListCertificates', '{not json')).json.__type, 'SerializationException');
  const listed = await call('CertificateManager.ListCertificates', '{"Includes":{"keyTypes":["EC_prime256v1"]},"MaxItems":1}');
  assert.equal(listed.status, 200);
  const [first] = listed.json.CertificateSummaryList as { CreatedAt: unknown }[];
  assert.equal(typeof first.CreatedAt, 'number', 'timestamps are epoch seconds');
});

test('with a write hook from the server, an issued certificate is written without waiting for another request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-acm-hook-'));
  const store = new SqliteStore(join(dir, 'trellis.db'));
  const { view, stop } = await View.open(store);
  try {
    await store.commit([dv('dv-00000000000000c01', ACCT, 'hook.example', 'VERIFIED')]);
    const caller = { accountId: ACCT, arn: `arn:aws:iam::${ACCT}:root`, accessKeyId: 'AKIATESTHOOK00000001' };
    const newCtx = () => new Ctx(view, caller, REGION, DEFAULT_QUOTAS, view.revision);
    let written!: () => void;
    const done = new Promise<void>((r) => { written = r; });
    const service = createAcmService({
      ca: () => LocalCa.open(dir),
      write: async (fn) => {
        const ctx = newCtx();
        fn(ctx);
        await store.commit(ctx.writes);
        written();
      },
    });
    const ctx = newCtx();
    const res = service.handle(ctx, {
      method: 'POST', path: '/', query: new URLSearchParams(), requestId: 'r-1',
      headers: { 'x-amz-target': 'CertificateManager.RequestCertificate', 'content-type': 'application/x-amz-json-1.1' },
      body: Buffer.from(JSON.stringify({ DomainName: 'svc.hook.example', ValidationMethod: 'DNS' })),
    });
    await store.commit(ctx.writes);
    const arn = (JSON.parse(res.body) as { CertificateArn: string }).CertificateArn;
    assert.equal(certificateByArn(view, arn)?.status, 'PENDING_VALIDATION');
    assert.equal(servingMaterial(certificateByArn(view, arn)), undefined);
    await done;
    const rec = certificateByArn(view, arn)!;
    assert.equal(rec.status, 'ISSUED');
    const material = servingMaterial(rec)!;
    assert.ok(new X509Certificate(material.certPem).checkHost('svc.hook.example'));
    assert.ok(material.keyPem.includes('PRIVATE KEY'));
  } finally {
    stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
