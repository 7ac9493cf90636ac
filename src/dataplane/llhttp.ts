// Node's own HTTP/1.1 parser (llhttp, the one node:http runs), used directly so that the hot path
// parses exactly as strictly as node:http does without paying for IncomingMessage, ClientRequest
// and http.Agent around it. `_http_common` has exported it since Node 0.x (undici used it the same
// way before it moved to WebAssembly); it has no typings, so the few calls we make are typed here.
import { createRequire } from 'node:module';

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
  [callback: number]: unknown;
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

  constructor(kind: 'request' | 'response', cb: ParserCallbacks, maxHeaderSize = 0) {
    const p = this.#native;
    p.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderSize, HTTPParser.kLenientNone);
    if (cb.onMessageBegin) p[HTTPParser.kOnMessageBegin] = cb.onMessageBegin;
    p[HTTPParser.kOnHeaders] = cb.onHeaders;
    p[HTTPParser.kOnHeadersComplete] = cb.onHeadersComplete;
    p[HTTPParser.kOnBody] = cb.onBody;
    p[HTTPParser.kOnMessageComplete] = cb.onMessageComplete;
    // Only a parser that consumes the socket itself calls this; ours are fed by execute().
    p[HTTPParser.kOnExecute] = () => {};
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
    this.#native.close();
  }
}
