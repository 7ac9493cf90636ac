// The composition root of one data-plane worker of `trellis up --workers N`: a follower store (the
// primary's SQLite file, read-only, and its change feed over IPC), the same View -> compile ->
// apply loop as the primary, and the serving stack on listener ports shared with the other
// workers (SO_REUSEPORT). Target health is the primary's verdicts, mirrored. It never writes to
// the store; it reports each Snapshot it applies, so the primary knows when a change is live.
import { join } from 'node:path';
import { FollowerStore, type ChangeSource } from '../store/follower.ts';
import { View } from '../store/view.ts';
import type { Change } from '../store/store.ts';
import { compile } from '../compile/compile.ts';
import { LocalCa } from '../dataplane/tls/ca.ts';
import { HealthMirror } from '../dataplane/healthmirror.ts';
import { CompileLoop } from './compileloop.ts';
import { startServing } from './serving.ts';
import type { FromWorker, ToWorker, WorkerConfig } from './ipc.ts';

/** The worker's end of the IPC channel. */
export interface PrimaryChannel {
  send(msg: FromWorker): void;
}

export interface Worker {
  /** Handles a message from the primary (`start` made the worker; `stop` is the process's business). */
  receive(msg: ToWorker): void;
  /** Stops serving (requests in progress get drainMs), flushes access logs, closes the store. */
  stop(drainMs: number): Promise<void>;
}

/**
 * The part of a worker that must exist before it starts: messages for watches and health come
 * while it is still loading.
 */
export class WorkerInbox {
  readonly mirror = new HealthMirror();
  readonly #watches = new Map<number, (changes: Change[]) => void>();
  #nextWatch = 0;
  #worker: Worker | undefined;

  /** A ChangeSource over the channel: each watch is the primary's store.watch, by id. */
  changeSource(channel: PrimaryChannel): ChangeSource {
    return (from, onChanges) => {
      const watch = ++this.#nextWatch;
      this.#watches.set(watch, onChanges);
      channel.send({ type: 'watch', watch, from });
      return () => {
        if (this.#watches.delete(watch)) channel.send({ type: 'unwatch', watch });
      };
    };
  }

  set worker(w: Worker) { this.#worker = w; }

  receive(msg: ToWorker): void {
    switch (msg.type) {
      case 'changes': return this.#watches.get(msg.watch)?.(msg.changes);
      case 'health': return this.mirror.apply(msg.verdicts);
      default: return this.#worker?.receive(msg);
    }
  }
}

export async function startWorker(config: WorkerConfig, channel: PrimaryChannel, inbox: WorkerInbox): Promise<Worker> {
  const log = (line: string) => channel.send({ type: 'log', line: `worker ${config.index}: ${line}` });
  const store = new FollowerStore(join(config.dataDir, 'trellis.db'), inbox.changeSource(channel));
  // No API here: secondary indexes are built only if something reads them.
  const { view, stop: stopView } = await View.open(store, { indexes: false });
  const ca = await LocalCa.open(config.dataDir);
  const initial = compile(view, view.revision, config.region);
  const serving = await startServing(initial, {
    dataDir: config.dataDir, region: config.region, host: config.host, portOffset: config.portOffset, view, ca,
    routableIn: (tg) => inbox.mirror.routableIn(tg), limits: config.dataPlaneLimits,
    firehoseEndpoints: config.firehoseEndpoints, s3Endpoint: config.s3Endpoint,
    instance: `w${config.index}`, reusePort: true, log,
  });
  const loop = new CompileLoop({
    store, view, region: config.region, initial, log,
    apply: (next) => serving.apply(next),
    applied: (next, seconds, lag) => {
      serving.metrics.snapshotApplied(next, seconds);
      if (lag !== undefined) serving.metrics.changeFeedLag(lag);
      channel.send({ type: 'applied', revision: next.revision });
    },
  });
  channel.send({ type: 'ready', revision: initial.revision });
  let stopping: Promise<void> | undefined;
  const worker: Worker = {
    receive(msg) {
      if (msg.type === 'counters?') channel.send({ type: 'counters', id: msg.id, counters: serving.metrics.counters() });
    },
    stop(drainMs) {
      stopping ??= (async () => {
        loop.stop();
        await serving.close(drainMs);
        stopView();
        store.close();
      })();
      return stopping;
    },
  };
  inbox.worker = worker;
  return worker;
}
