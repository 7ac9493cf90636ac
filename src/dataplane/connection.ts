// Where a connection came from, kept on whatever carries it on: the socket, the TLS socket over it,
// the HTTP/2 session over either (the data plane reads a connection's first bytes itself, so
// servers are handed connections rather than accepting them).

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
