// The store's content in memory, kept current by the change feed alone (writes flow
// API -> store -> feed -> here), with an index by ARN and one by owning account (records with an
// `account` field). Each record gets the revision that last wrote it as `revision`.
import type { Change, Json, Store } from './store.ts';

export class View {
  /** table -> id -> record. Tables are the key's first segment ("svc", "listener", ...). */
  readonly #tables = new Map<string, Map<string, Json>>();
  readonly #byArn = new Map<string, string>();
  /** table -> account -> id -> record, for records that have an `account`. */
  readonly #byAccount = new Map<string, Map<string, Map<string, Json>>>();
  #revision = 0;

  static async open(store: Store): Promise<{ view: View; stop: () => void }> {
    const state = new View();
    const { entries, revision } = await store.load();
    for (const e of entries) state.#apply({ key: e.key, value: e.value, revision: e.revision });
    state.#revision = revision;
    const stop = store.watch(revision, (changes) => {
      for (const c of changes) state.#apply(c);
      state.#revision = changes[changes.length - 1].revision;
    });
    return { view: state, stop };
  }

  get revision(): number { return this.#revision; }

  #apply(c: Change): void {
    const slash = c.key.indexOf('/');
    const tableName = c.key.slice(0, slash);
    const id = c.key.slice(slash + 1);
    let table = this.#tables.get(tableName);
    if (!table) this.#tables.set(tableName, (table = new Map()));
    const old = table.get(id) as { arn?: string; account?: string } | undefined;
    if (old?.arn) this.#byArn.delete(old.arn);
    const value = c.value as { [k: string]: Json } | undefined;
    if (old?.account !== undefined && old.account !== value?.account) this.#accountIndex(tableName, old.account).delete(id);
    if (value === undefined) {
      table.delete(id);
      return;
    }
    // Map.set on an existing key keeps its place, so listings stay in creation order.
    const rec = { ...value, revision: c.revision };
    table.set(id, rec);
    if (typeof value.arn === 'string') this.#byArn.set(value.arn, c.key);
    if (typeof value.account === 'string') this.#accountIndex(tableName, value.account).set(id, rec);
  }

  #accountIndex(table: string, account: string): Map<string, Json> {
    let byAccount = this.#byAccount.get(table);
    if (!byAccount) this.#byAccount.set(table, (byAccount = new Map()));
    let records = byAccount.get(account);
    if (!records) byAccount.set(account, (records = new Map()));
    return records;
  }

  get<T>(table: string, id: string): T | undefined {
    return this.#tables.get(table)?.get(id) as T | undefined;
  }

  /** [id, record] of a table in creation order. */
  entries<T>(table: string): IterableIterator<[string, T]> {
    return (this.#tables.get(table) ?? new Map()).entries() as IterableIterator<[string, T]>;
  }

  /** [id, record] of a table that belong to an account, in creation order. */
  owned<T>(table: string, account: string): IterableIterator<[string, T]> {
    return (this.#byAccount.get(table)?.get(account) ?? new Map()).entries() as IterableIterator<[string, T]>;
  }

  /** Records of a table in creation order. */
  all<T>(table: string): IterableIterator<T> {
    return ((this.#tables.get(table) ?? new Map()).values()) as IterableIterator<T>;
  }

  /** The store key of the record with this ARN. */
  keyOfArn(arn: string): string | undefined {
    return this.#byArn.get(arn);
  }
}
