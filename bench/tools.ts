// The Debian packages a benchmark runs (nginx, wrk, dnsperf, ...): installed with apt-get when a
// command is missing, as the README tells a user to, or a clear error when not root.
import { spawnSync } from 'node:child_process';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** The Node flags bin/trellis runs Trellis with (see the comments there): benchmarks start it the same way. */
export const TRELLIS_NODE_FLAGS = ['--max-semi-space-size=32', '--no-allocation-site-pretenuring'];

/** `need`: command → the package that provides it. */
export function ensureTools(need: Record<string, string>): void {
  const missing = [...new Set(Object.entries(need).filter(([c]) => !have(c)).map(([, p]) => p))];
  if (!missing.length) return;
  if (process.getuid?.() !== 0) throw new Error(`missing ${missing.join(', ')}: run as root, or apt-get install -y ${missing.join(' ')}`);
  console.log(`installing ${missing.join(' ')} (apt-get) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const up = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env, timeout: 180_000 });
  const inst = spawnSync('apt-get', ['install', '-y', '-q', ...missing], { stdio: 'inherit', env, timeout: 300_000 });
  if (up.status !== 0 || inst.status !== 0) throw new Error(`apt-get install ${missing.join(' ')} failed`);
}
