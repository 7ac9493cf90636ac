import type { Handlers } from './handlers.ts';

export const associationHandlers = {
} satisfies Partial<Handlers>;
