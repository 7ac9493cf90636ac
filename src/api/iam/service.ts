// The IAM subset as an AwsService on the API port: form-encoded POSTs to `/` signed for the SigV4
// service `iam` (or, unsigned, naming one of our actions with IAM's API version), answered in IAM's
// XML. IAM is global: its ARNs carry no Region, and against AWS the SDK signs for us-east-1.
import type { AwsRequest, AwsResponse, AwsService } from '../server.ts';
import type { Ctx } from '../lattice/context.ts';
import type { ApiError } from '../../core/errors.ts';
import { queryAuthError } from '../../iam/authenticate.ts';
import { IAM_VERSION, IamInput, iamError, renderErrorXml, renderResponse, type XmlBody } from './query.ts';
import { userHandlers } from './users.ts';
import { roleHandlers } from './roles.ts';
import { policyHandlers } from './policies.ts';
import { accessKeyHandlers } from './accesskeys.ts';

/** A handler returns the `<ActionResult>` content, or undefined for actions without output. */
export type IamHandler = (ctx: Ctx, input: IamInput) => XmlBody | undefined;

export const iamHandlers: Readonly<Record<string, IamHandler>> = { ...userHandlers, ...roleHandlers, ...policyHandlers, ...accessKeyHandlers };

const XML_HEADERS = { 'content-type': 'text/xml' };

const isForm = (req: AwsRequest) => /^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? ''));

/** The service named in a SigV4 credential scope (`…/<date>/<region>/<service>/aws4_request`). */
function scopeService(req: AwsRequest): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
}

/**
 * IAM's codes for what the server refuses before a handler runs: the query protocol's
 * authentication errors (queryAuthError: InvalidClientTokenId, SignatureDoesNotMatch,
 * ExpiredToken …) and AccessDenied, Throttling, ValidationError, ServiceFailure (IAM's
 * "Common Errors").
 */
function iamView(err: ApiError): { code: string; status: number; message: string } {
  const e = queryAuthError(err);
  switch (e.code) {
    case 'AccessDeniedException': return { code: 'AccessDenied', status: 403, message: e.message };
    case 'ThrottlingException': return { code: 'Throttling', status: 400, message: 'Rate exceeded' };
    case 'ValidationException': return { code: 'ValidationError', status: 400, message: e.message };
    case 'InternalServerException': return { code: 'ServiceFailure', status: 500, message: 'An internal error occurred. Try again.' };
    default: return { code: e.code, status: e.status, message: e.message };
  }
}

export const iamService: AwsService = {
  signingName: 'iam',

  claims(req) {
    if (req.method !== 'POST' || req.path !== '/' || !isForm(req)) return false;
    const scope = scopeService(req);
    if (scope !== undefined) return scope === 'iam';
    // Unsigned requests are ours when they name one of our actions in IAM's API version (STS
    // shares the protocol but not the version), so they get IAM's authentication error.
    const p = new URLSearchParams(req.body.toString('utf8'));
    const action = p.get('Action');
    return p.get('Version') === IAM_VERSION && action !== null && Object.hasOwn(iamHandlers, action);
  },

  handle(ctx, req): AwsResponse {
    const input = IamInput.parse(req.body.toString('utf8'));
    const action = input.action;
    if (!action) throw iamError('MissingAction', 400, 'Missing Action');
    if (!Object.hasOwn(iamHandlers, action)) throw iamError('InvalidAction', 400, `Could not find operation ${action} for version ${input.params.str('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    const result = iamHandlers[action](ctx, input);
    return { status: 200, headers: XML_HEADERS, body: renderResponse(action, req.requestId, result) };
  },

  renderError(err, req): AwsResponse {
    const { code, status, message } = iamView(err);
    return { status, headers: XML_HEADERS, body: renderErrorXml(code, status, message, req.requestId) };
  },
};
