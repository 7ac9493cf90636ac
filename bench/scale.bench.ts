// npm run bench:scale — Trellis at Lattice's scale of configuration (issue 7): 2,000 services, each
// with 2 listeners (HTTP :80, HTTPS :443) of 10 rules, 10 target groups of 100 targets: 2,000
// services, 4,000 listeners, 40,000 rules, 20,000 target groups, 2,000,000 targets. That is
// Lattice's default per-service quotas (2 listeners, 10 rules per listener, 10 target groups per
// service) at its 2,000 services per Region, with 100 targets per group; every service has target
// groups of its own (a target group is in one service here), so targets are 2,000 × 10 × 100.
// Goals: full compile ≤ 1 s; Snapshot + health state ≤ 512 MB; per-request routing cost at 2,000
// services ≤ 1.1× that at 10; API call -> first request routed by it, p99 ≤ 50 ms.
//
// How the configuration is made, honestly and in bounded time:
//  1. A real `trellis up` on a fresh data dir; one template service is created through the HTTP
//     API (the CLI's SigV4 client): service network + VPC association, the service, 2 listeners,
//     20 rules, 10 IP target groups (health checks off: 2M probing targets is not what this
//     measures, and nothing listens on them), 1,000 targets via RegisterTargets, the association.
//     Then it is stopped.
//  2. The records the API wrote for that service are read back from the SQLite store and cloned
//     (services 2..N) with fresh ids of the same format substituted everywhere (ids, ARNs, the
//     generated DNS name, names), then committed through SqliteStore.commit, one commit per
//     service, as if each service had been created by its own API calls. Quotas that 2,000
//     services exceed by default (target groups per Region, services per service network) are
//     raised with --quota, as an account at this scale would have them raised.
//  3. In a fresh child process (node --expose-gc): the store is loaded into a View exactly as
//     `trellis up` does (View.open); compile(view, view.revision, region) is timed from scratch
//     (first and warm runs) and incrementally, as trellis up recompiles (a listener change and a
//     target registration committed to the store, compiled from the previous Snapshot; undone
//     after). Memory: process.memoryUsage().heapUsed after gc() before and after compile, and
//     after HealthChecker.update (the Snapshot and the health state the data plane keeps). The
//     per-request lookup + routing path (handle.ts's order: port -> Host -> listener, source VPC ->
//     network, normalizeTarget, route(), pickTargetGroup, targetGroups.get, pickTarget with the
//     health checker's routable()) is timed on a 10-service Snapshot and the 2,000-service one,
//     interleaved rounds, the same number of distinct requests for both; requests spread over
//     every service and all to one, each also without the health lookup (to show where a
//     difference comes from).
//  4. `trellis up` on the populated data dir (startup time and its RSS are printed), then
//     propagation as bench/propagation.bench.ts does it: UpdateListener changes one listener's
//     fixed-response code, requests poll the data plane until they see it; p50/p99/max from the
//     API call to the first request routed by the change, within BENCH_PROPAGATION_SECONDS.
// Env: BENCH_SERVICES (2000), BENCH_WORKERS (trellis up's --workers; its default when unset), BENCH_MAX_SECONDS (300: phases that would pass it are cut short or
// skipped, and say so), BENCH_PROPAGATION_SECONDS (60), BENCH_CHANGES (100), BENCH_PORT_OFFSET
// (21000), BENCH_KEEP=1 (keep the populated data dir, e.g. to profile with
// `node --expose-gc --cpu-prof bench/scale.bench.ts --child <dir>/trellis.db`). Loopback only
// (targets are 127.1.0.0/16 addresses nothing listens on and no request is forwarded to them);
// stops every process it starts and removes its temporary folder. Appends its results to
// bench/results/<date>-<sha>-scale.json with the machine description.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, release, totalmem, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { TRELLIS_NODE_FLAGS } from './tools.ts';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { call, type ClientConfig } from '../src/core/client.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { View } from '../src/store/view.ts';
import type { Json, Write } from '../src/store/store.ts';
import { compile, type Records } from '../src/compile/compile.ts';
import type { Snapshot, TargetGroupPlan } from '../src/compile/snapshot.ts';
import { HealthChecker } from '../src/dataplane/health.ts';
import { route } from '../src/dataplane/route.ts';
import { pickTarget, pickTargetGroup } from '../src/dataplane/balance.ts';
import { normalizeTarget } from '../src/dataplane/path.ts';
import { sourceVpc } from '../src/dataplane/vpc.ts';
import { hostOf } from '../src/dataplane/handle.ts';
import { statusProbe, timeListenerChanges } from './changes.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const BIN = join(ROOT, 'bin/trellis');
const SERVICES = Number(process.env.BENCH_SERVICES ?? 2000);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 300);
const PROPAGATION_SECONDS = Number(process.env.BENCH_PROPAGATION_SECONDS ?? 60);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 21000);
const KEEP = process.env.BENCH_KEEP === '1';
const LISTENERS = [{ name: 'http', protocol: 'HTTP', port: 80 }, { name: 'https', protocol: 'HTTPS', port: 443 }] as const;
const RULES = 10, TGS = 10, TARGETS = 100;
const REGION = 'us-east-1';
const ACCESS_KEY = 'AKIABENCHSCALE000001';
const SECRET = 'bench-scale';
const QUOTAS = [`servicesPerRegion=${Math.max(2000, SERVICES)}`, `targetGroupsPerRegion=${SERVICES * TGS}`, `serviceAssociationsPerServiceNetwork=${Math.max(500, SERVICES)}`];
const GOALS = { compileMs: 1000, memoryMB: 512, routingRatio: 1.1, propagationP99Ms: 50 };


const began = Date.now();
const elapsed = () => (Date.now() - began) / 1000;
const left = () => MAX_SECONDS - elapsed();
const progress = (line: string) => console.log(`[${elapsed().toFixed(1).padStart(6)} s] ${line}`);
const CHILD = process.argv[2] === '--child';
const dir = CHILD ? '' : mkdtempSync(join(tmpdir(), 'trellis-scale-'));
const children = new Set<ChildProcess>();
const notes: string[] = [];

const stopAll = () => {
  for (const c of children) if (c.exitCode === null && c.pid) try { process.kill(-c.pid, 'SIGTERM'); } catch { /* gone */ }
};
// The hard stop: whatever runs past the cap (plus time to report) is stopped.
const hardStop = setTimeout(() => {
  console.error(`bench:scale: past ${MAX_SECONDS + 60} s, stopping everything`);
  stopAll();
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}, (MAX_SECONDS + 60) * 1000);
hardStop.unref();
if (CHILD) clearTimeout(hardStop);
else process.on('SIGINT', () => { stopAll(); rmSync(dir, { recursive: true, force: true }); process.exit(130); });


async function main(): Promise<void> {
  const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'nogit';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  const machine = { cpuModel: cpus()[0]?.model ?? 'unknown', nproc: availableParallelism(), memoryGB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
  const shape = { services: SERVICES, listenersPerService: LISTENERS.length, rulesPerListener: RULES, targetGroupsPerService: TGS, targetsPerTargetGroup: TARGETS, targets: SERVICES * TGS * TARGETS };
  console.log(`bench:scale  ${machine.cpuModel}, nproc ${machine.nproc}, ${machine.memoryGB} GB, kernel ${machine.kernel}, node ${machine.node}, commit ${sha}${dirty ? ' (modified)' : ''}`);
  console.log(`  ${shape.services.toLocaleString('en-US')} services × ${shape.listenersPerService} listeners × ${RULES} rules, ${TGS} target groups × ${TARGETS} targets each = ${shape.targets.toLocaleString('en-US')} targets; cap ${MAX_SECONDS} s`);
  if (SERVICES !== 2000) notes.push(`scaled: ${SERVICES} services instead of 2,000 (BENCH_SERVICES)`);

  // 1. The template service, through the API.
  const db = join(dir, 'trellis.db');
  let t = await up('template');
  const template = await createTemplate(t);
  await down(t.proc);
  progress(`template service made through the API: ${template.writes.length} records (${template.targets} targets)`);

  // 2. Clone it through the store's commit path.
  const populate = await populateStore(db, template);
  progress(`store populated: ${populate.services} services, ${populate.records.toLocaleString('en-US')} records in ${populate.seconds.toFixed(1)} s`);

  // 3. Compile, memory and routing in a fresh process.
  progress('fresh process: View.open, compile, memory, routing cost ...');
  const child = await runChild(db);
  progress(`compile ${child.compile.firstMs.toFixed(0)} ms (first), ${child.compile.warmMedianMs.toFixed(0)} ms (warm median of ${child.compile.warmMs.length}); Snapshot + health state ${child.memory.snapshotAndHealthHeapMB.toFixed(0)} MB heap`);

  // 4. Propagation against `trellis up` on that data.
  let propagation: Propagation | undefined;
  if (left() < 45) notes.push(`propagation skipped: ${left().toFixed(0)} s left of the ${MAX_SECONDS} s cap`);
  else {
    const startedAt = performance.now();
    t = await up('full');
    const startupSeconds = (performance.now() - startedAt) / 1000;
    const rssMB = rssOf(t.proc.pid!);
    progress(`trellis up on the populated store: ready in ${startupSeconds.toFixed(1)} s, RSS ${rssMB.toFixed(0)} MB`);
    propagation = await measurePropagation(t, startupSeconds, rssMB);
    const rssAfterMB = rssOf(t.proc.pid!);
    propagation.rssAfterMB = rssAfterMB;
    await down(t.proc);
  }

  report({ sha, dirty, machine, shape, template, populate, child, propagation });
}

// ---------------------------------------------------------------------------------------------
// trellis up

interface Up { proc: ChildProcess; api: string; defaultVpcId: string; client: ClientConfig }

async function up(label: string): Promise<Up> {
  const ready = join(dir, `ready-${label}.json`);
  const proc = spawn(BIN, ['up', '--data-dir', dir, '--api-port', '0', '--dns-port', '0', '--ready-file', ready, '--port-offset', String(OFFSET), ...QUOTAS.flatMap((q) => ['--quota', q]),
    ...(process.env.BENCH_WORKERS ? ['--workers', process.env.BENCH_WORKERS] : [])],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { ...process.env, TRELLIS_ACCESS_KEY_ID: ACCESS_KEY, TRELLIS_SECRET_ACCESS_KEY: SECRET } });
  children.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const deadline = Date.now() + Math.max(10, left()) * 1000;
  while (!existsSync(ready)) {
    if (proc.exitCode !== null) throw new Error(`trellis up exited (${proc.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`trellis up not ready within the cap: ${stderr}`);
    await sleep(20);
  }
  const r = JSON.parse(readFileSync(ready, 'utf8')) as { api: string; defaultVpcId: string };
  return { proc, api: r.api, defaultVpcId: r.defaultVpcId, client: { endpoint: r.api, region: REGION, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET } };
}

async function down(proc: ChildProcess): Promise<void> {
  if (proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (proc.exitCode === null && proc.pid) try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  children.delete(proc);
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

// ---------------------------------------------------------------------------------------------
// 1. The template: one service made through the API, and the records it wrote.

interface Template {
  serviceId: string;
  /** The records the API wrote for the service (everything new after the network existed). */
  writes: { key: string; value: Json }[];
  /** Template ids (17 hex digits after the prefix) that each clone replaces. */
  ids: string[];
  name: string;
  targets: number;
  apiCalls: number;
}

async function createTemplate(t: Up): Promise<Template> {
  const c = t.client;
  let calls = 0;
  const api = async <T>(method: string, path: string, body?: unknown) => { calls++; return call<T>(c, method, path, body); };
  const sn = await api<{ id: string }>('POST', '/servicenetworks', { name: 'scale-net' });
  await api('POST', '/servicenetworkvpcassociations', { serviceNetworkIdentifier: sn.id, vpcIdentifier: t.defaultVpcId });
  // The records that exist before the service: not cloned.
  const before = await readStore(join(dir, 'trellis.db'), t);

  const name = 'scale-00000';
  const svc = await api<{ id: string }>('POST', '/services', { name });
  const tgs: string[] = [];
  for (let g = 0; g < TGS; g++) {
    const tg = await api<{ id: string }>('POST', '/targetgroups', {
      name: `${name}-tg${g}`, type: 'IP',
      config: { port: 8080, protocol: 'HTTP', vpcIdentifier: t.defaultVpcId, healthCheck: { enabled: false } },
    });
    tgs.push(tg.id);
    const targets = Array.from({ length: TARGETS }, (_, i) => ({ id: `127.1.${g}.${i + 1}`, port: 8080 }));
    await api('POST', `/targetgroups/${tg.id}/registertargets`, { targets });
  }
  for (const l of LISTENERS) {
    const listener = await api<{ id: string }>('POST', `/services/${svc.id}/listeners`, {
      name: l.name, protocol: l.protocol, port: l.port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[0], weight: 1 }] } },
    });
    for (let r = 0; r < RULES; r++) {
      // Path prefix per rule; every other rule also needs a header and a method; a weighted split
      // over two of the service's target groups.
      const httpMatch = r % 2 === 0
        ? { pathMatch: { match: { prefix: `/api/v${r}/` }, caseSensitive: false } }
        : { method: 'GET', pathMatch: { match: { prefix: `/api/v${r}/` }, caseSensitive: true }, headerMatches: [{ name: 'x-tenant', match: { exact: `team-${r}` }, caseSensitive: false }] };
      await api('POST', `/services/${svc.id}/listeners/${listener.id}/rules`, {
        name: `route-${r}`, priority: r + 1, match: { httpMatch },
        action: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[r], weight: 90 }, { targetGroupIdentifier: tgs[(r + 1) % TGS], weight: 10 }] } },
      });
    }
  }
  await api('POST', '/servicenetworkserviceassociations', { serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id });

  const after = await readStore(join(dir, 'trellis.db'), t);
  const old = new Set(before.map((e) => e.key));
  const writes = after.filter((e) => !old.has(e.key)).map((e) => ({ key: e.key, value: stripRevision(e.value) }));
  const text = JSON.stringify(writes);
  const ids = [...new Set([...text.matchAll(/\b(?:svc|listener|rule|tg|snsa)-([0-9a-f]{17})\b/g)].map((m) => m[1]))];
  const tables = new Set(writes.map((w) => w.key.slice(0, w.key.indexOf('/'))));
  for (const table of tables) if (!['svc', 'listener', 'rule', 'tg', 'target', 'snsa'].includes(table)) throw new Error(`template wrote an unexpected table: ${table}`);
  return { serviceId: svc.id, writes, ids, name, targets: writes.filter((w) => w.key.startsWith('target/')).length, apiCalls: calls };
}

/** The store's records, read while `trellis up` runs (WAL: a second reader is fine). */
async function readStore(db: string, t: Up): Promise<{ key: string; value: Json }[]> {
  // Let the last commit be applied (status ACTIVE and so on is computed, not stored).
  await call(t.client, 'GET', '/services');
  const store = new SqliteStore(db);
  try {
    return (await store.load()).entries;
  } finally {
    store.close();
  }
}

const stripRevision = (v: Json): Json => {
  const { revision: _, ...rest } = v as { [k: string]: Json | undefined };
  return rest as Json;
};

// ---------------------------------------------------------------------------------------------
// 2. Clones through SqliteStore.commit.

interface Populate { services: number; records: number; commits: number; seconds: number }

async function populateStore(db: string, template: Template): Promise<Populate> {
  const t0 = performance.now();
  const store = new SqliteStore(db);
  let records = 0, commits = 0, services = 1;
  // One text per template record; the clone replaces every template id (and the name) in it.
  const texts = template.writes.map((w) => JSON.stringify(w));
  const idPattern = new RegExp(`[0-9a-f]{17}|${template.name}`, 'g');
  try {
    let lastReport = performance.now();
    for (let s = 1; s < SERVICES; s++) {
      const map = new Map<string, string>(template.ids.map((id) => [id, randomBytes(9).toString('hex').slice(0, 17)]));
      const name = `scale-${String(s).padStart(5, '0')}`;
      const writes: Write[] = texts.map((text) => JSON.parse(text.replace(idPattern, (m) => (m === template.name ? name : map.get(m) ?? m))) as Write);
      await store.commit(writes);
      records += writes.length;
      commits++;
      services++;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        progress(`  populating: ${services}/${SERVICES} services`);
      }
      if (elapsed() > MAX_SECONDS * 0.4) {
        notes.push(`populate cut short by the time cap: ${services} services instead of ${SERVICES}`);
        break;
      }
    }
  } finally {
    store.close();
  }
  return { services, records: records + template.writes.length, commits, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// 3. The fresh process.

interface ChildResult {
  load: { seconds: number; records: Record<string, number> };
  compile: {
    firstMs: number; warmMs: number[]; warmMedianMs: number; smallMs: number;
    incremental: { listenerMs: number[]; listenerMedianMs: number; targetMs: number[]; targetMedianMs: number };
  };
  health: { updateFirstMs: number; updateAfterListenerChangeMs: number };
  memory: {
    method: string;
    beforeView: Mem; afterView: Mem; afterSnapshot: Mem; afterHealth: Mem;
    viewHeapMB: number; snapshotHeapMB: number; healthHeapMB: number;
    snapshotAndHealthHeapMB: number; snapshotAndHealthRssMB: number; snapshotAndHealthExternalMB: number;
  };
  routing: {
    requests: number; rounds: number; method: string;
    spread: RoutingCase; oneService: RoutingCase; spreadNoHealthLookup: RoutingCase; oneServiceNoHealthLookup: RoutingCase;
    smallServices: number; largeServices: number;
  };
}
interface RoutingCase { smallNs: number[]; largeNs: number[]; smallMedianNs: number; largeMedianNs: number; ratio: number }
interface Mem { heapUsedMB: number; rssMB: number; externalMB: number; arrayBuffersMB: number }

async function runChild(db: string): Promise<ChildResult> {
  const node = process.execPath;
  const proc = spawn(node, ['--expose-gc', ...TRELLIS_NODE_FLAGS, '--max-old-space-size=8192', SELF, '--child', db], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  children.add(proc);
  let stdout = '';
  proc.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); for (const line of d.toString().split('\n')) if (line.startsWith('  ')) console.log(line); });
  const timer = setTimeout(() => { if (proc.pid) try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, Math.max(30, left()) * 1000);
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  clearTimeout(timer);
  children.delete(proc);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`measuring child failed (exit ${code})`);
  return JSON.parse(line.slice(7)) as ChildResult;
}

const mb = (bytes: number) => bytes / 2 ** 20;
function mem(): Mem {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heapUsedMB: mb(m.heapUsed), rssMB: mb(m.rss), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) };
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const say = (line: string) => process.stdout.write(`  ${line}\n`);

async function measure(db: string): Promise<ChildResult> {
  const beforeView = mem();
  // As `trellis up` does: the View over the store, fed by load() and the change feed.
  const t0 = performance.now();
  const store = new SqliteStore(db);
  const { view, stop } = await View.open(store);
  const loadSeconds = (performance.now() - t0) / 1000;
  const count = (table: string) => { let n = 0; for (const _ of view.all(table)) n++; return n; };
  const recordCounts = Object.fromEntries(['svc', 'listener', 'rule', 'tg', 'target', 'snsa'].map((t) => [t, count(t)]));
  say(`View.open: ${loadSeconds.toFixed(1)} s, ${Object.entries(recordCounts).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  const afterView = mem();

  // Memory: what compile, then the health checker, add to the process (gc'd before and after).
  let c0 = performance.now();
  let snapshot: Snapshot | undefined = compile(view, view.revision, REGION);
  const firstMs = performance.now() - c0;
  const afterSnapshot = mem();
  let health: HealthChecker | undefined = new HealthChecker();
  c0 = performance.now();
  health.update(snapshot);
  const updateFirstMs = performance.now() - c0;
  const afterHealth = mem();
  say(`compile (full, first) ${firstMs.toFixed(0)} ms, health.update ${updateFirstMs.toFixed(0)} ms; heap +${(afterSnapshot.heapUsedMB - afterView.heapUsedMB).toFixed(0)} MB Snapshot, +${(afterHealth.heapUsedMB - afterSnapshot.heapUsedMB).toFixed(0)} MB health state`);

  // Full compiles again, warm (the previous Snapshot stays alive meanwhile, as while the data
  // plane swaps Snapshots).
  const warmMs: number[] = [];
  for (let i = 0; i < 4; i++) {
    c0 = performance.now();
    snapshot = compile(view, view.revision, REGION);
    warmMs.push(performance.now() - c0);
  }
  say(`compile (full, warm) ${warmMs.map((x) => x.toFixed(0)).join(', ')} ms`);
  // The data plane applies the last of those (and its health checker with it) before the changes.
  health.update(snapshot);

  // Incremental compiles, as trellis up does them (the applied Snapshot as the base): a change to
  // one listener's default action, then one target registered, each committed to the store.
  const incremental = await incrementalCompiles(store, view, snapshot, health);
  snapshot = incremental.snapshot;
  say(`compile (incremental) listener change ${fmtMs(incremental.listenerMs)}; target registered ${fmtMs(incremental.targetMs)}; health.update after a listener change ${incremental.healthUpdateMs.toFixed(0)} ms`);

  // Routing: a 10-service Snapshot (the first 10 services' records) against the full one.
  const small = subset(view, 10);
  c0 = performance.now();
  const smallSnapshot = compile(small, view.revision, REGION);
  const smallMs = performance.now() - c0;
  const smallHealth = new HealthChecker();
  smallHealth.update(smallSnapshot);
  const routing = routingCost(smallSnapshot, smallHealth, snapshot, health);
  stop();
  store.close();
  health.close();
  smallHealth.close();
  health = undefined;
  snapshot = undefined;
  return {
    load: { seconds: loadSeconds, records: recordCounts },
    compile: {
      firstMs, warmMs, warmMedianMs: median(warmMs), smallMs,
      incremental: { listenerMs: incremental.listenerMs, listenerMedianMs: median(incremental.listenerMs), targetMs: incremental.targetMs, targetMedianMs: median(incremental.targetMs) },
    },
    health: { updateFirstMs, updateAfterListenerChangeMs: incremental.healthUpdateMs },
    memory: {
      method: 'process.memoryUsage() in a fresh node --expose-gc process, each after 3 gc() calls: beforeView (modules loaded), afterView (store loaded into a View as trellis up does), afterSnapshot (+ the compile() result, kept alive), afterHealth (+ a HealthChecker updated with it, kept alive); Snapshot + health state = afterHealth - afterView',
      beforeView, afterView, afterSnapshot, afterHealth,
      viewHeapMB: afterView.heapUsedMB - beforeView.heapUsedMB,
      snapshotHeapMB: afterSnapshot.heapUsedMB - afterView.heapUsedMB,
      healthHeapMB: afterHealth.heapUsedMB - afterSnapshot.heapUsedMB,
      snapshotAndHealthHeapMB: afterHealth.heapUsedMB - afterView.heapUsedMB,
      snapshotAndHealthRssMB: afterHealth.rssMB - afterView.rssMB,
      snapshotAndHealthExternalMB: afterHealth.externalMB - afterView.externalMB,
    },
    routing,
  };
}

const fmtMs = (xs: number[]) => `median ${median(xs).toFixed(1)} ms (${xs.map((x) => x.toFixed(1)).join(', ')})`;

/**
 * Commits a listener change (10 times) and a target registration (5 times) to the store, compiles
 * each from the previous Snapshot as trellis up does, then undoes the changes (so the propagation
 * phase starts from the populated configuration).
 */
async function incrementalCompiles(store: SqliteStore, view: View, start: Snapshot, health: HealthChecker) {
  type L = { id: string; revision?: number; defaultAction: Json };
  type T = { id: string; tgId: string; account: string };
  let snapshot = start;
  const listener = [...view.all<L>('listener')].at(-1)!;
  const { revision: _r, ...listenerRecord } = listener;
  const listenerMs: number[] = [];
  let healthUpdateMs = NaN;
  for (let i = 0; i < 10; i++) {
    await store.commit([{ key: `listener/${listener.id}`, value: { ...listenerRecord, defaultAction: { fixedResponse: { statusCode: 400 + i } } } as Json }]);
    const t0 = performance.now();
    snapshot = compile(view, view.revision, REGION, snapshot);
    listenerMs.push(performance.now() - t0);
  }
  const t0 = performance.now();
  health.update(snapshot);
  healthUpdateMs = performance.now() - t0;
  const some = view.get<T>('target', [...view.all<T>('target')][0].id)!;
  const added: string[] = [];
  const targetMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const id = `${some.tgId}/127.2.0.${i + 1}:8080`;
    added.push(id);
    await store.commit([{ key: `target/${id}`, value: { id, tgId: some.tgId, account: some.account, targetId: `127.2.0.${i + 1}`, port: 8080, registeredAt: new Date().toISOString() } }]);
    const t1 = performance.now();
    snapshot = compile(view, view.revision, REGION, snapshot);
    targetMs.push(performance.now() - t1);
  }
  await store.commit([{ key: `listener/${listener.id}`, value: listenerRecord as Json }, ...added.map((id) => ({ key: `target/${id}`, delete: true as const }))]);
  snapshot = compile(view, view.revision, REGION, snapshot);
  return { snapshot, listenerMs, targetMs, healthUpdateMs };
}

/** The records of the first `n` services (and what they use), as compile reads them. */
function subset(view: View, n: number): Records {
  const services = new Set([...view.all<{ id: string }>('svc')].slice(0, n).map((s) => s.id));
  const tgs = new Set<string>();
  const collect = (action: { forward?: { targetGroups: { targetGroupIdentifier: string }[] } }) => { for (const t of action.forward?.targetGroups ?? []) tgs.add(t.targetGroupIdentifier); };
  for (const l of view.all<{ serviceId: string; defaultAction: never }>('listener')) if (services.has(l.serviceId)) collect(l.defaultAction);
  for (const r of view.all<{ serviceId: string; action: never }>('rule')) if (services.has(r.serviceId)) collect(r.action);
  const keep: Record<string, (r: Record<string, unknown>) => boolean> = {
    svc: (r) => services.has(r.id as string), listener: (r) => services.has(r.serviceId as string), rule: (r) => services.has(r.serviceId as string),
    snsa: (r) => services.has(r.serviceId as string), tg: (r) => tgs.has(r.id as string), target: (r) => tgs.has(r.tgId as string),
  };
  const tables = new Map<string, unknown[]>();
  return {
    all<T>(table: string): Iterable<T> {
      const filter = keep[table];
      if (!filter) return view.all<T>(table);
      let rows = tables.get(table);
      if (!rows) tables.set(table, (rows = [...view.all<Record<string, unknown>>(table)].filter(filter)));
      return rows as T[];
    },
  };
}

interface Req { localPort: number; authority: string; remoteAddress: string; url: string; method: string; headers: Record<string, string> }

/**
 * handle.ts's lookup and routing steps for one request, in its order, without sockets: listener
 * by port and Host, source VPC and its network, path normalization, rule match, weighted target
 * group, target group by id, round-robin healthy target.
 */
function routeOne(snapshot: Snapshot, routable: (tg: TargetGroupPlan) => ArrayLike<number>, req: Req): number {
  const port = snapshot.ports.get(req.localPort);
  const host = hostOf(req.authority);
  const listener = host === undefined ? undefined : port?.hosts.get(host);
  if (!listener) return -1;
  const vpc = sourceVpc(snapshot.vpcs, req.remoteAddress);
  const network = vpc ? listener.service.networks.get(vpc.id) : undefined;
  if (!network) return -2;
  const target = normalizeTarget(req.url);
  if (!target.ok) return -3;
  const chosen = route(listener, { method: req.method, path: target.path, header: (n) => req.headers[n] });
  if (chosen.action.kind === 'fixed') return chosen.action.statusCode;
  const tgId = pickTargetGroup(chosen.action);
  const tg = tgId ? snapshot.targetGroups.get(tgId) : undefined;
  if (!tg) return -4;
  const t = pickTarget(tg, routable(tg));
  return t ? t.port : -5;
}

function routingCost(smallSnap: Snapshot, smallHealth: HealthChecker, largeSnap: Snapshot, largeHealth: HealthChecker): ChildResult['routing'] {
  const REQUESTS = 20_000;
  const ROUNDS = 7;
  const LOOPS = 3; // passes over the request list per measurement
  const hostsOf = (s: Snapshot) => [...s.ports.get(80)!.hosts.keys()];
  // The same number of distinct request objects for both Snapshots; each asks for rule k of a
  // service (k cycling 0..9, so on average half the rules are tried before one matches).
  const requests = (hosts: string[], spread: boolean): Req[] => Array.from({ length: REQUESTS }, (_, i) => {
    const k = i % RULES;
    const host = hosts[spread ? Math.floor(i / RULES) % hosts.length : 0];
    return { localPort: 80, authority: host, remoteAddress: '127.0.0.1', url: `/api/v${k}/items/${i}?q=1`, method: 'GET', headers: (k % 2 ? { 'x-tenant': `team-${k}` } : {}) as Record<string, string> };
  });
  const routableOf = (h: HealthChecker) => (tg: TargetGroupPlan) => h.routableIn(tg);
  const everyone = new Uint8Array(1000).fill(1);
  const always = () => everyone;
  const spread = { small: requests(hostsOf(smallSnap), true), large: requests(hostsOf(largeSnap), true) };
  const one = { small: requests(hostsOf(smallSnap), false), large: requests(hostsOf(largeSnap), false) };
  // As the data plane routes (target health from the HealthChecker), and, to tell where a
  // difference comes from, the same with every target taken as routable (no health lookup).
  const cases = {
    spread: { ...spread, smallRoutable: routableOf(smallHealth), largeRoutable: routableOf(largeHealth) },
    oneService: { ...one, smallRoutable: routableOf(smallHealth), largeRoutable: routableOf(largeHealth) },
    spreadNoHealthLookup: { ...spread, smallRoutable: always, largeRoutable: always },
    oneServiceNoHealthLookup: { ...one, smallRoutable: always, largeRoutable: always },
  };
  const labels: Record<keyof typeof cases, string> = {
    spread: 'requests spread over every service', oneService: 'requests to one service',
    spreadNoHealthLookup: 'spread, no health lookup', oneServiceNoHealthLookup: 'one service, no health lookup',
  };
  const run = (snap: Snapshot, routable: (tg: TargetGroupPlan) => ArrayLike<number>, reqs: Req[]) => {
    let sum = 0;
    const t0 = process.hrtime.bigint();
    for (let l = 0; l < LOOPS; l++) for (let i = 0; i < reqs.length; i++) sum += routeOne(snap, routable, reqs[i]);
    const ns = Number(process.hrtime.bigint() - t0) / (LOOPS * reqs.length);
    if (sum <= 0) throw new Error('routing answered no target');
    return ns;
  };
  const out = {} as ChildResult['routing'];
  for (const [name, c] of Object.entries(cases) as [keyof typeof cases, (typeof cases)['spread']][]) {
    const { smallRoutable, largeRoutable } = c;
    // Warm-up of both, then interleaved rounds, alternating which goes first.
    run(smallSnap, smallRoutable, c.small);
    run(largeSnap, largeRoutable, c.large);
    const smallNs: number[] = [], largeNs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) { smallNs.push(run(smallSnap, smallRoutable, c.small)); largeNs.push(run(largeSnap, largeRoutable, c.large)); }
      else { largeNs.push(run(largeSnap, largeRoutable, c.large)); smallNs.push(run(smallSnap, smallRoutable, c.small)); }
    }
    const s = median(smallNs), l = median(largeNs);
    out[name] = { smallNs, largeNs, smallMedianNs: s, largeMedianNs: l, ratio: l / s };
    say(`routing (${labels[name]}): ${s.toFixed(0)} ns/request with ${hostsOf(smallSnap).length} services, ${l.toFixed(0)} ns with ${hostsOf(largeSnap).length}: ${(l / s).toFixed(2)}×`);
  }
  return {
    ...out, requests: REQUESTS, rounds: ROUNDS, smallServices: hostsOf(smallSnap).length, largeServices: hostsOf(largeSnap).length,
    method: `${REQUESTS} distinct requests (path /api/v<k>/items/<i>?q=1 for rule k = i mod 10, header x-tenant on odd k) × ${LOOPS} passes per measurement, ${ROUNDS} interleaved rounds, median ns per request; spread: request i goes to service floor(i/10) mod N; oneService: all to the first service; *NoHealthLookup: pickTarget with every target routable instead of HealthChecker.routableIn (diagnostic)`,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Propagation against `trellis up` on the populated store.

interface Propagation {
  startupSeconds: number; rssMB: number; rssAfterMB?: number;
  changes: number; seconds: number;
  afterCallMs: { p50: number; p99: number; max: number };
  afterAckMs: { p50: number; p99: number; max: number };
  apiMs: { p50: number; p99: number; max: number };
}

async function measurePropagation(t: Up, startupSeconds: number, rssMB: number): Promise<Propagation> {
  const c = t.client;
  // The service changed is the last one created (any would do: all are alike).
  const services = await call<{ items: { id: string; name: string; dnsEntry: { domainName: string } }[] }>(c, 'GET', `/services?maxResults=100`);
  let svc = services.items[services.items.length - 1];
  const named = await call<{ id: string; dnsEntry: { domainName: string } }>(c, 'GET', `/services/${svc.id}`);
  svc = { ...svc, dnsEntry: named.dnsEntry };
  const listeners = await call<{ items: { id: string; port: number }[] }>(c, 'GET', `/services/${svc.id}/listeners`);
  const listener = listeners.items.find((l) => l.port === 80)!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const status = statusProbe(80 + OFFSET, svc.dnsEntry.domainName, agent);
  // Untimed: the listener's default action becomes a fixed response, so polling never forwards.
  await call(c, 'PATCH', `/services/${svc.id}/listeners/${listener.id}`, { defaultAction: { fixedResponse: { statusCode: 400 } } });
  const settle = Date.now() + 60_000;
  while ((await status().catch(() => 0)) !== 400) {
    if (Date.now() > settle) throw new Error('the first listener change never reached the data plane');
    await sleep(5);
  }
  const budget = Math.min(PROPAGATION_SECONDS, left() - 20) * 1000;
  const started = Date.now();
  const { apiMs, afterAckMs: afterAck, afterCallMs: afterCall } = await timeListenerChanges({
    client: c, serviceId: svc.id, listenerId: listener.id, probe: status, count: CHANGES, budgetMs: budget,
    onChange: (i, ms) => { if (i % 10 === 0) progress(`  propagation: ${i} changes, last ${ms.toFixed(1)} ms`); },
  });
  agent.destroy();
  const seconds = (Date.now() - started) / 1000;
  if (afterCall.length < CHANGES) notes.push(`propagation: ${afterCall.length} changes in ${seconds.toFixed(0)} s (time budget), not ${CHANGES}`);
  return { startupSeconds, rssMB, changes: afterCall.length, seconds, afterCallMs: stats(afterCall), afterAckMs: stats(afterAck), apiMs: stats(apiMs) };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const stats = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) });

// ---------------------------------------------------------------------------------------------
// Report

function report(r: { sha: string; dirty: boolean; machine: object; shape: object; template: Template; populate: Populate; child: ChildResult; propagation?: Propagation }): void {
  const { child, propagation: p } = r;
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const c = child.compile, m = child.memory, rt = child.routing;
  const goals = {
    compile: { fullMs: c.warmMedianMs, fullFirstMs: c.firstMs, incrementalListenerMs: c.incremental.listenerMedianMs, incrementalTargetMs: c.incremental.targetMedianMs, goalMs: GOALS.compileMs, met: c.warmMedianMs <= GOALS.compileMs && c.firstMs <= GOALS.compileMs },
    memory: { heapMB: m.snapshotAndHealthHeapMB, snapshotHeapMB: m.snapshotHeapMB, healthHeapMB: m.healthHeapMB, rssMB: m.snapshotAndHealthRssMB, goalMB: GOALS.memoryMB, met: m.snapshotAndHealthHeapMB <= GOALS.memoryMB },
    routing: { spreadRatio: rt.spread.ratio, oneServiceRatio: rt.oneService.ratio, goal: GOALS.routingRatio, met: rt.spread.ratio <= GOALS.routingRatio && rt.oneService.ratio <= GOALS.routingRatio },
    propagation: p ? { p99Ms: p.afterCallMs.p99, goalMs: GOALS.propagationP99Ms, met: p.afterCallMs.p99 <= GOALS.propagationP99Ms } : { skipped: true, met: false },
  };
  const f = (x: number, d = 0) => x.toFixed(d);
  console.log('\nbench:scale results');
  console.log(`  records: ${Object.entries(child.load.records).map(([k, v]) => `${v.toLocaleString('en-US')} ${k}`).join(', ')}; View.open ${f(child.load.seconds, 1)} s, View heap ${f(m.viewHeapMB)} MB`);
  console.log(`  compile (full)          ${f(c.warmMedianMs)} ms warm median, ${f(c.firstMs)} ms first   goal ≤ ${GOALS.compileMs} ms   ${verdict(goals.compile.met)}`);
  console.log(`    incremental           ${f(c.incremental.listenerMedianMs, 2)} ms after a listener change, ${f(c.incremental.targetMedianMs, 2)} ms after a target registration (medians)`);
  console.log(`  Snapshot + health state heap +${f(m.snapshotAndHealthHeapMB)} MB (Snapshot ${f(m.snapshotHeapMB)}, health ${f(m.healthHeapMB)}); RSS +${f(m.snapshotAndHealthRssMB)} MB   goal ≤ ${GOALS.memoryMB} MB   ${verdict(goals.memory.met)}`);
  console.log(`  routing cost            spread over all services ${f(rt.spread.smallMedianNs)} ns (${rt.smallServices}) → ${f(rt.spread.largeMedianNs)} ns (${rt.largeServices}) = ${f(rt.spread.ratio, 2)}×; one service ${f(rt.oneService.smallMedianNs)} → ${f(rt.oneService.largeMedianNs)} ns = ${f(rt.oneService.ratio, 2)}×   goal ≤ ${GOALS.routingRatio}×   ${verdict(goals.routing.met)}`);
  console.log(`    without the health lookup: spread ${f(rt.spreadNoHealthLookup.ratio, 2)}×, one service ${f(rt.oneServiceNoHealthLookup.ratio, 2)}× (the health lookup: HealthChecker.routableIn, flags per target group)`);
  if (p) {
    console.log(`  propagation             API call → routed p50 ${f(p.afterCallMs.p50, 1)} ms, p99 ${f(p.afterCallMs.p99, 1)} ms, max ${f(p.afterCallMs.max, 1)} ms over ${p.changes} changes (API answer alone p50 ${f(p.apiMs.p50, 1)} ms, p99 ${f(p.apiMs.p99, 1)} ms)   goal p99 ≤ ${GOALS.propagationP99Ms} ms   ${verdict(goals.propagation.met)}`);
    console.log(`  trellis up on this store: ready in ${f(p.startupSeconds, 1)} s, RSS ${f(p.rssMB)} MB (after the changes ${f(p.rssAfterMB ?? NaN)} MB)`);
  } else console.log('  propagation             skipped (see notes)');
  console.log(`  health.update (src/dataplane/health.ts) at this size: ${f(child.health.updateFirstMs)} ms first, ${f(child.health.updateAfterListenerChangeMs)} ms after a listener change; populate ${f(r.populate.seconds, 1)} s; total ${f(elapsed(), 0)} s`);
  for (const n of notes) console.log(`  NOTE: ${n}`);

  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}-${r.sha}-scale.json`);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
  const entry = {
    date: new Date().toISOString(), commit: r.sha, dirty: r.dirty, machine: r.machine, shape: r.shape,
    config: { workers: process.env.BENCH_WORKERS ?? `trellis up's default (${availableParallelism()} cores)`, maxSeconds: MAX_SECONDS, propagationSeconds: PROPAGATION_SECONDS, changes: CHANGES, quotas: QUOTAS, healthChecks: 'disabled on every target group', templateApiCalls: r.template.apiCalls, templateRecords: r.template.writes.length },
    goals, populate: r.populate, load: child.load, compile: child.compile, health: child.health, memory: child.memory, routing: child.routing, propagation: p ?? null,
    notes, totalSeconds: elapsed(),
  };
  writeFileSync(file, JSON.stringify([...previous, entry], null, 2) + '\n');
  console.log(`  appended to ${file.slice(ROOT.length)}`);
}

// ---------------------------------------------------------------------------------------------
// Run (here, after every declaration above): the child measures; the parent runs the phases.

if (CHILD) {
  const out = await measure(process.argv[3]);
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  process.exit(0);
}
try {
  await main();
} finally {
  stopAll();
  if (KEEP) console.log(`  data dir kept (BENCH_KEEP): ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
