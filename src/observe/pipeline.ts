// The access log pipeline the rest of Trellis uses: the data plane calls emit() once per request
// (emitResource() per resource connection); update() follows the subscriptions of each new
// Snapshot; stats() feeds /metrics; close() flushes on shutdown.
//
// emit never throws and never blocks: two map lookups, and when some subscription wants the
// record, an array push per subscription of its JSON line (serviceAccessLogLine). Everything else (batching,
// file and network I/O, spooling to disk, retries) happens later, in delivery.ts and the sinks.
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeliveryQueue, type Sink } from './delivery.ts';
import { Budget, LAG_BOUNDS_MS, LagRecorder, type Shared } from './accounting.ts';
import type { AccessLogRouting, Subscription } from './subscriptions.ts';
import type { ResourceAccessLogRecord } from './record.ts';
import { LogGroupSink } from './destinations/logs.ts';
import { S3Sink, type S3Endpoint } from './destinations/s3.ts';
import { FirehoseSink } from './destinations/firehose.ts';

export interface AccessLogPipelineOptions {
  dataDir: string;
  region: string;
  log: (line: string) => void;
  /**
   * Which of several processes that serve at once this pipeline runs in (`trellis up --workers N`:
   * "w0", "w1", …). Each has its own log stream per subscription (<als-id>.<instance>) and its own
   * spool folder (spool/<instance>/), so no two processes ever write one file; without it, streams
   * are <als-id> and the spool is spool/ itself.
   */
  instance?: string;
  /** Longest a record waits in memory to share a batch (logs and Firehose); default 200 ms. */
  flushIntervalMs?: number;
  /** The same for S3, where each batch is an object; default 500 ms. */
  s3FlushIntervalMs?: number;
  /** Bytes of spooled records on disk, all destinations together; default 1 GiB. */
  diskBudgetBytes?: number;
  /** Bytes of records in memory, all destinations together; default 64 MiB. */
  memoryBudgetBytes?: number;
  /** Bytes one subscription keeps in memory before spooling to disk; default 4 MiB. */
  spillBytes?: number;
  /** Firehose delivery stream name -> the URL its batches are POSTed to. */
  firehoseEndpoints?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  firehoseTimeoutMs?: number;
  /** An S3-compatible endpoint that S3 destinations PUT their objects to, instead of <dataDir>/s3/. */
  s3Endpoint?: S3Endpoint;
  /** Backoff between delivery attempts to a failing destination; default 250 ms doubling to 30 s. */
  retry?: { initialMs?: number; maxMs?: number };
  logFiles?: { maxFileBytes?: number; maxFileAgeMs?: number };
  /** How long a deleted subscription's records keep being retried; default 30 s. */
  retireGraceMs?: number;
  now?: () => number;
}

export interface SubscriptionStats {
  id: string;
  destinationArn: string;
  type: Subscription['destination']['type'];
  queued: number;
  delivered: number;
  dropped: number;
  spilledBytes: number;
  failing: boolean;
}

export interface AccessLogStats {
  /** Records handed to at least one subscription. */
  emitted: number;
  /** Records delivered (one per subscription that received it). */
  delivered: number;
  /** Records lost: memory or disk budget full, no endpoint for a Firehose stream, subscription deleted. */
  dropped: number;
  /** Records waiting, in memory or spooled. */
  queued: number;
  spilledBytes: number;
  memoryBytes: number;
  /** Failed delivery attempts. */
  failures: number;
  /** Age of the oldest record still waiting (0 when none): the lag of a destination that is behind. */
  oldestQueuedMs: number;
  /** Push-to-delivered lag of recent records. */
  lagMs: { p50: number; p99: number; max: number };
  /** Lag histogram since start: counts[i] <= boundsMs[i] (cumulative), the last one +Inf. */
  lagHistogram: { boundsMs: readonly number[]; counts: number[]; sumMs: number };
  subscriptions: SubscriptionStats[];
}

type ServiceRoute = { serviceArn: string; serviceNetworkArn?: string };
type ResourceRoute = { resourceConfigurationArn: string; serviceNetworkArn?: string };

/** Where one subscription's records go: a queue, or nowhere (counted as dropped). */
interface Inlet {
  readonly sub: Subscription;
  readonly queue?: DeliveryQueue;
  push(line: string, t: number): void;
}

const NOTHING: readonly Inlet[] = [];
/** A subscription's spool folder name (#spoolName). */
const SPOOL_NAME = /^[0-9a-f]{32}$/;

export class AccessLogPipeline {
  readonly #o: AccessLogPipelineOptions;
  readonly #shared: Shared;
  #inlets = new Map<string, Inlet>();
  /** Queues of deleted subscriptions, still draining, by key. */
  readonly #retiring = new Map<string, Inlet>();
  #services: ReadonlyMap<string, readonly Inlet[]> = new Map();
  #networkServices: ReadonlyMap<string, readonly Inlet[]> = new Map();
  #networkResources: ReadonlyMap<string, readonly Inlet[]> = new Map();
  #resourceConfigurations: ReadonlyMap<string, readonly Inlet[]> = new Map();
  readonly #unconfigured = new Set<string>();
  #emitted = 0;
  #updated = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(opts: AccessLogPipelineOptions) {
    this.#o = opts;
    this.#shared = {
      now: opts.now ?? Date.now,
      log: opts.log,
      memory: new Budget(opts.memoryBudgetBytes ?? 64 * 1024 * 1024),
      disk: new Budget(opts.diskBudgetBytes ?? 1024 * 1024 * 1024),
      lag: new LagRecorder(),
      totals: { delivered: 0, dropped: 0, failures: 0 },
      retry: { initialMs: opts.retry?.initialMs ?? 250, maxMs: opts.retry?.maxMs ?? 30_000 },
    };
  }

  /**
   * Follows a new set of subscriptions (once per Snapshot): new ones start, deleted ones drain for
   * retireGraceMs. Each call gives the complete set: one missing is taken as deleted.
   */
  update(routing: AccessLogRouting): void {
    if (this.#closed) return;
    const next = new Map<string, Inlet>();
    for (const sub of routing.subscriptions) {
      if (next.has(sub.key)) continue;
      let inlet = this.#inlets.get(sub.key);
      const back = this.#retiring.get(sub.key);
      if (!inlet && back?.queue?.revive()) {
        // Back before its queue finished draining: the same queue (and spool folder) goes on.
        this.#retiring.delete(sub.key);
        inlet = back;
      }
      next.set(sub.key, inlet ?? this.#open(sub));
    }
    for (const [key, inlet] of this.#inlets) {
      if (next.has(key) || !inlet.queue) continue;
      const q = inlet.queue;
      this.#retiring.set(key, inlet);
      q.retire(this.#o.retireGraceMs ?? 30_000)
        .catch((err: unknown) => this.#o.log(`access logs: ${q.sink.describe}: ${String(err)}`))
        .finally(() => { if (this.#retiring.get(key) === inlet) this.#retiring.delete(key); });
    }
    this.#inlets = next;
    const pick = (m: ReadonlyMap<string, readonly Subscription[]>) => {
      const out = new Map<string, Inlet[]>();
      for (const [arn, subs] of m) out.set(arn, subs.map((s) => next.get(s.key)!));
      return out;
    };
    this.#services = pick(routing.services);
    this.#networkServices = pick(routing.networkServices);
    this.#networkResources = pick(routing.networkResources);
    this.#resourceConfigurations = pick(routing.resourceConfigurations);
    if (!this.#updated) {
      // Spool folders no subscription claims (deleted while Trellis was down) go, but only after
      // the grace period: a subscription missing from the very first update can still claim its own.
      this.#updated = true;
      setTimeout(() => void this.#removeOrphans(), this.#o.retireGraceMs ?? 30_000).unref();
    }
  }

  /** Does any subscription want this request's record? (Lets the caller skip building it.) */
  wants(route: ServiceRoute): boolean {
    return this.#services.has(route.serviceArn) || (route.serviceNetworkArn !== undefined && this.#networkServices.has(route.serviceNetworkArn));
  }

  /** Hands a request's record, as its JSON line, to the service's subscriptions and its network's. Never throws. */
  emit(line: string, route: ServiceRoute): void {
    const own = this.#services.get(route.serviceArn) ?? NOTHING;
    const net = route.serviceNetworkArn === undefined ? NOTHING : this.#networkServices.get(route.serviceNetworkArn) ?? NOTHING;
    this.#push(line, own, net);
  }

  /** Hands a resource connection's record to the resource configuration's subscriptions and its network's RESOURCE ones. */
  emitResource(rec: ResourceAccessLogRecord, route: ResourceRoute): void {
    const own = this.#resourceConfigurations.get(route.resourceConfigurationArn) ?? NOTHING;
    const net = route.serviceNetworkArn === undefined ? NOTHING : this.#networkResources.get(route.serviceNetworkArn) ?? NOTHING;
    if (own.length + net.length > 0) this.#push(JSON.stringify(rec), own, net);
  }

  #push(line: string, a: readonly Inlet[], b: readonly Inlet[]): void {
    if (a.length + b.length === 0) return;
    try {
      const t = this.#shared.now();
      this.#emitted++;
      for (let i = 0; i < a.length; i++) a[i].push(line, t);
      for (let i = 0; i < b.length; i++) b[i].push(line, t);
    } catch (err) {
      this.#shared.totals.dropped++;
      this.#o.log(`access logs: a record could not be written: ${String(err)}`);
    }
  }

  stats(): AccessLogStats {
    const subscriptions: SubscriptionStats[] = [];
    let queued = 0;
    let spilledBytes = 0;
    const queues = new Set<DeliveryQueue>();
    for (const r of this.#retiring.values()) if (r.queue) queues.add(r.queue);
    for (const inlet of this.#inlets.values()) {
      const q = inlet.queue;
      if (q) queues.add(q);
      subscriptions.push({
        id: inlet.sub.id, destinationArn: inlet.sub.destination.arn, type: inlet.sub.destination.type,
        queued: q?.queued ?? 0, delivered: q?.delivered ?? 0, dropped: q?.dropped ?? 0, spilledBytes: q?.spilledBytes ?? 0, failing: q?.failing ?? false,
      });
    }
    const now = this.#shared.now();
    let oldestQueuedMs = 0;
    for (const q of queues) {
      queued += q.queued;
      spilledBytes += q.spilledBytes;
      const t = q.oldest;
      if (t !== undefined) oldestQueuedMs = Math.max(oldestQueuedMs, now - t);
    }
    const lag = this.#shared.lag;
    let running = 0;
    return {
      emitted: this.#emitted,
      delivered: this.#shared.totals.delivered,
      dropped: this.#shared.totals.dropped,
      queued,
      spilledBytes,
      memoryBytes: this.#shared.memory.used,
      failures: this.#shared.totals.failures,
      oldestQueuedMs,
      lagMs: lag.percentiles(),
      lagHistogram: { boundsMs: LAG_BOUNDS_MS, counts: lag.counts.map((c) => (running += c)), sumMs: lag.sumMs },
      subscriptions,
    };
  }

  /** Stops taking records and flushes them (delivered, or spooled to disk for the next run). */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      const queues = new Set<DeliveryQueue>();
      for (const inlet of [...this.#inlets.values(), ...this.#retiring.values()]) if (inlet.queue) queues.add(inlet.queue);
      this.#services = this.#networkServices = this.#networkResources = this.#resourceConfigurations = new Map();
      await Promise.all([...queues].map((q) => q.close()));
    })();
    return this.#closing;
  }

  #spoolRoot(): string {
    return this.#o.instance === undefined ? join(this.#o.dataDir, 'spool') : join(this.#o.dataDir, 'spool', this.#o.instance);
  }

  #spoolName(key: string): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 32);
  }

  #open(sub: Subscription): Inlet {
    const sink = this.#sink(sub);
    if (!sink) {
      const totals = this.#shared.totals;
      return { sub, push: () => void totals.dropped++ };
    }
    const flush = this.#o.flushIntervalMs ?? 200;
    const queue = new DeliveryQueue(sink, this.#shared, {
      spoolDir: join(this.#spoolRoot(), this.#spoolName(sub.key)),
      batchWindowMs: sub.destination.type === 's3' ? this.#o.s3FlushIntervalMs ?? Math.max(flush, 500) : flush,
      spillBytes: this.#o.spillBytes ?? 4 * 1024 * 1024,
    });
    return { sub, queue, push: (line, t) => queue.push(line, t) };
  }

  #sink(sub: Subscription): Sink | undefined {
    const d = sub.destination;
    const now = this.#shared.now;
    switch (d.type) {
      case 'logs':
        return new LogGroupSink({ dataDir: this.#o.dataDir, groupName: d.groupName, stream: this.#o.instance === undefined ? sub.id : `${sub.id}.${this.#o.instance}`, ...this.#o.logFiles, now });
      case 's3':
        return new S3Sink({ dataDir: this.#o.dataDir, bucket: d.bucket, account: sub.account, region: this.#o.region, subscriptionId: sub.id, kind: sub.kind, endpoint: this.#o.s3Endpoint, now });
      case 'firehose': {
        const eps = this.#o.firehoseEndpoints;
        const url = eps instanceof Map ? eps.get(d.streamName) : (eps as Readonly<Record<string, string>> | undefined)?.[d.streamName];
        if (url === undefined) {
          if (!this.#unconfigured.has(d.streamName)) {
            this.#unconfigured.add(d.streamName);
            this.#o.log(`access logs: no endpoint for Firehose delivery stream ${d.streamName} (--firehose-endpoint ${d.streamName}=URL); its records are dropped`);
          }
          return undefined;
        }
        return new FirehoseSink({ streamName: d.streamName, url, timeoutMs: this.#o.firehoseTimeoutMs });
      }
    }
  }

  /**
   * Spool folders of subscriptions that no longer exist (left by an earlier run) are deleted: only
   * this pipeline's own (named by #spoolName), never another process's spool/<instance>/ folder.
   */
  async #removeOrphans(): Promise<void> {
    const root = this.#spoolRoot();
    const names = (await readdir(root).catch(() => [] as string[])).filter((name) => SPOOL_NAME.test(name));
    for (const name of names) {
      // Checked again for each folder: an update() may have started a subscription meanwhile.
      const live = new Set([...this.#inlets.keys()].map((key) => this.#spoolName(key)));
      if (!live.has(name) && !this.#closed) await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
    }
  }
}
