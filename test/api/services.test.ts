import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateServiceCommand, GetServiceCommand, ListServicesCommand, UpdateServiceCommand, DeleteServiceCommand,
  CreateListenerCommand, CreateRuleCommand, CreateServiceNetworkCommand, CreateServiceNetworkServiceAssociationCommand,
  DeleteServiceNetworkServiceAssociationCommand, PutAuthPolicyCommand, GetAuthPolicyCommand, PutResourcePolicyCommand,
  GetResourcePolicyCommand, CreateAccessLogSubscriptionCommand, GetAccessLogSubscriptionCommand, ListTagsForResourceCommand,
  ConflictException, ResourceNotFoundException, ServiceQuotaExceededException, ValidationException,
} from '@aws-sdk/client-vpc-lattice';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';
import { join } from 'node:path';

let h: Harness;
before(async () => { h = await startHarness(); });

/** A real certificate in Trellis's ACM, for `names`, issued by a throwaway CA. */
async function importCertificate(names: string[]): Promise<string> {
  const ca = await LocalCa.open(join(h.dataDir, 'test-ca'));
  const leaf = await ca.issue(names);
  const acm = new ACMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey } });
  const out = await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(leaf.certPem), PrivateKey: Buffer.from(leaf.keyPem), CertificateChain: Buffer.from(ca.certPem) }));
  acm.destroy();
  return out.CertificateArn!;
}
after(async () => { await h.close(); });

const notFound = (id: string, type = 'SERVICE') => (err: unknown) => {
  assert.ok(err instanceof ResourceNotFoundException, String(err));
  assert.equal(err.resourceId, id);
  assert.equal(err.resourceType, type);
  return true;
};

test('CreateService returns the new service with its generated DNS entry and defaults', async () => {
  const created = await h.client.send(new CreateServiceCommand({ name: 'app-create', tags: { team: 'a' } }));
  assert.equal(created.$metadata.httpStatusCode, 201);
  assert.match(created.id!, /^svc-[0-9a-z]{17}$/);
  assert.equal(created.arn, `arn:aws:vpc-lattice:us-east-1:${h.trellis.accountId}:service/${created.id}`);
  assert.equal(created.name, 'app-create');
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.equal(created.authType, 'NONE');
  assert.equal(created.idleTimeoutSeconds, 60);
  assert.equal(created.customDomainName, undefined);
  assert.equal(created.certificateArn, undefined);
  // <name>-<id digits>.<7 hex>.vpc-lattice-svcs.<region>.on.aws
  const digits = created.id!.slice('svc-'.length);
  assert.match(created.dnsEntry!.domainName!, new RegExp(`^app-create-${digits}\\.[0-9a-f]{7}\\.vpc-lattice-svcs\\.us-east-1\\.on\\.aws$`));
  assert.match(created.dnsEntry!.hostedZoneId!, /^Z[0-9A-Z]+$/);

  const tags = await h.client.send(new ListTagsForResourceCommand({ resourceArn: created.arn }));
  assert.deepEqual(tags.tags, { team: 'a' });
});

test('GetService by id and by ARN; custom domain, certificate, auth type and idle timeout round-trip', async () => {
  const certificateArn = await importCertificate(['api.example.com']);
  const created = await h.client.send(new CreateServiceCommand({
    name: 'app-get', customDomainName: 'api.example.com', certificateArn, authType: 'AWS_IAM', idleTimeoutSeconds: 120,
  }));
  for (const identifier of [created.id!, created.arn!]) {
    const got = await h.client.send(new GetServiceCommand({ serviceIdentifier: identifier }));
    assert.equal(got.id, created.id);
    assert.equal(got.arn, created.arn);
    assert.equal(got.name, 'app-get');
    assert.equal(got.customDomainName, 'api.example.com');
    assert.equal(got.certificateArn, certificateArn);
    assert.equal(got.authType, 'AWS_IAM');
    assert.equal(got.idleTimeoutSeconds, 120);
    assert.deepEqual(got.dnsEntry, created.dnsEntry);
    assert.ok(got.status === 'CREATE_IN_PROGRESS' || got.status === 'ACTIVE', got.status);
    assert.ok(got.createdAt instanceof Date && got.lastUpdatedAt instanceof Date);
  }
  await assert.rejects(h.client.send(new GetServiceCommand({ serviceIdentifier: 'svc-0123456789abcdef0' })), notFound('svc-0123456789abcdef0'));
});

test('UpdateService changes certificate, auth type and idle timeout; the custom domain stays', async () => {
  const created = await h.client.send(new CreateServiceCommand({ name: 'app-update', customDomainName: 'up.example.com' }));
  const certificateArn = await importCertificate(['up.example.com']);
  const unknown = `arn:aws:acm:us-east-1:${h.trellis.accountId}:certificate/abcdef01-2345-6789-abcd-ef0123456789`;
  await assert.rejects(h.client.send(new UpdateServiceCommand({ serviceIdentifier: created.arn, certificateArn: unknown })), (err: unknown) => {
    assert.ok(err instanceof ValidationException);
    assert.equal(err.fieldList?.[0].name, 'certificateArn');
    return true;
  });
  await assert.rejects(h.client.send(new CreateServiceCommand({ name: 'bad-cert', certificateArn: unknown })), ValidationException);
  const updated = await h.client.send(new UpdateServiceCommand({ serviceIdentifier: created.arn, authType: 'AWS_IAM', idleTimeoutSeconds: 600, certificateArn }));
  assert.equal(updated.$metadata.httpStatusCode, 200);
  assert.equal(updated.id, created.id);
  assert.equal(updated.arn, created.arn);
  assert.equal(updated.name, 'app-update');
  assert.equal(updated.authType, 'AWS_IAM');
  assert.equal(updated.idleTimeoutSeconds, 600);
  assert.equal(updated.certificateArn, certificateArn);
  assert.equal(updated.customDomainName, 'up.example.com');

  // Members left out keep their values.
  const again = await h.client.send(new UpdateServiceCommand({ serviceIdentifier: created.id, authType: 'NONE' }));
  assert.equal(again.idleTimeoutSeconds, 600);
  assert.equal(again.certificateArn, certificateArn);
  const got = await h.client.send(new GetServiceCommand({ serviceIdentifier: created.id }));
  assert.equal(got.authType, 'NONE');
  assert.equal(got.idleTimeoutSeconds, 600);
  assert.ok(got.lastUpdatedAt!.getTime() >= got.createdAt!.getTime());

  await assert.rejects(h.client.send(new UpdateServiceCommand({ serviceIdentifier: created.id, idleTimeoutSeconds: 601 })), (err: unknown) => {
    assert.ok(err instanceof ValidationException);
    assert.equal(err.reason, 'fieldValidationFailed');
    assert.equal(err.fieldList?.[0].name, 'idleTimeoutSeconds');
    return true;
  });
  await assert.rejects(h.client.send(new UpdateServiceCommand({ serviceIdentifier: 'svc-0123456789abcdef0', authType: 'NONE' })), notFound('svc-0123456789abcdef0'));
});

test('service names are unique per account; names and idle timeouts are validated', async () => {
  const first = await h.client.send(new CreateServiceCommand({ name: 'app-dup' }));
  await assert.rejects(h.client.send(new CreateServiceCommand({ name: 'app-dup' })), (err: unknown) => {
    assert.ok(err instanceof ConflictException);
    assert.equal(err.resourceType, 'SERVICE');
    assert.equal(err.resourceId, first.id);
    return true;
  });
  // The svc- prefix is reserved; a-z, 0-9 and single inner hyphens only; 3-40 characters.
  for (const name of ['svc-reserved', 'Bad_Name', 'ab', 'trailing-', 'double--hyphen', 'a'.repeat(41)]) {
    await assert.rejects(h.client.send(new CreateServiceCommand({ name })), (err: unknown) => {
      assert.ok(err instanceof ValidationException, name);
      assert.equal(err.fieldList?.[0].name, 'name');
      return true;
    });
  }
  await assert.rejects(h.client.send(new CreateServiceCommand({ name: 'app-idle', idleTimeoutSeconds: 59 })), (err: unknown) => {
    assert.ok(err instanceof ValidationException);
    assert.equal(err.fieldList?.[0].name, 'idleTimeoutSeconds');
    return true;
  });
});

test('ListServices pages through ServiceSummary items', async () => {
  const { client } = await h.newAccount();
  const ids: string[] = [];
  for (const name of ['list-a', 'list-b', 'list-c']) ids.push((await client.send(new CreateServiceCommand({ name, customDomainName: `${name}.example.com` }))).id!);
  const page1 = await client.send(new ListServicesCommand({ maxResults: 2 }));
  assert.equal(page1.items!.length, 2);
  assert.ok(page1.nextToken);
  const page2 = await client.send(new ListServicesCommand({ maxResults: 2, nextToken: page1.nextToken }));
  assert.equal(page2.items!.length, 1);
  assert.equal(page2.nextToken, undefined);
  const items = [...page1.items!, ...page2.items!];
  assert.deepEqual(items.map((s) => s.id), ids);
  const first = items[0];
  assert.deepEqual(Object.keys(first).sort(), ['arn', 'createdAt', 'customDomainName', 'dnsEntry', 'id', 'lastUpdatedAt', 'name', 'status']);
  assert.equal(first.name, 'list-a');
  assert.equal(first.customDomainName, 'list-a.example.com');
  assert.match(first.dnsEntry!.domainName!, /^list-a-/);
  assert.ok(first.status === 'CREATE_IN_PROGRESS' || first.status === 'ACTIVE');
  await assert.rejects(client.send(new ListServicesCommand({ nextToken: 'not-a-token' })), ValidationException);
});

test('another account can neither see nor change a service, and may reuse its name', async () => {
  const mine = await h.client.send(new CreateServiceCommand({ name: 'app-private' }));
  const other = await h.newAccount();
  for (const identifier of [mine.id!, mine.arn!]) {
    await assert.rejects(other.client.send(new GetServiceCommand({ serviceIdentifier: identifier })), notFound(identifier));
    await assert.rejects(other.client.send(new UpdateServiceCommand({ serviceIdentifier: identifier, authType: 'AWS_IAM' })), notFound(identifier));
    await assert.rejects(other.client.send(new DeleteServiceCommand({ serviceIdentifier: identifier })), notFound(identifier));
  }
  const theirs = await other.client.send(new ListServicesCommand({}));
  assert.ok(!theirs.items!.some((s) => s.id === mine.id));
  const same = await other.client.send(new CreateServiceCommand({ name: 'app-private' }));
  assert.notEqual(same.id, mine.id);
  assert.notEqual(same.dnsEntry!.domainName, mine.dnsEntry!.domainName);
  const got = await h.client.send(new GetServiceCommand({ serviceIdentifier: mine.id }));
  assert.equal(got.authType, 'NONE');
});

test('the servicesPerRegion quota', async () => {
  const q = await startHarness({ quotas: { ...DEFAULT_QUOTAS, servicesPerRegion: 1 } });
  try {
    await q.client.send(new CreateServiceCommand({ name: 'quota-one' }));
    await assert.rejects(q.client.send(new CreateServiceCommand({ name: 'quota-two' })), (err: unknown) => {
      assert.ok(err instanceof ServiceQuotaExceededException);
      assert.equal(err.$metadata.httpStatusCode, 402);
      assert.equal(err.serviceCode, 'vpc-lattice');
      assert.equal(err.quotaCode, 'ServicesPerRegion');
      assert.equal(err.resourceType, 'SERVICE');
      return true;
    });
  } finally {
    await q.close();
  }
});

test('a service associated with a service network cannot be deleted', async () => {
  const svc = await h.client.send(new CreateServiceCommand({ name: 'app-associated' }));
  const sn = await h.client.send(new CreateServiceNetworkCommand({ name: 'sn-for-delete' }));
  const assoc = await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id }));
  await assert.rejects(h.client.send(new DeleteServiceCommand({ serviceIdentifier: svc.id })), (err: unknown) => {
    assert.ok(err instanceof ConflictException);
    assert.equal(err.resourceType, 'SERVICE');
    assert.equal(err.resourceId, svc.id);
    return true;
  });
  await h.client.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: assoc.id }));
  const del = await h.client.send(new DeleteServiceCommand({ serviceIdentifier: svc.id }));
  assert.equal(del.status, 'DELETE_IN_PROGRESS');
});

test('DeleteService removes the service with its listeners, rules, policies and log subscriptions', async () => {
  const svc = await h.client.send(new CreateServiceCommand({ name: 'app-delete', authType: 'AWS_IAM' }));
  const listener = await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'web', protocol: 'HTTP', defaultAction: { fixedResponse: { statusCode: 404 } },
  }));
  const rule = await h.client.send(new CreateRuleCommand({
    serviceIdentifier: svc.id, listenerIdentifier: listener.id, name: 'api', priority: 1,
    match: { httpMatch: { pathMatch: { match: { prefix: '/api' } } } }, action: { fixedResponse: { statusCode: 200 } },
  }));
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }] });
  await h.client.send(new PutAuthPolicyCommand({ resourceIdentifier: svc.id, policy }));
  const sharePolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'vpc-lattice:CreateServiceNetworkServiceAssociation', Resource: svc.arn }] });
  await h.client.send(new PutResourcePolicyCommand({ resourceArn: svc.arn, policy: sharePolicy }));
  const als = await h.client.send(new CreateAccessLogSubscriptionCommand({
    resourceIdentifier: svc.id, destinationArn: `arn:aws:logs:us-east-1:${h.trellis.accountId}:log-group:app-delete`,
  }));

  const del = await h.client.send(new DeleteServiceCommand({ serviceIdentifier: svc.arn }));
  assert.equal(del.$metadata.httpStatusCode, 200);
  assert.equal(del.id, svc.id);
  assert.equal(del.arn, svc.arn);
  assert.equal(del.name, 'app-delete');
  assert.equal(del.status, 'DELETE_IN_PROGRESS');

  await assert.rejects(h.client.send(new GetServiceCommand({ serviceIdentifier: svc.id })), notFound(svc.id!));
  await assert.rejects(h.client.send(new ListTagsForResourceCommand({ resourceArn: listener.arn })), ResourceNotFoundException);
  await assert.rejects(h.client.send(new ListTagsForResourceCommand({ resourceArn: rule.arn })), ResourceNotFoundException);
  await assert.rejects(h.client.send(new GetAuthPolicyCommand({ resourceIdentifier: svc.id })), ResourceNotFoundException);
  await assert.rejects(h.client.send(new GetResourcePolicyCommand({ resourceArn: svc.arn })), ResourceNotFoundException);
  await assert.rejects(h.client.send(new GetAccessLogSubscriptionCommand({ accessLogSubscriptionIdentifier: als.id })), ResourceNotFoundException);
  // The name is free again.
  await h.client.send(new CreateServiceCommand({ name: 'app-delete' }));
});
