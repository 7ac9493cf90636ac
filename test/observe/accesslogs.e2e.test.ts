// A user attaches access log subscriptions with the AWS SDK, sends traffic, and reads complete
// Lattice-format records: the service's own log group gets every request, the service network's
// log group gets what came through it, and `trellis logs tail` prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CreateAccessLogSubscriptionCommand } from '@aws-sdk/client-vpc-lattice';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from '../helpers/trellis.ts';
import { startEcho, freePort, request } from '../helpers/echo.ts';
import { buildService } from '../helpers/lattice.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
const run = promisify(execFile);

async function tail(dataDir: string, group: string, n: number): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(BIN, ['logs', 'tail', group, '--data-dir', dataDir, '-n', String(n)]);
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('service and service-network subscriptions deliver Lattice-format records within a second', async () => {
  const h = await startHarness();
  const echo = await startEcho('logged');
  const port = await freePort();
  const svc = await buildService(h.client, { name: 'logged', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  const account = h.trellis.accountId;
  await h.client.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier: svc.serviceId, destinationArn: `arn:aws:logs:us-east-1:${account}:log-group:service-logs` }));
  await h.client.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier: svc.serviceNetworkId, destinationArn: `arn:aws:logs:us-east-1:${account}:log-group:network-logs` }));
  await sleep(50); // the subscriptions reach the data plane with the next Snapshot

  const ok = await request(port, svc.host, { path: '/orders?id=7', headers: { 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793', 'user-agent': 'log-test' } });
  assert.equal(ok.status, 200);
  const bad = await request(port, svc.host, { path: '/a%2Fb' });
  assert.equal(bad.status, 400);

  let records: Record<string, unknown>[] = [];
  for (let i = 0; i < 100 && records.length < 2; i++) {
    records = await tail(h.dataDir, 'service-logs', 10).catch(() => []);
    if (records.length < 2) await sleep(50);
  }
  assert.equal(records.length, 2, JSON.stringify(records));
  const first = records.find((r) => r.requestPath === '/orders?id=7')!;
  assert.equal(first.requestId, ok.headers['x-amzn-requestid']);
  assert.equal(first.traceId, 'Root=1-5759e988-bd862e3fe1be46a994272793');
  assert.equal(first.requestMethod, 'GET');
  assert.equal(first.protocol, 'HTTP/1.1');
  assert.equal(first.responseCode, 200);
  assert.equal(first.userAgent, 'log-test');
  assert.equal(first.hostHeader, svc.host);
  assert.equal(first.serviceArn, svc.serviceArn);
  assert.equal(first.serviceNetworkArn, svc.serviceNetworkArn);
  assert.equal(first.targetGroupArn, svc.tgArn);
  assert.equal(first.targetIpPort, `127.0.0.1:${echo.port}`);
  assert.match(String(first.sourceVpcArn), new RegExp(`vpc/${h.trellis.defaultVpcId}$`));
  assert.match(String(first.sourceIpPort), /^127\.0\.0\.1:\d+$/);
  assert.match(String(first.startTime), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(typeof first.duration, 'number');
  assert.ok(Number(first.bytesSent) > 0);
  const second = records.find((r) => r.requestPath === '/a%2Fb')!;
  assert.equal(second.responseCode, 400);
  assert.equal(second.responseCodeDetails, 'invalid_request_path');
  assert.equal(second.targetGroupArn, '-');

  // The service network's subscription sees the same traffic, which came through that network.
  let network: Record<string, unknown>[] = [];
  for (let i = 0; i < 100 && network.length < 2; i++) {
    network = await tail(h.dataDir, 'network-logs', 10).catch(() => []);
    if (network.length < 2) await sleep(50);
  }
  assert.deepEqual(network.map((r) => r.requestId).sort(), records.map((r) => r.requestId).sort());
  await h.close();
  await echo.close();
});
