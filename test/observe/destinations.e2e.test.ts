// A user attaches access log subscriptions with the official SDK to each destination that is not a
// log group — an S3 bucket (objects under <data-dir>/s3/), a Firehose delivery stream
// (--firehose-endpoint) and an S3 bucket on an S3-compatible endpoint (--s3-endpoint) — sends
// traffic through the data plane, and finds complete Lattice records there within seconds. Also:
// a W3C traceparent header reaches the target unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateAccessLogSubscriptionCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, request } from '../helpers/echo.ts';
import { buildService, type Built } from '../helpers/lattice.ts';
import { startS3Server } from '../helpers/s3.ts';
import { parseS3Endpoint } from '../../src/observe/destinations/s3.ts';
import { record } from './accesslog-helpers.ts';

type Rec = Record<string, unknown>;
const FIELDS = Object.keys(record(0));
const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793';

const gunzipLines = (gz: Buffer): Rec[] => gunzipSync(gz).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A Firehose HTTP endpoint on 127.0.0.1:0 that keeps the records POSTed to it. */
async function startReceiver(): Promise<{ url: string; records: Rec[]; close(): Promise<void> }> {
  const records: Rec[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      records.push(...Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/firehose`, records,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Polls `read` until `done` holds (bounded: 10 s); returns the last records read. */
async function until(what: string, read: () => Rec[], done: (recs: Rec[]) => boolean): Promise<Rec[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const recs = read();
    if (done(recs)) return recs;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; have ${JSON.stringify(recs.map((r) => r.requestPath))}`);
    await sleep(25);
  }
}

/**
 * A subscription reaches the data plane with the next Snapshot: probe requests go until one is
 * logged, so every request after that must be.
 */
async function untilLogged(what: string, port: number, host: string, read: () => Rec[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let i = 0; ; i++) {
    await request(port, host, { path: `/probe-${i}` });
    const t = Date.now() + 1_000;
    while (Date.now() < t) {
      if (read().some((r) => String(r.requestPath).startsWith('/probe-'))) return;
      await sleep(25);
    }
    if (Date.now() > deadline) throw new Error(`no probe record reached ${what}`);
  }
}

/** Two requests (one forwarded, one refused by the data plane) and what their records must say. */
async function sendAndCheck(what: string, h: Harness, svc: Built, port: number, targetPort: number, read: () => Rec[]): Promise<void> {
  await untilLogged(what, port, svc.host, read);
  const ok = await request(port, svc.host, { path: `/orders?dest=${what}`, headers: { 'x-amzn-trace-id': TRACE, 'user-agent': 'dest-test' } });
  assert.equal(ok.status, 200);
  const bad = await request(port, svc.host, { path: `/a%2Fb?dest=${what}` });
  assert.equal(bad.status, 400);
  const recs = await until(`records at ${what}`, read, (rs) => rs.some((r) => r.requestPath === `/orders?dest=${what}`) && rs.some((r) => r.requestPath === `/a%2Fb?dest=${what}`));
  const first = recs.find((r) => r.requestPath === `/orders?dest=${what}`)!;
  assert.deepEqual(Object.keys(first), FIELDS, 'every Lattice field, in order');
  assert.equal(first.requestId, ok.headers['x-amzn-requestid']);
  assert.equal(first.traceId, TRACE);
  assert.equal(first.requestMethod, 'GET');
  assert.equal(first.protocol, 'HTTP/1.1');
  assert.equal(first.responseCode, 200);
  assert.equal(first.userAgent, 'dest-test');
  assert.equal(first.serviceArn, svc.serviceArn);
  assert.equal(first.serviceNetworkArn, svc.serviceNetworkArn);
  assert.equal(first.targetGroupArn, svc.tgArn);
  assert.equal(first.targetIpPort, `127.0.0.1:${targetPort}`);
  assert.match(String(first.sourceVpcArn), new RegExp(`vpc/${h.trellis.defaultVpcId}$`));
  assert.match(String(first.sourceIpPort), /^127\.0\.0\.1:\d+$/);
  assert.match(String(first.startTime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(typeof first.duration, 'number');
  assert.ok(Number(first.bytesSent) > 0);
  const second = recs.find((r) => r.requestPath === `/a%2Fb?dest=${what}`)!;
  assert.deepEqual(Object.keys(second), FIELDS);
  assert.equal(second.responseCode, 400);
  assert.equal(second.requestId, bad.headers['x-amzn-requestid']);
  assert.equal(second.targetGroupArn, '-');
}

test('an S3 bucket (files under the data dir) and a Firehose delivery stream receive complete records', async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  const h = await startHarness({ firehoseEndpoints: { 'lattice-feed': receiver.url } });
  t.after(() => h.close());
  const echo = await startEcho('to-s3-and-firehose');
  t.after(() => echo.close());
  const port = await freePort();
  const svc = await buildService(h.client, { name: 'dest-files', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  const account = h.trellis.accountId;
  await h.client.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier: svc.serviceId, destinationArn: 'arn:aws:s3:::lattice-bucket' })); // ARNs are 20+ characters
  await h.client.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier: svc.serviceNetworkId, destinationArn: `arn:aws:firehose:us-east-1:${account}:deliverystream/lattice-feed` }));

  const root = join(h.dataDir, 's3', 'lattice-bucket');
  const prefix = join(root, 'AWSLogs', account, 'VpcLattice', 'AccessLogs', h.trellis.region);
  const fromFiles = () => walk(root).filter((f) => f.endsWith('.log.gz')).flatMap((f) => gunzipLines(readFileSync(f)));
  await sendAndCheck('s3-files', h, svc, port, echo.port, fromFiles);
  const objects = walk(root);
  assert.ok(objects.length > 0 && objects.every((f) => f.startsWith(prefix + '/') && f.endsWith('.log.gz')), objects.join('\n'));

  // The network's Firehose subscription saw the same traffic, which came through that network.
  await sendAndCheck('firehose', h, svc, port, echo.port, () => receiver.records);
});

test('an S3 bucket on an S3-compatible endpoint (--s3-endpoint) receives complete records as signed PUTs', async (t) => {
  const keys = { accessKeyId: 'AKIAS3E2E00000000001', secretAccessKey: 'e2e-s3-secret' };
  const s3 = await startS3Server({ buckets: ['lattice-logs'], ...keys });
  t.after(() => s3.close());
  const s3Endpoint = parseS3Endpoint(s3.url, { env: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey } });
  const h = await startHarness({ s3Endpoint });
  t.after(() => h.close());
  const echo = await startEcho('to-s3-endpoint');
  t.after(() => echo.close());
  const port = await freePort();
  const svc = await buildService(h.client, { name: 'dest-endpoint', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  await h.client.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier: svc.serviceId, destinationArn: 'arn:aws:s3:::lattice-logs' }));

  const bucket = s3.buckets.get('lattice-logs')!;
  await sendAndCheck('s3-endpoint', h, svc, port, echo.port, () => [...bucket.values()].flatMap((o) => gunzipLines(o.body)));
  assert.deepEqual(s3.refused, []);
  const prefix = `AWSLogs/${h.trellis.accountId}/VpcLattice/AccessLogs/${h.trellis.region}/`;
  assert.ok([...bucket.keys()].every((k) => k.startsWith(prefix) && k.endsWith('.log.gz')), [...bucket.keys()].join('\n'));
  assert.equal(walk(join(h.dataDir, 's3')).length, 0, 'nothing written to the data dir');
});

test('a W3C traceparent header reaches the target unchanged', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const echo = await startEcho('traced');
  t.after(() => echo.close());
  const port = await freePort();
  const svc = await buildService(h.client, { name: 'traced', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const tracestate = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';
  const res = await request(port, svc.host, { path: '/traced', headers: { traceparent, tracestate } });
  assert.equal(res.status, 200);
  const seen = echo.seen.find((r) => r.url === '/traced')!;
  assert.equal(seen.headers.traceparent, traceparent);
  assert.equal(seen.headers.tracestate, tracestate);
});
