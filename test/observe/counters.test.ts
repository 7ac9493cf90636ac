// Several data planes, one /metrics (`trellis up --workers N`): each worker's DataPlaneMetrics
// exports its counters as plain data (through structured clone, as over IPC), the primary renders
// their sums beside its own Snapshot and health series, and keeps a gone worker's counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataPlaneMetrics } from '../../src/observe/metrics.ts';
import { parseExposition, type Sample } from '../../src/observe/exposition.ts';
import type { NetworkPlan, ServicePlan, TargetGroupPlan } from '../../src/compile/snapshot.ts';

const ARN = 'arn:aws:vpc-lattice:us-east-1:111122223333';
const svc = { arn: `${ARN}:service/svc-0000000000000000a`, name: 'greeter' } as unknown as ServicePlan;
const net = { arn: `${ARN}:servicenetwork/sn-0000000000000000a` } as unknown as NetworkPlan;
const tg = { arn: `${ARN}:targetgroup/tg-0000000000000000a` } as unknown as TargetGroupPlan;
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);

function worker(requests: number, ms: number, delivered: number): DataPlaneMetrics {
  const m = new DataPlaneMetrics({ logStats: () => ({ delivered, dropped: 1, pending: 2, spooledBytes: 10, lagSeconds: delivered / 100 }) });
  const key = m.service(svc, net);
  for (let i = 0; i < requests; i++) m.request(key, tg, 200, ms, 10, 100, false);
  m.request(key, undefined, 404, ms, 1, 1, true);
  const l = m.listener(8080);
  m.connectionOpened(l);
  m.connectionOpened(l);
  m.connectionClosed(l);
  m.tlsError(l);
  return m;
}

test('the primary renders the sum of its workers\' request, connection and log delivery series', () => {
  const a = structuredClone(worker(3, 0.3, 5).counters());
  const b = structuredClone(worker(4, 40, 7).counters());
  const primary = new DataPlaneMetrics({ healthTally: () => ({ healthy: 1, unhealthy: 0 }) });
  const s = parseExposition(primary.render([a, b]));
  assert.equal(value(s, 'lattice_total_request_count_total', { target_group: tg.arn }), 7);
  assert.equal(value(s, 'lattice_total_request_count_total', { target_group: '' }), 2);
  assert.equal(value(s, 'lattice_http_code_vpc_lattice_404_count_total'), 2);
  assert.equal(value(s, 'lattice_total_sent_connection_bytes_total'), 7 * 100 + 2);
  assert.equal(s.filter((x) => x.name === 'lattice_total_request_count_total').length, 2, 'one series per labels, not one per worker');
  assert.equal(value(s, 'lattice_request_time_seconds_bucket', { target_group: tg.arn, le: '0.0005' }), 3);
  assert.equal(value(s, 'lattice_request_time_seconds_bucket', { target_group: tg.arn, le: '+Inf' }), 7);
  assert.equal(value(s, 'lattice_total_connection_count_total', { listener_port: '8080' }), 4);
  assert.equal(value(s, 'lattice_active_connection_count', { listener_port: '8080' }), 2);
  assert.equal(value(s, 'lattice_tls_connection_error_count_total'), 2);
  assert.equal(value(s, 'trellis_log_records_delivered_total'), 12);
  assert.equal(value(s, 'trellis_log_records_pending'), 4);
  assert.equal(value(s, 'trellis_log_spooled_bytes'), 20);
  assert.equal(value(s, 'trellis_log_delivery_lag_seconds'), 0.07, 'the worst lag');
  assert.ok(s.some((x) => x.name === 'trellis_snapshot_revision'), 'the primary\'s own series stay');
});

test('absorb: a gone worker\'s counters stay in the sums; its gauges do not', () => {
  const gone = structuredClone(worker(3, 1, 5).counters());
  const live = structuredClone(worker(1, 1, 2).counters());
  const primary = new DataPlaneMetrics();
  primary.absorb(gone);
  const s = parseExposition(primary.render([live]));
  assert.equal(value(s, 'lattice_total_request_count_total', { target_group: tg.arn }), 4);
  assert.equal(value(s, 'lattice_total_connection_count_total'), 4);
  assert.equal(value(s, 'lattice_active_connection_count'), 1, 'only the live worker\'s open connections');
  assert.equal(value(s, 'trellis_log_records_delivered_total'), 7);
  assert.equal(value(s, 'trellis_log_records_pending'), 2);
});
