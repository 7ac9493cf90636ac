import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTargetGroupCommand, UpdateTargetGroupCommand, DeleteTargetGroupCommand, RegisterTargetsCommand, DeregisterTargetsCommand, ListTargetsCommand,
  CreateServiceCommand, CreateListenerCommand,
  ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
  type CreateTargetGroupCommandInput, type Target, type VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';

const QUOTA = 5;
let h: Harness;
let vpc: string;
// Deregistration without a delay here; draining is tested with the data plane (test/dataplane/draining.test.ts).
before(async () => { h = await startHarness({ quotas: { ...DEFAULT_QUOTAS, targetsPerTargetGroup: QUOTA }, deregistrationDelaySeconds: 0 }); vpc = h.trellis.defaultVpcId; });
after(async () => { await h.close(); });

const LAMBDA_ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const ALB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188';

let n = 0;
async function newGroup(config: CreateTargetGroupCommandInput['config'] | undefined, type: CreateTargetGroupCommandInput['type'] = 'IP', client: VPCLatticeClient = h.client) {
  const tg = await client.send(new CreateTargetGroupCommand({ name: `targets-${++n}`, type, config }));
  return tg;
}
const ipGroup = (extra: object = {}) => newGroup({ protocol: 'HTTP', port: 8080, vpcIdentifier: vpc, ...extra });
const register = (tg: string, targets: Target[], client: VPCLatticeClient = h.client) => client.send(new RegisterTargetsCommand({ targetGroupIdentifier: tg, targets }));
const deregister = (tg: string, targets: Target[]) => h.client.send(new DeregisterTargetsCommand({ targetGroupIdentifier: tg, targets }));
const list = (tg: string, more: { targets?: Target[]; maxResults?: number; nextToken?: string } = {}) => h.client.send(new ListTargetsCommand({ targetGroupIdentifier: tg, ...more }));

async function useInService(tgArn: string) {
  const svc = await h.client.send(new CreateServiceCommand({ name: `targets-svc-${++n}` }));
  await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'http', protocol: 'HTTP',
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tgArn }] } },
  }));
}

test('IP targets: port defaults to the group port, re-registering is a success, listing shows them UNUSED', async () => {
  const tg = await ipGroup();
  const out = await register(tg.id!, [{ id: '10.0.0.1' }, { id: '10.0.0.2', port: 9090 }]);
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.deepEqual(out.successful, [{ id: '10.0.0.1', port: 8080 }, { id: '10.0.0.2', port: 9090 }]);
  assert.deepEqual(out.unsuccessful, []);

  const again = await register(tg.arn!, [{ id: '10.0.0.1', port: 8080 }]);
  assert.deepEqual(again.successful, [{ id: '10.0.0.1', port: 8080 }]);
  assert.deepEqual(again.unsuccessful, []);

  const listed = await list(tg.id!);
  assert.equal(listed.$metadata.httpStatusCode, 200);
  assert.deepEqual(listed.items, [
    { id: '10.0.0.1', port: 8080, status: 'UNUSED', reasonCode: 'TargetGroupNotInUse' },
    { id: '10.0.0.2', port: 9090, status: 'UNUSED', reasonCode: 'TargetGroupNotInUse' },
  ]);
  assert.equal(listed.nextToken, undefined);
});

test('IP targets must be addresses of the group IP address type', async () => {
  const v4 = await ipGroup();
  const out = await register(v4.id!, [{ id: '10.0.0.3' }, { id: 'not-an-ip' }, { id: '2001:db8::1' }, { id: '10.0.0.256' }]);
  assert.deepEqual(out.successful, [{ id: '10.0.0.3', port: 8080 }]);
  assert.deepEqual(out.unsuccessful!.map((f) => [f.id, f.port, f.failureCode]), [
    ['not-an-ip', 8080, 'InvalidTargetId'],
    ['2001:db8::1', 8080, 'InvalidTargetId'],
    ['10.0.0.256', 8080, 'InvalidTargetId'],
  ]);
  assert.ok(out.unsuccessful!.every((f) => f.failureMessage && f.failureMessage.length > 0));

  const v6 = await ipGroup({ ipAddressType: 'IPV6' });
  const out6 = await register(v6.id!, [{ id: '2001:db8::1' }, { id: '10.0.0.1' }]);
  assert.deepEqual(out6.successful, [{ id: '2001:db8::1', port: 8080 }]);
  assert.deepEqual(out6.unsuccessful!.map((f) => f.id), ['10.0.0.1']);
  assert.deepEqual((await list(v6.id!)).items!.map((t) => t.id), ['2001:db8::1']);
});

test('INSTANCE targets are instance ids', async () => {
  const tg = await newGroup({ protocol: 'HTTPS', vpcIdentifier: vpc }, 'INSTANCE');
  const out = await register(tg.id!, [{ id: 'i-0123456789abcdef0' }, { id: 'i-0123abcd', port: 8443 }, { id: 'i-xyz' }, { id: '10.0.0.1' }]);
  assert.deepEqual(out.successful, [{ id: 'i-0123456789abcdef0', port: 443 }, { id: 'i-0123abcd', port: 8443 }]);
  assert.deepEqual(out.unsuccessful!.map((f) => [f.id, f.failureCode]), [['i-xyz', 'InvalidTargetId'], ['10.0.0.1', 'InvalidTargetId']]);
});

test('LAMBDA groups take one function ARN and no port', async () => {
  const tg = await newGroup(undefined, 'LAMBDA');
  const out = await register(tg.id!, [{ id: LAMBDA_ARN('one') }, { id: LAMBDA_ARN('two') }, { id: 'my-function' }]);
  assert.deepEqual(out.successful, [{ id: LAMBDA_ARN('one') }]);
  assert.deepEqual(out.unsuccessful!.map((f) => [f.id, f.port, f.failureCode]), [
    [LAMBDA_ARN('two'), undefined, 'TooManyTargets'],
    ['my-function', undefined, 'InvalidTargetId'],
  ]);
  const port = await register(tg.id!, [{ id: LAMBDA_ARN('one'), port: 80 }]);
  assert.deepEqual(port.unsuccessful!.map((f) => [f.id, f.port, f.failureCode]), [[LAMBDA_ARN('one'), 80, 'InvalidTargetPort']]);
  const again = await register(tg.id!, [{ id: LAMBDA_ARN('one') }]);
  assert.deepEqual(again.successful, [{ id: LAMBDA_ARN('one') }]);
  const later = await register(tg.id!, [{ id: LAMBDA_ARN('three') }]);
  assert.deepEqual(later.unsuccessful!.map((f) => f.failureCode), ['TooManyTargets']);

  assert.deepEqual((await list(tg.id!)).items, [{ id: LAMBDA_ARN('one'), status: 'UNUSED', reasonCode: 'TargetGroupNotInUse' }]);

  const gone = await deregister(tg.id!, [{ id: LAMBDA_ARN('one') }]);
  assert.deepEqual(gone.successful, [{ id: LAMBDA_ARN('one') }]);
  const replaced = await register(tg.id!, [{ id: LAMBDA_ARN('three') }]);
  assert.deepEqual(replaced.successful, [{ id: LAMBDA_ARN('three') }]);
});

test('ALB groups take one load balancer ARN', async () => {
  const tg = await newGroup({ protocol: 'HTTP', vpcIdentifier: vpc }, 'ALB');
  const out = await register(tg.id!, [{ id: ALB_ARN }, { id: LAMBDA_ARN('x') }]);
  assert.deepEqual(out.successful, [{ id: ALB_ARN, port: 80 }]);
  assert.deepEqual(out.unsuccessful!.map((f) => [f.id, f.failureCode]), [[LAMBDA_ARN('x'), 'InvalidTargetId']]);
  assert.deepEqual((await list(tg.id!)).items, [{ id: ALB_ARN, port: 80, status: 'UNUSED', reasonCode: 'TargetGroupNotInUse' }]);
});

test('DeregisterTargets: unregistered targets come back unsuccessful; an overridden port must be named', async () => {
  const tg = await ipGroup();
  await register(tg.id!, [{ id: '10.0.1.1' }, { id: '10.0.1.2', port: 9000 }]);
  const out = await deregister(tg.arn!, [{ id: '10.0.1.1' }, { id: '10.0.1.2' }, { id: '10.0.1.9', port: 8080 }]);
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.deepEqual(out.successful, [{ id: '10.0.1.1', port: 8080 }]);
  assert.deepEqual(out.unsuccessful!.map((f) => [f.id, f.port, f.failureCode]), [
    ['10.0.1.2', 8080, 'TargetNotFound'],
    ['10.0.1.9', 8080, 'TargetNotFound'],
  ]);
  assert.deepEqual((await list(tg.id!)).items!.map((t) => [t.id, t.port]), [['10.0.1.2', 9000]]);
  const named = await deregister(tg.id!, [{ id: '10.0.1.2', port: 9000 }]);
  assert.deepEqual(named.successful, [{ id: '10.0.1.2', port: 9000 }]);
  assert.deepEqual((await list(tg.id!)).items, []);
});

test('ListTargets: filter by id (any port) or id and port; pagination', async () => {
  const tg = await ipGroup();
  await register(tg.id!, [{ id: '10.0.2.1' }, { id: '10.0.2.1', port: 9000 }, { id: '10.0.2.2' }, { id: '10.0.2.3' }]);
  const byId = await list(tg.id!, { targets: [{ id: '10.0.2.1' }] });
  assert.deepEqual(byId.items!.map((t) => [t.id, t.port]), [['10.0.2.1', 8080], ['10.0.2.1', 9000]]);
  const byIdPort = await list(tg.id!, { targets: [{ id: '10.0.2.1', port: 9000 }, { id: '10.0.2.3' }] });
  assert.deepEqual(byIdPort.items!.map((t) => [t.id, t.port]), [['10.0.2.1', 9000], ['10.0.2.3', 8080]]);
  assert.deepEqual((await list(tg.id!, { targets: [{ id: '10.9.9.9' }] })).items, []);

  const seen: [string, number][] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await list(tg.id!, { maxResults: 1, nextToken });
    assert.ok(page.items!.length <= 1);
    seen.push(...page.items!.map((t): [string, number] => [t.id!, t.port!]));
    nextToken = page.nextToken;
    pages++;
  } while (nextToken);
  assert.equal(pages, 4);
  assert.deepEqual(seen, [['10.0.2.1', 8080], ['10.0.2.1', 9000], ['10.0.2.2', 8080], ['10.0.2.3', 8080]]);

  await assert.rejects(list(tg.id!, { nextToken: 'bm90LWEtdG9rZW4' }), ValidationException);
});

test('status once a service uses the group: INITIAL, UNAVAILABLE when checks are disabled or unsupported', async () => {
  const tg = await ipGroup();
  await register(tg.id!, [{ id: '10.0.3.1' }]);
  await useInService(tg.arn!);
  assert.deepEqual((await list(tg.id!)).items, [{ id: '10.0.3.1', port: 8080, status: 'INITIAL', reasonCode: 'HealthCheckInProgress' }]);

  await h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: tg.id, healthCheck: { enabled: false } }));
  assert.deepEqual((await list(tg.id!)).items, [{ id: '10.0.3.1', port: 8080, status: 'UNAVAILABLE', reasonCode: 'HealthCheckDisabled' }]);

  const fn = await newGroup(undefined, 'LAMBDA');
  await register(fn.id!, [{ id: LAMBDA_ARN('used') }]);
  await useInService(fn.arn!);
  assert.deepEqual((await list(fn.id!)).items, [{ id: LAMBDA_ARN('used'), status: 'UNAVAILABLE', reasonCode: 'HealthCheckNotSupported' }]);
});

test('the targets per target group quota fails the whole call', async () => {
  const tg = await ipGroup();
  const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ id: `10.0.4.${from + i}` }));
  await register(tg.id!, ids(1, QUOTA - 1));
  await assert.rejects(register(tg.id!, ids(100, 2)), (err: unknown) => {
    assert.ok(err instanceof ServiceQuotaExceededException);
    assert.equal(err.$metadata.httpStatusCode, 402);
    assert.equal(err.resourceType, 'TARGET_GROUP');
    assert.equal(err.resourceId, tg.id);
    assert.equal(err.serviceCode, 'vpc-lattice');
    assert.equal(err.quotaCode, 'TargetsPerTargetGroup');
    return true;
  });
  assert.equal((await list(tg.id!)).items!.length, QUOTA - 1);
  // Re-registering existing targets adds nothing, so it stays within the quota.
  const fill = await register(tg.id!, [...ids(1, QUOTA - 1), { id: '10.0.4.200' }]);
  assert.equal(fill.successful!.length, QUOTA);
  assert.equal((await list(tg.id!)).items!.length, QUOTA);
});

test('1-100 targets per call; an unknown or foreign target group is not found', async () => {
  const tg = await ipGroup();
  await assert.rejects(register(tg.id!, []), (err: unknown) => {
    assert.ok(err instanceof ValidationException);
    assert.equal(err.fieldList?.[0].name, 'targets');
    return true;
  });
  await assert.rejects(register(tg.id!, Array.from({ length: 101 }, (_, i) => ({ id: `10.1.0.${i}` }))), ValidationException);

  await assert.rejects(register('tg-0123456789abcdef0', [{ id: '10.0.0.1' }]), (err: unknown) => {
    assert.ok(err instanceof ResourceNotFoundException);
    assert.equal(err.resourceType, 'TARGET_GROUP');
    assert.equal(err.resourceId, 'tg-0123456789abcdef0');
    return true;
  });

  await register(tg.id!, [{ id: '10.0.5.1' }]);
  const other = await h.newAccount();
  for (const p of [
    register(tg.arn!, [{ id: '10.0.5.2' }], other.client),
    other.client.send(new DeregisterTargetsCommand({ targetGroupIdentifier: tg.arn, targets: [{ id: '10.0.5.1' }] })),
    other.client.send(new ListTargetsCommand({ targetGroupIdentifier: tg.arn })),
  ]) {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.resourceType, 'TARGET_GROUP');
      return true;
    });
  }
  assert.deepEqual((await list(tg.id!)).items!.map((t) => t.id), ['10.0.5.1']);
});

/** The stored target records of a target group, read straight from the store. */
function storedTargets(tgId: string): { key: string; value: Record<string, unknown> }[] {
  const db = new DatabaseSync(join(h.dataDir, 'trellis.db'), { readOnly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM kv WHERE key LIKE ? ORDER BY key').all(`target/${tgId}/%`) as { key: string; value: string }[];
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) }));
  } finally {
    db.close();
  }
}

test('target records follow the shared contract, and deleting the target group removes them', async () => {
  const tg = await ipGroup();
  await register(tg.id!, [{ id: '10.0.6.1' }, { id: '10.0.6.2', port: 9000 }]);
  const stored = storedTargets(tg.id!);
  assert.deepEqual(stored.map((r) => r.key), [`target/${tg.id}/10.0.6.1:8080`, `target/${tg.id}/10.0.6.2:9000`]);
  const rec = stored[0].value;
  assert.equal(rec.tgId, tg.id);
  assert.equal(rec.account, h.trellis.accountId);
  assert.equal(rec.targetId, '10.0.6.1');
  assert.equal(rec.port, 8080);
  assert.ok(!Number.isNaN(Date.parse(String(rec.registeredAt))));

  await h.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.id }));
  assert.deepEqual(storedTargets(tg.id!), []);
  await assert.rejects(list(tg.id!), ResourceNotFoundException);
});
