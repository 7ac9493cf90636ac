// The DNS port. Until the service-discovery issue lands answers from the Snapshot, it holds the
// port on UDP and TCP and answers every query REFUSED, so resolvers fail fast instead of timing out.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

export interface DnsServer { port: number; close(): Promise<void> }

/** A reply to `query` with the same id and question, QR set and RCODE 5 (REFUSED); undefined if malformed. */
export function refused(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const reply = Buffer.from(query);
  reply[2] = (query[2] & 0x79) | 0x80; // QR=1, keep opcode and RD
  reply[3] = 5; // RA=0, RCODE=REFUSED
  reply.writeUInt16BE(0, 6); // no answers, authority or additional records
  reply.writeUInt16BE(0, 8);
  reply.writeUInt16BE(0, 10);
  const qdcount = query.readUInt16BE(4);
  let off = 12;
  for (let q = 0; q < qdcount; q++) {
    while (off < query.length && query[off] !== 0) {
      if ((query[off] & 0xc0) !== 0) return undefined;
      off += query[off] + 1;
    }
    off += 5;
  }
  if (off > query.length) return undefined;
  return reply.subarray(0, off);
}

export async function startDnsServer(host: string, port: number): Promise<DnsServer> {
  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const r = refused(msg);
    if (r) udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => { udp.off('error', reject); resolve(); });
  });
  const bound = udp.address().port;
  const tcp: Server = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const r = refused(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (!r) return sock.destroy();
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.length);
        sock.write(Buffer.concat([len, r]));
      }
    });
    sock.on('error', () => sock.destroy());
    sock.setTimeout(10_000, () => sock.destroy());
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(bound, host, () => { tcp.off('error', reject); resolve(); });
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  return {
    port: bound,
    close: async () => {
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
