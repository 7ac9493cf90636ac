// Prometheus scrapes meaningful numbers: after a known traffic mix through a real data plane,
// GET /metrics on the API port shows Lattice's metrics for that service with those counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from '../helpers/trellis.ts';
import { startEcho, freePort, request } from '../helpers/echo.ts';
import { buildService } from '../helpers/lattice.ts';
import { parseExposition } from '../../src/observe/exposition.ts';

test('request counts by status class, request time and connections after a known mix', async () => {
  const h = await startHarness();
  const echo = await startEcho('counted');
  const port = await freePort();
  const svc = await buildService(h.client, { name: 'counted', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port], healthCheck: { enabled: true, path: '/health' } });
  try {
    // Target health per target group: the one target turns HEALTHY after its first probe (~1 s),
    // and only then gets requests.
    const healthy = async () => parseExposition(await (await fetch(new URL('/metrics', h.trellis.api))).text())
      .find((s) => s.name === 'trellis_healthy_host_count' && s.labels.target_group === svc.tgArn && s.labels.service === svc.serviceArn)?.value;
    let seen: number | undefined;
    for (let i = 0; i < 60 && seen !== 1; i++) {
      seen = await healthy();
      if (seen !== 1) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(seen, 1);

    for (let i = 0; i < 7; i++) assert.equal((await request(port, svc.host, { path: `/ok/${i}` })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await request(port, svc.host, { path: '/a%2Fb' })).status, 400);
    const samples = parseExposition(await (await fetch(new URL('/metrics', h.trellis.api))).text());
    const value = (name: string) => samples.filter((s) => s.name === name && s.labels.service === svc.serviceArn).reduce((n, s) => n + s.value, 0);
    assert.equal(value('lattice_total_request_count_total'), 10);
    assert.equal(value('lattice_http_code_2xx_count_total'), 7);
    assert.equal(value('lattice_http_code_4xx_count_total'), 3);
    assert.equal(value('lattice_request_time_seconds_count'), 10);
    assert.ok(samples.some((s) => s.name.startsWith('trellis_snapshot_revision')));
  } finally {
    await h.close();
    await echo.close();
  }
});
