import type { Handlers } from './handlers.ts';

export const resourcePolicyHandlers = {
} satisfies Partial<Handlers>;
