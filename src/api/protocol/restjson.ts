// restJson1: turns an HTTP request into an operation's input (labels, query, JSON body) and an
// output or error into an HTTP response the AWS SDK parses.
import type { ServerResponse } from 'node:http';
import type { StructShape, Shape } from './schema.ts';
import { isObject } from './validate.ts';
import { ApiError, validation } from '../../core/errors.ts';

export function decodeInput(shape: StructShape, labels: Record<string, string>, query: URLSearchParams, body: Buffer): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  if (body.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw validation('Could not parse request body into json: the body is not valid JSON.', 'cannotParse');
    }
    if (!isObject(parsed)) throw validation('Could not parse request body into json: expected a JSON object.', 'cannotParse');
    input = parsed;
  }
  for (const [name, member] of Object.entries(shape.members)) {
    if (member.in === 'label') {
      input[name] = labels[name];
    } else if (member.in === 'query') {
      const key = member.wire ?? name;
      const values = query.getAll(key);
      if (values.length === 0) delete input[name];
      else input[name] = queryValue(member.shape, values, key);
    }
  }
  return input;
}

function queryValue(shape: Shape, values: string[], key: string): unknown {
  switch (shape.t) {
    case 'list': return values;
    case 'integer': {
      const n = Number(values[0]);
      if (!/^-?\d+$/.test(values[0]) || !Number.isSafeInteger(n)) {
        throw validation(`1 validation error detected: Value '${values[0]}' at '${key}' failed to satisfy constraint: Member must be an integer`, 'fieldValidationFailed', [{ name: key, message: 'Member must be an integer' }]);
      }
      return n;
    }
    case 'boolean':
      if (values[0] !== 'true' && values[0] !== 'false') {
        throw validation(`1 validation error detected: Value '${values[0]}' at '${key}' failed to satisfy constraint: Member must be a boolean`, 'fieldValidationFailed', [{ name: key, message: 'Member must be a boolean' }]);
      }
      return values[0] === 'true';
    default: return values[0];
  }
}

export function sendOutput(res: ServerResponse, code: number, output: unknown, requestId: string): void {
  if (code === 204) {
    res.writeHead(204, { 'x-amzn-requestid': requestId });
    res.end();
    return;
  }
  const body = JSON.stringify(output ?? {}, dropUndefined);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

export function sendError(res: ServerResponse, err: ApiError, requestId: string): void {
  const body = JSON.stringify({ message: err.message, ...err.members });
  res.writeHead(err.status, {
    ...err.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': err.code,
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

function dropUndefined(_key: string, value: unknown): unknown {
  return value === null ? undefined : value;
}
