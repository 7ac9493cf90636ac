// Target group plans, each with its targets as the Snapshot holds them: the registered targets
// that have a port (Lambda targets are invoked, not dialled), in registration order.
//
// Against a previous Snapshot (compile.ts's Base) and the records' change log, only the groups
// whose targets changed are rebuilt; every other group keeps its plan, its targets array and its
// TargetPlan objects, so a change elsewhere costs nothing per target. When no target group record
// changed and the same groups are forwarded to, the previous map is copied and patched, or shared
// as it is when no target changed either.
import type { TargetGroupRecord } from '../api/lattice/targetgroups.ts';
import type { TargetRecord } from '../api/lattice/targets.ts';
import type { TargetGroupPlan, TargetPlan } from './snapshot.ts';
import type { Base, RecordChange, Records } from './compile.ts';

const NONE: readonly TargetPlan[] = Object.freeze([]);

export function compileTargetGroups(records: Records, used: ReadonlySet<string>, base: Base | undefined): ReadonlyMap<string, TargetGroupPlan> {
  const changes = base?.get ? base.changes('target') : undefined;
  const targetsOf = base && changes ? changedLists(base, changes) : allLists(records);
  if (base && changes && used === base.used && base.quiet('tg')) {
    // The same groups, used as before: only those with changed targets get a new plan.
    if (changes.length === 0) return base.prev.targetGroups;
    const out = new Map(base.prev.targetGroups);
    for (const tgId of new Set(changes.map((c) => groupOf(c.id)))) {
      const kept = out.get(tgId);
      if (kept) out.set(tgId, groupPlan(kept, kept.inUse, targetsOf(tgId)));
    }
    return out;
  }
  const out = new Map<string, TargetGroupPlan>();
  for (const tg of records.all<TargetGroupRecord>('tg')) {
    const targets = targetsOf(tg.id);
    const inUse = used.has(tg.id);
    const kept = base?.prev.targetGroups.get(tg.id);
    // The same plan object when nothing about the group changed, so consumers can skip it.
    out.set(tg.id, kept && kept.targets === targets && kept.inUse === inUse && base!.unchanged(tg) ? kept : groupPlan(tg, inUse, targets));
  }
  return out;
}

/** A group's plan from its record (or from its previous plan, which has the same fields). */
function groupPlan(tg: TargetGroupRecord | TargetGroupPlan, inUse: boolean, targets: readonly TargetPlan[]): TargetGroupPlan {
  if ('config' in tg) {
    return {
      id: tg.id, arn: tg.arn, account: tg.account, type: tg.type,
      protocol: tg.config.protocol ?? 'HTTP', protocolVersion: tg.config.protocolVersion ?? 'HTTP1',
      port: tg.config.port, vpcId: tg.config.vpcIdentifier, healthCheck: tg.config.healthCheck,
      inUse, targets,
    };
  }
  return {
    id: tg.id, arn: tg.arn, account: tg.account, type: tg.type, protocol: tg.protocol, protocolVersion: tg.protocolVersion,
    port: tg.port, vpcId: tg.vpcId, healthCheck: tg.healthCheck, inUse, targets,
  };
}

/** Every group's targets, reading every target record. */
function allLists(records: Records): (tgId: string) => readonly TargetPlan[] {
  const lists = new Map<string, TargetPlan[]>();
  for (const t of records.all<TargetRecord>('target')) {
    if (t.port === undefined) continue;
    let list = lists.get(t.tgId);
    if (!list) lists.set(t.tgId, (list = []));
    list.push(targetPlan(t, t.port));
  }
  return (tgId) => lists.get(tgId) ?? NONE;
}

// A target's store id is `<tgId>/<targetId>[:<port>]` (targets.ts).
const groupOf = (targetId: string) => targetId.slice(0, targetId.indexOf('/'));

/**
 * The previous groups' targets with the changes applied. Targets are registered after their group
 * exists and deleted with it (targetgroups.ts), so a group the previous Snapshot lacks starts
 * from no targets.
 */
function changedLists(base: Base, changes: readonly RecordChange[]): (tgId: string) => readonly TargetPlan[] {
  const previous = base.prev.targetGroups;
  const byGroup = new Map<string, RecordChange[]>();
  for (const c of changes) {
    const tgId = groupOf(c.id);
    let list = byGroup.get(tgId);
    if (!list) byGroup.set(tgId, (list = []));
    list.push(c);
  }
  const rebuilt = new Map<string, readonly TargetPlan[]>();
  for (const [tgId, ops] of byGroup) rebuilt.set(tgId, patch(previous.get(tgId)?.targets ?? NONE, ops, base));
  return (tgId) => rebuilt.get(tgId) ?? previous.get(tgId)?.targets ?? NONE;
}

/**
 * A group's previous targets with its changes applied in order, the way the View's Map orders
 * records: a write of a new id appends it, a write of a present one keeps its place, a delete
 * removes it. Changed targets are planned from their current record; the others are kept.
 */
function patch(before: readonly TargetPlan[], ops: readonly RecordChange[], base: Base): readonly TargetPlan[] {
  const order = new Map<string, TargetPlan | undefined>();
  for (const t of before) order.set(t.key, t);
  const touched = new Set<string>();
  for (const op of ops) {
    touched.add(op.id);
    if (op.deleted) order.delete(op.id);
    else if (!order.has(op.id)) order.set(op.id, undefined);
  }
  const out: TargetPlan[] = [];
  for (const [id, kept] of order) {
    if (!touched.has(id)) {
      out.push(kept!);
      continue;
    }
    const t = base.get!<TargetRecord>('target', id);
    if (t && t.port !== undefined) out.push(targetPlan(t, t.port));
  }
  return out.length > 0 ? out : NONE;
}

/**
 * A target's plan. Its key is the record's store id, which is `<tgId>/<targetId>:<port>` already
 * (targets.ts), so the string is shared with the record rather than built again; one object shape
 * per case (no spread), so every plan is a small in-object literal. At 2,000,000 targets the two
 * together make the Snapshot about 260 MB smaller (npm run bench:scale).
 */
function targetPlan(t: TargetRecord, port: number): TargetPlan {
  return t.drainingSince
    ? { key: t.id, id: t.targetId, address: t.targetId, port, drainingSince: t.drainingSince }
    : { key: t.id, id: t.targetId, address: t.targetId, port };
}
