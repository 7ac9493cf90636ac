// npm run bench — the data plane against nginx, haproxy and a bare Node proxy, on the same cheap
// backend (nginx answering 200 "ok" on two ports). Every proxy is pinned to one core (PROXY_CPU,
// default 0); the load generator and the backend share the other (LOAD_CPU, default 1). After a
// warm-up, interleaved rounds (order rotated each round) measure, per proxy:
//   HTTP/1.1 keep-alive  wrk -t1 -c50 (rps) and wrk -t1 -c10 --latency (p50/p99; "direct" = wrk
//                        straight to a backend, for the latency the proxy adds)
//   h2c                  h2load -c10 -m10 (prior knowledge)
//   gRPC unary           bench/proxy/grpc.ts, a @grpc/grpc-js load loop (direct and Trellis only)
// and the proxy's CPU (utime+stime of its processes over the run, /proc/<pid>/stat), giving rps
// per proxy core and the ratio to nginx's. Medians of the rounds are printed and appended to
// bench/results/<date>-<sha>.json with the machine description.
// Trellis: one service, one HTTP listener, 10 rules with the matching one last (priority 100),
// an IP target group of the two backends (health checks off), access logs to a log group.
// trellis-nolog: the same configuration without the access log subscription, serving the same
// HTTP/1.1, h2c and gRPC runs, so the cost of logging is measured side by side (issue 6: under 10%
// of throughput).
// Env: BENCH_SECONDS (4 per run), BENCH_ROUNDS (3), BENCH_LOG_PAIRS (16 back-to-back pairs of 2 s runs
// of trellis and trellis-nolog for the logging cost), BENCH_PORT_BASE (18000), PROXY_CPU, LOAD_CPU,
// BENCH_PROFILE=1 or --profile: one more wrk run against Trellis under --cpu-prof, top 15 self times
// (--profile-only: just that, no rounds and no results file). Before each run the proxy core must go
// quiet (under 5% for 200 ms, at most 10 s); CPU other pinned processes use during a run is warned
// about. The JSON also has every run, and readsPerReq/writesPerReq (the proxy's read/readv/write/
// writev calls per request from /proc/<pid>/io; send/recv are not counted there).
// BENCH_WARM_MB (2048): a file of that size is written and deleted first, and the proxies' access
// log files are emptied before each run, so that the page cache of the access logs does not draw
// on memory the VM never used (bench/proxy/memory.ts says why).
// Loopback only; bounded in time (BENCH_MAX_SECONDS, 480, after which remaining rounds are
// skipped); stops every process group it started and removes its temporary folder, also on errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir, cpus, release, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, stop, stopAll, waitPort } from './proxy/procs.ts';
import { backendNginx, proxyNginx, proxyHaproxy } from './proxy/configs.ts';
import { startTrellis, status } from './proxy/trellis.ts';
import { wrk, h2load, grpcLoad, setBystanders, setBeforeRun, type Run, type Target } from './proxy/load.ts';
import { topSelf } from './proxy/profile.ts';
import { ensureTools } from './tools.ts';
import { touchMemory, truncateLogs } from './proxy/memory.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NODE = existsSync(join(ROOT, 'node_modules/node/bin/node')) ? join(ROOT, 'node_modules/node/bin/node') : process.execPath;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 480);
const LOG_PAIRS = Number(process.env.BENCH_LOG_PAIRS ?? 16);
const BASE = Number(process.env.BENCH_PORT_BASE ?? 18000);
const PROFILE_ONLY = process.argv.includes('--profile-only'); // just the profile: no rounds, no results file
const PROFILE = PROFILE_ONLY || process.env.BENCH_PROFILE === '1' || process.argv.includes('--profile');
const NPROC = availableParallelism();
const PROXY_CPU = Number(process.env.PROXY_CPU ?? 0);
const LOAD_CPU = Number(process.env.LOAD_CPU ?? (NPROC > 1 ? 1 : 0));
const PATH = '/bench';
const began = Date.now();

const ports = {
  backends: [BASE + 81, BASE + 82], grpcBackend: BASE + 83,
  nginx: [BASE + 101, BASE + 102], haproxy: [BASE + 111, BASE + 112], node: [BASE + 121, BASE + 122],
  trellisOffset: BASE - 8000 + 200, trellisListener: 8000, // data plane on BASE+200 (HTTP) and BASE+201 (gRPC)
  trellisNologOffset: BASE - 8000 + 210, // the same without the access log subscription, for the logging cost
};

// --- tools ---------------------------------------------------------------------------------------
const version = (cmd: string, args: string[], re: RegExp) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
};

// --- statistics and printing ---------------------------------------------------------------------
const median = (xs: number[]) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const f0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const f2 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(2));
const f3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));
const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) || x === 0 ? '-' : `${(x * 100).toFixed(0)}%`);
function table(head: string[], rows: string[][], left = new Set([0])): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (left.has(i) ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

interface Summary {
  proxy: string; rounds: number; rps: number; proxyCpu: number; coreBusy: number; rpsPerCore: number; errors: number;
  readsPerReq?: number; writesPerReq?: number;
  p50Ms?: number; p99Ms?: number; meanMs?: number; addedP50Ms?: number; addedP99Ms?: number; ratioToNginxPerCore?: number; ratioToNginxRps?: number;
}
function summarize(proxy: string, load: Run[], lat: Run[]): Summary {
  return {
    proxy, rounds: load.length,
    rps: median(load.map((r) => r.rps)), proxyCpu: median(load.map((r) => r.proxyCpu)), coreBusy: median(load.map((r) => r.coreBusy)),
    rpsPerCore: median(load.map((r) => (r.proxyCpu > 0 ? r.rps / r.proxyCpu : NaN))),
    readsPerReq: median(load.map((r) => r.readsPerReq ?? NaN)), writesPerReq: median(load.map((r) => r.writesPerReq ?? NaN)),
    errors: [...load, ...lat].reduce((a, r) => a + r.errors, 0),
    p50Ms: lat.length ? median(lat.map((r) => r.p50Ms ?? NaN)) : undefined, p99Ms: lat.length ? median(lat.map((r) => r.p99Ms ?? NaN)) : undefined,
    meanMs: load.some((r) => r.meanMs !== undefined) ? median(load.map((r) => r.meanMs ?? NaN)) : undefined,
  };
}
function compare(rows: Summary[], direct?: Summary): void {
  const nginx = rows.find((r) => r.proxy === 'nginx');
  for (const r of rows) {
    if (direct && r !== direct && r.p50Ms !== undefined && direct.p50Ms !== undefined) { r.addedP50Ms = r.p50Ms - direct.p50Ms; r.addedP99Ms = (r.p99Ms ?? NaN) - (direct.p99Ms ?? NaN); }
    if (nginx && r.proxy !== 'direct') { r.ratioToNginxPerCore = r.rpsPerCore / nginx.rpsPerCore; r.ratioToNginxRps = r.rps / nginx.rps; }
  }
}

// --- main ----------------------------------------------------------------------------------------
ensureTools({ nginx: 'nginx', haproxy: 'haproxy', wrk: 'wrk', h2load: 'nghttp2-client', taskset: 'util-linux' });
const cpuModel = cpus()[0]?.model ?? 'unknown';
const machine = {
  cpuModel, nproc: NPROC, kernel: release(), node: process.version,
  nginx: version('nginx', ['-v'], /nginx\/(\S+)/), haproxy: version('haproxy', ['-v'], /version (\S+)/),
  wrk: version('wrk', ['-v'], /wrk (\S+)/), h2load: version('h2load', ['--version'], /nghttp2\/(\S+)/),
};
const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'nogit';
const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() !== '';
console.log(`bench:proxy  ${cpuModel}, nproc ${NPROC}, kernel ${machine.kernel}, node ${machine.node}, nginx ${machine.nginx}, haproxy ${machine.haproxy}, wrk ${machine.wrk}, h2load ${machine.h2load}`);
console.log(`  proxies pinned to CPU ${PROXY_CPU}; wrk/h2load/gRPC client and backend to CPU ${LOAD_CPU}; ${ROUNDS} interleaved rounds of ${SECONDS} s per run; commit ${sha}${dirty ? ' (modified)' : ''}`);
if (NPROC < 2) console.log('  WARNING: one CPU only: proxy and load generator share it, numbers are not comparable');

const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-proxy-'));
const logs = (name: string) => join(dir, `${name}.log`);
let failed = false;
try {
  console.log(`  ${touchMemory(dir, Number(process.env.BENCH_WARM_MB ?? 2048))}`);
  for (const p of [...ports.backends, ports.grpcBackend, ...ports.nginx, ...ports.haproxy, ...ports.node, ports.trellisListener + ports.trellisOffset, ports.trellisListener + ports.trellisOffset + 1,
    ports.trellisListener + ports.trellisNologOffset, ports.trellisListener + ports.trellisNologOffset + 1]) {
    if (await waitPort(p, 0).then(() => true, () => false)) throw new Error(`port ${p} is already in use (set BENCH_PORT_BASE)`);
  }
  // Backend and proxies.
  for (const d of ['backend', 'nginx']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'backend/nginx.conf'), backendNginx(join(dir, 'backend'), ports.backends));
  writeFileSync(join(dir, 'nginx/nginx.conf'), proxyNginx(join(dir, 'nginx'), ports.nginx[0], ports.nginx[1], ports.backends));
  writeFileSync(join(dir, 'haproxy.cfg'), proxyHaproxy(ports.haproxy[0], ports.haproxy[1], ports.backends));
  start('backend', LOAD_CPU, 'nginx', ['-c', join(dir, 'backend/nginx.conf'), '-p', join(dir, 'backend')], { logFile: logs('backend') });
  start('grpc-backend', LOAD_CPU, NODE, [join(ROOT, 'bench/proxy/grpc.ts'), 'server', String(ports.grpcBackend)], { logFile: logs('grpc-backend') });
  const nginx = start('nginx', PROXY_CPU, 'nginx', ['-c', join(dir, 'nginx/nginx.conf'), '-p', join(dir, 'nginx')], { logFile: logs('nginx') });
  const haproxy = start('haproxy', PROXY_CPU, 'haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { logFile: logs('haproxy') });
  const nodeProxy = start('node', PROXY_CPU, NODE, [join(ROOT, 'bench/proxy/nodeproxy.ts'), String(ports.node[0]), String(ports.node[1]), ...ports.backends.map(String)], { logFile: logs('nodeproxy') });
  for (const p of [...ports.backends, ports.grpcBackend, ...ports.nginx, ...ports.haproxy, ...ports.node]) await waitPort(p);
  mkdirSync(join(dir, 'trellis'));
  const tr = await startTrellis({ dir: join(dir, 'trellis'), cpu: PROXY_CPU, portOffset: ports.trellisOffset, listenerPort: ports.trellisListener, backends: ports.backends, grpcBackend: ports.grpcBackend, logFile: logs('trellis') });
  mkdirSync(join(dir, 'trellis-nolog'));
  const trNolog = await startTrellis({ dir: join(dir, 'trellis-nolog'), cpu: PROXY_CPU, portOffset: ports.trellisNologOffset, listenerPort: ports.trellisListener, backends: ports.backends, grpcBackend: ports.grpcBackend, logFile: logs('trellis-nolog'), accessLogs: false });
  const host = tr.host;

  const h1: Record<string, Target> = {
    direct: { port: ports.backends[0], host, path: PATH },
    nginx: { port: ports.nginx[0], host, path: PATH, pid: nginx.pid },
    haproxy: { port: ports.haproxy[0], host, path: PATH, pid: haproxy.pid },
    node: { port: ports.node[0], host, path: PATH, pid: nodeProxy.pid },
    trellis: { port: tr.port, host, path: PATH, pid: tr.proc.pid },
    'trellis-nolog': { port: trNolog.port, host: trNolog.host, path: PATH, pid: trNolog.proc.pid },
  };
  const h2: Record<string, Target> = {
    nginx: { ...h1.nginx, port: ports.nginx[1] }, haproxy: { ...h1.haproxy, port: ports.haproxy[1] },
    node: { ...h1.node, port: ports.node[1] }, trellis: h1.trellis,
    // trellis-nolog serves the same mix as trellis (HTTP/1.1, h2c, gRPC): a process that never saw
    // HTTP/2 runs the shared request path with fewer shapes (monomorphic), which made it faster
    // for reasons other than logging (its lead over trellis grew from pair to pair).
    'trellis-nolog': h1['trellis-nolog'],
  };
  const grpc: Record<string, Target> = {
    direct: { port: ports.grpcBackend, host: '', path: '' },
    trellis: { port: tr.grpcPort, host: tr.grpcHost, path: '', pid: tr.proc.pid },
    'trellis-nolog': { port: trNolog.grpcPort, host: trNolog.grpcHost, path: '', pid: trNolog.proc.pid },
  };

  for (const [name, t] of Object.entries(h1)) {
    const code = await status(t.port, t.host, PATH);
    if (code !== 200) throw new Error(`${name}: GET ${PATH} answered ${code}, not 200`);
  }

  const cpu = { cpu: LOAD_CPU, proxyCpu: PROXY_CPU };
  setBeforeRun(() => truncateLogs([join(dir, 'nginx', 'access.log'), logs('haproxy')], [join(dir, 'trellis', 'data', 'logs')]));
  setBystanders({ nginx: nginx.pid, haproxy: haproxy.pid, node: nodeProxy.pid, trellis: tr.proc.pid, 'trellis-nolog': trNolog.proc.pid });
  let entry: Record<string, unknown> | undefined;
  if (!PROFILE_ONLY) {
    console.log(`  warming up (${Object.keys(h1).length} HTTP/1.1, ${Object.keys(h2).length} h2c, ${Object.keys(grpc).length} gRPC targets) ...`);
    for (const t of Object.values(h1)) await wrk(t, { ...cpu, connections: 50, seconds: 2 });
    for (const t of Object.values(h2)) await h2load(t, { ...cpu, clients: 10, streams: 10, seconds: 1 });
    for (const t of Object.values(grpc)) await grpcLoad(t, { ...cpu, concurrency: 10, seconds: 1, node: NODE });

    const runs = { h1Load: new Map<string, Run[]>(), h1Lat: new Map<string, Run[]>(), h2: new Map<string, Run[]>(), grpc: new Map<string, Run[]>(), logPairs: new Map<string, Run[]>() };
    const add = (m: Map<string, Run[]>, k: string, r: Run) => m.set(k, [...(m.get(k) ?? []), r]);
    const rotate = <T>(xs: T[], n: number) => xs.map((_, i) => xs[(i + n) % xs.length]);
    let rounds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if ((Date.now() - began) / 1000 > MAX_SECONDS - 90) { console.log(`  time limit: stopping after ${round} rounds`); break; }
      process.stdout.write(`  round ${round + 1}/${ROUNDS} ...`);
      for (const name of rotate(Object.keys(h1), round)) {
        add(runs.h1Load, name, await wrk(h1[name], { ...cpu, connections: 50, seconds: SECONDS }));
        add(runs.h1Lat, name, await wrk(h1[name], { ...cpu, connections: 10, seconds: SECONDS, latency: true }));
      }
      for (const name of rotate(Object.keys(h2), round)) add(runs.h2, name, await h2load(h2[name], { ...cpu, clients: 10, streams: 10, seconds: SECONDS }));
      for (const name of rotate(Object.keys(grpc), round)) add(runs.grpc, name, await grpcLoad(grpc[name], { ...cpu, concurrency: 10, seconds: SECONDS, node: NODE }));
      rounds++;
      console.log(` done (${Math.round((Date.now() - began) / 1000)} s)`);
    }

    // Logging cost, paired: one 4 s run of the same build moves by up to ±30% here, so the medians
    // of the rounds above can differ by more than the 10% they are to judge. trellis and
    // trellis-nolog also run back to back LOG_PAIRS times (order alternating); each pair gives the
    // ratio of their CPU per request, and the median ratio is the cost (1 - 1/ratio of throughput
    // per core). Both figures are printed.
    const ratios: number[] = [];
    const cpuPerRequest = (r: Run) => (r.proxyCpu * r.wallS) / r.requests;
    for (let i = 0; i < LOG_PAIRS && (Date.now() - began) / 1000 < MAX_SECONDS - 40; i++) {
      const pair: Record<string, Run> = {};
      for (const name of i % 2 ? ['trellis-nolog', 'trellis'] : ['trellis', 'trellis-nolog']) {
        pair[name] = await wrk(h1[name], { ...cpu, connections: 50, seconds: 2 });
        add(runs.logPairs, name, pair[name]);
      }
      ratios.push(cpuPerRequest(pair.trellis) / cpuPerRequest(pair['trellis-nolog']));
    }

    const h1Rows = Object.keys(h1).map((k) => summarize(k, runs.h1Load.get(k) ?? [], runs.h1Lat.get(k) ?? []));
    compare(h1Rows, h1Rows[0]);
    const h2Rows = Object.keys(h2).map((k) => summarize(k, runs.h2.get(k) ?? [], []));
    compare(h2Rows);
    const grpcRows = Object.keys(grpc).map((k) => summarize(k, runs.grpc.get(k) ?? [], runs.grpc.get(k) ?? []));
    compare(grpcRows, grpcRows[0]);

    console.log(`\nHTTP/1.1 keep-alive (wrk -t1; rps at -c50, latency at -c10; median of ${rounds} rounds)`);
    console.log(table(['proxy', 'rps@50', 'p50@10 ms', 'p99@10 ms', '+p50 ms', '+p99 ms', 'proxy CPU', 'core busy', 'rps/core', 'x nginx/core', 'x nginx rps', 'errors'],
      h1Rows.map((r) => [r.proxy, f0(r.rps), f3(r.p50Ms), f3(r.p99Ms), f3(r.addedP50Ms), f3(r.addedP99Ms), pct(r.proxyCpu), r.proxy === 'direct' ? '-' : pct(r.coreBusy), f0(r.rpsPerCore), f2(r.ratioToNginxPerCore), f2(r.ratioToNginxRps), String(r.errors)])));
    console.log(`\nh2c, prior knowledge (h2load -c10 -m10; median of ${rounds} rounds; h2load gives no percentiles: mean latency)`);
    console.log(table(['proxy', 'rps', 'mean ms', 'proxy CPU', 'core busy', 'rps/core', 'x nginx/core', 'x nginx rps', 'errors'],
      h2Rows.map((r) => [r.proxy, f0(r.rps), f3(r.meanMs), pct(r.proxyCpu), pct(r.coreBusy), f0(r.rpsPerCore), f2(r.ratioToNginxPerCore), f2(r.ratioToNginxRps), String(r.errors)])));
    console.log(`\ngRPC unary (@grpc/grpc-js loop, 10 calls in flight on one channel; median of ${rounds} rounds; Trellis only, against the backend direct)`);
    console.log(table(['proxy', 'calls/s', 'p50 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'proxy CPU', 'calls/core', 'errors'],
      grpcRows.map((r) => [r.proxy, f0(r.rps), f3(r.p50Ms), f3(r.p99Ms), f3(r.addedP50Ms), f3(r.addedP99Ms), pct(r.proxyCpu), f0(r.rpsPerCore), String(r.errors)])));

    const t1 = h1Rows.find((r) => r.proxy === 'trellis')!;
    const t2 = h2Rows.find((r) => r.proxy === 'trellis')!;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const goals = {
      http1PerCore: { value: t1.ratioToNginxPerCore, goal: 0.5, milestone: 0.3 },
      addedP50Ms: { value: t1.addedP50Ms, goal: 0.3 },
      addedP99Ms: { value: t1.addedP99Ms, goal: 1 },
      h2PerCore: { value: t2.ratioToNginxPerCore, goal: 0.5 },
      // Issue 6: what access logging costs, from the paired runs (median of the pairs' ratios).
      loggingCost: { value: ratios.length ? 1 - 1 / median(ratios) : NaN, goal: 0.1, pairs: ratios.length, pairRatios: ratios },
      // The same from the medians of the rounds (rps per core with the subscription vs without).
      loggingCostRounds: { value: 1 - t1.rpsPerCore / (h1Rows.find((r) => r.proxy === 'trellis-nolog')?.rpsPerCore ?? NaN) },
    };
    console.log(`\nGoals (issue 7), Trellis:
  HTTP/1.1 rps per core vs nginx   ${f2(goals.http1PerCore.value)}x   goal >= 0.5x ${verdict((goals.http1PerCore.value ?? 0) >= 0.5)}, first milestone >= 0.3x ${verdict((goals.http1PerCore.value ?? 0) >= 0.3)}
  added latency over direct @10    p50 +${f3(goals.addedP50Ms.value)} ms (goal <= 0.3: ${verdict((goals.addedP50Ms.value ?? Infinity) <= 0.3)}), p99 +${f3(goals.addedP99Ms.value)} ms (goal <= 1: ${verdict((goals.addedP99Ms.value ?? Infinity) <= 1)})
  h2c rps per core vs nginx        ${f2(goals.h2PerCore.value)}x   goal >= 0.5x ${verdict((goals.h2PerCore.value ?? 0) >= 0.5)}
  access logging cost (issue 6)    ${pct(goals.loggingCost.value)} of throughput per core (median of ${ratios.length} back-to-back pairs, trellis vs trellis-nolog; pairs ${pct(ratios.length ? 1 - 1 / Math.min(...ratios) : NaN)} to ${pct(ratios.length ? 1 - 1 / Math.max(...ratios) : NaN)})   goal < 10% ${verdict(goals.loggingCost.value < 0.1)}
                                   ${pct(goals.loggingCostRounds.value)} from the medians of the rounds (rps per core)`);
    console.log('  access logs: Trellis to a log group, nginx to a buffered file, haproxy to stdout (a file), the Node proxy none.');
    const all = [...runs.h1Load, ...runs.h1Lat, ...runs.h2, ...runs.grpc];
    const noisy = all.flatMap(([k, rs]) => rs.filter((r) => Object.keys(r.others).length).map((r) => `${k} (${Object.entries(r.others).map(([o, v]) => `${o} ${pct(v)}`).join(', ')})`));
    if (noisy.length) console.log(`  WARNING: other processes used the proxy core during ${noisy.length} runs: ${noisy.join('; ')}`);
    const slow = all.flatMap(([, rs]) => rs).filter((r) => r.settleS >= 9.9).length;
    if (slow) console.log(`  WARNING: the proxy core did not go quiet within 10 s before ${slow} runs`);
    entry = {
      date: new Date().toISOString(), commit: sha, dirty, machine,
      config: { seconds: SECONDS, rounds, proxyCpu: PROXY_CPU, loadCpu: LOAD_CPU, path: PATH, backend: 'nginx return 200 "ok", two ports', trellis: '1 service, 1 HTTP listener, 10 rules (match at priority 100), 2 IP targets, access log to a log group' },
      http1: h1Rows, h2c: h2Rows, grpc: grpcRows, goals,
      runs: Object.fromEntries(Object.entries(runs).map(([k, m]) => [k, Object.fromEntries(m)])),
    };
  }

  let profile: { totalMs: number; idleMs: number; top: { fn: string; where: string; caller: string; trellisFrame: string; ms: number; share: number }[] } | undefined;
  if (PROFILE) {
    await stop(tr.proc, 10_000);
    const profDir = join(dir, 'profile');
    mkdirSync(profDir);
    mkdirSync(join(dir, 'trellis-prof'));
    const tp = await startTrellis({ dir: join(dir, 'trellis-prof'), cpu: PROXY_CPU, portOffset: ports.trellisOffset, listenerPort: ports.trellisListener, backends: ports.backends, cpuProfDir: profDir, logFile: logs('trellis-prof') });
    const target = { port: tp.port, host: tp.host, path: PATH, pid: tp.proc.pid };
    await wrk(target, { ...cpu, connections: 50, seconds: 2 });
    const r = await wrk(target, { ...cpu, connections: 50, seconds: SECONDS });
    await stop(tp.proc, 15_000);
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const { total, idle, top } = topSelf(join(profDir, file), 15);
    profile = { totalMs: total, idleMs: idle, top };
    console.log(`\nTrellis under --cpu-prof (the whole process life: start, configuration, a 2 s warm-up and wrk -c50 ${SECONDS} s at ${f0(r.rps)} rps with the profiler on);`);
    console.log(`top 15 by self time, of ${f0(total)} ms busy (${f0(idle)} ms idle left out):`);
    console.log(table(['self ms', 'share', 'function', 'where', 'mostly called from', 'nearest Trellis frame'], top.map((t) => [f0(t.ms), `${(t.share * 100).toFixed(1)}%`, t.fn, t.where, t.caller, t.trellisFrame]), new Set([2, 3, 4, 5])));
  }

  if (entry) {
    const resultsDir = join(ROOT, 'bench/results');
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}-${sha}.json`);
    const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
    writeFileSync(file, JSON.stringify([...previous, { ...entry, profile }], null, 2) + '\n');
    console.log(`\nappended to ${file.slice(ROOT.length)} (${Math.round((Date.now() - began) / 1000)} s in all)`);
  }
} catch (err) {
  failed = true;
  console.error(`\nbench:proxy failed: ${(err as Error).stack ?? err}`);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.log'))) {
    const text = readFileSync(join(dir, f), 'utf8').trim();
    if (text) console.error(`--- ${f} (last lines)\n${text.split('\n').slice(-8).join('\n')}`);
  }
} finally {
  await stopAll();
  await sleep(100);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
