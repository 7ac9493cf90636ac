// Store changes -> Snapshot, for the primary and for every data-plane worker alike: recompiled
// after each change, coalesced and one at a time (one Snapshot for a burst of commits, Snapshots
// applied in revision order). The applied Snapshot is the base of the next compile: what did not
// change since it is shared, not rebuilt.
import type { Store } from '../store/store.ts';
import type { View } from '../store/view.ts';
import { compile } from '../compile/compile.ts';
import type { Snapshot } from '../compile/snapshot.ts';

export interface CompileLoopOptions {
  store: Store;
  view: View;
  region: string;
  /** The Snapshot already applied (compiled at view.revision). */
  initial: Snapshot;
  /** Makes a new Snapshot live (data plane, health checker, …); the loop waits for it. */
  apply(next: Snapshot): Promise<void>;
  /**
   * After apply: compile + apply time, and the time from the first change it waited for
   * (undefined when none was pending).
   */
  applied?(next: Snapshot, applySeconds: number, feedLagSeconds: number | undefined): void;
  log(line: string): void;
}

export class CompileLoop {
  readonly #o: CompileLoopOptions;
  #snapshot: Snapshot;
  #compiling = false;
  #dirty = false;
  #pendingSince: number | undefined;
  readonly #stopWatch: () => void;
  #stopped = false;

  constructor(opts: CompileLoopOptions) {
    this.#o = opts;
    this.#snapshot = opts.initial;
    // Registered after the View's own watcher, so the View has the change when this one runs.
    this.#stopWatch = opts.store.watch(opts.view.revision, () => {
      this.#pendingSince ??= performance.now();
      void this.#recompile();
    });
    // Changes the View took in before this loop started watching.
    if (opts.view.revision !== opts.initial.revision) void this.#recompile();
  }

  /** The Snapshot applied last. */
  get snapshot(): Snapshot { return this.#snapshot; }

  async #recompile(): Promise<void> {
    if (this.#compiling) return void (this.#dirty = true);
    this.#compiling = true;
    const { view, region } = this.#o;
    try {
      do {
        this.#dirty = false;
        await new Promise<void>((r) => setImmediate(r));
        if (this.#stopped || view.revision === this.#snapshot.revision) continue;
        const t0 = performance.now();
        const next = compile(view, view.revision, region, this.#snapshot);
        await this.#o.apply(next);
        this.#snapshot = next;
        const lag = this.#pendingSince === undefined ? undefined : (performance.now() - this.#pendingSince) / 1000;
        this.#pendingSince = undefined;
        this.#o.applied?.(next, (performance.now() - t0) / 1000, lag);
      } while (this.#dirty);
    } catch (err) {
      this.#o.log(`compile failed: ${err instanceof Error ? err.stack : String(err)}`);
    } finally {
      this.#compiling = false;
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#stopWatch();
  }
}
