// Processes the proxy benchmark starts: each in its own process group, pinned with taskset, and
// all stopped (the whole group) by stopAll(), which the bench calls from a finally block.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Proc { name: string; child: ChildProcess; pid: number }
const started: Proc[] = [];

/** Starts `cmd args` pinned to `cpu` (a taskset list: 0, "0,1"), in a new process group; stdout/stderr go to `logFile`. */
export function start(name: string, cpu: number | string, cmd: string, args: string[], opts: { logFile: string; env?: NodeJS.ProcessEnv; cwd?: string }): Proc {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn('taskset', ['-c', String(cpu), cmd, ...args], { detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env, cwd: opts.cwd });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const p = { name, child, pid: child.pid };
  started.push(p);
  return p;
}

/** SIGTERM to the process group, then SIGKILL after `graceMs` if anything is left. */
export async function stop(p: Proc, graceMs = 5000): Promise<void> {
  const i = started.indexOf(p);
  if (i >= 0) started.splice(i, 1);
  if (p.child.exitCode !== null || p.child.signalCode !== null) return void killGroup(p.pid, 'SIGKILL');
  const exited = new Promise((r) => p.child.once('exit', r));
  killGroup(p.pid, 'SIGTERM');
  const t = await Promise.race([exited.then(() => 'exit'), sleep(graceMs).then(() => 'timeout')]);
  killGroup(p.pid, 'SIGKILL'); // whatever else is left in the group (nginx workers, …)
  if (t === 'timeout') await Promise.race([exited, sleep(1000)]);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...started].reverse().map((p) => stop(p)));
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pgid, signal); } catch { /* already gone */ }
}

/** The pid and all its descendants (nginx/haproxy workers), from /proc. */
export function tree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited meanwhile */ }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, pp] of parent) if (pp === out[i]) out.push(c);
  return out;
}

const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime+stime in seconds of the given processes (threads included). */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // fields 14 and 15: utime, stime
    } catch { /* exited */ }
  }
  return ticks / TICK;
}

/** Read and write system calls (all kinds of fd) made by the given processes, from /proc/<pid>/io. */
export function syscalls(pids: number[]): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      reads += Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0);
      writes += Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0);
    } catch { /* exited, or not ours to read */ }
  }
  return { reads, writes };
}

/** Busy seconds of one CPU from /proc/stat (everything that ran there, softirq included). */
export function coreBusySeconds(cpu: number): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) return 0;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  return (v.reduce((a, b) => a + b, 0) - idle) / TICK;
}

/** Waits until something accepts TCP connections on 127.0.0.1:port (bounded). */
export async function waitPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}
