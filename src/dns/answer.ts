// One DNS query answered from the Snapshot: the message, the client's address and the Snapshot in;
// a reply, "forward it" or "drop it" out. Pure: no sockets, no clock. The wire format is
// dns-packet's; this file decides what to say.
//
// Authoritative here: the generated zone `vpc-lattice-svcs.<region>.on.aws` and, when customDomains
// is on (a marked extension: an automatic private zone), each service's custom domain name. A name
// in them exists only for clients whose VPC reaches its service; everyone else gets NXDOMAIN with
// the zone's SOA, as for a name that does not exist. Everything else is forwarded or REFUSED.
import {
  decode, encode, AUTHORITATIVE_ANSWER, CHECKING_DISABLED, DNSSEC_OK, RECURSION_AVAILABLE, RECURSION_DESIRED, TRUNCATED_RESPONSE,
  type Answer, type DecodedPacket, type OptAnswer, type Packet, type Question,
} from 'dns-packet';
import { isIPv4, isIPv6 } from 'node:net';
import type { ServicePlan, Snapshot } from '../compile/snapshot.ts';
import { sourceVpc } from '../dataplane/vpc.ts';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

/**
 * TTL of our answers: 60 s, the fixed TTL Route 53 gives alias records for ELB endpoints (Route 53
 * FAQ; Lattice documents none for its names). Negative answers use it too (SOA MINIMUM and SOA TTL,
 * RFC 2308 §5): Route 53 zones cache NXDOMAIN for 900 s, too long for a name that appears as soon as
 * a VPC association is made.
 */
export const DEFAULT_TTL = 60;
/** The largest UDP reply we send whatever a client advertises (common EDNS practice). */
export const MAX_UDP_PAYLOAD = 4096;
/** The UDP payload size our OPT records advertise (DNS Flag Day 2020: 1232 avoids fragmentation). */
export const OUR_UDP_PAYLOAD = 1232;
/** A DNS message over TCP is at most this long (two-byte length prefix, RFC 1035 §4.2.2). */
export const MAX_TCP_MESSAGE = 65535;

/** SOA fields beside serial and minimum, as Route 53 sets them in its zones' SOA records. */
const SOA = { mname: 'ns.trellis.invalid', rname: 'hostmaster.trellis.invalid', refresh: 7200, retry: 900, expire: 1209600 };

const OPCODE_MASK = 0x7800;

export interface AnswerOptions {
  /** The data plane's addresses: IPv4 ones answer A queries, IPv6 ones AAAA. */
  addresses: readonly string[];
  ttl: number;
  /** Answer custom domain names too (extension; on by default). */
  customDomains: boolean;
  /** Upstream resolvers are configured: other names are forwarded, and replies say RA. */
  forwarding: boolean;
}

export interface Edns { payloadSize: number; dnssecOk: boolean }

/** A well-formed query: its id and flags, its one question, its EDNS if it had an OPT record. */
export interface Query { id: number; flags: number; question: Question; edns?: Edns }

export type Outcome =
  | { kind: 'drop' }
  | { kind: 'reply'; reply: Packet; udpLimit: number }
  | { kind: 'forward'; query: Query; udpLimit: number };

const DROP: Outcome = { kind: 'drop' };

/** The zone of Lattice's generated service names in a region. */
export const generatedZone = (region: string) => `vpc-lattice-svcs.${region}.on.aws`;

/** The largest UDP reply a client accepts: 512 without EDNS (RFC 1035), else its payload size. */
export function udpLimit(edns: Edns | undefined): number {
  return edns ? Math.min(Math.max(edns.payloadSize, 512), MAX_UDP_PAYLOAD) : 512;
}

export function answer(msg: Buffer, client: string, snapshot: Snapshot, opts: AnswerOptions): Outcome {
  const parsed = parseQuery(msg);
  return 'kind' in parsed ? parsed : answerQuery(parsed, client, snapshot, opts);
}

/** Decodes a query; malformed ones become an error reply (FORMERR, NOTIMP, BADVERS) or a drop. */
export function parseQuery(msg: Buffer): Query | Outcome {
  if (msg.length < 12) return DROP;
  let p: DecodedPacket;
  try {
    p = decode(msg);
  } catch {
    // Undecodable: FORMERR when at least the header reads as a query (RFC 1035 §4.1.1).
    const head = decodeHead(msg, false);
    if (!head || head.flag_qr) return DROP;
    return { kind: 'reply', reply: { type: 'response', id: head.id, flags: ((head.flags ?? 0) & (OPCODE_MASK | RECURSION_DESIRED)) | RCODE.FORMERR }, udpLimit: 512 };
  }
  if (p.flag_qr) return DROP; // Never answer a response: no loops, no reflection.
  const id = p.id ?? 0;
  const flags = p.flags ?? 0;
  const questions = p.questions ?? [];
  const opts = (p.additionals ?? []).filter((a): a is OptAnswer => a.type === 'OPT');
  const error = (rcode: number, edns?: Edns): Outcome => ({
    kind: 'reply', udpLimit: udpLimit(edns),
    reply: replyTo({ id, flags, question: questions.length === 1 ? questions[0] : undefined, edns }, rcode, { recursion: false }),
  });
  if (opts.length > 1 || (opts.length === 1 && opts[0].name !== '.')) return error(RCODE.FORMERR); // RFC 6891 §6.1.1
  const edns = opts[0] ? { payloadSize: opts[0].udpPayloadSize, dnssecOk: (opts[0].flags & DNSSEC_OK) !== 0 } : undefined;
  if (opts[0] && opts[0].ednsVersion !== 0) return error(RCODE.BADVERS, edns); // RFC 6891 §6.1.3
  if ((flags & OPCODE_MASK) !== 0) return error(RCODE.NOTIMP, edns); // IQUERY, STATUS, NOTIFY, UPDATE …
  if (questions.length !== 1) return error(RCODE.FORMERR, edns); // RFC 9619: QDCOUNT is 1
  return { id, flags, question: questions[0], edns };
}

/** The header (and questions, when asked) of a message whose other sections may be undecodable. */
export function decodeHead(msg: Buffer, withQuestions: boolean): DecodedPacket | undefined {
  if (msg.length < 12) return undefined;
  // dns-packet reads sections by their counts: zero the counts of what we do not want read.
  const head = Buffer.from(msg.subarray(0, withQuestions ? msg.length : 12));
  head.fill(0, withQuestions ? 6 : 4, 12);
  try {
    return decode(head);
  } catch {
    return undefined;
  }
}

export function answerQuery(q: Query, client: string, snapshot: Snapshot, opts: AnswerOptions): Outcome {
  const limit = udpLimit(q.edns);
  const reply = (rcode: number, extra: ReplyExtra = {}): Outcome => ({ kind: 'reply', udpLimit: limit, reply: replyTo(q, rcode, { recursion: opts.forwarding, ...extra }) });
  const klass = q.question.class ?? 'IN';
  if (klass !== 'IN' && klass !== 'ANY') return reply(RCODE.REFUSED);
  const type: string = q.question.type;
  if (type === 'AXFR' || type === 'IXFR') return reply(RCODE.REFUSED); // No zone transfers, here or upstream.
  if (type === 'OPT') return reply(RCODE.FORMERR);

  const name = q.question.name.toLowerCase().replace(/\.+$/, '');
  const zone = zoneOf(name, snapshot, opts.customDomains);
  if (!zone) return opts.forwarding ? { kind: 'forward', query: q, udpLimit: limit } : reply(RCODE.REFUSED);

  const soa = soaRecord(zone.apex, snapshot.revision, opts.ttl);
  const negative = (rcode: number): Outcome => reply(rcode, { authoritative: true, authorities: [soa] });
  const vpc = sourceVpc(snapshot.vpcs, client);
  const sees = (s: ServicePlan) => vpc !== undefined && s.networks.has(vpc.id);

  if (zone.service) {
    // A custom domain name: the name itself, for clients that reach its service; nothing below it.
    if (name !== zone.apex || !sees(zone.service)) return negative(RCODE.NXDOMAIN);
  } else if (name === zone.apex) {
    return type === 'SOA' || type === 'ANY' ? reply(RCODE.NOERROR, { authoritative: true, answers: [{ ...soa, name: q.question.name }] }) : negative(RCODE.NOERROR);
  } else {
    const s = snapshot.names.get(name);
    if (!s || s.dnsName !== name || !sees(s)) {
      // A name above a service the client sees exists, empty (RFC 8020); anything else does not.
      return negative(vpc && visibleAncestors(snapshot, vpc.id).has(name) ? RCODE.NOERROR : RCODE.NXDOMAIN);
    }
  }

  // The service's name: A and AAAA records for the data plane. ANY gets every record we have
  // (RFC 8482 §4.1 allows a subset; ours are small). Other types: NODATA.
  const records: Answer[] = [];
  const owner = q.question.name; // The question's case, echoed (RFC 4343).
  if (type === 'A' || type === 'ANY') for (const a of opts.addresses) if (isIPv4(a)) records.push({ name: owner, type: 'A', ttl: opts.ttl, data: a });
  if (type === 'AAAA' || type === 'ANY') for (const a of opts.addresses) if (isIPv6(a)) records.push({ name: owner, type: 'AAAA', ttl: opts.ttl, data: a });
  if ((type === 'SOA' || type === 'ANY') && name === zone.apex) records.push({ ...soa, name: owner });
  return records.length > 0 ? reply(RCODE.NOERROR, { authoritative: true, answers: records }) : negative(RCODE.NOERROR);
}

interface Zone { apex: string; /** Set for a custom domain name's zone. */ service?: ServicePlan }

/** The zone we are authoritative for that holds `name` (lower-cased, no trailing dot), if any. */
export function zoneOf(name: string, snapshot: Snapshot, customDomains: boolean): Zone | undefined {
  const generated = generatedZone(snapshot.region);
  if (name === generated || name.endsWith('.' + generated)) return { apex: generated };
  if (!customDomains) return undefined;
  // The closest enclosing custom domain name: the name itself or an ancestor of it.
  for (let s = name; s.length > 0;) {
    const service = snapshot.names.get(s);
    if (service && service.customDomainName === s) return { apex: s, service };
    const dot = s.indexOf('.');
    if (dot < 0) return undefined;
    s = s.slice(dot + 1);
  }
  return undefined;
}

// Names above generated service names (`<label>.vpc-lattice-svcs…`) exist for a client when a
// service it sees lies below them; computed once per Snapshot and VPC.
const ancestorCache = new WeakMap<Snapshot, Map<string, Set<string>>>();

function visibleAncestors(snapshot: Snapshot, vpcId: string): Set<string> {
  let byVpc = ancestorCache.get(snapshot);
  if (!byVpc) ancestorCache.set(snapshot, (byVpc = new Map()));
  let names = byVpc.get(vpcId);
  if (names) return names;
  names = new Set();
  const apex = generatedZone(snapshot.region);
  for (const [name, s] of snapshot.names) {
    if (name !== s.dnsName || !s.networks.has(vpcId)) continue;
    for (let dot = name.indexOf('.'); dot >= 0 && name.length - dot - 1 > apex.length; dot = name.indexOf('.', dot + 1)) names.add(name.slice(dot + 1));
  }
  byVpc.set(vpcId, names);
  return names;
}

function soaRecord(apex: string, revision: number, ttl: number): Answer {
  // The serial follows the Snapshot, so it changes whenever what we answer may have.
  return { name: apex, type: 'SOA', ttl, data: { ...SOA, serial: revision >>> 0, minimum: ttl } };
}

export interface ReplyExtra {
  authoritative?: boolean;
  /** Recursion available: set when upstreams are configured. */
  recursion?: boolean;
  truncated?: boolean;
  answers?: Answer[];
  authorities?: Answer[];
}

/**
 * A reply to `q`: its id, opcode, RD and CD bits, its question, and an OPT record when the query
 * had one (RFC 6891 §6.1.1), with DO copied (RFC 3225 §3). RCODEs over 15 go in the OPT record.
 */
export function replyTo(q: { id: number; flags: number; question?: Question; edns?: Edns }, rcode: number, extra: ReplyExtra = {}): Packet {
  const flags = (q.flags & (OPCODE_MASK | RECURSION_DESIRED | CHECKING_DISABLED))
    | (extra.authoritative ? AUTHORITATIVE_ANSWER : 0) | (extra.recursion ? RECURSION_AVAILABLE : 0)
    | (extra.truncated ? TRUNCATED_RESPONSE : 0) | (rcode & 0xf);
  const additionals: Answer[] = q.edns ? [optRecord(rcode >> 4, q.edns.dnssecOk)] : [];
  return {
    type: 'response', id: q.id, flags,
    questions: q.question ? [q.question] : [],
    answers: extra.answers ?? [], authorities: extra.authorities ?? [], additionals,
  };
}

export function optRecord(extendedRcode: number, dnssecOk: boolean): OptAnswer {
  return { name: '.', type: 'OPT', udpPayloadSize: OUR_UDP_PAYLOAD, extendedRcode, ednsVersion: 0, flags: dnssecOk ? DNSSEC_OK : 0, flag_do: dnssecOk, options: [] };
}

/**
 * The reply's bytes, at most `limit` long: a reply that does not fit goes without its records and
 * with TC set (RFC 2181 §9), keeping its OPT record, so the client retries over TCP.
 */
export function encodeReply(reply: Packet, limit: number): Buffer {
  const full = encode(reply);
  if (full.length <= limit) return full;
  return encode({
    ...reply, flags: (reply.flags ?? 0) | TRUNCATED_RESPONSE,
    answers: [], authorities: [], additionals: (reply.additionals ?? []).filter((a) => a.type === 'OPT'),
  });
}
