// One request to one target, whatever the protocol: the request side is a Writable for the body,
// the response arrives once through onResponse, and a failure is classified so the caller can
// answer with Lattice's code (502, 504) or retry when the request never left.
import type { Readable, Writable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';

export type FailureKind =
  /** No connection could be made: the target never saw the request (safe to try another). */
  | 'connect'
  /** The connection broke or the target answered nonsense (502). */
  | 'reset'
  /** The target did not answer within the timeout (504). */
  | 'timeout';

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Resolves with the trailers (HTTP/2 and chunked HTTP/1.1), or {} when there are none. */
  trailers: Promise<Record<string, string | string[] | undefined>>;
}

export interface Exchange {
  /** Where the request body goes; end it when the client's body ends. */
  readonly body: Writable;
  /** Sends a request that has no body (instead of using `body`). */
  send(): void;
  response: Promise<UpstreamResponse>;
  abort(): void;
}

export class UpstreamError extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface UpstreamTarget { address: string; port: number; tls: boolean }

export interface UpstreamRequest {
  method: string;
  /** Path and query as forwarded. */
  path: string;
  authority: string;
  headers: Record<string, string | string[]>;
  /** No response headers within this time: 504. */
  timeoutMs: number;
  /** The client sends a body (its length, if known, is in the content-length header). */
  hasBody?: boolean;
}
