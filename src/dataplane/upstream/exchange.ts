// One request to one target, whatever the protocol: the request side is a Writable for the body
// (or send() when there is none), the answer comes through a ResponseHandler, and a failure is
// classified so the caller can answer with Lattice's code (502, 504) or retry when the request never left.
import type { Writable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';

export type FailureKind =
  /** No connection could be made: the target never saw the request (safe to try another). */
  | 'connect'
  /** The connection broke or the target answered nonsense (502). */
  | 'reset'
  /** The target did not answer within the timeout (504). */
  | 'timeout';

export type Trailers = Record<string, string | string[] | undefined>;

/**
 * What becomes of the target's answer, called in this order: onHead once, onData per piece of
 * body, onEnd with the trailers ({} when none); or onError at any point (before onHead: nothing
 * reached the client yet; after it: the response is cut short). Callbacks, not a Promise and a
 * Readable, because this runs once per request.
 */
export interface ResponseHandler {
  onHead(status: number, headers: IncomingHttpHeaders): void;
  /** False asks the exchange to stop reading until resume(). */
  onData(chunk: Buffer): boolean;
  onEnd(trailers: Trailers): void;
  onError(err: UpstreamError): void;
}

export interface Exchange {
  /** Where the request body goes; end it when the client's body ends. */
  readonly body: Writable;
  /** Sends a request that has no body (instead of using `body`). */
  send(): void;
  /** Reading resumes after onData returned false. */
  resume(): void;
  /** The client is gone: give up (a no-op once the exchange finished). */
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
