// Which access log subscriptions receive a record: compiled once per Snapshot from the store's
// `als` records, then looked up by ARN per request.
//
// Lattice's rules (API Reference CreateAccessLogSubscription, User Guide "Access logs"):
// - a service's subscriptions log every request to that service, whatever network it came by;
// - a service network's subscriptions log only traffic that came through that network ("access
//   log entries represent traffic originated from VPCs associated with that network"), and its
//   serviceNetworkLogType picks service traffic (SERVICE, VpcLatticeAccessLogs) or resource
//   traffic (RESOURCE, VpcLatticeResourceAccessLogs);
// - a resource configuration's subscriptions log connections to that resource configuration.
// The destination is chosen by the ARN's service: logs (a log group), s3 (a bucket) or firehose
// (a delivery stream).

/** The fields of a stored access log subscription this needs (src/api/lattice/accesslogs.ts). */
export interface SubscriptionInput {
  id: string;
  arn?: string;
  account: string;
  resourceId: string;
  resourceArn: string;
  destinationArn: string;
  serviceNetworkLogType?: 'SERVICE' | 'RESOURCE';
}

/** VpcLatticeAccessLogs (requests to services) or VpcLatticeResourceAccessLogs (resource connections). */
export type LogKind = 'service' | 'resource';

export type Destination =
  | { type: 'logs'; arn: string; account: string; region: string; groupName: string }
  | { type: 's3'; arn: string; bucket: string }
  | { type: 'firehose'; arn: string; account: string; region: string; streamName: string };

export interface Subscription {
  readonly id: string;
  /** The account that owns the subscription (its S3 objects go under AWSLogs/<account>/). */
  readonly account: string;
  /** The service, service network or resource configuration it is attached to. */
  readonly resourceArn: string;
  readonly kind: LogKind;
  readonly destination: Destination;
  /** Identifies the delivery queue: a subscription, at one destination. */
  readonly key: string;
}

export interface AccessLogRouting {
  readonly subscriptions: readonly Subscription[];
  /** Service ARN -> its own subscriptions. */
  readonly services: ReadonlyMap<string, readonly Subscription[]>;
  /** Service network ARN -> its subscriptions of log type SERVICE. */
  readonly networkServices: ReadonlyMap<string, readonly Subscription[]>;
  /** Service network ARN -> its subscriptions of log type RESOURCE. */
  readonly networkResources: ReadonlyMap<string, readonly Subscription[]>;
  /** Resource configuration ARN -> its own subscriptions. */
  readonly resourceConfigurations: ReadonlyMap<string, readonly Subscription[]>;
}

export const NO_ROUTING: AccessLogRouting = {
  subscriptions: [], services: new Map(), networkServices: new Map(), networkResources: new Map(), resourceConfigurations: new Map(),
};

/** The destination an ARN names, or undefined when it is none Lattice delivers to. */
export function parseDestination(arn: string): Destination | undefined {
  // arn:aws:logs:<region>:<account>:log-group:<name>, optionally with the ":*" CloudWatch appends.
  let m = /^arn:[a-z0-9-]+:logs:([a-z0-9-]+):(\d{12}):log-group:([\w\-./#]{1,512}?)(:\*)?$/.exec(arn);
  if (m) return { type: 'logs', arn: arn.replace(/:\*$/, ''), region: m[1], account: m[2], groupName: m[3] };
  m = /^arn:[a-z0-9-]+:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(arn);
  if (m) return { type: 's3', arn, bucket: m[1] };
  m = /^arn:[a-z0-9-]+:firehose:([a-z0-9-]+):(\d{12}):deliverystream\/([a-zA-Z0-9_.-]{1,64})$/.exec(arn);
  if (m) return { type: 'firehose', arn, region: m[1], account: m[2], streamName: m[3] };
  return undefined;
}

function add(map: Map<string, Subscription[]>, key: string, sub: Subscription): void {
  const list = map.get(key);
  if (list) list.push(sub);
  else map.set(key, [sub]);
}

/**
 * Compiles subscriptions into lookup tables. Records with a destination Lattice cannot deliver to
 * (the API refuses those) or a resource of an unknown kind are skipped; `skipped` gets each one.
 */
export function compileRouting(records: Iterable<SubscriptionInput>, skipped?: (rec: SubscriptionInput, why: string) => void): AccessLogRouting {
  const subscriptions: Subscription[] = [];
  const services = new Map<string, Subscription[]>();
  const networkServices = new Map<string, Subscription[]>();
  const networkResources = new Map<string, Subscription[]>();
  const resourceConfigurations = new Map<string, Subscription[]>();
  for (const rec of records) {
    const destination = parseDestination(rec.destinationArn);
    if (!destination) {
      skipped?.(rec, `destination ${rec.destinationArn} is not a log group, bucket or delivery stream`);
      continue;
    }
    const prefix = rec.resourceId.slice(0, rec.resourceId.indexOf('-'));
    const kind: LogKind = prefix === 'svc' || (prefix === 'sn' && rec.serviceNetworkLogType !== 'RESOURCE') ? 'service' : 'resource';
    const sub: Subscription = { id: rec.id, account: rec.account, resourceArn: rec.resourceArn, kind, destination, key: `${rec.id}|${destination.arn}` };
    if (prefix === 'svc') add(services, rec.resourceArn, sub);
    else if (prefix === 'sn') add(kind === 'service' ? networkServices : networkResources, rec.resourceArn, sub);
    else if (prefix === 'rcfg') add(resourceConfigurations, rec.resourceArn, sub);
    else {
      skipped?.(rec, `resource ${rec.resourceId} is not a service, service network or resource configuration`);
      continue;
    }
    subscriptions.push(sub);
  }
  return { subscriptions, services, networkServices, networkResources, resourceConfigurations };
}

/** The subscriptions that receive a request's record (the service's, and its network's SERVICE ones). */
export function serviceRecipients(routing: AccessLogRouting, route: { serviceArn: string; serviceNetworkArn?: string }): Subscription[] {
  const own = routing.services.get(route.serviceArn) ?? [];
  const network = route.serviceNetworkArn === undefined ? undefined : routing.networkServices.get(route.serviceNetworkArn);
  return network ? [...own, ...network] : [...own];
}

/** The subscriptions that receive a resource connection's record. */
export function resourceRecipients(routing: AccessLogRouting, route: { resourceConfigurationArn: string; serviceNetworkArn?: string }): Subscription[] {
  const own = routing.resourceConfigurations.get(route.resourceConfigurationArn) ?? [];
  const network = route.serviceNetworkArn === undefined ? undefined : routing.networkResources.get(route.serviceNetworkArn);
  return network ? [...own, ...network] : [...own];
}
