// AWS Signature Version 4: the canonical request, the signing key and the signature, for both
// sides: verifying what a client sent (header or presigned-query form) and signing our own calls.
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignableRequest {
  method: string;
  /** The path exactly as sent on the wire (percent-encoded), without the query. */
  path: string;
  /** The raw query string without '?'. */
  query: string;
  /** Header name/value pairs in arrival order (Node's rawHeaders, paired). */
  headers: [string, string][];
}

export interface Credential { accessKeyId: string; date: string; region: string; service: string }

export interface ParsedSignature {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** The presigned form's X-Amz-Expires, in seconds. */
  expires?: number;
  sessionToken?: string;
  presigned: boolean;
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding as AWS uses it: everything but unreserved characters. */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The canonical URI: dot segments removed and each segment encoded once more (all services but S3). */
export function canonicalPath(path: string, normalize = true): string {
  if (!normalize) return path.split('/').map(uriEscape).join('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const trailing = out.length > 0 && path.endsWith('/') ? '/' : '';
  return '/' + out.map(uriEscape).join('/') + trailing;
}

export function canonicalQuery(query: string, omit: readonly string[] = []): string {
  if (!query) return '';
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = safeDecode(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
    if (omit.includes(k)) continue;
    pairs.push([uriEscape(k), uriEscape(v)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function safeDecode(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

export function canonicalHeaders(headers: [string, string][], signed: string[]): string {
  const values = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    const list = values.get(n);
    const v = value.trim().replace(/\s+/g, ' ');
    if (list) list.push(v);
    else values.set(n, [v]);
  }
  return signed.map((n) => `${n}:${(values.get(n) ?? []).join(',')}\n`).join('');
}

export function canonicalRequest(req: SignableRequest, signedHeaders: string[], payloadHash: string, omitQuery: readonly string[] = [], normalize = true): string {
  return [
    req.method,
    canonicalPath(req.path, normalize),
    canonicalQuery(req.query, omitQuery),
    canonicalHeaders(req.headers, signedHeaders),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export const scopeOf = (c: Credential): string => `${c.date}/${c.region}/${c.service}/aws4_request`;

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

/**
 * Derived signing keys, cached per secret, date, region and service. Kept as KeyObjects: HMAC with
 * a KeyObject skips the key preparation Node does for every Buffer key (6x faster per request).
 */
const keyCache = new Map<string, KeyObject>();
export function signingKey(secret: string, c: Credential): KeyObject {
  const id = `${secret}\0${c.date}\0${c.region}\0${c.service}`;
  let key = keyCache.get(id);
  if (!key) {
    const kDate = createHmac('sha256', 'AWS4' + secret).update(c.date).digest();
    const kRegion = createHmac('sha256', kDate).update(c.region).digest();
    const kService = createHmac('sha256', kRegion).update(c.service).digest();
    key = createSecretKey(createHmac('sha256', kService).update('aws4_request').digest());
    if (keyCache.size > 1024) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

export const signatureOf = (key: KeyObject, sts: string): string => createHmac('sha256', key).update(sts).digest('hex');

export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

function parseCredential(s: string): Credential | undefined {
  const m = CREDENTIAL.exec(s);
  return m ? { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] } : undefined;
}

/** The `Name=value` fields after the algorithm in an Authorization header (SigV4 and SigV4a alike). */
export function authorizationFields(auth: string, algorithm: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of auth.slice(algorithm.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return fields;
}

/**
 * Reads the signature from the Authorization header or the presigned query. Returns undefined
 * when the request carries no signature at all, and 'malformed' when it tries and fails.
 */
export function parseSignature(req: SignableRequest): ParsedSignature | 'malformed' | undefined {
  const header = (name: string) => req.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  const auth = header('authorization');
  if (auth !== undefined) {
    if (!auth.startsWith(ALGORITHM + ' ')) return 'malformed';
    const fields = authorizationFields(auth, ALGORITHM);
    const credential = parseCredential(fields.get('Credential') ?? '');
    const signed = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    const amzDate = header('x-amz-date');
    if (!credential || !signed || !signature || !amzDate) return 'malformed';
    return { credential, signedHeaders: signed.split(';'), signature, amzDate, sessionToken: header('x-amz-security-token'), presigned: false };
  }
  if (!/(^|&)X-Amz-Signature=/.test(req.query)) return undefined;
  const q = new URLSearchParams(req.query);
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) return 'malformed';
  const credential = parseCredential(q.get('X-Amz-Credential') ?? '');
  const signed = q.get('X-Amz-SignedHeaders');
  const signature = q.get('X-Amz-Signature');
  const amzDate = q.get('X-Amz-Date');
  const expires = Number(q.get('X-Amz-Expires') ?? '');
  if (!credential || !signed || !signature || !amzDate || !Number.isInteger(expires)) return 'malformed';
  return { credential, signedHeaders: signed.split(';'), signature, amzDate, expires, sessionToken: q.get('X-Amz-Security-Token') ?? undefined, presigned: true };
}

/** X-Amz-Date (yyyymmddThhmmssZ) as epoch milliseconds, or NaN. */
export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Computes the signature the client should have sent. `omitToken`: a presigned URL whose session
 * token was appended after signing (as some clients do) leaves it out of the canonical query.
 */
export function expectedSignature(req: SignableRequest, sig: ParsedSignature, secret: string, payloadHash: string, normalize = true, omitToken = false): string {
  const omit = !sig.presigned ? [] : omitToken ? ['X-Amz-Signature', 'X-Amz-Security-Token'] : ['X-Amz-Signature'];
  const canonical = canonicalRequest(req, sig.signedHeaders, payloadHash, omit, normalize);
  return signatureOf(signingKey(secret, sig.credential), stringToSign(sig.amzDate, scopeOf(sig.credential), canonical));
}

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | Buffer;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: string;
  now?: Date;
}

/** Signs a request in the header form; returns the headers to send (host, x-amz-date, authorization...). */
export function sign(input: SignInput): Record<string, string> {
  const date = amzDate(input.now ?? new Date());
  const payloadHash = sha256Hex(input.body ?? '');
  const headers: Record<string, string> = { ...lowerKeys(input.headers), host: input.url.host, 'x-amz-date': date, 'x-amz-content-sha256': payloadHash };
  if (input.sessionToken) headers['x-amz-security-token'] = input.sessionToken;
  const signedHeaders = Object.keys(headers).sort();
  const credential: Credential = { accessKeyId: input.accessKeyId, date: date.slice(0, 8), region: input.region, service: input.service };
  const req: SignableRequest = { method: input.method, path: input.url.pathname, query: input.url.search.slice(1), headers: Object.entries(headers) };
  const canonical = canonicalRequest(req, signedHeaders, payloadHash);
  const signature = signatureOf(signingKey(input.secretAccessKey, credential), stringToSign(date, scopeOf(credential), canonical));
  headers.authorization = `${ALGORITHM} Credential=${input.accessKeyId}/${scopeOf(credential)}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
