// A stand-in S3-compatible server for tests: no S3-compatible server (MinIO, Ceph, Garage) is
// installable from Debian here, so this speaks the subset Trellis uses — path-style PutObject
// (PUT /<bucket>/<key>) — on 127.0.0.1, keeps objects in memory, and verifies every request's
// SigV4 signature (service "s3", unnormalized path, signed payload hash) with src/iam/sigv4.ts.
// Errors are S3's XML error documents, so the official SDK reports them by their S3 codes.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { expectedSignature, parseAmzDate, parseSignature, sha256Hex, signaturesEqual, type SignableRequest } from '../../src/iam/sigv4.ts';

export interface StoredObject { body: Buffer; contentType?: string; contentEncoding?: string }

export interface S3Server {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** bucket -> key -> object */
  buckets: Map<string, Map<string, StoredObject>>;
  /** Requests whose signature verified, and those refused (with the error code). */
  accepted: number;
  refused: string[];
  /** Stops listening and drops open connections (the endpoint is "down"). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface S3ServerOptions {
  buckets: string[];
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region?: string;
}

const errorXml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<>&]/g, '')}</Message><RequestId>stand-in</RequestId></Error>`;

export async function startS3Server(opts: S3ServerOptions): Promise<S3Server> {
  const region = opts.region ?? 'us-east-1';
  const sockets = new Set<net.Socket>();
  const state: S3Server = {
    url: '', port: 0, buckets: new Map(opts.buckets.map((b) => [b, new Map()])), accepted: 0, refused: [],
    stop: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
    start: () => new Promise<void>((r, reject) => {
      server.once('error', reject);
      server.listen(state.port, '127.0.0.1', () => { server.off('error', reject); r(); });
    }),
    close: () => (server.listening ? state.stop() : Promise.resolve()),
  };

  const fail = (res: http.ServerResponse, status: number, code: string, message: string) => {
    state.refused.push(code);
    res.writeHead(status, { 'content-type': 'application/xml' }).end(errorXml(code, message));
  };

  /** undefined when the signature is good, else [status, code, message]. */
  const verify = (req: http.IncomingMessage, body: Buffer): [number, string, string] | undefined => {
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    // S3's canonical URI is the path encoded once; canonicalPath(…, false) encodes each segment, so
    // it gets the decoded path.
    const path = (q < 0 ? url : url.slice(0, q)).split('/').map((s) => decodeURIComponent(s)).join('/');
    const signable: SignableRequest = { method: req.method ?? '', path, query: q < 0 ? '' : url.slice(q + 1), headers };
    const sig = parseSignature(signable);
    if (sig === undefined) return [403, 'AccessDenied', 'anonymous requests are not accepted'];
    if (sig === 'malformed' || sig.presigned) return [400, 'AuthorizationHeaderMalformed', 'malformed SigV4 Authorization header'];
    const c = sig.credential;
    if (c.accessKeyId !== opts.accessKeyId) return [403, 'InvalidAccessKeyId', `unknown access key ${c.accessKeyId}`];
    if (c.service !== 's3' || c.region !== region) return [400, 'AuthorizationHeaderMalformed', `credential scope must be */${region}/s3, got ${c.region}/${c.service}`];
    if (Math.abs(Date.now() - parseAmzDate(sig.amzDate)) > 15 * 60_000) return [403, 'RequestTimeTooSkewed', 'request time too skewed'];
    if (opts.sessionToken !== undefined && sig.sessionToken !== opts.sessionToken) return [403, 'InvalidToken', 'bad session token'];
    const payload = req.headers['x-amz-content-sha256'];
    if (typeof payload !== 'string') return [400, 'InvalidRequest', 'x-amz-content-sha256 is required'];
    if (payload.startsWith('STREAMING-')) return [501, 'NotImplemented', 'aws-chunked uploads are not part of this stand-in'];
    if (payload !== 'UNSIGNED-PAYLOAD' && payload !== sha256Hex(body)) return [400, 'XAmzContentSHA256Mismatch', 'payload hash mismatch'];
    if (!sig.signedHeaders.includes('host') || !sig.signedHeaders.includes('x-amz-content-sha256')) return [403, 'AccessDenied', 'host and x-amz-content-sha256 must be signed'];
    if (!signaturesEqual(expectedSignature(signable, sig, opts.secretAccessKey, payload, false), sig.signature)) return [403, 'SignatureDoesNotMatch', 'the signature does not match'];
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const bad = verify(req, body);
      if (bad) return fail(res, ...bad);
      const path = (req.url ?? '/').split('?')[0];
      const slash = path.indexOf('/', 1);
      if (req.method !== 'PUT' || slash < 0 || slash === path.length - 1) return fail(res, 501, 'NotImplemented', `${req.method} ${path}: only PutObject`);
      const bucket = state.buckets.get(decodeURIComponent(path.slice(1, slash)));
      if (!bucket) return fail(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      state.accepted++;
      bucket.set(path.slice(slash + 1).split('/').map((s) => decodeURIComponent(s)).join('/'), {
        body, contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'],
      });
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
    });
  });
  server.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
