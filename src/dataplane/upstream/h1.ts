// HTTP/1.1 to a target, over a keep-alive pool per target (Node's Agent).
import http from 'node:http';
import https from 'node:https';
import { PassThrough } from 'node:stream';
import { UpstreamError, type Exchange, type UpstreamRequest, type UpstreamResponse, type UpstreamTarget } from './exchange.ts';

const agents = new Map<string, http.Agent>();

function agentFor(t: UpstreamTarget): http.Agent {
  const key = `${t.tls ? 'https' : 'http'}://${t.address}:${t.port}`;
  let agent = agents.get(key);
  if (!agent) {
    // Lattice does not verify target certificates (targets often use self-signed ones).
    agent = t.tls ? new https.Agent({ keepAlive: true, rejectUnauthorized: false, scheduling: 'lifo' }) : new http.Agent({ keepAlive: true, scheduling: 'lifo' });
    agents.set(key, agent);
  }
  return agent;
}

export function h1Exchange(t: UpstreamTarget, r: UpstreamRequest): Exchange {
  const mod = t.tls ? https : http;
  const headers: Record<string, string | string[]> = { ...r.headers, host: r.authority };
  const req = mod.request({ host: t.address, port: t.port, method: r.method, path: r.path, headers, agent: agentFor(t), setHost: false });
  let connected = false;
  req.on('socket', (s) => {
    if (!(s as { connecting?: boolean }).connecting) connected = true;
    else s.once('connect', () => { connected = true; });
  });
  const response = new Promise<UpstreamResponse>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new UpstreamError('timeout', `no response from ${t.address}:${t.port} within ${r.timeoutMs} ms`));
      req.destroy();
    }, r.timeoutMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      const body = new PassThrough();
      let trailersResolve: (t: Record<string, string | string[] | undefined>) => void;
      const trailers = new Promise<Record<string, string | string[] | undefined>>((ok) => { trailersResolve = ok; });
      res.on('end', () => trailersResolve(res.trailers));
      res.on('error', (err) => body.destroy(err));
      res.on('aborted', () => body.destroy(new Error('target aborted the response')));
      res.pipe(body);
      resolve({ status: res.statusCode ?? 502, headers: res.headers, body, trailers });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // A kept-alive connection the target closed just as we reused it fails before the target
      // read the request: as safe to retry as a refused connection.
      const staleKeepAlive = req.reusedSocket && err.code === 'ECONNRESET';
      const refused = !connected && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(err.code ?? '');
      const kind = refused || staleKeepAlive ? 'connect' : 'reset';
      reject(new UpstreamError(kind, `${t.address}:${t.port}: ${err.message}`));
    });
  });
  response.catch(() => {});
  return { body: req, response, abort: () => req.destroy() };
}
