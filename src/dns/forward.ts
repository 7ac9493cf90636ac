// Forwarding to upstream resolvers: the client's query as it came (EDNS and all) under a fresh
// random id, over UDP from a fresh port, then over TCP when the upstream truncates. Upstreams are
// tried in order; one that times out, is unreachable or answers SERVFAIL/REFUSED/NOTIMP/FORMERR
// yields to the next. A reply counts only if it carries our id and the question we asked.
import { createSocket, type Socket } from 'node:dgram';
import { connect, isIP, isIPv6, type Socket as TcpSocket } from 'node:net';
import { randomInt } from 'node:crypto';
import type { DecodedPacket, Question } from 'dns-packet';
import { decodeHead, MAX_TCP_MESSAGE, RCODE } from './answer.ts';

export interface Upstream { host: string; port: number }

/** Per upstream and transport: how long to wait for its reply. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 2000;
/** Forwards in flight at once; more are answered SERVFAIL rather than open more sockets. */
const MAX_IN_FLIGHT = 1024;

/**
 * "ADDRESS" or "ADDRESS:PORT" (IPv6 as "[ADDRESS]:PORT" or bare), port 53 by default. Addresses
 * only: a resolver found by name would need a resolver first.
 */
export function parseUpstream(text: string): Upstream {
  const t = text.trim();
  let host = t;
  let port = '53';
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) [host, port] = [bracketed[1], bracketed[2] ?? '53'];
  else if (isIP(t) === 0 && t.lastIndexOf(':') > 0) [host, port] = [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)];
  const n = Number(port);
  if (isIP(host) === 0 || !/^\d{1,5}$/.test(port) || n < 1 || n > 65535) throw new Error(`DNS upstream must be ADDRESS[:PORT] (IPv6 as [ADDRESS]:PORT), got "${text}"`);
  return { host, port: n };
}

export interface Forwarded {
  /** The upstream's reply as it came, with the id it was sent under. */
  raw: Buffer;
  /** Its header and question. */
  head: DecodedPacket;
}

type Attempt = Forwarded | 'truncated' | undefined;

export class Forwarder {
  readonly #upstreams: readonly Upstream[];
  readonly #timeoutMs: number;
  /** Attempts in flight, each as the function that ends it. */
  readonly #open = new Set<() => void>();
  #inFlight = 0;
  #closed = false;

  constructor(upstreams: readonly Upstream[], opts: { timeoutMs?: number } = {}) {
    this.#upstreams = upstreams;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
  }

  /** The first usable upstream reply to `query` (whose question is `question`), or undefined. */
  async forward(query: Buffer, question: Question): Promise<Forwarded | undefined> {
    if (this.#closed || this.#inFlight >= MAX_IN_FLIGHT) return undefined;
    this.#inFlight++;
    try {
      for (const up of this.#upstreams) {
        const id = randomInt(0x10000);
        const msg = Buffer.from(query);
        msg.writeUInt16BE(id, 0); // The header's id field: ours, not the client's.
        let got = await this.#udp(up, msg, id, question);
        if (got === 'truncated') got = await this.#tcp(up, msg, id, question);
        if (got && got !== 'truncated' && !retryable(got.head)) return got;
        if (this.#closed) return undefined;
      }
      return undefined;
    } finally {
      this.#inFlight--;
    }
  }

  close(): void {
    this.#closed = true;
    for (const abort of [...this.#open]) abort();
  }

  /**
   * One attempt: `start` sends and calls `done` with the outcome; a timeout or close() ends it
   * with no answer. Whichever comes first wins and `release`s the socket.
   */
  #attempt(release: () => void, start: (done: (result: Attempt) => void) => void): Promise<Attempt> {
    return new Promise((resolve) => {
      const done = (result: Attempt) => {
        if (!this.#open.delete(abort)) return;
        clearTimeout(timer);
        release();
        resolve(result);
      };
      const abort = () => done(undefined);
      this.#open.add(abort);
      const timer = setTimeout(abort, this.#timeoutMs);
      start(done);
    });
  }

  #udp(up: Upstream, msg: Buffer, id: number, question: Question): Promise<Attempt> {
    const sock: Socket = createSocket(isIPv6(up.host) ? 'udp6' : 'udp4');
    return this.#attempt(() => sock.close(), (done) => {
      // A connected socket hears ICMP "port unreachable" as an error: no waiting for the timeout.
      sock.on('error', () => done(undefined));
      sock.on('message', (m) => {
        const head = matching(m, id, question);
        if (head) done(head.flag_tc ? 'truncated' : { raw: m, head });
      });
      sock.connect(up.port, up.host, () => sock.send(msg, (err) => { if (err) done(undefined); }));
    });
  }

  #tcp(up: Upstream, msg: Buffer, id: number, question: Question): Promise<Attempt> {
    const sock: TcpSocket = connect({ host: up.host, port: up.port, noDelay: true });
    let buf: Buffer = Buffer.alloc(0);
    return this.#attempt(() => sock.destroy(), (done) => {
      sock.on('error', () => done(undefined));
      sock.on('close', () => done(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(msg.length);
        sock.write(Buffer.concat([len, msg]));
      });
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length > 2 + MAX_TCP_MESSAGE) return done(undefined);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const m = Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        const head = matching(m, id, question);
        done(head ? { raw: m, head } : undefined);
      });
    });
  }
}

/** The header of `m` when it is a reply to our query `id` about `question`. */
function matching(m: Buffer, id: number, question: Question): DecodedPacket | undefined {
  const head = decodeHead(m, true);
  if (!head || !head.flag_qr || head.id !== id) return undefined;
  const qs = head.questions ?? [];
  // An error reply may leave the question out; it still ends this attempt.
  if (qs.length === 0) return (head.flags ?? 0) & 0xf ? head : undefined;
  const q = qs[0];
  const same = qs.length === 1 && q.name.toLowerCase() === question.name.toLowerCase() && q.type === question.type && (q.class ?? 'IN') === (question.class ?? 'IN');
  return same ? head : undefined;
}

/** Upstream errors that another upstream may not have. */
function retryable(head: DecodedPacket): boolean {
  const rcode = (head.flags ?? 0) & 0xf;
  return rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED || rcode === RCODE.NOTIMP || rcode === RCODE.FORMERR;
}
