// Who is calling: verifies a SigV4-signed request against the stored access keys, for one
// signing service and Region, with AWS's ±5 minutes of clock skew. Errors carry AWS's words.
import { ApiError } from '../core/errors.ts';
import { EMPTY_SHA256, expectedSignature, parseAmzDate, parseSignature, sha256Hex, signaturesEqual, type SignableRequest } from './sigv4.ts';
import type { AccessKeyRecord } from './identities.ts';

export const MAX_SKEW_MS = 5 * 60 * 1000;

const missingToken = () => new ApiError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
const unrecognized = () => new ApiError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.');
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
  const key = v.lookup(sig.credential.accessKeyId);
  if (!key) throw unrecognized();
  const { credential } = sig;
  if (credential.service !== v.service) throw badSignature(`Credential should be scoped to correct service: '${v.service}'.`);
  if (credential.region !== v.region) throw badSignature(`Credential should be scoped to a valid region.`);
  if (!sig.amzDate.startsWith(credential.date)) throw badSignature('Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.');
  const signedAt = parseAmzDate(sig.amzDate);
  const now = (v.now ?? Date.now)();
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
