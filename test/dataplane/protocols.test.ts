// Every protocol Lattice carries, end to end through `trellis` with real clients: HTTP/2 with
// prior knowledge (h2c), HTTP/2 targets, HTTPS listeners with the Trellis CA (ALPN h2 and
// http/1.1), gRPC through @grpc/grpc-js with trailers and status codes, and TLS passthrough by SNI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { CreateServiceCommand, CreateListenerCommand, CreateServiceNetworkServiceAssociationCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, type Echo, type EchoReply } from '../helpers/echo.ts';
import { buildService, createTargetGroup, type Built } from '../helpers/lattice.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';

let h: Harness;
let echo: Echo;
let echoH2: Echo;
let network: { id: string; arn: string };
let caPem: string;

before(async () => {
  h = await startHarness();
  echo = await startEcho('h1');
  echoH2 = await startEcho('h2', { h2: true });
  const first = await buildService(h.client, { name: 'proto-base', port: await freePort(), vpcId: h.trellis.defaultVpcId, targets: [echo.port] });
  network = { id: first.serviceNetworkId, arn: first.serviceNetworkArn };
  caPem = (await LocalCa.open(h.dataDir)).certPem;
});
after(async () => {
  await h.close();
  await Promise.all([echo.close(), echoH2.close()]);
});

function h2Get(url: string, authority: string, opts: http2.SecureClientSessionOptions = {}): Promise<{ status: number; body: string; headers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, opts);
    session.on('error', reject);
    const stream = session.request({ ':path': '/h2/path', ':authority': authority });
    let body = '';
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => { headers = h; });
    stream.on('data', (d: Buffer) => { body += d; });
    stream.on('end', () => {
      session.close();
      resolve({ status: Number(headers[':status']), body, headers });
    });
    stream.on('error', reject);
    stream.end();
  });
}

test('HTTP/2 with prior knowledge (h2c) to an HTTP/1.1 target and to an HTTP/2 target', async () => {
  const port = await freePort();
  const s1 = await buildService(h.client, { name: 'h2c-to-h1', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port], network });
  const r1 = await h2Get(`http://127.0.0.1:${port}`, s1.host);
  assert.equal(r1.status, 200);
  const seen1 = JSON.parse(r1.body) as EchoReply;
  assert.equal(seen1.name, 'h1');
  assert.equal(seen1.url, '/h2/path');
  assert.equal(seen1.headers.host, s1.host);
  assert.equal(seen1.headers['x-forwarded-for-proto'], 'http');
  assert.ok(r1.headers['x-amzn-requestid']);

  const port2 = await freePort();
  const s2 = await buildService(h.client, { name: 'h2c-to-h2', port: port2, vpcId: h.trellis.defaultVpcId, targets: [echoH2.port], protocolVersion: 'HTTP2', network });
  const r2 = await h2Get(`http://127.0.0.1:${port2}`, s2.host);
  assert.equal(r2.status, 200);
  assert.equal((JSON.parse(r2.body) as EchoReply).name, 'h2');
});

test('HTTP/2 clients: a request body, HEAD, 204, and trailers from a chunked HTTP/1.1 target', async () => {
  const target = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/nothing') {
        res.writeHead(204).end();
      } else if (req.url === '/trailers') {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('part one, ');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end('part two');
      } else {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.concat(chunks).length) });
        res.end(req.method === 'HEAD' ? undefined : Buffer.concat(chunks));
      }
    });
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = await freePort();
  const s = await buildService(h.client, { name: 'h2c-shapes', port, vpcId: h.trellis.defaultVpcId, targets: [(target.address() as AddressInfo).port], network });
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const exchange = (headers: http2.OutgoingHttpHeaders, body?: Buffer) => new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
    const stream = session.request({ ':authority': s.host, ...headers });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (x) => { head = x; });
    stream.on('trailers', (x) => { trailers = x; });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers: head, body: Buffer.concat(chunks), trailers }));
    stream.on('error', reject);
    stream.end(body);
  });
  try {
    const payload = Buffer.alloc(300_000, 7); // several DATA frames and flow-control windows each way
    const post = await exchange({ ':method': 'POST', ':path': '/upload' }, payload);
    assert.equal(post.headers[':status'], 200);
    assert.ok(post.body.equals(payload));
    const head = await exchange({ ':method': 'HEAD', ':path': '/upload' });
    assert.equal(head.headers[':status'], 200);
    assert.equal(head.body.length, 0);
    assert.ok(head.headers['x-amzn-requestid']);
    const none = await exchange({ ':path': '/nothing' });
    assert.equal(none.headers[':status'], 204);
    assert.equal(none.body.length, 0);
    const trailed = await exchange({ ':path': '/trailers' });
    assert.equal(trailed.body.toString(), 'part one, part two');
    assert.equal(trailed.trailers['x-checksum'], 'abc123');
    assert.equal(trailed.headers['transfer-encoding'], undefined);
  } finally {
    session.close();
    target.close();
  }
});

test('HTTPS listener: a certificate for the generated name from the Trellis CA, ALPN h2 and http/1.1', async () => {
  const port = await freePort();
  const s = await buildService(h.client, { name: 'https-svc', port, vpcId: h.trellis.defaultVpcId, targets: [echo.port], protocol: 'HTTPS', network });
  const r = await h2Get(`https://127.0.0.1:${port}`, s.host, { ca: caPem, servername: s.host });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body) as EchoReply;
  assert.equal(seen.headers['x-forwarded-for-proto'], 'https');

  const h1 = await new Promise<{ status: number; alpn: string | false | null; cert: tls.PeerCertificate }>((resolve, reject) => {
    const options: https.RequestOptions & tls.ConnectionOptions = { host: '127.0.0.1', port, servername: s.host, ca: caPem, ALPNProtocols: ['http/1.1'], headers: { host: s.host }, path: '/tls', agent: false };
    const req = https.request(options, (res) => {
      const socket = res.socket as tls.TLSSocket;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, alpn: socket.alpnProtocol, cert: socket.getPeerCertificate() }));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(h1.status, 200);
  assert.equal(h1.alpn, 'http/1.1');
  assert.match(h1.cert.subjectaltname!, new RegExp(`DNS:${s.host.replace(/\./g, '\\.')}`));

  // TLS 1.1 is refused; a client that does not trust the Trellis CA fails verification.
  await assert.rejects(new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: s.host, ca: caPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve(sock));
    sock.on('error', reject);
  }));
  await assert.rejects(new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: s.host }, () => resolve(sock));
    sock.on('error', reject);
  }), /self[- ]signed|unable to (get|verify)/i);
});

test('gRPC end to end through @grpc/grpc-js: messages, metadata, status codes and trailers', async () => {
  const service = {
    say: {
      path: '/trellis.test.Echo/Say', requestStream: false, responseStream: false,
      requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b,
    },
  } satisfies grpc.ServiceDefinition;
  const server = new grpc.Server();
  server.addService(service, {
    say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const text = call.request.toString();
      if (text === 'missing') return cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      const trailer = new grpc.Metadata();
      trailer.set('x-served-by', 'grpc-target');
      cb(null, Buffer.from(`echo:${text}:${String(call.metadata.get('x-forwarded-for')[0])}`), trailer);
    },
  });
  const targetPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  const port = await freePort();
  const s = await buildService(h.client, { name: 'grpc-svc', port, vpcId: h.trellis.defaultVpcId, targets: [targetPort], protocolVersion: 'GRPC', network });
  const Client = grpc.makeGenericClientConstructor(service, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_authority': s.host });
  const call = (text: string) => new Promise<{ value?: Buffer; error?: grpc.ServiceError; trailers?: grpc.Metadata }>((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const c = (client as unknown as { say: (req: Buffer, cb: (err: grpc.ServiceError | null, value?: Buffer) => void) => grpc.ClientUnaryCall })
      .say(Buffer.from(text), (error, value) => resolve({ value, error: error ?? undefined, trailers }));
    c.on('status', (st: grpc.StatusObject) => { trailers = st.metadata; });
  });
  const ok = await call('hello');
  assert.equal(ok.error, undefined);
  assert.equal(ok.value!.toString(), 'echo:hello:127.0.0.1');
  const missing = await call('missing');
  assert.equal(missing.error?.code, grpc.status.NOT_FOUND);
  assert.equal(missing.error?.details, 'no such thing');
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => call(`m${i}`)));
  assert.ok(many.every((r, i) => r.value?.toString() === `echo:m${i}:127.0.0.1`));
  client.close();
  server.forceShutdown();
});

test('TLS passthrough: routed by SNI (the custom domain name) to a TCP target that terminates TLS itself', async () => {
  const targetCaDir = mkdtempSync(join(tmpdir(), 'trellis-target-ca-'));
  const targetCa = await LocalCa.open(targetCaDir);
  const name = 'secure.passthrough.example';
  const leaf = await targetCa.issue([name]);
  const target = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (sock) => {
    sock.on('data', (d: Buffer) => sock.write(`target saw: ${d}`));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const targetPort = (target.address() as AddressInfo).port;

  const port = await freePort();
  const svc = await h.client.send(new CreateServiceCommand({ name: 'passthrough', customDomainName: name }));
  const tg = await createTargetGroup(h.client, 'passthrough-tg', [targetPort], { protocol: 'TCP', vpcId: h.trellis.defaultVpcId });
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'tls', protocol: 'TLS_PASSTHROUGH', port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } } }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));

  const reply = await new Promise<{ text: string; authorized: boolean; issuer: string }>((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: name, ca: targetCa.certPem }, () => sock.write('ping'));
    sock.once('data', (d: Buffer) => {
      resolve({ text: d.toString(), authorized: sock.authorized, issuer: String(sock.getPeerCertificate().issuer.CN) });
      sock.end();
    });
    sock.on('error', reject);
  });
  assert.equal(reply.text, 'target saw: ping');
  assert.equal(reply.authorized, true, 'the client verified the target\'s own certificate');
  assert.match(reply.issuer, /Trellis Local CA/);

  // An unknown SNI on that port is not passed through.
  const refused = await new Promise<string>((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'other.example', rejectUnauthorized: false }, () => resolve('connected'));
    sock.on('error', (e) => resolve(`error: ${e.message}`));
    sock.on('close', () => resolve('closed'));
  });
  assert.notEqual(refused, 'target saw');
  target.close();
  rmSync(targetCaDir, { recursive: true, force: true });
});

test('HTTPS to the target: TLS without verifying the target\'s certificate, as Lattice does', async () => {
  const caDir = mkdtempSync(join(tmpdir(), 'trellis-target-ca-'));
  const leaf = await (await LocalCa.open(caDir)).issue(['target.internal']);
  const target = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => res.end(JSON.stringify({ tls: (req.socket as tls.TLSSocket).encrypted === true, url: req.url })));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = await freePort();
  const s = await buildService(h.client, { name: 'https-target', port, vpcId: h.trellis.defaultVpcId, targets: [(target.address() as AddressInfo).port], tgProtocol: 'HTTPS', network });
  const r = await new Promise<string>((resolve, reject) => {
    const req = http2.connect(`http://127.0.0.1:${port}`).request({ ':path': '/secure', ':authority': s.host });
    let body = '';
    req.on('data', (d: Buffer) => { body += d; });
    req.on('end', () => { req.session?.close(); resolve(body); });
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(JSON.parse(r), { tls: true, url: '/secure' });
  target.close();
  target.closeAllConnections();
  rmSync(caDir, { recursive: true, force: true });
});
