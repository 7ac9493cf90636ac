// AWS Organizations on the API port, in its wire protocol (awsJson1_1): POST / with
// `X-Amz-Target: AWSOrganizationsV20161128.<Operation>` and a JSON body; JSON back with content type
// `application/x-amz-json-1.1`, timestamps as epoch seconds; errors as `{"__type": "<Code>",
// "Message": "…", "Reason"?: "…"}` with status 400 (the Organizations model gives its client errors
// no other status). Requests are signed for the SigV4 service `organizations`; AWS serves it from
// us-east-1 only, so authentication accepts that Region too (iam/authenticate.ts).
import type { AwsRequest, AwsResponse, AwsService } from '../server.ts';
import type { Ctx } from '../lattice/context.ts';
import { ApiError } from '../../core/errors.ts';
import { parseJsonObject, stringifyOutput, targetOf } from '../protocol/awsjson.ts';
import { accountOperations } from './accounts.ts';

export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export type Input = Record<string, unknown>;
export type Operation = (ctx: Ctx, input: Input) => object;

export const orgError = (code: string, message: string, reason?: string): ApiError =>
  new ApiError(code, 400, message, reason ? { Reason: reason } : {});

/** InvalidInputException with its reason; messages after the reasons' descriptions in the API Reference. */
export const invalidInput = (reason: string, message: string): ApiError => orgError('InvalidInputException', message, reason);

/** Reads a string member, checking the type, requiredness, length and pattern of the model. */
export function str(input: Input, name: string, spec: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {}): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) {
    if (spec.required) throw invalidInput('INPUT_REQUIRED', `You must specify a value for ${name}.`);
    return undefined;
  }
  if (typeof v !== 'string') throw orgError('SerializationException', `${name} must be a string.`);
  if (spec.min !== undefined && v.length < spec.min) throw invalidInput('MIN_LENGTH_EXCEEDED', `You provided a value for ${name} that is shorter than allowed (${spec.min}).`);
  if (spec.max !== undefined && v.length > spec.max) throw invalidInput('MAX_LENGTH_EXCEEDED', `You provided a value for ${name} that is longer than allowed (${spec.max}).`);
  if (spec.pattern && !spec.pattern.test(v)) throw invalidInput('INVALID_PATTERN', `You provided a value for ${name} that does not match the required pattern.`);
  return v;
}

export function int(input: Input, name: string, min: number, max: number): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw orgError('SerializationException', `${name} must be an integer.`);
  if (v < min) throw invalidInput('MIN_VALUE_EXCEEDED', `You provided a value for ${name} that is smaller than allowed (${min}).`);
  if (v > max) throw invalidInput('MAX_VALUE_EXCEEDED', `You provided a value for ${name} that is larger than allowed (${max}).`);
  return v;
}

export const organizationsService: AwsService = {
  signingName: 'organizations',
  claims: (req) => targetOf(req)?.startsWith(ORGANIZATIONS_TARGET_PREFIX) ?? false,
  handle(ctx: Ctx, req: AwsRequest): AwsResponse {
    const name = targetOf(req)!.slice(ORGANIZATIONS_TARGET_PREFIX.length);
    const operation = Object.hasOwn(accountOperations, name) ? accountOperations[name] : undefined;
    if (req.method !== 'POST' || !operation) throw new ApiError('UnknownOperationException', 400, `${req.method} ${ORGANIZATIONS_TARGET_PREFIX}${name} is not an operation Trellis's Organizations serves.`);
    const output = operation(ctx, parseJsonObject(req.body, orgError));
    return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: stringifyOutput(output) };
  },
  renderError(err: ApiError): AwsResponse {
    const e = err.code === 'AccessDeniedException' ? orgError('AccessDeniedException', err.message)
      : err.code === 'InternalServerException' ? new ApiError('ServiceException', 500, 'Organizations can\'t complete your request because of an internal service error. Try again later.')
        : err;
    return { status: e.status, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify({ __type: e.code, Message: e.message, ...e.members }) };
  },
};
