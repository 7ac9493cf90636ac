// The entry module of a data-plane worker process (forked by WorkerPool with an IPC channel). It
// lives only as long as that channel: when the primary goes, however it went, the worker stops
// serving and exits, so no worker outlives its primary.
import { startWorker, WorkerInbox, type Worker } from './worker.ts';
import type { FromWorker, ToWorker } from './ipc.ts';

/** Once the listeners are closed, how long requests in progress get when the primary is gone. */
const ORPHAN_DRAIN_MS = 1000;

if (!process.send) {
  console.error('trellis: this module is a data-plane worker; start Trellis with `trellis up --workers N`');
  process.exit(2);
}

const channel = {
  send(msg: FromWorker): void {
    if (process.connected) process.send!(msg, undefined, {}, () => {});
    else if (msg.type === 'log') console.error(msg.line);
  },
};
const inbox = new WorkerInbox();
let worker: Worker | undefined;
let exiting = false;

const exit = (drainMs: number, code: number) => {
  if (exiting) return;
  exiting = true;
  Promise.resolve(worker?.stop(drainMs))
    .catch((err: unknown) => console.error(`trellis worker: stop failed: ${String(err)}`))
    .finally(() => process.exit(code));
};

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'start') {
    startWorker(msg.config, channel, inbox).then((w) => { worker = w; }, (err: unknown) => {
      console.error(`trellis worker ${msg.config.index}: cannot start: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    });
  } else if (msg.type === 'stop') {
    exit(msg.drainMs, 0);
  } else {
    inbox.receive(msg);
  }
});
process.on('disconnect', () => exit(ORPHAN_DRAIN_MS, 0));
// The primary handles signals for the whole group (a terminal's Ctrl-C reaches every process).
process.on('SIGINT', () => {});
process.on('SIGTERM', () => exit(ORPHAN_DRAIN_MS, 0));
