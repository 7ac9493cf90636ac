// npm run bench:api — operations per second through the official SDK against a real `trellis up`
// process (pinned to CPU 0 when taskset exists; this client on CPU 1), with durable writes.
// Bounded: a fixed number of operations per phase and a time cap; stops what it starts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VPCLatticeClient, CreateServiceCommand, GetServiceCommand, ListServicesCommand } from '@aws-sdk/client-vpc-lattice';

const BIN = fileURLToPath(new URL('../bin/trellis', import.meta.url));
const N = Number(process.env.BENCH_OPS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TIME_CAP_MS = 60_000;
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

async function start(fsync: boolean): Promise<{ proc: ChildProcess; api: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
  const ready = join(dir, 'ready.json');
  const args = ['up', '--data-dir', dir, '--api-port', '0', '--dns-port', '0', '--ready-file', ready, '--quota', 'servicesPerRegion=1000000', ...(fsync ? ['--fsync'] : [])];
  const proc = hasTaskset ? spawn('taskset', ['-c', '0', BIN, ...args], { stdio: 'ignore', env: { ...process.env, TRELLIS_ACCESS_KEY_ID: 'AKIABENCH0000000001', TRELLIS_SECRET_ACCESS_KEY: 'bench' } })
    : spawn(BIN, args, { stdio: 'ignore', env: { ...process.env, TRELLIS_ACCESS_KEY_ID: 'AKIABENCH0000000001', TRELLIS_SECRET_ACCESS_KEY: 'bench' } });
  for (let i = 0; i < 200 && !existsSync(ready); i++) await sleep(50);
  if (!existsSync(ready)) throw new Error('trellis up did not start');
  return { proc, api: (JSON.parse(readFileSync(ready, 'utf8')) as { api: string }).api, dir };
}

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Phase { opsPerSec: number; serverCpu: number }

/** Runs `op(i)` for i in [0, n) with `CONCURRENCY` in flight; ops/s and the server's CPU share. */
async function phase(pid: number, n: number, op: (i: number) => Promise<unknown>): Promise<Phase> {
  let next = 0;
  const cpu0 = cpuSeconds(pid);
  const started = performance.now();
  const worker = async () => {
    while (next < n && performance.now() - started < TIME_CAP_MS) await op(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - started) / 1000;
  return { opsPerSec: next / secs, serverCpu: (cpuSeconds(pid) - cpu0) / secs };
}

async function run(fsync: boolean): Promise<Record<string, Phase>> {
  const { proc, api, dir } = await start(fsync);
  const client = new VPCLatticeClient({
    endpoint: api, region: 'us-east-1', maxAttempts: 1,
    credentials: { accessKeyId: 'AKIABENCH0000000001', secretAccessKey: 'bench' },
  });
  try {
    const ids: string[] = [];
    await phase(proc.pid!, 200, async (i) => { await client.send(new CreateServiceCommand({ name: `warm-${i}` })); });
    const create = await phase(proc.pid!, N, async (i) => { ids.push((await client.send(new CreateServiceCommand({ name: `bench-${i}` }))).id!); });
    const get = await phase(proc.pid!, N * 2, async (i) => { await client.send(new GetServiceCommand({ serviceIdentifier: ids[i % ids.length] })); });
    const list = await phase(proc.pid!, N / 10, async () => { await client.send(new ListServicesCommand({ maxResults: 100 })); });
    return { create, get, list };
  } finally {
    client.destroy();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const cores = cpus().length;
console.log(`bench:api  ${cores} cores (${cpus()[0]?.model ?? 'unknown cpu'}), server ${hasTaskset ? 'pinned to CPU 0' : 'unpinned'}, ${CONCURRENCY} requests in flight, ${N} creates`);
for (const fsync of [false, true]) {
  const r = await run(fsync);
  const label = fsync ? 'fsync every commit (--fsync)' : 'WAL, survives kill -9 (default)';
  const show = (p: Phase) => `${p.opsPerSec.toFixed(0).padStart(6)}/s (server CPU ${(p.serverCpu * 100).toFixed(0).padStart(3)}%, ${(p.opsPerSec / Math.max(p.serverCpu, 0.01)).toFixed(0).padStart(6)}/s per server core)`;
  console.log(`  ${label}\n    create    ${show(r.create)}\n    get       ${show(r.get)}\n    list(100) ${show(r.list)}`);
}
console.log('goal (issue 2): ≥ 1,000 creates/s and ≥ 5,000 gets/s on one core');
