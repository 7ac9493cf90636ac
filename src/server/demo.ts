// `trellis up --demo`: a small working example built through Trellis's own API, as a user would
// with the SDK: a service network associated with the default VPC and two services, backed by
// built-in echo targets; "greeter" splits traffic 80/20 between two versions by weight, and
// "inventory" routes /items by a path rule and answers everything else with a fixed 404.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { call, type ClientConfig } from '../core/client.ts';

interface Item { id: string; name: string; arn: string }
interface Page<T> { items: T[]; nextToken?: string }

/** An echo target: says who it is and what it received, as JSON. */
async function startTarget(name: string): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ target: name, method: req.method, path: req.url, headers: req.headers }, null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, server };
}

async function all<T>(c: ClientConfig, path: string): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await call<Page<T>>(c, 'GET', token ? `${path}${sep}nextToken=${encodeURIComponent(token)}` : path);
    out.push(...page.items);
    token = page.nextToken;
  } while (token);
  return out;
}

async function findOrCreate(c: ClientConfig, listPath: string, createPath: string, body: { name: string } & Record<string, unknown>): Promise<Item> {
  const found = (await all<Item>(c, listPath)).find((i) => i.name === body.name);
  return found ?? call<Item>(c, 'POST', createPath, body);
}

export interface Demo { lines: string[]; close(): Promise<void> }

export async function startDemo(c: ClientConfig, vpcId: string, portOffset: number): Promise<Demo> {
  const targets = { 'greeter-v1': await startTarget('greeter-v1'), 'greeter-v2': await startTarget('greeter-v2'), inventory: await startTarget('inventory') };

  const sn = await findOrCreate(c, '/servicenetworks', '/servicenetworks', { name: 'demo' });
  const vpcAssociations = await all<{ serviceNetworkId: string }>(c, `/servicenetworkvpcassociations?vpcIdentifier=${vpcId}`);
  if (vpcAssociations.length === 0) await call(c, 'POST', '/servicenetworkvpcassociations', { serviceNetworkIdentifier: sn.id, vpcIdentifier: vpcId });

  const groups: Record<string, Item> = {};
  for (const [name, t] of Object.entries(targets)) {
    const tg = await findOrCreate(c, '/targetgroups', '/targetgroups', { name, type: 'IP', config: { port: t.port, protocol: 'HTTP', vpcIdentifier: vpcId } });
    // Targets listen on new ports at every start: replace the registrations.
    const old = await call<Page<{ id: string; port: number }>>(c, 'POST', `/targetgroups/${tg.id}/listtargets`, {});
    if (old.items.length) await call(c, 'POST', `/targetgroups/${tg.id}/deregistertargets`, { targets: old.items.map((i) => ({ id: i.id, port: i.port })) });
    await call(c, 'POST', `/targetgroups/${tg.id}/registertargets`, { targets: [{ id: '127.0.0.1', port: t.port }] });
    groups[name] = tg;
  }

  const lines: string[] = [];
  const service = async (name: string, port: number, defaultAction: unknown): Promise<{ svc: Item & { dnsEntry: { domainName: string } }; listener: Item }> => {
    const svc = await findOrCreate(c, '/services', '/services', { name }) as Item & { dnsEntry: { domainName: string } };
    const full = await call<Item & { dnsEntry: { domainName: string } }>(c, 'GET', `/services/${svc.id}`);
    const listener = (await all<Item>(c, `/services/${svc.id}/listeners`)).find((l) => l.name === 'http')
      ?? await call<Item>(c, 'POST', `/services/${svc.id}/listeners`, { name: 'http', protocol: 'HTTP', port, defaultAction });
    const associated = await all<{ serviceNetworkId: string }>(c, `/servicenetworkserviceassociations?serviceIdentifier=${svc.id}`);
    if (!associated.some((a) => a.serviceNetworkId === sn.id)) await call(c, 'POST', '/servicenetworkserviceassociations', { serviceIdentifier: svc.id, serviceNetworkIdentifier: sn.id });
    lines.push(`  curl -H 'Host: ${full.dnsEntry.domainName}' http://127.0.0.1:${port + portOffset}/`);
    return { svc: full, listener };
  };

  await service('greeter', 8080, { forward: { targetGroups: [{ targetGroupIdentifier: groups['greeter-v1'].id, weight: 80 }, { targetGroupIdentifier: groups['greeter-v2'].id, weight: 20 }] } });
  const inventory = await service('inventory', 8081, { fixedResponse: { statusCode: 404 } });
  const rules = await all<Item>(c, `/services/${inventory.svc.id}/listeners/${inventory.listener.id}/rules`);
  if (!rules.some((r) => r.name === 'items')) {
    await call(c, 'POST', `/services/${inventory.svc.id}/listeners/${inventory.listener.id}/rules`, {
      name: 'items', priority: 10, match: { httpMatch: { pathMatch: { match: { prefix: '/items' } } } },
      action: { forward: { targetGroups: [{ targetGroupIdentifier: groups.inventory.id }] } },
    });
  }
  lines[1] = lines[1].replace(/\/$/, '/items');
  // Registered targets must pass one health check before they get traffic (a second or so).
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(Object.values(groups).map((tg) => call<Page<{ status: string }>>(c, 'POST', `/targetgroups/${tg.id}/listtargets`, {})));
    if (states.every((p) => p.items.length > 0 && p.items.every((t) => t.status === 'HEALTHY'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    lines,
    close: async () => { await Promise.all(Object.values(targets).map((t) => new Promise<void>((r) => t.server.close(() => r())))); },
  };
}
