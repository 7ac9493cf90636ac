// AWS Signature Version 4A: the SigV4 canonical request, signed with ECDSA P-256 over SHA-256 by a
// key pair derived from the secret access key. The credential scope has no Region; the Regions the
// signature is good for travel in X-Amz-Region-Set (a header, or a query parameter when presigned).
// Sources: IAM User Guide, "AWS Signature Version 4 for API requests" (how SigV4a works); the key
// derivation of the AWS Common Runtime (aws-c-auth source/key_derivation.c), whose test suite is in
// ../shared/vectors/sigv4/v4a.
import { createECDH, createHmac, createPrivateKey, createPublicKey, sign as ecdsaSign, verify as ecdsaVerify, type KeyObject } from 'node:crypto';
import { authorizationFields, canonicalRequest, sha256Hex, type SignableRequest } from './sigv4.ts';

export const ALGORITHM_V4A = 'AWS4-ECDSA-P256-SHA256';
export const REGION_SET_HEADER = 'x-amz-region-set';
export const REGION_SET_PARAM = 'X-Amz-Region-Set';

export interface CredentialV4a { accessKeyId: string; date: string; service: string }

export interface ParsedSignatureV4a {
  credential: CredentialV4a;
  signedHeaders: string[];
  /** Hex of a DER-encoded ECDSA signature. */
  signature: string;
  amzDate: string;
  /** The Regions the signature claims, from X-Amz-Region-Set (empty when absent). */
  regionSet: string[];
  expires?: number;
  sessionToken?: string;
  presigned: boolean;
}

export interface KeyPairV4a {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public point's coordinates, 64 lowercase hex digits each (as public-key.json has them). */
  x: string;
  y: string;
}

const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/aws4_request$/;

function parseCredential(s: string): CredentialV4a | undefined {
  const m = CREDENTIAL.exec(s);
  return m ? { accessKeyId: m[1], date: m[2], service: m[3] } : undefined;
}

const regionList = (s: string | null | undefined): string[] =>
  (s ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');

/**
 * Reads a SigV4A signature from the Authorization header or the presigned query. Undefined when the
 * request carries no SigV4A signature; 'malformed' when it tries and a required part is missing.
 */
export function parseSignatureV4a(req: SignableRequest): ParsedSignatureV4a | 'malformed' | undefined {
  const header = (name: string) => req.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  const auth = header('authorization');
  if (auth !== undefined) {
    if (!auth.startsWith(ALGORITHM_V4A + ' ')) return undefined;
    const fields = authorizationFields(auth, ALGORITHM_V4A);
    const credential = parseCredential(fields.get('Credential') ?? '');
    const signed = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    const amzDate = header('x-amz-date');
    if (!credential || !signed || !signature || !amzDate) return 'malformed';
    return { credential, signedHeaders: signed.split(';'), signature, amzDate, regionSet: regionList(header(REGION_SET_HEADER)), sessionToken: header('x-amz-security-token'), presigned: false };
  }
  const q = new URLSearchParams(req.query);
  if (q.get('X-Amz-Algorithm') !== ALGORITHM_V4A) return undefined;
  const credential = parseCredential(q.get('X-Amz-Credential') ?? '');
  const signed = q.get('X-Amz-SignedHeaders');
  const signature = q.get('X-Amz-Signature');
  const amzDate = q.get('X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires') ?? '');
  if (!credential || !signed || !signature || !amzDate || !Number.isInteger(expires)) return 'malformed';
  return { credential, signedHeaders: signed.split(';'), signature, amzDate, expires, regionSet: regionList(q.get(REGION_SET_PARAM)), sessionToken: q.get('X-Amz-Security-Token') ?? undefined, presigned: true };
}

export const scopeV4a = (c: CredentialV4a): string => `${c.date}/${c.service}/aws4_request`;

export function stringToSignV4a(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM_V4A}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/**
 * The canonical request as SigV4 builds it. `omitToken`: a session token added to the presigned
 * query after signing (the CRT's omit_session_token) is left out, like the signature itself.
 */
export function canonicalRequestV4a(req: SignableRequest, sig: ParsedSignatureV4a, payloadHash: string, normalize = true, omitToken = false): string {
  const omit = !sig.presigned ? [] : omitToken ? ['X-Amz-Signature', 'X-Amz-Security-Token'] : ['X-Amz-Signature'];
  return canonicalRequest(req, sig.signedHeaders, payloadHash, omit, normalize);
}

/** n - 2 for P-256: a candidate scalar above it is rejected and the counter moves on. */
const N_MINUS_2 = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC63254F');
const b64url = (b: Buffer) => b.toString('base64url');

/**
 * The SigV4A key derivation (a NIST SP 800-108 counter-mode KDF with HMAC-SHA256): for counter
 * 1..254, k0 = HMAC("AWS4A" + secret, 0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00 || accessKeyId ||
 * counter || 0x00000100); the first k0 <= n - 2 gives the private scalar d = k0 + 1.
 */
export function derivePrivateScalar(accessKeyId: string, secretAccessKey: string): Buffer {
  const key = Buffer.concat([Buffer.from('AWS4A'), Buffer.from(secretAccessKey, 'utf8')]);
  for (let counter = 1; counter <= 254; counter++) {
    const input = Buffer.concat([
      Buffer.from([0, 0, 0, 1]), Buffer.from(ALGORITHM_V4A), Buffer.from([0]),
      Buffer.from(accessKeyId, 'utf8'), Buffer.from([counter]), Buffer.from([0, 0, 1, 0]),
    ]);
    const k0 = BigInt('0x' + createHmac('sha256', key).update(input).digest('hex'));
    if (k0 > N_MINUS_2) continue;
    return Buffer.from((k0 + 1n).toString(16).padStart(64, '0'), 'hex');
  }
  throw new Error('SigV4A key derivation: no valid key within 254 counters');
}

const pairs = new Map<string, KeyPairV4a>();

/** The key pair of an access key, derived once and cached (derivation costs a point multiplication). */
export function keyPairV4a(accessKeyId: string, secretAccessKey: string): KeyPairV4a {
  const id = `${accessKeyId}\0${secretAccessKey}`;
  let pair = pairs.get(id);
  if (!pair) {
    const d = derivePrivateScalar(accessKeyId, secretAccessKey);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey(); // 0x04 || X || Y
    const jwk = { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33, 65)) };
    pair = {
      privateKey: createPrivateKey({ key: { ...jwk, d: b64url(d) }, format: 'jwk' }),
      publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
      x: point.subarray(1, 33).toString('hex'),
      y: point.subarray(33, 65).toString('hex'),
    };
    if (pairs.size > 1024) pairs.clear();
    pairs.set(id, pair);
  }
  return pair;
}

/** Signs a string to sign: hex of a DER ECDSA-P256-SHA256 signature (randomized, like the SDKs'). */
export function signStringV4a(pair: KeyPairV4a, stringToSign: string): string {
  return ecdsaSign('sha256', Buffer.from(stringToSign), { key: pair.privateKey, dsaEncoding: 'der' }).toString('hex');
}

/** Verifies a hex DER signature over a string to sign; false for anything that does not parse. */
export function verifyStringV4a(publicKey: KeyObject, stringToSign: string, signatureHex: string): boolean {
  if (!/^(?:[0-9a-fA-F]{2}){8,80}$/.test(signatureHex)) return false;
  try {
    return ecdsaVerify('sha256', Buffer.from(stringToSign), { key: publicKey, dsaEncoding: 'der' }, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}

/** Verifies the request's SigV4A signature with the key pair derived from the given credentials. */
export function verifyV4a(req: SignableRequest, sig: ParsedSignatureV4a, secretAccessKey: string, payloadHash: string, normalize = true, omitToken = false): boolean {
  const pair = keyPairV4a(sig.credential.accessKeyId, secretAccessKey);
  const sts = stringToSignV4a(sig.amzDate, scopeV4a(sig.credential), canonicalRequestV4a(req, sig, payloadHash, normalize, omitToken));
  return verifyStringV4a(pair.publicKey, sts, sig.signature);
}

/**
 * Whether a region set covers a Region: an exact name (case-insensitive), '*', or a name ending
 * in '*' that prefixes it (e.g. 'us-*'), as the SDKs' region sets allow wildcards.
 */
export function regionSetIncludes(regionSet: readonly string[], region: string): boolean {
  const r = region.toLowerCase();
  return regionSet.some((entry) => {
    const e = entry.toLowerCase();
    return e === '*' || e === r || (e.endsWith('*') && r.startsWith(e.slice(0, -1)));
  });
}
