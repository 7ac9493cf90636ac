// The request path, in the order the architecture draws it:
// listener -> service (Host/:authority) -> VPC check -> auth -> rule match -> target group ->
// target -> upstream. Each step is a named function elsewhere; this file only calls them in order
// and turns their answers into Lattice's status codes.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ListenerPlan, NetworkPlan, Snapshot, TargetGroupPlan, VpcPlan } from '../compile/snapshot.ts';
import { sourceVpc, plainAddress } from './vpc.ts';
import { normalizeTarget } from './path.ts';
import { route } from './route.ts';
import { pickTarget, pickTargetGroup } from './balance.ts';
import { downstreamHeaders, upstreamHeaders } from './headers.ts';
import { h1Exchange } from './upstream/h1.ts';
import { h2Exchange } from './upstream/h2.ts';
import type { Exchange, ResponseHandler, Trailers, UpstreamError } from './upstream/exchange.ts';
import { connectionOf } from './connection.ts';
import { authorize, identityHeader, needsAuth, type Caller } from './authz.ts';
import { guardRequest, type Limits, type Req, type Res } from './guard.ts';
import { newSummary, type RequestSummary } from './summary.ts';
import type { TLSSocket } from 'node:tls';

export type { Req, Res };

export interface RequestContext {
  snapshot(): Snapshot;
  /** Who signed the request (SigV4/SigV4A for vpc-lattice-svcs), anonymous when unsigned. */
  identify(req: Req): Caller | { kind: 'invalid'; message: string };
  /** Which targets of a group may get new requests (the health checker's verdicts, by index of tg.targets). */
  routableIn(tg: TargetGroupPlan): ArrayLike<number>;
  portOffset: number;
  limits: Limits;
  /** Called once per request when its response is done (access logs, metrics). */
  finished?(summary: RequestSummary): void;
}

/** The client's host name without port, lower-cased ("[::1]:80" -> "::1"). */
export function hostOf(authority: string | undefined): string | undefined {
  if (!authority) return undefined;
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']'));
  const colon = a.lastIndexOf(':');
  // A fully qualified name's trailing dot names the same host (RFC 1034 §3.1).
  return (colon < 0 ? a : a.slice(0, colon)).replace(/\.$/, '');
}

export function handleRequest(ctx: RequestContext, req: Req, res: Res, tls: boolean): void {
  // An HTTP/2 stream the client already reset (rapid reset) has no session left to serve.
  if ('stream' in req && (req.stream.destroyed || !req.stream.session)) return;
  const requestId = randomUUID();
  const snapshot = ctx.snapshot();
  const conn = 'stream' in req ? connectionOf(req.stream.session!) : connectionOf(req.socket);
  const body = hasBody(req);
  const summary = startSummary(req, tls, requestId, conn?.remoteAddress, conn?.remotePort, body);
  // 'close' comes once per response, so on() (once() would wrap the listener in two more objects).
  if (ctx.finished) res.on('close', () => finish(ctx, summary, res));
  // `details` is the record's responseCodeDetails: a short code, as Envoy's and Lattice's are.
  const reply = (status: number, details: string, message: string) => {
    summary.byLattice = true;
    summary.details = details;
    sendError(res, status, message, requestId);
  };
  if (guardRequest(req, res, ctx.limits, reply)) return;

  const localPort = conn?.localPort ?? req.socket.localPort ?? 0;
  const port = snapshot.ports.get(localPort - ctx.portOffset);
  const host = hostOf((req.headers[':authority'] as string | undefined) ?? req.headers.host);
  const listener = host === undefined ? undefined : port?.hosts.get(host);
  if (!listener) return reply(404, 'route_not_found', `No service named ${host ?? '(no Host header)'} listens on port ${localPort - ctx.portOffset}.`);
  summary.listener = listener;
  if (listener.protocol === 'TLS_PASSTHROUGH' || (listener.protocol === 'HTTPS') !== tls) {
    return reply(400, 'listener_protocol_mismatch', `The listener on port ${listener.port} expects ${listener.protocol === 'HTTP' ? 'plain HTTP' : 'TLS'}.`);
  }

  const clientAddress = plainAddress(conn?.remoteAddress ?? req.socket.remoteAddress ?? '');
  const vpc = sourceVpc(snapshot.vpcs, clientAddress);
  const network = vpc ? listener.service.networks.get(vpc.id) : undefined;
  summary.vpc = vpc;
  summary.network = network;
  if (!vpc || !network) {
    return reply(403, 'service_not_associated', `Service ${listener.service.name} is not reachable from ${vpc ? `VPC ${vpc.id}` : `address ${clientAddress}`}: no service network associates them.`);
  }

  const target = normalizeTarget(req.url ?? '/');
  if (!target.ok) return reply(400, 'invalid_request_path', `Bad request: ${target.reason}.`);
  const method = req.method ?? 'GET';

  let identity: string | undefined;
  if (needsAuth(listener.service, network)) {
    const caller = ctx.identify(req);
    // A bad signature is refused, never taken for an anonymous request.
    if (caller.kind === 'invalid') {
      summary.authDeniedReason = caller.message.slice(0, caller.message.indexOf(':'));
      return reply(403, 'auth_denied', caller.message);
    }
    if (caller.kind === 'signed') summary.callerPrincipal = caller.principal.arn;
    const decision = authorize({
      caller, service: listener.service, network, vpc, listenerPort: listener.port, method, path: target.path, query: target.query,
      headers: req.headers, secure: tls, sourceIp: clientAddress,
    });
    if (decision.decision !== 'ALLOW') {
      // Which level denied, never what its policy says.
      const level = decision.deniedBy === 'network' ? 'the service network\'s auth policy' : decision.deniedBy === 'service' ? 'the service\'s auth policy' : 'the caller\'s identity policies';
      summary.authDeniedReason = decision.deniedBy === 'network' ? 'Network' : decision.deniedBy === 'service' ? 'Service' : 'Identity';
      return reply(403, 'auth_denied', `AccessDeniedException: ${caller.kind === 'signed' ? caller.principal.arn : 'An anonymous caller'} is not authorized to invoke this service: denied by ${level}.`);
    }
    identity = identityHeader(caller);
  }
  const chosen = route(listener, { method, path: target.path, header: (n) => headerValue(req, n) });
  if (chosen.action.kind === 'fixed') {
    summary.byLattice = true;
    summary.details = 'fixed_response';
    res.writeHead(chosen.action.statusCode, { 'x-amzn-requestid': requestId, 'content-length': '0' });
    res.end();
    return;
  }
  const tgId = pickTargetGroup(chosen.action);
  const tg = tgId ? snapshot.targetGroups.get(tgId) : undefined;
  if (!tg) return reply(503, 'no_target_group', 'No target group receives traffic for this route.');
  summary.targetGroup = tg;

  forward({ ctx, req, res, tls, requestId, listener, network, vpc, tg, clientAddress, path: target.query ? `${target.path}?${target.query}` : target.path, method, identity, summary, hasBody: body });
}

interface Forward {
  ctx: RequestContext;
  req: Req;
  res: Res;
  tls: boolean;
  requestId: string;
  listener: ListenerPlan;
  network: NetworkPlan;
  vpc: VpcPlan;
  tg: TargetGroupPlan;
  clientAddress: string;
  path: string;
  method: string;
  /** x-amzn-lattice-identity for signed callers of AWS_IAM services. */
  identity?: string;
  summary: RequestSummary;
  /** The client sends a body (decided once, from its headers). */
  hasBody: boolean;
}

/** Requests without a body can be sent again when a target refused the connection. */
function hasBody(req: Req): boolean {
  if ('stream' in req) return !req.stream.endAfterHeaders;
  return (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function forward(f: Forward, tried?: Set<string>): void {
  const target = pickTarget(f.tg, f.ctx.routableIn(f.tg), tried);
  if (!target) {
    f.summary.byLattice = true;
    f.summary.details = tried ? 'upstream_unreachable' : 'no_healthy_target';
    sendError(f.res, 503, tried ? 'No healthy target could be reached.' : `Target group ${f.tg.id} has no healthy target.`, f.requestId);
    return;
  }
  f.summary.upstream = target;
  const grpc = f.tg.protocolVersion === 'GRPC';
  const headers = upstreamHeaders(f.req.rawHeaders, {
    clientAddress: f.clientAddress, listenerPort: f.listener.port, proto: f.tls ? 'https' : 'http', requestId: f.requestId,
    sourceVpcArn: f.vpc.arn, serviceArn: f.listener.service.arn, serviceNetworkArn: f.network.arn, targetGroupArn: f.tg.arn, keepTeTrailers: grpc,
    identity: f.identity,
  });
  const authority = (f.req.headers[':authority'] as string | undefined) ?? f.req.headers.host ?? '';
  const upstream = { address: target.address, port: target.port, tls: f.tg.protocol === 'HTTPS' };
  const body = f.hasBody;
  const request = { method: f.method, path: f.path, authority, headers, timeoutMs: f.listener.service.idleTimeoutSeconds * 1000, hasBody: body };
  const reply = new Reply(f, target.key, tried);
  const exchange = reply.exchange = f.tg.protocolVersion === 'HTTP1' ? h1Exchange(upstream, request, reply) : h2Exchange(upstream, request, reply);
  f.res.on('close', reply.clientGone);
  if (body) {
    f.req.pipe(exchange.body);
    exchange.body.once('finish', () => { f.summary.requestToTargetMs = performance.now() - f.summary.started; });
  } else {
    exchange.send();
    f.summary.requestToTargetMs = performance.now() - f.summary.started;
  }
}

/**
 * A client that stops reading holds the response (and the target) only sendTimeoutMs: then the
 * response (HTTP/1.1) or stream (HTTP/2) it was set on is destroyed. One function for every
 * request, not a closure per request: a per-request closure kept on the response made ~1.8 KB of
 * each request's objects survive two scavenges and be promoted (`--trace-gc-nvp`), which cost
 * ~6-9 µs of GC per request and most of the p99.
 */
function stalled(this: { destroy(): void }): void {
  this.destroy();
}

/** Does the object have any own enumerable field? (Without allocating a list of them.) */
function hasFields(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/** The target's answer, passed on to the client as it comes (or Lattice's 502/504, or a retry). */
class Reply implements ResponseHandler {
  exchange!: Exchange;
  readonly #f: Forward;
  readonly #target: string;
  /** Targets tried before this one (a Set only once a retry happens). */
  readonly #tried: Set<string> | undefined;
  /** Nothing more goes to the client (it is gone, or a gRPC trailers-only answer ended it). */
  #done = false;

  constructor(f: Forward, target: string, tried: Set<string> | undefined) {
    this.#f = f;
    this.#target = target;
    this.#tried = tried;
  }

  readonly clientGone = (): void => {
    this.#done = true;
    this.exchange.abort();
  };

  readonly #resume = (): void => this.exchange.resume();

  onHead(status: number, target: IncomingHttpHeaders): void {
    const f = this.#f;
    f.summary.responseFromTargetMs = performance.now() - f.summary.started;
    f.summary.details = 'via_upstream';
    if (f.res.headersSent || f.res.destroyed) {
      this.clientGone();
      return;
    }
    const headers = downstreamHeaders(target, f.requestId);
    if (target['grpc-status'] !== undefined && 'stream' in f.req) {
      // A gRPC "trailers-only" answer (the status in the only header block, which ends the
      // stream): pass it on as one, or gRPC clients see a stream without a status.
      this.#done = true;
      f.summary.grpcStatus = String(target['grpc-status']);
      f.req.stream.respond({ ...headers, ':status': status }, { endStream: true });
      return;
    }
    // Trailers can follow from an HTTP/2 or gRPC target, or a chunked HTTP/1.1 one.
    f.res.writeHead(status, headers, f.tg.protocolVersion !== 'HTTP1' || target['transfer-encoding'] !== undefined);
    f.res.setTimeout(f.ctx.limits.sendTimeoutMs, stalled);
  }

  onData(chunk: Buffer): boolean {
    if (this.#done) return true;
    this.#f.summary.bytesOut += chunk.length;
    if (this.#f.res.write(chunk)) return true;
    this.#f.res.once('drain', this.#resume);
    return false;
  }

  onEnd(trailers: Trailers): void {
    if (this.#done) return;
    const f = this.#f;
    f.res.off('close', this.clientGone);
    const grpcStatus = trailers['grpc-status'];
    if (typeof grpcStatus === 'string') f.summary.grpcStatus = grpcStatus;
    if (hasFields(trailers)) {
      const clean = downstreamHeaders(trailers, f.requestId);
      delete clean['x-amzn-requestid'];
      if (hasFields(clean)) f.res.addTrailers(clean);
    }
    f.res.end();
  }

  onError(e: UpstreamError): void {
    const f = this.#f;
    f.res.off('close', this.clientGone);
    if (f.hasBody) f.req.unpipe(this.exchange.body);
    if (this.#done) return;
    if (f.res.headersSent) {
      f.res.destroy(); // mid-response: the client must not take a cut body for a whole one
      return;
    }
    if (e.kind === 'connect' && !f.hasBody) return forward(f, (this.#tried ?? new Set()).add(this.#target));
    f.summary.byLattice = true;
    f.summary.details = e.kind === 'timeout' ? 'upstream_response_timeout' : e.kind === 'connect' ? 'upstream_connect_failure' : 'upstream_reset';
    sendError(f.res, e.kind === 'timeout' ? 504 : 502, e.kind === 'timeout' ? 'The target did not respond in time.' : 'The target failed to answer the request.', f.requestId);
  }
}

function startSummary(req: Req, tls: boolean, requestId: string, remoteAddress: string | undefined, remotePort: number | undefined, body: boolean): RequestSummary {
  const socket = req.socket as Partial<TLSSocket>;
  const sni = tls ? (socket as { servername?: string | false }).servername : undefined;
  const summary = newSummary({
    requestId, method: req.method ?? '', target: req.url ?? '', protocol: 'stream' in req ? 'HTTP/2.0' : 'HTTP/1.1', tls,
    clientAddress: plainAddress(remoteAddress ?? req.socket.remoteAddress ?? ''), clientPort: remotePort ?? req.socket.remotePort ?? 0,
    userAgent: headerValue(req, 'user-agent'), host: headerValue(req, ':authority') ?? headerValue(req, 'host'), traceId: headerValue(req, 'x-amzn-trace-id'), details: '',
    tlsVersion: tls ? socket.getProtocol?.() ?? undefined : undefined, cipher: tls ? socket.getCipher?.()?.standardName : undefined,
    sni: typeof sni === 'string' ? sni : undefined,
  });
  if (body) req.on('data', (chunk: Buffer) => { summary.bytesIn += chunk.length; });
  return summary;
}

function finish(ctx: RequestContext, summary: RequestSummary, res: Res): void {
  summary.ended = performance.now();
  summary.status = res.statusCode;
  if (summary.byLattice && summary.bytesOut === 0) summary.bytesOut = Number(res.getHeader('content-length') ?? 0);
  try {
    ctx.finished!(summary);
  } catch {
    // Observing a request must never break serving one.
  }
}

function headerValue(req: Req, name: string): string | undefined {
  const v = req.headers[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : v;
}

export function sendError(res: Res, status: number, message: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = message + '\n';
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'x-amzn-requestid': requestId });
  res.end(body);
}
