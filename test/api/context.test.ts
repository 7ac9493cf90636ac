// Ctx.where: a View index with the request's own pending writes laid over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View } from '../../src/store/view.ts';
import type { Write } from '../../src/store/store.ts';
import { Ctx } from '../../src/api/lattice/context.ts';
import { DEFAULT_QUOTAS } from '../../src/api/lattice/quotas.ts';

const ACCOUNT = '111122223333';

async function open(seed: Write[]) {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-ctx-'));
  const store = new SqliteStore(join(dir, 'db'));
  if (seed.length) await store.commit(seed);
  const { view, stop } = await View.open(store);
  const ctx = () => new Ctx(view, { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accessKeyId: 'AKIATEST' }, 'us-east-1', DEFAULT_QUOTAS, view.revision);
  return { store, view, ctx, close: () => { stop(); store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

type Rule = { id: string; listenerId: string; n?: number };
const rule = (id: string, listenerId: string, n?: number): Write => ({ key: `rule/${id}`, value: { id, listenerId, account: ACCOUNT, ...(n !== undefined ? { n } : {}) } });
const ruleIds = (ctx: Ctx, listenerId: string) => [...ctx.where<Rule>('rule.listenerId', listenerId)].map((r) => r.id);

test('Ctx.where: stored records in order, with the request\'s puts, updates and deletes laid over them', async () => {
  const h = await open([rule('r1', 'l1'), rule('r2', 'l2'), rule('r3', 'l1'), rule('r4', 'l1')]);
  const ctx = h.ctx();
  assert.deepEqual(ruleIds(ctx, 'l1'), ['r1', 'r3', 'r4']);
  // A pending update in place, a pending delete, and a new record (last).
  ctx.put('rule', 'r3', { id: 'r3', listenerId: 'l1', account: ACCOUNT, n: 9 });
  ctx.del('rule', 'r1');
  ctx.put('rule', 'r5', { id: 'r5', listenerId: 'l1', account: ACCOUNT });
  ctx.put('rule', 'r6', { id: 'r6', listenerId: 'l2', account: ACCOUNT });
  assert.deepEqual(ruleIds(ctx, 'l1'), ['r3', 'r4', 'r5']);
  assert.equal([...ctx.where<Rule>('rule.listenerId', 'l1')][0].n, 9);
  assert.deepEqual(ruleIds(ctx, 'l2'), ['r2', 'r6']);
  // Moved to another parent in this request: gone from the old group, after the stored ones in the new.
  ctx.put('rule', 'r4', { id: 'r4', listenerId: 'l2', account: ACCOUNT });
  assert.deepEqual(ruleIds(ctx, 'l1'), ['r3', 'r5']);
  assert.deepEqual(ruleIds(ctx, 'l2'), ['r2', 'r6', 'r4']);
  // A record created and deleted in the same request is not there.
  ctx.del('rule', 'r5');
  assert.deepEqual(ruleIds(ctx, 'l1'), ['r3']);
  assert.equal(ctx.count('rule.listenerId', 'l2'), 3);
  assert.equal(h.ctx().count('rule.listenerId', 'l2'), 1);
  assert.deepEqual(ruleIds(ctx, 'l9'), []);
  // Nothing reached the View: another request sees the stored state.
  assert.deepEqual(ruleIds(h.ctx(), 'l1'), ['r1', 'r3', 'r4']);
  // Once committed, the View's index agrees with what the request saw.
  await h.store.commit(ctx.writes);
  assert.deepEqual(ruleIds(h.ctx(), 'l1'), ['r3']);
  assert.deepEqual(ruleIds(h.ctx(), 'l2'), ['r2', 'r4', 'r6']);
  h.close();
});

test('Ctx.where: a pending write elsewhere in the table does not disturb a group it is not in', async () => {
  const h = await open([rule('r1', 'l1'), rule('r2', 'l2')]);
  const ctx = h.ctx();
  ctx.put('rule', 'r2', { id: 'r2', listenerId: 'l2', account: ACCOUNT, n: 1 });
  ctx.put('listener', 'l1', { serviceId: 's1' });
  assert.deepEqual(ruleIds(ctx, 'l1'), ['r1']);
  assert.deepEqual([...ctx.where<{ serviceId: string }>('listener.serviceId', 's1')].length, 1);
  h.close();
});

test('Ctx.where over an array index: pending actions that start or stop forwarding to a target group', async () => {
  const forward = (...tgs: string[]) => ({ forward: { targetGroups: tgs.map((t) => ({ targetGroupIdentifier: t, weight: 1 })) } });
  const h = await open([
    { key: 'rule/a', value: { id: 'a', action: forward('tg1') } },
    { key: 'rule/b', value: { id: 'b', action: forward('tg1', 'tg2') } },
  ]);
  const ctx = h.ctx();
  ctx.put('rule', 'a', { id: 'a', action: forward('tg2') });
  ctx.put('rule', 'b', { id: 'b', action: forward('tg1', 'tg2') });
  const users = (tg: string) => [...ctx.where<{ id: string }>('rule.targetGroup', tg)].map((r) => r.id);
  assert.deepEqual(users('tg1'), ['b']);
  assert.deepEqual(users('tg2'), ['b', 'a']);
  h.close();
});

test('Ctx.ownedCount: the View\'s count, with the request\'s own creates and deletes', async () => {
  const tg = (id: string, account = ACCOUNT): Write => ({ key: `tg/${id}`, value: { id, account } });
  const h = await open([tg('t1'), tg('t2'), tg('t3', '444455556666')]);
  const ctx = h.ctx();
  assert.equal(ctx.ownedCount('tg'), 2);
  ctx.put('tg', 't4', { id: 't4', account: ACCOUNT });
  ctx.del('tg', 't1');
  ctx.put('tg', 't5', { id: 't5', account: '444455556666' });
  assert.equal(ctx.ownedCount('tg'), 2);
  ctx.del('tg', 't2');
  assert.equal(ctx.ownedCount('tg'), 1);
  assert.equal(ctx.ownedCount('svc'), 0);
  h.close();
});
