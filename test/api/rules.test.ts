import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateRuleCommand, GetRuleCommand, ListRulesCommand, UpdateRuleCommand, DeleteRuleCommand, BatchUpdateRuleCommand,
  CreateServiceCommand, CreateListenerCommand, CreateTargetGroupCommand, ListTagsForResourceCommand,
  ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
  type RuleAction, type RuleMatch, type TargetGroupProtocol,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

let n = 0;
const unique = (prefix: string) => `${prefix}-${++n}`;

const fixed = (statusCode: number): RuleAction => ({ fixedResponse: { statusCode } });
const path = (prefix: string): RuleMatch => ({ httpMatch: { pathMatch: { match: { prefix } } } });

async function targetGroup(protocol: TargetGroupProtocol = 'HTTP') {
  return h.client.send(new CreateTargetGroupCommand({
    name: unique('group'), type: 'IP', config: { port: protocol === 'HTTP' ? 80 : 443, protocol, vpcIdentifier: h.trellis.defaultVpcId },
  }));
}

/** A service with an HTTP listener whose default action is a fixed 404. */
async function listener(client = h.client) {
  const svc = await client.send(new CreateServiceCommand({ name: unique('app') }));
  const l = await client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: fixed(404) }));
  return { svc, l, ids: { serviceIdentifier: svc.id!, listenerIdentifier: l.id! } };
}

const rejectsWith = (type: new (...a: never[]) => Error, check?: (err: any) => void) => (err: unknown) => {
  assert.ok(err instanceof type, String(err));
  check?.(err);
  return true;
};

test('CreateRule returns the rule; GetRule shows it by id and by ARN', async () => {
  const { svc, l, ids } = await listener();
  const tg = await targetGroup();
  const match: RuleMatch = {
    httpMatch: {
      method: 'POST',
      pathMatch: { match: { exact: '/orders' }, caseSensitive: true },
      headerMatches: [{ name: 'x-tenant', match: { contains: 'blue' }, caseSensitive: false }],
    },
  };
  const created = await h.client.send(new CreateRuleCommand({
    ...ids, name: 'orders', priority: 10, match, action: { forward: { targetGroups: [{ targetGroupIdentifier: tg.arn }] } }, tags: { k: 'v' },
  }));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.id!, /^rule-[0-9a-z]{17}$/);
  assert.equal(created.arn, `${l.arn}/rule/${created.id}`);
  assert.equal(created.name, 'orders');
  assert.equal(created.priority, 10);
  assert.deepEqual(created.match, match);
  assert.deepEqual(created.action, { forward: { targetGroups: [{ targetGroupIdentifier: tg.id, weight: 100 }] } });
  assert.deepEqual((await h.client.send(new ListTagsForResourceCommand({ resourceArn: created.arn }))).tags, { k: 'v' });

  for (const [s, li, r] of [[svc.id!, l.id!, created.id!], [svc.arn!, l.arn!, created.arn!]]) {
    const got = await h.client.send(new GetRuleCommand({ serviceIdentifier: s, listenerIdentifier: li, ruleIdentifier: r }));
    assert.equal(got.id, created.id);
    assert.equal(got.arn, created.arn);
    assert.equal(got.name, 'orders');
    assert.equal(got.isDefault, false);
    assert.equal(got.priority, 10);
    assert.deepEqual(got.match, match);
    assert.deepEqual(got.action, created.action);
    assert.ok(got.createdAt instanceof Date && got.lastUpdatedAt instanceof Date);
  }
});

test("every listener has a default rule: listed last, readable, and only changed through UpdateListener", async () => {
  const { l, ids } = await listener();
  const r2 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'second', priority: 20, match: path('/b'), action: fixed(200) }));
  const r1 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'first', priority: 5, match: path('/a'), action: fixed(200) }));
  const list = await h.client.send(new ListRulesCommand(ids));
  assert.deepEqual(list.items!.map((r) => [r.name, r.priority, r.isDefault]), [['first', 5, false], ['second', 20, false], ['default', undefined, true]]);
  assert.deepEqual(list.items!.slice(0, 2).map((r) => r.id), [r1.id, r2.id]);
  const def = list.items![2];
  assert.match(def.id!, /^rule-[0-9a-z]{17}$/);
  assert.equal(def.arn, `${l.arn}/rule/${def.id}`);
  assert.deepEqual(Object.keys(list.items![0]).sort(), ['arn', 'createdAt', 'id', 'isDefault', 'lastUpdatedAt', 'name', 'priority']);

  for (const ruleIdentifier of [def.id!, def.arn!]) {
    const got = await h.client.send(new GetRuleCommand({ ...ids, ruleIdentifier }));
    assert.equal(got.id, def.id);
    assert.equal(got.isDefault, true);
    assert.equal(got.priority, undefined);
    assert.equal(got.match, undefined);
    assert.deepEqual(got.action, fixed(404));
  }
  const isDefaultRuleError = rejectsWith(ValidationException, (err) => {
    assert.equal(err.reason, 'fieldValidationFailed');
    assert.match(err.message, /UpdateListener/);
  });
  await assert.rejects(h.client.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: def.id, priority: 50 })), isDefaultRuleError);
  await assert.rejects(h.client.send(new DeleteRuleCommand({ ...ids, ruleIdentifier: def.id })), isDefaultRuleError);
});

test('ListRules pages; a rule is only found under its own listener and service', async () => {
  const a = await listener();
  const b = await listener();
  const rule = await h.client.send(new CreateRuleCommand({ ...a.ids, name: 'only', priority: 1, match: path('/'), action: fixed(200) }));
  const page1 = await h.client.send(new ListRulesCommand({ ...a.ids, maxResults: 1 }));
  assert.deepEqual(page1.items!.map((r) => r.id), [rule.id]);
  assert.ok(page1.nextToken);
  const page2 = await h.client.send(new ListRulesCommand({ ...a.ids, maxResults: 1, nextToken: page1.nextToken }));
  assert.equal(page2.items!.length, 1);
  assert.equal(page2.items![0].isDefault, true);
  assert.equal(page2.nextToken, undefined);

  // Rule of listener a asked for under listener b.
  await assert.rejects(h.client.send(new GetRuleCommand({ ...b.ids, ruleIdentifier: rule.id })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'RULE');
    assert.equal(err.resourceId, rule.id);
  }));
  // Listener a asked for under service b.
  await assert.rejects(h.client.send(new GetRuleCommand({ serviceIdentifier: b.svc.id, listenerIdentifier: a.l.id, ruleIdentifier: rule.id })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'LISTENER')));
  await assert.rejects(h.client.send(new ListRulesCommand({ serviceIdentifier: b.svc.id, listenerIdentifier: a.l.id })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'LISTENER')));
  await assert.rejects(h.client.send(new GetRuleCommand({ ...a.ids, ruleIdentifier: 'rule-0123456789abcdef0' })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'RULE')));
});

test('priorities and names are unique within a listener', async () => {
  const { ids } = await listener();
  const first = await h.client.send(new CreateRuleCommand({ ...ids, name: 'first', priority: 1, match: path('/a'), action: fixed(200) }));
  await assert.rejects(h.client.send(new CreateRuleCommand({ ...ids, name: 'other', priority: 1, match: path('/b'), action: fixed(200) })),
    rejectsWith(ConflictException, (err) => { assert.equal(err.resourceType, 'RULE'); assert.equal(err.resourceId, first.id); }));
  await assert.rejects(h.client.send(new CreateRuleCommand({ ...ids, name: 'first', priority: 2, match: path('/b'), action: fixed(200) })),
    rejectsWith(ConflictException, (err) => { assert.equal(err.resourceId, first.id); }));
  // Another listener may reuse both.
  const other = await listener();
  await h.client.send(new CreateRuleCommand({ ...other.ids, name: 'first', priority: 1, match: path('/a'), action: fixed(200) }));
});

test('rule input is validated', async () => {
  const { ids } = await listener();
  const tcp = await targetGroup('TCP');
  const cases: [string, Record<string, unknown>, string | undefined][] = [
    ['no condition', { name: 'empty', priority: 1, match: { httpMatch: {} }, action: fixed(200) }, 'match.httpMatch'],
    ['priority 0', { name: 'zero', priority: 0, match: path('/'), action: fixed(200) }, 'priority'],
    ['priority 101', { name: 'high', priority: 101, match: path('/'), action: fixed(200) }, 'priority'],
    ['reserved name prefix', { name: 'rule-x', priority: 1, match: path('/'), action: fixed(200) }, 'name'],
    ['path without a slash', { name: 'slash', priority: 1, match: path('api'), action: fixed(200) }, undefined],
    ['six header matches', { name: 'six', priority: 1, match: { httpMatch: { headerMatches: Array.from({ length: 6 }, (_, i) => ({ name: `h${i}`, match: { exact: 'x' } })) } }, action: fixed(200) }, undefined],
    ['TCP target group on an HTTP listener', { name: 'tcp', priority: 1, match: path('/'), action: { forward: { targetGroups: [{ targetGroupIdentifier: tcp.id }] } } }, 'action.forward.targetGroups[0].targetGroupIdentifier'],
  ];
  for (const [what, input, field] of cases) {
    await assert.rejects(h.client.send(new CreateRuleCommand({ ...ids, ...input } as never)), rejectsWith(ValidationException, (err) => {
      if (field) assert.equal(err.fieldList?.[0].name, field, what);
    }), what);
  }
  await assert.rejects(h.client.send(new CreateRuleCommand({
    ...ids, name: 'missing', priority: 1, match: path('/'), action: { forward: { targetGroups: [{ targetGroupIdentifier: 'tg-0123456789abcdef0' }] } },
  })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'TARGET_GROUP');
    assert.equal(err.resourceId, 'tg-0123456789abcdef0');
  }));
  assert.equal((await h.client.send(new ListRulesCommand(ids))).items!.length, 1);
});

test('TLS_PASSTHROUGH listeners take no rules', async () => {
  const svc = await h.client.send(new CreateServiceCommand({ name: unique('tls'), customDomainName: 'tls.example.com' }));
  const tcp = await targetGroup('TCP');
  const l = await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port: 443, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tcp.id }] } },
  }));
  await assert.rejects(h.client.send(new CreateRuleCommand({
    serviceIdentifier: svc.id, listenerIdentifier: l.id, name: 'nope', priority: 1, match: path('/'), action: { forward: { targetGroups: [{ targetGroupIdentifier: tcp.id }] } },
  })), rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'listenerIdentifier')));
  const rules = await h.client.send(new ListRulesCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id }));
  assert.deepEqual(rules.items!.map((r) => r.isDefault), [true]);
});

test('the rulesPerListener quota does not count the default rule', async () => {
  const q = await startHarness({ quotas: { ...DEFAULT_QUOTAS, rulesPerListener: 2 } });
  try {
    const svc = await q.client.send(new CreateServiceCommand({ name: 'rules-quota' }));
    const l = await q.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: fixed(404) }));
    const ids = { serviceIdentifier: svc.id!, listenerIdentifier: l.id! };
    await q.client.send(new CreateRuleCommand({ ...ids, name: 'one', priority: 1, match: path('/1'), action: fixed(200) }));
    await q.client.send(new CreateRuleCommand({ ...ids, name: 'two', priority: 2, match: path('/2'), action: fixed(200) }));
    await assert.rejects(q.client.send(new CreateRuleCommand({ ...ids, name: 'three', priority: 3, match: path('/3'), action: fixed(200) })),
      rejectsWith(ServiceQuotaExceededException, (err) => {
        assert.equal(err.$metadata.httpStatusCode, 402);
        assert.equal(err.serviceCode, 'vpc-lattice');
        assert.equal(err.quotaCode, 'RulesPerListener');
        assert.equal(err.resourceType, 'RULE');
      }));
  } finally {
    await q.close();
  }
});

test('UpdateRule changes match, priority and action; priorities stay unique', async () => {
  const { ids } = await listener();
  const tg = await targetGroup();
  const r1 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'one', priority: 1, match: path('/1'), action: fixed(200) }));
  const r2 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'two', priority: 2, match: path('/2'), action: fixed(200) }));
  const updated = await h.client.send(new UpdateRuleCommand({
    ...ids, ruleIdentifier: r1.arn, priority: 3, match: { httpMatch: { method: 'GET' } },
    action: { forward: { targetGroups: [{ targetGroupIdentifier: tg.arn, weight: 7 }] } },
  }));
  assert.equal(updated.$metadata.httpStatusCode, 200);
  assert.equal(updated.id, r1.id);
  assert.equal(updated.arn, r1.arn);
  assert.equal(updated.name, 'one');
  assert.equal(updated.isDefault, false);
  assert.equal(updated.priority, 3);
  assert.deepEqual(updated.match, { httpMatch: { method: 'GET' } });
  assert.deepEqual(updated.action, { forward: { targetGroups: [{ targetGroupIdentifier: tg.id, weight: 7 }] } });

  // Members left out keep their values.
  const partial = await h.client.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: r1.id, action: fixed(418) }));
  assert.equal(partial.priority, 3);
  assert.deepEqual(partial.match, { httpMatch: { method: 'GET' } });
  const got = await h.client.send(new GetRuleCommand({ ...ids, ruleIdentifier: r1.id }));
  assert.deepEqual(got.action, fixed(418));

  await assert.rejects(h.client.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: r1.id, priority: 2 })),
    rejectsWith(ConflictException, (err) => { assert.equal(err.resourceType, 'RULE'); assert.equal(err.resourceId, r2.id); }));
  // Keeping one's own priority is no conflict.
  await h.client.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: r2.id, priority: 2 }));
  await assert.rejects(h.client.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: r1.id, match: { httpMatch: {} } })), ValidationException);
  await assert.rejects(h.client.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: 'rule-0123456789abcdef0', priority: 9 })),
    rejectsWith(ResourceNotFoundException, (err) => { assert.equal(err.resourceType, 'RULE'); assert.equal(err.resourceId, 'rule-0123456789abcdef0'); }));
});

test('DeleteRule deletes the rule and frees its priority', async () => {
  const { ids } = await listener();
  const r = await h.client.send(new CreateRuleCommand({ ...ids, name: 'gone', priority: 4, match: path('/x'), action: fixed(200) }));
  const del = await h.client.send(new DeleteRuleCommand({ ...ids, ruleIdentifier: r.arn }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(h.client.send(new GetRuleCommand({ ...ids, ruleIdentifier: r.id })), rejectsWith(ResourceNotFoundException, (err) => {
    assert.equal(err.resourceType, 'RULE');
    assert.equal(err.resourceId, r.id);
  }));
  await assert.rejects(h.client.send(new DeleteRuleCommand({ ...ids, ruleIdentifier: r.id })), ResourceNotFoundException);
  await h.client.send(new CreateRuleCommand({ ...ids, name: 'gone', priority: 4, match: path('/x'), action: fixed(200) }));
});

test('BatchUpdateRule swaps priorities and reports each update on its own', async () => {
  const { ids } = await listener();
  const tg = await targetGroup();
  const r1 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'one', priority: 1, match: path('/1'), action: fixed(200) }));
  const r2 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'two', priority: 2, match: path('/2'), action: fixed(200) }));
  const r3 = await h.client.send(new CreateRuleCommand({ ...ids, name: 'three', priority: 3, match: path('/3'), action: fixed(200) }));
  const def = (await h.client.send(new ListRulesCommand(ids))).items!.find((r) => r.isDefault)!;

  const out = await h.client.send(new BatchUpdateRuleCommand({
    ...ids,
    rules: [
      { ruleIdentifier: r1.id, priority: 2 },
      { ruleIdentifier: r2.arn, priority: 1, action: { forward: { targetGroups: [{ targetGroupIdentifier: tg.arn }] } } },
      { ruleIdentifier: def.id, priority: 9 },
      { ruleIdentifier: 'rule-0123456789abcdef0', priority: 10 },
      { ruleIdentifier: r3.id, priority: 1 },
    ],
  }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  // r1 and r2 swap; r3 would collide with r2's new priority.
  assert.deepEqual(out.successful!.map((s) => [s.id, s.priority]), [[r1.id, 2], [r2.id, 1]]);
  const s2 = out.successful![1];
  assert.equal(s2.arn, r2.arn);
  assert.equal(s2.name, 'two');
  assert.equal(s2.isDefault, false);
  assert.deepEqual(s2.match, path('/2'));
  assert.deepEqual(s2.action, { forward: { targetGroups: [{ targetGroupIdentifier: tg.id, weight: 100 }] } });
  assert.deepEqual(out.unsuccessful!.map((u) => [u.ruleIdentifier, u.failureCode]), [
    [def.id, 'ValidationException'],
    ['rule-0123456789abcdef0', 'ResourceNotFoundException'],
    [r3.id, 'ConflictException'],
  ]);
  assert.ok(out.unsuccessful!.every((u) => typeof u.failureMessage === 'string' && u.failureMessage.length > 0));

  const list = await h.client.send(new ListRulesCommand(ids));
  assert.deepEqual(list.items!.map((r) => [r.name, r.priority]), [['two', 1], ['one', 2], ['three', 3], ['default', undefined]]);

  // A swap that depends on a failing update fails too: r3 cannot take 2 while r1 keeps it.
  const out2 = await h.client.send(new BatchUpdateRuleCommand({
    ...ids,
    rules: [
      { ruleIdentifier: r3.id, priority: 2 },
      { ruleIdentifier: r1.id, priority: 3, action: { forward: { targetGroups: [{ targetGroupIdentifier: 'tg-0123456789abcdef0' }] } } },
    ],
  }));
  assert.deepEqual(out2.successful, []);
  assert.deepEqual(out2.unsuccessful!.map((u) => [u.ruleIdentifier, u.failureCode]), [[r3.id, 'ConflictException'], [r1.id, 'ResourceNotFoundException']]);

  await assert.rejects(h.client.send(new BatchUpdateRuleCommand({ ...ids, rules: Array.from({ length: 6 }, () => ({ ruleIdentifier: r1.id, priority: 5 })) })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'rules')));
  await assert.rejects(h.client.send(new BatchUpdateRuleCommand({ serviceIdentifier: ids.serviceIdentifier, listenerIdentifier: 'listener-0123456789abcdef0', rules: [{ ruleIdentifier: r1.id, priority: 5 }] })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'LISTENER')));
});

test("another account can neither see nor change a listener's rules", async () => {
  const { svc, l, ids } = await listener();
  const r = await h.client.send(new CreateRuleCommand({ ...ids, name: 'mine', priority: 1, match: path('/'), action: fixed(200) }));
  const other = await h.newAccount();
  const arns = { serviceIdentifier: svc.arn!, listenerIdentifier: l.arn! };
  const asSvc = rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'SERVICE'));
  await assert.rejects(other.client.send(new GetRuleCommand({ ...arns, ruleIdentifier: r.arn })), asSvc);
  await assert.rejects(other.client.send(new ListRulesCommand(arns)), asSvc);
  await assert.rejects(other.client.send(new UpdateRuleCommand({ ...arns, ruleIdentifier: r.arn, priority: 9 })), asSvc);
  await assert.rejects(other.client.send(new DeleteRuleCommand({ ...arns, ruleIdentifier: r.arn })), asSvc);
  await assert.rejects(other.client.send(new BatchUpdateRuleCommand({ ...arns, rules: [{ ruleIdentifier: r.arn, priority: 9 }] })), asSvc);
  await assert.rejects(other.client.send(new CreateRuleCommand({ ...arns, name: 'theirs', priority: 2, match: path('/'), action: fixed(200) })), asSvc);
  const got = await h.client.send(new GetRuleCommand({ ...ids, ruleIdentifier: r.id }));
  assert.equal(got.priority, 1);
});
