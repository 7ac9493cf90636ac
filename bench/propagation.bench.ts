// npm run bench:propagation — how soon an API change routes traffic: UpdateListener changes the
// fixed-response code, then requests poll the data plane until they see the new code. Reports
// p50/p99/max from the API's answer to the first request routed by the change. Bounded: 300
// changes and a 60 s cap; stops the server it starts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { call, type ClientConfig } from '../src/core/client.ts';
import { statusProbe, timeListenerChanges } from './changes.ts';

const BIN = fileURLToPath(new URL('../bin/trellis', import.meta.url));
const CHANGES = Number(process.env.BENCH_CHANGES ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
const ready = join(dir, 'ready.json');
const env = { ...process.env, TRELLIS_ACCESS_KEY_ID: 'AKIABENCH0000000001', TRELLIS_SECRET_ACCESS_KEY: 'bench' };
const proc = spawn(BIN, ['up', '--data-dir', dir, '--api-port', '0', '--dns-port', '0', '--ready-file', ready, '--port-offset', '20000'], { stdio: 'ignore', env });
for (let i = 0; i < 200 && !existsSync(ready); i++) await sleep(50);
const { api, defaultVpcId } = JSON.parse(readFileSync(ready, 'utf8')) as { api: string; defaultVpcId: string };
const c: ClientConfig = { endpoint: api, region: 'us-east-1', accessKeyId: 'AKIABENCH0000000001', secretAccessKey: 'bench' };

const port = 8090;
const sn = await call<{ id: string }>(c, 'POST', '/servicenetworks', { name: 'bench' });
await call(c, 'POST', '/servicenetworkvpcassociations', { serviceNetworkIdentifier: sn.id, vpcIdentifier: defaultVpcId });
const svc = await call<{ id: string; dnsEntry: { domainName: string } }>(c, 'POST', '/services', { name: 'propagation' });
const listener = await call<{ id: string }>(c, 'POST', `/services/${svc.id}/listeners`, { name: 'http', protocol: 'HTTP', port, defaultAction: { fixedResponse: { statusCode: 400 } } });
await call(c, 'POST', '/servicenetworkserviceassociations', { serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id });

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const status = statusProbe(port + 20000, svc.dnsEntry.domainName, agent);
while ((await status().catch(() => 0)) !== 400) await sleep(10);

const { afterAckMs: afterAck, afterCallMs: afterCall } = await timeListenerChanges({
  client: c, serviceId: svc.id, listenerId: listener.id, probe: status, count: CHANGES, budgetMs: 60_000,
});
proc.kill('SIGTERM');
await new Promise((r) => proc.once('exit', r));
agent.destroy();
rmSync(dir, { recursive: true, force: true });

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms   p99 ${pct(xs, 99).toFixed(2)} ms   max ${Math.max(...xs).toFixed(2)} ms`;
console.log(`bench:propagation  ${cpus().length} cores, ${afterAck.length} listener changes, one service`);
console.log(`  API answer -> first request routed by the change   ${fmt(afterAck)}`);
console.log(`  API call   -> first request routed by the change   ${fmt(afterCall)}`);
console.log('goal (issue 3): p99 under 100 ms');
