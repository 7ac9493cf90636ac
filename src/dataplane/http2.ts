// HTTP/2 from clients, served from each session's 'stream' events rather than through Node's
// compatibility API (http2.createServer's 'request' event): a request and a response here are thin
// objects over the ServerHttp2Stream with the subset of Http2ServerRequest/Response that handle.ts
// and guard.ts use. The compatibility layer wraps each stream in two stream-like objects and
// relays its events through them: in a bare Node server on one core here, answering from 'stream'
// took ~18 µs of CPU per request against ~25 µs from 'request' (h2load, 10 connections x 10 streams).
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Writable } from 'node:stream';
import type { Socket } from 'node:net';

type Headers = Record<string, string | string[]>;

/** A stream's 'error' (a reset, a write after the client went away) ends it; the request path sees 'close'. */
function ignore(): void {}

export class Http2Request {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** As received, pseudo-headers (":method", ...) included, as in Http2ServerRequest. */
  readonly rawHeaders: string[];
  readonly stream: ServerHttp2Stream;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]) {
    this.stream = stream;
    this.headers = headers;
    this.rawHeaders = rawHeaders;
    this.method = headers[':method'] as string;
    this.url = headers[':path'] as string;
    stream.on('error', ignore);
  }

  /** The session's socket (TLS details for HTTPS listeners). */
  get socket(): Socket {
    return this.stream.session!.socket as Socket;
  }

  // The request body is the stream's readable side.
  pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    return this.stream.pipe(dest, options);
  }

  unpipe(dest?: Writable): this {
    this.stream.unpipe(dest);
    return this;
  }

  on(event: 'data', fn: (chunk: Buffer) => void): this {
    this.stream.on(event, fn);
    return this;
  }

  off(event: 'data', fn: (chunk: Buffer) => void): this {
    this.stream.off(event, fn);
    return this;
  }
}

export class Http2Response {
  statusCode = 200;
  readonly stream: ServerHttp2Stream;
  #fields: Headers | undefined;
  #noBody = false;
  #trailers: OutgoingHttpHeaders | undefined;

  constructor(stream: ServerHttp2Stream) {
    this.stream = stream;
  }

  get headersSent(): boolean { return this.stream.headersSent; }
  get destroyed(): boolean { return this.stream.destroyed; }

  setHeader(name: string, value: string | string[]): this {
    (this.#fields ??= {})[name.toLowerCase()] = value;
    return this;
  }

  getHeader(name: string): string | string[] | undefined {
    return this.#fields?.[name.toLowerCase()];
  }

  /**
   * Sends the response head. `trailers`: trailers may follow the body (a gRPC or HTTP/2 target, a
   * chunked HTTP/1.1 one); only then does the stream wait for them after the last DATA frame, as
   * the compatibility API always made it do.
   */
  writeHead(status: number, fields?: Headers, trailers = false): this {
    if (this.stream.headersSent || this.stream.destroyed) return this;
    this.statusCode = status;
    const f = this.#fields = this.#fields && fields ? Object.assign(this.#fields, fields) : fields ?? this.#fields ?? {};
    // Node ends the stream with the head for these, and for HEAD requests.
    this.#noBody = (this.stream as { headRequest?: boolean }).headRequest === true || status === 204 || status === 205 || status === 304;
    const waitForTrailers = trailers && !this.#noBody;
    if (waitForTrailers) this.stream.once('wantTrailers', () => this.stream.sendTrailers(this.#trailers ?? {}));
    // The fields object is this response's own (getHeader reads it), so it takes :status itself.
    (f as OutgoingHttpHeaders)[':status'] = status;
    this.stream.respond(f, { waitForTrailers });
    return this;
  }

  /** Sent after the body when writeHead was told trailers may follow (dropped otherwise). */
  addTrailers(t: Headers): void {
    this.#trailers = t;
  }

  /** A client that stops reading: after `ms` without progress, `cb` on the stream. */
  setTimeout(ms: number, cb: (this: { destroy(): void }) => void): this {
    this.stream.setTimeout(ms, cb);
    return this;
  }

  write(chunk: Buffer): boolean {
    if (!this.stream.headersSent) this.writeHead(this.statusCode);
    if (this.#noBody || this.stream.destroyed) return true;
    return this.stream.write(chunk);
  }

  end(body?: string | Buffer): this {
    if (!this.stream.headersSent) this.writeHead(this.statusCode);
    if (this.stream.destroyed || this.stream.writableEnded) return this;
    if (body !== undefined && !this.#noBody) this.stream.end(body);
    else this.stream.end();
    return this;
  }

  destroy(): this {
    this.stream.destroy();
    return this;
  }

  on(event: 'close' | 'drain', fn: () => void): this {
    this.stream.on(event, fn);
    return this;
  }

  once(event: 'close' | 'drain', fn: () => void): this {
    this.stream.once(event, fn);
    return this;
  }

  off(event: 'close' | 'drain', fn: () => void): this {
    this.stream.off(event, fn);
    return this;
  }
}
