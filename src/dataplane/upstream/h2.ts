// HTTP/2 (and gRPC) to a target: one session per target, streams multiplexed on it, trailers
// passed through.
import http2 from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http';
import { untangleStreams } from '../h2streams.ts';
import { UpstreamError, type Exchange, type ResponseHandler, type Trailers, type UpstreamRequest, type UpstreamTarget } from './exchange.ts';

const sessions = new Map<string, http2.ClientHttp2Session>();
/** Sessions whose connection was established: a failure on any other never reached the target. */
const connected = new WeakSet<http2.ClientHttp2Session>();

function sessionFor(t: UpstreamTarget): http2.ClientHttp2Session {
  const key = `${t.tls ? 'https' : 'http'}://${t.address}:${t.port}`;
  const existing = sessions.get(key);
  if (existing && !existing.closed && !existing.destroyed) return existing;
  // Lattice does not verify target certificates.
  const session = http2.connect(key, t.tls ? { rejectUnauthorized: false, ALPNProtocols: ['h2'] } : {});
  untangleStreams(session);
  session.on('error', () => {});
  session.once('connect', () => connected.add(session));
  session.on('close', () => { if (sessions.get(key) === session) sessions.delete(key); });
  session.on('goaway', () => { if (sessions.get(key) === session) sessions.delete(key); });
  session.unref();
  sessions.set(key, session);
  return session;
}

export function h2Exchange(t: UpstreamTarget, r: UpstreamRequest, to: ResponseHandler): Exchange {
  const session = sessionFor(t);
  const headers: http2.OutgoingHttpHeaders = { ...r.headers, ':method': r.method, ':path': r.path, ':authority': r.authority, ':scheme': t.tls ? 'https' : 'http' };
  delete headers.host;
  const stream = session.request(headers, { endStream: false });
  let answered = false;
  let done = false;
  let trailers: Trailers = {};
  const fail = (err: UpstreamError) => {
    clearTimeout(timer);
    if (done) return;
    done = true;
    to.onError(answered ? new UpstreamError('reset', `target aborted the response: ${err.message}`) : err);
  };
  const timer = setTimeout(() => {
    fail(new UpstreamError('timeout', `no response from ${t.address}:${t.port} within ${r.timeoutMs} ms`));
    stream.close(http2.constants.NGHTTP2_CANCEL);
  }, r.timeoutMs);
  stream.on('response', (h) => {
    clearTimeout(timer);
    answered = true;
    to.onHead(Number(h[':status'] ?? 502), h as IncomingHttpHeaders);
  });
  stream.on('data', (chunk: Buffer) => { if (!done && !to.onData(chunk)) stream.pause(); });
  stream.on('trailers', (tr) => { trailers = tr as Trailers; });
  stream.on('end', () => {
    if (done || !answered) return;
    done = true;
    to.onEnd(trailers);
  });
  const kind = () => (connected.has(session) ? 'reset' : 'connect');
  stream.on('error', (err: NodeJS.ErrnoException) => fail(new UpstreamError(kind(), `${t.address}:${t.port}: ${err.message}`)));
  stream.on('close', () => fail(new UpstreamError(kind(), `${t.address}:${t.port}: stream closed (code ${stream.rstCode})`)));
  return {
    body: stream,
    send: () => stream.end(),
    resume: () => stream.resume(),
    abort: () => {
      clearTimeout(timer);
      done = true;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    },
  };
}
