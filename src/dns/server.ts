// The DNS server: UDP and TCP on one port, answering from the current Snapshot (answer.ts) and
// forwarding other names to upstream resolvers (forward.ts). Nothing a client sends can crash it
// or make it buffer without bound.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIP, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import { TRUNCATED_RESPONSE } from 'dns-packet';
import type { Snapshot } from '../compile/snapshot.ts';
import { answer, encodeReply, replyTo, DEFAULT_TTL, MAX_TCP_MESSAGE, RCODE, type AnswerOptions, type Query } from './answer.ts';
import { Forwarder, parseUpstream, type Forwarded } from './forward.ts';
import { ReplyCache } from './cache.ts';

export interface DnsServer { port: number; close(): Promise<void> }

export interface DnsServerOptions {
  host: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  port: number;
  /** The current Snapshot, read once per query. */
  snapshot: () => Snapshot;
  /** What service names resolve to: IPv4 addresses answer A, IPv6 ones AAAA. */
  dataPlaneAddress: string | readonly string[];
  /** Resolvers for other names, "ADDRESS[:PORT]", tried in order; none: other names are REFUSED. */
  upstreams?: readonly string[];
  /** TTL of answers and of negative answers, seconds (default 60). */
  ttl?: number;
  /** Answer services' custom domain names too (extension; default true). */
  customDomains?: boolean;
  /** Per upstream and transport (default 2000). */
  forwardTimeoutMs?: number;
  /** A TCP connection with nothing to read or write for this long is closed (default 10 s). */
  tcpIdleTimeoutMs?: number;
  log?: (line: string) => void;
}


/** TCP connections at once; more are refused by the kernel's backlog, not by our memory. */
const MAX_TCP_CONNECTIONS = 256;
/** Queries of one TCP connection being answered at once; reading pauses beyond it. */
const MAX_TCP_PENDING = 16;
/** Replies a TCP client may leave unread before it is cut off. */
const MAX_TCP_UNREAD = 256 * 1024;

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const log = opts.log ?? (() => {});
  const addresses = typeof opts.dataPlaneAddress === 'string' ? [opts.dataPlaneAddress] : [...opts.dataPlaneAddress];
  for (const a of addresses) if (isIP(a) === 0) throw new Error(`data-plane address must be an IP address, got "${a}"`);
  const upstreams = (opts.upstreams ?? []).map(parseUpstream);
  const forwarder = new Forwarder(upstreams, { timeoutMs: opts.forwardTimeoutMs });
  const answerOpts: AnswerOptions = { addresses, ttl: opts.ttl ?? DEFAULT_TTL, customDomains: opts.customDomains ?? true, forwarding: upstreams.length > 0 };

  const logError = (err: unknown) => log(`dns: ${err instanceof Error ? err.stack : String(err)}`);
  /** The upstream's answer to a name outside our zones (SERVFAIL when none answers). */
  const forwarded = async (msg: Buffer, query: Query, limit: number): Promise<Buffer> => {
    const got = await forwarder.forward(msg, query.question);
    if (!got) return encodeReply(replyTo(query, RCODE.SERVFAIL, { recursion: true }), limit);
    return fitted(got, query, limit);
  };
  /** The reply to one TCP message (undefined: none). */
  const respondTcp = async (msg: Buffer, client: string): Promise<Buffer | undefined> => {
    try {
      const out = answer(msg, client, opts.snapshot(), answerOpts);
      if (out.kind === 'drop') return undefined;
      if (out.kind === 'reply') return encodeReply(out.reply, MAX_TCP_MESSAGE);
      return await forwarded(msg, out.query, MAX_TCP_MESSAGE);
    } catch (err) {
      logError(err);
      return undefined;
    }
  };

  const { udp, tcp } = await bind(opts.host, opts.port);
  const connections = new Set<TcpSocket>();
  let closed = false;
  const cache = new ReplyCache();
  udp.on('message', (msg, rinfo) => {
    // Answers from the Snapshot are the same for the same question from the same client until
    // the next revision: those are cached, encoded. Forwarded answers are not.
    const snapshot = opts.snapshot();
    const key = msg.length >= 12 ? ReplyCache.key(snapshot.revision, rinfo.address, msg) : undefined;
    const hit = key === undefined ? undefined : cache.get(key, msg);
    if (hit) {
      udp.send(hit, rinfo.port, rinfo.address);
      return;
    }
    let out: ReturnType<typeof answer>;
    let reply: Buffer | undefined;
    try {
      out = answer(msg, rinfo.address, snapshot, answerOpts);
      if (out.kind === 'reply') reply = encodeReply(out.reply, out.udpLimit);
    } catch (err) {
      logError(err);
      return;
    }
    if (reply) {
      if (key !== undefined) cache.set(key, reply);
      udp.send(reply, rinfo.port, rinfo.address);
      return;
    }
    if (out.kind !== 'forward') return;
    forwarded(msg, out.query, out.udpLimit).then((reply) => {
      // A forward may finish after close(); sending on a closed socket throws.
      if (!closed) udp.send(reply, rinfo.port, rinfo.address, () => {});
    }, logError);
  });
  udp.on('error', (err) => log(`dns udp: ${err.message}`));
  tcp.maxConnections = MAX_TCP_CONNECTIONS;
  tcp.on('connection', (sock) => serveTcp(sock, connections, opts.tcpIdleTimeoutMs ?? 10_000, (msg) => respondTcp(msg, sock.remoteAddress ?? '')));
  tcp.on('error', (err) => log(`dns tcp: ${err.message}`));

  return {
    port: udp.address().port,
    close: async () => {
      closed = true;
      forwarder.close();
      udp.close();
      for (const s of connections) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}

/** An upstream's reply to the client: as it came under the client's id, or TC when too long. */
function fitted(got: Forwarded, query: Query, limit: number): Buffer {
  if (got.raw.length <= limit) {
    const reply = Buffer.from(got.raw);
    reply.writeUInt16BE(query.id, 0); // The header's id field: the client's again.
    return reply;
  }
  // The upstream's flags and RCODE with TC set, the question, and an OPT record if the client sent one.
  return encodeReply({ ...replyTo(query, 0), flags: (got.head.flags ?? 0) | TRUNCATED_RESPONSE }, limit);
}

/**
 * Length-prefixed messages (RFC 1035 §4.2.2), several per connection and answered as they complete
 * (RFC 7766 §6.2.1.1). At most one message plus one read is buffered; reading pauses while
 * MAX_TCP_PENDING queries are being answered; an idle or non-reading client is cut off.
 */
function serveTcp(sock: TcpSocket, connections: Set<TcpSocket>, idleMs: number, respond: (msg: Buffer) => Promise<Buffer | undefined>): void {
  connections.add(sock);
  let buf: Buffer = Buffer.alloc(0);
  let pending = 0;
  let closed = false;
  sock.setNoDelay(true);
  // Idle: nothing read or written for idleMs and no query still being answered.
  sock.setTimeout(idleMs, () => { if (pending === 0) sock.destroy(); });
  sock.on('error', () => sock.destroy());
  sock.on('close', () => {
    closed = true;
    connections.delete(sock);
  });
  const next = (): void => {
    while (!closed && pending < MAX_TCP_PENDING && buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      pending++;
      void respond(msg).then((reply) => {
        pending--;
        if (closed) return;
        if (reply) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([len, reply]));
          if (sock.writableLength > MAX_TCP_UNREAD) return void sock.destroy();
        }
        if (sock.isPaused()) sock.resume();
        next();
      }).catch(() => sock.destroy());
    }
    if (pending >= MAX_TCP_PENDING) sock.pause();
  };
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    next();
  });
}

/** UDP and TCP on the same port; with port 0, a few tries to find one free for both. */
async function bind(host: string, port: number): Promise<{ udp: Socket; tcp: Server }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => { udp.off('error', reject); resolve(); });
    });
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udp.address().port, host, () => { tcp.off('error', reject); resolve(); });
      });
      return { udp, tcp };
    } catch (err) {
      udp.close();
      if (port !== 0 || attempt >= 4) throw err;
    }
  }
}
