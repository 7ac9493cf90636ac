// The stream tables that replace node:http2's per-session Map and Set (h2streams.ts): the same
// answers as a Map under random use, and real sessions that use them, through many streams, a
// session torn down with streams open (the forEach paths), and both ends of a connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { PendingStreams, StreamTable, untangleStreams } from '../../src/dataplane/h2streams.ts';

test('StreamTable answers as a Map does through random inserts, updates and deletes', () => {
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  const table = new StreamTable<string>();
  const map = new Map<number, string>();
  let next = 1;
  for (let step = 0; step < 20_000; step++) {
    const r = rand(10);
    if (r < 4) {
      // new streams, ids growing by two as a client's do, and now and then a far one
      const id = rand(50) === 0 ? 1 + 2 * rand(1 << 29) : (next += 2);
      table.set(id, `s${id}`);
      map.set(id, `s${id}`);
    } else if (r < 8 && map.size > 0) {
      const keys = [...map.keys()];
      const id = keys[rand(keys.length)];
      assert.equal(table.delete(id), true);
      map.delete(id);
    } else {
      const id = 1 + 2 * rand(next);
      assert.equal(table.delete(id), map.delete(id), `delete(${id})`);
    }
    assert.equal(table.size, map.size);
    if (step % 1000 === 0) for (const [id, v] of map) assert.equal(table.get(id), v);
  }
  for (const [id, v] of map) assert.equal(table.get(id), v);
  assert.equal(table.get(next + 2), undefined);
  assert.throws(() => table.set(0, 'x'), RangeError);
  const seen: number[] = [];
  table.forEach((_v, id) => seen.push(id));
  assert.deepEqual(seen, [...map.keys()].sort((a, b) => a - b));
});

test('forEach skips entries deleted before their turn, as Map.forEach does', () => {
  const table = new StreamTable<number>();
  for (let id = 1; id < 40; id += 2) table.set(id, id);
  const seen: number[] = [];
  table.forEach((v) => {
    seen.push(v);
    table.delete(v); // as stream.destroy() does from inside node:http2's forEach
    table.delete(v + 2);
  });
  assert.deepEqual(seen, [1, 5, 9, 13, 17, 21, 25, 29, 33, 37]);
  assert.equal(table.size, 0);
  const pending = new PendingStreams<string>();
  pending.add('a').add('b').add('a').add('c');
  assert.equal(pending.size, 3);
  const visited: string[] = [];
  pending.forEach((x) => { visited.push(x); pending.delete('b'); });
  assert.deepEqual(visited, ['a', 'c']);
  assert.equal(pending.delete('zz'), false);
});

test('sessions with the tables: 2,000 streams over one connection, then a teardown with 50 open', async (t) => {
  const server = http2.createServer();
  const serverSessions: http2.ServerHttp2Session[] = [];
  server.on('session', (s) => { untangleStreams(s); serverSessions.push(s); });
  let hold = false;
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    if (hold) return; // left open for the teardown
    stream.respond({ ':status': 200 });
    stream.end(String(headers[':path']));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => server.close());
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  untangleStreams(client);
  client.on('error', () => {});
  const stateOf = (s: http2.Http2Session) => (s as unknown as Record<symbol, { streams: unknown; pendingStreams: unknown }>)[
    Object.getOwnPropertySymbols(s).find((k) => k.description === 'state')!];
  assert.ok(stateOf(client).streams instanceof StreamTable, "the client's streams are in a StreamTable");
  assert.ok(stateOf(client).pendingStreams instanceof PendingStreams);

  const get = (path: string) => new Promise<string>((resolve, reject) => {
    const req = client.request({ ':path': path });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
  for (let round = 0; round < 20; round++) {
    const paths = Array.from({ length: 100 }, (_, i) => `/r${round}/${i}`);
    assert.deepEqual(await Promise.all(paths.map(get)), paths);
  }
  assert.ok(stateOf(serverSessions[0]).streams instanceof StreamTable, "the server's streams are in a StreamTable");
  assert.equal((stateOf(serverSessions[0]).streams as StreamTable<unknown>).size, 0, 'every finished stream left the table');

  hold = true;
  const open = Array.from({ length: 50 }, (_, i) => {
    const req = client.request({ ':path': `/held/${i}` });
    return new Promise<string>((resolve) => { req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error')); req.on('close', () => resolve('closed')); });
  });
  while ((stateOf(serverSessions[0]).streams as StreamTable<unknown>).size < 50) await new Promise((r) => setTimeout(r, 5));
  serverSessions[0].destroy(); // node:http2 destroys each open stream through forEach
  // Each held stream ends (a stream the teardown missed would keep this waiting until the test times out).
  for (const end of await Promise.all(open)) assert.match(end, /^(closed|ERR_HTTP2_\w+)$/);
  assert.equal((stateOf(serverSessions[0]).streams as StreamTable<unknown>).size, 0);
  assert.equal((stateOf(client).streams as StreamTable<unknown>).size, 0);
  client.close();
});

test('a session that does not hold a Map and a Set where expected is left as it is', () => {
  const streams = {};
  const pendingStreams = new Set();
  const key = Symbol('state');
  const session = { [key]: { streams, pendingStreams } } as unknown as http2.Http2Session;
  untangleStreams(session);
  const state = (session as unknown as Record<symbol, { streams: unknown; pendingStreams: unknown }>)[key];
  assert.equal(state.streams, streams);
  assert.equal(state.pendingStreams, pendingStreams);
});
