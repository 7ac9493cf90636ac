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
import { UpstreamError, type Exchange } from '../../src/dataplane/upstream/exchange.ts';
import { freePort } from '../helpers/echo.ts';

const req = { method: 'GET', path: '/x', authority: 'svc.example', headers: {}, timeoutMs: 200 };
const kindOf = async (e: Exchange) => {
  e.body.end();
  try {
    await e.response;
    return 'ok';
  } catch (err) {
    return (err as UpstreamError).kind;
  }
};

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
    assert.equal(await kindOf(exchange({ address: '127.0.0.1', port: closed, tls: false }, req)), 'connect');

    const silent = create(() => {}) as net.Server;
    const sockets: net.Socket[] = [];
    silent.on('connection', (s: net.Socket) => sockets.push(s));
    assert.equal(await kindOf(exchange({ address: '127.0.0.1', port: await listen(silent), tls: false }, req)), 'timeout');
    for (const s of sockets) s.destroy();
    silent.close();

    const breaker = create((rq: { socket: net.Socket }) => rq.socket.destroy()) as net.Server;
    assert.equal(await kindOf(exchange({ address: '127.0.0.1', port: await listen(breaker), tls: false }, req)), 'reset');
    breaker.close();

    const ok = create((_rq: unknown, res: { end: (s: string) => void }) => res.end('fine')) as net.Server;
    const port = await listen(ok);
    const e = exchange({ address: '127.0.0.1', port, tls: false }, req);
    e.body.end();
    const r = await e.response;
    assert.equal(r.status, 200);
    const chunks: Buffer[] = [];
    for await (const c of r.body) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'fine');
    ok.close();
    (ok as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
