// The Snapshot: everything the data plane, DNS and health checker need, compiled from the store
// once per change and never mutated. A request reads one Snapshot from start to end.
import type { Net } from '../core/cidr.ts';
import type { HealthCheckRecord } from '../api/lattice/targetgroups.ts';
import type { SecurityGroupRecord } from '../api/ec2/securitygroups.ts';
import type { Policy } from '../iam/policy/parse.ts';
import type { AccessLogRouting } from '../observe/subscriptions.ts';

export interface Snapshot {
  readonly revision: number;
  readonly region: string;
  /** Listener port (as configured, before --port-offset) -> what listens there. */
  readonly ports: ReadonlyMap<number, PortPlan>;
  readonly targetGroups: ReadonlyMap<string, TargetGroupPlan>;
  /** Every service by its lower-cased names (generated DNS name, custom domain name), for DNS. */
  readonly names: ReadonlyMap<string, ServicePlan>;
  /** VPCs by CIDR, most specific first: a client's source address picks its VPC. */
  readonly vpcs: readonly VpcPlan[];
  /** VPC id -> its service-network association (one per VPC), with the security groups it applies. */
  readonly vpcNetworks: ReadonlyMap<string, NetworkPlan>;
  /** Access log subscriptions by service and service network. */
  readonly accessLogs?: AccessLogRouting;
}

export interface PortPlan {
  readonly port: number;
  /** Lower-cased host name (generated DNS name or custom domain name) -> the service's listener. */
  readonly hosts: ReadonlyMap<string, ListenerPlan>;
}

export interface ListenerPlan {
  readonly id: string;
  readonly arn: string;
  readonly protocol: 'HTTP' | 'HTTPS' | 'TLS_PASSTHROUGH';
  readonly port: number;
  readonly service: ServicePlan;
  /** Rules in priority order (lowest number first); the default action comes after them. */
  readonly rules: readonly RulePlan[];
  readonly defaultAction: ActionPlan;
}

export interface ServicePlan {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly authType: 'NONE' | 'AWS_IAM';
  readonly dnsName: string;
  readonly customDomainName?: string;
  readonly certificateArn?: string;
  readonly idleTimeoutSeconds: number;
  /** The service's auth policy, parsed (evaluated only while authType is AWS_IAM). */
  readonly authPolicy?: Policy;
  /** The service's tags, for aws:ResourceTag/<key> in auth policies. */
  readonly tags: Readonly<Record<string, string>>;
  /** VPC id -> the service network through which clients of that VPC reach the service. */
  readonly networks: ReadonlyMap<string, NetworkPlan>;
}

export interface NetworkPlan {
  readonly id: string;
  readonly arn: string;
  readonly authType: 'NONE' | 'AWS_IAM';
  /** The service network's auth policy, parsed (evaluated only while authType is AWS_IAM). */
  readonly authPolicy?: Policy;
  readonly vpcAssociationId: string;
  readonly securityGroupIds: readonly string[];
  /** The association's security groups; none means every client of the VPC may connect. */
  readonly securityGroups: readonly SecurityGroupRecord[];
}

export interface RulePlan {
  readonly id: string;
  readonly arn: string;
  readonly priority: number;
  readonly match: MatchPlan;
  readonly action: ActionPlan;
}

export interface MatchPlan {
  readonly method?: string;
  readonly path?: { readonly kind: 'exact' | 'prefix'; readonly value: string; readonly caseSensitive: boolean };
  /** Header names lower-cased; values lower-cased too where the match is case-insensitive. */
  readonly headers: readonly { readonly name: string; readonly kind: 'exact' | 'prefix' | 'contains'; readonly value: string; readonly caseSensitive: boolean }[];
}

export type ActionPlan =
  | { readonly kind: 'fixed'; readonly statusCode: number }
  | { readonly kind: 'forward'; readonly targetGroups: readonly { readonly id: string; readonly weight: number }[] };

export interface TargetGroupPlan {
  readonly id: string;
  readonly arn: string;
  readonly account: string;
  readonly type: 'IP' | 'INSTANCE' | 'LAMBDA' | 'ALB';
  readonly protocol: 'HTTP' | 'HTTPS' | 'TCP';
  readonly protocolVersion: 'HTTP1' | 'HTTP2' | 'GRPC';
  readonly port?: number;
  readonly vpcId?: string;
  /** Effective health check settings; undefined when the type has none. */
  readonly healthCheck?: HealthCheckRecord;
  /** Some listener or rule forwards to it (else its targets are UNUSED). */
  readonly inUse: boolean;
  readonly targets: readonly TargetPlan[];
}

export interface TargetPlan {
  /** `<tgId>/<address>:<port>`: the target's identity for health and draining. */
  readonly key: string;
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** Deregistered and draining: no new requests; gone from the Snapshot after the delay. */
  readonly drainingSince?: string;
}

export interface VpcPlan {
  readonly id: string;
  readonly arn: string;
  readonly account: string;
  readonly net: Net;
}
