// Every case of the HTTP hardening vectors (../shared/vectors/http/cases.json; cases.md says why)
// against a real Trellis: HTTP/1.1 cases as their raw bytes over a socket, HTTP/2 ones as raw frames
// over h2c (prior knowledge), the slow-client ones against a second data plane built from the same
// store with small limits. The service answers to the vectors' `Host: svc.example` (its custom
// domain name); a rule sends paths starting with '/admin' (case-sensitive) to a second target, so
// each normalized path is checked where it was routed as well as how it was forwarded.
// The whole file is skipped where the vectors are absent; they are never copied here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateServiceCommand, CreateListenerCommand, CreateRuleCommand, CreateServiceNetworkServiceAssociationCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { freePort } from '../helpers/echo.ts';
import { createNetwork, createTargetGroup } from '../helpers/lattice.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { View } from '../../src/store/view.ts';
import { compile } from '../../src/compile/compile.ts';
import { DataPlane } from '../../src/dataplane/dataplane.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';
import { Certificates } from '../../src/dataplane/tls/certificates.ts';

const VECTORS = fileURLToPath(new URL('../../../shared/vectors/http/cases.json', import.meta.url));
interface Case {
  id: string;
  title: string;
  protocol: 'HTTP/1.1' | 'HTTP/2';
  raw_b64?: string;
  frames?: { type?: string; flags?: string[]; headers?: [string, string][]; length?: number }[];
  expected: { action: 'reject' | 'normalize' | 'accept' | 'mitigate'; status?: number; close_connection?: boolean; h2_error?: string };
}
const cases = existsSync(VECTORS) ? (JSON.parse(readFileSync(VECTORS, 'utf8')) as { cases: Case[] }).cases : undefined;

// ---------------------------------------------------------------------------------------------
// Targets that record what they received; GET /large streams a body no client buffer can hold.

interface Got { target: string; method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
const got: Got[] = [];
const LARGE = 256 * 1024 * 1024;
let largeAborted: () => void = () => {};
const largeAbortedNow = () => new Promise<void>((r) => { largeAborted = r; });

async function startTarget(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/large') {
      const chunk = Buffer.alloc(64 * 1024, 'L');
      let sent = 0;
      res.on('close', () => { if (!res.writableFinished) largeAborted(); });
      res.writeHead(200, { 'content-length': String(LARGE) });
      const pump = () => {
        while (sent < LARGE && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ target: name, method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('latin1') });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); }),
  };
}

// ---------------------------------------------------------------------------------------------
// A bounded wait, and raw clients: HTTP/1.1 bytes, HTTP/2 frames.

async function until(pred: () => boolean, ms: number, wake: (w: () => void) => void): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) {
    await new Promise<void>((r) => { const t = setTimeout(r, Math.min(50, deadline - Date.now())); wake(() => { clearTimeout(t); r(); }); });
  }
  return pred();
}

interface Response { status: number; headers: Record<string, string>; body: string }

class RawH1 {
  readonly socket: net.Socket;
  data = Buffer.alloc(0);
  closed = false;
  #wakers: (() => void)[] = [];
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => { this.data = Buffer.concat([this.data, d]); this.#wake(); });
    this.socket.on('close', () => { this.closed = true; this.#wake(); });
    this.socket.on('error', () => {});
  }
  #wake() { for (const w of this.#wakers.splice(0)) w(); }
  write(b: Buffer | string) { if (!this.socket.destroyed) this.socket.write(b); }
  until(pred: () => boolean, ms = 3000) { return until(pred, ms, (w) => this.#wakers.push(w)); }
  /** The complete responses so far: Content-Length or chunked bodies. */
  responses(): Response[] {
    const out: Response[] = [];
    let rest = this.data.toString('latin1');
    for (;;) {
      const end = rest.indexOf('\r\n\r\n');
      if (end < 0) return out;
      const [line, ...fields] = rest.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const f of fields) headers[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      let at = end + 4;
      let body = '';
      if (headers['transfer-encoding'] === 'chunked') {
        for (;;) {
          const eol = rest.indexOf('\r\n', at);
          if (eol < 0) return out;
          const size = parseInt(rest.slice(at, eol), 16);
          if (rest.length < eol + 2 + size + 2) return out;
          body += rest.slice(eol + 2, eol + 2 + size);
          at = eol + 2 + size + 2;
          if (size === 0) break;
        }
      } else {
        const length = Number(headers['content-length'] ?? 0);
        if (rest.length < at + length) return out;
        body = rest.slice(at, at + length);
        at += length;
      }
      out.push({ status: Number(line.split(' ')[1]), headers, body });
      rest = rest.slice(at);
    }
  }
  close() { this.socket.destroy(); }
}

const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, CONTINUATION: 9 };
const END_STREAM = 1, END_HEADERS = 4, ACK = 1;
const H2_ERRORS = ['NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED', 'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM'];

function frame(type: number, flags: number, stream: number, payload = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}
/** An HPACK integer (RFC 7541 §5.1). */
function int(value: number, bits: number, first: number): number[] {
  const max = (1 << bits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) + 128);
  return [...out, value];
}
const hstr = (s: string) => Buffer.concat([Buffer.from(int(s.length, 7, 0)), Buffer.from(s, 'latin1')]);
/** Literal fields without indexing, new names, no Huffman: any bytes go, malformed ones too. */
const hpack = (fields: [string, string][]) => Buffer.concat(fields.flatMap(([n, v]) => [Buffer.from([0]), hstr(n), hstr(v)]));
const GET = (path = '/ok'): [string, string][] => [[':method', 'GET'], [':path', path], [':scheme', 'http'], [':authority', 'svc.example']];
const POST: [string, string][] = [[':method', 'POST'], [':path', '/'], [':scheme', 'http'], [':authority', 'svc.example']];

interface Frame { type: number; flags: number; stream: number; payload: Buffer }

class RawH2 {
  readonly socket: net.Socket;
  frames: Frame[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  #wakers: (() => void)[] = [];
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#parse(); });
    this.socket.on('close', () => { this.closed = true; this.#wake(); });
    this.socket.on('error', () => {});
    this.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(T.SETTINGS, 0, 0)]));
  }
  #wake() { for (const w of this.#wakers.splice(0)) w(); }
  #parse() {
    while (this.#buf.length >= 9 && this.#buf.length >= 9 + this.#buf.readUIntBE(0, 3)) {
      const length = this.#buf.readUIntBE(0, 3);
      const f = { type: this.#buf[3], flags: this.#buf[4], stream: this.#buf.readUInt32BE(5) & 0x7fffffff, payload: this.#buf.subarray(9, 9 + length) };
      this.#buf = this.#buf.subarray(9 + length);
      this.frames.push(f);
      if (f.type === T.SETTINGS && !(f.flags & ACK)) this.write(frame(T.SETTINGS, ACK, 0));
    }
    this.#wake();
  }
  write(b: Buffer) { if (!this.socket.destroyed && this.socket.writable) this.socket.write(b); }
  until(pred: () => boolean, ms = 3000) { return until(pred, ms, (w) => this.#wakers.push(w)); }
  count(type: number) { return this.frames.filter((f) => f.type === type).length; }
  rst(stream: number): string | undefined {
    const f = this.frames.find((x) => x.type === T.RST_STREAM && x.stream === stream);
    return f && H2_ERRORS[f.payload.readUInt32BE(0)];
  }
  goaway(): string | undefined {
    const f = this.frames.find((x) => x.type === T.GOAWAY);
    return f && H2_ERRORS[f.payload.readUInt32BE(4)];
  }
  /** A response's :status, where it is an indexed static-table entry (RFC 7541 Appendix A), as nghttp2 sends those. */
  status(stream: number): number | undefined {
    const f = this.frames.find((x) => x.type === T.HEADERS && x.stream === stream);
    return f && ({ 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 } as Record<number, number>)[f.payload[0]];
  }
  ended() { return this.closed || this.goaway() !== undefined; }
  /**
   * Writes a burst, then waits until the server has read it all (the ACK of a PING sent after it)
   * or ended the session: a server that closes with unread input sends a TCP reset, which can
   * overtake its GOAWAY.
   */
  async burst(b: Buffer): Promise<void> {
    const id = Buffer.alloc(8);
    id.writeUInt32BE(++this.#pings);
    this.write(Buffer.concat([b, frame(T.PING, 0, 0, id)]));
    await this.until(() => this.ended() || this.frames.some((f) => f.type === T.PING && (f.flags & ACK) !== 0 && f.payload.equals(id)));
  }
  #pings = 0;
  close() { this.socket.destroy(); }
}

// ---------------------------------------------------------------------------------------------
// Set-up: a service on svc.example, '/admin' routed to its own target; a second data plane with
// small limits for the slow-client cases.

let h: Harness;
let port: number;
let slowPort: number;
let targets: { port: number; close(): Promise<void> }[] = [];
let slow: { dataPlane: DataPlane; stop(): void; store: SqliteStore } | undefined;
let serviceArn = '';
const SMALL = { headersTimeoutMs: 300, requestTimeoutMs: 600, idleTimeoutMs: 200, sendTimeoutMs: 300, maxBodyBytes: 1024 * 1024 };

before(async () => {
  if (!cases) return;
  h = await startHarness();
  targets = [await startTarget('pub'), await startTarget('admin')];
  port = await freePort();
  const vpcId = h.trellis.defaultVpcId;
  const network = await createNetwork(h.client, vpcId);
  const svc = await h.client.send(new CreateServiceCommand({ name: 'hardening', customDomainName: 'svc.example' }));
  serviceArn = svc.arn!;
  const pub = await createTargetGroup(h.client, 'hardening-pub', [targets[0].port], { vpcId });
  const admin = await createTargetGroup(h.client, 'hardening-admin', [targets[1].port], { vpcId });
  const listener = await h.client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'http', protocol: 'HTTP', port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: pub.id }] } },
  }));
  await h.client.send(new CreateRuleCommand({
    serviceIdentifier: svc.id, listenerIdentifier: listener.id, name: 'admin', priority: 1,
    match: { httpMatch: { pathMatch: { match: { prefix: '/admin' }, caseSensitive: true } } },
    action: { forward: { targetGroups: [{ targetGroupIdentifier: admin.id }] } },
  }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));

  // The same store, compiled again, behind a data plane whose timeouts take milliseconds.
  slowPort = await freePort();
  const store = new SqliteStore(join(h.dataDir, 'trellis.db'));
  const { view, stop } = await View.open(store);
  const dataPlane = new DataPlane(compile(view, view.revision, h.trellis.region), {
    host: '127.0.0.1', portOffset: slowPort - port, routableIn: (tg) => new Uint8Array(tg.targets.length).fill(1), certificates: new Certificates(await LocalCa.open(h.dataDir)), limits: SMALL,
  });
  slow = { dataPlane, stop, store };
  await dataPlane.apply(dataPlane.snapshot);

  // Bounded poll until both data planes route svc.example (the first applies Snapshots as they come).
  for (const p of [port, slowPort]) {
    let status: number | undefined;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      const c = new RawH1(p);
      c.write('GET /ok HTTP/1.1\r\nHost: svc.example\r\n\r\n');
      await c.until(() => c.responses().length > 0 || c.closed);
      c.close();
      status = c.responses()[0]?.status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, `the service answers on port ${p}`);
  }
  got.length = 0;
});

after(async () => {
  if (!cases) return;
  await slow?.dataPlane.close();
  slow?.stop();
  slow?.store.close();
  await h.close();
  await Promise.all(targets.map((t) => t.close()));
});

// ---------------------------------------------------------------------------------------------
// HTTP/1.1: what each normalize / accept case must have delivered, and where.

const FOLLOW_UP = 'GET /ok HTTP/1.1\r\nHost: svc.example\r\n\r\n';

/** [target, url] of the one request a case must have delivered. */
const ROUTED: Record<string, [string, string]> = {
  'PATH-01': ['admin', '/admin'],
  'PATH-03': ['admin', '/admin'],
  'PATH-04': ['admin', '/admin'],
  'PATH-05': ['admin', '/admin/x'],
  'PATH-06': ['admin', '/admin/x'],
  'PATH-10': ['pub', '/ADMIN/x'], // path matching is case-sensitive where the rule says so
  'PATH-11': ['pub', '/public/%252e%252e/admin'], // decoded once: '%2e%2e' is no dot segment
  'PATH-15': ['admin', '/admin/'],
  'PATH-16': ['admin', '/admin'],
  'PATH-17': ['pub', '/public?x=/../admin'],
  'HDR-02': ['pub', '/?next=%0d%0aSet-Cookie:%20x=1'],
  'HDR-08': ['pub', '/'],
  'HDR-09': ['pub', '/'],
  'HDR-10': ['pub', '/'],
  'HDR-11': ['pub', '/'],
  'SMUG-26': ['pub', '/'],
  'TGT-08': ['pub', '/'],
};

/** Further checks of what the target received. */
const RECEIVED: Record<string, (g: Got, r: Response) => void> = {
  'SMUG-26': (g) => {
    // The 42 bytes are the first request's body, never a second request.
    assert.equal(g.method, 'GET');
    assert.equal(g.headers['content-length'], '42');
    assert.equal(g.body, 'GET /admin HTTP/1.1\r\nHost: svc.example\r\n\r\n');
  },
  'HDR-02': (g, r) => {
    assert.equal(g.headers['set-cookie'], undefined);
    assert.equal(r.headers['set-cookie'], undefined);
  },
  'HDR-08': (g) => {
    assert.equal(g.headers['x-amzn-lattice-identity'], undefined);
    assert.equal(g.headers['x-amzn-lattice-identity-tags'], undefined);
    assert.equal(g.headers['x-amzn-lattice-network'], `SourceVpcArn=arn:aws:ec2:${h.trellis.region}:${h.trellis.accountId}:vpc/${h.trellis.defaultVpcId}`);
    assert.ok(String(g.headers['x-amzn-lattice-target']).startsWith(`ServiceArn=${serviceArn};`));
  },
  'HDR-09': (g) => {
    assert.equal(g.headers['x-forwarded-for'], '127.0.0.1');
    // Lattice sends x-forwarded-for-proto (User Guide, "HTTP targets"); a client's x-forwarded-proto is dropped.
    assert.equal(g.headers['x-forwarded-for-proto'], 'http');
    assert.equal(g.headers['x-forwarded-proto'], undefined);
  },
  'HDR-10': (g) => {
    assert.equal(g.headers.authorization, undefined);
    assert.equal(g.headers['x-amz-security-token'], undefined);
    assert.ok([undefined, 'keep-alive'].includes(g.headers.connection), 'only the proxy\'s own Connection header');
    assert.equal(g.headers['x-forwarded-for'], '127.0.0.1', 'a Connection header cannot remove what the proxy adds');
    assert.ok(g.headers['x-amzn-lattice-network']);
  },
  'HDR-11': (g) => assert.equal(g.headers['x-env'], 'prod'),
  // Routed by the lower-cased name without its dot or port; forwarded with Host as received.
  'TGT-08': (g) => assert.equal(g.headers.host, 'SVC.Example.:443'),
};

/** Cases we answer by refusing where the vectors allow it. */
const REFUSED: Record<string, { status: number; close: boolean }> = {
  'TGT-01': { status: 400, close: true }, // absolute-form: we are no forward proxy (RFC 9112 §3.2.2)
};

async function h1Case(c: Case): Promise<void> {
  const from = got.length;
  const conn = new RawH1(port);
  try {
    conn.write(Buffer.from(c.raw_b64!, 'base64'));
    const refused = REFUSED[c.id] ?? (c.expected.action === 'reject' ? { status: c.expected.status!, close: c.expected.close_connection } : undefined);
    if (refused) {
      await conn.until(() => conn.responses().length > 0 && (!refused.close || conn.closed));
      assert.equal(conn.responses()[0]?.status, refused.status, `${c.id}: ${conn.data.toString('latin1').slice(0, 200)}`);
      assert.equal(got.length, from, `${c.id} must not reach a target`);
      if (refused.close) {
        assert.ok(conn.closed, `${c.id}: the connection must close`);
        assert.equal(conn.responses().length, 1);
      } else if (refused.close === false) {
        conn.write(FOLLOW_UP);
        await conn.until(() => conn.responses().length > 1);
        assert.equal(conn.responses()[1]?.status, 200, `${c.id}: the connection stays usable`);
      }
      return;
    }
    const where = ROUTED[c.id];
    assert.ok(where, `${c.id}: no expectation written for this case`);
    await conn.until(() => conn.responses().length > 0);
    const res = conn.responses()[0];
    assert.equal(res?.status, 200, `${c.id}: ${conn.data.toString('latin1').slice(0, 200)}`);
    const delivered = got.slice(from);
    assert.equal(delivered.length, 1, `${c.id}: exactly one request reaches a target`);
    assert.deepEqual([delivered[0].target, delivered[0].url], where);
    RECEIVED[c.id]?.(delivered[0], res);
    if (c.id === 'HDR-10') {
      await conn.until(() => conn.closed);
      assert.ok(conn.closed, 'Connection: close is honoured');
    } else {
      conn.write(FOLLOW_UP);
      await conn.until(() => conn.responses().length > 1);
      assert.equal(conn.responses()[1]?.status, 200, `${c.id}: the connection stays usable`);
      assert.deepEqual(got.slice(from + 1).map((g) => g.url), ['/ok']);
    }
  } finally {
    conn.close();
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP/2: malformed requests are reset (the session lives on); floods end the session.

async function h2Case(c: Case): Promise<void> {
  const from = got.length;
  const s = new RawH2(port);
  try {
    const frames = c.frames ?? [];
    for (const f of frames) {
      if (f.type === 'HEADERS') {
        const flags = f.flags ? (f.flags.includes('END_HEADERS') ? END_HEADERS : 0) | (f.flags.includes('END_STREAM') ? END_STREAM : 0) : frames.length > 1 ? END_HEADERS : END_HEADERS | END_STREAM;
        s.write(frame(T.HEADERS, flags, 1, hpack(f.headers ?? [])));
      } else if (f.type === 'DATA') {
        s.write(frame(T.DATA, END_STREAM, 1, Buffer.alloc(f.length ?? 0, 'd')));
      }
    }
    await s.until(() => s.rst(1) !== undefined || s.status(1) !== undefined || s.ended());
    if (c.id === 'H2-07') {
      // Node's HTTP/2 binding drops a field nghttp2 finds invalid (node_http2.cc, OnInvalidHeader)
      // rather than resetting the stream: the request goes on without it, so nothing is injected.
      if (s.rst(1) === undefined) {
        assert.equal(s.status(1), 200);
        const g = got.slice(from);
        assert.equal(g.length, 1);
        assert.equal(g[0].headers['x-a'], undefined);
        assert.equal(g[0].headers['transfer-encoding'], undefined);
        assert.ok(Object.values(g[0].headers).every((v) => !/[\r\n\0]/.test(String(v))));
      } else {
        assert.equal(s.rst(1), 'PROTOCOL_ERROR');
      }
      // Other control characters too: dropped, never forwarded.
      s.write(frame(T.HEADERS, END_HEADERS | END_STREAM, 3, hpack([...GET(), ['x-a', '1\x01b']])));
      await s.until(() => s.rst(3) !== undefined || s.status(3) !== undefined || s.ended());
      assert.ok(s.rst(3) === 'PROTOCOL_ERROR' || (s.status(3) === 200 && got.at(-1)?.headers['x-a'] === undefined));
      return;
    }
    assert.equal(got.length, from, `${c.id} must not reach a target`);
    if (c.id === 'H2-11') {
      // nghttp2 reports the overrun as a session error: Node answers GOAWAY, not a stream reset.
      await s.until(() => s.rst(1) !== undefined || s.ended());
      assert.ok(s.rst(1) === 'PROTOCOL_ERROR' || s.goaway() !== undefined, `${c.id}: reset or GOAWAY`);
      return;
    }
    const allows400 = c.expected.h2_error?.includes('400') ?? false;
    if (!(allows400 && s.status(1) === 400)) assert.equal(s.rst(1), 'PROTOCOL_ERROR', `${c.id}: ${c.expected.h2_error}`);
    // A stream error, not a connection error: the next stream is served.
    s.write(frame(T.HEADERS, END_HEADERS | END_STREAM, 3, hpack(GET())));
    await s.until(() => s.status(3) !== undefined || s.ended());
    assert.equal(s.status(3), 200, `${c.id}: the session stays usable`);
  } finally {
    s.close();
  }
}

const H2_FLOODS: Record<string, () => Promise<void>> = {
  'H2-12': async () => {
    // Rapid Reset: HEADERS + RST_STREAM(CANCEL) in a loop, never more than one stream open.
    const rapidReset = async (perWrite: number) => {
      const s = new RawH2(port);
      try {
        let sent = 0;
        while (sent < 100_000 && !s.ended()) {
          const pairs: Buffer[] = [];
          for (let i = 0; i < perWrite; i++, sent++) pairs.push(frame(T.HEADERS, END_HEADERS | END_STREAM, 1 + 2 * sent, hpack(GET())), frame(T.RST_STREAM, 0, 1 + 2 * sent, Buffer.from([0, 0, 0, 8])));
          await s.burst(Buffer.concat(pairs));
        }
        await s.until(() => s.closed);
        assert.ok(s.closed);
        return { goaway: s.goaway(), sent };
      } finally {
        s.close();
      }
    };
    // Paced so that Node keeps up: guard.ts counts the premature resets and calms the session.
    const paced = await rapidReset(50);
    assert.equal(paced.goaway, 'ENHANCE_YOUR_CALM');
    assert.ok(paced.sent <= 600, `paced: stopped after ${paced.sent} streams`);
    // Bursts of 1,000: the streams pile up inside Node before it can close them, it refuses those
    // past SETTINGS_MAX_CONCURRENT_STREAMS and ends the session when it has refused 100
    // (maxSessionRejectedStreams), with INTERNAL_ERROR.
    const burst = await rapidReset(1000);
    assert.ok(burst.goaway === 'INTERNAL_ERROR' || burst.goaway === 'ENHANCE_YOUR_CALM', `burst: ${burst.goaway}`);
    assert.ok(burst.sent <= 2000, `burst: stopped after ${burst.sent} streams`);
  },
  'H2-13': async () => {
    // HEADERS without END_HEADERS, then 16 KiB CONTINUATION frames of valid fields, never ending.
    const s = new RawH2(port);
    try {
      s.write(frame(T.HEADERS, 0, 1, hpack(GET())));
      let n = 0;
      for (; n < 1000 && !s.ended(); n++) {
        const name = `x-c${n}`;
        s.write(frame(T.CONTINUATION, 0, 1, hpack([[name, 'c'.repeat(16384 - 6 - name.length)]])));
        if (n % 8 === 7) await s.until(() => s.ended(), 10);
      }
      await s.until(() => s.closed);
      assert.ok(s.goaway() !== undefined && s.closed, `GOAWAY and close (${n} frames sent)`);
      assert.ok(n * 16384 < 4 * 60 * 1024 + 16 * 16384, `closed after ${n} frames`);
    } finally {
      s.close();
    }
  },
  'H2-14': async () => {
    // 100,000 PINGs: nghttp2 stops queueing their ACKs and Node ends the session.
    const s = new RawH2(port);
    try {
      // More than nghttp2's 1,000 queued ACKs arrive in one read.
      const pings = Buffer.concat(Array.from({ length: 2500 }, () => frame(T.PING, 0, 0, Buffer.alloc(8))));
      for (let batch = 0; batch < 40 && !s.ended(); batch++) await s.burst(pings);
      await s.until(() => s.closed);
      assert.ok(s.goaway() !== undefined && s.closed, 'GOAWAY and close');
      assert.ok(s.count(T.PING) < 100_000, `${s.count(T.PING)} PING ACKs`);
    } finally {
      s.close();
    }
  },
  'H2-15': async () => {
    // Empty DATA frames without END_STREAM on an open stream: Node counts them as invalid frames.
    const s = new RawH2(port);
    try {
      s.write(frame(T.HEADERS, END_HEADERS, 1, hpack(POST)));
      const empties = Buffer.concat(Array.from({ length: 1000 }, () => frame(T.DATA, 0, 1)));
      for (let batch = 0; batch < 100 && !s.ended(); batch++) await s.burst(empties);
      await s.until(() => s.closed);
      assert.ok(s.goaway() !== undefined && s.closed, 'GOAWAY and close');
    } finally {
      s.close();
    }
  },
  'H2-16': async () => {
    // 1,000 streams left open at once (before our SETTINGS are acknowledged): those beyond 100 refused.
    const s = new RawH2(port);
    try {
      s.write(Buffer.concat(Array.from({ length: 1000 }, (_, i) => frame(T.HEADERS, END_HEADERS, 1 + 2 * i, hpack(POST)))));
      await s.until(() => s.count(T.RST_STREAM) >= 900 || s.ended());
      const refused = s.frames.filter((f) => f.type === T.RST_STREAM);
      assert.equal(refused.length, 900);
      assert.ok(refused.every((f) => H2_ERRORS[f.payload.readUInt32BE(0)] === 'REFUSED_STREAM'));
      assert.equal(Math.min(...refused.map((f) => f.stream)), 201, 'the 101st stream is the first refused');
      assert.equal(s.ended(), false, 'the session lives on');
    } finally {
      s.close();
    }
  },
  'H2-17': async () => {
    // HPACK bomb: one 4 KB dynamic-table entry, then 5,000 one-byte references to it (20 MB decoded).
    const from = got.length;
    const s = new RawH2(port);
    try {
      const entry = Buffer.concat([Buffer.from([0x40]), hstr('x-b'), hstr('b'.repeat(4000))]);
      s.write(frame(T.HEADERS, END_HEADERS | END_STREAM, 1, Buffer.concat([hpack(GET()), entry, Buffer.alloc(5000, 0x80 | 62)])));
      await s.until(() => s.rst(1) !== undefined || s.status(1) !== undefined || s.ended());
      // Node resets the stream with ENHANCE_YOUR_CALM once the list passes its limits.
      assert.ok(['REFUSED_STREAM', 'ENHANCE_YOUR_CALM', 'COMPRESSION_ERROR'].includes(s.rst(1) ?? s.goaway() ?? ''), `reset: ${s.rst(1)} goaway: ${s.goaway()}`);
      assert.equal(got.length, from);
    } finally {
      s.close();
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Slow clients, against the data plane with small limits (SMALL).

const SLOW: Record<string, (raw: Buffer) => Promise<void>> = {
  'SLOW-01': async (raw) => {
    // Header bytes that never finish: 408 and close once headersTimeoutMs has passed.
    const c = new RawH1(slowPort);
    try {
      c.write(raw);
      await c.until(() => c.closed, 5000);
      assert.ok(c.closed);
      assert.deepEqual(c.responses().map((r) => r.status), [408]);
    } finally {
      c.close();
    }
  },
  'SLOW-02': async (raw) => {
    // A body trickled a byte every 50 ms: the trickle does not extend requestTimeoutMs.
    const from = got.length;
    const c = new RawH1(slowPort);
    try {
      c.write(raw);
      for (let i = 0; i < 100 && !c.closed; i++) {
        await c.until(() => c.closed, 50);
        c.write('a');
      }
      assert.ok(c.closed);
      assert.deepEqual(c.responses().map((r) => r.status), [408]);
      assert.equal(got.length, from, 'the target never gets a complete request');
    } finally {
      c.close();
    }
  },
  'SLOW-03': async (raw) => {
    // A client that never reads a large response: within sendTimeoutMs of the last write
    // progress the connection is closed and the target's response aborted.
    const aborted = largeAbortedNow();
    const c = new RawH1(slowPort);
    try {
      c.socket.pause();
      c.write(raw);
      let timer: NodeJS.Timeout | undefined;
      const released = await Promise.race([aborted.then(() => true), new Promise<false>((r) => { timer = setTimeout(() => r(false), 10_000); })]);
      clearTimeout(timer);
      assert.ok(released, 'the target response is released');
      c.socket.resume();
      await c.until(() => c.closed, 10_000);
      assert.ok(c.closed);
      assert.ok(c.data.length < LARGE, `received ${c.data.length} bytes`);
    } finally {
      c.close();
    }
  },
  'SLOW-04': async (raw) => {
    // An idle kept-alive connection: closed after idleTimeoutMs (plus Node's 1 s keep-alive buffer).
    const c = new RawH1(slowPort);
    try {
      c.write(raw);
      await c.until(() => c.responses().length > 0);
      assert.equal(c.responses()[0].status, 200);
      await c.until(() => c.closed, 5000);
      assert.ok(c.closed);
    } finally {
      c.close();
    }
  },
};

// ---------------------------------------------------------------------------------------------

if (!cases) {
  test('HTTP hardening vectors', { skip: `no vectors at ${VECTORS}` }, () => {});
} else {
  for (const c of cases) {
    test(`${c.id}: ${c.title}`, async () => {
      if (c.protocol === 'HTTP/2') return H2_FLOODS[c.id] ? H2_FLOODS[c.id]() : h2Case(c);
      if (c.expected.action === 'mitigate') {
        assert.ok(SLOW[c.id], `${c.id}: no test written for this case`);
        return SLOW[c.id](Buffer.from(c.raw_b64!, 'base64'));
      }
      return h1Case(c);
    });
  }

  test('HTTP/2: a client that never reads a large response has that stream reset after sendTimeoutMs, the target\'s response released', async () => {
    // No WINDOW_UPDATE is ever sent: the server can send the first 64 KB, then makes no progress.
    const aborted = largeAbortedNow();
    const s = new RawH2(slowPort);
    try {
      s.write(frame(T.HEADERS, END_HEADERS | END_STREAM, 1, hpack(GET('/large'))));
      let timer: NodeJS.Timeout | undefined;
      const released = await Promise.race([aborted.then(() => true), new Promise<false>((r) => { timer = setTimeout(() => r(false), 10_000); })]);
      clearTimeout(timer);
      assert.ok(released, 'the target response is released');
      await s.until(() => s.rst(1) !== undefined || s.closed, 5000);
      assert.ok(s.rst(1) !== undefined || s.closed, 'the stream is reset (or the session closed)');
      assert.equal(s.status(1), 200, 'the response had begun');
      const data = s.frames.filter((f) => f.type === T.DATA && f.stream === 1).reduce((n, f) => n + f.payload.length, 0);
      assert.ok(data <= 65_535, `${data} bytes: no more than the initial window`);
    } finally {
      s.close();
    }
  });

  test('a chunked body beyond maxBodyBytes is refused with 413 and the connection closed', async () => {
    const from = got.length;
    const c = new RawH1(slowPort);
    try {
      const chunk = 'z'.repeat(0x90000);
      c.write(`POST / HTTP/1.1\r\nHost: svc.example\r\nTransfer-Encoding: chunked\r\n\r\n90000\r\n${chunk}\r\n90000\r\n${chunk}\r\n`);
      await c.until(() => c.closed);
      assert.deepEqual(c.responses().map((r) => r.status), [413]);
      assert.equal(got.length, from);
    } finally {
      c.close();
    }
  });
}
