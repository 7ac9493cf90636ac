// Replies to UDP queries, kept by what decides them: the Snapshot revision, the client's address
// (which VPC asks) and the query's bytes after its ID (name, case, type, class, flags, EDNS). A hit
// is the stored reply with the query's ID: no decode, no encode. Bounded: cleared when full, and a
// new revision makes old entries unreachable (they go with the next clear).

export class ReplyCache {
  readonly #max: number;
  #entries = new Map<string, Buffer>();

  constructor(max = 10_000) {
    this.#max = max;
  }

  static key(revision: number, client: string, query: Buffer): string {
    return `${revision}|${client}|${query.toString('latin1', 2)}`;
  }

  /** The reply for `query` (a copy carrying its ID), if one is stored under `key`. */
  get(key: string, query: Buffer): Buffer | undefined {
    const stored = this.#entries.get(key);
    if (!stored) return undefined;
    const reply = Buffer.allocUnsafe(stored.length);
    stored.copy(reply);
    reply[0] = query[0];
    reply[1] = query[1];
    return reply;
  }

  set(key: string, reply: Buffer): void {
    if (this.#entries.size >= this.#max) this.#entries = new Map();
    this.#entries.set(key, reply);
  }
}
