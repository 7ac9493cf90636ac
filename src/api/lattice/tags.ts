import type { Handlers } from './handlers.ts';

export const tagHandlers = {
} satisfies Partial<Handlers>;
