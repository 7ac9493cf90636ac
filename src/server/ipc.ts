// The messages between the primary of `trellis up --workers N` and its data-plane workers, over
// the IPC channel of child_process.fork (structured-clone serialization).
import type { Change } from '../store/store.ts';
import type { HealthVerdicts } from '../dataplane/healthmirror.ts';
import type { Limits } from '../dataplane/guard.ts';
import type { DataPlaneCounters } from '../observe/metrics.ts';
import type { S3Endpoint } from '../observe/destinations/s3.ts';

/** What a worker needs to know to serve (everything else it reads from the store). */
export interface WorkerConfig {
  /** 0 … N-1; its access log streams and spool folder are named w<index>. */
  index: number;
  dataDir: string;
  region: string;
  host: string;
  portOffset: number;
  dataPlaneLimits?: Partial<Limits>;
  firehoseEndpoints?: Record<string, string>;
  s3Endpoint?: S3Endpoint;
}

export type ToWorker =
  | { type: 'start'; config: WorkerConfig }
  /** Changes for the worker's watch `watch` (a replay first, then each commit). */
  | { type: 'changes'; watch: number; changes: Change[] }
  | { type: 'health'; verdicts: HealthVerdicts }
  /** Asks for the worker's counters; answered with `counters` and the same id. */
  | { type: 'counters?'; id: number }
  /** Stop: requests in progress get drainMs, access logs are flushed, then the process exits. */
  | { type: 'stop'; drainMs: number };

export type FromWorker =
  | { type: 'watch'; watch: number; from: number }
  | { type: 'unwatch'; watch: number }
  /** Listening with its first Snapshot. */
  | { type: 'ready'; revision: number }
  /** A later Snapshot is applied. */
  | { type: 'applied'; revision: number }
  | { type: 'counters'; id: number; counters: DataPlaneCounters }
  | { type: 'log'; line: string };
