// Which targets may receive requests, as the health checker (or a worker's mirror of it) keeps
// them: by target key, and read by the data plane one target group at a time, as flags by target
// index. At 2,000,000 targets a lookup per request in a set of every key missed the CPU's caches
// and TLB (40 MB of hash table); a target group's flags are one small array, rebuilt only after
// one of its own targets changed.
import type { TargetGroupPlan } from '../compile/snapshot.ts';

/** The target group id of a TargetPlan key ("<tgId>/<address>:<port>"). */
const groupOf = (key: string): string => key.slice(0, key.indexOf('/'));

export class RoutableTargets {
  readonly #keys = new Set<string>();
  /** Target group id -> how many times one of its targets changed (absent: never). */
  readonly #changes = new Map<string, number>();
  /** Bumped by clear(): every group's flags are stale then. */
  #epoch = 0;
  readonly #flags = new WeakMap<TargetGroupPlan, { epoch: number; changes: number; flags: Uint8Array }>();

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  set(key: string, routable: boolean): void {
    if (this.#keys.has(key) === routable) return;
    if (routable) this.#keys.add(key);
    else this.#keys.delete(key);
    const group = groupOf(key);
    this.#changes.set(group, (this.#changes.get(group) ?? 0) + 1);
  }

  /** A target group no Snapshot has any more: its change count goes (its keys went one by one). */
  forget(tgId: string): void {
    this.#changes.delete(tgId);
  }

  clear(): void {
    this.#keys.clear();
    this.#changes.clear();
    this.#epoch++;
  }

  keys(): string[] {
    return [...this.#keys];
  }

  get size(): number {
    return this.#keys.size;
  }

  /** Flags by index of tg.targets: 1 where that target is routable. Read-only for the caller. */
  in(tg: TargetGroupPlan): Uint8Array {
    const changes = this.#changes.get(tg.id) ?? 0;
    const known = this.#flags.get(tg);
    if (known && known.epoch === this.#epoch && known.changes === changes) return known.flags;
    const flags = new Uint8Array(tg.targets.length);
    for (let i = 0; i < flags.length; i++) flags[i] = this.#keys.has(tg.targets[i].key) ? 1 : 0;
    this.#flags.set(tg, { epoch: this.#epoch, changes, flags });
    return flags;
  }
}
