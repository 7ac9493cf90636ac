// The store's content in memory, kept current by the change feed alone (writes flow
// API -> store -> feed -> here), with an index by ARN and one by owning account (records with an
// `account` field; built for a table the first time it is asked for, so tables nobody lists by
// account, like the millions of targets, carry no second index). Each record gets the revision
// that last wrote it as `revision`. A bounded log of what the feed changed since the View loaded
// lets the compiler rebuild only what changed.
import type { Change, Json, Store } from './store.ts';

/** A write (`deleted` false) or delete of a record, as changesSince reports it. */
export interface RecordChange { readonly id: string; readonly deleted: boolean }

/** How many changes per table the log keeps; past that the older half is forgotten. */
const LOG_LIMIT = 100_000;

/** One table's changes in feed order (parallel arrays), and the revision before which it forgot. */
interface TableLog { revisions: number[]; changes: RecordChange[]; knownAfter: number }

export class View {
  /** table -> id -> record. Tables are the key's first segment ("svc", "listener", ...). */
  readonly #tables = new Map<string, Map<string, Json>>();
  readonly #byArn = new Map<string, string>();
  /** table -> account -> id -> record, for records that have an `account`; tables asked for only. */
  readonly #byAccount = new Map<string, Map<string, Map<string, Json>>>();
  #revision = 0;
  /** table -> its changes since the View loaded (tables without any have no entry). */
  readonly #log = new Map<string, TableLog>();
  /** The revision the View loaded at: it knows nothing of changes at or before it. */
  #loadedAt = 0;

  static async open(store: Store): Promise<{ view: View; stop: () => void }> {
    const state = new View();
    const { entries, revision } = await store.load();
    for (const e of entries) state.#apply({ key: e.key, value: e.value, revision: e.revision });
    state.#revision = revision;
    state.#loadedAt = revision;
    const stop = store.watch(revision, (changes) => {
      for (const c of changes) state.#logChange(state.#apply(c), c);
      state.#revision = changes[changes.length - 1].revision;
    });
    return { view: state, stop };
  }

  get revision(): number { return this.#revision; }

  /** Applies a change; returns its table name. */
  #apply(c: Change): string {
    const slash = c.key.indexOf('/');
    const tableName = c.key.slice(0, slash);
    const id = c.key.slice(slash + 1);
    let table = this.#tables.get(tableName);
    if (!table) this.#tables.set(tableName, (table = new Map()));
    const old = table.get(id) as { arn?: string; account?: string } | undefined;
    if (old?.arn) this.#byArn.delete(old.arn);
    const value = c.value as { [k: string]: Json } | undefined;
    const byAccount = this.#byAccount.get(tableName);
    if (byAccount && old?.account !== undefined && old.account !== value?.account) accountIndex(byAccount, old.account).delete(id);
    if (value === undefined) {
      table.delete(id);
      return tableName;
    }
    // Map.set on an existing key keeps its place, so listings stay in creation order.
    const rec = { ...value, revision: c.revision };
    table.set(id, rec);
    if (typeof value.arn === 'string') this.#byArn.set(value.arn, c.key);
    if (byAccount && typeof value.account === 'string') accountIndex(byAccount, value.account).set(id, rec);
    return tableName;
  }

  #logChange(tableName: string, c: Change): void {
    let log = this.#log.get(tableName);
    if (!log) this.#log.set(tableName, (log = { revisions: [], changes: [], knownAfter: this.#loadedAt }));
    log.revisions.push(c.revision);
    log.changes.push({ id: c.key.slice(tableName.length + 1), deleted: c.value === undefined });
    if (log.changes.length > LOG_LIMIT) {
      const cut = log.changes.length >> 1;
      log.knownAfter = log.revisions[cut - 1];
      log.revisions.splice(0, cut);
      log.changes.splice(0, cut);
    }
  }

  /** A table's account index, built from the table (in its order) on first use, then kept current. */
  #accounts(table: string): Map<string, Map<string, Json>> {
    let byAccount = this.#byAccount.get(table);
    if (!byAccount) {
      this.#byAccount.set(table, (byAccount = new Map()));
      for (const [id, rec] of this.#tables.get(table) ?? []) {
        const account = (rec as { account?: Json }).account;
        if (typeof account === 'string') accountIndex(byAccount, account).set(id, rec);
      }
    }
    return byAccount;
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
    return (this.#accounts(table).get(account) ?? new Map()).entries() as IterableIterator<[string, T]>;
  }

  /** Records of a table in creation order. */
  all<T>(table: string): IterableIterator<T> {
    return ((this.#tables.get(table) ?? new Map()).values()) as IterableIterator<T>;
  }

  /**
   * The writes and deletes of a table's records after `revision`, in the order the change feed
   * brought them (one id may appear several times); undefined when the View cannot tell, i.e.
   * `revision` is before it loaded or before the oldest change it still remembers.
   */
  changesSince(table: string, revision: number): readonly RecordChange[] | undefined {
    const log = this.#log.get(table);
    if (revision < (log ? log.knownAfter : this.#loadedAt)) return undefined;
    if (!log) return [];
    // The first change after `revision` (revisions only grow).
    let lo = 0, hi = log.revisions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (log.revisions[mid] <= revision) lo = mid + 1;
      else hi = mid;
    }
    return log.changes.slice(lo);
  }

  /** The store key of the record with this ARN. */
  keyOfArn(arn: string): string | undefined {
    return this.#byArn.get(arn);
  }
}

function accountIndex(byAccount: Map<string, Map<string, Json>>, account: string): Map<string, Json> {
  let records = byAccount.get(account);
  if (!records) byAccount.set(account, (records = new Map()));
  return records;
}
