// A read-only Store for a process that follows another one's SQLite store (the data-plane workers
// of `trellis up --workers N`): load() reads the same file, opened read-only, in one read
// transaction (WAL lets it run beside the primary's writes and see one consistent revision); the
// change feed comes from the primary (`upstream`, over IPC), which answers with its own
// store.watch: a replay from its change table, then every new commit. commit() rejects: all
// writes go through the primary.
import { DatabaseSync } from 'node:sqlite';
import type { Change, Entry, Json, Store, Write } from './store.ts';

/** Where a follower's changes come from: every commit after `fromRevision`, in order, until stopped. */
export type ChangeSource = (fromRevision: number, onChanges: (changes: Change[]) => void) => () => void;

interface Watcher { after: number; onChanges: (changes: Change[]) => void }

export class FollowerStore implements Store {
  readonly #db: DatabaseSync;
  readonly #upstream: ChangeSource;
  /** Local watchers that share the one upstream feed. */
  readonly #watchers = new Set<Watcher>();
  #stopUpstream: (() => void) | undefined;
  /** The revision of the last change the shared feed delivered (or where it started). */
  #seen = -1;
  readonly #extra = new Set<() => void>();

  constructor(path: string, upstream: ChangeSource) {
    // readOnly: no pragma, no migration, no journal-mode change; the primary created the file.
    this.#db = new DatabaseSync(path, { readOnly: true });
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#upstream = upstream;
  }

  async load(prefix = ''): Promise<{ entries: Entry[]; revision: number }> {
    this.#db.exec('BEGIN');
    try {
      const rows = this.#db.prepare('SELECT key, value, revision FROM kv WHERE key >= ? AND key < ? ORDER BY revision, key')
        .all(prefix, prefix + '\uffff') as { key: string; value: string; revision: number }[];
      const revision = Number((this.#db.prepare(`SELECT value FROM meta WHERE name = 'revision'`).get() as { value: string }).value);
      return { entries: rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as Json, revision: r.revision })), revision };
    } finally {
      this.#db.exec('COMMIT');
    }
  }

  commit(_writes: Write[]): Promise<number> {
    return Promise.reject(new Error('this store follows another process and is read-only: writes go through the primary'));
  }

  /**
   * The first watcher starts the shared upstream feed at its revision; a later one joins it when
   * the feed has not yet passed its revision (it skips what it already has), or gets a feed of
   * its own from the upstream's replay when the shared one already passed it.
   */
  watch(fromRevision: number, onChanges: (changes: Change[]) => void): () => void {
    if (this.#stopUpstream && fromRevision < this.#seen) {
      const stop = this.#upstream(fromRevision, onChanges);
      this.#extra.add(stop);
      return () => { stop(); this.#extra.delete(stop); };
    }
    const w: Watcher = { after: fromRevision, onChanges };
    this.#watchers.add(w);
    if (!this.#stopUpstream) {
      this.#seen = fromRevision;
      this.#stopUpstream = this.#upstream(fromRevision, (changes) => this.#deliver(changes));
    }
    return () => { this.#watchers.delete(w); };
  }

  #deliver(changes: Change[]): void {
    if (changes.length === 0) return;
    this.#seen = changes[changes.length - 1].revision;
    for (const w of this.#watchers) {
      if (changes[0].revision > w.after) w.onChanges(changes);
      else {
        const newer = changes.filter((c) => c.revision > w.after);
        if (newer.length > 0) w.onChanges(newer);
      }
    }
  }

  close(): void {
    this.#stopUpstream?.();
    this.#stopUpstream = undefined;
    for (const stop of this.#extra) stop();
    this.#extra.clear();
    this.#watchers.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}
