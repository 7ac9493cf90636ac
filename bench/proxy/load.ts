// Load generators for the proxy benchmark, pinned to the load core and bounded in time: wrk for
// HTTP/1.1, h2load for h2c, the grpc.ts load loop for gRPC unary. Each run also measures the CPU
// the proxy's processes used meanwhile (and the whole proxy core's busy time).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { cpuSeconds, coreBusySeconds, syscalls, tree } from './procs.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  rps: number;
  p50Ms?: number;
  p99Ms?: number;
  meanMs?: number; // h2load reports no percentiles, only the mean
  requests: number;
  errors: number; // non-2xx answers, socket errors, failed streams or calls
  wallS: number;
  proxyCpu: number; // proxy processes' CPU seconds / wall seconds (1 = one core)
  coreBusy: number; // the proxy core's busy fraction, everything on it
  readsPerReq?: number; // the proxy's read/write system calls per completed request (/proc/<pid>/io)
  writesPerReq?: number;
  settleS: number; // how long the proxy core took to go quiet before the run
  others: Record<string, number>; // CPU of the other pinned processes during the run (over 2% only)
}

// The processes pinned to the proxy core: whatever they do during another proxy's run is reported.
const bystanders = new Map<string, number>();
export function setBystanders(m: Record<string, number>): void {
  bystanders.clear();
  for (const [k, v] of Object.entries(m)) bystanders.set(k, v);
}

let beforeRun: () => void = () => {};
/** Called before each run, before the proxy core is waited on to go quiet. */
export function setBeforeRun(f: () => void): void {
  beforeRun = f;
}

/** Waits (at most maxS) until the proxy core is under 5% busy over 200 ms: leftovers of a previous run (log flushing, GC) must not land on the next proxy. */
async function settle(cpu: number, maxS = 10): Promise<number> {
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < maxS) {
    const b0 = coreBusySeconds(cpu);
    await sleep(200);
    if ((coreBusySeconds(cpu) - b0) / 0.2 < 0.05) break;
  }
  return (performance.now() - t0) / 1000;
}

/** Runs `cmd args` on `cpu` with a hard time limit; its stdout. */
function exec(cpu: number, cmd: string, args: string[], limitS: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitS * 1000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')}: ${signal ?? `exit ${code}`}\n${err}${out}`));
    });
  });
}

async function measured(proxyPid: number | undefined, proxyCpuId: number, f: () => Promise<Omit<Run, 'wallS' | 'proxyCpu' | 'coreBusy' | 'readsPerReq' | 'writesPerReq' | 'settleS' | 'others'>>): Promise<Run> {
  beforeRun();
  const settleS = await settle(proxyCpuId);
  const others = [...bystanders].filter(([, pid]) => pid !== proxyPid).map(([name, pid]) => ({ name, pids: tree(pid) }));
  const o0 = others.map((o) => cpuSeconds(o.pids));
  const pids = proxyPid === undefined ? [] : tree(proxyPid);
  const c0 = cpuSeconds(pids);
  const b0 = coreBusySeconds(proxyCpuId);
  const s0 = syscalls(pids);
  const t0 = performance.now();
  const r = await f();
  const wallS = (performance.now() - t0) / 1000;
  const s1 = syscalls(pids);
  const perReq = (n: number) => (pids.length && r.requests > 0 ? n / r.requests : undefined);
  const busy: Record<string, number> = {};
  others.forEach((o, i) => { const v = (cpuSeconds(o.pids) - o0[i]) / wallS; if (v > 0.02) busy[o.name] = Math.round(v * 100) / 100; });
  return { ...r, wallS, settleS, others: busy, proxyCpu: (cpuSeconds(pids) - c0) / wallS, coreBusy: (coreBusySeconds(proxyCpuId) - b0) / wallS, readsPerReq: perReq(s1.reads - s0.reads), writesPerReq: perReq(s1.writes - s0.writes) };
}

const unit = (v: string, u: string) => Number(v) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[u] ?? NaN);

export interface Target { port: number; host: string; path: string; pid?: number }

export function wrk(t: Target, o: { cpu: number; proxyCpu: number; connections: number; seconds: number; latency?: boolean }): Promise<Run> {
  return measured(t.pid, o.proxyCpu, async () => {
    const out = await exec(o.cpu, 'wrk', ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, ...(o.latency ? ['--latency'] : []), '-H', `Host: ${t.host}`, `http://127.0.0.1:${t.port}${t.path}`], o.seconds + 15);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
    const pct = (p: string) => { const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out); return m ? unit(m[1], m[2]) : undefined; };
    if (!Number.isFinite(rps)) throw new Error(`wrk output not understood:\n${out}`);
    return { rps, requests, errors, p50Ms: o.latency ? pct('50') : undefined, p99Ms: o.latency ? pct('99') : undefined };
  });
}

export function h2load(t: Target, o: { cpu: number; proxyCpu: number; clients: number; streams: number; seconds: number }): Promise<Run> {
  return measured(t.pid, o.proxyCpu, async () => {
    const out = await exec(o.cpu, 'h2load', ['-c', String(o.clients), '-m', String(o.streams), '-t', '1', '-D', String(o.seconds), '-H', `:authority: ${t.host}`, `http://127.0.0.1:${t.port}${t.path}`], o.seconds + 15);
    const rps = Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)?.[1]);
    const req = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
    const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
    if (!Number.isFinite(rps) || !req || !codes) throw new Error(`h2load output not understood:\n${out}`);
    const mean = /time for request:\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s)/.exec(out);
    // h2load's req/s counts succeeded requests; errors are failed requests and non-2xx answers.
    const non2xx = Number(codes[2]) + Number(codes[3]) + Number(codes[4]);
    return { rps: non2xx ? rps * Number(codes[1]) / (Number(codes[1]) + non2xx) : rps, requests: Number(req[3]), errors: Number(req[4]) + non2xx, p50Ms: undefined, p99Ms: undefined, meanMs: mean ? unit(mean[1], mean[2]) : undefined };
  });
}

export function grpcLoad(t: { port: number; host: string; pid?: number }, o: { cpu: number; proxyCpu: number; concurrency: number; seconds: number; node: string }): Promise<Run> {
  return measured(t.pid, o.proxyCpu, async () => {
    const out = await exec(o.cpu, o.node, [join(ROOT, 'bench/proxy/grpc.ts'), 'load', String(t.port), t.host, String(o.seconds), String(o.concurrency)], o.seconds + 20);
    const r = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { calls: number; errors: number; rps: number; p50Ms: number; p99Ms: number; firstError: string };
    if (r.errors && !r.calls) throw new Error(`grpc load: every call failed: ${r.firstError}`);
    return { rps: r.rps, requests: r.calls, errors: r.errors, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  });
}
