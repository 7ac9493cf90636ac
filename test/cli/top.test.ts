// `trellis top` as a user sees it: the real command in a real pseudo-terminal (tmux), reading a
// small local server whose Prometheus text changes with time, so rates are known in advance.
// Skips where tmux is not installed (Debian: apt-get install tmux).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
const TMUX = spawnSync('tmux', ['-V']).status === 0;
const SKIP = TMUX ? false : 'tmux is not installed (apt-get install tmux)';
const SOCKET = `trellis-top-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
after(() => { if (TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']); });

const ARN = 'arn:aws:vpc-lattice:us-east-1:111122223333';
interface Fake { name: string; rps: number; r4xx: number; r5xx: number; fast: number; healthy: number; unhealthy: number }
const SERVICES: Fake[] = [
  // 90% of greeter's requests in (5 ms, 10 ms], 10% in (100 ms, 250 ms]: p50 7.8 ms, p99 235.0 ms.
  { name: 'inventory', rps: 5, r4xx: 0, r5xx: 0, fast: 1, healthy: 1, unhealthy: 0 },
  { name: 'greeter', rps: 50, r4xx: 3, r5xx: 2, fast: 0.9, healthy: 2, unhealthy: 1 },
  { name: 'idle', rps: 0, r4xx: 0, r5xx: 0, fast: 1, healthy: 0, unhealthy: 0 },
];

/** Counters that grow with the clock: any two scrapes show exactly these rates. */
function exposition(seconds: number): string {
  const lines = ['# TYPE lattice_total_request_count_total counter'];
  for (const s of SERVICES) {
    const l = `service="${ARN}:service/svc-${s.name}",service_name="${s.name}",service_network="${ARN}:servicenetwork/sn-1",target_group="${ARN}:targetgroup/tg-${s.name}"`;
    const n = s.rps * seconds;
    lines.push(`lattice_total_request_count_total{${l}} ${n}`);
    lines.push(`lattice_http_code_4xx_count_total{${l}} ${s.r4xx * seconds}`);
    lines.push(`lattice_http_code_5xx_count_total{${l}} ${s.r5xx * seconds}`);
    for (const [le, share] of [['0.005', 0], ['0.01', s.fast], ['0.1', s.fast], ['0.25', 1], ['+Inf', 1]] as const) {
      lines.push(`lattice_request_time_seconds_bucket{${l},le="${le}"} ${n * share}`);
    }
    const h = `target_group="${ARN}:targetgroup/tg-${s.name}",service="${ARN}:service/svc-${s.name}",service_name="${s.name}"`;
    lines.push(`trellis_healthy_host_count{${h}} ${s.healthy}`, `trellis_unhealthy_host_count{${h}} ${s.unhealthy}`);
  }
  lines.push('trellis_snapshot_revision 42');
  return lines.join('\n') + '\n';
}

async function fakeTrellis(): Promise<{ url: string; close(): Promise<void> }> {
  const started = Date.now();
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(exposition((Date.now() - started) / 1000));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    // Idempotent: a second close (from a finally) resolves too.
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const screen = (session: string) => tmux('capture-pane', '-p', '-t', session);
const flags = (session: string) => tmux('display-message', '-p', '-t', session, '#{alternate_on} #{cursor_flag}').trim();

async function waitFor(session: string, what: string, ok: (text: string) => boolean, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  let text = '';
  while (Date.now() < deadline) {
    text = screen(session);
    if (ok(text)) return text;
    await sleep(100);
  }
  assert.fail(`${what} did not show within ${ms} ms; the screen:\n${text}`);
}

/** Starts `trellis top` in a detached tmux session; after it exits, the shell prints its status. */
function startTop(session: string, url: string, width: number, height: number): void {
  const command = `'${BIN}' top --endpoint ${url} --interval 0.5; echo "top-exited=$?"; sleep 600`;
  tmux('new-session', '-d', '-s', session, '-x', String(width), '-y', String(height), command);
}

/** The numbers on a service's row. */
function row(text: string, name: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  assert.ok(line, `a row for ${name} in:\n${text}`);
  return line.trim().split(/\s+/).slice(1);
}

test('top: services busiest first with requests/s, error rates, p50/p99 and target health; q quits and restores the terminal', { skip: SKIP }, async () => {
  const fake = await fakeTrellis();
  try {
    startTop('wide', fake.url, 120, 30);
    const text = await waitFor('wide', 'greeter\'s rates', (t) => /^greeter +\d/m.test(t));
    assert.equal(flags('wide'), '1 0', 'alternate screen on, cursor hidden');
    assert.match(text, /trellis top +http:\/\/127\.0\.0\.1:\d+ +revision 42/);
    assert.match(text, /SERVICE +REQ\/S +ERR% +5XX% +P50 +P99 +TARGETS/);

    const [rps, err, e5xx, p50, p99, targets] = row(text, 'greeter');
    assert.ok(Math.abs(Number(rps) - 50) <= 5, `greeter ~50 req/s, shows ${rps}`);
    assert.equal(err, '10.0%');
    assert.equal(e5xx, '4.0%');
    assert.equal(p50, '7.8ms');
    assert.equal(p99, '235.0ms');
    assert.equal(targets, '2/3');
    const inv = row(text, 'inventory');
    assert.ok(Math.abs(Number(inv[0]) - 5) <= 0.5, `inventory ~5 req/s, shows ${inv[0]}`);
    assert.deepEqual(inv.slice(1, 3), ['0.0%', '0.0%']);
    assert.equal(inv[5], '1/1');
    assert.deepEqual(row(text, 'idle'), ['0.0', '-', '-', '-', '-', '0/0']);
    const order = ['greeter', 'inventory', 'idle'].map((n) => text.indexOf(`\n${n} `));
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'sorted by requests/s');
    assert.match(text, /3 services +5\d\.\d req\/s +errors +9\.\d%/);

    tmux('send-keys', '-t', 'wide', 'q');
    const after = await waitFor('wide', 'the exit status', (t) => t.includes('top-exited='));
    assert.match(after, /top-exited=0/);
    assert.doesNotMatch(after, /greeter/, 'the normal screen is back, without top\'s frame');
    assert.equal(flags('wide'), '0 1', 'alternate screen off, cursor visible');
  } finally {
    await fake.close();
  }
});

test('top: a narrow terminal drops columns instead of wrapping; an unreachable endpoint is shown; Ctrl-C quits', { skip: SKIP }, async () => {
  const fake = await fakeTrellis();
  try {
    startTop('narrow', fake.url, 50, 12);
    const text = await waitFor('narrow', 'greeter\'s rates', (t) => /^greeter +\d/m.test(t));
    assert.match(text, /^SERVICE +REQ\/S +ERR% +P99 +TARGETS *$/m, '5XX% and P50 go first');
    assert.deepEqual(row(text, 'greeter').slice(1), ['10.0%', '235.0ms', '2/3']);
    for (const line of text.split('\n')) assert.ok(line.length <= 50, `fits 50 columns: "${line}"`);

    await fake.close();
    await waitFor('narrow', 'the connection error', (t) => /cannot read http:\/\/127\.0\.0\.1:\d+\/metrics/.test(t));
    assert.match(screen('narrow'), /^greeter /m, 'the last numbers stay on screen');

    tmux('send-keys', '-t', 'narrow', 'C-c');
    assert.match(await waitFor('narrow', 'the exit status', (t) => t.includes('top-exited=')), /top-exited=0/);
    assert.equal(flags('narrow'), '0 1');
  } finally {
    await fake.close();
  }
});

test('top without a terminal prints one table and exits', async () => {
  const fake = await fakeTrellis();
  try {
    const { stdout } = await promisify(execFile)(BIN, ['top', '--endpoint', fake.url, '--interval', '0.3'], { encoding: 'utf8', timeout: 10_000 });
    assert.doesNotMatch(stdout, /\x1b/, 'no escape codes in a pipe');
    assert.match(stdout, /^SERVICE +REQ\/S/m);
    assert.match(stdout, /^greeter +\d+\.\d +10\.0% +4\.0% +7\.8ms +235\.0ms +2\/3$/m);
    assert.ok(stdout.indexOf('\ngreeter ') < stdout.indexOf('\ninventory '));
  } finally {
    await fake.close();
  }
});

test('top: bad options fail clearly', async () => {
  const run = (args: string[]) => spawnSync(BIN, ['top', ...args], { encoding: 'utf8' });
  const r = run(['--interval', '0']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--interval needs seconds between 0\.1 and 3600/);
  assert.match(run(['--endpoint', 'not a url']).stderr, /--endpoint needs a URL/);
  assert.match(run(['--help']).stdout, /Usage: trellis top/);
});
