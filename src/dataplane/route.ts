// Rule matching, exactly as Lattice: rules in priority order, every condition of a rule must
// match (method, path exact/prefix, all header matches), else the listener's default action.
import type { ActionPlan, ListenerPlan, MatchPlan } from '../compile/snapshot.ts';

export interface Routable {
  method: string;
  /** The normalized path, without the query. */
  path: string;
  /** A request header's value (lower-case name); several values joined with ", ". */
  header(name: string): string | undefined;
}

export interface Route { ruleId: string | 'default'; action: ActionPlan }

export function route(listener: ListenerPlan, req: Routable): Route {
  for (const rule of listener.rules) if (matches(rule.match, req)) return { ruleId: rule.id, action: rule.action };
  return { ruleId: 'default', action: listener.defaultAction };
}

export function matches(m: MatchPlan, req: Routable): boolean {
  if (m.method !== undefined && m.method !== req.method) return false;
  if (m.path) {
    const p = m.path.caseSensitive ? req.path : req.path.toLowerCase();
    if (m.path.kind === 'exact' ? p !== m.path.value : !p.startsWith(m.path.value)) return false;
  }
  for (const h of m.headers) {
    const raw = req.header(h.name);
    if (raw === undefined) return false;
    const v = h.caseSensitive ? raw : raw.toLowerCase();
    if (h.kind === 'exact' ? v !== h.value : h.kind === 'prefix' ? !v.startsWith(h.value) : !v.includes(h.value)) return false;
  }
  return true;
}
