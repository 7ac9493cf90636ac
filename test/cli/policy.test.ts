// `trellis policy simulate`: policies from files evaluated locally, stored services through
// POST /_trellis/policy/simulate, and the real CLI as a child process for both. The simulation runs
// the data plane's own authorization, so its decisions are checked against the data plane's answers.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  UpdateServiceCommand, PutAuthPolicyCommand, CreateServiceNetworkCommand, CreateServiceNetworkVpcAssociationCommand,
  CreateServiceCommand, CreateServiceNetworkServiceAssociationCommand,
} from '@aws-sdk/client-vpc-lattice';
import { EC2Client, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { IAMClient, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { startHarness, signedFetch, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, request, type Echo } from '../helpers/echo.ts';
import { buildService, type Built } from '../helpers/lattice.ts';
import type { SimulateReport } from '../../src/api/simulate.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }
function trellis(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const SVC_ARN = 'arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-00000000000000000';

describe('from policy files, evaluated locally', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-sim-'));
  const file = (name: string, text: string) => { writeFileSync(join(dir, name), text); return join(dir, name); };
  const service = file('service.json', doc([
    { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC_ARN}/public/*`, Condition: { StringEquals: { 'vpc-lattice-svcs:RequestMethod': 'GET' } } },
    { Sid: 'NoSecrets', Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC_ARN}/public/secret*` },
  ]));
  const network = file('network.json', doc([
    { Sid: 'OrgOnly', Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcdefghij' } } },
  ]));
  const alice = file('alice.json', doc([{ Sid: 'InvokeAll', Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }]));
  const bad = file('bad.json', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",}]}');
  const badEffect = file('bad-effect.json', doc([{ Effect: 'Maybe', Principal: '*', Action: '*', Resource: '*' }]));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['policy', 'simulate', '--service-policy', service];

  test('allow: each level and the statement that allowed, in text', async () => {
    const r = await trellis([...base, '--network-policy', network, '--identity-policy', alice,
      '--principal-arn', 'arn:aws:iam::111122223333:user/alice', '--org-id', 'o-abcdefghij', '--path', '/public/a']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^network\s+ALLOW\s/m);
    assert.match(r.stdout, /allowed by network statement 0 \(Sid "OrgOnly"\), Allow/);
    assert.match(r.stdout, /^service\s+ALLOW\s/m);
    assert.match(r.stdout, /allowed by service statement 0 \(Sid "PublicRead"\), Allow/);
    assert.match(r.stdout, /^identity\s+ALLOW\s/m);
    assert.match(r.stdout, /allowed by alice\.json statement 0 \(Sid "InvokeAll"\), Allow/);
    assert.match(r.stdout, /^Decision\s+ALLOW$/m);
    assert.match(r.stdout, /vpc-lattice-svcs:Invoke on arn:aws:vpc-lattice:us-east-1:111122223333:service\/svc-00000000000000000\/public\/a/);
  });

  test('explicit deny on the normalized path, in JSON and text', async () => {
    const r = await trellis([...base, '--anonymous', '--path', '/public/x/../secret.txt', '--output', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as SimulateReport;
    assert.equal(out.decision, 'DENY_EXPLICIT');
    assert.equal(out.deniedBy, 'service');
    assert.equal(out.request.path, '/public/secret.txt', 'the path the data plane sees');
    assert.equal(out.request.resource, `${SVC_ARN}/public/secret.txt`);
    const svc = out.levels.find((l) => l.level === 'service')!;
    assert.deepEqual(svc.statements, [{ policy: 'service', statement: 1, sid: 'NoSecrets', effect: 'Deny' }]);
    assert.deepEqual(svc.matched, { allows: [{ policy: 'service', statement: 0, sid: 'PublicRead', effect: 'Allow' }], denies: svc.statements });
    assert.deepEqual(out.levels.find((l) => l.level === 'network'), { level: 'network', arn: out.request.serviceNetworkArn, authType: 'NONE', evaluated: false, statements: [], note: 'auth type NONE: not evaluated' });
    assert.equal(out.levels.find((l) => l.level === 'identity')!.evaluated, false, 'anonymous: no identity level');

    const text = await trellis([...base, '--anonymous', '--path', '/public/secret.txt']);
    assert.match(text.stdout, /^service\s+DENY_EXPLICIT\s/m);
    assert.match(text.stdout, /denied by service statement 1 \(Sid "NoSecrets"\), Deny/);
    assert.match(text.stdout, /^Decision\s+DENY_EXPLICIT: denied by the service's auth policy$/m);
  });

  test('implicit deny: no statement applies, named by level', async () => {
    // Outside the organization: the network's only Allow does not apply.
    const r = await trellis([...base, '--network-policy', network, '--identity-policy', alice,
      '--principal-arn', 'arn:aws:iam::111122223333:user/alice', '--path', '/public/a', '--output', 'json']);
    const out = JSON.parse(r.stdout) as SimulateReport;
    assert.equal(out.decision, 'DENY_IMPLICIT');
    assert.equal(out.deniedBy, 'network');
    const net = out.levels.find((l) => l.level === 'network')!;
    assert.equal(net.decision, 'DENY_IMPLICIT');
    assert.deepEqual(net.statements, []);
    assert.equal(net.note, 'no statement applies');
    assert.equal(out.levels.find((l) => l.level === 'service')!.decision, 'ALLOW');

    // A POST: the service's GET condition fails; a user without identity policies is denied there too.
    const text = await trellis([...base, '--principal-arn', 'arn:aws:iam::111122223333:user/alice', '--method', 'POST', '--path', '/public/a']);
    assert.match(text.stdout, /^service\s+DENY_IMPLICIT\s/m);
    assert.match(text.stdout, /^identity\s+DENY_IMPLICIT\s/m);
    assert.match(text.stdout, /no identity-based policies/);
    assert.match(text.stdout, /^Decision\s+DENY_IMPLICIT: denied by the service's auth policy$/m);
  });

  test('request details and condition keys reach the policy as the data plane would set them', async () => {
    const keyed = file('keyed.json', doc([{
      Sid: 'Blue', Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*',
      Condition: {
        StringEquals: { 'vpc-lattice-svcs:RequestHeader/x-team': 'blue', 'vpc-lattice-svcs:RequestQueryString/mode': 'read', 'aws:PrincipalTag/team': 'blue' },
        NumericEquals: { 'vpc-lattice-svcs:Port': 8443 }, Bool: { 'aws:SecureTransport': 'true' },
      },
    }]));
    const args = ['policy', 'simulate', '--service-policy', keyed, '--principal-arn', 'arn:aws:iam::111122223333:root', '--path', '/x?mode=read', '--port', '8443', '--output', 'json'];
    const yes = JSON.parse((await trellis([...args, '--header', 'X-Team: blue', '--principal-tag', 'team=blue', '--context', 'aws:SecureTransport=true'])).stdout) as SimulateReport;
    assert.equal(yes.decision, 'ALLOW');
    assert.deepEqual(yes.levels.find((l) => l.level === 'identity')!.statements, [{ policy: 'root', statement: 0, effect: 'Allow' }], 'a root caller: allow-everything identity');
    const no = JSON.parse((await trellis([...args, '--header', 'X-Team: blue', '--principal-tag', 'team=blue'])).stdout) as SimulateReport;
    assert.equal(no.decision, 'DENY_IMPLICIT', 'plain HTTP');
    const ctx = JSON.parse((await trellis([...args, '--context', 'vpc-lattice-svcs:RequestHeader/x-team=blue', '--context', 'aws:PrincipalTag/team=blue', '--context', 'aws:SecureTransport=true'])).stdout) as SimulateReport;
    assert.equal(ctx.decision, 'ALLOW', 'the same keys through --context');
  });

  test('clear errors: missing file, malformed policy with its location, unknown key, no principal', async () => {
    const missing = await trellis(['policy', 'simulate', '--service-policy', join(dir, 'nope.json'), '--anonymous']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--service-policy .*nope\.json: no such file/);
    const syntax = await trellis(['policy', 'simulate', '--service-policy', bad, '--anonymous']);
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /bad\.json: policy is not valid JSON: .*position \d+ \(line 1 column \d+\)/);
    const effect = await trellis(['policy', 'simulate', '--service-policy', badEffect, '--anonymous']);
    assert.match(effect.stderr, /bad-effect\.json: Statement\[0\]\.Effect/);
    const identity = await trellis([...base, '--identity-policy', badEffect, '--principal-arn', 'arn:aws:iam::111122223333:root']);
    assert.match(identity.stderr, /identity policy bad-effect\.json: Statement\[0\]/);
    const key = await trellis([...base, '--anonymous', '--context', 'aws:RequestedRegion=us-east-1']);
    assert.match(key.stderr, /never sets condition key aws:RequestedRegion/);
    const nobody = await trellis(base);
    assert.match(nobody.stderr, /--principal-arn ARN or --anonymous/);
    const path = await trellis([...base, '--anonymous', '--path', '/a/%2e%2e/%2e%2e/b']);
    assert.match(path.stderr, /path climbs above the root/);
  });
});

describe('stored services, through the API', () => {
  let h: Harness;
  let echo: Echo;
  let svc: Built;
  let port: number;
  const env = () => ({ TRELLIS_ACCESS_KEY_ID: h.trellis.accessKeyId, TRELLIS_SECRET_ACCESS_KEY: h.trellis.secretAccessKey });
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    trellis(['policy', 'simulate', '--endpoint', h.trellis.api, '--region', h.trellis.region, ...args], { ...env(), ...extra });
  const simulate = async (body: object, creds?: { accessKeyId: string; secretAccessKey: string }) => {
    const res = await signedFetch(h, 'POST', '/_trellis/policy/simulate', JSON.stringify(body), creds);
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: await res.json() as SimulateReport & { message?: string } };
  };

  before(async () => {
    h = await startHarness();
    echo = await startEcho('sim');
    port = await freePort();
    svc = await buildService(h.client, { name: 'sim', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
    await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.serviceId, authType: 'AWS_IAM' }));
    await h.client.send(new PutAuthPolicyCommand({
      resourceIdentifier: svc.serviceId,
      policy: doc([
        { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/public/*`, Condition: { StringEquals: { 'vpc-lattice-svcs:RequestMethod': 'GET' } } },
        { Sid: 'NoSecrets', Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/public/secret*` },
      ]),
    }));
  });
  after(async () => {
    await h.close();
    await echo.close();
  });

  test('the endpoint reports the stored policy, listener port and source VPC', async () => {
    const r = await simulate({ service: svc.serviceId, principal: { anonymous: true }, request: { path: '/public/a' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.decision, 'ALLOW');
    assert.equal(r.body.request.port, port);
    assert.equal(r.body.request.sourceVpc, h.trellis.defaultVpcId);
    assert.equal(r.body.request.serviceNetworkArn, svc.serviceNetworkArn);
    assert.equal(r.body.request.resource, `${svc.serviceArn}/public/a`);
    const level = r.body.levels.find((l) => l.level === 'service')!;
    assert.equal(level.authType, 'AWS_IAM');
    assert.deepEqual(level.statements, [{ policy: 'service', statement: 0, sid: 'PublicRead', effect: 'Allow' }]);
  });

  test('its decisions are the data plane\'s', async () => {
    const cases: [string, string][] = [['GET', '/public/a'], ['POST', '/public/a'], ['GET', '/public/x/../secret.txt'], ['GET', '/private'], ['GET', '/public/%2e%2e/private']];
    for (const [method, path] of cases) {
      const sim = await simulate({ service: svc.serviceArn, principal: { anonymous: true }, request: { method, path } });
      const real = await request(port, svc.host, { method, path });
      assert.equal(real.status === 200, sim.body.decision === 'ALLOW', `${method} ${path}: data plane ${real.status}, simulated ${sim.body.decision}`);
    }
  });

  test('trellis policy simulate --service: text and JSON through the endpoint', async () => {
    const text = await cli(['--service', svc.serviceArn, '--anonymous', '--path', '/public/secret.txt']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^service\s+DENY_EXPLICIT\s+arn:aws:vpc-lattice:\S+ \(AWS_IAM\)$/m);
    assert.match(text.stdout, /denied by service statement 1 \(Sid "NoSecrets"\), Deny/);
    assert.match(text.stdout, /^Decision\s+DENY_EXPLICIT: denied by the service's auth policy$/m);

    const json = await cli(['--service', svc.serviceId, '--source-vpc', h.trellis.defaultVpcId, '--principal-arn', `arn:aws:iam::${h.trellis.accountId}:root`, '--path', '/public/b', '--output', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as SimulateReport;
    assert.equal(out.decision, 'ALLOW');
    assert.deepEqual(out.levels.find((l) => l.level === 'identity')!.statements, [{ policy: 'root', statement: 0, effect: 'Allow' }]);

    // A user with no stored policies; then with a policy from a file in their place.
    const dir = mkdtempSync(join(tmpdir(), 'trellis-sim-'));
    try {
      const bob = `arn:aws:iam::${h.trellis.accountId}:user/bob`;
      const none = JSON.parse((await cli(['--service', svc.serviceId, '--principal-arn', bob, '--path', '/public/b', '--output', 'json'])).stdout) as SimulateReport;
      assert.equal(none.decision, 'DENY_IMPLICIT');
      assert.equal(none.deniedBy, 'identity');
      assert.ok(none.notes.some((n) => /no IAM user bob/.test(n)), none.notes.join('; '));
      writeFileSync(join(dir, 'bob.json'), doc([{ Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: `${svc.serviceArn}/*` }]));
      const given = JSON.parse((await cli(['--service', svc.serviceId, '--principal-arn', bob, '--identity-policy', join(dir, 'bob.json'), '--path', '/public/b', '--output', 'json'])).stdout) as SimulateReport;
      assert.equal(given.decision, 'ALLOW');
      assert.deepEqual(given.levels.find((l) => l.level === 'identity')!.statements, [{ policy: 'bob.json', statement: 0, effect: 'Allow' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const unknown = await cli(['--service', 'svc-0123456789abcdef0', '--anonymous']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /ResourceNotFoundException \(404\): Service svc-0123456789abcdef0 not found/);
    const wrongVpc = await cli(['--service', svc.serviceId, '--source-vpc', 'vpc-00000000000000000', '--anonymous']);
    assert.match(wrongVpc.stderr, /not reachable from VPC vpc-00000000000000000/);
  });

  test('a stored IAM user: its inline policies and tags, as the data plane would see them', async () => {
    const iam = new IAMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey }, maxAttempts: 1 });
    try {
      const user = (await iam.send(new CreateUserCommand({ UserName: 'carol', Tags: [{ Key: 'team', Value: 'blue' }] }))).User!;
      await iam.send(new PutUserPolicyCommand({
        UserName: 'carol', PolicyName: 'invoke-blue',
        PolicyDocument: doc([{ Sid: 'Blue', Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue' } } }]),
      }));
      const r = await simulate({ service: svc.serviceId, principal: { arn: user.Arn }, request: { path: '/public/a' } });
      assert.equal(r.body.decision, 'ALLOW', JSON.stringify(r.body));
      assert.deepEqual(r.body.principal, { anonymous: false, type: 'User', arn: user.Arn, principalArn: user.Arn, account: h.trellis.accountId, tags: { team: 'blue' } });
      assert.deepEqual(r.body.levels.find((l) => l.level === 'identity')!.statements, [{ policy: 'user/carol/invoke-blue', statement: 0, sid: 'Blue', effect: 'Allow' }]);
      const red = await simulate({ service: svc.serviceId, principal: { arn: user.Arn, tags: { team: 'red' } }, request: { path: '/public/a' } });
      assert.equal(red.body.decision, 'DENY_IMPLICIT', 'a tag override changes the identity decision');
      assert.equal(red.body.deniedBy, 'identity');
    } finally {
      iam.destroy();
    }
  });

  test('any account may simulate its own services; /_trellis/accounts stays the administrator\'s', async () => {
    const made = await signedFetch(h, 'POST', '/_trellis/accounts', JSON.stringify({}));
    const acct = await made.json() as { accountId: string; accessKeyId: string; secretAccessKey: string };
    const creds = { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey };
    const lattice = h.clientFor(acct.accessKeyId, acct.secretAccessKey);
    const ec2 = new EC2Client({ endpoint: h.trellis.api, region: h.trellis.region, credentials: creds, maxAttempts: 1 });
    try {
      const admin = await signedFetch(h, 'POST', '/_trellis/accounts', '{}', creds);
      assert.equal(admin.status, 403);
      assert.equal(admin.headers.get('x-amzn-errortype'), 'AccessDeniedException');

      const theirs = await simulate({ service: svc.serviceArn, principal: { anonymous: true } }, creds);
      assert.equal(theirs.status, 404, 'another account\'s service does not exist for the caller');
      assert.equal(theirs.type, 'ResourceNotFoundException');

      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '127.77.0.0/16' }))).Vpc!;
      const sn = await lattice.send(new CreateServiceNetworkCommand({ name: 'own-net' }));
      await lattice.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: vpc.VpcId }));
      const own = await lattice.send(new CreateServiceCommand({ name: 'own', authType: 'AWS_IAM' }));
      await lattice.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: own.id, serviceNetworkIdentifier: sn.id }));
      await lattice.send(new PutAuthPolicyCommand({
        resourceIdentifier: own.id,
        policy: doc([{ Sid: 'Mine', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${acct.accountId}:root` }, Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }]),
      }));
      const mine = await simulate({ service: own.id, principal: { arn: `arn:aws:iam::${acct.accountId}:root` } }, creds);
      assert.equal(mine.status, 200, JSON.stringify(mine.body));
      assert.equal(mine.body.decision, 'ALLOW');
      assert.equal(mine.body.request.sourceVpc, vpc.VpcId);
      assert.ok(mine.body.notes.some((n) => /no listener: port 80 assumed/.test(n)));
      // A user of another account: its identity-based policies are not the caller's to read.
      const stranger = await simulate({ service: own.id, principal: { arn: `arn:aws:iam::${h.trellis.accountId}:user/alice` } }, creds);
      assert.equal(stranger.body.decision, 'DENY_IMPLICIT');
      assert.ok(stranger.body.notes.some((n) => new RegExp(`principals in account ${h.trellis.accountId} are not visible`).test(n)));

      const malformed = await simulate({ service: own.id, principal: { arn: `arn:aws:iam::${acct.accountId}:root` }, identityPolicies: [{ label: 'x', document: '{}' }] }, creds);
      assert.equal(malformed.status, 400);
      assert.match(malformed.body.message!, /identity policy x: Statement: is required/);
      const noPrincipal = await simulate({ service: own.id }, creds);
      assert.equal(noPrincipal.status, 400);
      assert.match(noPrincipal.body.message!, /principal is required/);
    } finally {
      ec2.destroy();
    }
  });
});
