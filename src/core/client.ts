// A small SigV4-signing JSON client for Trellis's own API, for the CLI and the demo (the product
// does not depend on the AWS SDK, which tests use).
import { sign } from '../iam/sigv4.ts';

export interface ClientConfig { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }

export class ApiCallError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${code} (${status}): ${message}`);
    this.status = status;
    this.code = code;
  }
}

export async function call<T>(c: ClientConfig, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, c.endpoint);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = sign({ method, url, headers: text !== undefined ? { 'content-type': 'application/json' } : {}, body: text, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, region: c.region, service: 'vpc-lattice' });
  delete headers.host;
  const res = await fetch(url, { method, headers, body: text });
  const out = await res.text();
  if (!res.ok) {
    const parsed = out ? (JSON.parse(out) as { message?: string }) : {};
    throw new ApiCallError(res.status, res.headers.get('x-amzn-errortype') ?? 'Error', parsed.message ?? out);
  }
  return (out ? JSON.parse(out) : {}) as T;
}
