// TLS_PASSTHROUGH pieces: readClientHello on ClientHellos captured from real `tls.connect` calls,
// synthetic and fuzzed input; passthrough over real sockets to a real TLS target.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readClientHello, MAX_HELLO_BYTES, type ClientHelloResult } from '../../src/dataplane/sni.ts';
import { passthrough, type PassthroughStats } from '../../src/dataplane/passthrough.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';

const NAME = 'svc.example.com';

// ---------------------------------------------------------------- helpers

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Resolves when cond() holds; polls every 10 ms, fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function closed(socket: net.Socket): Promise<void> {
  return socket.destroyed && socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** A deterministic PRNG (xorshift32) so a fuzz failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

/** The first bytes a real `tls.connect` sends, read until readClientHello stops asking for more. */
async function captureHello(opts: tls.ConnectionOptions): Promise<{ bytes: Buffer; reads: Buffer[]; result: ClientHelloResult }> {
  const server = net.createServer();
  const port = await listen(server);
  try {
    const got = new Promise<{ bytes: Buffer; reads: Buffer[]; result: ClientHelloResult }>((resolve) => {
      server.once('connection', (s) => {
        const reads: Buffer[] = [];
        s.on('data', (d: Buffer) => {
          reads.push(d);
          const bytes = Buffer.concat(reads);
          const result = readClientHello(bytes);
          if (result.kind !== 'need-more') {
            s.destroy();
            resolve({ bytes, reads, result });
          }
        });
      });
    });
    const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    client.on('error', () => {}); // the capture server hangs up mid-handshake
    const out = await got;
    client.destroy();
    return out;
  } finally {
    await closeServer(server);
  }
}

function hello(r: ClientHelloResult): Extract<ClientHelloResult, { kind: 'hello' }> {
  assert.equal(r.kind, 'hello', JSON.stringify(r));
  return r as Extract<ClientHelloResult, { kind: 'hello' }>;
}

/** Re-frames the handshake bytes of a single-record hello into records of the given sizes. */
function refragment(record: Buffer, sizes: number[]): Buffer {
  const body = record.subarray(5, 5 + record.readUInt16BE(3));
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos < body.length; i++) {
    const n = Math.min(sizes[Math.min(i, sizes.length - 1)], body.length - pos);
    const h = Buffer.from([22, 3, 1, 0, 0]);
    h.writeUInt16BE(n, 3);
    out.push(h, body.subarray(pos, pos + n));
    pos += n;
  }
  return Buffer.concat(out);
}

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const sniExt = (...names: string[]) => [0, vec16(Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([0]), vec16(Buffer.from(n, 'latin1'))]))))] as const;

/** A minimal ClientHello record with the given extensions (type, data). */
function buildHello(exts: readonly (readonly [number, Buffer])[] | null): Buffer {
  const parts = [Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]), vec16(Buffer.from([0x13, 0x01])), Buffer.from([1, 0])];
  if (exts) parts.push(vec16(Buffer.concat(exts.map(([t, d]) => Buffer.concat([u16(t), vec16(d)])))));
  const body = Buffer.concat(parts);
  const hs = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 255, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
}

// ---------------------------------------------------------------- certificate

// The target serves its own certificate (Lattice never terminates TLS here); Trellis's local CA
// issues one, and the client trusts that CA.
let certDir = '';
let key = '';
let leafCert = '';
let caCert = '';

before(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'trellis-passthrough-'));
  const ca = await LocalCa.open(certDir);
  const leaf = await ca.issue([NAME]);
  key = leaf.keyPem;
  leafCert = leaf.certPem;
  caCert = ca.certPem;
});

after(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- readClientHello

test('real ClientHello with SNI: name lower-cased, length covers the hello', async () => {
  const { bytes, result } = await captureHello({ servername: 'Svc.Example.COM' });
  const h = hello(result);
  assert.equal(h.serverName, NAME);
  assert.deepEqual(h.alpn, []);
  assert.equal(h.length, bytes.length); // the client sends nothing else before the server answers
  for (let i = 0; i < bytes.length; i++) assert.equal(readClientHello(bytes.subarray(0, i)).kind, 'need-more', `prefix ${i}`);
});

test('real ClientHello without SNI and with ALPN', async () => {
  const plain = hello((await captureHello({})).result); // host is an IP: Node sends no SNI
  assert.equal(plain.serverName, undefined);
  const withAlpn = hello((await captureHello({ servername: NAME, ALPNProtocols: ['h2', 'http/1.1'] })).result);
  assert.equal(withAlpn.serverName, NAME);
  assert.deepEqual(withAlpn.alpn, ['h2', 'http/1.1']);
});

test('a large ClientHello (450 ALPN names), fed in pieces and re-framed into several records', async () => {
  const names = Array.from({ length: 450 }, (_, i) => `proto-${String(i).padStart(23, '0')}`);
  const { bytes, reads, result } = await captureHello({ servername: NAME, ALPNProtocols: names });
  assert.ok(bytes.length > 12000 && bytes.length <= MAX_HELLO_BYTES, `hello of ${bytes.length} bytes`);
  const h = hello(result);
  assert.equal(h.serverName, NAME);
  assert.deepEqual(h.alpn, names);
  // Each TCP read the capture server saw, except the last, was answered need-more.
  for (let i = 1; i < reads.length; i++) assert.equal(readClientHello(Buffer.concat(reads.slice(0, i))).kind, 'need-more');
  for (let i = 0; i < bytes.length; i += 97) assert.equal(readClientHello(bytes.subarray(0, i)).kind, 'need-more', `prefix ${i}`);

  for (const sizes of [[1, 2, 3, 4000], [4000], [16384], [3, 100]]) {
    const framed = refragment(bytes, sizes);
    const f = hello(readClientHello(framed));
    assert.equal(f.serverName, NAME);
    assert.equal(f.alpn.length, 450);
    assert.equal(f.length, framed.length);
    // Whatever follows the hello (the next record) is not part of it.
    assert.equal(hello(readClientHello(Buffer.concat([framed, Buffer.from([23, 3, 3, 0, 1, 0])]))).length, framed.length);
    if (sizes[0] === 1) {
      for (let i = 0; i < framed.length; i += 13) assert.equal(readClientHello(framed.subarray(0, i)).kind, 'need-more', `framed prefix ${i}`);
    }
  }
});

test('a ClientHello beyond the size cap is invalid, not buffered', async () => {
  const names = Array.from({ length: 700 }, (_, i) => `proto-${String(i).padStart(23, '0')}`);
  const { bytes, result } = await captureHello({ servername: NAME, ALPNProtocols: names });
  assert.equal(result.kind, 'invalid');
  assert.ok(bytes.length <= MAX_HELLO_BYTES + 65536);
  // Declared hello length alone is enough to refuse, before its bytes arrive.
  const huge = Buffer.from([22, 3, 1, 0x40, 0, 1, 0x01, 0, 0]);
  assert.equal(readClientHello(huge).kind, 'invalid');
  // Many tiny records that never complete the hello stop at the cap.
  const tiny = Buffer.concat([Buffer.from([22, 3, 1, 0, 4, 1, 0, 0x3f, 0xf0]), ...Array.from({ length: 4000 }, () => Buffer.from([22, 3, 1, 0, 1, 0]))]);
  assert.equal(readClientHello(tiny).kind, 'invalid');
});

test('not TLS, need more, and malformed hellos', () => {
  assert.equal(readClientHello(Buffer.alloc(0)).kind, 'need-more');
  assert.equal(readClientHello(Buffer.from([22])).kind, 'need-more');
  assert.equal(readClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')).kind, 'not-tls');
  assert.equal(readClientHello(Buffer.from('PRI * HTTP/2.0\r\n')).kind, 'not-tls');
  assert.equal(readClientHello(Buffer.from([22, 4, 1])).kind, 'not-tls');

  assert.equal(hello(readClientHello(buildHello(null))).serverName, undefined);
  assert.equal(hello(readClientHello(buildHello([sniExt('A.B.example.')]))).serverName, 'a.b.example');
  const ok = buildHello([sniExt(NAME), [16, vec16(Buffer.from('\x02h2'))]]);
  assert.deepEqual(hello(readClientHello(ok)), { kind: 'hello', serverName: NAME, alpn: ['h2'], length: ok.length });

  const bad = (b: Buffer, why: RegExp) => {
    const r = readClientHello(b);
    assert.equal(r.kind, 'invalid', JSON.stringify(r));
    assert.match((r as { reason: string }).reason, why);
  };
  bad(buildHello([sniExt('a.example'), sniExt('b.example')]), /duplicate extension/);
  bad(buildHello([sniExt('a.example', 'b.example')]), /more than one host_name/);
  bad(buildHello([sniExt('a\0.example')]), /printable/);
  bad(buildHello([sniExt('')]), /host_name of 0/);
  bad(buildHello([[16, vec16(Buffer.from([0]))]]), /empty ALPN protocol/);
  bad(buildHello([[16, vec16(Buffer.from([5, 0x68]))]]), /overruns/);
  const wrongType = Buffer.from(ok); wrongType[5] = 2;
  bad(wrongType, /not ClientHello/);
  const overrun = Buffer.from(ok); overrun[5 + 4 + 2 + 32] = 200; // session id longer than the hello
  bad(overrun, /session id|overruns/);
  const split = refragment(ok, [10]);
  const alert = Buffer.from(split); alert[15] = 21; // the second record is an alert
  bad(alert, /content type 21/);
  bad(Buffer.from([22, 3, 1, 0, 0]), /empty handshake record/);
});

test('fuzz: random bytes, mutations and truncations never throw', async () => {
  const real = (await captureHello({ servername: NAME, ALPNProtocols: ['h2', 'http/1.1'] })).bytes;
  const synthetic = buildHello([sniExt(NAME), [16, vec16(Buffer.from('\x02h2'))]]);
  const rand = prng(0x5eed);
  const kinds = new Set(['need-more', 'not-tls', 'invalid', 'hello']);
  const check = (b: Buffer) => {
    const r = readClientHello(b);
    assert.ok(kinds.has(r.kind), `bad result ${JSON.stringify(r)}`);
    if (r.kind === 'hello') assert.ok(r.length <= b.length && r.length <= MAX_HELLO_BYTES);
  };
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.alloc(rand(400));
    for (let j = 0; j < b.length; j++) b[j] = rand(256);
    if (b.length >= 3 && rand(2) === 0) { b[0] = 22; b[1] = 3; }
    check(b);
  }
  for (const base of [real, synthetic]) {
    for (let i = 0; i <= base.length; i++) check(base.subarray(0, i));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      for (let k = rand(8) + 1; k > 0; k--) b[rand(b.length)] = rand(256);
      check(rand(4) === 0 ? b.subarray(0, rand(b.length + 1)) : b);
      check(refragment(b, [rand(64) + 1]));
    }
  }
});

// ---------------------------------------------------------------- passthrough

interface Front {
  port: number;
  stats: PassthroughStats[];
  names: (string | undefined)[];
  /** The front's client-side sockets, for comparing byte counts. */
  sockets: net.Socket[];
  close(): Promise<void>;
}

/** A dispatcher like the lead's: peek the hello, then hand the connection to passthrough. */
async function startFront(target: () => { address: string; port: number }, opts: { connectTimeoutMs?: number; idleTimeoutMs?: number; maxDurationMs?: number } = {}): Promise<Front> {
  const stats: PassthroughStats[] = [];
  const names: (string | undefined)[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    const reads: Buffer[] = [];
    const onData = (d: Buffer) => {
      reads.push(d);
      const head = Buffer.concat(reads);
      const r = readClientHello(head);
      if (r.kind === 'need-more') return;
      socket.off('data', onData);
      if (r.kind !== 'hello') { socket.destroy(); return; }
      names.push(r.serverName);
      passthrough(socket, head, target(), {
        connectTimeoutMs: opts.connectTimeoutMs ?? 2000,
        idleTimeoutMs: opts.idleTimeoutMs ?? 5000,
        maxDurationMs: opts.maxDurationMs,
        onClose: (s) => stats.push(s),
      });
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  const port = await listen(server);
  return {
    port, stats, names, sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

/** A TLS target that echoes what it reads. */
async function startEchoTarget(): Promise<{ port: number; close(): Promise<void> }> {
  const conns = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key, cert: leafCert }, (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  const port = await listen(server);
  return { port, async close() { for (const s of conns) s.destroy(); await closeServer(server); } };
}

function connectTls(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port, servername: NAME, ca: caCert, ...extra }, () => resolve(c));
    c.once('error', reject);
  });
}

function readBytes(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let have = 0;
    const onData = (d: Buffer) => {
      got.push(d);
      have += d.length;
      if (have >= n) { s.off('data', onData); s.off('close', onClose); resolve(Buffer.concat(got)); }
    };
    const onClose = () => reject(new Error(`closed after ${have} of ${n} bytes`));
    s.on('data', onData);
    s.once('close', onClose);
  });
}

test('end to end: TLS through passthrough, the target\'s certificate, echo and byte counts', async () => {
  const target = await startEchoTarget();
  const front = await startFront(() => ({ address: '127.0.0.1', port: target.port }));
  try {
    const c = await connectTls(front.port);
    assert.equal(c.authorized, true);
    assert.equal(c.getPeerCertificate().subject.CN, NAME);
    c.write('ping');
    assert.equal((await readBytes(c, 4)).toString(), 'ping');
    assert.deepEqual(front.names, [NAME]);
    c.end();
    await closed(c);
    await until(() => front.stats.length === 1, 'onClose');
    const [s] = front.stats;
    assert.equal(s.error, undefined, s.error);
    assert.equal(s.bytesIn, front.sockets[0].bytesRead);
    assert.equal(s.bytesOut, front.sockets[0].bytesWritten);
    assert.ok(s.bytesIn > 4 && s.bytesOut > 4);
  } finally {
    await front.close();
    await target.close();
  }
});

test('end to end: a large ClientHello and 1 MiB each way arrive intact', async () => {
  const target = await startEchoTarget();
  const front = await startFront(() => ({ address: '127.0.0.1', port: target.port }));
  try {
    const names = Array.from({ length: 400 }, (_, i) => `proto-${String(i).padStart(23, '0')}`);
    const c = await connectTls(front.port, { ALPNProtocols: names });
    const data = randomBytes(1 << 20);
    const echoed = readBytes(c, data.length);
    c.write(data);
    const back = await echoed;
    assert.equal(back.length, data.length);
    assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(data).digest('hex'));
    c.end();
    await closed(c);
    await until(() => front.stats.length === 1, 'onClose');
    assert.ok(front.stats[0].bytesIn > data.length && front.stats[0].bytesOut > data.length);
  } finally {
    await front.close();
    await target.close();
  }
});

test('half-close: the client\'s FIN reaches the target, the answer and its FIN come back', async () => {
  let received = 0;
  const target = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d: Buffer) => { received += d.length; });
    s.on('end', () => s.end(`got ${received}`));
  });
  const targetPort = await listen(target);
  const front = await startFront(() => ({ address: '127.0.0.1', port: targetPort }));
  try {
    const c = net.connect({ host: '127.0.0.1', port: front.port, allowHalfOpen: true });
    const sent = Buffer.concat([buildHello([sniExt(NAME)]), Buffer.from('payload after the hello')]);
    c.end(sent);
    const answer: Buffer[] = [];
    c.on('data', (d: Buffer) => answer.push(d));
    await new Promise<void>((resolve) => c.once('end', () => resolve()));
    assert.equal(Buffer.concat(answer).toString(), `got ${sent.length}`);
    await closed(c);
    await until(() => front.stats.length === 1, 'onClose');
    assert.deepEqual(front.stats[0], { bytesIn: sent.length, bytesOut: `got ${sent.length}`.length });
  } finally {
    await front.close();
    await closeServer(target);
  }
});

test('backpressure: a client that stops reading stops the target; its reset reaches the target', async () => {
  const CAP = 256 << 20;
  const chunk = Buffer.alloc(64 << 10, 1);
  let written = 0;
  let targetSocket: net.Socket | undefined;
  const target = net.createServer((s) => {
    targetSocket = s;
    s.on('error', () => {});
    const pump = () => {
      while (written < CAP) {
        written += chunk.length;
        if (!s.write(chunk)) { s.once('drain', pump); return; }
      }
    };
    pump();
  });
  const targetPort = await listen(target);
  const front = await startFront(() => ({ address: '127.0.0.1', port: targetPort }));
  try {
    const c = net.connect({ host: '127.0.0.1', port: front.port });
    c.on('error', () => {});
    c.write(buildHello([sniExt(NAME)]));
    c.pause(); // never read: every buffer on the way fills up
    // Wait until the target has been stalled for a while; without backpressure it would reach CAP.
    let last = -1;
    let still = 0;
    await until(() => {
      if (written === last && written > 0) still++; else still = 0;
      last = written;
      return still >= 20 || written >= CAP;
    }, 'the target to stall', 10000);
    assert.ok(written < 96 << 20, `the target wrote ${written >> 20} MiB into a client that does not read`);
    c.destroy(); // unread data: the kernel answers with RST
    await until(() => targetSocket?.destroyed === true, 'the target connection to close');
    await until(() => front.stats.length === 1, 'onClose');
    assert.match(front.stats[0].error ?? '', /client/);
  } finally {
    await front.close();
    await closeServer(target);
  }
});

test('a target that refuses the connection closes the client at once', async () => {
  const gone = net.createServer();
  const deadPort = await listen(gone);
  await closeServer(gone);
  const front = await startFront(() => ({ address: '127.0.0.1', port: deadPort }));
  try {
    const c = tls.connect({ host: '127.0.0.1', port: front.port, servername: NAME, rejectUnauthorized: false });
    let err: NodeJS.ErrnoException | undefined;
    c.on('error', (e) => { err = e; });
    await until(() => c.closed, 'the client to be closed', 3000);
    assert.ok(err, 'the client saw an error, not a clean end');
    await until(() => front.stats.length === 1, 'onClose');
    assert.match(front.stats[0].error ?? '', /ECONNREFUSED/);
    assert.equal(front.stats[0].code, 'upstream_connect_failure');
  } finally {
    await front.close();
  }
});

test('a target that never answers the connect: the connect timeout closes the client', async (t) => {
  // A listener whose process never accepts: once its accept queue (backlog 1) is full the kernel
  // drops further SYNs, so a connect just waits. A child process blocks instead of accepting.
  const child = spawn(process.execPath, ['-e', `const s = require('node:net').createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20000);
    });`], { stdio: ['ignore', 'pipe', 'ignore'] });
  const fillers: net.Socket[] = [];
  let front: Front | undefined;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', () => reject(new Error('the blocked listener exited')));
    });
    let stalled = false;
    for (let i = 0; i < 8 && !stalled; i++) {
      const f = net.connect({ host: '127.0.0.1', port });
      f.on('error', () => {});
      fillers.push(f);
      stalled = !(await new Promise<boolean>((resolve) => { f.once('connect', () => resolve(true)); setTimeout(() => resolve(false), 300); }));
    }
    if (!stalled) return t.skip('this kernel accepted every connect into a full accept queue');
    front = await startFront(() => ({ address: '127.0.0.1', port }), { connectTimeoutMs: 200 });
    const c = net.connect({ host: '127.0.0.1', port: front.port });
    c.on('error', () => {});
    c.write(buildHello([sniExt(NAME)]));
    await until(() => c.closed, 'the client to be closed', 3000);
    await until(() => front!.stats.length === 1, 'onClose');
    assert.equal(front.stats[0].error, 'target connect timeout');
    assert.equal(front.stats[0].code, 'upstream_connect_timeout');
  } finally {
    for (const f of fillers) f.destroy();
    child.kill();
    await front?.close();
  }
});

test('idle timeout closes both sides', async () => {
  const target = await startEchoTarget();
  const front = await startFront(() => ({ address: '127.0.0.1', port: target.port }), { idleTimeoutMs: 150 });
  try {
    const c = await connectTls(front.port);
    c.on('error', () => {});
    c.write('x');
    assert.equal((await readBytes(c, 1)).toString(), 'x');
    await until(() => c.closed, 'the idle connection to be closed', 3000);
    await until(() => front.stats.length === 1, 'onClose');
    assert.equal(front.stats[0].error, 'idle timeout');
    assert.equal(front.stats[0].code, 'idle_timeout');
  } finally {
    await front.close();
    await target.close();
  }
});

test('the maximum connection duration closes a busy connection', async () => {
  const target = await startEchoTarget();
  const front = await startFront(() => ({ address: '127.0.0.1', port: target.port }), { idleTimeoutMs: 5000, maxDurationMs: 200 });
  let ticker: NodeJS.Timeout | undefined;
  try {
    const c = await connectTls(front.port);
    c.on('error', () => {});
    let echoed = 0;
    c.on('data', (d: Buffer) => { echoed += d.length; });
    let ticks = 0;
    ticker = setInterval(() => { if (!c.destroyed && ++ticks < 300) c.write('x'); }, 20);
    await until(() => c.closed, 'the connection to reach its maximum duration', 3000);
    assert.ok(echoed > 0);
    await until(() => front.stats.length === 1, 'onClose');
    assert.equal(front.stats[0].error, 'max connection duration');
    assert.equal(front.stats[0].code, 'max_connection_duration');
  } finally {
    clearInterval(ticker);
    await front.close();
    await target.close();
  }
});

test('a client already gone: the target connection is dropped and onClose still fires', async () => {
  let targetConns = 0;
  const target = net.createServer((s) => { targetConns++; s.on('error', () => {}); });
  const targetPort = await listen(target);
  const server = net.createServer();
  const port = await listen(server);
  try {
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('error', () => {});
    const s = await accepted;
    s.destroy();
    await closed(s);
    let stats: PassthroughStats | undefined;
    passthrough(s, Buffer.from('head'), { address: '127.0.0.1', port: targetPort }, { connectTimeoutMs: 1000, idleTimeoutMs: 1000, onClose: (x) => { stats = x; } });
    await until(() => stats !== undefined, 'onClose');
    assert.equal(stats?.error, 'client closed');
    assert.equal(stats?.code, 'downstream_closed');
    c.destroy();
  } finally {
    await closeServer(server);
    await closeServer(target);
  }
  assert.equal(targetConns, 0);
});
