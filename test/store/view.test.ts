import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View } from '../../src/store/view.ts';

async function open() {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-view-'));
  const store = new SqliteStore(join(dir, 'db'));
  return { dir, store, close: (stop: () => void) => { stop(); store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('changesSince: the writes and deletes after a revision, in feed order; unknown before the View loaded', async () => {
  const s = await open();
  await s.store.commit([{ key: 't/a', value: { n: 1 } }]);
  const { view, stop } = await View.open(s.store);
  const loaded = view.revision;
  assert.deepEqual(view.changesSince('t', loaded), []);
  assert.equal(view.changesSince('t', loaded - 1), undefined);
  const r1 = await s.store.commit([{ key: 't/b', value: { n: 2 } }, { key: 'u/x', value: {} }]);
  const r2 = await s.store.commit([{ key: 't/a', delete: true }, { key: 't/b', value: { n: 3 } }]);
  assert.deepEqual(view.changesSince('t', loaded), [{ id: 'b', deleted: false }, { id: 'a', deleted: true }, { id: 'b', deleted: false }]);
  assert.deepEqual(view.changesSince('t', r1), [{ id: 'a', deleted: true }, { id: 'b', deleted: false }]);
  assert.deepEqual(view.changesSince('t', r2), []);
  assert.deepEqual(view.changesSince('u', loaded), [{ id: 'x', deleted: false }]);
  assert.deepEqual(view.changesSince('nothing', loaded), []);
  s.close(stop);
});

test('changesSince forgets the older half past its limit and then says so', async () => {
  const s = await open();
  const { view, stop } = await View.open(s.store);
  const r0 = view.revision;
  const r1 = await s.store.commit(Array.from({ length: 60_000 }, (_, i) => ({ key: `t/${i}`, value: i })));
  const r2 = await s.store.commit(Array.from({ length: 60_000 }, (_, i) => ({ key: `t/${i}`, value: -i })));
  assert.equal(view.changesSince('t', r0), undefined);
  // The cut fell inside the first commit's changes: from r1 on, everything is still known.
  assert.equal(view.changesSince('t', r1)!.length, 60_000);
  assert.deepEqual(view.changesSince('t', r2), []);
  s.close(stop);
});

test('owned(): the account index is built on first use and kept current after', async () => {
  const s = await open();
  await s.store.commit([{ key: 't/1', value: { account: 'A' } }, { key: 't/2', value: { account: 'B' } }, { key: 't/3', value: { account: 'A' } }]);
  const { view, stop } = await View.open(s.store);
  await s.store.commit([{ key: 't/4', value: { account: 'A' } }, { key: 't/5', value: {} }]);
  assert.deepEqual([...view.owned('t', 'A')].map(([id]) => id), ['1', '3', '4']);
  await s.store.commit([{ key: 't/6', value: { account: 'A' } }, { key: 't/1', delete: true }, { key: 't/3', value: { account: 'A', n: 1 } }]);
  assert.deepEqual([...view.owned<{ n?: number }>('t', 'A')].map(([id, r]) => [id, r.n]), [['3', 1], ['4', undefined], ['6', undefined]]);
  assert.deepEqual([...view.owned('t', 'B')].map(([id]) => id), ['2']);
  assert.deepEqual([...view.owned('none', 'A')], []);
  s.close(stop);
});
