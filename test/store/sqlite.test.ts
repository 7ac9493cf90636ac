import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Change, Json } from '../../src/store/store.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'trellis-store-'));

test('commits are atomic, revisioned and seen by watchers in order', async () => {
  const d = dir();
  const store = new SqliteStore(join(d, 'db'));
  const seen: Change[] = [];
  store.watch(0, (c) => seen.push(...c));
  assert.equal(await store.commit([{ key: 'a/1', value: { n: 1 } }, { key: 'a/2', value: { n: 2 } }]), 1);
  assert.equal(await store.commit([{ key: 'a/1', delete: true }]), 2);
  assert.deepEqual(seen.map((c) => [c.revision, c.key, c.value]), [[1, 'a/1', { n: 1 }], [1, 'a/2', { n: 2 }], [2, 'a/1', undefined]]);
  // A commit that fails half-way writes nothing and keeps the revision.
  await assert.rejects(store.commit([{ key: 'a/3', value: { ok: true } }, { key: 'a/4', value: { bad: 1n } as unknown as Json }]));
  const { entries, revision } = await store.load('a/');
  assert.equal(revision, 2);
  assert.deepEqual(entries.map((e) => e.key), ['a/2']);
  store.close();
  rmSync(d, { recursive: true });
});

test('a late watcher catches up from the change history; reopening keeps the revision and schema version', async () => {
  const d = dir();
  let store = new SqliteStore(join(d, 'db'));
  for (let i = 0; i < 5; i++) await store.commit([{ key: `k/${i}`, value: i }]);
  const caught: number[] = [];
  store.watch(3, (c) => caught.push(...c.map((x) => x.revision)));
  assert.deepEqual(caught, [4, 5]);
  store.close();
  store = new SqliteStore(join(d, 'db'));
  assert.equal((await store.load()).revision, 5);
  assert.equal(await store.commit([{ key: 'k/9', value: 9 }]), 6);
  store.close();
  const raw = new DatabaseSync(join(d, 'db'));
  assert.equal((raw.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, 1);
  assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
  raw.close();
  rmSync(d, { recursive: true });
});
