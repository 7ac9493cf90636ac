// node:http2 keeps each session's streams in a Map (id -> stream) and a Set (streams waiting for
// an id), with an insert and a delete per stream. A V8 Map or Set that keeps changing rehashes
// into a new table every few inserts, and the table it leaves keeps a link to its successor (for
// live iterators). Once one table of a long-lived session is in the old generation, that dead
// table keeps its successor alive in every scavenge, which keeps the next one and the streams
// each still lists: all promoted, until the next full collection, which starts the chain again
// from the table in use then. Measured here with a bare node:http2 server (h2load, 10 connections
// x 10 streams): ~4.5 MB promoted and a 7-9 ms pause per scavenge; with these tables instead,
// 0.16 MB survive and the pause is 0.4 ms. In Trellis, the pause per request fell ~5x.
//
// So each session's two collections are swapped for tables that allocate plain arrays only, with
// the same methods node:http2 calls on them (Node 24: get/set/delete/size/forEach on the Map,
// add/delete/size/forEach on the Set). Where a session does not hold what is expected there
// (another Node version), it is left as it is.
import type { Http2Session } from 'node:http2';
import { types } from 'node:util';

/** The session's state object (lib/internal/http2/core.js keeps it under Symbol('state')). */
interface SessionState {
  streams: unknown;
  pendingStreams: unknown;
}

/** Stream id -> stream: open addressing with linear probing, ids as int32 keys (0 is no stream). */
export class StreamTable<V> {
  #ids = new Int32Array(16);
  #values: (V | undefined)[] = new Array<V | undefined>(16).fill(undefined);
  #size = 0;

  get size(): number { return this.#size; }

  #slot(id: number): number {
    const mask = this.#ids.length - 1;
    // Stream ids grow by two (odd from clients, even from servers): consecutive ids, consecutive slots.
    let i = (id >>> 1) & mask;
    while (this.#ids[i] !== 0 && this.#ids[i] !== id) i = (i + 1) & mask;
    return i;
  }

  get(id: number): V | undefined {
    const i = this.#slot(id);
    return this.#ids[i] === id ? this.#values[i] : undefined;
  }

  set(id: number, value: V): this {
    if (!(id > 0 && id <= 0x7fffffff)) throw new RangeError(`not an HTTP/2 stream id: ${id}`);
    let i = this.#slot(id);
    if (this.#ids[i] !== id) {
      if ((this.#size + 1) * 2 > this.#ids.length) {
        this.#grow();
        i = this.#slot(id);
      }
      this.#ids[i] = id;
      this.#size++;
    }
    this.#values[i] = value;
    return this;
  }

  delete(id: number): boolean {
    let i = this.#slot(id);
    if (this.#ids[i] !== id) return false;
    // Backward-shift deletion: entries after it in its run move up, so no tombstones pile up.
    const mask = this.#ids.length - 1;
    for (let j = (i + 1) & mask; this.#ids[j] !== 0; j = (j + 1) & mask) {
      const home = (this.#ids[j] >>> 1) & mask;
      // Move j into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.#ids[i] = this.#ids[j];
        this.#values[i] = this.#values[j];
        i = j;
      }
    }
    this.#ids[i] = 0;
    this.#values[i] = undefined;
    this.#size--;
    return true;
  }

  /** Each entry present at the call, skipping those that fn deleted before their turn (as Map does). */
  forEach(fn: (value: V, id: number, table: this) => void): void {
    const ids: number[] = [];
    for (const id of this.#ids) if (id !== 0) ids.push(id);
    for (const id of ids.sort((a, b) => a - b)) {
      const v = this.get(id);
      if (v !== undefined) fn(v, id, this);
    }
  }

  #grow(): void {
    const ids = this.#ids;
    const values = this.#values;
    this.#ids = new Int32Array(ids.length * 2);
    this.#values = new Array<V | undefined>(ids.length * 2).fill(undefined);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === 0) continue;
      const j = this.#slot(ids[i]);
      this.#ids[j] = ids[i];
      this.#values[j] = values[i];
    }
  }
}

/** Streams waiting for an id: a few at a time (usually none), so an array. */
export class PendingStreams<T> {
  #items: T[] = [];

  get size(): number { return this.#items.length; }

  add(item: T): this {
    if (!this.#items.includes(item)) this.#items.push(item);
    return this;
  }

  delete(item: T): boolean {
    const i = this.#items.indexOf(item);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }

  forEach(fn: (item: T, same: T, set: this) => void): void {
    for (const item of [...this.#items]) if (this.#items.includes(item)) fn(item, item, this);
  }
}

/** Swaps the session's stream collections for the tables above, before it has any stream. */
export function untangleStreams(session: Http2Session): void {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state');
  const state = key === undefined ? undefined : (session as unknown as Record<symbol, SessionState | undefined>)[key];
  // Node's own SafeMap and SafeSet: Map and Set inside, without Map.prototype on their chain.
  if (!state || !types.isMap(state.streams) || !types.isSet(state.pendingStreams)) return;
  if ((state.streams as Map<unknown, unknown>).size !== 0 || (state.pendingStreams as Set<unknown>).size !== 0) return;
  state.streams = new StreamTable();
  state.pendingStreams = new PendingStreams();
}
