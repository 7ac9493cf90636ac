import type { Handlers } from './handlers.ts';

export const targetGroupHandlers = {
} satisfies Partial<Handlers>;
