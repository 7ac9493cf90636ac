// Starts `trellis up` for the proxy benchmark (pinned, temporary data dir) and configures it through
// the API: one service network associated with the default VPC, service "bench" with one HTTP
// listener whose 10 rules match the benchmark path only at the last (priority 100), forwarding to
// an IP target group of the two backends (health checks off), an access log subscription to a log
// group; and, for gRPC, service "bench-grpc" forwarding to a GRPC target group.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRELLIS_NODE_FLAGS } from '../tools.ts';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, type ClientConfig } from '../../src/core/client.ts';
import { start, type Proc } from './procs.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/node/bin/node');
const KEY = 'AKIABENCHPROXY000001';
const SECRET = 'bench-proxy-secret';

export interface TrellisBench { proc: Proc; host: string; grpcHost: string; port: number; grpcPort: number; accountId: string }

export async function startTrellis(opts: { dir: string; cpu: number | string; portOffset: number; listenerPort: number; backends: number[]; grpcBackend?: number; cpuProfDir?: string; nodeArgs?: string[]; logFile: string; accessLogs?: boolean; upArgs?: string[] }): Promise<TrellisBench> {
  const ready = join(opts.dir, 'ready.json');
  const node = existsSync(NODE) ? NODE : process.execPath;
  const args = [
    ...TRELLIS_NODE_FLAGS, // as bin/trellis runs it (nodeArgs, after it, may override)
    ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []), ...(opts.nodeArgs ?? []),
    join(ROOT, 'src/cli/main.ts'), 'up', '--data-dir', join(opts.dir, 'data'), '--api-port', '0', '--dns-port', '0',
    '--port-offset', String(opts.portOffset), '--ready-file', ready, '--deregistration-delay', '0', ...(opts.upArgs ?? []),
  ];
  const proc = start('trellis', opts.cpu, node, args, { logFile: opts.logFile, env: { ...process.env, TRELLIS_ACCESS_KEY_ID: KEY, TRELLIS_SECRET_ACCESS_KEY: SECRET } });
  for (let i = 0; i < 300 && !existsSync(ready); i++) {
    if (proc.child.exitCode !== null) throw new Error(`trellis exited (${proc.child.exitCode}); see ${opts.logFile}`);
    await sleep(50);
  }
  if (!existsSync(ready)) throw new Error(`trellis not ready after 15 s; see ${opts.logFile}`);
  const r = JSON.parse(readFileSync(ready, 'utf8')) as { api: string; defaultVpcId: string; accountId: string };
  const c: ClientConfig = { endpoint: r.api, region: 'us-east-1', accessKeyId: KEY, secretAccessKey: SECRET };
  const logGroup = `arn:aws:logs:us-east-1:${r.accountId}:log-group:bench`;

  const sn = await call<{ id: string }>(c, 'POST', '/servicenetworks', { name: 'bench' });
  await call(c, 'POST', '/servicenetworkvpcassociations', { serviceNetworkIdentifier: sn.id, vpcIdentifier: r.defaultVpcId });

  const svc = await call<{ id: string; dnsEntry: { domainName: string } }>(c, 'POST', '/services', { name: 'bench' });
  const tg = await targetGroup(c, 'bench-tg', 'HTTP1', opts.backends, r.defaultVpcId);
  const listener = await call<{ id: string }>(c, 'POST', `/services/${svc.id}/listeners`, { name: 'http', protocol: 'HTTP', port: opts.listenerPort, defaultAction: { fixedResponse: { statusCode: 404 } } });
  const misses: Record<string, unknown>[] = [
    { pathMatch: { match: { prefix: '/api' } } },
    { pathMatch: { match: { exact: '/health' } } },
    { headerMatches: [{ name: 'x-tenant', match: { exact: 'a' } }] },
    { method: 'POST' },
    { pathMatch: { match: { prefix: '/v1' } }, headerMatches: [{ name: 'x-debug', match: { exact: '1' } }] },
    { headerMatches: [{ name: 'x-canary', match: { contains: 'yes' } }] },
    { pathMatch: { match: { prefix: '/static' } } },
    { pathMatch: { match: { exact: '/bench/admin' }, caseSensitive: true } },
    { headerMatches: [{ name: 'x-version', match: { prefix: 'v2' } }] },
  ];
  for (const [i, httpMatch] of misses.entries()) {
    await call(c, 'POST', `/services/${svc.id}/listeners/${listener.id}/rules`, { name: `miss-${i + 1}`, priority: (i + 1) * 10, match: { httpMatch }, action: { fixedResponse: { statusCode: 404 } } });
  }
  await call(c, 'POST', `/services/${svc.id}/listeners/${listener.id}/rules`, { name: 'bench', priority: 100, match: { httpMatch: { pathMatch: { match: { prefix: '/bench' } } } }, action: { forward: { targetGroups: [{ targetGroupIdentifier: tg }] } } });
  await call(c, 'POST', '/servicenetworkserviceassociations', { serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id });
  if (opts.accessLogs !== false) await call(c, 'POST', '/accesslogsubscriptions', { resourceIdentifier: svc.id, destinationArn: logGroup });

  let grpcHost = '';
  if (opts.grpcBackend !== undefined) {
    const g = await call<{ id: string; dnsEntry: { domainName: string } }>(c, 'POST', '/services', { name: 'bench-grpc' });
    const gtg = await targetGroup(c, 'bench-grpc-tg', 'GRPC', [opts.grpcBackend], r.defaultVpcId);
    await call(c, 'POST', `/services/${g.id}/listeners`, { name: 'grpc', protocol: 'HTTP', port: opts.listenerPort + 1, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: gtg }] } } });
    await call(c, 'POST', '/servicenetworkserviceassociations', { serviceIdentifier: g.id, serviceNetworkIdentifier: sn.id });
    await call(c, 'POST', '/accesslogsubscriptions', { resourceIdentifier: g.id, destinationArn: logGroup });
    grpcHost = g.dnsEntry.domainName;
  }

  const host = svc.dnsEntry.domainName;
  const port = opts.listenerPort + opts.portOffset;
  // Applied once a request to /bench is forwarded (bounded: 10 s).
  const deadline = Date.now() + 10_000;
  while ((await status(port, host, '/bench').catch(() => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('trellis: /bench never answered 200');
    await sleep(50);
  }
  return { proc, host, grpcHost, port, grpcPort: port + 1, accountId: r.accountId };
}

async function targetGroup(c: ClientConfig, name: string, protocolVersion: string, ports: number[], vpc: string): Promise<string> {
  const tg = await call<{ id: string }>(c, 'POST', '/targetgroups', { name, type: 'IP', config: { port: ports[0], protocol: 'HTTP', protocolVersion, vpcIdentifier: vpc, healthCheck: { enabled: false } } });
  await call(c, 'POST', `/targetgroups/${tg.id}/registertargets`, { targets: ports.map((port) => ({ id: '127.0.0.1', port })) });
  return tg.id;
}

/** One GET on a fresh connection; the status code. */
export function status(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
