// Targets that die or leave under load: a killed target costs no request that could be sent
// elsewhere, health checks mark it UNHEALTHY, and a deregistered target drains (in-flight
// requests finish, new ones go elsewhere) and leaves ListTargets after the deregistration delay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTargetsCommand, DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, request, type Echo, type EchoReply } from '../helpers/echo.ts';
import { buildService, waitForTargets } from '../helpers/lattice.ts';

let h: Harness;
before(async () => { h = await startHarness({ deregistrationDelaySeconds: 2 }); });
after(async () => { await h.close(); });

/** Runs `total` GETs with `concurrency` in flight; calls `midway` once half are done. */
async function load(port: number, host: string, total: number, concurrency: number, midway: () => Promise<void>): Promise<{ ok: number; failed: number[]; by: Record<string, number> }> {
  let next = 0;
  let fired = false;
  const failed: number[] = [];
  const by: Record<string, number> = {};
  let ok = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      if (!fired && i >= total / 2) {
        fired = true;
        await midway();
      }
      const r = await request(port, host, { path: `/load/${i}` }).catch(() => ({ status: 0, body: '{}' }));
      if (r.status === 200) {
        ok++;
        const name = (JSON.parse(r.body) as EchoReply).name;
        by[name] = (by[name] ?? 0) + 1;
      } else failed.push(r.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed, by };
}

test('a target killed under load loses no request, and health checks mark it UNHEALTHY', async (t) => {
  const a = await startEcho('a');
  const b = await startEcho('b');
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  const svc = await buildService(h.client, {
    name: 'failover', port, vpcId: h.trellis.defaultVpcId, targets: [a.port, b.port],
    healthCheck: { enabled: true, healthCheckIntervalSeconds: 5, healthCheckTimeoutSeconds: 2, healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
  });
  await waitForTargets(h.client, svc.tgId, 'HEALTHY');
  const result = await load(port, svc.host, 600, 8, () => b.close());
  assert.deepEqual(result.failed, [], `failed statuses: ${result.failed.join(',')}`);
  assert.equal(result.ok, 600);
  assert.ok(result.by.a > 300 && result.by.b > 0, JSON.stringify(result.by));

  const deadline = Date.now() + 20_000;
  let status = '';
  while (Date.now() < deadline) {
    const items = (await h.client.send(new ListTargetsCommand({ targetGroupIdentifier: svc.tgId }))).items!;
    status = items.find((t) => t.port === b.port)!.status!;
    if (status === 'UNHEALTHY') break;
    await sleep(200);
  }
  assert.equal(status, 'UNHEALTHY');
});

test('deregistration drains: in-flight requests finish, new ones go elsewhere, the target leaves after the delay', async (t) => {
  const a = await startEcho('a');
  const slow = await startEcho('slow', { delayMs: 800 });
  t.after(() => Promise.all([a.close(), slow.close()]));
  const port = await freePort();
  const svc = await buildService(h.client, { name: 'draining', port, vpcId: h.trellis.defaultVpcId, targets: [slow.port] });
  const inflight = request(port, svc.host, { path: '/in-flight' });
  while (slow.seen.length === 0) await sleep(10);
  await h.client.send(new RegisterTargetsCommand({ targetGroupIdentifier: svc.tgId, targets: [{ id: '127.0.0.1', port: a.port }] }));
  await h.client.send(new DeregisterTargetsCommand({ targetGroupIdentifier: svc.tgId, targets: [{ id: '127.0.0.1', port: slow.port }] }));
  const listed = (await h.client.send(new ListTargetsCommand({ targetGroupIdentifier: svc.tgId }))).items!;
  assert.equal(listed.find((t) => t.port === slow.port)?.status, 'DRAINING');

  for (let i = 0; i < 20; i++) assert.equal((JSON.parse((await request(port, svc.host)).body) as EchoReply).name, 'a');
  const done = await inflight;
  assert.equal(done.status, 200);
  assert.equal((JSON.parse(done.body) as EchoReply).name, 'slow');

  const deadline = Date.now() + 10_000;
  let ports: number[] = [];
  while (Date.now() < deadline) {
    ports = (await h.client.send(new ListTargetsCommand({ targetGroupIdentifier: svc.tgId }))).items!.map((t) => t.port!);
    if (!ports.includes(slow.port)) break;
    await sleep(100);
  }
  assert.deepEqual(ports, [a.port]);
});
