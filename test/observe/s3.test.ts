// The S3 destination: gzip objects of JSON lines under <data-dir>/s3/<bucket>/AWSLogs/<account>/
// VpcLattice/AccessLogs/<region>/<yyyy>/<mm>/<dd>/, written whole (temporary name, then rename).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AccessLogPipeline } from '../../src/observe/pipeline.ts';
import { compileRouting } from '../../src/observe/subscriptions.ts';
import { buildResourceAccessLog } from '../../src/observe/record.ts';
import { s3ObjectKey } from '../../src/observe/destinations/s3.ts';
import { ACCOUNT, bucket, line, rcfgArn, snArn, sub, svcArn, tempDir, waitFor } from './accesslog-helpers.ts';

const SVC = 'svc-0000000000000000a';
const SN = 'sn-00000000000000001';
const RCFG = 'rcfg-0000000000000001';

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

test('the object key', () => {
  const at = new Date(Date.UTC(2025, 2, 4, 5, 6, 7));
  assert.equal(
    s3ObjectKey({ account: ACCOUNT, region: 'eu-west-1', subscriptionId: 'als-0123456789abcdefg', kind: 'service' }, at, 'deadbeef'),
    `AWSLogs/${ACCOUNT}/VpcLattice/AccessLogs/eu-west-1/2025/03/04/${ACCOUNT}_vpclatticeaccesslogs_eu-west-1_als-0123456789abcdefg_20250304T0506Z_deadbeef.log.gz`,
  );
  assert.match(
    s3ObjectKey({ account: ACCOUNT, region: 'eu-west-1', subscriptionId: 'als-1', kind: 'resource' }, at, 'cafe0001'),
    /^AWSLogs\/111122223333\/VpcLattice\/ResourceAccessLogs\/eu-west-1\/2025\/03\/04\/111122223333_vpclatticeresourceaccesslogs_eu-west-1_als-1_20250304T0506Z_cafe0001\.log\.gz$/,
  );
});

test('service and resource records become gzip objects in their time partitions', async () => {
  const dir = tempDir();
  const p = new AccessLogPipeline({ dataDir: dir, region: 'us-west-2', log: () => {}, s3FlushIntervalMs: 20 });
  const svcSub = sub(SVC, svcArn(SVC), bucket('central-logs'));
  const rcfgSub = sub(SN, snArn(SN), bucket('central-logs'), 'RESOURCE');
  p.update(compileRouting([svcSub, rcfgSub]));
  for (let i = 0; i < 500; i++) p.emit(line(i), { serviceArn: svcArn(SVC), serviceNetworkArn: snArn(SN) });
  p.emitResource(buildResourceAccessLog({
    startMs: Date.now(), serviceNetworkArn: snArn(SN), resourceConfigurationArn: rcfgArn(RCFG), sourceIp: '127.0.0.1', sourcePort: 1, destinationIp: '127.0.0.2', destinationPort: 5432,
  }), { resourceConfigurationArn: rcfgArn(RCFG), serviceNetworkArn: snArn(SN) });
  await waitFor('501 deliveries', () => p.stats().delivered === 501);
  await p.close();

  const root = join(dir, 's3', 'central-logs');
  const objects = walk(root).map((f) => relative(root, f));
  assert.ok(objects.every((k) => k.endsWith('.log.gz')), `no temporary files left: ${objects.join(', ')}`);
  const today = new Date();
  const day = `${today.getUTCFullYear()}/${String(today.getUTCMonth() + 1).padStart(2, '0')}/${String(today.getUTCDate()).padStart(2, '0')}`;
  const service = objects.filter((k) => k.startsWith(`AWSLogs/${ACCOUNT}/VpcLattice/AccessLogs/us-west-2/`));
  const resource = objects.filter((k) => k.startsWith(`AWSLogs/${ACCOUNT}/VpcLattice/ResourceAccessLogs/us-west-2/`));
  assert.equal(service.length + resource.length, objects.length);
  assert.ok(service.every((k) => k.includes(`/${day}/${ACCOUNT}_vpclatticeaccesslogs_us-west-2_${svcSub.id}_`)), service.join(', '));
  const read = (keys: string[]) => keys.sort().flatMap((k) => gunzipSync(readFileSync(join(root, k))).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
  const ids = read(service).map((r) => r.requestId as string);
  assert.equal(ids.length, 500);
  assert.deepEqual(new Set(ids), new Set(Array.from({ length: 500 }, (_, i) => `req-${i}`)));
  const [conn] = read(resource);
  assert.equal(resource.length, 1);
  assert.equal(conn.resourceConfigurationArn, rcfgArn(RCFG));
  assert.equal(conn.destinationIpPort, '127.0.0.2:5432');
  rmSync(dir, { recursive: true, force: true });
});
