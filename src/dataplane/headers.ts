// Headers on the way to a target and back (User Guide, "HTTP targets" and "Request tracking").
// Lattice adds x-forwarded-for, x-forwarded-for-port, x-forwarded-for-proto,
// x-amzn-lattice-network, x-amzn-lattice-target (and, with auth, x-amzn-lattice-identity), and
// strips any copy a client sent, so a target can trust them. Hop-by-hop headers (RFC 9110 §7.6.1)
// and those the client's Connection header names are not forwarded.

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);

/** Headers we set ourselves: any client copy (in any case, with '_' for '-') is dropped. */
function isOurs(name: string): boolean {
  const c = name.charCodeAt(0);
  if (c !== 0x78 /* x */) return false;
  const n = name.includes('_') ? name.replace(/_/g, '-') : name;
  return n.startsWith('x-amzn-lattice-') || n === 'x-forwarded-for' || n === 'x-forwarded-for-port' || n === 'x-forwarded-for-proto'
    || n === 'x-forwarded-port' || n === 'x-forwarded-proto' || n === 'x-amzn-requestid' || n === 'x-amzn-source-vpc';
}

export interface Forwarding {
  clientAddress: string;
  listenerPort: number;
  proto: 'http' | 'https';
  requestId: string;
  sourceVpcArn: string;
  serviceArn: string;
  serviceNetworkArn: string;
  targetGroupArn: string;
  /** gRPC keeps `te: trailers`, which HTTP/2 allows and gRPC servers require. */
  keepTeTrailers: boolean;
  /** x-amzn-lattice-identity, for signed callers of AWS_IAM services. */
  identity?: string;
}

/**
 * The target's request headers from the client's (Node's raw [name, value, ...] list, names in
 * any case). Pseudo-headers are dropped; the caller sets :authority / host itself.
 */
export function upstreamHeaders(raw: readonly string[], f: Forwarding): Record<string, string | string[]> {
  let nominated: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') for (const n of raw[i + 1].split(',')) (nominated ??= new Set()).add(n.trim().toLowerCase());
  }
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.charCodeAt(0) === 0x3a /* : */ || nominated?.has(name) || isOurs(name)) continue;
    if (HOP_BY_HOP.has(name)) {
      if (!(name === 'te' && f.keepTeTrailers && raw[i + 1].trim().toLowerCase() === 'trailers')) continue;
    }
    const prev = out[name];
    if (prev === undefined) out[name] = raw[i + 1];
    else if (Array.isArray(prev)) prev.push(raw[i + 1]);
    else out[name] = [prev, raw[i + 1]];
  }
  out['x-forwarded-for'] = f.clientAddress;
  out['x-forwarded-for-port'] = String(f.listenerPort);
  out['x-forwarded-for-proto'] = f.proto;
  out['x-amzn-lattice-network'] = `SourceVpcArn=${f.sourceVpcArn}`;
  out['x-amzn-lattice-target'] = `ServiceArn=${f.serviceArn};ServiceNetworkArn=${f.serviceNetworkArn};TargetGroupArn=${f.targetGroupArn}`;
  out['x-amzn-requestid'] = f.requestId;
  if (f.identity !== undefined) out['x-amzn-lattice-identity'] = f.identity;
  return out;
}

/** The client's response headers from the target's: hop-by-hop ones removed. */
export function downstreamHeaders(headers: Record<string, string | string[] | undefined>, requestId: string): Record<string, string | string[]> {
  let nominated: Set<string> | undefined;
  const conn = headers.connection;
  if (typeof conn === 'string') for (const n of conn.split(',')) (nominated ??= new Set()).add(n.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 0x3a /* : */ || nominated?.has(name) || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  out['x-amzn-requestid'] = requestId;
  return out;
}
