// The awsJson1_1 protocol's common parts (ACM, Organizations): the operation named by
// X-Amz-Target, a JSON object body, timestamps as epoch seconds.
import { ApiError } from '../../core/errors.ts';
import type { IncomingHttpHeaders } from 'node:http';

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** The X-Amz-Target header (`<Service>.<Operation>`), if any. */
export function targetOf(req: { headers: IncomingHttpHeaders }): string | undefined {
  const t = req.headers['x-amz-target'];
  return Array.isArray(t) ? t[0] : t;
}

/** The request body as a JSON object ({} when empty); SerializationException otherwise. */
export function parseJsonObject(body: Buffer, error: (code: string, message: string) => ApiError = (c, m) => new ApiError(c, 400, m)): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw error('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw error('SerializationException', 'The request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

/** The JSON text of an output: Dates as epoch seconds; undefined members dropped. */
export function stringifyOutput(output: unknown): string {
  return JSON.stringify(output, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    return original instanceof Date ? original.getTime() / 1000 : value;
  });
}
