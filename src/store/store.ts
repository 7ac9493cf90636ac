// The one narrow interface between Trellis and where its state lives. Keys are strings, values are
// JSON documents; every commit is atomic and gets the next revision; a watcher sees every change
// after a revision, in order. SQLite (embedded) implements it today; etcd can implement it later
// without anything outside store/ changing.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export interface Entry { key: string; value: Json; revision: number }
export type Write = { key: string; value: Json } | { key: string; delete: true };
/** A change at a revision; `value` undefined means the key was deleted. */
export interface Change { revision: number; key: string; value?: Json }

export interface Store {
  /** All entries whose key starts with `prefix`, and the revision they reflect. */
  load(prefix?: string): Promise<{ entries: Entry[]; revision: number }>;
  /** Applies all writes atomically (or none) and resolves with the new revision once durable. */
  commit(writes: Write[]): Promise<number>;
  /** Calls `onChanges` with every commit after `fromRevision`, in order. Returns a stop function. */
  watch(fromRevision: number, onChanges: (changes: Change[]) => void): () => void;
  close(): void;
}
