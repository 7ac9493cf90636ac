// The follower store of a data-plane worker, against a real SqliteStore in a temporary folder: the
// change source is the primary store's own watch (in a worker it arrives over IPC).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { FollowerStore, type ChangeSource } from '../../src/store/follower.ts';
import { View } from '../../src/store/view.ts';
import type { Change } from '../../src/store/store.ts';

function setup(): { dir: string; path: string; primary: SqliteStore; asked: number[]; source: ChangeSource; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-follower-'));
  const path = join(dir, 'trellis.db');
  const primary = new SqliteStore(path);
  const asked: number[] = [];
  const source: ChangeSource = (from, onChanges) => {
    asked.push(from);
    return primary.watch(from, onChanges);
  };
  return { dir, path, primary, asked, source, close: () => { primary.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('load reads what the primary committed, at its revision; commit is refused and changes nothing', async () => {
  const s = setup();
  try {
    await s.primary.commit([{ key: 'svc/a', value: { name: 'a' } }, { key: 'svc/b', value: { name: 'b' } }]);
    await s.primary.commit([{ key: 'svc/b', delete: true }, { key: 'tg/x', value: { port: 80 } }]);
    const follower = new FollowerStore(s.path, s.source);
    assert.deepEqual(await follower.load(), await s.primary.load());
    assert.deepEqual((await follower.load('svc/')).entries.map((e) => e.key), ['svc/a']);
    const size = statSync(s.path).size;
    await assert.rejects(follower.commit([{ key: 'svc/c', value: {} }]), /read-only: writes go through the primary/);
    assert.equal((await s.primary.load()).revision, 2);
    assert.equal(statSync(s.path).size, size);
    follower.close();
    assert.throws(() => new FollowerStore(join(s.dir, 'missing.db'), s.source), 'a read-only store creates no file');
  } finally {
    s.close();
  }
});

test('watchers share one upstream feed from their revision; one behind the feed gets a replay of its own', async () => {
  const s = setup();
  try {
    await s.primary.commit([{ key: 'svc/a', value: { v: 1 } }]);
    const follower = new FollowerStore(s.path, s.source);
    const { view, stop } = await View.open(follower);
    assert.equal(view.revision, 1);
    const seen: Change[][] = [];
    follower.watch(1, (c) => seen.push(c));
    assert.deepEqual(s.asked, [1], 'the second watcher joined the first feed');
    await s.primary.commit([{ key: 'svc/a', value: { v: 2 } }]);
    await s.primary.commit([{ key: 'svc/a', delete: true }, { key: 'svc/b', value: { v: 3 } }]);
    assert.equal(view.revision, 3);
    assert.equal(view.get('svc', 'a'), undefined);
    assert.deepEqual(view.get('svc', 'b'), { v: 3, revision: 3 });
    assert.deepEqual(seen.map((c) => c.map((x) => x.revision)), [[2], [3, 3]]);
    // Ahead of the feed: joins it and skips what it has; behind it: a replay from the primary.
    const ahead: number[] = [];
    follower.watch(5, (c) => ahead.push(...c.map((x) => x.revision)));
    const behind: number[] = [];
    follower.watch(1, (c) => behind.push(...c.map((x) => x.revision)));
    assert.deepEqual(s.asked, [1, 1]);
    assert.deepEqual(behind, [2, 3, 3]);
    for (let i = 4; i <= 6; i++) await s.primary.commit([{ key: `svc/n${i}`, value: i }]);
    assert.deepEqual(ahead, [6]);
    assert.deepEqual(behind, [2, 3, 3, 4, 5, 6]);
    stop();
    follower.close();
  } finally {
    s.close();
  }
});
