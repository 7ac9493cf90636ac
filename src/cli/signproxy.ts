// `trellis sign-proxy`: an HTTP/1.1 forward proxy that signs what unmodified clients send (SigV4,
// vpc-lattice-svcs, UNSIGNED-PAYLOAD) and forwards it to the data plane, bodies streamed both ways.
// Clients use it as HTTP_PROXY (absolute-form "GET http://host:port/path") or send to it directly
// with a Host header. It listens only on the address it is given; CONNECT (HTTPS through a proxy)
// can't be signed, so it is refused: point clients at http:// URLs and use --upstream-tls.
import { parseArgs } from 'node:util';
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { defaultPort, headerObject, loadCredentials, readCaFile, regionFor, signLattice, type AwsCredentials } from './curl.ts';

export interface SignProxyOptions {
  host: string;
  port: number;
  credentials: AwsCredentials;
  /** Sign for this Region; default: the Region in the Lattice name, else AWS_REGION, else us-east-1. */
  region?: string;
  /** Send every request to this address and port. */
  target?: { host: string; port: number };
  /** Send every request to this address, on the URL's port. */
  dataPlane?: string;
  /** Speak TLS to the data plane (HTTPS listeners); `ca` to trust. */
  upstreamTls?: boolean;
  ca?: Buffer;
  insecure?: boolean;
  /** Largest request head accepted (Node answers 431 above it); default 16 KiB. */
  maxHeaderSize?: number;
  log?: (line: string) => void;
}

export interface SignProxy { address: AddressInfo; close(graceMs?: number): Promise<void> }

/** Hop-by-hop headers (RFC 9110 7.6.1) end at the proxy, with the names a Connection header lists. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function hopByHop(raw: string[]): Set<string> {
  const drop = new Set(HOP_BY_HOP);
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'connection') for (const n of raw[i + 1].split(',')) drop.add(n.trim().toLowerCase());
  }
  return drop;
}

function endToEnd(raw: string[]): [string, string][] {
  const drop = hopByHop(raw);
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) if (!drop.has(raw[i].toLowerCase())) out.push([raw[i], raw[i + 1]]);
  return out;
}

function refuse(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(message + '\n'), connection: 'close' });
  res.end(message + '\n');
}

export async function startSignProxy(o: SignProxyOptions): Promise<SignProxy> {
  const server = http.createServer({ maxHeaderSize: o.maxHeaderSize ?? 16 * 1024, requestTimeout: 300_000, headersTimeout: 30_000 });
  server.maxConnections = 1024;
  let self = { host: o.host, port: o.port };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = req.url ?? '/';
    let url: URL;
    try {
      if (/^https?:\/\//i.test(target)) url = new URL(target);
      else if (target.startsWith('/') && req.headers.host) url = new URL(`http://${req.headers.host}${target}`);
      else return refuse(res, 400, 'sign-proxy: send an absolute URL (as HTTP_PROXY makes clients do) or a Host header');
    } catch {
      return refuse(res, 400, 'sign-proxy: the request target is not a valid URL');
    }
    const tls = o.upstreamTls === true || url.protocol === 'https:';
    const port = o.target?.port ?? (Number(url.port) || (tls ? 443 : defaultPort(url)));
    const host = o.target?.host ?? o.dataPlane ?? url.hostname.replace(/^\[|\]$/g, '');
    if (port === self.port && host === self.host) return refuse(res, 508, 'sign-proxy: the request would come back to this proxy');

    let signed: [string, string][];
    try {
      signed = signLattice({ method: req.method ?? 'GET', url, headers: endToEnd(req.rawHeaders), credentials: o.credentials, region: regionFor(url.hostname, o.region) });
    } catch (err) {
      return refuse(res, 500, `sign-proxy: could not sign: ${(err as Error).message}`);
    }
    const options: https.RequestOptions = { host, port, method: req.method, path: url.pathname + url.search, headers: headerObject(signed), setHost: false };
    const up = tls
      ? https.request({ ...options, servername: isIP(url.hostname) ? undefined : url.hostname, ca: o.ca, rejectUnauthorized: !o.insecure })
      : http.request(options);
    up.on('response', (ur) => {
      const headers = endToEnd(ur.rawHeaders).flat();
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage, headers);
      ur.pipe(res);
      o.log?.(`${req.method} ${url.href} -> ${ur.statusCode}`);
    });
    up.on('error', (err) => {
      o.log?.(`${req.method} ${url.href} -> ${host}:${port} failed: ${err.message}`);
      refuse(res, 502, `sign-proxy: ${host}:${port}: ${err.message}`);
    });
    // The client went away: so does the upstream request.
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    req.pipe(up);
  });
  // HTTPS through CONNECT is end-to-end TLS: nothing to sign. Upgrades are not proxied either.
  const reject = (status: string) => (_req: http.IncomingMessage, socket: Socket) => {
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  };
  server.on('connect', reject('405 Method Not Allowed'));
  server.on('upgrade', reject('501 Not Implemented'));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address() as AddressInfo;
  self = { host: address.address, port: address.port };
  return {
    address,
    close(graceMs = 5000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => { clearTimeout(timer); resolve(); });
        server.closeIdleConnections();
      });
    },
  };
}

/** ADDR:PORT, [v6]:PORT; port 0 only where we listen. */
function hostPort(option: string, v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535 || (port === 0 && option !== 'listen')) throw new Error(`--${option} needs ADDRESS:PORT, got "${v}"`);
  const host = m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

const HELP = `Usage: trellis sign-proxy --listen ADDRESS:PORT [options]

An HTTP/1.1 proxy that signs each request with SigV4 for vpc-lattice-svcs (x-amz-content-sha256:
UNSIGNED-PAYLOAD, the session token when there is one) and forwards it, bodies streamed. Point
unmodified clients at it: HTTP_PROXY=http://ADDRESS:PORT curl http://<service name>:<port>/path

  --listen ADDRESS:PORT    where to listen (only there; port 0 picks one)
  --target ADDRESS:PORT    send every request there
  --data-plane ADDRESS     send every request to this address, on the URL's port
                           (Trellis names don't resolve through the system resolver)
  --upstream-tls           speak TLS to the data plane (HTTPS listeners); --cacert FILE, -k
  --profile NAME           credentials from this profile (see trellis curl --help for the order)
  --region NAME            default: the Region in a Lattice name, AWS_REGION, else us-east-1
  --data-dir DIR           Trellis's credentials as the last fallback (default ./.trellis)
  --max-header-size BYTES  largest request head (default 16384)
  --quiet                  no line per request on standard error`;

export async function signProxyCommand(args: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args,
    options: {
      listen: { type: 'string' },
      target: { type: 'string' },
      'data-plane': { type: 'string' },
      'upstream-tls': { type: 'boolean', default: false },
      cacert: { type: 'string' },
      insecure: { type: 'boolean', short: 'k', default: false },
      profile: { type: 'string' },
      region: { type: 'string' },
      'data-dir': { type: 'string', default: './.trellis' },
      'max-header-size': { type: 'string', default: '16384' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (o.help) return void console.log(HELP);
  if (!o.listen) throw new Error(`--listen ADDRESS:PORT is required\n\n${HELP}`);
  const listen = hostPort('listen', o.listen);
  if (!isIP(listen.host) && listen.host !== 'localhost') throw new Error(`--listen needs an IP address, got "${listen.host}"`);
  const target = o.target !== undefined ? hostPort('target', o.target) : undefined;
  if (o['data-plane'] !== undefined && target) throw new Error('give --target or --data-plane, not both');
  const maxHeaderSize = Number(o['max-header-size']);
  if (!Number.isInteger(maxHeaderSize) || maxHeaderSize < 1024 || maxHeaderSize > 1024 * 1024) throw new Error('--max-header-size needs 1024 to 1048576 bytes');
  const credentials = loadCredentials({ profile: o.profile, dataDir: o['data-dir'] });
  const log = o.quiet ? undefined : (line: string) => console.error(line);
  const proxy = await startSignProxy({
    host: listen.host, port: listen.port, credentials, region: o.region, target, dataPlane: o['data-plane'],
    upstreamTls: o['upstream-tls'], ca: o.cacert !== undefined ? readCaFile(o.cacert) : undefined, insecure: o.insecure, maxHeaderSize, log,
  });
  const a = proxy.address;
  console.log(`sign-proxy listening on ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}, signing as ${credentials.accessKeyId} (${credentials.source})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`sign-proxy: ${signal}, stopping.`);
    proxy.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
