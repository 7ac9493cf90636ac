// HTTP/1.1 to a target over our own keep-alive pool: one request head built as one string and
// written once, the response parsed by Node's llhttp (llhttp.ts). This replaces http.request and
// http.Agent, which cost more per request than all of Lattice's routing (bench/results).
import net from 'node:net';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { Parser, headersOf } from '../llhttp.ts';
import { UpstreamError, type Exchange, type ResponseHandler, type UpstreamRequest, type UpstreamTarget } from './exchange.ts';
import { writeLatin1 } from '../sockwrite.ts';

const pools = new Map<string, Connection[]>();
/** Idle connections kept per target; more are closed when their request is done. */
const MAX_IDLE = 256;

/**
 * The request head, ready to write: one string, one write. Values are not re-checked here: the
 * client's passed llhttp or nghttp2, which refuse CR, LF and NUL in them, and ours are ARNs and ids.
 */
function head(r: UpstreamRequest, chunked: boolean): string {
  let s = `${r.method} ${r.path} HTTP/1.1\r\nhost: ${r.authority}\r\n`;
  for (const name in r.headers) {
    const v = r.headers[name];
    if (typeof v === 'string') s += `${name}: ${v}\r\n`;
    else for (const one of v) s += `${name}: ${one}\r\n`;
  }
  return s + (chunked ? 'transfer-encoding: chunked\r\n\r\n' : '\r\n');
}

/** One kept-alive connection to a target, carrying one request at a time. */
class Connection {
  readonly socket: net.Socket;
  readonly #key: string;
  readonly #parser: Parser;
  connected = false;
  /** Carried a request before: a reset before any answer may be a keep-alive race. */
  reused = false;
  #current: InFlight | undefined;
  #closed = false;

  constructor(key: string, t: UpstreamTarget) {
    this.#key = key;
    // Lattice does not verify target certificates (targets often use self-signed ones).
    this.socket = t.tls
      ? tls.connect({ host: t.address, port: t.port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }).setNoDelay(true)
      : net.connect({ host: t.address, port: t.port, noDelay: true });
    this.socket.once(t.tls ? 'secureConnect' : 'connect', () => { this.connected = true; });
    this.#parser = new Parser('response', {
      onHeadersComplete: (_maj, _min, headers, _m, _u, status, _msg, _up, keepAlive) => this.#current?.headers(status ?? 502, headers, keepAlive) ?? 0,
      onHeaders: (headers) => this.#current?.more(headers),
      onBody: (chunk) => this.#current?.data(chunk),
      onMessageComplete: () => this.#current?.complete(),
    });
    const invalid = (err: Error) => this.#fail(new UpstreamError('reset', `invalid response: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    // The parser reads the socket's handle itself (llhttp.ts consume()); 'data' only where it cannot.
    this.socket.on('data', (chunk: Buffer) => {
      const err = this.#parser.execute(chunk);
      if (err) invalid(err);
    });
    this.#parser.consume(this.socket, (r) => { if (typeof r !== 'number') invalid(r); });
    this.socket.on('end', () => {
      // A body read until close ends here.
      const err = this.#parser.finish();
      if (err) this.#fail(new UpstreamError('reset', 'the target closed the connection mid-response'));
      this.socket.destroy();
    });
    this.socket.on('error', (err: NodeJS.ErrnoException) => this.#fail(this.#classify(err)));
    this.socket.on('close', () => {
      this.#closed = true;
      this.#fail(this.#classify(Object.assign(new Error('connection closed'), { code: 'ECONNRESET' })));
      this.#parser.free();
      const pool = pools.get(this.#key);
      const at = pool?.indexOf(this);
      if (pool && at !== undefined && at >= 0) pool.splice(at, 1);
    });
  }

  get usable(): boolean { return !this.#closed && !this.socket.destroyed; }

  pause(): void { this.#parser.pause(this.socket); }
  resume(): void { this.#parser.resume(this.socket); }

  #classify(err: NodeJS.ErrnoException): UpstreamError {
    const c = this.#current;
    // Never connected (refused, or reset while the target's listener closed), or a kept-alive
    // connection the target closed just as we reused it: the target never read the request, so
    // another try is safe.
    const neverSeen = !this.connected || (this.reused && !c?.answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE'));
    return new UpstreamError(neverSeen ? 'connect' : 'reset', `${err.message}`);
  }

  #fail(err: UpstreamError): void {
    const c = this.#current;
    this.#current = undefined;
    c?.fail(err);
    this.socket.destroy();
  }

  start(x: InFlight): void {
    this.#current = x;
  }

  /** The exchange finished cleanly: keep the connection for the next request, or close it. */
  release(keepAlive: boolean): void {
    this.#current = undefined;
    if (!keepAlive || !this.usable) {
      this.socket.destroy();
      return;
    }
    this.reused = true;
    // Its exchange may have paused reading (a client that stopped reading, or one that is gone and
    // whose 'drain' never comes): the next request must find it reading.
    this.resume();
    let pool = pools.get(this.#key);
    if (!pool) pools.set(this.#key, pool = []);
    if (pool.length >= MAX_IDLE) this.socket.destroy();
    else {
      // An idle pool keeps no process alive (as http.Agent's free sockets do not).
      this.socket.unref();
      pool.push(this);
    }
  }

  /** Gives up on `x`; a no-op once the connection went on to another request (or the pool). */
  abort(x: InFlight): void {
    if (this.#current !== x) return;
    this.#current = undefined;
    x.cancel();
    this.socket.destroy();
  }
}

function connectionFor(t: UpstreamTarget): Connection {
  const key = `${t.tls ? 's' : ''}${t.address}:${t.port}`;
  const pool = pools.get(key);
  while (pool && pool.length > 0) {
    const c = pool.pop()!; // most recently used first: the least likely to have timed out
    if (c.usable) {
      c.socket.ref();
      return c;
    }
  }
  return new Connection(key, t);
}

/** One request's state on its connection. */
class InFlight {
  answered = false;
  readonly #conn: Connection;
  readonly #method: string;
  readonly #to: ResponseHandler;
  readonly #timer: NodeJS.Timeout;
  #raw: string[] = [];
  #keepAlive = false;
  #sent = false;
  #received = false;

  constructor(conn: Connection, method: string, timeoutMs: number, to: ResponseHandler) {
    this.#conn = conn;
    this.#method = method;
    this.#to = to;
    this.#timer = setTimeout(() => {
      conn.abort(this);
      to.onError(new UpstreamError('timeout', `no response within ${timeoutMs} ms`));
    }, timeoutMs);
  }

  more(headers: string[]): void {
    for (const h of headers) this.#raw.push(h);
  }

  headers(status: number, headers: string[] | undefined, keepAlive: boolean): number {
    // 1xx answers (100 Continue) are interim: the real one follows on the same connection.
    if (status < 200) {
      this.#raw = [];
      return 0;
    }
    clearTimeout(this.#timer);
    this.answered = true;
    this.#keepAlive = keepAlive;
    if (headers) this.more(headers);
    const h = headersOf(this.#raw) as IncomingHttpHeaders;
    this.#raw = [];
    this.#to.onHead(status, h);
    return this.#method === 'HEAD' ? 1 : 0;
  }

  data(chunk: Buffer): void {
    if (!this.#to.onData(chunk)) this.#conn.pause();
  }

  complete(): void {
    if (!this.answered) return; // the end of a 1xx answer
    const raw = this.#raw;
    this.#received = true;
    this.#done();
    this.#to.onEnd(raw.length ? headersOf(raw) : {});
  }

  /** The request was written to the end (its body too). */
  sent(): void {
    this.#sent = true;
    this.#done();
  }

  #done(): void {
    if (this.#sent && this.#received) this.#conn.release(this.#keepAlive);
  }

  /** Given up by the caller: no timeout will fire for it. */
  cancel(): void {
    clearTimeout(this.#timer);
  }

  fail(err: UpstreamError): void {
    clearTimeout(this.#timer);
    if (!this.#received) this.#to.onError(this.answered ? new UpstreamError('reset', `target aborted the response: ${err.message}`) : err);
  }
}

export function h1Exchange(t: UpstreamTarget, r: UpstreamRequest, to: ResponseHandler): Exchange {
  const conn = connectionFor(t);
  const x = new InFlight(conn, r.method, r.timeoutMs, to);
  conn.start(x);
  return new H1Exchange(conn, x, r);
}

/**
 * The caller's side of one exchange. A class, not an object literal: a literal with a getter
 * makes V8 build a new accessor pair (and hidden class) per request, and those kept the
 * request's garbage alive through scavenges (about 1.5 KB promoted to the old generation per
 * request, and 13 µs of GC pauses per request, before this was a class).
 */
class H1Exchange implements Exchange {
  readonly #conn: Connection;
  readonly #x: InFlight;
  readonly #r: UpstreamRequest;
  /** A body of unknown length (the client's was chunked) goes on chunked; one with a length as is. */
  readonly #chunked: boolean;
  #headSent = false;
  #body: Writable | undefined;

  constructor(conn: Connection, x: InFlight, r: UpstreamRequest) {
    this.#conn = conn;
    this.#x = x;
    this.#r = r;
    this.#chunked = r.hasBody === true && r.headers['content-length'] === undefined;
  }

  #writeHead(): void {
    // latin1: header values hold one character per byte as llhttp read them (node:http does the same).
    if (!this.#headSent) writeLatin1(this.#conn.socket, head(this.#r, this.#chunked));
    this.#headSent = true;
  }

  /** Made only for requests that have a body. */
  get body(): Writable {
    return this.#body ??= this.#bodyWriter();
  }

  #bodyWriter(): Writable {
    const conn = this.#conn;
    const socket = conn.socket;
    const chunked = this.#chunked;
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (!conn.usable) return cb();
        socket.cork();
        this.#writeHead();
        if (chunked) socket.write(`${chunk.length.toString(16)}\r\n`);
        socket.write(chunk);
        const ok = chunked ? socket.write('\r\n') : true;
        socket.uncork();
        if (ok && socket.writableNeedDrain !== true) cb();
        else socket.once('drain', () => cb());
      },
      final: (cb) => {
        if (conn.usable) {
          socket.cork();
          this.#writeHead();
          if (chunked) socket.write('0\r\n\r\n');
          socket.uncork();
        }
        this.#x.sent();
        cb();
      },
    });
  }

  send(): void {
    if (this.#conn.usable) this.#writeHead();
    this.#x.sent();
  }

  resume(): void {
    this.#conn.resume();
  }

  abort(): void {
    this.#conn.abort(this.#x);
  }
}
