import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand, CreateServiceNetworkCommand, GetServiceNetworkCommand,
  CreateServiceCommand, GetServiceCommand, CreateAccessLogSubscriptionCommand, ResourceNotFoundException, ValidationException,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';

let h: Harness;
let acct: string;
before(async () => { h = await startHarness(); acct = h.trellis.accountId; });
after(async () => { await h.close(); });

let n = 0;
const newNetwork = async (tags?: Record<string, string>) => h.client.send(new CreateServiceNetworkCommand({ name: `tag-net-${++n}`, tags }));
const tagsOf = async (arn: string) => (await h.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;

function rejectsWith<T extends Error>(cls: new (...a: never[]) => T, check: (err: T) => void) {
  return (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    check(err as T);
    return true;
  };
}

test('tags given at create time are listed; tag and untag change only the tags', async () => {
  const sn = await newNetwork({ team: 'a', env: 'dev' });
  const listed = await h.client.send(new ListTagsForResourceCommand({ resourceArn: sn.arn }));
  assert.equal(listed.$metadata.httpStatusCode, 200);
  assert.deepEqual(listed.tags, { team: 'a', env: 'dev' });
  const before = await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));

  const tagged = await h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { env: 'prod', owner: 'me@example.com', empty: '' } }));
  assert.equal(tagged.$metadata.httpStatusCode, 200);
  assert.deepEqual(await tagsOf(sn.arn!), { team: 'a', env: 'prod', owner: 'me@example.com', empty: '' });

  const untagged = await h.client.send(new UntagResourceCommand({ resourceArn: sn.arn, tagKeys: ['team', 'empty', 'not-there'] }));
  assert.equal(untagged.$metadata.httpStatusCode, 200);
  assert.deepEqual(await tagsOf(sn.arn!), { env: 'prod', owner: 'me@example.com' });

  // Every other field is as it was, lastUpdatedAt included.
  const after = await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
  assert.equal(after.name, before.name);
  assert.equal(after.authType, before.authType);
  assert.deepEqual(after.sharingConfig, before.sharingConfig);
  assert.equal(after.createdAt!.getTime(), before.createdAt!.getTime());
  assert.equal(after.lastUpdatedAt!.getTime(), before.lastUpdatedAt!.getTime());

  await h.client.send(new UntagResourceCommand({ resourceArn: sn.arn, tagKeys: ['env', 'owner'] }));
  assert.deepEqual(await tagsOf(sn.arn!), {});
});

test('any Lattice resource with an ARN can be tagged: services and access log subscriptions', async () => {
  const svc = await h.client.send(new CreateServiceCommand({ name: 'tag-svc' }));
  assert.deepEqual(await tagsOf(svc.arn!), {});
  const before = await h.client.send(new GetServiceCommand({ serviceIdentifier: svc.id }));
  await h.client.send(new TagResourceCommand({ resourceArn: svc.arn, tags: { app: 'orders' } }));
  assert.deepEqual(await tagsOf(svc.arn!), { app: 'orders' });
  const after = await h.client.send(new GetServiceCommand({ serviceIdentifier: svc.id }));
  // A status already shown as ACTIVE stays ACTIVE: a tag change is not a new deployment.
  if (before.status === 'ACTIVE') assert.equal(after.status, 'ACTIVE');
  assert.deepEqual(after.dnsEntry, before.dnsEntry);
  assert.equal(after.authType, before.authType);
  assert.equal(after.lastUpdatedAt!.getTime(), before.lastUpdatedAt!.getTime());

  const sn = await newNetwork();
  const als = await h.client.send(new CreateAccessLogSubscriptionCommand({
    resourceIdentifier: sn.id, destinationArn: `arn:aws:s3:::tag-bucket`, tags: { k: 'v' },
  }));
  await h.client.send(new TagResourceCommand({ resourceArn: als.arn, tags: { k2: 'v2' } }));
  assert.deepEqual(await tagsOf(als.arn!), { k: 'v', k2: 'v2' });
});

test('unknown ARNs are not found', async () => {
  const arn = `arn:aws:vpc-lattice:us-east-1:${acct}:servicenetwork/sn-0123456789abcdef0`;
  for (const send of [
    () => h.client.send(new ListTagsForResourceCommand({ resourceArn: arn })),
    () => h.client.send(new TagResourceCommand({ resourceArn: arn, tags: { a: 'b' } })),
    () => h.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a'] })),
  ]) {
    await assert.rejects(send(), rejectsWith(ResourceNotFoundException, (err) => {
      assert.equal(err.resourceId, arn);
      assert.equal(err.resourceType, 'SERVICE_NETWORK');
    }));
  }
  const listener = `arn:aws:vpc-lattice:us-east-1:${acct}:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0`;
  await assert.rejects(h.client.send(new ListTagsForResourceCommand({ resourceArn: listener })),
    rejectsWith(ResourceNotFoundException, (err) => assert.equal(err.resourceType, 'LISTENER')));
  // The right id under another path is not the same ARN.
  const sn = await newNetwork();
  const wrongRegion = sn.arn!.replace(':us-east-1:', ':eu-west-1:');
  await assert.rejects(h.client.send(new ListTagsForResourceCommand({ resourceArn: wrongRegion })), ResourceNotFoundException);
  // Not a vpc-lattice ARN: the shape's pattern.
  await assert.rejects(h.client.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:ec2:us-east-1:${acct}:vpc/vpc-12345678` })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'resourceArn')));
});

test('another account can neither read nor change the tags of my resources', async () => {
  const sn = await newNetwork({ secret: 'yes' });
  const other = await h.newAccount();
  for (const send of [
    () => other.client.send(new ListTagsForResourceCommand({ resourceArn: sn.arn })),
    () => other.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { secret: 'no' } })),
    () => other.client.send(new UntagResourceCommand({ resourceArn: sn.arn, tagKeys: ['secret'] })),
  ]) {
    await assert.rejects(send(), rejectsWith(ResourceNotFoundException, (err) => {
      assert.equal(err.resourceId, sn.arn);
      assert.equal(err.resourceType, 'SERVICE_NETWORK');
    }));
  }
  assert.deepEqual(await tagsOf(sn.arn!), { secret: 'yes' });
});

test('reserved keys, bad characters and the limit of 50 tags', async () => {
  const sn = await newNetwork({ keep: 'me' });
  const refused: Record<string, string>[] = [{ 'aws:owner': 'x' }, { 'AWS:Owner': 'x' }, { 'bad#key': 'x' }, { ok: 'bad value!' }];
  for (const tags of refused) {
    await assert.rejects(h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags })),
      rejectsWith(ValidationException, (err) => {
        assert.equal(err.reason, 'fieldValidationFailed');
        assert.equal(err.fieldList?.[0].name, 'tags');
      }), JSON.stringify(tags));
  }
  await assert.rejects(h.client.send(new UntagResourceCommand({ resourceArn: sn.arn, tagKeys: ['aws:cloudformation:stack-name'] })),
    rejectsWith(ValidationException, (err) => assert.equal(err.fieldList?.[0].name, 'tagKeys')));
  // Unicode letters, digits, spaces and + - = . _ : / @ are fine.
  await h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { 'Ключ 1': 'valeur é/+=.-_:@' } }));

  const many = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, `${i}`]));
  await h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: many })); // 2 + 48 = 50
  assert.equal(Object.keys((await tagsOf(sn.arn!))!).length, 50);
  // Replacing values of existing keys does not count.
  await h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { k0: 'new', keep: 'still' } }));
  await assert.rejects(h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { one: 'too many' } })),
    rejectsWith(ValidationException, (err) => {
      assert.equal(err.fieldList?.[0].name, 'tags');
      assert.match(err.message, /50/);
    }));
  const tags = (await tagsOf(sn.arn!))!;
  assert.equal(Object.keys(tags).length, 50);
  assert.equal(tags.k0, 'new');
  assert.equal(tags.one, undefined);

  // Shape limits: keys 1-128, values 0-256.
  await assert.rejects(h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { ['k'.repeat(129)]: 'v' } })), ValidationException);
  await assert.rejects(h.client.send(new TagResourceCommand({ resourceArn: sn.arn, tags: { k0: 'v'.repeat(257) } })), ValidationException);
});
