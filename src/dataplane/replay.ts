// A socket whose first bytes were already read (to learn what it speaks) as a stream that yields
// them again. HTTP/2 sessions and TLS read from a net.Socket's native handle, past anything
// unshifted in JavaScript, so they are given this stream instead of the socket.
import { Duplex } from 'node:stream';
import type net from 'node:net';

/** Where a connection came from and arrived, kept on every stream a server is handed. */
export interface Connection { remoteAddress: string; remotePort: number; localPort: number }

const CONNECTION = Symbol('trellis.connection');

export function tagConnection<T extends object>(stream: T, conn: Connection): T {
  Object.defineProperty(stream, CONNECTION, { value: conn });
  return stream;
}

export function connectionOf(stream: object): Connection | undefined {
  return (stream as { [CONNECTION]?: Connection })[CONNECTION];
}

export function replay(socket: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() { socket.resume(); },
    write(chunk: Buffer, _enc, cb) { socket.write(chunk, cb); },
    final(cb) { socket.end(); cb(); },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  stream.push(head);
  socket.on('data', (chunk: Buffer) => { if (!stream.push(chunk)) socket.pause(); });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('timeout', () => stream.emit('timeout'));
  const s = stream as Duplex & { setTimeout?: (ms: number, cb?: () => void) => unknown; setNoDelay?: (v?: boolean) => unknown; setKeepAlive?: (v?: boolean, d?: number) => unknown };
  s.setTimeout = (ms, cb) => { socket.setTimeout(ms, cb); return stream; };
  s.setNoDelay = (v) => { socket.setNoDelay(v); return stream; };
  s.setKeepAlive = (v, d) => { socket.setKeepAlive(v, d); return stream; };
  return stream;
}
