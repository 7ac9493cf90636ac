// SigV4 against the AWS signing test suite in ../shared/vectors/sigv4/v4 (header and presigned
// forms), plus the negative cases the suite's README asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { canonicalRequest, expectedSignature, parseSignature, sign, type SignableRequest } from '../../src/iam/sigv4.ts';
import { authenticate, payloadHashOf } from '../../src/iam/authenticate.ts';
import type { AccessKeyRecord } from '../../src/iam/identities.ts';
import { parseRequest, type SigningContext } from '../helpers/vectors.ts';

const DIR = fileURLToPath(new URL('../../../shared/vectors/sigv4/v4', import.meta.url));
const skip = existsSync(DIR) ? false : 'the SigV4 test vectors are not here (../shared/vectors/sigv4)';



const cases = skip ? [] : readdirSync(DIR).sort();

for (const form of ['header', 'query'] as const) {
  test(`${form}-signed requests of the AWS suite: canonical request and signature match`, { skip }, () => {
    let n = 0;
    for (const name of cases) {
      const dir = join(DIR, name);
      const ctx = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as SigningContext;
      const { req, body } = parseRequest(readFileSync(join(dir, `${form}-signed-request.txt`), 'utf8'));
      const sig = parseSignature(req);
      assert.ok(sig && sig !== 'malformed', `${name}: signature parsed`);
      const payload = payloadHashOf(req, sig.presigned, body)!;
      const omit = !sig.presigned ? [] : ctx.omit_session_token ? ['X-Amz-Signature', 'X-Amz-Security-Token'] : ['X-Amz-Signature'];
      const canonical = canonicalRequest(req, sig.signedHeaders, payload, omit, ctx.normalize);
      assert.equal(canonical, readFileSync(join(dir, `${form}-canonical-request.txt`), 'utf8'), `${name}: canonical request`);
      const expected = readFileSync(join(dir, `${form}-signature.txt`), 'utf8').trim();
      assert.equal(expectedSignature(req, sig, ctx.credentials.secret_access_key, payload, ctx.normalize, ctx.omit_session_token), expected, `${name}: signature`);
      assert.equal(sig.signature, expected);
      if (ctx.normalize) {
        // The verifier as the API uses it accepts the request at the suite's time, and only then.
        // Cases signed with a session token are temporary credentials: the key carries that token.
        const session = ctx.credentials.token ? { sessionToken: ctx.credentials.token, expiration: '2100-01-01T00:00:00Z' } : {};
        const key: AccessKeyRecord = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: ctx.credentials.secret_access_key, accountId: '111122223333', arn: 'arn:aws:iam::111122223333:root', createdAt: '', ...session };
        const v = { region: ctx.region, service: ctx.service, lookup: (id: string) => (id === 'AKIDEXAMPLE' ? key : undefined), now: () => Date.parse(ctx.timestamp) };
        assert.equal(authenticate(v, req, body).accessKeyId, 'AKIDEXAMPLE', `${name}: accepted`);
        assert.throws(() => authenticate({ ...v, now: () => Date.parse(ctx.timestamp) + 3 * 3600_000 }, req, body), /expired/, `${name}: expired`);
      }
      n++;
    }
    assert.equal(n, cases.length);
    assert.ok(n >= 30);
  });
}

test('tampered requests are rejected with InvalidSignatureException, unknown keys as unrecognized', { skip }, () => {
  const dir = join(DIR, 'get-vanilla-query');
  const ctx = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as SigningContext;
  const { req, body } = parseRequest(readFileSync(join(dir, 'header-signed-request.txt'), 'utf8'));
  const key: AccessKeyRecord = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: ctx.credentials.secret_access_key, accountId: '111122223333', arn: 'x', createdAt: '' };
  const v = { region: ctx.region, service: ctx.service, lookup: (id: string) => (id === 'AKIDEXAMPLE' ? key : undefined), now: () => Date.parse(ctx.timestamp) };
  assert.ok(authenticate(v, req, body));
  const code = (fn: () => unknown) => { try { fn(); return 'accepted'; } catch (e) { return (e as { code: string }).code; } };
  assert.equal(code(() => authenticate(v, { ...req, path: '/x' }, body)), 'InvalidSignatureException');
  assert.equal(code(() => authenticate(v, { ...req, query: req.query + '&b=1' }, body)), 'InvalidSignatureException');
  assert.equal(code(() => authenticate(v, { ...req, method: 'POST' }, body)), 'InvalidSignatureException');
  const flipped = req.headers.map(([n, val]): [string, string] => [n, n === 'Authorization' ? val.replace(/.$/, (c) => (c === '0' ? '1' : '0')) : val]);
  assert.equal(code(() => authenticate(v, { ...req, headers: flipped }, body)), 'InvalidSignatureException');
  assert.equal(code(() => authenticate({ ...v, service: 'vpc-lattice-svcs' }, req, body)), 'InvalidSignatureException');
  assert.equal(code(() => authenticate({ ...v, region: 'eu-west-1' }, req, body)), 'InvalidSignatureException');
  assert.equal(code(() => authenticate({ ...v, lookup: () => undefined }, req, body)), 'UnrecognizedClientException');
  assert.equal(code(() => authenticate(v, { ...req, headers: req.headers.filter(([n]) => n !== 'Authorization') }, body)), 'MissingAuthenticationTokenException');
  assert.equal(code(() => authenticate(v, req, Buffer.from('unexpected body'))), 'InvalidSignatureException');
});

test('our signer produces what our verifier accepts, for paths with reserved characters', () => {
  const url = new URL('http://127.0.0.1:8470/tags/arn%3Aaws%3Avpc-lattice%3Aus-east-1%3A111122223333%3Aservice%2Fsvc-0123456789abcdef0?tagKeys=a%20b&tagKeys=c');
  const creds = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' };
  const headers = sign({ method: 'DELETE', url, headers: {}, ...creds, region: 'us-east-1', service: 'vpc-lattice' });
  const req: SignableRequest = { method: 'DELETE', path: url.pathname, query: url.search.slice(1), headers: Object.entries(headers) };
  const key: AccessKeyRecord = { ...creds, accountId: '111122223333', arn: 'x', createdAt: '' };
  assert.equal(authenticate({ region: 'us-east-1', service: 'vpc-lattice', lookup: () => key }, req, Buffer.alloc(0)), key);
});
