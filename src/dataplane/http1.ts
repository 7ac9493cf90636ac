// HTTP/1.1 from clients, served over the socket with Node's llhttp (llhttp.ts) instead of
// node:http's Server: the same parser and flags, so the same requests are refused, without the
// per-request machinery around it. What node:http's Server did for us is done here, in its way:
// keep-alive and Connection: close, HTTP/1.0, pipelined requests answered in order, Expect
// (100-continue, else 417), a Host required of HTTP/1.1, headers/request/idle timeouts, response
// framing (Content-Length as given, else chunked, else read-until-close for HTTP/1.0), trailers.
// Requests (a Readable: the body) and responses (written straight to the socket) are small classes
// with the subset of IncomingMessage and ServerResponse that handle.ts and guard.ts use.
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { Parser, methodName, headersOf } from './llhttp.ts';
import { statusForParseError, type Limits } from './guard.ts';
import { writeLatin1 } from './sockwrite.ts';

export type Http1Handler = (req: Http1Request, res: Http1Response) => void;
type Headers = Record<string, string | string[]>;

/** "Thu, 26 Nov 2026 12:00:00 GMT", recomputed at most once a second. */
let dateAt = 0;
let dateText = '';
function httpDate(): string {
  const now = Date.now();
  if (now - dateAt >= 1000) {
    dateAt = now - (now % 1000);
    dateText = new Date(dateAt).toUTCString();
  }
  return dateText;
}

/** Bodies up to this many bytes go out in one write with the head. */
const ONE_WRITE = 1024;

const closing = (status: number) => `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;

export class Http1Request extends Readable {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  readonly httpVersion: string;
  readonly socket: Socket;
  readonly #conn: Connection;

  constructor(conn: Connection, method: string, url: string, raw: string[], minor: number) {
    super();
    this.#conn = conn;
    this.socket = conn.socket;
    this.method = method;
    this.url = url;
    this.rawHeaders = raw;
    this.headers = headersOf(raw) as IncomingHttpHeaders;
    this.httpVersion = `1.${minor}`;
  }

  override _read(): void {
    this.#conn.bodyWanted();
  }
}

/**
 * The response: written straight to the socket, which buffers and says when to wait ('drain'),
 * so it is no stream.Writable: a Writable's state, write queue, callbacks and nextTicks were ~0.9 KB
 * of allocations and several ticks of work per request, for a queue the socket keeps anyway. Events: 'drain'
 * (write may go on), 'close' (the response is done, or given up). Heads are written as latin1, as
 * node:http writes them: llhttp and nghttp2 hand header bytes over one character per byte, so a
 * value's bytes go on as they came (UTF-8 would encode 0x80-0xff twice).
 */
export class Http1Response extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  /** Ended or given up: nothing more is written. */
  destroyed = false;
  readonly #conn: Connection;
  readonly #head: boolean;
  readonly #http10: boolean;
  #keepAlive: boolean;
  #fields: Headers = {};
  #pending = '';
  #chunked = false;
  #noBody = false;
  #trailers: Headers | undefined;
  #onTimeout: ((this: Http1Response) => void) | undefined;
  #waiting = false;

  constructor(conn: Connection, req: Http1Request, keepAlive: boolean) {
    super();
    this.#conn = conn;
    this.#head = req.method === 'HEAD';
    this.#http10 = req.httpVersion === '1.0';
    this.#keepAlive = keepAlive;
  }

  get keepAlive(): boolean { return this.#keepAlive; }

  setHeader(name: string, value: string | string[]): this {
    this.#fields[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.#fields[name.toLowerCase()];
  }

  writeHead(status: number, fields?: Headers): this {
    if (this.headersSent) return this;
    this.statusCode = status;
    const f = fields ? Object.assign(this.#fields, fields) : this.#fields;
    if (f.connection === 'close') this.#keepAlive = false;
    this.#noBody = this.#head || status === 204 || status === 304 || status < 200;
    let s = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (const name in f) {
      if (name === 'connection' || name === 'transfer-encoding') continue;
      const v = f[name];
      if (typeof v === 'string') s += `${name}: ${v}\r\n`;
      else for (const one of v) s += `${name}: ${one}\r\n`;
    }
    if (f.date === undefined) s += `date: ${httpDate()}\r\n`;
    if (f['content-length'] === undefined && !this.#noBody) {
      // Unknown length: chunked for HTTP/1.1, the end of the connection for HTTP/1.0.
      if (this.#http10) this.#keepAlive = false;
      else this.#chunked = true;
    }
    if (this.#chunked) s += 'transfer-encoding: chunked\r\n';
    s += this.#keepAlive ? (this.#http10 ? 'connection: keep-alive\r\n\r\n' : '\r\n') : 'connection: close\r\n\r\n';
    this.#pending = s;
    this.headersSent = true;
    return this;
  }

  /** Sent after a chunked body (dropped otherwise, as node:http does). */
  addTrailers(t: Headers): void {
    this.#trailers = t;
  }

  /** A client that stops reading: after `ms` without progress, `cb` on this response (as node:http calls it). */
  setTimeout(ms: number, cb: (this: Http1Response) => void): this {
    this.#onTimeout = cb;
    this.#conn.timeout(ms);
    return this;
  }

  /** The connection's socket timed out while this response was active. */
  timedOut(): boolean {
    if (!this.#onTimeout) return false;
    this.#onTimeout.call(this);
    return true;
  }

  /** Writes a piece of the body; false when the client is behind (wait for 'drain'). */
  write(data: Buffer | string): boolean {
    if (this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const socket = this.#conn.socket;
    if (this.#noBody || chunk.length === 0) {
      if (this.#pending) this.#flushHead();
      return true;
    }
    let ok: boolean;
    if (this.#chunked) {
      socket.cork();
      socket.write(`${this.#pending}${chunk.length.toString(16)}\r\n`, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n');
      socket.uncork();
    } else if (this.#pending && chunk.length <= ONE_WRITE) {
      // The head and a small body as one string: one write, where corked writes go through writev.
      ok = writeLatin1(socket, this.#pending + chunk.toString('latin1'));
    } else if (this.#pending) {
      socket.cork();
      socket.write(this.#pending, 'latin1');
      ok = socket.write(chunk);
      socket.uncork();
    } else {
      ok = socket.write(chunk);
    }
    this.#pending = '';
    if (!ok && !this.#waiting) {
      this.#waiting = true;
      socket.once('drain', () => {
        this.#waiting = false;
        if (!this.destroyed) this.emit('drain');
      });
    }
    return ok;
  }

  #flushHead(): void {
    writeLatin1(this.#conn.socket, this.#pending);
    this.#pending = '';
  }

  /** The last of the body (if any), the chunked terminator and trailers; then 'close'. */
  end(data?: Buffer | string): this {
    if (this.destroyed) return this;
    if (data !== undefined) this.write(data);
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (this.#chunked) {
      let end = `${this.#pending}0\r\n`;
      if (this.#trailers) for (const name in this.#trailers) {
        const v = this.#trailers[name];
        for (const one of typeof v === 'string' ? [v] : v) end += `${name}: ${one}\r\n`;
      }
      this.#conn.socket.write(`${end}\r\n`, 'latin1');
      this.#pending = '';
    } else if (this.#pending) {
      this.#flushHead();
    }
    this.destroyed = true;
    this.emit('close');
    this.#conn.responded(this);
    return this;
  }

  /** Gives up: a response cut short cannot be framed, so neither can the connection go on. */
  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.#conn.socket.destroy();
    this.emit('close');
    return this;
  }
}

interface Exchange { req: Http1Request; res: Http1Response }

/** One client connection: parses requests, hands them out one at a time, writes answers in order. */
class Connection {
  readonly socket: Socket;
  readonly #server: Http1Server;
  readonly #parser: Parser;
  #raw: string[] = [];
  #url = '';
  /** The request being parsed (its body may still be arriving). */
  #reading: Http1Request | undefined;
  /** Answered one at a time, in order; the first is active. */
  readonly #queue: Exchange[] = [];
  /** When the request being parsed began, its headers are not complete yet (0: none). */
  headStart = 0;
  /** When the request being parsed began, its body is not complete yet (0: none). */
  requestStart = 0;
  #closeAfter = false;
  /** After an Upgrade request: what follows is not HTTP/1.1 and is not read. */
  #upgraded = false;
  #timeoutMs: number;

  constructor(server: Http1Server, socket: Socket, limits: Limits) {
    this.#server = server;
    this.socket = socket;
    this.#parser = new Parser('request', {
      onMessageBegin: () => { this.headStart = this.requestStart = Date.now(); },
      onHeaders: (h, url) => { for (const x of h) this.#raw.push(x); this.#url += url; },
      onHeadersComplete: (major, minor, headers, method, url, _s, _m, upgrade, keepAlive) => this.#headers(major, minor, headers, method, url, upgrade, keepAlive),
      onBody: (chunk) => { if (this.#reading && !this.#reading.push(chunk)) this.#parser.pause(socket); },
      onMessageComplete: () => {
        this.requestStart = 0;
        this.#reading?.push(null);
        this.#reading = undefined;
      },
    }, limits.maxHeaderBytes);
    // Bytes the socket already holds (the first read, unshifted by the dispatcher) come as 'data';
    // the parser reads the rest from the socket's handle itself (consume()), where it can.
    socket.on('data', (chunk: Buffer) => {
      if (this.#upgraded) return;
      const err = this.#parser.execute(chunk);
      if (err && !socket.destroyed) this.#refuse(statusForParseError(Object.assign(err, { rawPacket: chunk })));
    });
    this.#parser.consume(socket, (r) => {
      // Reads no longer pass net.Socket's own read path, which keeps its inactivity timer fresh.
      (socket as unknown as { _unrefTimer(): void })._unrefTimer();
      if (typeof r !== 'number' && !socket.destroyed) this.#refuse(statusForParseError(r));
    });
    socket.on('end', () => {
      // The client is done sending; answer what it asked, then close.
      this.#closeAfter = true;
      if (this.#queue.length === 0) socket.end();
    });
    socket.on('timeout', () => {
      const active = this.#queue[0];
      if (active?.res.timedOut()) return;
      // Idle between requests; one being read is the headers/request timeouts' business.
      if (!active && !this.headStart && !this.requestStart) socket.destroy();
    });
    socket.once('close', () => {
      this.#parser.free();
      server.forget(this);
      for (const x of this.#queue.splice(0)) {
        if (!x.req.readableEnded) x.req.destroy();
        x.res.destroy();
      }
    });
    this.#timeoutMs = limits.idleTimeoutMs;
    socket.setTimeout(limits.idleTimeoutMs);
  }

  /** The socket's inactivity timeout, set only when it changes (each set re-arms a timer). */
  timeout(ms: number): void {
    if (ms === this.#timeoutMs) return;
    this.#timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  #headers(_major: number, minor: number, headers: string[] | undefined, method: number | undefined, url: string | undefined,
    upgrade: boolean, keepAlive: boolean): number {
    this.headStart = 0;
    if (this.socket.destroyed) return 0;
    if (headers) for (const x of headers) this.#raw.push(x);
    const req = new Http1Request(this, methodName(method), url ?? this.#url, this.#raw, minor);
    this.#raw = [];
    this.#url = '';
    if (minor >= 1 && req.headers.host === undefined) return this.#refuse(400);
    if (req.method === 'CONNECT') return this.#refuse(405);
    const expect = req.headers.expect;
    if (expect !== undefined && (typeof expect !== 'string' || expect.toLowerCase() !== '100-continue')) return this.#refuse(417);
    // After an Upgrade request the parser reads no more: answer it as a plain request, then close.
    if (upgrade) {
      this.#closeAfter = this.#upgraded = true;
      this.#parser.pause(this.socket);
    }
    this.#reading = req;
    const res = new Http1Response(this, req, keepAlive && !this.#closeAfter);
    this.#queue.push({ req, res });
    if (this.#queue.length === 1) this.#start(this.#queue[0]);
    else this.#parser.pause(this.socket); // pipelined: read on once the earlier answers are written
    return 0;
  }

  #start(x: Exchange): void {
    if (x.req.headers.expect !== undefined) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    this.#server.handler(x.req, x.res);
  }

  /** A request llhttp (or the checks above) refused: its status, then close, as node:http does. */
  #refuse(status: number): number {
    const active = this.#queue[0];
    const midResponse = active !== undefined && active.res.headersSent;
    if (this.socket.writable && !midResponse) this.socket.write(closing(status));
    this.socket.destroy();
    return 0;
  }

  /** An answer was written to its end: the next one, or close, or wait for the next request. */
  responded(res: Http1Response): void {
    const done = this.#queue.shift();
    if (done?.res !== res) return;
    if (!res.keepAlive || (this.#closeAfter && this.#queue.length === 0)) {
      this.socket.end();
      return;
    }
    this.timeout(this.#server.limits.idleTimeoutMs);
    const next = this.#queue[0];
    if (next) this.#start(next);
    else if (!this.#upgraded) this.#parser.resume(this.socket);
  }

  bodyWanted(): void {
    if (this.#queue.length <= 1 && !this.#upgraded) this.#parser.resume(this.socket);
  }

  /** Stopping: close now when idle, else after the answers to the requests begun so far. */
  drain(): void {
    this.#closeAfter = true;
    if (this.#queue.length === 0 && !this.headStart && !this.requestStart) this.socket.end();
  }

  /** Past headersTimeout or requestTimeout: 408 and close, as node:http does. */
  expire(now: number, limits: Limits): void {
    if ((this.headStart && now - this.headStart > limits.headersTimeoutMs) || (this.requestStart && now - this.requestStart > limits.requestTimeoutMs)) {
      this.#refuse(408);
    }
  }
}

/** The HTTP/1.1 side of the data plane: every connection handed to it, and their timeouts. */
export class Http1Server {
  readonly handler: Http1Handler;
  readonly limits: Limits;
  readonly #connections = new Set<Connection>();
  readonly #timer: NodeJS.Timeout;

  constructor(limits: Limits, handler: Http1Handler) {
    this.limits = limits;
    this.handler = handler;
    // How often requests are checked against headersTimeout / requestTimeout (node:http: 30 s).
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.#connections) c.expire(now, limits);
    }, Math.min(1000, Math.ceil(limits.headersTimeoutMs / 4)));
    this.#timer.unref();
  }

  /** Serves a connection from its next byte on. */
  serve(socket: Socket): void {
    this.#connections.add(new Connection(this, socket, this.limits));
  }

  forget(c: Connection): void {
    this.#connections.delete(c);
  }

  /** Every connection closes once the requests it began are answered (idle ones now). */
  drain(): void {
    for (const c of this.#connections) c.drain();
  }

  close(): void {
    clearInterval(this.#timer);
    for (const c of this.#connections) c.socket.destroy();
  }
}
