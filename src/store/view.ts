// The store's content in memory, kept current by the change feed alone (writes flow
// API -> store -> feed -> here), with an index by ARN, one by owning account (records with an
// `account` field; built for a table the first time it is asked for, so tables nobody lists by
// account, like the millions of targets, carry none) and the declared secondary indexes
// (INDEXES), so the API reads a listener's rules or a target group's targets without scanning the
// Region. Each record gets the revision that last wrote it as `revision`. A bounded log of what
// the feed changed since the View loaded lets the compiler rebuild only what changed.
import type { Change, Json, Store } from './store.ts';

/**
 * The secondary indexes, in one place: `<table>.<name>` -> the path in a stored record to the
 * value(s) it is found by, mostly a parent's id; `*` steps into each element of an array (a rule is
 * found by every target group its action forwards to). A record without a string there is found by
 * none. Built at load and kept current by the change feed; `where` reads them.
 */
export const INDEXES = {
  'listener.serviceId': ['serviceId'],
  'listener.targetGroup': ['defaultAction', 'forward', 'targetGroups', '*', 'targetGroupIdentifier'],
  'rule.listenerId': ['listenerId'],
  'rule.serviceId': ['serviceId'],
  'rule.targetGroup': ['action', 'forward', 'targetGroups', '*', 'targetGroupIdentifier'],
  'target.tgId': ['tgId'],
  'tg.name': ['name'],
  'tg.vpcIdentifier': ['config', 'vpcIdentifier'],
  'snsa.serviceNetworkId': ['serviceNetworkId'],
  'snsa.serviceId': ['serviceId'],
  'snva.serviceNetworkId': ['serviceNetworkId'],
  'snva.vpcId': ['vpcId'],
  'snra.serviceNetworkId': ['serviceNetworkId'],
  'snra.resourceConfigurationId': ['resourceConfigurationId'],
  'als.resourceId': ['resourceId'],
  'rcfg.resourceConfigurationGroupId': ['resourceConfigurationGroupId'],
  'rcfg.resourceGatewayId': ['resourceGatewayId'],
  'rea.resourceConfigurationId': ['resourceConfigurationId'],
} as const satisfies Record<string, readonly string[]>;

export type IndexName = keyof typeof INDEXES;

/** The table an index lists records of. */
export const indexTable = (index: IndexName): string => index.slice(0, index.indexOf('.'));

const NO_KEYS: readonly string[] = [];

/** The values an index finds a record by (distinct, in path order). */
export function indexKeys(index: IndexName, value: Json | undefined): readonly string[] {
  const path = INDEXES[index];
  if (path.length === 1) {
    // The common case, a parent id field, without allocating a walk.
    const v = (value as { [k: string]: Json | undefined } | undefined)?.[path[0]];
    return typeof v === 'string' ? [v] : NO_KEYS;
  }
  let at: (Json | undefined)[] = [value];
  for (const step of path) {
    const next: (Json | undefined)[] = [];
    for (const v of at) {
      if (step === '*') { if (Array.isArray(v)) next.push(...v); }
      else if (v !== null && typeof v === 'object' && !Array.isArray(v)) next.push(v[step]);
    }
    at = next;
  }
  const keys = [...new Set(at.filter((v): v is string => typeof v === 'string'))];
  return keys.length > 0 ? keys : NO_KEYS;
}

const fieldOf = (value: Json | undefined, field: string): string | undefined => {
  const v = (value as { [k: string]: Json | undefined } | undefined)?.[field];
  return typeof v === 'string' ? v : undefined;
};

/**
 * One index: value -> id -> record, each group in the table's order. A group stays in that
 * order as records are created and deleted; only a record that joins a group by an update (an
 * action that now forwards to another target group) can land out of place, so such a group is
 * put back in table order the next time it is read.
 */
class SecondaryIndex {
  readonly #index: IndexName;
  /** The field, for an index of one (most are): updated without building key lists. */
  readonly #field: string | undefined;
  readonly #groups = new Map<string, Map<string, Json>>();
  readonly #outOfOrder = new Set<string>();

  constructor(index: IndexName) {
    this.#index = index;
    const path = INDEXES[index];
    this.#field = path.length === 1 ? path[0] : undefined;
  }

  /** Moves a record between groups; `old`/`rec` undefined when it did not / no longer exist(s). */
  update(id: string, old: Json | undefined, rec: Json | undefined): void {
    if (this.#field !== undefined) {
      const before = fieldOf(old, this.#field), after = fieldOf(rec, this.#field);
      if (before !== undefined && before !== after) this.#remove(before, id);
      if (after !== undefined) this.#add(after, id, rec!, old !== undefined && before !== after);
      return;
    }
    const before = indexKeys(this.#index, old);
    const after = indexKeys(this.#index, rec);
    for (const key of before) if (!after.includes(key)) this.#remove(key, id);
    for (const key of after) this.#add(key, id, rec!, old !== undefined && !before.includes(key));
  }

  /** `joins`: an existing record joins the group by an update, so it may land out of table order. */
  #add(key: string, id: string, rec: Json, joins: boolean): void {
    const group = this.#groups.get(key);
    if (!group) this.#groups.set(key, new Map([[id, rec]]));
    else {
      if (joins) this.#outOfOrder.add(key);
      group.set(id, rec);
    }
  }

  #remove(key: string, id: string): void {
    const group = this.#groups.get(key);
    if (!group) return;
    group.delete(id);
    if (group.size === 0) {
      this.#groups.delete(key);
      this.#outOfOrder.delete(key);
    }
  }

  size(key: string): number { return this.#groups.get(key)?.size ?? 0; }

  group(key: string, table: Map<string, Json> | undefined): Map<string, Json> | undefined {
    const group = this.#groups.get(key);
    if (!group || !this.#outOfOrder.has(key)) return group;
    const ordered = new Map<string, Json>();
    for (const [id, rec] of table ?? []) if (group.has(id)) ordered.set(id, rec);
    this.#groups.set(key, ordered);
    this.#outOfOrder.delete(key);
    return ordered;
  }
}

export interface ViewOptions {
  /** Build INDEXES at load (default) or only when first read. */
  indexes?: boolean;
}

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
  /** INDEXES by name, and by the table they list. */
  readonly #indexes = new Map<IndexName, SecondaryIndex>();
  readonly #indexesOf = new Map<string, SecondaryIndex[]>();
  /** table -> account -> id -> record, for records that have an `account`; tables asked for only. */
  readonly #byAccount = new Map<string, Map<string, Map<string, Json>>>();
  #revision = 0;
  /** table -> its changes since the View loaded (tables without any have no entry). */
  readonly #log = new Map<string, TableLog>();
  /** The revision the View loaded at: it knows nothing of changes at or before it. */
  #loadedAt = 0;

  /**
   * `indexes: false` (a process that serves no API, like a data-plane worker): INDEXES are not
   * built at load; each is built from its table the first time it is read, then kept current.
   */
  constructor(opts: ViewOptions = {}) {
    if (opts.indexes !== false) for (const name of Object.keys(INDEXES) as IndexName[]) this.#index(name);
  }

  static async open(store: Store, opts: ViewOptions = {}): Promise<{ view: View; stop: () => void }> {
    const state = new View(opts);
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
    const indexes = this.#indexesOf.get(tableName);
    if (value === undefined) {
      table.delete(id);
      if (indexes) for (const index of indexes) index.update(id, old as Json | undefined, undefined);
      return tableName;
    }
    // Map.set on an existing key keeps its place, so listings stay in creation order.
    const rec = { ...value, revision: c.revision };
    table.set(id, rec);
    if (indexes) for (const index of indexes) index.update(id, old as Json | undefined, rec);
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

  /** How many records of a table belong to an account. */
  ownedCount(table: string, account: string): number {
    return this.#accounts(table).get(account)?.size ?? 0;
  }

  /** [id, record] of the records an index finds by `key` (`where('rule.listenerId', id)`), in the table's order. */
  where<T>(index: IndexName, key: string): IterableIterator<[string, T]> {
    const group = this.#index(index).group(key, this.#tables.get(indexTable(index)));
    return (group ?? new Map()).entries() as IterableIterator<[string, T]>;
  }

  /** How many records an index finds by `key`. */
  count(index: IndexName, key: string): number {
    return this.#index(index).size(key);
  }

  /** An index, built from its table (in its order) if it is not yet, then kept current by #apply. */
  #index(name: IndexName): SecondaryIndex {
    let index = this.#indexes.get(name);
    if (index) return index;
    index = new SecondaryIndex(name);
    const table = indexTable(name);
    for (const [id, rec] of this.#tables.get(table) ?? []) index.update(id, undefined, rec);
    this.#indexes.set(name, index);
    this.#indexesOf.set(table, [...(this.#indexesOf.get(table) ?? []), index]);
    return index;
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
