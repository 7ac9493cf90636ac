// SigV4A against the AWS signing test suite in ../shared/vectors/sigv4/v4a (header and presigned
// forms): the derived public key equals public-key.json, the canonical request and string to sign
// match byte for byte, and the suite's signatures (randomized ECDSA) verify; tampering does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { SignableRequest } from '../../src/iam/sigv4.ts';
import { payloadHashOf } from '../../src/iam/authenticate.ts';
import { parseRequest, type SigningContext } from '../helpers/vectors.ts';
import {
  canonicalRequestV4a, keyPairV4a, parseSignatureV4a, regionSetIncludes, scopeV4a, signStringV4a, stringToSignV4a,
  verifyStringV4a, verifyV4a, type ParsedSignatureV4a,
} from '../../src/iam/sigv4a.ts';

const DIR = fileURLToPath(new URL('../../../shared/vectors/sigv4/v4a', import.meta.url));
const absent = existsSync(DIR) ? false : 'the SigV4A test vectors are not here (../shared/vectors/sigv4/v4a)';



const all = absent ? [] : readdirSync(DIR).sort();
/** Cases with expected outputs; the suite ships two with only context.json and request.txt. */
const cases = all.filter((name) => existsSync(join(DIR, name, 'header-signed-request.txt')));
const inputsOnly = all.filter((name) => !cases.includes(name));

const read = (name: string, file: string) => readFileSync(join(DIR, name, file), 'utf8');
const contextOf = (name: string) => JSON.parse(read(name, 'context.json')) as SigningContext;

function signed(name: string, form: 'header' | 'query'): { req: SignableRequest; body: Buffer; sig: ParsedSignatureV4a } {
  const { req, body } = parseRequest(read(name, `${form}-signed-request.txt`));
  const sig = parseSignatureV4a(req);
  assert.ok(sig && sig !== 'malformed', `${name}: ${form} signature parsed`);
  return { req, body, sig };
}

test('the derived key pair equals every case\'s public-key.json', { skip: absent }, () => {
  for (const name of cases) {
    const ctx = contextOf(name);
    const expected = JSON.parse(read(name, 'public-key.json')) as { X: string; Y: string };
    const pair = keyPairV4a(ctx.credentials.access_key_id, ctx.credentials.secret_access_key);
    assert.equal(pair.x, expected.X.toLowerCase(), `${name}: X`);
    assert.equal(pair.y, expected.Y.toLowerCase(), `${name}: Y`);
  }
  assert.ok(cases.length >= 30, `${cases.length} cases`);
});

for (const form of ['header', 'query'] as const) {
  test(`${form}-signed requests of the AWS suite: canonical request, string to sign and signatures`, { skip: absent }, () => {
    let n = 0;
    for (const name of cases) {
      const ctx = contextOf(name);
      const { req, body, sig } = signed(name, form);
      assert.equal(sig.presigned, form === 'query');
      assert.deepEqual(sig.regionSet, [ctx.region], `${name}: region set`);
      assert.equal(sig.credential.service, ctx.service);
      assert.equal(sig.sessionToken, ctx.credentials.token, `${name}: session token`);
      if (form === 'query') assert.equal(sig.expires, 3600);
      const payload = payloadHashOf(req, sig.presigned, body)!;
      const canonical = canonicalRequestV4a(req, sig, payload, ctx.normalize, ctx.omit_session_token);
      assert.equal(canonical, read(name, `${form}-canonical-request.txt`), `${name}: canonical request`);
      const sts = stringToSignV4a(sig.amzDate, scopeV4a(sig.credential), canonical);
      assert.equal(sts, read(name, `${form}-string-to-sign.txt`), `${name}: string to sign`);
      const pair = keyPairV4a(ctx.credentials.access_key_id, ctx.credentials.secret_access_key);
      assert.ok(verifyStringV4a(pair.publicKey, sts, read(name, `${form}-signature.txt`).trim()), `${name}: ${form}-signature.txt verifies`);
      assert.ok(verifyV4a(req, sig, ctx.credentials.secret_access_key, payload, ctx.normalize, ctx.omit_session_token), `${name}: the signed request verifies`);
      n++;
    }
    assert.equal(n, cases.length);
  });
}

test('legacy get-vanilla duplicates agree with the header form', { skip: absent }, () => {
  assert.equal(read('get-vanilla', 'canonical-request.txt'), read('get-vanilla', 'header-canonical-request.txt'));
  assert.equal(read('get-vanilla', 'string-to-sign.txt'), read('get-vanilla', 'header-string-to-sign.txt'));
});

test('cases that ship inputs only are reported, not silently passed', { skip: absent }, (t) => {
  for (const name of inputsOnly) t.diagnostic(`${name}: no expected outputs in the suite (context.json and request.txt only); skipped`);
  assert.ok(inputsOnly.every((name) => existsSync(join(DIR, name, 'request.txt'))));
});

test('tampered requests and signatures do not verify', { skip: absent }, () => {
  for (const form of ['header', 'query'] as const) {
    const ctx = contextOf('get-vanilla-query');
    const secret = ctx.credentials.secret_access_key;
    const { req, body, sig } = signed('get-vanilla-query', form);
    const payload = payloadHashOf(req, sig.presigned, body)!;
    assert.ok(verifyV4a(req, sig, secret, payload));
    assert.ok(!verifyV4a({ ...req, path: '/x' }, sig, secret, payload), `${form}: path`);
    assert.ok(!verifyV4a({ ...req, method: 'POST' }, sig, secret, payload), `${form}: method`);
    assert.ok(!verifyV4a({ ...req, query: req.query + '&b=1' }, sig, secret, payload), `${form}: query`);
    assert.ok(!verifyV4a(req, sig, secret, 'UNSIGNED-PAYLOAD'), `${form}: payload hash`);
    assert.ok(!verifyV4a(req, sig, secret + 'x', payload), `${form}: another secret`);
    const headers = req.headers.map(([n, v]): [string, string] => [n, n.toLowerCase() === 'x-amz-date' ? '20150830T123601Z' : v]);
    if (form === 'header') assert.ok(!verifyV4a({ ...req, headers }, { ...sig, amzDate: '20150830T123601Z' }, secret, payload), 'date');
    // One flipped bit anywhere in the DER signature, and garbage, are refused without throwing.
    const flipped = sig.signature.slice(0, 20) + (sig.signature[20] === '0' ? '1' : '0') + sig.signature.slice(21);
    assert.ok(!verifyV4a(req, { ...sig, signature: flipped }, secret, payload), `${form}: flipped signature`);
    assert.ok(!verifyV4a(req, { ...sig, signature: 'zz' }, secret, payload));
    assert.ok(!verifyV4a(req, { ...sig, signature: '30' }, secret, payload));
  }
});

test('a signature made here verifies, and is randomized like the SDKs\'', () => {
  const pair = keyPairV4a('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
  const a = signStringV4a(pair, 'string to sign');
  const b = signStringV4a(pair, 'string to sign');
  assert.notEqual(a, b);
  assert.ok(verifyStringV4a(pair.publicKey, 'string to sign', a));
  assert.ok(verifyStringV4a(pair.publicKey, 'string to sign', b));
  assert.ok(!verifyStringV4a(pair.publicKey, 'string to sign!', a));
  assert.equal(keyPairV4a('AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'), pair, 'cached');
  assert.notEqual(keyPairV4a('AKIDEXAMPLF', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY').x, pair.x, 'the access key id enters the derivation');
});

test('malformed SigV4A authorization is told apart from none', () => {
  const base: SignableRequest = { method: 'GET', path: '/', query: '', headers: [['Host', 'example.com']] };
  assert.equal(parseSignatureV4a(base), undefined);
  assert.equal(parseSignatureV4a({ ...base, headers: [...base.headers, ['Authorization', 'AWS4-HMAC-SHA256 Credential=x']] }), undefined, 'SigV4 is not SigV4A');
  assert.equal(parseSignatureV4a({ ...base, headers: [...base.headers, ['Authorization', 'AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=30']] }), 'malformed', 'a scope with a Region is not SigV4A\'s');
  assert.equal(parseSignatureV4a({ ...base, query: 'X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKID%2F20150830%2Fservice%2Faws4_request' }), 'malformed');
});

test('region sets: exact names, * and prefix wildcards', () => {
  assert.ok(regionSetIncludes(['us-west-2'], 'us-west-2'));
  assert.ok(regionSetIncludes(['us-east-1', 'US-WEST-2'], 'us-west-2'));
  assert.ok(regionSetIncludes(['*'], 'eu-central-1'));
  assert.ok(regionSetIncludes(['us-*'], 'us-west-2'));
  assert.ok(!regionSetIncludes(['us-*'], 'eu-west-1'));
  assert.ok(!regionSetIncludes(['us-west-1'], 'us-west-2'));
  assert.ok(!regionSetIncludes([], 'us-west-2'));
});
