// Routing as Lattice does it, through a real `trellis` (API + data plane) and real HTTP/1.1:
// rule priority, every match type, the default action, fixed responses, weighted target groups,
// the headers targets receive, VPC refusal, and config changes taking effect on the next request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateRuleCommand, UpdateRuleCommand, UpdateListenerCommand, CreateServiceCommand, CreateListenerCommand,
  CreateServiceNetworkServiceAssociationCommand, DeleteServiceNetworkServiceAssociationCommand, ListServiceNetworkServiceAssociationsCommand, type RuleMatch,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, request, type Echo, type EchoReply } from '../helpers/echo.ts';
import { buildService, createTargetGroup, type Built } from '../helpers/lattice.ts';

let h: Harness;
let a: Echo, b: Echo, c: Echo;
let port: number;
let svc: Built;
let tgB: { id: string; arn: string }, tgC: { id: string; arn: string };

before(async () => {
  h = await startHarness();
  [a, b, c] = await Promise.all([startEcho('a'), startEcho('b'), startEcho('c')]);
  port = await freePort();
  svc = await buildService(h.client, { name: 'routing', port, vpcId: h.trellis.defaultVpcId, targets: [a.port] });
  tgB = await createTargetGroup(h.client, 'routing-b', [b.port], { vpcId: h.trellis.defaultVpcId });
  tgC = await createTargetGroup(h.client, 'routing-c', [c.port], { vpcId: h.trellis.defaultVpcId });
});
after(async () => {
  await h.close();
  await Promise.all([a.close(), b.close(), c.close()]);
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => request(port, svc.host, { path, headers, method });
const echoOf = (r: { body: string }) => JSON.parse(r.body) as EchoReply;

async function rule(name: string, priority: number, match: RuleMatch, tgId: string): Promise<string> {
  const out = await h.client.send(new CreateRuleCommand({
    serviceIdentifier: svc.serviceId, listenerIdentifier: svc.listenerId, name, priority, match,
    action: { forward: { targetGroups: [{ targetGroupIdentifier: tgId }] } },
  }));
  return out.id!;
}

test('the default action forwards; targets get Lattice headers and the client\'s spoofed ones are gone', async () => {
  const r = await get('/anything?q=1', { 'x-forwarded-for': '6.6.6.6', 'X-Amzn-Lattice-Identity': 'Principal=forged', 'user-agent': 'test' });
  assert.equal(r.status, 200);
  const seen = echoOf(r);
  assert.equal(seen.name, 'a');
  assert.equal(seen.url, '/anything?q=1');
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-for-port'], String(port));
  assert.equal(seen.headers['x-forwarded-for-proto'], 'http');
  assert.equal(seen.headers['x-amzn-lattice-network'], `SourceVpcArn=arn:aws:ec2:us-east-1:${h.trellis.accountId}:vpc/${h.trellis.defaultVpcId}`);
  assert.equal(seen.headers['x-amzn-lattice-target'], `ServiceArn=${svc.serviceArn};ServiceNetworkArn=${svc.serviceNetworkArn};TargetGroupArn=${svc.tgArn}`);
  assert.equal(seen.headers['x-amzn-lattice-identity'], undefined);
  assert.equal(seen.headers.host, svc.host);
  assert.equal(seen.headers['user-agent'], 'test');
  assert.match(r.headers['x-amzn-requestid'] as string, /^[0-9a-f-]{36}$/);
  assert.equal(seen.headers['x-amzn-requestid'], r.headers['x-amzn-requestid']);
  // A header name with '_' (which some upstreams read as '-') is refused outright (HDR-07).
  assert.equal((await get('/', { 'x_amzn_lattice_network': 'forged' })).status, 400);
});

test('hop-by-hop headers and those Connection names are not forwarded', async () => {
  const seen = echoOf(await get('/', { connection: 'x-secret', 'x-secret': 'drop me', 'keep-alive': 'timeout=5', 'x-kept': 'yes' }));
  assert.equal(seen.headers['x-secret'], undefined);
  assert.equal(seen.headers['keep-alive'], undefined);
  assert.equal(seen.headers['x-kept'], 'yes');
});

test('the path is normalized once and forwarded as routed', async () => {
  assert.equal(echoOf(await get('/public/../x/%61b//c/./d')).url, '/x/ab/c/d');
  assert.equal((await get('/a%2Fb')).status, 400);
  assert.equal((await get('/../etc/passwd')).status, 400);
  assert.equal(echoOf(await get('/q?x=/../y')).url, '/q?x=/../y');
});

test('rules: priority order, path exact/prefix with case, headers exact/prefix/contains, method', async () => {
  await rule('path-prefix', 20, { httpMatch: { pathMatch: { match: { prefix: '/api' } } } }, tgB.id);
  await rule('path-exact-cs', 10, { httpMatch: { pathMatch: { match: { exact: '/api/Special' }, caseSensitive: true } } }, tgC.id);
  await rule('header', 30, { httpMatch: { headerMatches: [{ name: 'X-Team', match: { exact: 'Blue' }, caseSensitive: true }] } }, tgC.id);
  await rule('header-ci', 40, { httpMatch: { headerMatches: [{ name: 'x-env', match: { prefix: 'PROD' } }, { name: 'x-region', match: { contains: 'east' } }] } }, tgB.id);
  await rule('method', 50, { httpMatch: { method: 'DELETE' } }, tgC.id);

  assert.equal(echoOf(await get('/api/Special')).name, 'c', 'priority 10 wins over 20');
  assert.equal(echoOf(await get('/api/special')).name, 'b', 'exact match is case-sensitive, so prefix rule 20');
  assert.equal(echoOf(await get('/API/items')).name, 'b', 'prefix defaults to case-insensitive');
  assert.equal(echoOf(await get('/apix')).name, 'b', 'a prefix is a string prefix');
  assert.equal(echoOf(await get('/other', { 'x-team': 'Blue' })).name, 'c');
  assert.equal(echoOf(await get('/other', { 'x-team': 'blue' })).name, 'a', 'case-sensitive header value');
  assert.equal(echoOf(await get('/other', { 'x-env': 'production', 'x-region': 'us-EAST-1' })).name, 'b', 'all header matches, case-insensitive');
  assert.equal(echoOf(await get('/other', { 'x-env': 'production' })).name, 'a', 'every header match must hold');
  assert.equal(echoOf(await get('/other', {}, 'DELETE')).name, 'c');
  assert.equal(echoOf(await get('/other', {}, 'POST')).name, 'a', 'the default action when nothing matches');
});

test('a rule change is followed by the next request', async () => {
  const id = await rule('moving', 60, { httpMatch: { pathMatch: { match: { prefix: '/moving' } } } }, tgB.id);
  assert.equal(echoOf(await get('/moving')).name, 'b');
  await h.client.send(new UpdateRuleCommand({ serviceIdentifier: svc.serviceId, listenerIdentifier: svc.listenerId, ruleIdentifier: id, action: { fixedResponse: { statusCode: 418 } } }));
  const fixed = await get('/moving');
  assert.equal(fixed.status, 418);
  assert.equal(fixed.body, '');
  assert.ok(fixed.headers['x-amzn-requestid']);
});

test('weighted forward: 70/30 within 5% over 1,000 requests, and weight 0 gets nothing', async () => {
  const port2 = await freePort();
  const weighted = await buildService(h.client, { name: 'weighted', port: port2, vpcId: h.trellis.defaultVpcId, targets: [a.port], network: { id: svc.serviceNetworkId, arn: svc.serviceNetworkArn } });
  await h.client.send(new UpdateListenerCommand({
    serviceIdentifier: weighted.serviceId, listenerIdentifier: weighted.listenerId,
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: weighted.tgId, weight: 70 }, { targetGroupIdentifier: tgB.id, weight: 30 }, { targetGroupIdentifier: tgC.id, weight: 0 }] } },
  }));
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < 1000; i++) counts[echoOf(await request(port2, weighted.host)).name]++;
  assert.ok(Math.abs(counts.a - 700) <= 50, JSON.stringify(counts));
  assert.ok(Math.abs(counts.b - 300) <= 50, JSON.stringify(counts));
  assert.equal(counts.c, 0);
});

test('fixed-response default action; a target group without healthy targets is a 503', async () => {
  const port3 = await freePort();
  const s = await h.client.send(new CreateServiceCommand({ name: 'fixed' }));
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: s.id, name: 'fixed-listener', protocol: 'HTTP', port: port3, defaultAction: { fixedResponse: { statusCode: 404 } } }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: s.id, serviceNetworkIdentifier: svc.serviceNetworkId }));
  const r = await request(port3, s.dnsEntry!.domainName!);
  assert.equal(r.status, 404);
  assert.equal(r.body, '');

  const empty = await createTargetGroup(h.client, 'routing-empty', [], { vpcId: h.trellis.defaultVpcId });
  await rule('to-empty', 70, { httpMatch: { pathMatch: { match: { exact: '/empty' } } } }, empty.id);
  const none = await get('/empty');
  assert.equal(none.status, 503);
  assert.match(none.body, /no healthy target/);
});

test('who may connect: an unknown host is a 404, a client outside every VPC and a service outside the VPC\'s network are refused', async () => {
  assert.equal((await request(port, 'unknown.example')).status, 404);
  // 127.1.0.1 is loopback but outside the default VPC (127.0.0.0/16): no VPC, no access.
  const outside = await request(port, svc.host, { localAddress: '127.1.0.1' });
  assert.equal(outside.status, 403);
  assert.match(outside.body, /not reachable/);
  // Without its service-network association the service is unreachable from the VPC.
  const list = await h.client.send(new ListServiceNetworkServiceAssociationsCommand({ serviceIdentifier: svc.serviceId }));
  for (const item of list.items ?? []) await h.client.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: item.id }));
  const cut = await get('/');
  assert.equal(cut.status, 403);
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.serviceId, serviceNetworkIdentifier: svc.serviceNetworkId }));
  assert.equal((await get('/')).status, 200);
});
