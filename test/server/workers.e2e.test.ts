// `trellis up --workers 2` as a user runs it: a real primary and two worker processes sharing the
// listener port, driven by the official SDK. Requests on fresh connections are routed right and
// served by both workers (each worker's own access log stream has records); a change is live in
// every worker once the API says ACTIVE; a target the health checker does not pass gets no
// request from any worker; one access log record per request, all shown by `trellis logs tail`;
// /metrics counts every request; a worker killed with SIGKILL is restarted and serves again;
// SIGTERM lets requests in progress finish, flushes access logs and leaves no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  VPCLatticeClient, CreateAccessLogSubscriptionCommand, CreateRuleCommand, CreateServiceCommand, CreateListenerCommand,
  CreateServiceNetworkServiceAssociationCommand, GetServiceNetworkServiceAssociationCommand, ListTargetsCommand,
} from '@aws-sdk/client-vpc-lattice';
import { startEcho, freePort, request } from '../helpers/echo.ts';
import { buildService } from '../helpers/lattice.ts';
import { parseExposition } from '../../src/observe/exposition.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
const run = promisify(execFile);

interface Ready { api: string; region: string; accountId: string; defaultVpcId: string }

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The worker processes: the primary's children (ps exits with 1 when there are none). */
function children(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  } catch {
    return [];
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('up --workers 2: shared ports, one Snapshot, health, access logs, metrics, restart and stop', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-workers-'));
  const readyFile = join(dataDir, 'ready.json');
  const proc = spawn(BIN, ['up', '--workers', '2', '--data-dir', dataDir, '--api-port', '0', '--dns-port', '0', '--ready-file', readyFile], {
    env: { ...process.env, TRELLIS_ACCESS_KEY_ID: 'AKIAWORKERS000000001', TRELLIS_SECRET_ACCESS_KEY: 'workers-secret' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const good = await startEcho('good');
  const bad = await startEcho('bad', { status: 500 });
  const slow = await startEcho('slow', { delayMs: 400 });
  const client = () => new VPCLatticeClient({ endpoint: ready.api, region: ready.region, credentials: { accessKeyId: 'AKIAWORKERS000000001', secretAccessKey: 'workers-secret' }, maxAttempts: 1 });
  let ready: Ready = { api: '', region: '', accountId: '', defaultVpcId: '' };
  let lattice: VPCLatticeClient | undefined;
  try {
    for (let i = 0; i < 300 && !existsSync(readyFile) && proc.exitCode === null; i++) await sleep(50);
    assert.ok(existsSync(readyFile), `trellis up did not get ready: ${out}`);
    ready = JSON.parse(readFileSync(readyFile, 'utf8')) as Ready;
    assert.match(out, /Trellis is up[\s\S]*2 worker processes/);
    const workerPids = children(proc.pid!);
    assert.equal(workerPids.length, 2, `two workers: ${out}`);
    lattice = client();
    const metrics = async () => parseExposition(await (await fetch(`${ready.api}/metrics`)).text());

    // A service whose target group has a passing and a failing target (health checks on).
    const port = await freePort();
    const svc = await buildService(lattice, {
      name: 'spread', port, vpcId: ready.defaultVpcId, targets: [good.port, bad.port],
      healthCheck: { enabled: true, healthCheckIntervalSeconds: 5, healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
    });
    const sub = await lattice.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier: svc.serviceId, destinationArn: `arn:aws:logs:us-east-1:${ready.accountId}:log-group:workers-e2e` }));
    await lattice.send(new CreateRuleCommand({
      serviceIdentifier: svc.serviceId, listenerIdentifier: svc.listenerId, name: 'teapot', priority: 10,
      match: { httpMatch: { pathMatch: { match: { prefix: '/teapot' } } } }, action: { fixedResponse: { statusCode: 418 } },
    }));
    const slowSvc = await buildService(lattice, { name: 'slow', port, vpcId: ready.defaultVpcId, targets: [slow.port], network: { id: svc.serviceNetworkId, arn: svc.serviceNetworkArn } });
    // A second service, created last: once its association is ACTIVE, every worker has applied
    // everything above (ACTIVE is the lowest revision any serving process has applied).
    const svc2 = await lattice.send(new CreateServiceCommand({ name: 'late' }));
    await lattice.send(new CreateListenerCommand({ serviceIdentifier: svc2.id, name: 'main', protocol: 'HTTP', port, defaultAction: { fixedResponse: { statusCode: 204 } } }));
    const assoc = await lattice.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc2.id, serviceNetworkIdentifier: svc.serviceNetworkId }));
    await until('the association ACTIVE', async () => ((await lattice!.send(new GetServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: assoc.id }))).status === 'ACTIVE' ? true : undefined));
    const late = await Promise.all(Array.from({ length: 20 }, () => request(port, svc2.dnsEntry!.domainName!)));
    assert.deepEqual(late.map((r) => r.status), late.map(() => 204), 'every worker serves the change the API calls ACTIVE');
    const teapots = await Promise.all(Array.from({ length: 20 }, () => request(port, svc.host, { path: '/teapot' })));
    assert.deepEqual(teapots.map((r) => r.status), teapots.map(() => 418));

    // The passing target becomes HEALTHY (the checker runs in the primary only); the failing one never does.
    await until('the good target HEALTHY', async () => {
      const items = (await lattice!.send(new ListTargetsCommand({ targetGroupIdentifier: svc.tgId }))).items ?? [];
      return items.find((t) => t.port === good.port)?.status === 'HEALTHY' ? true : undefined;
    });
    const N = 60;
    const replies = await Promise.all(Array.from({ length: N }, (_, i) => request(port, svc.host, { path: `/r-${i}` })));
    assert.deepEqual(replies.map((r) => r.status), replies.map(() => 200), replies.map((r) => r.body.slice(0, 80)).join('\n'));
    assert.ok(replies.every((r) => (JSON.parse(r.body) as { name: string }).name === 'good'), 'no worker routes to the target that failed its checks');
    assert.equal(bad.seen.filter((r) => r.url.startsWith('/r-')).length, 0);
    const teapotCount = teapots.length + late.length;

    // Access logs: each worker writes its own stream; together, one record per request.
    const dayDir = () => { const g = join(dataDir, 'logs', 'workers-e2e'); return existsSync(g) ? readdirSync(g).map((d) => join(g, d)) : []; };
    const records = () => dayDir().flatMap((d) => readdirSync(d).map((f) => ({ file: f, lines: readFileSync(join(d, f), 'utf8').split('\n').filter(Boolean) })));
    const logged = await until('every request logged', async () => {
      const files = records();
      const paths = files.flatMap((f) => f.lines.map((l) => (JSON.parse(l) as { requestPath: string }).requestPath)).filter((p) => p.startsWith('/r-'));
      return paths.length >= N ? { files, paths } : undefined;
    });
    assert.equal(new Set(logged.paths).size, N);
    assert.equal(logged.paths.length, N, 'exactly one record per request');
    const streams = logged.files.filter((f) => f.lines.some((l) => l.includes('"/r-'))).map((f) => f.file).sort();
    assert.ok(streams.some((f) => f.startsWith(`${sub.id}.w0.`)) && streams.some((f) => f.startsWith(`${sub.id}.w1.`)), `both workers served: ${streams.join()}`);
    const { stdout } = await run(BIN, ['logs', 'tail', 'workers-e2e', '--data-dir', dataDir, '-n', '1000']);
    const tailed = stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { requestPath: string }).requestPath);
    assert.deepEqual(tailed.filter((p) => p.startsWith('/r-')).sort(), logged.paths.sort());

    // /metrics on the API port: the workers' counts, summed.
    const count = (samples: Awaited<ReturnType<typeof metrics>>) => samples.filter((s) => s.name === 'lattice_total_request_count_total' && s.labels.service === svc.serviceArn).reduce((n, s) => n + s.value, 0);
    // A scrape waits 0.5 s for each worker: on a busy machine, ask again until every worker answered.
    const counted = async (want: number) => until(`${want} requests in /metrics`, async () => (count(await metrics()) === want ? true : undefined)).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${count(await metrics())}`);
    });
    await counted(N + teapots.length); // forwarded + fixed responses
    assert.ok(teapotCount > 0);

    // SIGKILL one worker: the primary restarts it, and both serve again.
    process.kill(workerPids[0], 'SIGKILL');
    await until('the worker restarted', async () => {
      const m = await metrics();
      const up = m.filter((s) => s.name === 'trellis_worker_up').map((s) => s.value);
      const restarts = m.filter((s) => s.name === 'trellis_worker_restarts_total').reduce((n, s) => n + s.value, 0);
      return restarts === 1 && up.length === 2 && up.every((v) => v === 1) ? true : undefined;
    });
    assert.match(out, /worker \d \(pid \d+\) exited \(SIGKILL\); restarting/);
    const pidsAfter = children(proc.pid!);
    assert.equal(pidsAfter.length, 2);
    assert.ok(!pidsAfter.includes(workerPids[0]));
    const again = await Promise.all(Array.from({ length: 40 }, (_, i) => request(port, svc.host, { path: `/again-${i}` })));
    assert.ok(again.every((r) => r.status === 200), again.map((r) => r.status).join());
    await counted(N + teapots.length + again.length); // the killed worker's counts are kept
    const againStreams = await until('both workers logging again', async () => {
      const s = new Set(records().filter((f) => f.lines.some((l) => l.includes('"/again-'))).map((f) => f.file.split('.')[1]));
      return s.size === 2 ? s : undefined;
    });
    assert.deepEqual([...againStreams].sort(), ['w0', 'w1']);

    // SIGTERM: the workers stop (requests in progress finish, access logs are flushed), then the
    // primary; nothing is left.
    const last = await Promise.all(Array.from({ length: 6 }, (_, i) => request(port, svc.host, { path: `/last-${i}` })));
    const inFlight = Array.from({ length: 6 }, () => request(port, slowSvc.host));
    await until('requests in progress', async () => (slow.seen.length === 6 ? true : undefined), 5000);
    proc.kill('SIGTERM');
    assert.deepEqual((await Promise.all(inFlight)).map((r) => r.status), inFlight.map(() => 200));
    assert.equal(await exited(proc), 0, out);
    const lastLogged = records().flatMap((f) => f.lines).filter((l) => l.includes('"/last-'));
    assert.equal(lastLogged.length, last.length, 'records still in memory at SIGTERM were written');
    for (const pid of [proc.pid!, ...pidsAfter]) assert.equal(alive(pid), false, `pid ${pid} is gone`);
  } finally {
    lattice?.destroy();
    if (proc.exitCode === null) {
      for (const pid of children(proc.pid!)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      proc.kill('SIGKILL');
    }
    await good.close();
    await bad.close();
    await slow.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('up --workers: a bad value is refused with a clear message, no stack trace', async () => {
  await Promise.all(['0', 'two'].map(async (bad) => {
    const p = spawn(BIN, ['up', `--workers=${bad}`, '--data-dir', join(tmpdir(), 'trellis-never-created')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    assert.equal(await exited(p), 1);
    assert.match(err, /^trellis: --workers needs a whole number of processes 1-\d+, got "/);
    assert.doesNotMatch(err, /\n\s+at /);
  }));
});

test('up --workers 2: when the primary is killed (SIGKILL), its workers exit too', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-workers-'));
  const readyFile = join(dataDir, 'ready.json');
  const proc = spawn(BIN, ['up', '--workers', '2', '--data-dir', dataDir, '--api-port', '0', '--dns-port', '0', '--ready-file', readyFile], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 300 && !existsSync(readyFile) && proc.exitCode === null; i++) await sleep(50);
    assert.ok(existsSync(readyFile));
    const workers = children(proc.pid!);
    assert.equal(workers.length, 2);
    proc.kill('SIGKILL');
    await exited(proc);
    await until('the workers gone', async () => (workers.every((pid) => !alive(pid)) ? true : undefined), 5000);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
