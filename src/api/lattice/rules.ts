// Listener rules (rule-): match conditions with a priority and an action. Each listener also has
// a default rule, which is not stored as a rule: it is the listener's default action under the id
// the listener keeps in defaultRuleId, and is changed only through UpdateListener.
import type { Handler, Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import type {
  RuleAction, RuleMatch, RuleUpdate, RuleUpdateFailure, RuleUpdateSuccess,
} from '@aws-sdk/client-vpc-lattice';
import { ApiError, conflict, notFound, validation } from '../../core/errors.ts';
import { idOf } from '../../core/ids.ts';
import { resolveService, type ServiceRecord } from './services.ts';
import {
  actionOut, actionTargetGroups, checkTargetGroupsPerService, listenersOf, resolveListener, storeAction, targetGroupsOfService,
  type ListenerRecord, type StoredAction,
} from './listeners.ts';

export interface RuleRecord extends Base {
  serviceId: string;
  listenerId: string;
  name: string;
  priority: number;
  match: RuleMatch;
  action: StoredAction;
}

export const RULE = 'rule';
export const ruleArn = (listener: ListenerRecord, id: string) => `${listener.arn}/rule/${id}`;

/** The name ListRules/GetRule show for a listener's default rule. */
export const DEFAULT_RULE_NAME = 'default';

export const rulesOf = (ctx: Ctx, listenerId: string) => [...ctx.where<RuleRecord>('rule.listenerId', listenerId)];

type Resolved = { isDefault: true; id: string; arn: string } | { isDefault: false; rule: RuleRecord };

/** A rule of this listener, or its default rule; anything else is not found. */
function resolveRule(ctx: Ctx, listener: ListenerRecord, identifier: string): Resolved {
  const id = idOf(identifier);
  if (id === listener.defaultRuleId) {
    const arn = ruleArn(listener, id);
    if (identifier.startsWith('arn:') && identifier !== arn) throw notFound('RULE', identifier);
    return { isDefault: true, id, arn };
  }
  const rule = ctx.resolve<RuleRecord>(RULE, identifier, 'RULE');
  if (rule.listenerId !== listener.id) throw notFound('RULE', identifier);
  return { isDefault: false, rule };
}

function resolveParents(ctx: Ctx, input: { serviceIdentifier: string; listenerIdentifier: string }): { svc: ServiceRecord; listener: ListenerRecord } {
  const svc = resolveService(ctx, input.serviceIdentifier);
  return { svc, listener: resolveListener(ctx, svc, input.listenerIdentifier) };
}

/**
 * User Guide "Listener rules": "Default rules can't have conditions", and the default rule's
 * priority cannot be changed; it is changed (its action) with UpdateListener.
 */
const defaultRuleError = (id: string) =>
  validation(`Rule ${id} is the listener's default rule; change its action with UpdateListener.`, 'fieldValidationFailed',
    [{ name: 'ruleIdentifier', message: 'The default rule cannot be updated or deleted through rule operations' }]);

/** User Guide "TLS listeners": "The only rule allowed for a TLS listener is the default rule." */
function checkListenerTakesRules(listener: ListenerRecord): void {
  if (listener.protocol === 'TLS_PASSTHROUGH') {
    throw validation(`Listener ${listener.id} uses TLS_PASSTHROUGH; its only rule is the default rule.`, 'fieldValidationFailed',
      [{ name: 'listenerIdentifier', message: 'TLS_PASSTHROUGH listeners cannot have rules' }]);
  }
}

/**
 * API Reference (CreateRule): "Each rule consists of a priority, one or more actions, and one or
 * more conditions." A match with no method, path or header condition is refused.
 */
function checkMatch(match: RuleMatch): RuleMatch {
  const m = match.httpMatch;
  if (!m || (m.method === undefined && m.pathMatch === undefined && (m.headerMatches?.length ?? 0) === 0)) {
    throw validation('A rule match needs at least one condition: method, pathMatch or headerMatches.', 'fieldValidationFailed',
      [{ name: 'match.httpMatch', message: 'At least one of method, pathMatch or headerMatches is required' }]);
  }
  return JSON.parse(JSON.stringify(match)) as RuleMatch;
}

const priorityConflict = (listener: ListenerRecord, priority: number, holder: string) =>
  conflict(`Listener ${listener.id} already has a rule with priority ${priority} (${holder}).`, 'RULE', holder);

const ruleOut = (r: RuleRecord) => ({
  arn: r.arn, id: r.id, name: r.name, isDefault: false, match: r.match, priority: r.priority, action: actionOut(r.action),
});

const typedRuleHandlers = {
  CreateRule(ctx, input) {
    const { svc, listener } = resolveParents(ctx, input);
    checkListenerTakesRules(listener);
    const match = checkMatch(input.match);
    const siblings = rulesOf(ctx, listener.id);
    for (const r of siblings) {
      // API Reference: "The name must be unique within the listener." / "Each rule for a specific
      // listener must have a unique priority."
      if (r.name === input.name) throw conflict(`Listener ${listener.id} already has a rule named ${input.name}.`, 'RULE', r.id);
      if (r.priority === input.priority) throw priorityConflict(listener, input.priority, r.id);
    }
    // Quota "Rules per listener"; the default rule is not counted.
    ctx.checkQuota('rulesPerListener', siblings.length, 'RULE');
    const tgsBefore = targetGroupsOfService(ctx, svc.id).size;
    const action = storeAction(ctx, input.action, listener.protocol, 'action');
    const base = ctx.stamp('rule', (id) => ruleArn(listener, id), input.tags);
    const rec: RuleRecord = { ...base, serviceId: svc.id, listenerId: listener.id, name: input.name, priority: input.priority, match, action };
    ctx.put(RULE, rec.id, rec);
    checkTargetGroupsPerService(ctx, svc.id, tgsBefore);
    return { arn: rec.arn, id: rec.id, name: rec.name, match: rec.match, priority: rec.priority, action: actionOut(rec.action) };
  },

  GetRule(ctx, input) {
    const { listener } = resolveParents(ctx, input);
    const r = resolveRule(ctx, listener, input.ruleIdentifier);
    if (r.isDefault) {
      return {
        arn: r.arn, id: r.id, name: DEFAULT_RULE_NAME, isDefault: true, action: actionOut(listener.defaultAction),
        createdAt: new Date(listener.createdAt), lastUpdatedAt: new Date(listener.lastUpdatedAt),
      };
    }
    return { ...ruleOut(r.rule), createdAt: new Date(r.rule.createdAt), lastUpdatedAt: new Date(r.rule.lastUpdatedAt) };
  },

  ListRules(ctx, input) {
    const { listener } = resolveParents(ctx, input);
    // Rules in evaluation order: by priority, the default rule last.
    type Item = { id: string; arn: string; name: string; isDefault: boolean; priority?: number; createdAt: string; lastUpdatedAt: string };
    const items: Item[] = rulesOf(ctx, listener.id).sort((a, b) => a.priority - b.priority)
      .map((r) => ({ id: r.id, arn: r.arn, name: r.name, isDefault: false, priority: r.priority, createdAt: r.createdAt, lastUpdatedAt: r.lastUpdatedAt }));
    items.push({
      id: listener.defaultRuleId, arn: ruleArn(listener, listener.defaultRuleId), name: DEFAULT_RULE_NAME, isDefault: true,
      createdAt: listener.createdAt, lastUpdatedAt: listener.lastUpdatedAt,
    });
    return ctx.page(items, input, (r) => ({
      arn: r.arn, id: r.id, name: r.name, isDefault: r.isDefault, priority: r.priority,
      createdAt: new Date(r.createdAt), lastUpdatedAt: new Date(r.lastUpdatedAt),
    }));
  },

  UpdateRule(ctx, input) {
    const { svc, listener } = resolveParents(ctx, input);
    const r = resolveRule(ctx, listener, input.ruleIdentifier);
    if (r.isDefault) throw defaultRuleError(r.id);
    const rule = r.rule;
    if (input.priority !== undefined) {
      for (const o of rulesOf(ctx, listener.id)) if (o.id !== rule.id && o.priority === input.priority) throw priorityConflict(listener, input.priority, o.id);
    }
    const tgsBefore = targetGroupsOfService(ctx, svc.id).size;
    const rec: RuleRecord = {
      ...rule,
      ...(input.match !== undefined ? { match: checkMatch(input.match) } : {}),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      ...(input.action !== undefined ? { action: storeAction(ctx, input.action, listener.protocol, 'action') } : {}),
      lastUpdatedAt: ctx.timestamp,
    };
    ctx.put(RULE, rule.id, rec);
    checkTargetGroupsPerService(ctx, svc.id, tgsBefore);
    return ruleOut(rec);
  },

  DeleteRule(ctx, input) {
    // API Reference (DeleteRule): "You can delete additional listener rules, but you cannot delete
    // the default rule."
    const { listener } = resolveParents(ctx, input);
    const r = resolveRule(ctx, listener, input.ruleIdentifier);
    if (r.isDefault) throw defaultRuleError(r.id);
    ctx.del(RULE, r.rule.id);
    return {};
  },
} satisfies Partial<Handlers>;

const batchUpdateRule: Handler<'BatchUpdateRule'> = (ctx, input) => {
  // API Reference (BatchUpdateRule): "You can use this operation to change the priority of
  // listener rules. This can be useful when bulk updating or swapping rule priority." Each
  // update succeeds or fails on its own; priorities must be unique in the state the whole
  // batch leaves, so two rules can swap priorities in one call.
  const { svc, listener } = resolveParents(ctx, input);
  const failures: { index: number; failure: RuleUpdateFailure }[] = [];
  const fail = (index: number, e: unknown) => {
    if (!(e instanceof ApiError)) throw e;
    failures.push({ index, failure: { ruleIdentifier: input.rules[index].ruleIdentifier, failureCode: e.code, failureMessage: e.message } });
  };
  const original = rulesOf(ctx, listener.id);

  // 1. Each update on its own: the rule is one of this listener's (not its default rule), and
  //    its new match and action are valid.
  type Candidate = { index: number; before: RuleRecord; after: RuleRecord };
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  input.rules.forEach((u: RuleUpdate, index: number) => {
    try {
      const r = resolveRule(ctx, listener, u.ruleIdentifier!);
      if (r.isDefault) throw defaultRuleError(r.id);
      if (seen.has(r.rule.id)) {
        throw validation(`Rule ${r.rule.id} appears more than once in the batch.`, 'fieldValidationFailed', [{ name: 'rules', message: 'Duplicate rule' }]);
      }
      seen.add(r.rule.id);
      const after: RuleRecord = {
        ...r.rule,
        ...(u.match !== undefined ? { match: checkMatch(u.match) } : {}),
        ...(u.priority !== undefined ? { priority: u.priority } : {}),
        ...(u.action !== undefined ? { action: storeAction(ctx, u.action as RuleAction, listener.protocol, `rules[${index}].action`) } : {}),
        lastUpdatedAt: ctx.timestamp,
      };
      candidates.push({ index, before: r.rule, after });
    } catch (e) {
      fail(index, e);
    }
  });

  // 2. Quota "Target groups per service", update by update, in request order.
  const tgsUsed = (accepted: Candidate[]) => {
    const ids = new Set<string>();
    for (const l of listenersOf(ctx, svc.id)) for (const t of actionTargetGroups(l.defaultAction)) ids.add(t);
    for (const r of ctx.where<RuleRecord>('rule.serviceId', svc.id)) {
      const c = accepted.find((a) => a.before.id === r.id);
      for (const t of actionTargetGroups((c ? c.after : r).action)) ids.add(t);
    }
    return ids.size;
  };
  const tgsBefore = tgsUsed([]);
  let accepted: Candidate[] = [];
  for (const c of candidates) {
    const after = tgsUsed([...accepted, c]);
    try {
      if (after > tgsBefore) ctx.checkQuota('targetGroupsPerService', after - 1, 'SERVICE', svc.id);
      accepted.push(c);
    } catch (e) {
      fail(c.index, e);
    }
  }

  // 3. Unique priorities in the final state. Where rules would share a priority, a rule that
  //    keeps its priority wins over those moving onto it, and among updates moving onto the
  //    same priority the earliest in the request wins; the others fail, their rules keep their
  //    old priorities, and that is checked again until no two rules share one.
  for (;;) {
    const holders = new Map<number, { id: string; mover?: Candidate }[]>();
    for (const r of original) {
      const c = accepted.find((a) => a.before.id === r.id);
      const p = (c?.after ?? r).priority;
      const mover = c && c.after.priority !== c.before.priority ? c : undefined;
      holders.set(p, [...(holders.get(p) ?? []), { id: r.id, mover }]);
    }
    const losers: { c: Candidate; winner: string; priority: number }[] = [];
    for (const [priority, hs] of holders) {
      if (hs.length < 2) continue;
      const winner = hs.find((x) => !x.mover) ?? hs.reduce((a, b) => (a.mover!.index <= b.mover!.index ? a : b));
      for (const x of hs) if (x !== winner && x.mover) losers.push({ c: x.mover, winner: winner.id, priority });
    }
    if (losers.length === 0) break;
    for (const x of losers) fail(x.c.index, priorityConflict(listener, x.priority, x.winner));
    accepted = accepted.filter((c) => !losers.some((x) => x.c === c));
  }

  for (const c of accepted) ctx.put(RULE, c.after.id, c.after);
  return {
    successful: accepted.map((c): RuleUpdateSuccess => ruleOut(c.after)),
    unsuccessful: failures.sort((a, b) => a.index - b.index).map((f) => f.failure),
  };
};

export const ruleHandlers = {
  ...typedRuleHandlers,
  BatchUpdateRule: batchUpdateRule,
} satisfies Partial<Handlers>;
