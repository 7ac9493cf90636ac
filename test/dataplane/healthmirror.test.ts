// A worker's mirror of the health checker's verdicts must answer routable(key) exactly as the
// checker does, for every key, whatever the order of connect and changes: a real HealthChecker
// with real HTTP targets on 127.0.0.1, the feed batching its changes per event-loop turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Snapshot, TargetGroupPlan, TargetPlan } from '../../src/compile/snapshot.ts';
import { HealthChecker } from '../../src/dataplane/health.ts';
import { HealthFeed, HealthMirror, type HealthVerdicts } from '../../src/dataplane/healthmirror.ts';

const hc = { enabled: true, protocol: 'HTTP', protocolVersion: 'HTTP1', path: '/', healthCheckIntervalSeconds: 0.05, healthCheckTimeoutSeconds: 1, healthyThresholdCount: 2, unhealthyThresholdCount: 2, matcher: { httpCode: '200' } } as const;
const target = (tg: string, port: number): TargetPlan => ({ key: `${tg}/127.0.0.1:${port}`, id: '127.0.0.1', address: '127.0.0.1', port });
const group = (id: string, targets: TargetPlan[], over: Partial<TargetGroupPlan> = {}): TargetGroupPlan => ({
  id, arn: `arn:aws:vpc-lattice:us-east-1:111122223333:targetgroup/${id}`, account: '111122223333',
  type: 'IP', protocol: 'HTTP', protocolVersion: 'HTTP1', inUse: true, healthCheck: { ...hc }, targets, ...over,
});
let revision = 0;
const snapshot = (...groups: TargetGroupPlan[]): Snapshot => ({ revision: ++revision, region: 'us-east-1', ports: new Map(), targetGroups: new Map(groups.map((g) => [g.id, g])), names: new Map(), vpcs: [], vpcNetworks: new Map() });

async function server(status: () => number): Promise<{ port: number; close(): Promise<void> }> {
  const s = http.createServer((_req, res) => res.writeHead(status()).end());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { port: (s.address() as AddressInfo).port, close: () => new Promise((r) => { s.closeAllConnections(); s.close(() => r()); }) };
}

test('HealthMirror: unknown keys are not routable; a full message replaces, a batch updates', () => {
  const m = new HealthMirror();
  assert.equal(m.routable('tg/x'), false);
  m.apply({ full: true, routable: ['a', 'b'], notRoutable: [] });
  m.apply({ full: false, routable: ['c'], notRoutable: ['a'] });
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => m.routable(k)), [false, true, true, false]);
  m.apply({ full: true, routable: ['d'], notRoutable: [] });
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => m.routable(k)), [false, false, false, true]);
});

test('HealthFeed: mirrors connected early and late agree with the checker on every key, through changes and removals', async () => {
  let bStatus = 200;
  const a = await server(() => 200);
  const b = await server(() => bStatus);
  const checker = new HealthChecker();
  const early = new HealthMirror();
  const late = new HealthMirror();
  const batches: HealthVerdicts[] = [];
  let lateConnected = false;
  const feed = new HealthFeed(checker, (v) => {
    batches.push(v);
    early.apply(v);
    if (lateConnected) late.apply(v);
  });
  early.apply(feed.initial());
  const probed = group('tg-probed', [target('tg-probed', a.port), target('tg-probed', b.port)]);
  const fixed = group('tg-off', [target('tg-off', a.port)], { healthCheck: { ...hc, enabled: false } });
  const unused = group('tg-unused', [target('tg-unused', a.port)], { inUse: false });
  const keys = [probed, fixed, unused].flatMap((g) => g.targets.map((t) => t.key)).concat(['tg-never/127.0.0.1:1']);
  const agree = (m: HealthMirror) => assert.deepEqual(keys.map((k) => m.routable(k)), keys.map((k) => checker.routable(k)));
  const settled = async (want: (k: string) => boolean) => {
    for (let i = 0; i < 200 && !keys.every((k) => checker.routable(k) === want(k)); i++) await sleep(10);
    await new Promise((r) => setImmediate(r)); // the batch of the last change
  };
  try {
    checker.update(snapshot(probed, fixed, unused));
    // Same turn: the fixed verdicts are batched, not sent yet; a mirror connecting now gets them in the full set.
    assert.equal(batches.length, 0);
    late.apply(feed.initial());
    lateConnected = true;
    await settled((k) => k.startsWith('tg-probed/') || k.startsWith('tg-off/'));
    assert.equal(checker.routable(probed.targets[1].key), true);
    agree(early);
    agree(late);
    assert.ok(batches.length >= 2 && batches.length < 10, `changes come in batches: ${batches.length}`);

    bStatus = 500; // b fails its probes: UNHEALTHY after two
    await settled((k) => k === probed.targets[0].key || k.startsWith('tg-off/'));
    agree(early);
    agree(late);

    checker.update(snapshot(fixed)); // the probed and unused groups are gone: removals
    await new Promise((r) => setImmediate(r));
    assert.equal(early.routable(probed.targets[0].key), false);
    agree(early);
    agree(late);
  } finally {
    feed.close();
    checker.close();
    await a.close();
    await b.close();
  }
});
