// Real backends for data-plane tests: HTTP/1.1 and h2c servers on 127.0.0.1:0 that answer with
// what they received, so a test can see the path, headers and body a target got.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Echo {
  name: string;
  port: number;
  /** Requests seen, oldest first. */
  seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export interface EchoReply { name: string; method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

export async function startEcho(name: string, opts: { h2?: boolean; status?: number; delayMs?: number } = {}): Promise<Echo> {
  const seen: Echo['seen'] = [];
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers as http.IncomingHttpHeaders, body: Buffer.concat(chunks).toString() };
      seen.push(rec);
      const reply = () => {
        const body = JSON.stringify({ name, ...rec });
        (res as http.ServerResponse).writeHead(opts.status ?? 200, { 'content-type': 'application/json', 'x-echo': name });
        res.end(body);
      };
      if (opts.delayMs) setTimeout(reply, opts.delayMs);
      else reply();
    });
  };
  const server = opts.h2 ? http2.createServer(handler) : http.createServer(handler);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    name, port: (server.address() as AddressInfo).port, seen,
    close: () => new Promise<void>((r) => {
      server.close(() => r());
      for (const s of sockets) s.destroy();
    }),
  };
}

/** A port that was free a moment ago (for listener ports, which a test chooses itself). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A request to 127.0.0.1:port with a Host header; resolves with status, headers and body. */
export function request(port: number, host: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host, ...opts.headers }, localAddress: opts.localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
