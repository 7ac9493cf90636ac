// STS on the API port, in the AWS query protocol: `Action=<Op>&Version=2011-06-15&…` form-encoded
// in a POST body (or in the query string of a GET, as presigned GetCallerIdentity URLs are), signed
// for the SigV4 service `sts`; XML back, `<OpResponse xmlns=…><OpResult>…</OpResult>
// <ResponseMetadata><RequestId>…` on success and `<ErrorResponse><Error><Type>Sender</Type>
// <Code>…` on failure (STS API Reference, "Common Errors"; AWS query protocol, Smithy spec).
import type { AwsRequest, AwsResponse, AwsService } from '../server.ts';
import type { Ctx } from '../lattice/context.ts';
import { ApiError } from '../../core/errors.ts';
import { QueryParams } from '../ec2/query.ts';
import { escapeXml, writeElement, type XmlBody } from '../protocol/xml.ts';
import { queryAuthError } from '../../iam/authenticate.ts';
import { assumeRole, callerIdentity, type SessionKeyRecord } from './assumerole.ts';

export const STS_VERSION = '2011-06-15';
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const XML_HEADERS = { 'content-type': 'text/xml' };

export type { XmlBody };

export type StsHandler = (ctx: Ctx, p: QueryParams, caller: SessionKeyRecord) => XmlBody;

const handlers: Readonly<Record<string, StsHandler>> = {
  GetCallerIdentity: (ctx, _p, caller) => callerIdentity(ctx, caller),
  AssumeRole: (ctx, p, caller) => assumeRole(ctx, p, caller),
};

export const stsError = (code: string, message: string, status = 400): ApiError => new ApiError(code, status, message);

/** STS's wording of a failed model constraint (the ValidationError of its API). */
export function validationError(problems: readonly string[]): ApiError {
  const n = problems.length;
  return stsError('ValidationError', `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
}

/** The service named in the request's SigV4 credential scope (header or presigned query). */
function scopeService(req: AwsRequest): string | undefined {
  const auth = String(req.headers.authorization ?? '');
  const credential = /Credential=([^,\s]+)/.exec(auth)?.[1] ?? req.query.get('X-Amz-Credential') ?? '';
  return /^[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(credential)?.[1];
}

const isForm = (req: AwsRequest) => /^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? ''));

/** The request's parameters: the query string's, then the form body's. */
function paramsOf(req: AwsRequest): QueryParams {
  const merged = new URLSearchParams(req.query);
  if (req.method === 'POST' && isForm(req)) for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) merged.append(k, v);
  return QueryParams.parse(merged.toString());
}

export const stsService: AwsService = {
  signingName: 'sts',

  claims(req) {
    if (req.path !== '/' || (req.method !== 'POST' && req.method !== 'GET')) return false;
    if (req.method === 'POST' && !isForm(req)) return false;
    const scope = scopeService(req);
    if (scope !== undefined) return scope === 'sts';
    // Unsigned requests are ours when they name an STS action and version, so they get STS's
    // authentication error.
    const p = paramsOf(req);
    return p.str('Version') === STS_VERSION && Object.hasOwn(handlers, p.str('Action') ?? '');
  },

  handle(ctx, req): AwsResponse {
    const p = paramsOf(req);
    const action = p.str('Action');
    if (!action) throw stsError('MissingAction', 'Missing Action');
    if (!Object.hasOwn(handlers, action) || (p.str('Version') ?? STS_VERSION) !== STS_VERSION) {
      throw stsError('InvalidAction', `Could not find operation ${action} for version ${p.str('Version') ?? STS_VERSION}`);
    }
    const caller = ctx.get<SessionKeyRecord>('accesskey', ctx.caller.accessKeyId);
    if (!caller) throw queryAuthError(new ApiError('UnrecognizedClientException', 403, 'The security token included in the request is invalid.'));
    const body = handlers[action](ctx, p, caller);
    return { status: 200, headers: XML_HEADERS, body: renderResponse(action, body, req.requestId) };
  },

  renderError(err, req): AwsResponse {
    const e = stsView(queryAuthError(err));
    const type = e.status >= 500 ? 'Receiver' : 'Sender';
    const body = `<ErrorResponse xmlns="${STS_XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${escapeXml(req.requestId)}</RequestId></ErrorResponse>`;
    return { status: e.status, headers: XML_HEADERS, body };
  },
};

/** The shared errors (core/errors.ts) in STS's codes (STS API Reference, "Common Errors"). */
function stsView(err: ApiError): ApiError {
  switch (err.code) {
    case 'AccessDeniedException': return stsError('AccessDenied', err.message, 403);
    case 'ValidationException': return stsError('ValidationError', err.message);
    case 'ThrottlingException': return stsError('Throttling', err.message, 400);
    case 'InternalServerException': return stsError('InternalFailure', 'An internal error occurred. Try again.', 500);
    default: return err;
  }
}

export function renderResponse(action: string, body: XmlBody, requestId: string): string {
  const out = [`<${action}Response xmlns="${STS_XMLNS}">`];
  writeElement(`${action}Result`, body, out, 'member');
  out.push(`<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`);
  return out.join('');
}
