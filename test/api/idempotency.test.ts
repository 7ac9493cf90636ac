// clientToken idempotency, clock skew, pagination tokens and account isolation: rules that hold for
// every operation, shown here on service networks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  VPCLatticeClient, CreateServiceNetworkCommand, ListServiceNetworksCommand, GetServiceNetworkCommand, DeleteServiceNetworkCommand,
  ConflictException, ResourceNotFoundException, ValidationException, VPCLatticeServiceException, paginateListServiceNetworks,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { operations } from '../../src/api/lattice/operations.ts';
import { unimplemented } from '../../src/api/lattice/index.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('the same clientToken and input returns the same result; other input conflicts', async () => {
  const a = await h.client.send(new CreateServiceNetworkCommand({ name: 'idem-a', clientToken: 'token-1' }));
  const again = await h.client.send(new CreateServiceNetworkCommand({ name: 'idem-a', clientToken: 'token-1' }));
  assert.equal(again.id, a.id);
  assert.equal(again.arn, a.arn);
  await assert.rejects(h.client.send(new CreateServiceNetworkCommand({ name: 'idem-b', clientToken: 'token-1' })), ConflictException);
  // Without a token the SDK generates a fresh one, so a second create is a name conflict.
  await assert.rejects(h.client.send(new CreateServiceNetworkCommand({ name: 'idem-a' })), ConflictException);
  const list = await h.client.send(new ListServiceNetworksCommand({}));
  assert.equal(list.items!.filter((s) => s.name === 'idem-a').length, 1);
  assert.equal(list.items!.filter((s) => s.name === 'idem-b').length, 0);
});

test('pagination: maxResults pages through everything exactly once; a bad token is a ValidationException', async () => {
  for (let i = 0; i < 7; i++) await h.client.send(new CreateServiceNetworkCommand({ name: `page-${i}` }));
  const seen: string[] = [];
  for await (const page of paginateListServiceNetworks({ client: h.client, pageSize: 3 }, {})) {
    assert.ok(page.items!.length <= 3);
    seen.push(...page.items!.map((s) => s.name!));
  }
  assert.equal(new Set(seen).size, seen.length);
  for (let i = 0; i < 7; i++) assert.ok(seen.includes(`page-${i}`));
  await assert.rejects(h.client.send(new ListServiceNetworksCommand({ nextToken: 'bm90LWEtdG9rZW4' })), ValidationException);
  await assert.rejects(h.client.send(new ListServiceNetworksCommand({ maxResults: 101 })), ValidationException);
  await assert.rejects(h.client.send(new ListServiceNetworksCommand({ maxResults: 0 })), ValidationException);
});

test('a second account sees none of the first one\'s resources and can reuse its names', async () => {
  const mine = await h.client.send(new CreateServiceNetworkCommand({ name: 'shared-name' }));
  const other = await h.newAccount('222233334444');
  const theirs = await other.client.send(new CreateServiceNetworkCommand({ name: 'shared-name' }));
  assert.match(theirs.arn!, /:222233334444:servicenetwork\//);
  const theirList = await other.client.send(new ListServiceNetworksCommand({}));
  assert.deepEqual(theirList.items!.map((s) => s.id), [theirs.id]);
  for (const identifier of [mine.id!, mine.arn!]) {
    await assert.rejects(other.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: identifier })), ResourceNotFoundException);
    await assert.rejects(other.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: identifier })), ResourceNotFoundException);
  }
  assert.equal((await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: mine.id }))).name, 'shared-name');
  await assert.rejects(h.newAccount('222233334444'), /409/);
});

test('a request signed more than 5 minutes off is rejected as expired', async () => {
  const skewed = new VPCLatticeClient({
    endpoint: h.trellis.api, region: h.trellis.region, maxAttempts: 1, systemClockOffset: -10 * 60 * 1000,
    credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey },
  });
  await assert.rejects(skewed.send(new ListServiceNetworksCommand({})), (e: unknown) => {
    assert.ok(e instanceof VPCLatticeServiceException);
    assert.equal(e.name, 'InvalidSignatureException');
    assert.match(e.message, /Signature expired/);
    return true;
  });
  skewed.destroy();
});

test('every one of the 73 operations has a handler', () => {
  assert.equal(operations.length, 73);
  assert.deepEqual(unimplemented, []);
});
