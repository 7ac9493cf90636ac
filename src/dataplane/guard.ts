// What Node's own parsers (llhttp for HTTP/1.1, nghttp2 for HTTP/2) leave to the application:
// request checks run before the Host lookup, auth and routing; the limits that bound what one
// client can make the proxy hold; and the answers to requests the parsers refuse. The expected
// behaviour is that of the HTTP hardening vectors (../shared/vectors/http/cases.md), whose table of
// Envoy / nginx / Node defaults the limits below cite.
import { STATUS_CODES } from 'node:http';
import { constants, type ServerHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Http1Request, Http1Response } from './http1.ts';
import type { Http2Request, Http2Response } from './http2.ts';

export interface Limits {
  /** Request line plus header section (HTTP/1.1), decoded header list (HTTP/2). Over: 431 + close. */
  maxHeaderBytes: number;
  /** One header field, name plus value. Over: 431 + close. */
  maxFieldBytes: number;
  /** The request target (path and query). Over: 414 + close. */
  maxTargetBytes: number;
  /** Header fields in one request, pseudo-headers not counted. Over: 431 + close. */
  maxHeaderCount: number;
  /** Request body; 0 = unlimited. Over: 413 + close (before forwarding when Content-Length says so). */
  maxBodyBytes: number;
  /**
   * A new connection's first bytes must say what it speaks (a TLS ClientHello, the HTTP/2 preface,
   * an HTTP/1.1 request line) within this; an HTTP/1.1 request's header section must be complete
   * this long after its first byte. Over: closed, or 408 + close.
   */
  headersTimeoutMs: number;
  /** From a request's first byte to the end of its body (HTTP/1.1). Over: 408 + close. */
  requestTimeoutMs: number;
  /** A kept-alive HTTP/1.1 connection with no request in progress. Over: closed. */
  idleTimeoutMs: number;
  /** A response the client stops reading: no write progress for this long. Over: connection (h1) or stream (h2) reset. */
  sendTimeoutMs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS. Streams beyond it: REFUSED_STREAM. */
  h2MaxConcurrentStreams: number;
  /**
   * HTTP/2 streams a session may open before it is checked for premature resets (streams closed
   * before their response began): more than half of them, and GOAWAY(ENHANCE_YOUR_CALM).
   */
  h2PrematureResetCheckStreams: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxHeaderBytes: 60 * 1024, // Envoy max_request_headers_kb default (60); Node's own default is 16 KiB
  maxFieldBytes: 8 * 1024, // nginx large_client_header_buffers 4 8k
  maxTargetBytes: 8 * 1024, // nginx large_client_header_buffers 4 8k (longer request line: 414)
  maxHeaderCount: 100, // Envoy max_headers_count default
  // Lattice streams bodies and documents no limit except 6 MB for Lambda targets (Lambda Developer
  // Guide, "Lambda functions as targets in VPC Lattice"); Envoy has none, nginx 1 MiB. A bound
  // well above the only documented one.
  maxBodyBytes: 64 * 1024 * 1024,
  headersTimeoutMs: 10_000, // Envoy edge best practice request_headers_timeout (nginx 60 s)
  requestTimeoutMs: 300_000, // Node's requestTimeout default (Envoy request_timeout is off)
  idleTimeoutMs: 60_000, // Lattice's connection idle timeout default (User Guide, "Services"); nginx 75 s
  sendTimeoutMs: 60_000, // nginx send_timeout default
  h2MaxConcurrentStreams: 100, // Envoy edge best practice (nginx 128; Node's default is 2^32-1)
  // Envoy's overload.premature_reset_total_stream_count default (Envoy 1.24.11 release notes). Node
  // stops bursts of resets sooner, with INTERNAL_ERROR, once it has refused 100 streams over the
  // concurrency limit (maxSessionRejectedStreams), and nghttp2 limits resets to 1,000 then 33/s.
  h2PrematureResetCheckStreams: 500,
};

/** A client's request and its response, HTTP/1.1 (http1.ts) or HTTP/2 (http2.ts). */
export type Req = Http1Request | Http2Request;
export type Res = Http1Response | Http2Response;

export interface Rejection { status: number; message: string; close: boolean }

const refuse = (status: number, message: string, close = true): Rejection => ({ status, message, close });

/** Headers that carry one identity: a second copy makes the request ambiguous (RFC 9110 §5.3). */
const SINGLETONS = new Map(['host', 'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'].map((n, i) => [n, 1 << i]));
/** reg-name (letters, digits, '-', '.', '_') or an IP literal, then an optional port. */
const HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{0,5})?$/;

/**
 * Refuses a request Node's parser let through but which is ambiguous, malformed or too large
 * (undefined when it may go on). Pure: reads the parsed request only.
 */
export function checkRequest(req: Req, limits: Limits): Rejection | undefined {
  const url = req.url ?? '';
  if (Buffer.byteLength(url) > limits.maxTargetBytes) return refuse(414, `the request target is longer than ${limits.maxTargetBytes} bytes`);
  // Origin-form only (RFC 9112 §3.2): a reverse proxy is no forward proxy (absolute-form,
  // CONNECT's authority-form), asterisk-form is for OPTIONS alone, and '#' never belongs in one.
  if (req.method === 'CONNECT') return refuse(405, 'CONNECT is not supported');
  if (url === '*' && req.method !== 'OPTIONS') return refuse(400, 'asterisk-form is only for OPTIONS');
  if (url !== '*' && !url.startsWith('/')) return refuse(400, 'the request target must be a path (origin-form)');
  if (url.includes('#')) return refuse(400, 'fragment in the request target');

  const raw = req.rawHeaders;
  let seen = 0; // SINGLETONS met so far, one bit each
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name.startsWith(':')) continue;
    count++;
    if (name.length + value.length > limits.maxFieldBytes) return refuse(431, `header ${name.slice(0, 64)} is larger than ${limits.maxFieldBytes} bytes`);
    // Upstreams that read '_' as '-' (CGI, WSGI, some frameworks) would see a forged header.
    if (name.includes('_')) return refuse(400, `underscore in header name ${name.slice(0, 64)}`);
    const lower = name.toLowerCase();
    const bit = SINGLETONS.get(lower);
    if (bit !== undefined) {
      if (seen & bit) return refuse(400, `more than one ${lower} header`, lower === 'host');
      seen |= bit;
    }
  }
  if (count > limits.maxHeaderCount) return refuse(431, `more than ${limits.maxHeaderCount} header fields`);

  const authority = req.headers[':authority'] as string | undefined;
  const host = req.headers.host;
  if (authority !== undefined && host !== undefined && authority.toLowerCase() !== host.toLowerCase()) {
    return refuse(400, 'host differs from :authority');
  }
  const name = authority ?? host;
  if (name !== undefined && !HOST.test(name)) return refuse(400, 'invalid Host');

  const length = req.headers['content-length'];
  if (limits.maxBodyBytes > 0 && length !== undefined && Number(length) > limits.maxBodyBytes) {
    return refuse(413, `the request body is larger than ${limits.maxBodyBytes} bytes`);
  }
  return undefined;
}

/**
 * The request path's first step. Refuses what checkRequest refuses (an HTTP/2 request that is
 * malformed is reset with PROTOCOL_ERROR, as RFC 9113 §8.1.1 asks), else arms the limits that
 * apply while it is forwarded. True when the request is answered here and must go no further.
 */
export function guardRequest(req: Req, res: Res, limits: Limits, reply: (status: number, details: string, message: string) => void): boolean {
  if ('stream' in req) {
    // nghttp2 may reset a stream (content-length mismatch, ...) before its 'request' event runs.
    if (req.stream.destroyed || !req.stream.session) return true;
  }
  const refused = checkRequest(req, limits);
  if (refused) {
    if ('stream' in req && refused.status === 400) {
      req.stream.close(constants.NGHTTP2_PROTOCOL_ERROR);
      return true;
    }
    if (refused.close && !('stream' in req)) res.setHeader('connection', 'close');
    reply(refused.status, 'request_refused', `Request refused: ${refused.message}.`);
    return true;
  }
  limitBody(req, res, limits, reply);
  return false;
}

/**
 * Rapid Reset (CVE-2023-44487) and floods of malformed requests: a session that has opened at least
 * h2PrematureResetCheckStreams streams, more than half of which closed before their response
 * began, is sent GOAWAY(ENHANCE_YOUR_CALM) and closed, as Envoy does.
 */
export function guardSession(session: ServerHttp2Session, limits: Limits): void {
  let opened = 0;
  let premature = 0;
  session.on('stream', (stream) => {
    opened++;
    // A stream closes once: on(), not once() (which wraps the listener in two more objects).
    stream.on('close', () => {
      if (stream.headersSent || session.destroyed) return;
      premature++;
      if (opened >= limits.h2PrematureResetCheckStreams && premature * 2 > opened) calm(session);
    });
  });
}

/** How long a session told to go away may finish the streams it has before it is closed. */
const GOAWAY_GRACE_MS = 1000;

function calm(session: ServerHttp2Session): void {
  if (session.closed) return;
  // GOAWAY, then close: destroy() right away can drop the GOAWAY when the session writes through
  // a JavaScript stream (h2c and TLS here) that is still busy with an earlier frame.
  session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
  session.close();
  setTimeout(() => session.destroy(), GOAWAY_GRACE_MS).unref();
}

/** Bodies without a Content-Length (chunked, HTTP/2 DATA) are counted as they stream. */
function limitBody(req: Req, res: Res, limits: Limits, reply: (status: number, details: string, message: string) => void): void {
  const max = limits.maxBodyBytes;
  if (max <= 0 || req.headers['content-length'] !== undefined) return;
  if ('stream' in req ? req.stream.endAfterHeaders : req.headers['transfer-encoding'] === undefined) return;
  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= max) return;
    req.off('data', count);
    req.unpipe();
    if (!res.headersSent && !('stream' in req)) res.setHeader('connection', 'close');
    reply(413, 'request_body_too_large', `The request body is larger than ${max} bytes.`);
  };
  // Forwarding pipes the request in this same tick, before any data flows.
  req.on('data', count);
}

const KNOWN_CODINGS = new Set(['chunked', 'compress', 'deflate', 'gzip', 'identity', 'x-compress', 'x-gzip']);

/** A Transfer-Encoding naming a coding nobody registered: 501 (RFC 9112 §6.1), not 400. */
function unknownCoding(packet: Buffer | undefined): boolean {
  if (!packet) return false;
  const text = packet.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  for (const m of (end < 0 ? text : text.slice(0, end)).matchAll(/\r\ntransfer-encoding:([^\r\n]*)/gi)) {
    for (const coding of m[1].split(',')) {
      const token = coding.split(';')[0].trim().toLowerCase();
      if (token !== '' && !KNOWN_CODINGS.has(token)) return true;
    }
  }
  return false;
}

/** The status for a request llhttp refused (or a request that timed out). */
export function statusForParseError(err: Error & { code?: string; rawPacket?: Buffer }): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW': return 431;
    case 'ERR_HTTP_REQUEST_TIMEOUT': return 408;
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH': return unknownCoding(err.rawPacket) ? 501 : 400;
    // Node answers an oversized chunk extension with 413; it is a framing error like the others.
    default: return 400;
  }
}

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

/**
 * The first request line of a plain HTTP/1.1 connection, checked from its raw bytes because llhttp
 * accepts (and hides) extra spaces in it: 'more' until the line is complete. Later requests on a
 * kept-alive connection are parsed by llhttp alone; each is re-serialized to the target anyway.
 */
export function checkRequestLine(head: Buffer, limits: Limits): 'more' | Rejection | undefined {
  let start = 0;
  while (head[start] === 0x0d && head[start + 1] === 0x0a) start += 2; // RFC 9112 §2.2: leading empty lines
  const lf = head.indexOf(0x0a, start);
  if (lf < 0) return head.length - start > limits.maxTargetBytes + 32 ? refuse(414, 'request line too long') : 'more';
  const line = head.subarray(start, lf + 1).toString('latin1');
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\x00-\x20\x7f]+ HTTP\/[0-9]\.[0-9]\r\n$/.test(line)) return refuse(400, 'malformed request line');
  return undefined;
}

/** The answer to a refused first request line, written straight to the socket. */
export function refuseConnection(socket: Duplex, r: Rejection): void {
  socket.end(statusLine(r.status));
}
