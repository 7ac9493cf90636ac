// compile(records, revision, region, previous): a compile that starts from the previous Snapshot
// must equal a full compile of the same records, while sharing what did not change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View } from '../../src/store/view.ts';
import type { Json, Write } from '../../src/store/store.ts';
import { compile } from '../../src/compile/compile.ts';
import type { Snapshot } from '../../src/compile/snapshot.ts';

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const arn = (r: string) => `arn:aws:vpc-lattice:${REGION}:${ACCOUNT}:${r}`;
const stamp = { account: ACCOUNT, createdAt: '2026-01-01T00:00:00.000Z', lastUpdatedAt: '2026-01-01T00:00:00.000Z' };

const svc = (id: string, authType = 'NONE') => ({ ...stamp, id, arn: arn(`service/${id}`), name: id, authType, status: 'ACTIVE', dnsEntry: { domainName: `${id}.example.on.aws`, hostedZoneId: 'Z1' }, idleTimeoutSeconds: 60 });
const forward = (...tgs: string[]) => ({ forward: { targetGroups: tgs.map((t) => ({ targetGroupIdentifier: t, weight: 1 })) } });
const listener = (id: string, serviceId: string, port: number, defaultAction: object) => ({ ...stamp, id, arn: arn(`service/${serviceId}/listener/${id}`), serviceId, name: id, protocol: 'HTTP', port, defaultAction, defaultRuleId: `${id}-default` });
const rule = (id: string, serviceId: string, listenerId: string, priority: number, prefix: string, action: object) => ({
  ...stamp, id, arn: arn(`service/${serviceId}/listener/${listenerId}/rule/${id}`), serviceId, listenerId, name: id, priority,
  match: { httpMatch: { pathMatch: { match: { prefix }, caseSensitive: false } } }, action,
});
const tg = (id: string, enabled = false) => ({
  ...stamp, id, arn: arn(`targetgroup/${id}`), name: id, type: 'IP', status: 'ACTIVE',
  config: { port: 8080, protocol: 'HTTP', protocolVersion: 'HTTP1', vpcIdentifier: 'vpc-1', ipAddressType: 'IPV4', healthCheck: { enabled, protocol: 'HTTP', protocolVersion: 'HTTP1', path: '/', healthCheckIntervalSeconds: 30, healthCheckTimeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2, matcher: { httpCode: '200' } } },
});
const target = (tgId: string, ip: string, extra: object = {}) => ({ id: `${tgId}/${ip}:8080`, tgId, account: ACCOUNT, targetId: ip, port: 8080, registeredAt: stamp.createdAt, ...extra });
const put = <T extends { id: string }>(table: string, rec: T): Write => ({ key: `${table}/${rec.id}`, value: rec as unknown as Json });
const del = (table: string, id: string): Write => ({ key: `${table}/${id}`, delete: true });

async function world() {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-compile-'));
  const store = new SqliteStore(join(dir, 'db'));
  const writes: Write[] = [
    put('vpc', { id: 'vpc-1', account: ACCOUNT, region: REGION, cidrBlocks: ['127.0.0.0/16'] } as never),
    put('sn', { ...stamp, id: 'sn-1', arn: arn('servicenetwork/sn-1'), name: 'net', authType: 'NONE', sharingConfig: { enabled: false } }),
    put('snva', { ...stamp, id: 'snva-1', arn: arn('servicenetworkvpcassociation/snva-1'), vpcId: 'vpc-1', serviceNetworkId: 'sn-1', securityGroupIds: [], status: 'ACTIVE', createdBy: ACCOUNT } as never),
  ];
  for (const s of ['a', 'b']) {
    writes.push(put('svc', svc(`svc-${s}`)), put('snsa', { ...stamp, id: `snsa-${s}`, arn: arn(`servicenetworkserviceassociation/snsa-${s}`), serviceId: `svc-${s}`, serviceNetworkId: 'sn-1', status: 'ACTIVE', createdBy: ACCOUNT } as never));
    for (let g = 0; g < 3; g++) {
      writes.push(put('tg', tg(`tg-${s}${g}`)));
      for (let i = 1; i <= 4; i++) writes.push(put('target', target(`tg-${s}${g}`, `127.1.${g}.${i}`)));
    }
    writes.push(put('listener', listener(`listener-${s}`, `svc-${s}`, 80, forward(`tg-${s}0`))));
    // A second listener whose default action is the only user of its target group.
    writes.push(put('tg', tg(`tg-${s}9`)), put('target', target(`tg-${s}9`, '127.1.9.9')), put('listener', listener(`listener-${s}2`, `svc-${s}`, 8080, forward(`tg-${s}9`))));
    for (let r = 0; r < 3; r++) writes.push(put('rule', rule(`rule-${s}${r}`, `svc-${s}`, `listener-${s}`, 10 - r, `/p${r}/`, forward(`tg-${s}${r}`, `tg-${s}${(r + 1) % 3}`))));
  }
  await store.commit(writes);
  const { view, stop } = await View.open(store);
  let snapshot = compile(view, view.revision, REGION);
  return {
    view,
    get snapshot() { return snapshot; },
    /** Commits, then compiles incrementally and fully; asserts they are equal; returns both. */
    async change(w: Write[]): Promise<{ before: Snapshot; next: Snapshot }> {
      await store.commit(w);
      const before = snapshot;
      const next = compile(view, view.revision, REGION, before);
      assert.deepStrictEqual(next, compile(view, view.revision, REGION));
      snapshot = next;
      return { before, next };
    },
    close() { stop(); store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

const keys = (s: Snapshot, tgId: string) => s.targetGroups.get(tgId)!.targets.map((t) => t.key);

test('a listener change keeps every target group, its targets and the other listeners\' rules', async () => {
  const w = await world();
  const l = w.view.get<ReturnType<typeof listener>>('listener', 'listener-a')!;
  const { before, next } = await w.change([put('listener', { ...l, defaultAction: { fixedResponse: { statusCode: 404 } } })]);
  for (const [id, plan] of next.targetGroups) if (id !== 'tg-a0') assert.equal(plan, before.targetGroups.get(id), id);
  // tg-a0 is still used by a rule, so it is kept too; its targets array in any case.
  assert.equal(next.targetGroups.get('tg-a0')!.targets, before.targetGroups.get('tg-a0')!.targets);
  const rules = (s: Snapshot, host: string) => s.ports.get(80)!.hosts.get(host)!.rules;
  assert.equal(rules(next, 'svc-a.example.on.aws'), rules(before, 'svc-a.example.on.aws'));
  assert.equal(rules(next, 'svc-b.example.on.aws'), rules(before, 'svc-b.example.on.aws'));
  assert.deepEqual(next.ports.get(80)!.hosts.get('svc-a.example.on.aws')!.defaultAction, { kind: 'fixed', statusCode: 404 });
  // Only the changed listener's port was patched; the other port is the previous one.
  assert.equal(next.ports.get(8080), before.ports.get(8080));
  // The same target groups are used: the whole map is shared.
  assert.equal(next.targetGroups, before.targetGroups);
  w.close();
});

test('a listener change that stops or starts using a target group updates inUse', async () => {
  const w = await world();
  const l = w.view.get<ReturnType<typeof listener>>('listener', 'listener-b2')!;
  let r = await w.change([put('listener', { ...l, defaultAction: { fixedResponse: { statusCode: 503 } } })]);
  assert.equal(r.next.targetGroups.get('tg-b9')!.inUse, false);
  assert.equal(r.next.targetGroups.get('tg-b9')!.targets, r.before.targetGroups.get('tg-b9')!.targets);
  assert.equal(r.next.targetGroups.get('tg-a9'), r.before.targetGroups.get('tg-a9'));
  r = await w.change([put('listener', { ...l, defaultAction: forward('tg-b9', 'tg-a9') })]);
  assert.equal(r.next.targetGroups.get('tg-b9')!.inUse, true);
  // A target change in the same span as a listener change.
  r = await w.change([put('listener', { ...l, defaultAction: forward('tg-a9') }), put('target', target('tg-b9', '127.1.9.10'))]);
  assert.equal(r.next.targetGroups.get('tg-b9')!.inUse, false);
  assert.equal(r.next.targetGroups.get('tg-b9')!.targets.length, 2);
  w.close();
});

test('target changes rebuild only their group, in the order a full compile gives', async () => {
  const w = await world();
  // Register two, deregister (drain) one, remove one.
  let r = await w.change([
    put('target', target('tg-a1', '127.1.1.9')), put('target', target('tg-a1', '127.1.1.8')),
    put('target', target('tg-a1', '127.1.1.2', { drainingSince: '2026-01-01T00:01:00.000Z' })),
    del('target', 'tg-a1/127.1.1.3:8080'),
  ]);
  assert.deepEqual(keys(r.next, 'tg-a1'), ['tg-a1/127.1.1.1:8080', 'tg-a1/127.1.1.2:8080', 'tg-a1/127.1.1.4:8080', 'tg-a1/127.1.1.9:8080', 'tg-a1/127.1.1.8:8080']);
  assert.equal(r.next.targetGroups.get('tg-a1')!.targets[1].drainingSince, '2026-01-01T00:01:00.000Z');
  // Unchanged targets of the group keep their plan objects; other groups keep everything.
  assert.equal(r.next.targetGroups.get('tg-a1')!.targets[0], r.before.targetGroups.get('tg-a1')!.targets[0]);
  assert.equal(r.next.targetGroups.get('tg-b2'), r.before.targetGroups.get('tg-b2'));
  // Removed and registered again: last in order, as the View's Map has it.
  await w.change([del('target', 'tg-a1/127.1.1.1:8080')]);
  r = await w.change([put('target', target('tg-a1', '127.1.1.1'))]);
  assert.deepEqual(keys(r.next, 'tg-a1').at(-1), 'tg-a1/127.1.1.1:8080');
  // Several changes between two compiles (coalesced commits), including a removed-then-added one.
  r = await w.change([del('target', 'tg-b0/127.1.0.2:8080'), put('target', target('tg-b0', '127.1.0.7'))]);
  assert.deepEqual(keys(r.next, 'tg-b0'), ['tg-b0/127.1.0.1:8080', 'tg-b0/127.1.0.3:8080', 'tg-b0/127.1.0.4:8080', 'tg-b0/127.1.0.7:8080']);
  w.close();
});

test('changes coalesced over several revisions equal a full compile', async () => {
  const w = await world();
  const base = w.snapshot;
  const commits: Write[][] = [
    [put('target', target('tg-a0', '127.1.0.1', { drainingSince: '2026-01-01T00:01:00.000Z' }))],
    [del('target', 'tg-a0/127.1.0.1:8080'), put('target', target('tg-a0', '127.1.0.5'))],
    [put('target', target('tg-a0', '127.1.0.1'))],
    [put('tg', tg('tg-c0')), put('target', target('tg-c0', '127.1.9.1'))],
    [put('rule', rule('rule-b1', 'svc-b', 'listener-b', 20, '/moved/', forward('tg-c0')))],
    [del('rule', 'rule-b2'), put('rule', rule('rule-b9', 'svc-b', 'listener-b', 1, '/new/', forward('tg-b2')))],
    [del('rule', 'rule-a1')], // only a removal: the listener's other rules are all unchanged
    [put('tg', tg('tg-b1', true))],
    [put('svc', svc('svc-a', 'AWS_IAM'))],
    [del('snsa', 'snsa-b')], // service b is no longer reachable from the VPC
    [put('vpc', { id: 'vpc-1', account: ACCOUNT, region: REGION, cidrBlocks: ['127.0.0.0/8'] })],
  ];
  // Each step is checked by change(); then one compile from the old base over all of them, as
  // when the server coalesces a burst of commits into one Snapshot.
  for (const c of commits) await w.change(c);
  const again = compile(w.view, w.view.revision, REGION, base);
  assert.deepStrictEqual(again, compile(w.view, w.view.revision, REGION));
  assert.deepEqual(keys(again, 'tg-a0'), ['tg-a0/127.1.0.2:8080', 'tg-a0/127.1.0.3:8080', 'tg-a0/127.1.0.4:8080', 'tg-a0/127.1.0.5:8080', 'tg-a0/127.1.0.1:8080']);
  assert.equal(again.targetGroups.get('tg-c0')!.inUse, true);
  w.close();
});

test('without a change log, or from another region, compile reads everything', async () => {
  const w = await world();
  const before = w.snapshot;
  // Records without changesSince (e.g. the policy simulator's): a full compile, still equal.
  const plain = { all: <T>(t: string) => w.view.all<T>(t) };
  const next = compile(plain, w.view.revision, REGION, before);
  assert.deepStrictEqual(next, compile(w.view, w.view.revision, REGION));
  assert.notEqual(next.targetGroups.get('tg-a0')!.targets, before.targetGroups.get('tg-a0')!.targets);
  // The View cannot tell what changed before it loaded.
  assert.equal(w.view.changesSince('target', w.view.revision - 1), undefined);
  assert.deepEqual(w.view.changesSince('target', w.view.revision), []);
  const other = compile(w.view, w.view.revision, 'eu-west-1', before);
  assert.equal(other.region, 'eu-west-1');
  assert.notEqual(other.targetGroups.get('tg-a0'), before.targetGroups.get('tg-a0'));
  w.close();
});
