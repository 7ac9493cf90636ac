import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateListenerCommand, GetListenerCommand, ListListenersCommand, UpdateListenerCommand, DeleteListenerCommand,
  CreateServiceCommand, CreateTargetGroupCommand, CreateRuleCommand, GetRuleCommand, ListRulesCommand, ListTagsForResourceCommand,
  ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
  type VPCLatticeClient, type TargetGroupProtocol,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}`;

async function service(client: VPCLatticeClient = h.client, customDomainName?: string) {
  return client.send(new CreateServiceCommand({ name: unique('app'), customDomainName }));
}

async function targetGroup(protocol: TargetGroupProtocol = 'HTTP', vpc = h.trellis.defaultVpcId) {
  return h.client.send(new CreateTargetGroupCommand({
    name: unique('group'), type: 'IP', config: { port: protocol === 'HTTP' ? 80 : 443, protocol, vpcIdentifier: vpc },
  }));
}

const fixed = (statusCode: number) => ({ fixedResponse: { statusCode } });

const rejectsWith = (type: new (...a: never[]) => Error, check?: (err: any) => void) => (err: unknown) => {
  assert.ok(err instanceof type, String(err));
  check?.(err);
  return true;
};

test('CreateListener: HTTP on port 80 by default, forwarding to a target group named by ARN', async () => {
  const svc = await service();
  const tg = await targetGroup();
  const l = await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.arn, name: 'web', protocol: 'HTTP',
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.arn }] } }, tags: { env: 'test' },
  }));
  assert.equal(l.$metadata.httpStatusCode, 201);
  assert.match(l.id!, /^listener-[0-9a-z]{17}$/);
  assert.equal(l.arn, `${svc.arn}/listener/${l.id}`);
  assert.equal(l.name, 'web');
  assert.equal(l.protocol, 'HTTP');
  assert.equal(l.port, 80);
  assert.equal(l.serviceId, svc.id);
  assert.equal(l.serviceArn, svc.arn);
  // The target group is shown by id; a single target group weighs 100.
  assert.deepEqual(l.defaultAction, { forward: { targetGroups: [{ targetGroupIdentifier: tg.id, weight: 100 }] } });
  const tags = await h.client.send(new ListTagsForResourceCommand({ resourceArn: l.arn }));
  assert.deepEqual(tags.tags, { env: 'test' });

  const https = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'secure', protocol: 'HTTPS', defaultAction: fixed(404) }));
  assert.equal(https.port, 443);
  assert.deepEqual(https.defaultAction, { fixedResponse: { statusCode: 404 } });
});

test('GetListener by id and ARN; a listener is only found under its own service', async () => {
  const svc = await service();
  const tg1 = await targetGroup();
  const tg2 = await targetGroup();
  const l = await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'weighted', protocol: 'HTTPS', port: 8443,
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg1.id, weight: 10 }, { targetGroupIdentifier: tg2.arn, weight: 0 }] } },
  }));
  for (const [s, id] of [[svc.id!, l.id!], [svc.arn!, l.arn!]]) {
    const got = await h.client.send(new GetListenerCommand({ serviceIdentifier: s, listenerIdentifier: id }));
    assert.equal(got.id, l.id);
    assert.equal(got.arn, l.arn);
    assert.equal(got.name, 'weighted');
    assert.equal(got.protocol, 'HTTPS');
    assert.equal(got.port, 8443);
    assert.equal(got.serviceId, svc.id);
    assert.equal(got.serviceArn, svc.arn);
    assert.deepEqual(got.defaultAction, { forward: { targetGroups: [{ targetGroupIdentifier: tg1.id, weight: 10 }, { targetGroupIdentifier: tg2.id, weight: 0 }] } });
    assert.ok(got.createdAt instanceof Date && got.lastUpdatedAt instanceof Date);
  }
  const otherSvc = await service();
  await assert.rejects(h.client.send(new GetListenerCommand({ serviceIdentifier: otherSvc.id, listenerIdentifier: l.id })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'LISTENER');
    assert.equal(err.resourceId, l.id);
  }));
  await assert.rejects(h.client.send(new GetListenerCommand({ serviceIdentifier: 'svc-0123456789abcdef0', listenerIdentifier: l.id })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'SERVICE');
    assert.equal(err.resourceId, 'svc-0123456789abcdef0');
  }));
  await assert.rejects(h.client.send(new GetListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: 'listener-0123456789abcdef0' })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'LISTENER');
  }));
});

test('listener names and ports are unique within a service', async () => {
  const svc = await service();
  const first = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'one', protocol: 'HTTP', defaultAction: fixed(404) }));
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'one', protocol: 'HTTP', port: 8080, defaultAction: fixed(404) })),
    rejectsWith(ConflictException, (err) => { assert.equal(err.resourceType, 'LISTENER'); assert.equal(err.resourceId, first.id); }));
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'two', protocol: 'HTTPS', port: 80, defaultAction: fixed(404) })),
    rejectsWith(ConflictException, (err) => { assert.equal(err.resourceId, first.id); }));
  // Another service may use the same name and port.
  const svc2 = await service();
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc2.id, name: 'one', protocol: 'HTTP', defaultAction: fixed(404) }));
});

test('listener input is validated: names, ports, status codes, weights, target groups', async () => {
  const svc = await service();
  const tg1 = await targetGroup();
  const tg2 = await targetGroup();
  const cases: [string, Record<string, unknown>, string | undefined][] = [
    ['reserved name prefix', { name: 'listener-a', protocol: 'HTTP', defaultAction: fixed(404) }, 'name'],
    ['port 0', { name: 'port-zero', protocol: 'HTTP', port: 0, defaultAction: fixed(404) }, 'port'],
    ['port 65536', { name: 'port-big', protocol: 'HTTP', port: 65536, defaultAction: fixed(404) }, 'port'],
    ['status code 600', { name: 'status', protocol: 'HTTP', defaultAction: fixed(600) }, 'defaultAction.fixedResponse.statusCode'],
    ['two target groups without weights', { name: 'weights', protocol: 'HTTP', defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg1.id }, { targetGroupIdentifier: tg2.id }] } } }, 'defaultAction.forward.targetGroups'],
    ['weight 1000', { name: 'weight-big', protocol: 'HTTP', defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg1.id, weight: 1000 }] } } }, undefined],
    ['the same target group twice', { name: 'twice', protocol: 'HTTP', defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg1.id, weight: 1 }, { targetGroupIdentifier: tg1.arn, weight: 1 }] } } }, undefined],
  ];
  for (const [what, input, field] of cases) {
    await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, ...input } as never)), rejectsWith(ValidationException, (err) => {
      assert.equal(err.reason, 'fieldValidationFailed', what);
      if (field) assert.equal(err.fieldList?.[0].name, field, what);
    }), what);
  }
  await assert.rejects(h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'missing-tg', protocol: 'HTTP',
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: 'tg-0123456789abcdef0' }] } },
  })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'TARGET_GROUP');
    assert.equal(err.resourceId, 'tg-0123456789abcdef0');
  }));
  const list = await h.client.send(new ListListenersCommand({ serviceIdentifier: svc.id }));
  assert.deepEqual(list.items, []);
});

test('TLS_PASSTHROUGH listeners: port required, custom domain required, TCP target groups only', async () => {
  const plain = await service();
  const svc = await service(h.client, 'tls.example.com');
  const tcp = await targetGroup('TCP');
  const http = await targetGroup('HTTP');
  const forwardTo = (id: string) => ({ forward: { targetGroups: [{ targetGroupIdentifier: id }] } });

  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', defaultAction: forwardTo(tcp.id!) })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'port')));
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: plain.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port: 443, defaultAction: forwardTo(tcp.id!) })),
    ValidationException);
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port: 443, defaultAction: forwardTo(http.id!) })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'defaultAction.forward.targetGroups[0].targetGroupIdentifier')));
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port: 443, defaultAction: fixed(404) })),
    ValidationException);
  // HTTP(S) listeners cannot forward to TCP target groups.
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTPS', defaultAction: forwardTo(tcp.id!) })),
    ValidationException);

  const l = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port: 443, defaultAction: forwardTo(tcp.arn!) }));
  assert.equal(l.protocol, 'TLS_PASSTHROUGH');
  assert.equal(l.port, 443);
  assert.deepEqual(l.defaultAction, { forward: { targetGroups: [{ targetGroupIdentifier: tcp.id, weight: 100 }] } });
  // UpdateListener keeps the same checks.
  await assert.rejects(h.client.send(new UpdateListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id, defaultAction: fixed(503) })), ValidationException);
});

test('the listenersPerService quota (default 2)', async () => {
  const svc = await service();
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'alpha', protocol: 'HTTP', defaultAction: fixed(404) }));
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'bravo', protocol: 'HTTPS', defaultAction: fixed(404) }));
  await assert.rejects(h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'charlie', protocol: 'HTTP', port: 8080, defaultAction: fixed(404) })),
    rejectsWith(ServiceQuotaExceededException, (err) => {
      assert.equal(err.$metadata.httpStatusCode, 402);
      assert.equal(err.serviceCode, 'vpc-lattice');
      assert.equal(err.quotaCode, 'L-D64E952E');
      assert.equal(err.resourceType, 'LISTENER');
    }));
});

test('ListListeners pages through ListenerSummary items of one service', async () => {
  const svc = await service();
  const other = await service();
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: other.id, name: 'elsewhere', protocol: 'HTTP', defaultAction: fixed(404) }));
  const a = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'alpha', protocol: 'HTTP', defaultAction: fixed(404) }));
  const b = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'bravo', protocol: 'HTTPS', defaultAction: fixed(404) }));
  const page1 = await h.client.send(new ListListenersCommand({ serviceIdentifier: svc.arn, maxResults: 1 }));
  assert.equal(page1.items!.length, 1);
  assert.ok(page1.nextToken);
  const page2 = await h.client.send(new ListListenersCommand({ serviceIdentifier: svc.arn, maxResults: 1, nextToken: page1.nextToken }));
  assert.equal(page2.nextToken, undefined);
  const items = [...page1.items!, ...page2.items!];
  assert.deepEqual(items.map((l) => l.id), [a.id, b.id]);
  assert.deepEqual(Object.keys(items[1]).sort(), ['arn', 'createdAt', 'id', 'lastUpdatedAt', 'name', 'port', 'protocol']);
  assert.equal(items[1].arn, b.arn);
  assert.equal(items[1].name, 'bravo');
  assert.equal(items[1].protocol, 'HTTPS');
  assert.equal(items[1].port, 443);
  await assert.rejects(h.client.send(new ListListenersCommand({ serviceIdentifier: 'svc-0123456789abcdef0' })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'SERVICE');
  }));
});

test('UpdateListener replaces the default action, which the default rule shows', async () => {
  const svc = await service();
  const tg = await targetGroup();
  const l = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: fixed(404) }));
  const updated = await h.client.send(new UpdateListenerCommand({
    serviceIdentifier: svc.id, listenerIdentifier: l.arn, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.arn, weight: 5 }] } },
  }));
  assert.equal(updated.$metadata.httpStatusCode, 200);
  assert.equal(updated.id, l.id);
  assert.equal(updated.arn, l.arn);
  assert.equal(updated.name, 'web');
  assert.equal(updated.protocol, 'HTTP');
  assert.equal(updated.port, 80);
  assert.equal(updated.serviceId, svc.id);
  assert.equal(updated.serviceArn, svc.arn);
  assert.deepEqual(updated.defaultAction, { forward: { targetGroups: [{ targetGroupIdentifier: tg.id, weight: 5 }] } });
  const got = await h.client.send(new GetListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id }));
  assert.deepEqual(got.defaultAction, updated.defaultAction);

  const rules = await h.client.send(new ListRulesCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id }));
  const def = rules.items!.find((r) => r.isDefault)!;
  const rule = await h.client.send(new GetRuleCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id, ruleIdentifier: def.id }));
  assert.deepEqual(rule.action, updated.defaultAction);

  await assert.rejects(h.client.send(new UpdateListenerCommand({
    serviceIdentifier: svc.id, listenerIdentifier: l.id, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: 'tg-0123456789abcdef0' }] } },
  })), rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'TARGET_GROUP')));
  await assert.rejects(h.client.send(new UpdateListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: 'listener-0123456789abcdef0', defaultAction: fixed(404) })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'LISTENER')));
});

test('DeleteListener deletes the listener and its rules', async () => {
  const svc = await service();
  const l = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: fixed(404) }));
  const rule = await h.client.send(new CreateRuleCommand({
    serviceIdentifier: svc.id, listenerIdentifier: l.id, name: 'first', priority: 1, match: { httpMatch: { method: 'GET' } }, action: fixed(200),
  }));
  const del = await h.client.send(new DeleteListenerCommand({ serviceIdentifier: svc.arn, listenerIdentifier: l.arn }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(h.client.send(new GetListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'LISTENER');
    assert.equal(err.resourceId, l.id);
  }));
  await assert.rejects(h.client.send(new ListTagsForResourceCommand({ resourceArn: rule.arn })), ResourceNotFoundException);
  await assert.rejects(h.client.send(new DeleteListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id })), ResourceNotFoundException);
  // Port and name are free again.
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: fixed(404) }));
});

test("another account can neither see nor change a service's listeners, nor forward to another account's target group", async () => {
  const svc = await service();
  const l = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: fixed(404) }));
  const other = await h.newAccount();
  const asSvc = (err: any) => { assert.equal(err.resourceType, 'SERVICE'); };
  await assert.rejects(other.client.send(new GetListenerCommand({ serviceIdentifier: svc.arn, listenerIdentifier: l.arn })), rejectsWith(ResourceNotFoundException, asSvc));
  await assert.rejects(other.client.send(new ListListenersCommand({ serviceIdentifier: svc.arn })), rejectsWith(ResourceNotFoundException, asSvc));
  await assert.rejects(other.client.send(new UpdateListenerCommand({ serviceIdentifier: svc.arn, listenerIdentifier: l.arn, defaultAction: fixed(500) })), rejectsWith(ResourceNotFoundException, asSvc));
  await assert.rejects(other.client.send(new DeleteListenerCommand({ serviceIdentifier: svc.arn, listenerIdentifier: l.arn })), rejectsWith(ResourceNotFoundException, asSvc));
  await assert.rejects(other.client.send(new CreateListenerCommand({ serviceIdentifier: svc.arn, name: 'xray', protocol: 'HTTP', defaultAction: fixed(404) })), rejectsWith(ResourceNotFoundException, asSvc));

  // (The second account has no VPC of its own: a Lambda target group needs none.)
  const theirTg = await other.client.send(new CreateTargetGroupCommand({ name: 'theirs', type: 'LAMBDA' }));
  await assert.rejects(h.client.send(new UpdateListenerCommand({
    serviceIdentifier: svc.id, listenerIdentifier: l.id, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: theirTg.arn }] } },
  })), rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'TARGET_GROUP')));
  const got = await h.client.send(new GetListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id }));
  assert.deepEqual(got.defaultAction, fixed(404));
});

test('the targetGroupsPerService quota counts distinct target groups across listeners', async () => {
  const q = await startHarness({ quotas: { ...DEFAULT_QUOTAS, targetGroupsPerService: 1 } });
  try {
    const svc = await q.client.send(new CreateServiceCommand({ name: 'tg-quota' }));
    const mk = (name: string) => q.client.send(new CreateTargetGroupCommand({ name, type: 'IP', config: { port: 80, protocol: 'HTTP', vpcIdentifier: q.trellis.defaultVpcId } }));
    const tg1 = await mk('quota-one');
    const tg2 = await mk('quota-two');
    const forward = (id: string) => ({ forward: { targetGroups: [{ targetGroupIdentifier: id }] } });
    await q.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'alpha', protocol: 'HTTP', defaultAction: forward(tg1.id!) }));
    // The same target group again is fine.
    const b = await q.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'bravo', protocol: 'HTTPS', defaultAction: forward(tg1.id!) }));
    await assert.rejects(q.client.send(new UpdateListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: b.id, defaultAction: forward(tg2.id!) })),
      rejectsWith(ServiceQuotaExceededException, (err) => {
        assert.equal(err.quotaCode, 'TargetGroupsPerService');
        assert.equal(err.serviceCode, 'vpc-lattice');
      }));
  } finally {
    await q.close();
  }
});
