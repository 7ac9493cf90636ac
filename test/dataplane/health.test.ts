// The active health checker against real HTTP/1.1, HTTPS, h2c and h2 servers on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Snapshot, TargetGroupPlan, TargetPlan } from '../../src/compile/snapshot.ts';
import type { HealthCheckRecord } from '../../src/api/lattice/targetgroups.ts';
import { HealthChecker, matchesHttpCode, parseHttpCodes, type TargetHealth } from '../../src/dataplane/health.ts';

// A throwaway self-signed certificate (P-256, CN=target.test): Lattice does not verify target
// certificates, so the probe must accept it.
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggP4EaMj7q01t9zmc
bdJ24810JkzaesHILqqfr/9meKShRANCAARyysxKFa4BbrPtaSiT8OZoHEj00oSg
GyE0PAEjj3VxBZKgAvaVjuQN1gtT2fZbHMcTkJCfztwKYApfeg0Dp6IG
-----END PRIVATE KEY-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBgzCCASmgAwIBAgIUWNGPBsFxceTrIbzc7sglvafilCowCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLdGFyZ2V0LnRlc3QwIBcNMjYxMTI2MTA0NjU2WhgPMjEyNjEx
MDIxMDQ2NTZaMBYxFDASBgNVBAMMC3RhcmdldC50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEcsrMShWuAW6z7Wkok/DmaBxI9NKEoBshNDwBI491cQWSoAL2
lY7kDdYLU9n2WxzHE5CQn87cCmAKX3oNA6eiBqNTMFEwHQYDVR0OBBYEFHXyZPwI
nkEQIA+WCLxIxC7lcX8NMB8GA1UdIwQYMBaAFHXyZPwInkEQIA+WCLxIxC7lcX8N
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhANcKEd3upjy+zsCX
6PMMGg9e+a4b07/YwbBcavP6Fy3pAiBVB9fhN6rWVSa00I62Q98nekO0Xh5yeHUy
AFPobMbLrg==
-----END CERTIFICATE-----`;

// ---------------------------------------------------------------------------------------------
// Snapshot builders (only what the health checker reads)

function hc(over: Partial<HealthCheckRecord> = {}): HealthCheckRecord {
  return {
    enabled: true, protocol: 'HTTP', protocolVersion: 'HTTP1', path: '/',
    healthCheckIntervalSeconds: 0.05, healthCheckTimeoutSeconds: 1,
    healthyThresholdCount: 2, unhealthyThresholdCount: 2, matcher: { httpCode: '200' }, ...over,
  };
}

function target(tgId: string, port: number, extra: { address?: string; drainingSince?: string } = {}): TargetPlan {
  const address = extra.address ?? '127.0.0.1';
  return { key: `${tgId}/${address}:${port}`, id: address, address, port, ...(extra.drainingSince ? { drainingSince: extra.drainingSince } : {}) };
}

function group(id: string, targets: TargetPlan[], over: Partial<TargetGroupPlan> = {}): TargetGroupPlan {
  return {
    id, arn: `arn:aws:vpc-lattice:us-east-1:111122223333:targetgroup/${id}`, account: '111122223333',
    type: 'IP', protocol: 'HTTP', protocolVersion: 'HTTP1', inUse: true, healthCheck: hc(), targets, ...over,
  };
}

let revision = 0;
function snapshot(...groups: TargetGroupPlan[]): Snapshot {
  return { revision: ++revision, region: 'us-east-1', ports: new Map(), targetGroups: new Map(groups.map((g) => [g.id, g])), names: new Map(), vpcs: [], vpcNetworks: new Map() };
}

// ---------------------------------------------------------------------------------------------
// Helpers

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitStatus(checker: HealthChecker, key: string, status: TargetHealth['status']): Promise<void> {
  await waitFor(() => checker.health(key)?.status === status, `${key} to be ${status} (is ${checker.health(key)?.status})`);
}

interface Seen { path: string; headers: http.IncomingHttpHeaders; code: number | 'hang' }

/** An HTTP/1.1 (or HTTPS) target whose answer the test changes: a status code, or never. */
async function h1Target(opts: { tls?: boolean; answer?: (path: string) => number | 'hang'; onRequest?: (s: Seen) => void } = {}) {
  const state = { answer: opts.answer ?? (() => 200 as number | 'hang') };
  const seen: Seen[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const code = state.answer(req.url ?? '');
    const s: Seen = { path: req.url ?? '', headers: req.headers, code };
    seen.push(s);
    opts.onRequest?.(s);
    if (code === 'hang') return;
    res.writeHead(code, { 'content-type': 'text/plain' }).end('ok\n');
  };
  const server = opts.tls ? https.createServer({ key: KEY, cert: CERT }, handler) : http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  return { port, seen, state, close };
}

/** An HTTP/2 target (h2c, or h2 over TLS) answering 200. */
async function h2Target(tls: boolean) {
  const paths: string[] = [];
  const server = tls ? http2.createSecureServer({ key: KEY, cert: CERT }) : http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)); });
  server.on('stream', (stream, headers) => {
    paths.push(String(headers[':path']));
    stream.respond({ ':status': 200 });
    stream.end('ok\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((r) => { server.close(() => r()); for (const s of sessions) s.destroy(); });
  return { port, paths, close };
}

// ---------------------------------------------------------------------------------------------
// Matcher

test('matcher: single codes, lists, ranges and mixes; malformed input is rejected', () => {
  const one = parseHttpCodes('200')!;
  assert.ok(matchesHttpCode(one, 200));
  assert.ok(!matchesHttpCode(one, 201));
  const list = parseHttpCodes('200,202')!;
  assert.deepEqual([200, 201, 202, 204].map((c) => matchesHttpCode(list, c)), [true, false, true, false]);
  const range = parseHttpCodes('200-299')!;
  assert.deepEqual([199, 200, 250, 299, 300].map((c) => matchesHttpCode(range, c)), [false, true, true, true, false]);
  const mixed = parseHttpCodes('200-204,301,404-404')!;
  assert.deepEqual([204, 205, 301, 302, 404].map((c) => matchesHttpCode(mixed, c)), [true, false, true, false, true]);
  for (const bad of ['', '20', '2000', 'abc', '200,', '299-200', '200-', ',200', '200--299', '099']) {
    assert.equal(parseHttpCodes(bad), undefined, `"${bad}" should be rejected`);
  }
});

// ---------------------------------------------------------------------------------------------
// Probing

test('INITIAL until the first probe, HEALTHY after one success; routable only then', async () => {
  const srv = await h1Target();
  const checker = new HealthChecker();
  const changes: [string, string][] = [];
  checker.onChange((key, h) => changes.push([key, h.status]));
  try {
    const t = target('tg-a', srv.port);
    checker.update(snapshot(group('tg-a', [t], { healthCheck: hc({ healthyThresholdCount: 5 }) })));
    assert.equal(checker.health(t.key)?.status, 'INITIAL');
    assert.equal(checker.health(t.key)?.reasonCode, 'HealthCheckInProgress');
    assert.equal(checker.routable(t.key), false);
    await waitStatus(checker, t.key, 'HEALTHY');
    assert.equal(checker.health(t.key)?.reasonCode, undefined);
    assert.equal(checker.routable(t.key), true);
    assert.deepEqual(changes.slice(0, 2), [[t.key, 'INITIAL'], [t.key, 'HEALTHY']]);
    // The probe: GET / on a connection that is not kept alive.
    assert.equal(srv.seen[0].path, '/');
    assert.equal(srv.seen[0].headers.connection, 'close');
    assert.equal(checker.health('tg-a/127.0.0.1:1'), undefined);
  } finally {
    checker.close();
    await srv.close();
  }
});

test('UNHEALTHY after exactly unhealthyThresholdCount failures (500s), HEALTHY again after exactly healthyThresholdCount successes', async () => {
  const N = 3, M = 2;
  const key = () => t.key;
  const checker = new HealthChecker();
  // Each probe's arrival records the verdict at that moment: the previous probe's result was
  // processed long before (probes are an interval apart), so arrival k sees k-1 results.
  const arrivals: { code: number | 'hang'; status: string | undefined }[] = [];
  const srv = await h1Target({ onRequest: (s) => arrivals.push({ code: s.code, status: checker.health(key())?.status }) });
  const t = target('tg-b', srv.port);
  try {
    checker.update(snapshot(group('tg-b', [t], { healthCheck: hc({ healthCheckIntervalSeconds: 0.1, unhealthyThresholdCount: N, healthyThresholdCount: M }) })));
    await waitStatus(checker, t.key, 'HEALTHY');

    srv.state.answer = () => 500;
    await waitStatus(checker, t.key, 'UNHEALTHY');
    assert.equal(checker.health(t.key)?.reasonCode, 'HealthCheckFailed');
    assert.equal(checker.routable(t.key), false);
    await waitFor(() => arrivals.filter((a) => a.code === 500).length > N, 'one more failing probe');
    const failing = arrivals.filter((a) => a.code === 500).slice(0, N + 1).map((a) => a.status);
    assert.deepEqual(failing, [...Array(N).fill('HEALTHY'), 'UNHEALTHY']);

    srv.state.answer = () => 200;
    await waitStatus(checker, t.key, 'HEALTHY');
    // The passing probes after the failures (not the ones from before).
    const afterFailures = () => arrivals.slice(arrivals.findIndex((a) => a.code === 500)).filter((a) => a.code === 200);
    await waitFor(() => afterFailures().length > M, 'one more passing probe');
    const passing = afterFailures().slice(0, M + 1).map((a) => a.status);
    assert.deepEqual(passing, [...Array(M).fill('UNHEALTHY'), 'HEALTHY']);
  } finally {
    checker.close();
    await srv.close();
  }
});

test('connection refused and timeouts count as failures', async () => {
  const refused = await h1Target();
  const hanging = await h1Target();
  const checker = new HealthChecker();
  const lines: string[] = [];
  const logged = new HealthChecker({ log: (l) => lines.push(l) });
  try {
    const a = target('tg-c', refused.port);
    const b = target('tg-c', hanging.port);
    const snap = snapshot(group('tg-c', [a, b], { healthCheck: hc({ healthCheckTimeoutSeconds: 0.1 }) }));
    checker.update(snap);
    logged.update(snap);
    await waitStatus(checker, a.key, 'HEALTHY');
    await waitStatus(checker, b.key, 'HEALTHY');
    assert.deepEqual({ ...checker.tally('tg-c') }, { healthy: 2, unhealthy: 0 }, 'the tally /metrics reads');

    await refused.close();
    hanging.state.answer = () => 'hang';
    await waitStatus(checker, a.key, 'UNHEALTHY');
    await waitStatus(checker, b.key, 'UNHEALTHY');
    assert.deepEqual({ ...checker.tally('tg-c') }, { healthy: 0, unhealthy: 2 });
    assert.equal(checker.health(a.key)?.reasonCode, 'HealthCheckFailed');
    assert.equal(checker.health(b.key)?.reasonCode, 'HealthCheckFailed');
    await waitFor(() => lines.some((l) => l.includes(b.key) && l.includes('timeout')), 'the timeout to be logged');
    await waitFor(() => lines.some((l) => l.includes(a.key) && /ECONNREFUSED/.test(l)), 'the refusal to be logged');
    checker.update(snapshot(group('tg-c', [a], { healthCheck: hc({ healthCheckTimeoutSeconds: 0.1 }) })));
    assert.deepEqual({ ...checker.tally('tg-c') }, { healthy: 0, unhealthy: 1 }, 'a removed target leaves the tally');
    checker.update(snapshot());
    assert.deepEqual({ ...checker.tally('tg-c') }, { healthy: 0, unhealthy: 0 });
  } finally {
    checker.close();
    logged.close();
    await hanging.close();
  }
});

test('custom health-check port and path; matcher lists; INITIAL -> UNHEALTHY when the code does not match', async () => {
  const traffic = await h1Target({ answer: () => 500 });
  const health = await h1Target({ answer: (path) => (path === '/healthz?deep=1' ? 202 : 404) });
  const checker = new HealthChecker();
  try {
    const t = target('tg-d', traffic.port);
    const u = target('tg-e', traffic.port);
    checker.update(snapshot(
      group('tg-d', [t], { healthCheck: hc({ port: health.port, path: '/healthz?deep=1', matcher: { httpCode: '200,202' } }) }),
      group('tg-e', [u], { healthCheck: hc({ port: health.port, path: '/healthz?deep=1', matcher: { httpCode: '200-201' } }) }),
    ));
    await waitStatus(checker, t.key, 'HEALTHY');
    await waitStatus(checker, u.key, 'UNHEALTHY');
    assert.equal(traffic.seen.length, 0, 'probes go to the health-check port, not the traffic port');
    assert.ok(health.seen.every((s) => s.path === '/healthz?deep=1'));
  } finally {
    checker.close();
    await traffic.close();
    await health.close();
  }
});

test('HTTPS probes accept a self-signed certificate', async () => {
  const srv = await h1Target({ tls: true });
  const checker = new HealthChecker();
  try {
    const t = target('tg-f', srv.port);
    checker.update(snapshot(group('tg-f', [t], { protocol: 'HTTPS', healthCheck: hc({ protocol: 'HTTPS' }) })));
    await waitStatus(checker, t.key, 'HEALTHY');
    assert.ok(srv.seen.length >= 1);
  } finally {
    checker.close();
    await srv.close();
  }
});

test('HTTP2 probes: h2c for HTTP, h2 over TLS for HTTPS', async () => {
  const h2c = await h2Target(false);
  const h2 = await h2Target(true);
  const checker = new HealthChecker();
  try {
    const a = target('tg-g', h2c.port);
    const b = target('tg-h', h2.port);
    checker.update(snapshot(
      group('tg-g', [a], { protocolVersion: 'HTTP2', healthCheck: hc({ protocolVersion: 'HTTP2', path: '/grpc.health' }) }),
      group('tg-h', [b], { protocol: 'HTTPS', protocolVersion: 'HTTP2', healthCheck: hc({ protocol: 'HTTPS', protocolVersion: 'HTTP2' }) }),
    ));
    await waitStatus(checker, a.key, 'HEALTHY');
    await waitStatus(checker, b.key, 'HEALTHY');
    assert.equal(h2c.paths[0], '/grpc.health');
    assert.equal(h2.paths[0], '/');
  } finally {
    checker.close();
    await h2c.close();
    await h2.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Verdicts from the Snapshot

test('UNUSED, UNAVAILABLE and DRAINING come from the Snapshot, and such targets are not probed', async () => {
  const probed = await h1Target();
  const idle = await h1Target();
  const checker = new HealthChecker();
  try {
    const live = target('tg-live', probed.port);
    const unused = target('tg-unused', idle.port);
    const disabled = target('tg-off', idle.port);
    const lambda = target('tg-alb', idle.port);
    const draining = target('tg-live', idle.port, { drainingSince: '2024-01-01T00:00:00.000Z' });
    checker.update(snapshot(
      group('tg-live', [live, draining]),
      group('tg-unused', [unused], { inUse: false }),
      group('tg-off', [disabled], { healthCheck: hc({ enabled: false }) }),
      group('tg-alb', [lambda], { type: 'ALB', healthCheck: undefined }),
    ));
    const verdict = (k: string) => {
      const h = checker.health(k);
      assert.equal(checker.status(k), h?.status, 'status() is the verdict\'s status');
      return h && [h.status, h.reasonCode, checker.routable(k)];
    };
    assert.deepEqual(verdict(unused.key), ['UNUSED', 'TargetGroupNotInUse', false]);
    assert.deepEqual(verdict(disabled.key), ['UNAVAILABLE', 'HealthCheckDisabled', true]);
    assert.deepEqual(verdict(lambda.key), ['UNAVAILABLE', 'HealthCheckNotSupported', true]);
    assert.deepEqual(verdict(draining.key), ['DRAINING', undefined, false]);
    // Three probes of the live target span more than the first-probe jitter of every target.
    await waitFor(() => probed.seen.length >= 3, 'three probes of the live target');
    assert.equal(idle.seen.length, 0);
    assert.equal(checker.health(draining.key)?.status, 'DRAINING');
  } finally {
    checker.close();
    await probed.close();
    await idle.close();
  }
});

test('update keeps unchanged targets, drops removed ones, restarts probes on a config change', async () => {
  const a = await h1Target({ answer: (p) => (p === '/' ? 200 : 500) });
  const b = await h1Target();
  const c = await h1Target();
  const times = [1000];
  const checker = new HealthChecker({ now: () => times[0] });
  try {
    const ta = target('tg-i', a.port), tb = target('tg-i', b.port), tc = target('tg-i', c.port);
    checker.update(snapshot(group('tg-i', [ta, tb])));
    await waitStatus(checker, ta.key, 'HEALTHY');
    await waitStatus(checker, tb.key, 'HEALTHY');
    assert.equal(checker.health(ta.key)?.since, 1000);

    times[0] = 2000;
    checker.update(snapshot(group('tg-i', [ta, tc])));
    assert.deepEqual(checker.health(ta.key), { status: 'HEALTHY', since: 1000 });
    assert.equal(checker.health(tb.key), undefined);
    assert.equal(checker.routable(tb.key), false);
    assert.equal(checker.health(tc.key)?.status, 'INITIAL');
    await waitStatus(checker, tc.key, 'HEALTHY');

    // A new path: the status stays until the new probes decide otherwise.
    checker.update(snapshot(group('tg-i', [ta, tc], { healthCheck: hc({ path: '/v2' }) })));
    assert.equal(checker.health(ta.key)?.status, 'HEALTHY');
    await waitStatus(checker, ta.key, 'UNHEALTHY');
    assert.ok(a.seen.some((s) => s.path === '/v2'));
    assert.equal(checker.health(tc.key)?.status, 'HEALTHY');

    // Unused, then used again: probing starts over from INITIAL.
    checker.update(snapshot(group('tg-i', [ta, tc], { inUse: false })));
    assert.equal(checker.health(tc.key)?.status, 'UNUSED');
    checker.update(snapshot(group('tg-i', [ta, tc])));
    assert.equal(checker.health(tc.key)?.status, 'INITIAL');
    await waitStatus(checker, tc.key, 'HEALTHY');
  } finally {
    checker.close();
    await a.close();
    await b.close();
    await c.close();
  }
});

test('update skips a target group whose plan object is unchanged, and drops the targets of a group that is gone', async () => {
  const a = await h1Target();
  const checker = new HealthChecker();
  try {
    const same = group('tg-same', [target('tg-same', a.port)], { healthCheck: hc({ enabled: false }) });
    const gone = group('tg-gone', [target('tg-gone', a.port)], { healthCheck: hc({ enabled: false }) });
    checker.update(snapshot(same, gone));
    assert.equal(checker.health(same.targets[0].key)?.status, 'UNAVAILABLE');
    assert.equal(checker.health(gone.targets[0].key)?.status, 'UNAVAILABLE');
    // The same object again (as an incremental compile hands back an unchanged group): its targets
    // are not walked, which a target that is really no longer in it shows.
    (same.targets as TargetPlan[]).push(target('tg-same', a.port + 1));
    checker.update(snapshot(same));
    assert.equal(checker.health(`tg-same/127.0.0.1:${a.port + 1}`), undefined);
    assert.equal(checker.health(same.targets[0].key)?.status, 'UNAVAILABLE');
    assert.equal(checker.health(gone.targets[0].key), undefined);
    // A new object for the group: walked, the new target gets its verdict.
    checker.update(snapshot({ ...same, targets: [...same.targets] }));
    assert.equal(checker.health(`tg-same/127.0.0.1:${a.port + 1}`)?.status, 'UNAVAILABLE');
  } finally {
    checker.close();
    await a.close();
  }
});

test('close stops timers and in-flight probes: a process holding a closed checker exits', async () => {
  const hanging = await h1Target({ answer: () => 'hang' });
  const moduleUrl = new URL('../../src/dataplane/health.ts', import.meta.url).href;
  // The child probes a target that never answers (60 s timeout), so a probe is in flight; when
  // its stdin ends it closes the checker and must then exit on its own.
  const script = `
    const { HealthChecker } = await import(${JSON.stringify(moduleUrl)});
    const port = ${hanging.port};
    const key = 'tg-z/127.0.0.1:' + port;
    const checker = new HealthChecker();
    checker.update({ revision: 1, region: 'us-east-1', ports: new Map(), vpcs: [], targetGroups: new Map([['tg-z', {
      id: 'tg-z', arn: 'arn', account: '111122223333', type: 'IP', protocol: 'HTTP', protocolVersion: 'HTTP1', inUse: true,
      healthCheck: { enabled: true, protocol: 'HTTP', protocolVersion: 'HTTP1', path: '/', healthCheckIntervalSeconds: 0.05,
        healthCheckTimeoutSeconds: 60, healthyThresholdCount: 2, unhealthyThresholdCount: 2, matcher: { httpCode: '200' } },
      targets: [{ key, id: '127.0.0.1', address: '127.0.0.1', port }] }]]) });
    process.stdin.on('end', () => { checker.close(); process.stdout.write('closed\\n'); });
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await waitFor(() => hanging.seen.length >= 1, 'a probe from the child');
    child.stdin.end();
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000).unref())]);
    assert.equal(code, 0, `child ${code === 'hung' ? 'did not exit' : `exited ${code}`}: ${err}`);
    assert.equal(out, 'closed\n');
  } finally {
    if (child.exitCode === null) child.kill();
    await hanging.close();
  }
});
