// `trellis curl` and `trellis sign-proxy` against a local server that verifies the SigV4 it
// receives with Trellis's own verifier (src/iam/authenticate.ts) for vpc-lattice-svcs, and insists
// on x-amz-content-sha256: UNSIGNED-PAYLOAD as VPC Lattice does.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate } from '../../src/iam/authenticate.ts';
import { parseSignature } from '../../src/iam/sigv4.ts';
import { ApiError } from '../../src/core/errors.ts';
import type { AccessKeyRecord } from '../../src/iam/identities.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';
import { startSignProxy, type SignProxy } from '../../src/cli/signproxy.ts';
import { signLattice } from '../../src/cli/curl.ts';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
const REGION = 'us-west-2';
/** A Lattice-style name: the Region to sign for comes from it. */
const NAME = 'orders-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-west-2.on.aws';

const LONG: AccessKeyRecord = { accessKeyId: 'AKIACURLTEST00000001', secretAccessKey: 'curl-test-secret-key-0000000000000000001', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/curl', createdAt: '' };
const TEMP: AccessKeyRecord = {
  accessKeyId: 'ASIACURLTEST00000002', secretAccessKey: 'curl-test-secret-key-0000000000000000002', accountId: '111122223333',
  arn: 'arn:aws:sts::111122223333:assumed-role/app/s1', createdAt: '', sessionToken: 'token/with+odd=chars', expiration: new Date(Date.now() + 3600_000).toISOString(),
};
const KEYS = new Map([[LONG.accessKeyId, LONG], [TEMP.accessKeyId, TEMP]]);

interface Seen { arn: string; method: string; url: string; host: string; body: string; signedHeaders: string[]; token?: string }

/** Answers 200 with what it verified, or 403 `<code>: <message>` as the Lattice data plane does. */
function verifier(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pairs: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const signable = { method: req.method ?? 'GET', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: pairs };
    try {
      if (req.headers['x-amz-content-sha256'] !== 'UNSIGNED-PAYLOAD') throw new ApiError('InvalidSignatureException', 403, 'payload signing is not supported');
      const key = authenticate({ region: REGION, service: 'vpc-lattice-svcs', lookup: (id) => KEYS.get(id) }, signable, body);
      const sig = parseSignature(signable);
      const seen: Seen = {
        arn: key.arn, method: signable.method, url, host: req.headers.host ?? '', body: body.toString(),
        signedHeaders: sig && sig !== 'malformed' ? sig.signedHeaders : [], token: req.headers['x-amz-security-token'] as string | undefined,
      };
      const text = JSON.stringify(seen);
      res.writeHead(200, { 'content-type': 'application/json', 'x-verified': 'yes', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch (err) {
      const e = err as ApiError;
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`${e.code}: ${e.message}`);
    }
  });
}

interface Run { code: number; stdout: string; stderr: string }
let home: string;
/** The environment without the runner's own AWS or Trellis credentials. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|TRELLIS_)/.test(k)) env[k] = v;
  return { ...env, HOME: home, ...extra };
}
function trellis(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: cleanEnv(env), timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const keyEnv = (k: AccessKeyRecord) => ({ AWS_ACCESS_KEY_ID: k.accessKeyId, AWS_SECRET_ACCESS_KEY: k.secretAccessKey, ...(k.sessionToken ? { AWS_SESSION_TOKEN: k.sessionToken } : {}) });

let dir: string;
let server: http.Server;
let port: number;
let tlsServer: https.Server;
let tlsPort: number;
let caFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-curl-'));
  home = join(dir, 'home');
  mkdirSync(home);
  server = http.createServer(verifier);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  const ca = await LocalCa.open(join(dir, 'ca'));
  const leaf = await ca.issue([NAME]);
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  tlsServer = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, verifier);
  tlsServer.listen(0, '127.0.0.1');
  await once(tlsServer, 'listening');
  tlsPort = (tlsServer.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
  tlsServer.closeAllConnections();
  tlsServer.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The SDK signer's hash constructor, from Node's crypto. */
class Sha256 {
  readonly #secret?: Buffer;
  #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret = secret === undefined ? undefined : typeof secret === 'string' ? Buffer.from(secret)
      : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength) : Buffer.from(secret);
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac { return this.#secret ? createHmac('sha256', this.#secret) : createHash('sha256'); }
  update(data: Uint8Array): void { this.#hash.update(data); }
  async digest(): Promise<Uint8Array> { return new Uint8Array(this.#hash.digest()); }
  reset(): void { this.#hash = this.#fresh(); }
}

test('the signature is the AWS SDK signer\'s (@smithy/signature-v4, unsigned payload)', async () => {
  const now = new Date('2024-05-01T12:34:56Z');
  const url = new URL(`http://${NAME}:8080/a/b%20c/d.json?y=%2F&x=1&a=b%20c`);
  const headers: [string, string][] = [['content-type', 'application/json'], ['x-team', 'blue'], ['user-agent', 'test'], ['connection', 'keep-alive']];
  const credentials = { accessKeyId: TEMP.accessKeyId, secretAccessKey: TEMP.secretAccessKey, sessionToken: TEMP.sessionToken };
  const ours = new Map(signLattice({ method: 'POST', url, headers, credentials, region: REGION, now }));
  const sdk = new SignatureV4({ service: 'vpc-lattice-svcs', region: REGION, credentials, sha256: Sha256, applyChecksum: false });
  const signed = await sdk.sign({
    method: 'POST', protocol: 'http:', hostname: NAME, port: 8080, path: '/a/b%20c/d.json',
    headers: { ...Object.fromEntries(headers), host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    query: Object.fromEntries(new URLSearchParams(url.search)),
  }, { signingDate: now });
  assert.equal(ours.get('authorization'), signed.headers.authorization);
  assert.equal(ours.get('x-amz-security-token'), TEMP.sessionToken);
});

describe('trellis curl', () => {
  test('GET with -i: signed for the Region in the name, UNSIGNED-PAYLOAD, status line and headers', async () => {
    const r = await trellis(['curl', '-i', '--resolve', `${NAME}:${port}:127.0.0.1`, `http://${NAME}:${port}/items/1?b=2&a=1`], keyEnv(LONG));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(r.stdout, /\r\nx-verified: yes\r\n/i);
    const seen = JSON.parse(r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)) as Seen;
    assert.equal(seen.arn, LONG.arn);
    assert.equal(seen.url, '/items/1?b=2&a=1');
    assert.equal(seen.host, `${NAME}:${port}`);
    assert.ok(seen.signedHeaders.includes('x-amz-content-sha256') && seen.signedHeaders.includes('host'));
  });

  test('-X, -H and -d: the body is sent unsigned, the headers signed; without -i only the body', async () => {
    const r = await trellis(['curl', '-X', 'PUT', '-H', 'X-Team: blue', '-H', 'Content-Type: application/json', '-d', '{"qty":3}',
      '--resolve', `${NAME}:${port}:127.0.0.1`, `http://${NAME}:${port}/orders/7`], keyEnv(LONG));
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as Seen;
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.body, '{"qty":3}');
    assert.ok(seen.signedHeaders.includes('x-team'), seen.signedHeaders.join(';'));
    assert.ok(!seen.signedHeaders.includes('user-agent'), 'user-agent is never signed');
  });

  test('a profile with a session token from AWS_SHARED_CREDENTIALS_FILE', async () => {
    const file = join(dir, 'shared-credentials');
    writeFileSync(file, `[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n\n[dev]\naws_access_key_id = ${TEMP.accessKeyId}\naws_secret_access_key = ${TEMP.secretAccessKey}\naws_session_token = ${TEMP.sessionToken}\n`);
    const r = await trellis(['curl', '--profile', 'dev', '--resolve', `${NAME}:${port}:127.0.0.1`, `http://${NAME}:${port}/`], { AWS_SHARED_CREDENTIALS_FILE: file });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as Seen;
    assert.equal(seen.arn, TEMP.arn);
    assert.equal(seen.token, TEMP.sessionToken);
    assert.ok(seen.signedHeaders.includes('x-amz-security-token'));
    const missing = await trellis(['curl', '--profile', 'nope', `http://${NAME}:${port}/`], { AWS_SHARED_CREDENTIALS_FILE: file });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no profile "nope"/);
  });

  test('Trellis credentials from --data-dir as the fallback; a wrong key is refused, -f exits 22', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'credentials'), `[trellis]\naws_access_key_id = ${LONG.accessKeyId}\naws_secret_access_key = ${LONG.secretAccessKey}\n`);
    const env = { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'absent') };
    const ok = await trellis(['curl', '--data-dir', dataDir, '--resolve', `${NAME}:${port}:127.0.0.1`, `http://${NAME}:${port}/x`], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as Seen).arn, LONG.arn);

    const wrong = { AWS_ACCESS_KEY_ID: LONG.accessKeyId, AWS_SECRET_ACCESS_KEY: 'not-the-secret' };
    const denied = await trellis(['curl', '-i', '--resolve', `${NAME}:${port}:127.0.0.1`, `http://${NAME}:${port}/x`], wrong);
    assert.equal(denied.code, 0, 'like curl: an HTTP error is still a response');
    assert.match(denied.stdout, /^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*InvalidSignatureException: The request signature we calculated does not match/);
    const failed = await trellis(['curl', '-f', '--resolve', `${NAME}:${port}:127.0.0.1`, `http://${NAME}:${port}/x`], wrong);
    assert.equal(failed.code, 22);
    assert.equal(failed.stdout, '');

    const none = await trellis(['curl', '--data-dir', join(dir, 'empty'), `http://${NAME}:${port}/x`], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no credentials/);
  });

  test('HTTPS with --cacert and --resolve, and an explicit --region', async () => {
    const r = await trellis(['curl', '--cacert', caFile, '--resolve', `${NAME}:${tlsPort}:127.0.0.1`, `https://${NAME}:${tlsPort}/secure`], keyEnv(LONG));
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Seen).url, '/secure');
    const untrusted = await trellis(['curl', '--resolve', `${NAME}:${tlsPort}:127.0.0.1`, `https://${NAME}:${tlsPort}/secure`], keyEnv(LONG));
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /certificate/i);
    const otherRegion = await trellis(['curl', '--region', 'eu-west-1', '--cacert', caFile, '--resolve', `${NAME}:${tlsPort}:127.0.0.1`, `https://${NAME}:${tlsPort}/`], keyEnv(LONG));
    assert.match(otherRegion.stdout, /Credential should be scoped to a valid region/);
  });
});

/** A request through the proxy in absolute form, as HTTP_PROXY makes clients send it. */
function viaProxy(proxy: AddressInfo, url: string, opts: { method?: string; headers?: Record<string, string>; chunks?: string[] } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: proxy.address, port: proxy.port, method: opts.method ?? 'GET', path: url, headers: { host: u.host, ...opts.headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    (async () => {
      for (const c of opts.chunks ?? []) {
        req.write(c);
        await sleep(20);
      }
      req.end();
    })().catch(reject);
  });
}

describe('trellis sign-proxy', () => {
  let proxy: SignProxy;
  before(async () => {
    proxy = await startSignProxy({
      host: '127.0.0.1', port: 0, dataPlane: '127.0.0.1', maxHeaderSize: 4096,
      credentials: { accessKeyId: TEMP.accessKeyId, secretAccessKey: TEMP.secretAccessKey, sessionToken: TEMP.sessionToken, source: 'test' },
    });
  });
  after(() => proxy.close(100));

  test('absolute-form requests are signed (session token too) and forwarded, bodies streamed both ways', async () => {
    const get = await viaProxy(proxy.address, `http://${NAME}:${port}/catalog?page=2`, { headers: { authorization: 'Bearer from-the-client', 'x-team': 'blue' } });
    assert.equal(get.status, 200, get.body);
    assert.equal(get.headers['x-verified'], 'yes');
    const seen = JSON.parse(get.body) as Seen;
    assert.equal(seen.arn, TEMP.arn);
    assert.equal(seen.url, '/catalog?page=2');
    assert.equal(seen.host, `${NAME}:${port}`);
    assert.equal(seen.token, TEMP.sessionToken);
    assert.ok(seen.signedHeaders.includes('x-team'));

    const chunks = ['{"items":[', '1,2,3', ']}'];
    const post = await viaProxy(proxy.address, `http://${NAME}:${port}/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, chunks });
    assert.equal(post.status, 200, post.body);
    assert.equal((JSON.parse(post.body) as Seen).body, chunks.join(''), 'a chunked body, unsigned, arrives whole');
  });

  test('origin-form with a Host header works too', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: proxy.address.port, path: '/direct', headers: { host: `${NAME}:${port}` }, agent: false }, resolve).on('error', reject);
    });
    res.resume();
    assert.equal(res.statusCode, 200);
  });

  test('bounded: oversized heads get 431, CONNECT 405, an unreachable target 502', async () => {
    const big = await viaProxy(proxy.address, `http://${NAME}:${port}/`, { headers: { 'x-big': 'a'.repeat(8192) } });
    assert.equal(big.status, 431);
    const connect = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.address.port, method: 'CONNECT', path: `${NAME}:443`, agent: false });
      req.on('connect', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
      req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    assert.equal(connect, 405);
    const closed = await (async () => {
      const s = http.createServer();
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
      const p = (s.address() as AddressInfo).port;
      s.close();
      return p;
    })();
    const down = await viaProxy(proxy.address, `http://${NAME}:${closed}/`);
    assert.equal(down.status, 502);
    assert.match(down.body, /ECONNREFUSED/);
  });

  test('as a command: listens where told, forwards, and stops cleanly on SIGTERM', async () => {
    const child = spawn(BIN, ['sign-proxy', '--listen', '127.0.0.1:0', '--data-plane', '127.0.0.1'], { env: cleanEnv(keyEnv(LONG)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    for (let i = 0; i < 200 && !/listening on/.test(out) && child.exitCode === null; i++) await sleep(25);
    const m = /listening on 127\.0\.0\.1:(\d+), signing as (\S+)/.exec(out);
    assert.ok(m, `no listening line: ${out} ${err}`);
    assert.equal(m[2], LONG.accessKeyId);
    const res = await viaProxy({ address: '127.0.0.1', port: Number(m[1]), family: 'IPv4' }, `http://${NAME}:${port}/cmd`);
    assert.equal(res.status, 200, res.body);
    assert.equal((JSON.parse(res.body) as Seen).arn, LONG.arn);
    assert.match(err, new RegExp(`GET http://${NAME.replace(/\./g, '\\.')}:${port}/cmd -> 200`));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit') as [number | null];
    assert.equal(code, 0);
    assert.match(err, /SIGTERM, stopping/);
  });
});
