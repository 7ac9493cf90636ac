// TLS_PASSTHROUGH: splice a client connection to a TCP target without looking inside. The
// dispatcher has already read the first bytes (the ClientHello) to route by SNI; they go to the
// target first, then bytes flow both ways with backpressure (pipe) until both sides are done.
//
// Closing rules: an end (FIN) from one side ends the other side's writes, so half-closed
// protocols work; an error on either side aborts both (RST where possible, so the peer sees a
// failure, not a clean end); a target that cannot be reached aborts the client at once.
// Lattice limits TLS listener connections to 10 minutes (VPC Lattice User Guide, "TLS listeners
// for VPC Lattice services"): opts.maxDurationMs lets the caller apply that.
import net from 'node:net';

export interface PassthroughStats {
  /** Bytes read from the client, the peeked head included. */
  bytesIn: number;
  /** Bytes read from the target (sent on to the client). */
  bytesOut: number;
  /** Why the connection was cut short; absent when both sides closed normally. */
  error?: string;
  /** The same as a short code, for access logs' responseCodeDetails ("idle_timeout", "upstream_reset", ...). */
  code?: string;
}

export interface PassthroughOptions {
  connectTimeoutMs: number;
  /** Close both sides after this long without a byte in either direction (0: never). */
  idleTimeoutMs: number;
  /** Close both sides this long after the target connection is made, whatever is going on. */
  maxDurationMs?: number;
  /** Called once, after both sockets have closed. */
  onClose?: (stats: PassthroughStats) => void;
}

/**
 * Connects to `target`, writes `head` (bytes already read from `client`), then pipes both ways.
 * The caller must have removed its own 'data'/'readable'/'timeout' listeners from `client`; its
 * server should use `allowHalfOpen: true` so a client's FIN does not close our side before the
 * target's answer has been relayed (this function also sets it on the socket). Never throws;
 * every outcome ends in `onClose`.
 */
export function passthrough(client: net.Socket, head: Buffer, target: { address: string; port: number }, opts: PassthroughOptions): void {
  let bytesIn = head.length;
  let bytesOut = 0;
  let error: string | undefined;
  let code: string | undefined;
  let connected = false;
  let clientClosed = false;
  let upstreamClosed = false;
  let reported = false;
  let timer: NodeJS.Timeout | undefined;
  let lifetime: NodeJS.Timeout | undefined;

  if (client.destroyed) {
    // The client left before we started (its 'close' has fired already): nothing to connect.
    process.nextTick(() => opts.onClose?.({ bytesIn, bytesOut, error: 'client closed', code: 'downstream_closed' }));
    return;
  }
  let upstream: net.Socket;
  try {
    upstream = net.connect({ host: target.address, port: target.port, allowHalfOpen: true, noDelay: true });
  } catch (e) {
    // A bad port or address throws synchronously; the client gets the same abort as a refusal.
    kill(client, true);
    process.nextTick(() => opts.onClose?.({ bytesIn, bytesOut, error: `target: ${(e as Error).message}`, code: 'upstream_connect_failure' }));
    return;
  }
  client.pause();
  client.allowHalfOpen = true;

  const finish = (): void => {
    if (reported || !clientClosed || !upstreamClosed) return;
    reported = true;
    clearTimeout(timer);
    clearTimeout(lifetime);
    client.setTimeout(0);
    opts.onClose?.(error === undefined ? { bytesIn, bytesOut } : { bytesIn, bytesOut, error, code });
  };

  /** Ends both sides now; `reset` sends RST so the peers see an abort rather than a clean close. */
  const abort = (why: string, reset: boolean, short: string): void => {
    if (error === undefined) {
      error = why;
      code = short;
    }
    kill(client, reset);
    kill(upstream, reset);
  };

  client.on('error', (e: NodeJS.ErrnoException) => abort(`client: ${e.code ?? e.message}`, true, 'downstream_reset'));
  upstream.on('error', (e: NodeJS.ErrnoException) => abort(`target: ${e.code ?? e.message}`, true, connected ? 'upstream_reset' : 'upstream_connect_failure'));

  // A side that closes after its normal end has already ended the other side's writes (pipe), so
  // the other side may still be flushing: leave it. A side that closes without an end was cut
  // off: cut the other off too.
  let clientEnded = false;
  let upstreamEnded = false;
  client.once('end', () => { clientEnded = true; });
  upstream.once('end', () => { upstreamEnded = true; });
  client.once('close', () => {
    clientClosed = true;
    if (!clientEnded && !upstreamClosed) abort('client closed', false, 'downstream_closed');
    // The target may still be taking the last bytes; the idle limit now watches its socket.
    else if (!upstreamClosed) upstream.setTimeout(opts.idleTimeoutMs, () => abort('idle timeout', false, 'idle_timeout'));
    finish();
  });
  upstream.once('close', () => {
    upstreamClosed = true;
    if (!upstreamEnded && !clientClosed) abort('target closed', false, 'upstream_closed');
    finish();
  });

  timer = setTimeout(() => abort('target connect timeout', true, 'upstream_connect_timeout'), opts.connectTimeoutMs);
  upstream.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    if (opts.maxDurationMs !== undefined) lifetime = setTimeout(() => abort('max connection duration', false, 'max_connection_duration'), opts.maxDurationMs);
    // Every byte in either direction crosses the client socket, so its inactivity timer is the
    // connection's idle timer.
    client.setTimeout(opts.idleTimeoutMs, () => abort('idle timeout', false, 'idle_timeout'));
    client.setNoDelay(true);
    if (head.length > 0) upstream.write(head);
    client.on('data', (chunk: Buffer) => { bytesIn += chunk.length; });
    upstream.on('data', (chunk: Buffer) => { bytesOut += chunk.length; });
    client.pipe(upstream);
    upstream.pipe(client);
  });
}

function kill(socket: net.Socket, reset: boolean): void {
  if (socket.destroyed) return;
  if (reset && !socket.connecting) {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // Not a TCP handle (or already gone): a plain destroy still closes it.
    }
  }
  socket.destroy();
}
