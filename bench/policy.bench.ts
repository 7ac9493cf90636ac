// node bench/policy.bench.ts — µs per authorizeLattice call for a realistic pair of auth policies:
// the service network admits only the organization's signed callers, the service allows one role
// on a path prefix and denies /admin/*, and the caller's identity policy allows Invoke.
// Bounded: BENCH_ITERATIONS (default 200k) calls per case after a warm-up.
import { parsePolicy, type Policy } from '../src/iam/policy/parse.ts';
import { authorizeLattice } from '../src/iam/policy/lattice.ts';
import type { Request } from '../src/iam/policy/evaluate.ts';

const N = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const SVC = 'arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0';

function policy(doc: unknown, kind: 'identity' | 'resource'): Policy {
  const r = parsePolicy(doc, { kind });
  if (!r.ok) throw new Error(r.error);
  return r.policy;
}

const network = policy({
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*',
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-123456example' }, StringNotEqualsIgnoreCase: { 'aws:PrincipalType': 'anonymous' } },
  }],
}, 'resource');
const service = policy({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ApiReaders', Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::123456789012:role/rates-client', '111122223333'] },
      Action: 'vpc-lattice-svcs:Invoke', Resource: [`${SVC}/api/*`, `${SVC}/health`],
      Condition: { StringEquals: { 'vpc-lattice-svcs:RequestMethod': ['GET', 'HEAD'] } },
    },
    { Sid: 'NoAdmin', Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC}/admin/*` },
  ],
}, 'resource');
const identity = [{
  label: 'rates-client-policy',
  policy: policy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: 'arn:aws:vpc-lattice:*:123456789012:service/*' }] }, 'identity'),
}];
const input = { network: { authType: 'AWS_IAM' as const, policy: network }, service: { authType: 'AWS_IAM' as const, policy: service }, identity };

function request(path: string): Request {
  return {
    principal: {
      type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/rates-client/i-0abc',
      principalArn: 'arn:aws:iam::123456789012:role/rates-client', account: '123456789012', orgId: 'o-123456example',
    },
    action: 'vpc-lattice-svcs:Invoke',
    resource: `${SVC}${path}`,
    context: {
      'vpc-lattice-svcs:RequestMethod': 'GET', 'vpc-lattice-svcs:Port': 443, 'vpc-lattice-svcs:SourceVpc': 'vpc-1a2b3c4d',
      'vpc-lattice-svcs:ServiceArn': SVC, 'vpc-lattice-svcs:RequestHeader/user-agent': 'curl/8',
    },
  };
}

function run(name: string, path: string, expect: string): void {
  const req = request(path);
  const got = authorizeLattice(input, req).decision;
  if (got !== expect) throw new Error(`${name}: ${got}, expected ${expect}`);
  for (let i = 0; i < 20_000; i++) authorizeLattice(input, request(path));
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += authorizeLattice(input, request(path)).decision.length;
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / N;
  console.log(`${name.padEnd(34)} ${us.toFixed(3)} µs/call  (${N} calls, request object built per call; ${sink > 0 ? got : ''})`);
}

run('allowed GET /api/rates', '/api/rates/usd', 'ALLOW');
run('denied  GET /admin/keys', '/admin/keys', 'DENY_EXPLICIT');
run('not covered GET /other', '/other', 'DENY_IMPLICIT');
