// The EC2 subset as an AwsService on the API port: form-encoded POSTs to `/` signed for `ec2`
// (or naming one of our actions), answered in EC2's XML.
import type { AwsRequest, AwsResponse, AwsService } from '../server.ts';
import type { Ctx } from '../lattice/context.ts';
import type { ApiError } from '../../core/errors.ts';
import { QueryParams, ec2Error, renderErrorXml, renderResponse, type XmlBody } from './query.ts';
import { vpcHandlers } from './vpcs.ts';
import { securityGroupHandlers } from './securitygroups.ts';
import { tagHandlers } from './tags.ts';

export type Ec2Handler = (ctx: Ctx, p: QueryParams) => XmlBody;

export const ec2Handlers: Readonly<Record<string, Ec2Handler>> = { ...vpcHandlers, ...securityGroupHandlers, ...tagHandlers };

const XML_HEADERS = { 'content-type': 'text/xml;charset=UTF-8' };

const isForm = (req: AwsRequest) => /^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? ''));

/** The service named in a SigV4 credential scope (`…/<date>/<region>/<service>/aws4_request`). */
function scopeService(req: AwsRequest): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
}

const actionOf = (req: AwsRequest) => new URLSearchParams(req.body.toString('utf8')).get('Action') ?? undefined;

/**
 * EC2's codes for what the server refuses before the request reaches a handler (EC2 error codes:
 * AuthFailure, MissingAuthenticationToken, RequestExpired, UnauthorizedOperation …).
 */
function ec2View(err: ApiError): { code: string; status: number; message: string } {
  switch (err.code) {
    case 'MissingAuthenticationTokenException': return { code: 'MissingAuthenticationToken', status: 401, message: 'Request is missing Authentication Token' };
    case 'IncompleteSignatureException': return { code: 'IncompleteSignature', status: 400, message: err.message };
    case 'UnrecognizedClientException': return { code: 'AuthFailure', status: 401, message: 'AWS was not able to validate the provided access credentials' };
    case 'InvalidSignatureException':
      return err.message.startsWith('Signature expired')
        ? { code: 'RequestExpired', status: 400, message: 'Request has expired.' }
        : { code: 'AuthFailure', status: 401, message: err.message };
    case 'AccessDeniedException': return { code: 'UnauthorizedOperation', status: 403, message: 'You are not authorized to perform this operation.' };
    case 'ThrottlingException': return { code: 'RequestLimitExceeded', status: 503, message: 'Request limit exceeded.' };
    case 'ValidationException': return { code: 'InvalidRequest', status: 400, message: err.message };
    case 'InternalServerException': return { code: 'InternalError', status: 500, message: 'An internal error has occurred' };
    default: return { code: err.code, status: err.status, message: err.message };
  }
}

export const ec2Service: AwsService = {
  signingName: 'ec2',

  claims(req) {
    if (req.method !== 'POST' || req.path !== '/' || !isForm(req)) return false;
    const scope = scopeService(req);
    if (scope !== undefined) return scope === 'ec2';
    // Unsigned (or oddly signed) requests are ours when they name one of our actions, so they
    // get EC2's authentication error.
    const action = actionOf(req);
    return action !== undefined && Object.hasOwn(ec2Handlers, action);
  },

  handle(ctx, req): AwsResponse {
    const p = QueryParams.parse(req.body.toString('utf8'));
    const action = p.str('Action');
    if (!action) throw ec2Error('MissingAction', 'The request must contain the parameter Action');
    if (!Object.hasOwn(ec2Handlers, action)) throw ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    // Every caller may do everything to its own resources, so a dry run always would succeed.
    if (p.bool('DryRun')) throw ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
    const body = ec2Handlers[action](ctx, p);
    return { status: 200, headers: XML_HEADERS, body: renderResponse(action, req.requestId, body) };
  },

  renderError(err, req): AwsResponse {
    const { code, status, message } = ec2View(err);
    return { status, headers: XML_HEADERS, body: renderErrorXml(code, message, req.requestId) };
  },
};
