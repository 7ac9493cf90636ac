import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTargetGroupCommand, GetTargetGroupCommand, ListTargetGroupsCommand, UpdateTargetGroupCommand, DeleteTargetGroupCommand,
  CreateServiceCommand, CreateListenerCommand, DeleteListenerCommand, ListTargetsCommand,
  ConflictException, ResourceNotFoundException, ValidationException, ServiceQuotaExceededException,
  type CreateTargetGroupCommandInput, type VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';

let h: Harness;
let vpc: string;
before(async () => { h = await startHarness(); vpc = h.trellis.defaultVpcId; });
after(async () => { await h.close(); });

const DEFAULT_HEALTH_CHECK = {
  enabled: true, protocol: 'HTTP', protocolVersion: 'HTTP1', path: '/',
  healthCheckIntervalSeconds: 30, healthCheckTimeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2,
  matcher: { httpCode: '200' },
};

const create = (input: CreateTargetGroupCommandInput, client: VPCLatticeClient = h.client) => client.send(new CreateTargetGroupCommand(input));

/** Asserts a ValidationException naming `field`. */
async function rejectsField(p: Promise<unknown>, field: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ValidationException, String(err));
    assert.equal(err.reason, 'fieldValidationFailed');
    assert.ok(err.fieldList?.some((f) => f.name === field), `expected field ${field}, got ${JSON.stringify(err.fieldList)}`);
    return true;
  });
}

test('IP target group: create, get by id and ARN, defaults filled in', async () => {
  const created = await create({ name: 'ip-basic', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc }, tags: { team: 'a' } });
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.id!, /^tg-[0-9a-z]{17}$/);
  assert.equal(created.arn, `arn:aws:vpc-lattice:us-east-1:${h.trellis.accountId}:targetgroup/${created.id}`);
  assert.equal(created.name, 'ip-basic');
  assert.equal(created.type, 'IP');
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.deepEqual(created.config, {
    port: 80, protocol: 'HTTP', protocolVersion: 'HTTP1', ipAddressType: 'IPV4', vpcIdentifier: vpc, healthCheck: DEFAULT_HEALTH_CHECK,
  });

  for (const identifier of [created.id!, created.arn!]) {
    const got = await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: identifier }));
    assert.equal(got.id, created.id);
    assert.equal(got.arn, created.arn);
    assert.equal(got.name, 'ip-basic');
    assert.equal(got.type, 'IP');
    assert.deepEqual(got.config, created.config);
    assert.ok(got.createdAt instanceof Date);
    assert.ok(got.lastUpdatedAt instanceof Date);
    assert.ok(['CREATE_IN_PROGRESS', 'ACTIVE'].includes(got.status!));
    assert.deepEqual(got.serviceArns, []);
  }
});

test('port follows the protocol unless given; INSTANCE has no ipAddressType; HTTP2 disables health checks by default', async () => {
  const https = await create({ name: 'inst-https', type: 'INSTANCE', config: { protocol: 'HTTPS', vpcIdentifier: vpc } });
  assert.equal(https.config?.port, 443);
  assert.equal(https.config?.ipAddressType, undefined);
  assert.equal(https.config?.healthCheck?.enabled, true);

  const custom = await create({ name: 'ip-custom', type: 'IP', config: { protocol: 'HTTP', port: 8080, ipAddressType: 'IPV6', protocolVersion: 'HTTP2', vpcIdentifier: vpc } });
  assert.equal(custom.config?.port, 8080);
  assert.equal(custom.config?.ipAddressType, 'IPV6');
  assert.equal(custom.config?.protocolVersion, 'HTTP2');
  assert.equal(custom.config?.healthCheck?.enabled, false);

  const grpc = await create({ name: 'ip-grpc', type: 'IP', config: { protocol: 'HTTPS', protocolVersion: 'GRPC', vpcIdentifier: vpc } });
  assert.equal(grpc.config?.protocolVersion, 'GRPC');
  assert.equal(grpc.config?.healthCheck?.enabled, false);

  const tcp = await create({ name: 'ip-tcp', type: 'IP', config: { protocol: 'TCP', port: 8443, vpcIdentifier: vpc } });
  assert.equal(tcp.config?.protocol, 'TCP');
  assert.equal(tcp.config?.port, 8443);
});

test('health check settings given at create time are kept; 0 resets to the default', async () => {
  const created = await create({
    name: 'ip-health', type: 'IP', config: {
      protocol: 'HTTP', vpcIdentifier: vpc, healthCheck: {
        enabled: true, protocol: 'HTTPS', protocolVersion: 'HTTP2', port: 9000, path: '/healthz',
        healthCheckIntervalSeconds: 10, healthCheckTimeoutSeconds: 0, healthyThresholdCount: 3, unhealthyThresholdCount: 0,
        matcher: { httpCode: '200-299' },
      },
    },
  });
  const got = await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: created.id }));
  assert.deepEqual(got.config?.healthCheck, {
    enabled: true, protocol: 'HTTPS', protocolVersion: 'HTTP2', port: 9000, path: '/healthz',
    healthCheckIntervalSeconds: 10, healthCheckTimeoutSeconds: 5, healthyThresholdCount: 3, unhealthyThresholdCount: 2,
    matcher: { httpCode: '200-299' },
  });
});

test('health check ranges: interval 5-300, timeout 1-120, thresholds 2-10, protocol HTTP/HTTPS', async () => {
  const cfg = (healthCheck: object) => ({ name: 'ip-bad-health', type: 'IP' as const, config: { protocol: 'HTTP' as const, vpcIdentifier: vpc, healthCheck } });
  await rejectsField(create(cfg({ healthCheckIntervalSeconds: 4 })), 'config.healthCheck.healthCheckIntervalSeconds');
  await rejectsField(create(cfg({ healthyThresholdCount: 1 })), 'config.healthCheck.healthyThresholdCount');
  await rejectsField(create(cfg({ unhealthyThresholdCount: 1 })), 'config.healthCheck.unhealthyThresholdCount');
  await rejectsField(create(cfg({ protocol: 'TCP' })), 'config.healthCheck.protocol');
  // Beyond the model's own maxima the shape validation answers.
  await rejectsField(create(cfg({ healthCheckTimeoutSeconds: 121 })), 'config.healthCheck.healthCheckTimeoutSeconds');
  await rejectsField(create(cfg({ healthCheckIntervalSeconds: 301 })), 'config.healthCheck.healthCheckIntervalSeconds');
});

test('IP and INSTANCE groups need a config with protocol and VPC; TCP needs a port; GRPC needs HTTP(S)', async () => {
  await rejectsField(create({ name: 'ip-noconfig', type: 'IP' }), 'config');
  await rejectsField(create({ name: 'ip-novpc', type: 'IP', config: { protocol: 'HTTP' } }), 'config.vpcIdentifier');
  await rejectsField(create({ name: 'inst-noproto', type: 'INSTANCE', config: { vpcIdentifier: vpc } }), 'config.protocol');
  await rejectsField(create({ name: 'ip-tcp-noport', type: 'IP', config: { protocol: 'TCP', vpcIdentifier: vpc } }), 'config.port');
  await rejectsField(create({ name: 'ip-grpc-tcp', type: 'IP', config: { protocol: 'TCP', port: 443, protocolVersion: 'GRPC', vpcIdentifier: vpc } }), 'config.protocolVersion');
  await rejectsField(create({ name: 'inst-ipv6', type: 'INSTANCE', config: { protocol: 'HTTP', ipAddressType: 'IPV6', vpcIdentifier: vpc } }), 'config.ipAddressType');
  await rejectsField(create({ name: 'ip-lambda-ver', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc, lambdaEventStructureVersion: 'V2' } }), 'config.lambdaEventStructureVersion');
  await rejectsField(create({ name: 'ip-bad-vpc-id', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: 'vpc-XYZ' } }), 'config.vpcIdentifier');
});

test('an unknown VPC is a ResourceNotFoundException of type VPC', async () => {
  await assert.rejects(create({ name: 'ip-no-such-vpc', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: 'vpc-0123456789abcdef0' } }), (err: unknown) => {
    assert.ok(err instanceof ResourceNotFoundException);
    assert.equal(err.resourceType, 'VPC');
    assert.equal(err.resourceId, 'vpc-0123456789abcdef0');
    return true;
  });
});

test('LAMBDA groups take only lambdaEventStructureVersion (default V1)', async () => {
  const v1 = await create({ name: 'fn-default', type: 'LAMBDA' });
  assert.deepEqual(v1.config, { lambdaEventStructureVersion: 'V1' });
  const v2 = await create({ name: 'fn-v2', type: 'LAMBDA', config: { lambdaEventStructureVersion: 'V2' } });
  const got = await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: v2.arn }));
  assert.deepEqual(got.config, { lambdaEventStructureVersion: 'V2' });
  assert.equal(got.type, 'LAMBDA');

  await rejectsField(create({ name: 'fn-port', type: 'LAMBDA', config: { port: 80 } }), 'config.port');
  await rejectsField(create({ name: 'fn-vpc', type: 'LAMBDA', config: { vpcIdentifier: vpc } }), 'config.vpcIdentifier');
  await rejectsField(create({ name: 'fn-proto', type: 'LAMBDA', config: { protocol: 'HTTP' } }), 'config.protocol');
  await rejectsField(create({ name: 'fn-health', type: 'LAMBDA', config: { healthCheck: { enabled: false } } }), 'config.healthCheck');
});

test('ALB groups: HTTP/HTTPS, HTTP1/HTTP2, no health check', async () => {
  const alb = await create({ name: 'alb-basic', type: 'ALB', config: { protocol: 'HTTPS', vpcIdentifier: vpc } });
  assert.deepEqual(alb.config, { port: 443, protocol: 'HTTPS', protocolVersion: 'HTTP1', vpcIdentifier: vpc });
  await rejectsField(create({ name: 'alb-tcp', type: 'ALB', config: { protocol: 'TCP', port: 443, vpcIdentifier: vpc } }), 'config.protocol');
  await rejectsField(create({ name: 'alb-grpc', type: 'ALB', config: { protocol: 'HTTP', protocolVersion: 'GRPC', vpcIdentifier: vpc } }), 'config.protocolVersion');
  await rejectsField(create({ name: 'alb-health', type: 'ALB', config: { protocol: 'HTTP', vpcIdentifier: vpc, healthCheck: { enabled: true } } }), 'config.healthCheck');
});

test('names are unique per account; a bad name fails shape validation', async () => {
  const first = await create({ name: 'dup-name', type: 'LAMBDA' });
  await assert.rejects(create({ name: 'dup-name', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc } }), (err: unknown) => {
    assert.ok(err instanceof ConflictException);
    assert.equal(err.resourceType, 'TARGET_GROUP');
    assert.equal(err.resourceId, first.id);
    return true;
  });
  await rejectsField(create({ name: 'tg-reserved-prefix', type: 'LAMBDA' }), 'name');
});

test('ListTargetGroups: summaries, type and VPC filters, pagination', async () => {
  const ip = await create({ name: 'list-ip', type: 'IP', config: { protocol: 'HTTP', port: 8081, vpcIdentifier: vpc } });
  const fn = await create({ name: 'list-fn', type: 'LAMBDA', config: { lambdaEventStructureVersion: 'V2' } });

  const all = await h.client.send(new ListTargetGroupsCommand({}));
  const ipItem = all.items!.find((t) => t.id === ip.id)!;
  assert.equal(ipItem.arn, ip.arn);
  assert.equal(ipItem.name, 'list-ip');
  assert.equal(ipItem.type, 'IP');
  assert.equal(ipItem.port, 8081);
  assert.equal(ipItem.protocol, 'HTTP');
  assert.equal(ipItem.ipAddressType, 'IPV4');
  assert.equal(ipItem.vpcIdentifier, vpc);
  assert.ok(ipItem.createdAt instanceof Date);
  assert.ok(ipItem.lastUpdatedAt instanceof Date);
  assert.ok(['CREATE_IN_PROGRESS', 'ACTIVE'].includes(ipItem.status!));
  assert.deepEqual(ipItem.serviceArns, []);
  const fnItem = all.items!.find((t) => t.id === fn.id)!;
  assert.equal(fnItem.lambdaEventStructureVersion, 'V2');
  assert.equal(fnItem.port, undefined);
  assert.equal(fnItem.vpcIdentifier, undefined);

  const lambdas = await h.client.send(new ListTargetGroupsCommand({ targetGroupType: 'LAMBDA' }));
  assert.ok(lambdas.items!.length >= 1);
  assert.ok(lambdas.items!.every((t) => t.type === 'LAMBDA'));
  assert.ok(lambdas.items!.some((t) => t.id === fn.id));

  const inVpc = await h.client.send(new ListTargetGroupsCommand({ vpcIdentifier: vpc }));
  assert.ok(inVpc.items!.every((t) => t.vpcIdentifier === vpc));
  assert.ok(inVpc.items!.some((t) => t.id === ip.id));
  assert.ok(!inVpc.items!.some((t) => t.id === fn.id));
  const otherVpc = await h.client.send(new ListTargetGroupsCommand({ vpcIdentifier: 'vpc-0123456789abcdef0' }));
  assert.deepEqual(otherVpc.items, []);

  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await h.client.send(new ListTargetGroupsCommand({ maxResults: 1, nextToken }));
    assert.ok(page.items!.length <= 1);
    seen.push(...page.items!.map((t) => t.id!));
    nextToken = page.nextToken;
  } while (nextToken);
  assert.deepEqual(seen, all.items!.map((t) => t.id));
});

test('UpdateTargetGroup merges the health check over the current one', async () => {
  const tg = await create({ name: 'upd-ip', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc, healthCheck: { path: '/ready' } } });
  const updated = await h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: tg.arn, healthCheck: { enabled: false, healthCheckIntervalSeconds: 60 } }));
  assert.equal(updated.id, tg.id);
  assert.equal(updated.arn, tg.arn);
  assert.equal(updated.name, 'upd-ip');
  assert.equal(updated.type, 'IP');
  assert.deepEqual(updated.config?.healthCheck, { ...DEFAULT_HEALTH_CHECK, enabled: false, path: '/ready', healthCheckIntervalSeconds: 60 });
  const got = await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.id }));
  assert.deepEqual(got.config?.healthCheck, updated.config?.healthCheck);
  assert.equal(got.config?.port, 80);
  assert.ok(got.lastUpdatedAt! >= got.createdAt!);

  await rejectsField(h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: tg.id, healthCheck: { healthyThresholdCount: 11 } })), 'healthCheck.healthyThresholdCount');
  await rejectsField(h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: tg.id, healthCheck: { healthCheckTimeoutSeconds: 0, healthCheckIntervalSeconds: 2 } })), 'healthCheck.healthCheckIntervalSeconds');

  const fn = await create({ name: 'upd-fn', type: 'LAMBDA' });
  await rejectsField(h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: fn.id, healthCheck: { enabled: true } })), 'healthCheck');
  const alb = await create({ name: 'upd-alb', type: 'ALB', config: { protocol: 'HTTP', vpcIdentifier: vpc } });
  await rejectsField(h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: alb.id, healthCheck: { enabled: true } })), 'healthCheck');

  await assert.rejects(h.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: 'tg-0123456789abcdef0', healthCheck: { enabled: true } })), ResourceNotFoundException);
});

test('DeleteTargetGroup returns DELETE_IN_PROGRESS and the group is gone', async () => {
  const tg = await create({ name: 'del-me', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc } });
  const del = await h.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.arn }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  assert.equal(del.id, tg.id);
  assert.equal(del.arn, tg.arn);
  assert.equal(del.status, 'DELETE_IN_PROGRESS');
  for (const p of [
    h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.id })),
    h.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.id })),
    h.client.send(new ListTargetsCommand({ targetGroupIdentifier: tg.id })),
  ]) {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.resourceType, 'TARGET_GROUP');
      assert.equal(err.resourceId, tg.id);
      return true;
    });
  }
  // The name is free again.
  await create({ name: 'del-me', type: 'LAMBDA' });
});

test('serviceArns lists the services forwarding to the group; in use it cannot be deleted', async () => {
  const tg = await create({ name: 'used-by-svc', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc } });
  const svc = await h.client.send(new CreateServiceCommand({ name: 'tg-user' }));
  const listener = await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'http', protocol: 'HTTP',
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.arn }] } },
  }));

  const got = await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.id }));
  assert.deepEqual(got.serviceArns, [svc.arn]);
  const listed = await h.client.send(new ListTargetGroupsCommand({}));
  assert.deepEqual(listed.items!.find((t) => t.id === tg.id)!.serviceArns, [svc.arn]);

  await assert.rejects(h.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.id })), (err: unknown) => {
    assert.ok(err instanceof ConflictException);
    assert.equal(err.resourceType, 'TARGET_GROUP');
    assert.equal(err.resourceId, tg.id);
    return true;
  });

  await h.client.send(new DeleteListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: listener.id }));
  assert.deepEqual((await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.id }))).serviceArns, []);
  const del = await h.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.id }));
  assert.equal(del.status, 'DELETE_IN_PROGRESS');
});

test('another account can neither see nor change the group, nor use the VPC', async () => {
  const tg = await create({ name: 'private-tg', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc } });
  const other = await h.newAccount();
  for (const p of [
    other.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.arn })),
    other.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.id })),
    other.client.send(new UpdateTargetGroupCommand({ targetGroupIdentifier: tg.arn, healthCheck: { enabled: false } })),
    other.client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.arn })),
  ]) {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.resourceType, 'TARGET_GROUP');
      return true;
    });
  }
  const list = await other.client.send(new ListTargetGroupsCommand({}));
  assert.deepEqual(list.items, []);
  await assert.rejects(create({ name: 'private-tg', type: 'IP', config: { protocol: 'HTTP', vpcIdentifier: vpc } }, other.client), (err: unknown) => {
    assert.ok(err instanceof ResourceNotFoundException);
    assert.equal(err.resourceType, 'VPC');
    return true;
  });
  // Names are per account: the same name is fine for a Lambda group of the other account.
  const mine = await create({ name: 'private-tg', type: 'LAMBDA' }, other.client);
  assert.notEqual(mine.id, tg.id);
  assert.equal((await h.client.send(new GetTargetGroupCommand({ targetGroupIdentifier: tg.id }))).config?.healthCheck?.enabled, true);
});

test('the target groups per Region quota', async () => {
  const q = await startHarness({ quotas: { ...DEFAULT_QUOTAS, targetGroupsPerRegion: 1 } });
  try {
    await q.client.send(new CreateTargetGroupCommand({ name: 'only-one', type: 'LAMBDA' }));
    await assert.rejects(q.client.send(new CreateTargetGroupCommand({ name: 'one-too-many', type: 'LAMBDA' })), (err: unknown) => {
      assert.ok(err instanceof ServiceQuotaExceededException);
      assert.equal(err.$metadata.httpStatusCode, 402);
      assert.equal(err.resourceType, 'TARGET_GROUP');
      assert.equal(err.serviceCode, 'vpc-lattice');
      assert.equal(err.quotaCode, 'TargetGroupsPerRegion');
      return true;
    });
  } finally {
    await q.close();
  }
});
