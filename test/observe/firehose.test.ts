// The Firehose destination against a real HTTP server on 127.0.0.1, and what happens when that
// server is down: records spool to disk, emit stays non-blocking, and once the endpoint answers
// again every record arrives, in order, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessLogPipeline } from '../../src/observe/pipeline.ts';
import { compileRouting } from '../../src/observe/subscriptions.ts';
import { parseFirehoseEndpoints } from '../../src/observe/destinations/firehose.ts';
import { line, snArn, stream, sub, svcArn, tempDir, waitFor } from './accesslog-helpers.ts';

const SVC = 'svc-0000000000000000a';
const SN = 'sn-00000000000000001';
const ROUTE = { serviceArn: svcArn(SVC), serviceNetworkArn: snArn(SN) };

/** A Firehose-like endpoint: 503 while down, otherwise it keeps each POSTed line. */
async function endpoint(): Promise<{ url: string; lines: string[]; posts: { count: string | undefined; stream: string | undefined; type: string | undefined }[]; down: boolean; close(): Promise<void> }> {
  const state = {
    url: '', lines: [] as string[], posts: [] as { count: string | undefined; stream: string | undefined; type: string | undefined }[], down: false,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        res.writeHead(503).end('down');
        return;
      }
      state.posts.push({ count: req.headers['x-trellis-record-count'] as string, stream: req.headers['x-trellis-delivery-stream'] as string, type: req.headers['content-type'] });
      state.lines.push(...Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  return state;
}

const ids = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { requestId: string }).requestId);
const seq = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `req-${from + i}`);

test('--firehose-endpoint values', () => {
  assert.deepEqual([...parseFirehoseEndpoints(['feed=http://127.0.0.1:9000/x', 'b.2=https://logs.example/in'])], [['feed', 'http://127.0.0.1:9000/x'], ['b.2', 'https://logs.example/in']]);
  assert.throws(() => parseFirehoseEndpoints(['nourl']), /needs <stream name>=<url>/);
  assert.throws(() => parseFirehoseEndpoints(['x=ftp://h/']), /http or https/);
});

test('batches are POSTed as newline-delimited JSON, at most 500 records each', async (t) => {
  const ep = await endpoint();
  t.after(() => ep.close());
  const dir = tempDir();
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 20, firehoseEndpoints: { feed: ep.url } });
  p.update(compileRouting([sub(SN, snArn(SN), stream('feed'))]));
  for (let i = 0; i < 1200; i++) p.emit(line(i), ROUTE);
  await waitFor('1200 records at the endpoint', () => ep.lines.length === 1200);
  assert.deepEqual(ids(ep.lines), seq(0, 1200));
  assert.ok(ep.posts.length >= 3);
  for (const post of ep.posts) {
    assert.ok(Number(post.count) <= 500);
    assert.equal(post.stream, 'feed');
    assert.equal(post.type, 'application/x-ndjson');
  }
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a dead endpoint: records spool to disk, emit never waits, and all arrive in order once it is back', async (t) => {
  const ep = await endpoint();
  t.after(() => ep.close());
  ep.down = true;
  const dir = tempDir();
  const logs: string[] = [];
  const memoryBudgetBytes = 8 * 1024 * 1024;
  const p = new AccessLogPipeline({
    dataDir: dir, region: 'us-east-1', log: (l) => logs.push(l), flushIntervalMs: 10, firehoseEndpoints: new Map([['feed', ep.url]]),
    retry: { initialMs: 20, maxMs: 100 }, spillBytes: 64 * 1024, memoryBudgetBytes,
  });
  p.update(compileRouting([sub(SVC, svcArn(SVC), stream('feed'))]));

  // Many emits in a bounded loop, in bursts of 200 with a pause between, as requests arrive: emit
  // only appends, so the records stay queued (none delivered, the endpoint is down) and what goes
  // past 64 KiB is written to disk between bursts.
  const N = 20_000;
  let maxMemory = 0;
  for (let i = 0; i < N; i++) {
    p.emit(line(i), ROUTE);
    if (i % 200 === 199) {
      maxMemory = Math.max(maxMemory, p.stats().memoryBytes);
      await sleep(2);
    }
  }
  assert.equal(p.stats().delivered, 0);
  assert.equal(p.stats().queued, N);
  assert.ok(maxMemory <= memoryBudgetBytes);
  await waitFor('failed attempts and spooled records', () => p.stats().failures >= 3 && p.stats().spilledBytes > 0);
  const spool = join(dir, 'spool');
  assert.ok(readdirSync(spool).length === 1 && readdirSync(join(spool, readdirSync(spool)[0])).some((f) => f.endsWith('.ndjson')));
  assert.ok(logs.some((l) => /delivery failed \(HTTP 503/.test(l)), logs.join('\n'));
  assert.equal(p.stats().subscriptions[0].failing, true);
  assert.equal(p.stats().dropped, 0);
  assert.ok(p.stats().oldestQueuedMs > 0);

  // More traffic while it is still down, then it comes back.
  for (let i = N; i < N + 500; i++) p.emit(line(i), ROUTE);
  ep.down = false;
  await waitFor('every record at the endpoint', () => ep.lines.length >= N + 500, 20_000);
  assert.deepEqual(ids(ep.lines), seq(0, N + 500));
  await waitFor('the spool emptied', () => p.stats().queued === 0 && p.stats().spilledBytes === 0);
  const s = p.stats();
  assert.equal(s.delivered, N + 500);
  assert.equal(s.dropped, 0);
  assert.equal(s.memoryBytes, 0);
  assert.equal(s.oldestQueuedMs, 0);
  assert.equal(s.subscriptions[0].failing, false);
  assert.ok(logs.some((l) => /delivering again/.test(l)));
  assert.deepEqual(readdirSync(join(spool, readdirSync(spool)[0])).filter((f) => f.endsWith('.ndjson')), []);
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('records spooled when Trellis stopped are delivered by the next run', async (t) => {
  const ep = await endpoint();
  t.after(() => ep.close());
  ep.down = true;
  const dir = tempDir();
  const subscription = sub(SVC, svcArn(SVC), stream('feed'));
  const opts = { dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 10, firehoseEndpoints: { feed: ep.url }, retry: { initialMs: 20, maxMs: 50 } };
  const first = new AccessLogPipeline(opts);
  first.update(compileRouting([subscription]));
  for (let i = 0; i < 300; i++) first.emit(line(i), ROUTE);
  await waitFor('a failed attempt', () => first.stats().failures > 0);
  for (let i = 300; i < 400; i++) first.emit(line(i), ROUTE);
  await first.close(); // the endpoint is down: everything is spooled, nothing lost
  assert.equal(first.stats().dropped, 0);
  assert.ok(first.stats().spilledBytes > 0);

  ep.down = false;
  const second = new AccessLogPipeline(opts);
  second.update(compileRouting([subscription]));
  for (let i = 400; i < 450; i++) second.emit(line(i), ROUTE);
  await waitFor('spooled and new records', () => ep.lines.length >= 450);
  assert.deepEqual(ids(ep.lines), seq(0, 450));
  await second.close();
  rmSync(dir, { recursive: true, force: true });
});

test('spool folders of subscriptions deleted while Trellis was down are removed after the grace period', async (t) => {
  const ep = await endpoint();
  t.after(() => ep.close());
  ep.down = true;
  const dir = tempDir();
  const opts = { dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 10, firehoseEndpoints: { feed: ep.url }, retry: { initialMs: 20, maxMs: 50 } };
  const first = new AccessLogPipeline(opts);
  first.update(compileRouting([sub(SVC, svcArn(SVC), stream('feed'))]));
  for (let i = 0; i < 50; i++) first.emit(line(i), ROUTE);
  await first.close();
  assert.equal(readdirSync(join(dir, 'spool')).length, 1);
  const second = new AccessLogPipeline({ ...opts, retireGraceMs: 50 });
  second.update(compileRouting([])); // the subscription was deleted while Trellis was down
  await waitFor('the orphan folder removed', () => readdirSync(join(dir, 'spool')).length === 0);
  await second.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a deleted subscription drains what it holds, then its spool goes', async (t) => {
  const ep = await endpoint();
  t.after(() => ep.close());
  ep.down = true;
  const dir = tempDir();
  const s = sub(SVC, svcArn(SVC), stream('feed'));
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 10, firehoseEndpoints: { feed: ep.url }, retry: { initialMs: 20, maxMs: 50 }, spillBytes: 8 * 1024, retireGraceMs: 5000 });
  p.update(compileRouting([s]));
  for (let i = 0; i < 200; i++) p.emit(line(i), ROUTE);
  await waitFor('spooled', () => p.stats().spilledBytes > 0);
  p.update(compileRouting([]));
  p.emit(line(999), ROUTE); // nobody subscribes any more: not even counted
  assert.equal(p.stats().emitted, 200);
  ep.down = false;
  await waitFor('the retired queue drained', () => ep.lines.length === 200 && p.stats().queued === 0);
  assert.deepEqual(ids(ep.lines), seq(0, 200));
  await waitFor('its spool folder removed', () => !existsSync(join(dir, 'spool')) || readdirSync(join(dir, 'spool')).length === 0);
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a stream without a configured endpoint: its records are dropped and counted, once logged', async () => {
  const dir = tempDir();
  const logs: string[] = [];
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: (l) => logs.push(l) });
  p.update(compileRouting([sub(SVC, svcArn(SVC), stream('nowhere'))]));
  for (let i = 0; i < 5; i++) p.emit(line(i), ROUTE);
  assert.equal(p.stats().dropped, 5);
  assert.equal(logs.filter((l) => l.includes('nowhere')).length, 1);
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an endpoint that refuses connections, then listens again', async (t) => {
  // A port that was just free: nothing listens there until the server below starts.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dir = tempDir();
  const logs: string[] = [];
  const p = new AccessLogPipeline({
    dataDir: dir, region: 'us-east-1', log: (l) => logs.push(l), flushIntervalMs: 10, firehoseEndpoints: { feed: `http://127.0.0.1:${port}/` },
    retry: { initialMs: 20, maxMs: 50 },
  });
  t.after(() => p.close());
  p.update(compileRouting([sub(SVC, svcArn(SVC), stream('feed'))]));
  for (let i = 0; i < 100; i++) p.emit(line(i), ROUTE);
  await waitFor('refused attempts', () => p.stats().failures >= 2);
  assert.ok(logs.some((l) => /ECONNREFUSED/.test(l)), logs.join('\n'));
  const got: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push(...body.split('\n').filter(Boolean));
      res.writeHead(204).end();
    });
  });
  // The endpoint comes back on the port that refused; if something took it meanwhile, fail, not hang.
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', () => resolve()); });
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  await waitFor('delivery', () => got.length === 100);
  assert.deepEqual(ids(got), seq(0, 100));
  rmSync(dir, { recursive: true, force: true });
});

test('a subscription missing from one update and back in the next loses nothing', async (t) => {
  const ep = await endpoint();
  t.after(() => ep.close());
  ep.down = true;
  const dir = tempDir();
  const s = sub(SVC, svcArn(SVC), stream('feed'));
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: () => {}, flushIntervalMs: 10, firehoseEndpoints: { feed: ep.url }, retry: { initialMs: 20, maxMs: 50 }, spillBytes: 8 * 1024 });
  t.after(() => p.close());
  p.update(compileRouting([s]));
  for (let i = 0; i < 100; i++) p.emit(line(i), ROUTE);
  await waitFor('spooled', () => p.stats().spilledBytes > 0);
  p.update(compileRouting([]));
  p.update(compileRouting([s]));
  for (let i = 100; i < 150; i++) p.emit(line(i), ROUTE);
  ep.down = false;
  await waitFor('all delivered', () => ep.lines.length >= 150 && p.stats().queued === 0);
  assert.deepEqual(ids(ep.lines), seq(0, 150));
  assert.equal(p.stats().dropped, 0);
  rmSync(dir, { recursive: true, force: true });
});
