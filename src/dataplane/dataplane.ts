// The data plane: one socket per listener port (plus --port-offset), each connection sorted by its
// first bytes into TLS (terminated for HTTPS listeners, passed through by SNI for TLS_PASSTHROUGH
// ones), HTTP/2 with prior knowledge (h2c, an extension) or HTTP/1.1. It reads the current
// Snapshot only; apply() swaps in a new one atomically.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import http2 from 'node:http2';
import tls, { type SecureContext, type SecureContextOptions } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { ListenerPlan, Snapshot } from '../compile/snapshot.ts';
import { handleRequest, type RequestContext } from './handle.ts';
import { ANONYMOUS } from './authz.ts';
import type { DataPlaneMetrics } from '../observe/metrics.ts';
import { newSummary, type RequestSummary } from './summary.ts';
import { readClientHello } from './sni.ts';
import { passthrough } from './passthrough.ts';
import { pickTarget, pickTargetGroup } from './balance.ts';
import { connectionOf, tagConnection, type Connection } from './connection.ts';
import { sourceVpc, plainAddress } from './vpc.ts';
import { allowsIngress } from './ingress.ts';
import { DEFAULT_LIMITS, checkRequestLine, guardSession, refuseConnection, type Limits } from './guard.ts';
import { Http1Server } from './http1.ts';
import { Http2Request, Http2Response } from './http2.ts';
import { untangleStreams } from './h2streams.ts';

export interface CertificateSource {
  contextFor(servername: string): Promise<SecureContext>;
  defaultContext(): Promise<SecureContext>;
  /** Certificate and key for clients that send no SNI (a server ignores a secureContext option). */
  serverOptions(): Promise<SecureContextOptions>;
}

export interface DataPlaneOptions {
  host: string;
  portOffset: number;
  /** Which targets of a group may get new requests, by index of tg.targets (HealthChecker.routableIn). */
  routableIn: RequestContext['routableIn'];
  certificates: CertificateSource;
  log?: (line: string) => void;
  /** Limits (see README "Limits"); DEFAULT_LIMITS in guard.ts for what is not given. */
  limits?: Partial<Limits>;
  /** Who signed a request; without it, signed requests to AWS_IAM services are refused. */
  identify?: RequestContext['identify'];
  /** Called once per finished request (access logs). */
  finished?: RequestContext['finished'];
  metrics?: DataPlaneMetrics;
  /**
   * Bind listener ports with SO_REUSEPORT (Linux, BSDs): several processes (trellis up --workers)
   * listen on the same port and the kernel spreads new connections across them.
   */
  reusePort?: boolean;
}

/**
 * Can several processes listen on one port here (SO_REUSEPORT with the kernel balancing
 * connections)? Node supports `reusePort` on Linux and FreeBSD among common systems, not macOS.
 */
export function reusePortSupported(platform: string = process.platform): boolean {
  return platform === 'linux' || platform === 'freebsd';
}

/** Until request signatures can be verified: unsigned requests are anonymous, signed ones refused. */
const unverified: RequestContext['identify'] = (req) => {
  const signed = req.headers.authorization !== undefined || /[?&]X-Amz-Signature=/.test(req.url ?? '');
  return signed ? { kind: 'invalid', message: 'InvalidSignatureException: request signatures cannot be verified by this data plane' } : ANONYMOUS;
};

const NO_GROUPS: ReadonlySet<string> = new Set();
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export class DataPlane {
  #snapshot: Snapshot;
  readonly #opts: DataPlaneOptions;
  readonly #listeners = new Map<number, net.Server>();
  readonly #sockets = new Set<net.Socket>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #h1: Http1Server;
  readonly #h1tls: Http1Server;
  readonly #h2c: http2.Http2Server;
  readonly #h2tls: http2.Http2Server;
  readonly #ctx: RequestContext;
  readonly #limits: Limits;
  #defaultContext: SecureContext | undefined;

  constructor(initial: Snapshot, opts: DataPlaneOptions) {
    this.#snapshot = initial;
    this.#opts = opts;
    const limits = this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.#ctx = { snapshot: () => this.#snapshot, routableIn: opts.routableIn, portOffset: opts.portOffset, limits, identify: opts.identify ?? unverified, finished: opts.finished };
    const h2 = { maxHeaderListPairs: 128, settings: { maxConcurrentStreams: limits.h2MaxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes } };
    this.#h1 = new Http1Server(limits, (req, res) => handleRequest(this.#ctx, req, res, false));
    this.#h1tls = new Http1Server(limits, (req, res) => handleRequest(this.#ctx, req, res, true));
    // No 'request' listener: Node then makes no compatibility objects (see http2.ts).
    this.#h2c = http2.createServer(h2);
    this.#h2tls = http2.createServer(h2);
    for (const [s, tls] of [[this.#h2c, false], [this.#h2tls, true]] as const) {
      s.on('stream', (stream, headers, _flags, raw) => handleRequest(this.#ctx, new Http2Request(stream, headers, raw), new Http2Response(stream), tls));
      s.on('sessionError', () => {});
      // An HTTP/2 session wraps the stream it is given, so the connection facts move to the
      // session, which emit('connection') creates synchronously.
      s.on('session', (session) => {
        untangleStreams(session);
        if (this.#handing) tagConnection(session, this.#handing);
        guardSession(session, limits);
        this.#sessions.add(session);
        session.once('close', () => this.#sessions.delete(session));
      });
    }
  }

  /** The connection being handed to an HTTP/2 server right now. */
  #handing: Connection | undefined;

  #toH2(server: http2.Http2Server, stream: object, conn: Connection): void {
    this.#handing = conn;
    try {
      server.emit('connection', stream);
    } finally {
      this.#handing = undefined;
    }
  }

  get snapshot(): Snapshot { return this.#snapshot; }

  /** The certificate for an SNI name that an HTTPS listener serves; the default one otherwise. */
  async #contextFor(name: string): Promise<SecureContext> {
    const host = name.toLowerCase();
    for (const port of this.#snapshot.ports.values()) {
      const l = port.hosts.get(host);
      if (l && l.protocol === 'HTTPS') return this.#opts.certificates.contextFor(host);
    }
    return this.#opts.certificates.defaultContext();
  }

  /** Swaps in a Snapshot and opens or closes listener sockets to match it. */
  async apply(snapshot: Snapshot): Promise<void> {
    this.#snapshot = snapshot;
    if (!this.#defaultContext) {
      const { cert, key } = await this.#opts.certificates.serverOptions();
      this.#defaultContext = tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
    }
    const wanted = new Set([...snapshot.ports.keys()].map((p) => p + this.#opts.portOffset));
    for (const [port, server] of this.#listeners) {
      if (!wanted.has(port)) {
        server.close();
        this.#listeners.delete(port);
      }
    }
    await Promise.all([...wanted].filter((p) => !this.#listeners.has(p)).map((p) => this.#listen(p)));
  }

  /** The ports that listen now (after the offset). */
  get ports(): number[] { return [...this.#listeners.keys()]; }

  async #listen(port: number): Promise<void> {
    if (port < 1 || port > 65535) {
      this.#opts.log?.(`data plane: listener port ${port} is out of range; check --port-offset`);
      return;
    }
    const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.#dispatch(socket));
    this.#listeners.set(port, server);
    await new Promise<void>((resolve) => {
      server.once('error', (err) => {
        this.#opts.log?.(`data plane: cannot listen on ${this.#opts.host}:${port}: ${err.message}`);
        this.#listeners.delete(port);
        resolve();
      });
      server.listen({ port, host: this.#opts.host, reusePort: this.#opts.reusePort === true }, () => resolve());
    });
  }

  /** Reads just enough of a new connection to know what it speaks, then hands it on. */
  #dispatch(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (!this.#admitted(socket)) {
      socket.resetAndDestroy();
      return;
    }
    const metrics = this.#opts.metrics;
    if (metrics) {
      const l = metrics.listener((socket.localPort ?? 0) - this.#opts.portOffset);
      metrics.connectionOpened(l);
      socket.once('close', () => metrics.connectionClosed(l));
    }
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const kind = this.#classify(socket, head);
      if (kind === 'more') return;
      const refused = kind === 'h1' ? checkRequestLine(head, this.#limits) : undefined;
      if (refused === 'more') return;
      socket.off('data', onData);
      clearTimeout(deadline);
      if (refused) return refuseConnection(socket, refused);
      socket.pause();
      if (typeof kind !== 'string') return this.#passthrough(socket, head, kind);
      const conn = { remoteAddress: socket.remoteAddress ?? '', remotePort: socket.remotePort ?? 0, localPort: socket.localPort ?? 0 };
      // The bytes read so far go back on the socket. HTTP/2 sessions and TLS then read the native
      // handle directly (and take what was unshifted first): no JavaScript stream in between, so
      // their writes stay batched.
      socket.unshift(head);
      if (kind === 'h1') {
        this.#h1.serve(tagConnection(socket, conn));
        socket.resume();
      } else if (kind === 'h2c') {
        this.#toH2(this.#h2c, tagConnection(socket, conn), conn);
      } else {
        this.#terminate(socket, conn);
      }
    };
    // The first bytes (a whole TLS ClientHello at most) must come within the headers timeout.
    const deadline = setTimeout(() => socket.destroy(), this.#limits.headersTimeoutMs);
    socket.once('close', () => clearTimeout(deadline));
    socket.on('data', onData);
    socket.resume();
  }

  /**
   * Security groups of the client VPC's service-network association: with any, a connection is
   * admitted only when one of their ingress rules allows TCP to the listener port (as configured,
   * before --port-offset) from the client's address. Referenced groups admit nobody: Trellis clients
   * are addresses, not network interfaces that carry groups.
   */
  #admitted(socket: net.Socket): boolean {
    const snapshot = this.#snapshot;
    const address = plainAddress(socket.remoteAddress ?? '');
    const vpc = sourceVpc(snapshot.vpcs, address);
    const network = vpc ? snapshot.vpcNetworks.get(vpc.id) : undefined;
    if (!network || network.securityGroupIds.length === 0) return true;
    return allowsIngress(network.securityGroups, address, 'tcp', (socket.localPort ?? 0) - this.#opts.portOffset, NO_GROUPS);
  }

  /** What a connection speaks, from its first bytes; a TLS_PASSTHROUGH listener when SNI says so. */
  #classify(socket: net.Socket, head: Buffer): 'more' | 'tls' | 'h2c' | 'h1' | ListenerPlan {
    if (head[0] === 0x16) {
      const hello = readClientHello(head);
      if (hello.kind === 'need-more') return 'more';
      if (hello.kind !== 'hello' || !hello.serverName) return 'tls';
      const port = (socket.localPort ?? 0) - this.#opts.portOffset;
      const listener = this.#snapshot.ports.get(port)?.hosts.get(hello.serverName);
      return listener?.protocol === 'TLS_PASSTHROUGH' ? listener : 'tls';
    }
    const n = Math.min(head.length, H2_PREFACE.length);
    if (head.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return n < H2_PREFACE.length ? 'more' : 'h2c';
    return 'h1';
  }

  /**
   * HTTPS listeners: TLS 1.2+ with the certificate for the SNI name, then HTTP/2 or HTTP/1.1 as
   * ALPN chose (HTTP/1.1 without ALPN).
   */
  #terminate(stream: Duplex, conn: Connection): void {
    const secure = new tls.TLSSocket(stream, {
      isServer: true,
      secureContext: this.#defaultContext,
      ALPNProtocols: ['h2', 'http/1.1'],
      SNICallback: (name, cb) => { this.#contextFor(name).then((c) => cb(null, c), (err: Error) => cb(err)); },
    });
    tagConnection(secure, conn);
    const metrics = this.#opts.metrics;
    const listenerKey = metrics?.listener(conn.localPort - this.#opts.portOffset);
    let established = false;
    const timer = setTimeout(() => secure.destroy(), this.#limits.headersTimeoutMs);
    secure.on('error', () => {
      if (!established && listenerKey) metrics!.tlsError(listenerKey);
      secure.destroy();
    });
    secure.once('close', () => clearTimeout(timer));
    secure.once('secure', () => {
      established = true;
      if (listenerKey) metrics!.tlsHandshake(listenerKey);
      clearTimeout(timer);
      // A TLSSocket made outside a tls.Server keeps secureConnecting true after its handshake,
      // and an HTTP/2 session given such a socket waits for a 'secureConnect' that never comes.
      Object.assign(secure, { secureConnecting: false });
      this.#secured(secure);
    });
  }

  /** After the handshake: HTTP/2 or HTTP/1.1 as ALPN chose. */
  #secured(secure: tls.TLSSocket): void {
    const conn = connectionOf(secure)!;
    if (secure.alpnProtocol === 'h2') this.#toH2(this.#h2tls, secure, conn);
    else this.#h1tls.serve(secure);
  }

  /** TLS_PASSTHROUGH: the same reachability rule as HTTP, then bytes to a TCP target, untouched. */
  #passthrough(socket: net.Socket, head: Buffer, listener: ListenerPlan): void {
    const snapshot = this.#snapshot;
    const vpc = sourceVpc(snapshot.vpcs, plainAddress(socket.remoteAddress ?? ''));
    const action = listener.defaultAction;
    const tgId = action.kind === 'forward' && vpc && listener.service.networks.has(vpc.id) ? pickTargetGroup(action) : undefined;
    const tg = tgId ? snapshot.targetGroups.get(tgId) : undefined;
    const target = tg ? pickTarget(tg, this.#opts.routableIn(tg)) : undefined;
    if (!target) {
      socket.destroy();
      return;
    }
    const summary = newSummary({
      requestId: randomUUID(), method: '', target: '', protocol: 'TCP', tls: true,
      sni: listener.service.customDomainName, clientAddress: plainAddress(socket.remoteAddress ?? ''), clientPort: socket.remotePort ?? 0,
      listener, network: vpc ? listener.service.networks.get(vpc.id) : undefined, vpc, targetGroup: tg, upstream: target, details: 'passthrough',
    });
    // User Guide, "TLS listeners": connections last at most 10 minutes.
    passthrough(socket, head, { address: target.address, port: target.port }, {
      connectTimeoutMs: 10_000, idleTimeoutMs: listener.service.idleTimeoutSeconds * 1000, maxDurationMs: 600_000,
      onClose: (stats) => {
        summary.bytesIn = stats.bytesIn;
        summary.bytesOut = stats.bytesOut;
        if (stats.code) summary.details = stats.code;
        summary.ended = performance.now();
        this.#opts.finished?.(summary);
      },
    });
  }

  /**
   * A graceful stop: no new connections; HTTP/1.1 connections close after the answer in progress
   * (idle ones now), HTTP/2 sessions get GOAWAY and finish their streams; whatever is still open
   * after `deadlineMs` (a slow upstream, a TLS passthrough) is cut by close().
   */
  async drain(deadlineMs: number): Promise<void> {
    const servers = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const s of servers) s.close();
    this.#h1.drain();
    this.#h1tls.drain();
    for (const session of this.#sessions) session.close();
    const deadline = Date.now() + deadlineMs;
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await this.close();
  }

  async close(): Promise<void> {
    const servers = [...this.#listeners.values()];
    this.#listeners.clear();
    const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const socket of this.#sockets) socket.destroy();
    for (const s of [this.#h1, this.#h1tls, this.#h2c, this.#h2tls]) s.close();
    await Promise.all(closed);
  }
}
