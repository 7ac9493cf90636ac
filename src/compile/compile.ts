// Store state -> Snapshot. Pure: reads records, returns a new immutable Snapshot; every matcher,
// weight and reachability question is decided here rather than per request.
import type { HttpMatch } from '@aws-sdk/client-vpc-lattice';
import { parseCidr } from '../core/cidr.ts';
import type { ServiceRecord } from '../api/lattice/services.ts';
import type { ServiceNetworkRecord } from '../api/lattice/servicenetworks.ts';
import type { ListenerRecord, StoredAction } from '../api/lattice/listeners.ts';
import type { RuleRecord } from '../api/lattice/rules.ts';
import type { TargetGroupRecord } from '../api/lattice/targetgroups.ts';
import type { TargetRecord } from '../api/lattice/targets.ts';
import type { ServiceNetworkServiceAssociationRecord, ServiceNetworkVpcAssociationRecord } from '../api/lattice/associations.ts';
import type { VpcRecord } from '../api/ec2/vpcs.ts';
import type { SecurityGroupRecord } from '../api/ec2/securitygroups.ts';
import type { AuthPolicyRecord } from '../api/lattice/authpolicies.ts';
import { parsePolicy, type Policy } from '../iam/policy/parse.ts';
import { compileRouting, type SubscriptionInput } from '../observe/subscriptions.ts';
import type { ActionPlan, ListenerPlan, MatchPlan, NetworkPlan, PortPlan, RulePlan, ServicePlan, Snapshot, TargetGroupPlan, TargetPlan, VpcPlan } from './snapshot.ts';

/** What compile reads: records of a table, as the store's View gives them. */
export interface Records {
  all<T>(table: string): Iterable<T>;
}

/** Lattice's default idle timeout (User Guide, "Services"): 60 seconds. */
const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

export function compile(records: Records, revision: number, region: string): Snapshot {
  const networks = new Map<string, ServiceNetworkRecord>();
  for (const sn of records.all<ServiceNetworkRecord>('sn')) networks.set(sn.id, sn);

  // Auth policies were validated by PutAuthPolicy; parse them once here, never per request.
  const authPolicies = new Map<string, Policy>();
  for (const a of records.all<AuthPolicyRecord>('authpolicy')) {
    const parsed = parsePolicy(a.policy, { kind: 'resource' });
    if (parsed.ok) authPolicies.set(a.resourceId, parsed.policy);
  }

  const groups = new Map<string, SecurityGroupRecord>();
  for (const g of records.all<SecurityGroupRecord>('sg')) groups.set(g.id, g);

  // VPC -> the one service network it is associated with (Lattice allows one per VPC).
  const vpcNetwork = new Map<string, NetworkPlan>();
  for (const a of records.all<ServiceNetworkVpcAssociationRecord>('snva')) {
    const sn = networks.get(a.serviceNetworkId);
    if (!sn || a.status === 'DELETE_IN_PROGRESS') continue;
    const ids = a.securityGroupIds ?? [];
    vpcNetwork.set(a.vpcId, {
      id: sn.id, arn: sn.arn, authType: sn.authType, authPolicy: authPolicies.get(sn.id), vpcAssociationId: a.id, securityGroupIds: ids,
      securityGroups: ids.map((id) => groups.get(id)).filter((g): g is SecurityGroupRecord => g !== undefined),
    });
  }
  // Service -> the VPCs that reach it, each through its service network.
  const serviceVpcs = new Map<string, Map<string, NetworkPlan>>();
  const networkVpcs = new Map<string, [string, NetworkPlan][]>();
  for (const [vpcId, plan] of vpcNetwork) {
    const list = networkVpcs.get(plan.id) ?? [];
    list.push([vpcId, plan]);
    networkVpcs.set(plan.id, list);
  }
  for (const a of records.all<ServiceNetworkServiceAssociationRecord>('snsa')) {
    const reach = serviceVpcs.get(a.serviceId) ?? new Map<string, NetworkPlan>();
    for (const [vpcId, plan] of networkVpcs.get(a.serviceNetworkId) ?? []) reach.set(vpcId, plan);
    serviceVpcs.set(a.serviceId, reach);
  }

  const services = new Map<string, ServicePlan>();
  const names = new Map<string, ServicePlan>();
  for (const s of records.all<ServiceRecord>('svc')) {
    const plan: ServicePlan = {
      id: s.id, arn: s.arn, name: s.name, account: s.account, authType: s.authType,
      dnsName: s.dnsEntry.domainName.toLowerCase(),
      customDomainName: s.customDomainName?.toLowerCase(),
      certificateArn: s.certificateArn,
      idleTimeoutSeconds: s.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS,
      authPolicy: authPolicies.get(s.id),
      tags: s.tags ?? {},
      networks: serviceVpcs.get(s.id) ?? new Map(),
    };
    services.set(s.id, plan);
    names.set(plan.dnsName, plan);
    if (plan.customDomainName) names.set(plan.customDomainName, plan);
  }

  const rulesByListener = new Map<string, RuleRecord[]>();
  for (const r of records.all<RuleRecord>('rule')) {
    const list = rulesByListener.get(r.listenerId) ?? [];
    list.push(r);
    rulesByListener.set(r.listenerId, list);
  }

  const used = new Set<string>();
  const ports = new Map<number, { port: number; hosts: Map<string, ListenerPlan> }>();
  for (const l of records.all<ListenerRecord>('listener')) {
    const service = services.get(l.serviceId);
    if (!service) continue;
    const rules = (rulesByListener.get(l.id) ?? [])
      .sort((a, b) => a.priority - b.priority)
      .map((r): RulePlan => ({ id: r.id, arn: r.arn, priority: r.priority, match: compileMatch(r.match?.httpMatch), action: compileAction(r.action, used) }));
    const plan: ListenerPlan = { id: l.id, arn: l.arn, protocol: l.protocol as ListenerPlan['protocol'], port: l.port, service, rules, defaultAction: compileAction(l.defaultAction, used) };
    let port = ports.get(l.port);
    if (!port) ports.set(l.port, (port = { port: l.port, hosts: new Map() }));
    port.hosts.set(service.dnsName, plan);
    if (service.customDomainName) port.hosts.set(service.customDomainName, plan);
  }

  const targetsByGroup = new Map<string, TargetPlan[]>();
  for (const t of records.all<TargetRecord & { drainingSince?: string }>('target')) {
    if (t.port === undefined) continue; // Lambda targets are invoked, not dialled.
    const list = targetsByGroup.get(t.tgId) ?? [];
    list.push({ key: `${t.tgId}/${t.targetId}:${t.port}`, id: t.targetId, address: t.targetId, port: t.port, ...(t.drainingSince ? { drainingSince: t.drainingSince } : {}) });
    targetsByGroup.set(t.tgId, list);
  }
  const targetGroups = new Map<string, TargetGroupPlan>();
  for (const tg of records.all<TargetGroupRecord>('tg')) {
    targetGroups.set(tg.id, {
      id: tg.id, arn: tg.arn, account: tg.account, type: tg.type,
      protocol: tg.config.protocol ?? 'HTTP', protocolVersion: tg.config.protocolVersion ?? 'HTTP1',
      port: tg.config.port, vpcId: tg.config.vpcIdentifier, healthCheck: tg.config.healthCheck,
      inUse: used.has(tg.id), targets: targetsByGroup.get(tg.id) ?? [],
    });
  }

  const vpcs: VpcPlan[] = [];
  for (const v of records.all<VpcRecord>('vpc')) {
    const arn = `arn:aws:ec2:${v.region}:${v.account}:vpc/${v.id}`;
    for (const c of v.cidrBlocks) {
      const net = parseCidr(c);
      if (net) vpcs.push({ id: v.id, arn, account: v.account, net });
    }
  }
  vpcs.sort((a, b) => b.net.len - a.net.len);

  return { revision, region, ports: ports as Map<number, PortPlan>, targetGroups, names, vpcs, vpcNetworks: vpcNetwork, accessLogs: compileRouting(records.all<SubscriptionInput>('als')) };
}

/**
 * Rule matches. Both caseSensitive flags default to false (AWS CDK's CfnRule: "Defaults to false"
 * for PathMatch and HeaderMatch; the API reference names no default).
 */
export function compileMatch(m: HttpMatch | undefined): MatchPlan {
  const path = m?.pathMatch;
  const pathValue = path?.match?.exact ?? path?.match?.prefix;
  const pathCase = path?.caseSensitive ?? false;
  return {
    ...(m?.method ? { method: m.method } : {}),
    ...(path && pathValue !== undefined ? {
      path: { kind: path.match!.exact !== undefined ? 'exact' as const : 'prefix' as const, value: pathCase ? pathValue : pathValue.toLowerCase(), caseSensitive: pathCase },
    } : {}),
    headers: (m?.headerMatches ?? []).map((h) => {
      const kind = h.match!.exact !== undefined ? 'exact' as const : h.match!.prefix !== undefined ? 'prefix' as const : 'contains' as const;
      const value = (h.match!.exact ?? h.match!.prefix ?? h.match!.contains)!;
      const caseSensitive = h.caseSensitive ?? false;
      return { name: h.name!.toLowerCase(), kind, value: caseSensitive ? value : value.toLowerCase(), caseSensitive };
    }),
  };
}

function compileAction(a: StoredAction, used: Set<string>): ActionPlan {
  if ('fixedResponse' in a) return { kind: 'fixed', statusCode: a.fixedResponse.statusCode };
  const targetGroups = a.forward.targetGroups.map((t) => ({ id: t.targetGroupIdentifier, weight: t.weight }));
  for (const t of targetGroups) used.add(t.id);
  return { kind: 'forward', targetGroups };
}
