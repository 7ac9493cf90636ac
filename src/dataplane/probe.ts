// One health-check request to one target: connect, send GET <path>, read the status line, close.
// No keep-alive and no pooling: "After each health check is completed, the service closes the
// connection that was established for the health check" (User Guide, "Health checks for your VPC
// Lattice target groups"). HTTPS probes do not verify the target's certificate: "VPC Lattice
// doesn't validate these certificates" (User Guide, "Target groups in VPC Lattice", Routing
// configuration), so self-signed and expired certificates pass.
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { isIPv6 } from 'node:net';

export interface ProbeSpec {
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly protocolVersion: 'HTTP1' | 'HTTP2';
  readonly address: string;
  readonly port: number;
  /** Request target, e.g. "/" or "/health?deep=1". */
  readonly path: string;
  /** Covers connect, TLS handshake and the response headers. */
  readonly timeoutMs: number;
}

/** A status code when the target answered; else why not (nothing throws). */
export type ProbeResult =
  | { readonly kind: 'response'; readonly status: number }
  | { readonly kind: 'timeout'; readonly detail: string }
  | { readonly kind: 'error'; readonly detail: string }
  | { readonly kind: 'aborted' };

const USER_AGENT = 'Trellis-HealthChecker/1.0';

export function probe(spec: ProbeSpec, signal: AbortSignal): Promise<ProbeResult> {
  if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
  return spec.protocolVersion === 'HTTP2' ? probeH2(spec, signal) : probeH1(spec, signal);
}

/**
 * Settles once: the first outcome wins, the timeout and abort hooks are removed and `cleanup`
 * tears the connection down.
 */
function settler(spec: ProbeSpec, signal: AbortSignal, cleanup: () => void, resolve: (r: ProbeResult) => void) {
  let done = false;
  const finish = (r: ProbeResult) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    cleanup();
    resolve(r);
  };
  const timer = setTimeout(() => finish({ kind: 'timeout', detail: `no response within ${spec.timeoutMs} ms` }), spec.timeoutMs);
  timer.unref();
  const onAbort = () => finish({ kind: 'aborted' });
  signal.addEventListener('abort', onAbort, { once: true });
  return finish;
}

function probeH1(spec: ProbeSpec, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const options: https.RequestOptions = {
      host: spec.address, port: spec.port, path: spec.path, method: 'GET',
      // agent false: a fresh connection with "Connection: close", never reused.
      agent: false,
      headers: { 'user-agent': USER_AGENT, accept: '*/*' },
    };
    const req = spec.protocol === 'HTTPS'
      ? https.request({ ...options, rejectUnauthorized: false })
      : http.request(options);
    const finish = settler(spec, signal, () => req.destroy(), resolve);
    req.on('response', (res) => {
      // Only the status matters; dropping the connection ends the check.
      res.on('error', () => {});
      finish({ kind: 'response', status: res.statusCode ?? 0 });
    });
    req.on('error', (err) => finish({ kind: 'error', detail: err.message }));
    req.end();
  });
}

function probeH2(spec: ProbeSpec, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const host = isIPv6(spec.address) ? `[${spec.address}]` : spec.address;
    const scheme = spec.protocol === 'HTTPS' ? 'https' : 'http';
    // http:// is prior-knowledge h2c; https:// negotiates h2 by ALPN.
    const session = http2.connect(`${scheme}://${host}:${spec.port}`,
      spec.protocol === 'HTTPS' ? { rejectUnauthorized: false, ALPNProtocols: ['h2'] } : {});
    const finish = settler(spec, signal, () => session.destroy(), resolve);
    session.on('error', (err) => finish({ kind: 'error', detail: err.message }));
    session.on('close', () => finish({ kind: 'error', detail: 'connection closed before a response' }));
    const stream = session.request({ ':method': 'GET', ':path': spec.path, 'user-agent': USER_AGENT, accept: '*/*' });
    stream.on('response', (headers) => finish({ kind: 'response', status: Number(headers[':status'] ?? 0) }));
    stream.on('error', (err) => finish({ kind: 'error', detail: err.message }));
    stream.on('close', () => finish({ kind: 'error', detail: `stream closed before a response (code ${stream.rstCode})` }));
  });
}
