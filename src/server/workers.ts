// The primary's side of `trellis up --workers N`: forks N data-plane worker processes (the same
// Node binary and flags), answers their store watches from its own store, sends them the health
// checker's verdicts, collects their counters for /metrics and the revision each has applied,
// restarts one that dies (with a backoff, so a crash loop does not spin) and stops them all.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Store } from '../store/store.ts';
import type { HealthChecker } from '../dataplane/health.ts';
import { HealthFeed } from '../dataplane/healthmirror.ts';
import type { DataPlaneCounters } from '../observe/metrics.ts';
import type { FromWorker, ToWorker, WorkerConfig } from './ipc.ts';

const ENTRY = fileURLToPath(new URL('./workermain.ts', import.meta.url));

export interface WorkerPoolOptions {
  count: number;
  config: Omit<WorkerConfig, 'index'>;
  store: Store;
  health: HealthChecker;
  /** Keeps the counters of a worker that exited (DataPlaneMetrics.absorb), so sums never go back. */
  absorb(counters: DataPlaneCounters): void;
  log(line: string): void;
  /** Restart delay after a crash: doubles from initialMs up to maxMs while crashes come quickly. */
  restart?: { initialMs?: number; maxMs?: number };
  /** How long a start may take before `trellis up` gives up (default 60 s). */
  startTimeoutMs?: number;
}

/** A worker slot: the process in it now (if any) and what it told the primary. */
interface Slot {
  readonly index: number;
  child?: ChildProcess;
  /** Listening (its first Snapshot applied). */
  ready: boolean;
  /** Revision of the Snapshot it applied last. */
  revision: number;
  readonly watches: Map<number, () => void>;
  /** Counters it sent last (used when it does not answer in time). */
  counters?: DataPlaneCounters;
  readonly pending: Map<number, (c: DataPlaneCounters | undefined) => void>;
  startedAt: number;
  restarts: number;
  backoffMs: number;
  timer?: NodeJS.Timeout;
}

/** A worker that lived this long before dying is restarted with the initial delay again. */
const STABLE_MS = 10_000;

export class WorkerPool {
  readonly #o: WorkerPoolOptions;
  readonly #slots: Slot[];
  readonly #feed: HealthFeed;
  #nextRequest = 0;
  #stopping = false;

  constructor(opts: WorkerPoolOptions) {
    this.#o = opts;
    const initialMs = opts.restart?.initialMs ?? 100;
    this.#slots = Array.from({ length: opts.count }, (_, index) => ({
      index, ready: false, revision: 0, watches: new Map(), pending: new Map(), startedAt: 0, restarts: 0, backoffMs: initialMs,
    }));
    this.#feed = new HealthFeed(opts.health, (verdicts) => {
      for (const s of this.#slots) if (s.child) this.#send(s.child, { type: 'health', verdicts });
    });
  }

  /** Forks every worker; resolves once all listen, rejects when one exits or times out first. */
  start(): Promise<void> {
    const started = this.#slots.map((slot) => new Promise<void>((resolve, reject) => {
      const child = this.#fork(slot);
      const timer = setTimeout(() => reject(new Error(`data-plane worker ${slot.index} did not start within ${(this.#o.startTimeoutMs ?? 60_000) / 1000} s`)), this.#o.startTimeoutMs ?? 60_000);
      const onMessage = (msg: FromWorker) => {
        if (msg.type !== 'ready') return;
        cleanup();
        resolve();
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`data-plane worker ${slot.index} exited before it was ready (${signal ?? `code ${code}`})`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    }));
    return Promise.all(started).then(() => undefined);
  }

  #fork(slot: Slot): ChildProcess {
    const child = fork(ENTRY, [], {
      execPath: process.execPath, execArgv: process.execArgv, serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.ready = false;
    slot.startedAt = Date.now();
    child.on('message', (msg: FromWorker) => this.#receive(slot, child, msg));
    child.once('exit', (code, signal) => this.#exited(slot, child, code, signal));
    // A worker that cannot be reached is treated as gone; its 'exit' follows.
    child.on('error', (err) => this.#o.log(`worker ${slot.index}: ${err.message}`));
    this.#send(child, { type: 'start', config: { ...this.#o.config, index: slot.index } });
    // Every verdict sent from here on follows this one on the same channel.
    this.#send(child, { type: 'health', verdicts: this.#feed.initial() });
    return child;
  }

  #send(child: ChildProcess, msg: ToWorker): void {
    if (child.connected) child.send(msg, undefined, {}, () => {});
  }

  #receive(slot: Slot, child: ChildProcess, msg: FromWorker): void {
    if (slot.child !== child) return;
    switch (msg.type) {
      case 'watch': {
        const stop = this.#o.store.watch(msg.from, (changes) => this.#send(child, { type: 'changes', watch: msg.watch, changes }));
        slot.watches.set(msg.watch, stop);
        return;
      }
      case 'unwatch':
        slot.watches.get(msg.watch)?.();
        slot.watches.delete(msg.watch);
        return;
      case 'ready':
        slot.ready = true;
        slot.revision = msg.revision;
        return;
      case 'applied':
        slot.revision = msg.revision;
        return;
      case 'counters':
        slot.counters = msg.counters;
        slot.pending.get(msg.id)?.(msg.counters);
        slot.pending.delete(msg.id);
        return;
      case 'log':
        return this.#o.log(msg.line);
    }
  }

  #exited(slot: Slot, child: ChildProcess, code: number | null, signal: string | null): void {
    if (slot.child !== child) return;
    for (const stop of slot.watches.values()) stop();
    slot.watches.clear();
    for (const answer of slot.pending.values()) answer(undefined);
    slot.pending.clear();
    if (slot.counters) this.#o.absorb(slot.counters);
    slot.counters = undefined;
    const wasReady = slot.ready;
    slot.child = undefined;
    slot.ready = false;
    if (this.#stopping || !wasReady) return; // a worker that never got ready fails start()
    if (Date.now() - slot.startedAt >= STABLE_MS) slot.backoffMs = this.#o.restart?.initialMs ?? 100;
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(slot.backoffMs * 2, this.#o.restart?.maxMs ?? 30_000);
    this.#o.log(`worker ${slot.index} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (this.#stopping) return;
      slot.restarts++;
      this.#fork(slot);
    }, delay);
  }

  /**
   * The lowest revision every listening worker has applied (undefined when none listens): a
   * change is live everywhere once this reaches it. A worker being restarted does not hold it
   * back; it starts from the store as it is then.
   */
  appliedRevision(): number | undefined {
    let min: number | undefined;
    for (const s of this.#slots) if (s.child && s.ready) min = min === undefined ? s.revision : Math.min(min, s.revision);
    return min;
  }

  /** Every listening worker's counters, asked for now; a worker that does not answer within timeoutMs counts with what it sent last. */
  async counters(timeoutMs = 500): Promise<DataPlaneCounters[]> {
    const asked = this.#slots.filter((s) => s.child && s.ready).map((slot) => new Promise<DataPlaneCounters | undefined>((resolve) => {
      const id = ++this.#nextRequest;
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        resolve(slot.counters);
      }, timeoutMs);
      slot.pending.set(id, (c) => {
        clearTimeout(timer);
        resolve(c);
      });
      this.#send(slot.child!, { type: 'counters?', id });
    }));
    return (await Promise.all(asked)).filter((c): c is DataPlaneCounters => c !== undefined);
  }

  /** Prometheus text for the workers themselves. */
  render(): string {
    const out = [
      '# HELP trellis_worker_up Whether a data-plane worker process is listening (trellis up --workers N).',
      '# TYPE trellis_worker_up gauge',
      ...this.#slots.map((s) => `trellis_worker_up{worker="${s.index}"} ${s.child && s.ready ? 1 : 0}`),
      '# HELP trellis_worker_restarts_total Data-plane worker processes started again after one exited.',
      '# TYPE trellis_worker_restarts_total counter',
      ...this.#slots.map((s) => `trellis_worker_restarts_total{worker="${s.index}"} ${s.restarts}`),
      '# HELP trellis_worker_snapshot_revision Store revision of the Snapshot each data-plane worker serves.',
      '# TYPE trellis_worker_snapshot_revision gauge',
      ...this.#slots.filter((s) => s.child && s.ready).map((s) => `trellis_worker_snapshot_revision{worker="${s.index}"} ${s.revision}`),
    ];
    return out.join('\n') + '\n';
  }

  /** The pids of the worker processes running now. */
  get pids(): number[] {
    return this.#slots.flatMap((s) => (s.child?.pid === undefined ? [] : [s.child.pid]));
  }

  /**
   * Stops every worker: each closes its listeners, gives requests in progress drainMs, flushes its
   * access logs and exits; one still running after drainMs + graceMs is killed.
   */
  async stop(drainMs: number, graceMs = 5000): Promise<void> {
    this.#stopping = true;
    this.#feed.close();
    const exits: Promise<void>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      const child = slot.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      exits.push(new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), drainMs + graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
      }));
      if (child.connected) this.#send(child, { type: 'stop', drainMs });
      else child.kill('SIGTERM');
    }
    await Promise.all(exits);
  }
}
