// Which subscriptions get a record: a service's see all its traffic, a network's only what came
// through that network, and SERVICE vs RESOURCE log types split service and resource traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouting, parseDestination, resourceRecipients, serviceRecipients } from '../../src/observe/subscriptions.ts';
import { bucket, logGroup, rcfgArn, snArn, stream, sub, svcArn } from './accesslog-helpers.ts';

const SVC_A = 'svc-0000000000000000a';
const SVC_B = 'svc-0000000000000000b';
const SN_1 = 'sn-00000000000000001';
const SN_2 = 'sn-00000000000000002';
const RCFG = 'rcfg-0000000000000001';

test('destinations by the ARN\'s service', () => {
  assert.deepEqual(parseDestination(logGroup('/aws/vpclattice/app')), {
    type: 'logs', arn: logGroup('/aws/vpclattice/app'), region: 'us-east-1', account: '111122223333', groupName: '/aws/vpclattice/app',
  });
  // The ":*" CloudWatch shows on log group ARNs names the same group.
  assert.equal((parseDestination(logGroup('app') + ':*') as { arn: string }).arn, logGroup('app'));
  assert.deepEqual(parseDestination(bucket('my-logs')), { type: 's3', arn: bucket('my-logs'), bucket: 'my-logs' });
  assert.deepEqual(parseDestination(stream('feed')), { type: 'firehose', arn: stream('feed'), region: 'us-east-1', account: '111122223333', streamName: 'feed' });
  assert.equal(parseDestination('arn:aws:sqs:us-east-1:111122223333:queue'), undefined);
});

test('service subscriptions see every request; network ones only their network\'s', () => {
  const onA = sub(SVC_A, svcArn(SVC_A), logGroup('a'));
  const onNet1 = sub(SN_1, snArn(SN_1), bucket('net-1'));
  const onNet1Explicit = sub(SN_1, snArn(SN_1), stream('net-1'), 'SERVICE');
  const onNet2 = sub(SN_2, snArn(SN_2), logGroup('net-2'));
  const routing = compileRouting([onA, onNet1, onNet1Explicit, onNet2]);
  const ids = (subs: { id: string }[]) => subs.map((s) => s.id).sort();

  // Service A reached through network 1: A's own and network 1's, not network 2's.
  assert.deepEqual(ids(serviceRecipients(routing, { serviceArn: svcArn(SVC_A), serviceNetworkArn: snArn(SN_1) })), ids([onA, onNet1, onNet1Explicit]));
  // The same service through network 2.
  assert.deepEqual(ids(serviceRecipients(routing, { serviceArn: svcArn(SVC_A), serviceNetworkArn: snArn(SN_2) })), ids([onA, onNet2]));
  // Service B (no subscription of its own) through network 2: only network 2's.
  assert.deepEqual(ids(serviceRecipients(routing, { serviceArn: svcArn(SVC_B), serviceNetworkArn: snArn(SN_2) })), ids([onNet2]));
  // Without a network (none known): only the service's.
  assert.deepEqual(ids(serviceRecipients(routing, { serviceArn: svcArn(SVC_A) })), ids([onA]));
  assert.deepEqual(serviceRecipients(routing, { serviceArn: svcArn(SVC_B) }), []);
  for (const s of routing.subscriptions) assert.equal(s.kind, 'service');
});

test('RESOURCE log type: network subscriptions that see resource connections only', () => {
  const netService = sub(SN_1, snArn(SN_1), logGroup('svc-traffic'), 'SERVICE');
  const netResource = sub(SN_1, snArn(SN_1), logGroup('rcfg-traffic'), 'RESOURCE');
  const onRcfg = sub(RCFG, rcfgArn(RCFG), bucket('rcfg'));
  const otherNet = sub(SN_2, snArn(SN_2), logGroup('other'), 'RESOURCE');
  const routing = compileRouting([netService, netResource, onRcfg, otherNet]);
  const ids = (subs: { id: string }[]) => subs.map((s) => s.id).sort();

  assert.deepEqual(ids(resourceRecipients(routing, { resourceConfigurationArn: rcfgArn(RCFG), serviceNetworkArn: snArn(SN_1) })), ids([netResource, onRcfg]));
  assert.deepEqual(ids(serviceRecipients(routing, { serviceArn: svcArn(SVC_A), serviceNetworkArn: snArn(SN_1) })), ids([netService]));
  assert.equal(routing.subscriptions.find((s) => s.id === netResource.id)?.kind, 'resource');
  assert.equal(routing.subscriptions.find((s) => s.id === onRcfg.id)?.kind, 'resource');
});

test('subscriptions Lattice could not deliver are skipped, with the reason', () => {
  const skipped: string[] = [];
  const routing = compileRouting([
    sub(SVC_A, svcArn(SVC_A), 'arn:aws:sqs:us-east-1:111122223333:q'),
    sub('tg-00000000000000001', 'arn:aws:vpc-lattice:us-east-1:111122223333:targetgroup/tg-00000000000000001', logGroup('x')),
  ], (rec, why) => skipped.push(`${rec.resourceId}: ${why}`));
  assert.equal(routing.subscriptions.length, 0);
  assert.equal(skipped.length, 2);
  assert.match(skipped[0], /not a log group, bucket or delivery stream/);
});

test('a subscription\'s queue key changes with its destination (UpdateAccessLogSubscription)', () => {
  const s = sub(SVC_A, svcArn(SVC_A), logGroup('one'));
  const before = compileRouting([s]).subscriptions[0].key;
  const after = compileRouting([{ ...s, destinationArn: logGroup('two') }]).subscriptions[0].key;
  assert.notEqual(before, after);
  assert.equal(compileRouting([s]).subscriptions[0].key, before);
});
