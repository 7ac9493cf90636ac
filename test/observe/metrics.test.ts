// The data-plane metrics registry: values, Lattice's metric names, Prometheus text format 0.0.4
// (HELP/TYPE, label escaping, cumulative histograms), Snapshot tracking and target health, and the
// quantile estimate `trellis top` computes from histogram deltas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataPlaneMetrics, promName } from '../../src/observe/metrics.ts';
import { histogramQuantile, parseExposition, type Sample } from '../../src/observe/exposition.ts';
import { computeRows, summarize } from '../../src/cli/top.ts';
import type { ListenerPlan, NetworkPlan, ServicePlan, Snapshot, TargetGroupPlan } from '../../src/compile/snapshot.ts';

const ARN = 'arn:aws:vpc-lattice:us-east-1:111122223333';
const svc = (id: string, name: string, networks: NetworkPlan[] = []): ServicePlan =>
  ({ id, arn: `${ARN}:service/${id}`, name, networks: new Map(networks.map((n, i) => [`vpc-${i}`, n])) }) as unknown as ServicePlan;
const net = (id: string): NetworkPlan => ({ id, arn: `${ARN}:servicenetwork/${id}` }) as unknown as NetworkPlan;
const tg = (id: string, targets: string[] = []): TargetGroupPlan =>
  ({ id, arn: `${ARN}:targetgroup/${id}`, targets: targets.map((a) => ({ key: `${id}/${a}` })) }) as unknown as TargetGroupPlan;

const sample = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

test('AWS metric names convert to Prometheus names mechanically', () => {
  const cases: Record<string, string> = {
    TotalRequestCount: 'total_request_count',
    HTTPCode_2XX_Count: 'http_code_2xx_count',
    HTTPCode_5XX_Count: 'http_code_5xx_count',
    HTTPCode_VpcLattice_403_Count: 'http_code_vpc_lattice_403_count',
    RequestTime: 'request_time',
    RequestTimeoutCount: 'request_timeout_count',
    TotalConnectionCount: 'total_connection_count',
    ActiveConnectionCount: 'active_connection_count',
    ConnectionErrorCount: 'connection_error_count',
    HTTP1_ConnectionCount: 'http1_connection_count',
    HTTP2_ConnectionCount: 'http2_connection_count',
    TotalReceivedConnectionBytes: 'total_received_connection_bytes',
    TotalSentConnectionBytes: 'total_sent_connection_bytes',
    TLSConnectionErrorCount: 'tls_connection_error_count',
    TotalTLSConnectionHandshakeCount: 'total_tls_connection_handshake_count',
  };
  for (const [aws, prom] of Object.entries(cases)) assert.equal(promName(aws), prom, aws);
});

test('requests: counts by status class, Lattice-generated codes, timeouts, bytes and the RequestTime histogram', () => {
  const m = new DataPlaneMetrics();
  const greeter = svc('svc-0000000000000000a', 'greeter');
  const sn = net('sn-0000000000000000a');
  const key = m.service(greeter, sn);
  assert.equal(m.service(greeter, sn), key, 'the same plan and network give the same handle');
  assert.notEqual(m.service(greeter, net('sn-0000000000000000b')), key, 'another network, another handle');
  assert.equal(m.service({ arn: greeter.arn, name: 'greeter' }, { arn: sn.arn }), key, 'a new Snapshot\'s plan finds the series by ARN');
  const v1 = tg('tg-0000000000000000a');

  m.request(key, v1, 200, 0.4, 100, 1000, false);
  m.request(key, v1, 201, 3, 100, 1000, false);
  m.request(key, v1, 404, 30, 50, 20, false);
  m.request(key, v1, 503, 70_000, 50, 20, false);
  m.request(key, undefined, 403, 0.1, 80, 90, true);
  m.request(key, v1, 504, 2, 10, 10, true);

  const text = m.render();
  const s = parseExposition(text);
  const svcL = { service: greeter.arn, service_name: 'greeter', service_network: sn.arn };
  const tgL = { ...svcL, target_group: v1.arn };
  const direct = { ...svcL, target_group: '' };
  assert.equal(sample(s, 'lattice_total_request_count_total', tgL), 5);
  assert.equal(sample(s, 'lattice_total_request_count_total', direct), 1);
  assert.equal(sample(s, 'lattice_http_code_2xx_count_total', tgL), 2);
  assert.equal(sample(s, 'lattice_http_code_4xx_count_total', tgL), 1);
  assert.equal(sample(s, 'lattice_http_code_5xx_count_total', tgL), 2);
  assert.equal(sample(s, 'lattice_http_code_4xx_count_total', direct), 1);
  assert.equal(sample(s, 'lattice_http_code_vpc_lattice_403_count_total', direct), 1);
  assert.equal(sample(s, 'lattice_http_code_vpc_lattice_504_count_total', tgL), 1);
  assert.equal(sample(s, 'lattice_http_code_vpc_lattice_404_count_total', tgL), 0, 'a target\'s 404 is not Lattice\'s');
  assert.equal(sample(s, 'lattice_request_timeout_count_total', tgL), 1);
  assert.equal(sample(s, 'lattice_total_received_connection_bytes_total', tgL), 310);
  assert.equal(sample(s, 'lattice_total_sent_connection_bytes_total', tgL), 2050);

  // Cumulative buckets in seconds; 70 s lands in +Inf only.
  const bucket = (le: string) => sample(s, 'lattice_request_time_seconds_bucket', { ...tgL, le });
  assert.equal(bucket('0.00025'), 0);
  assert.equal(bucket('0.0005'), 1);
  assert.equal(bucket('0.0025'), 2);
  assert.equal(bucket('0.005'), 3);
  assert.equal(bucket('0.05'), 4);
  assert.equal(bucket('60'), 4);
  assert.equal(bucket('+Inf'), 5);
  assert.equal(sample(s, 'lattice_request_time_seconds_count', tgL), 5);
  assert.ok(Math.abs(sample(s, 'lattice_request_time_seconds_sum', tgL)! - 70.0354) < 1e-9);

  // Exact text for one line, so the format (quoting, ordering of labels) is pinned.
  assert.ok(text.includes(`lattice_total_request_count_total{service="${greeter.arn}",service_name="greeter",service_network="${sn.arn}",target_group="${v1.arn}"} 5\n`));
});

test('the exposition is valid text format 0.0.4: HELP and TYPE once per family, before its samples', () => {
  const m = new DataPlaneMetrics({ healthTally: () => ({ healthy: 1, unhealthy: 0 }), logStats: () => ({ delivered: 10, dropped: 2, pending: 3, spooledBytes: 4096, lagSeconds: 0.25 }) });
  const k = m.service(svc('svc-0000000000000000a', 'a'), net('sn-0000000000000000a'));
  m.request(k, tg('tg-0000000000000000a'), 200, 1, 1, 1, false);
  m.connectionOpened(m.listener(80));
  const lines = m.render().split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  for (const line of lines) {
    if (line.startsWith('# HELP ')) {
      const name = line.split(' ')[2];
      assert.ok(!helped.has(name), `one HELP for ${name}`);
      helped.add(name);
      continue;
    }
    const t = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (t) {
      assert.ok(helped.has(t[1]) && !typed.has(t[1]), `HELP then one TYPE for ${t[1]}`);
      typed.set(t[1], t[2]);
      continue;
    }
    const m2 = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    assert.ok(m2, `a sample line: ${line}`);
    const family = m2[1].replace(/_(bucket|sum|count)$/, '');
    const type = typed.get(m2[1]) ?? typed.get(family);
    assert.ok(type, `${m2[1]} comes after its TYPE`);
    if (type === 'counter') assert.match(m2[1], /_total$/, 'counters end in _total');
  }
  for (const name of ['lattice_total_request_count_total', 'lattice_active_connection_count', 'lattice_request_time_seconds', 'trellis_snapshot_revision',
    'trellis_snapshot_apply_seconds', 'trellis_change_feed_lag_seconds', 'trellis_log_records_dropped_total', 'trellis_log_delivery_lag_seconds', 'trellis_healthy_host_count']) {
    assert.ok(typed.has(name), `${name} is exposed`);
  }
  assert.equal(typed.get('lattice_request_time_seconds'), 'histogram');
  assert.equal(typed.get('lattice_active_connection_count'), 'gauge');
});

test('label values are escaped (backslash, double quote, newline) and read back unchanged', () => {
  const m = new DataPlaneMetrics();
  const odd = 'we"ird\\name\nline2';
  m.request(m.service({ arn: `${ARN}:service/svc-x`, name: odd }, undefined), undefined, 200, 1, 0, 0, false);
  const text = m.render();
  assert.ok(text.includes('service_name="we\\"ird\\\\name\\nline2"'), 'escaped on the wire');
  assert.ok(!text.split('\n').some((l) => l === 'line2"'), 'no raw newline inside a sample');
  assert.equal(parseExposition(text).find((s) => s.name === 'lattice_total_request_count_total')?.labels.service_name, odd);
});

test('connections per listener port: total, active, HTTP/1.1 vs HTTP/2, TLS handshakes and errors', () => {
  const m = new DataPlaneMetrics();
  const l443 = m.listener(443);
  assert.equal(m.listener(443), l443);
  m.connectionOpened(l443);
  m.connectionOpened(l443);
  m.connectionOpened(l443);
  m.tlsHandshake(l443);
  m.tlsHandshake(l443);
  m.tlsError(l443);
  m.connectionProtocol(l443, 2);
  m.connectionProtocol(l443, 1);
  m.connectionClosed(l443);
  m.connectionClosed(l443);
  m.connectionClosed(l443);
  m.connectionClosed(l443);
  const s = parseExposition(m.render());
  const L = { listener_port: '443' };
  assert.equal(sample(s, 'lattice_total_connection_count_total', L), 3);
  assert.equal(sample(s, 'lattice_active_connection_count', L), 0, 'never below zero');
  assert.equal(sample(s, 'lattice_total_tls_connection_handshake_count_total', L), 2);
  assert.equal(sample(s, 'lattice_tls_connection_error_count_total', L), 1);
  assert.equal(sample(s, 'lattice_http1_connection_count_total', L), 1);
  assert.equal(sample(s, 'lattice_http2_connection_count_total', L), 1);

  const k = m.service(svc('svc-p', 'passthrough'), net('sn-p'));
  const g = tg('tg-p');
  m.transferred(k, g, 1234, 5678);
  m.targetConnectionError(k, g);
  m.targetConnectionError(k, g, true);
  const s2 = parseExposition(m.render());
  const P = { target_group: g.arn };
  assert.equal(sample(s2, 'lattice_total_received_connection_bytes_total', P), 1234);
  assert.equal(sample(s2, 'lattice_total_sent_connection_bytes_total', P), 5678);
  assert.equal(sample(s2, 'lattice_connection_error_count_total', P), 2);
  assert.equal(sample(s2, 'lattice_connection_timeout_count_total', P), 1);
  assert.equal(sample(s2, 'lattice_total_request_count_total', P), 0, 'a passthrough connection is no request');
});

function snapshot(revision: number, services: ServicePlan[], listeners: ListenerPlan[], tgs: TargetGroupPlan[]): Snapshot {
  const hosts = new Map(listeners.map((l) => [`${l.service.name}.example`, l]));
  return {
    revision, region: 'us-east-1', ports: new Map([[80, { port: 80, hosts }]]), targetGroups: new Map(tgs.map((t) => [t.id, t])),
    names: new Map(services.map((s) => [s.name, s])), vpcs: [], vpcNetworks: new Map(),
  };
}
/** What HealthChecker.tally gives, from statuses by target key (health.test.ts tests the real one). */
const tallyFrom = (status: ReadonlyMap<string, string>) => (tgId: string) => {
  let healthy = 0;
  let unhealthy = 0;
  for (const [key, s] of status) if (key.startsWith(`${tgId}/`)) { if (s === 'HEALTHY') healthy++; else if (s === 'UNHEALTHY') unhealthy++; }
  return { healthy, unhealthy };
};
const forwardTo = (service: ServicePlan, ...groups: TargetGroupPlan[]): ListenerPlan =>
  ({ arn: `${service.arn}/listener/l`, service, rules: [], defaultAction: { kind: 'forward', targetGroups: groups.map((g) => ({ id: g.id, weight: 1 })) } }) as unknown as ListenerPlan;

test('snapshotApplied: revision and apply time, services listed before traffic, gone ones dropped, target health per group', () => {
  const status = new Map<string, string>([['tg-a/10.0.0.1:80', 'HEALTHY'], ['tg-a/10.0.0.2:80', 'UNHEALTHY'], ['tg-a/10.0.0.3:80', 'INITIAL'], ['tg-b/10.0.0.9:80', 'HEALTHY']]);
  const m = new DataPlaneMetrics({ healthTally: tallyFrom(status) });
  const sn = net('sn-1');
  const a = svc('svc-a', 'alpha', [sn]);
  const b = svc('svc-b', 'beta', [sn, sn]);
  const ga = tg('tg-a', ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
  const gb = tg('tg-b', ['10.0.0.9:80']);
  const unused = tg('tg-u', ['10.0.0.5:80']);
  m.snapshotApplied(snapshot(7, [a, b], [forwardTo(a, ga), forwardTo(b, gb)], [ga, gb, unused]), 0.003);
  m.changeFeedLag(0.012);
  m.request(m.service(a, sn), ga, 200, 1, 0, 0, false);

  let s = parseExposition(m.render());
  assert.equal(sample(s, 'trellis_snapshot_revision'), 7);
  assert.equal(sample(s, 'trellis_snapshot_apply_seconds_bucket', { le: '0.0025' }), 0);
  assert.equal(sample(s, 'trellis_snapshot_apply_seconds_bucket', { le: '0.005' }), 1);
  assert.equal(sample(s, 'trellis_snapshot_apply_seconds_count'), 1);
  assert.equal(sample(s, 'trellis_change_feed_lag_seconds'), 0.012);
  assert.equal(sample(s, 'lattice_total_request_count_total', { service: b.arn, service_network: sn.arn, target_group: '' }), 0, 'listed before traffic, once per network');
  assert.equal(s.filter((x) => x.name === 'lattice_total_request_count_total' && x.labels.service === b.arn).length, 1);
  assert.equal(sample(s, 'trellis_healthy_host_count', { target_group: ga.arn, service: a.arn, service_name: 'alpha' }), 1);
  assert.equal(sample(s, 'trellis_unhealthy_host_count', { target_group: ga.arn, service: a.arn }), 1, 'INITIAL is neither');
  assert.equal(sample(s, 'trellis_healthy_host_count', { target_group: gb.arn, service: b.arn }), 1);
  assert.equal(sample(s, 'trellis_healthy_host_count', { target_group: unused.arn, service: '' }), 0, 'an unused group has no service');

  // Health is read at render time: never stale.
  status.set('tg-a/10.0.0.2:80', 'HEALTHY');
  s = parseExposition(m.render());
  assert.equal(sample(s, 'trellis_healthy_host_count', { target_group: ga.arn }), 2);

  // beta and its group are deleted; alpha keeps its counts.
  m.snapshotApplied(snapshot(8, [a], [forwardTo(a, ga)], [ga]), 0.5);
  s = parseExposition(m.render());
  assert.equal(sample(s, 'trellis_snapshot_revision'), 8);
  assert.equal(sample(s, 'trellis_snapshot_apply_seconds_count'), 2);
  assert.ok(!s.some((x) => x.labels.service === b.arn || x.labels.target_group === gb.arn), 'beta and tg-b are gone');
  assert.equal(sample(s, 'lattice_total_request_count_total', { service: a.arn, target_group: ga.arn }), 1);
});

test('histogramQuantile: linear within the bucket, as PromQL histogram_quantile', () => {
  const b = (pairs: [number, number][]) => pairs.map(([le, count]) => ({ le, count }));
  assert.ok(Number.isNaN(histogramQuantile(0.5, [])));
  assert.ok(Number.isNaN(histogramQuantile(0.5, b([[0.1, 0], [Infinity, 0]]))));
  // 100 observations, all in (0.01, 0.025]: the median is halfway through that bucket.
  const all = b([[0.005, 0], [0.01, 0], [0.025, 100], [Infinity, 100]]);
  assert.ok(Math.abs(histogramQuantile(0.5, all) - 0.0175) < 1e-12);
  assert.ok(Math.abs(histogramQuantile(0.99, all) - 0.02485) < 1e-12);
  // The first bucket starts at 0.
  assert.ok(Math.abs(histogramQuantile(0.5, b([[0.002, 10], [Infinity, 10]])) - 0.001) < 1e-12);
  // 90 fast, 10 slow: p50 among the fast, p99 among the slow.
  const mixed = b([[0.001, 90], [0.1, 90], [1, 100], [Infinity, 100]]);
  assert.ok(Math.abs(histogramQuantile(0.5, mixed) - 0.001 * (50 / 90)) < 1e-12);
  assert.ok(Math.abs(histogramQuantile(0.99, mixed) - (0.1 + 0.9 * 0.9)) < 1e-12);
  // A rank in +Inf gives the highest finite bound; unsorted input is fine.
  assert.equal(histogramQuantile(0.99, b([[Infinity, 10], [0.5, 5]])), 0.5);
});

test('top\'s rows from two scrapes of the registry: requests/s, error rates, p50/p99 from deltas', () => {
  const m = new DataPlaneMetrics({ healthTally: () => ({ healthy: 1, unhealthy: 1 }) });
  const sn = net('sn-1');
  const a = svc('svc-a', 'alpha', [sn]);
  const ga = tg('tg-a', ['10.0.0.1:80', '10.0.0.2:80']);
  m.snapshotApplied(snapshot(1, [a], [forwardTo(a, ga)], [ga]), 0.001);
  const key = m.service(a, sn);
  // Before the first scrape: slow requests that must not count in the interval.
  for (let i = 0; i < 50; i++) m.request(key, ga, 200, 900, 0, 0, false);
  const first = summarize(parseExposition(m.render()), 1000);
  // In the interval (2 s): 100 requests, 20 ms each; 6 are 4xx, 4 are 5xx.
  for (let i = 0; i < 100; i++) m.request(key, ga, i < 6 ? 404 : i < 10 ? 502 : 200, 20, 0, 0, false);
  const second = summarize(parseExposition(m.render()), 3000);
  const [row] = computeRows(first, second);
  assert.equal(row.name, 'alpha');
  assert.equal(row.rps, 50);
  assert.ok(Math.abs(row.errorRate! - 0.1) < 1e-12);
  assert.ok(Math.abs(row.serverErrorRate! - 0.04) < 1e-12);
  assert.ok(row.p50! > 0.01 && row.p50! <= 0.025, `p50 ${row.p50} in the 20 ms bucket`);
  assert.ok(row.p99! > 0.01 && row.p99! <= 0.025, `p99 ${row.p99} ignores the earlier slow requests`);
  assert.deepEqual([row.healthy, row.unhealthy, row.hasHealth], [1, 1, true]);
  assert.equal(computeRows(undefined, second)[0].rps, undefined, 'no rate from one scrape');
});

test('the hot path is cheap: a million requests well under a second', () => {
  const m = new DataPlaneMetrics();
  const plan = svc('svc-hot', 'hot');
  const sn = net('sn-hot');
  const g = tg('tg-hot');
  const started = process.hrtime.bigint();
  for (let i = 0; i < 1_000_000; i++) m.request(m.service(plan, sn), g, 200 + (i % 4) * 100, (i % 50) * 0.5, 300, 900, false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 1500, `${ms.toFixed(0)} ms for 1e6 requests`);
  assert.equal(sample(parseExposition(m.render()), 'lattice_total_request_count_total', { target_group: g.arn }), 1_000_000);
});
