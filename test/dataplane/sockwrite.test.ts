// writeLatin1 (sockwrite.ts) over real loopback sockets: bytes in the order they were written
// whichever path each write took, 'drain' after a write the client was slow to take, a failed write
// ending the socket with an error instead of a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { writeLatin1 } from '../../src/dataplane/sockwrite.ts';

/** A connected pair: `server` is the accepted side, `client` connects to it. */
async function pair(): Promise<{ server: net.Socket; client: net.Socket; close(): void }> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const accepted = once(srv, 'connection') as Promise<[net.Socket]>;
  const client = net.connect((srv.address() as AddressInfo).port, '127.0.0.1');
  const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
  return { server, client, close: () => { server.destroy(); client.destroy(); srv.close(); } };
}

/** Reads `n` bytes from the client, as runs of one character: "a×3 b×1". */
function runs(client: net.Socket, n: number): Promise<string> {
  const out: [string, number][] = [];
  let got = 0;
  return new Promise((resolve) => {
    const onData = (chunk: Buffer) => {
      for (const byte of chunk) {
        const c = String.fromCharCode(byte);
        if (out.length && out[out.length - 1][0] === c) out[out.length - 1][1]++;
        else out.push([c, 1]);
      }
      got += chunk.length;
      if (got < n) return;
      client.off('data', onData);
      resolve(out.map(([c, k]) => `${c}×${k}`).join(' '));
    };
    client.on('data', onData);
  });
}

test('writes a client is slow to take wait in order, before later socket.write()s, and end in a drain', async (t) => {
  const { server, client, close } = await pair();
  t.after(close);
  client.pause();
  const big = 'a'.repeat(32 * 1024 * 1024); // more than the two sides' socket buffers hold
  assert.equal(writeLatin1(server, big), false, 'the kernel cannot take it all: it waits');
  assert.equal(server.writableLength, 0, 'in libuv, not in the Writable');
  let drained = false;
  server.once('drain', () => { drained = true; });
  // Nothing in the Writable, so this goes straight to the handle too, behind the waiting bytes.
  assert.equal(writeLatin1(server, 'bbbb'), false);
  server.write('cc');
  assert.equal(drained, false);
  const read = runs(client, big.length + 6);
  client.resume();
  assert.equal(await read, `a×${big.length} b×4 c×2`);
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, true, "'drain' once the waiting bytes were taken");
  // And a write that the kernel takes at once says so.
  assert.equal(writeLatin1(server, 'dd'), true);
  assert.equal(await runs(client, 2), 'd×2');
});

test('a corked socket or one with bytes in its Writable is written through socket.write(), in order', async (t) => {
  const { server, client, close } = await pair();
  t.after(close);
  const read = runs(client, 7);
  server.cork();
  writeLatin1(server, 'xx');
  server.write('y');
  server.uncork();
  server.write('z'.repeat(2), () => {});
  writeLatin1(server, 'é'); // latin1: one byte, 0xe9
  writeLatin1(server, 'w');
  assert.equal(await read, 'x×2 y×1 z×2 é×1 w×1');
});

test('a write to a peer that reset the connection destroys the socket with an error, and does not throw', async (t) => {
  const { server, client, close } = await pair();
  t.after(close);
  server.pause(); // not reading, so the reset is found by the write
  (server as unknown as { _handle: { readStop(): number } })._handle.readStop();
  client.resetAndDestroy();
  await new Promise((r) => setTimeout(r, 50));
  const failed = once(server, 'error') as Promise<[NodeJS.ErrnoException]>;
  let ok = true;
  for (let i = 0; i < 10 && ok && !server.destroyed; i++) ok = writeLatin1(server, 'after the reset');
  const [err] = await failed;
  assert.equal(err.syscall, 'write');
  assert.match(String(err.code), /^E[A-Z]+$/, 'named as Node names it (EPIPE, ECONNRESET)');
  assert.equal(server.destroyed, true);
});
