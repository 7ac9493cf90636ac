// Who is calling a service whose auth type is AWS_IAM: verifies SigV4 and SigV4A signatures (header
// and presigned-query forms) as VPC Lattice does. From "SIGv4 authenticated requests for Amazon VPC
// Lattice" (https://docs.aws.amazon.com/vpc-lattice/latest/ug/sigv4-authenticated-requests.html):
//  - "VPC Lattice attempts to authenticate any request that is signed with SIGv4 or SIGv4A. The
//    request fails without authentication": a signature that does not verify is 'invalid', never
//    'anonymous'; only a request with no signature at all is anonymous.
//  - "VPC Lattice does not support payload signing. You must send an x-amz-content-sha256 header
//    with the value set to UNSIGNED-PAYLOAD": the body is never hashed (it streams to the target);
//    a signature over a payload hash (even the empty body's) is refused, not checked.
// Clients sign for service vpc-lattice-svcs and the service's Region (SigV4A: a region set that
// covers it). Codes and messages are AWS's SigV4 ones; the missing x-amz-content-sha256 and missing
// SignedHeader messages were seen from the Lattice data plane in public reports (aws-sigv4-proxy#116,
// curl#11007, aws-sdk-go-v2#2593), which answers `<code>: <message>`. The region-set and
// payload-signing messages are Trellis's own words: no AWS text for them is published.
import { expectedSignature, parseAmzDate, parseSignature, signaturesEqual, ALGORITHM, type SignableRequest } from '../iam/sigv4.ts';
import { ALGORITHM_V4A, parseSignatureV4a, regionSetIncludes, verifyV4a, REGION_SET_HEADER } from '../iam/sigv4a.ts';
import type { AccessKeyRecord } from '../iam/identities.ts';

export const LATTICE_SIGNING_NAME = 'vpc-lattice-svcs';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const MAX_SKEW_MS = 5 * 60 * 1000;
/** A presigned URL lives at most seven days (SigV4 query-string authentication). */
export const MAX_EXPIRES_S = 7 * 24 * 3600;

export type AuthnResult =
  | { kind: 'anonymous' }
  | { kind: 'signed'; key: AccessKeyRecord }
  | { kind: 'invalid'; code: string; message: string };

export interface AuthnOptions {
  /** The Region the service lives in: SigV4's credential scope, SigV4A's region set must name it. */
  region: string;
  lookup(accessKeyId: string): AccessKeyRecord | undefined;
  now?: () => number;
}

/** What both algorithms' parsed signatures share. */
interface Sig {
  algorithm: string;
  accessKeyId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  amzDate: string;
  expires?: number;
  sessionToken?: string;
  presigned: boolean;
  verify(req: SignableRequest, secret: string, payloadHash: string, omitToken: boolean): boolean;
  /** SigV4's scope Region, or undefined for SigV4A. */
  region?: string;
  regionSet?: string[];
}

const invalid = (code: string, message: string): AuthnResult => ({ kind: 'invalid', code, message });
const incomplete = (message: string) => invalid('IncompleteSignatureException', message);
const badSignature = (message: string) => invalid('InvalidSignatureException', message);
const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const HEADER_PARTS = "Authorization header requires 'Credential', 'Signature', 'SignedHeaders' and 'X-Amz-Date' parameters.";
const QUERY_PARTS = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders' and 'X-Amz-Expires'.";
const badToken = () => invalid('UnrecognizedClientException', 'The security token included in the request is invalid.');

/**
 * Hop-by-hop headers end at the Lattice front end, before the signature is checked: one the client
 * signed reads as absent (seen from Lattice with `connection`, aws-sdk-go-v2#2593). RFC 9110 7.6.1.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/** The headers as the verifier sees them: hop-by-hop dropped; HTTP/2's :authority stands for host. */
function verifiedHeaders(raw: [string, string][]): [string, string][] {
  const out = raw.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase()) && !n.startsWith(':'));
  const authority = raw.find(([n]) => n === ':authority')?.[1];
  if (authority !== undefined && !out.some(([n]) => n.toLowerCase() === 'host')) out.push(['host', authority]);
  return out;
}

function parse(req: SignableRequest): Sig | 'malformed' | undefined {
  const v4a = parseSignatureV4a(req);
  if (v4a === 'malformed') return v4a;
  if (v4a) {
    return {
      algorithm: ALGORITHM_V4A, accessKeyId: v4a.credential.accessKeyId, date: v4a.credential.date, service: v4a.credential.service,
      signedHeaders: v4a.signedHeaders, amzDate: v4a.amzDate, expires: v4a.expires, sessionToken: v4a.sessionToken, presigned: v4a.presigned,
      regionSet: v4a.regionSet,
      verify: (r, secret, payload, omitToken) => verifyV4a(r, v4a, secret, payload, true, omitToken),
    };
  }
  const v4 = parseSignature(req);
  if (v4 === 'malformed' || v4 === undefined) return v4;
  return {
    algorithm: ALGORITHM, accessKeyId: v4.credential.accessKeyId, date: v4.credential.date, service: v4.credential.service,
    signedHeaders: v4.signedHeaders, amzDate: v4.amzDate, expires: v4.expires, sessionToken: v4.sessionToken, presigned: v4.presigned,
    region: v4.credential.region,
    verify: (r, secret, payload, omitToken) => signaturesEqual(expectedSignature(r, v4, secret, payload, true, omitToken), v4.signature),
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/** AWS's wording for a request signed too long ago or too far ahead (header form). */
function clockError(amzDate: string, signedAt: number, now: number): AuthnResult | undefined {
  if (signedAt < now - MAX_SKEW_MS) return badSignature(`Signature expired: ${amzDate} is now earlier than ${iso(now - MAX_SKEW_MS)} (${iso(now)} - 5 min.)`);
  if (signedAt > now + MAX_SKEW_MS) return badSignature(`Signature not yet current: ${amzDate} is still later than ${iso(now + MAX_SKEW_MS)} (${iso(now)} + 5 min.)`);
  return undefined;
}

/**
 * Authenticates one request. `body` is never read: Lattice signs no payload (see above), and the
 * data plane streams bodies to targets, so a client that declares a payload hash is refused whether
 * or not the body would match.
 */
export function authenticateRequest(req: SignableRequest & { body?: Buffer }, opts: AuthnOptions): AuthnResult {
  const hasAuthHeader = req.headers.some(([n, v]) => n.toLowerCase() === 'authorization' && /^AWS4-/i.test(v));
  const hasQueryAuth = /(?:^|&)X-Amz-(?:Signature|Algorithm|Credential)=/.test(req.query);
  // Any other Authorization scheme (Basic, Bearer...) is the target's business, not a signature.
  if (!hasAuthHeader && !hasQueryAuth) return { kind: 'anonymous' };
  if (hasAuthHeader && hasQueryAuth) return incomplete('Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');

  const algorithm = hasAuthHeader
    ? req.headers.find(([n]) => n.toLowerCase() === 'authorization')![1].split(' ')[0]
    : new URLSearchParams(req.query).get('X-Amz-Algorithm') ?? '';
  if (algorithm !== ALGORITHM && algorithm !== ALGORITHM_V4A) {
    return hasAuthHeader || algorithm !== '' ? incomplete(`Unsupported AWS 'algorithm': '${algorithm}'.`) : incomplete(QUERY_PARTS);
  }
  const signable: SignableRequest = { method: req.method, path: req.path, query: req.query, headers: verifiedHeaders(req.headers) };
  const sig = parse(signable);
  if (sig === undefined || sig === 'malformed') return incomplete(hasAuthHeader ? HEADER_PARTS : QUERY_PARTS);

  // The scope: service and Region (SigV4) or region set (SigV4A), and the date.
  if (sig.service !== LATTICE_SIGNING_NAME) return badSignature(`Credential should be scoped to correct service: '${LATTICE_SIGNING_NAME}'.`);
  if (sig.region !== undefined && sig.region !== opts.region) return badSignature(`Credential should be scoped to a valid region, not '${sig.region}'.`);
  if (sig.regionSet !== undefined) {
    if (sig.regionSet.length === 0) return incomplete(`Missing the '${REGION_SET_HEADER}' in the request.`);
    if (!sig.presigned && !sig.signedHeaders.includes(REGION_SET_HEADER)) return incomplete(`Missing the '${REGION_SET_HEADER}' in canonical headers.`);
    if (!regionSetIncludes(sig.regionSet, opts.region)) return badSignature(`The region set '${sig.regionSet.join(',')}' of the signature does not include '${opts.region}'.`);
  }
  const signedAt = parseAmzDate(sig.amzDate);
  if (Number.isNaN(signedAt)) return incomplete(`Date must be in ISO-8601 'basic format'. Got '${sig.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  if (!sig.amzDate.startsWith(sig.date)) return badSignature(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${sig.date}' != '${sig.amzDate.slice(0, 8)}', from 'X-Amz-Date'.`);
  const now = (opts.now ?? Date.now)();
  if (sig.presigned) {
    const expires = sig.expires!;
    if (expires < 1 || expires > MAX_EXPIRES_S) return badSignature(`X-Amz-Expires must be between 1 and ${MAX_EXPIRES_S} seconds.`);
    if (now > signedAt + expires * 1000) return badSignature(`Signature expired: ${sig.amzDate} is now earlier than ${iso(now - expires * 1000)} (${iso(now)} - ${expires} sec.)`);
    if (signedAt > now + MAX_SKEW_MS) return clockError(sig.amzDate, signedAt, now)!;
  } else {
    const skew = clockError(sig.amzDate, signedAt, now);
    if (skew) return skew;
  }

  // Every signed header must be there; host must be signed.
  const present = new Set(signable.headers.map(([n]) => n.toLowerCase()));
  for (const name of sig.signedHeaders) {
    if (!present.has(name)) return incomplete(`'${name}' is named as a SignedHeader, but it does not exist in the HTTP request.`);
  }
  if (!sig.signedHeaders.includes('host')) return incomplete("Missing the 'host' in canonical headers.");

  // The payload: always UNSIGNED-PAYLOAD on Lattice, declared by the client and covered by the signature.
  // A presigner hoists the header into the query under the name it was given (the JS SDK keeps its
  // case), so the query parameter is matched case-insensitively, every occurrence.
  const headerHash = signable.headers.filter(([n]) => n.toLowerCase() === 'x-amz-content-sha256').map(([, v]) => v);
  const queryHash = sig.presigned ? [...new URLSearchParams(req.query)].filter(([n]) => n.toLowerCase() === 'x-amz-content-sha256').map(([, v]) => v) : [];
  if (!sig.presigned && !sig.signedHeaders.includes('x-amz-content-sha256')) return incomplete("Missing the 'x-amz-content-sha256' in canonical headers."); // Lattice
  const declared = queryHash.length > 0 ? queryHash : sig.signedHeaders.includes('x-amz-content-sha256') ? headerHash : [];
  if (declared.length === 0) return incomplete("Missing the 'X-Amz-Content-Sha256' query parameter: VPC Lattice needs X-Amz-Content-Sha256=UNSIGNED-PAYLOAD.");
  const signedPayload = declared.map((v) => v.trim()).find((v) => v !== UNSIGNED_PAYLOAD);
  if (signedPayload !== undefined) return badSignature(`VPC Lattice does not support payload signing: x-amz-content-sha256 must be '${UNSIGNED_PAYLOAD}', not '${signedPayload}'.`);

  // The key, and for temporary credentials the session token and its expiry (identity data model).
  const key = opts.lookup(sig.accessKeyId);
  if (!key || key.status === 'Inactive') return badToken();
  const temporary = key.sessionToken !== undefined || key.accessKeyId.startsWith('ASIA');
  if (temporary) {
    if (sig.sessionToken === undefined || key.sessionToken === undefined || !signaturesEqual(sig.sessionToken, key.sessionToken)) return badToken();
    // No (or no readable) expiration reads as expired, as src/iam/authenticate.ts has it.
    if (key.expiration === undefined || !(Date.parse(key.expiration) > now)) return invalid('ExpiredTokenException', 'The security token included in the request is expired');
  } else if (sig.sessionToken !== undefined) {
    return badToken();
  }

  // The signature itself; a presigned URL whose token was appended after signing is also accepted.
  if (sig.verify(signable, key.secretAccessKey, UNSIGNED_PAYLOAD, false)) return { kind: 'signed', key };
  if (sig.presigned && sig.sessionToken !== undefined && sig.verify(signable, key.secretAccessKey, UNSIGNED_PAYLOAD, true)) return { kind: 'signed', key };
  return badSignature(MISMATCH);
}
