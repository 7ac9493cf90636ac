import type { Handlers } from './handlers.ts';

export const listenerHandlers = {
} satisfies Partial<Handlers>;
