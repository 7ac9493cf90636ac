// HTTP/2 (and gRPC) to a target: one session per target, streams multiplexed on it, trailers
// passed through.
import http2 from 'node:http2';
import { UpstreamError, type Exchange, type UpstreamRequest, type UpstreamResponse, type UpstreamTarget } from './exchange.ts';

const sessions = new Map<string, http2.ClientHttp2Session>();
/** Sessions whose connection was established: a failure on any other never reached the target. */
const connected = new WeakSet<http2.ClientHttp2Session>();

function sessionFor(t: UpstreamTarget): http2.ClientHttp2Session {
  const key = `${t.tls ? 'https' : 'http'}://${t.address}:${t.port}`;
  const existing = sessions.get(key);
  if (existing && !existing.closed && !existing.destroyed) return existing;
  // Lattice does not verify target certificates.
  const session = http2.connect(key, t.tls ? { rejectUnauthorized: false, ALPNProtocols: ['h2'] } : {});
  session.on('error', () => {});
  session.once('connect', () => connected.add(session));
  session.on('close', () => { if (sessions.get(key) === session) sessions.delete(key); });
  session.on('goaway', () => { if (sessions.get(key) === session) sessions.delete(key); });
  session.unref();
  sessions.set(key, session);
  return session;
}

export function h2Exchange(t: UpstreamTarget, r: UpstreamRequest): Exchange {
  const session = sessionFor(t);
  const headers: http2.OutgoingHttpHeaders = { ...r.headers, ':method': r.method, ':path': r.path, ':authority': r.authority, ':scheme': t.tls ? 'https' : 'http' };
  delete headers.host;
  const stream = session.request(headers, { endStream: false });
  const response = new Promise<UpstreamResponse>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new UpstreamError('timeout', `no response from ${t.address}:${t.port} within ${r.timeoutMs} ms`));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, r.timeoutMs);
    let trailersResolve: (t: Record<string, string | string[] | undefined>) => void;
    const trailers = new Promise<Record<string, string | string[] | undefined>>((ok) => { trailersResolve = ok; });
    stream.on('trailers', (tr) => trailersResolve(tr));
    stream.on('end', () => trailersResolve({}));
    stream.on('response', (h) => {
      clearTimeout(timer);
      const status = Number(h[':status'] ?? 502);
      resolve({ status, headers: h as Record<string, string | string[] | undefined>, body: stream, trailers });
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new UpstreamError(connected.has(session) ? 'reset' : 'connect', `${t.address}:${t.port}: ${err.message}`));
    });
    stream.on('close', () => {
      clearTimeout(timer);
      reject(new UpstreamError(connected.has(session) ? 'reset' : 'connect', `${t.address}:${t.port}: stream closed (code ${stream.rstCode})`));
    });
  });
  response.catch(() => {});
  return { body: stream, send: () => stream.end(), response, abort: () => stream.close(http2.constants.NGHTTP2_CANCEL) };
}
