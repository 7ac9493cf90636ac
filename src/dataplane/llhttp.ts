// Node's own HTTP/1.1 parser (llhttp, the one node:http runs), used directly so that the hot path
// parses exactly as strictly as node:http does without paying for IncomingMessage, ClientRequest
// and http.Agent around it. `_http_common` has exported it since Node 0.x (undici used it the same
// way before it moved to WebAssembly); it has no typings, so the few calls we make are typed here.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface ParserCallbacks {
  /** A message's first byte (for timeouts). */
  onMessageBegin?(): void;
  /**
   * Headers done. Returning 1 tells the parser the message has no body (a response to HEAD).
   * `headers` is undefined when they came earlier through onHeaders (more than 32 of them).
   */
  onHeadersComplete(versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number | undefined,
    url: string | undefined, statusCode: number | undefined, statusMessage: string | undefined, upgrade: boolean, shouldKeepAlive: boolean): number | void;
  /** A batch of header (or, after the body, trailer) [name, value, ...] pairs. */
  onHeaders(headers: string[], url: string): void;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  /** Bytes consumed, or an Error (with .code, e.g. HPE_INVALID_CONSTANT) for bad input. */
  execute(data: Buffer): number | Error;
  /** End of input: completes a message read until close; an Error when one was cut short. */
  finish(): undefined | Error;
  close(): void;
  free(): void;
  consume(handle: StreamHandle): void;
  unconsume(): void;
  /** A copy of the bytes being parsed (valid inside the kOnExecute callback). */
  getCurrentBuffer(): Buffer;
  [callback: number]: unknown;
}

/** The native stream under a net.Socket or a tls.TLSSocket (TCPWrap, TLSWrap). */
interface StreamHandle {
  isStreamBase?: boolean;
  /** net.Socket's own record of whether it asked the handle to read. */
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
  kLenientNone: number;
}

const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };

/** The method name for llhttp's method number. */
export const methodName = (n: number | undefined): string => (n === undefined ? '' : methods[n] ?? '');

/** Fields node:http keeps the first of when repeated (IncomingMessage#headers). */
const FIRST_WINS = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer',
  'retry-after', 'server', 'user-agent']);

/**
 * A raw [name, value, ...] list as node:http's `headers` object: names lower-cased, set-cookie a
 * list, cookie joined with "; ", the fields above first-wins, the rest joined with ", ".
 */
export function headersOf(raw: readonly string[], into: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    const prev = into[name];
    if (prev === undefined) into[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else if (!FIRST_WINS.has(name)) into[name] = `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return into;
}

export class Parser {
  readonly #native = new HTTPParser();
  /** The socket handle this parser reads itself (consume()), if it does. */
  #handle: StreamHandle | undefined;

  constructor(kind: 'request' | 'response', cb: ParserCallbacks, maxHeaderSize = 0) {
    const p = this.#native;
    p.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
    if (cb.onMessageBegin) p[HTTPParser.kOnMessageBegin] = cb.onMessageBegin;
    p[HTTPParser.kOnHeaders] = cb.onHeaders;
    p[HTTPParser.kOnHeadersComplete] = cb.onHeadersComplete;
    p[HTTPParser.kOnBody] = cb.onBody;
    p[HTTPParser.kOnMessageComplete] = cb.onMessageComplete;
  }

  /**
   * Reads the socket's native handle itself, as node:http's server does: each read goes from libuv
   * into llhttp in C++, through one buffer shared by every parser, with no Buffer, 'data' event or
   * execute() call per read in JavaScript (and no ArrayBuffer per read for the scavenger to sweep).
   * `onRead` gets each read's byte count, or the Error for input that is not HTTP/1.1 (rawPacket:
   * the read's bytes). What the socket had already buffered (unshifted bytes) still comes through
   * 'data' and goes to execute(). False, and nothing changed, when the socket has no native stream.
   * Afterwards pause and resume the socket's reading with pause()/resume() here: Readable's own
   * pause() no longer reaches the handle.
   */
  consume(socket: Socket, onRead: (result: number | Error) => void): boolean {
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    if (!handle?.isStreamBase) return false;
    const native = this.#native;
    native[HTTPParser.kOnExecute] = (r: number | Error) => {
      if (typeof r !== 'number') Object.assign(r, { rawPacket: native.getCurrentBuffer() });
      onRead(r);
    };
    native.consume(handle);
    this.#handle = handle;
    return true;
  }

  /** Stops reading `socket` until resume(): its handle too, when this parser consumes it. */
  pause(socket: Socket): void {
    socket.pause();
    const h = this.#handle;
    if (h && h.reading && !socket.destroyed) {
      h.reading = false;
      h.readStop();
    }
  }

  resume(socket: Socket): void {
    socket.resume();
    const h = this.#handle;
    if (h && !h.reading && !socket.destroyed) {
      h.reading = true;
      h.readStart();
    }
  }

  /** Feeds bytes; an Error for input that is not HTTP/1.1. */
  execute(data: Buffer): Error | undefined {
    const r = this.#native.execute(data);
    return typeof r === 'number' ? undefined : r;
  }

  finish(): Error | undefined {
    return this.#native.finish() ?? undefined;
  }

  free(): void {
    if (this.#handle) this.#native.unconsume();
    this.#handle = undefined;
    this.#native.close();
  }
}
