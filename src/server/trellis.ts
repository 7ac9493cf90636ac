// The composition root of `trellis up`: store, view, bootstrap identity, default VPC, API server,
// compiler, data plane (here, or in N worker processes: workers.ts), health checker and DNS port,
// wired together. Writes flow one way:
// API -> store -> change feed -> compile -> Snapshot -> data plane and health checker.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { SqliteStore } from '../store/sqlite.ts';
import { View } from '../store/view.ts';
import { createApiServer, type AwsService } from '../api/server.ts';
import { latticeHandlers } from '../api/lattice/index.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../api/lattice/quotas.ts';
import { accountWrites, newAccessKey, ACCOUNT_ID, type AccessKeyRecord } from '../iam/identities.ts';
import { ensureDefaultVpc } from '../api/ec2/vpcs.ts';
import { startDnsServer, type DnsServer } from '../dns/server.ts';
import { compile } from '../compile/compile.ts';
import type { Snapshot } from '../compile/snapshot.ts';
import { DataPlaneMetrics } from '../observe/metrics.ts';
import { adoptSpools } from '../observe/spools.ts';
import type { S3Endpoint } from '../observe/destinations/s3.ts';
import type { Limits } from '../dataplane/guard.ts';
import { HealthChecker } from '../dataplane/health.ts';
import { reusePortSupported } from '../dataplane/dataplane.ts';
import { LocalCa } from '../dataplane/tls/ca.ts';
import type { TargetRecord } from '../api/lattice/targets.ts';
import { ec2Service } from '../api/ec2/service.ts';
import { createAcmService } from '../api/acm/service.ts';
import { CompileLoop } from './compileloop.ts';
import { startServing } from './serving.ts';
import { WorkerPool } from './workers.ts';
import { iamService } from '../api/iam/service.ts';
import { stsService } from '../api/sts/service.ts';
import { organizationsService } from '../api/organizations/service.ts';
import { Ctx } from '../api/lattice/context.ts';
import { DomainVerifier } from './domainverifier.ts';

export interface TrellisOptions {
  dataDir: string;
  apiPort?: number;
  dnsPort?: number;
  portOffset?: number;
  region?: string;
  host?: string;
  quotas?: Quotas;
  /** Bootstrap credentials; default from TRELLIS_* environment variables, else generated. */
  accessKeyId?: string;
  secretAccessKey?: string;
  accountId?: string;
  synchronous?: 'normal' | 'full';
  /** Resolvers ("addr[:port]") for names outside Trellis's zones; none: such queries are REFUSED. */
  dnsUpstreams?: string[];
  /** Answer custom domain names too (an extension, on by default: Lattice users add a CNAME). */
  dnsCustomDomains?: boolean;
  /** Where records for a Firehose delivery stream go: stream name -> URL (POSTed in batches). */
  firehoseEndpoints?: ReadonlyMap<string, string> | Record<string, string>;
  /** An S3-compatible endpoint for S3 access log destinations (default: files under <dataDir>/s3/). */
  s3Endpoint?: S3Endpoint;
  /** Data-plane limits (header sizes, timeouts, …) over the defaults in dataplane/guard.ts. */
  dataPlaneLimits?: Partial<Limits>;
  /** More AWS APIs on the API port, beside the built-in ones. */
  services?: AwsService[];
  /** How long a deregistered target drains before it is removed (Lattice: 300 s). */
  deregistrationDelaySeconds?: number;
  /** How often a PENDING domain verification's TXT record is looked up (default 30 s). */
  domainVerificationIntervalMs?: number;
  /**
   * Data-plane processes (default 1: the data plane serves in this process). With N >= 2, N worker
   * processes serve on shared listener ports (SO_REUSEPORT) and this one keeps the rest.
   */
  workers?: number;
  log?: (line: string) => void;
}

/** On stop, how long requests in progress in a worker get to finish. */
const WORKER_DRAIN_MS = 5000;

/** Lattice's deregistration delay: DRAINING for 5 minutes by default. */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

export interface Endpoints {
  api: string;
  dns: string;
  region: string;
  accountId: string;
  defaultVpcId: string;
  dataPlaneAddress: string;
  portOffset: number;
  credentialsFile: string;
}

export interface Trellis extends Endpoints {
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

export async function startTrellis(opts: TrellisOptions): Promise<Trellis> {
  const dataDir = resolve(opts.dataDir);
  const region = opts.region ?? 'us-east-1';
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number of at least 1, got ${workers}`);
  if (workers > 1 && !reusePortSupported()) throw new Error(`several data-plane workers share listener ports with SO_REUSEPORT, which Node does not offer on ${process.platform}; use 1 worker`);
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteStore(join(dataDir, 'trellis.db'), { synchronous: opts.synchronous });
  const { view, stop: stopView } = await View.open(store);

  const key = await bootstrapIdentity(store, view, dataDir, opts);
  const defaultVpcId = await ensureDefaultVpc(store, view, key.accountId, region);

  const portOffset = opts.portOffset ?? 0;
  const delaySeconds = opts.deregistrationDelaySeconds ?? DEFAULT_DEREGISTRATION_DELAY_SECONDS;
  const health = new HealthChecker({ log });
  const ca = await LocalCa.open(dataDir);
  const initial: Snapshot = compile(view, view.revision, region);
  const healthTally = (id: string) => health.tally(id);
  adoptSpools(dataDir, workers, log);
  // One process: the data plane serves here. Several: it serves in the workers (started once the
  // API listens), and this process keeps the store, API, compiler, health checker, DNS and reaper.
  const serving = workers === 1
    ? await startServing(initial, {
      dataDir, region, host, portOffset, view, ca, routableIn: (tg) => health.routableIn(tg), healthTally, limits: opts.dataPlaneLimits,
      firehoseEndpoints: opts.firehoseEndpoints, s3Endpoint: opts.s3Endpoint, log,
    })
    : undefined;
  const metrics = serving?.metrics ?? new DataPlaneMetrics({ healthTally });
  if (!serving) metrics.snapshotApplied(initial, 0);
  health.update(initial);
  const loop = new CompileLoop({
    store, view, region, initial, log,
    apply: async (next) => {
      await serving?.apply(next);
      health.update(next);
    },
    applied: (next, seconds, lag) => {
      metrics.snapshotApplied(next, seconds);
      if (lag !== undefined) metrics.changeFeedLag(lag);
    },
  });
  const pool = workers === 1 ? undefined : new WorkerPool({
    count: workers, store, health, log, absorb: (c) => metrics.absorb(c),
    config: {
      dataDir, region, host, portOffset, dataPlaneLimits: opts.dataPlaneLimits, s3Endpoint: opts.s3Endpoint,
      firehoseEndpoints: opts.firehoseEndpoints instanceof Map ? Object.fromEntries(opts.firehoseEndpoints) : opts.firehoseEndpoints,
    },
  });
  // What the data plane serves everywhere: ACTIVE means every process that serves has it.
  const appliedRevision = () => Math.min(loop.snapshot.revision, pool?.appliedRevision() ?? Infinity);

  // Deregistered targets drain, then their records go. The draining ones are tracked from the
  // View's change log, so a tick costs what changed since the last one, not a pass over every
  // target (at 2,000,000 targets that pass took about 80 ms of every second).
  const draining = new Map<string, number>(); // target id -> when it started draining (ms)
  let drainingAt: number | undefined; // the View revision `draining` reflects
  const reaper = setInterval(() => {
    const changes = drainingAt === undefined ? undefined : view.changesSince('target', drainingAt);
    if (!changes) {
      draining.clear();
      for (const [id, t] of view.entries<TargetRecord>('target')) if (t.drainingSince !== undefined) draining.set(id, Date.parse(t.drainingSince));
    } else {
      for (const { id } of changes) {
        const t = view.get<TargetRecord>('target', id);
        if (t?.drainingSince !== undefined) draining.set(id, Date.parse(t.drainingSince));
        else draining.delete(id);
      }
    }
    drainingAt = view.revision;
    const cutoff = Date.now() - delaySeconds * 1000;
    const expired = [...draining].filter(([, since]) => since <= cutoff);
    if (expired.length > 0) store.commit(expired.map(([id]) => ({ key: `target/${id}`, delete: true as const }))).catch((err: unknown) => log(`reaper: ${String(err)}`));
  }, Math.min(1000, Math.max(50, delaySeconds * 250)));
  reaper.unref();

  const quotas = opts.quotas ?? { ...DEFAULT_QUOTAS };
  const runtime = { targetHealth: (key: string) => health.health(key), deregistrationDelaySeconds: delaySeconds };
  // Work that finishes after a request (ACM issuing a certificate) writes through a Ctx of its own.
  // Handlers are synchronous up to their commit, so this cannot interleave with one.
  const background = async (fn: (ctx: Ctx) => void) => {
    const ctx = new Ctx(view, { accountId: key.accountId, arn: key.arn, accessKeyId: key.accessKeyId }, region, quotas, appliedRevision(), runtime);
    fn(ctx);
    if (ctx.writes.length > 0) await store.commit(ctx.writes);
  };
  const acm = createAcmService({ ca: () => ca, write: background, log });
  // PENDING domain verifications, checked over DNS (started once our own DNS port is known).
  let dns: DnsServer | undefined;
  const verifier = new DomainVerifier({
    view, write: background, upstreams: opts.dnsUpstreams, intervalMs: opts.domainVerificationIntervalMs, log,
    ownDns: () => (dns ? { host, port: dns.port } : undefined),
  });
  const api = createApiServer({
    store, view, region, quotas, handlers: latticeHandlers, log,
    appliedRevision,
    runtime,
    extraMetrics: async () => (pool ? metrics.render(await pool.counters()) + pool.render() : metrics.render()),
    services: [ec2Service, acm, iamService, stsService, organizationsService, ...(opts.services ?? [])],
  });
  const shutdown = async () => {
    clearInterval(reaper);
    await pool?.stop(WORKER_DRAIN_MS);
    await verifier.stop();
    loop.stop();
    health.close();
    await serving?.close();
  };
  try {
    await listen(api, opts.apiPort ?? 8470, host);
    dns = await startDnsServer({
      host, port: opts.dnsPort ?? 8453, snapshot: () => loop.snapshot, dataPlaneAddress: dataPlaneAddress(host),
      upstreams: opts.dnsUpstreams, customDomains: opts.dnsCustomDomains, log,
    });
    verifier.start();
    await pool?.start();
  } catch (err) {
    api.close();
    await dns?.close();
    await shutdown();
    stopView();
    store.close();
    throw err;
  }
  const apiPort = (api.address() as AddressInfo).port;
  return {
    api: `http://${host}:${apiPort}`,
    dns: `${host}:${dns.port}`,
    region,
    accountId: key.accountId,
    defaultVpcId,
    dataPlaneAddress: dataPlaneAddress(host),
    portOffset,
    credentialsFile: join(dataDir, 'credentials'),
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    async stop() {
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
      await dns?.close();
      await shutdown();
      stopView();
      store.close();
    },
  };
}

/** The address clients are told to connect to: a wildcard bind is reached over loopback. */
function dataPlaneAddress(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The first administrator: from the options or TRELLIS_* variables when given (replacing an older
 * key of that id), else the one stored, else a new random key pair. Its credentials file is
 * (re)written in AWS shared-credentials format, profile "trellis".
 */
async function bootstrapIdentity(store: SqliteStore, view: View, dataDir: string, opts: TrellisOptions): Promise<AccessKeyRecord> {
  const accessKeyId = opts.accessKeyId ?? (process.env.TRELLIS_ACCESS_KEY_ID || undefined);
  const secretAccessKey = opts.secretAccessKey ?? (process.env.TRELLIS_SECRET_ACCESS_KEY || undefined);
  const accountId = opts.accountId ?? (process.env.TRELLIS_ACCOUNT_ID || '111122223333');
  if (!ACCOUNT_ID.test(accountId)) throw new Error(`TRELLIS_ACCOUNT_ID must be 12 digits, got "${accountId}"`);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error('set both TRELLIS_ACCESS_KEY_ID and TRELLIS_SECRET_ACCESS_KEY, or neither');
  }
  let key: AccessKeyRecord | undefined;
  if (accessKeyId && secretAccessKey) {
    const stored = view.get<AccessKeyRecord>('accesskey', accessKeyId);
    if (!stored || stored.secretAccessKey !== secretAccessKey || stored.accountId !== accountId || !stored.admin) {
      await store.commit(accountWrites(accountId, 'trellis-admin', { accessKeyId, secretAccessKey }, true, view.get('account', accountId) !== undefined));
    }
    key = view.get<AccessKeyRecord>('accesskey', accessKeyId)!;
  } else {
    for (const k of view.all<AccessKeyRecord>('accesskey')) if (k.admin) { key = k; break; }
    if (!key) {
      const fresh = newAccessKey();
      await store.commit(accountWrites(accountId, 'trellis-admin', fresh, true, view.get('account', accountId) !== undefined));
      key = view.get<AccessKeyRecord>('accesskey', fresh.accessKeyId)!;
    }
  }
  const file = join(dataDir, 'credentials');
  const text = `[trellis]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  return key;
}
