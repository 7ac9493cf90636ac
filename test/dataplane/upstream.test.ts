// The upstream side on its own, against real sockets: how each failure is classified, since that
// decides between a retry (the target never saw the request), a 502 and a 504.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { h1Exchange } from '../../src/dataplane/upstream/h1.ts';
import { h2Exchange } from '../../src/dataplane/upstream/h2.ts';
import type { Exchange, ResponseHandler, UpstreamError, UpstreamRequest, UpstreamTarget } from '../../src/dataplane/upstream/exchange.ts';
import { freePort } from '../helpers/echo.ts';

const req = { method: 'GET', path: '/x', authority: 'svc.example', headers: {}, timeoutMs: 200 };
type Exchanger = (t: UpstreamTarget, r: UpstreamRequest, to: ResponseHandler) => Exchange;

/** Runs one bodiless exchange: 'ok' with the status and body, or the failure's kind. */
function run(exchange: Exchanger, t: UpstreamTarget): Promise<{ kind: string; status?: number; body?: string }> {
  return new Promise((resolve) => {
    let status = 0;
    const chunks: Buffer[] = [];
    exchange(t, req, {
      onHead: (s) => { status = s; },
      onData: (c) => { chunks.push(c); return true; },
      onEnd: () => resolve({ kind: 'ok', status, body: Buffer.concat(chunks).toString() }),
      onError: (err: UpstreamError) => resolve({ kind: err.kind }),
    }).send();
  });
}
const kindOf = async (exchange: Exchanger, t: UpstreamTarget) => (await run(exchange, t)).kind;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

for (const [name, exchange, create] of [
  ['HTTP/1.1', h1Exchange, (h: http.RequestListener) => http.createServer(h)],
  ['HTTP/2', h2Exchange, (h: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) => http2.createServer(h)],
] as const) {
  test(`${name}: refused is 'connect', silence is 'timeout', a broken connection is 'reset', an answer is ok`, async () => {
    const closed = await freePort();
    assert.equal(await kindOf(exchange, { address: '127.0.0.1', port: closed, tls: false }), 'connect');

    const silent = create(() => {}) as net.Server;
    const sockets: net.Socket[] = [];
    silent.on('connection', (s: net.Socket) => sockets.push(s));
    assert.equal(await kindOf(exchange, { address: '127.0.0.1', port: await listen(silent), tls: false }), 'timeout');
    for (const s of sockets) s.destroy();
    silent.close();

    const breaker = create((rq: { socket: net.Socket }) => rq.socket.destroy()) as net.Server;
    assert.equal(await kindOf(exchange, { address: '127.0.0.1', port: await listen(breaker), tls: false }), 'reset');
    breaker.close();

    const ok = create((_rq: unknown, res: { end: (s: string) => void }) => res.end('fine')) as net.Server;
    const port = await listen(ok);
    assert.deepEqual(await run(exchange, { address: '127.0.0.1', port, tls: false }), { kind: 'ok', status: 200, body: 'fine' });
    ok.close();
    (ok as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

test('HTTP/1.1: header bytes beyond ASCII reach the target as they came, and come back the same way', async () => {
  // llhttp and nghttp2 hand "é" (c3 a9 in UTF-8) over as two latin1 characters; so do we.
  const value = Buffer.from('é', 'utf8').toString('latin1');
  let seen: Buffer | undefined;
  const target = net.createServer((s) => s.once('data', (d: Buffer) => {
    seen = d;
    s.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nx-back: '), Buffer.from('é', 'utf8'), Buffer.from('\r\ncontent-length: 0\r\n\r\n')]));
  }));
  const port = await listen(target);
  try {
    const back = await new Promise<string>((resolve, reject) => {
      h1Exchange({ address: '127.0.0.1', port, tls: false }, { ...req, headers: { 'x-name': value } }, {
        onHead: (_s, h) => resolve(String(h['x-back'])), onData: () => true, onEnd: () => {}, onError: reject,
      }).send();
    });
    assert.ok(seen?.includes(Buffer.from('x-name: é\r\n', 'utf8')), seen?.toString('latin1'));
    assert.equal(back, value);
  } finally {
    target.close();
  }
});

test('HTTP/1.1: a kept-alive connection whose last exchange paused reading (and never resumed) serves the next request', async () => {
  // The first exchange's handler wants no more data and never calls resume(), as when its
  // client went away; its response still completes, and the connection goes back to the pool.
  const target = http.createServer((_rq, res) => res.end('fine'));
  const port = await listen(target);
  const t = { address: '127.0.0.1', port, tls: false };
  try {
    await new Promise<void>((resolve, reject) => {
      h1Exchange(t, req, { onHead: () => {}, onData: () => false, onEnd: () => resolve(), onError: reject }).send();
    });
    assert.deepEqual(await run(h1Exchange, t), { kind: 'ok', status: 200, body: 'fine' });
  } finally {
    target.close();
    target.closeAllConnections();
  }
});

test('HTTP/1.1: a body without a length is read until the target closes, and ends there', async () => {
  // The end of input reaches the parser through the socket's 'end' (the parser reads the handle itself).
  const target = net.createServer((s) => s.once('data', () => {
    s.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nhel');
    setTimeout(() => s.end('lo'), 50);
  }));
  const port = await listen(target);
  try {
    assert.deepEqual(await run(h1Exchange, { address: '127.0.0.1', port, tls: false }), { kind: 'ok', status: 200, body: 'hello' });
  } finally {
    target.close();
  }
});

/** Waits until `value()` has not changed for 200 ms (at most 10 s): a writer that stalled. */
async function settled(value: () => number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 50 && value() !== last; i++) {
    last = value();
    await new Promise((r) => setTimeout(r, 200));
  }
  return value();
}

for (const [name, exchange, create] of [
  ['HTTP/1.1', h1Exchange, (h: http.RequestListener) => http.createServer(h)],
  ['HTTP/2', h2Exchange, (h: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void) => http2.createServer(h)],
] as const) {
  test(`${name}: a handler that wants no more data stops reading from the target until resume()`, async () => {
    // Far more than every socket buffer on the way can hold: the target stalls unless it is read.
    const SIZE = 64 * 1024 * 1024;
    let written = 0;
    type Res = { setHeader(n: string, v: string): unknown; write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; end(): unknown };
    const server = create(((_rq: unknown, res: Res) => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      res.setHeader('content-length', String(SIZE));
      const pump = () => {
        while (written < SIZE) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    }) as never) as net.Server;
    const port = await listen(server);
    let received = 0;
    let wanting = false;
    let x: Exchange | undefined;
    const done = new Promise<number>((resolve, reject) => {
      x = exchange({ address: '127.0.0.1', port, tls: false }, { ...req, timeoutMs: 10_000 }, {
        onHead: () => {},
        onData: (c) => { received += c.length; return wanting; },
        onEnd: () => resolve(received),
        onError: reject,
      });
      x.send();
    });
    try {
      const stalled = await settled(() => written);
      assert.ok(stalled < SIZE / 2, `the target wrote ${stalled} of ${SIZE} bytes to a reader that wanted none after its first chunk`);
      wanting = true;
      x!.resume();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((r) => { timer = setTimeout(() => r('no end within 10 s of resume()'), 10_000); });
      assert.equal(await Promise.race([done, late]), SIZE);
      clearTimeout(timer);
    } finally {
      server.close();
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    }
  });
}
