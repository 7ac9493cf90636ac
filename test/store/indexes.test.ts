import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View, indexKeys, type IndexName } from '../../src/store/view.ts';

async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-indexes-'));
  const store = new SqliteStore(join(dir, 'db'));
  return { dir, store, close: (stop: () => void) => { stop(); store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const ids = (view: View, index: IndexName, key: string) => [...view.where(index, key)].map(([id]) => id);

/** What `where` must equal: the table in its order, filtered by the index's keys. */
const scanned = (view: View, index: IndexName, table: string, key: string) =>
  [...view.entries<Record<string, unknown>>(table)].filter(([, r]) => indexKeys(index, r as never).includes(key)).map(([id]) => id);

test('where(): records by parent, in table order, kept current through puts, updates and deletes', async () => {
  const s = await open();
  await s.store.commit([
    { key: 'rule/r1', value: { listenerId: 'l1', serviceId: 's1' } },
    { key: 'rule/r2', value: { listenerId: 'l2', serviceId: 's1' } },
    { key: 'rule/r3', value: { listenerId: 'l1', serviceId: 's1' } },
  ]);
  const { view, stop } = await View.open(s.store);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l1'), ['r1', 'r3']);
  assert.deepEqual(ids(view, 'rule.serviceId', 's1'), ['r1', 'r2', 'r3']);

  // A new record goes last; an update that keeps its parent keeps its place and shows the new value.
  await s.store.commit([{ key: 'rule/r4', value: { listenerId: 'l1', serviceId: 's1' } }, { key: 'rule/r1', value: { listenerId: 'l1', serviceId: 's1', n: 2 } }]);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l1'), ['r1', 'r3', 'r4']);
  assert.equal(view.where<{ n?: number }>('rule.listenerId', 'l1').next().value![1].n, 2);

  // An update that moves a record to another parent: gone from the old group, in table order in the new.
  await s.store.commit([{ key: 'rule/r3', value: { listenerId: 'l2', serviceId: 's1' } }]);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l1'), ['r1', 'r4']);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l2'), ['r2', 'r3']);
  await s.store.commit([{ key: 'rule/r4', value: { listenerId: 'l2', serviceId: 's1' } }, { key: 'rule/r1', value: { listenerId: 'l2', serviceId: 's1' } }]);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l2'), ['r1', 'r2', 'r3', 'r4']);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l2'), scanned(view, 'rule.listenerId', 'rule', 'l2'));
  assert.deepEqual(ids(view, 'rule.listenerId', 'l1'), []);

  // Deletes; an id written again after its delete goes last, as in the table.
  await s.store.commit([{ key: 'rule/r2', delete: true }, { key: 'rule/r1', delete: true }]);
  await s.store.commit([{ key: 'rule/r1', value: { listenerId: 'l2', serviceId: 's2' } }]);
  assert.deepEqual(ids(view, 'rule.listenerId', 'l2'), ['r3', 'r4', 'r1']);
  assert.deepEqual(ids(view, 'rule.serviceId', 's1'), ['r3', 'r4']);
  assert.deepEqual(ids(view, 'rule.serviceId', 's2'), ['r1']);
  assert.deepEqual(ids(view, 'rule.listenerId', 'nothing'), []);
  assert.equal(view.count('rule.listenerId', 'l2'), 3);
  assert.equal(view.count('rule.listenerId', 'l1'), 0);
  s.close(stop);
});

test('where(): an index over an array finds a record by each value, and follows changes to the array', async () => {
  const s = await open();
  const forward = (...tgs: string[]) => ({ action: { forward: { targetGroups: tgs.map((t) => ({ targetGroupIdentifier: t, weight: 1 })) } } });
  await s.store.commit([
    { key: 'rule/a', value: forward('tg1', 'tg2') },
    { key: 'rule/b', value: forward('tg2') },
    { key: 'rule/c', value: { action: { fixedResponse: { statusCode: 404 } } } },
  ]);
  const { view, stop } = await View.open(s.store);
  assert.deepEqual(ids(view, 'rule.targetGroup', 'tg1'), ['a']);
  assert.deepEqual(ids(view, 'rule.targetGroup', 'tg2'), ['a', 'b']);
  // c starts forwarding to tg1 and tg2, a stops forwarding to tg2: every group stays in table order.
  await s.store.commit([{ key: 'rule/c', value: forward('tg2', 'tg1') }, { key: 'rule/a', value: forward('tg1') }]);
  await s.store.commit([{ key: 'rule/b', value: forward('tg1') }]);
  for (const tg of ['tg1', 'tg2']) assert.deepEqual(ids(view, 'rule.targetGroup', tg), scanned(view, 'rule.targetGroup', 'rule', tg));
  assert.deepEqual(ids(view, 'rule.targetGroup', 'tg1'), ['a', 'b', 'c']);
  assert.deepEqual(ids(view, 'rule.targetGroup', 'tg2'), ['c']);
  // A fixed response forwards nowhere: in no group.
  await s.store.commit([{ key: 'rule/c', value: { action: { fixedResponse: { statusCode: 503 } } } }]);
  assert.deepEqual(ids(view, 'rule.targetGroup', 'tg2'), []);
  assert.deepEqual(ids(view, 'rule.targetGroup', 'tg1'), ['a', 'b']);
  s.close(stop);
});

test('where(): a View opened again over the store (a restart) has the same groups as the one kept current', async () => {
  const s = await open();
  const first = await View.open(s.store);
  await s.store.commit(Array.from({ length: 50 }, (_, i) => ({ key: `target/tg${i % 5}/10.0.0.${i}:80`, value: { tgId: `tg${i % 5}` } })));
  await s.store.commit([{ key: 'target/tg1/10.0.0.1:80', delete: true }, { key: 'target/tg2/10.0.0.2:80', value: { tgId: 'tg2', drainingSince: 'now' } }]);
  const second = await View.open(s.store);
  for (let g = 0; g < 5; g++) {
    const key = `tg${g}`;
    // The reload orders the table by revision, so compare membership and check each against its table.
    assert.deepEqual(ids(second.view, 'target.tgId', key).sort(), ids(first.view, 'target.tgId', key).sort());
    assert.deepEqual(ids(second.view, 'target.tgId', key), scanned(second.view, 'target.tgId', 'target', key));
    assert.deepEqual(ids(first.view, 'target.tgId', key), scanned(first.view, 'target.tgId', 'target', key));
  }
  assert.equal(ids(first.view, 'target.tgId', 'tg1').length, 9);
  assert.equal([...second.view.where<{ drainingSince?: string }>('target.tgId', 'tg2')].find(([id]) => id === 'tg2/10.0.0.2:80')![1].drainingSince, 'now');
  first.stop();
  s.close(second.stop);
});

test('where(): a commit that fails (rolled back) changes no index', async () => {
  const s = await open();
  await s.store.commit([{ key: 'listener/l1', value: { serviceId: 's1' } }]);
  const { view, stop } = await View.open(s.store);
  // A value JSON cannot encode makes the transaction fail after its first write; SQLite rolls back.
  const bad = { serviceId: 's1', n: 1n } as never;
  await assert.rejects(s.store.commit([{ key: 'listener/l2', value: { serviceId: 's1' } }, { key: 'listener/l3', value: bad }]));
  assert.deepEqual(ids(view, 'listener.serviceId', 's1'), ['l1']);
  assert.equal(view.get('listener', 'l2'), undefined);
  s.close(stop);
});

test('indexKeys: a parent field, an array path, and records with nothing there', () => {
  assert.deepEqual(indexKeys('listener.serviceId', { serviceId: 's1' }), ['s1']);
  assert.deepEqual(indexKeys('listener.serviceId', { serviceId: 7 }), []);
  assert.deepEqual(indexKeys('listener.serviceId', undefined), []);
  const twice = { defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: 'a' }, { targetGroupIdentifier: 'b' }, { targetGroupIdentifier: 'a' }] } } };
  assert.deepEqual(indexKeys('listener.targetGroup', twice), ['a', 'b']);
  assert.deepEqual(indexKeys('listener.targetGroup', { defaultAction: { fixedResponse: { statusCode: 404 } } }), []);
  assert.deepEqual(indexKeys('listener.targetGroup', { defaultAction: { forward: { targetGroups: 'x' } } }), []);
  assert.deepEqual(indexKeys('tg.vpcIdentifier', { config: { vpcIdentifier: 'vpc-1' } }), ['vpc-1']);
  assert.deepEqual(indexKeys('tg.vpcIdentifier', { config: { lambdaEventStructureVersion: 'V2' } }), []);
});

test('ownedCount: the number of an account\'s records, kept current', async () => {
  const s = await open();
  await s.store.commit([{ key: 'tg/1', value: { account: 'A' } }, { key: 'tg/2', value: { account: 'B' } }]);
  const { view, stop } = await View.open(s.store);
  assert.equal(view.ownedCount('tg', 'A'), 1);
  await s.store.commit([{ key: 'tg/3', value: { account: 'A' } }, { key: 'tg/2', delete: true }]);
  assert.equal(view.ownedCount('tg', 'A'), 2);
  assert.equal(view.ownedCount('tg', 'B'), 0);
  assert.equal(view.ownedCount('none', 'A'), 0);
  s.close(stop);
});

test('indexes: false builds an index at its first read, from the table in its order, then keeps it current', async () => {
  const s = await open();
  await s.store.commit([{ key: 'target/b', value: { tgId: 'tg1' } }, { key: 'target/a', value: { tgId: 'tg1' } }, { key: 'target/c', value: { tgId: 'tg2' } }]);
  const { view, stop } = await View.open(s.store, { indexes: false });
  await s.store.commit([{ key: 'target/d', value: { tgId: 'tg1' } }]);
  assert.deepEqual(ids(view, 'target.tgId', 'tg1'), scanned(view, 'target.tgId', 'target', 'tg1'));
  assert.equal(view.count('target.tgId', 'tg1'), 3);
  await s.store.commit([{ key: 'target/e', value: { tgId: 'tg1' } }, { key: 'target/a', delete: true }]);
  assert.deepEqual(ids(view, 'target.tgId', 'tg1'), scanned(view, 'target.tgId', 'target', 'tg1'));
  assert.equal(view.count('target.tgId', 'tg1'), 3);
  s.close(stop);
});
