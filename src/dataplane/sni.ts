// Reading a TLS ClientHello without terminating TLS: the connection dispatcher peeks the first
// bytes of a connection and needs the SNI (and ALPN) to choose between TLS_PASSTHROUGH and HTTPS.
// Lattice routes TLS listeners by "the SNI field of the client-hello message" and matches it
// exactly against the service's custom domain name; ECH/ESNI are not supported
// (VPC Lattice User Guide, "TLS listeners for VPC Lattice services").
//
// Pure and allocation-light; never throws. Call it again with the longer buffer after each read
// while it answers need-more. Formats: RFC 8446 §4.1.2 / §5.1 (records, ClientHello), RFC 6066 §3
// (server_name), RFC 7301 §3.1 (ALPN).

/** Everything the ClientHello may occupy at the start of a connection, record headers included:
 *  one full-size record (2^14 bytes) plus its 5-byte header. Beyond it the answer is invalid, so a
 *  caller that buffers until the answer is not need-more never holds more than this. */
export const MAX_HELLO_BYTES = 16384 + 5;

export type ClientHelloResult =
  | { kind: 'need-more' }
  | { kind: 'not-tls' }
  | { kind: 'invalid'; reason: string }
  | {
    kind: 'hello';
    /** The host_name from server_name, lower-cased, without a trailing dot; absent without SNI. */
    serverName?: string;
    /** ALPN protocol names in the client's order; empty without the extension. */
    alpn: string[];
    /** Bytes of the buffer up to and including the ClientHello's last byte (record headers included). */
    length: number;
  };

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const MAX_RECORD = 16384;

const NEED_MORE: ClientHelloResult = { kind: 'need-more' };
const NOT_TLS: ClientHelloResult = { kind: 'not-tls' };

export function readClientHello(buf: Buffer): ClientHelloResult {
  try {
    return read(buf);
  } catch (e) {
    // The reader throws Malformed on overruns; anything else would be a bug here, but garbage on
    // the wire must never take the dispatcher down with it.
    return { kind: 'invalid', reason: e instanceof Malformed ? e.message : `parser error: ${String(e)}` };
  }
}

function read(buf: Buffer): ClientHelloResult {
  if (buf.length === 0) return NEED_MORE;
  if (buf[0] !== CONTENT_HANDSHAKE) return NOT_TLS;
  if (buf.length < 2) return NEED_MORE;
  if (buf[1] !== 3) return NOT_TLS;

  const view = buf.length > MAX_HELLO_BYTES ? buf.subarray(0, MAX_HELLO_BYTES) : buf;
  const more = (): ClientHelloResult =>
    buf.length >= MAX_HELLO_BYTES ? invalid(`ClientHello does not fit in ${MAX_HELLO_BYTES} bytes`) : NEED_MORE;

  // Collect handshake bytes from as many records as the ClientHello spans (a client may fragment
  // it, RFC 8446 §5.1); a partial last record is fine as long as it holds the rest of the hello.
  const frags: Buffer[] = [];
  let have = 0;
  let need = -1;
  let pos = 0;
  let end = 0;
  for (;;) {
    if (pos + 5 > view.length) return more();
    const type = view[pos];
    const len = view.readUInt16BE(pos + 3);
    if (type !== CONTENT_HANDSHAKE) return invalid(`record of content type ${type} inside the ClientHello`);
    if (view[pos + 1] !== 3) return invalid(`record version ${view[pos + 1]}.${view[pos + 2]}`);
    if (len === 0) return invalid('empty handshake record');
    if (len > MAX_RECORD) return invalid(`record length ${len} exceeds 2^14`);
    const start = pos + 5;
    const avail = Math.min(len, view.length - start);
    frags.push(view.subarray(start, start + avail));
    have += avail;
    if (need < 0 && have >= 4) {
      const header = frags.length === 1 ? frags[0] : Buffer.concat(frags, 4);
      if (header[0] !== HANDSHAKE_CLIENT_HELLO) return invalid(`first handshake message is type ${header[0]}, not ClientHello`);
      need = 4 + header.readUIntBE(1, 3);
      if (need > MAX_HELLO_BYTES - 5) return invalid(`ClientHello of ${need} bytes exceeds the ${MAX_HELLO_BYTES - 5}-byte limit`);
    }
    if (need >= 0 && have >= need) {
      end = start + avail - (have - need);
      break;
    }
    if (avail < len) return more();
    pos = start + len;
  }

  const message = frags.length === 1 ? frags[0] : Buffer.concat(frags, have);
  const hello = parseClientHello(new Reader(message, 4, need));
  return { kind: 'hello', ...hello, length: end };
}

function parseClientHello(r: Reader): { serverName?: string; alpn: string[] } {
  if (r.u8() !== 3) throw new Malformed('ClientHello legacy_version is not 3.x');
  r.skip(1 + 32); // minor version, random
  const sessionId = r.u8();
  if (sessionId > 32) throw new Malformed(`session id of ${sessionId} bytes`);
  r.skip(sessionId);
  const suites = r.u16();
  if (suites < 2 || suites % 2 !== 0) throw new Malformed(`cipher suites length ${suites}`);
  r.skip(suites);
  const compressions = r.u8();
  if (compressions < 1) throw new Malformed('no compression methods');
  r.skip(compressions);

  let serverName: string | undefined;
  let alpn: string[] = [];
  if (r.remaining === 0) return { alpn }; // no extensions at all (pre-TLS 1.2 clients)
  const exts = r.sub(r.u16());
  if (r.remaining !== 0) throw new Malformed('bytes after the extensions');
  const seen = new Set<number>();
  while (exts.remaining > 0) {
    const type = exts.u16();
    const data = exts.sub(exts.u16());
    // RFC 8446 §4.2: at most one extension of each type; two server_names would be ambiguous.
    if (seen.has(type)) throw new Malformed(`duplicate extension ${type}`);
    seen.add(type);
    if (type === EXT_SERVER_NAME) serverName = parseServerName(data);
    else if (type === EXT_ALPN) alpn = parseAlpn(data);
  }
  return serverName === undefined ? { alpn } : { serverName, alpn };
}

function parseServerName(data: Reader): string | undefined {
  const list = data.sub(data.u16());
  if (data.remaining !== 0) throw new Malformed('bytes after the server name list');
  let name: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8();
    const value = list.sub(list.u16());
    if (nameType !== 0) continue; // only host_name (0) is defined; others carry no host
    if (name !== undefined) throw new Malformed('more than one host_name');
    name = hostName(value);
  }
  return name;
}

function hostName(r: Reader): string {
  let len = r.remaining;
  const bytes = r.rest();
  // RFC 6066: ASCII, no trailing dot. Tolerate one trailing dot (same name), refuse control bytes,
  // spaces and non-ASCII so nothing odd can reach a routing table key or a log line.
  if (len > 0 && bytes[len - 1] === 0x2e) len--;
  if (len === 0 || len > 253) throw new Malformed(`host_name of ${len} bytes`);
  for (let i = 0; i < len; i++) {
    const c = bytes[i];
    if (c <= 0x20 || c >= 0x7f) throw new Malformed('host_name has a byte outside printable ASCII');
  }
  return bytes.toString('latin1', 0, len).toLowerCase();
}

function parseAlpn(data: Reader): string[] {
  const list = data.sub(data.u16());
  if (data.remaining !== 0) throw new Malformed('bytes after the ALPN list');
  if (list.remaining === 0) throw new Malformed('empty ALPN list');
  const out: string[] = [];
  while (list.remaining > 0) {
    const n = list.u8();
    if (n === 0) throw new Malformed('empty ALPN protocol name');
    out.push(list.rest(n).toString('latin1'));
  }
  return out;
}

function invalid(reason: string): ClientHelloResult {
  return { kind: 'invalid', reason };
}

class Malformed extends Error {}

/** A bounds-checked cursor over buf[pos, end); every overrun throws Malformed. */
class Reader {
  private readonly buf: Buffer;
  private pos: number;
  private readonly end: number;

  constructor(buf: Buffer, pos: number, end: number) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (n > this.end - this.pos) throw new Malformed(`length ${n} overruns the ClientHello`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)];
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  skip(n: number): void {
    this.take(n);
  }

  /** A reader over the next n bytes; this one moves past them. */
  sub(n: number): Reader {
    const at = this.take(n);
    return new Reader(this.buf, at, at + n);
  }

  /** The next n bytes (default: all that remain) as a view. */
  rest(n: number = this.remaining): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
}
