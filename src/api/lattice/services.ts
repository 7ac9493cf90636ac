import type { Handlers } from './handlers.ts';

export const serviceHandlers = {
} satisfies Partial<Handlers>;
