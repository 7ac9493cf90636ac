// Listeners (listener-): the protocol and port a service accepts connections on, with a default
// action. Every listener has a default rule (its default action, listed by ListRules with
// isDefault), whose id is kept on the listener as defaultRuleId; other rules live in rules.ts.
import type { Handlers } from './handlers.ts';
import type { Base, Ctx } from './context.ts';
import type { ListenerProtocol, RuleAction } from '@aws-sdk/client-vpc-lattice';
import { conflict, notFound, validation } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { resolveService, type ServiceRecord } from './services.ts';

/** A rule action as stored: forward target groups are named by their id, each with its weight. */
export type StoredAction =
  | { forward: { targetGroups: { targetGroupIdentifier: string; weight: number }[] } }
  | { fixedResponse: { statusCode: number } };

export interface ListenerRecord extends Base {
  serviceId: string;
  name: string;
  protocol: ListenerProtocol;
  port: number;
  defaultAction: StoredAction;
  defaultRuleId: string;
}

export const LISTENER = 'listener';
export const listenerArn = (ctx: Ctx, serviceId: string, id: string) => ctx.arn(`service/${serviceId}/listener/${id}`);

/** The caller's listener of this service; a listener of another service is not found. */
export function resolveListener(ctx: Ctx, svc: ServiceRecord, identifier: string): ListenerRecord {
  const l = ctx.resolve<ListenerRecord>(LISTENER, identifier, 'LISTENER');
  if (l.serviceId !== svc.id) throw notFound('LISTENER', identifier);
  return l;
}

export const listenersOf = (ctx: Ctx, serviceId: string) => [...ctx.where<ListenerRecord>('listener.serviceId', serviceId)];

/** API Reference (CreateListener, port): "For HTTP, the default is 80. For HTTPS, the default is 443." */
const DEFAULT_PORTS: Partial<Record<string, number>> = { HTTP: 80, HTTPS: 443 };

/**
 * API Reference (WeightedTargetGroup, weight): "Only required if you specify multiple target
 * groups for a forward action ... If there's only one target group specified, then the default
 * value is 100."
 */
export const DEFAULT_WEIGHT = 100;

interface TargetGroupLike extends Base { config?: { protocol?: string } }

/**
 * Checks a rule action against the listener it serves and returns it as stored (target groups by
 * id). User Guide "TLS listeners": "The default action for a TLS listener must be a forward
 * action to a TCP target group", and the only rule of a TLS listener is the default rule; TCP
 * target groups only serve TLS listeners (User Guide "Target groups": TCP is for TLS listeners).
 */
export function storeAction(ctx: Ctx, action: RuleAction, protocol: string, field: string): StoredAction {
  if (action.fixedResponse) {
    if (protocol === 'TLS_PASSTHROUGH') {
      throw validation('A TLS_PASSTHROUGH listener can only forward to TCP target groups; fixed responses are not supported.', 'fieldValidationFailed',
        [{ name: `${field}.fixedResponse`, message: 'Fixed responses are not supported by TLS_PASSTHROUGH listeners' }]);
    }
    return { fixedResponse: { statusCode: action.fixedResponse.statusCode! } };
  }
  const tgs = action.forward?.targetGroups ?? [];
  if (tgs.length > 1 && tgs.some((t) => t.weight === undefined)) {
    throw validation('A weight is required for each target group when a forward action has more than one target group.', 'fieldValidationFailed',
      [{ name: `${field}.forward.targetGroups`, message: 'Each target group needs a weight when there are several' }]);
  }
  const seen = new Set<string>();
  const out = tgs.map((t, i) => {
    const tg = ctx.resolve<TargetGroupLike>('tg', t.targetGroupIdentifier!, 'TARGET_GROUP');
    if (seen.has(tg.id)) {
      throw validation(`Target group ${tg.id} appears more than once in the forward action.`, 'fieldValidationFailed',
        [{ name: `${field}.forward.targetGroups[${i}].targetGroupIdentifier`, message: 'Duplicate target group' }]);
    }
    seen.add(tg.id);
    const tcp = tg.config?.protocol === 'TCP';
    if (protocol === 'TLS_PASSTHROUGH' && !tcp) {
      throw validation(`A TLS_PASSTHROUGH listener can only forward to TCP target groups; ${tg.id} is not one.`, 'fieldValidationFailed',
        [{ name: `${field}.forward.targetGroups[${i}].targetGroupIdentifier`, message: 'Target group protocol must be TCP for a TLS_PASSTHROUGH listener' }]);
    }
    if (protocol !== 'TLS_PASSTHROUGH' && tcp) {
      throw validation(`Target group ${tg.id} uses the TCP protocol, which only TLS_PASSTHROUGH listeners can forward to.`, 'fieldValidationFailed',
        [{ name: `${field}.forward.targetGroups[${i}].targetGroupIdentifier`, message: `TCP target groups cannot serve ${protocol} listeners` }]);
    }
    return { targetGroupIdentifier: tg.id, weight: t.weight ?? DEFAULT_WEIGHT };
  });
  return { forward: { targetGroups: out } };
}

/** The SDK shape of a stored action. */
export const actionOut = (a: StoredAction): RuleAction => JSON.parse(JSON.stringify(a)) as RuleAction;

export const actionTargetGroups = (a: StoredAction | undefined): string[] =>
  a && 'forward' in a ? a.forward.targetGroups.map((t) => t.targetGroupIdentifier) : [];

/** Distinct target groups the service's listeners and rules forward to (pending writes included). */
export function targetGroupsOfService(ctx: Ctx, serviceId: string): Set<string> {
  const ids = new Set<string>();
  for (const l of listenersOf(ctx, serviceId)) for (const t of actionTargetGroups(l.defaultAction)) ids.add(t);
  for (const r of ctx.where<{ action: StoredAction }>('rule.serviceId', serviceId)) for (const t of actionTargetGroups(r.action)) ids.add(t);
  return ids;
}

/**
 * Quota "Target groups per service": call after the pending writes describe the new state, with
 * the count from before them; throws only when a change adds target groups beyond the quota.
 */
export function checkTargetGroupsPerService(ctx: Ctx, serviceId: string, before: number): void {
  const after = targetGroupsOfService(ctx, serviceId).size;
  if (after > before) ctx.checkQuota('targetGroupsPerService', after - 1, 'SERVICE', serviceId);
}

const listenerOut = (l: ListenerRecord, svc: ServiceRecord) => ({
  arn: l.arn, id: l.id, name: l.name, protocol: l.protocol, port: l.port,
  serviceArn: svc.arn, serviceId: svc.id, defaultAction: actionOut(l.defaultAction),
});

export const listenerHandlers = {
  CreateListener(ctx, input) {
    const svc = resolveService(ctx, input.serviceIdentifier);
    const protocol = input.protocol;
    const port = input.port ?? DEFAULT_PORTS[protocol];
    if (port === undefined) {
      throw validation(`A port is required for ${protocol} listeners.`, 'fieldValidationFailed', [{ name: 'port', message: `Required for ${protocol} listeners` }]);
    }
    // User Guide "TLS listeners": "The VPC Lattice service must have a custom domain name" (it is
    // the SNI match).
    if (protocol === 'TLS_PASSTHROUGH' && !svc.customDomainName) {
      throw validation(`Service ${svc.id} needs a custom domain name for a TLS_PASSTHROUGH listener.`, 'fieldValidationFailed',
        [{ name: 'protocol', message: 'TLS_PASSTHROUGH listeners require a service with a custom domain name' }]);
    }
    const siblings = listenersOf(ctx, svc.id);
    // API Reference: "A listener name must be unique within a service." Two listeners cannot share a port.
    for (const l of siblings) {
      if (l.name === input.name) throw conflict(`Service ${svc.id} already has a listener named ${input.name}.`, 'LISTENER', l.id);
      if (l.port === port) throw conflict(`Service ${svc.id} already has a listener on port ${port} (${l.id}).`, 'LISTENER', l.id);
    }
    ctx.checkQuota('listenersPerService', siblings.length, 'LISTENER');
    const tgsBefore = targetGroupsOfService(ctx, svc.id).size;
    const defaultAction = storeAction(ctx, input.defaultAction, protocol, 'defaultAction');
    const base = ctx.stamp('listener', (id) => listenerArn(ctx, svc.id, id), input.tags);
    const rec: ListenerRecord = { ...base, serviceId: svc.id, name: input.name, protocol, port, defaultAction, defaultRuleId: newId('rule') };
    ctx.put(LISTENER, rec.id, rec);
    checkTargetGroupsPerService(ctx, svc.id, tgsBefore);
    return listenerOut(rec, svc);
  },

  GetListener(ctx, input) {
    const svc = resolveService(ctx, input.serviceIdentifier);
    const l = resolveListener(ctx, svc, input.listenerIdentifier);
    return { ...listenerOut(l, svc), createdAt: new Date(l.createdAt), lastUpdatedAt: new Date(l.lastUpdatedAt) };
  },

  ListListeners(ctx, input) {
    const svc = resolveService(ctx, input.serviceIdentifier);
    return ctx.page(listenersOf(ctx, svc.id), input, (l) => ({
      arn: l.arn, id: l.id, name: l.name, protocol: l.protocol, port: l.port,
      createdAt: new Date(l.createdAt), lastUpdatedAt: new Date(l.lastUpdatedAt),
    }));
  },

  UpdateListener(ctx, input) {
    const svc = resolveService(ctx, input.serviceIdentifier);
    const l = resolveListener(ctx, svc, input.listenerIdentifier);
    const tgsBefore = targetGroupsOfService(ctx, svc.id).size;
    const rec: ListenerRecord = { ...l, defaultAction: storeAction(ctx, input.defaultAction, l.protocol, 'defaultAction'), lastUpdatedAt: ctx.timestamp };
    ctx.put(LISTENER, l.id, rec);
    checkTargetGroupsPerService(ctx, svc.id, tgsBefore);
    return listenerOut(rec, svc);
  },

  DeleteListener(ctx, input) {
    // User Guide "Delete a listener": "You can delete a listener at any time. When you delete a
    // listener, all its rules are automatically deleted."
    const svc = resolveService(ctx, input.serviceIdentifier);
    const l = resolveListener(ctx, svc, input.listenerIdentifier);
    for (const r of [...ctx.where<{ id: string }>('rule.listenerId', l.id)]) ctx.del('rule', r.id);
    ctx.del(LISTENER, l.id);
    return {};
  },
} satisfies Partial<Handlers>;
