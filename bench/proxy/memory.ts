// Memory the machine has never used, before measuring. On a virtual machine (this project's is a
// Firecracker VM) the host backs guest memory only when the guest first touches it, and that first
// touch is slow: appending to a file here ran at ~460 MB/s into never-used memory and at 2-3.5 GB/s
// into memory used once before (dd, 200 MiB). Access log files are appended to at ~15 MB/s during
// the bench, so in a freshly booted VM their page cache costs Trellis (and nginx, which logs too)
// ~1.5-3 µs of kernel time per request that a machine that has run a while does not pay, and how
// much of it a run pays depends on what ran before: the logging cost moved between -15% and +44%
// from one pair of runs to the next. Writing and deleting a file first hands the page cache memory
// the host already backs (here that lasted for only ~100 MiB of appends); emptying the log files
// before each run (truncateLogs) keeps their page cache on pages just freed.
import { openSync, writeSync, closeSync, rmSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `mib` MiB to a file in `dir` and deletes it; says how fast it went (slow: the memory was new). */
export function touchMemory(dir: string, mib: number): string {
  if (mib <= 0) return 'memory warm-up skipped (BENCH_WARM_MB=0)';
  const file = join(dir, 'warm-up');
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  const began = process.hrtime.bigint();
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  const s = Number(process.hrtime.bigint() - began) / 1e9;
  return `memory warm-up: wrote and deleted ${mib} MiB in ${s.toFixed(1)} s (${Math.round(mib / s)} MiB/s)`;
}

/**
 * Empties the access log files the proxies append to (each opened O_APPEND, so writing goes on at
 * the new end). Called before each run. Growing page cache draws on memory the VM never used
 * even after touchMemory: on this VM appending 1 MiB to a growing file took ~2.5 ms of a libuv
 * thread's CPU, ~0.3 ms right after the file was truncated (the kernel reuses the pages it just
 * freed; a write-and-delete warm-up helped only the first ~100 MiB). That is ~2 µs per 700-byte
 * Lattice record that a host whose page cache recycles memory does not pay, and nginx and haproxy
 * pay it per byte of their lines too. The files' contents are not needed after a run.
 */
export function truncateLogs(files: readonly string[], trees: readonly string[]): void {
  const all = [...files];
  for (const root of trees) {
    try {
      for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) if (e.isFile() && e.name.endsWith('.log')) all.push(join(e.parentPath, e.name));
    } catch {
      // not there (yet)
    }
  }
  for (const f of all) {
    try {
      truncateSync(f, 0);
    } catch {
      // not there (yet)
    }
  }
}
