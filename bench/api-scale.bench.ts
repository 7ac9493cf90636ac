// node bench/api-scale.bench.ts — what Lattice API handlers cost at bench:scale's size of
// configuration (issue 7: 2,000 services × 2 listeners × 10 rules, 10 target groups of 100 targets
// each = 2,000,000 targets) against the same handlers at 10 services, run in the same process.
// A call should cost what it touches, so the ratio should stay near 1×.
//
// How: one template service is made by the handlers themselves (a Ctx per call, its writes
// committed to a SqliteStore, as the API server does), then cloned with fresh ids through
// SqliteStore.commit, as bench/scale.bench.ts does. A View is opened over each store (as `trellis up`
// does) and each handler runs against a fresh Ctx over it; writes are described but not committed,
// so every sample sees the same state (the commit itself costs the same at any size). Samples pick
// a different service each time. Only the handler is timed: no HTTP, SigV4 or commit.
// Env: BENCH_SERVICES (2000), BENCH_SAMPLES (30), BENCH_DB (a populated store to reuse: built there
// if missing, kept after).
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqliteStore } from '../src/store/sqlite.ts';
import { View } from '../src/store/view.ts';
import type { Write } from '../src/store/store.ts';
import { Ctx, type Caller } from '../src/api/lattice/context.ts';
import { latticeHandlers } from '../src/api/lattice/index.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../src/api/lattice/quotas.ts';
import { ensureDefaultVpc } from '../src/api/ec2/vpcs.ts';
import { ApiError } from '../src/core/errors.ts';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 2000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);
const SMALL = 10;
const LISTENERS = [{ name: 'http', protocol: 'HTTP', port: 80 }, { name: 'https', protocol: 'HTTPS', port: 443 }] as const;
const RULES = 10, TGS = 10, TARGETS = 100;
const REGION = 'us-east-1';
const CALLER: Caller = { accountId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accessKeyId: 'AKIABENCHAPISCALE001' };
/** Quotas raised as an account at this scale has them, and one above the template so creates pass. */
const quotasFor = (services: number): Quotas => ({
  ...DEFAULT_QUOTAS, servicesPerRegion: Math.max(2000, services) + 1, targetGroupsPerRegion: services * TGS + 1,
  serviceAssociationsPerServiceNetwork: Math.max(500, services) + 1, listenersPerService: LISTENERS.length + 1, rulesPerListener: RULES + 1,
});

type Call = (name: string, input: unknown) => { writes: Write[]; output: unknown };

function caller(view: View, quotas: Quotas): Call {
  return (name, input) => {
    const ctx = new Ctx(view, CALLER, REGION, quotas, view.revision);
    const handler = latticeHandlers[name as keyof typeof latticeHandlers] as unknown as (c: Ctx, i: unknown) => unknown;
    return { output: handler(ctx, input), writes: ctx.writes };
  };
}

// ---------------------------------------------------------------------------------------------
// Building the store

interface Template { writes: Write[]; ids: string[]; name: string }

async function makeTemplate(store: SqliteStore, view: View, quotas: Quotas): Promise<Template> {
  const call = caller(view, quotas);
  const api = async <T>(name: string, input: unknown): Promise<T> => {
    const { output, writes } = call(name, input);
    if (writes.length) await store.commit(writes);
    return output as T;
  };
  const vpcId = await ensureDefaultVpc(store, view, CALLER.accountId, REGION);
  const sn = await api<{ id: string }>('CreateServiceNetwork', { name: 'scale-net' });
  const before = new Set((await store.load()).entries.map((e) => e.key));
  const name = 'scale-00000';
  const svc = await api<{ id: string }>('CreateService', { name });
  const tgs: string[] = [];
  for (let g = 0; g < TGS; g++) {
    const tg = await api<{ id: string }>('CreateTargetGroup', { name: `${name}-tg${g}`, type: 'IP', config: { port: 8080, protocol: 'HTTP', vpcIdentifier: vpcId, healthCheck: { enabled: false } } });
    tgs.push(tg.id);
    await api('RegisterTargets', { targetGroupIdentifier: tg.id, targets: Array.from({ length: TARGETS }, (_, i) => ({ id: `127.1.${g}.${i + 1}`, port: 8080 })) });
  }
  for (const l of LISTENERS) {
    const listener = await api<{ id: string }>('CreateListener', {
      serviceIdentifier: svc.id, name: l.name, protocol: l.protocol, port: l.port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[0], weight: 1 }] } },
    });
    for (let r = 0; r < RULES; r++) {
      await api('CreateRule', {
        serviceIdentifier: svc.id, listenerIdentifier: listener.id, name: `route-${r}`, priority: r + 1,
        match: { httpMatch: { pathMatch: { match: { prefix: `/api/v${r}/` }, caseSensitive: false } } },
        action: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[r], weight: 90 }, { targetGroupIdentifier: tgs[(r + 1) % TGS], weight: 10 }] } },
      });
    }
  }
  await api('CreateServiceNetworkServiceAssociation', { serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id });
  const writes = (await store.load()).entries.filter((e) => !before.has(e.key)).map((e) => {
    const { revision: _, ...value } = e.value as Record<string, unknown>;
    return { key: e.key, value } as Write;
  });
  const ids = [...new Set([...JSON.stringify(writes).matchAll(/\b(?:svc|listener|rule|tg|snsa)-([0-9a-f]{17})\b/g)].map((m) => m[1]))];
  return { writes, ids, name };
}

async function build(db: string, services: number): Promise<void> {
  const t0 = performance.now();
  const store = new SqliteStore(db);
  const { view, stop } = await View.open(store);
  const template = await makeTemplate(store, view, quotasFor(services));
  stop();
  const texts = template.writes.map((w) => JSON.stringify(w));
  const idPattern = new RegExp(`[0-9a-f]{17}|${template.name}`, 'g');
  for (let s = 1; s < services; s++) {
    const map = new Map(template.ids.map((id) => [id, randomBytes(9).toString('hex').slice(0, 17)]));
    const name = `scale-${String(s).padStart(5, '0')}`;
    await store.commit(texts.map((text) => JSON.parse(text.replace(idPattern, (m) => (m === template.name ? name : map.get(m) ?? m))) as Write));
  }
  store.close();
  console.log(`  built ${services} services in ${((performance.now() - t0) / 1000).toFixed(1)} s (${db})`);
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Subject { serviceId: string; listenerId: string; ruleId: string; tgId: string; snId: string; targetIp: string }

/** One service's ids (the i-th service of the store), found once before timing. */
function subjects(view: View): Subject[] {
  const out: Subject[] = [];
  const listeners = new Map<string, string>(), rules = new Map<string, string>(), tgs = new Map<string, string>();
  for (const l of view.all<{ id: string; serviceId: string; port: number }>('listener')) if (l.port === 80) listeners.set(l.serviceId, l.id);
  for (const r of view.all<{ id: string; listenerId: string; priority: number }>('rule')) if (r.priority === 3) rules.set(r.listenerId, r.id);
  for (const t of view.all<{ id: string; name: string }>('tg')) if (t.name.endsWith('-tg3')) tgs.set(t.name.slice(0, -4), t.id);
  const snId = view.all<{ id: string }>('sn').next().value!.id;
  for (const s of view.all<{ id: string; name: string }>('svc')) {
    const listenerId = listeners.get(s.id)!;
    out.push({ serviceId: s.id, listenerId, ruleId: rules.get(listenerId)!, tgId: tgs.get(s.name)!, snId, targetIp: '127.1.3.7' });
  }
  return out;
}

/** The handler calls timed, each with its input for one service. */
const CASES: Record<string, (s: Subject, i: number) => unknown> = {
  UpdateListener: (s, i) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId, defaultAction: { fixedResponse: { statusCode: 400 + (i % 100) } } }),
  CreateListener: (s) => ({ serviceIdentifier: s.serviceId, name: 'extra', protocol: 'HTTP', port: 8080, defaultAction: { fixedResponse: { statusCode: 404 } } }),
  GetListener: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId }),
  ListListeners: (s) => ({ serviceIdentifier: s.serviceId }),
  DeleteListener: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId }),
  CreateRule: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId, name: 'extra', priority: 50, match: { httpMatch: { method: 'PUT' } }, action: { fixedResponse: { statusCode: 404 } } }),
  UpdateRule: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId, ruleIdentifier: s.ruleId, priority: 60 }),
  BatchUpdateRule: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId, rules: [{ ruleIdentifier: s.ruleId, priority: 61 }] }),
  ListRules: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId }),
  DeleteRule: (s) => ({ serviceIdentifier: s.serviceId, listenerIdentifier: s.listenerId, ruleIdentifier: s.ruleId }),
  RegisterTargets: (s) => ({ targetGroupIdentifier: s.tgId, targets: [{ id: '127.1.200.1', port: 8080 }] }),
  DeregisterTargets: (s) => ({ targetGroupIdentifier: s.tgId, targets: [{ id: s.targetIp, port: 8080 }] }),
  ListTargets: (s) => ({ targetGroupIdentifier: s.tgId }),
  GetTargetGroup: (s) => ({ targetGroupIdentifier: s.tgId }),
  ListTargetGroups: () => ({}),
  CreateTargetGroup: (_, i) => ({ name: `extra-${i}`, type: 'LAMBDA' }),
  DeleteTargetGroup: (s) => ({ targetGroupIdentifier: s.tgId }),
  GetService: (s) => ({ serviceIdentifier: s.serviceId }),
  ListServices: () => ({}),
  DeleteService: (s) => ({ serviceIdentifier: s.serviceId }),
  GetServiceNetwork: (s) => ({ serviceNetworkIdentifier: s.snId }),
  ListServiceNetworks: () => ({}),
  CreateServiceNetworkServiceAssociation: (s) => ({ serviceIdentifier: s.serviceId, serviceNetworkIdentifier: s.snId }),
  ListServiceNetworkServiceAssociations: (s) => ({ serviceIdentifier: s.serviceId }),
  CreateAccessLogSubscription: (s) => ({ resourceIdentifier: s.serviceId, destinationArn: 'arn:aws:s3:::bench-logs' }),
  ListAccessLogSubscriptions: (s) => ({ resourceIdentifier: s.serviceId }),
};

interface Timing { medianMs: number; maxMs: number; outcome: string }

function measure(view: View, services: number): Record<string, Timing> {
  const call = caller(view, quotasFor(services));
  const subs = subjects(view);
  const out: Record<string, Timing> = {};
  for (const [name, input] of Object.entries(CASES)) {
    const ms: number[] = [];
    let outcome = 'ok';
    for (let i = 0; i < SAMPLES + 3; i++) {
      const s = subs[(i * 7919) % subs.length];
      const t0 = performance.now();
      try {
        call(name, input(s, i));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        outcome = e.name;
      }
      if (i >= 3) ms.push(performance.now() - t0); // the first calls warm up
    }
    ms.sort((a, b) => a - b);
    out[name] = { medianMs: ms[ms.length >> 1], maxMs: ms[ms.length - 1], outcome };
  }
  return out;
}

async function open(db: string): Promise<{ view: View; close: () => void }> {
  const store = new SqliteStore(db);
  const t0 = performance.now();
  const { view, stop } = await View.open(store);
  console.log(`  View.open ${((performance.now() - t0) / 1000).toFixed(1)} s (${db})`);
  return { view, close: () => { stop(); store.close(); } };
}

const dir = mkdtempSync(join(tmpdir(), 'trellis-api-scale-'));
try {
  const largeDb = process.env.BENCH_DB ?? join(dir, 'large.db');
  if (!existsSync(largeDb)) await build(largeDb, SERVICES);
  const smallDb = join(dir, 'small.db');
  await build(smallDb, SMALL);
  const small = await open(smallDb);
  const large = await open(largeDb);
  const services = [...large.view.all('svc')].length;
  // Interleaved: small, large, small again (the second small run is the one compared).
  measure(small.view, SMALL);
  const l = measure(large.view, services);
  const s = measure(small.view, SMALL);
  console.log(`\napi-scale: handler time at ${SMALL} and ${services} services (median of ${SAMPLES}, no HTTP or commit)`);
  console.log(`  ${'handler'.padEnd(40)} ${'10 svc ms'.padStart(10)} ${'large ms'.padStart(10)} ${'max ms'.padStart(10)} ${'ratio'.padStart(8)}  outcome`);
  for (const name of Object.keys(CASES)) {
    const a = s[name], b = l[name];
    console.log(`  ${name.padEnd(40)} ${a.medianMs.toFixed(3).padStart(10)} ${b.medianMs.toFixed(3).padStart(10)} ${b.maxMs.toFixed(3).padStart(10)} ${(b.medianMs / a.medianMs).toFixed(1).padStart(7)}×  ${b.outcome}`);
  }
  console.log(`  (ListServices returns ${SMALL} services at ${SMALL} and a first page of 100 at ${services}: it touches 10× more; ListTargetGroups returns 100 at both.)`);
  small.close();
  large.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
