// ACM on the API port, in ACM's wire protocol (awsJson1_1): POST / with
// `X-Amz-Target: CertificateManager.<Operation>` and a JSON body; JSON back with content type
// `application/x-amz-json-1.1`, timestamps as epoch seconds and blobs as base64; errors as
// `{"__type": "<Code>", "message": "…"}` with status 400 (ACM's model gives its client errors no
// other status). Requests are signed for the SigV4 service `acm`.
import type { AwsRequest, AwsResponse, AwsService } from '../server.ts';
import type { Ctx } from '../lattice/context.ts';
import { ApiError } from '../../core/errors.ts';
import { parseJsonObject, stringifyOutput, targetOf } from '../protocol/awsjson.ts';
import { certificateOperations } from './certificates.ts';
import { Issuance, type IssuanceOptions } from './issuance.ts';
import type { Input } from './input.ts';

export type { BackgroundWrite } from './issuance.ts';
export { certificateByArn, servingMaterial, type CertificateRecord } from './record.ts';

export const ACM_TARGET_PREFIX = 'CertificateManager.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * `ca`: the Trellis CA that issues requested certificates (e.g. `() => LocalCa.open(dataDir)`,
 * or a promise opened once). `write`: optional; when the server provides it, a certificate is
 * written as ISSUED as soon as the CA has made it, else at the next ACM request.
 */
export type AcmServiceOptions = IssuanceOptions;

export function createAcmService(opts: AcmServiceOptions): AwsService {
  const issuance = new Issuance(opts);
  const operations = certificateOperations(issuance);
  return {
    signingName: 'acm',
    claims: (req) => targetOf(req)?.startsWith(ACM_TARGET_PREFIX) ?? false,
    handle(ctx: Ctx, req: AwsRequest): AwsResponse {
      const name = targetOf(req)!.slice(ACM_TARGET_PREFIX.length);
      const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
      if (req.method !== 'POST' || !operation) throw new ApiError('UnknownOperationException', 400, `${req.method} ${ACM_TARGET_PREFIX}${name} is not an operation Trellis's ACM serves.`);
      const input = parseJsonObject(req.body) as Input;
      issuance.settle(ctx);
      const output = operation(ctx, input);
      return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: stringifyOutput(output) };
    },
    renderError(err: ApiError): AwsResponse {
      return { status: err.status, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify({ __type: err.code, message: err.message }) };
    },
  };
}
