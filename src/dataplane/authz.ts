// Authorization on the data plane, as Lattice does it (User Guide, "Auth policies"): with AWS_IAM on
// the service network, the service or both, each such level's auth policy must allow, the signed
// caller's identity policies must allow too, and any explicit deny wins. The request context is the
// action vpc-lattice-svcs:Invoke on the service ARN with the normalized path appended, plus the
// vpc-lattice-svcs:* condition keys and the global aws:* keys Trellis knows.
import type { NetworkPlan, ServicePlan, VpcPlan } from '../compile/snapshot.ts';
import { authorizeLattice, type LatticeResult } from '../iam/policy/lattice.ts';
import type { LabeledPolicy, Principal, Request } from '../iam/policy/evaluate.ts';

/** Who is calling: anonymous (unsigned), or a verified principal with its identity policies. */
export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'signed'; principal: Principal; identity: readonly LabeledPolicy[]; sessionName?: string };

export const ANONYMOUS: Caller = { kind: 'anonymous' };

export interface AuthzInput {
  caller: Caller;
  service: ServicePlan;
  network: NetworkPlan;
  vpc: VpcPlan;
  listenerPort: number;
  method: string;
  /** The normalized path (the one routing uses). */
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  secure: boolean;
  sourceIp: string;
}

/** Does this request need an authorization decision at all? */
export const needsAuth = (service: ServicePlan, network: NetworkPlan) => service.authType === 'AWS_IAM' || network.authType === 'AWS_IAM';

export function authorize(input: AuthzInput): LatticeResult {
  const { service, network } = input;
  const principal: Principal = input.caller.kind === 'signed' ? input.caller.principal : { type: 'Anonymous' };
  const req: Request = {
    principal,
    action: 'vpc-lattice-svcs:Invoke',
    // "arn:aws:vpc-lattice:<region>:<account>:service/<svc-id>/<path>" (the path without its
    // leading slash joins with one).
    resource: `${service.arn}${input.path}`,
    context: requestContext(input),
  };
  return authorizeLattice({
    network: { authType: network.authType, policy: network.authPolicy },
    service: { authType: service.authType, policy: service.authPolicy },
    identity: input.caller.kind === 'signed' ? input.caller.identity : undefined,
  }, req);
}

function requestContext(input: AuthzInput): Request['context'] {
  const ctx: Request['context'] = {
    'vpc-lattice-svcs:Port': input.listenerPort,
    'vpc-lattice-svcs:RequestMethod': input.method,
    'vpc-lattice-svcs:ServiceArn': input.service.arn,
    'vpc-lattice-svcs:ServiceNetworkArn': input.network.arn,
    'vpc-lattice-svcs:SourceVpc': input.vpc.id,
    'vpc-lattice-svcs:SourceVpcOwnerAccount': input.vpc.account,
    'aws:SecureTransport': input.secure,
    // An extension: Lattice documents SourceVpc rather than aws:SourceIp for auth policies.
    'aws:SourceIp': input.sourceIp,
  };
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    ctx[`vpc-lattice-svcs:RequestHeader/${name}`] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (input.query) {
    const seen = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(input.query)) seen.set(k, [...(seen.get(k) ?? []), v]);
    for (const [k, v] of seen) ctx[`vpc-lattice-svcs:RequestQueryString/${k}`] = v.length === 1 ? v[0] : v;
  }
  for (const [k, v] of Object.entries(input.service.tags)) ctx[`aws:ResourceTag/${k}`] = v;
  return ctx;
}

/**
 * The identity targets receive (User Guide, "HTTP targets"): "Principal=<arn>; PrincipalOrgID=<org>;
 * SessionName=<name>", only for signed callers.
 */
export function identityHeader(caller: Caller): string | undefined {
  if (caller.kind !== 'signed') return undefined;
  const parts = [`Principal=${caller.principal.arn ?? caller.principal.principalArn ?? ''}`];
  if (caller.principal.orgId) parts.push(`PrincipalOrgID=${caller.principal.orgId}`);
  if (caller.sessionName) parts.push(`SessionName=${caller.sessionName}`);
  return parts.join('; ');
}
