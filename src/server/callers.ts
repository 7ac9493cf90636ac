// Who is calling the data plane: the request's SigV4/SigV4A signature checked against the stored
// keys (dataplane/authn.ts), then the key's principal and identity policies (iam/principals.ts).
import type { View } from '../store/view.ts';
import type { Req, RequestContext } from '../dataplane/handle.ts';
import { authenticateRequest } from '../dataplane/authn.ts';
import { ANONYMOUS } from '../dataplane/authz.ts';
import { principalOf } from '../iam/principals.ts';
import type { AccessKeyRecord } from '../iam/identities.ts';

export function dataPlaneCallers(view: View, region: string): RequestContext['identify'] {
  const lookup = (id: string) => view.get<AccessKeyRecord>('accesskey', id);
  return (req: Req) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const headers: [string, string][] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.push([raw[i], raw[i + 1]]);
    const result = authenticateRequest(
      { method: req.method ?? 'GET', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers },
      { region, lookup },
    );
    if (result.kind === 'anonymous') return ANONYMOUS;
    if (result.kind === 'invalid') return { kind: 'invalid', message: `${result.code}: ${result.message}` };
    const who = principalOf(view, result.key);
    return { kind: 'signed', principal: who.principal, identity: who.identity ?? [], sessionName: result.key.sessionName };
  };
}
