// Access log records field by field, end to end: a real Trellis, services made with the AWS SDK,
// access log subscriptions to CloudWatch Logs log groups, real clients (node:http, node:http2,
// @grpc/grpc-js, node:tls), and the records read back with `trellis logs tail`. One record per
// case: HTTP/1.1 forwarded, HTTP/2 (h2c, and h2 over an HTTPS listener with its TLS fields), gRPC
// (OK and non-zero statuses), TLS passthrough, auth denied (service and network level), no route
// (a fixed 404, and a Host no service has), no healthy target (and a refused connection), and a
// target that answers after the service's idle timeout (504; on a mocked clock, so it stays last).
// Each `trellis logs tail` costs ~0.6-0.9 s here, so every case reads its records with one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  CreateAccessLogSubscriptionCommand, CreateServiceCommand, CreateListenerCommand, CreateRuleCommand,
  CreateServiceNetworkServiceAssociationCommand, UpdateServiceCommand, UpdateServiceNetworkCommand,
  PutAuthPolicyCommand, DeleteAuthPolicyCommand,
} from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, type Echo } from '../helpers/echo.ts';
import { buildService, createTargetGroup, type Built } from '../helpers/lattice.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
const run = promisify(execFile);

type LogRecord = Record<string, unknown>;

/** Every service's subscription delivers here; the service network's to NETWORK_GROUP. */
const GROUP = 'records';
const NETWORK_GROUP = 'records-network';
const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1';

let h: Harness;
let echo: Echo;
let network: { id: string; arn: string };
let vpcId: string;

async function tail(group: string, n = 500): Promise<LogRecord[]> {
  const { stdout } = await run(BIN, ['logs', 'tail', group, '--data-dir', h.dataDir, '-n', String(n)]);
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogRecord);
}

/**
 * Records are batched for 10 ms and delivered to a log group within its 200 ms batch window
 * (src/server/accesslog.ts, src/observe/pipeline.ts): look after that, then every 100 ms (50 looks
 * at most). `wait` passes the time (a mocked clock's tick where one is in use).
 */
const realWait = (ms: number): Promise<unknown> => sleep(ms);

/** The records of `group` that `match`, once there are `count` of them. */
async function recordsWhere(group: string, match: (r: LogRecord) => boolean, count = 1, wait = realWait): Promise<LogRecord[]> {
  let found: LogRecord[] = [];
  for (let i = 0; i < 50; i++) {
    await wait(i === 0 ? 250 : 100);
    found = (await tail(group).catch(() => [])).filter(match);
    if (found.length >= count) return found;
  }
  assert.fail(`${count} record(s) expected in ${group}, found ${found.length}: ${JSON.stringify(found)}`);
}

/** The records with these request ids (x-amzn-requestid), in that order: one `trellis logs tail` for all. */
async function recordsOf(ids: unknown[], group = GROUP, wait = realWait): Promise<LogRecord[]> {
  for (const id of ids) assert.equal(typeof id, 'string', 'every response has an x-amzn-requestid');
  const found = await recordsWhere(group, (r) => ids.includes(r.requestId), ids.length, wait);
  return ids.map((id) => found.find((r) => r.requestId === id)!);
}

async function subscribe(resourceIdentifier: string, group = GROUP): Promise<void> {
  await h.client.send(new CreateAccessLogSubscriptionCommand({ resourceIdentifier, destinationArn: `arn:aws:logs:us-east-1:${h.trellis.accountId}:log-group:${group}` }));
}

/** A service forwarding to `targets`, in the shared network, logging to GROUP. */
async function service(name: string, targets: number[], opts: Partial<Parameters<typeof buildService>[1]> = {}): Promise<Built & { port: number }> {
  const port = await freePort();
  const s = await buildService(h.client, { name, port, vpcId, targets, network, ...opts });
  await subscribe(s.serviceId);
  await sleep(50); // the subscription and listener reach the data plane with the next Snapshot
  return { ...s, port };
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string; localPort: number }

/** An HTTP/1.1 request to the listener, with the client's own port (for sourceIpPort). */
function get(port: number, host: string, path: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false, timeout: timeoutMs }, (res) => {
      const localPort = res.socket.localPort!;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), localPort }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const isoSecond = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Fields every request record of the shared set-up has, whatever happened to it. */
function assertCommon(r: LogRecord, s: Built, localPort: number): void {
  assert.match(String(r.startTime), isoSecond);
  assert.equal(typeof r.duration, 'number');
  assert.equal(typeof r.requestToTargetDuration, 'number');
  assert.equal(typeof r.responseFromTargetDuration, 'number');
  assert.equal(typeof r.bytesReceived, 'number');
  assert.equal(typeof r.bytesSent, 'number');
  assert.equal(r.sourceIpPort, `127.0.0.1:${localPort}`);
  assert.equal(r.sourceVpcId, vpcId);
  assert.match(String(r.sourceVpcArn), new RegExp(`^arn:aws:ec2:us-east-1:${h.trellis.accountId}:vpc/${vpcId}$`));
  assert.equal(r.serviceArn, s.serviceArn);
  assert.equal(r.serviceNetworkArn, network.arn);
  assert.equal(r.listenerId, s.listenerId);
}

before(async () => {
  h = await startHarness();
  vpcId = h.trellis.defaultVpcId;
  echo = await startEcho('records');
  const first = await buildService(h.client, { name: 'rec-base', port: await freePort(), vpcId, targets: [echo.port] });
  network = { id: first.serviceNetworkId, arn: first.serviceNetworkArn };
  await subscribe(network.id, NETWORK_GROUP);
});
after(async () => {
  await h.close();
  await echo.close();
});

test('HTTP/1.1 forwarded to a target: a 200 record with every field of the request and the target', async () => {
  const s = await service('rec-h1', [echo.port]);
  const r = await get(s.port, s.host, '/orders?id=7', { 'user-agent': 'records-test/1.0', 'x-amzn-trace-id': TRACE });
  assert.equal(r.status, 200);
  const requestId = r.headers['x-amzn-requestid'];
  assert.ok(requestId);
  const [rec] = await recordsOf([requestId]);
  assertCommon(rec, s, r.localPort);
  assert.equal(rec.requestMethod, 'GET');
  assert.equal(rec.requestPath, '/orders?id=7');
  assert.equal(rec.protocol, 'HTTP/1.1');
  assert.equal(rec.responseCode, 200);
  assert.equal(rec.responseCodeDetails, 'via_upstream');
  assert.equal(rec.failureReason, '-');
  assert.equal(rec.hostHeader, s.host);
  assert.equal(rec.userAgent, 'records-test/1.0');
  assert.equal(rec.requestId, requestId);
  assert.equal(rec.traceId, TRACE);
  assert.equal(rec.listenerType, 'HTTP');
  assert.equal(rec.targetGroupArn, s.tgArn);
  assert.equal(rec.targetIpPort, `127.0.0.1:${echo.port}`);
  assert.equal(rec.destinationVpcId, vpcId);
  assert.equal(rec.bytesSent, Buffer.byteLength(r.body), 'bytesSent: the response body passed on');
  assert.ok(Number(rec.bytesSent) > 0);
  assert.equal(rec.bytesReceived, 0, 'a GET without a body');
  assert.equal(rec.callerPrincipal, '-');
  assert.equal(rec.resolvedUser, '-');
  assert.equal(rec.authDeniedReason, '-');
  assert.equal(rec.tlsVersion, '-');
  assert.equal(rec.sslCipher, '-');
  assert.equal(rec.serverNameIndication, '-');
  assert.equal(rec.grpcResponseCode, '-');
  assert.ok(Number(rec.duration) >= Number(rec.responseFromTargetDuration));
  // The service network's subscription gets the same record.
  assert.deepEqual((await recordsOf([requestId], NETWORK_GROUP))[0], rec);
});

/** One HTTP/2 POST on a new session; the reply and the client's own port. */
async function h2Post(url: string, authority: string, path: string, body: string, opts: http2.SecureClientSessionOptions = {}): Promise<{ headers: http2.IncomingHttpHeaders; body: string; localPort: number; tls?: { version: string | null; cipher: string } }> {
  const session = http2.connect(url, opts);
  session.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => { session.once('connect', () => resolve()); session.once('error', reject); });
    const socket = session.socket as tls.TLSSocket;
    const localPort = socket.localPort!;
    const secure = socket.encrypted ? { version: socket.getProtocol(), cipher: socket.getCipher().standardName } : undefined;
    return await new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST', ':path': path, ':authority': authority,
        'user-agent': 'records-h2/2.0', 'x-amzn-trace-id': TRACE, 'content-type': 'application/x-www-form-urlencoded',
      });
      let headers: http2.IncomingHttpHeaders = {};
      let text = '';
      stream.on('response', (hs) => { headers = hs; });
      stream.on('data', (d: Buffer) => { text += d; });
      stream.on('end', () => resolve({ headers, body: text, localPort, tls: secure }));
      stream.on('error', reject);
      stream.end(body);
    });
  } finally {
    session.close();
  }
}

test('HTTP/2, with prior knowledge (h2c) and over an HTTPS listener: protocol HTTP/2, hostHeader is :authority, TLS fields', async () => {
  const plain = await service('rec-h2c', [echo.port]);
  const secure = await service('rec-h2tls', [echo.port], { protocol: 'HTTPS' });
  const caPem = (await LocalCa.open(h.dataDir)).certPem;
  const body = 'name=widget&count=3';
  const r1 = await h2Post(`http://127.0.0.1:${plain.port}`, plain.host, '/h2/items?x=1', body);
  const r2 = await h2Post(`https://127.0.0.1:${secure.port}`, secure.host, '/h2/secure', body, { ca: caPem, servername: secure.host });
  assert.equal(r1.headers[':status'], 200);
  assert.equal(r2.headers[':status'], 200);
  assert.ok(r2.tls?.version && r2.tls.cipher);
  const [rec1, rec2] = await recordsOf([r1.headers['x-amzn-requestid'], r2.headers['x-amzn-requestid']]);
  for (const [rec, r, s, path] of [[rec1, r1, plain, '/h2/items?x=1'], [rec2, r2, secure, '/h2/secure']] as const) {
    assertCommon(rec, s, r.localPort);
    // Trellis's HTTP/2 summaries say "HTTP/2.0"; the record writes "HTTP/2" (src/server/accesslog.ts).
    assert.equal(rec.protocol, 'HTTP/2');
    assert.equal(rec.requestMethod, 'POST');
    assert.equal(rec.requestPath, path);
    assert.equal(rec.hostHeader, s.host, 'hostHeader: the :authority sent');
    assert.equal(rec.userAgent, 'records-h2/2.0');
    assert.equal(rec.traceId, TRACE);
    assert.equal(rec.responseCode, 200);
    assert.equal(rec.responseCodeDetails, 'via_upstream');
    assert.equal(rec.targetGroupArn, s.tgArn);
    assert.equal(rec.targetIpPort, `127.0.0.1:${echo.port}`);
    assert.equal(rec.bytesReceived, Buffer.byteLength(body));
    assert.equal(rec.bytesSent, Buffer.byteLength(r.body));
    assert.equal(rec.grpcResponseCode, '-');
  }
  assert.equal(rec1.listenerType, 'HTTP');
  assert.equal(rec1.tlsVersion, '-');
  assert.equal(rec1.sslCipher, '-');
  assert.equal(rec1.serverNameIndication, '-');
  assert.equal(rec2.listenerType, 'HTTPS');
  assert.equal(rec2.tlsVersion, r2.tls!.version);
  assert.equal(rec2.sslCipher, r2.tls!.cipher);
  assert.equal(rec2.serverNameIndication, secure.host);
});

test('gRPC through @grpc/grpc-js: grpcResponseCode is the call\'s status, 0 and non-zero', async () => {
  const definition = {
    say: {
      path: '/trellis.records.Echo/Say', requestStream: false, responseStream: false,
      requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b,
    },
  } satisfies grpc.ServiceDefinition;
  const server = new grpc.Server();
  server.addService(definition, {
    say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const text = call.request.toString();
      if (text === 'missing') return cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      if (text === 'late-error') {
        // Headers first, then the failure in the trailers (not a trailers-only answer).
        call.sendMetadata(new grpc.Metadata());
        return setImmediate(() => cb({ code: grpc.status.FAILED_PRECONDITION, details: 'not now' }));
      }
      cb(null, Buffer.from(`echo:${text}`));
    },
  });
  const targetPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const s = await service('rec-grpc', [targetPort], { protocolVersion: 'GRPC' });
  const Client = grpc.makeGenericClientConstructor(definition, 'Echo');
  const client = new Client(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': s.host, 'grpc.primary_user_agent': 'records-grpc' });
  const call = (text: string) => new Promise<{ value?: Buffer; error?: grpc.ServiceError; requestId?: string }>((resolve) => {
    let requestId: string | undefined;
    const remember = (md: grpc.Metadata) => { requestId ??= md.get('x-amzn-requestid')[0] as string | undefined; };
    const c = (client as unknown as { say: (req: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, value?: Buffer) => void) => grpc.ClientUnaryCall })
      .say(Buffer.from(text), new grpc.Metadata(), (error, value) => setImmediate(() => resolve({ value, error: error ?? undefined, requestId })));
    c.on('metadata', remember);
    c.on('status', (st: grpc.StatusObject) => remember(st.metadata));
  });
  try {
    const ok = await call('hello');
    assert.equal(ok.error, undefined);
    assert.equal(ok.value!.toString(), 'echo:hello');
    const missing = await call('missing');
    assert.equal(missing.error?.code, grpc.status.NOT_FOUND);
    const late = await call('late-error');
    assert.equal(late.error?.code, grpc.status.FAILED_PRECONDITION);
    for (const c of [ok, missing, late]) assert.ok(c.requestId, 'x-amzn-requestid reaches the gRPC client');

    const records = await recordsOf([ok.requestId, missing.requestId, late.requestId]);
    for (const [rec, code] of [[records[0], 0], [records[1], grpc.status.NOT_FOUND], [records[2], grpc.status.FAILED_PRECONDITION]] as const) {
      assert.equal(rec.grpcResponseCode, code, `grpcResponseCode of the call that ended with ${code}`);
      assert.equal(rec.protocol, 'HTTP/2');
      assert.equal(rec.requestMethod, 'POST');
      assert.equal(rec.requestPath, '/trellis.records.Echo/Say');
      assert.equal(rec.responseCode, 200, 'gRPC carries its status in grpc-status, over HTTP 200');
      assert.equal(rec.responseCodeDetails, 'via_upstream');
      assert.equal(rec.hostHeader, s.host);
      assert.match(String(rec.userAgent), /^records-grpc grpc-node-js\//);
      assert.equal(rec.targetGroupArn, s.tgArn);
      assert.equal(rec.targetIpPort, `127.0.0.1:${targetPort}`);
      assert.equal(rec.serviceNetworkArn, network.arn);
    }
    assert.ok(Number(records[0].bytesSent) > 0, 'the OK answer\'s message counted');
  } finally {
    client.close();
    server.forceShutdown();
  }
});

test('TLS passthrough: one TCP record per connection, bytes both ways, the target and the SNI', async () => {
  const caDir = mkdtempSync(join(tmpdir(), 'trellis-records-ca-'));
  const ca = await LocalCa.open(caDir);
  const name = 'records.passthrough.example';
  const leaf = await ca.issue([name]);
  const target = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (sock) => {
    sock.on('data', (d: Buffer) => sock.write(`target saw: ${d}`));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const targetPort = (target.address() as AddressInfo).port;
  try {
    const port = await freePort();
    const svc = await h.client.send(new CreateServiceCommand({ name: 'rec-passthrough', customDomainName: name }));
    const tg = await createTargetGroup(h.client, 'rec-passthrough-tg', [targetPort], { protocol: 'TCP', vpcId });
    const listener = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } } }));
    await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));
    await subscribe(svc.id!);
    await sleep(50);

    const seen = await new Promise<{ text: string; localPort: number; written: number; read: number }>((resolve, reject) => {
      const sock = net.connect({ host: '127.0.0.1', port }, () => {
        const localPort = sock.localPort!;
        const secure = tls.connect({ socket: sock, servername: name, ca: ca.certPem }, () => secure.write('ping'));
        let text = '';
        secure.on('data', (d: Buffer) => { text += d; secure.end(); });
        secure.on('error', reject);
        // The raw socket's counts: what crossed the listener, TLS records included.
        sock.on('close', () => resolve({ text, localPort, written: sock.bytesWritten, read: sock.bytesRead }));
      });
      sock.on('error', reject);
    });
    assert.equal(seen.text, 'target saw: ping');

    const rec = (await recordsWhere(GROUP, (r) => r.serviceArn === svc.arn))[0];
    assert.equal(rec.protocol, 'TCP');
    assert.equal(rec.listenerType, 'TLS_PASSTHROUGH');
    assert.equal(rec.listenerId, listener.id);
    assert.equal(rec.serviceNetworkArn, network.arn);
    assert.equal(rec.targetGroupArn, tg.arn);
    assert.equal(rec.targetIpPort, `127.0.0.1:${targetPort}`);
    assert.equal(rec.serverNameIndication, name);
    assert.equal(rec.sourceIpPort, `127.0.0.1:${seen.localPort}`);
    assert.equal(rec.sourceVpcId, vpcId);
    assert.equal(rec.bytesReceived, seen.written, 'every byte the client sent (ClientHello included)');
    assert.equal(rec.bytesSent, seen.read, 'every byte the target sent back');
    assert.equal(rec.requestMethod, '-');
    assert.equal(rec.requestPath, '-');
    assert.equal(rec.hostHeader, '-');
    assert.equal(rec.grpcResponseCode, '-');
    assert.equal(rec.responseCodeDetails, 'passthrough');
    assert.equal(typeof rec.duration, 'number');
    assert.match(String(rec.requestId), /^[0-9a-f-]{36}$/);
  } finally {
    target.close();
    rmSync(caDir, { recursive: true, force: true });
  }
});

test('auth denied: 403 records name the level that denied, and no target', async () => {
  const s = await service('rec-auth', [echo.port]);
  const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

  // The service's level: AWS_IAM and a policy that denies this path.
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: s.serviceId, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: s.serviceId,
    policy: policy([
      { Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${s.serviceArn}/private/*` },
    ]),
  }));
  await sleep(50);
  assert.equal((await get(s.port, s.host, '/public')).status, 200, 'the policy allows the rest');
  const byService = await get(s.port, s.host, '/private/x', { 'x-amzn-trace-id': TRACE, 'user-agent': 'records-auth' });
  assert.equal(byService.status, 403);

  // The network's level: AWS_IAM on the service network, whose policy denies this service.
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: s.serviceId, authType: 'NONE' }));
  await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: network.id, authType: 'AWS_IAM' }));
  await h.client.send(new PutAuthPolicyCommand({
    resourceIdentifier: network.id,
    policy: policy([
      { Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' },
      { Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${s.serviceArn}/*` },
    ]),
  }));
  await sleep(50);
  let byNetwork: Reply;
  try {
    byNetwork = await get(s.port, s.host, '/anything');
  } finally {
    await h.client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: network.id }));
    await h.client.send(new UpdateServiceNetworkCommand({ serviceNetworkIdentifier: network.id, authType: 'NONE' }));
  }
  assert.equal(byNetwork.status, 403);

  const [serviceRecord, networkRecord] = await recordsOf([byService.headers['x-amzn-requestid'], byNetwork.headers['x-amzn-requestid']]);
  for (const [rec, reply, level, path] of [[serviceRecord, byService, 'Service', '/private/x'], [networkRecord, byNetwork, 'Network', '/anything']] as const) {
    assertCommon(rec, s, reply.localPort);
    assert.equal(rec.responseCode, 403);
    assert.equal(rec.requestPath, path);
    assert.equal(rec.protocol, 'HTTP/1.1');
    assert.equal(rec.hostHeader, s.host);
    assert.equal(rec.authDeniedReason, level);
    assert.equal(rec.failureReason, 'ClientAccessDenied');
    assert.equal(rec.targetGroupArn, '-');
    assert.equal(rec.targetIpPort, '-');
    assert.equal(rec.requestToTargetDuration, 0);
    assert.equal(rec.responseFromTargetDuration, 0);
    assert.equal(rec.callerPrincipal, '-', 'an anonymous caller');
    assert.equal(rec.bytesSent, Buffer.byteLength(reply.body), 'the 403\'s body');
    assert.equal(rec.grpcResponseCode, '-');
  }
  assert.equal(serviceRecord.traceId, TRACE);
  assert.equal(serviceRecord.userAgent, 'records-auth');
  // A short code, as in the other records ("via_upstream", "fixed_response", "no_healthy_target"),
  // not the 403's message text.
  assert.equal(serviceRecord.responseCodeDetails, 'auth_denied');
});

test('no route: a fixed 404 default action is logged; a Host no service has is logged nowhere', async () => {
  const port = await freePort();
  const svc = await h.client.send(new CreateServiceCommand({ name: 'rec-fixed' }));
  const tg = await createTargetGroup(h.client, 'rec-fixed-tg', [echo.port], { vpcId });
  const listener = await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'main', protocol: 'HTTP', port, defaultAction: { fixedResponse: { statusCode: 404 } } }));
  await h.client.send(new CreateRuleCommand({
    serviceIdentifier: svc.id, listenerIdentifier: listener.id, name: 'items', priority: 10,
    match: { httpMatch: { pathMatch: { match: { prefix: '/items' } } } },
    action: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id, weight: 1 }] } },
  }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));
  await subscribe(svc.id!);
  await sleep(50);
  const host = svc.dnsEntry!.domainName!;

  const missed = await get(port, host, '/nothing/here');
  assert.equal(missed.status, 404);
  const matched = await get(port, host, '/items/1');
  assert.equal(matched.status, 200);
  const unknown = await get(port, 'nobody.example', '/nothing/here');
  assert.equal(unknown.status, 404);
  const unknownId = unknown.headers['x-amzn-requestid'];
  assert.ok(unknownId);
  const later = await get(port, host, '/items/later');
  assert.equal(later.status, 200);

  const ids = [missed, matched, later].map((r) => r.headers['x-amzn-requestid']);
  // One look at the group for those three and, if it were there, the unknown Host's.
  const found = await recordsWhere(GROUP, (r) => ids.includes(r.requestId as string) || r.requestId === unknownId, 3);
  const [rec, forwarded] = ids.map((id) => found.find((r) => r.requestId === id)!);
  assert.equal(rec.responseCode, 404);
  assert.equal(rec.responseCodeDetails, 'fixed_response');
  assert.equal(rec.requestPath, '/nothing/here');
  assert.equal(rec.hostHeader, host);
  assert.equal(rec.serviceArn, svc.arn);
  assert.equal(rec.serviceNetworkArn, network.arn);
  assert.equal(rec.listenerId, listener.id);
  assert.equal(rec.sourceIpPort, `127.0.0.1:${missed.localPort}`);
  assert.equal(rec.targetGroupArn, '-');
  assert.equal(rec.targetIpPort, '-');
  assert.equal(rec.bytesSent, 0, 'a fixed response has an empty body');
  assert.equal(rec.failureReason, '-');
  assert.equal(rec.authDeniedReason, '-');
  assert.equal(forwarded.responseCodeDetails, 'via_upstream');
  assert.equal(forwarded.targetGroupArn, tg.arn, 'the rule\'s target group');

  // The unknown Host reached no service, so no service's or network's subscription is owed a
  // record: once the records of the requests before and after it are in, none of it is.
  assert.equal(found.filter((r) => r.requestId === unknownId).length, 0, `no record of the unknown Host in ${GROUP}`);
  const inNetwork = await recordsWhere(NETWORK_GROUP, (r) => r.requestId === later.headers['x-amzn-requestid'] || r.requestId === unknownId);
  assert.deepEqual(inNetwork.map((r) => r.requestId), [later.headers['x-amzn-requestid']], `no record of the unknown Host in ${NETWORK_GROUP}`);
});

test('no healthy target: 503 with no_healthy_target (no targets, or none that passed a health check); a refused connection: upstream_unreachable', async () => {
  // A target group without targets.
  const empty = await service('rec-empty', []);
  // One whose only target is down: health checks never pass, so it is never routable.
  const dead = await freePort();
  const down = await service('rec-down', [dead], {
    healthCheck: { enabled: true, protocol: 'HTTP', port: dead, path: '/', healthCheckIntervalSeconds: 5, healthCheckTimeoutSeconds: 1, healthyThresholdCount: 2, unhealthyThresholdCount: 2 },
  });
  // One whose only target takes no health checks (so it gets traffic) and refuses connections.
  const refused = await service('rec-refused', [dead]);

  const r1 = await get(empty.port, empty.host, '/a');
  const r2 = await get(down.port, down.host, '/b');
  const r3 = await get(refused.port, refused.host, '/c');
  for (const r of [r1, r2, r3]) assert.equal(r.status, 503);

  const records = await recordsOf([r1, r2, r3].map((r) => r.headers['x-amzn-requestid']));
  for (const [rec, r, s, details, target] of [
    [records[0], r1, empty, 'no_healthy_target', '-'],
    [records[1], r2, down, 'no_healthy_target', '-'],
    [records[2], r3, refused, 'upstream_unreachable', `127.0.0.1:${dead}`],
  ] as const) {
    assertCommon(rec, s, r.localPort);
    assert.equal(rec.responseCode, 503);
    assert.equal(rec.responseCodeDetails, details);
    assert.equal(rec.targetGroupArn, s.tgArn);
    assert.equal(rec.targetIpPort, target);
    assert.equal(rec.responseFromTargetDuration, 0);
    assert.equal(rec.bytesSent, Buffer.byteLength(r.body));
    assert.equal(rec.failureReason, '-');
  }
});

test('a target slower than the service\'s idle timeout: 504 with upstream_response_timeout', async (t) => {
  // The upstream timeout is the service's idleTimeoutSeconds, which the API holds to 60-600 s
  // (src/api/lattice/shapes.ts): the 60 s are passed on a mocked clock (setTimeout only; Date and
  // everything else are real), so that the test takes milliseconds. The target answers after 90 s.
  // Keep this test last: timers Trellis set while the clock was mocked are dropped by reset().
  const slow = await startEcho('slow', { delayMs: 90_000 });
  try {
    const s = await service('rec-slow', [slow.port]);
    const realSetTimeout = globalThis.setTimeout;
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const pending = get(s.port, s.host, '/slow', { 'x-amzn-trace-id': TRACE }, 5000);
    // Until the target holds the request (its answer then waits on the mocked clock).
    for (let i = 0; i < 1000 && slow.seen.length === 0; i++) await new Promise((r) => realSetTimeout(r, 5));
    assert.equal(slow.seen.length, 1, 'the target got the request');
    t.mock.timers.tick(60_000);
    const r = await pending;
    assert.equal(r.status, 504);
    const id = r.headers['x-amzn-requestid'];
    // The record's batch and its delivery wait on the mocked clock too.
    const tick = async (ms: number) => {
      for (let i = 0; i < 3; i++) {
        t.mock.timers.tick(ms);
        await new Promise((res) => realSetTimeout(res, 20)); // the log file is written for real
      }
    };
    const [rec] = await recordsOf([id], GROUP, tick);
    t.mock.timers.reset();
    assertCommon(rec, s, r.localPort);
    assert.equal(rec.responseCode, 504);
    assert.equal(rec.responseCodeDetails, 'upstream_response_timeout');
    assert.equal(rec.requestPath, '/slow');
    assert.equal(rec.traceId, TRACE);
    assert.equal(rec.targetGroupArn, s.tgArn);
    assert.equal(rec.targetIpPort, `127.0.0.1:${slow.port}`, 'the request was sent to this target');
    assert.equal(rec.responseFromTargetDuration, 0, 'no response came from the target');
    assert.equal(rec.bytesSent, Buffer.byteLength(r.body));
    assert.equal(rec.failureReason, '-');
  } finally {
    t.mock.timers.reset();
    await slow.close();
  }
});
