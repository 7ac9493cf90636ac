// VPC Lattice authorization: the service network's and the service's auth policies, plus the
// caller's identity-based policies (VPC Lattice User Guide, auth-policies).
import { EvalContext, evaluateOne, evaluateSet, type Decision, type LabeledPolicy, type Request, type Result } from './evaluate.ts';
import type { Policy } from './parse.ts';

/** One level: a service network or a service. */
export interface Level { authType: 'NONE' | 'AWS_IAM'; policy?: Policy }

export interface LatticeResult {
  decision: Decision;
  /** The first level (network, service, identity) that denied: explicitly if any level did. */
  deniedBy?: 'network' | 'service' | 'identity';
  network?: Result;
  service?: Result;
  identity?: Result;
}

function level(label: 'network' | 'service', l: Level, ctx: EvalContext): Result {
  // "If you do not add an auth policy, all traffic will get an access denied error."
  if (!l.policy) return { decision: 'DENY_IMPLICIT', allows: [], denies: [] };
  return evaluateOne(label, l.policy, ctx);
}

function deniedBy(out: LatticeResult, d: Decision): LatticeResult['deniedBy'] {
  if (out.network?.decision === d) return 'network';
  if (out.service?.decision === d) return 'service';
  if (out.identity?.decision === d) return 'identity';
  return undefined;
}

/**
 * Authorizes one request. A level with authType NONE is not evaluated ("any auth policy you provide
 * will remain inactive", AWS::VpcLattice::AuthPolicy); an AWS_IAM level must allow. When any level
 * is AWS_IAM, a signed caller's identity policies must also allow, same account or not ("both auth
 * policies and identity-based policies need to have explicit allow statements"); `identity`
 * undefined for a signed caller counts as no policies. Anonymous (unsigned) callers are judged by
 * the auth policies alone. A matching Deny at any level wins. The resource is the service ARN with
 * the normalized request path appended.
 */
export function authorizeLattice(input: { network?: Level; service?: Level; identity?: readonly LabeledPolicy[] }, req: Request): LatticeResult {
  const netOn = input.network?.authType === 'AWS_IAM';
  const svcOn = input.service?.authType === 'AWS_IAM';
  if (!netOn && !svcOn) return { decision: 'ALLOW' };
  const ctx = new EvalContext(req);
  const out: LatticeResult = { decision: 'ALLOW' };
  if (netOn) out.network = level('network', input.network!, ctx);
  if (svcOn) out.service = level('service', input.service!, ctx);
  if (req.principal.type !== 'Anonymous') out.identity = evaluateSet(input.identity ?? [], ctx);
  const by = deniedBy(out, 'DENY_EXPLICIT') ?? deniedBy(out, 'DENY_IMPLICIT');
  if (by) {
    out.deniedBy = by;
    out.decision = out[by]!.decision;
  }
  return out;
}
