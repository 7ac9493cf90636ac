// What the DNS server says, decided from hand-built Snapshots: who sees which names, negative
// answers with SOA, case, query types, EDNS, malformed queries and truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, DNSSEC_OK, RECURSION_DESIRED, type Answer, type DecodedPacket, type OptAnswer, type Packet, type Question, type SoaData } from 'dns-packet';
import { answer, encodeReply, type AnswerOptions, type Outcome } from '../../src/dns/answer.ts';
import { parseCidr } from '../../src/core/cidr.ts';
import type { ServicePlan, Snapshot, VpcPlan } from '../../src/compile/snapshot.ts';

const ZONE = 'vpc-lattice-svcs.us-east-1.on.aws';
const GENERATED = `orders-0123456789abcdef0.abc1234.${ZONE}`;
const CUSTOM = 'orders.example.com';
const LONG = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(45)}.example.com`;

const vpc = (id: string, cidr: string): VpcPlan => ({ id, arn: `arn:aws:ec2:us-east-1:111122223333:vpc/${id}`, account: '111122223333', net: parseCidr(cidr)! });
const network = { id: 'sn-1', arn: 'arn:sn-1', authType: 'NONE' as const, vpcAssociationId: 'snva-1', securityGroupIds: [], securityGroups: [] };

function service(id: string, dnsName: string, customDomainName: string | undefined, vpcs: string[]): ServicePlan {
  return {
    id, arn: `arn:${id}`, name: id, account: '111122223333', authType: 'NONE', dnsName, customDomainName,
    idleTimeoutSeconds: 60, tags: {}, networks: new Map(vpcs.map((v) => [v, network])),
  };
}

/** Service "orders" reachable from VPC A (127.0.0.0/16) only; VPC B is 127.1.0.0/16. */
function snapshot(services: ServicePlan[] = [service('svc-orders', GENERATED, CUSTOM, ['vpc-a'])]): Snapshot {
  const names = new Map<string, ServicePlan>();
  for (const s of services) {
    names.set(s.dnsName, s);
    if (s.customDomainName) names.set(s.customDomainName, s);
  }
  return { revision: 7, region: 'us-east-1', ports: new Map(), targetGroups: new Map(), names, vpcs: [vpc('vpc-a', '127.0.0.0/16'), vpc('vpc-b', '127.1.0.0/16')], vpcNetworks: new Map() };
}

const A = '127.0.0.9';
const B = '127.1.0.9';
const NOWHERE = '10.9.9.9';
const OPTS: AnswerOptions = { addresses: ['127.0.0.1'], ttl: 60, customDomains: true, forwarding: false };

function query(name: string, type: string, opts: { edns?: number; dnssecOk?: boolean; id?: number } = {}): Buffer {
  const packet: Packet = { type: 'query', id: opts.id ?? 4242, flags: RECURSION_DESIRED, questions: [{ name, type } as Question] };
  if (opts.edns !== undefined) packet.additionals = [{ name: '.', type: 'OPT', udpPayloadSize: opts.edns, extendedRcode: 0, ednsVersion: 0, flags: opts.dnssecOk ? DNSSEC_OK : 0, flag_do: !!opts.dnssecOk, options: [] }];
  return encode(packet);
}

/** The reply as a client would decode it off the wire. */
function ask(msg: Buffer, client = A, snap = snapshot(), opts = OPTS): DecodedPacket & { rcode: string; opcode: string } {
  const out = answer(msg, client, snap, opts);
  assert.equal(out.kind, 'reply', `expected a reply, got ${out.kind}`);
  return decode(encodeReply((out as Extract<Outcome, { kind: 'reply' }>).reply, 65535)) as DecodedPacket & { rcode: string; opcode: string };
}

const soaOf = (r: DecodedPacket) => {
  assert.equal(r.authorities?.length, 1);
  const soa = r.authorities![0] as Answer & { ttl: number; data: SoaData };
  assert.equal(soa.type, 'SOA');
  return soa;
};

test('a client in a VPC that reaches the service gets its A record, authoritatively, TTL 60', () => {
  const r = ask(query(GENERATED, 'A'));
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.id, 4242);
  assert.ok(r.flag_aa);
  assert.ok(r.flag_rd);
  assert.equal(r.flag_ra, false);
  assert.deepEqual(r.questions, [{ name: GENERATED, type: 'A', class: 'IN' }]);
  assert.deepEqual(r.answers?.map((a) => [a.name, a.type, (a as { ttl: number }).ttl, (a as { data: string }).data]), [[GENERATED, 'A', 60, '127.0.0.1']]);
  assert.equal(r.authorities?.length, 0);
});

test('clients in another VPC or in none get NXDOMAIN with the zone SOA, as for a name that does not exist', () => {
  for (const client of [B, NOWHERE, '::ffff:10.9.9.9']) {
    const r = ask(query(GENERATED, 'A'), client);
    assert.equal(r.rcode, 'NXDOMAIN');
    assert.ok(r.flag_aa);
    assert.equal(r.answers?.length, 0);
    const soa = soaOf(r);
    assert.equal(soa.name, ZONE);
    assert.equal(soa.ttl, 60); // RFC 2308: negative TTL = min(SOA TTL, MINIMUM)
    assert.equal(soa.data.minimum, 60);
    assert.equal(soa.data.serial, 7);
  }
  const unknown = ask(query(`nothing-here.abc1234.${ZONE}`, 'A'));
  assert.equal(unknown.rcode, 'NXDOMAIN');
  assert.equal(soaOf(unknown).name, ZONE);
});

test('a service in no service network resolves nowhere; the IPv4-mapped form of a VPC address counts', () => {
  const lonely = service('svc-lonely', `lonely-0a.abc1234.${ZONE}`, undefined, []);
  assert.equal(ask(query(lonely.dnsName, 'A'), A, snapshot([lonely])).rcode, 'NXDOMAIN');
  assert.equal(ask(query(GENERATED, 'A'), '::ffff:127.0.0.9').rcode, 'NOERROR');
});

test('names are matched case-insensitively and the question\'s case is echoed (RFC 4343)', () => {
  const mixed = GENERATED.replace('orders', 'OrDeRs').replace('vpc-lattice', 'VPC-Lattice');
  const r = ask(query(mixed, 'A'));
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.questions?.[0].name, mixed);
  assert.equal(r.answers?.[0].name, mixed);
  assert.equal(ask(query('ORDERS.Example.COM', 'A')).answers?.[0].name, 'ORDERS.Example.COM');
});

test('a custom domain name: answered for VPCs that reach the service, its own zone otherwise', () => {
  const r = ask(query(CUSTOM, 'A'));
  assert.equal(r.rcode, 'NOERROR');
  assert.equal((r.answers?.[0] as { data: string }).data, '127.0.0.1');
  const outside = ask(query(CUSTOM, 'A'), B);
  assert.equal(outside.rcode, 'NXDOMAIN');
  assert.equal(soaOf(outside).name, CUSTOM);
  const below = ask(query(`www.${CUSTOM}`, 'A'));
  assert.equal(below.rcode, 'NXDOMAIN');
  assert.equal(soaOf(below).name, CUSTOM);
  // Never forwarded, even with upstreams: we own the name.
  assert.equal(answer(query(CUSTOM, 'A'), B, snapshot(), { ...OPTS, forwarding: true }).kind, 'reply');
  // With custom domains off it is just another name.
  assert.equal(ask(query(CUSTOM, 'A'), A, snapshot(), { ...OPTS, customDomains: false }).rcode, 'REFUSED');
  assert.equal(answer(query(CUSTOM, 'A'), A, snapshot(), { ...OPTS, customDomains: false, forwarding: true }).kind, 'forward');
});

test('AAAA: NODATA with SOA while the data plane has no IPv6 address; the address once it has one', () => {
  const r = ask(query(GENERATED, 'AAAA'));
  assert.equal(r.rcode, 'NOERROR');
  assert.equal(r.answers?.length, 0);
  assert.equal(soaOf(r).name, ZONE);
  const v6 = ask(query(GENERATED, 'AAAA'), A, snapshot(), { ...OPTS, addresses: ['127.0.0.1', '::1'] });
  assert.deepEqual(v6.answers?.map((a) => [a.type, (a as { data: string }).data]), [['AAAA', '::1']]);
});

test('other types: ANY gets what we have (RFC 8482), TXT and the like NODATA, the apex its SOA', () => {
  const any = ask(query(GENERATED, 'ANY'), A, snapshot(), { ...OPTS, addresses: ['127.0.0.1', '::1'] });
  assert.deepEqual(any.answers?.map((a) => a.type), ['A', 'AAAA']);
  for (const type of ['TXT', 'MX', 'CNAME', 'UNKNOWN_65' /* HTTPS */, 'NS']) {
    const r = ask(query(GENERATED, type));
    assert.equal(r.rcode, 'NOERROR', type);
    assert.equal(r.answers?.length, 0, type);
    assert.equal(soaOf(r).name, ZONE, type);
  }
  const apex = ask(query(ZONE, 'SOA'), NOWHERE);
  assert.equal(apex.rcode, 'NOERROR');
  assert.equal(apex.answers?.[0].type, 'SOA');
  const customSoa = ask(query(CUSTOM, 'SOA'));
  assert.equal(customSoa.answers?.[0].type, 'SOA');
  // CH and other classes, zone transfers: REFUSED.
  assert.equal(ask(encode({ type: 'query', id: 1, questions: [{ name: 'version.bind', type: 'TXT', class: 'CH' }] })).rcode, 'REFUSED');
  assert.equal(ask(query(ZONE, 'AXFR')).rcode, 'REFUSED');
});

test('the label above service names exists for a client that sees a service below it (RFC 8020)', () => {
  const label = `abc1234.${ZONE}`;
  const seen = ask(query(label, 'A'));
  assert.equal(seen.rcode, 'NOERROR');
  assert.equal(seen.answers?.length, 0);
  assert.equal(ask(query(label, 'A'), B).rcode, 'NXDOMAIN');
});

test('other names: REFUSED without upstreams, forwarded with them; never our zone', () => {
  const r = ask(query('example.com', 'A'));
  assert.equal(r.rcode, 'REFUSED');
  assert.equal(r.flag_aa, false);
  assert.equal(r.flag_ra, false);
  const fwd = answer(query('Example.com', 'A', { edns: 1232 }), A, snapshot(), { ...OPTS, forwarding: true });
  assert.equal(fwd.kind, 'forward');
  if (fwd.kind === 'forward') {
    assert.equal(fwd.query.question.name, 'Example.com');
    assert.equal(fwd.query.id, 4242);
    assert.equal(fwd.udpLimit, 1232);
  }
  const ours = ask(query(`nothing.${ZONE}`, 'A'), A, snapshot(), { ...OPTS, forwarding: true });
  assert.equal(ours.rcode, 'NXDOMAIN');
  assert.ok(ours.flag_ra); // Recursion is available, for names elsewhere.
  assert.equal(answer(query(`x.vpc-lattice-svcs.eu-west-1.on.aws`, 'A'), A, snapshot(), { ...OPTS, forwarding: true }).kind, 'forward');
});

test('EDNS: an OPT record in the reply when the query had one, DO copied; the client\'s size bounds UDP', () => {
  const opt = (r: DecodedPacket) => r.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
  const withEdns = ask(query(GENERATED, 'A', { edns: 4000, dnssecOk: true }));
  assert.equal(opt(withEdns)?.udpPayloadSize, 1232);
  assert.equal(opt(withEdns)?.flag_do, true);
  assert.equal(opt(ask(query(GENERATED, 'A')))?.type, undefined);
  const limit = (msg: Buffer) => (answer(msg, A, snapshot(), OPTS) as { udpLimit: number }).udpLimit;
  assert.equal(limit(query(GENERATED, 'A')), 512);
  assert.equal(limit(query(GENERATED, 'A', { edns: 4000 })), 4000);
  assert.equal(limit(query(GENERATED, 'A', { edns: 100 })), 512);
  assert.equal(limit(query(GENERATED, 'A', { edns: 65000 })), 4096);
});

test('a reply longer than the client takes is truncated: TC, no records, OPT kept', () => {
  const snap = snapshot([service('svc-long', `long-0b.abc1234.${ZONE}`, LONG, ['vpc-a'])]);
  const out = answer(query(LONG, 'A'), A, snap, OPTS);
  assert.equal(out.kind, 'reply');
  if (out.kind !== 'reply') return;
  assert.equal(out.udpLimit, 512);
  const small = decode(encodeReply(out.reply, out.udpLimit));
  assert.ok(small.flag_tc);
  assert.equal(small.answers?.length, 0);
  assert.equal(small.questions?.[0].name, LONG);
  const full = decode(encodeReply(out.reply, 65535));
  assert.equal(full.flag_tc, false);
  assert.equal(full.answers?.length, 1);
  const edns = answer(query(LONG, 'A', { edns: 512 }), A, snap, OPTS) as Extract<Outcome, { kind: 'reply' }>;
  const cut = decode(encodeReply(edns.reply, edns.udpLimit));
  assert.ok(cut.flag_tc);
  assert.deepEqual(cut.additionals?.map((a) => a.type), ['OPT']);
});

test('malformed queries: dropped, or FORMERR / NOTIMP / BADVERS as the RFCs say', () => {
  const snap = snapshot();
  assert.equal(answer(Buffer.alloc(0), A, snap, OPTS).kind, 'drop');
  assert.equal(answer(Buffer.from('hello'), A, snap, OPTS).kind, 'drop');
  // A response (QR=1) is never answered.
  assert.equal(answer(encode({ type: 'response', id: 1, questions: [{ name: GENERATED, type: 'A' }] }), A, snap, OPTS).kind, 'drop');
  // A header and then garbage: FORMERR with the query's id.
  const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]), Buffer.from([0x3f, 0x61])]);
  const formerr = ask(garbage);
  assert.equal(formerr.rcode, 'FORMERR');
  assert.equal(formerr.id, 0x1234);
  // Two questions: FORMERR (RFC 9619).
  assert.equal(ask(encode({ type: 'query', id: 2, questions: [{ name: GENERATED, type: 'A' }, { name: CUSTOM, type: 'A' }] })).rcode, 'FORMERR');
  // NOTIFY (opcode 4): NOTIMP.
  const notify = ask(encode({ type: 'query', id: 3, flags: 4 << 11, questions: [{ name: GENERATED, type: 'SOA' }] }));
  assert.equal(notify.rcode, 'NOTIMP');
  assert.equal(notify.opcode, 'NOTIFY');
  // EDNS version 1: BADVERS (16: 0 in the header, 1 in the OPT record), OPT version 0.
  const v1 = encode({ type: 'query', id: 5, questions: [{ name: GENERATED, type: 'A' }], additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 1, flags: 0, flag_do: false, options: [] }] });
  const badvers = ask(v1);
  assert.equal(badvers.rcode, 'NOERROR');
  const opt = badvers.additionals?.[0] as OptAnswer;
  assert.equal(opt.extendedRcode, 1);
  assert.equal(opt.ednsVersion, 0);
  assert.equal(badvers.answers?.length, 0);
  // Two OPT records: FORMERR.
  const twoOpt = encode({ type: 'query', id: 6, questions: [{ name: GENERATED, type: 'A' }], additionals: [0, 1].map((): Answer => ({ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] })) });
  assert.equal(ask(twoOpt).rcode, 'FORMERR');
});
