// npm run bench:auth — the data plane's per-request auth cost, end to end: verify the request's
// SigV4 signature (signed by the AWS SDK's own signer), then evaluate the service network's and
// the service's auth policies and the caller's identity policy. Goal (issue 5): ≤ 20 µs on one core.
// Bounded: BENCH_ITERATIONS (default 100k) requests after a warm-up.
import { cpus } from 'node:os';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../test/helpers/sign.ts';
import { authenticateRequest } from '../src/dataplane/authn.ts';
import { parsePolicy, type Policy } from '../src/iam/policy/parse.ts';
import { authorizeLattice } from '../src/iam/policy/lattice.ts';
import type { AccessKeyRecord } from '../src/iam/identities.ts';

const N = Number(process.env.BENCH_ITERATIONS ?? 100_000);
const SVC = 'arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0';
const HOST = 'rates-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-east-1.on.aws';
const key: AccessKeyRecord = { accessKeyId: 'AKIABENCH00000000001', secretAccessKey: 'bench-secret', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/rates-client', userName: 'rates-client', createdAt: '' };

const policy = (doc: unknown, kind: 'identity' | 'resource'): Policy => {
  const r = parsePolicy(doc, { kind });
  if (!r.ok) throw new Error(r.error);
  return r.policy;
};
const network = policy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-123456example' } } }] }, 'resource');
const service = policy({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { AWS: key.arn }, Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC}/api/*`, Condition: { StringEquals: { 'vpc-lattice-svcs:RequestMethod': 'GET' } } },
    { Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC}/admin/*` },
  ],
}, 'resource');
const identity = [{ label: 'user/rates-client/lattice', policy: policy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }] }, 'identity') }];

const signer = new SignatureV4({ service: 'vpc-lattice-svcs', region: 'us-east-1', credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, sha256: Sha256, applyChecksum: false });
const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname: HOST, path: '/api/rates', query: { currency: 'EUR' }, headers: { host: HOST, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'user-agent': 'bench' } });
const request = { method: 'GET', path: '/api/rates', query: 'currency=EUR', headers: Object.entries(signed.headers) as [string, string][] };
const lookup = (id: string) => (id === key.accessKeyId ? key : undefined);

function once(): boolean {
  const authn = authenticateRequest(request, { region: 'us-east-1', lookup });
  if (authn.kind !== 'signed') throw new Error(`not verified: ${JSON.stringify(authn)}`);
  const result = authorizeLattice({ network: { authType: 'AWS_IAM', policy: network }, service: { authType: 'AWS_IAM', policy: service }, identity }, {
    principal: { type: 'User', arn: key.arn, principalArn: key.arn, account: key.accountId, orgId: 'o-123456example', username: 'rates-client' },
    action: 'vpc-lattice-svcs:Invoke', resource: `${SVC}/api/rates`,
    context: { 'vpc-lattice-svcs:RequestMethod': 'GET', 'vpc-lattice-svcs:Port': 443, 'vpc-lattice-svcs:ServiceArn': SVC, 'vpc-lattice-svcs:RequestHeader/user-agent': 'bench' },
  });
  return result.decision === 'ALLOW';
}

for (let i = 0; i < 5000; i++) if (!once()) throw new Error('expected ALLOW');
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) once();
const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
console.log(`bench:auth  ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), ${N} requests`);
console.log(`  SigV4 verification + network, service and identity policies: ${us.toFixed(2)} µs per request (goal ≤ 20 µs)`);
