// `trellis curl`: one HTTP request signed with SigV4 for vpc-lattice-svcs, curl-style. Also the
// signing and credential loading that `trellis sign-proxy` shares. VPC Lattice "does not support
// payload signing. You must send an x-amz-content-sha256 header with the value set to
// UNSIGNED-PAYLOAD" (User Guide, sigv4-authenticated-requests), so bodies are never hashed.
import { parseArgs } from 'node:util';
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import {
  ALGORITHM, amzDate, canonicalRequest, scopeOf, signatureOf, signingKey, stringToSign, type Credential,
} from '../iam/sigv4.ts';

export const SIGNING_NAME = 'vpc-lattice-svcs';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface AwsCredentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string; source: string }

/** One profile of an AWS shared credentials file, or undefined when the file or profile is absent. */
export function readProfile(file: string, profile: string): Omit<AwsCredentials, 'source'> | undefined {
  if (!existsSync(file)) return undefined;
  let current = '';
  let seen = false;
  const found: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (/^\s*[#;]/.test(line)) continue;
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section) { current = section[1].trim(); seen ||= current === profile; continue; }
    const kv = /^\s*([\w]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (kv && current === profile) found[kv[1].toLowerCase()] = kv[2];
  }
  if (!seen || !found.aws_access_key_id || !found.aws_secret_access_key) return undefined;
  return { accessKeyId: found.aws_access_key_id, secretAccessKey: found.aws_secret_access_key, ...(found.aws_session_token ? { sessionToken: found.aws_session_token } : {}) };
}

/**
 * The caller's credentials, as the AWS CLI finds them: --profile from the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials); else AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; else AWS_PROFILE or "default" from the file; else
 * Trellis's own (TRELLIS_* variables, or <data-dir>/credentials, profile "trellis").
 */
export function loadCredentials(o: { profile?: string; dataDir?: string }, env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const shared = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
  if (o.profile !== undefined) {
    const p = readProfile(shared, o.profile);
    if (!p) throw new Error(`no profile "${o.profile}" with aws_access_key_id and aws_secret_access_key in ${shared}`);
    return { ...p, source: `profile ${o.profile} in ${shared}` };
  }
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}), source: 'environment (AWS_ACCESS_KEY_ID)' };
  }
  if (env.AWS_PROFILE) {
    const p = readProfile(shared, env.AWS_PROFILE);
    if (!p) throw new Error(`no profile "${env.AWS_PROFILE}" (AWS_PROFILE) with keys in ${shared}`);
    return { ...p, source: `profile ${env.AWS_PROFILE} in ${shared}` };
  }
  const def = readProfile(shared, 'default');
  if (def) return { ...def, source: `profile default in ${shared}` };
  if (env.TRELLIS_ACCESS_KEY_ID && env.TRELLIS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.TRELLIS_ACCESS_KEY_ID, secretAccessKey: env.TRELLIS_SECRET_ACCESS_KEY, source: 'environment (TRELLIS_ACCESS_KEY_ID)' };
  }
  const trellis = join(o.dataDir ?? './.trellis', 'credentials');
  const t = readProfile(trellis, 'trellis');
  if (t) return { ...t, source: `profile trellis in ${trellis}` };
  throw new Error(`no credentials: give --profile, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a default profile to ${shared} (Trellis's own: ${trellis})`);
}

/**
 * The Region to sign for: given, else the one in a Lattice name
 * (<name>-<id>.<label>.vpc-lattice-svcs.<region>.on.aws), else AWS_REGION / AWS_DEFAULT_REGION,
 * else us-east-1.
 */
export function regionFor(host: string, given?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (given) return given;
  const m = /\.vpc-lattice-svcs\.([a-z]{2}(?:-[a-z]+)+-\d)\.on\.aws\.?$/i.exec(host);
  return m?.[1].toLowerCase() ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

/** Headers SigV4 signers leave out (the AWS SDKs' list), and hop-by-hop ones a proxy may change. */
const UNSIGNABLE = new Set([
  'authorization', 'cache-control', 'connection', 'expect', 'from', 'keep-alive', 'max-forwards', 'pragma', 'referer', 'te',
  'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'x-amzn-trace-id', 'proxy-connection', 'proxy-authorization',
]);
/** Set by the signer, whatever the client sent. */
const REPLACED = new Set(['host', 'authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']);

/**
 * Signs a request for vpc-lattice-svcs in the header form with an unsigned payload. `headers` are
 * the ones to send (name, value) pairs; returns them with host, x-amz-date,
 * x-amz-content-sha256, x-amz-security-token and authorization set.
 */
export function signLattice(o: { method: string; url: URL; headers: [string, string][]; credentials: Omit<AwsCredentials, 'source'>; region: string; now?: Date }): [string, string][] {
  const date = amzDate(o.now ?? new Date());
  const out: [string, string][] = o.headers.filter(([n]) => !REPLACED.has(n.toLowerCase()));
  out.push(['host', o.url.host], ['x-amz-date', date], ['x-amz-content-sha256', UNSIGNED_PAYLOAD]);
  if (o.credentials.sessionToken) out.push(['x-amz-security-token', o.credentials.sessionToken]);
  const signed = [...new Set(out.map(([n]) => n.toLowerCase()).filter((n) => !UNSIGNABLE.has(n)))].sort();
  const credential: Credential = { accessKeyId: o.credentials.accessKeyId, date: date.slice(0, 8), region: o.region, service: SIGNING_NAME };
  const canonical = canonicalRequest({ method: o.method, path: o.url.pathname, query: o.url.search.slice(1), headers: out }, signed, UNSIGNED_PAYLOAD);
  const signature = signatureOf(signingKey(o.credentials.secretAccessKey, credential), stringToSign(date, scopeOf(credential), canonical));
  out.push(['authorization', `${ALGORITHM} Credential=${o.credentials.accessKeyId}/${scopeOf(credential)}, SignedHeaders=${signed.join(';')}, Signature=${signature}`]);
  return out;
}

/** Header pairs as Node's request options take them: repeated names become lists. */
export function headerObject(pairs: [string, string][]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [n, v] of pairs) {
    const k = n.toLowerCase();
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}

/** curl's --resolve HOST:PORT:ADDR (ADDR may be [v6]). */
export function parseResolve(list: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list) {
    const m = /^([^:]+):(\d{1,5}):(\[[^\]]+\]|[^:]+)$/.exec(item);
    if (!m) throw new Error(`--resolve needs HOST:PORT:ADDRESS, got "${item}"`);
    const addr = m[3].replace(/^\[|\]$/g, '');
    if (!isIP(addr)) throw new Error(`--resolve ${item}: "${addr}" is not an IP address`);
    out.set(`${m[1].toLowerCase()}:${Number(m[2])}`, addr);
  }
  return out;
}

export const defaultPort = (url: URL): number => Number(url.port || (url.protocol === 'https:' ? 443 : 80));

const HELP = `Usage: trellis curl [options] URL

Sends one request signed with SigV4 for vpc-lattice-svcs (x-amz-content-sha256: UNSIGNED-PAYLOAD) and
prints the response body (with -i, the status line and headers first).

  -X, --request METHOD     default GET, or POST with -d
  -H, --header 'K: V'      a request header (repeatable)
  -d, --data DATA          the body (@FILE reads a file, @- standard input; repeated: joined with &)
  -i, --include            print the status line and headers
  -f, --fail               no body and exit status 22 on an HTTP status of 400 or more
  -k, --insecure           do not verify the server's certificate
  -m, --max-time SECONDS   give up after this long (default 60)
  --cacert FILE            trust this CA (trellis ca prints Trellis's)
  --resolve HOST:PORT:ADDR connect there for HOST:PORT (repeatable), as curl does
  --profile NAME           credentials from this profile of the shared credentials file
  --region NAME            default: the Region in a Lattice name, AWS_REGION, else us-east-1
  --data-dir DIR           Trellis's credentials as the last fallback (default ./.trellis)

Credentials: --profile; else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN; else AWS_PROFILE
or the default profile of AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials); else Trellis's own.`;

function readData(list: string[]): Buffer | undefined {
  if (list.length === 0) return undefined;
  const parts = list.map((d) => {
    if (!d.startsWith('@')) return Buffer.from(d);
    const file = d.slice(1);
    try {
      return readFileSync(file === '-' ? 0 : file);
    } catch (err) {
      throw new Error(`-d ${d}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  });
  return parts.length === 1 ? parts[0] : Buffer.from(parts.map((p) => p.toString('utf8')).join('&'));
}

export async function curlCommand(args: string[]): Promise<void> {
  const { values: o, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      request: { type: 'string', short: 'X' },
      header: { type: 'string', short: 'H', multiple: true, default: [] },
      data: { type: 'string', short: 'd', multiple: true, default: [] },
      include: { type: 'boolean', short: 'i', default: false },
      fail: { type: 'boolean', short: 'f', default: false },
      insecure: { type: 'boolean', short: 'k', default: false },
      silent: { type: 'boolean', short: 's', default: false },
      'max-time': { type: 'string', short: 'm', default: '60' },
      cacert: { type: 'string' },
      resolve: { type: 'string', multiple: true, default: [] },
      profile: { type: 'string' },
      region: { type: 'string' },
      'data-dir': { type: 'string', default: './.trellis' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) return void console.log(HELP);
  if (positionals.length !== 1) throw new Error(`curl takes one URL, got ${positionals.length}\n\n${HELP}`);
  const text = positionals[0];
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new Error(`not a URL: "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`only http:// and https:// URLs, got ${url.protocol}`);
  const maxTime = Number(o['max-time']);
  if (!(maxTime > 0)) throw new Error(`--max-time needs seconds, got "${o['max-time']}"`);

  const body = readData(o.data);
  const method = (o.request ?? (body ? 'POST' : 'GET')).toUpperCase();
  const headers: [string, string][] = [];
  for (const h of o.header) {
    const i = h.indexOf(':');
    if (i <= 0) {
      if (!/;$/.test(h)) throw new Error(`-H needs 'Name: value', got "${h}"`);
      headers.push([h.slice(0, -1).trim(), '']); // curl's "Name;" sends an empty header
      continue;
    }
    headers.push([h.slice(0, i).trim(), h.slice(i + 1).trim()]);
  }
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  if (body) {
    if (!has('content-type')) headers.push(['content-type', 'application/x-www-form-urlencoded']);
    headers.push(['content-length', String(body.length)]);
  }
  if (!has('user-agent')) headers.push(['user-agent', 'trellis-curl']);
  if (!has('accept')) headers.push(['accept', '*/*']);

  const credentials = loadCredentials({ profile: o.profile, dataDir: o['data-dir'] });
  const region = regionFor(url.hostname, o.region);
  const signed = signLattice({ method, url, headers, credentials, region });
  const port = defaultPort(url);
  const address = parseResolve(o.resolve).get(`${url.hostname.toLowerCase()}:${port}`) ?? url.hostname.replace(/^\[|\]$/g, '');
  const ca = o.cacert !== undefined ? readCaFile(o.cacert) : undefined;

  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const options: https.RequestOptions = {
      host: address, port, method, path: url.pathname + url.search, headers: headerObject(signed), setHost: false,
      timeout: maxTime * 1000,
    };
    const req = url.protocol === 'https:'
      ? https.request({ ...options, servername: isIP(url.hostname) ? undefined : url.hostname, ca, rejectUnauthorized: !o.insecure })
      : http.request(options);
    req.on('response', resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${maxTime} seconds`)));
    req.on('error', (err) => reject(new Error(`${url.host}${address !== url.hostname ? ` (${address})` : ''}: ${err.message}`)));
    req.end(body);
  });
  if (o.fail && (res.statusCode ?? 0) >= 400) {
    res.resume();
    process.stderr.write(`trellis curl: The requested URL returned error: ${res.statusCode}\n`);
    process.exitCode = 22;
    return;
  }
  if (o.include) {
    let head = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd() + '\r\n';
    for (let i = 0; i < res.rawHeaders.length; i += 2) head += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
    process.stdout.write(head + '\r\n');
  }
  await new Promise<void>((resolve, reject) => {
    res.pipe(process.stdout, { end: false });
    res.on('end', resolve);
    res.on('error', reject);
  });
}

export function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`--cacert ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}
