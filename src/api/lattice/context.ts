// What a handler sees: the caller, the current state (with its own pending writes laid over it),
// and the helpers every resource family shares: resolve an identifier, page a listing, check a
// quota, stamp a new record. Handlers only describe writes; the server commits them atomically.
import type { Json, Write } from '../../store/store.ts';
import { indexKeys, indexTable, type IndexName, type View } from '../../store/view.ts';
import { idOf, latticeArn, newId, parseArn } from '../../core/ids.ts';
import { notFound, quotaExceeded, validation } from '../../core/errors.ts';
import type { Quotas, QuotaName } from './quotas.ts';
import { QUOTA_CODES } from './quotas.ts';
import { checkTags } from './tags.ts';

/** Fields every stored Lattice resource has. */
export interface Base {
  id: string;
  arn: string;
  account: string;
  createdAt: string;
  lastUpdatedAt: string;
  tags?: Record<string, string>;
  /** The store revision that last wrote this record (set by the View, never stored). */
  revision?: number;
}

export interface Caller {
  accountId: string;
  arn: string;
  accessKeyId: string;
}

/** What the running system tells the API beyond the store: health verdicts and settings. */
export interface Runtime {
  /** The health checker's verdict for a target (store id `<tgId>/<id>:<port>`), if it has one. */
  targetHealth(targetKey: string): { status: 'INITIAL' | 'HEALTHY' | 'UNHEALTHY' | 'UNUSED' | 'UNAVAILABLE' | 'DRAINING'; reasonCode?: string } | undefined;
  deregistrationDelaySeconds: number;
}

export const NO_RUNTIME: Runtime = { targetHealth: () => undefined, deregistrationDelaySeconds: 0 };

export interface PageInput { maxResults?: number; nextToken?: string }

export class Ctx {
  readonly writes: Write[] = [];
  readonly #pending = new Map<string, Json | undefined>();
  readonly #pendingTables = new Set<string>();
  readonly state: View;
  readonly caller: Caller;
  readonly region: string;
  readonly quotas: Quotas;
  readonly now: Date;
  /** The revision the data plane has applied; records written at or before it are ACTIVE. */
  readonly appliedRevision: number;
  readonly runtime: Runtime;

  constructor(state: View, caller: Caller, region: string, quotas: Quotas, appliedRevision: number, runtime: Runtime = NO_RUNTIME, now = new Date()) {
    this.state = state;
    this.caller = caller;
    this.region = region;
    this.quotas = quotas;
    this.appliedRevision = appliedRevision;
    this.runtime = runtime;
    this.now = now;
  }

  get account(): string { return this.caller.accountId; }
  get timestamp(): string { return this.now.toISOString(); }

  get<T>(table: string, id: string): T | undefined {
    const key = `${table}/${id}`;
    if (this.#pending.has(key)) return this.#pending.get(key) as T | undefined;
    return this.state.get<T>(table, id);
  }

  /** Records of a table (with this request's pending writes), in creation order. */
  all<T>(table: string): Iterable<T> {
    return this.#overlay<T>(table, this.state.entries<T>(table), () => true);
  }

  /** Records of a table owned by the caller's account. */
  owned<T extends { account: string }>(table: string): Iterable<T> {
    return this.#overlay<T>(table, this.state.owned<T>(table, this.account), (r) => r.account === this.account);
  }

  /**
   * Records an index of the View finds by `key` (`where<RuleRecord>('rule.listenerId', id)`), with
   * this request's pending writes, in the table's order; a record this request created or moved
   * under `key` comes after the stored ones.
   */
  where<T>(index: IndexName, key: string): Iterable<T> {
    return this.#overlay<T>(indexTable(index), this.state.where<T>(index, key), (rec) => indexKeys(index, rec as Json).includes(key));
  }

  /** How many records `where(index, key)` finds, without visiting them when nothing is pending. */
  count(index: IndexName, key: string): number {
    if (!this.#pendingTables.has(indexTable(index))) return this.state.count(index, key);
    let n = 0;
    for (const _ of this.where(index, key)) n++;
    return n;
  }

  /** How many records of a table the caller's account owns (with this request's pending writes). */
  ownedCount(table: string): number {
    if (!this.#pendingTables.has(table)) return this.state.ownedCount(table, this.account);
    let n = 0;
    for (const _ of this.owned<{ account: string }>(table)) n++;
    return n;
  }

  /** Lays this request's pending writes over stored records; most requests have none to lay. */
  *#overlay<T>(table: string, stored: Iterable<[string, T]>, keep: (rec: T) => boolean): Iterable<T> {
    if (!this.#pendingTables.has(table)) {
      for (const [, rec] of stored) yield rec;
      return;
    }
    const prefix = table + '/';
    const seen = new Set<string>();
    for (const [id, rec] of stored) {
      const key = prefix + id;
      seen.add(key);
      if (!this.#pending.has(key)) yield rec;
      else {
        const p = this.#pending.get(key) as T | undefined;
        if (p !== undefined && keep(p)) yield p;
      }
    }
    for (const [key, value] of this.#pending) {
      if (value !== undefined && !seen.has(key) && key.startsWith(prefix) && keep(value as T)) yield value as T;
    }
  }

  put<T extends object>(table: string, id: string, value: T): T {
    const clean = JSON.parse(JSON.stringify(value, (k, v) => (k === 'revision' ? undefined : v))) as Json;
    this.#pending.set(`${table}/${id}`, clean);
    this.#pendingTables.add(table);
    this.writes.push({ key: `${table}/${id}`, value: clean });
    return value;
  }

  /** Deletes a record; deleting one that does not exist writes nothing. */
  del(table: string, id: string): void {
    if (this.get(table, id) === undefined) return;
    this.#pending.set(`${table}/${id}`, undefined);
    this.#pendingTables.add(table);
    this.writes.push({ key: `${table}/${id}`, delete: true });
  }

  arn(resource: string): string { return latticeArn(this.region, this.account, resource); }

  /** The common fields of a new record. */
  stamp(prefix: string, arnOf: (id: string) => string, tags?: Record<string, string>): Base {
    checkTags(tags);
    const id = newId(prefix);
    const now = this.timestamp;
    return { id, arn: arnOf(id), account: this.account, createdAt: now, lastUpdatedAt: now, ...(tags ? { tags } : {}) };
  }

  /**
   * Finds the caller's record for an identifier that is an id or an ARN. A record of another
   * account is reported as not found, exactly as one that does not exist.
   */
  resolve<T extends Base>(table: string, identifier: string, resourceType: string): T {
    const rec = this.get<T>(table, idOf(identifier));
    if (!rec || rec.account !== this.account || (identifier.startsWith('arn:') && rec.arn !== identifier)) {
      throw notFound(resourceType, identifier);
    }
    return rec;
  }

  /** Finds a record by its ARN (tags, resource policies). */
  byArn<T extends Base>(arn: string): { table: string; rec: T } | undefined {
    const key = this.state.keyOfArn(arn);
    if (!key) return undefined;
    const table = key.slice(0, key.indexOf('/'));
    const rec = this.get<T>(table, key.slice(table.length + 1));
    return rec && rec.account === this.account ? { table, rec } : undefined;
  }

  /** Throws ServiceQuotaExceededException when `count` already reaches the quota. */
  checkQuota(name: QuotaName, count: number, resourceType: string, resourceId?: string): void {
    const limit = this.quotas[name];
    if (count >= limit) {
      throw quotaExceeded(`You have reached the quota of ${limit} for ${name}.`, resourceType, QUOTA_CODES[name], resourceId);
    }
  }

  /**
   * Status as the API shows it: a create or update is IN_PROGRESS until the data plane has
   * applied the revision that wrote it, then ACTIVE.
   */
  status(rec: { status?: string; revision?: number }): string | undefined {
    const pending = rec.status === 'CREATE_IN_PROGRESS' || rec.status === 'UPDATE_IN_PROGRESS';
    if (pending && rec.revision !== undefined && rec.revision <= this.appliedRevision) return 'ACTIVE';
    return rec.status;
  }

  page<T, O>(items: Iterable<T & { id: string }>, input: PageInput, map: (item: T) => O): { items: O[]; nextToken?: string } {
    const max = input.maxResults ?? 100;
    let after: string | undefined;
    if (input.nextToken !== undefined) {
      after = decodeToken(input.nextToken);
      if (after === undefined) throw validation('The nextToken is not valid.', 'other', [{ name: 'nextToken', message: 'Invalid pagination token' }]);
    }
    const out: O[] = [];
    let skipping = after !== undefined;
    let last: string | undefined;
    for (const item of items) {
      if (skipping) {
        if (item.id === after) skipping = false;
        continue;
      }
      if (out.length === max) return { items: out, nextToken: encodeToken(last!) };
      out.push(map(item));
      last = item.id;
    }
    return { items: out };
  }
}

const TOKEN_PREFIX = 'trellis1:';
function encodeToken(id: string): string {
  return Buffer.from(TOKEN_PREFIX + id).toString('base64url');
}
function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  return text.startsWith(TOKEN_PREFIX) ? text.slice(TOKEN_PREFIX.length) : undefined;
}

/** Tags as the SDK returns them (absent when empty). */
export const tagsOut = (rec: Base): Record<string, string> | undefined => rec.tags;

export { parseArn };
