import type { Handlers } from './handlers.ts';

export const ruleHandlers = {
} satisfies Partial<Handlers>;
