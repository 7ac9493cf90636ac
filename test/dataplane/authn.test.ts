// The data plane's caller authentication against requests signed by the AWS SDK's own signers:
// @smithy/signature-v4 (SigV4, header and presigned) and @aws-sdk/signature-v4a (SigV4A, header;
// the SDK has no SigV4A presigner, so that form is built here from src/iam/sigv4a.ts and checked
// against the CRT suite in test/iam/sigv4a.test.ts). Every failure is 'invalid' with AWS's code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureV4 } from '@smithy/signature-v4';
import { SignatureV4a } from '@aws-sdk/signature-v4a';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { Sha256 } from '../helpers/sign.ts';
import { authenticateRequest, type AuthnOptions, type AuthnResult } from '../../src/dataplane/authn.ts';
import { amzDate, canonicalRequest, sha256Hex, uriEscape, type SignableRequest } from '../../src/iam/sigv4.ts';
import { keyPairV4a, signStringV4a, stringToSignV4a } from '../../src/iam/sigv4a.ts';
import type { AccessKeyRecord } from '../../src/iam/identities.ts';


type Key = AccessKeyRecord;

const REGION = 'us-west-2';
const SERVICE = 'vpc-lattice-svcs';
const HOST = 'billing-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-west-2.on.aws';
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const MIN = 60_000;

const LONG: Key = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/alice', createdAt: '2026-01-01T00:00:00.000Z' };
const TEMP: Key = {
  accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY', accountId: '111122223333',
  arn: 'arn:aws:sts::111122223333:assumed-role/caller/session-1', createdAt: '2026-01-15T09:00:00.000Z',
  sessionToken: 'FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+a/b=', expiration: new Date(T0 + 60 * MIN).toISOString(),
  roleArn: 'arn:aws:iam::111122223333:role/caller', sessionName: 'session-1',
};
const INACTIVE: Key = { ...LONG, accessKeyId: 'AKIAINACTIVEEXAMPLE0', status: 'Inactive' };
const EXPIRED_SESSION: Key = { ...TEMP, accessKeyId: 'ASIAEXPIREDEXAMPLE00', expiration: new Date(T0 - 1000).toISOString() };
const UNDATED_SESSION: Key = { ...TEMP, accessKeyId: 'ASIAUNDATEDEXAMPLE00', expiration: undefined };
const KEYS = new Map<string, Key>([LONG, TEMP, INACTIVE, EXPIRED_SESSION, UNDATED_SESSION].map((k) => [k.accessKeyId, k]));

const options = (now = T0): AuthnOptions => ({ region: REGION, lookup: (id) => KEYS.get(id), now: () => now });
/** `null`: sign without the key's session token. */
const creds = (k: Key, sessionToken: string | null = k.sessionToken ?? null): AwsCredentialIdentity => ({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, sessionToken: sessionToken ?? undefined });

function request(init: { method?: string; path?: string; query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}): HttpRequest {
  return {
    method: init.method ?? 'GET', protocol: 'https:', hostname: HOST, path: init.path ?? '/invoices/2026',
    query: init.query ?? { page: '2', filter: 'a b' },
    headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-trellis-test': 'one', ...init.headers },
    body: init.body,
  };
}

/** What the data plane hands the verifier: the request as it came off the wire. */
function wire(r: HttpRequest): SignableRequest & { body?: Buffer } {
  const query = Object.entries(r.query ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${uriEscape(k)}=${uriEscape(x ?? '')}`)).join('&');
  const headers = Object.entries(r.headers).map(([n, v]): [string, string] => [n, v]);
  return { method: r.method, path: r.path, query, headers, body: typeof r.body === 'string' ? Buffer.from(r.body) : undefined };
}

const v4 = (c: AwsCredentialIdentity, extra: { service?: string; region?: string; applyChecksum?: boolean } = {}) =>
  new SignatureV4({ service: extra.service ?? SERVICE, region: extra.region ?? REGION, credentials: c, sha256: Sha256, applyChecksum: extra.applyChecksum });
const v4a = (c: AwsCredentialIdentity, regionSet = REGION, service = SERVICE) =>
  new SignatureV4a({ service, region: regionSet, credentials: c, sha256: Sha256 });

const signingDate = new Date(T0);
const signV4 = async (c: AwsCredentialIdentity, r = request(), extra = {}) => wire(await v4(c, extra).sign(r, { signingDate }));
const presignV4 = async (c: AwsCredentialIdentity, r = request(), expiresIn = 300) => wire(await v4(c).presign(r, { signingDate, expiresIn }));
const signV4a = async (c: AwsCredentialIdentity, r = request(), regionSet = REGION, service = SERVICE) => wire(await v4a(c, regionSet, service).sign(r, { signingDate }));

/** A SigV4A presigned URL, built as the SigV4 presigner does (the SDK has no SigV4A presigner). */
function presignV4a(k: Key, regionSet = REGION, expires = 300, token = k.sessionToken): SignableRequest {
  const date = amzDate(signingDate);
  const params: Record<string, string> = {
    page: '2', 'X-Amz-Algorithm': 'AWS4-ECDSA-P256-SHA256', 'X-Amz-Credential': `${k.accessKeyId}/${date.slice(0, 8)}/${SERVICE}/aws4_request`,
    'X-Amz-Date': date, 'X-Amz-Expires': String(expires), 'X-Amz-Region-Set': regionSet, 'X-Amz-SignedHeaders': 'host',
    'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD', ...(token ? { 'X-Amz-Security-Token': token } : {}),
  };
  const query = Object.entries(params).map(([n, v]) => `${uriEscape(n)}=${uriEscape(v)}`).join('&');
  const req: SignableRequest = { method: 'GET', path: '/invoices', query, headers: [['Host', HOST]] };
  const sts = stringToSignV4a(date, `${date.slice(0, 8)}/${SERVICE}/aws4_request`, canonicalRequest(req, ['host'], 'UNSIGNED-PAYLOAD'));
  return { ...req, query: `${query}&X-Amz-Signature=${signStringV4a(keyPairV4a(k.accessKeyId, k.secretAccessKey), sts)}` };
}

function assertSigned(r: AuthnResult, key: Key, what: string): void {
  assert.equal(r.kind, 'signed', `${what}: ${JSON.stringify(r)}`);
  if (r.kind === 'signed') assert.equal(r.key.accessKeyId, key.accessKeyId, what);
}
function assertInvalid(r: AuthnResult, code: string, message: RegExp, what: string): void {
  assert.equal(r.kind, 'invalid', `${what}: ${JSON.stringify(r)}`);
  if (r.kind === 'invalid') {
    assert.equal(r.code, code, `${what}: ${r.message}`);
    assert.match(r.message, message, what);
  }
}
const withHeader = (r: SignableRequest, name: string, value: string | undefined): SignableRequest => ({
  ...r, headers: value === undefined ? r.headers.filter(([n]) => n.toLowerCase() !== name) : r.headers.map(([n, v]): [string, string] => [n, n.toLowerCase() === name ? value : v]),
});
const MISMATCH = /does not match the signature you provided/;

test('unsigned requests are anonymous, whatever other Authorization scheme they carry', () => {
  const plain = wire(request());
  assert.deepEqual(authenticateRequest(plain, options()), { kind: 'anonymous' });
  assert.deepEqual(authenticateRequest({ ...plain, headers: [...plain.headers, ['Authorization', 'Bearer abc.def']] }, options()), { kind: 'anonymous' });
  assert.deepEqual(authenticateRequest({ ...plain, headers: [...plain.headers, ['authorization', 'Basic dXNlcjpwdw==']] }, options()), { kind: 'anonymous' });
  assert.deepEqual(authenticateRequest({ ...plain, query: 'X-Amz-Date=20260115T100000Z' }, options()), { kind: 'anonymous' }, 'a date alone signs nothing');
});

test('SigV4 from the SDK: header and presigned forms, long-term and session credentials', async () => {
  assertSigned(authenticateRequest(await signV4(creds(LONG)), options()), LONG, 'header');
  assertSigned(authenticateRequest(await signV4(creds(TEMP)), options()), TEMP, 'header + session token');
  const post = request({ method: 'POST', path: '/invoices', query: {}, headers: { 'content-type': 'application/json' }, body: '{"amount":12}' });
  assertSigned(authenticateRequest(await signV4(creds(LONG), post), options()), LONG, 'POST with a body, UNSIGNED-PAYLOAD');
  const presigned = await presignV4(creds(LONG));
  assert.match(presigned.query, /x-amz-content-sha256=UNSIGNED-PAYLOAD/, 'the SDK hoists the header into the query, keeping its name');
  assertSigned(authenticateRequest(presigned, options()), LONG, 'presigned');
  assertSigned(authenticateRequest(await presignV4(creds(TEMP)), options()), TEMP, 'presigned + session token');
  assertSigned(authenticateRequest(await presignV4(creds(LONG), request(), 3600), options(T0 + 30 * MIN)), LONG, 'presigned: X-Amz-Expires, not the 5-minute skew, bounds it');
  // The token appended to a URL presigned without it (the CRT's omit_session_token).
  const late = await presignV4(creds(TEMP, null));
  assertSigned(authenticateRequest({ ...late, query: `${late.query}&X-Amz-Security-Token=${uriEscape(TEMP.sessionToken!)}` }, options()), TEMP, 'token added after presigning');
});

test('SigV4A from the SDK: header form, region sets and session credentials; presigned form', async () => {
  assertSigned(authenticateRequest(await signV4a(creds(LONG)), options()), LONG, 'header');
  assertSigned(authenticateRequest(await signV4a(creds(LONG), request(), '*'), options()), LONG, 'region set *');
  assertSigned(authenticateRequest(await signV4a(creds(LONG), request(), 'us-east-1,us-west-2'), options()), LONG, 'region list');
  assertSigned(authenticateRequest(await signV4a(creds(TEMP)), options()), TEMP, 'header + session token');
  assertSigned(authenticateRequest(presignV4a(LONG), options()), LONG, 'presigned');
  assertSigned(authenticateRequest(presignV4a(TEMP, '*'), options()), TEMP, 'presigned + session token');
  assertInvalid(authenticateRequest(await signV4a(creds(LONG), request(), 'us-east-1,eu-west-1'), options()), 'InvalidSignatureException', /region set .* does not include 'us-west-2'/, 'region set without ours');
  assertInvalid(authenticateRequest(presignV4a(LONG, 'eu-*'), options()), 'InvalidSignatureException', /does not include/, 'presigned, region set without ours');
  assertInvalid(authenticateRequest(await signV4a(creds(LONG), request(), REGION, 'execute-api'), options()), 'InvalidSignatureException', /scoped to correct service: 'vpc-lattice-svcs'/, 'SigV4A wrong service');
});

test('tampering after signing: path, signed header, query, payload hash, method, signature', async () => {
  for (const [algo, signed] of [['SigV4', await signV4(creds(LONG))], ['SigV4A', await signV4a(creds(LONG))]] as const) {
    assertSigned(authenticateRequest(signed, options()), LONG, `${algo} untouched`);
    assertInvalid(authenticateRequest({ ...signed, path: '/invoices/2027' }, options()), 'InvalidSignatureException', MISMATCH, `${algo} path`);
    assertInvalid(authenticateRequest({ ...signed, method: 'DELETE' }, options()), 'InvalidSignatureException', MISMATCH, `${algo} method`);
    assertInvalid(authenticateRequest({ ...signed, query: signed.query + '&admin=true' }, options()), 'InvalidSignatureException', MISMATCH, `${algo} query`);
    assertInvalid(authenticateRequest(withHeader(signed, 'x-trellis-test', 'two'), options()), 'InvalidSignatureException', MISMATCH, `${algo} signed header`);
    assertInvalid(authenticateRequest(withHeader(signed, 'x-amz-content-sha256', sha256Hex('tampered')), options()), 'InvalidSignatureException', /does not support payload signing/, `${algo} body hash`);
    const auth = signed.headers.find(([n]) => n === 'authorization')![1];
    const flipped = auth.slice(0, -3) + (auth.at(-3) === '0' ? '1' : '0') + auth.slice(-2);
    assertInvalid(authenticateRequest(withHeader(signed, 'authorization', flipped), options()), 'InvalidSignatureException', MISMATCH, `${algo} signature`);
    // Unsigned headers may come and go; the bad signature is never downgraded to anonymous.
    assertSigned(authenticateRequest({ ...signed, headers: [...signed.headers, ['user-agent', 'curl/8'], ['connection', 'keep-alive']] }, options()), LONG, `${algo} unsigned extras`);
  }
  const presigned = await presignV4(creds(LONG));
  assertInvalid(authenticateRequest({ ...presigned, path: '/other' }, options()), 'InvalidSignatureException', MISMATCH, 'presigned path');
  assertInvalid(authenticateRequest({ ...presigned, query: presigned.query.replace('page=2', 'page=3') }, options()), 'InvalidSignatureException', MISMATCH, 'presigned query');
  assertInvalid(authenticateRequest({ ...presignV4a(LONG), path: '/other' }, options()), 'InvalidSignatureException', MISMATCH, 'SigV4A presigned path');
  const wrongSecret = new Map(KEYS).set(LONG.accessKeyId, { ...LONG, secretAccessKey: 'another-secret' });
  assertInvalid(authenticateRequest(await signV4(creds(LONG)), { ...options(), lookup: (id) => wrongSecret.get(id) }), 'InvalidSignatureException', MISMATCH, 'another secret');
});

test('scope and clock: wrong service, wrong Region, expired, skewed, presigned expiry', async () => {
  assertInvalid(authenticateRequest(await signV4(creds(LONG), request(), { service: 'execute-api' }), options()), 'InvalidSignatureException', /^Credential should be scoped to correct service: 'vpc-lattice-svcs'\.$/, 'service');
  assertInvalid(authenticateRequest(await signV4(creds(LONG), request(), { region: 'us-east-1' }), options()), 'InvalidSignatureException', /^Credential should be scoped to a valid region, not 'us-east-1'\.$/, 'region');
  const signed = await signV4(creds(LONG));
  assertSigned(authenticateRequest(signed, options(T0 + 4 * MIN)), LONG, '4 minutes late');
  assertSigned(authenticateRequest(signed, options(T0 - 4 * MIN)), LONG, '4 minutes early');
  assertInvalid(authenticateRequest(signed, options(T0 + 6 * MIN)), 'InvalidSignatureException', /^Signature expired: 20260115T100000Z is now earlier than 20260115T100100Z \(20260115T100600Z - 5 min\.\)$/, 'expired');
  assertInvalid(authenticateRequest(signed, options(T0 - 6 * MIN)), 'InvalidSignatureException', /^Signature not yet current: 20260115T100000Z is still later than/, 'skewed ahead');
  assertInvalid(authenticateRequest(await signV4a(creds(LONG)), options(T0 + 6 * MIN)), 'InvalidSignatureException', /Signature expired/, 'SigV4A expired');
  const presigned = await presignV4(creds(LONG), request(), 60);
  assertSigned(authenticateRequest(presigned, options(T0 + 59_000)), LONG, 'presigned within X-Amz-Expires');
  assertInvalid(authenticateRequest(presigned, options(T0 + 61_000)), 'InvalidSignatureException', /Signature expired/, 'presigned past X-Amz-Expires');
  assertInvalid(authenticateRequest(presignV4a(LONG, REGION, 60), options(T0 + 61_000)), 'InvalidSignatureException', /Signature expired/, 'SigV4A presigned past X-Amz-Expires');
  const date = signed.headers.find(([n]) => n === 'x-amz-date')![1];
  assertInvalid(authenticateRequest(withHeader(signed, 'x-amz-date', date.replace('20260115', '20260116')), options(T0 + 24 * 60 * MIN)), 'InvalidSignatureException', /Date in Credential scope does not match/, 'scope date');
});

test('keys and session tokens: unknown, inactive, missing, wrong, unexpected, expired', async () => {
  const stranger: Key = { ...LONG, accessKeyId: 'AKIAUNKNOWNEXAMPLE00' };
  const invalidToken = /^The security token included in the request is invalid\.$/;
  assertInvalid(authenticateRequest(await signV4(creds(stranger)), options()), 'UnrecognizedClientException', invalidToken, 'unknown key');
  assertInvalid(authenticateRequest(await signV4a(creds(stranger)), options()), 'UnrecognizedClientException', invalidToken, 'unknown key, SigV4A');
  assertInvalid(authenticateRequest(await signV4(creds(INACTIVE)), options()), 'UnrecognizedClientException', invalidToken, 'inactive key');
  assertInvalid(authenticateRequest(await signV4(creds(TEMP, null)), options()), 'UnrecognizedClientException', invalidToken, 'temporary key without its token');
  assertInvalid(authenticateRequest(await presignV4(creds(TEMP, null)), options()), 'UnrecognizedClientException', invalidToken, 'presigned temporary key without its token');
  assertInvalid(authenticateRequest(await signV4a(creds(TEMP, null)), options()), 'UnrecognizedClientException', invalidToken, 'SigV4A temporary key without its token');
  assertInvalid(authenticateRequest(await signV4(creds(TEMP, 'another-token')), options()), 'UnrecognizedClientException', invalidToken, 'wrong token');
  assertInvalid(authenticateRequest(await signV4(creds(LONG, 'a-token')), options()), 'UnrecognizedClientException', invalidToken, 'token with a long-term key');
  const expired = /^The security token included in the request is expired$/;
  assertInvalid(authenticateRequest(await signV4(creds(EXPIRED_SESSION)), options()), 'ExpiredTokenException', expired, 'expired session');
  assertInvalid(authenticateRequest(await signV4a(creds(EXPIRED_SESSION)), options()), 'ExpiredTokenException', expired, 'expired session, SigV4A');
  assertInvalid(authenticateRequest(await signV4(creds(UNDATED_SESSION)), options()), 'ExpiredTokenException', expired, 'a session without an expiration fails closed');
  assertInvalid(authenticateRequest(await presignV4(creds(TEMP), request(), 7200), options(T0 + 61 * MIN)), 'ExpiredTokenException', expired, 'a URL outliving its session');
});

test('Lattice payload rules: UNSIGNED-PAYLOAD only, declared and signed', async () => {
  const noHeader = request();
  delete noHeader.headers['x-amz-content-sha256'];
  assertInvalid(authenticateRequest(await signV4(creds(LONG), noHeader, { applyChecksum: false }), options()), 'IncompleteSignatureException', /^Missing the 'x-amz-content-sha256' in canonical headers\.$/, 'no x-amz-content-sha256');
  assertInvalid(authenticateRequest(await signV4(creds(LONG), noHeader), options()), 'InvalidSignatureException', /does not support payload signing: .* not 'e3b0c442/, 'the SDK default: the empty body\'s hash');
  const post = request({ method: 'POST', query: {}, body: 'hello' });
  delete post.headers['x-amz-content-sha256'];
  assertInvalid(authenticateRequest(await signV4(creds(LONG), post), options()), 'InvalidSignatureException', /does not support payload signing/, 'a signed body');
  assertInvalid(authenticateRequest(await signV4a(creds(LONG), post), options()), 'InvalidSignatureException', /does not support payload signing/, 'a signed body, SigV4A');
  assertInvalid(authenticateRequest(await presignV4(creds(LONG), noHeader), options()), 'IncompleteSignatureException', /X-Amz-Content-Sha256/, 'presigned without X-Amz-Content-Sha256');
  // The declaration is read however a presigner spelled the hoisted name, every occurrence of it.
  const presigned = await presignV4(creds(LONG));
  assertInvalid(authenticateRequest({ ...presigned, query: presigned.query + '&X-Amz-Content-Sha256=' + sha256Hex('') }, options()), 'InvalidSignatureException', /does not support payload signing/, 'a second, hashed declaration');
});

test('incomplete signatures, missing signed headers, both forms at once', async () => {
  const plain = wire(request());
  const auth = (v: string) => authenticateRequest({ ...plain, headers: [...plain.headers, ['Authorization', v], ['X-Amz-Date', '20260115T100000Z']] }, options());
  assertInvalid(auth('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260115/us-west-2/vpc-lattice-svcs/aws4_request'), 'IncompleteSignatureException', /requires 'Credential', 'Signature', 'SignedHeaders'/, 'no Signature');
  assertInvalid(auth('AWS4-HMAC-SHA512 Credential=x, SignedHeaders=host, Signature=00'), 'IncompleteSignatureException', /Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'/, 'unknown algorithm');
  assertInvalid(auth('AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260115/us-west-2/vpc-lattice-svcs/aws4_request, SignedHeaders=host, Signature=30'), 'IncompleteSignatureException', /requires/, 'SigV4A with a Region in its scope');
  assertInvalid(authenticateRequest({ ...plain, query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x' }, options()), 'IncompleteSignatureException', /query-string parameters must include/, 'presigned, incomplete');
  const signed = await signV4(creds(LONG));
  assertInvalid(authenticateRequest(withHeader(signed, 'x-trellis-test', undefined), options()), 'IncompleteSignatureException', /^'x-trellis-test' is named as a SignedHeader, but it does not exist in the HTTP request\.$/, 'signed header dropped');
  assertInvalid(authenticateRequest(await signV4(creds(TEMP), request()).then((r) => withHeader(r, 'x-amz-security-token', undefined)), options()), 'IncompleteSignatureException', /'x-amz-security-token' is named as a SignedHeader/, 'signed token dropped');
  const presigned = await presignV4(creds(LONG));
  assertInvalid(authenticateRequest({ ...signed, query: presigned.query }, options()), 'IncompleteSignatureException', /Only one auth mechanism allowed/, 'header and query');
  // A client that signs a hop-by-hop header fails as on Lattice, where the front end drops it.
  const withConnection = wire(await v4(creds(LONG)).sign(request({ headers: { connection: 'keep-alive' } }), { signingDate, signableHeaders: new Set(['connection']) }));
  assertInvalid(authenticateRequest(withConnection, options()), 'IncompleteSignatureException', /'connection' is named as a SignedHeader/, 'signed connection');
  const missingRegionSet = withHeader(await signV4a(creds(LONG)), 'x-amz-region-set', undefined);
  assertInvalid(authenticateRequest(missingRegionSet, options()), 'IncompleteSignatureException', /x-amz-region-set/, 'SigV4A without its region set');
});

test('HTTP/2: :authority stands for host', async () => {
  for (const signed of [await signV4(creds(LONG)), await signV4a(creds(TEMP))]) {
    const h2: [string, string][] = [[':method', signed.method], [':scheme', 'https'], [':authority', HOST], [':path', signed.path], ...signed.headers.filter(([n]) => n !== 'host')];
    const r = authenticateRequest({ ...signed, headers: h2 }, options());
    assert.equal(r.kind, 'signed', JSON.stringify(r));
    assertInvalid(authenticateRequest({ ...signed, headers: h2.map(([n, v]): [string, string] => [n, n === ':authority' ? 'evil.example.com' : v]) }, options()), 'InvalidSignatureException', MISMATCH, 'another authority');
  }
});
