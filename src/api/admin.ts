// Trellis's own endpoints on the API port. POST /_trellis/policy/simulate is open to every
// authenticated caller (for its own account's services, see simulate.ts); the rest is for the
// bootstrap administrator only: POST /_trellis/accounts creates an account with a root access key.
import type { ServerResponse } from 'node:http';
import { accessDenied, conflict, validation, ApiError } from '../core/errors.ts';
import { sendOutput } from './protocol/restjson.ts';
import { ACCOUNT_ID, accountWrites, newAccessKey, newAccountId, type AccessKeyRecord } from '../iam/identities.ts';
import type { Store } from '../store/store.ts';
import type { View } from '../store/view.ts';
import { simulateStored } from './simulate.ts';

export async function adminRoute(method: string, path: string, body: Buffer, caller: AccessKeyRecord, opts: { store: Store; view: View; region: string }, res: ServerResponse, requestId: string): Promise<void> {
  if (method === 'POST' && path === '/_trellis/policy/simulate') {
    sendOutput(res, 200, simulateStored(opts.view, opts.view.revision, opts.region, caller, parseJson(body)), requestId);
    return;
  }
  if (!caller.admin) throw accessDenied('Only the Trellis administrator may call /_trellis endpoints.');
  if (method === 'POST' && path === '/_trellis/accounts') {
    const input = (parseJson(body) ?? {}) as { accountId?: unknown; name?: unknown };
    const accountId = input.accountId === undefined ? newAccountId() : String(input.accountId);
    if (!ACCOUNT_ID.test(accountId)) throw validation('accountId must be 12 digits.', 'fieldValidationFailed', [{ name: 'accountId', message: 'Member must be 12 digits' }]);
    if (opts.view.get('account', accountId)) throw conflict(`Account ${accountId} already exists.`, 'ACCOUNT', accountId);
    const name = typeof input.name === 'string' && input.name ? input.name : `account-${accountId}`;
    const key = newAccessKey();
    await opts.store.commit(accountWrites(accountId, name, key, false, false));
    sendOutput(res, 201, { accountId, name, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, requestId);
    return;
  }
  throw new ApiError('UnknownOperationException', 404, `No operation matches ${method} ${path}.`);
}

function parseJson(body: Buffer): unknown {
  try {
    return body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
  } catch {
    throw validation('Could not parse request body into json.', 'cannotParse');
  }
}
