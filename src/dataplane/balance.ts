// Choosing where a request goes: a target group by weight (smooth weighted round robin, so a
// 70/30 split is 70/30 over any window, and weight 0 gets nothing), then a target by round robin
// over the targets that may receive traffic. Runtime counters live here, outside the Snapshot.
import type { ActionPlan, TargetGroupPlan, TargetPlan } from '../compile/snapshot.ts';

type Forward = Extract<ActionPlan, { kind: 'forward' }>;

const wrrState = new WeakMap<Forward, number[]>();

/** The target group id for this request, or undefined when every weight is 0. */
export function pickTargetGroup(action: Forward): string | undefined {
  const groups = action.targetGroups;
  if (groups.length === 1) return groups[0].weight > 0 || groups[0].weight === undefined ? groups[0].id : undefined;
  let current = wrrState.get(action);
  if (!current) wrrState.set(action, (current = groups.map(() => 0)));
  let total = 0;
  let best = -1;
  for (let i = 0; i < groups.length; i++) {
    const w = groups[i].weight;
    if (w <= 0) continue;
    current[i] += w;
    total += w;
    if (best < 0 || current[i] > current[best]) best = i;
  }
  if (best < 0) return undefined;
  current[best] -= total;
  return groups[best].id;
}

const cursors = new WeakMap<TargetGroupPlan, { next: number }>();

/**
 * The next routable target of the group after `exclude` (targets already tried), round robin.
 * `routable[i]` is 1 when tg.targets[i] may get requests (the health checker's routableIn).
 */
export function pickTarget(tg: TargetGroupPlan, routable: ArrayLike<number>, exclude?: ReadonlySet<string>): TargetPlan | undefined {
  const targets = tg.targets;
  if (targets.length === 0) return undefined;
  let cursor = cursors.get(tg);
  if (!cursor) cursors.set(tg, (cursor = { next: 0 }));
  for (let i = 0; i < targets.length; i++) {
    const at = (cursor.next + i) % targets.length;
    const t = targets[at];
    if (t.drainingSince === undefined && routable[at] === 1 && !exclude?.has(t.key)) {
      cursor.next = (cursor.next + i + 1) % targets.length;
      return t;
    }
  }
  return undefined;
}
