// Health verdicts across processes (`trellis up --workers N`): the primary's HealthChecker is the
// only prober; each worker routes by a mirror of its verdicts. The primary sends the routable set
// when a worker connects, then what changed, batched per event-loop turn. The mirror keeps only
// the routable keys, so a key it has not heard of is not routable: the checker's answer for a
// target it does not know (one in a Snapshot it has not applied yet, or removed).
import type { TargetGroupPlan } from '../compile/snapshot.ts';
import type { HealthChecker } from './health.ts';
import { RoutableTargets } from './routable.ts';

/** One message of the feed: with `full`, `routable` replaces everything the mirror knew. */
export interface HealthVerdicts {
  full: boolean;
  routable: string[];
  notRoutable: string[];
}

/** The worker's side: routable(key) answers as the primary's HealthChecker did when it last said. */
export class HealthMirror {
  readonly #routable = new RoutableTargets();

  routable(targetKey: string): boolean {
    return this.#routable.has(targetKey);
  }

  /** By index of tg.targets (1: routable), as the data plane asks (HealthChecker.routableIn). */
  routableIn(tg: TargetGroupPlan): Uint8Array {
    return this.#routable.in(tg);
  }

  apply(v: HealthVerdicts): void {
    if (v.full) this.#routable.clear();
    for (const key of v.notRoutable) this.#routable.set(key, false);
    for (const key of v.routable) this.#routable.set(key, true);
  }

  get size(): number { return this.#routable.size; }
}

/** The primary's side: the checker's changes, one batch per event-loop turn, to `send`. */
export class HealthFeed {
  readonly #checker: HealthChecker;
  readonly #send: (v: HealthVerdicts) => void;
  /** key -> routable now, for keys that changed since the last batch. */
  #pending = new Map<string, boolean>();
  #scheduled = false;
  readonly #unsubscribe: (() => void)[];

  constructor(checker: HealthChecker, send: (v: HealthVerdicts) => void) {
    this.#checker = checker;
    this.#send = send;
    this.#unsubscribe = [
      checker.onChange((key) => this.#changed(key, checker.routable(key))),
      checker.onRemove((key) => this.#changed(key, false)),
    ];
  }

  /** Everything a worker that connects now needs; batches sent later only repeat or update it. */
  initial(): HealthVerdicts {
    return { full: true, routable: this.#checker.routableKeys(), notRoutable: [] };
  }

  #changed(key: string, routable: boolean): void {
    this.#pending.set(key, routable);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    if (pending.size === 0) return;
    this.#pending = new Map();
    const v: HealthVerdicts = { full: false, routable: [], notRoutable: [] };
    for (const [key, ok] of pending) (ok ? v.routable : v.notRoutable).push(key);
    this.#send(v);
  }

  close(): void {
    for (const stop of this.#unsubscribe) stop();
    this.#pending.clear();
  }
}
