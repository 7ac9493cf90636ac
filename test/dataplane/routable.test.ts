// RoutableTargets: the verdicts by key, and by target group as flags the data plane reads, which
// follow every change to one of the group's targets and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoutableTargets } from '../../src/dataplane/routable.ts';
import type { TargetGroupPlan } from '../../src/compile/snapshot.ts';

const group = (id: string, n: number) => ({ id, targets: Array.from({ length: n }, (_, i) => ({ key: `${id}/10.0.0.${i}:80` })) }) as unknown as TargetGroupPlan;

test('flags by target index follow the keys set, per group', () => {
  const r = new RoutableTargets();
  const a = group('tg-a', 4);
  const b = group('tg-b', 2);
  assert.deepEqual([...r.in(a)], [0, 0, 0, 0]);
  r.set('tg-a/10.0.0.1:80', true);
  r.set('tg-a/10.0.0.3:80', true);
  r.set('tg-b/10.0.0.0:80', true);
  assert.deepEqual([...r.in(a)], [0, 1, 0, 1]);
  assert.deepEqual([...r.in(b)], [1, 0]);
  const before = r.in(b);
  r.set('tg-a/10.0.0.1:80', false);
  assert.deepEqual([...r.in(a)], [0, 0, 0, 1]);
  assert.equal(r.in(b), before, "another group's change leaves b's flags as they were");
  r.set('tg-a/10.0.0.3:80', true); // no change
  assert.deepEqual([...r.in(a)], [0, 0, 0, 1]);
  assert.equal(r.has('tg-a/10.0.0.3:80'), true);
  assert.equal(r.has('tg-a/10.0.0.1:80'), false);
  assert.deepEqual(r.keys().sort(), ['tg-a/10.0.0.3:80', 'tg-b/10.0.0.0:80']);
  // A group that left the Snapshot: its keys went, then its count; a new plan of another group is unaffected.
  r.set('tg-b/10.0.0.0:80', false);
  r.forget('tg-b');
  assert.deepEqual([...r.in(group('tg-b', 2))], [0, 0]);
  assert.deepEqual([...r.in(a)], [0, 0, 0, 1]);
});

test('clear() forgets every verdict, and a new plan of a group (a new Snapshot) gets its own flags', () => {
  const r = new RoutableTargets();
  const a = group('tg-a', 3);
  r.set('tg-a/10.0.0.0:80', true);
  assert.deepEqual([...r.in(a)], [1, 0, 0]);
  r.clear();
  assert.equal(r.size, 0);
  assert.deepEqual([...r.in(a)], [0, 0, 0]);
  r.set('tg-a/10.0.0.2:80', true);
  const next = group('tg-a', 5); // the same group, more targets, another plan object
  assert.deepEqual([...r.in(next)], [0, 0, 1, 0, 0]);
  assert.deepEqual([...r.in(a)], [0, 0, 1]);
});
