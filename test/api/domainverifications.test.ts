import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  StartDomainVerificationCommand, GetDomainVerificationCommand, ListDomainVerificationsCommand, DeleteDomainVerificationCommand,
  CreateResourceGatewayCommand, CreateResourceConfigurationCommand, GetResourceConfigurationCommand,
  ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function rejectsWith<E extends Error>(cls: new (...args: never[]) => E, check: (e: E) => void = () => {}) {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    check(err);
    return true;
  };
}
const notFound = (id: string) => rejectsWith(ResourceNotFoundException, (e) => {
  assert.equal(e.resourceType, 'DOMAIN_VERIFICATION');
  assert.equal(e.resourceId, id);
});

test('domain verification lifecycle: start, get, list, delete', async () => {
  const started = await h.client.send(new StartDomainVerificationCommand({ domainName: 'lifecycle.example.com', tags: { team: 'a' } }));
  assert.equal(started.$metadata.httpStatusCode, 201);
  assert.match(started.id!, /^dv-[0-9a-f]{17}$/);
  assert.equal(started.arn, `arn:aws:vpc-lattice:us-east-1:${h.trellis.accountId}:domainverification/${started.id}`);
  assert.equal(started.domainName, 'lifecycle.example.com');
  assert.equal(started.status, 'PENDING');
  assert.ok(started.txtMethodConfig);
  assert.ok(started.txtMethodConfig.name!.endsWith('.lifecycle.example.com'));
  assert.ok(started.txtMethodConfig.value!.length >= 16);

  for (const identifier of [started.id!, started.arn!, started.id!.toUpperCase().replace('DV-', 'dv-')]) {
    const got = await h.client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: identifier }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.equal(got.id, started.id);
    assert.equal(got.arn, started.arn);
    assert.equal(got.domainName, 'lifecycle.example.com');
    assert.equal(got.status, 'PENDING');
    assert.deepEqual(got.txtMethodConfig, started.txtMethodConfig);
    assert.ok(got.createdAt instanceof Date);
    assert.equal(got.lastVerifiedTime, undefined);
    assert.deepEqual(got.tags, { team: 'a' });
  }

  const list = await h.client.send(new ListDomainVerificationsCommand({}));
  const item = list.items!.find((d) => d.id === started.id);
  assert.ok(item);
  assert.equal(item.domainName, 'lifecycle.example.com');
  assert.equal(item.status, 'PENDING');
  assert.deepEqual(item.txtMethodConfig, started.txtMethodConfig);
  assert.deepEqual(item.tags, { team: 'a' });
  assert.ok(item.createdAt instanceof Date);

  const del = await h.client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: started.arn }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  await assert.rejects(h.client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: started.id })), notFound(started.id!));
  await assert.rejects(h.client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: started.id })), notFound(started.id!));
  assert.ok(!(await h.client.send(new ListDomainVerificationsCommand({}))).items!.some((d) => d.id === started.id));
});

test('each start gets its own TXT value; the same domain twice conflicts', async () => {
  const a = await h.client.send(new StartDomainVerificationCommand({ domainName: 'one.example.org' }));
  const b = await h.client.send(new StartDomainVerificationCommand({ domainName: 'two.example.org' }));
  assert.notEqual(a.txtMethodConfig!.value, b.txtMethodConfig!.value);
  for (const again of ['one.example.org', 'ONE.Example.org', 'one.example.org.']) {
    await assert.rejects(h.client.send(new StartDomainVerificationCommand({ domainName: again })),
      rejectsWith(ConflictException, (e) => { assert.equal(e.resourceType, 'DOMAIN_VERIFICATION'); assert.equal(e.resourceId, a.id); }));
  }
  // Once deleted, the domain can be verified again.
  await h.client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: a.id }));
  const c = await h.client.send(new StartDomainVerificationCommand({ domainName: 'one.example.org' }));
  assert.notEqual(c.id, a.id);
  for (const d of [b, c]) await h.client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: d.id }));
});

test('validation: domain names and identifiers', async () => {
  for (const bad of ['bad_domain.com', '-lead.example.com', 'a..b.com', `${'x'.repeat(64)}.com`, 'spa ce.com']) {
    await assert.rejects(h.client.send(new StartDomainVerificationCommand({ domainName: bad })),
      rejectsWith(ValidationException, (e) => { assert.equal(e.reason, 'fieldValidationFailed'); assert.equal(e.fieldList?.[0]?.name, 'domainName'); }), bad);
  }
  await assert.rejects(h.client.send(new StartDomainVerificationCommand({ domainName: 'ab' })),
    rejectsWith(ValidationException, (e) => assert.equal(e.fieldList?.[0]?.name, 'domainName')));
  await assert.rejects(h.client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: 'dv-xyz' })),
    rejectsWith(ValidationException, (e) => assert.equal(e.fieldList?.[0]?.name, 'domainVerificationIdentifier')));
  await assert.rejects(h.client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: 'dv-0123456789abcdef0' })), notFound('dv-0123456789abcdef0'));
  await assert.rejects(h.client.send(new ListDomainVerificationsCommand({ nextToken: 'not-a-token' })), rejectsWith(ValidationException));
});

test('ListDomainVerifications pages', async () => {
  const ids: string[] = [];
  for (const n of ['p1', 'p2', 'p3']) ids.push((await h.client.send(new StartDomainVerificationCommand({ domainName: `${n}.paging.example.com` }))).id!);
  const seen: string[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await h.client.send(new ListDomainVerificationsCommand({ maxResults: 2, nextToken }));
    assert.ok(page.items!.length <= 2);
    seen.push(...page.items!.map((d) => d.id!));
    nextToken = page.nextToken;
    pages++;
  } while (nextToken);
  assert.ok(pages >= 2);
  for (const id of ids) assert.ok(seen.includes(id));
  assert.equal(new Set(seen).size, seen.length);
  for (const id of ids) await h.client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: id }));
});

test('quota: five domain verifications per Region and account', async () => {
  const { client } = await h.newAccount();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await client.send(new StartDomainVerificationCommand({ domainName: `q${i}.quota.example.com` }))).id!);
  await assert.rejects(client.send(new StartDomainVerificationCommand({ domainName: 'q5.quota.example.com' })),
    rejectsWith(ServiceQuotaExceededException, (e) => {
      assert.equal(e.resourceType, 'DOMAIN_VERIFICATION');
      assert.equal(e.serviceCode, 'vpc-lattice');
      assert.equal(e.quotaCode, 'L-73D0F278');
    }));
  await client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: ids[0] }));
  await client.send(new StartDomainVerificationCommand({ domainName: 'q5.quota.example.com' }));
});

test('another account cannot see or delete a domain verification; the same domain is free there', async () => {
  const mine = await h.client.send(new StartDomainVerificationCommand({ domainName: 'shared.example.net' }));
  const { client } = await h.newAccount();
  await assert.rejects(client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: mine.id })), notFound(mine.id!));
  await assert.rejects(client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: mine.arn })), notFound(mine.arn!));
  await assert.rejects(client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: mine.id })), notFound(mine.id!));
  assert.deepEqual((await client.send(new ListDomainVerificationsCommand({}))).items, []);
  const theirs = await client.send(new StartDomainVerificationCommand({ domainName: 'shared.example.net' }));
  assert.notEqual(theirs.id, mine.id);
  assert.equal((await h.client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: mine.id }))).domainName, 'shared.example.net');
});

test('deleting a verification that a resource configuration uses is allowed; the configuration keeps its id', async () => {
  const dv = await h.client.send(new StartDomainVerificationCommand({ domainName: 'inuse.example.com' }));
  const gw = await h.client.send(new CreateResourceGatewayCommand({ name: 'dv-gw', vpcIdentifier: h.trellis.defaultVpcId, subnetIds: ['subnet-1'] }));
  const cfg = await h.client.send(new CreateResourceConfigurationCommand({
    name: 'dv-cfg', type: 'SINGLE', resourceGatewayIdentifier: gw.id, portRanges: ['443'], customDomainName: 'api.inuse.example.com', domainVerificationIdentifier: dv.id,
    resourceConfigurationDefinition: { ipResource: { ipAddress: '127.0.0.9' } },
  }));
  assert.equal((await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: cfg.id }))).domainVerificationStatus, 'PENDING');
  await h.client.send(new DeleteDomainVerificationCommand({ domainVerificationIdentifier: dv.id }));
  const after = await h.client.send(new GetResourceConfigurationCommand({ resourceConfigurationIdentifier: cfg.id }));
  assert.equal(after.domainVerificationId, dv.id);
  assert.equal(after.domainVerificationArn, dv.arn);
  assert.equal(after.domainVerificationStatus, undefined);
});
