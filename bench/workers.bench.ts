// npm run bench:workers — does `trellis up --workers N` scale? Issue 7 asks for N=2 to give at least
// 1.8x the throughput of N=1 with the load generator on other cores. A machine with two cores has
// no other cores, so this measures what decides that number instead, and says how it gets there:
//
//   1. Cost per request. Trellis with --workers 1 and with --workers 2, each pinned to CPU 0
//      (PROXY_CPU), wrk -c50 and the backend pinned to CPU 1 (LOAD_CPU), interleaved rounds of
//      BENCH_SECONDS: CPU microseconds per request of all Trellis processes together (the primary
//      included). Two workers on one core pay everything running N processes costs (IPC, a
//      Snapshot each, their own pools and caches, context switches) with no second core to hide it.
//   2. Balance. How the kernel spread wrk's 50 connections over the workers' sockets
//      (SO_REUSEPORT hashes them), counted from /proc mid-run. wrk's load is closed-loop: a
//      worker with its own core and some of the connections runs as fast as that core lets it,
//      so the split matters only when a worker gets none (or too few to keep its core busy).
//   3. Projection: with a core per worker and every worker holding connections, N=2 / N=1 =
//      2 x (cost at N=1 / cost at N=2). The primary's CPU is counted in the cost at N=2, as if it
//      ran on the workers' cores.
//
// Also printed, not a goal: both on the whole machine (Trellis, wrk and backend unpinned). Results
// are appended to bench/results/<date>-<sha>-workers.json. Loopback only, bounded, stops what it starts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync, readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir, cpus, release, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, stop, stopAll, tree, cpuSeconds } from './proxy/procs.ts';
import { backendNginx } from './proxy/configs.ts';
import { startTrellis, type TrellisBench } from './proxy/trellis.ts';
import { ensureTools } from './tools.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PROXY_CPU = Number(process.env.PROXY_CPU ?? 0);
const LOAD_CPU = Number(process.env.LOAD_CPU ?? 1);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 18700);
const BACKENDS = [BASE + 1, BASE + 2];

interface Run { rps: number; usPerReq: number; connections: number[] }

/** Established connections to `port` held by each process: its socket fds matched to /proc/net/tcp. */
function connectionsOn(pids: number[], port: number): number[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const established = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (existsSync(table) ? readFileSync(table, 'utf8') : '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1].endsWith(`:${hex}`) && f[3] === '01') established.add(f[9]);
    }
  }
  return pids.map((pid) => {
    let n = 0;
    for (const fd of (() => { try { return readdirSync(`/proc/${pid}/fd`); } catch { return []; } })()) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && established.has(m[1])) n++;
      } catch { /* closed meanwhile */ }
    }
    return n;
  });
}

/** wrk -c50 against one Trellis: its rps, the CPU of all its processes per request, each worker's connections. */
async function measure(t: TrellisBench, cpu: string | undefined): Promise<Run> {
  const pids = tree(t.proc.pid);
  const workers = pids.length > 1 ? pids.filter((p) => p !== t.proc.pid) : pids;
  const before = cpuSeconds(pids);
  const wrk = ['wrk', '-t1', '-c50', `-d${SECONDS}s`, '-H', `Host: ${t.host}`, `http://127.0.0.1:${t.port}/bench`];
  const child = spawn(cpu === undefined ? wrk[0] : 'taskset', cpu === undefined ? wrk.slice(1) : ['-c', cpu, ...wrk]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise((resolve) => child.once('close', resolve));
  await sleep(SECONDS * 500);
  const connections = connectionsOn(workers, t.port);
  await done;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), usPerReq: ((cpuSeconds(pids) - before) / requests) * 1e6, connections };
}

const median = (xs: number[]) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

ensureTools({ nginx: 'nginx', wrk: 'wrk', taskset: 'util-linux' });
if (availableParallelism() < 2) throw new Error('bench:workers needs two CPUs (one for Trellis, one for wrk and the backend)');
const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'nogit';
const machine = { cpuModel: cpus()[0]?.model ?? 'unknown', nproc: availableParallelism(), kernel: release(), node: process.version };
console.log(`bench:workers  ${machine.cpuModel}, nproc ${machine.nproc}; Trellis on CPU ${PROXY_CPU}, wrk and backend on CPU ${LOAD_CPU}; ${ROUNDS} rounds x ${SECONDS} s`);

const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-workers-'));
try {
  writeFileSync(join(dir, 'backend.conf'), backendNginx(dir, BACKENDS));
  start('backend', LOAD_CPU, 'nginx', ['-c', join(dir, 'backend.conf')], { logFile: join(dir, 'backend.log') });
  const trellis = async (n: number, cpu: string, tag: string) => {
    const d = join(dir, `${tag}-w${n}`);
    mkdirSync(d);
    return startTrellis({ dir: d, cpu, portOffset: BASE - 8000 + 10 + n * 10 + (tag === 'free' ? 100 : 0), listenerPort: 8000, backends: BACKENDS, logFile: join(d, 'log'), upArgs: ['--workers', String(n)] });
  };

  // 1-3: pinned.
  const pinned = { 1: await trellis(1, String(PROXY_CPU), 'pinned'), 2: await trellis(2, String(PROXY_CPU), 'pinned') };
  for (const t of Object.values(pinned)) await measure(t, String(LOAD_CPU)); // warm-up
  const runs: Record<1 | 2, Run[]> = { 1: [], 2: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of round % 2 ? [2, 1] as const : [1, 2] as const) runs[n].push(await measure(pinned[n], String(LOAD_CPU)));
    console.log(`  round ${round + 1}/${ROUNDS} done`);
  }
  for (const t of Object.values(pinned)) await stop(t.proc);
  const cost = (n: 1 | 2) => median(runs[n].map((r) => r.usPerReq));
  const rps = (n: 1 | 2) => median(runs[n].map((r) => r.rps));
  const split = runs[2].map((r) => r.connections.join('/')).join(', ');
  const everyWorkerServes = runs[2].every((r) => r.connections.length === 2 && Math.min(...r.connections) > 0);
  const projected = everyWorkerServes ? 2 * (cost(1) / cost(2)) : cost(1) / cost(2);

  // Unpinned, for reference.
  const free = { 1: await trellis(1, `0-${machine.nproc - 1}`, 'free'), 2: await trellis(2, `0-${machine.nproc - 1}`, 'free') };
  for (const t of Object.values(free)) await measure(t, undefined);
  const freeRps = { 1: (await measure(free[1], undefined)).rps, 2: (await measure(free[2], undefined)).rps };

  console.log(`
  workers  rps (one core)  CPU µs/request  connections per worker (each round)
  1        ${Math.round(rps(1)).toLocaleString('en-US').padStart(14)}  ${cost(1).toFixed(1).padStart(14)}  -
  2        ${Math.round(rps(2)).toLocaleString('en-US').padStart(14)}  ${cost(2).toFixed(1).padStart(14)}  ${split}

  Projected with a core per worker: N=2 / N=1 = ${projected.toFixed(2)}x (goal >= 1.8x: ${projected >= 1.8 ? 'met' : 'NOT met'}) = 2 x ${(cost(1) / cost(2)).toFixed(2)} (cost at N=1 / cost at N=2)${everyWorkerServes ? '' : ', but a worker got no connections: counted as one'}
  For reference, unpinned on ${machine.nproc} cores with wrk and the backend: N=1 ${Math.round(freeRps[1]).toLocaleString('en-US')} rps, N=2 ${Math.round(freeRps[2]).toLocaleString('en-US')} rps (${(freeRps[2] / freeRps[1]).toFixed(2)}x)`);

  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}-${sha}-workers.json`);
  const prior = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
  prior.push({ at: new Date().toISOString(), commit: sha, machine, seconds: SECONDS, rounds: ROUNDS, runs, medians: { rps: { 1: rps(1), 2: rps(2) }, usPerReq: { 1: cost(1), 2: cost(2) } }, projectedScaling: projected, unpinnedRps: freeRps });
  writeFileSync(file, JSON.stringify(prior, null, 2) + '\n');
  console.log(`\nappended to ${file}`);
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
