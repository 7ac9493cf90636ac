// The AWS signing test suite's files (../shared/vectors/sigv4), read in place.
import type { SignableRequest } from '../../src/iam/sigv4.ts';

/** A case's context.json. */
export interface SigningContext {
  credentials: { access_key_id: string; secret_access_key: string; token?: string };
  normalize: boolean;
  region: string;
  service: string;
  timestamp: string;
  omit_session_token?: boolean;
}

/** Parses a raw HTTP/1.1 request file: continuation lines fold into the previous header. */
export function parseRequest(text: string): { req: SignableRequest; body: Buffer } {
  const sep = text.indexOf('\n\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 2);
  const [requestLine, ...lines] = head.split('\n');
  const m = /^(\S+) (.*) HTTP\/1\.1$/.exec(requestLine)!;
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (/^\s/.test(line) && headers.length) headers[headers.length - 1][1] += '\n' + line;
    else if (line) {
      const colon = line.indexOf(':');
      headers.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  const q = m[2].indexOf('?');
  return { req: { method: m[1], path: q < 0 ? m[2] : m[2].slice(0, q), query: q < 0 ? '' : m[2].slice(q + 1), headers }, body: Buffer.from(body) };
}
