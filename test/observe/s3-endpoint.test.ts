// The S3 destination against an S3-compatible endpoint (--s3-endpoint): each batch is a signed
// PutObject of a gzip object under the AWSLogs/ key layout; a refused signature or a dead endpoint
// fails the batch, which spools and arrives once the endpoint is back. The endpoint is the
// stand-in in test/helpers/s3.ts, which verifies SigV4 with src/iam/sigv4.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessLogPipeline } from '../../src/observe/pipeline.ts';
import { compileRouting } from '../../src/observe/subscriptions.ts';
import { parseS3Endpoint, type S3Endpoint } from '../../src/observe/destinations/s3.ts';
import { startS3Server, type S3Server } from '../helpers/s3.ts';
import { ACCOUNT, bucket, line, snArn, sub, svcArn, tempDir, waitFor } from './accesslog-helpers.ts';

const SVC = 'svc-0000000000000000a';
const SN = 'sn-00000000000000001';
const ROUTE = { serviceArn: svcArn(SVC), serviceNetworkArn: snArn(SN) };
const run = promisify(execFile);
const KEYS = { accessKeyId: 'AKIAS3STANDIN0000001', secretAccessKey: 'stand-in-secret/with+odd=chars' };

const endpointOf = (s3: S3Server, secretAccessKey = KEYS.secretAccessKey): S3Endpoint =>
  parseS3Endpoint(s3.url, { env: { AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } });

/** Request ids of the objects' records, objects in the order they were PUT. */
function requestIds(objects: Map<string, { body: Buffer }>): string[] {
  return [...objects.values()].flatMap((o) => gunzipSync(o.body).toString('utf8').split('\n').filter(Boolean)
    .map((l) => (JSON.parse(l) as { requestId: string }).requestId));
}

test('--s3-endpoint and its credentials are validated', () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 'tok' };
  assert.deepEqual(parseS3Endpoint('http://127.0.0.1:9000', { env }), {
    url: 'http://127.0.0.1:9000/', region: 'us-east-1', credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's', sessionToken: 'tok' },
  });
  assert.equal(parseS3Endpoint('https://s3.example', { env, region: 'garage' }).region, 'garage');
  assert.throws(() => parseS3Endpoint('minio:9000', { env }), /must be http or https/);
  assert.throws(() => parseS3Endpoint('not a url', { env }), /"not a url" is not a URL/);
  assert.throws(() => parseS3Endpoint('ftp://h/', { env }), /must be http or https/);
  assert.throws(() => parseS3Endpoint('http://u:p@h/', { env }), /not in the URL/);
  assert.throws(() => parseS3Endpoint('http://h/?x=1', { env }), /query or fragment/);
  assert.throws(() => parseS3Endpoint('http://h/', { env, region: 'US East' }), /--s3-region/);
  assert.throws(() => parseS3Endpoint('http://h/', { env: { AWS_ACCESS_KEY_ID: 'AKIA1' } }), /needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
});

test('each batch is a signed PutObject of a gzip object in its time partition', async (t) => {
  const s3 = await startS3Server({ buckets: ['central-logs'], ...KEYS });
  t.after(() => s3.close());
  const dir = tempDir();
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-west-2', log: () => {}, s3FlushIntervalMs: 20, s3Endpoint: endpointOf(s3) });
  const svcSub = sub(SVC, svcArn(SVC), bucket('central-logs'));
  p.update(compileRouting([svcSub]));
  for (let i = 0; i < 300; i++) p.emit(line(i), ROUTE);
  await waitFor('300 deliveries', () => p.stats().delivered === 300);
  await p.close();

  const objects = s3.buckets.get('central-logs')!;
  assert.ok(objects.size >= 1);
  assert.equal(s3.accepted, objects.size);
  assert.deepEqual(s3.refused, []);
  const now = new Date();
  const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
  const prefix = `AWSLogs/${ACCOUNT}/VpcLattice/AccessLogs/us-west-2/${day}/${ACCOUNT}_vpclatticeaccesslogs_us-west-2_${svcSub.id}_`;
  for (const [key, obj] of objects) {
    assert.ok(key.startsWith(prefix) && /_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz$/.test(key), key);
    assert.equal(obj.contentType, 'application/gzip');
    assert.equal(obj.contentEncoding, undefined);
  }
  assert.deepEqual(requestIds(objects), Array.from({ length: 300 }, (_, i) => `req-${i}`));
  const first = JSON.parse(gunzipSync([...objects.values()][0].body).toString('utf8').split('\n')[0]) as Record<string, unknown>;
  assert.equal(first.serviceArn, svcArn(SVC));
  assert.equal(first.requestPath, '/items/0?q=1');
  rmSync(dir, { recursive: true, force: true });
});

test('a refused signature fails the batch (nothing stored) and is logged with the S3 error code', async (t) => {
  const s3 = await startS3Server({ buckets: ['central-logs'], ...KEYS });
  t.after(() => s3.close());
  const dir = tempDir();
  const logs: string[] = [];
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-east-1', log: (l) => logs.push(l), s3FlushIntervalMs: 10, retry: { initialMs: 20, maxMs: 50 }, s3Endpoint: endpointOf(s3, 'the-wrong-secret') });
  p.update(compileRouting([sub(SVC, svcArn(SVC), bucket('central-logs'))]));
  for (let i = 0; i < 10; i++) p.emit(line(i), ROUTE);
  await waitFor('failed attempts', () => p.stats().failures >= 2);
  assert.equal(p.stats().delivered, 0);
  assert.equal(s3.buckets.get('central-logs')!.size, 0);
  assert.ok(s3.refused.every((c) => c === 'SignatureDoesNotMatch') && s3.refused.length >= 2, s3.refused.join());
  assert.ok(logs.some((l) => /bucket central-logs at http:\/\/127\.0\.0\.1:\d+\/: delivery failed \(PutObject central-logs\/AWSLogs\/.*HTTP 403 SignatureDoesNotMatch/.test(l)), logs.join('\n'));
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a dead endpoint: batches spool and retry, and every record arrives once it is back', async (t) => {
  const s3 = await startS3Server({ buckets: ['central-logs'], ...KEYS });
  t.after(() => s3.close());
  await s3.stop();
  const dir = tempDir();
  const logs: string[] = [];
  const p = new AccessLogPipeline({
    dataDir: dir, region: 'us-east-1', log: (l) => logs.push(l), s3FlushIntervalMs: 10, retry: { initialMs: 20, maxMs: 100 },
    spillBytes: 16 * 1024, s3Endpoint: endpointOf(s3),
  });
  p.update(compileRouting([sub(SVC, svcArn(SVC), bucket('central-logs'))]));
  const N = 2000;
  for (let i = 0; i < N; i++) {
    p.emit(line(i), ROUTE);
    if (i % 200 === 199) await sleep(2); // requests arrive over time; spilling happens between bursts
  }
  await waitFor('failed attempts and spooled records', () => p.stats().failures >= 3 && p.stats().spilledBytes > 0);
  assert.equal(p.stats().delivered, 0);
  assert.equal(p.stats().dropped, 0);
  assert.equal(p.stats().subscriptions[0].failing, true);
  assert.ok(logs.some((l) => /delivery failed \(PutObject .*ECONNREFUSED/.test(l)), logs.join('\n'));

  await s3.start();
  await waitFor('every record in the bucket', () => p.stats().delivered === N && p.stats().queued === 0);
  assert.deepEqual(requestIds(s3.buckets.get('central-logs')!), Array.from({ length: N }, (_, i) => `req-${i}`));
  assert.equal(p.stats().spilledBytes, 0);
  assert.equal(p.stats().subscriptions[0].failing, false);
  assert.ok(logs.some((l) => /delivering again/.test(l)));
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('trellis up refuses a bad --s3-endpoint, or one without credentials, before starting anything', async () => {
  const bin = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
  const dir = tempDir();
  const env = { PATH: process.env.PATH ?? '', AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's' };
  const up = (args: string[], e: NodeJS.ProcessEnv) => run(bin, ['up', '--data-dir', dir, '--api-port', '0', '--dns-port', '0', ...args], { env: e, timeout: 20_000 })
    .then(() => assert.fail('trellis up should have failed'), (err: { code: number; stderr: string }) => err);
  let r = await up(['--s3-endpoint', 'minio:9000'], env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^trellis: --s3-endpoint: the URL must be http or https, got "minio:9000"/);
  r = await up(['--s3-endpoint', 'http://127.0.0.1:9000'], { PATH: env.PATH });
  assert.match(r.stderr, /^trellis: --s3-endpoint needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  r = await up(['--s3-region', 'garage'], env);
  assert.match(r.stderr, /^trellis: --s3-region needs --s3-endpoint/);
  assert.ok(!existsSync(join(dir, 'trellis.db')), 'nothing started');
  rmSync(dir, { recursive: true, force: true });
});
