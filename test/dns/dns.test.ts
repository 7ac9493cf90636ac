// The DNS server under real clients, `dig` and Node's resolver, over real sockets:
// - against a real Trellis set up through the SDK: who resolves a service's names, TTLs, NXDOMAIN
//   with SOA, case, AAAA, REFUSED for other names, UDP and TCP;
// - against our server with a hand-built Snapshot and a fake upstream resolver (a dns-packet server
//   written here): forwarding, upstream failover, truncation and TCP fallback, EDNS, pipelined TCP,
//   malformed packets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket as TcpSocket } from 'node:net';
import { promises as dnsPromises } from 'node:dns';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode, encode, RECURSION_DESIRED, TRUNCATED_RESPONSE, type Answer, type Packet, type Question } from 'dns-packet';
import { CreateServiceCommand, CreateServiceNetworkServiceAssociationCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { createNetwork } from '../helpers/lattice.ts';
import { startDnsServer, type DnsServer } from '../../src/dns/server.ts';
import { parseCidr } from '../../src/core/cidr.ts';
import type { ServicePlan, Snapshot } from '../../src/compile/snapshot.ts';

const DIG = '/usr/bin/dig';
const hasDig = existsSync(DIG);
const noDig = hasDig ? false : `${DIG} is missing`;

const OTHER_VPC_CLIENT = '127.1.0.1'; // Outside the default VPC (127.0.0.0/16) and any other.

// ---------------------------------------------------------------------------------------------
// dig, parsed.

interface DigRecord { name: string; ttl: number; type: string; data: string }
interface DigResult { status: string; flags: string[]; answers: DigRecord[]; authority: DigRecord[]; edns?: string; retriedTcp: boolean; text: string }

function dig(server: string, args: string[]): Promise<DigResult> {
  const [host, port] = server.split(':');
  return new Promise((resolve, reject) => {
    execFile(DIG, [`@${host}`, '-p', port, '+tries=1', '+time=3', ...args], { timeout: 15_000 }, (err, stdout) => {
      if (err && !stdout) return reject(err);
      const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
      const flagsLines = [...stdout.matchAll(/;; flags: ([^;]*);/g)];
      const flags = (flagsLines.at(-1)?.[1] ?? '').trim().split(/\s+/);
      resolve({
        status, flags, text: stdout,
        answers: section(stdout, 'ANSWER'), authority: section(stdout, 'AUTHORITY'),
        edns: /; EDNS: ([^\n]*)/.exec(stdout)?.[1],
        retriedTcp: stdout.includes('Truncated, retrying in TCP mode'),
      });
    });
  });
}

function section(text: string, name: string): DigRecord[] {
  // The last response's section (after a TCP retry, dig prints the first one too).
  const parts = text.split(`;; ${name} SECTION:\n`);
  if (parts.length < 2) return [];
  const lines = parts.at(-1)!.split('\n\n')[0].split('\n').filter((l) => l && !l.startsWith(';'));
  return lines.map((l) => {
    const [recordName, ttl, , type, ...data] = l.split(/\s+/);
    return { name: recordName, ttl: Number(ttl), type, data: data.join(' ') };
  });
}

function resolver(server: string, localAddress?: string): dnsPromises.Resolver {
  const r = new dnsPromises.Resolver({ timeout: 3000, tries: 1 });
  r.setServers([server]);
  if (localAddress) r.setLocalAddress(localAddress);
  return r;
}

const errorCode = (p: Promise<unknown>) => p.then(() => 'resolved', (err: NodeJS.ErrnoException) => err.code);

/** Retries `check` until it stops throwing (bounded): Snapshots apply just after the API replies. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= 100) throw err;
      await sleep(50);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Part 1: a real Trellis, set up through the SDK.

let h: Harness;
let server: string; // "127.0.0.1:port" of the DNS server under test
let generated: string;
let unassociatedId: string;
let unassociatedName: string;
let networkId: string;
const CUSTOM = 'orders.dns-test.example';

before(async () => {
  h = await startHarness();
  const network = await createNetwork(h.client, h.trellis.defaultVpcId);
  networkId = network.id;
  const svc = await h.client.send(new CreateServiceCommand({ name: 'dns-orders', customDomainName: CUSTOM }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));
  generated = svc.dnsEntry!.domainName!;
  const lonely = await h.client.send(new CreateServiceCommand({ name: 'dns-lonely' }));
  unassociatedId = lonely.id!;
  unassociatedName = lonely.dnsEntry!.domainName!;

  server = h.trellis.dns;
});

after(async () => {
  await h.close();
});

test('dig: a client in the default VPC gets the service\'s A record, authoritative, TTL 60, over UDP and TCP', { skip: noDig }, async () => {
  for (const extra of [[], ['+tcp']]) {
    const r = await dig(server, [generated, 'A', ...extra]);
    assert.equal(r.status, 'NOERROR');
    assert.ok(r.flags.includes('aa'), r.text);
    assert.deepEqual(r.answers, [{ name: `${generated}.`, ttl: 60, type: 'A', data: h.trellis.dataPlaneAddress }]);
  }
});

test('dig: a client in no VPC gets NXDOMAIN with the zone\'s SOA (negative TTL 60)', { skip: noDig }, async () => {
  const r = await dig(server, ['-b', OTHER_VPC_CLIENT, generated, 'A']);
  assert.equal(r.status, 'NXDOMAIN');
  assert.equal(r.answers.length, 0);
  assert.equal(r.authority.length, 1);
  assert.equal(r.authority[0].type, 'SOA');
  assert.equal(r.authority[0].name, `vpc-lattice-svcs.${h.trellis.region}.on.aws.`);
  assert.equal(r.authority[0].ttl, 60);
  assert.equal(r.authority[0].data.split(' ').at(-1), '60'); // SOA MINIMUM
});

test('dig: names are case-insensitive and answers echo the question\'s case', { skip: noDig }, async () => {
  const mixed = 'DNS-Orders' + generated.slice('dns-orders'.length).toUpperCase();
  const r = await dig(server, [mixed, 'A']);
  assert.equal(r.status, 'NOERROR');
  assert.equal(r.answers[0].name, `${mixed}.`);
  assert.match(r.text, new RegExp(`;${mixed.replace(/\./g, '\\.')}\\.\\s+IN\\s+A`));
});

test('dig: AAAA is NODATA with SOA (the data plane has no IPv6 address); other names REFUSED without upstreams', { skip: noDig }, async () => {
  const aaaa = await dig(server, [generated, 'AAAA']);
  assert.equal(aaaa.status, 'NOERROR');
  assert.equal(aaaa.answers.length, 0);
  assert.equal(aaaa.authority[0]?.type, 'SOA');
  const other = await dig(server, ['example.com', 'A']);
  assert.equal(other.status, 'REFUSED');
  assert.ok(!other.flags.includes('aa'));
});

test('dig: the custom domain name resolves for the VPC that reaches the service only', { skip: noDig }, async () => {
  const inside = await dig(server, [CUSTOM, 'A']);
  assert.equal(inside.status, 'NOERROR');
  assert.equal(inside.answers[0]?.data, h.trellis.dataPlaneAddress);
  const outside = await dig(server, ['-b', OTHER_VPC_CLIENT, CUSTOM, 'A']);
  assert.equal(outside.status, 'NXDOMAIN');
  assert.equal(outside.authority[0]?.name, `${CUSTOM}.`);
});

test('a service becomes resolvable once associated with the VPC\'s service network', { skip: noDig }, async () => {
  assert.equal((await dig(server, [unassociatedName, 'A'])).status, 'NXDOMAIN');
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: unassociatedId, serviceNetworkIdentifier: networkId }));
  await eventually(async () => {
    const r = await dig(server, [unassociatedName, 'A']);
    assert.equal(r.status, 'NOERROR');
    assert.equal(r.answers[0]?.data, h.trellis.dataPlaneAddress);
  });
});

test('Node\'s resolver: addresses with TTL inside the VPC; ENOTFOUND outside; ENODATA for AAAA; EREFUSED elsewhere', async () => {
  const inside = resolver(server);
  const outside = resolver(server, OTHER_VPC_CLIENT);
  try {
    assert.deepEqual(await inside.resolve4(generated, { ttl: true }), [{ address: h.trellis.dataPlaneAddress, ttl: 60 }]);
    assert.deepEqual(await inside.resolve4(generated.toUpperCase()), [h.trellis.dataPlaneAddress]);
    assert.equal(await errorCode(outside.resolve4(generated)), 'ENOTFOUND');
    assert.equal(await errorCode(inside.resolve6(generated)), 'ENODATA');
    assert.equal(await errorCode(inside.resolve4('example.com')), 'EREFUSED');
  } finally {
    inside.cancel();
    outside.cancel();
  }
});

// ---------------------------------------------------------------------------------------------
// Part 2: our server over a hand-built Snapshot, with a fake upstream resolver.

const ZONE = 'vpc-lattice-svcs.us-east-1.on.aws';
const NAME = `api-0a1b2c3d4e5f67890.abc1234.${ZONE}`;
const BIG_COUNT = 100; // 100 A records of big.test: about 2.4 kB uncompressed, over 1232 bytes.

function handBuilt(): Snapshot {
  const service: ServicePlan = {
    id: 'svc-api', arn: 'arn:svc-api', name: 'api', account: '111122223333', authType: 'NONE', dnsName: NAME, idleTimeoutSeconds: 60, tags: {},
    networks: new Map([['vpc-default', { id: 'sn-1', arn: 'arn:sn-1', authType: 'NONE', vpcAssociationId: 'snva-1', securityGroupIds: [], securityGroups: [] }]]),
  };
  return {
    revision: 1, region: 'us-east-1', ports: new Map(), targetGroups: new Map(), names: new Map([[NAME, service]]),
    vpcs: [{ id: 'vpc-default', arn: 'arn:vpc-default', account: '111122223333', net: parseCidr('127.0.0.0/16')! }], vpcNetworks: new Map(),
  };
}

interface FakeUpstream { address: string; seen: { transport: 'udp' | 'tcp'; name: string }[]; close(): Promise<void> }

/** A small authoritative server for *.test over UDP and TCP, as a real upstream would be. */
async function startUpstream(): Promise<FakeUpstream> {
  const seen: FakeUpstream['seen'] = [];
  const reply = (msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    let q: ReturnType<typeof decode>;
    try { q = decode(msg); } catch { return undefined; }
    const question = q.questions?.[0];
    if (!question) return undefined;
    seen.push({ transport, name: question.name });
    const lower = question.name.toLowerCase();
    const answers: Answer[] = lower === 'small.test' ? [{ name: question.name, type: 'A', ttl: 123, data: '192.0.2.1' }]
      : lower === 'big.test' ? Array.from({ length: BIG_COUNT }, (_, i): Answer => ({ name: question.name, type: 'A', ttl: 300, data: `198.51.100.${i + 1}` }))
      : [];
    const opt = q.additionals?.find((a) => a.type === 'OPT');
    const response: Packet = {
      type: 'response', id: q.id, flags: (q.flags ?? 0) & RECURSION_DESIRED | (answers.length || lower === 'empty.test' ? 0 : 3), questions: [question], answers,
      additionals: opt ? [{ name: '.', type: 'OPT', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
    };
    const full = encode(response);
    const limit = opt && opt.type === 'OPT' ? Math.max(512, opt.udpPayloadSize) : 512;
    if (transport === 'udp' && full.length > limit) return encode({ ...response, flags: (response.flags ?? 0) | TRUNCATED_RESPONSE, answers: [] });
    return full;
  };
  const conns = new Set<TcpSocket>();
  const serveTcp = (sock: TcpSocket) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const r = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), 'tcp');
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (r) sock.write(Buffer.concat([Buffer.from([r.length >> 8, r.length & 0xff]), r]));
      }
    });
  };
  // UDP and TCP on one port. The port UDP got may be taken for TCP (another test's connection):
  // then another try, as src/dns/server.ts does, instead of waiting on a listen that failed.
  let udp: Socket | undefined;
  let tcp: ReturnType<typeof createServer> | undefined;
  for (let attempt = 0; !tcp; attempt++) {
    const u = createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    const t = createServer(serveTcp);
    try {
      await new Promise<void>((resolve, reject) => {
        t.once('error', reject);
        t.listen(u.address().port, '127.0.0.1', () => { t.off('error', reject); resolve(); });
      });
      udp = u;
      tcp = t;
    } catch (err) {
      u.close();
      if (attempt >= 4) throw err;
    }
  }
  const port = udp!.address().port;
  udp!.on('message', (msg, rinfo) => { const r = reply(msg, 'udp'); if (r) udp!.send(r, rinfo.port, rinfo.address); });
  return {
    address: `127.0.0.1:${port}`, seen,
    async close() {
      udp!.close();
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => tcp!.close(() => r()));
    },
  };
}

/** A UDP socket that never answers: an upstream that times out. */
async function startBlackHole(): Promise<{ address: string; close(): void }> {
  const s: Socket = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { address: `127.0.0.1:${s.address().port}`, close: () => s.close() };
}

let upstream: FakeUpstream;
let local: DnsServer;
let localAddr: string;

before(async () => {
  upstream = await startUpstream();
  local = await startDnsServer({ host: '127.0.0.1', port: 0, snapshot: handBuilt, dataPlaneAddress: '127.0.0.1', upstreams: [upstream.address], forwardTimeoutMs: 500, tcpIdleTimeoutMs: 500 });
  localAddr = `127.0.0.1:${local.port}`;
});
after(async () => {
  await local.close();
  await upstream.close();
});

test('forwarding: other names go to the upstream and come back as it answered (TTL included)', { skip: noDig }, async () => {
  const before = upstream.seen.length;
  const r = await dig(localAddr, ['Small.Test', 'A']);
  assert.equal(r.status, 'NOERROR');
  assert.ok(!r.flags.includes('aa'));
  assert.deepEqual(r.answers, [{ name: 'Small.Test.', ttl: 123, type: 'A', data: '192.0.2.1' }]);
  assert.deepEqual(upstream.seen.slice(before), [{ transport: 'udp', name: 'Small.Test' }]);
  assert.equal((await dig(localAddr, ['nothing.test', 'A'])).status, 'NXDOMAIN');
  const node = resolver(localAddr);
  try {
    assert.deepEqual(await node.resolve4('small.test', { ttl: true }), [{ address: '192.0.2.1', ttl: 123 }]);
  } finally {
    node.cancel();
  }
});

test('forwarding never covers our zone: its names are answered here, the upstream never asked', { skip: noDig }, async () => {
  const before = upstream.seen.length;
  const r = await dig(localAddr, [`missing.abc1234.${ZONE}`, 'A']);
  assert.equal(r.status, 'NXDOMAIN');
  assert.ok(r.flags.includes('aa'));
  assert.ok(r.flags.includes('ra'));
  assert.equal((await dig(localAddr, [NAME, 'A'])).answers[0]?.data, '127.0.0.1');
  assert.equal(upstream.seen.length, before);
});

test('truncation: a large upstream answer sets TC over UDP, dig retries over TCP and gets it all', { skip: noDig }, async () => {
  // We ask the upstream with the client's EDNS size; it truncates, we retry it over TCP.
  const retried = await dig(localAddr, ['big.test', 'A']); // dig's default EDNS size is 1232
  assert.ok(retried.retriedTcp, retried.text);
  assert.equal(retried.status, 'NOERROR');
  assert.equal(retried.answers.length, BIG_COUNT);
  // +ignore shows the truncated UDP reply itself.
  const cut = await dig(localAddr, ['big.test', 'A', '+ignore', '+bufsize=512']);
  assert.ok(cut.flags.includes('tc'), cut.text);
  assert.equal(cut.answers.length, 0);
  assert.match(cut.edns ?? '', /udp: 1232/);
  const noEdns = await dig(localAddr, ['big.test', 'A', '+ignore', '+noedns']);
  assert.ok(noEdns.flags.includes('tc'));
  assert.equal(noEdns.edns, undefined);
  // A client that takes 4096 bytes over UDP gets it all without retrying.
  const large = await dig(localAddr, ['big.test', 'A', '+bufsize=4096']);
  assert.ok(!large.retriedTcp && !large.flags.includes('tc'), large.text);
  assert.equal(large.answers.length, BIG_COUNT);
  // Node's resolver falls back to TCP as well.
  const node = resolver(localAddr);
  try {
    assert.equal((await node.resolve4('big.test')).length, BIG_COUNT);
  } finally {
    node.cancel();
  }
});

test('EDNS: the reply carries an OPT record only when the query did', { skip: noDig }, async () => {
  assert.match((await dig(localAddr, [NAME, 'A', '+bufsize=1400'])).edns ?? '', /version: 0, flags:; udp: 1232/);
  const plain = await dig(localAddr, [NAME, 'A', '+noedns']);
  assert.equal(plain.edns, undefined);
  assert.equal(plain.answers.length, 1);
});

test('upstreams that time out or refuse are skipped; when all fail the answer is SERVFAIL', { skip: noDig }, async () => {
  const hole = await startBlackHole();
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r())); // a port nobody listens on
  const failover = await startDnsServer({ host: '127.0.0.1', port: 0, snapshot: handBuilt, dataPlaneAddress: '127.0.0.1', upstreams: [hole.address, `127.0.0.1:${deadPort}`, upstream.address], forwardTimeoutMs: 300 });
  const hopeless = await startDnsServer({ host: '127.0.0.1', port: 0, snapshot: handBuilt, dataPlaneAddress: '127.0.0.1', upstreams: [hole.address], forwardTimeoutMs: 300 });
  try {
    const r = await dig(`127.0.0.1:${failover.port}`, ['small.test', 'A']);
    assert.equal(r.status, 'NOERROR');
    assert.equal(r.answers[0]?.data, '192.0.2.1');
    assert.equal((await dig(`127.0.0.1:${hopeless.port}`, ['small.test', 'A'])).status, 'SERVFAIL');
  } finally {
    await failover.close();
    await hopeless.close();
    hole.close();
  }
});

/** Sends length-prefixed messages over one TCP connection, in `chunks` pieces; collects `count` replies. */
function tcpExchange(port: number, messages: Buffer[], count: number, chunkSize?: number): Promise<{ replies: ReturnType<typeof decode>[]; sock: TcpSocket }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const replies: ReturnType<typeof decode>[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`got ${replies.length} of ${count} replies`)); }, 5000);
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length >= count) { clearTimeout(timer); resolve({ replies, sock }); }
    });
    sock.on('connect', async () => {
      const all = Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m])));
      if (!chunkSize) return void sock.write(all);
      for (let i = 0; i < all.length; i += chunkSize) {
        sock.write(all.subarray(i, i + chunkSize));
        await sleep(1);
      }
    });
  });
}

const q = (id: number, name: string, type = 'A'): Buffer => encode({ type: 'query', id, flags: RECURSION_DESIRED, questions: [{ name, type } as Question] });

test('TCP: several queries on one connection, sent at once or a few bytes at a time; FORMERR keeps the connection', async () => {
  const garbage = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
  const { replies, sock } = await tcpExchange(local.port, [q(1, NAME), q(2, 'small.test'), garbage, q(3, NAME, 'AAAA')], 4);
  sock.destroy();
  const byId = new Map(replies.map((r) => [r.id, r as ReturnType<typeof decode> & { rcode: string }]));
  assert.equal((byId.get(1)?.answers?.[0] as { data: string }).data, '127.0.0.1');
  assert.equal((byId.get(2)?.answers?.[0] as { data: string }).data, '192.0.2.1');
  assert.equal(byId.get(9)?.rcode, 'FORMERR');
  assert.equal(byId.get(3)?.rcode, 'NOERROR');
  const slow = await tcpExchange(local.port, [q(4, NAME), q(5, NAME)], 2, 3);
  slow.sock.destroy();
  assert.deepEqual(slow.replies.map((r) => r.id).sort(), [4, 5]);
});

test('TCP: an idle connection is closed; a half-sent huge message does not hold the server', async () => {
  const sock = connect(local.port, '127.0.0.1');
  await new Promise<void>((r) => sock.on('connect', () => r()));
  sock.write(Buffer.from([0xff, 0xff, 1, 2, 3])); // announces 65535 bytes, sends 3
  await new Promise<void>((resolve) => { sock.on('close', () => resolve()); sock.on('error', () => {}); sock.resume(); });
  const { replies, sock: again } = await tcpExchange(local.port, [q(6, NAME)], 1);
  again.destroy();
  assert.equal(replies[0].id, 6);
});

test('malformed UDP packets: no crash, no reply to responses or junk, and the server answers afterwards', { skip: noDig }, async () => {
  const s = createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const send = (b: Buffer) => new Promise<void>((r) => s.send(b, local.port, '127.0.0.1', () => r()));
  const junk = [
    Buffer.alloc(0), Buffer.from([1]), Buffer.alloc(11, 0xff), Buffer.alloc(512, 0xff), Buffer.alloc(1400, 0),
    encode({ type: 'response', id: 77, questions: [{ name: NAME, type: 'A' }] }),
    Buffer.concat([q(78, NAME).subarray(0, 20)]), // truncated mid-question: FORMERR
    encode({ type: 'query', id: 79, flags: 5 << 11, questions: [{ name: NAME, type: 'SOA' }] }), // UPDATE: NOTIMP
    Buffer.from([0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]), // a pointer to itself
  ];
  for (const b of junk) await send(b);
  await send(q(81, NAME));
  await eventually(async () => assert.ok(got.some((m) => decode(m).id === 81)));
  const ids = got.map((m) => decode(m) as ReturnType<typeof decode> & { rcode: string });
  assert.ok(!ids.some((r) => r.id === 77), 'a response was answered');
  assert.equal(ids.find((r) => r.id === 78)?.rcode, 'FORMERR');
  assert.equal(ids.find((r) => r.id === 79)?.rcode, 'NOTIMP');
  s.close();
  assert.equal((await dig(localAddr, [NAME, 'A'])).status, 'NOERROR');
});

test('cached answers: each reply carries its own query\'s ID and case, and a client in no VPC never gets another\'s answer', async () => {
  const ask = (id: number, name: string, from: string) => new Promise<Packet>((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); reject(new Error('no reply')); }, 2000);
    sock.on('message', (m) => { clearTimeout(timer); sock.close(); resolve(decode(m)); });
    sock.bind(0, from, () => sock.send(encode({ type: 'query', id, flags: RECURSION_DESIRED, questions: [{ type: 'A', name }] }), local.port, '127.0.0.1'));
  });
  for (const id of [1, 2, 65535, 2]) {
    const r = await ask(id, NAME, '127.0.0.1');
    assert.equal(r.id, id);
    assert.equal((r.answers?.[0] as Answer | undefined)?.type, 'A');
  }
  const upper = await ask(7, NAME.toUpperCase(), '127.0.0.1');
  assert.equal(upper.questions?.[0].name, NAME.toUpperCase());
  assert.equal(upper.answers?.[0].name, NAME.toUpperCase());
  const outsider = await ask(8, NAME, OTHER_VPC_CLIENT);
  assert.equal(outsider.id, 8);
  assert.equal((outsider as Packet & { rcode?: string }).rcode, 'NXDOMAIN');
});
