// The embedded store: one SQLite file in WAL mode through node:sqlite. A commit is one
// transaction; once it returns, the write is in the WAL and survives the process being killed.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Change, Entry, Json, Store, Write } from './store.ts';

/** Schema migrations, applied in order; PRAGMA user_version records how many ran. */
const MIGRATIONS = [
  `CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, revision INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE changes (revision INTEGER NOT NULL, key TEXT NOT NULL, value TEXT);
   CREATE INDEX changes_revision ON changes (revision);
   CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   INSERT INTO meta VALUES ('revision', '0');`,
];

/** How many revisions of history the change table keeps for late watchers. */
const HISTORY = 10_000;

export interface SqliteOptions {
  /** 'full' also survives power loss (fsync per commit); 'normal' survives process crashes. */
  synchronous?: 'normal' | 'full';
}

export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #watchers = new Set<(changes: Change[]) => void>();
  #revision: number;
  readonly #put: StatementSync;
  readonly #del: StatementSync;
  readonly #log: StatementSync;
  readonly #setRevision: StatementSync;
  readonly #prune: StatementSync;

  constructor(path: string, options: SqliteOptions = {}) {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}; PRAGMA busy_timeout = 5000;`);
    migrate(this.#db);
    this.#revision = Number((this.#db.prepare(`SELECT value FROM meta WHERE name = 'revision'`).get() as { value: string }).value);
    this.#put = this.#db.prepare('INSERT INTO kv (key, value, revision) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision');
    this.#del = this.#db.prepare('DELETE FROM kv WHERE key = ?');
    this.#log = this.#db.prepare('INSERT INTO changes (revision, key, value) VALUES (?, ?, ?)');
    this.#setRevision = this.#db.prepare(`UPDATE meta SET value = ? WHERE name = 'revision'`);
    this.#prune = this.#db.prepare('DELETE FROM changes WHERE revision <= ?');
  }

  async load(prefix = ''): Promise<{ entries: Entry[]; revision: number }> {
    const rows = this.#db.prepare('SELECT key, value, revision FROM kv WHERE key >= ? AND key < ? ORDER BY revision, key')
      .all(prefix, prefix + '\uffff') as { key: string; value: string; revision: number }[];
    return { entries: rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as Json, revision: r.revision })), revision: this.#revision };
  }

  async commit(writes: Write[]): Promise<number> {
    if (writes.length === 0) return this.#revision;
    const revision = this.#revision + 1;
    const changes: Change[] = [];
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const w of writes) {
        if ('delete' in w) {
          this.#del.run(w.key);
          this.#log.run(revision, w.key, null);
          changes.push({ revision, key: w.key });
        } else {
          const text = JSON.stringify(w.value);
          this.#put.run(w.key, text, revision);
          this.#log.run(revision, w.key, text);
          changes.push({ revision, key: w.key, value: w.value });
        }
      }
      this.#setRevision.run(String(revision));
      if (revision % 1000 === 0) this.#prune.run(revision - HISTORY);
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
    this.#revision = revision;
    for (const w of this.#watchers) w(changes);
    return revision;
  }

  watch(fromRevision: number, onChanges: (changes: Change[]) => void): () => void {
    if (fromRevision < this.#revision) {
      const rows = this.#db.prepare('SELECT revision, key, value FROM changes WHERE revision > ? ORDER BY revision, rowid')
        .all(fromRevision) as { revision: number; key: string; value: string | null }[];
      if (rows.length > 0) onChanges(rows.map((r) => ({ revision: r.revision, key: r.key, value: r.value === null ? undefined : JSON.parse(r.value) as Json })));
    }
    this.#watchers.add(onChanges);
    return () => this.#watchers.delete(onChanges);
  }

  close(): void {
    this.#watchers.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

function migrate(db: DatabaseSync): void {
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.exec('BEGIN');
    try {
      db.exec(MIGRATIONS[i]);
      db.exec(`PRAGMA user_version = ${i + 1}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
