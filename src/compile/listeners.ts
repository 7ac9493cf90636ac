// Listener plans by port and host name: each listener with its service, its rules in priority
// order (matchers and actions compiled) and its default action; and the ids of the target groups
// some listener or rule forwards to (a target group nothing forwards to has UNUSED targets).
//
// Against a previous Snapshot (compile.ts's Base): a listener keeps its plan when its record, its
// service plan and its rules are unchanged, and a rule keeps its plan when its record is. When
// only a few listeners changed and no rule or service did, the previous ports are patched instead
// of walking every listener and rule.
import type { HttpMatch } from '@aws-sdk/client-vpc-lattice';
import type { ListenerRecord, StoredAction } from '../api/lattice/listeners.ts';
import type { RuleRecord } from '../api/lattice/rules.ts';
import type { ActionPlan, ListenerPlan, MatchPlan, PortPlan, RulePlan, ServicePlan, Snapshot } from './snapshot.ts';
import type { Base, Records } from './compile.ts';

export interface Listeners {
  ports: Map<number, PortPlan>;
  /** Ids of the target groups forwarded to; the previous Snapshot's own set when it did not change. */
  used: ReadonlySet<string>;
}

/** Past this many changed listeners, walking them all is as cheap as patching. */
const PATCH_LIMIT = 100;

export function compileListeners(records: Records, services: ReadonlyMap<string, ServicePlan>, base: Base | undefined): Listeners {
  return (base && patchListeners(base, services)) ?? allListeners(records, services, base);
}

function allListeners(records: Records, services: ReadonlyMap<string, ServicePlan>, base: Base | undefined): Listeners {
  const before = base ? listenersById(base.prev) : undefined;
  const quietRules = base?.quiet('rule') ?? false;
  let grouped: Map<string, RuleRecord[]> | undefined;
  const rulesOf = (listenerId: string) => (grouped ??= rulesByListener(records)).get(listenerId) ?? [];
  const used = new Set<string>();
  const ports = new Map<number, { port: number; hosts: Map<string, ListenerPlan> }>();
  for (const l of records.all<ListenerRecord>('listener')) {
    const service = services.get(l.serviceId);
    if (!service) continue;
    const old = before?.get(l.id);
    // No rule changed since the previous Snapshot: its plan's rules are this listener's rules.
    const rules = old && quietRules ? old.rules : listenerRules(rulesOf(l.id), old, base);
    const plan = old && old.rules === rules && old.service === service && base!.unchanged(l) ? old : listenerPlan(l, service, rules);
    for (const id of forwardsTo(plan)) used.add(id);
    let port = ports.get(l.port);
    if (!port) ports.set(l.port, (port = { port: l.port, hosts: new Map() }));
    port.hosts.set(service.dnsName, plan);
    if (service.customDomainName) port.hosts.set(service.customDomainName, plan);
  }
  return { ports, used: base?.used && sameSet(used, base.used) ? base.used : used };
}

/**
 * The previous ports with the changed listeners' plans replaced in place, when that is exact: no
 * service or rule changed, and every changed listener is still there, on the same port of the same
 * service, answering its host names. Anything else (a new, removed or moved listener) is left to
 * allListeners. Undefined then.
 */
function patchListeners(base: Base, services: ReadonlyMap<string, ServicePlan>): Listeners | undefined {
  const changes = base.changes('listener');
  if (!changes || !base.get || !base.used || changes.length > PATCH_LIMIT || !base.quiet('sn', 'authpolicy', 'sg', 'snva', 'snsa', 'svc', 'rule')) return undefined;
  const { prev } = base;
  const ports = new Map(prev.ports as Map<number, PortPlan>);
  const copied = new Set<number>();
  let usedChanged = false;
  for (const id of new Set(changes.map((c) => c.id))) {
    const l = base.get<ListenerRecord>('listener', id);
    const service = l && services.get(l.serviceId);
    const old = l && service ? prev.ports.get(l.port)?.hosts.get(service.dnsName) : undefined;
    if (!l || !service || old?.id !== id || old.service !== service) return undefined;
    if (!copied.has(l.port)) {
      copied.add(l.port);
      ports.set(l.port, { port: l.port, hosts: new Map(prev.ports.get(l.port)!.hosts) });
    }
    const hosts = ports.get(l.port)!.hosts as Map<string, ListenerPlan>;
    const plan = listenerPlan(l, service, old.rules);
    for (const name of hostNames(service)) {
      if (hosts.get(name)?.id !== id) return undefined;
      hosts.set(name, plan);
    }
    if (!sameList(forwardsTo(old), forwardsTo(plan))) usedChanged = true;
  }
  if (!usedChanged) return { ports, used: base.used };
  const used = new Set<string>();
  for (const port of ports.values()) for (const plan of port.hosts.values()) for (const id of forwardsTo(plan)) used.add(id);
  return { ports, used: sameSet(used, base.used) ? base.used : used };
}

const hostNames = (s: ServicePlan) => (s.customDomainName ? [s.dnsName, s.customDomainName] : [s.dnsName]);

function listenerPlan(l: ListenerRecord, service: ServicePlan, rules: readonly RulePlan[]): ListenerPlan {
  return { id: l.id, arn: l.arn, protocol: l.protocol as ListenerPlan['protocol'], port: l.port, service, rules, defaultAction: compileAction(l.defaultAction) };
}

function rulesByListener(records: Records): Map<string, RuleRecord[]> {
  const out = new Map<string, RuleRecord[]>();
  for (const r of records.all<RuleRecord>('rule')) {
    let list = out.get(r.listenerId);
    if (!list) out.set(r.listenerId, (list = []));
    list.push(r);
  }
  return out;
}

/**
 * A listener's rules in priority order. With the listener's previous plan: when every rule record
 * is unchanged and none went, its rules array is kept whole (a new rule would have a newer
 * revision, a removed one makes the count differ); otherwise each unchanged rule keeps its plan.
 */
function listenerRules(recs: RuleRecord[], before: ListenerPlan | undefined, base: Base | undefined): readonly RulePlan[] {
  if (before && base && recs.length === before.rules.length && recs.every(base.unchanged)) return before.rules;
  const kept = before && before.rules.length > 0 ? new Map(before.rules.map((p) => [p.id, p])) : undefined;
  return recs.sort((a, b) => a.priority - b.priority).map((r): RulePlan => {
    const plan = base?.unchanged(r) ? kept?.get(r.id) : undefined;
    return plan ?? { id: r.id, arn: r.arn, priority: r.priority, match: compileMatch(r.match?.httpMatch), action: compileAction(r.action) };
  });
}

/** Memo: the target groups a listener plan forwards to (its default action's and its rules'). */
const forwarded = new WeakMap<ListenerPlan, readonly string[]>();

function forwardsTo(l: ListenerPlan): readonly string[] {
  let ids = forwarded.get(l);
  if (!ids) {
    const set = new Set<string>();
    for (const a of [l.defaultAction, ...l.rules.map((r) => r.action)]) if (a.kind === 'forward') for (const t of a.targetGroups) set.add(t.id);
    forwarded.set(l, (ids = [...set].sort()));
  }
  return ids;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** A Snapshot's listener plans by listener id. */
function listenersById(s: Snapshot): Map<string, ListenerPlan> {
  const out = new Map<string, ListenerPlan>();
  for (const port of s.ports.values()) for (const l of port.hosts.values()) out.set(l.id, l);
  return out;
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

function compileAction(a: StoredAction): ActionPlan {
  if ('fixedResponse' in a) return { kind: 'fixed', statusCode: a.fixedResponse.statusCode };
  return { kind: 'forward', targetGroups: a.forward.targetGroups.map((t) => ({ id: t.targetGroupIdentifier, weight: t.weight })) };
}
