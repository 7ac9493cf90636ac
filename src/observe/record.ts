// Access log records in Lattice's format, built from a small summary the data plane fills in.
//
// Lattice publishes two log types (User Guide, "Access logs"): VpcLatticeAccessLogs, one JSON
// record per request to a service, and VpcLatticeResourceAccessLogs, one per connection to a
// resource configuration. Field names follow the guide's "Access log contents" table as seen in
// records Lattice really delivers (an aws-samples record of 2024: sourceVpcArn, sourceVpcId,
// resolvedUser, hostHeader, failureReason, listenerId, listenerType, callerPrincipalOrgID and the
// callerX509* fields included); requestId, traceId, responseCodeDetails and grpcResponseCode are
// the issue's fields (the first two tie a record to x-amzn-requestid and X-Amzn-Trace-Id).
// Conventions Lattice uses, and so do we:
// - a value that does not apply is the string "-" (for example targetIpPort when auth denied);
// - durations are whole milliseconds, numbers; a request never sent to a target has
//   requestToTargetDuration and responseFromTargetDuration 0;
// - startTime is ISO-8601 UTC to the second ("2024-08-04T11:28:40Z").
// The resource record's field names ([unverified]: the guide's "Resource access log contents"
// could not be read here) are eventTimestamp, serviceNetworkArn,
// serviceNetworkResourceAssociationId, vpcEndpointId, sourceVpcArn, resourceConfigurationArn,
// protocol, sourceIpPort, destinationIpPort, gatewayIpPort and resourceIpPort.

/** "-": what Lattice logs for a value that does not apply. */
export const NONE = '-';
export type Maybe<T> = T | typeof NONE;

/** One VpcLatticeAccessLogs record. Keys are in the order they are written. */
export interface ServiceAccessLogRecord {
  startTime: string;
  duration: number;
  requestMethod: string;
  requestPath: string;
  protocol: string;
  responseCode: number;
  responseCodeDetails: string;
  failureReason: string;
  requestToTargetDuration: number;
  responseFromTargetDuration: number;
  bytesReceived: number;
  bytesSent: number;
  userAgent: string;
  hostHeader: string;
  requestId: string;
  traceId: string;
  sourceIpPort: string;
  sourceVpcArn: string;
  sourceVpcId: string;
  serviceNetworkArn: string;
  serviceArn: string;
  listenerId: string;
  listenerType: string;
  targetGroupArn: string;
  targetIpPort: string;
  destinationVpcId: string;
  resolvedUser: string;
  callerPrincipal: string;
  callerPrincipalOrgID: string;
  callerX509IssuerOU: string;
  callerX509SubjectCN: string;
  callerX509SANNameCN: string;
  callerX509SANDNS: string;
  callerX509SANURI: string;
  authDeniedReason: string;
  tlsVersion: string;
  sslCipher: string;
  serverNameIndication: string;
  grpcResponseCode: Maybe<number>;
}

/** One VpcLatticeResourceAccessLogs record (a TCP connection to a resource configuration). */
export interface ResourceAccessLogRecord {
  eventTimestamp: string;
  serviceNetworkArn: string;
  serviceNetworkResourceAssociationId: string;
  vpcEndpointId: string;
  sourceVpcArn: string;
  resourceConfigurationArn: string;
  protocol: string;
  sourceIpPort: string;
  destinationIpPort: string;
  gatewayIpPort: string;
  resourceIpPort: string;
}

/** The caller's X.509 identity (IAM Roles Anywhere), as the auth step saw it. */
export interface X509Identity {
  issuerOU?: string;
  subjectCN?: string;
  sanNameCN?: string;
  sanDNS?: string;
  sanURI?: string;
}

/** What the data plane knows about one request when its response is done. */
export interface RequestSummary {
  /** Epoch milliseconds when the request arrived. */
  startMs: number;
  /** Epoch milliseconds when the last response byte was written (or the exchange failed). */
  endMs: number;
  method?: string;
  /** Path and query as received. */
  path?: string;
  /** "HTTP/1.1", "HTTP/2", or for a TLS passthrough connection, "TCP". */
  protocol: string;
  /** Status sent to the client; 0 when none was (a passthrough connection, a reset). */
  status: number;
  /** Why Trellis produced the status (e.g. "via_upstream", "auth_denied", "upstream_timeout"). */
  responseCodeDetails?: string;
  /** Lattice's reason code for a failure (e.g. "ClientAccessDenied"). */
  failureReason?: string;
  /** Milliseconds from the start until the request was sent to the target. */
  requestToTargetMs?: number;
  /** Milliseconds from sending the request until the target's response headers arrived. */
  responseFromTargetMs?: number;
  bytesReceived: number;
  bytesSent: number;
  userAgent?: string;
  host?: string;
  requestId: string;
  traceId?: string;
  sourceIp: string;
  sourcePort: number;
  sourceVpcArn?: string;
  sourceVpcId?: string;
  serviceNetworkArn?: string;
  serviceArn: string;
  listenerId?: string;
  listenerType?: string;
  targetGroupArn?: string;
  targetAddress?: string;
  targetPort?: number;
  destinationVpcId?: string;
  /** The authenticated principal's ARN. */
  principal?: string;
  principalOrgId?: string;
  x509?: X509Identity;
  /** Which auth policy denied: "Network", "Service" or "Identity". */
  authDeniedReason?: string;
  tlsVersion?: string;
  tlsCipher?: string;
  sni?: string;
  grpcStatus?: number;
}

/** What the data plane knows about one connection to a resource configuration. */
export interface ConnectionSummary {
  /** Epoch milliseconds when the connection was accepted. */
  startMs: number;
  serviceNetworkArn?: string;
  serviceNetworkResourceAssociationId?: string;
  vpcEndpointId?: string;
  sourceVpcArn?: string;
  resourceConfigurationArn: string;
  /** "tcp" (Lattice's resource gateways carry TCP only). */
  protocol?: string;
  sourceIp: string;
  sourcePort: number;
  destinationIp: string;
  destinationPort: number;
  gatewayIp?: string;
  gatewayPort?: number;
  resourceIp?: string;
  resourcePort?: number;
}

const or = (v: string | undefined): string => (v === undefined || v === '' ? NONE : v);
const ms = (v: number | undefined): number => (v === undefined || !(v >= 0) || v === Infinity ? 0 : Math.round(v));

/** "ip:port", with IPv6 addresses in brackets, or "-" without an address. */
export function ipPort(address: string | undefined, port: number | undefined): string {
  if (!address) return NONE;
  return `${address.includes(':') ? `[${address}]` : address}:${port ?? 0}`;
}

// startTime has second precision, so consecutive requests share one string: cache the last.
let lastSecond = -1;
let lastStamp = '';
/** ISO-8601 UTC to the second, as Lattice writes startTime. */
export function isoSeconds(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastStamp = new Date(second * 1000).toISOString().slice(0, 19) + 'Z';
  }
  return lastStamp;
}

/** The VpcLatticeAccessLogs record of a request (or of a TLS passthrough connection). */
export function buildServiceAccessLog(s: RequestSummary): ServiceAccessLogRecord {
  const principal = or(s.principal);
  const x = s.x509;
  return {
    startTime: isoSeconds(s.startMs),
    duration: ms(s.endMs - s.startMs),
    requestMethod: or(s.method),
    requestPath: or(s.path),
    protocol: or(s.protocol),
    responseCode: s.status,
    responseCodeDetails: or(s.responseCodeDetails),
    failureReason: or(s.failureReason),
    requestToTargetDuration: ms(s.requestToTargetMs),
    responseFromTargetDuration: ms(s.responseFromTargetMs),
    bytesReceived: s.bytesReceived,
    bytesSent: s.bytesSent,
    userAgent: or(s.userAgent),
    hostHeader: or(s.host),
    requestId: s.requestId,
    traceId: or(s.traceId),
    sourceIpPort: ipPort(s.sourceIp, s.sourcePort),
    sourceVpcArn: or(s.sourceVpcArn),
    sourceVpcId: or(s.sourceVpcId),
    serviceNetworkArn: or(s.serviceNetworkArn),
    serviceArn: s.serviceArn,
    listenerId: or(s.listenerId),
    listenerType: or(s.listenerType),
    targetGroupArn: or(s.targetGroupArn),
    targetIpPort: ipPort(s.targetAddress, s.targetPort),
    destinationVpcId: or(s.destinationVpcId),
    resolvedUser: principal,
    callerPrincipal: principal,
    callerPrincipalOrgID: or(s.principalOrgId),
    callerX509IssuerOU: or(x?.issuerOU),
    callerX509SubjectCN: or(x?.subjectCN),
    callerX509SANNameCN: or(x?.sanNameCN),
    callerX509SANDNS: or(x?.sanDNS),
    callerX509SANURI: or(x?.sanURI),
    authDeniedReason: or(s.authDeniedReason),
    tlsVersion: or(s.tlsVersion),
    sslCipher: or(s.tlsCipher),
    serverNameIndication: or(s.sni),
    grpcResponseCode: s.grpcStatus === undefined ? NONE : s.grpcStatus,
  };
}

// What JSON.stringify writes for a string: quotes around it, and escapes only for '"', '\\',
// control characters and lone surrogates, which access log values rarely hold.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;
/** The JSON string's inside (the line's template has the quotes): the value itself when it needs no escapes. */
const inner = (v: string | undefined): string => (v === undefined || v === '' ? '-' : NEEDS_ESCAPE.test(v) ? JSON.stringify(v).slice(1, -1) : v);
/** The same with its quotes, for the fragments made once per route and the rarer blocks. */
const text = (v: string | undefined): string => `"${inner(v)}"`;
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/**
 * buildServiceAccessLog's record as its JSON line, byte for byte what JSON.stringify(record)
 * writes (the tests hold the two to that), made directly: the fields that come from configuration
 * (ARNs and ids of the route) are made into JSON once per route, not per request, and the blocks
 * that are all "-" for most requests (caller, TLS) are constants. In a loop that keeps each line
 * alive for a while, as the delivery queue does: ~1.4 µs per record against ~2.0 µs for the
 * record object and JSON.stringify (the rest is mostly the escape checks and the flattening).
 */
export function serviceAccessLogLine(s: RequestSummary): string {
  const route = routeJson(s);
  // One template, few pieces: flattening the line costs ~16 ns per piece (see flat).
  return flat(`{"startTime":"${isoSeconds(s.startMs)}","duration":${ms(s.endMs - s.startMs)},"requestMethod":"${inner(s.method)}\
","requestPath":"${inner(s.path)}","protocol":"${inner(s.protocol)}","responseCode":${num(s.status)}\
,"responseCodeDetails":"${inner(s.responseCodeDetails)}","failureReason":"${inner(s.failureReason)}\
","requestToTargetDuration":${ms(s.requestToTargetMs)},"responseFromTargetDuration":${ms(s.responseFromTargetMs)}\
,"bytesReceived":${num(s.bytesReceived)},"bytesSent":${num(s.bytesSent)},"userAgent":"${inner(s.userAgent)}\
","hostHeader":"${inner(s.host)}","requestId":${JSON.stringify(s.requestId)},"traceId":"${inner(s.traceId)}\
","sourceIpPort":"${inner(ipPort(s.sourceIp, s.sourcePort))}"${route.json},"targetIpPort":"${inner(ipPort(s.targetAddress, s.targetPort))}\
","destinationVpcId":${route.destination}${callerJson(s)},"authDeniedReason":"${inner(s.authDeniedReason)}"${tlsJson(s)}\
,"grpcResponseCode":${s.grpcStatus === undefined ? '"-"' : num(s.grpcStatus)}}`);
}

/** The JSON of one route's configuration fields, and the values it was made from (the service's is the map key). */
interface RouteJson {
  sourceVpcArn?: string;
  sourceVpcId?: string;
  serviceNetworkArn?: string;
  listenerId?: string;
  listenerType?: string;
  targetGroupArn?: string;
  destinationVpcId?: string;
  /** sourceVpcArn through targetGroupArn, each with its leading comma. */
  json: string;
  destination: string;
}

/** A few routes per service (its listeners, target groups and client VPCs), for up to 10,000 services. */
const routes = new Map<string, RouteJson[]>();
const ROUTES_PER_SERVICE = 8;
const SERVICES = 10_000;

function routeJson(s: RequestSummary): RouteJson {
  let list = routes.get(s.serviceArn);
  if (list) {
    for (let i = 0; i < list.length; i++) {
      const r = list[i];
      if (r.sourceVpcArn === s.sourceVpcArn && r.sourceVpcId === s.sourceVpcId && r.serviceNetworkArn === s.serviceNetworkArn && r.listenerId === s.listenerId
        && r.listenerType === s.listenerType && r.targetGroupArn === s.targetGroupArn && r.destinationVpcId === s.destinationVpcId) return r;
    }
  } else {
    if (routes.size >= SERVICES) routes.clear();
    routes.set(s.serviceArn, list = []);
  }
  const r: RouteJson = {
    sourceVpcArn: s.sourceVpcArn, sourceVpcId: s.sourceVpcId, serviceNetworkArn: s.serviceNetworkArn, listenerId: s.listenerId,
    listenerType: s.listenerType, targetGroupArn: s.targetGroupArn, destinationVpcId: s.destinationVpcId,
    json: flat(`,"sourceVpcArn":${text(s.sourceVpcArn)},"sourceVpcId":${text(s.sourceVpcId)},"serviceNetworkArn":${text(s.serviceNetworkArn)}`
      + `,"serviceArn":${JSON.stringify(s.serviceArn)},"listenerId":${text(s.listenerId)},"listenerType":${text(s.listenerType)}`
      + `,"targetGroupArn":${text(s.targetGroupArn)}`),
    destination: text(s.destinationVpcId),
  };
  if (list.length >= ROUTES_PER_SERVICE) list.shift();
  list.push(r);
  return r;
}

const NO_CALLER = ',"resolvedUser":"-","callerPrincipal":"-","callerPrincipalOrgID":"-","callerX509IssuerOU":"-","callerX509SubjectCN":"-"'
  + ',"callerX509SANNameCN":"-","callerX509SANDNS":"-","callerX509SANURI":"-"';

function callerJson(s: RequestSummary): string {
  const x = s.x509;
  if (!s.principal && !s.principalOrgId && !x) return NO_CALLER;
  const principal = text(s.principal);
  return `,"resolvedUser":${principal},"callerPrincipal":${principal},"callerPrincipalOrgID":${text(s.principalOrgId)}`
    + `,"callerX509IssuerOU":${text(x?.issuerOU)},"callerX509SubjectCN":${text(x?.subjectCN)},"callerX509SANNameCN":${text(x?.sanNameCN)}`
    + `,"callerX509SANDNS":${text(x?.sanDNS)},"callerX509SANURI":${text(x?.sanURI)}`;
}

const NO_TLS = ',"tlsVersion":"-","sslCipher":"-","serverNameIndication":"-"';

function tlsJson(s: RequestSummary): string {
  if (!s.tlsVersion && !s.tlsCipher && !s.sni) return NO_TLS;
  return `,"tlsVersion":${text(s.tlsVersion)},"sslCipher":${text(s.tlsCipher)},"serverNameIndication":${text(s.sni)}`;
}

/**
 * The string as one flat sequence now. Concatenation makes a tree of pieces, and a line waits for
 * its batch long enough to survive a scavenge or two: a tree of ~80 pieces held ~7 times the
 * line's bytes (measured here), all copied by each scavenge it survived (the GC threads' CPU per
 * request rose ~1.5 µs). Converting a string to a number flattens it in place first (V8), so only
 * the flat copy lives on; the result is stored so that the conversion is not optimized away.
 * Flattening costs ~16 ns per piece of the tree (measured here), hence lines of few pieces.
 */
let flattened = 0;
function flat(s: string): string {
  flattened = Number(s);
  return s;
}

/** The VpcLatticeResourceAccessLogs record of a connection to a resource configuration. */
export function buildResourceAccessLog(c: ConnectionSummary): ResourceAccessLogRecord {
  return {
    eventTimestamp: new Date(c.startMs).toISOString(),
    serviceNetworkArn: or(c.serviceNetworkArn),
    serviceNetworkResourceAssociationId: or(c.serviceNetworkResourceAssociationId),
    vpcEndpointId: or(c.vpcEndpointId),
    sourceVpcArn: or(c.sourceVpcArn),
    resourceConfigurationArn: c.resourceConfigurationArn,
    protocol: c.protocol ?? 'tcp',
    sourceIpPort: ipPort(c.sourceIp, c.sourcePort),
    destinationIpPort: ipPort(c.destinationIp, c.destinationPort),
    gatewayIpPort: ipPort(c.gatewayIp, c.gatewayPort),
    resourceIpPort: ipPort(c.resourceIp, c.resourcePort),
  };
}
