// npm run bench:dns — Trellis's DNS server against unbound (Debian's, answering the same names from
// local-data), both pinned to one core (PROXY_CPU, default 0), dnsperf on the other (LOAD_CPU).
// Trellis gets BENCH_DNS_SERVICES services (100) in a service network associated with the default
// VPC, so every query (from 127.0.0.1, inside that VPC) is answered; unbound gets the same names
// with the same A records as local-data. Interleaved rounds of dnsperf -c 10 -l BENCH_SECONDS over
// the names (type A), medians printed with the ratio to unbound (issue 7's goal: at least 0.5x) and
// appended to bench/results/<date>-<sha>-dns.json. Installs dnsperf and unbound with apt-get when
// missing. Loopback only, bounded (rounds x seconds), stops what it starts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir, cpus, release, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import dnsPacket from 'dns-packet';
import dgram from 'node:dgram';
import { start, stop, stopAll } from './proxy/procs.ts';
import { call, type ClientConfig } from '../src/core/client.ts';
import { ensureTools, TRELLIS_NODE_FLAGS } from './tools.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NODE = existsSync(join(ROOT, 'node_modules/node/bin/node')) ? join(ROOT, 'node_modules/node/bin/node') : process.execPath;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SERVICES = Number(process.env.BENCH_DNS_SERVICES ?? 100);
const NPROC = availableParallelism();
const PROXY_CPU = Number(process.env.PROXY_CPU ?? 0);
const LOAD_CPU = Number(process.env.LOAD_CPU ?? (NPROC > 1 ? 1 : 0));
const BASE = Number(process.env.BENCH_PORT_BASE ?? 18500);
const KEY = 'AKIABENCHDNS00000001';
const SECRET = 'bench-dns-secret';

/** One UDP query; the A records answered. */
function resolveA(port: number, name: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); reject(new Error(`no answer for ${name} on port ${port}`)); }, 2000);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      const answers = dnsPacket.decode(msg).answers ?? [];
      resolve(answers.flatMap((a) => (a.type === 'A' ? [a.data] : [])));
    });
    sock.send(dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
  });
}

interface Run { qps: number; lost: number; latencyMs: number }
function dnsperf(port: number, queries: string): Run {
  const r = spawnSync('taskset', ['-c', String(LOAD_CPU), 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(SECONDS), '-c', '10', '-q', '200', '-t', '2'],
    { encoding: 'utf8', timeout: (SECONDS + 20) * 1000 });
  const out = `${r.stdout}${r.stderr}`;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  return { qps: num(/Queries per second:\s+([\d.]+)/), lost: num(/Queries lost:\s+(\d+)/), latencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000 };
}

const median = (xs: number[]) => { const s = xs.filter(Number.isFinite).sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

ensureTools({ dnsperf: 'dnsperf', unbound: 'unbound', taskset: 'util-linux' });
const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() || 'nogit';
const unboundVersion = /Version (\S+)/.exec(spawnSync('unbound', ['-V'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
const machine = { cpuModel: cpus()[0]?.model ?? 'unknown', nproc: NPROC, kernel: release(), node: process.version, unbound: unboundVersion };
console.log(`bench:dns  ${machine.cpuModel}, nproc ${NPROC}, node ${machine.node}, unbound ${unboundVersion}; servers on CPU ${PROXY_CPU}, dnsperf on CPU ${LOAD_CPU}; ${SERVICES} names, ${ROUNDS} rounds x ${SECONDS} s`);

const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-dns-'));
try {
  // Trellis, configured through its API.
  const ready = join(dir, 'ready.json');
  const trellis = start('trellis', PROXY_CPU, NODE, [...TRELLIS_NODE_FLAGS, join(ROOT, 'src/cli/main.ts'), 'up', '--data-dir', join(dir, 'data'), '--api-port', '0',
    '--dns-port', String(BASE), '--port-offset', String(BASE - 8000 + 100), '--ready-file', ready], { logFile: join(dir, 'trellis.log'), env: { ...process.env, TRELLIS_ACCESS_KEY_ID: KEY, TRELLIS_SECRET_ACCESS_KEY: SECRET } });
  for (let i = 0; i < 300 && !existsSync(ready); i++) {
    if (trellis.child.exitCode !== null) throw new Error(`trellis exited; see ${join(dir, 'trellis.log')}`);
    await sleep(50);
  }
  const r = JSON.parse(readFileSync(ready, 'utf8')) as { api: string; defaultVpcId: string };
  const c: ClientConfig = { endpoint: r.api, region: 'us-east-1', accessKeyId: KEY, secretAccessKey: SECRET };
  const sn = await call<{ id: string }>(c, 'POST', '/servicenetworks', { name: 'bench-dns' });
  await call(c, 'POST', '/servicenetworkvpcassociations', { serviceNetworkIdentifier: sn.id, vpcIdentifier: r.defaultVpcId });
  const names: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const svc = await call<{ id: string; dnsEntry: { domainName: string } }>(c, 'POST', '/services', { name: `dns-${i}` });
    await call(c, 'POST', '/servicenetworkserviceassociations', { serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id });
    names.push(svc.dnsEntry.domainName);
  }
  // Every name answers (bounded: 10 s), and unbound gets exactly those answers.
  const answers = new Map<string, string[]>();
  const deadline = Date.now() + 10_000;
  for (const name of names) {
    let a: string[] = [];
    while (a.length === 0 && Date.now() < deadline) {
      a = await resolveA(BASE, name).catch(() => []);
      if (a.length === 0) await sleep(50);
    }
    if (a.length === 0) throw new Error(`Trellis does not answer ${name}`);
    answers.set(name, a);
  }

  mkdirSync(join(dir, 'unbound'));
  const zones = [...new Set(names.map((n) => n.split('.').slice(1).join('.')))];
  writeFileSync(join(dir, 'unbound/unbound.conf'), `server:
  interface: 127.0.0.1@${BASE + 1}
  port: ${BASE + 1}
  num-threads: 1
  do-daemonize: no
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  directory: "${join(dir, 'unbound')}"
  pidfile: "${join(dir, 'unbound/unbound.pid')}"
  access-control: 127.0.0.0/8 allow
  verbosity: 0
${zones.map((z) => `  local-zone: "${z}." static`).join('\n')}
${names.flatMap((n) => answers.get(n)!.map((ip) => `  local-data: "${n}. 300 IN A ${ip}"`)).join('\n')}
remote-control:
  control-enable: no
`);
  const unbound = start('unbound', PROXY_CPU, 'unbound', ['-d', '-c', join(dir, 'unbound/unbound.conf')], { logFile: join(dir, 'unbound.log') });
  const udeadline = Date.now() + 10_000;
  while ((await resolveA(BASE + 1, names[0]).catch(() => [])).length === 0) {
    if (Date.now() > udeadline || unbound.child.exitCode !== null) throw new Error(`unbound did not answer; see ${join(dir, 'unbound.log')}`);
    await sleep(100);
  }

  const queries = join(dir, 'queries.txt');
  writeFileSync(queries, names.map((n) => `${n} A`).join('\n') + '\n');
  const runs: Record<string, Run[]> = { unbound: [], trellis: [] };
  const ports: Record<string, number> = { unbound: BASE + 1, trellis: BASE };
  for (const name of Object.keys(runs)) dnsperf(ports[name], queries); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? ['trellis', 'unbound'] : ['unbound', 'trellis']) runs[name].push(dnsperf(ports[name], queries));
    process.stdout.write(`  round ${round + 1}/${ROUNDS} done\n`);
  }
  const rows = Object.entries(runs).map(([name, rs]) => ({ name, qps: median(rs.map((x) => x.qps)), latencyMs: median(rs.map((x) => x.latencyMs)), lost: rs.reduce((a, x) => a + (x.lost || 0), 0) }));
  const ratio = rows[1].qps / rows[0].qps;
  console.log('\n  server    queries/s  avg latency ms  lost');
  for (const row of rows) console.log(`  ${row.name.padEnd(8)}  ${Math.round(row.qps).toLocaleString('en-US').padStart(9)}  ${row.latencyMs.toFixed(3).padStart(14)}  ${row.lost}`);
  console.log(`\nGoal (issue 7): Trellis DNS >= 0.5x unbound's qps: ${ratio.toFixed(2)}x, ${ratio >= 0.5 ? 'met' : 'NOT met'}`);
  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().slice(0, 10)}-${sha}-dns.json`);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
  writeFileSync(file, JSON.stringify([...previous, { date: new Date().toISOString(), commit: sha, machine, config: { services: SERVICES, seconds: SECONDS, rounds: ROUNDS, proxyCpu: PROXY_CPU, loadCpu: LOAD_CPU, dnsperf: '-c 10 -q 200' }, rows, ratio, runs }], null, 2) + '\n');
  console.log(`appended to ${file.slice(ROOT.length)}`);
  await stop(unbound, 5000);
  await stop(trellis, 10_000);
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
