// The CloudWatch Logs destination: JSON lines in <data-dir>/logs/<group>/<day>/<stream>.<n>.log,
// rotated by size, read back by `trellis logs tail` (which follows rotation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AccessLogPipeline } from '../../src/observe/pipeline.ts';
import { compileRouting } from '../../src/observe/subscriptions.ts';
import { encodeGroupName, logGroupDir } from '../../src/observe/destinations/logs.ts';
import { tailLogGroup } from '../../src/cli/logs.ts';
import { line, logGroup, snArn, sub, svcArn, tempDir, waitFor } from './accesslog-helpers.ts';

const SVC = 'svc-0000000000000000a';
const SN_1 = 'sn-00000000000000001';
const SN_2 = 'sn-00000000000000002';
const GROUP = '/aws/vpclattice/orders';

function filesOf(dir: string): string[] {
  const out: string[] = [];
  for (const day of readdirSync(dir).sort()) for (const f of readdirSync(join(dir, day)).sort()) out.push(join(dir, day, f));
  return out;
}
const linesOf = (files: string[]) => files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));

test('log group names become one folder each', () => {
  assert.equal(encodeGroupName('/aws/vpclattice/orders'), '%2Faws%2Fvpclattice%2Forders');
  assert.equal(encodeGroupName('..'), '%2E%2E');
  assert.equal(encodeGroupName('my-group_1.x#y'), 'my-group_1.x%23y');
});

test('records reach the log group of the service\'s subscription and of its network\'s only', async () => {
  const dir = tempDir();
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 20 });
  const own = sub(SVC, svcArn(SVC), logGroup('service-own'));
  const net1 = sub(SN_1, snArn(SN_1), logGroup('network-1'));
  const net2 = sub(SN_2, snArn(SN_2), logGroup('network-2'));
  p.update(compileRouting([own, net1, net2]));
  for (let i = 0; i < 10; i++) p.emit(line(i), { serviceArn: svcArn(SVC), serviceNetworkArn: snArn(i < 6 ? SN_1 : SN_2) });
  assert.equal(p.wants({ serviceArn: svcArn('svc-0000000000000000z'), serviceNetworkArn: snArn('sn-00000000000000009') }), false);
  assert.equal(p.wants({ serviceArn: svcArn('svc-0000000000000000z'), serviceNetworkArn: snArn(SN_1) }), true);
  await waitFor('20 deliveries', () => p.stats().delivered === 20);
  await p.close();

  const ids = (group: string) => linesOf(filesOf(logGroupDir(dir, group))).map((l) => (JSON.parse(l) as { requestId: string }).requestId);
  assert.deepEqual(ids('service-own'), Array.from({ length: 10 }, (_, i) => `req-${i}`));
  assert.deepEqual(ids('network-1'), Array.from({ length: 6 }, (_, i) => `req-${i}`));
  assert.deepEqual(ids('network-2'), ['req-6', 'req-7', 'req-8', 'req-9']);
  // The file layout: <group>/<yyyy-mm-dd>/<subscription id>.000001.log
  const [file] = filesOf(logGroupDir(dir, 'service-own'));
  assert.match(file.slice(dir.length), new RegExp(`^/logs/service-own/\\d{4}-\\d{2}-\\d{2}/${own.id}\\.000001\\.log$`));
  const stats = p.stats();
  assert.equal(stats.emitted, 10);
  assert.equal(stats.dropped, 0);
  assert.ok(stats.lagMs.p99 >= 0 && stats.lagHistogram.counts.at(-1) === 20);
  rmSync(dir, { recursive: true, force: true });
});

test('files rotate by size; tail prints the last N across files, then follows new ones', async () => {
  const dir = tempDir();
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 5, logFiles: { maxFileBytes: 4096 } });
  const s = sub(SVC, svcArn(SVC), logGroup(GROUP));
  p.update(compileRouting([s]));
  const route = { serviceArn: svcArn(SVC) };
  for (let i = 0; i < 40; i++) {
    p.emit(line(i), route);
    await waitFor(`record ${i}`, () => p.stats().delivered === i + 1); // one batch each, so files fill up
  }
  const files = filesOf(logGroupDir(dir, GROUP));
  assert.ok(files.length >= 3, `expected rotation into several files, got ${files.length}`);
  assert.ok(files.every((f) => readFileSync(f).length <= 4096 + 2048));
  assert.deepEqual(linesOf(files).map((l) => (JSON.parse(l) as { requestId: string }).requestId), Array.from({ length: 40 }, (_, i) => `req-${i}`));

  // The last 15, across the rotation boundary, in order; by name or by ARN.
  const got: string[] = [];
  await tailLogGroup({ dataDir: dir, group: GROUP, lines: 15, follow: false, out: (l) => got.push(l) });
  assert.deepEqual(got.map((l) => (JSON.parse(l) as { requestId: string }).requestId), Array.from({ length: 15 }, (_, i) => `req-${25 + i}`));
  const byArn: string[] = [];
  await tailLogGroup({ dataDir: dir, group: logGroup(GROUP) + ':*', lines: 2, follow: false, out: (l) => byArn.push(l) });
  assert.equal(byArn.length, 2);

  // Following: records written later, into files that rotate meanwhile, each printed once.
  const followed: string[] = [];
  const stop = new AbortController();
  const tail = tailLogGroup({ dataDir: dir, group: GROUP, lines: 1, follow: true, pollMs: 10, signal: stop.signal, out: (l) => followed.push(l) });
  await waitFor('the last existing record', () => followed.length === 1);
  for (let i = 40; i < 80; i++) {
    p.emit(line(i), route);
    if (i % 7 === 0) await waitFor(`record ${i}`, () => p.stats().delivered === i + 1);
  }
  await waitFor('followed records', () => followed.length === 41);
  stop.abort();
  await tail;
  assert.deepEqual(followed.map((l) => (JSON.parse(l) as { requestId: string }).requestId), Array.from({ length: 41 }, (_, i) => `req-${39 + i}`));
  assert.ok(filesOf(logGroupDir(dir, GROUP)).length > files.length);
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('tail of a group nothing was delivered to prints nothing', async () => {
  const dir = tempDir();
  const got: string[] = [];
  await tailLogGroup({ dataDir: dir, group: 'nothing-here', lines: 10, follow: false, out: (l) => got.push(l) });
  assert.deepEqual(got, []);
  rmSync(dir, { recursive: true, force: true });
});

test('files rotate by age, and a new UTC day starts a new folder', async () => {
  const dir = tempDir();
  let offset = Date.UTC(2030, 5, 1, 23, 59, 0) - Date.now(); // a clock that starts just before midnight
  const now = () => Date.now() + offset;
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 5, logFiles: { maxFileAgeMs: 30_000 }, now });
  p.update(compileRouting([sub(SVC, svcArn(SVC), logGroup('aged'))]));
  const route = { serviceArn: svcArn(SVC) };
  p.emit(line(0), route);
  await waitFor('first', () => p.stats().delivered === 1);
  offset += 40_000; // past maxFileAgeMs, still 23:59
  p.emit(line(1), route);
  await waitFor('second', () => p.stats().delivered === 2);
  offset += 60_000; // the next day
  p.emit(line(2), route);
  await waitFor('third', () => p.stats().delivered === 3);
  await p.close();
  const rel = filesOf(logGroupDir(dir, 'aged')).map((f) => f.slice(logGroupDir(dir, 'aged').length + 1).replace(/als-\d+/, 'S'));
  assert.deepEqual(rel, ['2030-06-01/S.000001.log', '2030-06-01/S.000002.log', '2030-06-02/S.000001.log']);
  const got: string[] = [];
  await tailLogGroup({ dataDir: dir, group: 'aged', lines: 3, follow: false, out: (l) => got.push(l) });
  assert.deepEqual(got.map((l) => (JSON.parse(l) as { requestId: string }).requestId), ['req-0', 'req-1', 'req-2']);
  rmSync(dir, { recursive: true, force: true });
});

test('worker processes (instance w0, w1) write streams of their own; tail merges them by startTime', async () => {
  const dir = tempDir();
  const s = sub(SVC, svcArn(SVC), logGroup('merged'));
  const [w0, w1] = ['w0', 'w1'].map((instance) => new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 5, instance }));
  const route = { serviceArn: svcArn(SVC) };
  for (const p of [w0, w1]) p.update(compileRouting([s]));
  // Records a second apart, alternating between the workers; w1 writes its share first.
  for (let i = 1; i < 8; i += 2) w1.emit(line(i * 1000), route);
  await waitFor('w1', () => w1.stats().delivered === 4);
  for (let i = 0; i < 8; i += 2) w0.emit(line(i * 1000), route);
  await waitFor('w0', () => w0.stats().delivered === 4);
  await Promise.all([w0.close(), w1.close()]);
  const names = filesOf(logGroupDir(dir, 'merged')).map((f) => f.slice(f.lastIndexOf('/') + 1).replace(/^als-\d+/, 'S'));
  assert.deepEqual(names, ['S.w0.000001.log', 'S.w1.000001.log']);
  const got: string[] = [];
  await tailLogGroup({ dataDir: dir, group: 'merged', lines: 5, follow: false, out: (l) => got.push(l) });
  assert.deepEqual(got.map((l) => (JSON.parse(l) as { requestId: string }).requestId), ['req-3000', 'req-4000', 'req-5000', 'req-6000', 'req-7000']);
  rmSync(dir, { recursive: true, force: true });
});
