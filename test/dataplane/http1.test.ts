// The HTTP/1.1 server on its own (http1.ts), over real sockets, for what node:http's Server used to
// do for us and the hardening vectors do not cover: pipelined answers in order, HTTP/1.0 framing,
// Expect: 100-continue, chunked answers with trailers, keep-alive and Connection: close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Http1Server, type Http1Request, type Http1Response } from '../../src/dataplane/http1.ts';
import { DEFAULT_LIMITS } from '../../src/dataplane/guard.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';

/** An Http1Server on 127.0.0.1, over TLS (a certificate from a local CA) when asked. */
async function serve(handler: (req: Http1Request, res: Http1Response) => void, overTls = false): Promise<{ port: number; close(): void }> {
  const h1 = new Http1Server(DEFAULT_LIMITS, handler);
  let server: net.Server;
  let caDir: string | undefined;
  if (overTls) {
    caDir = mkdtempSync(join(tmpdir(), 'trellis-h1-ca-'));
    const leaf = await (await LocalCa.open(caDir)).issue(['127.0.0.1']);
    server = tls.createServer({ key: leaf.keyPem, cert: leaf.certPem }, (s) => h1.serve(s));
  } else {
    server = net.createServer((s) => h1.serve(s));
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => { h1.close(); server.close(); if (caDir) rmSync(caDir, { recursive: true, force: true }); },
  };
}

/** Writes `raw`, then reads until the server closes or `until` holds for what came back. */
function exchange(port: number, raw: string, until: (got: string) => boolean = () => false): Promise<{ got: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(raw));
    let got = '';
    const done = (closed: boolean) => { s.destroy(); resolve({ got, closed }); };
    s.on('data', (d) => { got += d.toString('latin1'); if (until(got)) done(false); });
    s.on('close', () => done(true));
    setTimeout(() => done(false), 3000).unref();
  });
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

test('pipelined requests are answered in order, even when the first answer is slower', async (t) => {
  const srv = await serve((req, res) => {
    setTimeout(() => { res.writeHead(200, { 'content-length': String(req.url.length) }); res.end(req.url); }, req.url === '/slow' ? 50 : 0);
  });
  t.after(() => srv.close());
  const { got } = await exchange(srv.port, 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n', (g) => g.endsWith('/fast'));
  assert.ok(got.indexOf('/slow') < got.indexOf('/fast'), got);
  assert.equal(count(got, 'HTTP/1.1 200 OK'), 2);
});

test('unknown length: chunked with trailers for HTTP/1.1, read-until-close for HTTP/1.0', async (t) => {
  const srv = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.addTrailers({ 'x-checksum': 'abc' });
    res.write('hello ');
    res.end('world');
  });
  t.after(() => srv.close());
  const h11 = await exchange(srv.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', (g) => g.endsWith('\r\n\r\n') && g.includes('0\r\n'));
  assert.match(h11.got, /transfer-encoding: chunked\r\n/);
  assert.match(h11.got, /6\r\nhello \r\n5\r\nworld\r\n0\r\nx-checksum: abc\r\n\r\n$/);
  const h10 = await exchange(srv.port, 'GET / HTTP/1.0\r\n\r\n');
  assert.ok(h10.closed);
  assert.doesNotMatch(h10.got, /chunked/);
  assert.match(h10.got, /connection: close\r\n\r\nhello world$/);
});

test('Expect: 100-continue gets its interim answer; other expectations get 417; HTTP/1.1 needs a Host', async (t) => {
  const srv = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { const b = Buffer.concat(chunks); res.writeHead(200, { 'content-length': String(b.length) }); res.end(b); });
  });
  t.after(() => srv.close());
  const cont = await exchange(srv.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody', (g) => g.endsWith('body'));
  assert.match(cont.got, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  const other = await exchange(srv.port, 'GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n');
  assert.match(other.got, /^HTTP\/1\.1 417 /);
  assert.ok(other.closed);
  const noHost = await exchange(srv.port, 'GET / HTTP/1.1\r\n\r\n');
  assert.match(noHost.got, /^HTTP\/1\.1 400 /);
});

test('keep-alive by default, Connection: close honoured, HEAD and 204 carry no body', async (t) => {
  const srv = await serve((req, res) => {
    if (req.url === '/none') { res.writeHead(204, {}); res.end(); return; }
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  });
  t.after(() => srv.close());
  const two = await exchange(srv.port, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /none HTTP/1.1\r\nHost: a\r\n\r\n', (g) => count(g, 'HTTP/1.1 ') === 2);
  assert.equal(two.closed, false);
  assert.doesNotMatch(two.got, /ok/);
  assert.match(two.got, /HTTP\/1\.1 204 No Content\r\n/);
  const closing = await exchange(srv.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.ok(closing.closed);
  assert.match(closing.got, /connection: close\r\n\r\nok$/);
});

for (const over of ['TCP', 'TLS'] as const) {
  test(`a request body is read from the socket only as fast as the handler takes it (${over})`, async (t) => {
    // Far more than the socket buffers hold: the client stalls unless the server reads everything.
    const SIZE = 64 * 1024 * 1024;
    let take: (() => void) | undefined;
    const srv = await serve((req, res) => {
      // Nothing reads the body until the test says so; then it is counted and the count is the answer.
      take = () => {
        let got = 0;
        req.on('data', (c: Buffer) => { got += c.length; });
        req.on('end', () => { res.writeHead(200, { 'content-length': String(String(got).length) }); res.end(String(got)); });
      };
    }, over === 'TLS');
    t.after(() => srv.close());
    const s = over === 'TLS' ? tls.connect({ port: srv.port, host: '127.0.0.1', rejectUnauthorized: false }) : net.connect(srv.port, '127.0.0.1');
    t.after(() => s.destroy());
    let written = 0;
    let answer = '';
    s.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
    s.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${SIZE}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'b');
    const pump = () => {
      while (written < SIZE) {
        written += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
    };
    pump();
    let last = -1;
    for (let i = 0; i < 50 && written !== last; i++) {
      last = written;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(written < SIZE / 2, `the client wrote ${written} of ${SIZE} bytes to a handler that read none`);
    assert.ok(take, 'the request reached the handler');
    take();
    for (let i = 0; i < 100 && !answer.endsWith(`\r\n\r\n${SIZE}`); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(answer, new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*\\r\\n\\r\\n${SIZE}$`));
  });
}

test('header bytes beyond ASCII are answered as they came (latin1 strings, as llhttp reads them)', async (t) => {
  // "é" in UTF-8 is c3 a9; llhttp hands each byte over as one character.
  const srv = await serve((req, res) => {
    const v = req.headers['x-name'] as string;
    res.writeHead(200, { 'x-name': v, 'x-length': String(v.length), 'content-length': '2' });
    res.end('ok');
  });
  t.after(() => srv.close());
  const got = await new Promise<Buffer>((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1', () => s.write(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nx-name: é\r\n\r\n', 'utf8')));
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => { chunks.push(d); if (Buffer.concat(chunks).includes('ok')) { s.destroy(); resolve(Buffer.concat(chunks)); } });
  });
  assert.ok(got.includes(Buffer.from('x-name: é\r\n', 'utf8')), got.toString('latin1'));
  assert.ok(got.includes('x-length: 2\r\n'));
});

test('a request llhttp refuses, after a good one on the same connection (a later read), gets its 400 and the close', async (t) => {
  const srv = await serve((req, res) => { res.writeHead(200, { 'content-length': String(req.url.length) }); res.end(req.url); });
  t.after(() => srv.close());
  const got = await new Promise<{ text: string; closed: boolean }>((resolve) => {
    let text = '';
    const s = net.connect(srv.port, '127.0.0.1', () => s.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n'));
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      // Only once the first answer is in: the bad request comes in a read of its own.
      if (text.endsWith('/a')) s.write('POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    });
    s.on('close', () => resolve({ text, closed: true }));
    setTimeout(() => { s.destroy(); resolve({ text, closed: false }); }, 3000).unref();
  });
  assert.ok(got.closed, 'the connection is closed');
  assert.match(got.text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\/aHTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n/);
});
