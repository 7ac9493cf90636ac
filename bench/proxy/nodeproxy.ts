// The bare Node proxy: node:http (HTTP/1.1) and node:http2 (h2c, prior knowledge) servers that
// forward to the backends round robin over a keep-alive http.Agent. No routing, no logging.
// node bench/proxy/nodeproxy.ts <h1-port> <h2-port> <backend-port>...
import http from 'node:http';
import http2 from 'node:http2';

const [h1Port, h2Port, ...backendArgs] = process.argv.slice(2).map(Number);
const backends = backendArgs;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);
let next = 0;

function clean(headers: http.IncomingHttpHeaders, authority?: string): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (k[0] !== ':' && !HOP.has(k)) out[k] = v;
  if (authority && out.host === undefined) out.host = authority;
  return out;
}

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

function handle(req: Req, res: Res): void {
  const port = backends[next++ % backends.length];
  const headers = clean(req.headers, req.headers[':authority'] as string | undefined);
  const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent }, (r) => {
    (res as http.ServerResponse).writeHead(r.statusCode ?? 502, clean(r.headers));
    r.pipe(res as http.ServerResponse);
  });
  up.on('error', () => {
    if (!res.headersSent) (res as http.ServerResponse).writeHead(502);
    res.end();
  });
  (req as http.IncomingMessage).pipe(up);
}

const s1 = http.createServer({ keepAliveTimeout: 120_000 }, handle).listen(h1Port, '127.0.0.1');
const s2 = http2.createServer({}, handle).listen(h2Port, '127.0.0.1');
const stop = () => { s1.close(); s2.close(); agent.destroy(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
