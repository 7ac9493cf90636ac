// Spooled access log records of an earlier run whose process no longer exists. A pipeline spools
// under <data-dir>/spool/<subscription hash>/ when Trellis runs as one process, and under
// spool/w<k>/<subscription hash>/ in worker k of `trellis up --workers N`. When N changes between
// runs, folders that no process of the new run owns (spool/<hash>/ after a single-process run,
// spool/w<k>/ for k >= N) are moved to one that does before any pipeline starts, so their records
// are still delivered (segment names order by time, so they go first), never stranded.
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const WORKER = /^w(\d+)$/;
const SUBSCRIPTION = /^[0-9a-f]{32}$/;

/** Moves spool segments to the folders of this run's `workers` processes (1: the single process's). */
export function adoptSpools(dataDir: string, workers: number, log: (line: string) => void): void {
  const root = join(dataDir, 'spool');
  if (!existsSync(root)) return;
  const owner = (k: number) => (workers === 1 ? root : join(root, `w${k % workers}`));
  for (const name of readdirSync(root)) {
    const m = WORKER.exec(name);
    if (m) {
      const k = Number(m[1]);
      if (workers > 1 && k < workers) continue;
      for (const sub of readdirSync(join(root, name)).filter((s) => SUBSCRIPTION.test(s))) moveSegments(join(root, name, sub), join(owner(k), sub), log);
      removeIfEmpty(join(root, name));
    } else if (SUBSCRIPTION.test(name) && workers > 1) {
      moveSegments(join(root, name), join(owner(0), name), log);
    }
  }
}

function moveSegments(from: string, to: string, log: (line: string) => void): void {
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from)) {
    if (file.endsWith('.tmp')) {
      unlinkSync(join(from, file)); // an interrupted write, as its own queue would have removed it
      continue;
    }
    if (existsSync(join(to, file))) {
      log(`access logs: spool segment ${join(from, file)} left in place: ${to} has one of that name`);
      continue;
    }
    renameSync(join(from, file), join(to, file));
  }
  removeIfEmpty(from);
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty: something is left for a later run
  }
}
