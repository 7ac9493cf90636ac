import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateServiceNetworkCommand, GetServiceNetworkCommand, ListServiceNetworksCommand, UpdateServiceNetworkCommand,
  DeleteServiceNetworkCommand, ConflictException, ResourceNotFoundException, ValidationException,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('service network lifecycle through the SDK', async () => {
  const created = await h.client.send(new CreateServiceNetworkCommand({ name: 'sn-lifecycle', tags: { team: 'a' } }));
  assert.match(created.id!, /^sn-[0-9a-z]{17}$/);
  assert.equal(created.arn, `arn:aws:vpc-lattice:us-east-1:${h.trellis.accountId}:servicenetwork/${created.id}`);
  assert.equal(created.authType, 'NONE');
  assert.equal(created.$metadata.httpStatusCode, 201);

  const byArn = await h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: created.arn }));
  assert.equal(byArn.id, created.id);
  assert.ok(byArn.createdAt instanceof Date);
  assert.equal(byArn.numberOfAssociatedServices, 0);

  const updated = await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: created.id, authType: 'AWS_IAM' }));
  assert.equal(updated.authType, 'AWS_IAM');

  const list = await h.client.send(new ListServiceNetworksCommand({}));
  assert.ok(list.items!.some((s) => s.id === created.id));

  const del = await h.client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: created.id }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  await assert.rejects(h.client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: created.id! })), (err: unknown) => {
    assert.ok(err instanceof ResourceNotFoundException);
    assert.equal(err.resourceId, created.id);
    assert.equal(err.resourceType, 'SERVICE_NETWORK');
    return true;
  });
});

test('duplicate names conflict; bad names fail validation with the field named', async () => {
  await h.client.send(new CreateServiceNetworkCommand({ name: 'sn-dup' }));
  await assert.rejects(h.client.send(new CreateServiceNetworkCommand({ name: 'sn-dup' })), ConflictException);
  await assert.rejects(h.client.send(new CreateServiceNetworkCommand({ name: 'Bad_Name' })), (err: unknown) => {
    assert.ok(err instanceof ValidationException);
    assert.equal(err.reason, 'fieldValidationFailed');
    assert.equal(err.fieldList?.[0].name, 'name');
    return true;
  });
});
