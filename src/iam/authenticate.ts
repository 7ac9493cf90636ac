// Who is calling: verifies a SigV4-signed request against the stored access keys, for one
// signing service and Region, with AWS's ±5 minutes of clock skew. Temporary (STS) keys must come
// with their session token and be used before they expire. Errors carry the JSON protocols' words;
// `queryAuthError` gives the query protocols' (IAM, STS) words for the same failures.
import { timingSafeEqual } from 'node:crypto';
import { ApiError } from '../core/errors.ts';
import { EMPTY_SHA256, expectedSignature, parseAmzDate, parseSignature, sha256Hex, signaturesEqual, type SignableRequest } from './sigv4.ts';
import type { AccessKeyRecord } from './identities.ts';

export const MAX_SKEW_MS = 5 * 60 * 1000;

/**
 * Services AWS serves from one global endpoint, signed for us-east-1 (the SDKs' endpoint rules give
 * `organizations` and `iam` the signing Region us-east-1, and STS's global endpoint is us-east-1):
 * Trellis accepts that Region for them besides its own.
 */
const GLOBAL_SERVICES = new Set(['iam', 'organizations', 'sts']);
const GLOBAL_REGION = 'us-east-1';

const missingToken = () => new ApiError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
const unrecognized = () => new ApiError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
const expiredToken = () => new ApiError('ExpiredTokenException', 403, 'The security token included in the request is expired');
const badSignature = (message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.') =>
  new ApiError('InvalidSignatureException', 403, message);
const incomplete = () => new ApiError('IncompleteSignatureException', 403, 'Authorization header requires \'Credential\', \'Signature\', \'SignedHeaders\' and \'X-Amz-Date\' parameters.');

export interface Verifier {
  region: string;
  service: string;
  lookup(accessKeyId: string): AccessKeyRecord | undefined;
  now?: () => number;
}

export function authenticate(v: Verifier, req: SignableRequest, body: Buffer): AccessKeyRecord {
  const sig = parseSignature(req);
  if (sig === undefined) throw missingToken();
  if (sig === 'malformed') throw incomplete();
  const now = (v.now ?? Date.now)();
  const key = checkKey(v.lookup(sig.credential.accessKeyId), sig.sessionToken, now);
  const { credential } = sig;
  if (credential.service !== v.service) throw badSignature(`Credential should be scoped to correct service: '${v.service}'.`);
  if (credential.region !== v.region && !(GLOBAL_SERVICES.has(v.service) && credential.region === GLOBAL_REGION)) {
    throw badSignature(`Credential should be scoped to a valid region.`);
  }
  if (!sig.amzDate.startsWith(credential.date)) throw badSignature('Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.');
  const signedAt = parseAmzDate(sig.amzDate);
  if (Number.isNaN(signedAt)) throw incomplete();
  if (sig.presigned) {
    if (now > signedAt + sig.expires! * 1000 || now < signedAt - MAX_SKEW_MS) throw badSignature('Signature expired.');
  } else if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    const iso = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
    throw badSignature(`Signature expired: ${sig.amzDate} is now earlier than ${iso(now - MAX_SKEW_MS)} (${iso(now)} - 5 min.)`);
  }
  if (!sig.signedHeaders.includes('host')) throw badSignature();
  const payloadHash = payloadHashOf(req, sig.presigned, body);
  if (payloadHash === undefined) throw badSignature('The provided x-amz-content-sha256 header does not match what was computed.');
  const expected = expectedSignature(req, sig, key.secretAccessKey, payloadHash);
  if (!signaturesEqual(expected, sig.signature)) {
    const tokenAfter = sig.presigned && sig.sessionToken !== undefined && signaturesEqual(expectedSignature(req, sig, key.secretAccessKey, payloadHash, true, true), sig.signature);
    if (!tokenAfter) throw badSignature();
  }
  return key;
}

/**
 * The key a request names, if it may be used at all: known and not Inactive (IAM User Guide,
 * id_credentials_access-keys: inactive keys can't sign API calls), and for temporary credentials
 * with their own session token (X-Amz-Security-Token header, or the query parameter of a presigned
 * request) and before their expiration. A token sent with a long-term key is as invalid as a wrong
 * one. For every verifier (SigV4, SigV4A, the data plane): the signature is checked afterwards.
 */
export function checkKey(key: AccessKeyRecord | undefined, sessionToken: string | undefined, now: number): AccessKeyRecord {
  if (!key || key.status === 'Inactive') throw unrecognized();
  if (key.sessionToken !== undefined || sessionToken !== undefined) {
    if (key.sessionToken === undefined || sessionToken === undefined || !tokensEqual(key.sessionToken, sessionToken)) throw unrecognized();
    if (key.expiration === undefined || !(now < Date.parse(key.expiration))) throw expiredToken();
  }
  return key;
}

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The payload hash that entered the signature: UNSIGNED-PAYLOAD when the client says so, else the
 * body's SHA-256 (undefined when the client declared a different one).
 */
export function payloadHashOf(req: SignableRequest, presigned: boolean, body: Buffer): string | undefined {
  const declared = presigned
    ? new URLSearchParams(req.query).get('X-Amz-Content-Sha256') ?? undefined
    : req.headers.find(([n]) => n.toLowerCase() === 'x-amz-content-sha256')?.[1];
  if (declared === 'UNSIGNED-PAYLOAD') return declared;
  const actual = body.length === 0 ? EMPTY_SHA256 : sha256Hex(body);
  return declared === undefined || declared === actual ? actual : undefined;
}

/**
 * An authentication error as the query-protocol services (IAM, STS) word it: InvalidClientTokenId,
 * ExpiredToken, SignatureDoesNotMatch, IncompleteSignature, MissingAuthenticationToken (STS and
 * IAM API references, "Common Errors"). Other errors come back unchanged.
 */
export function queryAuthError(err: ApiError): ApiError {
  switch (err.code) {
    case 'UnrecognizedClientException': return new ApiError('InvalidClientTokenId', 403, err.message);
    case 'ExpiredTokenException': return new ApiError('ExpiredToken', 403, err.message);
    case 'InvalidSignatureException': return new ApiError('SignatureDoesNotMatch', 403, err.message);
    case 'IncompleteSignatureException': return new ApiError('IncompleteSignature', 400, err.message);
    case 'MissingAuthenticationTokenException': return new ApiError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
    default: return err;
  }
}
